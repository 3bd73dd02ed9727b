"""Bounded memory for large grids (the 66-panel chart): what keeps a drawing process
small, checked by what it holds, not by measuring memory (which flakes)."""

import ctypes
import pickle
import subprocess
import sys
import warnings
import weakref

import numpy as np
import pytest
from scipy.cluster.hierarchy import dendrogram, linkage
from scipy.optimize import linear_sum_assignment

import animate
from animate import cli, scenes, writers
from animate.render.colours import best_pairs
from animate.render.painters.agglomerative import _leaf_order
from animate.trace import _Stored, load_lazily

MOONS = animate.datasets.make("moons", n_samples=40, noise=0.05, random_state=0)[0]


def test_a_lazily_loaded_trace_reads_a_field_only_when_it_is_used(tmp_path):
    trace = animate.run("kmeans", MOONS, n_clusters=2)
    trace.save(tmp_path / "t.npz")
    loaded, archive = load_lazily(tmp_path / "t.npz")
    with archive:
        final = loaded.final
        assert isinstance(final._fields["centers"], _Stored)
        assert "centers" in final.fields and set(final.fields) == set(trace.final.fields)
        assert isinstance(final._fields["centers"], _Stored)  # asking which fields: no read
        np.testing.assert_array_equal(final.fields["centers"], trace.final.centers)
        assert isinstance(final._fields["centers"], np.ndarray)  # read once, then kept
        assert not final.centers.flags.writeable
        np.testing.assert_array_equal(loaded.X, trace.X)
        for step, before in zip(loaded.steps, trace.steps):
            np.testing.assert_array_equal(step.labels, before.labels)
    eager = animate.Trace.load(tmp_path / "t.npz")
    assert isinstance(eager.final._fields["centers"], np.ndarray)  # Trace.load reads all


TWO_PANELS = """title = "two"
[render]
size = [480, 240]
[data]
name = "moons"
n_samples = 40
noise = 0.05
[algorithm]
name = "kmeans"
n_clusters = 2
[[panels]]
[[panels]]
algorithm = { name = "kmeans", n_clusters = 3 }
"""


def test_a_grid_s_traces_come_back_from_the_child_unread(tmp_path, monkeypatch):
    path = tmp_path / "two.toml"
    path.write_text(TWO_PANELS, encoding="utf-8")
    scene = animate.load_scene(path)
    here = scene.traces()
    # The child runs only while this process has not imported scikit-learn.
    monkeypatch.delitem(sys.modules, "sklearn", raising=False)
    with scenes._traces_apart(scene) as traces:
        fields = [value for t in traces for step in t.steps for value in step._fields.values()]
        arrays = [v for v in fields if not (v is None or np.isscalar(v))]
        assert arrays and all(isinstance(v, _Stored) for v in arrays)
        for trace, ours in zip(traces, here):
            np.testing.assert_array_equal(trace.final.centers, ours.final.centers)


def test_the_child_lets_each_trace_go_before_running_the_next(tmp_path, monkeypatch):
    path = tmp_path / "two.toml"
    path.write_text(TWO_PANELS, encoding="utf-8")
    (tmp_path / "scene.pickle").write_bytes(pickle.dumps(animate.load_scene(path)))
    made, make = [], scenes.PanelSpec.make_trace

    def make_trace(panel):
        assert all(ref() is None for ref in made), "an earlier trace is still held"
        trace = make(panel)
        made.append(weakref.ref(trace))
        return trace

    monkeypatch.setattr(scenes.PanelSpec, "make_trace", make_trace)
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    scenes._save_traces(tmp_path)
    assert len(made) == 2 and (tmp_path / "count.txt").read_text() == "2"


@pytest.mark.parametrize("seed", range(3))
def test_clusters_are_paired_as_scipy_pairs_them_ties_too(seed):
    rng = np.random.default_rng(seed)
    for trial in range(300):
        shape = rng.integers(1, 12, 2)
        # Contingency tables: small counts, many ties, zeros; tall and wide.
        weights = rng.integers(0, [2, 4, 60][trial % 3], shape).astype(float)
        expected = linear_sum_assignment(weights, maximize=True)
        rows, cols = best_pairs(weights)
        np.testing.assert_array_equal(rows, expected[0])
        np.testing.assert_array_equal(cols, expected[1])


def test_the_merge_tree_has_the_leaf_order_of_scipy_s_dendrogram():
    rng = np.random.default_rng(0)
    for method in ("single", "average", "ward", "complete"):
        for n in (2, 3, 17, 60):
            X = rng.integers(0, 4, (n, 2)).astype(float)  # ties in the distances
            Z = linkage(X, method)
            np.testing.assert_array_equal(_leaf_order(Z), dendrogram(Z, no_plot=True)["leaves"])


@pytest.mark.slow
def test_drawing_a_grid_imports_no_scipy_optimize_nor_cluster(tmp_path):
    # Together about 38 MB in a drawing process that needs neither.
    for i, name in enumerate(("agglomerative", "kmeans")):
        animate.run(name, MOONS, n_clusters=2).save(tmp_path / f"{i}.npz")
    code = (
        "import sys, animate\n"
        "traces = [animate.Trace.load(f'{sys.argv[1]}/{i}.npz') for i in range(2)]\n"
        "animate.compare(traces, f'{sys.argv[1]}/grid.gif', size=(480, 240), max_frames=3)\n"
        "print(sorted(m for m in ('scipy.optimize', 'scipy.cluster') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True
    )
    assert result.stdout.strip() == "[]", result.stderr
    assert (tmp_path / "grid.gif").stat().st_size > 0


def test_a_large_first_frame_is_stored_compressed_and_read_back_the_same(monkeypatch):
    monkeypatch.setattr(writers.FrameStore, "RAW_BYTES", 100)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 3, (6, 8, 3), dtype=np.uint8) for _ in range(4)]
    store = writers.FrameStore()
    for frame in frames:
        store.add(frame, 100)
    assert not any(isinstance(entry, np.ndarray) for entry in store.entries)  # none raw
    store.close()
    # The difference copy goes before the GIF is encoded, with the worker.
    assert store.previous is None and store.worker is None
    for got, frame in zip(store.frames(), frames, strict=True):
        np.testing.assert_array_equal(got, frame)
        # Each frame a new read-only array: the store keeps no buffer of its own to copy.
        assert not got.flags.writeable
    picked = list(store.frames([1, 3]))
    assert len(picked) == 2 and np.array_equal(picked[1], frames[3])


def test_the_writer_lets_each_frame_go_before_the_next_is_drawn(tmp_path):
    def frames():
        previous = None
        for value in (0, 255, 0):
            assert previous is None or previous() is None, "the frame before is still held"
            frame = np.full((8, 8, 3), value, np.uint8)
            previous = weakref.ref(frame)
            yield frame, 100
            del frame

    writers.write(frames(), [tmp_path / "f.gif"])
    assert (tmp_path / "f.gif").stat().st_size > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_a_big_gif_is_encoded_with_frame_sized_buffers_freed_to_the_system(tmp_path, monkeypatch):
    # Left to rise, glibc's threshold keeps freed frame-sized buffers in each thread's
    # heap: 40 MB more for the chart. Only in the command line's own processes.
    calls = []

    class Libc:
        def __init__(self, name):
            pass

        def mallopt(self, parameter, value):
            calls.append((parameter, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", Libc)
    big = [(np.full((1500, 2000, 3), value, np.uint8), 100) for value in (0, 255)]
    monkeypatch.setattr(writers, "tune_allocator", False)
    writers.write(iter(big), [tmp_path / "a.gif"])
    assert calls == []  # a notebook's process is left alone
    assert cli.render_scene(tmp_path / "missing.toml", tmp_path)[0] == "error"
    assert writers.tune_allocator  # the command line's are tuned
    writers.write(iter(big), [tmp_path / "b.gif"])
    assert calls == [(-3, 2**20)]  # M_MMAP_THRESHOLD, 1 MiB

"""Hostile input: every mistake is one UserError (one line at the command line), never a
traceback, a hang, a lost file or a write outside the output folder."""

import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pytest

import animate
from animate import UserError
from animate.algorithms import registry
from animate.cli import main
from animate.datasets import load_csv, make
from animate.encode import atomic_write
from animate.scenes import load_data, load_scene

from helpers import two_frame_scene

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]])


@pytest.fixture(scope="module")
def trace():
    return animate.run("kmeans", X4, n_clusters=2, init=X4[[0, 2]])


# Data and parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("X", [X4 * 1j, X4 + 0j, [[1 + 2j, 0.0], [3.0, 4.0]]])
def test_complex_data_is_refused_not_cut_to_its_real_part(X):
    with pytest.raises(UserError, match="complex numbers"):
        animate.run("kmeans", X, n_clusters=2)


def test_complex_parameter_arrays_are_refused():
    with pytest.raises(UserError, match="init holds complex numbers"):
        animate.run("kmeans", X4, n_clusters=2, init=X4[:2] + 1j)


def _numeric_parameters():
    for spec in registry.specs():
        for name, allowed in spec.constraints.items():
            if any(getattr(c, "kind", None) in (Integral, Real) for c in allowed):
                yield spec.name, name


@pytest.mark.parametrize(("algorithm", "parameter"), list(_numeric_parameters()))
@pytest.mark.parametrize("value", [10**400, -(10**400), 10**30, float("nan"), 5e-324])
def test_extreme_numbers_in_every_numeric_parameter_give_a_result_or_one_user_error(
    algorithm, parameter, value
):
    params = {parameter: value}
    if parameter == "distance_threshold":
        params["n_clusters"] = None
    try:
        animate.run(algorithm, X4, **params)
    except UserError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("seed", [-1, 2**32, 2**64, 1.5, "0"])
def test_random_state_outside_numpys_range_is_named_in_one_user_error(seed):
    with pytest.raises(
        UserError, match=r"random_state must be a whole number from 0 to 4294967295"
    ):
        animate.run("kmeans", X4, n_clusters=2, random_state=seed)


@pytest.mark.parametrize(
    ("y", "fragment"),
    [
        (3, "the single value 3"),
        ([[0], [0], [1], [1]], "(1-D), got shape (4, 1)"),
        ([0, 0, None, 1], "missing label at row 2"),
        ([0.0, np.nan, 1.0, 1.0], "missing label at row 1"),
        ([0, 1], "2 labels for 4 points"),
    ],
)
def test_bad_true_labels_are_one_user_error(y, fragment):
    with pytest.raises(UserError) as info:
        animate.run("kmeans", X4, y=y, n_clusters=2)
    assert fragment in str(info.value)


def test_text_labels_are_numbered_and_whole_numbers_kept():
    assert animate.run("kmeans", X4, y=list("baab"), n_clusters=2).y.tolist() == [1, 0, 0, 1]
    assert animate.run("kmeans", X4, y=[5, 7, -1, 7], n_clusters=2).y.tolist() == [5, 7, -1, 7]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"n_samples": 10**8}, "1,000,000 points"),
        ({"centers": 10**8}, "centers=100000000 must be between 1 and n_samples=300"),
        ({"n_features": 10**8}, "20,000,000 numbers"),
    ],
)
def test_huge_data_sets_are_refused_at_once(options, fragment):
    with pytest.raises(UserError) as info:
        make("blobs", **options)
    assert fragment in str(info.value)


def test_algorithms_run_on_one_blas_thread(monkeypatch):
    # With a thread per core, a busy machine ran EM's small matrices 3-12x slower.
    from threadpoolctl import threadpool_info

    from animate import api

    seen = []

    def collect(generator):
        seen.extend(info["num_threads"] for info in threadpool_info())
        return original(generator)

    original = api.collect
    monkeypatch.setattr(api, "collect", collect)
    animate.run("em", X4, n_components=2)
    assert seen and set(seen) == {1}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [((5,), "csv must be the path"), ((None,), "csv must be the path"), (("x.csv", 5), "columns")],
)
def test_load_csv_checks_its_arguments(args, fragment):
    with pytest.raises(UserError, match=fragment):
        load_csv(*args)


# Trace files -------------------------------------------------------------------------------


def _zip_with(path, name, data):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, data)


def _npy_header(shape):
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    text = repr(header).encode("latin1")
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text


class _Bomb:
    def __reduce__(self):
        return (os.system, ("touch unpickled",))


def _malformed(tmp_path, trace, kind):
    path = tmp_path / "bad.npz"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        trace.save(path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "missing arrays":
        trace.save(path)
        with zipfile.ZipFile(path) as full, zipfile.ZipFile(tmp_path / "cut.npz", "w") as cut:
            for info in full.infolist():
                if "labels" not in info.filename:
                    cut.writestr(info, full.read(info))
        path = tmp_path / "cut.npz"
    elif kind == ".npy":
        path = tmp_path / "bad.npy"
        np.save(path, np.arange(3))
    elif kind == "absurd shape":  # 745 GiB declared, 100 bytes stored
        _zip_with(path, "X.npy", _npy_header((10**7, 10**4)) + bytes(100))
    elif kind == "pickle":
        np.savez(path, meta=np.array([_Bomb()], dtype=object), allow_pickle=True)
    elif kind == "not json":
        np.savez(path, meta=np.array("{not json"), X=np.zeros((2, 2)))
    return path


@pytest.mark.parametrize(
    "kind",
    ["empty", "truncated", "missing arrays", ".npy", "absurd shape", "pickle", "not json"],
)
def test_trace_load_refuses_malformed_files_without_unpickling(tmp_path, trace, kind, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _malformed(tmp_path, trace, kind)
    with pytest.raises(UserError, match="cannot read trace"):
        animate.Trace.load(path)
    assert not (tmp_path / "unpickled").exists()


@pytest.mark.parametrize("path", [None, 5, ""])
def test_trace_load_and_save_refuse_a_non_path(trace, path):
    with pytest.raises(UserError, match="path must be"):
        animate.Trace.load(path)
    with pytest.raises(UserError):
        trace.save(path)


def test_trace_save_makes_missing_folders_and_refuses_a_folder(tmp_path, trace):
    trace.save(tmp_path / "new" / "folder" / "run.npz")
    assert len(animate.Trace.load(tmp_path / "new" / "folder" / "run.npz")) == len(trace)
    with pytest.raises(UserError, match="is a folder"):
        trace.save(tmp_path / "new")


# Output paths --------------------------------------------------------------------------------


def _write_gif(path, force=False):
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(b"GIF89a new"), force=force)


def test_an_existing_file_that_is_not_ours_is_kept_unless_forced(tmp_path, trace):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    # Named like an animation, holding something else: not replaced either.
    disguised = tmp_path / "notes.gif"
    disguised.write_text("my notes")
    with pytest.raises(UserError, match=r"unknown format '\.txt'"):
        animate.render(trace, notes, size=(160, 120), max_frames=2)
    with pytest.raises(UserError, match="not a GIF"):
        animate.render(trace, disguised, size=(160, 120), max_frames=2)
    assert disguised.read_text() == "my notes"
    with pytest.raises(UserError, match="not a NPZ"):
        trace.save(notes)
    assert notes.read_text() == "my notes"
    _write_gif(notes, force=True)
    assert notes.read_bytes() == b"GIF89a new"


def test_an_earlier_output_or_an_empty_file_is_replaced(tmp_path):
    old = tmp_path / "old.gif"
    old.write_bytes(b"GIF89a old")
    empty = tmp_path / "empty.gif"
    empty.touch()
    for path in (old, empty):
        _write_gif(path)
        assert path.read_bytes() == b"GIF89a new"


def test_pipes_and_devices_are_not_replaced(tmp_path, trace):
    fifo = tmp_path / "pipe.gif"
    os.mkfifo(fifo)
    device = tmp_path / "null.gif"
    device.symlink_to(os.devnull)
    for path in (fifo, device):
        with pytest.raises(UserError, match="not a regular file"):
            _write_gif(path)
        with pytest.raises(UserError, match="not a regular file"):
            trace.save(path)
    assert fifo.is_fifo() and device.is_symlink()


def test_the_command_line_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    notes = tmp_path / "notes.gif"
    notes.write_text("my notes")
    args = [
        "run",
        "kmeans",
        "--dataset",
        "blobs",
        "--n-samples",
        "20",
        "--size",
        "160x120",
        "-o",
        str(notes),
    ]
    assert main(args) == 2
    assert "not a GIF" in capsys.readouterr().err
    assert notes.read_text() == "my notes"
    assert main([*args, "--force"]) == 0
    assert notes.read_bytes().startswith(b"GIF89a")


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, time
        from animate.encode import atomic_write

        def write(tmp):
            open(tmp, "wb").write(b"GIF89a partial")
            print("writing", flush=True)
            time.sleep(60)

        atomic_write({str(tmp_path / "out.gif")!r}, write)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=os.getcwd(), text=True
    )
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# Scene files ---------------------------------------------------------------------------------


def _scene(tmp_path, output="", encoding="utf-8"):
    path = tmp_path / "scene.toml"
    path.write_text(two_frame_scene(output, "size = [160, 120]"), encoding=encoding)
    return path


@pytest.mark.parametrize(
    "output",
    ['"../escaped.gif"', '"/tmp/escaped.gif"', '"a/../../escaped.gif"', '""', "5", '["a.gif"]'],
)
def test_scene_output_must_stay_inside_the_output_folder(tmp_path, output):
    with pytest.raises(UserError, match="output"):
        load_scene(_scene(tmp_path, f"output = {output}"))


def test_a_link_inside_the_output_folder_cannot_lead_out(tmp_path):
    out_dir, outside = tmp_path / "out", tmp_path / "outside"
    out_dir.mkdir()
    outside.mkdir()
    (out_dir / "link").symlink_to(outside)
    scene = load_scene(_scene(tmp_path, 'output = "link/x.gif"'))
    with pytest.raises(UserError, match="leads out of"):
        scene.render(out_dir)
    assert not list(outside.iterdir())


def test_a_scene_may_write_into_a_subfolder_of_the_output_folder(tmp_path):
    scene = load_scene(_scene(tmp_path, 'output = "week1/x.gif"'))
    assert scene.render(tmp_path / "out") == tmp_path / "out" / "week1" / "x.gif"


def test_a_scene_saved_with_a_byte_order_mark_is_read(tmp_path):
    assert load_scene(_scene(tmp_path, encoding="utf-8-sig")).title == "t"


def test_a_misspelt_key_in_a_csv_data_table_is_refused(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,label\n0,0,x\n1,1,y\n")
    with pytest.raises(UserError, match="unknown key 'lable_column'"):
        load_data({"csv": str(csv), "lable_column": "label"})
    with pytest.raises(UserError, match="no option 'lable_column'"):
        load_data({"name": "blobs", "lable_column": "label"})

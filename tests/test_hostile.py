"""Tie-heavy data and hostile input, part two: exact ties broken as scikit-learn breaks
them; render options, scene keys, CSV files and iteration counts that must be refused in
one line (or clamped), never a traceback, a hang or a file written."""

import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import animate

from helpers import two_frame_scene

# Ties -----------------------------------------------------------------------------------


def _lattices(seed, count, max_n=30):
    """Small integer-lattice data sets, some with repeated rows: every distance ties."""
    rng = np.random.RandomState(seed)
    for _ in range(count):
        n, d = rng.randint(2, max_n), rng.randint(1, 4)
        X = rng.randint(0, 4, (n, d)).astype(float)
        if rng.rand() < 0.3:
            X = np.vstack([X, X[: n // 2]])
        yield rng, X


def _kmeans_pair(X, **params):
    from sklearn.cluster import KMeans

    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        ours = animate.run("kmeans", X, **params)
        theirs = KMeans(**params).fit(X)
    return ours, theirs


def _assert_same_kmeans(ours, theirs):
    np.testing.assert_array_equal(ours.final.labels, theirs.labels_)
    np.testing.assert_array_equal(ours.final.centers, theirs.cluster_centers_)
    assert ours.n_iter == theirs.n_iter_
    assert ours.final.inertia == pytest.approx(theirs.inertia_, rel=1e-12, abs=1e-12)


def test_kmeans_breaks_an_exact_tie_as_scikit_learns_gemm_does():
    X = np.array([[0, 0, 1], [0, 0, 0], [0, 1, 1], [0, 2, 2], [0, 1, 0], [1, 0, 0]], float)
    ours, theirs = _kmeans_pair(X, n_clusters=2, init=X[[0, 4]], n_init=1)
    _assert_same_kmeans(ours, theirs)


def test_kmeans_keeps_relocating_a_cluster_that_stays_empty_after_convergence():
    # Clusters 4 and 5 stay empty: scikit-learn's last pass (nothing changed) still
    # moves them to the farthest points, and that pass's centres are its answer.
    X = np.array([2, 3, 1, 0, 1, 2, 0, 3, 0, 2, 0, 3, 3, 0, 3, 0, 0, 0, 0, 2, 3, 0, 3, 2, 3, 3, 1])
    X = np.append(X, [1, 1]).astype(float)[:, None]
    init = np.array([[2.0], [3.0], [0.0], [0.0], [0.0], [3.0]])
    ours, theirs = _kmeans_pair(X, n_clusters=6, init=init, n_init=1)
    _assert_same_kmeans(ours, theirs)
    assert ours.steps[-1].phase == "update" and ours.steps[-1].relocated.tolist() == [4, 5]


def test_kmeans_on_integer_lattices_matches_scikit_learn_exactly():
    for rng, X in _lattices(seed=0, count=40):
        k = rng.randint(1, min(len(X), 6) + 1)
        if rng.rand() < 0.7:
            params = {"init": X[rng.permutation(len(X))[:k]], "n_init": 1}
        else:
            params = {"random_state": int(rng.randint(1000)), "n_init": 2}
        _assert_same_kmeans(*_kmeans_pair(X, n_clusters=k, **params))


def _agglomerative_params(rng, X):
    n = len(X)
    params = {"linkage": ["ward", "complete", "average", "single"][rng.randint(4)]}
    if rng.rand() < 0.3:
        params.update(n_clusters=None, distance_threshold=float(rng.choice([0.5, 1.0, 2.0])))
    else:
        params["n_clusters"] = int(rng.randint(1, n + 1))
    if params["linkage"] != "ward" and rng.rand() < 0.5:
        params["metric"] = ["manhattan", "cosine", "precomputed"][rng.randint(3)]
    graph = rng.rand()
    if graph < 0.25:
        params["connectivity"] = np.ones((n, n))
    elif graph < 0.5 and n > 2:
        from sklearn.neighbors import kneighbors_graph

        params["connectivity"] = kneighbors_graph(X, int(rng.randint(1, n - 1)))
    return params


def test_agglomerative_on_integer_lattices_matches_scikit_learn_exactly():
    from scipy.spatial.distance import pdist, squareform
    from sklearn.cluster import AgglomerativeClustering

    for rng, X in _lattices(seed=1, count=60, max_n=20):
        params = _agglomerative_params(rng, X)
        if params.get("metric") == "cosine":
            X = X + 1  # no point at the origin
        if params.get("metric") == "precomputed":
            X = squareform(pdist(X, "cityblock"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = AgglomerativeClustering(**params).fit(X).labels_
            labels = animate.run("agglomerative", X, **params).final.labels
        np.testing.assert_array_equal(labels, expected, err_msg=str(params))


# Render options -------------------------------------------------------------------------

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]])


@pytest.fixture(scope="module")
def trace():
    return animate.run("kmeans", X4, n_clusters=2, init=X4[[0, 2]])


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"size": (float("inf"), 480)}, "size must be"),
        ({"size": (float("nan"), 480)}, "size must be"),
        ({"size": ("160", 120)}, "size must be"),
        ({"size": 5}, "size must be"),
        ({"size": (-160, 120)}, "size must be"),
        ({"size": (10**30, 10**30)}, "size must be"),
        ({"first_ms": 655_360}, "first_ms must be .* to 655,350"),
        ({"step_ms": 10**30}, "step_ms must be"),
        ({"hold_ms": float("nan")}, "hold_ms must be"),
        ({"step_ms": -5}, "step_ms must be"),
        ({"title": 5}, "title must be text"),
        ({"title": b"bytes"}, "title must be text"),
        ({"caption": ["a"]}, "caption must be text"),
    ],
)
def test_bad_render_options_are_one_error_and_write_nothing(tmp_path, trace, options, fragment):
    with pytest.raises(animate.UserError, match=fragment) as info:
        animate.render(trace, tmp_path / "out.gif", max_frames=2, **options)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cols", [1.5, "2", -1, 0, 3, 10**30, True])
def test_cols_must_be_a_whole_number_of_panels(tmp_path, trace, cols):
    with pytest.raises(animate.UserError, match="cols must be a whole number of panels"):
        animate.compare([trace, trace], tmp_path / "out.gif", cols=cols, size=(320, 160))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", [None, 5, 1.5, ""])
def test_render_refuses_a_path_that_is_not_a_file_name(trace, path):
    with pytest.raises(animate.UserError, match="output path must be a file name"):
        animate.render(trace, path, size=(160, 120), max_frames=2)


@pytest.mark.parametrize("what", [None, "trace", 5])
def test_render_refuses_what_is_not_a_trace(tmp_path, what):
    with pytest.raises(animate.UserError, match="expected Trace objects"):
        animate.render(what, tmp_path / "out.gif")


def test_the_longest_frame_a_gif_stores_is_written(tmp_path, trace):
    from PIL import Image

    path = tmp_path / "long.gif"
    animate.render(trace, path, size=(160, 120), max_frames=2, first_ms=655_350, hold_ms=655_350)
    with Image.open(path) as gif:
        assert gif.info["duration"] == 655_350


def test_affinity_renders_without_its_heat_maps_when_too_small(tmp_path):
    small = animate.run("affinity", np.random.RandomState(0).rand(12, 2))
    animate.render(small, tmp_path / "a.gif", size=(300, 150), max_frames=2)
    assert (tmp_path / "a.gif").read_bytes().startswith(b"GIF89a")


# Scene files and the command line ---------------------------------------------------------


@pytest.mark.parametrize(
    ("render", "fragment"),
    [
        ("size = 5", "size must be"),
        ('size = "big"', "size must be"),
        ("size = [1e308, 480]", "size must be"),
        ("options = 5", "options must be a table"),
        ("cols = 1.5", "cols must be a whole number"),
        ("cols = -1", "cols must be a whole number"),
        ('cols = "2"', "cols must be a whole number"),
        ("first_ms = 1000000000", "first_ms must be"),
        ("hold_ms = 1e400", "hold_ms must be"),
    ],
)
def test_bad_render_keys_in_a_scene_are_one_user_error(tmp_path, render, fragment):
    from animate.scenes import load_scene

    path = tmp_path / "scene.toml"
    path.write_text(two_frame_scene(render=render))
    with pytest.raises(animate.UserError, match=fragment):
        load_scene(path).render(tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("path", [None, 5])
def test_load_scene_refuses_a_non_path(path):
    from animate.scenes import load_scene

    with pytest.raises(animate.UserError, match="a scene must be the path"):
        load_scene(path)


def test_the_command_line_refuses_a_frame_longer_than_gif_stores(tmp_path, capsys):
    from animate.cli import main

    out = tmp_path / "x.gif"
    args = ["run", "kmeans", "--dataset", "blobs", "--n-samples", "20", "-o", str(out)]
    assert main([*args, "--hold-ms", "1000000"]) == 2
    err = capsys.readouterr().err.strip()
    assert "hold_ms must be" in err and "\n" not in err
    assert not out.exists()


def test_list_survives_a_scene_that_is_not_utf8(tmp_path, monkeypatch, capsys):
    from animate.cli import main

    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "bad.toml").write_bytes(b'title = "\xff\xfe"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 0
    assert "bad.toml" in capsys.readouterr().out


# CSV files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("separator", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_csv_with_another_separator_gets_a_hint(tmp_path, separator, name):
    from animate.datasets import load_csv

    path = tmp_path / "d.csv"
    path.write_text(f"a{separator}b\n1{separator}2\n3{separator}4\n")
    with pytest.raises(animate.UserError, match=f"separated by {name}, not commas"):
        load_csv(path)


def test_a_headerless_csv_with_a_text_label_column_keeps_its_first_row(tmp_path):
    from animate.datasets import load_csv

    path = tmp_path / "d.csv"
    path.write_text("0,0,x\n1,1,y\n2,2,x\n3,3,y\n")
    X, y = load_csv(path, label_column=2)
    assert X.tolist() == [[0, 0], [1, 1], [2, 2], [3, 3]] and y.tolist() == [0, 1, 0, 1]
    with pytest.raises(animate.UserError, match="line 1, column 3 holds 'x'"):
        load_csv(path)  # the label column read as data: named, not dropped


def test_a_column_is_named_by_number_from_the_command_line(tmp_path):
    from animate.datasets import read_csv

    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n0,0,x\n1,1,y\n2,2,x\n")
    assert read_csv(path, label_column="2").label_names == ("x", "y")
    assert read_csv(path, columns=["1"]).feature_names == ("b",)
    # A header's own name wins over a number.
    path.write_text("a,b,2\n0,0,5\n1,1,6\n")
    table = read_csv(path, label_column="2")
    assert table.y.tolist() == [5, 6] and table.feature_names == ("a", "b")


def test_the_command_line_takes_a_label_column_by_number(tmp_path):
    from animate.cli import main

    csv = tmp_path / "d.csv"
    csv.write_text("0,0,x\n1,1,y\n5,5,x\n6,6,y\n")
    out = tmp_path / "x.gif"
    args = ["run", "kmeans", "--dataset", str(csv), "--label-column", "2", "--set", "n_clusters=2"]
    assert main([*args, "--size", "160x120", "--max-frames", "2", "-q", "-o", str(out)]) == 0
    assert out.exists()


# Limits: refused at once, the limit named ------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "module"),
    [
        ("affinity", "_affinity"),
        ("agglomerative", "_agglomerative"),
        ("optics", "_optics"),
        ("hdbscan", "_hdbscan"),
    ],
)
def test_quadratic_algorithms_refuse_more_points_than_their_limit(monkeypatch, algorithm, module):
    import importlib

    monkeypatch.setattr(importlib.import_module(f"animate.algorithms.{module}"), "MAX_POINTS", 10)
    X = np.random.RandomState(0).rand(25, 2)
    with pytest.raises(animate.UserError, match=r"25 points .* at most 10: .*X\[::3\]"):
        animate.run(algorithm, X)
    animate.run(algorithm, X[:10])


@pytest.mark.parametrize(
    ("algorithm", "parameter"),
    [
        ("kmeans", "max_iter"),
        ("em", "max_iter"),
        ("meanshift", "max_iter"),
        ("minibatch", "max_iter"),
        ("affinity", "max_iter"),
        ("affinity", "convergence_iter"),
    ],
)
def test_iterations_are_bounded(algorithm, parameter):
    with pytest.raises(animate.UserError, match=f"{parameter} must be .* <= 10000"):
        animate.run(algorithm, np.random.RandomState(0).rand(20, 2), **{parameter: 10_001})


def test_a_run_whose_steps_could_outgrow_memory_is_refused_at_once(monkeypatch):
    from animate.algorithms import _checks

    monkeypatch.setattr(_checks, "available_memory", lambda: 2**20)
    refusal = r"max_iter=100 may keep 200 steps.*2 MiB.*max_iter <= 32"
    with pytest.raises(animate.UserError, match=refusal):
        animate.run("em", np.zeros((1000, 2)), max_iter=100)


def test_spectral_on_a_large_graph_keeps_no_dense_copy(monkeypatch):
    # A dense copy of 100,000 points' neighbour graph is 75 GiB: it is made for small data only.
    from scipy import sparse

    from animate.algorithms import _spectral

    def refuse(*args, **kwargs):
        raise MemoryError("dense copy")

    monkeypatch.setattr(_spectral, "AFFINITY_KEPT_MAX", 10)
    monkeypatch.setattr(sparse.csr_matrix, "toarray", refuse)
    X = np.random.RandomState(0).rand(40, 2)
    trace = animate.run("spectral", X, n_clusters=2, affinity="nearest_neighbors")
    assert trace.final.affinity_matrix is None


def _disk_full(*args, **kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_user_error_and_leaves_no_temporary(tmp_path, trace, monkeypatch):
    from animate.encode import atomic_write

    with pytest.raises(animate.UserError, match=r"cannot write .*No space left on device"):
        atomic_write(tmp_path / "x.gif", _disk_full)
    from animate import writers

    monkeypatch.setattr(writers.GifWriter, "finish", _disk_full)
    with pytest.raises(animate.UserError, match="No space left on device"):
        animate.render(trace, tmp_path / "y.gif", size=(160, 120), max_frames=2)
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_over_time_needs_a_parameter(tmp_path):
    from animate.scenes import load_scene

    path = tmp_path / "scene.toml"
    path.write_text(two_frame_scene() + '[sweep]\nover = "time"\n')
    with pytest.raises(animate.UserError, match="over time needs exactly one parameter"):
        load_scene(path)


def test_titles_the_font_cannot_draw_are_refused_and_tabs_become_spaces(tmp_path, trace):
    with pytest.raises(animate.UserError, match="cannot draw: '例示'"):
        animate.render(trace, tmp_path / "a.gif", size=(160, 120), title="k-means 示例")
    assert not list(tmp_path.iterdir())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Glyph missing" warning
        animate.render(trace, tmp_path / "b.gif", size=(160, 120), max_frames=2, title="a\tb αβ")

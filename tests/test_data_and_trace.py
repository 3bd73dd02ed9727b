"""Data sets, CSV loading, validation, and Trace save/load."""

import numpy as np
import pytest

import animate
from animate.datasets import DATASETS, load_csv, make, validate_data


@pytest.mark.parametrize("name", DATASETS)
def test_every_data_set_is_finite_float_and_reproducible(name):
    X, y = make(name, n_samples=120, random_state=3)
    assert X.dtype == np.float64 and X.shape == (120, 2) and np.isfinite(X).all()
    assert y is None or y.shape == (120,)
    np.testing.assert_array_equal(X, make(name, n_samples=120, random_state=3)[0])
    assert not np.array_equal(X, make(name, n_samples=120, random_state=4)[0])


def test_gaussians4_has_the_tutorials_four_clouds():
    X, y = make("gaussians4", n_samples=4000, random_state=0)
    means = np.array([X[y == k].mean(axis=0) for k in range(4)])
    np.testing.assert_allclose(means, [[5, 5], [15, 15], [17, 3], [2, 16]], atol=0.25)
    assert X[y == 1].std(axis=0) == pytest.approx([3, 3], abs=0.2)
    assert np.bincount(y).tolist() == [1000] * 4


def test_aniso_is_stretched_blobs():
    X, _ = make("aniso", n_samples=600, random_state=0)
    B, _ = make("blobs", n_samples=600, centers=3, random_state=0)
    np.testing.assert_allclose(X, B @ np.array([[0.6, -0.6], [-0.4, 0.8]]))


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: make("spirals"), "unknown data set"),
        (lambda: make("moons", n_samples=1), "n_samples"),
        (lambda: make("moons", colour=3), "no option 'colour'"),
        (lambda: validate_data([[1.0, np.nan], [2.0, 3.0]]), "row 0"),
        (lambda: validate_data([1.0, 2.0, 3.0]), "2-D"),
        (lambda: validate_data([[1.0, 2.0]]), "at least 2 rows"),
        (lambda: validate_data([["a", "b"], ["c", "d"]]), "must be numbers"),
    ],
)
def test_bad_data_raises_user_error(call, fragment):
    with pytest.raises(animate.UserError) as info:
        call()
    assert fragment in str(info.value)


def test_load_csv_with_header_columns_and_labels(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,y,z,kind\n1,2,3,a\n4,5,6,b\n7,8,9,a\n")
    X, y = load_csv(path, label_column="kind")
    np.testing.assert_array_equal(X, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert y.tolist() == [0, 1, 0]
    X, y = load_csv(path, columns=["z", 0])
    np.testing.assert_array_equal(X, [[3, 1], [6, 4], [9, 7]])
    assert y is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x,y\n1,2\n3,oops\n", "line 3, column 2 holds 'oops'"),
        ("x,y\n1,2\n3,\n", "line 3, column 2"),
        ("1,2\n3\n", "line 2 has 1 cells"),
        ("", "empty"),
        ("x,y\n1,2\n", "at least 2 rows"),
    ],
)
def test_bad_csv_names_the_problem(tmp_path, text, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(animate.UserError) as info:
        load_csv(path)
    assert fragment in str(info.value)


def test_missing_csv_and_unknown_column(tmp_path):
    with pytest.raises(animate.UserError, match="does not exist"):
        load_csv(tmp_path / "nope.csv")
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(animate.UserError, match="no column 'c'"):
        load_csv(path, columns=["c"])


def test_trace_save_load_round_trip(tmp_path):
    X, y = make("blobs", n_samples=80, random_state=0)
    trace = animate.run("kmeans", X, y=y, n_clusters=3, init="random", n_init=2)
    trace.save(tmp_path / "t.npz")
    back = animate.Trace.load(tmp_path / "t.npz")
    assert (back.algorithm, back.n_iter, back.converged) == (
        "kmeans",
        trace.n_iter,
        trace.converged,
    )
    assert len(back.steps) == len(trace.steps) and len(back.runs) == 2
    for a, b in zip(trace.steps, back.steps):
        assert (a.phase, a.iteration, a.message, a.inertia) == (
            b.phase,
            b.iteration,
            b.message,
            b.inertia,
        )
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(back.y, y)
    assert back.params["init"] == "random"
    assert [t.n_iter for t in back.runs] == [t.n_iter for t in trace.runs]


def test_trace_load_rejects_a_non_trace(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(animate.UserError, match="cannot read trace"):
        animate.Trace.load(path)


def test_a_trace_with_a_sparse_connectivity_saves_and_draws_the_same(tmp_path):
    from sklearn.neighbors import kneighbors_graph

    X, _ = animate.datasets.make("moons", n_samples=40)
    graph = kneighbors_graph(X, 5)
    trace = animate.run("agglomerative", X, connectivity=graph, linkage="average")
    trace.save(tmp_path / "t.npz")
    back = animate.Trace.load(tmp_path / "t.npz")
    assert back.params["connectivity"] == "csr_matrix of shape (40, 40)"
    assert back.params["linkage"] == "average"
    assert all(np.array_equal(a.labels, b.labels) for a, b in zip(trace.steps, back.steps))
    sweep = animate.sweep("kmeans", X, "n_clusters", [2, 3])
    sweep.save(tmp_path / "s.npz")
    assert animate.Trace.load(tmp_path / "s.npz").params == sweep.params

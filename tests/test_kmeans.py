"""k-means reaches scikit-learn's answer, step by step."""

import itertools

import numpy as np
import pytest
from sklearn.cluster import KMeans

import animate
from animate.datasets import make

CASES = [
    ("blobs", {"centers": 4}, 4),
    ("gaussians4", {}, 4),
    ("moons", {"noise": 0.1}, 3),
    ("varied", {}, 3),
    ("blobs", {"centers": 3, "n_features": 3}, 3),
    ("blobs", {"centers": 5, "n_features": 4}, 5),
    ("uniform", {}, 6),
]


def _sklearn(X, k, **params):
    return KMeans(k, n_init=params.pop("n_init", 1), algorithm="lloyd", **params).fit(X)


@pytest.mark.parametrize(("name", "options", "k"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_explicit_init_matches_sklearn(name, options, k, seed):
    X, _ = make(name, n_samples=400, random_state=seed, **options)
    init = X[np.random.default_rng(seed).choice(len(X), k, replace=False)]
    trace = animate.run("kmeans", X, n_clusters=k, init=init)
    ref = _sklearn(X, k, init=init)
    np.testing.assert_array_equal(trace.final.labels, ref.labels_)
    np.testing.assert_allclose(trace.final.centers, ref.cluster_centers_, atol=1e-8)
    assert trace.n_iter == ref.n_iter_
    assert trace.final.inertia == pytest.approx(ref.inertia_, rel=1e-10)


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize(("name", "options", "k"), CASES[:4])
def test_random_inits_match_sklearn_seed_for_seed(init, name, options, k):
    X, _ = make(name, n_samples=300, random_state=2, **options)
    trace = animate.run("kmeans", X, n_clusters=k, init=init, n_init=3, random_state=7)
    ref = _sklearn(X, k, init=init, n_init=3, random_state=7)
    np.testing.assert_array_equal(trace.final.labels, ref.labels_)
    np.testing.assert_allclose(trace.final.centers, ref.cluster_centers_, atol=1e-8)
    assert trace.n_iter == ref.n_iter_
    assert len(trace.runs) == 3


def test_max_iter_stop_matches_sklearn_and_is_not_converged():
    X, _ = make("uniform", n_samples=500, random_state=0)
    init = X[:8]
    trace = animate.run("kmeans", X, n_clusters=8, init=init, max_iter=2)
    ref = _sklearn(X, 8, init=init, max_iter=2)
    np.testing.assert_array_equal(trace.final.labels, ref.labels_)
    np.testing.assert_allclose(trace.final.centers, ref.cluster_centers_, atol=1e-8)
    assert (trace.n_iter, trace.converged) == (2, False)
    assert "max_iter" in trace.final.message


def test_empty_cluster_is_relocated_as_sklearn_does():
    X, _ = make("blobs", n_samples=200, centers=3, random_state=0)
    # Two centres far outside the data: one of them gets no point at the first assignment.
    init = np.vstack([X[:2], [[100.0, 100.0], [101.0, 100.0]]])
    trace = animate.run("kmeans", X, n_clusters=4, init=init)
    ref = _sklearn(X, 4, init=init)
    np.testing.assert_array_equal(trace.final.labels, ref.labels_)
    np.testing.assert_allclose(trace.final.centers, ref.cluster_centers_, atol=1e-8)
    assert trace.n_iter == ref.n_iter_


def test_steps_alternate_assign_update_and_inertia_never_rises():
    X, _ = make("gaussians4", n_samples=400, random_state=0)
    trace = animate.run("kmeans", X, n_clusters=4, init=X[:4])
    phases = [s.phase for s in trace.steps]
    assert phases[0] == "init"
    assert phases[1:5] == ["assign", "update", "assign", "update"]
    assert (trace.steps[0].labels == -1).all()
    inertia = [s.inertia for s in trace.steps[1:]]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(inertia))
    assert trace.final is trace.steps[-1]


def test_yielded_arrays_are_frozen_copies():
    X, _ = make("blobs", n_samples=100, random_state=0)
    trace = animate.run("kmeans", X, n_clusters=3, init=X[:3])
    centers = [s.centers for s in trace.steps]
    assert not centers[1].flags.writeable
    assert not np.array_equal(centers[0], centers[-1])


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"n_clusters": 0}, "n_clusters"),
        ({"n_clusters": 1000}, "more than the"),
        ({"n_clusters": 2.5}, "whole number"),
        ({"n_clusters": 3, "init": "kmeans"}, "init must be"),
        ({"n_clusters": 3, "init": [[0, 0]]}, "shape (3, 2)"),
        ({"n_clusters": 3, "max_iter": 0}, "max_iter"),
        ({"n_clusters": 3, "tol": -1}, "tol"),
        ({"n_clusters": 3, "colour": "red"}, "no parameter 'colour'"),
    ],
)
def test_bad_parameters_raise_one_user_error(params, fragment):
    X, _ = make("blobs", n_samples=100, random_state=0)
    with pytest.raises(animate.UserError, match=None) as info:
        animate.run("kmeans", X, **params)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_an_update_that_relocates_an_empty_cluster_says_so():
    # scenes/kmeans.toml: the fourth centre starts with no point nearer to it than another.
    X, _ = animate.datasets.make("gaussians4", n_samples=600, random_state=0)
    init = [[0.0, 0.0], [1.5, 1.0], [3.0, -0.5], [0.5, 2.5]]
    steps = list(animate.run("kmeans", X, n_clusters=4, init=init).steps)
    moved = [s for s in steps if s.phase == "update" and len(s.relocated)]
    assert len(moved) == 1 and "farthest" in moved[0].message
    assert all("farthest" not in s.message for s in steps if s is not moved[0])
    assert all(len(s.relocated) == 0 for s in steps if s is not moved[0])


# Every point sits on its centre, so no point can be moved to the empty cluster:
# scikit-learn parks it on the heaviest cluster (on its sum if numbered before it).
UNRELOCATABLE = [
    ([[0, 0], [0, 1], [1, 0], [1, 0]], [[0, 1], [1, 0], [0, 0], [0, 0]]),
    ([[0, 0], [1, 1], [1, 1], [1, 0], [0, 1]], None),  # scikit-learn's regression test
    ([[0, 0], [1, 0], [1, 0], [0, 1]], [[0, 0], [0, 0], [1, 0], [0, 1]]),
]


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
@pytest.mark.parametrize(("X", "init"), UNRELOCATABLE)
def test_empty_cluster_that_cannot_be_relocated_is_parked_as_sklearn_does(X, init):
    X = np.array(X, dtype=float)
    init = X.copy() if init is None else np.array(init, dtype=float)
    trace = animate.run("kmeans", X, n_clusters=len(init), init=init)
    ref = _sklearn(X, len(init), init=init)
    np.testing.assert_array_equal(trace.final.labels, ref.labels_)
    np.testing.assert_array_equal(trace.final.centers, ref.cluster_centers_)
    assert trace.n_iter == ref.n_iter_


@pytest.mark.parametrize("init", ["k-means++", "random", "given"])
@pytest.mark.parametrize("seed", [0, 3])
def test_sample_weight_matches_sklearn(init, seed):
    X, _ = make("blobs", n_samples=300, centers=4, n_features=3, random_state=seed)
    weights = np.random.default_rng(seed).uniform(0, 5, len(X))
    weights[::7] = 0.0
    init, n_init = (X[:4], 1) if init == "given" else (init, 3)
    params = {"init": init, "n_init": n_init, "random_state": seed}
    trace = animate.run("kmeans", X, n_clusters=4, sample_weight=weights, **params)
    ref = _sklearn(X, 4, **params).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(trace.final.labels, ref.labels_)
    np.testing.assert_allclose(trace.final.centers, ref.cluster_centers_, atol=1e-8)
    assert trace.final.inertia == pytest.approx(ref.inertia_, rel=1e-10)
    assert trace.n_iter == ref.n_iter_


@pytest.mark.parametrize(
    ("weights", "fragment"),
    [
        (np.ones(99), "shape (100,)"),
        (-np.ones(100), "must not be negative"),
        (np.zeros(100), "0 for every point"),
        (np.r_[np.nan, np.ones(99)], "missing or infinite"),
        ("heavy", "sample_weight must be"),
    ],
)
def test_bad_sample_weight_raises_one_user_error(weights, fragment):
    X, _ = make("blobs", n_samples=100, random_state=0)
    with pytest.raises(animate.UserError) as info:
        animate.run("kmeans", X, n_clusters=3, sample_weight=weights)
    assert fragment in str(info.value)

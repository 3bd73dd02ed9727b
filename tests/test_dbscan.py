"""DBSCAN: the same core points and labels as scikit-learn, grown step by step."""

import itertools

import numpy as np
import pytest
from sklearn.cluster import DBSCAN

import animate
from animate.algorithms import _dbscan
from animate.algorithms._dbscan import dbscan
from animate.api import collect as run_generator
from animate.datasets import make, validate_data


def collect(X, **params):
    """All steps of a run and its return value."""
    return run_generator(dbscan(X, **params))


def assert_same_as_sklearn(X, **params):
    steps, info = collect(X, **params)
    reference = DBSCAN(**params).fit(X)
    core = np.zeros(len(X), dtype=bool)
    core[reference.core_sample_indices_] = True
    np.testing.assert_array_equal(steps[-1].core, core)
    np.testing.assert_array_equal(steps[-1].labels, reference.labels_)
    assert info == {"n_iter": reference.labels_.max() + 1, "converged": True}
    return steps


DATA = {
    "blobs": make("blobs")[0],
    "moons": make("moons", noise=0.1)[0],
    "circles": make("circles", noise=0.08)[0],
}


@pytest.mark.parametrize("name", DATA)
@pytest.mark.parametrize(
    ("eps", "min_samples"),
    [(0.1, 3), (0.15, 5), (0.2, 10), (0.3, 5), (0.6, 5), (1.0, 10), (0.05, 1)],
)
def test_core_and_labels_match_sklearn(name, eps, min_samples):
    assert_same_as_sklearn(DATA[name], eps=eps, min_samples=min_samples)


@pytest.mark.parametrize(
    ("metric", "p", "eps"),
    [
        ("manhattan", None, 0.2),
        ("chebyshev", None, 0.12),
        ("minkowski", 3, 0.15),
        ("cosine", None, 0.002),
    ],
)
def test_other_metrics_match_sklearn(metric, p, eps):
    assert_same_as_sklearn(DATA["moons"], eps=eps, min_samples=5, metric=metric, p=p)


def test_minkowski_without_p_is_euclidean():
    # scikit-learn's DBSCAN fails on metric="minkowski", p=None; we read it as p=2.
    steps, _ = collect(DATA["moons"], eps=0.15, min_samples=5, metric="minkowski")
    reference = DBSCAN(eps=0.15, min_samples=5).fit(DATA["moons"])
    np.testing.assert_array_equal(steps[-1].labels, reference.labels_)


@pytest.mark.parametrize(("eps", "min_samples"), [(0.8, 5), (1.2, 10), (0.5, 3)])
def test_three_features_match_sklearn(eps, min_samples):
    X, _ = make("blobs", n_samples=300, n_features=3, random_state=0)
    assert_same_as_sklearn(X, eps=eps, min_samples=min_samples)


@pytest.mark.parametrize("name", DATA)
def test_labels_only_grow(name):
    steps = assert_same_as_sklearn(DATA[name], eps=0.15, min_samples=5)
    assert (steps[0].labels == -1).all()
    for before, after in itertools.pairwise(steps):
        taken = before.labels != -1
        np.testing.assert_array_equal(after.labels[taken], before.labels[taken])
        assert after.iteration >= before.iteration


def test_every_step_carries_the_state():
    X = DATA["moons"]
    steps, info = collect(X, eps=0.15, min_samples=5)
    assert [s.phase for s in steps[:2]] == ["init", "expand"]
    assert [s.phase for s in steps[-2:]] == ["noise", "final"]
    assert {s.phase for s in steps[1:-2]} == {"expand"}
    n_neighbors = steps[0].n_neighbors
    for step in steps:
        np.testing.assert_array_equal(step.n_neighbors, n_neighbors)
        np.testing.assert_array_equal(step.core, n_neighbors >= 5)
        assert step.eps == 0.15
        assert set(step.frontier) <= set(np.flatnonzero(step.core))
        assert (step.labels[step.frontier] == step.cluster).all()
        if step.visited != -1:
            assert step.labels[step.visited] == step.cluster
            assert step.core[step.visited]
    assert steps[-1].iteration == info["n_iter"]
    # Each cluster's first step explores its seed; its last leaves an empty frontier.
    for cluster in range(info["n_iter"]):
        own = [s for s in steps if s.phase == "expand" and s.cluster == cluster]
        seeds = np.flatnonzero((own[0].labels == cluster) & own[0].core)
        assert own[0].visited == seeds.min()
        assert len(own[-1].frontier) == 0


def test_small_data_is_narrated_point_by_point():
    X, _ = make("blobs", n_samples=30, random_state=0)
    steps = assert_same_as_sklearn(X, eps=1.0, min_samples=4)
    core = steps[0].core
    visits = [s for s in steps if s.phase == "visit"]
    expands = [s for s in steps if s.phase == "expand"]
    # Every core point is explored once; every point met unlabelled and not core is noise for now.
    assert sorted(s.visited for s in expands) == list(np.flatnonzero(core))
    assert visits and all(not core[s.visited] and s.cluster == -1 for s in visits)
    assert all("noise for now" in s.message for s in visits)
    assert "starts cluster 0" in expands[0].message


def test_many_tiny_clusters_stay_within_the_step_budget():
    X, _ = make("uniform", n_samples=2000, random_state=0)
    steps = assert_same_as_sklearn(X, eps=0.005, min_samples=1)
    assert steps[-1].labels.max() > 1000
    assert len(steps) <= _dbscan._MAX_EXPAND_STEPS + 3


def test_no_core_point_means_all_noise():
    steps, info = collect(DATA["blobs"], eps=0.01, min_samples=5)
    assert info["n_iter"] == 0
    assert [s.phase for s in steps] == ["init", "noise", "final"]
    assert (steps[-1].labels == -1).all()
    assert "try a larger eps" in steps[-1].message


def test_twenty_thousand_points_keep_few_steps():
    X, _ = make("blobs", n_samples=20000, random_state=0)
    steps, info = collect(X, eps=0.1, min_samples=5)
    assert len(steps) <= _dbscan._MAX_EXPAND_STEPS + 3
    assert info["n_iter"] > 50


X_SMALL = validate_data(DATA["blobs"][:50])


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"eps": 0}, "eps"),
        ({"eps": -1.0}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"eps": "big"}, "eps"),
        ({"min_samples": 0}, "min_samples"),
        ({"min_samples": 2.5}, "min_samples"),
        ({"min_samples": True}, "min_samples"),
        ({"metric": "euclidian"}, "metric"),
        ({"metric": "precomputed"}, "metric"),
        ({"metric": "mahalanobis"}, "metric"),
        ({"metric": "minkowski", "p": 0}, "p"),
        ({"metric": "minkowski", "p": -2}, "p"),
        ({"metric": "haversine"}, "haversine"),
    ],
)
def test_bad_input_is_a_user_error(params, words):
    X = (
        validate_data(make("blobs", n_samples=50, n_features=3)[0])
        if "metric" in params
        else X_SMALL
    )
    with pytest.raises(animate.UserError, match=words):
        next(dbscan(X, **params))


def test_an_eps_too_large_for_memory_is_refused(monkeypatch):
    monkeypatch.setattr(_dbscan, "available_memory", lambda: 1_000_000)
    with pytest.raises(animate.UserError, match="smaller eps"):
        next(dbscan(DATA["blobs"], eps=100.0))
    assert next(dbscan(DATA["blobs"], eps=0.3)).phase == "init"


PARITY_DATA = [
    ("blobs", {}, 0.5, 5),
    ("moons", {"noise": 0.1}, 0.2, 5),
    ("blobs", {"n_features": 3}, 0.8, 4),
    ("uniform", {}, 0.1, 3),
]


@pytest.mark.parametrize(("name", "options", "eps", "min_samples"), PARITY_DATA)
@pytest.mark.parametrize("n", [50, 300])
@pytest.mark.parametrize("distance", ["euclidean", "manhattan"])
def test_precomputed_distances_match_sklearn(name, options, eps, min_samples, n, distance):
    from sklearn.metrics import pairwise_distances

    X, _ = make(name, n_samples=n, random_state=1, **options)
    D = pairwise_distances(X, metric=distance)
    steps, _ = collect(D, eps=eps, min_samples=min_samples, metric="precomputed")
    ref = DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit(D)
    np.testing.assert_array_equal(steps[-1].labels, ref.labels_)
    np.testing.assert_array_equal(np.flatnonzero(steps[-1].core), ref.core_sample_indices_)
    same, _ = collect(X, eps=eps, min_samples=min_samples, metric=distance)
    np.testing.assert_allclose(steps[-1].k_distances, same[-1].k_distances, rtol=1e-12)


@pytest.mark.parametrize(("name", "options", "eps", "min_samples"), PARITY_DATA)
@pytest.mark.parametrize("n", [50, 300])
def test_sample_weight_matches_sklearn(name, options, eps, min_samples, n):
    X, _ = make(name, n_samples=n, random_state=1, **options)
    weights = np.random.default_rng(n).uniform(-0.5, 3.0, n)  # negative ones too
    steps, _ = collect(X, eps=eps, min_samples=min_samples, sample_weight=weights)
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(steps[-1].labels, ref.labels_)
    np.testing.assert_array_equal(np.flatnonzero(steps[-1].core), ref.core_sample_indices_)


def test_a_heavy_point_is_a_core_point_on_its_own():
    X = np.array([[0.0], [10.0], [20.0], [20.3]])
    steps, _ = collect(X, eps=0.5, min_samples=3, sample_weight=[3, 1, 1, 1])
    assert steps[-1].core.tolist() == [True, False, False, False]
    assert steps[-1].labels.tolist() == [0, -1, -1, -1]
    assert "a weight of 3" in steps[1].message


@pytest.mark.parametrize(
    ("X", "params", "fragment"),
    [
        (np.ones((4, 3)), {"metric": "precomputed"}, "square matrix"),
        (-np.ones((4, 4)), {"metric": "precomputed"}, "none negative"),
        (np.ones((4, 2)), {"sample_weight": [1, 2]}, r"shape \(4,\)"),
        (np.ones((4, 2)), {"sample_weight": [1, 2, np.inf, 1]}, "infinite"),
    ],
)
def test_bad_distances_or_weights_are_one_user_error(X, params, fragment):
    with pytest.raises(animate.UserError, match=fragment):
        collect(X, **params)

"""Spectral clustering reaches scikit-learn's labels through its own steps."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import SpectralClustering
from sklearn.manifold import spectral_embedding
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import rbf_kernel

import animate
from animate.algorithms import _spectral
from animate.algorithms.registry import function
from animate.datasets import make

CASES = [
    ("blobs", {"centers": 3}, 3),
    ("moons", {"noise": 0.05}, 2),
    ("circles", {}, 2),
    ("blobs", {"centers": 3, "n_features": 3}, 3),
    ("blobs", {"centers": 4, "n_features": 4}, 4),
]


def _sklearn(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SpectralClustering(**params).fit(X)


def _data(name, options, seed, affinity, n=120):
    X, _ = make(name, n_samples=n, random_state=seed, **options)
    return rbf_kernel(X, gamma=0.5) if affinity == "precomputed" else X


@pytest.mark.parametrize("assign_labels", ["kmeans", "discretize", "cluster_qr"])
@pytest.mark.parametrize("affinity", ["rbf", "nearest_neighbors", "precomputed"])
@pytest.mark.parametrize(("name", "options", "k"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_labels_match_sklearn(assign_labels, affinity, name, options, k, seed):
    X = _data(name, options, seed, affinity)
    params = dict(n_clusters=k, affinity=affinity, assign_labels=assign_labels, random_state=seed)
    trace, ref = animate.run("spectral", X, **params), _sklearn(X, **params)
    assert adjusted_rand_score(trace.final.labels, ref.labels_) == 1.0
    # Each method fixes its numbering (k-means' order of centres, argmax columns).
    np.testing.assert_array_equal(trace.final.labels, ref.labels_)


@pytest.mark.parametrize("affinity", ["rbf", "nearest_neighbors"])
@pytest.mark.parametrize(("name", "options", "k"), CASES[::2])
def test_embedding_matches_sklearn_up_to_sign(affinity, name, options, k):
    X = _data(name, options, 3, affinity)
    params = dict(n_clusters=k, affinity=affinity, random_state=3, n_components=k + 1)
    trace, ref = animate.run("spectral", X, **params), _sklearn(X, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a k-NN graph may be disconnected
        expected = spectral_embedding(
            ref.affinity_matrix_, n_components=k + 1, random_state=3, drop_first=False
        )
    ours = trace.final.embedding
    assert ours.shape == (len(X), k + 1)
    signs = np.sign((ours * expected).sum(axis=0))
    np.testing.assert_allclose(ours * signs, expected, atol=1e-6)


def test_embedding_is_the_normalised_laplacians_eigenvectors():
    # An independent check by dense linear algebra: the moons' first two eigenvectors.
    X, _ = make("moons", n_samples=150, random_state=0, noise=0.05)
    trace = animate.run("spectral", X, n_clusters=2, gamma=10.0)
    W = rbf_kernel(X, gamma=10.0)
    np.fill_diagonal(W, 0.0)  # the Laplacian ignores self-links
    degree = W.sum(axis=1)
    L = np.eye(len(X)) - W / np.sqrt(np.outer(degree, degree))
    _, vectors = np.linalg.eigh(L)
    # The embedding is u = D^-1/2 x for the Laplacian's unit eigenvectors x.
    ours = trace.final.embedding * np.sqrt(degree)[:, None]
    ours /= np.linalg.norm(ours, axis=0)
    np.testing.assert_allclose(np.abs(ours.T @ vectors[:, :2]), np.eye(2), atol=1e-6)


def test_moons_separate_with_nearest_neighbours():
    X, y = make("moons", n_samples=200, random_state=0, noise=0.05)
    trace = animate.run("spectral", X, n_clusters=2, affinity="nearest_neighbors")
    assert adjusted_rand_score(trace.final.labels, y) == 1.0


def test_steps_go_graph_embedding_assignment_final():
    X, _ = make("blobs", n_samples=120, random_state=0, centers=3)
    trace = animate.run("spectral", X, n_clusters=3, affinity="nearest_neighbors")
    phases = [s.phase for s in trace.steps]
    assert phases[:3] == ["init", "embedding", "kmeans-init"]
    assert phases[-1] == "final" and "kmeans-assign" in phases
    graph = trace.steps[0]
    assert graph.edges.shape[1] == 2 and (graph.edges[:, 0] < graph.edges[:, 1]).all()
    assert len(graph.weights) == len(graph.edges) and (graph.weights > 0).all()
    centers = [s.centers for s in trace.steps if s.phase.startswith("kmeans")]
    assert all(c.shape == (3, 3) for c in centers)
    assert trace.final.affinity_matrix.shape == (120, 120)
    discretized = animate.run("spectral", X, n_clusters=3, assign_labels="discretize")
    assert {s.phase for s in discretized.steps[2:-1]} == {"discretize"}
    assert discretized.n_iter == len(discretized.steps) - 3


def test_strongest_edges_keep_each_points_strongest_links():
    W = np.array(
        [[1.0, 0.9, 0.5, 0.1], [0.9, 1.0, 0.2, 0.3], [0.5, 0.2, 1.0, 0.0], [0.1, 0.3, 0.0, 1.0]]
    )
    edges, weights = _spectral._strongest_edges(W, per_point=1)
    # 0-1 is both ends' strongest; 2's strongest is 0-2, 3's is 1-3.
    assert edges.tolist() == [[0, 1], [0, 2], [1, 3]]
    assert weights.tolist() == [0.9, 0.5, 0.3]


def test_large_data_keeps_no_dense_affinity(monkeypatch):
    monkeypatch.setattr(_spectral, "AFFINITY_KEPT_MAX", 50)
    X, _ = make("blobs", n_samples=80, random_state=0, centers=2)
    trace = animate.run("spectral", X, n_clusters=2)
    assert trace.final.affinity_matrix is None


@pytest.mark.parametrize(
    ("params", "data", "fragment"),
    [
        ({"affinity": "cosine"}, "points", "affinity must be"),
        ({"assign_labels": "argmax"}, "points", "assign_labels must be"),
        ({"affinity": "nearest_neighbors", "n_neighbors": 30}, "points", "n_neighbors=30"),
        ({"affinity": "precomputed"}, "points", "square matrix"),
        ({"affinity": "precomputed"}, "negative", "negative entries"),
        ({"gamma": -1.0}, "points", "gamma must be"),
        ({"n_init": 0}, "points", "n_init must be"),
    ],
)
def test_bad_parameters_raise_one_user_error_before_any_work(params, data, fragment, monkeypatch):
    X, _ = make("blobs", n_samples=30, random_state=0)
    if data == "negative":
        X = rbf_kernel(X) - 0.5

    def no_work(*args, **kwargs):
        raise AssertionError("the affinity was built before the parameters were checked")

    monkeypatch.setattr(_spectral, "_affinity_matrix", no_work)
    with pytest.raises(animate.UserError) as info:
        next(iter(function("spectral")(X, n_clusters=2, **params)))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("assign_labels", ["kmeans", "discretize"])
def test_lobpcg_solver_matches_sklearn(assign_labels):
    # lobpcg starts from random vectors drawn from random_state: the same draws as scikit-learn.
    X, _ = make("blobs", n_samples=150, random_state=5, centers=3, n_features=3)
    params = dict(n_clusters=3, eigen_solver="lobpcg", assign_labels=assign_labels, random_state=5)
    trace, ref = animate.run("spectral", X, **params), _sklearn(X, **params)
    np.testing.assert_array_equal(trace.final.labels, ref.labels_)


def test_amg_without_pyamg_is_a_user_error(monkeypatch):
    monkeypatch.setattr(_spectral.importlib.util, "find_spec", lambda name: None)
    X, _ = make("blobs", n_samples=30, random_state=0)
    with pytest.raises(animate.UserError, match="pyamg"):
        next(iter(function("spectral")(X, n_clusters=2, eigen_solver="amg")))

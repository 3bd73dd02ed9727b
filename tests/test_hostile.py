"""Tie-heavy data and hostile input, part two: exact ties broken as scikit-learn breaks
them; render options, scene keys, CSV files and iteration counts that must be refused in
one line (or clamped), never a traceback, a hang or a file written."""

import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import animate

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

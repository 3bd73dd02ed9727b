"""Agglomerative clustering: parity with scipy's linkage and scikit-learn's labels, the
steps it yields, speed, memory, bad input."""

import itertools
import warnings

import numpy as np
import pytest
from scipy.cluster.hierarchy import linkage as scipy_linkage
from scipy.spatial.distance import pdist, squareform
from sklearn.cluster import AgglomerativeClustering
from sklearn.neighbors import kneighbors_graph

import animate
import animate.algorithms._checks as checks
from animate.algorithms._agglomerative import agglomerative
from animate.api import collect
from animate.datasets import make, validate_data

DATASETS = {
    "blobs": lambda: make("blobs", n_samples=150, random_state=0)[0],
    "blobs60": lambda: make("blobs", n_samples=60, random_state=1)[0],
    "gaussians4": lambda: make("gaussians4", n_samples=200, random_state=0)[0],
    "moons": lambda: make("moons", n_samples=120, random_state=0)[0],
    "blobs3d": lambda: make("blobs", n_samples=100, n_features=3, random_state=0)[0],
}
# (our linkage, our metric, scipy's metric)
COMBINATIONS = [("ward", "euclidean", "euclidean")] + [
    (linkage, metric, scipy_metric)
    for linkage in ("single", "complete", "average")
    for metric, scipy_metric in [
        ("euclidean", "euclidean"),
        ("manhattan", "cityblock"),
        ("cosine", "cosine"),
    ]
]
LINKAGES = ("ward", "complete", "average", "single")


def same_clusters(a, b):
    """True if two labellings are the same partition, up to renumbering."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def assert_same_tree(Z, reference):
    assert Z.shape == reference.shape
    np.testing.assert_array_equal(np.sort(Z[:, :2], axis=1), np.sort(reference[:, :2], axis=1))
    np.testing.assert_allclose(Z[:, 2], reference[:, 2], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(Z[:, 3], reference[:, 3])


def sklearn_fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "connected components ... completing it"
        return AgglomerativeClustering(compute_distances=True, **params).fit(X)


def run(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return collect(agglomerative(X, **params))


@pytest.mark.parametrize(("linkage", "metric", "scipy_metric"), COMBINATIONS)
@pytest.mark.parametrize("name", list(DATASETS))
def test_linkage_matches_scipy(name, linkage, metric, scipy_metric):
    X = DATASETS[name]()
    steps, info = run(X, n_clusters=3, linkage=linkage, metric=metric)
    assert_same_tree(steps[-1].linkage, scipy_linkage(X, method=linkage, metric=scipy_metric))
    assert info == {"n_iter": len(X) - 1, "converged": True}


@pytest.mark.parametrize(("linkage", "metric", "scipy_metric"), COMBINATIONS)
@pytest.mark.parametrize("name", ["blobs", "gaussians4", "moons", "blobs3d"])
def test_labels_match_sklearn(name, linkage, metric, scipy_metric):
    X = DATASETS[name]()
    for n_clusters in (2, 4, 7):
        steps, _ = run(X, n_clusters=n_clusters, linkage=linkage, metric=metric)
        reference = sklearn_fit(X, n_clusters=n_clusters, linkage=linkage, metric=metric)
        assert same_clusters(steps[-1].labels, reference.labels_)
        if linkage != "single":  # scikit-learn builds its own single-linkage tree
            np.testing.assert_array_equal(steps[-1].labels, reference.labels_)


@pytest.mark.parametrize("linkage", LINKAGES)
@pytest.mark.parametrize("n_neighbors", [5, 10])
@pytest.mark.parametrize("name", ["circles", "moons"])
def test_connectivity_matches_sklearn(name, n_neighbors, linkage):
    X = make(name, n_samples=200, random_state=0)[0]
    graph = kneighbors_graph(X, n_neighbors, include_self=False)
    metrics = ["euclidean"] if linkage == "ward" else ["euclidean", "manhattan", "cosine"]
    for metric in metrics:
        for n_clusters in (2, 5):
            steps, _ = run(
                X, n_clusters=n_clusters, linkage=linkage, metric=metric, connectivity=graph
            )
            reference = sklearn_fit(
                X, n_clusters=n_clusters, linkage=linkage, metric=metric, connectivity=graph
            )
            assert same_clusters(steps[-1].labels, reference.labels_)
            Z = steps[-1].linkage
            # The same merges in the same order (scikit-learn's), at the same heights.
            np.testing.assert_array_equal(Z[:, :2], np.sort(reference.children_, axis=1))
            np.testing.assert_allclose(Z[:, 2], reference.distances_, rtol=0, atol=1e-9)


def test_graph_in_pieces_is_joined_with_a_warning():
    X = make("circles", n_samples=200, random_state=0)[0]
    graph = kneighbors_graph(X, 5, include_self=False)
    with pytest.warns(UserWarning, match="2 separate pieces"):
        steps, _ = collect(agglomerative(X, n_clusters=2, linkage="average", connectivity=graph))
    assert "2 separate pieces" in steps[0].message
    reference = sklearn_fit(X, n_clusters=2, linkage="average", connectivity=graph)
    assert same_clusters(steps[-1].labels, reference.labels_)


def test_connectivity_as_number_of_neighbours():
    X = make("moons", n_samples=150, random_state=0)[0]
    by_number, _ = run(X, n_clusters=3, linkage="complete", connectivity=7)
    by_graph, _ = run(
        X, n_clusters=3, linkage="complete", connectivity=kneighbors_graph(X, 7, include_self=False)
    )
    np.testing.assert_array_equal(by_number[-1].linkage, by_graph[-1].linkage)
    np.testing.assert_array_equal(by_number[0].edges, by_graph[0].edges)


@pytest.mark.parametrize("linkage", LINKAGES)
def test_distance_threshold_matches_sklearn(linkage):
    X = DATASETS["gaussians4"]()
    heights = run(X, n_clusters=2, linkage=linkage)[0][-1].linkage[:, 2]
    for threshold in np.quantile(heights, [0.5, 0.9, 0.99]):
        steps, _ = run(X, n_clusters=None, distance_threshold=threshold, linkage=linkage)
        reference = sklearn_fit(X, n_clusters=None, distance_threshold=threshold, linkage=linkage)
        cut = steps[-1]
        assert cut.n_clusters_found == reference.n_clusters_
        assert cut.threshold == threshold
        assert same_clusters(cut.labels, reference.labels_)


def test_distance_threshold_with_connectivity_matches_sklearn():
    X = make("moons", n_samples=200, random_state=0)[0]
    graph = kneighbors_graph(X, 10, include_self=False)
    for threshold in (0.5, 2.0, 8.0):
        steps, _ = run(X, n_clusters=None, distance_threshold=threshold, connectivity=graph)
        reference = sklearn_fit(
            X, n_clusters=None, distance_threshold=threshold, connectivity=graph
        )
        assert steps[-1].n_clusters_found == reference.n_clusters_
        assert same_clusters(steps[-1].labels, reference.labels_)


@pytest.mark.parametrize("linkage", ["single", "complete", "average"])
def test_precomputed_distances(linkage):
    X = DATASETS["blobs"]()
    D = squareform(pdist(X, "cityblock"))
    steps, _ = run(D, n_clusters=4, linkage=linkage, metric="precomputed")
    assert_same_tree(steps[-1].linkage, scipy_linkage(pdist(X, "cityblock"), method=linkage))
    reference = sklearn_fit(D, n_clusters=4, linkage=linkage, metric="precomputed")
    assert same_clusters(steps[-1].labels, reference.labels_)
    graph = kneighbors_graph(X, 8, include_self=False)
    steps, _ = run(D, n_clusters=4, linkage=linkage, metric="precomputed", connectivity=graph)
    reference = sklearn_fit(
        D, n_clusters=4, linkage=linkage, metric="precomputed", connectivity=graph
    )
    assert same_clusters(steps[-1].labels, reference.labels_)


@pytest.mark.parametrize("connectivity", [None, 6])
@pytest.mark.parametrize("linkage", LINKAGES)
def test_steps_one_merge_at_a_time_and_colours_stay(linkage, connectivity):
    X = DATASETS["blobs60"]()
    n = len(X)
    steps, _ = run(X, n_clusters=3, linkage=linkage, connectivity=connectivity)
    assert [s.phase for s in steps] == ["init"] + ["merge"] * (n - 1) + ["cut"]
    np.testing.assert_array_equal(steps[0].labels, np.arange(n))
    Z = steps[-1].linkage
    members = {i: {i} for i in range(n)}
    for i, (before, step) in enumerate(itertools.pairwise(steps[:-1])):
        a, b = step.merged
        assert (a, b) == (Z[i, 0], Z[i, 1])
        assert step.distance == Z[i, 2] and step.size == Z[i, 3] and step.n_merges == i + 1
        members[n + i] = members[a] | members[b]
        # The merged cluster shows the label of its larger part (the older one on a tie).
        larger = a if len(members[a]) >= len(members[b]) else b
        expected = before.labels.copy()
        expected[list(members[n + i])] = before.labels[next(iter(members[larger]))]
        np.testing.assert_array_equal(step.labels, expected)
        assert len(np.unique(step.labels)) == n - i - 1
    if connectivity is None:
        assert np.all(np.diff(Z[:, 2]) >= 0)  # merges shown by increasing height


def test_cut_step_fields():
    X = DATASETS["gaussians4"]()
    steps, _ = run(X, n_clusters=4)
    cut = steps[-1]
    heights = cut.linkage[:, 2]
    assert cut.n_clusters_found == 4 and len(np.unique(cut.labels)) == 4
    assert heights[-4] < cut.threshold < heights[-3]
    assert np.count_nonzero(heights >= cut.threshold) + 1 == 4
    assert cut.message == "Cut the tree into 4 clusters"
    assert steps[1].message.startswith("Merge clusters ")
    # The cut agrees with the merge step that left 4 clusters.
    assert same_clusters(cut.labels, steps[len(X) - 4].labels)


def test_two_thousand_points_give_scipys_tree():
    X = make("blobs", n_samples=2000, random_state=0)[0]
    steps, info = collect(agglomerative(X, n_clusters=4))
    assert info["n_iter"] == 1999
    assert_same_tree(steps[-1].linkage, scipy_linkage(X, method="ward"))


def test_refuses_too_many_points(monkeypatch):
    monkeypatch.setattr(checks, "available_memory", lambda: 10**6)
    X = make("blobs", n_samples=500, random_state=0)[0]
    with pytest.raises(animate.UserError, match="subsample"):
        next(agglomerative(X))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"linkage": "ward", "metric": "manhattan"}, "ward"),
        ({"linkage": "ward", "metric": "cosine"}, "ward"),
        ({"n_clusters": 3, "distance_threshold": 1.0}, "n_clusters=None"),
        ({"n_clusters": None}, "distance_threshold"),
        ({"n_clusters": None, "distance_threshold": -1.0}, "distance_threshold"),
        ({"connectivity": np.eye(5)}, "connectivity"),
        ({"connectivity": 0}, "connectivity"),
        ({"linkage": "centroid"}, "linkage"),
        ({"metric": "chebyshev", "linkage": "average"}, "metric"),
        ({"metric": "precomputed", "linkage": "average"}, "square"),
        ({"n_clusters": 41}, "n_clusters"),
        ({"n_clusters": 0}, "n_clusters"),
    ],
)
def test_bad_input_raises_user_error(params, match):
    X = validate_data(make("blobs", n_samples=40, random_state=0)[0])
    with pytest.raises(animate.UserError, match=match):
        next(agglomerative(X, **params))


def test_bad_precomputed_and_cosine_input():
    D = validate_data(squareform(pdist(DATASETS["blobs60"]())))
    asymmetric = D.copy()
    asymmetric[0, 1] += 1.0
    with pytest.raises(animate.UserError, match="symmetric"):
        next(agglomerative(asymmetric, metric="precomputed", linkage="average"))
    X = validate_data(np.vstack([np.zeros((1, 2)), DATASETS["blobs60"]()]))
    with pytest.raises(animate.UserError, match="cosine"):
        next(agglomerative(X, metric="cosine", linkage="average"))


@pytest.mark.parametrize("linkage", ["single", "complete"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_each_merge_names_the_pair_its_linkage_measured(linkage, metric):
    X = make("blobs", n_samples=50, random_state=3)[0]
    steps, _ = collect(agglomerative(X, n_clusters=3, linkage=linkage, metric=metric))
    D = squareform(pdist(X, {"manhattan": "cityblock"}.get(metric, metric)))
    labels_before = steps[0].labels
    for step in steps[1:-1]:
        i, j = step.witness
        # One point from each of the two clusters, at exactly the merge's distance.
        assert labels_before[i] != labels_before[j]
        assert {labels_before[i], labels_before[j]} <= set(
            labels_before[step.labels == step.labels[i]]
        )
        assert D[i, j] == pytest.approx(step.distance, rel=1e-12)
        parts = step.labels == step.labels[i]
        a, b = (
            parts & (labels_before == labels_before[i]),
            parts & (labels_before == labels_before[j]),
        )
        gaps = D[np.ix_(a, b)]
        assert D[i, j] == (gaps.min() if linkage == "single" else gaps.max())
        labels_before = step.labels


def test_average_and_ward_merges_name_no_pair():
    X = make("blobs", n_samples=20, random_state=3)[0]
    for linkage in ("average", "ward"):
        steps, _ = collect(agglomerative(X, n_clusters=2, linkage=linkage))
        assert all(s.witness is None for s in steps[1:-1])


def _sklearn_labels(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AgglomerativeClustering(**params).fit(X).labels_


@pytest.mark.parametrize(
    ("X", "params"),
    [
        # scikit-learn's single-linkage tree keeps some pairs as (larger, smaller).
        ([[11], [13], [0], [5]], {"n_clusters": 3, "linkage": "single"}),
        # With a graph, its heap orders equal distances by the heap's own moves.
        ([[0], [0], [5], [5]], {"n_clusters": 2, "linkage": "average", "connectivity": "ones"}),
        ([[0], [0], [5], [5]], {"n_clusters": 2, "linkage": "complete", "connectivity": "ones"}),
    ],
)
def test_labels_are_numbered_as_sklearn_numbers_them(X, params):
    X = np.array(X, dtype=float)
    if params.get("connectivity") == "ones":
        params = {**params, "connectivity": np.ones((len(X), len(X)))}
    steps, _ = collect(agglomerative(X, **params))
    np.testing.assert_array_equal(steps[-1].labels, _sklearn_labels(X, **params))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("linkage", ["ward", "complete", "average", "single"])
@pytest.mark.parametrize("graph", [None, "knn", "ones"])
def test_labels_equal_sklearns_on_tie_heavy_data(seed, linkage, graph):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(5, 40)), int(rng.integers(1, 4))
    # Integer lattices (many equal distances) and plain Gaussian data, alternately.
    X = rng.integers(0, 4, (n, d)).astype(float) if seed % 2 else rng.normal(size=(n, d))
    connectivity = {
        None: None,
        "knn": kneighbors_graph(X, min(5, n - 1), include_self=False),
        "ones": np.ones((n, n)),
    }[graph]
    params = {"n_clusters": int(rng.integers(1, n)), "linkage": linkage}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        steps, _ = collect(agglomerative(X, connectivity=connectivity, **params))
    np.testing.assert_array_equal(
        steps[-1].labels, _sklearn_labels(X, connectivity=connectivity, **params)
    )


@pytest.mark.parametrize("linkage", ["ward", "average", "single"])
def test_many_clusters_with_a_graph_are_numbered_as_sklearns_early_stop(linkage):
    # n_clusters >= 100: scikit-learn stops merging early and numbers by top node.
    X = np.random.default_rng(0).integers(0, 6, (150, 2)).astype(float)
    graph = kneighbors_graph(X, 5, include_self=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        steps, _ = collect(agglomerative(X, 110, connectivity=graph, linkage=linkage))
    expected = _sklearn_labels(X, n_clusters=110, connectivity=graph, linkage=linkage)
    np.testing.assert_array_equal(steps[-1].labels, expected)


def test_the_memory_check_counts_a_container_or_ulimit_limit(monkeypatch):
    import resource

    monkeypatch.setattr(resource, "getrlimit", lambda kind: (2**30, resource.RLIM_INFINITY))
    assert checks.available_memory() <= 2**30
    X = np.random.default_rng(0).normal(size=(6000, 2))
    with pytest.raises(animate.UserError, match="subsample the data"):
        animate.run("agglomerative", X)

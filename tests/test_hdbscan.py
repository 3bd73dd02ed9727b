"""HDBSCAN: scikit-learn's labels and membership probabilities, reached stage by stage."""

import itertools
import warnings

import numpy as np
import pytest
from sklearn.cluster import HDBSCAN
from sklearn.metrics import DistanceMetric

import animate
from animate.algorithms import _hdbscan
from animate.algorithms._hdbscan import hdbscan
from animate.api import collect as run_generator
from animate.datasets import make


def collect(X, **params):
    return run_generator(hdbscan(X, **params))


def reference(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the `copy` default
        return HDBSCAN(copy=False, **params).fit(X)


def assert_same_as_sklearn(X, **params):
    steps, info = collect(X, **params)
    ref = reference(X, **params)
    np.testing.assert_array_equal(steps[-1].labels, ref.labels_)
    np.testing.assert_allclose(steps[-1].probabilities, ref.probabilities_, rtol=0, atol=1e-8)
    assert info == {"n_iter": len(X) - 1, "converged": True}
    return steps


def lattice(seed, n=60):
    """Points on an integer grid around four centres: many equal distances, and so
    equal stabilities (found by searching seeds; test_ties_are_in_the_data checks)."""
    rng = np.random.RandomState(seed)
    centres = rng.randint(0, 12, size=(4, 2)) * 3
    return (centres[rng.randint(0, 4, n)] + rng.randint(-1, 2, size=(n, 2))).astype(float)


def with_duplicates():
    X = np.round(make("blobs", n_samples=160, random_state=3)[0], 1)
    return np.vstack([X, X[:40]])


DATA = {
    "blobs": make("blobs", n_samples=200)[0],
    "varied": make("varied", n_samples=240, random_state=170)[0],
    "moons": make("moons", n_samples=200, noise=0.08, random_state=1)[0],
    "duplicates": with_duplicates(),
    "3d": make("blobs", n_samples=200, n_features=3, random_state=4)[0],
}
PARAMS = [
    {},
    {"cluster_selection_method": "leaf"},
    {"min_samples": 3},
    {"min_cluster_size": 15, "min_samples": 8},
    {"alpha": 0.7},
    {"allow_single_cluster": True},
    {"max_cluster_size": 40},
    {"min_cluster_size": 30, "allow_single_cluster": True, "cluster_selection_method": "leaf"},
    {"min_cluster_size": 2, "min_samples": 1},
]


@pytest.mark.parametrize("name", DATA)
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: ",".join(map(str, p.items())) or "default")
def test_labels_and_probabilities_match_sklearn(name, params):
    assert_same_as_sklearn(DATA[name], **params)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method", ["eom", "leaf"])
def test_other_seeds_match_sklearn(seed, method):
    X = make("varied", n_samples=300, random_state=seed)[0]
    assert_same_as_sklearn(X, min_cluster_size=8, cluster_selection_method=method)


@pytest.mark.parametrize("metric", ["manhattan", "chebyshev", "canberra", "braycurtis"])
def test_other_metrics_match_sklearn(metric):
    assert_same_as_sklearn(DATA["varied"], metric=metric, min_cluster_size=8)


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev"])
@pytest.mark.parametrize("n_features", [1, 2, 3, 9])
def test_distances_are_sklearns_bit_for_bit(metric, n_features):
    X = np.random.RandomState(n_features).randn(120, n_features) * [
        10.0**k for k in range(-2, n_features - 2)
    ]
    rows = _hdbscan._distance_rows(X, metric)
    expected = DistanceMetric.get_metric(metric).pairwise(X)
    for i in range(len(X)):
        np.testing.assert_array_equal(rows(i), expected[i])


TIES = [(14, {"min_cluster_size": 3}), (17, {"min_cluster_size": 4, "min_samples": 2})]
TIES += [
    (35, {"min_cluster_size": 4, "min_samples": 2}),
    (16, {"min_cluster_size": 2, "min_samples": 1}),
]


@pytest.mark.parametrize(("seed", "params"), TIES)
def test_equal_stabilities_match_sklearn(seed, params):
    X = lattice(seed)
    steps = assert_same_as_sklearn(X, **params)
    assert _tied_clusters(steps[-1]), "the data should hold a cluster as stable as its children"


def _tied_clusters(step):
    """Clusters whose stability equals their children's best selection (excess of mass)."""
    stability = {len(step.labels) + i: s for i, s in enumerate(step.stability)}
    links = step.tree_size > 1
    children = {}
    for p, c in zip(step.tree_parent[links], step.tree_child[links]):
        children.setdefault(int(p), []).append(int(c))
    tied = []
    for node in sorted(stability, reverse=True):
        if node in children:
            below = np.sum([stability[c] for c in children[node]])
            tied += [node] if below == stability[node] else []
            stability[node] = max(stability[node], below)
    return tied


@pytest.mark.parametrize(
    ("name", "epsilon", "params"),
    [
        ("blobs", 0.3, {}),
        ("duplicates", 0.3, {}),
        ("3d", 0.3, {"cluster_selection_method": "leaf", "min_cluster_size": 30}),
        ("varied", 0.15, {"cluster_selection_method": "leaf"}),
        ("blobs", 50.0, {"allow_single_cluster": True, "min_cluster_size": 60}),
    ],
)
def test_epsilon_that_merges_nothing_matches_sklearn(name, epsilon, params):
    assert_same_as_sklearn(DATA[name], cluster_selection_epsilon=epsilon, **params)


# Three groups on a line: A and B split at distance 0.6, their union and C at 8.6.
THREE_GROUPS = np.r_[np.arange(5) * 0.1, 1 + np.arange(5) * 0.1, 10 + np.arange(5) * 0.1][:, None]


def test_the_three_groups_are_three_clusters_without_epsilon():
    steps = assert_same_as_sklearn(THREE_GROUPS, min_cluster_size=5, min_samples=2)
    # Clusters are numbered by their ids in the condensed tree: C splits off first.
    np.testing.assert_array_equal(steps[-1].labels, np.repeat([1, 2, 0], 5))


@pytest.mark.parametrize("method", ["eom", "leaf"])
@pytest.mark.parametrize("single", [False, True])
def test_epsilon_keeps_clusters_that_split_below_it_whole(method, single):
    # scikit-learn 1.9 raises a TypeError here; HDBSCAN* merges A and B.
    params = dict(min_cluster_size=5, min_samples=2, cluster_selection_method=method)
    steps, _ = collect(
        THREE_GROUPS, cluster_selection_epsilon=2.0, allow_single_cluster=single, **params
    )
    np.testing.assert_array_equal(steps[-1].labels, np.repeat([0, 0, 1], 5))
    assert steps[-1].probabilities[steps[-1].labels >= 0].min() > 0


def test_epsilon_above_every_split_keeps_the_root_if_allowed():
    params = dict(min_cluster_size=5, min_samples=2, cluster_selection_method="leaf")
    steps, _ = collect(
        THREE_GROUPS, cluster_selection_epsilon=100.0, allow_single_cluster=True, **params
    )
    np.testing.assert_array_equal(steps[-1].labels, np.zeros(15))
    steps, _ = collect(THREE_GROUPS, cluster_selection_epsilon=100.0, **params)
    np.testing.assert_array_equal(steps[-1].labels, np.repeat([0, 0, 1], 5))


def test_the_stages_come_in_order_with_their_fields():
    X = DATA["varied"]
    steps, _ = collect(X, min_cluster_size=10)
    phases = [s.phase for s in steps]
    n_mst = phases.count("mst")
    assert phases == ["init"] + ["mst"] * n_mst + ["hierarchy", "condense", "select", "final"]
    assert n_mst == _hdbscan._MST_STEPS
    edges = [s.n_edges for s in steps[1 : 1 + n_mst]]
    assert edges[-1] == len(X) - 1 and all(np.diff(edges) > 0)
    final = steps[-1]
    ref = reference(X, min_cluster_size=10)
    np.testing.assert_array_equal(final.linkage, _as_array(ref._single_linkage_tree_))
    assert sorted(final.mst_distances) == sorted(final.linkage[:, 2])
    assert (
        steps[0].linkage is None and steps[-3].selected is None and steps[-2].probabilities is None
    )
    np.testing.assert_array_equal(steps[-2].labels, final.labels)
    assert len(final.selected) == final.labels.max() + 1
    # Every point leaves the condensed tree once; the root is cluster n_samples.
    points = final.tree_child[final.tree_size == 1]
    np.testing.assert_array_equal(np.sort(points), np.arange(len(X)))
    assert final.tree_parent.min() == len(X)


def _as_array(tree):
    return np.column_stack([tree[k] for k in ("left_node", "right_node", "value", "cluster_size")])


def test_few_points_add_one_edge_a_step():
    steps, _ = collect(DATA["blobs"][:30], min_cluster_size=4)
    mst = [s for s in steps if s.phase == "mst"]
    assert [s.n_edges for s in mst] == list(range(1, 30))
    assert "Edge 1 of 29" in mst[0].message


def test_runs_twice_the_same():
    first, _ = collect(DATA["moons"])
    second, _ = collect(DATA["moons"])
    for a, b in itertools.zip_longest(first, second):
        assert a.message == b.message
        for key, value in a.fields.items():
            np.testing.assert_array_equal(value, b.fields[key])


X_SMALL = DATA["blobs"][:50]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"min_cluster_size": 1}, "min_cluster_size"),
        ({"min_cluster_size": 2.5}, "min_cluster_size"),
        ({"min_samples": 0}, "min_samples"),
        ({"min_samples": 51}, "min_samples"),
        ({"min_cluster_size": 60}, "min_samples"),
        ({"cluster_selection_epsilon": -0.1}, "cluster_selection_epsilon"),
        ({"max_cluster_size": 0}, "max_cluster_size"),
        ({"alpha": 0}, "alpha"),
        ({"metric": "cosine"}, "metric"),
        ({"cluster_selection_method": "excess"}, "cluster_selection_method"),
        ({"allow_single_cluster": "yes"}, "allow_single_cluster"),
        ({"algorithm": "kd_tree"}, "algorithm"),
    ],
)
def test_bad_parameters_are_one_line_user_errors(params, words):
    with pytest.raises(animate.UserError, match=words) as error:
        next(hdbscan(X_SMALL, **params))
    assert "\n" not in str(error.value)


def test_registered_in_teaching_order():
    names = animate.ALGORITHMS
    assert names.index("dbscan") < names.index("hdbscan") < names.index("agglomerative")
    trace = animate.run("hdbscan", DATA["blobs"], min_cluster_size=10)
    assert trace.params["min_samples"] is None and trace.params["metric"] == "euclidean"


def test_a_single_cluster_below_the_root_leaves_the_rest_as_noise():
    # Ten points too many for max_cluster_size, five kept: scikit-learn 1.9 fails with a
    # KeyError (it looks the root up as a cluster); the ten are noise.
    X = np.r_[np.arange(10) * 0.1, 10 + np.arange(5) * 0.1][:, None]
    params = dict(min_cluster_size=5, min_samples=2, max_cluster_size=6, allow_single_cluster=True)
    with pytest.raises(KeyError):
        reference(X, **params)
    steps, _ = collect(X, **params)
    np.testing.assert_array_equal(steps[-1].labels, np.repeat([-1, 0], [10, 5]))

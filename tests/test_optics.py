"""OPTICS: scikit-learn's order, reachability, predecessors and clusters, point by point."""

import functools
import itertools
import warnings

import numpy as np
import pytest
from sklearn.cluster import (
    OPTICS,
    cluster_optics_dbscan,
    cluster_optics_xi,
    compute_optics_graph,
)

import animate
from animate.algorithms import _optics
from animate.algorithms._optics import optics
from animate.api import collect as run_generator
from animate.cli import main
from animate.datasets import make

FIELDS = ("ordering", "reachability", "core_distances", "predecessor", "labels")


def collect(X, **params):
    return run_generator(optics(X, **params))


def reference(X, **params):
    """scikit-learn's fitted OPTICS. Its reachability graph, the slow part (a few ms a
    point), is fitted once per data set and graph parameters, the clusters extracted
    from it as OPTICS.fit extracts them."""
    model = OPTICS(**params)
    graph = {k: model.get_params()[k] for k in ("min_samples", "max_eps", "metric", "p")}
    ordering, core, reach, before = _graph(X.tobytes(), X.shape, **graph)
    model.ordering_, model.core_distances_, model.reachability_, model.predecessor_ = (
        ordering.copy(),
        core.copy(),
        reach.copy(),
        before.copy(),
    )
    if model.cluster_method == "xi":
        model.labels_, model.cluster_hierarchy_ = cluster_optics_xi(
            reachability=reach,
            predecessor=before,
            ordering=ordering,
            min_samples=model.min_samples,
            min_cluster_size=model.min_cluster_size,
            xi=model.xi,
            predecessor_correction=model.predecessor_correction,
        )
    else:
        eps = model.max_eps if model.eps is None else model.eps
        model.labels_ = cluster_optics_dbscan(
            reachability=reach, core_distances=core, ordering=ordering, eps=eps
        )
    return model


@functools.cache
def _graph(data, shape, **params):
    X = np.frombuffer(data).reshape(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "All reachability values are inf", on purpose
        return compute_optics_graph(
            X, algorithm="auto", leaf_size=30, metric_params=None, n_jobs=None, **params
        )


def assert_same_as_sklearn(X, **params):
    steps, info = collect(X, **params)
    ref = reference(X, **params)
    final = steps[-1]
    for name in FIELDS:
        # Exact: inf where scikit-learn has inf, every tie broken the same way.
        np.testing.assert_array_equal(getattr(final, name), getattr(ref, name + "_"), name)
    if params.get("cluster_method", "xi") == "xi":
        expected = ref.cluster_hierarchy_.reshape(-1, 2)
        np.testing.assert_array_equal(final.cluster_hierarchy, expected)
    assert info == {"n_iter": len(X), "converged": True}
    return steps


def lattice(side=8):
    """Integer grid points: every distance repeats, so reachability ties everywhere."""
    return np.array(list(itertools.product(range(side), repeat=2)), dtype=float)


DATA = {
    "blobs": make("blobs", n_samples=120, random_state=1)[0],
    "moons": make("moons", n_samples=120, noise=0.08, random_state=2)[0],
    "varied": make("varied", n_samples=150, random_state=3)[0],
    "blobs 3-d": make("blobs", n_samples=100, n_features=3, random_state=4)[0],
    "lattice": lattice(),
    # Rounded coordinates: many equal distances and exact duplicates.
    "rounded moons": np.round(make("moons", n_samples=150, noise=0.05, random_state=5)[0], 1),
    # Each of 30 points five times: core distance 0 at min_samples <= 5; shifted and
    # scaled so that the Euclidean dot-product formula leaves rounding noise at some.
    "duplicates": np.repeat(make("blobs", n_samples=30, random_state=6)[0] * 1.3 + 10, 5, axis=0),
}

SETTINGS = [  # four reachability graphs per data set, each extracted in several ways
    {},
    {"predecessor_correction": False, "xi": 0.1},
    {"cluster_method": "dbscan", "eps": 0.5},
    {"min_samples": 10, "min_cluster_size": 0.1},
    {"min_samples": 0.03},
    {"max_eps": 0.8, "xi": 0.02},
    {"max_eps": 0.8, "cluster_method": "dbscan"},
]


@pytest.mark.parametrize("name", DATA)
@pytest.mark.parametrize("params", SETTINGS, ids=str)
def test_everything_matches_sklearn(name, params):
    assert_same_as_sklearn(DATA[name], **params)


@pytest.mark.parametrize(
    ("metric", "p"),
    [("euclidean", 2), ("manhattan", 2), ("chebyshev", 2), ("minkowski", 3), ("cosine", 2)],
)
@pytest.mark.parametrize("name", ["rounded moons", "duplicates"])
def test_other_metrics_match_sklearn(name, metric, p):
    # "euclidean" is scikit-learn's own dot-product formula: at duplicate points its
    # distances are rounding noise, not 0, and reachability takes them as they are.
    assert_same_as_sklearn(DATA[name] + 0.5, metric=metric, p=p, min_samples=4)


def test_the_tie_tests_are_about_ties():
    for name in ("lattice", "rounded moons", "duplicates"):
        final = collect(DATA[name], min_samples=4)[0][-1]
        reach = final.reachability[np.isfinite(final.reachability)]
        assert len(np.unique(reach)) < len(reach) / 2, name
    # At duplicates, the Euclidean dot-product formula is not exactly 0.
    final = collect(DATA["duplicates"], metric="euclidean", min_samples=4)[0][-1]
    assert np.any((final.reachability > 0) & (final.reachability < 1e-6))


@pytest.mark.parametrize("seed", range(3))
def test_seeds(seed):
    X, _ = make("gaussians4", n_samples=100, random_state=seed)
    assert_same_as_sklearn(X, min_samples=6)
    assert_same_as_sklearn(np.round(X, 1), min_samples=4, cluster_method="dbscan", eps=0.4)


def test_small_data_orders_one_point_per_step():
    X, _ = make("blobs", n_samples=40, random_state=0)
    steps = assert_same_as_sklearn(X, min_samples=4)
    assert steps[0].phase == "init" and len(steps[0].ordering) == 0
    assert np.isinf(steps[0].reachability).all()
    order = [s for s in steps if s.phase == "order"]
    assert len(order) == 40
    final = steps[-1]
    for k, (before, step) in enumerate(itertools.pairwise([steps[0], *order])):
        point = final.ordering[k]
        assert list(step.taken) == [point] and step.current == point
        np.testing.assert_array_equal(step.ordering, final.ordering[: k + 1])
        # The point taken had the smallest reachability left, and keeps it.
        left = np.setdiff1d(np.arange(40), before.ordering)
        assert before.reachability[point] == before.reachability[left].min()
        assert step.reachability[point] == final.reachability[point]
        # Those it updated got strictly closer, and point is their predecessor.
        lowered = step.updated
        assert (step.reachability[lowered] < before.reachability[lowered]).all()
        assert (step.predecessor[lowered] == point).all()
        unchanged = np.setdiff1d(np.arange(40), lowered)
        np.testing.assert_array_equal(step.reachability[unchanged], before.reachability[unchanged])
    assert "seed list" in order[1].message


def test_large_data_orders_in_at_most_sixty_steps():
    X, _ = make("moons", n_samples=400, noise=0.06, random_state=0)
    steps = assert_same_as_sklearn(X, min_samples=8)
    order = [s for s in steps if s.phase == "order"]
    assert len(order) <= _optics._MAX_ORDER_STEPS
    taken = np.concatenate([s.taken for s in order])
    np.testing.assert_array_equal(taken, steps[-1].ordering)
    cluster_steps = [s for s in steps if s.phase == "cluster"]
    assert 0 < len(cluster_steps) <= _optics._MAX_CLUSTER_STEPS


def test_xi_shows_steep_areas_then_clusters_as_they_close():
    X = DATA["varied"]
    steps = assert_same_as_sklearn(X)
    phases = [s.phase for s in steps]
    assert phases[-1] == "final" and phases.index("steep") == phases.index("cluster") - 1
    steep = steps[phases.index("steep")]
    n = len(X)
    plot = np.hstack((steep.reachability[steep.ordering], np.inf))
    for start, end in steep.steep_down:
        assert 0 <= start <= end < n and plot[start] * 0.95 >= plot[start + 1]
    for start, end in steep.steep_up:
        assert 0 <= start <= end < n and plot[start] <= 0.95 * plot[start + 1]
    # The hierarchy grows by appending; labels only ever get added.
    clusters = [s for s in steps if s.phase == "cluster"]
    for before, after in itertools.pairwise(clusters):
        k = len(before.cluster_hierarchy)
        np.testing.assert_array_equal(after.cluster_hierarchy[:k], before.cluster_hierarchy)
        taken = before.labels != -1
        np.testing.assert_array_equal(after.labels[taken], before.labels[taken])
    np.testing.assert_array_equal(clusters[-1].labels, steps[-1].labels)


def test_dbscan_cut_is_shown_at_eps():
    steps = assert_same_as_sklearn(DATA["moons"], cluster_method="dbscan", eps=0.2)
    assert [s.phase for s in steps[-2:]] == ["cut", "final"]
    assert steps[-2].cut == steps[-1].cut == 0.2
    assert all(s.cut is None for s in steps[:-2])
    assert "eps=0.2" in steps[-2].message
    # eps=None cuts at max_eps.
    steps = assert_same_as_sklearn(DATA["moons"], cluster_method="dbscan", max_eps=0.3)
    assert steps[-1].cut == 0.3


def test_no_reach_within_max_eps_is_all_noise():
    steps = assert_same_as_sklearn(DATA["blobs"], max_eps=0.01)
    assert np.isinf(steps[-1].reachability).all() and (steps[-1].labels == -1).all()
    assert "never core" in steps[0].message


def test_runs_twice_the_same():
    a, b = collect(DATA["moons"])[0], collect(DATA["moons"])[0]
    assert [s.message for s in a] == [s.message for s in b]
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a[-1], name), getattr(b[-1], name))


X_SMALL = make("blobs", n_samples=50, random_state=0)[0]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"min_samples": 1}, "min_samples"),
        ({"min_samples": 51}, "more than the 50 points"),
        ({"min_samples": 1.5}, "min_samples"),
        ({"min_samples": -0.1}, "min_samples"),
        ({"max_eps": -1}, "max_eps"),
        ({"metric": "jaccard"}, "metric"),
        ({"metric": "euclidian"}, "metric"),
        ({"p": 0.5}, "p must be"),
        ({"cluster_method": "eom"}, "cluster_method"),
        ({"cluster_method": "dbscan", "eps": 2.0, "max_eps": 1.0}, "eps=2 is more than max_eps"),
        ({"xi": 1.0}, "xi"),
        ({"xi": -0.1}, "xi"),
        ({"predecessor_correction": "yes"}, "predecessor_correction"),
        ({"min_cluster_size": 0.0}, "min_cluster_size"),
        ({"min_cluster_size": 1}, "min_cluster_size"),
        ({"metric": "haversine"}, "haversine"),
    ],
)
def test_bad_parameters_fail_before_any_work(params, words, monkeypatch):
    X = make("blobs", n_samples=50, n_features=3)[0] if "metric" in params else X_SMALL

    def no_work(*args):
        raise AssertionError("the neighbour search ran")

    monkeypatch.setattr(_optics, "_neighbours", no_work)
    with pytest.raises(animate.UserError, match=words):
        next(optics(X, **params))


def test_bad_parameter_on_the_command_line_is_one_line_exit_2(tmp_path, capsys):
    out = tmp_path / "o.gif"
    code = main(["run", "optics", "--dataset", "moons", "--set", "xi=1.5", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "xi must be" in err
    assert not out.exists()


def test_registered_in_teaching_order():
    spec = animate.algorithms.registry.spec("optics")
    assert spec.display == "OPTICS" and spec.order == 57
    assert animate.ALGORITHMS.index("dbscan") < animate.ALGORITHMS.index("optics")
    assert animate.ALGORITHMS.index("optics") < animate.ALGORITHMS.index("agglomerative")
    trace = animate.run("optics", X_SMALL, min_samples=4)
    assert trace.params["max_eps"] == np.inf and trace.params["metric"] == "minkowski"

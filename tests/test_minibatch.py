"""Mini-batch k-means reaches scikit-learn's answer, batch by batch."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans
from sklearn.cluster._kmeans import _kmeans_plusplus as sklearn_kmeans_plusplus
from sklearn.utils.extmath import row_norms
from threadpoolctl import threadpool_limits

import animate
from animate.algorithms import _minibatch
from animate.algorithms._kmeans_plusplus import seed_indices
from animate.datasets import make

CASES = [
    ("blobs", {"centers": 4}, 4),
    ("moons", {"noise": 0.1}, 3),
    ("circles", {}, 5),
    ("blobs", {"centers": 3, "n_features": 3}, 3),
    ("blobs", {"centers": 5, "n_features": 4}, 5),
]


def _sklearn(X, **params):
    # One OpenMP thread: scikit-learn's inertia is then summed in order, as ours.
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return MiniBatchKMeans(**params).fit(X)


def _assert_same(trace, ref, labels=True):
    np.testing.assert_allclose(trace.final.centers, ref.cluster_centers_, rtol=0, atol=1e-8)
    if labels:
        np.testing.assert_array_equal(trace.final.labels, ref.labels_)
    assert trace.final.inertia == pytest.approx(ref.inertia_, rel=1e-12)
    assert trace.n_iter == ref.n_iter_
    assert trace.final.n_steps == ref.n_steps_


@pytest.mark.parametrize(("name", "options", "k"), CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch_size", [64, 1024])
def test_explicit_init_matches_sklearn(name, options, k, seed, batch_size):
    X, _ = make(name, n_samples=600, random_state=seed, **options)
    init = X[np.random.default_rng(seed).choice(len(X), k, replace=False)]
    params = dict(n_clusters=k, init=init, batch_size=batch_size, random_state=seed)
    _assert_same(animate.run("minibatch", X, **params), _sklearn(X, **params))


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize(("name", "options", "k"), CASES)
@pytest.mark.parametrize("seed", [3, 4])
def test_random_inits_match_sklearn_seed_for_seed(init, name, options, k, seed):
    X, _ = make(name, n_samples=900, random_state=seed, **options)
    params = dict(n_clusters=k, init=init, batch_size=100, random_state=seed)
    _assert_same(animate.run("minibatch", X, **params), _sklearn(X, **params))


@pytest.mark.parametrize(
    "params",
    [
        # Many centres, small batches: low-count centres are reassigned.
        {"n_clusters": 20, "batch_size": 32},
        {"n_clusters": 30, "batch_size": 10, "reassignment_ratio": 0.2},
        {"n_clusters": 6, "tol": 1e-3, "batch_size": 50},
        {"n_clusters": 6, "max_no_improvement": None, "max_iter": 3, "batch_size": 100},
        {"n_clusters": 6, "init": "random", "n_init": 4, "init_size": 40, "batch_size": 100},
        {"n_clusters": 6, "init_size": 3, "batch_size": 100},
    ],
)
@pytest.mark.parametrize("seed", [0, 2])
def test_options_match_sklearn(params, seed):
    X, _ = make("blobs", n_samples=1500, random_state=seed, centers=6, n_features=3)
    params = dict(params, random_state=seed)
    _assert_same(animate.run("minibatch", X, **params), _sklearn(X, **params))


def test_reassignments_happen_and_are_recorded():
    X, _ = make("blobs", n_samples=1500, random_state=0, centers=6, n_features=3)
    trace = animate.run("minibatch", X, n_clusters=20, batch_size=32)
    moved = [s for s in trace.steps if len(s.reassigned)]
    assert moved
    assert all("jump" in s.message for s in moved)


def test_without_labels_the_inertia_is_the_smoothed_estimate():
    X, _ = make("blobs", n_samples=800, random_state=1, centers=4)
    params = dict(n_clusters=4, compute_labels=False, batch_size=50, random_state=1)
    trace, ref = animate.run("minibatch", X, **params), _sklearn(X, **params)
    _assert_same(trace, ref, labels=False)
    assert trace.final.inertia == trace.final.ewa_inertia * len(X)


def test_kmeans_plusplus_is_bit_identical_to_sklearns_on_raw_data():
    # As many centres as sampled points: potentials tie near zero, so rounding decides.
    for d in (2, 3, 4):
        X, _ = make("blobs", n_samples=300, random_state=d, n_features=d)
        sample = X[np.random.RandomState(d).randint(0, 300, 30)] + 100.0
        ours = sample[seed_indices(sample, 30, np.random.RandomState(0))]
        theirs, _ = sklearn_kmeans_plusplus(
            sample, 30, row_norms(sample, squared=True), np.ones(30), np.random.RandomState(0)
        )
        np.testing.assert_array_equal(ours, theirs)


def test_one_step_per_batch_with_its_state():
    X, _ = make("blobs", n_samples=500, random_state=0, centers=3)
    trace = animate.run("minibatch", X, n_clusters=3, batch_size=40, random_state=0)
    init, batches, final = trace.steps[0], trace.steps[1:-1], trace.final
    assert (init.phase, final.phase) == ("init", "final")
    assert (init.labels == -1).all() and init.counts.sum() == 0
    assert [s.step for s in batches] == list(range(1, final.n_steps + 1))
    for before, step in zip(trace.steps, batches):
        assert len(step.batch) == 40
        # Every drawn point carries the label of its batch; the counts grow by a batch.
        assert (step.labels[step.batch] >= 0).all()
        assert step.counts.sum() == pytest.approx(before.counts.sum() + 40) or len(step.reassigned)
    assert batches[0].ewa_inertia is None and batches[1].ewa_inertia is not None


def test_long_runs_keep_every_mth_batch(monkeypatch):
    monkeypatch.setattr(_minibatch, "_MAX_LABELS_KEPT", 20_000)
    X, _ = make("blobs", n_samples=500, random_state=0, centers=3)
    params = dict(n_clusters=3, batch_size=10, max_no_improvement=None, max_iter=2)
    trace = animate.run("minibatch", X, **params)
    # 100 batches x 500 labels = 50,000 > 20,000: every third batch is a step.
    assert [s.step for s in trace.steps[1:-1]] == [*range(3, 100, 3), 100]
    assert trace.final.n_steps == 100


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"batch_size": 0}, "batch_size must be"),
        ({"reassignment_ratio": -0.1}, "reassignment_ratio must be"),
        ({"n_clusters": 0}, "n_clusters must be"),
        ({"init": "nope"}, "init must be"),
        ({"init": [[0.0, 0.0]], "n_clusters": 2}, "init must have shape"),
        ({"max_no_improvement": -1}, "max_no_improvement must be"),
    ],
)
def test_bad_parameters_raise_one_user_error_before_any_work(params, fragment):
    X, _ = make("blobs", n_samples=50, random_state=0)
    with pytest.raises(animate.UserError) as info:
        next(iter(animate.algorithms.registry.function("minibatch")(X, **params)))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_alias_names_the_same_algorithm():
    assert animate.algorithms.registry.spec("mini_batch_kmeans").name == "minibatch"

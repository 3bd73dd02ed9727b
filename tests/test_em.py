"""EM for Gaussian mixtures: parity with scikit-learn's GaussianMixture, the steps, bad input."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

import animate
from animate import UserError
from animate.algorithms._em import em
from animate.api import collect
from animate.datasets import make, validate_data

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
DATASETS = {
    "blobs": (dict(name="blobs"), 4),
    "gaussians4": (dict(name="gaussians4"), 4),
    "aniso": (dict(name="aniso"), 3),
    "blobs3d": (dict(name="blobs", n_features=3), 3),
    "blobs4d": (dict(name="blobs", n_features=4), 4),
}


def data(key):
    options, n_components = DATASETS[key]
    X, _ = make(**options, n_samples=300, random_state=0)
    return X, n_components


def explicit_init(X, n_components, covariance_type, seed=0):
    """Starting weights, means and precisions, deliberately off, of the shapes sklearn takes."""
    rng = np.random.default_rng(seed)
    n_features = X.shape[1]
    weights = rng.uniform(0.5, 1.5, n_components)
    weights /= weights.sum()
    means = X[rng.choice(len(X), n_components, replace=False)]
    scale = 1.0 / X.var()
    A = rng.normal(size=(n_components, n_features, n_features))
    full = scale * (A @ A.transpose(0, 2, 1) + n_features * np.eye(n_features)) / n_features
    precisions = {
        "full": full,
        "tied": full[0],
        "diag": scale * rng.uniform(0.5, 2.0, (n_components, n_features)),
        "spherical": scale * rng.uniform(0.5, 2.0, n_components),
    }[covariance_type]
    return {"weights_init": weights, "means_init": means, "precisions_init": precisions}


def assert_matches_sklearn(X, n_components, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(n_components, n_init=1, **params).fit(X)
    steps, info = collect(em(X, n_components, **params))
    final = steps[-1]
    np.testing.assert_allclose(final.means, gm.means_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(final.covariances, gm.covariances_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(final.weights, gm.weights_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(final.resp, gm.predict_proba(X), rtol=0, atol=1e-6)
    assert final.lower_bound == pytest.approx(gm.lower_bound_, rel=1e-8)
    assert (info["n_iter"], info["converged"]) == (gm.n_iter_, gm.converged_)
    np.testing.assert_array_equal(final.labels, gm.predict(X))
    return steps


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("key", DATASETS)
def test_explicit_init_matches_sklearn(key, covariance_type):
    X, k = data(key)
    assert_matches_sklearn(
        X, k, covariance_type=covariance_type, **explicit_init(X, k, covariance_type)
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("key", DATASETS)
def test_kmeans_init_matches_sklearn(key, covariance_type):
    X, k = data(key)
    assert_matches_sklearn(
        X, k, covariance_type=covariance_type, init_params="kmeans", random_state=1
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init_params", ["k-means++", "random", "random_from_data"])
def test_random_inits_match_sklearn(init_params, covariance_type):
    for key in ("gaussians4", "blobs3d"):
        X, k = data(key)
        assert_matches_sklearn(
            X, k, covariance_type=covariance_type, init_params=init_params, random_state=2
        )


@pytest.mark.parametrize(
    "given", [("means_init",), ("weights_init", "precisions_init"), ("precisions_init",)]
)
def test_partly_given_init_matches_sklearn(given):
    # sklearn still runs its initialisation (and draws from random_state) for the rest.
    X, k = data("aniso")
    for covariance_type in ("full", "diag"):
        init = explicit_init(X, k, covariance_type, seed=3)
        assert_matches_sklearn(
            X,
            k,
            covariance_type=covariance_type,
            random_state=4,
            **{name: init[name] for name in given},
        )


def test_stopping_at_max_iter_matches_sklearn():
    X, k = data("gaussians4")
    steps = assert_matches_sklearn(X, k, max_iter=3, **explicit_init(X, k, "full"))
    assert steps[-1].message.startswith("Stopped at max_iter=3")


def test_init_step_is_the_kmeans_clustering():
    X, k = data("blobs")
    init = next(em(X, k, random_state=5))
    kmeans_labels = KMeans(k, n_init=1, random_state=np.random.RandomState(5)).fit(X).labels_
    np.testing.assert_array_equal(init.labels, kmeans_labels)
    np.testing.assert_array_equal(init.resp, np.eye(k)[kmeans_labels])
    assert init.lower_bound is None


def test_init_step_with_everything_given():
    X, k = data("blobs3d")
    init = explicit_init(X, k, "full")
    first = next(em(X, k, **init))
    np.testing.assert_array_equal(first.labels, -1)
    np.testing.assert_array_equal(first.resp, 0.0)
    np.testing.assert_allclose(
        first.covariances @ init["precisions_init"],
        np.broadcast_to(np.eye(3), (k, 3, 3)),
        atol=1e-10,
    )
    np.testing.assert_array_equal(first.means, init["means_init"])
    np.testing.assert_array_equal(first.weights, init["weights_init"])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_steps_phases_and_fields(covariance_type):
    X, k = data("blobs4d")
    steps, info = collect(em(X, k, covariance_type=covariance_type, random_state=0))
    n_iter = info["n_iter"]
    assert [s.phase for s in steps] == ["init"] + ["e-step", "m-step"] * n_iter + ["e-step"]
    assert [s.iteration for s in steps] == [0, *np.repeat(np.arange(1, n_iter + 1), 2), n_iter]
    covariance_shape = {"full": (k, 4, 4), "tied": (4, 4), "diag": (k, 4), "spherical": (k,)}[
        covariance_type
    ]
    for step in steps:
        assert step.means.shape == (k, 4)
        assert step.covariances.shape == covariance_shape
        assert step.weights.shape == (k,)
        assert step.resp.shape == (len(X), k)
        assert step.message
    for step in steps[1:]:
        np.testing.assert_array_equal(step.labels, step.resp.argmax(axis=1))
        np.testing.assert_allclose(step.resp.sum(axis=1), 1.0)
        assert np.isfinite(step.lower_bound)
    assert steps[-1].message.startswith(f"Converged after {n_iter} iterations")


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_lower_bound_never_decreases(covariance_type):
    for key in DATASETS:
        X, k = data(key)
        for params in (
            {"random_state": 0},
            {"init_params": "random", "random_state": 1},
            explicit_init(X, k, covariance_type),
        ):
            steps, _ = collect(em(X, k, covariance_type=covariance_type, tol=1e-6, **params))
            bounds = np.array([s.lower_bound for s in steps[1:]])
            # Once EM has converged, the bound may wobble in its last bits, no more.
            assert np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[:-1]))


def test_same_call_same_steps():
    X, k = data("aniso")
    first, second = (collect(em(X, k, init_params="random"))[0] for _ in range(2))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.means, b.means)
        np.testing.assert_array_equal(a.resp, b.resp)


BAD = [
    ({"n_components": 301}, "more than the 300 points"),
    ({"n_components": 0}, "n_components"),
    ({"covariance_type": "round"}, "covariance_type must be one of"),
    ({"init_params": "kmeans++"}, "init_params must be one of"),
    ({"tol": -1.0}, "tol"),
    ({"reg_covar": -1e-6}, "reg_covar"),
    ({"max_iter": 0}, "max_iter"),
    ({"random_state": "seed"}, "random_state"),
    ({"weights_init": [0.5, 0.5]}, r"weights_init must have shape \(3,\)"),
    ({"weights_init": [1.5, -0.25, -0.25]}, "between 0 and 1"),
    ({"weights_init": [0.3, 0.3, 0.3]}, "sum to 1"),
    ({"means_init": np.zeros((3, 3))}, r"means_init must have shape \(3, 2\)"),
    ({"means_init": [[0, 0], [1, 1], [np.nan, 0]]}, "missing or infinite"),
    ({"precisions_init": np.ones((3, 2))}, r"covariance_type='full' must have shape \(3, 2, 2\)"),
    (
        {"covariance_type": "tied", "precisions_init": np.stack([np.eye(2)] * 3)},
        r"'tied' must have shape \(2, 2\)",
    ),
    ({"covariance_type": "diag", "precisions_init": np.ones(3)}, r"\(3, 2\)"),
    ({"covariance_type": "spherical", "precisions_init": np.ones((3, 2))}, r"\(3,\)"),
    ({"precisions_init": np.stack([np.eye(2), -np.eye(2), np.eye(2)])}, "positive-definite"),
    ({"covariance_type": "tied", "precisions_init": [[1.0, 0.5], [0.0, 1.0]]}, "symmetric"),
    ({"covariance_type": "diag", "precisions_init": [[1, 1], [1, 0], [1, 1]]}, "positive"),
    ({"covariance_type": "spherical", "precisions_init": [1, -1, 1]}, "positive"),
]


@pytest.mark.parametrize(("params", "message"), BAD)
def test_bad_parameter_is_a_user_error(params, message):
    X, _ = data("aniso")
    params = {"n_components": 3, **params}
    with pytest.raises(UserError, match=message):
        next(em(X, **params))


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_collapsed_gaussian_is_a_user_error(covariance_type):
    # Three stacks of identical points: without reg_covar each Gaussian has zero spread.
    X = validate_data(np.repeat([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]], 10, axis=0))
    with pytest.raises(UserError, match="increase reg_covar"):
        list(em(X, 3, covariance_type=covariance_type, reg_covar=0.0))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("init_params", ["random", "random_from_data", "k-means++"])
@pytest.mark.parametrize(("seed", "covariance_type"), [(0, "full"), (1, "diag"), (2, "tied")])
def test_restarts_keep_sklearns_best_run(init_params, seed, covariance_type):
    X, _ = make("gaussians4", n_samples=300, random_state=seed)
    params = dict(covariance_type=covariance_type, init_params=init_params, random_state=seed)
    trace = animate.run("em", X, n_components=4, n_init=4, **params)
    ref = GaussianMixture(4, n_init=4, **params).fit(X)
    assert len(trace.runs) == 4
    assert [s.run for s in trace.runs[2].steps] == [2] * len(trace.runs[2].steps)
    bounds = [run.final.lower_bound for run in trace.runs]
    assert trace.best_run == bounds.index(max(bounds))
    assert trace.final.lower_bound == ref.lower_bound_
    assert trace.n_iter == ref.n_iter_
    np.testing.assert_array_equal(trace.final.labels, ref.predict(X))
    np.testing.assert_allclose(trace.final.means, ref.means_, rtol=1e-12)


def test_restarts_differ_and_one_run_is_the_default():
    X, _ = make("gaussians4", n_samples=200, random_state=0)
    trace = animate.run("em", X, n_components=4, n_init=3, init_params="random")
    assert len({run.final.lower_bound for run in trace.runs}) == 3
    assert len(animate.run("em", X, n_components=4).runs) == 1


def test_float32_weights_init_are_accepted_as_sklearn_accepts_them():
    X, _ = make("blobs", n_samples=200, centers=3, random_state=0)
    weights = np.full(3, 1 / 3, dtype=np.float32)  # 1 + 3e-8 when added in float64
    trace = animate.run("em", X, n_components=3, weights_init=weights)
    ref = GaussianMixture(3, weights_init=weights, random_state=0).fit(X)
    np.testing.assert_array_equal(trace.final.labels, ref.predict(X))
    np.testing.assert_allclose(trace.final.means, ref.means_, rtol=1e-12)


@pytest.mark.parametrize(
    ("weights", "shown"),
    [
        (np.array([0.3, 0.3, 0.3]), "0.8999999999999999"),
        (np.array([1 / 3, 1 / 3, 1 / 3 + 3e-8]), "1.0000000"),
        (np.array([0.3, 0.3, 0.3], dtype=np.float32), "0.9"),
    ],
)
def test_weights_init_that_miss_1_are_refused_with_their_exact_sum(weights, shown):
    X, _ = make("blobs", n_samples=100, centers=3, random_state=0)
    with pytest.raises(UserError, match="weights_init must sum to 1") as info:
        animate.run("em", X, n_components=3, weights_init=weights)
    assert f"got {shown}" in str(info.value)

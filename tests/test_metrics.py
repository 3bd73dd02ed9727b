"""animate.metrics gives scikit-learn's scores, with its names, and one-line errors."""

import warnings

import numpy as np
import pytest
import sklearn.metrics
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

import animate
from animate import metrics
from animate.datasets import make

LABEL_SCORES = [
    "adjusted_rand_score",
    "adjusted_mutual_info_score",
    "homogeneity_score",
    "completeness_score",
    "v_measure_score",
    "fowlkes_mallows_score",
]
DATA_SCORES = ["silhouette_score", "calinski_harabasz_score", "davies_bouldin_score"]


def labelings(n=60, seed=0):
    """Pairs of labelings, random and edge cases: one cluster, all alone, noise, text labels."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, n)
    yield truth, rng.integers(0, 3, n)
    yield truth, rng.integers(-1, 6, n)  # -1 is noise: a cluster of its own, as in sklearn
    yield truth, truth.copy()
    yield truth, (truth + 1) % 4  # the same partition, renamed
    yield truth, np.zeros(n, dtype=int)  # one cluster
    yield truth, np.arange(n)  # every point alone
    yield np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    yield np.arange(n), np.arange(n)
    yield np.array(list("abcd"))[truth], np.array(["x", "y"])[rng.integers(0, 2, n)]
    yield np.full(n, -1), rng.integers(0, 2, n)
    yield truth[:2], truth[:2]


def close(a, b):
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


@pytest.mark.parametrize("name", LABEL_SCORES)
def test_label_scores_equal_sklearn(name):
    ours, theirs = getattr(metrics, name), getattr(sklearn.metrics, name)
    for seed in range(6):
        for truth, pred in labelings(n=20 + 17 * seed, seed=seed):
            value = ours(truth, pred)
            assert isinstance(value, float)
            assert close(value, theirs(truth, pred)), (seed, truth, pred)
            assert close(ours(list(pred), list(truth)), theirs(pred, truth))


def test_keyword_options_are_sklearns():
    truth, pred = next(labelings())
    for method in ("min", "geometric", "arithmetic", "max"):
        assert close(
            metrics.adjusted_mutual_info_score(truth, pred, average_method=method),
            sklearn.metrics.adjusted_mutual_info_score(truth, pred, average_method=method),
        )
    assert close(
        metrics.v_measure_score(truth, pred, beta=3.0),
        sklearn.metrics.v_measure_score(truth, pred, beta=3.0),
    )


def test_status_line_ari_equals_sklearn():
    for seed in range(10):
        for truth, pred in labelings(seed=seed):
            assert close(
                metrics.adjusted_rand_index(truth, pred),
                sklearn.metrics.adjusted_rand_score(truth, pred),
            )


def data_labelings(seed):
    rng = np.random.default_rng(seed)
    X, y = make("blobs", n_samples=40 + 10 * seed, n_features=1 + seed % 4, random_state=seed)
    yield X, y
    yield X, rng.integers(-1, 5, len(X))
    yield X, np.array(list("pqrst"))[rng.integers(0, 5, len(X))]
    yield X, np.r_[np.arange(len(X) - 2), 0, 0]  # all alone but one pair
    yield X, np.r_[np.zeros(len(X) - 1, dtype=int), 1]  # one point against the rest


@pytest.mark.parametrize("name", DATA_SCORES)
def test_data_scores_equal_sklearn(name):
    ours, theirs = getattr(metrics, name), getattr(sklearn.metrics, name)
    for seed in range(8):
        for X, labels in data_labelings(seed):
            assert close(ours(X, labels), theirs(X, labels)), (name, seed)


def test_silhouette_samples_and_options_equal_sklearn():
    for seed in range(5):
        for X, labels in data_labelings(seed):
            np.testing.assert_allclose(
                metrics.silhouette_samples(X, labels),
                sklearn.metrics.silhouette_samples(X, labels),
                rtol=1e-12,
                atol=0,
            )
            for metric in ("manhattan", "cosine"):
                assert close(
                    metrics.silhouette_score(X, labels, metric=metric),
                    sklearn.metrics.silhouette_score(X, labels, metric=metric),
                )
    X, labels = next(data_labelings(1))
    assert close(
        metrics.silhouette_score(X, labels, sample_size=30, random_state=4),
        sklearn.metrics.silhouette_score(X, labels, sample_size=30, random_state=4),
    )


@pytest.mark.parametrize("name", [*DATA_SCORES, "silhouette_samples"])
@pytest.mark.parametrize("kind", ["one cluster", "all alone"])
def test_data_scores_refuse_one_cluster_or_all_alone_as_sklearn_does(name, kind):
    X, _ = make("blobs", n_samples=30, random_state=0)
    labels = np.zeros(30, dtype=int) if kind == "one cluster" else np.arange(30)
    with pytest.raises(ValueError):
        getattr(sklearn.metrics, name)(X, labels)
    with pytest.raises(animate.UserError, match="needs between 2 and 29 clusters") as info:
        getattr(metrics, name)(X, labels)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: metrics.adjusted_rand_score([0, 1, 1], [0, 1]), "inconsistent numbers"),
        (lambda: metrics.v_measure_score([[0, 1]], [[0, 1]]), "1D"),
        (lambda: metrics.silhouette_score([[0.0], [np.nan], [1.0]], [0, 1, 1]), "NaN"),
        (lambda: metrics.davies_bouldin_score([[0.0], [1.0]], [0, 1, 1]), "inconsistent"),
    ],
)
def test_bad_input_is_one_line_user_error(call, fragment):
    with pytest.raises(animate.UserError) as info:
        call()
    assert fragment in str(info.value) and "\n" not in str(info.value)


# BIC / AIC --------------------------------------------------------------------------------


def mixture_like(trace):
    """A GaussianMixture holding exactly the trace's final parameters."""
    covariance_type = trace.params["covariance_type"]
    final = trace.final
    gm = GaussianMixture(len(final.weights), covariance_type=covariance_type)
    gm.weights_, gm.means_, gm.covariances_ = final.weights, final.means, final.covariances
    gm.precisions_cholesky_ = _compute_precision_cholesky(final.covariances, covariance_type)
    return gm


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize(
    ("name", "options", "k"), [("blobs", {}, 3), ("aniso", {}, 3), ("blobs", {"n_features": 4}, 2)]
)
def test_bic_aic_equal_gaussian_mixture_of_the_same_model(covariance_type, name, options, k):
    X, _ = make(name, n_samples=200, random_state=1, **options)
    trace = animate.run("em", X, n_components=k, covariance_type=covariance_type)
    gm = mixture_like(trace)
    assert metrics.bic(trace) == pytest.approx(gm.bic(X), rel=1e-12)
    assert metrics.aic(trace) == pytest.approx(gm.aic(X), rel=1e-12)
    other, _ = make(name, n_samples=50, random_state=9, **options)
    assert metrics.bic(trace, other) == pytest.approx(gm.bic(other), rel=1e-12)


def test_bic_aic_match_gaussian_mixture_fitted_alongside():
    X, _ = make("gaussians4", n_samples=300, random_state=0)
    for k in (2, 4, 6):
        trace = animate.run("em", X, n_components=k, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm = GaussianMixture(k, random_state=0).fit(X)
        assert metrics.bic(trace) == pytest.approx(gm.bic(X), rel=1e-9)
        assert metrics.aic(trace) == pytest.approx(gm.aic(X), rel=1e-9)


def test_bic_refuses_other_traces_and_other_columns():
    X, _ = make("blobs", n_samples=60, random_state=0)
    with pytest.raises(animate.UserError, match="Gaussian mixture"):
        metrics.bic(animate.run("kmeans", X, n_clusters=2))
    with pytest.raises(animate.UserError, match="features"):
        metrics.aic(animate.run("em", X, n_components=2), np.ones((5, 3)))

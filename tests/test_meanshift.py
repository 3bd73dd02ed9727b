"""Mean shift: parity with sklearn.cluster.MeanShift, the steps it yields, and bad input."""

import itertools
import warnings

import numpy as np
import pytest
from sklearn.cluster import MeanShift
from sklearn.cluster import estimate_bandwidth as sklearn_estimate_bandwidth

from animate import UserError
from animate.algorithms._meanshift import estimate_bandwidth, meanshift
from animate.api import collect as run_generator
from animate.datasets import make, validate_data

DATASETS = {
    "blobs": ({}, 1.0),
    "gaussians4": ({}, 2.0),
    "moons": ({"noise": 0.05}, 0.3),
    "blobs3d": ({"n_features": 3}, 1.5),
}


def data(name, n_samples=300):
    options, _ = DATASETS[name]
    return make(name.removesuffix("3d"), n_samples=n_samples, random_state=0, **options)[0]


def collect(X, **params):
    return run_generator(meanshift(X, **params))


def sklearn_fit(X, **params):
    with warnings.catch_warnings():
        # "Binning data failed": sklearn then seeds on the data, and so do we.
        warnings.simplefilter("ignore", UserWarning)
        return MeanShift(**params).fit(X)


def assert_same(X, **params):
    steps, info = collect(X, **params)
    reference = sklearn_fit(X, **params)
    final = steps[-1]
    assert final.centers.shape == reference.cluster_centers_.shape
    np.testing.assert_allclose(final.centers, reference.cluster_centers_, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(final.labels, reference.labels_)
    assert info["n_iter"] == reference.n_iter_
    return steps, info, reference


@pytest.mark.parametrize("bin_seeding", [False, True])
@pytest.mark.parametrize("given", [True, False], ids=["given", "estimated"])
@pytest.mark.parametrize("name", list(DATASETS))
def test_centers_and_labels_match_sklearn(name, given, bin_seeding):
    X = data(name)
    bandwidth = DATASETS[name][1] if given else None
    _, _, reference = assert_same(
        X, bandwidth=bandwidth, bin_seeding=bin_seeding, cluster_all=False
    )
    # cluster_all=True labels every point by its nearest centre, which is sklearn's predict:
    # it saves a second fit, the slow part of this test.
    steps, _ = collect(X, bandwidth=bandwidth, bin_seeding=bin_seeding, cluster_all=True)
    np.testing.assert_array_equal(steps[-1].labels, reference.predict(X))


def test_one_feature_matches_sklearn():
    X = data("gaussians4")[:, :1].copy()
    assert_same(X, bandwidth=1.0, cluster_all=False)


def test_max_iter_stops_every_window_as_sklearn():
    _, info, _ = assert_same(data("gaussians4"), bandwidth=2.0, max_iter=2)
    assert info == {"n_iter": 2, "converged": False}


def test_min_bin_freq_matches_sklearn():
    assert_same(data("gaussians4"), bandwidth=2.0, bin_seeding=True, min_bin_freq=5)


@pytest.mark.parametrize("bandwidth", [2, np.float32(1.7), np.float64(1.7)])
def test_bin_seeds_follow_the_bandwidth_type_as_sklearn(bandwidth):
    assert_same(data("gaussians4"), bandwidth=bandwidth, bin_seeding=True)


def test_given_seeds_and_an_empty_window_match_sklearn():
    X = data("gaussians4")
    seeds = np.array([[5.0, 5.0], [15.0, 15.0], [100.0, 100.0], [17.0, 3.0], [2.0, 16.0]])
    steps, _, _ = assert_same(X, bandwidth=2.0, seeds=seeds)
    assert steps[0].dropped.tolist() == [False, False, True, False, False]
    assert steps[-1].merged_into[2] == -1
    assert "1 empty window dropped" in steps[0].message


def test_ten_thousand_points_with_bin_seeding_match_sklearn():
    X = make("blobs", n_samples=10_000, random_state=0)[0]
    steps, _, _ = assert_same(X, bandwidth=1.0, bin_seeding=True)
    assert len(steps[0].kernels) < 200


@pytest.mark.parametrize("name", list(DATASETS))
def test_estimate_bandwidth_matches_sklearn(name):
    X = data(name)
    assert estimate_bandwidth(X) == sklearn_estimate_bandwidth(X)
    assert estimate_bandwidth(X, quantile=0.1, n_samples=120, random_state=3) == (
        sklearn_estimate_bandwidth(X, quantile=0.1, n_samples=120, random_state=3)
    )


def test_steps_show_every_window_climbing_then_merging():
    X = data("gaussians4")
    steps, info = collect(X, bandwidth=2.0, bin_seeding=True)
    phases = [step.phase for step in steps]
    assert phases == ["init"] + ["shift"] * (len(steps) - 3) + ["merge", "assign"]
    assert len(steps) - 3 == info["n_iter"] + 1  # the last window shifts n_iter + 1 times
    assert all(step.bandwidth == 2.0 and step.kernels.shape[1] == 2 for step in steps)
    distances = np.linalg.norm(steps[0].kernels[:, None] - X[None], axis=2)
    np.testing.assert_array_equal(steps[0].counts, (distances <= 2.0).sum(axis=1))
    for before, after in itertools.pairwise(steps[:-2]):
        assert (after.stopped >= before.stopped).all()
        np.testing.assert_array_equal(after.kernels[before.stopped], before.kernels[before.stopped])
    assert steps[-3].stopped.all() and "all have stopped" in steps[-3].message
    merge, final = steps[-2], steps[-1]
    assert (merge.labels == -1).all() and (final.labels >= 0).all()
    joined = merge.centers[merge.merged_into]
    assert (np.linalg.norm(merge.kernels - joined, axis=1) <= 2.0).all()
    assert set(merge.merged_into) == set(range(len(merge.centers)))
    assert merge.message.startswith(f"Merge: {len(merge.kernels)} windows collapse into")
    np.testing.assert_array_equal(final.kernels, merge.kernels)


def test_gaussian_kernel_climbs_to_the_blob_centres():
    X, y = make("blobs", n_samples=400, random_state=0, cluster_std=0.4)
    steps, info = collect(X, bandwidth=1.0, bin_seeding=True, kernel="gaussian")
    centers = steps[-1].centers
    truth = np.array([X[y == k].mean(axis=0) for k in range(4)])
    assert info["converged"] and len(centers) == 4
    nearest = np.linalg.norm(centers[:, None] - truth[None], axis=2).min(axis=1)
    assert nearest.max() < 0.2
    assert "Gaussian-weighted mean" in steps[1].message


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"bandwidth": 0}, "bandwidth"),
        ({"bandwidth": -1.0}, "bandwidth"),
        ({"bandwidth": "wide"}, "bandwidth"),
        ({"bandwidth": float("nan")}, "bandwidth"),
        ({"bandwidth": 1.0, "seeds": [[0.0, 0.0, 0.0]]}, "column"),
        ({"bandwidth": 1.0, "seeds": []}, "empty"),
        ({"bandwidth": 1.0, "seeds": np.empty((0, 2))}, "empty"),
        ({"bandwidth": 1.0, "seeds": [[0.0, float("nan")]]}, "seeds"),
        ({"bandwidth": 1.0, "min_bin_freq": 0}, "min_bin_freq"),
        ({"bandwidth": 1.0, "bin_seeding": True, "min_bin_freq": 10_000}, "min_bin_freq"),
        ({"bandwidth": 1.0, "kernel": "epanechnikov"}, "kernel"),
        ({"bandwidth": 1.0, "max_iter": 0}, "max_iter"),
        ({"bandwidth": 1.0, "cluster_all": "yes"}, "cluster_all"),
        ({"bandwidth": 0.1, "seeds": [[100.0, 100.0]]}, "increase the bandwidth"),
    ],
)
def test_bad_input_is_a_user_error_before_the_first_step(params, words):
    X = validate_data(data("blobs"))
    with pytest.raises(UserError, match=words):
        next(meanshift(X, **params))


@pytest.mark.parametrize("params", [{"quantile": 1.5}, {"n_samples": 0}, {"random_state": "x"}])
def test_estimate_bandwidth_rejects_bad_input(params):
    with pytest.raises(UserError):
        estimate_bandwidth(data("blobs"), **params)


@pytest.mark.parametrize(
    "X",
    [
        [[1], [1], [1], [2], [2], [2], [3], [3]],
        np.ones((10, 1)),
        [[0, 0], [0, 0], [0, 0], [0, 0], [5, 5]],
        [[0.0], [1.0], [2.0]],  # three points: each one's nearest 30% is itself
    ],
)
def test_an_estimated_bandwidth_of_0_clusters_as_sklearn_does(X):
    X = np.array(X, dtype=float)
    steps, info = collect(X)
    ref = MeanShift().fit(X)
    assert steps[-1].bandwidth == 0
    np.testing.assert_array_equal(steps[-1].centers, ref.cluster_centers_)
    np.testing.assert_array_equal(steps[-1].labels, ref.labels_)
    assert info["n_iter"] == ref.n_iter_


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"bin_seeding": True}, "bin_seeding needs"), ({"kernel": "gaussian"}, "gaussian' needs")],
)
def test_an_estimated_bandwidth_of_0_is_refused_where_it_cannot_work(params, fragment):
    with pytest.raises(UserError, match=fragment):
        collect(np.ones((10, 2)), **params)


@pytest.mark.parametrize(
    ("X", "params"),
    [
        (np.ones((100_000, 2)), {"bandwidth": 1.0}),
        (np.random.default_rng(0).normal(size=(100_000, 2)) * 1e-6, {"bandwidth": 1.0}),
        (np.random.default_rng(0).normal(size=(100_000, 2)), {}),
        (np.random.default_rng(0).normal(size=(5_000, 2)), {"kernel": "gaussian"}),
    ],
)
def test_windows_holding_too_many_points_are_refused_at_once_naming_the_limit(X, params):
    with pytest.raises(UserError, match="20,000,000"):
        collect(X, **params)


def test_identical_points_with_bin_seeding_take_one_window():
    steps, _ = collect(np.ones((100_000, 2)), bandwidth=1.0, bin_seeding=True)
    assert len(steps[0].kernels) == 1 and (steps[-1].labels == 0).all()


@pytest.mark.parametrize(
    ("bandwidth", "fragment"), [(1e300, "< 1e\\+150"), (1e-308, "more grid cells")]
)
def test_extreme_bandwidths_with_bin_seeding_are_one_user_error(bandwidth, fragment):
    with pytest.raises(UserError, match=fragment):
        collect(data("blobs"), bandwidth=bandwidth, bin_seeding=True)

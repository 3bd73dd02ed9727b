"""Affinity propagation: parity with scikit-learn, the steps it yields, memory, bad input."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import AffinityPropagation
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import euclidean_distances, manhattan_distances

import animate
import animate.algorithms._checks as checks
from animate.algorithms._affinity import affinity
from animate.api import collect
from animate.datasets import make, validate_data

DATASETS = {
    "blobs": lambda: make("blobs", n_samples=150, random_state=0)[0],
    "gaussians4": lambda: make("gaussians4", n_samples=160, random_state=0)[0],
    "moons": lambda: make("moons", n_samples=120, random_state=0)[0],
    "blobs3d": lambda: make("blobs", n_samples=150, n_features=3, random_state=0)[0],
}


def sklearn_fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # "all samples have equal similarities"
        return AffinityPropagation(random_state=0, **params).fit(X)


def assert_parity(X, **params):
    steps, info = collect(affinity(X, **params))
    reference = sklearn_fit(X, **params)
    final = steps[-1]
    np.testing.assert_array_equal(final.exemplars, reference.cluster_centers_indices_)
    np.testing.assert_array_equal(final.labels, reference.labels_)
    assert info["n_iter"] == reference.n_iter_
    return steps, info


def preference_for(X, which):
    S = -euclidean_distances(X, squared=True)
    return {"median": None, "low": 10 * S.min(), "high": np.median(S) / 10}[which]


@pytest.mark.parametrize("damping", [0.5, 0.9])
@pytest.mark.parametrize("which", ["median", "low", "high"])
@pytest.mark.parametrize("name", list(DATASETS))
def test_exemplars_labels_and_n_iter_match_sklearn(name, which, damping):
    X = DATASETS[name]()
    assert_parity(X, damping=damping, preference=preference_for(X, which))


def test_one_preference_per_point_and_another_seed_match_sklearn():
    X = DATASETS["gaussians4"]()
    preference = np.linspace(-300.0, -10.0, len(X))
    assert_parity(X, preference=preference)
    steps, _ = collect(affinity(X, random_state=42))
    reference = AffinityPropagation(random_state=42).fit(X)
    np.testing.assert_array_equal(steps[-1].labels, reference.labels_)


def test_precomputed_similarities_match_sklearn_and_are_not_modified():
    X = DATASETS["moons"]()
    S = -manhattan_distances(X)
    original = S.copy()
    steps, _ = assert_parity(S, affinity="precomputed")
    np.testing.assert_array_equal(S, original)
    assert steps[0].similarity.shape == S.shape


def test_no_exemplar_when_stopped_early_gives_labels_minus_one():
    X = DATASETS["blobs"]()
    # scikit-learn finds no exemplar within 3 heavily damped iterations.
    steps, info = assert_parity(X, damping=0.9, max_iter=3)
    final = steps[-1]
    assert info == {"n_iter": 3, "converged": False}
    assert (final.labels == -1).all() and len(final.exemplars) == 0 and final.n_exemplars == 0
    assert "not converge" in final.message


def test_not_converged_with_exemplars_keeps_sklearns_degenerate_clusters():
    X = DATASETS["blobs"]()
    # max_iter <= convergence_iter: scikit-learn can never declare convergence.
    steps, info = assert_parity(X, max_iter=10)
    assert info == {"n_iter": 10, "converged": False}
    assert steps[-1].n_exemplars > 0 and "not converge" in steps[-1].message


@pytest.mark.parametrize("preference, n_exemplars", [(None, 1), (1.0, 6)])
def test_all_equal_similarities_follow_sklearns_shortcut(preference, n_exemplars):
    X = validate_data(np.ones((6, 2)))
    steps, info = assert_parity(X, preference=preference)
    assert info == {"n_iter": 0, "converged": True}
    assert [s.phase for s in steps] == ["init", "final"]
    assert steps[-1].n_exemplars == n_exemplars


def test_small_runs_keep_whole_matrices_at_every_step():
    X = make("blobs", n_samples=60, random_state=1)[0]
    steps, info = collect(affinity(X))
    assert [s.phase for s in steps] == ["init"] + ["update"] * info["n_iter"] + ["final"]
    assert [s.iteration for s in steps[:-1]] == list(range(info["n_iter"] + 1))
    assert steps[-1].iteration == info["n_iter"]
    assert (steps[0].labels == -1).all() and steps[0].n_exemplars == 0
    assert steps[0].similarity.shape == (60, 60)
    for step in steps[1:-1]:
        evidence = np.diag(step.responsibility) + np.diag(step.availability)
        np.testing.assert_array_equal(step.exemplars, np.flatnonzero(evidence > 0))
        assert step.n_exemplars == len(step.exemplars)
        if step.n_exemplars:
            np.testing.assert_array_equal(step.labels[step.exemplars], np.arange(step.n_exemplars))
        assert step.preference == steps[0].preference


def test_large_runs_keep_views_and_whole_matrices_at_the_end():
    X = DATASETS["blobs"]()
    steps, _ = collect(affinity(X))
    index = np.arange(0, 150, 2)
    for step in steps:
        np.testing.assert_array_equal(step.view_index, index)
        assert step.responsibility_view.shape == step.availability_view.shape == (75, 75)
    assert not hasattr(steps[1], "responsibility")
    final = steps[-1]
    assert final.responsibility.shape == final.availability.shape == (150, 150)
    view = final.responsibility[::2, ::2].astype(np.float32)
    np.testing.assert_array_equal(final.responsibility_view, view)
    assert steps[0].similarity.shape == (150, 150)
    assert steps[0].similarity_view.shape == (75, 75)


def test_a_long_trace_stores_far_less_than_a_matrix_per_step():
    X = make("blobs", n_samples=300, random_state=0)[0]
    # A low preference with little damping oscillates for all 200 iterations.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        steps, info = collect(affinity(X, preference=-1e4))
    assert info["n_iter"] == 200
    stored = sum(s.labels.nbytes for s in steps) + sum(
        value.nbytes for s in steps for value in s.fields.values() if isinstance(value, np.ndarray)
    )
    assert stored < 0.2 * 300 * 300 * 8 * len(steps)
    for step in steps[1:-1]:
        assert all(np.size(value) <= 100 * 100 for value in step.fields.values())


@pytest.mark.parametrize(
    "params, words",
    [
        ({"damping": 0.4}, "damping"),
        ({"damping": 1.0}, "damping"),
        ({"preference": np.zeros(7)}, "preference"),
        ({"preference": "high"}, "preference"),
        ({"affinity": "cosine"}, "affinity"),
        ({"convergence_iter": 0}, "convergence_iter"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_bad_parameters_raise_one_clear_user_error(params, words):
    X = validate_data(np.arange(20.0).reshape(10, 2))
    with pytest.raises(animate.UserError, match=words) as error:
        next(affinity(X, **params))
    assert "\n" not in str(error.value)


def test_non_square_precomputed_matrix_is_refused():
    X = validate_data(np.zeros((10, 3)))
    with pytest.raises(animate.UserError, match="square"):
        next(affinity(X, affinity="precomputed"))


def test_too_many_points_for_memory_is_refused(monkeypatch):
    monkeypatch.setattr(checks, "available_memory", lambda: 10**6)
    X = DATASETS["blobs"]()
    with pytest.raises(animate.UserError, match="subsample"):
        next(affinity(X))

"""EM for Gaussian mixtures, step by step, as ``sklearn.mixture.GaussianMixture``."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import check_array, check_random_state
from animate.algorithms._kmeans import kmeans
from animate.algorithms._kmeans_plusplus import seed_indices
from animate.algorithms.registry import (
    ANY,
    ARRAY,
    MAX_ITER,
    NONE,
    RANDOM_STATE,
    Estimator,
    Interval,
    Options,
    algorithm,
)
from animate.errors import UserError
from animate.trace import Step

_INIT_TEXT = {
    "kmeans": "fitted to a k-means clustering",
    "k-means++": "each on one point picked by k-means++",
    "random": "fitted to random responsibilities",
    "random_from_data": "each on one random point",
}
_COLLAPSED = (
    "a Gaussian collapsed onto too few points, so its covariance cannot be inverted; "
    "increase reg_covar, use fewer components or scale the data"
)


@algorithm(
    "em",
    display="EM",
    aliases=("gmm", "gaussian_mixture"),
    summary="expectation maximisation for a mixture of Gaussians (soft clusters, ellipses)",
    order=20,
    estimator=Estimator(
        "sklearn.mixture.GaussianMixture",
        {"warm_start": (False,), "verbose": ANY, "verbose_interval": ANY},
    ),
    constraints={
        "n_components": Interval(Integral, 1, "n_samples"),
        "covariance_type": Options("full", "tied", "diag", "spherical"),
        "tol": Interval(Real, 0, None),
        "reg_covar": Interval(Real, 0, None),
        "max_iter": Interval(Integral, 1, MAX_ITER),
        "init_params": Options("kmeans", "k-means++", "random", "random_from_data"),
        "weights_init": [NONE, ARRAY],
        "means_init": [NONE, ARRAY],
        "precisions_init": [NONE, ARRAY],
        "random_state": RANDOM_STATE,
        # Every run's steps are kept (one resp matrix each): a hundred runs is plenty.
        "n_init": Interval(Integral, 1, 100),
    },
    fields=("means", "covariances", "weights", "resp", "lower_bound", "centers"),
    restarts="n_init",
    score="lower_bound",
)
def em(
    X,
    n_components=1,
    *,
    covariance_type="full",
    tol=1e-3,
    reg_covar=1e-6,
    max_iter=100,
    init_params="kmeans",
    weights_init=None,
    means_init=None,
    precisions_init=None,
    random_state=0,
    n_init=1,
):
    """Expectation maximisation for a mixture of Gaussians, yielding a Step after every half-step.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The points to cluster.
    n_components : int, default=1
        Number of Gaussians in the mixture.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        The shape of the Gaussians: any ellipse each ("full"), one ellipse shared
        by all ("tied"), ellipses along the axes ("diag"), or circles ("spherical").
    tol : float, default=1e-3
        Stop when the lower bound (the average log-likelihood of a point) changes
        by less than this from one iteration to the next.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance so that none can collapse.
    max_iter : int, default=100
        Most E-step/M-step iterations (scikit-learn also takes 0; we need at least 1).
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How the starting Gaussians are found when they are not all given: fitted
        to a k-means clustering, each on one point picked by k-means++ or at
        random, or fitted to random soft assignments.
    weights_init : array of shape (n_components,), optional
        Starting share of the points of every Gaussian; between 0 and 1, summing to 1.
    means_init : array of shape (n_components, n_features), optional
        Starting centres.
    precisions_init : array, optional
        Starting inverse covariances, shaped as the covariances of ``covariance_type``:
        (n_components, n_features, n_features) for "full", (n_features, n_features)
        for "tied", (n_components, n_features) for "diag", (n_components,) for
        "spherical". With all three ``*_init`` given, the run is deterministic.
    random_state : int or None, default=0
        Seed of the initialisation; scikit-learn's default is None (a new seed
        every call), ours is 0 so the same call draws the same GIF.
    n_init : int, default=1
        How many initialisations to run, one after the other from the same
        random generator, as scikit-learn; the answer is the run with the
        highest final lower bound (the first of equals). At most 100.

    Yields
    ------
    Step
        Phase "init", then "e-step" and "m-step" per iteration, then a last
        "e-step" with the final Gaussians (as scikit-learn's, so that the labels
        are ``predict``'s). Fields: ``means`` (k, d) (also as ``centers``),
        ``covariances`` (shaped as scikit-learn's ``covariances_``), ``weights``
        (k,), ``resp`` (n, k), the
        probability that each point belongs to each Gaussian, and ``lower_bound``,
        scikit-learn's per-point log-likelihood bound (None before the first E-step;
        the last step keeps the last iteration's, as scikit-learn's ``lower_bound_``).
        Labels are each point's most likely Gaussian. At "init", ``resp`` is what
        the starting Gaussians were fitted to (all zero when all three ``*_init``
        are given) and points without any responsibility are labelled -1.
        Every step has ``run``, which initialisation it belongs to (from 0).

    Returns
    -------
    dict
        ``n_iter`` and ``converged`` of the best run, as scikit-learn's ``n_iter_``
        and ``converged_``; ``best_run`` and ``runs`` (each run's ``(n_iter, converged)``).
    """
    given = _check_given(
        weights_init, means_init, precisions_init, covariance_type, n_components, X.shape[1]
    )
    rng = check_random_state(random_state)
    runs, best = [], None
    for run in range(n_init):
        result = yield from _run(
            X, n_components, covariance_type, tol, reg_covar, max_iter, init_params, given, rng, run
        )
        runs.append(result)
        # scikit-learn keeps the first run with the highest bound.
        if best is None or result["lower_bound"] > runs[best]["lower_bound"]:
            best = run
    return {
        "n_iter": runs[best]["n_iter"],
        "converged": runs[best]["converged"],
        "best_run": best,
        "runs": [(r["n_iter"], r["converged"]) for r in runs],
    }


def _run(X, n_components, covariance_type, tol, reg_covar, max_iter, init_params, given, rng, run):
    """One EM run from one initialisation: its Steps; returns n_iter, converged, lower_bound."""

    def step(iteration, phase, labels, message, model, resp, lower_bound):
        # ``centers`` too: the field every algorithm with centres names them by (sweeps draw it).
        fields = {**model, "centers": model["means"], "resp": resp, "lower_bound": lower_bound}
        return Step(iteration, phase, labels, message, **fields, run=run)

    model, precisions_chol, resp = _initialize(
        X, n_components, covariance_type, reg_covar, init_params, given, rng
    )
    labels = np.where(resp.any(axis=1), resp.argmax(axis=1), -1)
    message = _init_text(init_params, given, n_components)
    yield step(0, "init", labels, message, model, resp, None)
    lower_bound, converged = -np.inf, False
    for iteration in range(1, max_iter + 1):
        previous = lower_bound
        lower_bound, log_resp = _e_step(X, model, precisions_chol, covariance_type)
        resp, labels = np.exp(log_resp), log_resp.argmax(axis=1)
        message = (
            f"E-step: each point's responsibilities under the current Gaussians "
            f"(lower bound {lower_bound:.4f})"
        )
        yield step(iteration, "e-step", labels, message, model, resp, lower_bound)
        model, precisions_chol = _m_step(X, resp, reg_covar, covariance_type)
        # The bound belongs to the Gaussians before this M-step, as in scikit-learn.
        converged = abs(lower_bound - previous) < tol
        message = _m_step_text(converged, tol)
        yield step(iteration, "m-step", labels, message, model, resp, lower_bound)
        if converged:
            break
    # As scikit-learn: one more E-step, so that the labels are predict()'s for the final Gaussians.
    _, log_resp = _e_step(X, model, precisions_chol, covariance_type)
    reason = (
        f"Converged after {iteration} iterations"
        if converged
        else f"Stopped at max_iter={max_iter} before converging"
    )
    message = f"{reason}: each point's final responsibilities (lower bound {lower_bound:.4f})"
    yield step(
        iteration, "e-step", log_resp.argmax(axis=1), message, model, np.exp(log_resp), lower_bound
    )
    return {"n_iter": iteration, "converged": converged, "lower_bound": lower_bound}


def _initialize(X, n_components, covariance_type, reg_covar, init_params, given, rng):
    """Starting weights, means and covariances, the precisions' Cholesky factors, and the
    responsibilities the missing parameters were estimated from."""
    weights, means, precisions = given
    if weights is None or means is None or precisions is None:
        # scikit-learn draws the random numbers only when something is missing.
        resp = _initial_resp(X, n_components, init_params, rng)
        nk, estimated_means, covariances = _estimate_parameters(X, resp, reg_covar, covariance_type)
        weights = nk / len(X) if weights is None else weights
        means = estimated_means if means is None else means
    else:
        resp = np.zeros((len(X), n_components))
    if precisions is None:
        precisions_chol = _precisions_cholesky(covariances, covariance_type)
    else:
        covariances = _invert(precisions, covariance_type)
        precisions_chol = _precisions_cholesky_from_precisions(precisions, covariance_type)
    return ({"means": means, "covariances": covariances, "weights": weights}, precisions_chol, resp)


def _initial_resp(X, n_components, init_params, rng):
    n_samples = len(X)
    resp = np.zeros((n_samples, n_components))
    if init_params == "kmeans":
        # scikit-learn runs KMeans(n_init=1) with the same random generator: so do we.
        final = list(kmeans(X, n_components, n_init=1, random_state=rng))[-1]
        resp[np.arange(n_samples), final.labels] = 1
    elif init_params == "random":
        resp = rng.uniform(size=(n_samples, n_components))
        resp /= resp.sum(axis=1)[:, np.newaxis]
    elif init_params == "random_from_data":
        rows = rng.choice(n_samples, size=n_components, replace=False)
        resp[rows, np.arange(n_components)] = 1
    else:
        resp[seed_indices(X, n_components, rng), np.arange(n_components)] = 1
    return resp


def _e_step(X, model, precisions_chol, covariance_type):
    """The lower bound (mean log-likelihood of a point) and the log-responsibilities."""
    log_prob = _log_gaussian_prob(X, model["means"], precisions_chol, covariance_type)
    weighted = log_prob + np.log(model["weights"])
    from scipy.special import logsumexp

    log_prob_norm = logsumexp(weighted, axis=1)
    with np.errstate(under="ignore"):
        log_resp = weighted - log_prob_norm[:, np.newaxis]
    return float(np.mean(log_prob_norm)), log_resp


def _m_step(X, resp, reg_covar, covariance_type):
    nk, means, covariances = _estimate_parameters(X, resp, reg_covar, covariance_type)
    model = {"means": means, "covariances": covariances, "weights": nk / np.sum(nk)}
    return model, _precisions_cholesky(covariances, covariance_type)


def _estimate_parameters(X, resp, reg_covar, covariance_type):
    # The tiny constant keeps a Gaussian that lost all its points from dividing by zero.
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ X) / nk[:, np.newaxis]
    if covariance_type == "full":
        covariances = np.empty((len(means), X.shape[1], X.shape[1]))
        for k, mean in enumerate(means):
            diff = X - mean
            covariances[k] = ((resp[:, k] * diff.T) @ diff) / nk[k]
            covariances[k].flat[:: X.shape[1] + 1] += reg_covar
    elif covariance_type == "tied":
        covariances = X.T @ X - nk * means.T @ means
        covariances /= np.sum(nk)
        covariances.flat[:: X.shape[1] + 1] += reg_covar
    else:
        covariances = (resp.T @ (X * X)) / nk[:, np.newaxis] - means**2 + reg_covar
        if covariance_type == "spherical":
            covariances = np.mean(covariances, axis=1)
    return nk, means, covariances


def _precisions_cholesky(covariances, covariance_type):
    """Upper-triangular U with U @ U.T = inverse covariance, for every Gaussian."""
    try:
        if covariance_type == "full":
            return np.stack([_inverse_cholesky(covariance) for covariance in covariances])
        if covariance_type == "tied":
            return _inverse_cholesky(covariances)
    except np.linalg.LinAlgError:
        raise UserError(_COLLAPSED) from None
    if np.any(covariances <= 0.0):
        raise UserError(_COLLAPSED)
    return 1.0 / np.sqrt(covariances)


def _inverse_cholesky(covariance):
    import scipy.linalg  # on first use: scipy takes longer to import than `--help` may

    lower = scipy.linalg.cholesky(covariance, lower=True)
    return scipy.linalg.solve_triangular(lower, np.eye(len(covariance)), lower=True).T


def _precisions_cholesky_from_precisions(precisions, covariance_type):
    if covariance_type == "full":
        return np.stack([_upper_cholesky(precision) for precision in precisions])
    if covariance_type == "tied":
        return _upper_cholesky(precisions)
    return np.sqrt(precisions)


def _upper_cholesky(precision):
    # U @ U.T = P: the lower Cholesky factor of P with rows and columns reversed, reversed back.
    import scipy.linalg

    return scipy.linalg.cholesky(precision[::-1, ::-1], lower=True)[::-1, ::-1]


def _invert(precisions, covariance_type):
    if covariance_type in ("full", "tied"):
        return np.linalg.inv(precisions)
    return 1.0 / precisions


def _log_gaussian_prob(X, means, precisions_chol, covariance_type):
    """log N(x | mean, covariance) of every point under every Gaussian, shape (n, k)."""
    n_features = X.shape[1]
    if covariance_type in ("full", "tied"):
        chols = precisions_chol if covariance_type == "full" else [precisions_chol] * len(means)
        squared = np.column_stack(
            [
                np.sum(np.square(X @ chol - mean @ chol), axis=1)
                for mean, chol in zip(means, chols, strict=True)
            ]
        )
    elif covariance_type == "diag":
        precisions = precisions_chol**2
        squared = (
            np.sum(means**2 * precisions, axis=1)
            - 2.0 * (X @ (means * precisions).T)
            + (X**2 @ precisions.T)
        )
    else:
        precisions = precisions_chol**2
        squared = (
            np.sum(means**2, axis=1) * precisions
            - 2 * (X @ means.T * precisions)
            + np.outer(np.einsum("ij,ij->i", X, X), precisions)
        )
    # log det(precision) / 2 = log det(U), the sum of the logs of U's diagonal.
    if covariance_type == "full":
        log_det = np.sum(np.log(np.diagonal(precisions_chol, axis1=1, axis2=2)), axis=1)
    elif covariance_type == "tied":
        log_det = np.sum(np.log(np.diag(precisions_chol)))
    elif covariance_type == "diag":
        log_det = np.sum(np.log(precisions_chol), axis=1)
    else:
        log_det = n_features * np.log(precisions_chol)
    return -0.5 * (n_features * math.log(2 * math.pi) + squared) + log_det


def _check_given(weights, means, precisions, covariance_type, n_components, n_features):
    """The given weights_init, means_init and precisions_init, checked; None where not given."""
    return (
        None if weights is None else _check_weights(weights, n_components),
        None if means is None else check_array("means_init", means, (n_components, n_features)),
        None
        if precisions is None
        else _check_precisions(precisions, covariance_type, n_components, n_features),
    )


def _check_weights(weights, n_components):
    # scikit-learn keeps float32 weights as they are: their sum, in float32, may miss 1
    # by a few 1e-8, so it allows 1e-6 for them.
    single = isinstance(weights, np.ndarray) and weights.dtype == np.float32
    weights = check_array("weights_init", weights, (n_components,))
    if np.any(weights < 0.0) or np.any(weights > 1.0):
        raise UserError(
            f"weights_init must be between 0 and 1, got values from "
            f"{weights.min():g} to {weights.max():g}; give each Gaussian's share "
            f"of the points"
        )
    if single:
        weights = weights.astype(np.float32)
    total, allowed = float(weights.sum()), 1e-6 if single else 1e-8
    if abs(1.0 - total) > allowed:
        raise UserError(
            f"weights_init must sum to 1 (give or take {allowed:g}), got {total!r}; "
            "divide them by their sum"
        )
    return weights


def _check_precisions(precisions, covariance_type, n_components, n_features):
    shape = {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]
    precisions = check_array(
        f"precisions_init for covariance_type={covariance_type!r}", precisions, shape
    )
    if covariance_type in ("diag", "spherical"):
        if np.any(precisions <= 0.0):
            raise UserError(
                f"precisions_init must be positive for covariance_type="
                f"{covariance_type!r}, got {precisions.min():g}; give inverse "
                f"variances, 1 / variance"
            )
        return precisions
    for precision in precisions.reshape(-1, n_features, n_features):
        if not (
            np.isclose(precision, precision.T).all() and np.all(np.linalg.eigvalsh(precision) > 0.0)
        ):
            raise UserError(
                f"precisions_init must hold symmetric positive-definite matrices "
                f"for covariance_type={covariance_type!r}; give inverses of "
                f"covariance matrices"
            )
    return precisions


def _init_text(init_params, given, n_components):
    names = [
        name
        for name, value in zip(("weights", "means", "precisions"), given, strict=True)
        if value is not None
    ]
    if len(names) == 3:
        return f"Start: {n_components} Gaussians with the given weights, means and precisions"
    extra = f", with the given {' and '.join(names)}" if names else ""
    return f"Start: {n_components} Gaussians {_INIT_TEXT[init_params]}{extra}"


def _m_step_text(converged, tol):
    if converged:
        return (
            f"M-step: means, covariances and weights re-estimated; the bound changed by "
            f"less than tol={tol:g}, so EM stops"
        )
    return "M-step: means, covariances and weights re-estimated from the responsibilities"

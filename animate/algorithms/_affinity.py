"""Affinity propagation, step by step, as ``sklearn.cluster.AffinityPropagation``."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import (
    check_array,
    check_pairwise_memory,
    check_quadratic_time,
    check_random_state,
)
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

# Largest n whose responsibility and availability are kept whole at every step;
# above it a step keeps a view of at most this many rows and columns, in float32:
# views are only drawn, and the last step has the exact matrices.
_DRAWABLE = 100
# S, R, A and a work array while running, plus the copies of S (first step) and
# of R and A (last step) that the trace keeps.
_N_MATRICES = 7
# Most points: every iteration updates two n x n matrices (200 iterations at 1,500 points
# took 76 s on a busy two-core machine).
MAX_POINTS = 2_000


@algorithm(
    "affinity",
    display="affinity propagation",
    aliases=("affinity_propagation",),
    summary="affinity propagation: points pass messages until exemplars emerge",
    order=40,
    estimator=Estimator("sklearn.cluster.AffinityPropagation", {"copy": ANY, "verbose": ANY}),
    constraints={
        "damping": Interval(Real, 0.5, 1.0, closed="left"),
        "max_iter": Interval(Integral, 1, MAX_ITER),
        "convergence_iter": Interval(Integral, 1, MAX_ITER),
        "preference": [NONE, Interval(Real), ARRAY],
        "affinity": Options("euclidean", "precomputed"),
        "random_state": RANDOM_STATE,
    },
    fields=("exemplars", "responsibility", "availability"),
)
def affinity(
    X,
    *,
    damping=0.5,
    max_iter=200,
    convergence_iter=15,
    preference=None,
    affinity="euclidean",
    random_state=0,
):
    """Affinity propagation, yielding a Step after the set-up and after every iteration.

    Points pass two kinds of messages until some of them stand out as exemplars:
    the responsibility r(i, k) says how well point k would serve as point i's
    exemplar, compared with i's other candidates; the availability a(i, k) says
    how much support k gets from the other points to be an exemplar at all.
    Point k is an exemplar when a(k, k) + r(k, k) > 0.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or (n_samples, n_samples)
        The points to cluster, or their similarities if ``affinity="precomputed"``.
    damping : float, default=0.5
        Share of the old message kept at each update, in [0.5, 1): higher values
        calm oscillations but need more iterations.
    max_iter : int, default=200
        Most iterations.
    convergence_iter : int, default=15
        Stop once the set of exemplars has not changed for this many iterations.
    preference : float or array of shape (n_samples,), default=None
        How much each point wants to be an exemplar (the diagonal of the
        similarity matrix): higher gives more clusters. None uses the median
        similarity, as scikit-learn does.
    affinity : {"euclidean", "precomputed"}, default="euclidean"
        "euclidean" makes the similarity the negative squared distance;
        "precomputed" takes ``X`` as the similarity matrix itself.
    random_state : int or None, default=0
        Seed of the tiny noise that scikit-learn adds to the similarities to
        break ties; its default is None, ours 0 (the same GIF every call).

    Yields
    ------
    Step
        Phase "init", one "update" per iteration, then "final" with the
        exemplars refined as scikit-learn does. Every step has ``exemplars``
        (indices of the points that are exemplars now), ``n_exemplars``,
        ``preference`` and labels from the current exemplars (each point joins
        its most similar exemplar; -1 while there is none). The "init" step has
        ``similarity`` (n, n): the jittered similarities with the preference on
        the diagonal. With at most 100 points every step has ``responsibility``
        and ``availability`` (n, n); with more, only the "final" step has them
        whole and every step has ``responsibility_view`` and
        ``availability_view`` (and "init" ``similarity_view``): the rows and
        columns ``view_index`` (every ceil(n / 100)-th point, at most 100), in
        float32.

    Returns
    -------
    dict
        ``n_iter`` (scikit-learn's ``n_iter_``) and ``converged``. When it does
        not converge, the final step keeps scikit-learn's answer: the clusters
        of the last exemplars if there are any, else no exemplars and labels -1.

    Raises
    ------
    UserError
        For a bad parameter, or for more points than memory allows: seven
        n x n float64 matrices must fit in half the available memory, which is
        about 15 000 points when 24 GiB are free (5 000 points need 1.3 GiB).
    """
    n_samples = len(X)
    if affinity == "precomputed" and X.shape != (n_samples, n_samples):
        raise UserError(
            f"affinity='precomputed' needs a square (n_samples, n_samples) matrix "
            f"of similarities, got shape {X.shape}; pass the similarity matrix or "
            "use affinity='euclidean' for points"
        )
    check_quadratic_time("affinity propagation", n_samples, MAX_POINTS)
    preference = _check_preference(preference, n_samples)
    rng = check_random_state(random_state)
    check_pairwise_memory("affinity propagation", n_samples, n_matrices=_N_MATRICES)

    S = _similarity(X, affinity)
    if preference is None:
        preference = float(np.median(S))
    answer = _equal_case(S, preference)
    np.fill_diagonal(S, preference)
    R, A = np.zeros_like(S), np.zeros_like(S)
    if answer is None:
        _jitter(S, rng)
    yield _init_step(S, R, A, affinity, preference)
    if answer is not None:
        message = (
            f"All similarities and preferences are equal: {_count(len(answer[0]), 'exemplar')}"
        )
        yield _final_step(0, R, A, *answer, preference, message)
        return {"n_iter": 0, "converged": True}
    exemplars, n_iter, converged = yield from _propagate(
        S, R, A, preference, damping, max_iter, convergence_iter
    )
    centres, labels = _refine(S, exemplars)
    yield _final_step(
        n_iter,
        R,
        A,
        centres,
        labels,
        preference,
        _final_text(converged, len(centres), convergence_iter, max_iter),
    )
    return {"n_iter": n_iter, "converged": converged}


def _propagate(S, R, A, preference, damping, max_iter, convergence_iter):
    """Update R and A in place, yielding a Step per iteration, until the exemplars settle."""
    tmp = np.empty_like(S)
    last, unchanged = None, 0
    for it in range(max_iter):
        _update_responsibility(S, A, R, tmp, damping)
        _update_availability(R, A, tmp, damping)
        is_exemplar = (np.diag(A) + np.diag(R)) > 0
        unchanged = unchanged + 1 if np.array_equal(is_exemplar, last) else 1
        last = is_exemplar
        exemplars = np.flatnonzero(is_exemplar)
        # scikit-learn's test, said simply: the exemplars held for convergence_iter
        # iterations (its window of past iterations is full only from it = convergence_iter).
        converged = it >= convergence_iter and unchanged >= convergence_iter and len(exemplars) > 0
        yield Step(
            it + 1,
            "update",
            _nearest_exemplar(S, exemplars),
            _update_text(it + 1, len(exemplars), unchanged),
            exemplars=exemplars,
            n_exemplars=len(exemplars),
            preference=preference,
            **_message_fields(R, A),
        )
        if converged:
            break
    return exemplars, it + 1, converged


def _update_responsibility(S, A, R, tmp, damping):
    # scikit-learn's in-place arithmetic, operation for operation, for identical rounding:
    # r(i, k) = s(i, k) - max over k' != k of (a(i, k') + s(i, k')), then damped.
    rows = np.arange(len(S))
    np.add(A, S, tmp)
    best = np.argmax(tmp, axis=1)
    first = tmp[rows, best]
    tmp[rows, best] = -np.inf
    second = np.max(tmp, axis=1)
    np.subtract(S, first[:, None], tmp)
    tmp[rows, best] = S[rows, best] - second
    tmp *= 1 - damping
    R *= damping
    R += tmp


def _update_availability(R, A, tmp, damping):
    # a(i, k) = min(0, r(k, k) + sum of the other positive r(i', k)), a(k, k) without
    # the min; computed as scikit-learn does, through -A_new in tmp, then damped.
    step = len(R) + 1
    np.maximum(R, 0, out=tmp)
    tmp.flat[::step] = R.flat[::step]
    tmp -= np.sum(tmp, axis=0)
    diagonal = np.diag(tmp).copy()
    np.clip(tmp, 0, np.inf, out=tmp)
    tmp.flat[::step] = diagonal
    tmp *= 1 - damping
    A *= damping
    A -= tmp


def _nearest_exemplar(S, exemplars):
    """Cluster of each point: its most similar exemplar (exemplars their own); -1 if none."""
    if len(exemplars) == 0:
        return np.full(len(S), -1)
    clusters = np.argmax(S[:, exemplars], axis=1)
    clusters[exemplars] = np.arange(len(exemplars))
    return clusters


def _refine(S, exemplars):
    """scikit-learn's last step: each cluster's exemplar moves to its most central member."""
    if len(exemplars) == 0:
        return np.array([], dtype=np.int64), np.full(len(S), -1)
    exemplars = exemplars.copy()
    clusters = _nearest_exemplar(S, exemplars)
    for k in range(len(exemplars)):
        members = np.flatnonzero(clusters == k)
        best = np.argmax(np.sum(S[members[:, np.newaxis], members], axis=0))
        exemplars[k] = members[best]
    labels = exemplars[_nearest_exemplar(S, exemplars)]
    centres = np.unique(labels)
    return centres, np.searchsorted(centres, labels)


def _similarity(X, affinity):
    if affinity == "precomputed":
        return np.array(X, dtype=np.float64)
    from sklearn.metrics.pairwise import euclidean_distances  # on first use: slow to import

    S = euclidean_distances(X, squared=True)
    return np.negative(S, out=S)


def _equal_case(S, preference):
    """scikit-learn's ``(exemplars, labels)`` when all similarities and preferences are equal.

    It then passes no messages: every point is its own exemplar if the preference
    beats the similarity, else point 0 is the one exemplar. None in every other case.
    """
    n_samples = len(S)
    off_diagonal = S[~np.eye(n_samples, dtype=bool)]
    preference = np.asarray(preference)
    if n_samples > 1 and not (
        np.all(preference == preference.flat[0]) and np.all(off_diagonal == off_diagonal[0])
    ):
        return None
    if preference.flat[0] > S.flat[n_samples - 1]:
        return np.arange(n_samples), np.arange(n_samples)
    return np.array([0]), np.zeros(n_samples, dtype=np.int64)


def _jitter(S, rng):
    # scikit-learn adds this tiny noise to break ties between equal similarities. Same
    # draw, same formula (eps * S + tiny * 100) * noise, computed in place to save memory.
    noise = rng.standard_normal(size=S.shape)
    scale = np.finfo(S.dtype).eps * S
    scale += np.finfo(S.dtype).tiny * 100
    scale *= noise
    S += scale


def _check_preference(preference, n_samples):
    if preference is None:
        return None
    if np.ndim(preference) == 0:
        return preference
    if np.ndim(preference) == 1 and len(preference) != n_samples:
        raise UserError(
            f"preference has {len(preference)} values for {n_samples} points; "
            "give one number, or one per point"
        )
    return check_array("preference", preference, (n_samples,))


def _stride(n_samples):
    return -(-n_samples // _DRAWABLE)


def _similarity_fields(S):
    if len(S) <= _DRAWABLE:
        return {"similarity": S}
    stride = _stride(len(S))
    return {"similarity": S, "similarity_view": _view(S, stride)}


def _message_fields(R, A, whole=False):
    """R and A as a step keeps them: whole if small (or asked), else every stride-th row/column."""
    n_samples = len(R)
    if n_samples <= _DRAWABLE:
        return {"responsibility": R, "availability": A}
    stride = _stride(n_samples)
    fields = {
        "view_index": np.arange(0, n_samples, stride),
        "responsibility_view": _view(R, stride),
        "availability_view": _view(A, stride),
    }
    if whole:
        fields.update(responsibility=R, availability=A)
    return fields


def _view(matrix, stride):
    return matrix[::stride, ::stride].astype(np.float32)


def _init_step(S, R, A, affinity, preference):
    return Step(
        0,
        "init",
        np.full(len(S), -1),
        _init_text(affinity, preference),
        exemplars=np.array([], dtype=np.int64),
        n_exemplars=0,
        preference=preference,
        **_similarity_fields(S),
        **_message_fields(R, A),
    )


def _final_step(n_iter, R, A, exemplars, labels, preference, message):
    return Step(
        n_iter,
        "final",
        labels,
        message,
        exemplars=exemplars,
        n_exemplars=len(exemplars),
        preference=preference,
        **_message_fields(R, A, whole=True),
    )


def _init_text(affinity, preference):
    source = (
        "the given similarities"
        if affinity == "precomputed"
        else "similarity = minus the squared distance"
    )
    if np.ndim(preference) == 0:
        wish = f"the preference {preference:.3g}"
    else:
        wish = f"preferences from {preference.min():.3g} to {preference.max():.3g}"
    return f"Start: {source}, with {wish} on the diagonal: how much each point wants to lead"


def _update_text(iteration, n_exemplars, unchanged):
    if n_exemplars == 0:
        return f"Iteration {iteration}: points exchange messages; no exemplar stands out yet"
    return (
        f"Iteration {iteration}: points exchange messages; {_count(n_exemplars, 'exemplar')}, "
        f"unchanged for {_count(unchanged, 'iteration')}"
    )


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _final_text(converged, n_exemplars, convergence_iter, max_iter):
    if converged:
        return (
            f"Converged: the exemplars held for {convergence_iter} iterations; each moves to "
            f"the most central point of its cluster: {_count(n_exemplars, 'cluster')}"
        )
    if n_exemplars:
        return (
            f"Did not converge in max_iter={max_iter} iterations: these "
            f"{_count(n_exemplars, 'cluster')} may be degenerate; raise max_iter or damping"
        )
    return (
        f"Did not converge in max_iter={max_iter} iterations and found no exemplar, so no "
        "point is clustered; raise max_iter or damping"
    )

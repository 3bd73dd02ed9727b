"""k-means++ seeding, one centre at a time, as ``sklearn.cluster.kmeans_plusplus``.

scikit-learn's k-means++ is the greedy variant: for every new centre it draws a
few candidate points ("local trials"), each with probability proportional to its
squared distance to the nearest centre chosen so far (D²), and keeps the
candidate that leaves the smallest potential (the sum of D² over all points).
:func:`greedy_seeding` is that loop, written with scikit-learn's arithmetic so
that the same seed picks the same points; k-means and EM start from it too.
"""

from __future__ import annotations

from numbers import Integral
from typing import NamedTuple

import numpy as np

from animate.algorithms._checks import check_random_state
from animate.algorithms.registry import NONE, RANDOM_STATE, Interval, algorithm
from animate.trace import Step


class Choice(NamedTuple):
    """One centre chosen by :func:`greedy_seeding`.

    ``weights`` is each point's probability of being drawn as a trial for this
    centre, ``trials`` the points drawn and ``trial_potentials`` the potential
    each would leave; ``index`` is the winner. ``closest`` (each point's D² to
    its nearest centre), ``labels`` (which centre that is) and ``potential``
    (the sum of ``closest``) are the state after adding it.
    """

    index: int
    weights: np.ndarray
    trials: np.ndarray
    trial_potentials: np.ndarray
    closest: np.ndarray
    labels: np.ndarray
    potential: float


def greedy_seeding(X, n_clusters, rng, n_local_trials=None, sample_weight=None):
    """Yield a :class:`Choice` per centre, drawing scikit-learn's random numbers.

    The expressions follow scikit-learn's ``_kmeans_plusplus`` (norms by
    ``einsum``, potentials by matrix products with the sample weights, all 1
    when None, the same ``searchsorted`` and clip), so rounding and ties fall
    the same way.
    """
    n_samples = len(X)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    ones = np.ones(n_samples) if sample_weight is None else sample_weight
    norms = np.einsum("ij,ij->i", X, X)
    uniform = ones / ones.sum()
    first = rng.choice(n_samples, p=uniform)
    closest = _squared_distances(X[[first]], X, norms)
    potential = closest @ ones
    labels = np.zeros(n_samples, dtype=np.intp)
    closest = closest[0]
    yield Choice(
        int(first), uniform, np.array([first]), potential, closest, labels, float(potential[0])
    )
    for c in range(1, n_clusters):
        # When every point sits on a centre (k above the distinct points) all draws are 0.
        weights = ones * closest / potential if potential[0] > 0 else np.zeros(n_samples)
        draws = rng.uniform(size=n_local_trials) * potential
        trials = np.searchsorted(np.cumsum(ones * closest), draws)
        # Rounding can put a draw past the last cumulative sum, as scikit-learn notes.
        np.clip(trials, None, n_samples - 1, out=trials)
        to_trials = _squared_distances(X[trials], X, norms)
        np.minimum(closest, to_trials, out=to_trials)
        trial_potentials = to_trials @ ones.reshape(-1, 1)
        best = np.argmin(trial_potentials)
        labels = np.where(to_trials[best] < closest, c, labels)
        potential, closest = trial_potentials[best], to_trials[best]
        yield Choice(
            int(trials[best]),
            weights,
            trials,
            trial_potentials[:, 0],
            closest,
            labels,
            float(potential[0]),
        )


def seed_indices(X, n_clusters, rng, sample_weight=None):
    """The rows of X that k-means++ picks as starting centres (scikit-learn's ``indices``)."""
    choices = greedy_seeding(X, n_clusters, rng, sample_weight=sample_weight)
    return np.array([choice.index for choice in choices])


def _squared_distances(A, B, B_norms):
    """scikit-learn's ``_euclidean_distances(A, B, Y_norm_squared=B_norms, squared=True)``."""
    distances = -2 * (A @ B.T)
    distances += np.einsum("ij,ij->i", A, A)[:, None]
    distances += B_norms[None, :]
    return np.maximum(distances, 0, out=distances)


@algorithm(
    "kmeans_plusplus",
    display="k-means++ seeding",
    aliases=("kmeans++", "k-means++"),
    summary="k-means++ seeding: each new centre drawn far from the chosen ones (D² sampling)",
    order=12,
    constraints={
        "n_clusters": Interval(Integral, 1, "n_samples"),
        # Each trial is a row of n distances: a bound keeps a typo from exhausting memory.
        "n_local_trials": [NONE, Interval(Integral, 1, 10_000)],
        "random_state": RANDOM_STATE,
    },
    fields=("centers", "indices"),
    score="potential",
)
def kmeans_plusplus(X, n_clusters=8, *, n_local_trials=None, random_state=0):
    """k-means++ seeding, yielding a Step for every centre chosen.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The points to pick starting centres from.
    n_clusters : int, default=8
        Number of centres to choose.
    n_local_trials : int or None, default=None
        Candidate points drawn for each centre after the first; the one that
        leaves the smallest potential is kept. None means ``2 + int(log(k))``,
        as in scikit-learn.
    random_state : int or None, default=0
        Seed of the draws; scikit-learn's default is None (a new seed every
        call), ours is 0 so the same call draws the same GIF.

    Yields
    ------
    Step
        Phase "init" (the first centre, drawn uniformly), then "choose" per
        centre. Fields: ``centers`` (chosen so far), ``indices`` (their rows in
        X), ``weights`` (each point's probability of being drawn as a trial
        for this centre), ``trials`` (the rows drawn), ``trial_potentials``,
        ``chosen`` (the row kept) and ``potential`` (sum of squared distances
        to the nearest centre). Labels: each point's nearest chosen centre.

    Returns
    -------
    dict
        ``n_iter`` (centres chosen) and ``converged`` (always True).
    """
    rng = check_random_state(random_state)
    indices = []
    for c, choice in enumerate(greedy_seeding(X, n_clusters, rng, n_local_trials)):
        indices.append(choice.index)
        yield Step(
            c,
            "init" if c == 0 else "choose",
            choice.labels,
            _message(c, n_clusters, choice),
            centers=X[indices],
            indices=np.array(indices),
            weights=choice.weights,
            trials=choice.trials,
            trial_potentials=choice.trial_potentials,
            chosen=choice.index,
            potential=choice.potential,
        )
    return {"n_iter": n_clusters, "converged": True}


def _message(c, n_clusters, choice):
    if c == 0:
        return "Start: the first centre is a point drawn uniformly at random"
    n_trials = len(choice.trials)
    drawn = "1 candidate" if n_trials == 1 else f"{n_trials} candidates"
    return (
        f"Centre {c + 1} of {n_clusters}: {drawn} drawn with probability ∝ D², "
        f"the one leaving the smallest sum of D² ({_number(choice.potential)}) is kept"
    )


def _number(value):
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"

"""Lloyd's k-means, step by step, as ``sklearn.cluster.KMeans(algorithm="lloyd")``."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import check_array, check_random_state
from animate.algorithms._kmeans_plusplus import seed_indices
from animate.algorithms.registry import (
    ANY,
    ARRAY,
    RANDOM_STATE,
    Estimator,
    Interval,
    Options,
    algorithm,
)
from animate.trace import Step


@algorithm(
    "kmeans",
    display="k-means",
    aliases=("k-means",),
    summary="Lloyd's k-means: assign each point to its nearest centre, move centres to means",
    order=10,
    estimator=Estimator(
        "sklearn.cluster.KMeans", {"verbose": ANY, "copy_x": ANY, "algorithm": ("lloyd",)}
    ),
    constraints={
        "n_clusters": Interval(Integral, 1, "n_samples"),
        "init": [Options("k-means++", "random"), ARRAY],
        "n_init": [Options("auto"), Interval(Integral, 1, 1000)],
        "max_iter": Interval(Integral, 1, None),
        "tol": Interval(Real, 0, None),
        "random_state": RANDOM_STATE,
    },
    fields=("centers", "inertia"),
    restarts="n_init",
    score="inertia",
)
def kmeans(
    X, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300, tol=1e-4, random_state=0
):
    """Lloyd's k-means, yielding a Step after the initialisation and after every half-iteration.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The points to cluster.
    n_clusters : int, default=8
        Number of centres.
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features)
        Where the centres start: spread out by k-means++, at random data points,
        or exactly where you say (then the run is deterministic).
    n_init : int or "auto", default="auto"
        How many initialisations to run; the one with the lowest inertia is the
        answer. "auto" is 10 for "random" and 1 otherwise, as in scikit-learn.
    max_iter : int, default=300
        Most assign/update iterations in one run.
    tol : float, default=1e-4
        Stop when the centres move less than this in total (squared, relative to
        the data's mean variance), as scikit-learn does.
    random_state : int or None, default=0
        Seed of the initialisation; scikit-learn's default is None (a new seed
        every call), ours is 0 so the same call draws the same GIF.

    Yields
    ------
    Step
        Phases "init", then "assign" and "update" per iteration; fields
        ``centers`` (k, d), ``inertia`` (None before the first assignment),
        ``run`` (which initialisation, from 0) and ``relocated`` (the empty
        clusters whose centre this update moved to a far point; empty otherwise).

    Returns
    -------
    dict
        ``n_iter``, ``converged`` and, over all initialisations, ``best_run``
        and ``runs`` (each run's ``(n_iter, converged)``).
    """
    if not isinstance(init, str):
        init = check_array("init", init, (n_clusters, X.shape[1]))
    if n_init == "auto":
        n_init = 10 if isinstance(init, str) and init == "random" else 1
    rng = check_random_state(random_state)

    # scikit-learn centres the data for accurate distances; so do we, for parity.
    mean = X.mean(axis=0)
    Xc = X - mean
    scaled_tol = float(np.mean(np.var(X, axis=0)) * tol) if tol else 0.0
    runs, best = [], None
    for run in range(n_init):
        start = _initial_centers(Xc, n_clusters, init, mean, rng)
        result = yield from _lloyd(Xc, start, mean, max_iter, scaled_tol, run, _init_text(init))
        runs.append(result)
        labels, inertia = result["labels"], result["inertia"]
        if best is None or (
            inertia < runs[best]["inertia"] and not _same_clustering(labels, runs[best]["labels"])
        ):
            best = run
    return {
        "n_iter": runs[best]["n_iter"],
        "converged": runs[best]["converged"],
        "best_run": best,
        "runs": [(r["n_iter"], r["converged"]) for r in runs],
    }


def _lloyd(Xc, centers, mean, max_iter, tol, run, how):
    def snapshot(iteration, phase, labels, message, centers, relocated=()):
        # The data is centred for accuracy; snapshots show the centres in place.
        inertia = None if phase == "init" else _inertia(Xc, centers, labels)
        return Step(
            iteration,
            phase,
            labels,
            message,
            centers=centers + mean,
            inertia=inertia,
            run=run,
            relocated=np.asarray(relocated, dtype=np.int64),
        )

    labels_old = np.full(len(Xc), -1)
    yield snapshot(0, "init", labels_old, f"{how} {len(centers)} starting centres", centers)
    converged = strict = False
    for iteration in range(1, max_iter + 1):
        labels = _nearest(Xc, centers)
        changed = int(np.count_nonzero(labels != labels_old))
        strict = converged = changed == 0
        message = (
            f"No point changed cluster: converged after {iteration} iterations"
            if strict
            else f"Assign: each point joins its nearest centre ({changed} points moved)"
        )
        yield snapshot(iteration, "assign", labels, message, centers)
        if strict:
            break
        new_centers, relocated = _means(Xc, centers, labels)
        shift = float(((new_centers - centers) ** 2).sum())
        centers = new_centers
        converged = shift <= tol
        message = _update_text(converged, len(relocated))
        yield snapshot(iteration, "update", labels, message, centers, relocated)
        if converged:
            break
        labels_old = labels
    if not strict:
        # scikit-learn re-assigns once more so that labels match the final centres.
        labels = _nearest(Xc, centers)
        reason = "Converged" if converged else f"Stopped after max_iter={max_iter} iterations"
        message = f"{reason}: each point joins its nearest final centre"
        yield snapshot(iteration, "assign", labels, message, centers)
    return {
        "labels": labels,
        "inertia": _inertia(Xc, centers, labels),
        "n_iter": iteration,
        "converged": converged,
    }


def _nearest(Xc, centers):
    # The same expression as scikit-learn's, so ties and rounding break the same way.
    distances = (centers**2).sum(axis=1) - 2.0 * Xc @ centers.T
    return np.argmin(distances, axis=1)


def _means(Xc, centers_old, labels):
    n_clusters = len(centers_old)
    sums = np.zeros_like(centers_old)
    np.add.at(sums, labels, Xc)
    counts = np.bincount(labels, minlength=n_clusters).astype(float)
    empty = np.flatnonzero(counts == 0)
    relocated = _relocate_empty(Xc, centers_old, labels, sums, counts, empty) if len(empty) else []
    filled = counts > 0
    sums[filled] *= (1.0 / counts[filled])[:, None]
    return sums, relocated


def _update_text(converged, n_relocated):
    """The update step's caption, saying what the centres did (relocations included)."""
    if n_relocated:
        which = (
            "the empty cluster's centre jumps"
            if n_relocated == 1
            else (f"the {n_relocated} empty clusters' centres jump")
        )
        return (
            f"Update: {which} to the point farthest from its centre; "
            "the other centres move to the mean of their points"
        )
    if converged:
        return "Update: the centres barely moved, so k-means stops here"
    return "Update: each centre moves to the mean of its points"


def _relocate_empty(Xc, centers_old, labels, sums, counts, empty):
    """Give each empty cluster one of the points farthest from their centre, as
    scikit-learn does; returns the clusters relocated."""
    distances = ((Xc - centers_old[labels]) ** 2).sum(axis=1)
    if distances.max() == 0:
        return []
    far = np.argpartition(distances, -len(empty))[: -len(empty) - 1 : -1]
    for cluster, point in zip(empty, far):
        sums[labels[point]] -= Xc[point]
        sums[cluster] = Xc[point]
        counts[cluster] = 1
        counts[labels[point]] -= 1
    return list(empty)


def _inertia(Xc, centers, labels):
    return float(((Xc - centers[labels]) ** 2).sum())


def _initial_centers(Xc, n_clusters, init, mean, rng):
    if isinstance(init, np.ndarray):
        return init - mean
    if init == "random":
        uniform = np.full(len(Xc), 1.0 / len(Xc))
        return Xc[rng.choice(len(Xc), size=n_clusters, replace=False, p=uniform)]
    return Xc[seed_indices(Xc, n_clusters, rng)]


def _same_clustering(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def _init_text(init):
    if isinstance(init, np.ndarray):
        return "Start: the given"
    return "Start: k-means++ spreads out" if init == "k-means++" else "Start: random points become"

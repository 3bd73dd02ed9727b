"""Lloyd's k-means, step by step, as ``sklearn.cluster.KMeans(algorithm="lloyd")``."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import check_array, check_random_state, check_sample_weight
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
        "max_iter": Interval(Integral, 1, MAX_ITER),
        "tol": Interval(Real, 0, None),
        "random_state": RANDOM_STATE,
        "sample_weight": [NONE, ARRAY],
    },
    fields=("centers", "inertia"),
    restarts="n_init",
    score="inertia",
)
def kmeans(
    X,
    n_clusters=8,
    *,
    init="k-means++",
    n_init="auto",
    max_iter=300,
    tol=1e-4,
    random_state=0,
    sample_weight=None,
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
    sample_weight : array of shape (n_samples,) or None, default=None
        How much each point counts (not negative; None: 1 each): a centre moves
        to the weighted mean of its points, k-means++ and "random" pick heavy
        points more often, and the inertia is weighted. As scikit-learn's
        ``fit(X, sample_weight=...)``; drawn as point size.

    Yields
    ------
    Step
        Phases "init", then "assign" and "update" per iteration; fields
        ``centers`` (k, d), ``inertia`` (None before the first assignment) and
        ``run`` (which initialisation, from 0).

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
    weights = check_sample_weight(sample_weight, len(X), non_negative=True)

    # scikit-learn centres the data for accurate distances; so do we, for parity.
    mean = X.mean(axis=0)
    Xc = X - mean
    scaled_tol = float(np.mean(np.var(X, axis=0)) * tol) if tol else 0.0
    runs, best = [], None
    for run in range(n_init):
        start = _initial_centers(Xc, n_clusters, init, mean, rng, weights)
        result = yield from _lloyd(
            Xc, weights, start, mean, max_iter, scaled_tol, run, _init_text(init)
        )
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


def _lloyd(Xc, weights, centers, mean, max_iter, tol, run, how):
    def snapshot(iteration, phase, labels, message, centers, relocated=()):
        # The data is centred for accuracy; snapshots show the centres in place.
        inertia = None if phase == "init" else _inertia(Xc, weights, centers, labels)
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
        step = snapshot(iteration, "assign", labels, message, centers)
        yield step
        new_centers, relocated = _means(Xc, weights, centers, labels)
        if strict:
            # scikit-learn updates in the same pass that found nothing changed: its
            # answer is the updated centres. They differ from these only where a
            # cluster stayed empty (relocated again) or by rounding after a relocation.
            if not np.array_equal(new_centers, centers):
                message = _update_text(True, len(relocated))
                step = snapshot(iteration, "update", labels, message, new_centers, relocated)
                yield step
            break
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
        step = snapshot(iteration, "assign", labels, message, centers)
        yield step
    # The last step's inertia is the run's: the final centres with the final labels.
    return {"labels": labels, "inertia": step.inertia, "n_iter": iteration, "converged": converged}


# scikit-learn's lloyd loop computes distances this many points at a time.
_CHUNK = 256


def _nearest(Xc, centers):
    """Each point's nearest centre, ties and rounding broken as scikit-learn breaks them.

    Its ``lloyd_iter_chunked_dense`` computes ``||c||^2 - 2 x.c`` for 256 points at a
    time with one BLAS ``dgemm`` call (alpha -2, beta 1, onto the centres' squared norms),
    and takes the first smallest. On tied data (integer lattices) the last bit decides,
    and numpy's ``@`` rounds differently: so the same call is made here, through
    scipy's BLAS, the one scikit-learn links.
    """
    from scipy.linalg.blas import dgemm

    centers = np.ascontiguousarray(centers, dtype=np.float64)
    Xc = np.ascontiguousarray(Xc, dtype=np.float64)
    norms = np.einsum("ij,ij->i", centers, centers)  # scikit-learn's row_norms
    labels = np.empty(len(Xc), dtype=np.int64)
    for start in range(0, len(Xc), _CHUNK):
        chunk = Xc[start : start + _CHUNK]
        distances = np.tile(norms, (len(chunk), 1))
        # Row-major D = -2 X C^T + D is column-major D^T = -2 C X^T + D^T, as its _gemm.
        distances = dgemm(-2.0, centers.T, chunk.T, beta=1.0, c=distances.T, trans_a=1).T
        labels[start : start + _CHUNK] = np.argmin(distances, axis=1)
    return labels


def _means(Xc, weights, centers_old, labels):
    """scikit-learn's update: weighted sums per cluster (added in point order, as its loop
    adds them), empty clusters relocated, then every sum divided by its cluster's weight.
    Returns the new centres and the clusters relocated."""
    n_clusters = len(centers_old)
    sums = np.column_stack(
        [np.bincount(labels, weights=column * weights, minlength=n_clusters) for column in Xc.T]
    )
    totals = np.bincount(labels, weights=weights, minlength=n_clusters)
    empty = np.flatnonzero(totals == 0)
    relocated = _relocate_empty(Xc, weights, centers_old, labels, sums, totals, empty)
    return _average(sums, totals), relocated


def _update_text(converged, n_relocated):
    """The update step's caption, saying what the centres did (relocations included)."""
    if n_relocated:
        which = (
            "the empty cluster's centre jumps"
            if n_relocated == 1
            else f"the {n_relocated} empty clusters' centres jump"
        )
        return (
            f"Update: {which} to the point farthest from its centre; "
            "the other centres move to the mean of their points"
        )
    if converged:
        return "Update: the centres barely moved, so k-means stops here"
    return "Update: each centre moves to the mean of its points"


def _relocate_empty(Xc, weights, centers_old, labels, sums, totals, empty):
    """As scikit-learn: each empty cluster takes one of the points farthest from their
    centre. Returns the clusters relocated (none when every point sits on its centre:
    then no point can be spared, and :func:`_average` parks the empty ones)."""
    if len(empty) == 0:
        return []
    distances = ((Xc - centers_old[labels]) ** 2).sum(axis=1)
    if distances.max() == 0:
        return []
    far = np.argpartition(distances, -len(empty))[: -len(empty) - 1 : -1]
    for cluster, point in zip(empty, far):
        sums[labels[point]] -= Xc[point] * weights[point]
        sums[cluster] = Xc[point] * weights[point]
        totals[cluster] = weights[point]
        totals[labels[point]] -= weights[point]
    return list(empty)


def _average(sums, totals):
    """scikit-learn's ``_average_centers``: a cluster still empty is parked on the heaviest
    one. Its loop divides the sums in cluster order, so an empty cluster numbered before
    the heaviest copies that cluster's sum, not yet its mean: so do we, for the same run."""
    heaviest = int(np.argmax(totals))
    heaviest_sum = sums[heaviest].copy()
    filled = totals > 0
    sums[filled] *= (1.0 / totals[filled])[:, None]
    for cluster in np.flatnonzero(~filled):
        sums[cluster] = heaviest_sum if cluster < heaviest else sums[heaviest]
    return sums


def _inertia(Xc, weights, centers, labels):
    return float(((Xc - centers[labels]) ** 2).sum(axis=1) @ weights)


def _initial_centers(Xc, n_clusters, init, mean, rng, weights):
    if isinstance(init, np.ndarray):
        return init - mean
    if init == "random":
        if np.count_nonzero(weights) < n_clusters:
            raise UserError(
                f"init='random' picks {n_clusters} distinct points with positive "
                f"sample_weight, but only {np.count_nonzero(weights)} have one; "
                "give more points weight or use init='k-means++'"
            )
        return Xc[rng.choice(len(Xc), size=n_clusters, replace=False, p=weights / weights.sum())]
    return Xc[seed_indices(Xc, n_clusters, rng, sample_weight=weights)]


def _same_clustering(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def _init_text(init):
    if isinstance(init, np.ndarray):
        return "Start: the given"
    return "Start: k-means++ spreads out" if init == "k-means++" else "Start: random points become"

"""Mini-batch k-means, one step per mini-batch, as ``sklearn.cluster.MiniBatchKMeans``.

Each step draws a batch of points (with replacement), assigns them to their
nearest centre and moves every centre towards its new points with a learning
rate of one over the number of points it has seen. Centres that have seen far
fewer points than the busiest one are moved to random batch points now and then.
Early stopping watches an exponentially weighted average (EWA) of the batch
inertia. Every random number is drawn from the RandomState in scikit-learn's
order, so the same ``random_state`` gives the same centres.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import check_array, check_random_state
from animate.algorithms._kmeans import _nearest
from animate.algorithms._kmeans_plusplus import seed_indices
from animate.algorithms.registry import (
    ANY,
    ARRAY,
    BOOLEAN,
    MAX_ITER,
    NONE,
    RANDOM_STATE,
    Estimator,
    Interval,
    Options,
    algorithm,
)
from animate.trace import Step

# Each step keeps an n-sized label array; when a run could take more steps than
# this many labels in total (80 MB of int64), only every m-th mini-batch is a step.
_MAX_LABELS_KEPT = 10_000_000


@algorithm(
    "minibatch",
    display="mini-batch k-means",
    aliases=("mini_batch_kmeans", "mini-batch-kmeans"),
    summary="Mini-batch k-means: centres learn from small random samples of the data",
    order=15,
    estimator=Estimator("sklearn.cluster.MiniBatchKMeans", {"verbose": ANY}),
    constraints={
        "n_clusters": Interval(Integral, 1, "n_samples"),
        "init": [Options("k-means++", "random"), ARRAY],
        "max_iter": Interval(Integral, 1, MAX_ITER),
        "batch_size": Interval(Integral, 1, None),
        "compute_labels": BOOLEAN,
        "random_state": RANDOM_STATE,
        "tol": Interval(Real, 0, None),
        "max_no_improvement": [NONE, Interval(Integral, 0, None)],
        "init_size": [NONE, Interval(Integral, 1, None)],
        "n_init": [Options("auto"), Interval(Integral, 1, 1000)],
        "reassignment_ratio": Interval(Real, 0, None),
    },
    fields=("centers", "inertia", "n_steps"),
    score="inertia",
)
def minibatch(
    X,
    n_clusters=8,
    *,
    init="k-means++",
    max_iter=100,
    batch_size=1024,
    compute_labels=True,
    random_state=0,
    tol=0.0,
    max_no_improvement=10,
    init_size=None,
    n_init="auto",
    reassignment_ratio=0.01,
):
    """Mini-batch k-means, yielding a Step per mini-batch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The points to cluster.
    n_clusters : int, default=8
        Number of centres.
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features)
        Where the centres start; k-means++ and "random" look at ``init_size``
        random points only.
    max_iter : int, default=100
        Most passes over the data: at most ``max_iter * n_samples // batch_size``
        mini-batches.
    batch_size : int, default=1024
        Points per mini-batch (at most ``n_samples``).
    compute_labels : bool, default=True
        Label every point by its nearest final centre and measure the inertia on
        all the data. If False, as scikit-learn, the inertia is estimated from
        the smoothed batch inertia and each point keeps the label of the last
        batch it was in (-1 if it was never drawn).
    random_state : int or None, default=0
        Seed of the initialisation, the batches and the reassignments;
        scikit-learn's default is None, ours is 0 so the same call draws the same GIF.
    tol : float, default=0.0
        Stop when the centres move less than this (squared, relative to the
        data's mean variance) in one step; 0 turns this rule off.
    max_no_improvement : int or None, default=10
        Stop after this many mini-batches without a new lowest smoothed inertia;
        None turns this rule off.
    init_size : int or None, default=None
        Points drawn to run the initialisation on; None means ``3 * batch_size``.
    n_init : int or "auto", default="auto"
        Initialisations tried (3 for "random", else 1 with "auto"); the one with
        the lowest inertia on a validation sample is kept.
    reassignment_ratio : float, default=0.01
        A centre that has seen fewer than this fraction of the busiest centre's
        points is moved to a random batch point.

    Yields
    ------
    Step
        Phase "init" (``batch`` empty), then a "batch" step per mini-batch, then
        "final". Fields: ``centers`` (k, d) after the step, ``counts`` (k,)
        points each centre has seen, ``batch`` indices of the batch's points,
        ``reassigned`` indices of the centres moved to random points,
        ``batch_inertia`` (mean over the batch, before the update),
        ``ewa_inertia`` (None until the second batch), ``step`` (mini-batches
        so far). ``labels`` are each point's label from the last batch it was
        in (-1 if never drawn yet). The final step adds ``inertia`` and ``n_steps``.

    Returns
    -------
    dict
        ``n_iter`` (passes over the data, scikit-learn's ``n_iter_``),
        ``converged`` and ``n_steps``.
    """
    n_samples = len(X)
    if not isinstance(init, str):
        init = check_array("init", init, (n_clusters, X.shape[1]))
    rng = check_random_state(random_state)
    batch_size = min(batch_size, n_samples)
    init_size = _init_size(init_size, batch_size, n_clusters, n_samples)
    n_init = _n_init(n_init, init)
    tol = float(np.mean(np.var(X, axis=0)) * tol) if tol else 0.0

    # scikit-learn draws a validation sample first, even for an explicit init.
    validation = X[rng.randint(0, n_samples, init_size)]
    centers = _best_initial_centers(X, validation, n_clusters, init, init_size, n_init, rng)
    counts = np.zeros(n_clusters)
    labels = np.full(n_samples, -1)
    yield Step(
        0,
        "init",
        labels,
        _init_text(init, n_init),
        centers=centers,
        counts=counts,
        batch=np.empty(0, dtype=np.intp),
        reassigned=np.empty(0, dtype=np.intp),
        batch_inertia=None,
        ewa_inertia=None,
        step=0,
    )
    n_steps = (max_iter * n_samples) // batch_size
    stride = -(-n_steps * n_samples // _MAX_LABELS_KEPT)
    monitor = _Convergence(batch_size, n_samples, tol, max_no_improvement, n_clusters)
    uniform = np.full(n_samples, 1.0) / n_samples
    for i in range(n_steps):
        batch = rng.choice(n_samples, batch_size, p=uniform, replace=True)
        reassign = monitor.reassign_due(counts)
        batch_labels, batch_inertia = _assign(X[batch], centers)
        new_centers = _update(X[batch], batch_labels, centers, counts)
        reassigned = _reassign(X[batch], new_centers, counts, rng, reassign, reassignment_ratio)
        shift = float(((new_centers - centers) ** 2).sum()) if tol > 0 else 0.0
        centers = new_centers
        labels[batch] = batch_labels
        stop, why = monitor.update(batch_inertia / batch_size, shift)
        if stop or (i + 1) % stride == 0 or i + 1 == n_steps:
            yield Step(
                -(-(i + 1) * batch_size // n_samples),
                "batch",
                labels,
                why or _batch_text(i + 1, batch_size, reassigned),
                centers=centers,
                counts=counts,
                batch=batch,
                reassigned=reassigned,
                batch_inertia=batch_inertia / batch_size,
                ewa_inertia=monitor.ewa,
                step=i + 1,
            )
        if stop:
            break
    n_iter = -(-(i + 1) * batch_size // n_samples)
    if compute_labels:
        labels, inertia = _assign(X, centers)
    else:
        inertia = monitor.ewa * n_samples
    yield Step(
        n_iter,
        "final",
        labels,
        _final_text(i + 1, n_iter, monitor.stopped, compute_labels),
        centers=centers,
        counts=counts,
        batch=np.empty(0, dtype=np.intp),
        reassigned=np.empty(0, dtype=np.intp),
        batch_inertia=None,
        ewa_inertia=monitor.ewa,
        step=i + 1,
        inertia=float(inertia),
        n_steps=i + 1,
    )
    return {"n_iter": n_iter, "converged": monitor.stopped is not None, "n_steps": i + 1}


def _init_size(init_size, batch_size, n_clusters, n_samples):
    # scikit-learn's rule (it warns when init_size < n_clusters; we just apply it).
    if init_size is None:
        init_size = 3 * batch_size if 3 * batch_size >= n_clusters else 3 * n_clusters
    elif init_size < n_clusters:
        init_size = 3 * n_clusters
    return min(init_size, n_samples)


def _n_init(n_init, init):
    if not isinstance(init, str):
        return 1
    if n_init == "auto":
        return 3 if init == "random" else 1
    return n_init


def _best_initial_centers(X, validation, n_clusters, init, init_size, n_init, rng):
    """Of ``n_init`` initialisations on ``init_size`` random points, the one with the
    lowest inertia on the validation sample."""
    best, best_inertia = None, None
    for _ in range(n_init):
        sample = X
        if init_size < len(X):
            # Drawn even for an explicit init, which does not use it, as scikit-learn does.
            sample = X[rng.randint(0, len(X), init_size)]
        if isinstance(init, np.ndarray):
            centers = init.copy()
        elif init == "k-means++":
            centers = sample[seed_indices(sample, n_clusters, rng)]
        else:
            uniform = np.full(len(sample), 1.0) / len(sample)
            centers = sample[rng.choice(len(sample), n_clusters, replace=False, p=uniform)]
        _, inertia = _assign(validation, centers)
        if best_inertia is None or inertia < best_inertia:
            best, best_inertia = centers, inertia
    return best


def _assign(X, centers):
    """Labels and inertia of ``X``; the inertia summed in order, as scikit-learn's loop."""
    labels = _nearest(X, centers)
    squared = ((X - centers[labels]) ** 2).sum(axis=1)
    return labels, float(np.cumsum(squared)[-1])


def _update(batch, labels, centers, counts):
    """Each centre with points in the batch becomes the mean of all the points it has
    seen: ``(old * count + sum of new points) / (count + new)``, accumulated point by
    point in batch order as scikit-learn's ``_minibatch_update_dense``. ``counts``
    is updated in place."""
    new_centers = centers.copy()
    for cluster in np.unique(labels):
        members = batch[labels == cluster]
        stacked = np.vstack([centers[cluster] * counts[cluster], members])
        counts[cluster] += len(members)
        new_centers[cluster] = np.cumsum(stacked, axis=0)[-1] * (1 / counts[cluster])
    return new_centers


def _reassign(batch, centers, counts, rng, due, ratio):
    """Move the centres that saw too few points to random batch points (in place);
    their indices."""
    if not due or ratio <= 0:
        return np.empty(0, dtype=np.intp)
    low = counts < ratio * counts.max()
    if low.sum() > 0.5 * len(batch):
        # At most half a batch of centres moves: the busiest of the low ones stay.
        low[np.argsort(counts)[int(0.5 * len(batch)) :]] = False
    n_moves = int(low.sum())
    if n_moves == len(counts):
        # reassignment_ratio > 1 with equal counts: no centre is left to keep.
        return np.empty(0, dtype=np.intp)
    if n_moves:
        centers[low] = batch[rng.choice(len(batch), replace=False, size=n_moves)]
    # As scikit-learn: a moved centre's count is reset, but not so low that it
    # would be moved again at once (this also sets its learning rate).
    counts[low] = np.min(counts[~low])
    return np.flatnonzero(low)


class _Convergence:
    """scikit-learn's early stopping: the EWA of the batch inertia and the reassignment clock."""

    def __init__(self, batch_size, n_samples, tol, max_no_improvement, n_clusters):
        self.alpha = min(batch_size * 2.0 / (n_samples + 1), 1)
        self.batch_size, self.tol = batch_size, tol
        self.max_no_improvement, self.n_clusters = max_no_improvement, n_clusters
        self.ewa = self.ewa_min = None
        self.no_improvement = self.seen_since_reassign = self.steps = 0
        self.stopped = None

    def reassign_due(self, counts):
        """Reassign when a centre has seen nothing yet or every 10 * n_clusters points."""
        self.seen_since_reassign += self.batch_size
        if (counts == 0).any() or self.seen_since_reassign >= 10 * self.n_clusters:
            self.seen_since_reassign = 0
            return True
        return False

    def update(self, batch_inertia, shift):
        """Whether to stop after this batch, and why (None if not)."""
        self.steps += 1
        if self.steps == 1:
            # The first batch's inertia measures the initialisation, not learning.
            return False, None
        if self.ewa is None:
            self.ewa = batch_inertia
        else:
            self.ewa = self.ewa * (1 - self.alpha) + batch_inertia * self.alpha
        if self.tol > 0.0 and shift <= self.tol:
            self.stopped = "tol"
            return True, f"Batch {self.steps}: the centres barely moved, so it stops here"
        if self.ewa_min is None or self.ewa < self.ewa_min:
            self.no_improvement = 0
            self.ewa_min = self.ewa
        else:
            self.no_improvement += 1
        if self.max_no_improvement is not None and self.no_improvement >= self.max_no_improvement:
            self.stopped = "no_improvement"
            return True, (
                f"Batch {self.steps}: the smoothed inertia has not improved for "
                f"{self.no_improvement} batches, so it stops here"
            )
        return False, None


def _init_text(init, n_init):
    if isinstance(init, np.ndarray):
        return "Start: the given starting centres"
    how = "k-means++ spreads out" if init == "k-means++" else "random points become"
    best = f" (best of {n_init} tries on a sample)" if n_init > 1 else ""
    return f"Start: {how} the starting centres{best}"


def _batch_text(step, batch_size, reassigned):
    text = f"Batch {step}: {batch_size} random points pull their nearest centres towards them"
    if len(reassigned):
        text += f"; {len(reassigned)} idle centre(s) jump to random points"
    return text


def _final_text(n_steps, n_iter, stopped, compute_labels):
    reason = {
        "tol": "the centres stopped moving",
        "no_improvement": "the smoothed inertia stopped improving",
        None: "it ran out of batches (max_iter)",
    }[stopped]
    what = "each point joins its nearest centre" if compute_labels else "labels from last batches"
    return f"Done after {n_steps} batches ({n_iter} passes over the data), {reason}: {what}"

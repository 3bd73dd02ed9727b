"""Mean shift, step by step, as ``sklearn.cluster.MeanShift`` (flat kernel).

Every kernel (a window of radius ``bandwidth``) climbs to a density peak by
moving to the mean of the points inside it. All kernels shift together, one
neighbour query per iteration; a kernel that has stopped stays where it is
while the others go on, exactly as scikit-learn climbs each seed on its own.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import check_array, check_float, check_int, check_random_state
from animate.algorithms.registry import (
    ANY,
    ARRAY,
    BOOLEAN,
    MAX_ITER,
    NONE,
    Estimator,
    Interval,
    Options,
    algorithm,
)
from animate.datasets import validate_data
from animate.errors import UserError
from animate.trace import Step

# Most numbers one temporary (kernels x points x features) may hold: windows are
# looked at in chunks of kernels so memory stays flat however many seeds there are.
_CHUNK = 2**22
# Up to this many windows, every step says which points are inside one.
_FEW_WINDOWS = 12
# Most (window, point) pairs one step looks at, and most (point, neighbour) pairs the
# bandwidth estimate compares: about a second each.
_MAX_PAIRS = 2 * 10**7


@algorithm(
    "meanshift",
    display="mean shift",
    aliases=("mean_shift",),
    summary="mean shift: windows climb to the densest places; each peak is a cluster",
    order=30,
    estimator=Estimator("sklearn.cluster.MeanShift", {"n_jobs": ANY}),
    constraints={
        # Squared distances to the window's edge must be numbers: bandwidth**2 < 1e300.
        "bandwidth": [NONE, Interval(Real, 0, 1e150, closed="neither")],
        "seeds": [NONE, ARRAY],
        "bin_seeding": BOOLEAN,
        "min_bin_freq": Interval(Integral, 1, None),
        "cluster_all": BOOLEAN,
        "max_iter": Interval(Integral, 1, MAX_ITER),
        "kernel": Options("flat", "gaussian"),
    },
    fields=("centers", "kernels"),
)
def meanshift(
    X,
    *,
    bandwidth=None,
    seeds=None,
    bin_seeding=False,
    min_bin_freq=1,
    cluster_all=True,
    max_iter=300,
    kernel="flat",
):
    """Mean shift, yielding a Step for the seeds, every shift, the merge and the labels.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The points to cluster.
    bandwidth : float or None, default=None
        Radius of every window. None estimates it from the data with
        :func:`estimate_bandwidth` (quantile 0.3), as scikit-learn does.
    seeds : array of shape (n_seeds, n_features) or None, default=None
        Where the windows start. None starts one window on every point, or
        on the bin seeds with ``bin_seeding``.
    bin_seeding : bool, default=False
        Start one window per cell of a grid of side ``bandwidth`` that holds at
        least ``min_bin_freq`` points: far fewer windows, much faster.
    min_bin_freq : int, default=1
        Fewest points a grid cell needs to get a window (with ``bin_seeding``).
    cluster_all : bool, default=True
        Give every point the label of its nearest mode; if False, points
        farther than ``bandwidth`` from every mode get -1.
    max_iter : int, default=300
        Most shifts of one window after its first (scikit-learn's count).
    kernel : {"flat", "gaussian"}, default="flat"
        "flat" is scikit-learn's: the plain mean of the points inside the window.
        "gaussian" is an extension with no scikit-learn counterpart: the mean
        of all points weighted by exp(-d**2 / (2 bandwidth**2)).

    Yields
    ------
    Step
        "init" (the seeds), one "shift" per iteration, "merge" and "assign".
        Every step has ``kernels`` (m, d), the window positions, and
        ``bandwidth``; "init" and "shift" add ``stopped`` and ``dropped``
        (bool, m), ``counts`` (points inside each window, int m) and, with
        at most 12 windows, ``inside`` (bool n: points inside some window;
        None with more windows); "merge"
        and "assign" add ``centers`` (the modes, strongest first) and
        ``merged_into`` (the mode each window joined, -1 for dropped windows).

    Returns
    -------
    dict
        ``n_iter`` (scikit-learn's ``n_iter_``: the most iterations any window
        ran) and ``converged`` (every window stopped before ``max_iter``).
    """
    n_features = X.shape[1]
    bandwidth = _check_bandwidth(X, bandwidth, bin_seeding, kernel)
    seeds = _check_seeds(seeds, n_features)
    if seeds is not None:
        where = "at the given seed" if len(seeds) == 1 else "at the given seeds"
    elif bin_seeding:
        seeds, where = _bin_seeds(X, bandwidth, min_bin_freq), "on the occupied grid cells"
    else:
        seeds, where = X, "on every data point"
    _check_work(X, seeds, bandwidth, kernel)

    look = _looker(X, bandwidth, kernel)
    state = yield from _climb(X, seeds, look, bandwidth, max_iter, kernel, where)
    kernels, iteration = state["kernels"], state["iteration"]
    centers, merged_into = _merge(kernels, state["strength"], state["dropped"], bandwidth)
    common = {
        "kernels": kernels,
        "centers": centers,
        "merged_into": merged_into,
        "bandwidth": float(bandwidth),
    }
    n_live = int(np.count_nonzero(merged_into >= 0))
    verb = "collapses" if n_live == 1 else "collapse"
    message = f"Merge: {_plural(n_live, 'window')} {verb} into {_plural(len(centers), 'mode')}"
    if n_live < len(kernels):
        message += f", {_plural(len(kernels) - n_live, 'empty window')} dropped"
    yield Step(iteration, "merge", np.full(len(X), -1), message, **common)

    labels = _nearest_mode(X, centers, bandwidth, cluster_all)
    message = "Assign: each point joins its nearest mode"
    n_orphans = int(np.count_nonzero(labels < 0))
    if n_orphans:
        message += f", except {_plural(n_orphans, 'point')} beyond the bandwidth of every mode"
    yield Step(iteration, "assign", labels, message, **common)
    return {"n_iter": state["n_iter"], "converged": state["converged"]}


def estimate_bandwidth(X, quantile=0.3, n_samples=None, random_state=0):
    """A bandwidth for mean shift, as ``sklearn.cluster.estimate_bandwidth``.

    The mean, over the points, of the distance to their farthest neighbour
    among the nearest ``quantile`` fraction of the data (the point itself
    included).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The points.
    quantile : float, default=0.3
        Fraction of the data counted as neighbours, between 0 and 1; larger
        gives a larger bandwidth and fewer clusters.
    n_samples : int or None, default=None
        Estimate from this many points drawn at random (faster on big data);
        None uses them all.
    random_state : int or None, default=0
        Seed of that draw.

    Returns
    -------
    float
        The bandwidth.
    """
    X = validate_data(X)
    quantile = check_float("quantile", quantile, low=0, high=1)
    if n_samples is not None:
        n_samples = check_int("n_samples", n_samples, low=1)
    return float(_estimate_bandwidth(X, quantile, n_samples, check_random_state(random_state)))


def _estimate_bandwidth(X, quantile, n_samples, rng):
    if n_samples is not None:
        X = X[rng.permutation(len(X))[:n_samples]]
    from sklearn.neighbors import NearestNeighbors  # on first use: slow to import

    nn = NearestNeighbors(n_neighbors=max(1, int(len(X) * quantile))).fit(X)
    total = 0.0
    # Batches of 500 points, as scikit-learn, so the sum is rounded the same way.
    for start in range(0, len(X), 500):
        distances, _ = nn.kneighbors(X[start : start + 500])
        total += distances.max(axis=1).sum()
    return total / len(X)


def _climb(X, seeds, look, bandwidth, max_iter, kernel, where):
    """Shift all windows until each stops, one Step per iteration; return the final state."""
    kernels = np.array(seeds, dtype=np.float64)
    means, strength, counts = look(kernels)
    dropped = strength == 0
    if dropped.all():
        raise _no_window_error(bandwidth)
    stopped, capped = dropped.copy(), np.zeros(len(kernels), dtype=bool)
    done = np.zeros(len(kernels), dtype=np.int64)  # scikit-learn's per-seed iteration count
    last_strength = strength.copy()  # of the window whose mean is the kernel's position
    message = (
        f"Start: {_plural(len(kernels), 'window')} of radius {float(bandwidth):.3g} "
        f"{'sits' if len(kernels) == 1 else 'sit'} {where}"
    )
    if dropped.any():
        message += f", {_plural(int(dropped.sum()), 'empty window')} dropped"
    # Updated in place below; each Step keeps its own copy.
    fields = {"kernels": kernels, "stopped": stopped, "dropped": dropped, "counts": counts}
    unassigned = np.full(len(X), -1)
    fields["inside"] = _inside(X, kernels, bandwidth)
    yield Step(0, "init", unassigned, message, bandwidth=float(bandwidth), **fields)
    mean_text = "mean" if kernel == "flat" else "Gaussian-weighted mean"
    iteration = 0
    while not stopped.all():
        iteration += 1
        moving = np.flatnonzero(~stopped)
        shift = np.linalg.norm(means[moving] - kernels[moving], axis=1)
        kernels[moving] = means[moving]
        last_strength[moving] = strength[moving]
        done[moving] = iteration - 1
        # scikit-learn stops a seed once it moves at most 1e-3 bandwidth, or after
        # max_iter iterations counted from 0: max_iter + 1 shifts in all.
        settled = shift <= 1e-3 * bandwidth
        capped[moving] = ~settled & (iteration > max_iter)
        stopped[moving] = settled | (iteration > max_iter)
        # Look inside the moved windows: for the counts shown and for the next shift.
        means[moving], strength[moving], counts[moving] = look(kernels[moving])
        empty = ~stopped & (strength == 0)
        dropped |= empty
        stopped |= empty
        done[empty] = iteration
        message = _shift_text(len(kernels), int(np.count_nonzero(~stopped)), mean_text)
        fields["inside"] = _inside(X, kernels, bandwidth)
        yield Step(iteration, "shift", unassigned, message, bandwidth=float(bandwidth), **fields)
    return {
        "kernels": kernels,
        "strength": last_strength,
        "dropped": dropped,
        "n_iter": int(done.max()),
        "converged": not capped.any(),
        "iteration": iteration,
    }


def _inside(X, kernels, bandwidth):
    """Which points lie inside some window, kept only for a few windows (a picture
    of many windows shows almost every point inside one); None otherwise."""
    if len(kernels) > _FEW_WINDOWS:
        return None
    gaps = X[:, None, :] - kernels[None, :, :]
    return (np.linalg.norm(gaps, axis=2) <= bandwidth).any(axis=1)


def _looker(X, bandwidth, kernel):
    """A function: window positions -> (means, strengths, counts), computed in chunks.

    The strength of a window ranks the modes: the number of points inside it
    (flat, as scikit-learn) or the sum of their Gaussian weights.
    """
    if kernel == "flat":
        from sklearn.neighbors import NearestNeighbors

        nn = NearestNeighbors(radius=bandwidth).fit(X)

        def sums(P):
            # One neighbour query for all windows; the sparse product adds the points
            # in the order scikit-learn's np.mean does, so the means agree to the bit.
            inside = nn.radius_neighbors_graph(P, mode="connectivity")
            counts = np.diff(inside.indptr)
            return inside @ X, counts, counts
    else:

        def sums(P):
            squared = ((P[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
            weights = np.exp(squared / (-2.0 * bandwidth**2))
            return weights @ X, weights.sum(axis=1), np.count_nonzero(squared <= bandwidth**2, 1)

    rows = max(1, _CHUNK // X.size)

    def look(P):
        parts = [sums(P[start : start + rows]) for start in range(0, len(P), rows)]
        total, strength, counts = (np.concatenate(part) for part in zip(*parts, strict=True))
        means = np.divide(
            total, strength[:, None], out=np.zeros_like(total), where=strength[:, None] > 0
        )
        return means, strength, counts

    return look


def _merge(kernels, strength, dropped, bandwidth):
    """scikit-learn's post-processing: rank the modes, drop near-duplicates, say who joined whom."""
    # A dict keyed by position, as scikit-learn: windows that reach exactly the same
    # point make one candidate, which keeps the strength of the last of them.
    best = {}
    for position, power, gone in zip(map(tuple, kernels), strength, dropped, strict=True):
        if not gone:
            best[position] = power
    if not best:
        raise _no_window_error(bandwidth)
    # Strongest first; equal strengths by position, largest first (scikit-learn's sort key).
    ranked = sorted(best.items(), key=lambda item: (item[1], item[0]), reverse=True)
    candidates = np.array([position for position, _ in ranked])
    unique, owner = _suppress(candidates, bandwidth)
    slot = np.cumsum(unique) - 1
    rank = {position: r for r, (position, _) in enumerate(ranked)}
    merged_into = np.array(
        [
            -1 if gone else slot[owner[rank[position]]]
            for position, gone in zip(map(tuple, kernels), dropped, strict=True)
        ]
    )
    return candidates[unique], merged_into


def _suppress(candidates, bandwidth):
    """Each surviving candidate, strongest first, swallows the others within bandwidth."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(radius=bandwidth).fit(candidates)
    unique = np.ones(len(candidates), dtype=bool)
    owner = np.arange(len(candidates))
    for i in range(len(candidates)):
        if unique[i]:
            near = nn.radius_neighbors(candidates[i : i + 1], return_distance=False)[0]
            owner[near[unique[near]]] = i
            unique[near] = False
            unique[i] = True
    return unique, owner


def _nearest_mode(X, centers, bandwidth, cluster_all):
    labels = np.empty(len(X), dtype=np.int64)
    rows = max(1, _CHUNK // centers.size)
    for start in range(0, len(X), rows):
        part = X[start : start + rows]
        squared = ((part[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        nearest = squared.argmin(axis=1)
        if not cluster_all:
            nearest[np.sqrt(squared[np.arange(len(part)), nearest]) > bandwidth] = -1
        labels[start : start + rows] = nearest
    return labels


def _bin_seeds(X, bandwidth, min_bin_freq):
    """scikit-learn's ``get_bin_seeds``: one seed per grid cell holding min_bin_freq points."""
    # + 0.0 turns -0.0 into 0.0: scikit-learn's dict of tuples counts them as one cell.
    with np.errstate(over="ignore"):
        cells = np.round(X / bandwidth) + 0.0
    if not np.all(np.abs(cells) < np.finfo(np.float32).max):
        raise UserError(
            f"bin_seeding with bandwidth={float(bandwidth):.3g} makes more grid cells than "
            "numbers can count; give a bandwidth nearer the spread of the data"
        )
    cells, first, sizes = np.unique(cells, axis=0, return_index=True, return_counts=True)
    order = np.argsort(first)  # first seen first, the order of scikit-learn's dict
    kept = cells[order][sizes[order] >= min_bin_freq]
    if len(kept) == 0:
        raise UserError(
            f"no grid cell of side bandwidth={float(bandwidth):.3g} holds "
            f"min_bin_freq={min_bin_freq} points; lower min_bin_freq or increase "
            "the bandwidth"
        )
    if len(kept) == len(X):
        return X  # binning separated every point, so scikit-learn seeds on the data
    # float32 times the bandwidth as given: scikit-learn's arithmetic, to the bit; in
    # float64 where a bandwidth beyond float32's range (3.4e38) makes that overflow.
    with np.errstate(over="ignore", invalid="ignore"):
        seeds = kept.astype(np.float32) * bandwidth
    return seeds if np.isfinite(seeds).all() else kept * float(bandwidth)


def _check_bandwidth(X, bandwidth, bin_seeding, kernel):
    """The bandwidth, estimated if None; a given one keeps its type (see ``_bin_seeds``).

    An estimate of 0 (each point's nearest 30% of the data are copies of it) is
    used as scikit-learn uses it: windows then hold only copies of a point.
    """
    if bandwidth is not None:
        return bandwidth
    n_neighbors = max(1, int(len(X) * 0.3))
    if len(X) * n_neighbors > _MAX_PAIRS:
        raise UserError(
            f"estimating the bandwidth of {len(X)} points compares each with its "
            f"{n_neighbors} nearest, over the {_MAX_PAIRS:,} pairs mean shift allows; "
            "give a bandwidth, e.g. estimate_bandwidth(X, n_samples=5000)"
        )
    bandwidth = _estimate_bandwidth(X, 0.3, None, check_random_state(0))
    if bandwidth == 0 and (bin_seeding or kernel == "gaussian"):
        what = "bin_seeding" if bin_seeding else "kernel='gaussian'"
        raise UserError(
            f"the estimated bandwidth is 0 (the nearest 30% of the points to each point "
            f"are copies of it) and {what} needs a positive one; give a bandwidth"
        )
    return bandwidth


def _check_work(X, seeds, bandwidth, kernel):
    """Refuse windows that would hold too many points in all (the bandwidth is large next
    to the data's spread): each step would take minutes."""
    if kernel == "gaussian":
        pairs = len(seeds) * len(X)
    else:
        from sklearn.neighbors import KDTree

        # Whole tree nodes are counted at once, but 100,000 windows still take minutes:
        # up to 1,000 evenly spread windows stand for all of them.
        step = -(-len(seeds) // 1000)
        sample = KDTree(X).query_radius(seeds[::step], r=bandwidth, count_only=True)
        pairs = int(sample.sum() * len(seeds) / len(sample))
    if pairs > _MAX_PAIRS:
        about = "" if kernel == "gaussian" or step == 1 else "about "
        raise UserError(
            f"the {len(seeds)} windows hold {about}{pairs:,} points in all (bandwidth="
            f"{float(bandwidth):.3g} is large next to the data's spread), over the "
            f"{_MAX_PAIRS:,} mean shift looks at in a step; use bin_seeding=True, a "
            "smaller bandwidth or fewer points"
        )


def _check_seeds(seeds, n_features):
    if seeds is None:
        return None
    try:
        shape = np.shape(np.array(seeds, dtype=np.float64))
    except (TypeError, ValueError):
        raise UserError("seeds must be a table of numbers, one row per starting point") from None
    if 0 in shape:
        raise UserError(
            "seeds is empty; give at least one starting point, or seeds=None to start from the data"
        )
    if len(shape) != 2 or shape[1] != n_features:
        raise UserError(
            f"seeds must have one column per feature of the data ({n_features}), "
            f"got shape {shape}; give seeds of shape (n_seeds, {n_features})"
        )
    return check_array("seeds", seeds, (None, n_features))


def _no_window_error(bandwidth):
    return UserError(
        f"no point is within bandwidth={float(bandwidth):.3g} of any seed; "
        "increase the bandwidth or start from other seeds"
    )


def _shift_text(n_windows, still, mean_text):
    """The shift step's caption: one window or every window, and how many still move."""
    if n_windows == 1:
        status = "still moving" if still else "it has stopped: the mode"
        return f"Shift: the window moves to the {mean_text} of the points inside it ({status})"
    status = f"{still} still moving" if still else "all have stopped"
    return f"Shift: every window moves to the {mean_text} of the points inside it ({status})"


def _plural(count, word):
    return f"{count} {word}" if count == 1 else f"{count} {word}s"

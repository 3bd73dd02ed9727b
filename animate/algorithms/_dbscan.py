"""DBSCAN, step by step, as ``sklearn.cluster.DBSCAN``.

scikit-learn finds every point's eps-neighbourhood with one radius query, marks
the core points, then grows clusters with a depth-first stack. The points a
cluster takes do not depend on the order it explores its core points in, so we
grow each cluster breadth-first instead: the same labels, numbered the same
way, but a growth that looks like a wave and can be shown a wave at a time.
"""

from __future__ import annotations

import functools
import math
from collections import deque
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from animate.algorithms._checks import available_memory, check_sample_weight
from animate.algorithms.registry import (
    ANY,
    ARRAY,
    NONE,
    Estimator,
    Interval,
    Kind,
    Options,
    algorithm,
)
from animate.errors import UserError
from animate.trace import Step


@functools.cache
def _metrics():
    """The radius-query metrics of sklearn.neighbors that scikit-learn's DBSCAN also
    accepts for data points: it refuses "p", "infinity" and "sokalmichener";
    "mahalanobis" and "seuclidean" need metric_params, which we do not take."""
    from sklearn.neighbors import VALID_METRICS  # on first use: slow to import

    return tuple(
        sorted(
            (set(VALID_METRICS["ball_tree"]) | set(VALID_METRICS["brute"]))
            - {"precomputed", "pyfunc", "p", "infinity", "sokalmichener"}
            - {"mahalanobis", "seuclidean"}
        )
    )


_METRIC = Kind(
    "'euclidean', 'manhattan', 'chebyshev', 'minkowski', 'cosine' or another metric "
    "of sklearn.neighbors",
    lambda v: isinstance(v, str) and v in _metrics(),
)
# Up to this many points every visit is its own step (the tutorial scene);
# above it, one step per frontier wave.
_PER_POINT_MAX = 60
# At most this many expansion steps: each keeps labels, core mask and
# neighbourhood sizes, so a run with thousands of tiny clusters would not fit
# in memory; consecutive waves are then grouped into one step.
_MAX_EXPAND_STEPS = 200
_NONE = np.empty(0, dtype=np.intp)


class _Event(NamedTuple):
    """One exploration: the points it labels and what the caption says."""

    iteration: int
    phase: str
    cluster: int
    visited: int
    reached: np.ndarray
    frontier: np.ndarray
    message: str
    explored: np.ndarray


@algorithm(
    "dbscan",
    display="DBSCAN",
    summary="DBSCAN: clusters grow from dense core points; what they never reach is noise",
    order=50,
    estimator=Estimator(
        "sklearn.cluster.DBSCAN",
        {"algorithm": ANY, "leaf_size": ANY, "metric_params": (None,), "n_jobs": ANY},
    ),
    constraints={
        "eps": Interval(Real, 0, None, closed="right"),
        "min_samples": Interval(Integral, 1, None),
        "metric": [_METRIC, Options("precomputed")],
        "p": [NONE, Interval(Real, 0, None, closed="right")],
        "sample_weight": [NONE, ARRAY],
    },
    fields=("core",),
)
def dbscan(X, *, eps=0.5, min_samples=5, metric="euclidean", p=None, sample_weight=None):
    """DBSCAN, yielding a Step as each cluster grows from its core points.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or (n_samples, n_samples)
        The points to cluster, or with ``metric="precomputed"`` the distances
        between them (row i: from point i to every point).
    eps : float, default=0.5
        Radius of a point's neighbourhood: points at most ``eps`` apart are
        neighbours.
    min_samples : int, default=5
        A point with at least this many points within ``eps`` of it, itself
        included, is a core point. Core points start and spread clusters;
        their other neighbours join as border points; the rest is noise.
    metric : str, default="euclidean"
        How distance is measured: "euclidean", "manhattan", "chebyshev",
        "minkowski" (with ``p``), "cosine", or any other name scikit-learn's
        DBSCAN takes for data points ("haversine" needs two columns, latitude
        and longitude in radians); "precomputed" when X holds the distances.
    p : float, optional
        Power of the "minkowski" metric, > 0; None means 2. Ignored by the
        other metrics, as in scikit-learn (which, unlike us, fails with
        ``metric="minkowski", p=None``). For p = infinity use "chebyshev".
    sample_weight : array of shape (n_samples,) or None, default=None
        How much each point counts towards its neighbours' ``min_samples``
        (None: 1 each): a point of weight ``min_samples`` is a core point on
        its own, a negative weight keeps its neighbours from being core. As
        scikit-learn's ``fit(X, sample_weight=...)``.

    Yields
    ------
    Step
        "init" (every neighbourhood counted, core points found, no labels
        yet); then for each
        cluster, in the order scikit-learn numbers them, "expand" steps: one
        per explored core point up to 60 points (with a "visit" step for each
        point found to be noise for now), one per frontier wave above, waves
        grouped when there would be more than 200 steps; then "noise" and
        "final". Every step has ``core`` (bool, n), ``n_neighbors`` (int, n:
        points within eps, itself included), ``eps``, ``cluster`` (the
        cluster growing, -1 if none), ``visited`` (the point whose
        neighbourhood was just explored, -1 if none or several),
        ``explored`` (the points whose neighbourhoods this step explored:
        the visited point, or a wave's frontier; empty for grouped waves),
        ``frontier`` (core points reached whose neighbourhoods are still to
        explore) and ``noise`` (bool, n: points shown as noise so far, those
        visited and found not core with no cluster yet, and from "noise" on
        every point no cluster reached). "final" adds ``k_distances`` (n):
        every point's distance to its ``min_samples``-th nearest point,
        itself included, the curve eps is read from.

    Returns
    -------
    dict
        ``n_iter``: DBSCAN does not iterate, so this is the number of clusters
        found (each cluster is one pass of scikit-learn's outer loop; step
        ``iteration`` counts clusters started so far); ``converged``: True.
    """
    metric, p = _check_metric(metric, p, X)
    weights = None if sample_weight is None else check_sample_weight(sample_weight, len(X), False)
    neighbourhoods = _neighbourhoods(X, eps, metric, p)
    n_neighbors = np.fromiter(map(len, neighbourhoods), dtype=np.int64, count=len(X))
    # What min_samples is compared with: the count, or the weight, of each neighbourhood
    # (summed as scikit-learn sums it, so that ties fall the same way).
    within = (
        n_neighbors if weights is None else np.array([np.sum(weights[n]) for n in neighbourhoods])
    )
    core = within >= min_samples
    fields = {"core": core, "n_neighbors": n_neighbors, "eps": eps}
    labels = np.full(len(X), -1, dtype=np.intp)
    idle = {"visited": -1, "frontier": _NONE, "cluster": -1, "explored": _NONE, **fields}
    nobody = np.zeros(len(X), dtype=bool)
    census = _census_text(eps, min_samples, core)
    yield Step(0, "init", labels, census, noise=nobody, **idle)

    grow = _per_point_events if len(X) <= _PER_POINT_MAX else _wave_events
    events = list(grow(neighbourhoods, core, within, min_samples))
    yield from _expand_steps(events, labels, fields)

    n_clusters = int(labels.max()) + 1
    noise = int(np.count_nonzero(labels == -1))
    idle["noise"] = labels < 0
    yield Step(n_clusters, "noise", labels, _noise_text(noise, len(X)), **idle)
    k_distances = _k_distances(X, min(min_samples, len(X)), metric, p)
    final = _final_text(labels, core, eps, min_samples)
    yield Step(n_clusters, "final", labels, final, k_distances=k_distances, **idle)
    return {"n_iter": n_clusters, "converged": True}


def _neighbourhoods(X, eps, metric, p):
    """Every point's neighbours within eps, itself included, by scikit-learn's radius query."""
    from sklearn.neighbors import NearestNeighbors

    model = NearestNeighbors(radius=eps, metric=metric, p=p).fit(X)
    _check_memory(model, X, eps)
    return model.radius_neighbors(X, return_distance=False)


def _k_distances(X, k, metric, p):
    """Every point's distance to its k-th nearest point, itself counted first: the
    sorted curve people read eps from."""
    from sklearn.neighbors import NearestNeighbors

    model = NearestNeighbors(n_neighbors=k, metric=metric, p=p)
    distances, _ = model.fit(X).kneighbors(X)
    return distances[:, -1]


def _check_memory(model, X, eps):
    """Refuse an eps so large that the neighbourhoods (up to n x n indices) would not fit."""
    n = len(X)
    budget = 0.25 * available_memory()
    if 8.0 * n * n <= budget:
        return
    # Estimate the total from a spread-out sample of points rather than run out of memory.
    sample = np.linspace(0, n - 1, min(n, 256)).astype(np.intp)
    mean = np.mean([len(nb) for nb in model.radius_neighbors(X[sample], return_distance=False)])
    needed = n * (8.0 * mean + 112.0)
    if needed > budget:
        raise UserError(
            f"eps={eps:g} puts about {mean:.0f} points in each neighbourhood, so the "
            f"{n} neighbourhoods need about {needed / 2**30:.1f} GiB, more than this "
            "machine can spare; use a smaller eps or subsample the data"
        )


def _per_point_events(neighbourhoods, core, n_neighbors, min_samples):
    """scikit-learn's outer loop, one event per point explored: the tutorial's pace."""
    labels = np.full(len(core), -1, dtype=np.intp)
    cluster = -1
    for i in range(len(core)):
        if labels[i] != -1:
            continue
        if not core[i]:
            text = (
                f"Point {i} has only {_points(n_neighbors[i])} within eps "
                f"(min_samples={min_samples}): noise for now"
            )
            yield _Event(cluster + 1, "visit", -1, i, _NONE, _NONE, text, np.array([i]))
            continue
        cluster += 1
        labels[i] = cluster
        size = 1
        queue = deque([i])
        while queue:
            v = queue.popleft()
            reached = _unlabelled(neighbourhoods, [v], labels)
            labels[reached] = cluster
            size += len(reached)
            queue.extend(reached[core[reached]].tolist())
            if v == i:
                text = _seed_text(i, n_neighbors[i], min_samples, cluster)
                reached = np.concatenate(([i], reached))
            else:
                text = _visit_text(v, n_neighbors[v], cluster, reached, core)
            frontier = np.array(queue, dtype=np.intp)
            text += _complete_text(cluster, size, frontier)
            yield _Event(cluster + 1, "expand", cluster, v, reached, frontier, text, np.array([v]))


def _wave_events(neighbourhoods, core, n_neighbors, min_samples):
    """scikit-learn's outer loop, one event per breadth-first wave of a growing cluster."""
    labels = np.full(len(core), -1, dtype=np.intp)
    cluster = -1
    for i in np.flatnonzero(core):
        if labels[i] != -1:
            continue
        cluster += 1
        labels[i] = cluster
        size = 1
        frontier = np.array([i], dtype=np.intp)
        while len(frontier):
            explored = frontier
            reached = _unlabelled(neighbourhoods, frontier, labels)
            labels[reached] = cluster
            size += len(reached)
            if frontier[0] == i:  # the first wave: the seed alone explores
                text = _seed_text(i, n_neighbors[i], min_samples, cluster)
                visited, shown = int(i), np.concatenate(([i], reached))
            else:
                text = (
                    f"Cluster {cluster} grows: {_points(len(reached))} reached from its "
                    f"frontier of {_points(len(frontier), 'core point')}"
                )
                visited, shown = -1, reached
            frontier = reached[core[reached]]
            text += _complete_text(cluster, size, frontier)
            yield _Event(cluster + 1, "expand", cluster, visited, shown, frontier, text, explored)


def _unlabelled(neighbourhoods, sources, labels):
    """The neighbours of ``sources`` that no cluster has taken yet, in index order."""
    if len(sources) == 1:
        candidates = np.sort(neighbourhoods[sources[0]])
    else:
        candidates = np.unique(np.concatenate(neighbourhoods[sources]))
    return candidates[labels[candidates] == -1]


def _expand_steps(events, labels, fields):
    """A Step per event, or per group of consecutive events when there are too many.

    A group's step explored several neighbourhoods: it names none (``explored``
    empty) rather than draw some of them.
    """
    stride = max(1, math.ceil(len(events) / _MAX_EXPAND_STEPS))
    visited_noise = np.zeros(len(labels), dtype=bool)
    for start in range(0, len(events), stride):
        group = events[start : start + stride]
        for event in group:
            labels[event.reached] = event.cluster
        last = group[-1]
        if len(group) == 1:
            visited, message, explored = last.visited, last.message, last.explored
        else:
            visited, message, explored = -1, _group_text(group), _NONE
        if last.phase == "visit" and visited >= 0:
            visited_noise[visited] = True
        state = {
            "visited": visited,
            "frontier": last.frontier,
            "cluster": last.cluster,
            "explored": explored,
            "noise": visited_noise & (labels < 0),
        }
        yield Step(last.iteration, last.phase, labels, message, **state, **fields)


def _check_metric(metric, p, X):
    if metric == "minkowski" and p is None:
        p = 2.0
    if metric == "precomputed" and (X.shape[0] != X.shape[1] or np.any(X < 0)):
        raise UserError(
            f"with metric='precomputed', X must be the square matrix of distances "
            f"between the points, none negative, got shape {X.shape}; pass "
            "pairwise_distances(X) or choose another metric"
        )
    if metric == "haversine" and X.shape[1] != 2:
        raise UserError(
            f"metric='haversine' needs exactly 2 columns (latitude and longitude "
            f"in radians), got {X.shape[1]}; choose another metric"
        )
    return metric, p


def _points(count, noun="point"):
    if isinstance(count, float):  # a weighted neighbourhood
        return f"a weight of {count:g}"
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _census_text(eps, min_samples, core):
    return (
        f"Each point counts the points within eps={eps:g} of it, itself included: "
        f"{np.count_nonzero(core)} of {len(core)} have at least min_samples={min_samples} "
        "and are core points"
    )


def _seed_text(point, count, min_samples, cluster):
    return (
        f"Point {point} has {_points(count)} within eps (min_samples={min_samples}): "
        f"a core point starts cluster {cluster}"
    )


def _visit_text(point, count, cluster, reached, core):
    if not len(reached):
        return (
            f"Point {point} is also a core point ({_points(count)} within eps), "
            "but its neighbours all have a cluster already"
        )
    border = int(np.count_nonzero(~core[reached]))
    if border == 0:
        tail = ""
    elif border == len(reached):
        tail = ", border points only" if border > 1 else ", a border point"
    else:
        tail = f", {border} of them border points" if border > 1 else ", 1 of them a border point"
    return (
        f"Point {point} is also a core point ({_points(count)} within eps): "
        f"cluster {cluster} reaches {_points(len(reached), 'more point')}{tail}"
    )


def _complete_text(cluster, size, frontier):
    return "" if len(frontier) else f"; cluster {cluster} is complete with {_points(size)}"


def _group_text(group):
    first, last = group[0].cluster, group[-1].cluster
    reached = _points(sum(len(event.reached) for event in group))
    who = f"Cluster {last} grows" if first == last else f"Clusters {first} to {last} grow"
    message = f"{who}: {reached} reached in {len(group)} waves"
    if not len(group[-1].frontier):
        message += f"; cluster {last} is complete"
    return message


def _noise_text(noise, n_samples):
    if noise == n_samples:
        return f"No cluster formed, so every point is noise: all {n_samples} points"
    return f"Points no cluster reached are noise: {_points(noise)}"


def _final_text(labels, core, eps, min_samples):
    n_clusters = int(labels.max()) + 1
    if n_clusters == 0:
        return (
            f"DBSCAN found no cluster: no point has min_samples={min_samples} points "
            f"within eps={eps:g}; try a larger eps or a smaller min_samples"
        )
    n_core = int(np.count_nonzero(core))
    noise = int(np.count_nonzero(labels == -1))
    found = "1 cluster" if n_clusters == 1 else f"{n_clusters} clusters"
    return (
        f"DBSCAN found {found}: {n_core} core, {len(labels) - n_core - noise} border "
        f"and {noise} noise points"
    )

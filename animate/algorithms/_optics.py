"""OPTICS, step by step, as ``sklearn.cluster.OPTICS``.

OPTICS puts the points in an order in which dense regions come out as valleys
of the reachability plot. The next point is always the one of the seed list
(the points not yet ordered) with the smallest reachability, the smaller index
on a tie, a point no one has reached (reachability inf) when the list has run
dry; a core point taken lowers the reachability of its neighbours. Clusters are
then read off the plot: the xi method looks for steep drops and rises, the
dbscan method cuts it at one height eps.

Ties in reachability are the rule on real data (points reached through the
same core distance), so the distances are scikit-learn's own: the same nearest
neighbour search for core distances, the same ``pairwise_distances`` for
reachability, both rounded to 15 decimals as there, and only a strict
improvement replaces a reachability. The order, predecessors and clusters then
agree exactly.
"""

from __future__ import annotations

import functools
import math
from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import check_pairwise_memory, check_quadratic_time
from animate.algorithms.registry import (
    ANY,
    BOOLEAN,
    NONE,
    Estimator,
    Interval,
    Kind,
    Options,
    algorithm,
)
from animate.errors import UserError
from animate.trace import Step

# Up to this many steps while the order grows: one per point for small data,
# batches of consecutive points above.
_MAX_ORDER_STEPS = 60
# Most points: each point ordered looks at every unordered one (20,000 took 64 s on a
# busy two-core machine).
MAX_POINTS = 20_000
# At most this many steps while xi finds its clusters.
_MAX_CLUSTER_STEPS = 20
_NONE = np.empty(0, dtype=np.intp)
_NO_AREAS = np.empty((0, 2), dtype=np.intp)


@functools.cache
def _metrics():
    """The metrics of DBSCAN that measure numbers: scikit-learn's OPTICS turns the data
    into booleans for the boolean ones ("jaccard", "dice"...), which teaches nothing
    about points in a plane."""
    from sklearn.metrics.pairwise import PAIRWISE_BOOLEAN_FUNCTIONS

    from animate.algorithms._dbscan import _metrics as neighbour_metrics

    return tuple(m for m in neighbour_metrics() if m not in PAIRWISE_BOOLEAN_FUNCTIONS)


def _is_fraction(value, low_open):
    if isinstance(value, bool | np.bool_ | Integral) or not isinstance(value, Real):
        return False
    return (value > 0 if low_open else value >= 0) and value <= 1


_METRIC = Kind(
    "'minkowski', 'euclidean', 'manhattan', 'chebyshev', 'cosine' or another numeric "
    "metric of sklearn.neighbors",
    lambda v: isinstance(v, str) and v in _metrics(),
)
_INF = Kind("inf", lambda v: isinstance(v, Real) and not isinstance(v, bool) and v == math.inf)
_SHARE = Kind("a fraction between 0 and 1", lambda v: _is_fraction(v, False), float)
_POSITIVE_SHARE = Kind("a fraction > 0 and <= 1", lambda v: _is_fraction(v, True), float)


@algorithm(
    "optics",
    display="OPTICS",
    summary="OPTICS: order the points by density; valleys of the reachability plot are clusters",
    order=57,
    estimator=Estimator(
        "sklearn.cluster.OPTICS",
        {
            "algorithm": ANY,
            "leaf_size": ANY,
            "memory": ANY,
            "metric_params": (None,),
            "n_jobs": ANY,
        },
    ),
    constraints={
        "min_samples": [Interval(Integral, 2, "n_samples"), _SHARE],
        "max_eps": [Interval(Real, 0, None), _INF],
        "metric": _METRIC,
        "p": Interval(Real, 1, None),
        "cluster_method": Options("xi", "dbscan"),
        "eps": [NONE, Interval(Real, 0, None), _INF],
        "xi": Interval(Real, 0, 1, closed="left"),
        "predecessor_correction": BOOLEAN,
        "min_cluster_size": [NONE, Interval(Integral, 2, "n_samples"), _POSITIVE_SHARE],
    },
    fields=("ordering", "reachability", "core_distances", "predecessor"),
)
def optics(
    X,
    *,
    min_samples=5,
    max_eps=math.inf,
    metric="minkowski",
    p=2,
    cluster_method="xi",
    eps=None,
    xi=0.05,
    predecessor_correction=True,
    min_cluster_size=None,
):
    """OPTICS, yielding a Step as each point joins the order, then as clusters are read off.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The points to cluster.
    min_samples : int or float, default=5
        A point's core distance is the distance to its ``min_samples``-th
        nearest point, itself included. A fraction between 0 and 1 is that
        share of the points (at least 2). Also the longest run of flat points
        a steep area may contain (xi).
    max_eps : float, default=inf
        Points farther apart than this never reach each other; inf finds
        clusters at every scale.
    metric : str, default="minkowski"
        How distance is measured: "minkowski" (with ``p``), "euclidean",
        "manhattan", "chebyshev", "cosine" or another numeric metric of
        sklearn.neighbors ("haversine" needs latitude and longitude in
        radians). The boolean metrics ("jaccard"...) are not taken.
    p : float, default=2
        Power of the "minkowski" metric, >= 1 (2 is Euclidean, 1 Manhattan).
    cluster_method : {"xi", "dbscan"}, default="xi"
        How clusters are read off the reachability plot: "xi" finds valleys
        between steep drops and rises, "dbscan" cuts the plot at ``eps``.
    eps : float or None, default=None
        Height of the "dbscan" cut, at most ``max_eps``; None means
        ``max_eps``. Ignored by "xi".
    xi : float, default=0.05
        Steepness of a cluster's edge, between 0 and 1 (not 1): a point is
        steep downward when the next reachability is at least ``1 - xi``
        times smaller, steep upward when it is that much larger.
    predecessor_correction : bool, default=True
        Trim xi clusters whose last points were reached from outside them
        (Schubert and Gertz, 2018), as scikit-learn does by default.
    min_cluster_size : int, float or None, default=None
        Fewest points of an xi cluster; a fraction is a share of the points
        (at least 2); None means ``min_samples``.

    Yields
    ------
    Step
        "init" (core distances, nothing ordered yet); "order" steps as the
        points join the order, one per point up to 60 points, in batches of
        consecutive points above: ``taken`` (the points just ordered),
        ``current`` (the last of them), ``updated`` (points whose
        reachability they lowered); then for xi one "steep" step
        (``steep_down`` and ``steep_up``: [start, end] positions in the
        order, end included) and "cluster" steps as clusters are found
        (``cluster_hierarchy``: [start, end] of each, scikit-learn's
        ``cluster_hierarchy_``), or for dbscan one "cut" step (``cut``, the
        height eps); last "final". Every step has ``ordering`` (the points
        ordered so far), ``reachability``, ``predecessor`` (-1 = none) and
        ``core_distances`` (inf = never core), each indexed by point, as
        scikit-learn's attributes of the same names with a trailing
        underscore.

    Returns
    -------
    dict
        ``n_iter``: OPTICS does not iterate, so this is the number of points
        ordered (n_samples); ``converged``: True.
    """
    n = len(X)
    check_quadratic_time("OPTICS", n, MAX_POINTS)
    min_samples = _count(min_samples, n)
    min_cluster_size = min_samples if min_cluster_size is None else _count(min_cluster_size, n)
    eps = _check_extraction(cluster_method, eps, max_eps)
    _check_metric(metric, X)
    neighbours = _neighbours(X, min_samples, metric, p)
    core_distances = _core_distances(X, neighbours, min_samples, max_eps)
    graph = _Graph(core_distances, n)
    yield graph.step(0, "init", _init_text(core_distances, min_samples))

    points = _order(X, neighbours, core_distances, graph, max_eps, metric, p)
    yield from _order_steps(points, graph, min_samples)

    if cluster_method == "xi":
        yield from _xi_steps(graph, xi, min_samples, min_cluster_size, predecessor_correction)
    else:
        graph.cut = eps
        graph.labels = _dbscan_labels(graph, eps)
        yield graph.step(n, "cut", _cut_text(graph.labels, eps))
    yield graph.step(n, "final", _final_text(graph, cluster_method))
    return {"n_iter": n, "converged": True}


class _Graph:
    """The state OPTICS builds, and what every Step shows of it."""

    def __init__(self, core_distances, n):
        self.core_distances = core_distances
        self.reachability = np.full(n, np.inf)
        self.predecessor = np.full(n, -1, dtype=np.intp)
        self.ordering = []
        self.labels = np.full(n, -1, dtype=np.intp)
        self.steep_down = self.steep_up = self.hierarchy = _NO_AREAS
        self.cut = None

    def step(self, iteration, phase, message, taken=_NONE, updated=_NONE):
        return Step(
            iteration,
            phase,
            self.labels,
            message,
            ordering=np.array(self.ordering, dtype=np.intp),
            reachability=self.reachability,
            core_distances=self.core_distances,
            predecessor=self.predecessor,
            taken=taken,
            current=int(taken[-1]) if len(taken) else -1,
            updated=updated,
            steep_down=self.steep_down,
            steep_up=self.steep_up,
            cluster_hierarchy=self.hierarchy,
            cut=self.cut,
        )


# The reachability graph, as scikit-learn's compute_optics_graph.


def _neighbours(X, min_samples, metric, p):
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=min_samples, metric=metric, p=p).fit(X)


def _core_distances(X, neighbours, min_samples, max_eps):
    """Distance to the ``min_samples``-th nearest point (inf beyond max_eps), rounded."""
    distances = neighbours.kneighbors(X, min_samples)[0][:, -1]
    distances[distances > max_eps] = np.inf
    return np.around(distances, decimals=np.finfo(distances.dtype).precision)


def _order(X, neighbours, core_distances, graph, max_eps, metric, p):
    """Take the points one by one; yield each with the points whose reachability it lowered."""
    within = _neighbourhoods(X, neighbours, max_eps)
    distance = _distance_function(metric, p)
    processed = np.zeros(len(X), dtype=bool)
    for _ in range(len(X)):
        unprocessed = np.flatnonzero(~processed)
        # argmin: the smallest index among equal reachabilities, inf included.
        point = int(unprocessed[np.argmin(graph.reachability[unprocessed])])
        processed[point] = True
        graph.ordering.append(point)
        updated = _NONE
        if core_distances[point] != np.inf:
            candidates = unprocessed if within is None else within[point]
            updated = _lower_reachability(X, point, candidates, processed, graph, distance)
        yield point, updated


def _neighbourhoods(X, neighbours, max_eps):
    """Every point's neighbours within max_eps, by scikit-learn's radius query (one query
    for all points: each row is what its own query returns); None for max_eps=inf, where
    every point is a neighbour."""
    if np.isinf(max_eps):
        return None
    check_pairwise_memory("OPTICS with a finite max_eps", len(X))
    return neighbours.radius_neighbors(X, radius=max_eps, return_distance=False)


def _distance_function(metric, p):
    """The function scikit-learn's ``pairwise_distances`` hands the work to, called
    directly: the same numbers without its checks on every point."""
    from sklearn.metrics.pairwise import PAIRWISE_DISTANCE_FUNCTIONS

    if metric in PAIRWISE_DISTANCE_FUNCTIONS:
        return PAIRWISE_DISTANCE_FUNCTIONS[metric]
    from scipy.spatial.distance import cdist

    params = {"p": p} if metric == "minkowski" else {}
    return functools.partial(cdist, metric=metric, **params)


def _lower_reachability(X, point, candidates, processed, graph, distance):
    """scikit-learn's ``_set_reach_dist``: the same distances, rounding and strict rule."""
    unprocessed = np.compress(~np.take(processed, candidates), candidates)
    if not unprocessed.size:
        return _NONE
    distances = distance(X[point : point + 1], X[unprocessed]).ravel()
    reach = np.maximum(distances, graph.core_distances[point])
    np.around(reach, decimals=np.finfo(reach.dtype).precision, out=reach)
    # Only a strict improvement counts: on a tie the first point to reach stays.
    improved = reach < graph.reachability[unprocessed]
    graph.reachability[unprocessed[improved]] = reach[improved]
    graph.predecessor[unprocessed[improved]] = point
    return unprocessed[improved]


def _order_steps(points, graph, min_samples):
    """One "order" Step per point taken, or per batch of consecutive points for large data."""
    n = len(graph.reachability)
    batch = max(1, math.ceil(n / _MAX_ORDER_STEPS))
    taken, updated = [], []
    for point, lowered in points:
        taken.append(point)
        updated.append(lowered)
        if len(taken) == batch or len(graph.ordering) == n:
            if batch == 1:
                message = _point_text(point, graph, len(lowered), min_samples)
            else:
                message = _batch_text(graph, len(taken), updated)
            changed = np.unique(np.concatenate(updated))
            yield graph.step(len(graph.ordering), "order", message, np.array(taken), changed)
            taken, updated = [], []


# Extraction by xi, as scikit-learn's cluster_optics_xi.


def _xi_steps(graph, xi, min_samples, min_cluster_size, predecessor_correction):
    """The "steep" Step, then a "cluster" Step per steep rise closing clusters (grouped)."""
    n = len(graph.reachability)
    order = np.asarray(graph.ordering)
    plot = np.hstack((graph.reachability[order], np.inf))
    areas = _Areas(plot, xi, min_samples)
    for area in areas.scan():
        if area.kind == "up":
            area.clusters = _clusters_at(
                area,
                areas,
                plot,
                graph.predecessor[order],
                order,
                min_cluster_size,
                predecessor_correction,
            )
    down = [(a.start, a.end) for a in areas.found if a.kind == "down"]
    up = [(a.start, a.end) for a in areas.found if a.kind == "up"]
    graph.steep_down = np.array(down, dtype=np.intp).reshape(-1, 2)
    graph.steep_up = np.array(up, dtype=np.intp).reshape(-1, 2)
    yield graph.step(n, "steep", _steep_text(len(down), len(up), xi))

    closing = [a for a in areas.found if a.kind == "up" and a.clusters]
    stride = max(1, math.ceil(len(closing) / _MAX_CLUSTER_STEPS))
    hierarchy = []
    for start in range(0, len(closing), stride):
        group = closing[start : start + stride]
        new = [c for area in group for c in area.clusters]
        hierarchy.extend(new)
        graph.hierarchy = np.array(hierarchy, dtype=np.intp).reshape(-1, 2)
        graph.labels = _xi_labels(order, hierarchy)
        yield graph.step(n, "cluster", _cluster_text(group, new, graph.labels))


class _Area:
    """A steep area of the reachability plot: positions start..end (end included)."""

    def __init__(self, kind, start, end):
        self.kind, self.start, self.end = kind, start, end
        self.mib = 0.0  # the highest reachability seen since (down areas)
        self.clusters = []  # the clusters this rise closes (up areas)


class _Areas:
    """The scan of scikit-learn's ``_xi_cluster`` over the plot's steep points.

    ``plot`` ends with an extra inf, so a cluster running to the end of the plot
    still meets a rise.
    """

    def __init__(self, plot, xi, min_samples):
        self.plot, self.min_samples = plot, min_samples
        self.xi_complement = 1 - xi
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = plot[:-1] / plot[1:]
            self.steep_up = ratio <= self.xi_complement
            self.steep_down = ratio >= 1 / self.xi_complement
            self.downward = ratio > 1
            self.upward = ratio < 1
        self.found = []
        self.sdas = []  # the steep down areas still open to a matching rise

    def scan(self):
        """Yield each steep area as it is found; ``sdas`` holds the open drops meanwhile."""
        index, mib = 0, 0.0
        for steep_index in np.flatnonzero(self.steep_up | self.steep_down):
            if steep_index < index:
                continue
            mib = max(mib, np.max(self.plot[index : steep_index + 1]))
            self.sdas = self._filtered(mib)
            if self.steep_down[steep_index]:
                end = _extend_region(self.steep_down, self.upward, steep_index, self.min_samples)
                area = _Area("down", int(steep_index), int(end))
                self.sdas.append(area)
            else:
                end = _extend_region(self.steep_up, self.downward, steep_index, self.min_samples)
                area = _Area("up", int(steep_index), int(end))
            self.found.append(area)
            index = end + 1
            mib = self.plot[index]
            yield area

    def _filtered(self, mib):
        """scikit-learn's ``_update_filter_sdas``: drop drops now lower than mib allows."""
        if np.isinf(mib):
            return []
        kept = [d for d in self.sdas if mib <= self.plot[d.start] * self.xi_complement]
        for d in kept:
            d.mib = max(d.mib, mib)
        return kept


def _extend_region(steep_point, xward_point, start, min_samples):
    """The end of a maximal steep area from ``start``: at most ``min_samples`` consecutive
    flat points inside, stopping at the first point going the other way."""
    non_xward_points = 0
    end = start
    for index in range(start, len(steep_point)):
        if steep_point[index]:
            non_xward_points = 0
            end = index
        elif not xward_point[index]:
            non_xward_points += 1
            if non_xward_points > min_samples:
                break
        else:
            return end
    return end


def _clusters_at(up, areas, plot, predecessors, order, min_cluster_size, correction):
    """The clusters that the rise ``up`` closes with each open drop, smaller ones first."""
    xi_complement = areas.xi_complement
    found = []
    for down in areas.sdas:
        c_start, c_end = down.start, up.end
        if plot[c_end + 1] * xi_complement < down.mib:
            continue
        # Definition 11, criterion 4: trim the higher side to the level of the lower.
        d_max = plot[down.start]
        if d_max * xi_complement >= plot[c_end + 1]:
            while plot[c_start + 1] > plot[c_end + 1] and c_start < down.end:
                c_start += 1
        elif plot[c_end + 1] * xi_complement >= d_max:
            while plot[c_end - 1] > d_max and c_end > up.start:
                c_end -= 1
        if correction:
            c_start, c_end = _correct_predecessor(plot, predecessors, order, c_start, c_end)
        if c_start is None:
            continue
        if c_end - c_start + 1 < min_cluster_size or c_start > down.end or c_end < up.start:
            continue
        found.append((c_start, c_end))
    return found[::-1]


def _correct_predecessor(plot, predecessors, order, start, end):
    """Algorithm 2 of Schubert and Gertz: drop trailing points reached from outside."""
    while start < end:
        if plot[start] > plot[end]:
            return start, end
        if predecessors[end] in order[start:end]:
            return start, end
        end -= 1
    return None, None


def _xi_labels(order, clusters):
    """scikit-learn's ``_extract_xi_labels``: each cluster that overlaps no labelled one,
    smaller clusters first, takes the next label."""
    labels = np.full(len(order), -1, dtype=np.intp)
    label = 0
    for start, end in clusters:
        if not np.any(labels[start : end + 1] != -1):
            labels[start : end + 1] = label
            label += 1
    labels[order] = labels.copy()
    return labels


# Extraction by a cut, as scikit-learn's cluster_optics_dbscan.


def _dbscan_labels(graph, eps):
    """A new cluster where the plot rises above eps at a core point; above eps at a point
    that is not core: noise."""
    order = np.asarray(graph.ordering)
    far_reach = graph.reachability > eps
    near_core = graph.core_distances <= eps
    labels = np.zeros(len(order), dtype=np.intp)
    labels[order] = np.cumsum(far_reach[order] & near_core[order]) - 1
    labels[far_reach & ~near_core] = -1
    return labels


# Checks.


def _count(value, n_samples):
    """A number of points given as a count or as a share of the points (at least 2)."""
    return max(2, int(value * n_samples)) if value <= 1 else int(value)


def _check_extraction(cluster_method, eps, max_eps):
    if cluster_method != "dbscan":
        return eps
    if eps is None:
        return max_eps
    if eps > max_eps:
        raise UserError(
            f"eps={eps:g} is more than max_eps={max_eps:g}: the plot has no reachability "
            "above max_eps to cut; use eps <= max_eps or raise max_eps"
        )
    return eps


def _check_metric(metric, X):
    if metric == "haversine" and X.shape[1] != 2:
        raise UserError(
            f"metric='haversine' needs exactly 2 columns (latitude and longitude "
            f"in radians), got {X.shape[1]}; choose another metric"
        )


# Captions.


def _points(count, noun="point"):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _init_text(core_distances, min_samples):
    never = int(np.count_nonzero(np.isinf(core_distances)))
    text = (
        f"Each point's core distance: how far its {min_samples}th nearest point is "
        "(itself included)"
    )
    if never:
        text += f"; {_points(never)} never core (beyond max_eps)"
    return text


def _point_text(point, graph, n_lowered, min_samples):
    reach, before = graph.reachability[point], graph.predecessor[point]
    if np.isinf(reach):
        text = f"No point waits in the seed list: point {point} starts a new stretch of the order"
    else:
        text = (
            f"Point {point} has the smallest reachability in the seed list, "
            f"{reach:.3g} (reached from point {before})"
        )
    if np.isinf(graph.core_distances[point]):
        return text + f"; not a core point (min_samples={min_samples}), it reaches no one"
    if n_lowered == 0:
        return text + "; a core point, but it brings no one closer"
    return text + f"; a core point, it brings {_points(n_lowered)} closer"


def _batch_text(graph, n_taken, updated):
    done = len(graph.ordering)
    lowered = sum(len(u) for u in updated)
    return (
        f"Points {done - n_taken + 1} to {done} of the order, each the closest in the "
        f"seed list: {lowered} {'reachability' if lowered == 1 else 'reachabilities'} lowered "
        "on the way"
    )


def _steep_text(n_down, n_up, xi):
    return (
        f"Steep areas, where reachability falls or rises by {xi:.0%} or more from one "
        f"point to the next: {n_down} down, {n_up} up"
    )


def _cluster_text(group, new, labels):
    rises = ", ".join(f"{a.start}-{a.end}" for a in group)
    where = "rise at" if len(group) == 1 else "rises at"
    spans = ", ".join(f"{start}-{end}" for start, end in new)
    return (
        f"The steep {where} {rises} close{'s' if len(group) == 1 else ''} "
        f"{_points(len(new), 'cluster')} ({spans}); {int(labels.max()) + 1} labelled so far"
    )


def _cut_text(labels, eps):
    n_clusters = int(labels.max()) + 1
    return (
        f"Cut the plot at eps={eps:g}: each stretch below the line is a cluster, "
        f"{_points(n_clusters, 'cluster')}"
    )


def _final_text(graph, cluster_method):
    labels = graph.labels
    n_clusters = int(labels.max()) + 1
    noise = int(np.count_nonzero(labels == -1))
    how = "from the steep areas" if cluster_method == "xi" else f"below eps={graph.cut:g}"
    return (
        f"OPTICS found {_points(n_clusters, 'cluster')} {how} and {_points(noise, 'noise point')}"
    )

"""HDBSCAN, step by step, as ``sklearn.cluster.HDBSCAN``.

The steps are scikit-learn's (its ``_hdbscan_prims`` path, which it takes for
every metric we accept): each point's core distance from a k-nearest-neighbour
query; Prim's minimum spanning tree of the mutual reachability distances, with
the same tie-breaks; the single-linkage hierarchy from the tree's edges sorted
by length; the tree condensed to clusters of at least ``min_cluster_size``
points, with their stabilities; the clusters selected (excess of mass, or the
leaves); labels and membership probabilities, numbered as scikit-learn numbers
them. Prim's algorithm costs n numpy passes over the n points and pure Python
loops walk the n - 1 edges: measured 0.2 s for 1000 points, 0.45 s for 2000 and
2.3 s for 5000 (one core).

``cluster_selection_epsilon``: the installed scikit-learn (1.9) fails with a
TypeError as soon as the epsilon would merge a cluster into its parent (its
``traverse_upwards`` reads a one-element array as a number). There we follow
the HDBSCAN* definition it implements, as the ``hdbscan`` library does: a
selected cluster born below the epsilon is replaced by its nearest ancestor
born above it (by the root's child when the root is not allowed, as a single
cluster).

One more place where scikit-learn fails (a KeyError): with ``allow_single_cluster``,
when the one cluster kept is not the root (``max_cluster_size`` refused the rest),
it looks the root up as a cluster for the points outside it; they are noise here.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import check_quadratic_time
from animate.algorithms.registry import ANY, BOOLEAN, NONE, Estimator, Interval, Options, algorithm
from animate.errors import UserError
from animate.trace import Step

# The metrics for which scikit-learn's HDBSCAN takes its tree-based path (Prim's
# algorithm on the data) and that need no metric_params.
_METRICS = (
    "euclidean",
    "l2",
    "manhattan",
    "cityblock",
    "l1",
    "chebyshev",
    "infinity",
    "canberra",
    "braycurtis",
)
_KD_TREE_METRICS = ("euclidean", "l2", "manhattan", "cityblock", "l1", "chebyshev", "infinity")
# The minimum spanning tree grows over at most this many steps.
_MST_STEPS = 40
# Most points: Prim's tree looks at every pair (20,000 took 32 s on a busy two-core machine).
MAX_POINTS = 20_000


@algorithm(
    "hdbscan",
    display="HDBSCAN",
    summary="HDBSCAN: DBSCAN at every eps at once, keeping the clusters that last longest",
    order=55,
    estimator=Estimator(
        "sklearn.cluster.HDBSCAN",
        {
            "algorithm": ("auto",),
            "leaf_size": ANY,
            "metric_params": (None,),
            "n_jobs": ANY,
            "copy": ANY,
            "store_centers": (None,),
        },
    ),
    constraints={
        "min_cluster_size": Interval(Integral, 2, None),
        "min_samples": [NONE, Interval(Integral, 1, "n_samples")],
        "cluster_selection_epsilon": Interval(Real, 0, None),
        "max_cluster_size": [NONE, Interval(Integral, 1, None)],
        "metric": Options(*_METRICS),
        "alpha": Interval(Real, 0, None, closed="neither"),
        "cluster_selection_method": Options("eom", "leaf"),
        "allow_single_cluster": BOOLEAN,
    },
    fields=(
        "probabilities",
        "core_distances",
        "mst_edges",
        "mst_distances",
        "linkage",
        "tree_parent",
        "tree_child",
        "tree_lambda",
        "tree_size",
        "stability",
        "selected",
    ),
)
def hdbscan(
    X,
    *,
    min_cluster_size=5,
    min_samples=None,
    cluster_selection_epsilon=0.0,
    max_cluster_size=None,
    metric="euclidean",
    alpha=1.0,
    cluster_selection_method="eom",
    allow_single_cluster=False,
):
    """HDBSCAN, yielding a Step for each stage from core distances to labels.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The points to cluster.
    min_cluster_size : int, default=5
        The fewest points a group needs to count as a cluster; smaller groups
        that split off are noise.
    min_samples : int or None, default=None
        A point's core distance is the distance to its ``min_samples``-th
        nearest point, itself included: larger values smooth the density and
        call more points noise. None means ``min_cluster_size``.
    cluster_selection_epsilon : float, default=0.0
        Clusters that split apart at a distance below this are kept whole.
    max_cluster_size : int or None, default=None
        Excess of mass never selects a cluster larger than this (no effect
        with ``cluster_selection_method="leaf"``).
    metric : str, default="euclidean"
        "euclidean", "manhattan", "chebyshev", "canberra" or "braycurtis"
        ("l2", "cityblock", "l1" and "infinity" are aliases).
    alpha : float, default=1.0
        Distances between points are divided by alpha (not core distances):
        robust single linkage's scaling.
    cluster_selection_method : {"eom", "leaf"}, default="eom"
        "eom" keeps the clusters with the most excess of mass (the most stable);
        "leaf" keeps the leaves of the condensed tree (small, even clusters).
    allow_single_cluster : bool, default=False
        Whether the whole data set may be the one cluster found.

    Yields
    ------
    Step
        "init" (the core distances, field ``core_distances``); up to 40 "mst" steps as Prim's
        algorithm adds the edges of the minimum spanning tree (``mst_edges``
        (n-1, 2) and ``mst_distances`` (n-1,) in the order added, on every
        step, and ``n_edges``, how many are in so far); "hierarchy" (``linkage``
        (n-1, 4), the single-linkage tree in scipy's format); "condense" (the
        condensed tree as rows ``tree_parent``, ``tree_child``, ``tree_lambda``
        (1 / distance) and ``tree_size``, and ``stability``, of cluster
        ``n_samples + i`` at index i); "select" (``selected``: the cluster ids
        kept, label i being ``selected[i]``; the labels); "final" (with
        ``probabilities``). Fields not known yet are None.

    Returns
    -------
    dict
        ``n_iter``: the n_samples - 1 edges Prim's algorithm added;
        ``converged``: True.
    """
    n_samples = len(X)
    check_quadratic_time("HDBSCAN", n_samples, MAX_POINTS)
    min_samples = _check_min_samples(min_samples, min_cluster_size, n_samples)
    core = _core_distances(X, min_samples, metric)
    edges, distances = _prim_mst(X, core, metric, alpha)
    state = {
        "core_distances": core,
        "mst_edges": edges,
        "mst_distances": distances,
        "n_edges": 0,
        **dict.fromkeys(("linkage", "tree_parent", "tree_child", "tree_lambda", "tree_size")),
        **dict.fromkeys(("stability", "selected", "probabilities")),
    }
    labels = np.full(n_samples, -1, dtype=np.intp)
    yield Step(0, "init", labels, _core_text(min_samples, core), **state)
    yield from _mst_steps(labels, state)

    state["linkage"] = _single_linkage(edges, distances)
    yield Step(n_samples - 1, "hierarchy", labels, _hierarchy_text(state["linkage"]), **state)

    tree = _condense_tree(state["linkage"], min_cluster_size)
    stability = _stability(tree)
    state.update(zip(("tree_parent", "tree_child", "tree_lambda", "tree_size"), tree))
    state["stability"] = np.array(list(stability.values()))
    yield Step(n_samples - 1, "condense", labels, _condense_text(tree, min_cluster_size), **state)

    selected = _select(
        tree,
        stability,
        cluster_selection_method,
        allow_single_cluster,
        cluster_selection_epsilon,
        max_cluster_size,
    )
    labels = _labelling(tree, selected, allow_single_cluster, cluster_selection_epsilon)
    state["selected"] = np.array(selected, dtype=np.intp)
    text = _select_text(selected, cluster_selection_method)
    yield Step(n_samples - 1, "select", labels, text, **state)

    state["probabilities"] = _probabilities(tree, selected, labels)
    yield Step(n_samples - 1, "final", labels, _final_text(labels), **state)
    return {"n_iter": n_samples - 1, "converged": True}


def _check_min_samples(min_samples, min_cluster_size, n_samples):
    if min_samples is not None:
        return min_samples
    if min_cluster_size > n_samples:
        raise UserError(
            f"min_samples defaults to min_cluster_size={min_cluster_size}, more than the "
            f"{n_samples} points in the data; set min_samples to at most {n_samples}"
        )
    return min_cluster_size


# Core distances and the minimum spanning tree -------------------------------------------


def _core_distances(X, min_samples, metric):
    """Distance to the ``min_samples``-th nearest point, itself included, as scikit-learn."""
    from sklearn.neighbors import NearestNeighbors

    algo = "kd_tree" if metric in _KD_TREE_METRICS else "ball_tree"
    model = NearestNeighbors(n_neighbors=min_samples, algorithm=algo, metric=metric, p=None)
    distances, _ = model.fit(X).kneighbors(X, min_samples)
    return np.ascontiguousarray(distances[:, -1])


def _prim_mst(X, core, metric, alpha):
    """Prim's tree of mutual reachability, edge by edge in scikit-learn's order.

    ``mst_from_data_matrix`` adds the point outside the tree nearest to it,
    the lowest index among equals, joined to the tree point that first
    reached that distance.
    """
    distances_from = _distance_rows(X, metric)
    n = len(X)
    in_tree = np.zeros(n, dtype=bool)
    reach = np.full(n, np.inf)
    source = np.ones(n, dtype=np.intp)
    edges = np.empty((n - 1, 2), dtype=np.intp)
    weights = np.empty(n - 1)
    current = 0
    for i in range(n - 1):
        in_tree[current] = True
        pair = distances_from(current) / alpha
        mutual = np.maximum(np.maximum(core[current], core), pair)
        closer = (mutual < reach) & ~in_tree
        reach[closer] = mutual[closer]
        source[closer] = current
        current = int(np.argmin(np.where(in_tree, np.inf, reach)))
        edges[i] = source[current], current
        weights[i] = reach[current]
    return edges, weights


def _distance_rows(X, metric):
    """A function: point index -> its distances to every point, bit for bit scikit-learn's
    ``DistanceMetric`` (features summed one after another, as its loop does). Its
    ``pairwise`` spends 1 ms checking its input per call: numpy for the common metrics."""
    columns = X.T.copy()
    if metric in ("euclidean", "l2"):
        return lambda i: np.sqrt(_fold(columns, i, np.add, np.square))
    if metric in ("manhattan", "cityblock", "l1"):
        return lambda i: _fold(columns, i, np.add, np.abs)
    if metric in ("chebyshev", "infinity"):
        return lambda i: _fold(columns, i, np.fmax, np.abs)
    from sklearn.metrics import DistanceMetric

    dist = DistanceMetric.get_metric(metric)
    return lambda i: dist.pairwise(X[i : i + 1], X)[0]


def _fold(columns, i, combine, term):
    total = term(columns[0] - columns[0, i])
    for column in columns[1:]:
        combine(total, term(column - column[i]), out=total)
    return total


def _mst_steps(labels, state):
    n_edges = len(state["mst_edges"])
    stride = math.ceil(n_edges / _MST_STEPS)
    for end in range(stride, n_edges + stride, stride):
        state["n_edges"] = end = min(end, n_edges)
        yield Step(end, "mst", labels, _mst_text(state, end - stride, end), **state)


def _single_linkage(edges, distances):
    """scikit-learn's ``make_single_linkage``: the edges shortest first, each merging two
    clusters, named n, n+1... as scipy names them; rows (left, right, distance, size)."""
    n = len(edges) + 1
    order = np.argsort(distances)  # not stable: the same call as scikit-learn for equal lengths
    parent = [-1] * (2 * n - 1)
    size = [1] * n + [0] * (n - 1)
    linkage = np.empty((n - 1, 4))
    for i, (a, b) in enumerate(edges[order].tolist()):
        left, right = _find(parent, a), _find(parent, b)
        size[n + i] = size[left] + size[right]
        linkage[i] = left, right, distances[order[i]], size[n + i]
        parent[left] = parent[right] = n + i
    return linkage


def _find(parent, node):
    root = node
    while parent[root] != -1:
        root = parent[root]
    while parent[node] != -1 and parent[node] != root:
        parent[node], node = root, parent[node]
    return root


# The condensed tree ---------------------------------------------------------------------


def _condense_tree(linkage, min_cluster_size):
    """scikit-learn's ``_condense_tree``: walk the hierarchy from the top; a split into two
    parts of at least ``min_cluster_size`` points makes two new clusters, a smaller part
    is points falling out of the cluster. Returns the rows (parent, child, lambda, size)
    as four arrays, in scikit-learn's order."""
    n = len(linkage) + 1
    left = linkage[:, 0].astype(np.intp).tolist()
    right = linkage[:, 1].astype(np.intp).tolist()
    count = linkage[:, 3].astype(np.intp).tolist()
    root = 2 * (n - 1)
    relabel = {root: n}
    next_label = n + 1
    rows = []
    ignore = set()
    for node in _bfs(left, right, root):
        if node < n or node in ignore:
            continue
        i = node - n
        lam = 1.0 / linkage[i, 2] if linkage[i, 2] > 0.0 else np.inf
        parts = [(left[i], count[left[i] - n] if left[i] >= n else 1)]
        parts.append((right[i], count[right[i] - n] if right[i] >= n else 1))
        big = [size >= min_cluster_size for _, size in parts]
        for (child, size), keep in zip(parts, big):
            if all(big):
                relabel[child] = next_label
                next_label += 1
                rows.append((relabel[node], relabel[child], lam, size))
            elif keep:
                relabel[child] = relabel[node]
            else:
                for sub in _bfs(left, right, child):
                    if sub < n:
                        rows.append((relabel[node], sub, lam, 1))
                    ignore.add(sub)
    parent, child, lam, size = zip(*rows)
    return (
        np.array(parent, dtype=np.intp),
        np.array(child, dtype=np.intp),
        np.array(lam, dtype=np.float64),
        np.array(size, dtype=np.intp),
    )


def _bfs(left, right, top):
    """The nodes under ``top`` in the hierarchy, level by level (``bfs_from_hierarchy``)."""
    n = len(left) + 1
    result, level = [], [top]
    while level:
        result.extend(level)
        level = [c for x in level if x >= n for c in (left[x - n], right[x - n])]
    return result


def _stability(tree):
    """Each cluster's stability: the sum over its rows of (lambda - its birth lambda) x size,
    summed in row order as scikit-learn does. ``{cluster id: stability}``, ids in order."""
    parent, child, lam, size = tree
    root = int(parent.min())
    births = np.full(max(int(child.max()), root) + 1, np.nan)
    births[child] = lam
    births[root] = 0.0
    result = [0.0] * (int(parent.max()) - root + 1)
    for p, value, s in zip(parent.tolist(), lam.tolist(), size.tolist()):
        result[p - root] += (value - births[p]) * s
    return {root + i: value for i, value in enumerate(result)}


# Selecting clusters ---------------------------------------------------------------------


def _select(tree, stability, method, allow_single_cluster, epsilon, max_cluster_size):
    """scikit-learn's ``_get_clusters``: the ids of the clusters kept, in increasing order
    (cluster i of the labels is the i-th)."""
    parent, child, _, size = tree
    nodes = sorted(stability, reverse=True)
    if not allow_single_cluster:
        nodes = nodes[:-1]  # the root
    is_cluster = dict.fromkeys(nodes, True)
    links = size > 1  # the rows that are clusters, not points
    tree_parent, tree_child = parent[links].tolist(), child[links].tolist()
    if method == "eom":
        sizes = dict(zip(tree_child, size[links].tolist()))
        if allow_single_cluster:
            sizes[nodes[-1]] = int(size[links][parent[links] == nodes[-1]].sum())
        _excess_of_mass(is_cluster, stability, tree_parent, tree_child, sizes, max_cluster_size)
        if epsilon != 0.0 and tree_child:
            chosen = [c for c in is_cluster if is_cluster[c]]
            if len(chosen) == 1 and chosen[0] == min(tree_parent):
                chosen = chosen if allow_single_cluster else []
            else:
                chosen = _epsilon_search(chosen, tree, epsilon, allow_single_cluster)
            is_cluster = {c: c in chosen for c in is_cluster}
    else:
        leaves = _leaves(tree_parent, tree_child)
        if epsilon != 0.0:
            leaves = _epsilon_search(leaves, tree, epsilon, allow_single_cluster)
        is_cluster = {c: c in leaves for c in is_cluster}
    return sorted(c for c in is_cluster if is_cluster[c])


def _excess_of_mass(is_cluster, stability, tree_parent, tree_child, sizes, max_cluster_size):
    """From the leaves up, keep a cluster unless its children's kept clusters are more stable
    together (or it is larger than ``max_cluster_size``). Updates both dicts in place."""
    children = {}
    for p, c in zip(tree_parent, tree_child):
        children.setdefault(p, []).append(c)
    limit = math.inf if max_cluster_size is None else max_cluster_size
    for node in is_cluster:
        below = np.sum([stability[c] for c in children.get(node, [])])
        if below > stability[node] or sizes[node] > limit:
            is_cluster[node] = False
            stability[node] = below
        else:
            for sub in _descendants(children, node):
                is_cluster[sub] = False


def _descendants(children, node):
    found, level = [], children.get(node, [])
    while level:
        found.extend(level)
        level = [c for x in level for c in children.get(x, [])]
    return found


def _leaves(tree_parent, tree_child):
    """The condensed tree's leaf clusters, depth first (``get_cluster_tree_leaves``)."""
    if not tree_parent:
        return []
    children = {}
    for p, c in zip(tree_parent, tree_child):
        children.setdefault(p, []).append(c)
    leaves, stack = [], [min(tree_parent)]
    while stack:
        node = stack.pop()
        if node in children:
            stack.extend(reversed(children[node]))
        else:
            leaves.append(node)
    return leaves


def _epsilon_search(clusters, tree, epsilon, allow_single_cluster):
    """Replace each cluster born at a distance below ``epsilon`` by its nearest ancestor
    born above it (the root's child if the root may not be a cluster): HDBSCAN*'s rule,
    scikit-learn's ``epsilon_search`` with the ancestor search it fails in."""
    parent, child, lam, size = tree
    links = size > 1
    parent_of = dict(zip(child[links].tolist(), parent[links].tolist()))
    birth = dict(zip(child[links].tolist(), lam[links].tolist()))
    root = int(parent.min())
    selected, processed = set(), set()
    children = {}
    for c, p in parent_of.items():
        children.setdefault(p, []).append(c)
    for leaf in set(clusters):  # the set's order, as scikit-learn iterates it
        if 1 / birth[leaf] >= epsilon:
            selected.add(leaf)
        elif leaf not in processed:
            kept = _ancestor_at(leaf, epsilon, parent_of, birth, root, allow_single_cluster)
            selected.add(kept)
            processed.update(_descendants(children, kept))
    return selected


def _ancestor_at(node, epsilon, parent_of, birth, root, allow_single_cluster):
    """scikit-learn's ``traverse_upwards``, iterated: the first ancestor born above epsilon."""
    while True:
        up = parent_of[node]
        if up == root:
            return up if allow_single_cluster else node
        if 1 / birth[up] > epsilon:
            return up
        node = up


# Labels and probabilities ---------------------------------------------------------------


def _labelling(tree, selected, allow_single_cluster, epsilon):
    """scikit-learn's ``_do_labelling``: a point takes the label of the nearest selected
    cluster above it in the condensed tree; with none, it is noise, unless the root is the
    single cluster allowed and the point stays in it long enough. (Where scikit-learn
    then looks up the root although another single cluster was kept, a KeyError, the
    point is noise.)"""
    parent, child, lam, _ = tree
    root = int(parent.min())
    number = {c: i for i, c in enumerate(selected)}
    top = {root: root}  # the highest node each node is joined to without crossing a selection
    for p, c in zip(parent.tolist(), child.tolist()):
        top[c] = c if c in number else top[p]
    labels = np.full(root, -1, dtype=np.intp)
    if len(selected) == 1 and allow_single_cluster:
        threshold = 1 / epsilon if epsilon != 0.0 else lam[parent == root].max()
        left_at = np.empty(root)
        points = child < root
        left_at[child[points]] = lam[points]
    for point in range(root):
        if top[point] != root:
            labels[point] = number[top[point]]
        elif root in number and left_at[point] >= threshold:
            labels[point] = number[root]
    return labels


def _probabilities(tree, selected, labels):
    """scikit-learn's ``get_probabilities``: the lambda a point leaves at over its
    cluster's largest lambda, capped at 1."""
    parent, child, lam, _ = tree
    deaths = _max_lambdas(parent, lam)
    root = int(parent.min())
    result = np.zeros(len(labels))
    for point, value in zip(child.tolist(), lam.tolist()):
        if point >= root or labels[point] == -1:
            continue
        death = deaths[selected[labels[point]]]
        if death == 0.0 or math.isinf(value):
            result[point] = 1.0
        else:
            result[point] = min(value, death) / death
    return result


def _max_lambdas(parent, lam):
    """The largest lambda of each cluster's rows: where it splits or its last points leave.

    scikit-learn keeps the maximum of each parent's last run of consecutive rows; the rows
    of one cluster come in breadth-first order down a chain of merges whose lambdas only
    grow, so the last run holds the maximum.
    """
    deaths = np.zeros(int(parent.max()) + 1)
    np.maximum.at(deaths, parent, lam)
    return deaths


# Messages -------------------------------------------------------------------------------


def _points(count, noun="point"):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _core_text(min_samples, core):
    return (
        f"Each point's core distance is the distance to its {min_samples}th nearest point "
        f"(itself included): from {core.min():.3g} in dense areas to {core.max():.3g} "
        "in sparse ones"
    )


def _mst_text(state, start, end):
    edges, distances = state["mst_edges"], state["mst_distances"]
    total = len(edges)
    if end - start == 1:
        a, b = edges[start]
        return (
            f"Edge {end} of {total} of the minimum spanning tree joins point {b} to point {a} "
            f"at mutual reachability {distances[start]:.3g}"
        )
    return (
        f"The minimum spanning tree grows to {end} of {total} edges: each joins the nearest "
        "point outside it, in mutual reachability (the larger of the distance and the two "
        "core distances)"
    )


def _hierarchy_text(linkage):
    return (
        f"Sorting the {len(linkage)} edges by length gives the single-linkage hierarchy: "
        f"clusters merge from {linkage[0, 2]:.3g} up to {linkage[-1, 2]:.3g}"
    )


def _condense_text(tree, min_cluster_size):
    n_clusters = int(tree[0].max() - tree[0].min()) + 1
    return (
        f"Condensed to {_points(n_clusters, 'cluster')} of at least {min_cluster_size} points: "
        "smaller pieces that split off are points falling out"
    )


def _select_text(selected, method):
    if not selected:
        return (
            "No cluster is kept, so every point is noise; try a smaller min_cluster_size "
            "or allow_single_cluster=True"
        )
    found = _points(len(selected), "cluster")
    if method == "leaf":
        return f"The leaves of the condensed tree are kept: {found}"
    return (
        "Excess of mass, from the leaves up: a cluster is kept unless the clusters kept "
        f"under it are more stable together: {found}"
    )


def _final_text(labels):
    n_clusters = int(labels.max()) + 1
    noise = int(np.count_nonzero(labels == -1))
    found = f"{_points(n_clusters, 'cluster')} and {_points(noise, 'noise point')}"
    return f"HDBSCAN found {found}; smaller points belong less firmly to their cluster"

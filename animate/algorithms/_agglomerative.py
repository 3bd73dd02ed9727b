"""Bottom-up agglomerative clustering, step by step, as scipy's ``linkage`` and
``sklearn.cluster.AgglomerativeClustering``.

Without a connectivity graph the merge tree is scipy's: the nearest-neighbour
chain for ward, complete and average linkage, a minimum spanning tree for single
linkage, then the merges sorted by height and the clusters named as scipy names
them. With a graph, only linked clusters may merge, always the closest such pair,
in scikit-learn's order (its ``ward_tree`` and ``linkage_tree``).
"""

from __future__ import annotations

import heapq
import math
import warnings
from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import (
    check_int,
    check_n_clusters,
    check_pairwise_memory,
    check_quadratic_time,
)
from animate.algorithms.registry import (
    ANY,
    ARRAY,
    CALLABLE,
    NONE,
    SPARSE,
    Estimator,
    Interval,
    Options,
    algorithm,
)
from animate.errors import UserError
from animate.trace import Step

# scipy is imported where it is used: it takes longer to import than `--help` may.
# Most points: a merge step per point, each looking at every cluster (10,000 points
# took 65 s on a busy two-core machine, with or without a graph).
MAX_POINTS = 10_000
# Rows of one block of distances when finding a merge's witness pair.
_WITNESS_ROWS = 1024
# The metric names scikit-learn accepts, and scipy's name for each.
_METRICS = {
    "euclidean": "euclidean",
    "l2": "euclidean",
    "manhattan": "cityblock",
    "cityblock": "cityblock",
    "l1": "cityblock",
    "cosine": "cosine",
    "precomputed": "precomputed",
}


@algorithm(
    "agglomerative",
    display="agglomerative clustering",
    aliases=("hierarchical",),
    summary="agglomerative clustering: merge the two closest clusters, again and again",
    order=60,
    estimator=Estimator(
        "sklearn.cluster.AgglomerativeClustering",
        {"memory": ANY, "compute_full_tree": ANY, "compute_distances": ANY},
    ),
    constraints={
        "n_clusters": [NONE, Interval(Integral, 1, None)],
        "metric": Options(*_METRICS),
        "connectivity": [NONE, Interval(Integral, 1, None), SPARSE, ARRAY, CALLABLE],
        "linkage": Options("ward", "complete", "average", "single"),
        "distance_threshold": [NONE, Interval(Real, 0, None)],
    },
    fields=("linkage",),
)
def agglomerative(
    X,
    n_clusters=2,
    *,
    metric="euclidean",
    connectivity=None,
    linkage="ward",
    distance_threshold=None,
):
    """Agglomerative clustering, yielding a Step after every merge of two clusters.

    Every point starts as its own cluster; the two closest clusters merge, again
    and again, until one is left. The merges form a tree (drawn as a
    dendrogram); cutting it gives the clusters.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or (n_samples, n_samples)
        The points to cluster, or with ``metric="precomputed"`` the symmetric
        matrix of distances between them.
    n_clusters : int or None, default=2
        How many clusters to keep when cutting the tree. Set it to None to cut
        at ``distance_threshold`` instead.
    metric : {"euclidean", "manhattan", "cosine", "precomputed"}, default="euclidean"
        Distance between two points ("l2" is euclidean; "cityblock" and "l1"
        are manhattan).
    connectivity : sparse matrix, array, int, callable or None, default=None
        Which points are neighbours, e.g. ``kneighbors_graph(X, 5)``: then only
        clusters linked by the graph may merge. An int k builds that graph
        (the k nearest points in Euclidean distance, or in the precomputed
        distances); a callable is called on ``X``. A graph in several pieces
        is joined at the pieces' closest points, as scikit-learn does.
    linkage : {"ward", "complete", "average", "single"}, default="ward"
        Distance between two clusters: the growth in within-cluster variance
        (ward, Euclidean only), the farthest pair of points (complete), the
        mean over all pairs (average) or the closest pair (single).
    distance_threshold : float or None, default=None
        Cut the tree at this height: merges at this distance or above are
        undone. Needs ``n_clusters=None``.

    Yields
    ------
    Step
        "init" (every point alone; field ``edges``, the graph's links as
        (m, 2) point pairs, or None), then one "merge" per merge in the order of
        the linkage matrix, with ``merged`` (the two cluster ids, scipy's
        numbering), ``distance``, ``size``, ``n_merges`` and ``witness``: for
        single and complete linkage the two points (one in each cluster) whose
        distance, in the chosen metric, is the linkage distance (the closest or
        the farthest pair), None for the other linkages; a merged cluster
        keeps the label of its larger part, so colours stay put. Last, "cut":
        the clusters as scikit-learn labels them, with ``linkage`` (n-1, 4) in
        scipy's format, ``n_clusters_found`` and ``threshold``, the height of
        the cut.

    Returns
    -------
    dict
        ``n_iter`` (the number of merges, n_samples - 1) and ``converged`` (True).
    """
    n_samples = len(X)
    check_quadratic_time("agglomerative clustering", n_samples, MAX_POINTS)
    n_clusters, distance_threshold = _check_cut(n_clusters, distance_threshold, n_samples)
    metric = _check_metric(metric, linkage, X)
    graph = _check_connectivity(connectivity, X, metric)
    # Measured peaks: the distance matrix as scipy builds it (1.5 n x n float64) without
    # a graph; then every merge step keeps its labels (n - 1 int64 arrays, one matrix).
    check_pairwise_memory(
        "agglomerative clustering", n_samples, n_matrices=3 if graph is None else 2
    )

    message = f"Start: each of the {n_samples} points is its own cluster"
    if graph is None:
        (Z, children), edges = _full_tree(X, linkage, metric), None
    else:
        edges, n_pieces = _graph_edges(graph, X, metric)
        if linkage == "single":
            Z, children = _graph_spanning_tree(X, edges, metric)
        else:
            Z = _graph_tree(X, edges, linkage, metric)
            children = Z[:, :2]
        message += "; only clusters linked by the graph may merge"
        if n_pieces > 1:
            message += f" (its {n_pieces} separate pieces were joined at their closest points)"
    yield Step(
        0,
        "init",
        np.arange(n_samples),
        message,
        merged=None,
        distance=None,
        size=None,
        n_merges=0,
        edges=edges,
    )
    yield from _merge_steps(Z, X, metric, linkage)
    # With a graph and many clusters scikit-learn stops merging early (its
    # compute_full_tree="auto") and numbers the clusters another way.
    early = (
        graph is not None and n_clusters is not None and n_clusters >= max(100, 0.02 * n_samples)
    )
    yield _cut_step(Z, children, n_samples, n_clusters, distance_threshold, early)
    return {"n_iter": n_samples - 1, "converged": True}


# The tree without a graph, as scipy.cluster.hierarchy.linkage.


def _full_tree(X, linkage, metric):
    """scipy's linkage matrix, and the merged pairs as scikit-learn orders them (its
    ``children_``, which number its clusters): scipy's for ward, complete and average;
    for single linkage with Euclidean or Manhattan distances, its own minimum spanning
    tree's, each pair in the order the tree found it."""
    distances = _distance_matrix(X, metric)
    if linkage == "single":
        Z, pairs = _relabel(_prim(distances), len(X))
        # scikit-learn grows its own tree only for the metrics of its DistanceMetric;
        # for cosine and precomputed distances it takes scipy's linkage, pairs sorted.
        return Z, (pairs if metric in ("euclidean", "cityblock") else Z[:, :2])
    Z, _ = _relabel(_nn_chain(distances, linkage), len(X))
    return Z, Z[:, :2]


def _distance_matrix(X, metric):
    """Square matrix of distances, from the same numbers scipy's ``linkage`` starts from."""
    if metric == "precomputed":
        D = np.triu(X, 1)
        D += D.T
    else:
        from scipy.spatial.distance import pdist, squareform

        D = squareform(pdist(X, metric))
    # A cluster is never its own neighbour; merged-away clusters get inf too.
    np.fill_diagonal(D, np.inf)
    return D


def _nn_chain(D, linkage):
    """Merges as scipy's ``nn_chain``: follow nearest neighbours to a pair that are each
    other's nearest, merge it, and keep the rest of the chain for the next merge.

    Valid because, with these linkages, a merged cluster is never closer to a third one
    than the nearer of its parts was: mutual nearest neighbours may merge in any order.
    Returns (n-1, 3) rows (slot x, slot y, distance), unsorted; the merged cluster takes
    slot y. ``D`` is overwritten.
    """
    n = len(D)
    update = _UPDATES[linkage]
    size = np.ones(n, dtype=np.int64)
    merges = np.empty((n - 1, 3))
    chain = []
    for k in range(n - 1):
        if not chain:
            chain.append(int(np.flatnonzero(size)[0]))
        x, y = sorted(_mutual_pair(D, chain))
        dist, nx, ny = D[x, y], size[x], size[y]
        merges[k] = x, y, dist
        size[x], size[y] = 0, nx + ny
        others = np.flatnonzero(size)
        others = others[others != y]
        # Lance-Williams: the new cluster's distances from the old ones, one row at once.
        D[y, others] = D[others, y] = update(D[x, others], D[y, others], dist, nx, ny, size[others])
        D[x, :] = D[:, x] = np.inf
    return merges


def _mutual_pair(D, chain):
    """Extend the chain until its last two links are each other's nearest; pop them."""
    while True:
        x = chain[-1]
        y = int(np.argmin(D[x]))
        # On a tie prefer the previous link, as scipy: the chain then never cycles.
        if len(chain) > 1 and D[x, chain[-2]] <= D[x, y]:
            return chain.pop(), chain.pop()
        chain.append(y)


# The same floating-point operations as scipy's, so distances and ties agree exactly.
def _ward(d_xi, d_yi, d_xy, n_x, n_y, n_i):
    t = 1.0 / (n_x + n_y + n_i)
    return np.sqrt(
        (n_i + n_x) * t * d_xi * d_xi + (n_i + n_y) * t * d_yi * d_yi - n_i * t * d_xy * d_xy
    )


def _complete(d_xi, d_yi, d_xy, n_x, n_y, n_i):
    return np.maximum(d_xi, d_yi)


def _average(d_xi, d_yi, d_xy, n_x, n_y, n_i):
    return (n_x * d_xi + n_y * d_yi) / (n_x + n_y)


_UPDATES = {"ward": _ward, "complete": _complete, "average": _average}


def _prim(D):
    """Merges as scipy's ``mst_single_linkage``: grow a minimum spanning tree from point 0;
    its edges, by length, are the single-linkage merges. ``D`` is left as it was."""
    n = len(D)
    merges = np.empty((n - 1, 3))
    in_tree = np.zeros(n, dtype=bool)
    reach = np.full(n, np.inf)  # distance from each point to the tree
    x = 0
    for k in range(n - 1):
        in_tree[x] = True
        np.minimum(reach, D[x], out=reach)
        y = int(np.argmin(np.where(in_tree, np.inf, reach)))
        merges[k] = x, y, reach[y]
        x = y
    return merges


def _relabel(merges, n):
    """scipy's linkage matrix: merges sorted by height (stably), row i creating cluster
    n + i, each row naming the two clusters it joins, smaller id first, and the new size.
    Also the pairs unsorted, as scikit-learn's ``single_linkage_label`` keeps them."""
    merges = merges[np.argsort(merges[:, 2], kind="mergesort")]
    parent = list(range(2 * n - 1))
    size = [1] * (2 * n - 1)
    Z = np.empty((n - 1, 4))
    pairs = np.empty((n - 1, 2), dtype=np.intp)
    for i, (x, y, dist) in enumerate(merges.tolist()):
        pairs[i] = _root(parent, int(x)), _root(parent, int(y))
        a, b = sorted(pairs[i].tolist())
        parent[a] = parent[b] = n + i
        size[n + i] = size[a] + size[b]
        Z[i] = a, b, dist, size[n + i]
    return Z, pairs


def _root(parent, node):
    root = node
    while parent[root] != root:
        root = parent[root]
    while parent[node] != root:  # shortcut the path for the next search
        parent[node], node = root, parent[node]
    return root


# The tree with a connectivity graph, as scikit-learn's ward_tree and linkage_tree.


def _graph_edges(graph, X, metric):
    """The graph's links as (m, 2) pairs (larger index first), made symmetric and joined
    into one piece; and how many pieces it had."""
    graph = (graph + graph.T).tocsr()
    graph.eliminate_zeros()
    from scipy.sparse.csgraph import connected_components

    n_pieces, piece = connected_components(graph)
    rows, cols = graph.nonzero()
    pairs = np.column_stack([rows, cols])
    if n_pieces > 1:
        warnings.warn(
            f"the connectivity graph has {n_pieces} separate pieces; joining them at "
            "their closest points, as scikit-learn does",
            UserWarning,
            stacklevel=3,
        )
        pairs = np.vstack([pairs, _bridges(X, piece, n_pieces, metric)])
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(np.sort(pairs, axis=1)[:, ::-1], axis=0), n_pieces


def _bridges(X, piece, n_pieces, metric):
    """One link between every two pieces, at their closest points, as scikit-learn's
    ``_fix_connected_components``."""
    members = [np.flatnonzero(piece == i) for i in range(n_pieces)]
    links = []
    for i in range(n_pieces):
        for j in range(i):
            if metric == "precomputed":
                D = X[np.ix_(members[i], members[j])]
            else:  # the same rounding as scikit-learn's, for the same closest pair
                from sklearn.metrics import pairwise_distances

                D = pairwise_distances(X[members[i]], X[members[j]], metric=metric)
            a, b = np.unravel_index(np.argmin(D), D.shape)
            links.append((members[i][a], members[j][b]))
    return np.array(links)


def _graph_tree(X, edges, linkage, metric):
    """Always merge the closest pair of linked clusters, taken from a heap of candidate
    links; links to clusters already merged away are skipped when they come up.

    The merged cluster is linked to everything either part was linked to. Merges are in
    the order they happen (heights need not increase), cluster n + i made by merge i.
    """
    n = len(X)
    keys, join, height = _graph_rules(X, edges, linkage, metric)
    # scikit-learn's ward_tree compares (key, a, b) tuples; its linkage_tree compares
    # the keys alone, so equal keys leave its heap in an order only the same heap
    # operations, in the same order, reproduce.
    entry = tuple if linkage == "ward" else _Link
    near = [{} for _ in range(2 * n - 1)]  # cluster -> {linked cluster: heap key}
    heap = []
    for (a, b), key in zip(edges.tolist(), keys.tolist(), strict=True):
        near[a][b] = near[b][a] = key
        heap.append(entry((key, a, b)))
    heapq.heapify(heap)
    alive = [True] * n + [False] * (n - 1)
    size = [1] * n + [0] * (n - 1)
    Z = np.empty((n - 1, 4))
    for k in range(n, 2 * n - 1):
        key, a, b = heapq.heappop(heap)
        while not (alive[a] and alive[b]):
            key, a, b = heapq.heappop(heap)
        alive[a] = alive[b] = False
        alive[k] = True
        size[k] = size[a] + size[b]
        Z[k - n] = b, a, height(key), size[k]
        near[k] = join(k, a, b, near[a], near[b], size)
        near[a] = near[b] = None
        for c, key in sorted(near[k].items()):  # scikit-learn's map is sorted
            near[c].pop(a, None)
            near[c].pop(b, None)
            near[c][k] = key
            heapq.heappush(heap, entry((key, k, c)))
    return Z


class _Link(tuple):
    """A heap entry (key, a, b) ordered by its key alone, as scikit-learn's WeightedEdge."""

    __slots__ = ()

    def __lt__(self, other):
        return self[0] < other[0]


def _graph_spanning_tree(X, edges, metric):
    """Single linkage over the graph as scikit-learn's ``_single_linkage_tree``: scipy's
    minimum spanning tree of the graph, its edges by length; as ``_relabel`` returns."""
    from scipy import sparse
    from scipy.sparse.csgraph import minimum_spanning_tree

    n = len(X)
    lengths = _edge_lengths(X, edges[:, 0], edges[:, 1], metric)
    # scipy drops zero-length edges from the graph: make them tiny, then 0 again.
    tiny = np.finfo(np.float64).eps
    both = np.concatenate([edges, edges[:, ::-1]])
    weights = np.where(
        np.concatenate([lengths, lengths]) == 0, tiny, np.concatenate([lengths, lengths])
    )
    graph = sparse.csr_matrix((weights, (both[:, 0], both[:, 1])), shape=(n, n))
    tree = minimum_spanning_tree(graph).tocoo()
    heights = np.where(tree.data == tiny, 0.0, tree.data)
    return _relabel(np.column_stack([tree.row, tree.col, heights]), n)


def _graph_rules(X, edges, linkage, metric):
    """Heap keys of the links, how to link a merged cluster, and key -> merge height."""
    if linkage == "ward":
        return _ward_rules(X, edges)
    combine = max if linkage == "complete" else None

    def join(k, a, b, near_a, near_b, size):
        linked = {c: d for c, d in near_a.items() if c != b}
        for c, d in near_b.items():
            if c == a:
                continue
            if c not in linked:
                # scikit-learn keeps the one distance the graph knows.
                linked[c] = d
            elif combine is None:
                linked[c] = (size[a] * linked[c] + size[b] * d) / (size[a] + size[b])
            else:
                linked[c] = combine(linked[c], d)
        return linked

    return _edge_lengths(X, edges[:, 0], edges[:, 1], metric), join, float


def _ward_rules(X, edges):
    n = len(X)
    count = np.zeros(2 * n - 1)
    count[:n] = 1
    total = np.zeros((2 * n - 1, X.shape[1]))
    total[:n] = X

    def join(k, a, b, near_a, near_b, size):
        count[k] = count[a] + count[b]
        total[k] = total[a] + total[b]
        linked = np.array(sorted((near_a.keys() | near_b.keys()) - {a, b}), dtype=np.intp)
        keys = _ward_inertia(count, total, np.full(len(linked), k), linked)
        return dict(zip(linked.tolist(), keys.tolist(), strict=True))

    def height(key):
        return math.sqrt(2.0 * key)  # scikit-learn's scaling, equal to scipy's ward distance

    return _ward_inertia(count, total, edges[:, 0], edges[:, 1]), join, height


def _ward_inertia(count, total, rows, cols):
    """How much the within-cluster sum of squares grows if ``rows`` and ``cols`` merge,
    computed as scikit-learn's ``compute_ward_dist``."""
    weight = count[rows] * count[cols] / (count[rows] + count[cols])
    gap = total[rows] / count[rows][:, None] - total[cols] / count[cols][:, None]
    return (gap**2).sum(axis=1) * weight


def _edge_lengths(X, a, b, metric):
    """Distances along the links, by scikit-learn's ``paired_distances`` itself: on tied
    data its rounding decides which link is shortest."""
    if metric == "precomputed":
        return X[a, b]
    from sklearn.metrics.pairwise import paired_distances

    return paired_distances(X[a], X[b], metric=metric)


# Steps and the cut.


def _merge_steps(Z, X, metric, linkage):
    n = len(X)
    labels = np.arange(n)
    members = {i: np.array([i]) for i in range(n)}
    label_of = list(range(2 * n - 1))  # the label each cluster shows: its larger part's
    size = [1] * n + Z[:, 3].astype(int).tolist()
    for i, (a, b, dist, new_size) in enumerate(Z.tolist()):
        a, b = int(a), int(b)
        # The larger part keeps its label, so the renderer keeps its colour; on a tie
        # the older part (the smaller id).
        keep, gone = (a, b) if size[a] >= size[b] else (b, a)
        labels[labels == label_of[gone]] = label_of[keep]
        label_of[n + i] = label_of[keep]
        part_a, part_b = members.pop(a), members.pop(b)
        members[n + i] = np.concatenate([part_a, part_b])
        yield Step(
            i + 1,
            "merge",
            labels,
            f"Merge clusters {a} and {b} at distance {dist:.3g}: "
            f"a cluster of {int(new_size)} points",
            merged=(a, b),
            distance=dist,
            size=int(new_size),
            n_merges=i + 1,
            witness=_witness(X, metric, linkage, part_a, part_b),
        )


def _witness(X, metric, linkage, part_a, part_b):
    """The pair of points, one from each part, whose distance is the linkage's: the
    closest for single linkage, the farthest for complete; None for the others
    (average and ward weigh every pair). Compared a block of rows at a time so that
    a merge of two big clusters never holds their whole distance matrix."""
    if linkage not in ("single", "complete"):
        return None
    from scipy.spatial.distance import cdist

    closest = linkage == "single"
    pick = np.argmin if closest else np.argmax
    best, pair = None, None
    for start in range(0, len(part_a), _WITNESS_ROWS):
        rows = part_a[start : start + _WITNESS_ROWS]
        if metric == "precomputed":
            gaps = X[np.ix_(rows, part_b)]
        else:
            gaps = cdist(X[rows], X[part_b], metric)
        i, j = np.unravel_index(pick(gaps), gaps.shape)
        gap = gaps[i, j]
        # Strictly better only: the first of equal distances wins, as one argmin would.
        if best is None or (gap < best if closest else gap > best):
            best, pair = gap, (int(rows[i]), int(part_b[j]))
    return pair


def _cut_step(Z, children, n, n_clusters, distance_threshold, early=False):
    if distance_threshold is None:
        found, threshold = n_clusters, _height_between(Z[:, 2], n - n_clusters)
        message = f"Cut the tree into {found} cluster{'s' if found > 1 else ''}"
    else:
        # scikit-learn's rule: every merge at the threshold or above is undone.
        found = int(np.count_nonzero(Z[:, 2] >= distance_threshold)) + 1
        threshold = distance_threshold
        message = (
            f"Cut the tree at height {threshold:.3g}: {found} cluster{'s' if found > 1 else ''}"
        )
    return Step(
        n - 1,
        "cut",
        (_heads if early else _cut)(children, n, found),
        message,
        linkage=Z,
        n_clusters_found=found,
        threshold=threshold,
        n_merges=n - 1,
    )


def _height_between(heights, n_kept):
    """Halfway between the last merge kept and the first undone (5% above the root when
    none is undone)."""
    below = heights[n_kept - 1] if n_kept > 0 else 0.0
    above = heights[n_kept] if n_kept < len(heights) else 1.05 * below
    return float(below + above) / 2


def _cut(children, n, n_clusters):
    """The clusters left after undoing the last ``n_clusters - 1`` merges, numbered as
    scikit-learn's ``_hc_cut`` numbers them (the order of its heap of nodes, so the
    order of each merged pair, as in its ``children_``, counts)."""
    children = np.asarray(children).astype(np.intp).tolist()
    nodes = [-(2 * n - 2)]
    for _ in range(n_clusters - 1):
        left, right = children[-nodes[0] - n]
        heapq.heappush(nodes, -left)
        heapq.heappushpop(nodes, -right)  # pops the node just split: the newest
    labels = np.empty(n, dtype=np.intp)
    for label, node in enumerate(nodes):
        labels[_leaves(children, -node, n)] = label
    return labels


def _heads(children, n, n_clusters):
    """The clusters after the first ``n - n_clusters`` merges, numbered in the order of
    their top nodes' ids, as scikit-learn numbers them when it stops merging early."""
    parent = np.arange(2 * n - 1)
    for i, pair in enumerate(np.asarray(children[: n - n_clusters], dtype=np.intp)):
        parent[pair] = n + i
    heads = np.arange(n)
    while np.any(parent[heads] != heads):
        heads = parent[heads]
    return np.searchsorted(np.unique(heads), heads)


def _leaves(children, node, n):
    stack, leaves = [node], []
    while stack:
        node = stack.pop()
        if node < n:
            leaves.append(node)
        else:
            stack.extend(children[node - n])
    return leaves


# Checks at the boundary.


def _check_cut(n_clusters, distance_threshold, n_samples):
    if n_clusters is None and distance_threshold is None:
        raise UserError(
            "give n_clusters (how many clusters to keep) or distance_threshold "
            "(the height to cut the tree at)"
        )
    if n_clusters is not None and distance_threshold is not None:
        raise UserError(
            "n_clusters and distance_threshold are both set; to cut at "
            "distance_threshold, set n_clusters=None (as in scikit-learn)"
        )
    if distance_threshold is None:
        return check_n_clusters("n_clusters", n_clusters, n_samples), None
    return None, distance_threshold


def _check_metric(metric, linkage, X):
    name, metric = metric, _METRICS[metric]
    if linkage == "ward" and metric != "euclidean":
        raise UserError(
            f"linkage='ward' works only with Euclidean distances, got "
            f"metric={name!r}; use metric='euclidean' or another linkage "
            "(average, complete, single)"
        )
    if metric == "precomputed":
        _check_distances(X)
    if metric == "cosine" and not np.any(X, axis=1).all():
        raise UserError(
            "metric='cosine' has no direction for a point at the origin (all "
            "zeros); drop those points or choose another metric"
        )
    return metric


def _check_distances(X):
    if X.shape[0] != X.shape[1]:
        raise UserError(
            f"with metric='precomputed', X must be the square matrix of distances "
            f"between the points, got shape {X.shape}; pass squareform(pdist(X)) "
            "or choose another metric"
        )
    if not np.allclose(X, X.T) or np.any(X < 0):
        raise UserError(
            "with metric='precomputed', X must hold distances: symmetric and not "
            "negative; symmetrise it, e.g. (D + D.T) / 2"
        )


def _check_connectivity(connectivity, X, metric):
    """The graph as a sparse array of shape (n, n), or None."""
    from scipy import sparse

    if connectivity is None:
        return None
    if callable(connectivity):
        connectivity = connectivity(X)
    if isinstance(connectivity, Integral) and not isinstance(connectivity, bool):
        return _knn_graph(X, connectivity, metric)
    try:
        graph = sparse.csr_array(connectivity)
    except (TypeError, ValueError):
        raise UserError(
            "connectivity must be a graph over the points (a sparse or dense "
            "n x n matrix such as kneighbors_graph(X, 5)), a number of "
            "neighbours, or None"
        ) from None
    n = len(X)
    if graph.shape != (n, n):
        raise UserError(
            f"connectivity must be a {n} x {n} graph over the {n} points, got "
            f"shape {graph.shape}; build it from the same data, e.g. "
            "kneighbors_graph(X, 5)"
        )
    return graph


def _knn_graph(X, k, metric):
    """kneighbors_graph(X, k, include_self=False): each point linked to its k nearest."""
    from scipy import sparse
    from scipy.spatial import cKDTree

    n = len(X)
    k = check_int("connectivity", k, low=1, high=n - 1)
    if metric == "precomputed":
        nearest = np.argsort(X, axis=1, kind="stable")[:, : k + 1]
    else:
        nearest = cKDTree(X).query(X, k + 1)[1]
    # Drop the point itself; with duplicate points it may be missing, then drop the first.
    others = nearest != np.arange(n)[:, None]
    others[others.all(axis=1), 0] = False
    cols = nearest[others].reshape(n, k)
    return sparse.csr_array(
        (np.ones(n * k), (np.repeat(np.arange(n), k), cols.ravel())), shape=(n, n)
    )

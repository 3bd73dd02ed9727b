"""BIRCH, step by step, as ``sklearn.cluster.Birch``.

BIRCH reads the points once, in order, into a CF tree: each leaf holds
subclusters summarised by their count, linear sum and sum of squared norms,
enough for their centre and radius. A point joins the nearest subcluster if the
radius stays within ``threshold``, else starts one; a node with more than
``branching_factor`` subclusters splits in two around its two farthest
subclusters, and a split can climb to the root, which makes the tree deeper.
The subcluster centres are then clustered (by this project's agglomerative
clustering, Ward linkage, as scikit-learn does, or by any algorithm of this
project named by ``n_clusters``) and each point takes the label of its nearest
subcluster centre.

The tree's arithmetic is scikit-learn's, operation for operation (the
squared-norm shortcut for distances and radii, ``(1 / n) * sum`` for a merged
centre): a split's two halves hang on last-bit comparisons, and the same
numbers keep the same leaves in the same order.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np

from animate.algorithms import registry
from animate.algorithms.registry import (
    ANY,
    NONE,
    Estimator,
    Interval,
    NestedAlgorithm,
    algorithm,
    nested_call,
)
from animate.errors import UserError
from animate.trace import Step

# At most this many insertion steps (batches of consecutive points); the global
# clustering shows its last merges before the cut, one by one, at most this many.
_MAX_INSERT_STEPS = 40
_MAX_MERGE_STEPS = 12


@algorithm(
    "birch",
    display="BIRCH",
    summary="BIRCH: summarise streaming data in a tree of small subclusters, then cluster those",
    order=70,
    estimator=Estimator("sklearn.cluster.Birch", {"compute_labels": ANY}),
    constraints={
        "threshold": Interval(Real, 0, None, closed="neither"),
        # Every node sets aside branching_factor + 1 rows: a bound keeps a typo from
        # exhausting memory.
        "branching_factor": Interval(Integral, 1, 10_000, closed="neither"),
        "n_clusters": [NONE, Interval(Integral, 1, None), NestedAlgorithm()],
    },
    fields=("subcluster_centers", "subcluster_labels"),
)
def birch(X, *, threshold=0.5, branching_factor=50, n_clusters=3):
    """BIRCH, yielding a Step per batch of points inserted, then as the subclusters merge.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The points to cluster, read once in this order.
    threshold : float, default=0.5
        Largest radius of a subcluster (root mean squared distance of its points
        from its centre): a point that would make the nearest subcluster wider
        starts a new one. Smaller values give more, smaller subclusters.
    branching_factor : int, default=50
        Most subclusters a node holds, > 1; one more splits the node in two.
    n_clusters : int, None, str or dict, default=3
        The global clustering of the subcluster centres. An int: how many
        clusters Ward agglomerative clustering groups them into (with fewer
        subclusters than that, each subcluster is a cluster; scikit-learn
        warns to lower the threshold, so do we). None keeps every subcluster
        as its own cluster. Where scikit-learn takes a clustering estimator,
        this takes an algorithm of this project: its name ("kmeans",
        "agglomerative", "spectral"...; ``clustergif list`` shows them), run
        with its default parameters, or a table naming it with the
        parameters to change, ``{"name": "kmeans", "n_clusters": 4}`` (or
        ``animate.estimator("kmeans", n_clusters=4)``), as a
        configured estimator carries its own (``Birch(n_clusters=KMeans(4))``
        converts to that table). Parameters that depend on the data (more
        clusters than subclusters) are checked when the global step runs.

    Yields
    ------
    Step
        "init" (an empty tree), then "insert" steps, one per batch of
        consecutive points (at most 40): ``n_inserted`` (points read so far, in
        order), ``subcluster_centers`` (m, d) in leaf order,
        ``subcluster_radii``, ``subcluster_sizes``, ``leaf`` (the leaf each
        subcluster sits in), ``split`` (bool, m: in a leaf made by a split
        during this batch), ``n_splits`` (node splits so far), ``depth`` (levels
        of the tree) and ``n_leaves``. Then the global clustering, each step
        with ``subcluster_labels``: for an int, its last "merge" steps (at most
        12) and the "cut"; for a named algorithm, at most 12 of that
        algorithm's own steps, evenly spread from first to last, each a
        "global" step narrated by that algorithm. Last "final": ``labels`` (each point the label
        of its nearest subcluster centre), ``subcluster_centers`` and
        ``subcluster_labels``, as scikit-learn's attributes with a trailing
        underscore.

    Returns
    -------
    dict
        ``n_iter``: BIRCH reads the data once, so this is the number of points
        inserted (n_samples); ``converged``: True.
    """
    n = len(X)
    tree = _CFTree(threshold, branching_factor, X.shape[1])
    yield Step(0, "init", np.full(n, -1), _init_text(threshold, branching_factor), **tree.state(0))

    batch = max(1, math.ceil(n / _MAX_INSERT_STEPS))
    for start in range(0, n, batch):
        end = min(n, start + batch)
        before = tree.n_splits
        tree.new_leaves.clear()
        for sample in X[start:end]:
            tree.insert(sample)
        state = tree.state(end)
        message = _insert_text(start, end, state, tree.n_splits - before)
        yield Step(end, "insert", np.full(n, -1), message, **state)

    yield from _global_steps(X, tree.state(n), n_clusters)
    return {"n_iter": n, "converged": True}


# The CF tree, as scikit-learn's _CFSubcluster, _CFNode and _split_node.


class _Subcluster:
    """A clustering feature: count, linear sum and sum of squared norms of its points."""

    def __init__(self, sample=None):
        self.child = None
        if sample is None:
            self.n, self.squared_sum, self.linear_sum = 0, 0.0, 0
            return
        self.n = 1
        self.centroid = self.linear_sum = sample
        self.squared_sum = self.sq_norm = np.dot(sample, sample)

    def update(self, other):
        """Add ``other``'s points."""
        self.n += other.n
        self.linear_sum = self.linear_sum + other.linear_sum
        self.squared_sum += other.squared_sum
        self.centroid = self.linear_sum / self.n
        self.sq_norm = np.dot(self.centroid, self.centroid)

    def merge(self, other, threshold):
        """Take ``other``'s points if the radius stays within ``threshold``; say if it did."""
        squared_sum = self.squared_sum + other.squared_sum
        linear_sum = self.linear_sum + other.linear_sum
        n = self.n + other.n
        centroid = (1 / n) * linear_sum
        sq_norm = np.dot(centroid, centroid)
        # Squared radius = mean squared norm - squared norm of the mean. The threshold is
        # squared by multiplying: a huge one then gives inf where ** raises OverflowError.
        if squared_sum / n - sq_norm <= threshold * threshold:
            self.n, self.linear_sum, self.squared_sum = n, linear_sum, squared_sum
            self.centroid, self.sq_norm = centroid, sq_norm
            return True
        return False

    @property
    def radius(self):
        # Rounding can make the squared radius slightly negative.
        return math.sqrt(max(0.0, self.squared_sum / self.n - self.sq_norm))


class _Node:
    """Up to ``branching_factor`` subclusters (one more just before a split), with their
    centres and squared norms kept in arrays for the nearest-subcluster search."""

    def __init__(self, branching_factor, is_leaf, n_features):
        self.is_leaf = is_leaf
        self.subclusters = []
        self.all_centroids = np.zeros((branching_factor + 1, n_features))
        self.all_sq_norms = np.zeros(branching_factor + 1)
        self.prev_leaf = self.next_leaf = None

    @property
    def centroids(self):
        return self.all_centroids[: len(self.subclusters)]

    @property
    def sq_norms(self):
        return self.all_sq_norms[: len(self.subclusters)]

    def append(self, subcluster):
        self.all_centroids[len(self.subclusters)] = subcluster.centroid
        self.all_sq_norms[len(self.subclusters)] = subcluster.sq_norm
        self.subclusters.append(subcluster)

    def refresh(self, index):
        """Copy subcluster ``index``'s centre and squared norm after it changed."""
        self.all_centroids[index] = self.subclusters[index].centroid
        self.all_sq_norms[index] = self.subclusters[index].sq_norm

    def nearest(self, subcluster):
        """Index of the nearest subcluster: the smallest ||c||^2 - 2 c.x."""
        distances = np.dot(self.centroids, subcluster.centroid)
        distances *= -2.0
        distances += self.sq_norms
        return int(np.argmin(distances))


class _CFTree:
    """The tree, its leaves linked left to right, and what its steps show."""

    def __init__(self, threshold, branching_factor, n_features):
        self.threshold, self.branching_factor = threshold, branching_factor
        self.n_features = n_features
        self.root = self._node(is_leaf=True)
        self.first = self._node(is_leaf=True)  # stands before the leftmost leaf
        self.first.next_leaf, self.root.prev_leaf = self.root, self.first
        self.n_splits = 0
        self.new_leaves = set()  # ids of leaves made by splits in the current batch

    def _node(self, is_leaf):
        return _Node(self.branching_factor, is_leaf, self.n_features)

    def insert(self, sample):
        if self._insert(self.root, _Subcluster(sample)):
            one, two = self._split(self.root)
            self.root = self._node(is_leaf=False)
            self.root.append(one)
            self.root.append(two)

    def _insert(self, node, subcluster):
        """Insert below ``node``; True if ``node`` now holds one subcluster too many."""
        if not node.subclusters:
            node.append(subcluster)
            return False
        index = node.nearest(subcluster)
        closest = node.subclusters[index]
        if closest.child is not None:
            if not self._insert(closest.child, subcluster):
                closest.update(subcluster)
                node.refresh(index)
                return False
            one, two = self._split(closest.child)
            node.subclusters[index] = one
            node.refresh(index)
            node.append(two)
            return len(node.subclusters) > self.branching_factor
        if closest.merge(subcluster, self.threshold):
            node.refresh(index)
            return False
        node.append(subcluster)
        return len(node.subclusters) > self.branching_factor

    def _split(self, node):
        """Two nodes around the farthest pair of ``node``'s subclusters; a parent
        subcluster summarising each."""
        from sklearn.metrics.pairwise import euclidean_distances

        self.n_splits += 1
        halves = [self._node(node.is_leaf), self._node(node.is_leaf)]
        parents = [_Subcluster(), _Subcluster()]
        for parent, half in zip(parents, halves, strict=True):
            parent.child = half
        if node.is_leaf:
            _relink(node, *halves)
            self.new_leaves.update(map(id, halves))
        dist = euclidean_distances(node.centroids, Y_norm_squared=node.sq_norms, squared=True)
        farthest = np.unravel_index(dist.argmax(), dist.shape)
        first_closer = dist[farthest[0]] < dist[farthest[1]]
        # The first of the pair goes first even when all centres coincide.
        first_closer[farthest[0]] = True
        for subcluster, closer in zip(node.subclusters, first_closer, strict=True):
            side = 0 if closer else 1
            halves[side].append(subcluster)
            parents[side].update(subcluster)
        return parents

    def leaves(self):
        leaf = self.first.next_leaf
        while leaf is not None:
            yield leaf
            leaf = leaf.next_leaf

    def depth(self):
        levels, node = 1, self.root
        while not node.is_leaf:
            node = node.subclusters[0].child
            levels += 1
        return levels

    def state(self, n_inserted):
        """Every leaf subcluster, left to right, and the tree's shape."""
        leaves = list(self.leaves())
        subclusters = [(k, s) for k, leaf in enumerate(leaves) for s in leaf.subclusters]
        d = self.n_features
        centers = [leaf.centroids for leaf in leaves]
        return {
            "n_inserted": n_inserted,
            "subcluster_centers": np.concatenate(centers) if centers else np.empty((0, d)),
            "subcluster_radii": np.array([s.radius for _, s in subclusters]),
            "subcluster_sizes": np.array([s.n for _, s in subclusters], dtype=np.intp),
            "leaf": np.array([k for k, _ in subclusters], dtype=np.intp),
            "split": np.array(
                [id(leaves[k]) in self.new_leaves for k, _ in subclusters], dtype=bool
            ),
            "n_splits": self.n_splits,
            "depth": self.depth(),
            "n_leaves": len(leaves),
        }


def _relink(leaf, left, right):
    """Put ``left`` and ``right`` in the place of ``leaf`` in the chain of leaves."""
    if leaf.prev_leaf is not None:
        leaf.prev_leaf.next_leaf = left
    left.prev_leaf, left.next_leaf = leaf.prev_leaf, right
    right.prev_leaf, right.next_leaf = left, leaf.next_leaf
    if leaf.next_leaf is not None:
        leaf.next_leaf.prev_leaf = right


# The global clustering, as scikit-learn's Birch._global_clustering.


def _global_steps(X, state, n_clusters):
    """The last merges of the agglomerative clustering of the centres, its cut, and the
    final labels: each point takes its nearest centre's."""
    centers = state["subcluster_centers"]
    m, n = len(centers), len(X)
    nearest = _nearest_center(X, centers)
    if n_clusters is not None and not isinstance(n_clusters, Integral):
        yield from _nested_steps(centers, nearest, state, *nested_call(n_clusters))
        return
    if n_clusters is None or m < max(n_clusters, 2):
        subcluster_labels = np.arange(m)
        if n_clusters is not None and m < n_clusters:
            warnings.warn(
                f"BIRCH found {m} subcluster{'s' * (m != 1)}, fewer than n_clusters={n_clusters}; "
                "lower the threshold",
                UserWarning,
                stacklevel=3,
            )
        message = _final_text(m, m, n_clusters)
        yield Step(n, "final", nearest, message, subcluster_labels=subcluster_labels, **state)
        return
    from animate.algorithms._agglomerative import agglomerative

    steps = list(agglomerative(centers, n_clusters=n_clusters))
    # The cut undoes the last n_clusters - 1 merges: show those it keeps, ending on
    # the partition of the cut.
    kept = steps[1 : m - n_clusters + 1]
    shown = [*kept[-_MAX_MERGE_STEPS:], steps[-1]]
    for step in shown:
        text = f"Global clustering of the {m} subcluster centres (Ward): {step.message}"
        yield Step(
            n, step.phase, step.labels[nearest], text, subcluster_labels=step.labels, **state
        )
    labels = steps[-1].labels
    message = _final_text(m, n_clusters, n_clusters)
    yield Step(n, "final", labels[nearest], message, subcluster_labels=labels, **state)


def _nested_steps(centers, nearest, state, name, params):
    """The global clustering by another algorithm of this project, as scikit-learn's
    ``clusterer.fit_predict(subcluster_centers_)``: some of its steps, then the final."""
    m, n = len(centers), len(nearest)
    display = registry.spec(name).display
    try:
        steps = list(registry.function(name)(centers, **params))
    except UserError as exc:
        raise UserError(
            f"BIRCH's global clustering of its {_count(m, 'subcluster')} by {name}: {exc}; "
            "a lower threshold makes more subclusters"
        ) from None
    shown = np.unique(np.linspace(0, len(steps) - 1, _MAX_MERGE_STEPS).round().astype(int))
    for index in shown[:-1]:
        step = steps[index]
        text = f"Global clustering of the {m} subcluster centres ({display}): {step.message}"
        yield Step(
            n, "global", _spread(step.labels, nearest), text, subcluster_labels=step.labels, **state
        )
    labels = steps[-1].labels
    found = len(np.unique(labels[labels >= 0]))
    message = (
        f"BIRCH: {_count(m, 'subcluster')} grouped by {display} into "
        f"{_count(found, 'cluster')}; each point takes its nearest subcluster's label"
    )
    yield Step(n, "final", _spread(labels, nearest), message, subcluster_labels=labels, **state)


def _spread(subcluster_labels, nearest):
    """Each point's label: its nearest subcluster's."""
    return np.asarray(subcluster_labels)[nearest]


def _nearest_center(X, centers):
    """scikit-learn's ``Birch.predict``: the same distance call, so ties go the same way."""
    from sklearn.metrics import pairwise_distances_argmin
    from sklearn.utils.extmath import row_norms

    norms = row_norms(centers, squared=True)
    return pairwise_distances_argmin(X, centers, metric_kwargs={"Y_norm_squared": norms})


# Captions.


def _count(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _init_text(threshold, branching_factor):
    return (
        f"An empty CF tree: subclusters of radius at most threshold={threshold:g}, "
        f"at most branching_factor={branching_factor} per node"
    )


def _insert_text(start, end, state, splits):
    who = f"Point {start}" if end == start + 1 else f"Points {start} to {end - 1}"
    text = (
        f"{who} read into the tree: {_count(len(state['subcluster_radii']), 'subcluster')} "
        f"in {_count(state['n_leaves'], 'leaf')}"
    ).replace("leafs", "leaves")
    if splits:
        text += f"; {_count(splits, 'node split')}, depth {state['depth']}"
    return text


def _final_text(m, n_clusters_found, n_clusters):
    if n_clusters is None:
        return f"BIRCH kept its {_count(m, 'subcluster')} as clusters; each point joins its nearest"
    if m < n_clusters:
        return (
            f"Only {_count(m, 'subcluster')} for n_clusters={n_clusters}: each is a cluster; "
            "lower the threshold for more"
        )
    return (
        f"BIRCH: {_count(m, 'subcluster')} grouped into {_count(n_clusters_found, 'cluster')}; "
        "each point takes its nearest subcluster's label"
    )

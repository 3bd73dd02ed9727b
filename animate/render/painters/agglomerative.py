"""Agglomerative clustering: clusters growing merge by merge, the latest merge
ringed and joined by the distance its linkage measured, and beside it the
dendrogram growing link by link up to the cut."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

from animate.render import style
from animate.render.colours import slots_for
from animate.render.painters.base import Painter, Title, format_number, paints

# Up to this many points, points and dendrogram leaves carry their index.
_NAMED = 30
# The merges that leave at most this many clusters more than the cut last _SLOW times longer.
_SLOW_MARGIN = 3
_SLOW = 2.0
# Merges of at most this many points have every point ringed.
_RINGED = 40
# Average linkage draws at most this many of the pairs it averages.
_PAIRS = 300


@paints("agglomerative")
class AgglomerativePainter(Painter):
    focus = "tail"
    points_layer = True
    side_title = "dendrogram"

    def __init__(self, trace, ctx):
        super().__init__(trace, ctx)
        panel, canvas, indices, anchor = ctx.panel, ctx.canvas, ctx.indices, ctx.anchor
        self.n = len(self.xy)
        self.tree = _Tree(trace.final.linkage)
        self.colours = _colour_slots(trace, indices, anchor)
        if self.n <= _NAMED:
            self._enlarge_points()
        self._draw_graph(trace.steps[0].edges)
        self.marks = {i: self._merge_marks(i) for i in indices if trace.steps[i].phase == "merge"}
        size = self.points.size
        self.rings = self.ax.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                markersize=size * 1.9,
                markerfacecolor="none",
                markeredgecolor=style.HIGHLIGHT,
                markeredgewidth=0.9,
                zorder=3,
            )
        )
        self.join = self.ax.add_line(Line2D([], [], color=style.HIGHLIGHT, lw=1.5, zorder=3))
        self.pairs = self.ax.add_collection(
            LineCollection([], colors=[(0.0, 0.0, 0.0, 0.35)], lw=0.6, zorder=3)
        )
        canvas.animate(self.rings, self.join, self.pairs)
        self.side = _Dendrogram(panel.side, canvas, self.tree, trace) if panel.side else None

    def _enlarge_points(self):
        # A handful of named points are read one by one: draw them large enough to.
        self.points.scale_markers(1.6)
        for i, (x, y) in enumerate(self.xy):
            self.ax.annotate(
                str(i),
                (x, y),
                xytext=(6, 5),
                textcoords="offset points",
                fontsize=style.FONT_SIZES["tick"],
                color=style.MUTED,
                zorder=1,
            )

    def _draw_graph(self, edges):
        # The connectivity graph never changes: drawn once, under the points.
        if edges is None or len(edges) == 0:
            return
        segments = self.xy[np.asarray(edges)]
        self.ax.add_collection(LineCollection(segments, colors=style.GRID, lw=0.6, zorder=1))

    def _merge_marks(self, index):
        """What to ring at step ``index``, and the segment that shows what the linkage
        measured between the two clusters merged: closest pair, farthest pair, every
        pair (average linkage) or the centres (ward).

        Every point of the two clusters is ringed while they are few; rings on a
        large merge would hide its colours, so then only the segment's ends are.
        """
        step = self.trace.steps[index]
        part_a, part_b = self.tree.leaves(step.merged[0]), self.tree.leaves(step.merged[1])
        pairs = np.empty((0, 2, 2))
        if step.witness is not None:
            segment = self.xy[list(step.witness)]
        else:
            segment = np.array([self.xy[part_a].mean(axis=0), self.xy[part_b].mean(axis=0)])
        if self.trace.params["linkage"] == "average":
            # Average linkage averages every pair: draw the pairs, not the centres' segment.
            pairs = _pairs(self.xy[part_a], self.xy[part_b])
            segment = np.empty((0, 2))
        merged = np.concatenate([part_a, part_b])
        ringed = self.xy[merged] if len(merged) <= _RINGED else segment
        return ringed, segment, pairs

    def weight(self, index):
        step = self.trace.steps[index]
        if step.phase != "merge":
            return 1.0
        left = self.n - step.n_merges
        return _SLOW if left <= self.trace.final.n_clusters_found + _SLOW_MARGIN else 1.0

    def show(self, index):
        step = self.trace.steps[index]
        slots = self.colours[index]
        self.points.show(slots)
        none = (np.empty((0, 2)), np.empty((0, 2)), np.empty((0, 2, 2)))
        ringed, segment, pairs = self.marks.get(index, none)
        self.rings.set_data(ringed[:, 0], ringed[:, 1])
        self.join.set_data(segment[:, 0], segment[:, 1])
        self.pairs.set_segments(pairs)
        if self.side is not None:
            self.side.show(step, slots)

    def title(self):
        params = self.trace.params
        parts = [f"{params['linkage']} linkage"]
        if params["metric"] != "euclidean":
            parts.append(params["metric"])
        graph = params["connectivity"]
        if graph is not None:
            parts.append(f"{graph}-NN graph" if isinstance(graph, int) else "connectivity graph")
        return Title("agglomerative", tuple(parts))

    def outcome(self):
        final = self.trace.final
        return f"{_clusters(final.n_clusters_found)}, cut at {format_number(final.threshold)}"

    def status(self, index):
        step = self.trace.steps[index]
        if step.phase == "init":
            return f"{self.n} clusters of one point"
        if step.phase == "cut":
            return (
                f"cut at height {format_number(step.threshold)} · "
                f"{_clusters(step.n_clusters_found)}"
            )
        return (
            f"merge {step.n_merges} of {self.n - 1} · height {format_number(step.distance)}"
            f" · {_clusters(self.n - step.n_merges)}"
        )


class _Tree:
    """The merge tree laid out as scipy draws its dendrogram: leaf i at x = its
    position in the leaf order, a merge halfway between its two parts at its height.

    Every cluster's points are one contiguous run of the leaf order.
    """

    def __init__(self, Z):
        n = len(Z) + 1
        self.order = _leaf_order(Z)
        self.first = np.empty(2 * n - 1, dtype=int)
        self.stop = np.empty(2 * n - 1, dtype=int)
        self.x = np.empty(2 * n - 1)
        self.height = np.zeros(2 * n - 1)
        position = np.empty(n, dtype=int)
        position[self.order] = np.arange(n)
        self.first[:n], self.stop[:n], self.x[:n] = position, position + 1, position
        for i, (a, b, h, _) in enumerate(Z.tolist()):
            a, b, node = int(a), int(b), n + i
            self.first[node] = min(self.first[a], self.first[b])
            self.stop[node] = max(self.stop[a], self.stop[b])
            self.x[node] = (self.x[a] + self.x[b]) / 2
            self.height[node] = h
        self.Z = Z
        self.n = n

    def leaves(self, node):
        """The points of cluster ``node`` (scipy's numbering)."""
        return self.order[self.first[node] : self.stop[node]]

    def links(self):
        """Every merge's link as a (n-1, 4, 2) array of polyline vertices: up from one
        part, across at the merge height, down to the other."""
        a, b = self.Z[:, 0].astype(int), self.Z[:, 1].astype(int)
        top = self.Z[:, 2]
        xs = np.column_stack([self.x[a], self.x[a], self.x[b], self.x[b]])
        ys = np.column_stack([self.height[a], top, top, self.height[b]])
        return np.stack([xs, ys], axis=2)


def _leaf_order(Z):
    """The leaves from left to right as ``scipy.cluster.hierarchy.dendrogram(Z)`` lays
    them out: each merge's first part left of its second. (Importing scipy.cluster
    costs the drawing process about 26 MB.)"""
    n = len(Z) + 1
    children = np.asarray(Z[:, :2], dtype=int)
    order, stack = [], [2 * n - 2]
    while stack:
        node = stack.pop()
        if node < n:
            order.append(node)
        else:
            stack.extend(children[node - n, ::-1].tolist())
    return np.array(order, dtype=int)


class _Dendrogram:
    """The side panel: the links of the merges so far in their cluster's colour,
    the latest one bold, a line at the current height and, at the end, the cut."""

    def __init__(self, ax, canvas, tree, trace):
        self.tree, self.n = tree, tree.n
        self.segments = tree.links()
        # A link takes the colour of the cluster holding it, read off one of its points.
        self.a_point = tree.order[tree.first[self.n :]]
        self.found = trace.final.n_clusters_found
        top = max(tree.height.max(), trace.final.threshold)
        ax.set_xlim(-0.7, self.n - 0.3)
        ax.set_ylim(0, top * 1.1 if top > 0 else 1.0)
        self._ticks(ax, trace.params["linkage"])
        self.links = ax.add_collection(LineCollection([], lw=1.3, zorder=2))
        self.latest = ax.add_line(Line2D([], [], color=style.HIGHLIGHT, lw=2.6, zorder=3))
        self.level = ax.add_line(Line2D([], [], color=style.MUTED, lw=0.9, zorder=1))
        self.label = ax.text(
            self.n - 0.5,
            0,
            "",
            ha="right",
            va="bottom",
            fontsize=style.FONT_SIZES["status"],
            color=style.INK,
            # Over the level line, under the links: its white ground keeps it legible
            # and never hides the link just drawn.
            zorder=1.5,
            # A white ground keeps the label legible where it crosses links.
            bbox={"facecolor": style.BACKGROUND, "edgecolor": "none", "pad": 1.0},
        )
        self.names = [
            ax.text(
                0,
                0,
                "",
                ha="right",
                va="bottom",
                fontsize=style.FONT_SIZES["tick"],
                color=style.INK,
                zorder=4,
            )
            for _ in range(2)
        ]
        canvas.animate(self.links, self.latest, self.level, self.label, *self.names)

    def _ticks(self, ax, linkage):
        ax.set_ylabel(f"{linkage} distance", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        ax.spines[["top", "right"]].set_visible(False)
        if self.n > _NAMED:
            ax.set_xticks([])
            ax.set_xlabel(f"{self.n} points", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
            return
        ax.set_xticks(np.arange(self.n), [str(i) for i in self.tree.order])
        # Readable labels of many leaves do not fit side by side: they stand upright.
        rotation = 90 if self.n > 12 else 0
        ax.tick_params(axis="x", length=0, labelsize=style.FONT_SIZES["tick"], rotation=rotation)

    def show(self, step, slots):
        merges = step.n_merges
        colours = style.cluster_rgb(slots[self.a_point[:merges]])
        if step.phase == "cut":
            # Merges above the cut are undone: grey, in no cluster's colour.
            colours[self.n - self.found :] = to_rgb(style.UNASSIGNED)
        self.links.set_segments(self.segments[:merges])
        self.links.set_colors(colours)
        latest = self.segments[merges - 1] if step.phase == "merge" else np.empty((0, 2))
        self.latest.set_data(latest[:, 0], latest[:, 1])
        self._level(step)
        self._names(step)

    def _level(self, step):
        if step.phase == "init":
            height, text = 0.0, _clusters(self.n)
        elif step.phase == "cut":
            height, text = step.threshold, f"cut: {_clusters(self.found)}"
        else:
            height, text = step.distance, _clusters(self.n - step.n_merges)
        self.level.set_data([-0.7, self.n - 0.3], [height, height])
        self.level.set_linestyle("--" if step.phase == "cut" else ":")
        self.level.set_color(style.INK if step.phase == "cut" else style.MUTED)
        self.label.set_position((self.n - 0.5, height))
        self.label.set_text(text)

    def _names(self, step):
        # The caption names the merged clusters by scipy's ids: show them on the tree.
        merged = step.merged if step.phase == "merge" and self.n <= _NAMED else ()
        for name, node in zip(self.names, (*merged, None, None)):
            if node is None:
                name.set_text("")
                continue
            # Left of the node, clear of the bold link rising from it.
            name.set_position((self.tree.x[node] - 0.2, self.tree.height[node]))
            name.set_text(str(node) if node >= self.n else "")


def _colour_slots(trace, indices, anchor):
    """Colour slot of every point at each shown step: ``{step index: slots (n,)}``.

    The merge tree says when each cluster lives, so colours are chosen for the
    whole run at once: a point is grey until its cluster has two points; the
    label a cluster keeps (its larger part's) keeps its colour; clusters seen
    together, or one just after the other, never share a colour; and the
    clusters of the cut keep the colour they will have at the cut (matched to
    ``anchor``, so that side-by-side panels agree).
    """
    steps, final = trace.steps, trace.final
    n = len(final.labels)
    # Before the last merges are undone the cut's clusters already exist: the
    # step with as many clusters has the same partition, labelled as merges label.
    as_merged = np.zeros(final.n_clusters_found, dtype=int)
    as_merged[final.labels] = steps[n - final.n_clusters_found].labels
    known = {} if anchor is None else {int(a): int(a) for a in np.unique(anchor) if a >= 0}
    slot = np.full(n, -1)
    for label, s in slots_for(final.labels, known, anchor).items():
        slot[as_merged[label]] = s
    shown = [i for i in indices if steps[i].phase != "cut"]
    first, last = np.full(n, len(indices)), np.full(n, -2)
    for f, i in enumerate(shown):
        grown = np.flatnonzero(np.bincount(steps[i].labels, minlength=n) >= 2)
        first[grown] = np.minimum(first[grown], f)
        last[grown] = f
    _colour_greedily(slot, first, last)
    result = {}
    for i in indices:
        labels = steps[i].labels
        if steps[i].phase == "cut":
            result[i] = slot[as_merged[labels]]
        else:
            grown = np.bincount(labels, minlength=n)[labels] >= 2
            result[i] = np.where(grown, slot[labels], -1)
    return result


def _colour_greedily(slot, first, last):
    """Give every label seen from frame ``first`` to ``last`` without a slot the
    lowest slot no label seen at the same time, or a frame apart, has."""
    done = np.flatnonzero(slot >= 0)
    todo = [int(v) for v in np.lexsort((np.arange(len(slot)), first)) if last[v] >= 0]
    for label in todo:
        if slot[label] >= 0:
            continue
        near = done[(first[done] <= last[label] + 1) & (first[label] <= last[done] + 1)]
        taken = set(slot[near].tolist())
        slot[label] = next(s for s in range(len(slot) + 1) if s not in taken)
        done = np.append(done, label)


def _pairs(a, b, most=_PAIRS):
    """Segments (m, 2, 2) joining every point of ``a`` to every point of ``b``; an
    even sample of ``most`` of them when there are more."""
    ia, ib = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    ia, ib = ia.ravel(), ib.ravel()
    if len(ia) > most:
        keep = np.linspace(0, len(ia) - 1, most).round().astype(int)
        ia, ib = ia[keep], ib[keep]
    return np.stack([a[ia], b[ib]], axis=1)


def _clusters(k):
    return f"{k} cluster{'s' if k != 1 else ''}"

"""HDBSCAN: each point's core distance, the minimum spanning tree of mutual
reachability growing edge by edge, then the clusters it keeps, points sized by
how firmly they belong. Beside it, the edges' lengths as Prim's algorithm adds
them, then the condensed tree (an icicle plot) with the kept clusters in
colour and outlined."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

from animate.render import style
from animate.render.painters.base import ClusterPoints, Painter, Title, paints, point_size

# Final points are drawn in three sizes, by membership probability: at least
# _FIRM, at least _LOOSE, below.
_FIRM, _LOOSE = 0.75, 0.35
_SIZES = (1.0, 0.72, 0.48)
# At most this many core-distance circles are drawn.
_CIRCLES = 60
# The phases at which the clusters are known.
_CHOSEN = ("select", "final")


@paints("hdbscan")
class HDBSCANPainter(Painter):
    """Draws an HDBSCAN trace: core-distance circles (2-D data), the spanning tree,
    the clusters kept; the side panel plots distances on a log scale, the tree's
    edge lengths in the order added and then the condensed tree."""

    identity = True  # labels appear once, at the selection, and keep their numbers
    side_title = "condensed tree"
    points_layer = True

    def __init__(self, trace, ctx):
        super().__init__(trace, ctx)
        panel, canvas = ctx.panel, ctx.canvas
        final = trace.final
        self.n = len(self.xy)
        self.edges = self.xy[np.asarray(final.mst_edges)]
        self.tree = LineCollection([], colors=style.UNASSIGNED, lw=0.8, zorder=1)
        self.latest = LineCollection([], colors=style.INK, lw=1.4, zorder=1.5)
        self.circles = PolyCollection(
            [], facecolors="none", edgecolors=style.GRID, lw=0.6, zorder=0.5
        )
        for artist in (self.circles, self.tree, self.latest):
            self.ax.add_collection(artist)
        self.layers = self._probability_layers(canvas, final.probabilities)
        canvas.animate(self.circles, self.tree, self.latest)
        self.side = _Side(panel.side, canvas, trace, self.n) if panel.side else None

    def _probability_layers(self, canvas, probabilities):
        """One point layer per probability band, used only once probabilities are known."""
        bands = np.digitize(probabilities, [_LOOSE, _FIRM])[:, None] == [2, 1, 0]
        # Firm points a little larger than before the end, loose ones smaller.
        base = point_size(self.n) * 1.4
        layers = []
        for band, scale in zip(bands.T, _SIZES):
            layer = ClusterPoints(self.ax, self.xy[band], canvas, base * scale, self.used_slots)
            layers.append((band, layer))
        # Noise (probability 0, the smallest band) keeps crosses large enough to be seen.
        for layer in (self.points, *(layer for _, layer in layers)):
            layer.noise.set_markersize(point_size(self.n) * 1.1)
        return layers

    def show(self, index):
        step = self.trace.steps[index]
        slots = self.slots_of(index)
        noise = step.labels < 0 if step.phase in _CHOSEN else None
        final = step.phase == "final"
        self.points.show(slots, noise=noise)
        for line in (self.points.noise, self.points.unassigned, *self.points.lines.values()):
            line.set_visible(line.get_visible() and not final)
        for band, layer in self.layers:
            layer.show(slots[band], noise=noise[band] if final else None)
            for line in (layer.noise, layer.unassigned, *layer.lines.values()):
                line.set_visible(line.get_visible() and final)
        self._show_tree(step, slots)
        self._show_circles(step)
        if self.side is not None:
            self.side.show(step, self.slots[index])

    def _show_tree(self, step, slots):
        n_edges = step.n_edges if step.phase in ("init", "mst") else self.n - 1
        self.tree.set_segments(self.edges[:n_edges])
        if step.phase in _CHOSEN:
            # An edge inside a cluster takes its colour; to noise or between clusters, grey.
            ends = np.asarray(self.trace.final.mst_edges)
            a, b = slots[ends[:, 0]], slots[ends[:, 1]]
            inside = (a == b) & (step.labels[ends[:, 0]] >= 0) & (step.labels[ends[:, 1]] >= 0)
            colours = np.where(inside[:, None], style.cluster_rgb(a), to_rgb(style.GRID))
            self.tree.set_colors(colours)
        else:
            self.tree.set_colors(to_rgb(style.UNASSIGNED))
        new = self._latest_edges(step) if step.phase == "mst" else slice(0, 0)
        self.latest.set_segments(self.edges[new])

    def _latest_edges(self, step):
        """The edges this step added: where the previous "mst" step left off."""
        steps = self.trace.steps
        index = next(i for i, s in enumerate(steps) if s is step)
        before = steps[index - 1].n_edges if steps[index - 1].phase == "mst" else 0
        return slice(before, step.n_edges)

    def _show_circles(self, step):
        # A core distance is a radius in the plane of the picture only for 2-D euclidean data.
        flat = self.trace.X.shape[1] == 2 and self.trace.params["metric"] in ("euclidean", "l2")
        if step.phase != "init" or not flat:
            self.circles.set_verts([])
            return
        angle = np.linspace(0, 2 * np.pi, 33)
        unit = np.column_stack([np.cos(angle), np.sin(angle)])
        # Every point's circle would fill the picture: a spread-out sample of them.
        shown = np.unique(np.linspace(0, self.n - 1, min(self.n, _CIRCLES)).astype(int))
        radius = np.asarray(step.core_distances)[shown]
        self.circles.set_verts(self.xy[shown, None, :] + radius[:, None, None] * unit[None])

    def weight(self, index):
        # The stages after the tree carry the lesson: they stay longer than one batch of edges.
        return 1.0 if self.trace.steps[index].phase == "mst" else 2.5

    def title(self):
        params = self.trace.params
        parts = [f"min_cluster_size = {params['min_cluster_size']}"]
        if params["min_samples"] is not None:
            parts.append(f"min_samples = {params['min_samples']}")
        if params["cluster_selection_method"] == "leaf":
            parts.append("leaf")
        if params["cluster_selection_epsilon"]:
            parts.append(f"epsilon = {params['cluster_selection_epsilon']:g}")
        return Title("HDBSCAN", tuple(parts))

    def outcome(self):
        labels = self.trace.final.labels
        noise = int(np.count_nonzero(labels < 0))
        return f"{_count(int(labels.max()) + 1, 'cluster')}, {_count(noise, 'noise point')}"

    def status(self, index):
        step = self.trace.steps[index]
        if step.phase == "init":
            return "core distances"
        if step.phase == "mst":
            return f"spanning tree · {step.n_edges} of {self.n - 1} edges"
        if step.phase == "hierarchy":
            return "single-linkage hierarchy"
        if step.phase == "condense":
            return f"condensed tree · {_count(len(step.stability), 'cluster')}"
        return self.outcome().replace(", ", " · ")


class _Side:
    """The side panel, distances on a log scale: while the tree grows, each edge's length
    in the order Prim's algorithm adds it; from the condensed tree on, the icicle plot:
    each cluster a shape as wide as the points still in it, narrowing as points fall
    out, its children hanging below it; the clusters kept in colour, outlined."""

    def __init__(self, ax, canvas, trace, n):
        final = trace.final
        self.n = n
        self.distances = np.asarray(final.mst_distances)
        positive = self.distances[self.distances > 0]
        top = positive.max() * 1.6 if len(positive) else 1.0
        self.floor = positive.min() / 1.6 if len(positive) else top / 10
        self.shapes, self.ids = _icicles(final, n, top, self.floor)
        _log_axis(ax, self.floor, top)
        ax.set_xlim(0, n)
        ax.set_xticks([])
        ax.set_xlabel(f"{n} points", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        ax.set_ylabel(
            "mutual reachability distance", fontsize=style.FONT_SIZES["tick"], color=style.MUTED
        )
        ax.spines[["top", "right"]].set_visible(False)
        size = float(np.clip(60 / np.sqrt(n), 1.0, 4.0))
        self.dots = ax.add_line(
            Line2D([], [], ls="none", marker="o", markersize=size, color=style.UNASSIGNED, zorder=2)
        )
        self.new = ax.add_line(
            Line2D([], [], ls="none", marker="o", markersize=size * 1.3, color=style.INK, zorder=3)
        )
        self.icicles = ax.add_collection(PolyCollection([], lw=0.5, zorder=2))
        self.note = ax.text(
            0.5,
            0.98,
            "",
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=style.FONT_SIZES["tick"],
            color=style.MUTED,
        )
        canvas.animate(self.dots, self.new, self.icicles, self.note)

    def show(self, step, slots):
        tree = step.phase not in ("init", "mst", "hierarchy")
        shown = 0 if step.phase == "init" else step.n_edges if step.phase == "mst" else self.n - 1
        x = np.arange(1, shown + 1) - 0.5
        y = np.maximum(self.distances[:shown], self.floor)
        self.dots.set_data(x if not tree else [], y if not tree else [])
        last = slice(shown - 1, shown) if step.phase == "mst" else slice(0, 0)
        self.new.set_data(x[last], y[last])
        self.note.set_text(_NOTES.get(step.phase, ""))
        if not tree:
            self.icicles.set_verts([])
            return
        self.icicles.set_verts(self.shapes)
        fill, edge, width = self._colours(step, slots)
        self.icicles.set_facecolors(fill)
        self.icicles.set_edgecolors(edge)
        self.icicles.set_linewidths(width)

    def _colours(self, step, slots):
        grey, ink = to_rgb(style.GRID), to_rgb(style.MUTED)
        fill = np.tile(grey, (len(self.ids), 1))
        edge = np.tile(ink, (len(self.ids), 1))
        width = np.full(len(self.ids), 0.5)
        if step.phase in _CHOSEN:
            position = {c: i for i, c in enumerate(self.ids)}
            for label, cluster in enumerate(step.selected.tolist()):
                i = position[cluster]
                fill[i] = to_rgb(style.cluster_colour(slots.get(label, label)))
                edge[i], width[i] = to_rgb(style.HIGHLIGHT), 1.6
        return fill, edge, width


_NOTES = {
    "init": "edge lengths come next",
    "mst": "edges in the order added",
    "hierarchy": "edges in the order added",
}


def _icicles(final, n, top, floor):
    """The condensed tree's clusters as polygons (x: points, y: distance): each as wide
    as the points still in it, its children side by side under it. Returns the polygons
    and the cluster id of each."""
    parent, child = np.asarray(final.tree_parent), np.asarray(final.tree_child)
    with np.errstate(divide="ignore"):
        distance = np.maximum(1.0 / np.asarray(final.tree_lambda), floor)
    size = np.asarray(final.tree_size)
    root = int(parent.min())
    centre, birth, width = {root: n / 2}, {root: top}, {root: n}
    shapes, ids = [], []
    for cluster in range(root, int(parent.max()) + 1):
        rows = parent == cluster
        kids = np.flatnonzero(rows & (size > 1))
        left = centre[cluster] - size[kids].sum() / 2
        for k in kids:
            c = int(child[k])
            centre[c], birth[c], width[c] = left + size[k] / 2, distance[k], int(size[k])
            left += size[k]
        shapes.append(
            _staircase(centre[cluster], birth[cluster], width[cluster], distance[rows], size[rows])
        )
        ids.append(cluster)
    return shapes, ids


def _staircase(centre, birth, width, leave_at, leaving):
    """A cluster's outline: ``width`` points at distance ``birth``, ``leaving`` of them
    leaving at each distance of ``leave_at`` (its children last, at the split)."""
    levels, where = np.unique(leave_at, return_inverse=True)
    levels, lost = levels[::-1], np.bincount(where, weights=leaving)[::-1]  # top down
    before = width - np.concatenate([[0], np.cumsum(lost)[:-1]])  # points in above each level
    ys = np.concatenate([[birth], np.repeat(levels[:-1], 2), levels[-1:]])
    half = np.repeat(before, 2) / 2
    right = np.column_stack([centre + half, ys])
    left = np.column_stack([centre - half, ys])[::-1]
    return np.vstack([right, left])


def _log_axis(ax, low, high):
    """A log scale from ``low`` to ``high`` labelled at 1, 2 and 5 times powers of ten."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ax.set_yscale("log")
    ax.set_ylim(low, high)
    powers = np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
    ticks = (10.0 ** powers[:, None] * [1, 2, 5]).ravel()
    ticks = ticks[(ticks >= low) & (ticks <= high)]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.set_yticklabels([f"{t:g}" for t in ticks], fontsize=style.FONT_SIZES["tick"])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _count(k, noun):
    return f"{k} {noun}{'s' if k != 1 else ''}"

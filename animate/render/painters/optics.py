"""OPTICS: the point just ordered ringed and linked to the points it brought
closer, the seed list ringed lightly, and beside it the reachability plot
growing bar by bar; then the steep areas shaded, the clusters as bars under
the plot (or the dbscan cut as a line), every bar in its cluster's colour and
noise grey."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from animate.render import style
from animate.render.painters.base import Painter, Title, paints

_DOWN = style.CLUSTER_COLOURS[5]  # sky blue: reachability falls into a valley
_UP = style.CLUSTER_COLOURS[3]  # vermillion: it climbs out
_EXTRACTING = ("steep", "cluster", "cut", "final")


@paints("optics")
class OPTICSPainter(Painter):
    identity = True  # a label, once given, names the same cluster to the end
    points_layer = True
    side_title = "reachability plot"

    def __init__(self, trace, ctx):
        super().__init__(trace, ctx)
        self.n = len(self.xy)
        size = self.points.size
        self.links = self.ax.add_collection(
            LineCollection([], colors=style.MUTED, linewidths=0.6, zorder=1)
        )
        self.seeds = self._rings(size * 1.6, style.MUTED, 0.6)
        self.current = self._rings(size * 2.3, style.HIGHLIGHT, 1.8)
        ctx.canvas.animate(self.links, self.seeds, self.current)
        self.plot = _ReachabilityPlot(ctx.panel.side, ctx.canvas, trace) if ctx.panel.side else None

    def _rings(self, size, colour, width):
        return self.ax.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                markersize=size,
                markerfacecolor="none",
                markeredgecolor=colour,
                markeredgewidth=width,
                zorder=3,
            )
        )

    def show(self, index):
        step = self.trace.steps[index]
        slots = self.slots_of(index)
        extracting = step.phase in _EXTRACTING and step.phase != "steep"
        self.points.show(slots, noise=(step.labels < 0) if extracting else None)
        ordering = np.asarray(step.ordering, dtype=int)
        waiting = np.isfinite(step.reachability)
        waiting[ordering] = False
        seeds = np.flatnonzero(waiting) if step.phase == "order" else []
        self.seeds.set_data(self.xy[seeds, 0], self.xy[seeds, 1])
        current = [step.current] if step.current >= 0 else []
        self.current.set_data(self.xy[current, 0], self.xy[current, 1])
        # Each point brought closer, linked to the point that brought it (its predecessor).
        updated = np.asarray(step.updated, dtype=int)
        starts = self.xy[step.predecessor[updated]]
        self.links.set_segments(np.stack([starts, self.xy[updated]], axis=1))
        if self.plot is not None:
            self.plot.show(step, slots, extracting)

    def title(self):
        params = self.trace.params
        parts = [f"min_samples = {params['min_samples']}"]
        if params["cluster_method"] == "xi":
            parts.append(f"xi = {params['xi']:g}")
        else:
            parts.append(f"dbscan cut at {self.trace.final.cut:g}")
        if np.isfinite(params["max_eps"]):
            parts.append(f"max_eps = {params['max_eps']:g}")
        if params["metric"] != "minkowski" or params["p"] != 2:
            parts.append(
                params["metric"] if params["metric"] != "minkowski" else f"p = {params['p']:g}"
            )
        return Title("OPTICS", tuple(parts))

    def outcome(self):
        labels = self.trace.final.labels
        clusters = int(labels.max()) + 1
        return f"{_count(clusters, 'cluster')}, {_count(int((labels < 0).sum()), 'noise point')}"

    def status(self, index):
        step = self.trace.steps[index]
        if step.phase in ("init", "order"):
            waiting = np.isfinite(step.reachability)
            waiting[np.asarray(step.ordering, dtype=int)] = False
            return f"ordered {len(step.ordering)} of {self.n} · seed list {int(waiting.sum())}"
        if step.phase == "steep":
            return f"steep areas: {len(step.steep_down)} down, {len(step.steep_up)} up"
        noise = int((step.labels < 0).sum())
        return f"{_count(int(step.labels.max()) + 1, 'cluster')} · noise {noise}"


class _ReachabilityPlot:
    """Bars of reachability in the order OPTICS found; unreached (inf) bars reach the top,
    light grey. Steep areas are shaded, clusters drawn as brackets under the bars."""

    def __init__(self, ax, canvas, trace):
        final = trace.final
        self.n = len(final.ordering)
        finite = final.reachability[np.isfinite(final.reachability)]
        cut = final.cut if final.cut is not None and np.isfinite(final.cut) else 0.0
        self.top = 1.12 * max(finite.max() if len(finite) else 1.0, cut)
        depth = _nesting(final.cluster_hierarchy)
        self.depth = depth
        self.row = 0.045 * self.top
        ax.set_xlim(-0.5, self.n - 0.5)
        ax.set_ylim(-self.row * (max(depth.max(initial=0), 0) + 1.6), self.top)
        ax.set_xlabel(
            "points in OPTICS order", fontsize=style.FONT_SIZES["tick"], color=style.MUTED
        )
        ax.set_ylabel("reachability distance", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        ax.spines[["top", "right"]].set_visible(False)
        ax.axhline(0, color=style.GRID, lw=0.6)
        # Below 0 hang the clusters' brackets: no reachability there to read.
        ax.yaxis.set_major_locator(_AtLeastZero())
        self.areas = ax.add_collection(PolyCollection([], linewidths=0, zorder=0))
        self.bars = ax.add_collection(PolyCollection([], linewidths=0, zorder=1))
        self.brackets = ax.add_collection(LineCollection([], linewidths=2.2, zorder=2))
        self.cut = ax.add_line(Line2D([], [], color=style.INK, lw=1.2, ls="--", zorder=3))
        self.latest = ax.add_line(
            Line2D([], [], ls="none", marker="v", markersize=6, color=style.HIGHLIGHT, zorder=3)
        )
        canvas.animate(self.areas, self.bars, self.brackets, self.cut, self.latest)

    def show(self, step, slots, extracting):
        ordering = np.asarray(step.ordering, dtype=int)
        heights = step.reachability[ordering]
        unreached = ~np.isfinite(heights)
        heights = np.where(unreached, self.top, heights)
        x = np.arange(len(ordering))
        self.bars.set_verts([_box(i - 0.42, i + 0.42, 0, h) for i, h in zip(x, heights)])
        if extracting:
            colours = style.cluster_rgb(slots[ordering])
            colours[slots[ordering] < 0] = to_rgb(style.NOISE)
        else:
            colours = np.tile(to_rgb(style.MUTED), (len(ordering), 1))
        colours[unreached] = to_rgb(style.UNASSIGNED)
        self.bars.set_facecolors(colours)
        self._areas(step)
        self._brackets(step, slots, ordering)
        cut = step.cut if step.cut is not None and np.isfinite(step.cut) else None
        self.cut.set_data(*(([-0.5, self.n - 0.5], [cut, cut]) if cut is not None else ([], [])))
        if step.phase == "order" and len(ordering):
            k = len(ordering) - len(step.taken)
            top = np.minimum(heights[k:], self.top)
            self.latest.set_data(x[k:], top + 0.02 * self.top)
        else:
            self.latest.set_data([], [])

    def _areas(self, step):
        spans = [(a, b, _DOWN) for a, b in step.steep_down] + [
            (a, b, _UP) for a, b in step.steep_up
        ]
        self.areas.set_verts([_box(a - 0.5, b + 0.5, 0, self.top) for a, b, _ in spans])
        self.areas.set_facecolors([style.tint(c) for _, _, c in spans])

    def _brackets(self, step, slots, ordering):
        hierarchy = np.asarray(step.cluster_hierarchy, dtype=int).reshape(-1, 2)
        segments, colours = [], []
        for k, (start, end) in enumerate(hierarchy):
            y = -self.row * (self.depth[k] + 0.8)
            segments.append([(start - 0.4, y), (end + 0.4, y)])
            # A cluster that became a label is drawn in its colour; one that did not, grey.
            inside = slots[ordering[start : end + 1]]
            same = len(inside) and (inside == inside[0]).all() and inside[0] >= 0
            colours.append(style.cluster_colour(inside[0]) if same else style.UNASSIGNED)
        self.brackets.set_segments(segments)
        self.brackets.set_colors(colours)


class _AtLeastZero(MaxNLocator):
    def tick_values(self, vmin, vmax):
        return [t for t in super().tick_values(0, vmax) if t >= 0]


def _nesting(hierarchy):
    """For each xi cluster, how many larger clusters of the hierarchy hold it."""
    hierarchy = np.asarray(hierarchy, dtype=int).reshape(-1, 2)
    depth = np.zeros(len(hierarchy), dtype=int)
    for k, (start, end) in enumerate(hierarchy):
        inside = (hierarchy[:, 0] <= start) & (hierarchy[:, 1] >= end)
        depth[k] = int(inside.sum()) - 1
    return depth.max(initial=0) - depth if len(depth) else depth


def _box(x0, x1, y0, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _count(value, noun):
    return f"{value} {noun}" if value == 1 else f"{value} {noun}s"

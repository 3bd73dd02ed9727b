"""DBSCAN: the eps-neighbourhood of the point being explored, clusters growing
from their core points, border points smaller, noise as grey crosses, and the
sorted k-distance curve beside it (the plot people read eps from)."""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D

from animate.render import style
from animate.render.painters.base import (
    ClusterPoints,
    Painter,
    Title,
    format_number,
    framed_legend,
    grid_key,
    paints,
)
from animate.render.projection import emptiest_corner

# The order p of the Minkowski norm behind each metric whose ball is a simple shape.
_NORM_ORDER = {
    "euclidean": 2.0,
    "l2": 2.0,
    "manhattan": 1.0,
    "cityblock": 1.0,
    "l1": 1.0,
    "chebyshev": np.inf,
}
# Border points are drawn this much smaller than core points.
_BORDER_SCALE = 0.6


@paints("dbscan")
class DBSCANPainter(Painter):
    """Draws a DBSCAN trace: eps-balls, frontier, core / border / noise points.

    The eps-ball is the metric's own ball (a diamond for manhattan, a square
    for chebyshev) in 2-D; with more features it is drawn for the euclidean
    metric only, where the ball's shadow on the picture's plane is a disc of
    radius eps. Other metrics get no ball, only the explored point ringed.
    The side panel plots every point's distance to its ``min_samples``-th
    nearest point (itself included), sorted, with eps as a line: points
    below the line are core points. It is shown when rendering with
    ``side_panel=True`` (the default of :func:`animate.render`).

    Parameters
    ----------
    legend : bool, optional
        Explain the markers (core, border, noise, frontier) in a corner of
        the data. Default: only when the trace has the figure to itself.
    """

    identity = True  # DBSCAN never renumbers a cluster once it has started
    side_title = "k-distance (sorted)"

    def __init__(self, trace, ctx, *, legend=None):
        super().__init__(trace, ctx)
        panel, canvas, view = ctx.panel, ctx.canvas, ctx.view
        # A single panel is captioned "Point 7 ...": name the point and explain the markers.
        self.narrated = ctx.narrated
        final = trace.final
        self.core = np.asarray(final.core, dtype=bool)
        self.eps = float(final.eps)
        self.ball = _unit_ball(trace.params, view.n_features)
        self._layers(canvas)
        self._overlays(canvas)
        if self.narrated if legend is None else legend:
            self._legend(canvas)
        elif legend is None:
            # A grid explains the point styles once, where a DBSCAN panel has room.
            self._key(canvas)
        self.kdist = self.rank = self.kmarks = None
        if panel.side is not None:
            self._setup_side()

    @classmethod
    def extent(cls, trace, view):
        # An eps-ball drawn around a point at the edge of the data must stay in view.
        xy = view.points(trace.X)
        if _unit_ball(trace.params, view.n_features) is None:
            return xy
        eps = float(trace.final.eps)
        return np.vstack([xy - eps, xy + eps])

    def _layers(self, canvas):
        # Core and other points need different sizes, hence two layers.
        size = _marker_size(len(self.xy))
        self.size = size
        used = self.used_slots
        self.core_points = ClusterPoints(self.ax, self.xy[self.core], canvas, size, used)
        self.other_points = ClusterPoints(
            self.ax, self.xy[~self.core], canvas, size * _BORDER_SCALE, used
        )
        # A cross needs a stroke to be seen at all, and some size to be told from a dot.
        self.other_points.noise.set_markeredgewidth(1.2 if size > 4 else 0.9)
        self.other_points.noise.set_markersize(_noise_size(size))

    def _overlays(self, canvas):
        few = len(self.xy) <= 300
        self.balls = PolyCollection(
            [], closed=True, edgecolors="none", linewidths=0, zorder=0.5, antialiased=True
        )
        self.ax.add_collection(self.balls)
        self.outline = self.ax.add_line(
            Line2D([], [], color=style.INK, lw=1.1, solid_capstyle="butt", zorder=1.5)
        )
        self.frontier = self.ax.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                markersize=self.size * (1.75 if few else 1.4),
                markerfacecolor="none",
                markeredgecolor=style.INK if few else style.MUTED,
                # Hundreds of rings side by side would merge into a black band.
                markeredgewidth=0.9 if few else 0.4,
                zorder=3,
            )
        )
        self.visited = self.ax.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                markersize=self.size * 2.2,
                markerfacecolor="none",
                markeredgecolor=style.HIGHLIGHT,
                markeredgewidth=1.8,
                zorder=4,
            )
        )
        self.name = self.ax.annotate(
            "",
            (0, 0),
            xytext=(0.8 * self.size + 4, 0.8 * self.size + 4),
            textcoords="offset points",
            fontsize=style.FONT_SIZES["tick"] + 1,
            weight="bold",
            color=style.HIGHLIGHT,
            zorder=4,
            # A white halo keeps the number legible over points and rings.
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground=style.BACKGROUND)],
        )
        canvas.animate(self.balls, self.outline, self.frontier, self.visited, self.name)

    def _legend(self, canvas):
        def entry(label, size, colour=style.UNASSIGNED, marker="o", **kw):
            return Line2D(
                [], [], ls="none", marker=marker, markersize=size, color=colour, label=label, **kw
            )

        ring = {"markerfacecolor": "none", "markeredgecolor": style.HIGHLIGHT}
        handles = [
            entry("core point", self.size, style.CLUSTER_COLOURS[0]),
            entry("border point", self.size * _BORDER_SCALE, style.CLUSTER_COLOURS[0]),
            entry("noise", _noise_size(self.size), style.NOISE, "x", markeredgewidth=1.2),
            entry("not reached yet", self.size),
            entry("frontier: core points to explore", self.size * 1.4, markeredgewidth=0.9, **ring),
            entry("explored now, eps around it", self.size * 1.6, markeredgewidth=1.8, **ring),
        ]
        framed_legend(
            self.ax,
            canvas,
            handles,
            loc=emptiest_corner(self.xy, self.ax.get_xlim(), self.ax.get_ylim()),
        )

    def _key(self, canvas):
        """Core, border and noise: the compact key of a panel in a grid."""
        core = style.CLUSTER_COLOURS[0]
        grid_key(
            self.ax,
            canvas,
            self.xy,
            "dbscan",
            [
                ("core", "o", self.size, core, core, {}),
                ("border", "o", self.size * _BORDER_SCALE, core, core, {}),
                ("noise", "x", _noise_size(self.size), style.NOISE, style.NOISE, {"mew": 1.2}),
            ],
        )

    def _setup_side(self):
        side = self.panel.side
        k = min(self.trace.params["min_samples"], len(self.xy))
        kdist = self.trace.final.k_distances
        order = np.argsort(kdist, kind="stable")
        self.kdist = kdist
        self.rank = np.empty(len(kdist), dtype=int)
        self.rank[order] = np.arange(1, len(kdist) + 1)
        top = max(float(kdist.max()), self.eps) * 1.1
        side.set_xlim(0, len(kdist) + 1)
        side.set_ylim(0, top)
        side.set_xlabel("points, sorted", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        side.set_ylabel(
            f"distance to the {_ordinal(k)} nearest point\n(the point itself is the 1st)",
            fontsize=style.FONT_SIZES["tick"],
            color=style.MUTED,
        )
        side.grid(color=style.GRID, lw=0.6)
        few = len(kdist) <= 100
        side.plot(
            np.arange(1, len(kdist) + 1),
            kdist[order],
            color=style.INK,
            lw=1.2,
            marker="o" if few else None,
            markersize=3,
        )
        side.axhline(self.eps, color=style.CLUSTER_COLOURS[3], lw=1.3, ls="--")
        side.text(
            0.03,
            self.eps / top,
            f"eps = {self.eps:g}: core points below",
            transform=side.transAxes,
            color=style.CLUSTER_COLOURS[3],
            fontsize=style.FONT_SIZES["tick"],
            va="bottom",
        )
        self.kmarks = side.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                markersize=6,
                markerfacecolor="none",
                markeredgecolor=style.HIGHLIGHT,
                markeredgewidth=1.5,
            )
        )
        self.canvas.animate(self.kmarks)

    def show(self, index):
        step = self.trace.steps[index]
        slots = self.slots_of(index)
        noise = step.noise
        self.core_points.show(slots[self.core])
        self.other_points.show(slots[~self.core], noise=noise[~self.core])
        self._show_balls(index, step.explored)
        frontier = np.asarray(step.frontier, dtype=int)
        self.frontier.set_data(self.xy[frontier, 0], self.xy[frontier, 1])
        marked = [step.visited] if step.visited >= 0 else []
        self.visited.set_data(self.xy[marked, 0], self.xy[marked, 1])
        self.name.set_visible(self.narrated and bool(marked))
        if marked:
            self.name.xy = tuple(self.xy[step.visited])
            self.name.set_text(str(step.visited))
        if self.kmarks is not None:
            # The visited point's place on the curve says why it is core or not.
            self.kmarks.set_data(self.rank[marked], self.kdist[marked])

    def _show_balls(self, index, explored):
        if self.ball is None or len(explored) == 0:
            self.balls.set_verts([])
            self.outline.set_data([], [])
            return
        shapes = self.xy[explored, None, :] + self.eps * self.ball[None, :, :]
        self.balls.set_verts(shapes)
        cluster = self.trace.steps[index].cluster
        if cluster >= 0:
            slot = self.slots[index].get(cluster, cluster)
            fill = style.tint(style.cluster_colour(slot))
        else:
            fill = style.GRID
        self.balls.set_facecolor(fill)
        # One ball gets an outline; the union of a wave's many balls reads better without.
        if len(explored) == 1:
            self.outline.set_data(shapes[0, :, 0], shapes[0, :, 1])
        else:
            self.outline.set_data([], [])

    def title(self):
        params = self.trace.params
        parts = [f"eps = {self.eps:g}", f"min_samples = {params['min_samples']}"]
        metric = params["metric"]
        if metric != "euclidean":
            parts.append(f"{metric}" + (f" p = {params['p']:g}" if params["p"] else ""))
        return Title("DBSCAN", tuple(parts))

    def outcome(self):
        labels = self.trace.final.labels
        clusters = int(labels.max()) + 1
        noise = int(np.count_nonzero(labels < 0))
        return f"{_count(clusters, 'cluster')}, {_count(noise, 'noise point')}"

    def status(self, index):
        labels = self.trace.steps[index].labels
        border = int(np.count_nonzero((labels >= 0) & ~self.core))
        noise = int(np.count_nonzero(self.trace.steps[index].noise))
        return (
            f"{_count(int(labels.max()) + 1, 'cluster')} · "
            f"core {format_number(int(self.core.sum()))} · border {format_number(border)} · "
            f"noise {format_number(noise)}"
        )


def _unit_ball(params, n_features):
    """Outline (m, 2) of the metric's ball of radius 1 in the picture, or None."""
    metric = params["metric"]
    order = _NORM_ORDER.get(metric)
    if metric == "minkowski":
        order = float(params["p"] or 2.0)
    if n_features == 1 and order is not None:
        order = 2.0  # on a line every Minkowski ball is the same interval
    if order is None or (n_features > 2 and order != 2.0):
        return None
    # 96 segments: the corners of the diamond and of the square are among the samples.
    angle = np.linspace(0, 2 * np.pi, 97)
    unit = np.column_stack([np.cos(angle), np.sin(angle)])
    if np.isinf(order):
        norm = np.abs(unit).max(axis=1)
    else:
        norm = (np.abs(unit) ** order).sum(axis=1) ** (1 / order)
    return unit / norm[:, None]


def _marker_size(n_points):
    # A hand-sized data set gets big markers; thousands of points small ones.
    return float(np.clip(24.0 / n_points**0.35, 2.6, 10.0))


def _noise_size(size):
    return max(0.75 * size, 3.6)


def _ordinal(k):
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _count(value, noun):
    return f"{value} {noun}" if value == 1 else f"{value} {noun}s"

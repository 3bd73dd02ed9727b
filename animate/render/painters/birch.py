"""BIRCH: points read in order (dark once read), every leaf subcluster as a circle
of its radius round its centre, circles of leaves just split in red; then the
subclusters merged by the global clustering and the points coloured by their
nearest subcluster. Beside it, the number of subclusters and the tree's depth
as the points stream in. With more than two features the circles keep their
radius round the projected centres: a subcluster's spread, not its exact shadow."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

from animate.algorithms import registry
from animate.algorithms.registry import nested_call
from animate.render import style
from animate.render.painters.base import Painter, Title, paints

_SPLIT = style.CLUSTER_COLOURS[3]  # vermillion: a leaf made by a split in this batch
_CIRCLE = np.column_stack(
    [np.cos(np.linspace(0, 2 * np.pi, 33)), np.sin(np.linspace(0, 2 * np.pi, 33))]
)


@paints("birch")
class BirchPainter(Painter):
    points_layer = True
    side_title = "the CF tree as points stream in"

    def __init__(self, trace, ctx):
        super().__init__(trace, ctx)
        self.n = len(self.xy)
        self.circles = self.ax.add_collection(PolyCollection([], facecolors="none", zorder=3))
        self.centres = self.ax.add_line(
            Line2D([], [], ls="none", marker="+", markersize=5, color=style.INK, zorder=4)
        )
        # BIRCH has no noise: the noise layer draws the points not read yet, small and light.
        pending = self.points.noise
        pending.set_marker("o")
        pending.set_markersize(pending.get_markersize() * 0.5)
        pending.set_markerfacecolor(style.UNASSIGNED)
        pending.set_markeredgewidth(0.0)
        ctx.canvas.animate(self.circles, self.centres)
        self.growth = _Growth(ctx.panel.side, ctx.canvas, trace) if ctx.panel.side else None

    def show(self, index):
        step = self.trace.steps[index]
        slots = self.slots_of(index)
        if step.phase == "merge":
            # A group of one subcluster is not a cluster yet: grey, as in agglomerative.
            alone = np.bincount(step.subcluster_labels)[step.labels] == 1
            slots = np.where(alone, -1, slots)
        read = np.arange(self.n) < step.n_inserted
        # Points read but not yet clustered are dark grey; those still to come faint.
        self.points.show(slots, noise=~read)
        self.points.unassigned.set_markerfacecolor(style.MUTED)
        self._circles(index, step)
        if self.growth is not None:
            self.growth.show(step)

    def _circles(self, index, step):
        centres = (
            self.view.points(step.subcluster_centers)
            if len(step.subcluster_centers)
            else np.empty((0, 2))
        )
        radii = np.asarray(step.subcluster_radii)
        self.circles.set_verts(centres[:, None, :] + radii[:, None, None] * _CIRCLE[None])
        self.centres.set_data(centres[:, 0], centres[:, 1])
        if step.phase == "insert" or step.phase == "init":
            colours = np.tile(to_rgb(style.INK), (len(radii), 1))
            colours[np.asarray(step.split, dtype=bool)] = to_rgb(_SPLIT)
            widths = np.where(step.split, 1.6, 0.7)
        else:
            mapping = self.slots[index]
            sub = np.asarray(step.subcluster_labels)
            sub_slots = np.array([mapping.get(int(s), -1) for s in sub])
            if step.phase == "merge":
                sub_slots[np.bincount(sub)[sub] == 1] = -1
            colours = style.cluster_rgb(sub_slots)
            widths = np.full(len(radii), 1.2)
        self.circles.set_edgecolors(colours)
        self.circles.set_linewidths(widths)

    def title(self):
        params = self.trace.params
        parts = [
            f"threshold = {params['threshold']:g}",
            f"branching = {params['branching_factor']}",
        ]
        global_step = params["n_clusters"]
        if isinstance(global_step, int):
            parts.append(f"{global_step} clusters")
        elif global_step is not None:
            parts.append(f"then {registry.spec(nested_call(global_step)[0]).display}")
        return Title("BIRCH", tuple(parts))

    def outcome(self):
        final = self.trace.final
        clusters = len(np.unique(final.labels[final.labels >= 0]))
        return (
            f"{len(final.subcluster_radii)} subclusters, {clusters} clusters, depth {final.depth}"
        )

    def status(self, index):
        step = self.trace.steps[index]
        subclusters = len(step.subcluster_radii)
        if step.phase in ("init", "insert"):
            return (
                f"read {step.n_inserted} of {self.n} · {subclusters} subclusters · "
                f"depth {step.depth} · {step.n_splits} splits"
            )
        labels = np.asarray(step.subcluster_labels)
        groups = len(np.unique(labels[labels >= 0]))
        return f"{subclusters} subclusters in {groups} groups · {step.phase}"


class _Growth:
    """The side panel: subclusters against points read, the depth marked where it grew."""

    def __init__(self, ax, canvas, trace):
        steps = [s for s in trace.steps if s.phase in ("init", "insert")]
        self.read = np.array([s.n_inserted for s in steps])
        self.count = np.array([len(s.subcluster_radii) for s in steps])
        depth = np.array([s.depth for s in steps])
        n = len(trace.X)
        ax.set_xlim(0, n * 1.02)
        ax.set_ylim(0, max(self.count.max(), 1) * 1.15)
        ax.set_xlabel("points read", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        ax.set_ylabel("leaf subclusters", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(color=style.GRID, lw=0.6)
        # Where the tree got a level deeper (the root split), marked once it happened.
        self.deeper = []
        for k in np.flatnonzero(np.diff(depth) > 0) + 1:
            line = ax.axvline(self.read[k], color=_SPLIT, lw=0.9, ls=":")
            text = ax.text(
                self.read[k],
                ax.get_ylim()[1],
                f" depth {depth[k]}",
                color=_SPLIT,
                fontsize=style.FONT_SIZES["tick"],
                va="top",
                ha="left",
            )
            self.deeper.append((self.read[k], line, text))
            canvas.animate(line, text)
        self.curve = ax.add_line(Line2D([], [], color=style.INK, lw=1.3))
        self.dot = ax.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                markersize=6,
                markerfacecolor=_SPLIT,
                markeredgecolor=style.INK,
            )
        )
        canvas.animate(self.curve, self.dot)

    def show(self, step):
        k = int(np.searchsorted(self.read, step.n_inserted, side="right"))
        self.curve.set_data(self.read[:k], self.count[:k])
        self.dot.set_data(self.read[k - 1 : k], self.count[k - 1 : k])
        for at, line, text in self.deeper:
            line.set_visible(at <= step.n_inserted)
            text.set_visible(at <= step.n_inserted)

"""k-means: points by nearest centre, centres as crosses with trails, Voronoi
regions lightly shaded, and the within-cluster sum of squares beside it."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection

from animate.render import style
from animate.render.painters.base import (
    CentreMarks,
    Painter,
    Title,
    draw_goal,
    format_number,
    paints,
    score_curve,
    verdict,
)
from animate.render.timeline import RECOLOURED_PX

_TINTS = [style.tint(colour) for colour in style.CLUSTER_COLOURS]


@paints("kmeans")
class KMeansPainter(Painter):
    identity = True
    points_layer = True
    side_title = "within-cluster sum of squares"

    def __init__(self, trace, ctx, *, voronoi=True, goal=False):
        super().__init__(trace, ctx)
        canvas, view, limits = ctx.canvas, ctx.view, ctx.limits
        self.centers = [view.points(step.centers) for step in trace.steps]
        k = len(self.centers[0])
        self.regions = None
        if voronoi and view.n_features <= 2:
            # For d > 2 the cells of the projected centres are not the real partition.
            self._box = np.array([[x, y] for x in limits[0] for y in limits[1]])[[0, 1, 3, 2]]
            self.regions = PolyCollection([], linewidths=0, antialiaseds=False, zorder=0)
            self.ax.add_collection(self.regions)
            canvas.animate(self.regions)
        self.marks = CentreMarks(self.ax, k)
        canvas.animate(*self.marks.artists)
        if goal and trace.y is not None:
            draw_goal(self.ax, self.canvas, self.xy, trace.y)
        self._setup_side()

    @classmethod
    def extent(cls, trace, view):
        # Starting centres may lie outside the data; their trails must stay in view.
        centres = np.vstack([view.points(step.centers) for step in trace.steps])
        return np.vstack([view.points(trace.X), centres])

    def _setup_side(self):
        side = self.panel.side
        self.curve = self.marker = None
        if side is None:
            return
        inertia = [s.inertia for s in self.trace.steps if s.inertia is not None]
        side.set_xlim(0.5, max(self.trace.n_iter, 1) + 1.0)
        side.set_ylim(0, max(inertia) * 1.08)
        side.set_xlabel("iteration", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        side.yaxis.set_major_formatter(lambda v, _: format_number(v))
        side.grid(color=style.GRID, lw=0.6)
        self.curve, self.marker = score_curve(side)
        self.canvas.animate(self.curve, self.marker)

    def show(self, index):
        step = self.trace.steps[index]
        mapping = self.slots[index]
        k = len(self.centers[index])
        centre_slots = np.array([mapping.get(j, j) for j in range(k)])
        self.points.show(self.slots_of(index))
        self.marks.show(np.array(self.centers[max(0, index - 5) : index + 1]), centre_slots)
        if self.regions is not None:
            assigned = step.phase != "init"
            cells = voronoi_cells(self.centers[index], self._box) if assigned else []
            self.regions.set_verts(cells)
            # One (k, 3) array: matplotlib parses a list of colours one by one.
            self.regions.set_facecolors(np.array([_TINTS[s % len(_TINTS)] for s in centre_slots]))

        if self.curve is not None:
            xs, ys = _inertia_curve(self.trace.steps[: index + 1])
            self.curve.set_data(xs, ys)
            self.marker.set_data(xs[-1:], ys[-1:])

    def key(self, index):
        step = self.trace.steps[index]
        if len(getattr(step, "relocated", ())):
            return "an empty cluster's centre relocated"
        if step.phase == "assign" and step.iteration == 1:
            return "first assignment"
        return verdict(self.trace, index)

    def step_change(self, before, now, index):
        if before.phase == "init" or len(now.labels) != len(before.labels):
            return float("inf")
        moved = np.linalg.norm(self.centers[index] - self.centers[index - 1], axis=1).max()
        return self.pixels(moved) + RECOLOURED_PX * np.count_nonzero(now.labels != before.labels)

    def title(self):
        init = self.trace.params["init"]
        init = init if isinstance(init, str) else "given centres"
        return Title("k-means", (f"k = {len(self.trace.final.centers)}", f"init: {init}"))

    def outcome(self):
        state = "" if self.trace.converged else ", not converged"
        inertia = format_number(self.trace.final.inertia)
        return f"inertia {inertia}, {self.trace.n_iter} iterations{state}"

    def status(self, index):
        step = self.trace.steps[index]
        return (
            f"iteration {step.iteration} of {self.trace.n_iter} · {step.phase} · "
            f"inertia {format_number(step.inertia)}"
        )


def voronoi_cells(centers, box):
    """The Voronoi cell of every centre inside the convex polygon ``box`` (m, 2).

    Each cell is the box clipped by the half-planes nearer its centre than each
    other centre: k polygons draw far faster than a raster of nearest centres.
    """
    cells = []
    for i, centre in enumerate(centers):
        cell = box
        for j, other in enumerate(centers):
            if j != i and len(cell):
                normal = other - centre
                cell = _clip(cell, normal, normal @ (centre + other) / 2)
        cells.append(cell)
    return cells


def _clip(polygon, normal, offset):
    """The part of a convex polygon where ``point @ normal <= offset``."""
    following = np.roll(polygon, -1, axis=0)
    along = polygon @ normal
    inside = along <= offset
    crosses = inside != np.roll(inside, -1)
    # Each vertex if inside, then where its edge crosses the line, if it does.
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (offset - along) / ((following - polygon) @ normal)
    cuts = polygon + t[:, None] * (following - polygon)
    keep = np.column_stack([inside, crosses]).ravel()
    return np.stack([polygon, cuts], axis=1).reshape(-1, 2)[keep]


def _inertia_curve(steps):
    scored = [s for s in steps if s.inertia is not None]
    xs = [s.iteration + (0.5 if s.phase == "update" else 0.0) for s in scored]
    return np.array(xs, dtype=float), np.array([s.inertia for s in scored], dtype=float)

"""Mini-batch k-means: the batch's points bright over the faded rest, centres with
trails and their counts, and beside it the smoothed batch inertia against the
inertia of the whole data set."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.transforms import offset_copy

from animate.render import style
from animate.render.painters.base import (
    CentreMarks,
    ClusterPoints,
    Painter,
    Title,
    format_number,
    paints,
    point_size,
)

# Faded points: the cluster colours at this opacity over the white background.
_FADED_ALPHA = 0.35
_TRAIL = 6


@paints("minibatch")
class MiniBatchPainter(Painter):
    identity = True
    points_layer = True
    side_title = "mean squared distance to the centres"

    def __init__(self, trace, ctx):
        super().__init__(trace, ctx)
        canvas, view = ctx.canvas, ctx.view
        self.batch = ClusterPoints(
            self.ax, self.xy, canvas, point_size(len(self.xy)) * 1.5, self.used_slots
        )
        self.batch.restyle(markeredgecolor=style.INK, markeredgewidth=0.5, zorder=2.5)
        self.centers = [view.points(step.centers) for step in trace.steps]
        self._full = _full_data_inertia(trace)
        k = len(self.centers[0])
        self.marks = CentreMarks(self.ax, k, trail_zorder=2)
        # Counts sit beside their centre's cross, a fixed number of points away.
        beside = offset_copy(self.ax.transData, fig=self.ax.figure, x=8, y=4, units="points")
        self.counts = [
            self.ax.text(
                0,
                0,
                "",
                fontsize=style.FONT_SIZES["tick"],
                color=style.INK,
                zorder=5,
                transform=beside,
            )
            for _ in range(k)
        ]
        canvas.animate(*self.marks.artists, *self.counts)
        self._setup_side()

    @classmethod
    def extent(cls, trace, view):
        centres = np.vstack([view.points(step.centers) for step in trace.steps])
        return np.vstack([view.points(trace.X), centres])

    def _setup_side(self):
        side = self.panel.side
        self.curves = None
        if side is None:
            return
        steps = np.array([s.step for s in self.trace.steps], dtype=float)
        self.full = self._full / len(self.trace.X)
        self.smoothed = np.array(
            [np.nan if s.ewa_inertia is None else s.ewa_inertia for s in self.trace.steps]
        )
        self.steps = steps
        top = np.nanmax(np.concatenate([self.full, self.smoothed]))
        side.set_xlim(0, max(steps.max(), 1) * 1.04)
        side.set_ylim(0, top * 1.08)
        side.set_xlabel("mini-batch", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        side.yaxis.set_major_formatter(lambda v, _: format_number(v))
        side.grid(color=style.GRID, lw=0.6)
        full = side.add_line(Line2D([], [], color=style.INK, lw=1.2, label="all the data"))
        smooth = side.add_line(
            Line2D([], [], color=style.CLUSTER_COLOURS[3], lw=1.2, ls="--", label="smoothed batch")
        )
        side.legend(handles=[full, smooth], fontsize=style.FONT_SIZES["tick"], frameon=False)
        self.curves = (full, smooth)
        self.canvas.animate(full, smooth)

    def show(self, index):
        step = self.trace.steps[index]
        slots = self.slots_of(index)
        batch = step.batch
        # Between batches the points not drawn fade; the answer shows them all.
        alpha = 1.0 if step.phase == "final" else _FADED_ALPHA
        self.points.set_alpha(alpha)
        self.points.show(slots)
        self.batch.xy = self.xy[batch]
        self.batch.show(slots[batch])
        mapping = self.slots[index]
        paths = np.array(self.centers[max(0, index - _TRAIL) : index + 1])
        self.marks.show(paths, [mapping.get(j, j) for j in range(len(self.counts))])
        for count, position, n in zip(self.counts, paths[-1], step.counts):
            count.set_position(tuple(position))
            count.set_text(f"{n:.0f}" if n else "")
        if self.curves is not None:
            full, smooth = self.curves
            full.set_data(self.steps[: index + 1], self.full[: index + 1])
            smooth.set_data(self.steps[: index + 1], self.smoothed[: index + 1])

    def title(self):
        batch = min(self.trace.params["batch_size"], len(self.trace.X))
        k = len(self.trace.final.centers)
        return Title("mini-batch k-means", (f"k = {k}", f"batches of {batch}"))

    def outcome(self):
        final = self.trace.final
        return (
            f"inertia {format_number(final.inertia)}, {final.n_steps} batches "
            f"({self.trace.n_iter} passes)"
        )

    def status(self, index):
        step = self.trace.steps[index]
        batch = min(self.trace.params["batch_size"], len(self.trace.X))
        if step.phase == "final":
            return f"{step.step} batches · inertia {format_number(step.inertia)}"
        return (
            f"batch {step.step} of {self.trace.final.n_steps} · {step.step * batch:,} points seen"
            f" · inertia {format_number(self._full[index])}"
        )


def _full_data_inertia(trace):
    """Inertia of all the points for each step's centres: what the batches estimate.

    Computed here for the picture; the algorithm itself only sees its batches.
    """
    X = trace.X
    norms = (X**2).sum(axis=1)
    out = []
    for step in trace.steps:
        c = step.centers
        d = norms[:, None] - 2.0 * X @ c.T + (c**2).sum(axis=1)[None, :]
        out.append(float(np.maximum(d.min(axis=1), 0.0).sum()))
    return np.array(out)

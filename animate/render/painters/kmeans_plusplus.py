"""k-means++ seeding: every point sized by its chance of drawing the next centre (D²),
the candidates drawn ringed, the one kept marked, the centres as crosses; beside it
the potential (sum of D²) falling as centres are added, each candidate's potential
shown where it was weighed."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from animate.render import style
from animate.render.painters.base import (
    Painter,
    Title,
    format_number,
    paints,
    point_size,
    score_curve,
)

# Marker diameters relative to the usual point size: a point with no chance, the
# likeliest point, and every point while all are equally likely (the first draw).
_SMALLEST, _LARGEST, _EVEN = 0.7, 4.0, 1.0


@paints("kmeans_plusplus")
class KMeansPlusPlusPainter(Painter):
    identity = True
    side_title = "potential: sum of D²"

    def __init__(self, trace, ctx):
        super().__init__(trace, ctx)
        # One scatter, not the shared points layer: each point's size is its own.
        self.dots = self.ax.scatter(self.xy[:, 0], self.xy[:, 1], linewidths=0, zorder=2)
        self.trials = self._markers("o", 17, face="none", edge=style.INK, width=1.1, z=3)
        self.chosen = self._markers("o", 23, face="none", edge=style.HIGHLIGHT, width=2.4, z=3)
        self.crosses = [
            self._markers("X", 13, face=None, edge=style.BACKGROUND, width=1.3, z=4)
            for _ in self.trace.final.indices
        ]
        ctx.canvas.animate(self.dots, self.trials, self.chosen, *self.crosses)
        self._setup_side()

    def _markers(self, marker, size, face, edge, width, z):
        return self.ax.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker=marker,
                markersize=size,
                markerfacecolor=face,
                markeredgecolor=edge,
                markeredgewidth=width,
                zorder=z,
            )
        )

    def _setup_side(self):
        side = self.panel.side
        self.curve = self.marker = self.weighed = None
        if side is None:
            return
        steps = self.trace.steps
        highest = max(max(s.trial_potentials.max(), s.potential) for s in steps)
        side.set_xlim(0.5, len(steps) + 0.5)
        side.set_ylim(0, highest * 1.08)
        side.set_xlabel("centres chosen", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        side.xaxis.get_major_locator().set_params(integer=True)
        side.yaxis.set_major_formatter(lambda v, _: format_number(v))
        side.grid(color=style.GRID, lw=0.6)
        self.curve, self.marker = score_curve(side)
        # The candidates of the current centre, each at the potential it would leave.
        self.weighed = side.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                markersize=6,
                markerfacecolor="none",
                markeredgecolor=style.INK,
                markeredgewidth=1.0,
            )
        )
        self.canvas.animate(self.curve, self.marker, self.weighed)

    def show(self, index):
        step = self.trace.steps[index]
        slots = self.slots_of(index)
        mapping = self.slots[index]
        self.dots.set_facecolors(style.cluster_rgb(slots))
        self.dots.set_sizes(_areas(step.weights, point_size(len(self.xy))))
        trials = self.xy[step.trials]
        # The first centre is drawn uniformly: there is no candidate to ring.
        self.trials.set_data(*(trials.T if index else ([], [])))
        self.chosen.set_data([self.xy[step.chosen, 0]], [self.xy[step.chosen, 1]])
        for j, cross in enumerate(self.crosses):
            shown = j < len(step.indices)
            xy = self.xy[step.indices[j]] if shown else (np.nan, np.nan)
            cross.set_data([xy[0]], [xy[1]])
            cross.set_markerfacecolor(style.cluster_colour(mapping.get(j, j)))
        if self.curve is not None:
            potentials = [s.potential for s in self.trace.steps[: index + 1]]
            xs = np.arange(1, index + 2)
            self.curve.set_data(xs, potentials)
            self.marker.set_data(xs[-1:], potentials[-1:])
            weighed = step.trial_potentials if index else []
            self.weighed.set_data(np.full(len(weighed), index + 1), weighed)

    def title(self):
        k = len(self.trace.final.indices)
        trials = self.trace.params["n_local_trials"]
        trials = 2 + int(np.log(k)) if trials is None else trials
        candidates = "1 candidate" if trials == 1 else f"{trials} candidates"
        return Title("k-means++ seeding", (f"k = {k}", f"{candidates} per centre"))

    def outcome(self):
        return f"potential {format_number(self.trace.final.potential)}"

    def status(self, index):
        step = self.trace.steps[index]
        return (
            f"centre {len(step.indices)} of {len(self.trace.final.indices)} · "
            f"potential {format_number(step.potential)}"
        )


def _areas(weights, diameter):
    """Marker area (points²) of every point: area grows with its probability."""
    top = weights.max()
    if top == weights.min():
        return np.full(len(weights), (diameter * (_EVEN if top > 0 else _SMALLEST)) ** 2)
    smallest, largest = (diameter * _SMALLEST) ** 2, (diameter * _LARGEST) ** 2
    return smallest + (largest - smallest) * weights / top

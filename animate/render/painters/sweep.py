"""A parameter sweep over time: each frame one value's final clusters, and beside
them the number of clusters against the parameter, drawn as the sweep goes on."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from animate.algorithms import DISPLAY_NAMES
from animate.errors import UserError
from animate.render import style
from animate.render.painters.base import Painter, Title, format_number, paints, score_curve
from animate.render.painters.choosing import ScoreBars, ScoreCurves, SilhouettePlot
from animate.sweep import plural, short


@paints("sweep")
class SweepPainter(Painter):
    """Final labels per parameter value, centres as crosses, and beside them, by ``side_plot``:

    - "clusters": the number of clusters against the parameter;
    - "elbow": for a sweep of the number of clusters, the within-cluster sum of
      squares with its elbow, the mean silhouette, and for EM the BIC and AIC;
    - "silhouette": the same sweep's per-point silhouettes at each k;
    - "scores": the same sweep's homogeneity, completeness, V-measure and ARI
      at each k (the data must have true labels).
    """

    side_title = "clusters"
    points_layer = True

    def __init__(self, trace, ctx, side_plot="clusters"):
        _check_side(trace, side_plot)
        super().__init__(trace, ctx)
        canvas = ctx.canvas
        self.centres = self.ax.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="X",
                markersize=9,
                markerfacecolor=style.INK,
                markeredgecolor=style.BACKGROUND,
                markeredgewidth=1.0,
                zorder=4,
            )
        )
        canvas.animate(self.centres)
        self.positions = _positions(trace.params["values"])
        self.counts = np.array([step.n_clusters for step in trace.steps], dtype=float)
        self.choosing = None
        if ctx.panel.side is None or side_plot == "clusters":
            self._setup_side()
        elif side_plot == "elbow":
            self.curve = None
            self.choosing = ScoreCurves(self, self.positions[0])
        else:
            self.curve = None
            plots = {"silhouette": SilhouettePlot, "scores": ScoreBars}
            self.choosing = plots[side_plot](self)

    def _setup_side(self):
        side = self.panel.side
        self.curve = self.dot = None
        if side is None:
            return
        values, logx = self.positions
        side.set_xscale("log" if logx else "linear")
        # A count from 1 to a hundred reads best on a log axis; zero clusters cannot.
        logy = self.counts.max() >= 20 and self.counts.min() >= 1
        side.set_yscale("log" if logy else "linear")
        pad = 1.15 if logx else (values.max() - values.min()) * 0.06 or 0.5
        low, high = (
            (values.min() / pad, values.max() * pad)
            if logx
            else (values.min() - pad, values.max() + pad)
        )
        side.set_xlim(low, high)
        top = self.counts.max()
        side.set_ylim((0.8, top * 1.4) if logy else (0, top * 1.08 + 1))
        side.set_xlabel(
            self.trace.params["parameter"], fontsize=style.FONT_SIZES["tick"], color=style.MUTED
        )
        side.grid(color=style.GRID, lw=0.6)
        for axis in (side.xaxis, side.yaxis):
            axis.set_major_formatter(lambda v, _: f"{v:g}")
        if not logy:
            side.yaxis.set_major_locator(MaxNLocator(integer=True))
        if not _numeric(self.trace.params["values"]):
            side.set_xticks(values, [short(v) for v in self.trace.params["values"]])
        self.curve, self.dot = score_curve(side)
        self.canvas.animate(self.curve, self.dot)

    def show(self, index):
        step = self.trace.steps[index]
        self.points.show(self.slots_of(index), noise=step.labels < 0)
        centres = self.view.points(step.centers) if "centers" in step.fields else np.empty((0, 2))
        self.centres.set_data(centres[:, 0], centres[:, 1])
        # A hundred full-size crosses would hide the points they summarise.
        self.centres.set_markersize(9 * np.clip(np.sqrt(6 / max(len(centres), 1)), 0.4, 1.0))
        if self.choosing is not None:
            self.choosing.show(index)
        if self.curve is not None:
            xs = self.positions[0][: index + 1]
            self.curve.set_data(xs, self.counts[: index + 1])
            self.dot.set_data(xs[-1:], self.counts[index : index + 1])

    def title(self):
        params = self.trace.params
        values = params["values"]
        name, parameter = DISPLAY_NAMES[params["algorithm"]], params["parameter"]
        if not _numeric(values):
            return Title(name, (f"{parameter}: {' / '.join(short(v) for v in values)}",))
        return Title(name, (f"{parameter} from {short(values[0])} to {short(values[-1])}",))

    def outcome(self):
        low, high = int(self.counts.min()), int(self.counts.max())
        return f"{low} to {high} clusters" if low != high else f"always {plural(low, 'cluster')}"

    def status(self, index):
        step = self.trace.steps[index]
        state = "" if step.converged else " · not converged"
        clusters = plural(step.n_clusters, "cluster")
        scores = "".join(
            f" · {name} {format_number(step.fields[key])}"
            for key, name in _SCORES
            if key in step.fields and not np.isnan(step.fields[key])
        )
        return f"{self.trace.params['parameter']} = {short(step.value)} · {clusters}{scores}{state}"


# What a sweep of the number of clusters carries, as the status line names it.
_SCORES = (("inertia", "within-cluster SS"), ("silhouette", "silhouette"), ("bic", "BIC"))


def _check_side(trace, side_plot):
    if side_plot not in ("clusters", "elbow", "silhouette", "scores"):
        raise UserError(
            f"side_plot must be 'clusters', 'elbow', 'silhouette' or 'scores', got {side_plot!r}"
        )
    if side_plot != "clusters" and "inertia" not in trace.steps[0].fields:
        raise UserError(
            f"side_plot = {side_plot!r} needs a sweep of the number of clusters; sweep "
            "n_clusters (n_components for em) or leave side_plot out"
        )
    if side_plot == "scores" and "ari" not in trace.steps[0].fields:
        raise UserError("side_plot = 'scores' compares with true labels; use data that has them")


def _numeric(values):
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _positions(values):
    """x positions of the values on the side panel, and whether the axis is logarithmic.

    Values spanning more than a factor of ten are spread on a log axis; text
    values are placed at 0, 1, 2...
    """
    if not _numeric(values):
        return np.arange(len(values), dtype=float), False
    positions = np.asarray(values, dtype=float)
    logx = bool(positions.min() > 0 and positions.max() / positions.min() > 10)
    return positions, logx

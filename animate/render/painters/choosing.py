"""Side panels of a sweep over the number of clusters: how to choose k.

``ScoreCurves`` draws the within-cluster sum of squares against k with its
elbow marked, the mean silhouette against k, and for EM the BIC and AIC, one
small plot above the other. ``ScoreBars`` draws the current k's homogeneity,
completeness, V-measure and ARI side by side. ``SilhouettePlot`` draws the current k's
per-point silhouettes as scikit-learn's silhouette-analysis example does. Both
draw only what the sweep's steps carry (see :mod:`animate.choosing`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D

from animate.render import style
from animate.render.painters.base import format_number, score_curve

_GAP = 0.045  # between stacked plots, as a share of the figure's height
# Between clusters in the silhouette plot, in rows of points, as in scikit-learn's example.
_ROWS_BETWEEN = 10


def _stacked_axes(painter, count):
    """``count`` axes one above the other in the room of the painter's side axes."""
    side = painter.panel.side
    side.set_visible(False)
    box = side.get_position()
    height = (box.height - _GAP * (count - 1)) / count
    axes = []
    for i in range(count):
        y0 = box.y0 + (count - 1 - i) * (height + _GAP)
        ax = painter.canvas.figure.add_axes((box.x0, y0, box.width, height))
        for spine in ax.spines.values():
            spine.set_color(style.GRID)
        ax.tick_params(labelsize=style.FONT_SIZES["tick"], colors=style.MUTED)
        ax.grid(color=style.GRID, lw=0.6)
        axes.append(ax)
    return axes


def _small_title(ax, text):
    ax.set_title(text, fontsize=style.FONT_SIZES["status"], color=style.INK, pad=3)


def _ring(ax):
    return ax.add_line(
        Line2D(
            [],
            [],
            ls="none",
            marker="o",
            markersize=13,
            markerfacecolor="none",
            markeredgecolor=style.HIGHLIGHT,
            markeredgewidth=1.6,
        )
    )


class ScoreCurves:
    """Within-cluster sum of squares (elbow marked), mean silhouette, and BIC/AIC for EM."""

    def __init__(self, painter, positions):
        self.painter, self.steps = painter, painter.trace.steps
        self.xs = positions
        mixture = "bic" in self.steps[0].fields
        axes = _stacked_axes(painter, 3 if mixture else 2)
        parameter = painter.trace.params["parameter"]
        axes[-1].set_xlabel(parameter, fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        for ax in axes[:-1]:
            ax.tick_params(labelbottom=False)
        inertia = np.array([s.inertia for s in self.steps])
        silhouette = np.array([s.silhouette for s in self.steps])
        _small_title(axes[0], "within-cluster sum of squares")
        _small_title(axes[1], "mean silhouette (higher is better)")
        self.curves = [
            self._curve(axes[0], inertia, 0),
            self._curve(axes[1], silhouette, None),
        ]
        if mixture:
            _small_title(axes[2], "BIC and AIC (lower is better)")
            bic = np.array([s.bic for s in self.steps])
            aic = np.array([s.aic for s in self.steps])
            self.curves.append(self._curve(axes[2], np.r_[bic, aic], None, values=bic))
            self.curves.append(self._curve(axes[2], aic, None, dashed=True))
            axes[2].legend(
                [self.curves[-2][0], self.curves[-1][0]],
                ["BIC", "AIC"],
                fontsize=style.FONT_SIZES["tick"],
                frameon=False,
                loc="upper right",
            )
        self._elbow(axes[0], inertia)

    def _curve(self, ax, span, floor, values=None, dashed=False):
        """A growing line with its current dot; y limits from ``span`` (NaN ignored)."""
        values = span if values is None else values
        ax.set_xlim(self.xs.min() - 0.5, self.xs.max() + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)
        low, high = np.nanmin(span), np.nanmax(span)
        pad = (high - low) * 0.1 or 1.0
        ax.set_ylim(low - pad if floor is None else floor, high + pad)
        ax.yaxis.set_major_formatter(lambda v, _: format_number(v))
        ax.yaxis.get_major_locator().set_params(nbins=4)
        curve, dot = score_curve(ax)
        if dashed:
            curve.set_linestyle("--")
        self.painter.canvas.animate(curve, dot)
        return curve, dot, values

    def _elbow(self, ax, inertia):
        """The elbow, ringed and named, shown once the sweep has drawn the whole curve."""
        at = self.steps[-1].elbow
        self.elbow_ring = _ring(ax)
        self.elbow_text = ax.text(
            0.97, 0.9, "", transform=ax.transAxes, ha="right", va="top",
            fontsize=style.FONT_SIZES["status"], color=style.INK,
        )  # fmt: skip
        self.elbow_at = None
        if at is not None:
            index = [s.value for s in self.steps].index(at)
            self.elbow_at = (self.xs[index], inertia[index], at)
        self.painter.canvas.animate(self.elbow_ring, self.elbow_text)

    def show(self, index):
        xs = self.xs[: index + 1]
        for curve, dot, values in self.curves:
            curve.set_data(xs, values[: index + 1])
            dot.set_data(xs[-1:], values[index : index + 1])
        done = index == len(self.steps) - 1 and self.elbow_at is not None
        x, y, k = self.elbow_at if done else (np.nan, np.nan, None)
        self.elbow_ring.set_data([x], [y])
        self.elbow_text.set_text(f"elbow: k = {k}" if done else "")


class SilhouettePlot:
    """The current k's silhouettes: each cluster's points sorted, as bars in its colour,
    clusters stacked, the mean as a dashed line."""

    def __init__(self, painter):
        self.painter, self.steps = painter, painter.trace.steps
        (ax,) = _stacked_axes(painter, 1)
        ax.grid(False)
        _small_title(ax, "silhouette of every point, by cluster")
        lowest = np.nanmin(np.concatenate([s.silhouette_samples for s in self.steps]))
        low = min(-0.1, lowest - 0.05)
        ax.set_xlim(low, 1.0)
        most = max(s.n_clusters for s in self.steps)
        stacked = len(painter.xy) + (most + 1) * _ROWS_BETWEEN
        ax.set_ylim(0, stacked * 1.08)
        ax.set_yticks([])
        ax.set_xlabel(
            "silhouette coefficient", fontsize=style.FONT_SIZES["tick"], color=style.MUTED
        )
        ax.axvline(0, color=style.MUTED, lw=0.8)
        self.bars = PolyCollection([], linewidths=0)
        ax.add_collection(self.bars)
        self.mean = ax.add_line(Line2D([], [], color=style.INK, ls="--", lw=1.2))
        # Over the stacked bars, in the room left free for it.
        self.mean_text = ax.text(
            0, 0.99, "", transform=ax.get_xaxis_transform(), ha="left", va="top",
            fontsize=style.FONT_SIZES["tick"], color=style.INK,
        )  # fmt: skip
        self.ax = ax
        painter.canvas.animate(self.bars, self.mean, self.mean_text)

    def show(self, index):
        step = self.steps[index]
        samples, labels = step.silhouette_samples, step.labels
        slots = self.painter.slots_of(index)
        polygons, colours = [], []
        bottom = _ROWS_BETWEEN
        if not np.isnan(step.silhouette):
            for cluster in np.unique(labels[labels >= 0]):
                members = labels == cluster
                values = np.sort(samples[members])
                polygons.append(_bar_outline(values, bottom))
                colours.append(style.cluster_colour(slots[members][0]))
                bottom += len(values) + _ROWS_BETWEEN
        self.bars.set_verts(polygons)
        self.bars.set_facecolors(colours)
        mean = step.silhouette
        self.mean.set_data([mean, mean], self.ax.get_ylim())
        self.mean_text.set_x(mean if not np.isnan(mean) else 0)
        self.mean_text.set_text("" if np.isnan(mean) else f" mean {mean:.2f}")


def _bar_outline(values, bottom):
    """One horizontal bar per sorted value, rows ``bottom``, ``bottom + 1``..., as one polygon."""
    rows = bottom + np.arange(len(values) + 1)
    edge = np.column_stack([np.repeat(values, 2), np.repeat(rows, 2)[1:-1]])
    return np.vstack([[0, rows[0]], edge, [0, rows[-1]]])


class ScoreBars:
    """The current clustering's scores against the true labels, one bar each, side by side."""

    NAMES = ("homogeneity", "completeness", "V-measure", "ARI")

    def __init__(self, painter):
        from animate.choosing import LABEL_SCORES

        self.steps, self.keys = painter.trace.steps, LABEL_SCORES
        (ax,) = _stacked_axes(painter, 1)
        ax.grid(axis="x", visible=False)
        _small_title(ax, "scores against the true labels")
        lowest = min(min(*(s.fields[k] for k in self.keys), *s.random_scores) for s in self.steps)
        ax.set_ylim(min(0.0, lowest) - 0.05, 1.12)
        ax.set_xlim(-0.6, len(self.keys) - 0.4)
        ax.set_xticks(range(len(self.keys)), self.NAMES, fontsize=style.FONT_SIZES["tick"])
        ax.axhline(0, color=style.MUTED, lw=0.8)
        colours = style.CLUSTER_COLOURS[: len(self.keys)]
        self.bars = ax.bar(
            range(len(self.keys)), np.zeros(len(self.keys)), color=colours, width=0.6
        )
        self.values = [
            ax.text(i, 0, "", ha="center", va="bottom", fontsize=style.FONT_SIZES["tick"],
                    color=style.INK)
            for i in range(len(self.keys))
        ]  # fmt: skip
        # Each score of a random clustering of the same sizes, as a tick across its bar.
        self.chance = ax.add_line(
            Line2D([], [], ls="none", marker="_", markersize=34, markeredgewidth=2.0,
                   color=style.INK, label="random labels, same cluster sizes")
        )  # fmt: skip
        ax.legend(handles=[self.chance], loc="upper center", fontsize=style.FONT_SIZES["tick"],
                  frameon=False, markerscale=0.5, bbox_to_anchor=(0.5, 1.0))  # fmt: skip
        painter.canvas.animate(*self.bars, *self.values, self.chance)

    def show(self, index):
        step = self.steps[index]
        for bar, text, key in zip(self.bars, self.values, self.keys):
            value = step.fields[key]
            bar.set_height(value)
            text.set_y(max(value, 0) + 0.01)
            text.set_text(f"{value:.2f}")
        self.chance.set_data(np.arange(len(self.keys)), step.random_scores)

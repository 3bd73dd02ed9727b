"""What named data adds to a panel: the axes' names and a legend of the true classes.

A DataFrame or a CSV file with a header names its features; labels given as
text or categories name the classes (``Trace.feature_names``, ``Trace.label_names``).
"""

from __future__ import annotations

from matplotlib import patheffects
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from animate.render import style
from animate.render.painters.base import framed_legend
from animate.render.projection import emptiest_corner


def name_panel(painter, n_panels):
    """Name the axes of ``painter``'s data panel and, alone in the figure, the true classes."""
    trace, ax = painter.trace, painter.ax
    if trace.feature_names is not None:
        name_axes(ax, painter.canvas, painter.view.axis_labels(trace.feature_names))
    if trace.label_names is not None and n_panels == 1:
        class_legend(painter, trace.label_names)


def name_axes(ax, canvas, labels):
    """Write ``labels`` (x, y) inside the bottom and left edges of ``ax``, over what a
    painter draws there (Voronoi cells, ellipses), on a white halo."""
    common = {
        "transform": ax.transAxes,
        "fontsize": style.FONT_SIZES["tick"],
        "color": style.INK,
        "zorder": 4,
        "path_effects": [patheffects.withStroke(linewidth=2.5, foreground=style.BACKGROUND)],
    }
    x_label, y_label = labels
    texts = [ax.text(0.5, 0.012, x_label, ha="center", va="bottom", **common)]
    if y_label:
        texts.append(ax.text(0.012, 0.5, y_label, ha="left", va="center", rotation=90, **common))
    canvas.animate(*texts)


def class_legend(painter, label_names):
    """A legend of the true classes in the colour of the cluster matched to each.

    Colours are matched to the true labels, so class k's matching cluster
    is drawn in colour slot k. Goes in the emptiest corner no other legend holds.
    """
    ax = painter.ax
    size = 5.0
    handles = [
        Line2D(
            [],
            [],
            ls="none",
            marker=style.cluster_marker(k),
            markersize=size,
            color=style.cluster_colour(k),
        )
        for k in range(len(label_names))
    ]
    taken = [_corner(legend) for legend in _legends(ax)]
    corner = emptiest_corner(painter.xy, ax.get_xlim(), ax.get_ylim(), taken)
    framed_legend(
        ax,
        painter.canvas,
        handles,
        list(label_names),
        alongside=True,
        loc=corner,
        title="true classes",
        title_fontsize=style.FONT_SIZES["tick"],
        borderpad=0.4,
    )


def _legends(ax):
    return [a for a in [ax.get_legend(), *ax.artists] if isinstance(a, Legend)]


def _corner(legend):
    codes = {code: name for name, code in Legend.codes.items()}
    return codes.get(legend._loc, "")

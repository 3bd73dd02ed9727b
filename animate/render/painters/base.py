"""What every painter shares: the points layer, colours per step, the common text."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from animate.render import style
from animate.render.colours import as_slots, colour_slots


class ClusterPoints:
    """The data points coloured by cluster, as one marker-only line per (colour, shape).

    Lines are ~10x faster to draw than a scatter of the same points. Slot -1
    draws in the unassigned grey; noise (``noise`` mask) as small grey crosses.
    """

    def __init__(self, ax, xy, canvas, size=4.0):
        self.ax, self.xy = ax, xy
        n_colours, n_shapes = len(style.CLUSTER_COLOURS), len(style.CLUSTER_MARKERS)
        self.lines = {}
        for shape in range(n_shapes):
            for colour in range(n_colours):
                slot = shape * n_colours + colour
                self.lines[slot] = self._line(
                    style.cluster_colour(slot),
                    style.cluster_marker(slot),
                    size,
                    edge=style.INK if colour == 6 else None,
                )
        self.unassigned = self._line(style.UNASSIGNED, "o", size * 0.85)
        # A cross is drawn by its edge alone: without an edge width it is invisible.
        self.noise = self._line(style.NOISE, "x", size * 0.9, edge=style.NOISE, edge_width=1.0)
        canvas.animate(self.unassigned, self.noise, *self.lines.values())

    def _line(self, colour, marker, size, edge=None, edge_width=0.4):
        line = Line2D(
            [],
            [],
            linestyle="none",
            marker=marker,
            markersize=size,
            markerfacecolor=colour,
            markeredgecolor=edge or colour,
            markeredgewidth=edge_width if edge else 0.0,
            zorder=2,
        )
        self.ax.add_line(line)
        return line

    def show(self, slots, noise=None):
        """Colour point i with ``slots[i]`` (-1: not assigned yet); ``noise`` marks noise."""
        slots = np.asarray(slots)
        cycle = len(self.lines)
        keys = np.where(slots >= 0, slots % cycle, -1)
        if noise is not None:
            keys = np.where(noise, -2, keys)
        order = np.argsort(keys, kind="stable")
        bounds = np.searchsorted(keys[order], np.arange(-2, cycle + 1))
        groups = {key: order[bounds[i] : bounds[i + 1]] for i, key in enumerate(range(-2, cycle))}
        for key, line in ((-2, self.noise), (-1, self.unassigned), *self.lines.items()):
            idx = groups[key]
            line.set_data(self.xy[idx, 0], self.xy[idx, 1])
            # Hidden lines are skipped when drawing: most slots are empty most of the time.
            line.set_visible(len(idx) > 0)


class Painter:
    """Draws one trace in one panel: artists made once, then updated by :meth:`show`.

    Subclasses set ``identity`` (labels name the same cluster in every step),
    ``focus`` ("head" or "tail": which end of a long trace to show one step at
    a time) and ``side_title`` (the diagnostic panel's title, or None).
    """

    identity = False
    focus = "head"
    side_title = None

    def __init__(self, trace, panel, canvas, view, limits, indices, anchor=None):
        self.trace, self.panel, self.canvas, self.view = trace, panel, canvas, view
        self.ax = panel.data
        self.ax.set_xlim(*limits[0])
        self.ax.set_ylim(*limits[1])
        self.xy = view.points(trace.X)
        labels = [trace.steps[i].labels for i in indices]
        self.slots = dict(zip(indices, colour_slots(labels, anchor, self.identity)))
        self.points = ClusterPoints(self.ax, self.xy, canvas, size=point_size(len(self.xy)))
        if panel.side is not None and self.side_title:
            panel.side.set_title(
                self.side_title, fontsize=style.FONT_SIZES["panel"], color=style.INK
            )

    @classmethod
    def extent(cls, trace, view):
        """Points (m, 2) the panel's fixed axis limits must hold: by default the data."""
        return view.points(trace.X)

    def slots_of(self, index, labels=None):
        """Colour slot of every point at step ``index``."""
        step_labels = self.trace.steps[index].labels if labels is None else labels
        return as_slots(step_labels, self.slots[index])

    def tweens(self, index):
        """In-between frames drawn on the way into step ``index`` (none by default)."""
        return 0

    def show_between(self, index, fraction):
        """The way into step ``index``, ``fraction`` (0 to 1) of it done: see :meth:`tweens`."""
        raise NotImplementedError

    def weight(self, index):
        """How long step ``index`` lasts relative to the base step duration."""
        return 1.0

    def show(self, index):
        """Update the artists to step ``index``."""
        raise NotImplementedError

    def title(self):
        """The panel's title: algorithm and its key parameters."""
        raise NotImplementedError

    def outcome(self):
        """The run's result in a few words ("4 clusters, inertia 123.4")."""
        raise NotImplementedError

    def status(self, index):
        """The status line at step ``index`` ("iteration 3 of 7 · inertia 1,234")."""
        raise NotImplementedError


def score_curve(side):
    """The score-per-iteration line and its current-value dot, added to the side axes."""
    curve = side.add_line(Line2D([], [], color=style.INK, lw=1.2, marker="o", markersize=3))
    dot = side.add_line(
        Line2D(
            [],
            [],
            ls="none",
            marker="o",
            markersize=7,
            markerfacecolor=style.CLUSTER_COLOURS[3],
            markeredgecolor=style.INK,
        )
    )
    return curve, dot


def point_size(n_points):
    # Markers shrink as points multiply so that clusters stay readable.
    return float(np.clip(9.0 / n_points**0.25, 2.2, 6.5))


def format_number(value):
    """A score for the status line: 3 significant figures, thousands separated."""
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"

"""What every painter shares: the points layer, colours per step, the common text."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from animate.render import style
from animate.render.colours import as_slots, colour_slots
from animate.render.projection import edge_counts, emptiest_corner
from animate.render.timeline import KEY_HOLD


class ClusterPoints:
    """The data points coloured by cluster, as one marker-only line per (colour, shape).

    Lines are ~10x faster to draw than a scatter of the same points. Slot -1
    draws in the unassigned grey; noise (``noise`` mask) as small grey crosses.
    A colour slot's line is made the first time a point takes that slot (most
    of the 49 never are), and all are drawn by one artist, in slot order.
    """

    def __init__(self, ax, xy, canvas, size=4.0, slots=None):
        self.ax, self.xy, self.size = ax, xy, size
        self.cycle = len(style.CLUSTER_COLOURS) * len(style.CLUSTER_MARKERS)
        self.lines = {}
        self.alpha, self.props = None, {}
        # The points each line shows now, and of which coordinates.
        self._shown, self._shown_xy = {}, None
        # Lines for the slots known to occur (``slots``) are made at once; others when used.
        for slot in sorted({int(s) % self.cycle for s in slots or ()}):
            self._slot_line(slot)
        self.unassigned = self._line(style.UNASSIGNED, "o", size * 0.85)
        # A cross is drawn by its edge alone: without an edge width it is invisible.
        self.noise = self._line(style.NOISE, "x", size * 0.9, edge=style.NOISE, edge_width=1.0)
        # Grey points and coloured ones are two artists, so that the coloured can be
        # lifted above other artists (``restyle(zorder=...)``) as their lines once were.
        self.greys = _Layer(lambda: [self.unassigned, self.noise])
        self.colours = _Layer(lambda: [self.lines[s] for s in sorted(self.lines)])
        self.canvas = canvas
        canvas.animate(self.greys, self.colours)

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
        # Drawn by the layer over the cached background, never into it.
        line.set_animated(True)
        return line

    def _slot_line(self, slot):
        if slot not in self.lines:
            line = self._line(
                style.cluster_colour(slot),
                style.cluster_marker(slot),
                self.size,
                edge=style.cluster_edge(slot),
            )
            line.set_alpha(self.alpha)
            line.set(**self.props)
            self.lines[slot] = line
        return self.lines[slot]

    def restyle(self, zorder=None, **props):
        """Line properties (``markeredgecolor=...``) of every colour slot's line, made
        now or later; ``zorder`` lifts the coloured points among the other artists."""
        self.props.update(props)
        for line in self.lines.values():
            line.set(**props)
        if zorder is not None:
            self.colours.set_zorder(zorder)
            self.canvas.animate()  # sorts the animated artists again

    def scale_markers(self, factor):
        """Every point's marker ``factor`` times larger, grey ones included."""
        self.size *= factor
        for line in (*self.lines.values(), self.unassigned, self.noise):
            line.set_markersize(line.get_markersize() * factor)

    def set_alpha(self, alpha):
        """The opacity of the coloured and unassigned points (noise keeps its own)."""
        self.alpha = alpha
        for line in (*self.lines.values(), self.unassigned):
            line.set_alpha(alpha)

    def show(self, slots, noise=None):
        """Colour point i with ``slots[i]`` (-1: not assigned yet); ``noise`` marks noise."""
        slots = np.asarray(slots)
        keys = np.where(slots >= 0, slots % self.cycle, -1)
        if noise is not None:
            keys = np.where(noise, -2, keys)
        order = np.argsort(keys, kind="stable")
        used, starts = np.unique(keys[order], return_index=True)
        groups = dict(zip(used.tolist(), np.split(order, starts[1:])))
        for slot in used[used >= 0].tolist():
            self._slot_line(slot)
        if self.xy is not self._shown_xy:
            self._shown, self._shown_xy = {}, self.xy
        for key, line in ((-2, self.noise), (-1, self.unassigned), *self.lines.items()):
            idx = groups.get(key, order[:0])
            # New data makes matplotlib rebuild the line's path: only when it changed.
            if not np.array_equal(idx, self._shown.get(key)):
                line.set_data(self.xy[idx, 0], self.xy[idx, 1])
                self._shown[key] = idx
            # Hidden lines are skipped when drawing: most slots are empty most of the time.
            line.set_visible(len(idx) > 0)


class _Layer(Artist):
    """One animated artist that draws the visible lines ``lines()`` gives, in order."""

    def __init__(self, lines):
        super().__init__()
        self.lines = lines
        self.set_zorder(2)

    def draw(self, renderer):
        for line in self.lines():
            if line.get_visible():
                line.draw(renderer)


_PAINTERS = {}


def paints(*algorithms, kind=None):
    """Class decorator: the painter draws traces of ``algorithms`` (canonical names).

    With ``kind`` ("photo", "digits": a trace's ``data_kind``) it draws only
    traces of that kind of data, and is chosen over the algorithm's own painter
    for them: ``@paints("kmeans", "minibatch", kind="photo")``.
    """

    def register(cls):
        cls.algorithm, cls.kind = algorithms[0], kind
        for algorithm in algorithms:
            _PAINTERS[algorithm, kind] = cls
        return cls

    return register


@dataclass(frozen=True)
class PanelContext:
    """Where and how a painter draws: everything it is given besides the trace.

    Attributes
    ----------
    panel : Panel
        Its axes (``data``, ``side`` or None) and text slots (``title``, ``status``).
    canvas : Canvas
        The figure; register changing artists with ``canvas.animate``.
    view : View
        The projection of the data onto the picture's plane.
    limits : ((x0, x1), (y0, y1))
        Fixed axis limits for the whole animation.
    indices : list of int
        The steps that will be shown, in order.
    anchor : ndarray or None
        Labels to match colours to (true labels, or the first panel's answer).
    n_panels : int
        Panels in the figure: a painter alone may draw more (names, legends).
    narrated : bool
        Whether the caption under the figure tells this panel's steps.
    """

    panel: object
    canvas: object
    view: object
    limits: tuple
    indices: list
    anchor: object = None
    n_panels: int = 1
    narrated: bool = True


class Painter:
    """Draws one trace in one panel: artists made once, then updated by :meth:`show`.

    Subclasses set ``identity`` (labels name the same cluster in every step),
    ``focus`` ("head" or "tail": which end of a long trace to show one step at
    a time), ``side_title`` (the diagnostic panel's title, or None) and
    ``points_layer`` (True to get ``self.points``, the data coloured by cluster;
    painters that draw points their own way leave it False). They take their
    own options as keyword arguments after ``ctx``.
    """

    identity = False
    focus = "head"
    side_title = None
    points_layer = False

    def __init__(self, trace, ctx):
        self.trace, self.ctx = trace, ctx
        self.panel, self.canvas, self.view = ctx.panel, ctx.canvas, ctx.view
        self.ax = ctx.panel.data
        self.ax.set_xlim(*ctx.limits[0])
        self.ax.set_ylim(*ctx.limits[1])
        self.xy = ctx.view.points(trace.X)
        labels = [trace.steps[i].labels for i in ctx.indices]
        self.slots = dict(zip(ctx.indices, colour_slots(labels, ctx.anchor, self.identity)))
        # Every colour slot the shown steps use: point layers need a line for each.
        self.used_slots = {slot for mapping in self.slots.values() for slot in mapping.values()}
        if self.points_layer:
            # Data points keep their size in pixels when the canvas scales its text up.
            size = point_size(len(self.xy)) / getattr(ctx.canvas, "scale", 1.0)
            self.points = ClusterPoints(self.ax, self.xy, ctx.canvas, size, self.used_slots)
        panel = ctx.panel
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
        """How long step ``index`` lasts relative to the base step duration: a key
        step (see :meth:`key`) holds longer."""
        return KEY_HOLD if self.key(index) else 1.0

    def key(self, index):
        """What makes step ``index`` a key moment the animation dwells on (a first
        assignment, a relocation, convergence, "not converged"), or None."""
        return None

    def change(self, index):
        """How much step ``index`` changes the picture from step ``index - 1``, in
        pixels moved, a point recoloured counting ``RECOLOURED_PX``; inf when
        anything else changes (0 for the first step). Steps that together change
        less than :data:`~animate.render.timeline.QUIET_PX` get no frame of their
        own. A painter says how in :meth:`step_change`."""
        if index == 0:
            return 0.0
        return self.step_change(self.trace.steps[index - 1], self.trace.steps[index], index)

    def step_change(self, before, now, index):
        """:meth:`change` from step ``before`` to step ``now`` (at ``index``). By
        default every step counts."""
        return math.inf

    def pixels(self, distance):
        """A distance in the data's (projected) units, in pixels on the canvas."""
        box = self.ax.get_position()
        (x0, x1) = self.ctx.limits[0]
        return distance * box.width * self.canvas.size[0] / (x1 - x0)

    def caption(self, index):
        """The caption of step ``index`` when this panel is narrated: by default the
        step's message; a painter that draws less than the message counts says so."""
        return self.trace.steps[index].message

    def show(self, index):
        """Update the artists to step ``index``."""
        raise NotImplementedError

    def title(self):
        """The panel's :class:`Title`: the algorithm and its key parameters."""
        raise NotImplementedError

    def outcome(self):
        """The run's result in a few words ("4 clusters, inertia 123.4")."""
        raise NotImplementedError

    def status(self, index):
        """The status line at step ``index`` ("iteration 3 of 7 · inertia 1,234")."""
        raise NotImplementedError


@dataclass(frozen=True)
class Title:
    """A panel title: the algorithm's name and its key parameters, most telling first.

    ``str(title)`` is "name, parameter, parameter"; a grid whose column header
    names the algorithm shows only the parameters.
    """

    name: str
    parameters: tuple = ()

    def __str__(self):
        return ", ".join([self.name, *self.parameters])


def add_key(ax, canvas, xy, entries, loc=None, ncols=1):
    """A compact legend of ``entries`` (label, marker, size, face, edge, extra Line2D
    keywords) in the corner of ``ax`` with the fewest of the points ``xy`` (or at
    ``loc``), in ``ncols`` columns."""
    handles = [
        Line2D(
            [],
            [],
            ls="none",
            marker=marker,
            markersize=size,
            markerfacecolor=face,
            markeredgecolor=edge,
            label=label,
            **extra,
        )
        for label, marker, size, face, edge, extra in entries
    ]
    return framed_legend(
        ax,
        canvas,
        handles,
        loc=loc or emptiest_corner(xy, ax.get_xlim(), ax.get_ylim()),
        ncols=ncols,
        # A marker needs no line's length beside it: a row of entries stays narrow.
        **({"handlelength": 0.8, "columnspacing": 0.8} if ncols > 1 else {}),
    )


def framed_legend(ax, canvas, handles, labels=None, *, alongside=False, **options):
    """A legend in the panels' style: small ink text in an opaque framed box, drawn
    over the animated artists (which are drawn after the cached background).

    ``labels`` default to the handles' own; ``alongside`` adds it beside the axes'
    legend instead of being that legend; ``options`` go to matplotlib's Legend.
    """
    options = {
        "fontsize": style.FONT_SIZES["tick"],
        "frameon": True,
        "framealpha": 1.0,
        "edgecolor": style.GRID,
        "labelcolor": style.INK,
        "handletextpad": 0.3,
        "borderpad": 0.5,
        **options,
    }
    if labels is None:
        labels = [handle.get_label() for handle in handles]
    if alongside:
        legend = Legend(ax, handles, labels, **options)
        ax.add_artist(legend)
    else:
        legend = ax.legend(handles, labels, **options)
    legend.set_zorder(5)
    canvas.animate(legend)
    return legend


def grid_key(ax, canvas, xy, name, entries):
    """The key ``name`` (entries as for :func:`add_key`) that a grid shows once, in one
    row along the top or bottom edge of a panel: of the panels that ask for it, the
    one whose edge holds the fewest of its points ``xy`` (the first on a tie). A panel
    that asks later with more room takes it over: the earlier key is hidden.
    Returns the legend, or None."""
    counts = edge_counts(xy, ax.get_xlim(), ax.get_ylim())
    edge = min(counts, key=counts.get)
    held = canvas.keys_drawn.get(name)
    if held is not None and held[0] <= counts[edge]:
        return None
    if held is not None:
        held[1].set_visible(False)
    legend = add_key(ax, canvas, xy, entries, loc=edge, ncols=len(entries))
    canvas.keys_drawn[name] = (counts[edge], legend)
    return legend


def draw_goal(ax, canvas, xy, truth):
    """A small inset in the top left corner of ``ax``: the points coloured by their
    true groups, so that a wrong answer beside it reads as wrong."""
    inset = ax.inset_axes((0.0, 0.74, 0.26, 0.26))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlim(ax.get_xlim())
    inset.set_ylim(ax.get_ylim())
    inset.set_facecolor(style.BACKGROUND)
    inset.set_zorder(6)
    for spine in inset.spines.values():
        spine.set_color(style.MUTED)
    groups = np.unique(truth)
    for slot, group in enumerate(groups):
        part = xy[truth == group]
        inset.plot(
            part[:, 0],
            part[:, 1],
            ls="none",
            marker="o",
            markersize=1.2,
            color=style.cluster_colour(slot),
        )
    inset.set_title("goal", fontsize=style.FONT_SIZES["tick"], color=style.INK, pad=2, loc="left")
    # Redrawn over the animated regions and ellipses, which would otherwise cover it.
    canvas.animate(inset)
    return inset


class CentreMarks:
    """``k`` trails (where each centre has been) and ``k`` crosses (where it is now)
    added to ``ax``: the marks of every painter whose algorithm moves centres.

    The trails are one line broken between centres (one artist to draw, not k).
    """

    def __init__(self, ax, k, trail_zorder=3):
        self.trails = ax.add_line(
            Line2D([], [], lw=1.2, color=style.MUTED, marker=".", markersize=3, zorder=trail_zorder)
        )
        self.crosses = [
            ax.add_line(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="X",
                    markersize=13,
                    markeredgecolor=style.BACKGROUND,
                    markeredgewidth=1.3,
                    zorder=4,
                )
            )
            for _ in range(k)
        ]

    @property
    def artists(self):
        return [self.trails, *self.crosses]

    def show(self, paths, slots):
        """Centre j has been at ``paths[:, j]`` (oldest first) and is in colour ``slots[j]``."""
        # A row of NaN between centres breaks the line there.
        broken = np.concatenate([paths, np.full((1, *paths.shape[1:]), np.nan)])
        trails = broken.transpose(1, 0, 2).reshape(-1, 2)
        self.trails.set_data(trails[:-1, 0], trails[:-1, 1])
        for cross, position, slot in zip(self.crosses, paths[-1], slots):
            cross.set_data([position[0]], [position[1]])
            cross.set_markerfacecolor(style.cluster_colour(slot))


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


def verdict(trace, index):
    """ "converged" or "not converged" at a trace's last step, else None: the ending
    every painter that marks key steps dwells on."""
    if index != len(trace.steps) - 1:
        return None
    return "converged" if trace.converged else "not converged"


def format_number(value):
    """A score for the status line: 3 significant figures, thousands separated."""
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"

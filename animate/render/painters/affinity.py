"""Affinity propagation: every point tied to its current exemplar, and beside it
the similarity, responsibility, availability and evidence matrices as heat maps."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.markers import MarkerStyle

from animate.errors import UserError
from animate.render import style
from animate.render.painters.base import Painter, Title, format_number, paints, verdict

MATRICES = {
    "similarity": "S  similarity",
    "responsibility": "R  responsibility",
    "availability": "A  availability",
    "evidence": "A + R  evidence",
}
# A few flat levels rather than a smooth ramp: each level is one exact colour that
# the GIF palette keeps, so the maps neither band unevenly nor shimmer between frames.
_LEVELS = style.MAP_LEVELS
# Messages have long tails (an exemplar's self-availability dwarfs the rest):
# their colour scale spans these percentiles of the whole run, the tails saturate.
_CLIP = (1.0, 99.0)
_MARKERS = {
    shape: MarkerStyle(shape).get_path().transformed(MarkerStyle(shape).get_transform())
    for shape in style.CLUSTER_MARKERS
}
# Pixels (at the style's text size) for a matrix's title above it and its colour bar
# below, between two matrices, and the edge strips' width as a share of a matrix.
# Above this many exemplars a step is drawn as a crowd (see AffinityPainter.show).
_CROWDED = 20
_TITLE_PX, _BAR_PX, _GAP_PX, _STRIP, _KEY_PX = 15, 22, 10, 0.045, 16


@paints("affinity")
class AffinityPainter(Painter):
    """Points linked to their exemplar; S, R, A and A + R as heat maps beside them.

    Rows and columns of the matrices are ordered by final cluster, so that the
    clusters show up as blocks; a coloured strip along the top and left edges
    names each block's cluster. The current exemplars are marked on the
    diagonals. Above 100 points the matrices show every k-th point (the
    algorithm's views).

    Parameters
    ----------
    matrices : sequence of str, default: all four
        Which heat maps to show, in order: "similarity", "responsibility",
        "availability", "evidence".
    """

    side_title = "similarity and messages"
    points_layer = True

    def __init__(self, trace, ctx, *, matrices=tuple(MATRICES)):
        super().__init__(trace, ctx)
        panel, canvas, indices = ctx.panel, ctx.canvas, ctx.indices
        matrices = _check_matrices(matrices)
        self.links = LineCollection([], linewidths=0.8, zorder=1)
        self.ax.add_collection(self.links)
        # Exemplars as one collection whose markers change shape with their colour slot,
        # as the points' do: one artist to draw instead of one per (colour, shape).
        point_size = self.points.size
        self.leader_sizes = ((2.3 * point_size + 2) ** 2, (1.3 * point_size + 1) ** 2)
        self.leaders = self.ax.scatter(
            [], [], s=self.leader_sizes[0], edgecolors=style.INK, linewidths=0.9, zorder=3
        )
        self.crowd = _boxed_note(self.ax, "", 0.03, "bottom", "status", style.INK, style.GRID, 2)
        self.verdict = _boxed_note(
            self.ax,
            "not converged",
            0.97,
            "top",
            "title",
            style.HIGHLIGHT,
            style.INK,
            3,
            weight="bold",
        )
        canvas.animate(self.links, self.leaders, self.verdict, self.crowd)
        self.maps = []
        if panel.side is not None:
            self.maps = self._heat_maps(matrices, indices)

    def _heat_maps(self, names, indices):
        """One square axes per matrix inside the side panel's room, each with its own
        colour bar underneath; the side axes hides."""
        side, data = self.panel.side, self.panel.data
        side.set_visible(False)
        width, height = self.canvas.size
        box, data_box = side.get_position(), data.get_position()
        # The side axes leaves room on its left for tick labels that heat maps do not need.
        x0 = box.x0 * width - 40
        bottom = data_box.y0 * height
        # A line under the maps says how to read them.
        key_px = self.canvas.px(_KEY_PX)
        room = (x0, bottom + key_px, box.x1 * width - x0, data_box.height * height - key_px)
        titles = [MATRICES[name] for name in names]
        if names == ["similarity"]:
            titles = [_similarity_title(self.trace)]
        final = self.trace.final
        index = final.fields.get("view_index", np.arange(len(self.xy)))
        rows = Rows(index, _block_order(final.labels[index], final.exemplars))
        strip = self.slots_of(len(self.trace.steps) - 1)[rows.points]
        title_px, bar_px = self.canvas.px(_TITLE_PX), self.canvas.px(_BAR_PX)
        squares = _grid(len(names), room, title_px, bar_px)
        if min(side for *_, side in squares) < 1:  # a picture too small (about 150 px high)
            return []
        maps = []
        for name, title, rect in zip(names, titles, squares):
            ax = self.canvas.figure.add_axes(
                (rect[0] / width, rect[1] / height, rect[2] / width, rect[3] / height)
            )
            ax.set_axis_off()
            _edge_strips(ax, strip, len(index))
            ax.set_title(title, fontsize=style.FONT_SIZES["status"], color=style.INK, pad=3)
            heat_map = HeatMap(ax, name, self.trace, indices, rows, self.canvas)
            bar = (rect[0], rect[1] - bar_px, rect[2], bar_px)
            _colour_bar(self.canvas, bar, *heat_map.image.get_clim(), clipped=name != "similarity")
            maps.append(heat_map)
        self.canvas.figure.text(
            (room[0] + room[2] / 2) / width,
            bottom / height,
            "row i, column k: k as i's exemplar · ● exemplars",
            ha="center",
            va="bottom",
            fontsize=style.FONT_SIZES["tick"],
            color=style.MUTED,
        )
        return maps

    def show(self, index):
        step = self.trace.steps[index]
        slots = self.slots_of(index)
        exemplars = np.asarray(step.exemplars)
        # Dozens of exemplars in 7 colours x 7 shapes tell nothing apart: while they
        # crowd, they are small uniform dots, the points grey, and a count says how many.
        crowded = len(exemplars) > _CROWDED
        self.points.show(np.where(slots >= 0, -1, slots) if crowded else slots)
        self.leaders.set_offsets(self.xy[exemplars].reshape(-1, 2))
        shapes = ["o"] * len(exemplars) if crowded else map(style.cluster_marker, slots[exemplars])
        self.leaders.set_paths([_MARKERS[shape] for shape in shapes])
        self.leaders.set_sizes([self.leader_sizes[crowded]])
        self.leaders.set_linewidths([0 if crowded else 0.9])
        faces = np.array([to_rgb(style.INK)] * len(exemplars)).reshape(-1, 3)
        self.leaders.set_facecolors(faces if crowded else style.cluster_rgb(slots[exemplars]))
        self.crowd.set_text(f"{len(exemplars)} exemplars")
        self.crowd.set_visible(crowded)
        assigned = np.flatnonzero(step.labels >= 0)
        ends = self.xy[exemplars[step.labels[assigned]]]
        self.links.set_segments(np.stack([self.xy[assigned], ends], axis=1))
        colours = style.cluster_rgb(slots[assigned])
        self.links.set_color(
            np.array([to_rgb(style.UNASSIGNED)] * len(assigned)) if crowded else colours
        )
        last = index == len(self.trace.steps) - 1
        self.verdict.set_visible(last and not self.trace.converged)
        for heat_map in self.maps:
            heat_map.show(index, exemplars, slots[exemplars])

    def key(self, index):
        steps = self.trace.steps
        if index and steps[index].n_exemplars and not steps[index - 1].n_exemplars:
            return "first exemplars"
        return verdict(self.trace, index)

    def step_change(self, before, now, index):
        # The heat maps change with every step's messages; without them, a step shows
        # something new only when the exemplars or the links change.
        same = np.array_equal(before.exemplars, now.exemplars) and np.array_equal(
            before.labels, now.labels
        )
        return 0.0 if same and not self.maps else float("inf")

    def title(self):
        damping = self.trace.params["damping"]
        # The preference sets how many clusters: it comes first when the title is shortened.
        return Title(
            "affinity propagation", (f"preference {self._preference()}", f"damping {damping:g}")
        )

    def _preference(self):
        value = self.trace.final.preference
        if np.ndim(value) > 0:
            return f"{_number(np.min(value))} to {_number(np.max(value))}"
        median = " (median)" if self.trace.params["preference"] is None else ""
        return f"{_number(value)}{median}"

    def outcome(self):
        clusters = _clusters(self.trace.final.n_exemplars)
        if self.trace.converged:
            return f"{clusters}, {self.trace.n_iter} iterations"
        # Shortened to fit a panel, it loses the iterations first, never the verdict.
        return f"not converged: {clusters}, {self.trace.n_iter} iterations"

    def status(self, index):
        step = self.trace.steps[index]
        if index == len(self.trace.steps) - 1:
            # Parts, not one long phrase: a narrow panel wraps them rather than cut one.
            clusters = _clusters(self.trace.final.n_exemplars)
            state = "converged" if self.trace.converged else "not converged"
            return f"{state} · {clusters} · {self.trace.n_iter} iterations"
        count = step.n_exemplars
        found = f"{count} exemplar{'s' * (count != 1)}" if count else "no exemplar yet"
        return f"iteration {step.iteration} of {self.trace.n_iter} · {found}"


@dataclass(frozen=True)
class Rows:
    """Which points the matrices hold and in which order.

    ``index``: the points the algorithm kept (all, or every k-th above 100);
    ``order``: positions into ``index``, grouped by final cluster.
    """

    index: np.ndarray
    order: np.ndarray

    @property
    def points(self):
        """The point shown in each row."""
        return self.index[self.order]


class HeatMap:
    """One matrix of the run as a fixed-scale heat map, current exemplars on its diagonal.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    name : str
        A key of :data:`MATRICES`.
    trace : Trace
    indices : sequence of int
        The steps that will be shown.
    rows : Rows
        The points in the rows (and columns), in order.
    canvas : Canvas
    """

    def __init__(self, ax, name, trace, indices, rows, canvas):
        self.ax = ax
        order = np.ix_(rows.order, rows.order)
        self.frames = {
            i: _matrix(trace, i, name)[order].astype(np.float32) for i in _steps(name, indices)
        }
        low, high = _scale(trace, name)
        n = len(rows.order)
        self.image = ax.imshow(
            next(iter(self.frames.values())),
            cmap=style.colour_map(),
            vmin=low,
            vmax=high,
            interpolation="nearest",
            extent=(-0.5, n - 0.5, n - 0.5, -0.5),
            aspect="auto",
        )
        # Points outside the view have no row; -1 marks them.
        self.position = np.full(len(trace.X), -1)
        self.position[rows.points] = np.arange(n)
        # Marks fit a matrix cell in pixels, however large the canvas draws its text.
        scale = getattr(canvas, "scale", 1.0)
        self.marks = ax.scatter(
            [],
            [],
            s=30 / scale**2,
            linewidths=0.9 / scale,
            edgecolors=style.BACKGROUND,
            zorder=3,
            clip_on=False,
        )
        canvas.animate(self.marks)
        if len(self.frames) > 1:
            canvas.animate(self.image)

    def show(self, index, exemplars, slots):
        """Draw step ``index``'s matrix with ``exemplars`` marked in their ``slots`` colours."""
        if len(self.frames) > 1:
            self.image.set_data(self.frames[index])
        at = self.position[exemplars]
        seen = at >= 0
        self.marks.set_offsets(np.column_stack([at[seen], at[seen]]))
        self.marks.set_facecolors(style.cluster_rgb(slots[seen]))
        # The shape of the cluster's points: beyond seven clusters colours repeat.
        self.marks.set_paths([_MARKERS[style.cluster_marker(s)] for s in slots[seen]])


def _check_matrices(matrices):
    names = [matrices] if isinstance(matrices, str) else list(matrices)
    unknown = [m for m in names if m not in MATRICES]
    if not names or unknown or len(set(names)) != len(names):
        raise UserError(
            f"matrices must list some of {', '.join(MATRICES)} (each once), got {matrices!r}"
        )
    return names


def _boxed_note(ax, text, y, va, kind, colour, edge, pad, **font):
    """A line of ``text`` centred across ``ax`` at height ``y`` (axes fraction), on a
    paper-coloured box, over every other artist."""
    return ax.text(
        0.5,
        y,
        text,
        transform=ax.transAxes,
        ha="center",
        va=va,
        fontsize=style.FONT_SIZES[kind],
        color=colour,
        bbox={"facecolor": style.BACKGROUND, "edgecolor": edge, "pad": pad},
        zorder=5,
        **font,
    )


def _block_order(labels, exemplars):
    """Rows by final cluster, each cluster's exemplar first; unclustered points last."""
    last = np.where(labels >= 0, labels, labels.max(initial=0) + 1)
    is_leader = np.isin(np.arange(len(labels)), exemplars)
    return np.lexsort((~is_leader, last))


def _steps(name, indices):
    # The similarity does not change: one frame holds it.
    return [0] if name == "similarity" else indices


def _matrix(trace, index, name):
    """Matrix ``name`` at step ``index``: whole, or the algorithm's view of it above 100 points."""
    if name == "evidence":
        return _matrix(trace, index, "availability") + _matrix(trace, index, "responsibility")
    fields = trace.steps[0 if name == "similarity" else index].fields
    # Not fields.get(view, fields[name]): a lazily loaded trace would read the whole matrix.
    view = f"{name}_view"
    return fields[view] if view in fields else fields[name]


def _scale(trace, name):
    """Colour limits from the whole run (every step, not only those shown)."""
    values = np.concatenate(
        [_matrix(trace, i, name).ravel() for i in _steps(name, range(len(trace.steps)))]
    )
    low, high = np.percentile(values, (0, 100) if name == "similarity" else _CLIP)
    return float(low), float(max(high, low + 1e-9))


def _edge_strips(ax, slots, n):
    """Coloured bars along the top and left edges: which final cluster each row is.

    Where a colour names two clusters (beyond seven), each of its blocks carries
    the shape its cluster's points are drawn with, in white."""
    colours = style.cluster_rgb(slots)
    width = max(_STRIP * n, 0.6)
    gap = width * 0.5
    ax.imshow(colours[None], extent=(-0.5, n - 0.5, -0.5 - gap, -0.5 - gap - width), aspect="auto")
    ax.imshow(
        colours[:, None], extent=(-0.5 - gap - width, -0.5 - gap, n - 0.5, -0.5), aspect="auto"
    )
    ax.set_xlim(-0.5 - gap - width, n - 0.5)
    ax.set_ylim(n - 0.5, -0.5 - gap - width)
    slots = np.asarray(slots)
    starts = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]])
    ends = np.r_[starts[1:], len(slots)]
    colour_of = slots[starts] % len(style.CLUSTER_COLOURS)
    middle = -0.5 - gap - width / 2
    for start, end, slot, colour in zip(starts, ends, slots[starts], colour_of):
        if slot < 0 or np.count_nonzero(colour_of == colour) < 2:
            continue
        centre = (start + end - 1) / 2
        for x, y in ((centre, middle), (middle, centre)):
            ax.plot(
                x,
                y,
                marker=style.cluster_marker(slot),
                markersize=3.2,
                markerfacecolor=style.BACKGROUND,
                markeredgewidth=0,
                clip_on=False,
            )


def _grid(count, room, title_px=_TITLE_PX, bar_px=_BAR_PX):
    """``count`` equal squares (x, y, w, h in pixels) in ``room``, with ``title_px``
    above each for its title and ``bar_px`` below it for its colour bar."""
    x0, y0, width, height = room
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    extra = title_px + bar_px
    side = min(
        (width - (cols - 1) * _GAP_PX) / cols,
        (height - rows * extra - (rows - 1) * _GAP_PX) / rows,
    )
    used_w = cols * side + (cols - 1) * _GAP_PX
    used_h = rows * (side + extra) + (rows - 1) * _GAP_PX
    left, top = x0 + (width - used_w) / 2, y0 + (height + used_h) / 2
    squares = []
    for k in range(count):
        r, c = divmod(k, cols)
        bottom = top - (r + 1) * (side + extra) - r * _GAP_PX + bar_px
        squares.append(
            (round(left + c * (side + _GAP_PX)), round(bottom), round(side), round(side))
        )
    return squares


def _colour_bar(canvas, room, low, high, clipped):
    """The map's colour levels in a thin bar along the top of ``room`` (x, y, w, h in
    pixels), its lowest and highest values written under its ends: each matrix has
    its own scale. ``clipped`` scales saturate their tails: the ends read "≤" and "≥"."""
    width, height = canvas.size
    x, y, w, h = room
    bar_h = canvas.px(5)
    top = y + h - canvas.px(3)
    ax = canvas.figure.add_axes((x / width, (top - bar_h) / height, w / width, bar_h / height))
    ax.imshow(
        np.arange(_LEVELS)[None], cmap=style.colour_map(), aspect="auto", interpolation="nearest"
    )
    ax.set_axis_off()
    ends = ("≤ ", "≥ ") if clipped else ("", "")
    for at, value, end, align in ((0.0, low, ends[0], "left"), (1.0, high, ends[1], "right")):
        ax.text(
            at,
            -0.4,
            end + _number(value),
            transform=ax.transAxes,
            ha=align,
            va="top",
            fontsize=style.FONT_SIZES["tick"],
            color=style.MUTED,
        )
    return ax


def _similarity_title(trace):
    source = "given" if trace.params["affinity"] == "precomputed" else "−distance²"
    preference = trace.steps[0].preference
    if np.ndim(preference) > 0:
        return f"S = {source}, preferences on the diagonal"
    return f"S = {source}, diagonal {_number(preference)}"


def _number(value):
    # A true minus sign, as on the axes' tick labels.
    return format_number(value).replace("-", "−")


def _clusters(count):
    return "no cluster" if count == 0 else f"{count} cluster{'s' * (count != 1)}"

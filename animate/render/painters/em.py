"""EM for Gaussian mixtures: every Gaussian as nested ellipses at 1, 2 and 3 standard
deviations around its mean, points shaded by how sure they are of their Gaussian,
and the log-likelihood lower bound climbing beside it."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse

from animate.render import style
from animate.render.painters.base import (
    Painter,
    Title,
    add_key,
    draw_goal,
    format_number,
    paints,
    point_size,
    score_curve,
    verdict,
)
from animate.render.timeline import RECOLOURED_PX

SIGMAS = (1, 2, 3)
# Opacity of the 1, 2 and 3 sigma ellipses' fill and outline. Only the inner one is
# filled, as light as k-means regions: overlapping wide fills of two Gaussians mix
# into something close to a third cluster's tint.
_FILL_ALPHA = (style.TINT, 0.0, 0.0)
_EDGE_ALPHA = (0.95, 0.6, 0.35)
# A point's colour strength for its highest responsibility: at least the first bound
# takes the first strength, and so on. The strengths are blends with white that the
# GIF palette holds exactly.
_CERTAINTY = ((0.9, 1.0), (0.7, 0.6), (0.0, 0.35))
_INIT_NAMES = {
    "kmeans": "k-means",
    "k-means++": "k-means++ points",
    "random": "random",
    "random_from_data": "random points",
}
_PHASES = {"init": "start", "e-step": "E-step", "m-step": "M-step"}


@paints("em")
class EMPainter(Painter):
    """Draws an EM trace: each Gaussian keeps its index, so it keeps its colour.

    E-step frames recolour the points (the Gaussians stay put); M-step frames move
    and reshape the ellipses (the points keep their shades). For more than two
    features the ellipses are the covariances seen through the picture's plane.
    """

    identity = True
    side_title = "log-likelihood lower bound per point"

    def __init__(self, trace, ctx, *, goal=False):
        super().__init__(trace, ctx)
        canvas, view, indices = ctx.canvas, ctx.view, ctx.indices
        self.k = len(trace.final.means)
        self.component_slots = _component_slots(self.slots[indices[0]], self.k)
        self.shapes = [_ellipses(view, step, _kind(trace)) for step in trace.steps]
        self.layer = _ShadedPoints(self.ax, self.xy, canvas, self.component_slots)
        self.ellipses = [
            [self._ellipse(slot, s) for s in range(len(SIGMAS))] for slot in self.component_slots
        ]
        self.means = [
            self.ax.add_line(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="X",
                    markersize=12,
                    markerfacecolor=style.cluster_colour(slot),
                    markeredgecolor=style.BACKGROUND,
                    markeredgewidth=1.3,
                    zorder=4,
                )
            )
            for slot in self.component_slots
        ]
        canvas.animate(*(e for rings in self.ellipses for e in rings), *self.means)
        if ctx.narrated:
            self._key()
        if goal and trace.y is not None:
            draw_goal(self.ax, self.canvas, self.xy, trace.y)
        self._setup_side()

    def _key(self):
        colour = style.cluster_colour(self.component_slots[0])
        ring = {"markeredgewidth": 1.0}
        add_key(
            self.ax,
            self.canvas,
            self.xy,
            [
                ("rings: 1, 2, 3 standard deviations", "o", 11, "none", style.INK, ring),
                ("point sure of its Gaussian", "o", 6, colour, colour, {}),
                ("pale: undecided", "o", 6, style.tint(colour, 0.3), style.tint(colour, 0.3), {}),
            ],
        )

    def _ellipse(self, slot, ring):
        colour = to_rgb(style.cluster_colour(slot))
        ellipse = Ellipse(
            (0, 0),
            0,
            0,
            facecolor=(*colour, _FILL_ALPHA[ring]),
            edgecolor=(*colour, _EDGE_ALPHA[ring]),
            linewidth=1.4 if ring == 0 else 1.0,
            zorder=1,
        )
        self.ax.add_patch(ellipse)
        return ellipse

    @classmethod
    def extent(cls, trace, view):
        # Keep every mean and its 2-sigma ellipse in view; the faint 3-sigma ring may be cut.
        boxes = []
        for step in trace.steps:
            centres, covariances = _projected(view, step, _kind(trace))
            half = 2 * np.sqrt(np.stack([covariances[:, 0, 0], covariances[:, 1, 1]], axis=1))
            boxes += [centres - half, centres + half]
        return np.vstack([view.points(trace.X), *boxes])

    def _setup_side(self):
        side = self.panel.side
        self.curve = None
        if side is None:
            return
        _, ys = _bound_curve(self.trace.steps)
        bottom, top, self.floor = _bound_axis(ys)
        side.set_xlim(0.5, max(self.trace.n_iter, 1) + 0.5)
        side.set_ylim(bottom, top)
        side.set_xlabel("iteration", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        side.xaxis.get_major_locator().set_params(integer=True)
        # The bound moves in the second decimal: ticks need the digits, not an offset.
        side.ticklabel_format(axis="y", useOffset=False)
        side.grid(color=style.GRID, lw=0.6)
        self._side_artists(side, ys[0], bottom)

    def _side_artists(self, side, first, bottom):
        self.curve, self.marker = score_curve(side)
        # A first bound far below the rest would flatten the climb that matters: it is
        # drawn on the floor of the panel as an arrow pointing down, with its value.
        floor = bottom if self.floor is None else self.floor
        arrow = side.add_line(
            Line2D([1], [floor], ls="none", marker="v", markersize=7, color=style.INK, zorder=3)
        )
        label = side.annotate(
            f"{format_number(first)}, off the scale",
            (1, floor),
            xytext=(7, 0),
            textcoords="offset points",
            fontsize=style.FONT_SIZES["tick"],
            color=style.MUTED,
            va="center",
        )
        self.below = (arrow, label)
        self.canvas.animate(self.curve, self.marker, *self.below)

    def show(self, index):
        step = self.trace.steps[index]
        self.layer.show(step.labels, step.resp.max(axis=1))
        centres, widths, heights, angles = self.shapes[index]
        for j, rings in enumerate(self.ellipses):
            for sigma, ellipse in zip(SIGMAS, rings):
                ellipse.set_center(centres[j])
                ellipse.set_width(sigma * widths[j])
                ellipse.set_height(sigma * heights[j])
                ellipse.set_angle(angles[j])
            self.means[j].set_data(centres[j, :1], centres[j, 1:])
        if self.curve is not None:
            xs, ys = _bound_curve(self.trace.steps[: index + 1])
            if self.floor is not None:
                ys = np.maximum(ys, self.floor)
            self.curve.set_data(xs, ys)
            self.marker.set_data(xs[-1:], ys[-1:])
            for artist in self.below:
                artist.set_visible(self.floor is not None and len(xs) > 0)

    def key(self, index):
        if self.trace.steps[index].phase == "e-step" and index == 1:
            return "first assignment"
        return verdict(self.trace, index)

    def step_change(self, before, now, index):
        if before.phase == "init":
            return float("inf")
        # The outer (3 sigma) ring moves most when a Gaussian moves or reshapes.
        shape = [np.asarray(part, float) for part in self.shapes[index][:3]]
        previous = [np.asarray(part, float) for part in self.shapes[index - 1][:3]]
        moved = np.linalg.norm(shape[0] - previous[0], axis=1).max()
        grown = max(np.abs(a - b).max() for a, b in zip(shape[1:], previous[1:]))
        # An ellipse turned half a turn is the same ellipse, and a round one shows no turn:
        # a turn counts by how far the outer ring's ends move.
        turned = np.abs(np.asarray(self.shapes[index][3]) - self.shapes[index - 1][3]) % 180
        turned = np.radians(np.minimum(turned, 180 - turned))
        turn_px = (turned * 1.5 * np.abs(shape[1] - shape[2])).max()
        recoloured = np.count_nonzero(
            (now.labels != before.labels) | (_level(now.resp) != _level(before.resp))
        )
        return self.pixels(moved + max(3 * grown / 2, turn_px)) + RECOLOURED_PX * recoloured

    def title(self):
        init = _init_name(self.trace.params)
        return Title(
            "EM", (f"{self.k} Gaussians", f"{_kind(self.trace)} covariances", f"init: {init}")
        )

    def outcome(self):
        state = "" if self.trace.converged else ", not converged"
        bound = format_number(self.trace.final.lower_bound)
        return f"lower bound {bound}, {self.trace.n_iter} iterations{state}"

    def status(self, index):
        step = self.trace.steps[index]
        last = index == len(self.trace.steps) - 1 and index > 0
        phase = "final E-step" if last else _PHASES.get(step.phase, step.phase)
        return (
            f"iteration {step.iteration} of {self.trace.n_iter} · {phase} · "
            f"lower bound {format_number(step.lower_bound)}"
        )


class _ShadedPoints:
    """Points in their most likely Gaussian's colour, paler the less sure they are.

    One marker-only line per (Gaussian, strength): lines draw ~10x faster than a
    scatter with one colour per point.
    """

    def __init__(self, ax, xy, canvas, slots):
        self.xy = xy
        # A little larger than other painters' points: a shade needs area to be seen.
        size = 1.25 * point_size(len(xy))
        self.lines = np.empty((len(slots) + 1, len(_CERTAINTY)), dtype=object)
        for j, slot in enumerate(slots):
            colour = style.cluster_colour(slot)
            # Yellow on white needs a dark rim, as in the base layer.
            edge = style.INK if colour == style.CLUSTER_COLOURS[6] else None
            for level, (_, strength) in enumerate(_CERTAINTY):
                shade = style.tint(colour, strength)
                marker = style.cluster_marker(slot)
                self.lines[j, level] = _marker_line(ax, shade, marker, size, edge)
        # Before the first E-step a point may belong to no Gaussian yet: unassigned grey.
        for level in range(len(_CERTAINTY)):
            self.lines[-1, level] = _marker_line(ax, style.UNASSIGNED, "o", size * 0.85)
        canvas.animate(*self.lines.ravel())

    def show(self, labels, certainty):
        """Point i in Gaussian ``labels[i]``'s colour (-1: grey) at ``certainty[i]`` in [0, 1]."""
        levels = _level(certainty)
        rows = np.where(labels >= 0, labels, len(self.lines) - 1)
        keys = rows * len(_CERTAINTY) + levels
        order = np.argsort(keys, kind="stable")
        edges = np.searchsorted(keys[order], np.arange(self.lines.size + 1))
        for key, line in enumerate(self.lines.ravel()):
            idx = order[edges[key] : edges[key + 1]]
            line.set_data(self.xy[idx, 0], self.xy[idx, 1])
            line.set_visible(len(idx) > 0)


def _level(certainty):
    """The strength (index into ``_CERTAINTY``) each point is drawn at: ``certainty`` is
    its highest responsibility, or the (n, k) responsibilities."""
    certainty = np.asarray(certainty)
    if certainty.ndim == 2:
        certainty = certainty.max(axis=1)
    bounds = np.array([bound for bound, _ in _CERTAINTY])
    return np.argmax(certainty[:, None] >= bounds[None, :], axis=1)


def _marker_line(ax, face, marker, size, edge=None):
    return ax.add_line(
        Line2D(
            [],
            [],
            linestyle="none",
            marker=marker,
            markersize=size,
            markerfacecolor=face,
            markeredgecolor=face if edge is None else edge,
            markeredgewidth=0.0 if edge is None else 0.4,
            zorder=2,
        )
    )


def _component_slots(mapping, k):
    """Colour slot of each Gaussian: its label's slot, or a free one if it never won a point."""
    free = (s for s in range(10**6) if s not in mapping.values())
    return [mapping[j] if j in mapping else next(free) for j in range(k)]


def _full_covariances(covariances, kind, k, d):
    """Covariances stored as ``kind`` ("full", "tied", "diag", "spherical") as (k, d, d)."""
    cov = np.asarray(covariances, dtype=float)
    if kind == "full":
        return cov
    if kind == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if kind == "diag":
        return cov[:, :, None] * np.eye(d)
    return cov[:, None, None] * np.eye(d)


def _projected(view, step, kind):
    """Means (k, 2) and covariances (k, 2, 2) in the plane of the picture."""
    k, d = step.means.shape
    covariances = _full_covariances(step.covariances, kind, k, d)
    return view.points(step.means), np.stack([view.covariance(c) for c in covariances])


def _ellipses(view, step, kind):
    """Centres, 1-sigma widths and heights, and angles (degrees) of the step's Gaussians."""
    centres, covariances = _projected(view, step, kind)
    values, vectors = np.linalg.eigh(covariances)
    values = np.clip(values, 0.0, None)
    major = vectors[:, :, 1]
    angles = np.degrees(np.arctan2(major[:, 1], major[:, 0]))
    return centres, 2 * np.sqrt(values[:, 1]), 2 * np.sqrt(values[:, 0]), angles


def _bound_curve(steps):
    # One point per iteration: the bound the E-step measured before its M-step.
    scored = [s for s in steps if s.phase == "e-step" and s.lower_bound is not None]
    xs = np.array([s.iteration for s in scored], dtype=float)
    return xs, np.array([s.lower_bound for s in scored], dtype=float)


def _kind(trace):
    return trace.params["covariance_type"]


def _bound_axis(ys):
    """Fixed limits (bottom, top) of the bound panel, and the floor the first bound is
    drawn on when it is off the scale (None when it is not)."""
    if len(ys) == 0:
        return -1.0, 0.0, None
    rest = ys[1:]
    spread = np.ptp(rest) if len(rest) else 0.0
    off_scale = len(rest) >= 2 and spread > 0 and rest.min() - ys[0] > 3 * spread
    low, high = (rest.min() if off_scale else ys.min()), ys.max()
    pad = max(high - low, 1e-3) * 0.08
    return low - 2 * pad, high + pad, (low - pad if off_scale else None)


def _init_name(params):
    given = [n for n in ("weights", "means", "precisions") if params[f"{n}_init"] is not None]
    if len(given) == 3:
        return "given"
    name = _INIT_NAMES[params["init_params"]]
    return f"{name}, given {' and '.join(given)}" if given else name

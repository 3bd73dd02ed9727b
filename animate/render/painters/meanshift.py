"""Mean shift: windows of radius bandwidth climbing to the density peaks with
their trails, merging into the modes, then the points coloured by mode."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.patheffects import withStroke

from animate.algorithms.registry import Interval, check
from animate.render import style
from animate.render.colours import as_slots
from animate.render.painters.base import Painter, Title, add_key, draw_goal, paints
from animate.render.timeline import RECOLOURED_PX

# A window is a tool, not a cluster: neutral grey (the theme's muted ink) while it
# climbs (the algorithm knows no clusters yet), so no window is mistaken for the
# cluster sharing its colour. Trails are drawn in ink, stronger than the windows.
_FILL_ALPHA = 0.14
# Up to this many windows, the points inside them are picked out and counted.
_COUNTED = 3
# At the merge, each mode says how many windows joined it, if there are this few modes.
_TALLIED = 6


def _halo():
    """A rim of the paper's colour: labels stay legible over points and trails."""
    return withStroke(linewidth=2.5, foreground=style.BACKGROUND)


@paints("meanshift")
class MeanShiftPainter(Painter):
    """Windows (discs of radius bandwidth) with trails, the modes, then the clusters.

    Parameters
    ----------
    max_discs : int, default=12
        Most windows drawn as discs (0: none); every window still gets its
        trail and its centre dot. With more windows than this, a spread of them
        is chosen: one per mode (strongest first), then the seeds farthest from
        those already chosen. After the merge the discs sit on the strongest modes.
    goal : bool, default=False
        Show the true groups in a small inset (data with true labels), so a
        wrong answer reads as wrong.
    """

    points_layer = True

    def __init__(self, trace, ctx, *, max_discs=12, goal=False):
        super().__init__(trace, ctx)
        view = ctx.view
        steps = trace.steps
        self.bandwidth = float(trace.final.bandwidth)
        self.positions = np.stack([view.points(s.kernels) for s in steps])
        self.modes = view.points(trace.final.centers)
        self.merged_into = np.asarray(trace.final.merged_into)
        self.dropped = self.merged_into < 0
        last = len(steps) - 1
        self.mode_slots = as_slots(np.arange(len(self.modes)), self.slots[last])
        max_discs = check("max_discs", max_discs, Interval(Integral, 0, None))
        self.shown = _spread(
            self.positions[0], self.positions[-1], self.modes, self.dropped, max_discs
        )
        self.counted = len(self.positions[0]) <= _COUNTED
        self.compact = ctx.n_panels > 1
        self._make_artists()
        # A lone window's story is told by the caption; many windows need a key.
        if ctx.narrated and not self.counted:
            self._key()
        if goal and trace.y is not None:
            draw_goal(self.ax, self.canvas, self.xy, trace.y)

    def _key(self):
        dashed = {"markeredgewidth": 1.2}
        # The key goes where neither points nor windows ever are.
        occupied = np.vstack([self.xy, self.positions.reshape(-1, 2)])
        add_key(
            self.ax,
            self.canvas,
            occupied,
            [
                (
                    "window, radius = bandwidth",
                    "o",
                    11,
                    to_rgba(style.MUTED, _FILL_ALPHA),
                    style.MUTED,
                    {},
                ),
                ("dashed outline: stopped", "o", 11, "none", to_rgba(style.MUTED, 0.55), dashed),
                ("mode", "*", 12, style.CLUSTER_COLOURS[0], style.HIGHLIGHT, {}),
            ],
        )

    @classmethod
    def extent(cls, trace, view):
        data = view.points(trace.X)
        kernels = np.vstack([view.points(step.kernels) for step in trace.steps])
        # Whole discs stay in view, except when the bandwidth dwarfs the data: then a
        # margin of a third of the data's span keeps the points from shrinking to a dot.
        span = float((data.max(axis=0) - data.min(axis=0)).max())
        reach = min(float(trace.final.bandwidth), span / 3)
        ring = reach * np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
        return np.vstack([data, (kernels[:, None, :] + ring).reshape(-1, 2)])

    def _make_artists(self):
        ax, n_discs = self.ax, len(self.shown)
        # For d > 2 a window is a ball; it is drawn as a circle of radius bandwidth in
        # the plane of the first two principal components, a fair picture of its size.
        self.discs = [
            ax.add_patch(Circle((0.0, 0.0), self.bandwidth, lw=1.4, zorder=1))
            for _ in range(n_discs)
        ]
        self.picked = ax.add_line(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                markersize=self.points.unassigned.get_markersize(),
                markerfacecolor=style.INK,
                markeredgewidth=0,
                zorder=2.5,
            )
        )
        self.trails = ax.add_collection(LineCollection([], lw=1.0, zorder=3))
        # Dots on the trail show the steps shrinking near the peak; with many windows
        # they would only clutter.
        self.stops = ax.add_line(
            Line2D([], [], ls="none", marker="o", markersize=2.5, zorder=3, visible=self.counted)
        )
        self.links = ax.add_collection(
            LineCollection([], lw=1.0, colors=style.NOISE, linestyles=":", zorder=3)
        )
        # Markers shrink with the panel and as windows and modes multiply, so that a
        # hundred modes stay a hundred stars rather than one blot.
        scale = min(1.0, ax.get_position().width * self.canvas.size[0] / 400)
        n_windows, n_modes = len(self.positions[0]), len(self.modes)
        self.kernels = ax.scatter(
            [],
            [],
            s=28 * scale * np.clip(np.sqrt(30 / n_windows), 0.3, 1.0),
            linewidths=0.6,
            zorder=4,
        )
        star = scale * np.clip(np.sqrt(4 / n_modes), 0.2, 1.0)
        self.mode_marks = ax.scatter(
            [],
            [],
            s=240 * star,
            marker="*",
            edgecolors=style.HIGHLIGHT,
            linewidths=0.9 * np.sqrt(star),
            zorder=5,
        )
        n_notes = max(n_discs if self.counted else 0, n_modes if n_modes <= _TALLIED else 0)
        self.notes = [
            ax.annotate(
                "",
                (0.0, 0.0),
                xytext=(0, 9),
                textcoords="offset points",
                # A counted window's count is what the scene is about: it reads large.
                fontsize=style.FONT_SIZES["title" if self.counted else "status"],
                color=style.INK,
                ha="center",
                va="bottom",
                zorder=6,
                path_effects=[_halo()],
            )
            for _ in range(n_notes)
        ]
        self.canvas.animate(
            *self.discs,
            self.picked,
            self.trails,
            self.stops,
            self.links,
            self.kernels,
            self.mode_marks,
            *self.notes,
        )

    def caption(self, index):
        message = self.trace.steps[index].message
        n_windows = len(self.positions[0])
        if index == 0 and 0 < len(self.shown) < n_windows:
            # Only some windows are drawn as circles: the caption must not promise more.
            message += f"; {len(self.shown)} drawn as circles, every window's centre as a dot"
        return message

    def key(self, index):
        steps = self.trace.steps
        if steps[index].phase == "merge":
            # One frame that changes a lot: the eye needs time to follow it.
            return "windows merge"
        if index and steps[index].phase == "shift" and steps[index - 1].phase == "shift":
            stopped = np.asarray(steps[index].stopped)
            if stopped.all() and not np.asarray(steps[index - 1].stopped).all():
                return "every window has stopped"
        return None

    def step_change(self, before, now, index):
        if before.phase != now.phase or not np.array_equal(before.stopped, now.stopped):
            return float("inf")
        moved = np.linalg.norm(self.positions[index] - self.positions[index - 1], axis=1)
        # A counted window's count is written in it: points in or out are a change.
        counts = np.abs(np.asarray(now.counts) - before.counts).sum() if self.counted else 0
        return self.pixels(moved.max()) + RECOLOURED_PX * counts

    def show(self, index):
        step = self.trace.steps[index]
        climbing = step.phase in ("init", "shift")
        here = self.positions[index]
        self.trails.set_segments(self.positions[: index + 1].transpose(1, 0, 2))
        # Once the windows have stopped, many trails step back behind the modes; a
        # lone window's path is the story, so it stays.
        trail_colour = style.INK if climbing or self.counted else style.GRID
        self.trails.set_color(trail_colour)
        past = self.positions[: index + 1].reshape(-1, 2)
        self.stops.set_data(past[:, 0], past[:, 1])
        self.stops.set_color(trail_colour)
        if climbing:
            self._show_climb(step, here)
        else:
            self._show_modes(step, here)
        noise = (step.labels < 0) if step.phase == "assign" else None
        self.points.show(self.slots_of(index), noise=noise)
        picked = self.trace.steps[index].inside if climbing and self.counted else None
        xy = self.xy[picked] if picked is not None else self.xy[:0]
        self.picked.set_data(xy[:, 0], xy[:, 1])

    def _show_climb(self, step, here):
        stopped, dropped = np.asarray(step.stopped), np.asarray(step.dropped)
        faces = np.where(stopped[:, None], to_rgba(style.INK), to_rgba(style.MUTED))
        faces[dropped] = to_rgba(style.UNASSIGNED)
        self.kernels.set_offsets(here)
        self.kernels.set_facecolors(faces)
        self.kernels.set_edgecolors(style.BACKGROUND)
        self.kernels.set_visible(True)
        for disc, k in zip(self.discs, self.shown):
            moving = not stopped[k]
            disc.set_center(here[k])
            disc.set_visible(not dropped[k])
            # A stopped window keeps only its outline: the moving ones stand out.
            disc.set_facecolor(to_rgba(style.MUTED, _FILL_ALPHA if moving else 0.0))
            disc.set_edgecolor(to_rgba(style.MUTED, 1.0 if moving else 0.55))
            disc.set_linestyle("-" if moving else "--")
        texts = [f"{step.counts[k]} points" if self.counted else "" for k in self.shown]
        # Inside the top of the window, clear of its curved edge, where it never leaves the axes.
        self._note(here[self.shown] + [0.0, self.bandwidth], texts, lift=-9)
        self.links.set_segments([])
        self.mode_marks.set_visible(False)

    def _show_modes(self, step, here):
        # Windows that joined a stronger mode fade to grey, tied to the mode they joined.
        live = np.flatnonzero(self.merged_into >= 0)
        self.links.set_segments(np.stack([here[live], self.modes[self.merged_into[live]]], axis=1))
        self.links.set_visible(step.phase == "merge")
        self.kernels.set_offsets(here)
        self.kernels.set_facecolors(to_rgba(style.NOISE))
        self.kernels.set_edgecolors(to_rgba(style.NOISE))
        self.kernels.set_visible(step.phase == "merge")
        colours = [style.cluster_colour(s) for s in self.mode_slots]
        self.mode_marks.set_offsets(self.modes)
        self.mode_marks.set_facecolors(colours)
        self.mode_marks.set_visible(True)
        assigned = step.phase == "assign"
        for j, disc in enumerate(self.discs):
            disc.set_visible(j < len(self.modes))
            if j < len(self.modes):
                disc.set_center(self.modes[j])
                disc.set_facecolor(to_rgba(colours[j], 0.0 if assigned else _FILL_ALPHA))
                disc.set_edgecolor(colours[j])
                disc.set_linestyle("-")
        # How many windows each mode swallowed: the merge in one number.
        tally = np.bincount(self.merged_into[self.merged_into >= 0], minlength=len(self.modes))
        merging = step.phase == "merge" and not self.counted
        texts = [_plural(t, "window") if merging else "" for t in tally]
        self._note(self.modes, texts, lift=9)

    def _note(self, anchors, texts, lift):
        """Write ``texts`` ``lift`` points above (below if negative) ``anchors``; blank the rest."""
        for j, note in enumerate(self.notes):
            note.set_text(texts[j] if j < len(texts) else "")
            if j < len(texts):
                note.xy, note.xyann = tuple(anchors[j]), (0, lift)
                note.set_verticalalignment("bottom" if lift > 0 else "top")

    def title(self):
        params = self.trace.params
        if params["seeds"] is not None:
            seeds = "given seed" if len(self.positions[0]) == 1 else "given seeds"
        elif params["bin_seeding"]:
            seeds = "bin seeds"
        else:
            seeds = "every point a seed"
        name = "Gaussian mean shift" if params["kernel"] == "gaussian" else "mean shift"
        return Title(name, (f"bandwidth {self.bandwidth:.3g}", seeds))

    def outcome(self):
        k = len(self.modes)
        state = "" if self.trace.converged else ", not converged"
        windows = len(self.positions[0])
        return f"{_plural(k, 'cluster')} from {_plural(windows, 'window')}{state}"

    def status(self, index):
        step = self.trace.steps[index]
        last = self.trace.steps[-1].iteration
        # Side by side panels are narrow: the phase and the nouns go.
        head = f"iteration {step.iteration} of {last}"
        head = head if self.compact else f"{head} · {step.phase}"
        windows, modes = len(self.positions[0]), len(self.modes)
        if step.phase == "merge":
            if self.compact:
                return f"{head} · merge: {windows} → {_plural(modes, 'mode')}"
            return f"{head} · {_plural(windows, 'window')} → {_plural(modes, 'mode')}"
        if step.phase == "assign":
            return f"{head} · {_plural(modes, 'cluster')}"
        if self.counted:
            counts = ", ".join(str(c) for c in np.asarray(step.counts)[self.shown])
            return f"{head} · # points: {counts}"
        moving = int(np.count_nonzero(~np.asarray(step.stopped)))
        noun = "" if self.compact else " windows"
        return f"{head} · {moving} of {windows}{noun} moving"


def _spread(start, final, modes, dropped, count):
    """Indices of at most ``count`` windows to draw as discs, chosen deterministically.

    First the window that ends on each mode (strongest mode first), so every
    mode is seen arriving; then, greedily, the window that starts farthest from
    those already chosen, so the discs cover the data.
    """
    candidates = np.flatnonzero(~dropped)
    chosen = []
    for mode in modes[:count]:
        near = candidates[np.argmin(np.linalg.norm(final[candidates] - mode, axis=1))]
        if near not in chosen:
            chosen.append(int(near))
    gap = np.where(dropped, -1.0, np.inf)
    for k in chosen:
        gap = np.minimum(gap, np.linalg.norm(start - start[k], axis=1))
    gap[chosen] = -1.0
    while len(chosen) < min(count, len(candidates)):
        k = int(np.argmax(gap))
        chosen.append(k)
        gap = np.minimum(gap, np.linalg.norm(start - start[k], axis=1))
        gap[k] = -1.0
    return np.array(sorted(chosen), dtype=int)


def _plural(count, word):
    return f"{count} {word}" if count == 1 else f"{count} {word}s"

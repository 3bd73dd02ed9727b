"""Spectral clustering: the affinity graph over the data, a morph of the points into
the spectral embedding (where loosely linked groups fall apart), the assignment
there, and a morph back to the data coloured by the result."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from animate.algorithms.registry import Interval, check
from animate.render import style
from animate.render.painters.base import Painter, Title, paints, point_size

# In-between frames of a morph between the data and the embedding.
MORPH_FRAMES = 8
# The embedding fills this much of the data's bounding box, centred in it.
_FILL = 0.9
# The affinity graph ("init") and the answer are drawn on the data; the rest in the embedding.
_DATA_PHASES = ("init", "final")


@paints("spectral")
class SpectralPainter(Painter):
    identity = True
    points_layer = True

    def __init__(self, trace, ctx, *, morph_frames=MORPH_FRAMES):
        """``morph_frames``: in-between frames of each morph (0: the points jump), fewer
        in a big grid, where every frame redraws every panel."""
        super().__init__(trace, ctx)
        self.morph_frames = check("morph_frames", morph_frames, Interval(Integral, 0, 50))
        canvas = ctx.canvas
        self.embedded = _embedding_in_box(trace.final.embedding, self.xy)
        graph = trace.steps[0]
        self.edges = graph.edges
        self.graph = LineCollection([], colors=style.MUTED, linewidths=0.5, alpha=0.35, zorder=1)
        self.ax.add_collection(self.graph)
        k = max((len(s.centers) for s in trace.steps if "centers" in s.fields), default=0)
        # Centres as open rings: a graph in separate pieces puts each piece's points
        # on one spot, which a filled marker would hide.
        self.crosses = [
            self.ax.add_line(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="o",
                    markersize=16,
                    markerfacecolor="none",
                    markeredgewidth=2.5,
                    zorder=4,
                )
            )
            for _ in range(k)
        ]
        # Where the points came from stays faintly marked while they are elsewhere.
        self.ghosts = self.ax.add_line(
            Line2D(
                self.xy[:, 0],
                self.xy[:, 1],
                ls="none",
                marker="o",
                markersize=point_size(len(self.xy)) * 0.5,
                markerfacecolor=style.UNASSIGNED,
                markeredgewidth=0,
                zorder=0.5,
            )
        )
        canvas.animate(self.ghosts, self.graph, *self.crosses)

    def _in_data(self, index):
        return self.trace.steps[index].phase in _DATA_PHASES

    def _positions(self, index):
        return self.xy if self._in_data(index) else self.embedded

    def _before(self, index):
        """The step shown before ``index`` (long traces skip steps), or None."""
        shown = sorted(self.slots)
        place = shown.index(index)
        return shown[place - 1] if place else None

    def tweens(self, index):
        before = self._before(index)
        if before is None or self._in_data(index) == self._in_data(before):
            return 0
        return self.morph_frames

    def show_between(self, index, fraction):
        before = self._before(index)
        # Ease in and out: the points start and end the move slowly.
        s = fraction * fraction * (3 - 2 * fraction)
        positions = (1 - s) * self._positions(before) + s * self._positions(index)
        graph = self.trace.steps[before].phase == "init"
        self._draw(before, positions, graph=graph, centres=False)

    def show(self, index):
        phase = self.trace.steps[index].phase
        self._draw(index, self._positions(index), graph=phase in ("init", "embedding"))

    def _draw(self, index, positions, graph, centres=True):
        self.ghosts.set_visible(positions is not self.xy)
        self.points.xy = positions
        self.points.show(self.slots_of(index))
        segments = positions[self.edges] if graph else np.empty((0, 2, 2))
        self.graph.set_segments(segments)
        step = self.trace.steps[index]
        shown = centres and "centers" in step.fields
        mapping = self.slots[index]
        for j, cross in enumerate(self.crosses):
            cross.set_visible(shown)
            if shown:
                centre = _centre_in_box(step.centers[j], self.trace.final.embedding, self.xy)
                members = step.labels == j
                if len(_plane_columns(self.trace.final.embedding)) < 2 and members.any():
                    # The plane's y is the data's own: put the cross amid its points.
                    centre[1] = positions[members, 1].mean()
                cross.set_data([centre[0]], [centre[1]])
                cross.set_markeredgecolor(style.cluster_colour(mapping.get(j, j)))

    def title(self):
        params = self.trace.params
        return Title(
            "spectral clustering",
            (f"k = {params['n_clusters']}", params["affinity"], params["assign_labels"]),
        )

    def outcome(self):
        return f"{len(np.unique(self.trace.final.labels))} clusters"

    def status(self, index):
        step = self.trace.steps[index]
        if step.phase == "init":
            return f"affinity graph · {len(self.edges):,} strongest links"
        if step.phase == "embedding":
            return f"spectral embedding · {step.embedding.shape[1]} eigenvectors"
        if step.phase == "final":
            return f"back in the data · {len(np.unique(step.labels))} clusters"
        if step.phase.startswith("kmeans"):
            return f"k-means in the embedding · iteration {step.iteration}"
        if step.phase == "discretize":
            return f"discretize · iteration {step.iteration} · ncut {step.ncut:.3g}"
        return "cluster_qr in the embedding"


def _plane_columns(embedding):
    """The first two columns that vary (the first eigenvector is often constant)."""
    spread = np.ptp(embedding, axis=0)
    varying = np.flatnonzero(spread > 1e-6 * np.abs(embedding).max(axis=0))
    return varying[:2]


def _embedding_in_box(embedding, xy):
    """Points (n, 2) of the embedding's plane, stretched over the data's bounding box.

    With a single varying eigenvector it gives x and the points keep their own y.
    """
    columns = _plane_columns(embedding)
    out = xy.astype(float).copy()
    for axis, column in enumerate(columns):
        out[:, axis] = _stretch(embedding[:, column], xy[:, axis], embedding[:, column])
    return out


def _centre_in_box(centre, embedding, xy):
    """A centre of the embedding space (n_components,) where :func:`_embedding_in_box`
    puts the points; on an axis left to the data, the middle of the box."""
    columns = _plane_columns(embedding)
    out = (xy.min(axis=0) + xy.max(axis=0)) / 2
    for axis, column in enumerate(columns):
        out[axis] = _stretch(np.array([centre[column]]), xy[:, axis], embedding[:, column])[0]
    return out


def _stretch(values, target, source):
    """``values`` mapped linearly so that ``source``'s range fills ``target``'s (inset)."""
    lo, hi = source.min(), source.max()
    middle, half = (target.min() + target.max()) / 2, np.ptp(target) / 2 * _FILL
    return middle + (values - (lo + hi) / 2) / max((hi - lo) / 2, 1e-300) * half

"""Colour quantisation: k-means (or mini-batch k-means) on the pixels of a photo.

The photo is redrawn with every pixel in its centre's colour, over a strip of
the palette (each swatch as wide as its share of the pixels); beside it a
sample of the pixels in colour space, red against green and red against blue
as the Python Data Science Handbook draws them, each pixel in its own colour,
with the centres moving through it. The first frame shows the original photo.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection

from animate.render import style
from animate.render.painters.base import Painter, Title, format_number, paints

# The palette strip's height, as a share of the photo's width.
_STRIP = 0.16
_GAP = 0.04
_SAMPLE = 2000
_TRAIL = 5


def rgb_bytes(rgb):
    """Colours in 0-1 as the 0-255 bytes drawn (rounded, clipped)."""
    return np.clip(np.round(np.asarray(rgb, dtype=float) * 255.0), 0, 255).astype(np.uint8)


def recoloured(trace, index):
    """The photo at step ``index`` as floats (h, w, 3): ``centers[labels]``; a pixel not
    assigned yet (the initial step) keeps its own colour."""
    step = trace.steps[index]
    pixels = np.where((step.labels >= 0)[:, None], step.centers[step.labels], trace.X)
    return pixels.reshape(*trace.image_shape, 3)


def compressed_bytes(n_pixels, k):
    """Bytes of the photo stored as a k-colour palette plus one index per pixel."""
    bits = max(1, math.ceil(math.log2(k))) if k > 1 else 0
    return 3 * k + math.ceil(n_pixels * bits / 8)


@paints("kmeans", "minibatch", kind="photo")
class PhotoPainter(Painter):
    """Any trace on a photo whose steps carry ``centers`` (k, 3) and labels per pixel."""

    identity = True
    side_title = "pixels in colour space"

    def __init__(self, trace, ctx, *, sample=_SAMPLE):
        super().__init__(trace, ctx)
        height, width = trace.image_shape
        self.width, self.height = width, height
        strip = _STRIP * width
        self.strip = (0.0, strip)
        self.ax.set_aspect("equal")
        self.ax.axis("off")
        self.image = self.ax.imshow(
            np.zeros((height, width, 3), np.uint8),
            extent=(0, width, strip * (1 + _GAP / _STRIP), strip * (1 + _GAP / _STRIP) + height),
            interpolation="nearest",
            origin="upper",
            zorder=1,
        )
        self.swatches = PolyCollection([], edgecolors=style.BACKGROUND, linewidths=0.5, zorder=2)
        self.ax.add_collection(self.swatches)
        # Pixel counts are drawn by pillow over the frame (matplotlib text costs ~10 ms each).
        k = len(trace.final.centers)
        self.counts = [
            self.canvas.label(0, 0, "status", style.INK, anchor="mm") for _ in range(min(k, 16))
        ]
        self.canvas.animate(self.image, self.swatches)
        self.planes = self._colour_space(sample) if self.panel.side is not None else []

    @classmethod
    def extent(cls, trace, view):
        height, width = trace.image_shape
        top = _STRIP * width * (1 + _GAP / _STRIP) + height
        return np.array([[0.0, 0.0], [width, top]])

    def _colour_space(self, sample):
        """Red-green and red-blue planes: the side axes split in two, one above the other."""
        side = self.panel.side
        box = side.get_position()
        half = (box.height - 0.08) / 2
        side.set_position((box.x0, box.y0 + half + 0.08, box.width, half))
        lower = self.canvas.figure.add_axes((box.x0, box.y0, box.width, half))
        lower.tick_params(labelsize=style.FONT_SIZES["tick"], colors=style.MUTED)
        for spine in lower.spines.values():
            spine.set_color(style.GRID)
        rng = np.random.default_rng(0)
        n = len(self.trace.X)
        shown = self.trace.X[np.sort(rng.choice(n, min(sample, n), replace=False))]
        planes = []
        for ax, channel, name in ((side, 1, "green"), (lower, 2, "blue")):
            ax.scatter(shown[:, 0], shown[:, channel], s=2.5, c=shown, linewidths=0, zorder=1)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_ylabel(name, fontsize=style.FONT_SIZES["tick"], color=style.MUTED, labelpad=1)
            ax.set_xticks([0, 0.5, 1])
            ax.set_yticks([0, 0.5, 1])
            trails = LineCollection([], colors=style.INK, linewidths=0.8, zorder=2)
            ax.add_collection(trails)
            centres = ax.scatter(
                [], [], s=40, marker="X", edgecolors=style.INK, linewidths=0.9, zorder=3
            )
            self.canvas.animate(trails, centres)
            planes.append((channel, trails, centres))
        lower.set_xlabel("red", fontsize=style.FONT_SIZES["tick"], color=style.MUTED, labelpad=1)
        return planes

    def picture(self, index):
        """The photo drawn at step ``index``, as bytes (h, w, 3)."""
        return rgb_bytes(recoloured(self.trace, index))

    def show(self, index):
        step = self.trace.steps[index]
        self.image.set_data(self.picture(index))
        self._show_palette(step)
        path = np.array([self.trace.steps[i].centers for i in range(index + 1)])[-_TRAIL:]
        for channel, trails, centres in self.planes:
            centres.set_offsets(step.centers[:, [0, channel]])
            centres.set_facecolors(step.centers)
            trails.set_segments(list(path[:, :, [0, channel]].transpose(1, 0, 2)))

    def _show_palette(self, step):
        k = len(step.centers)
        assigned = step.labels >= 0
        counts = np.bincount(step.labels[assigned], minlength=k) if assigned.any() else None
        shares = np.full(k, 1.0 / k) if counts is None else counts / counts.sum()
        edges = np.concatenate([[0.0], np.cumsum(shares)]) * self.width
        y0, y1 = self.strip
        self.swatches.set_verts(
            [[(a, y0), (b, y0), (b, y1), (a, y1)] for a, b in itertools.pairwise(edges)]
        )
        self.swatches.set_facecolors(np.clip(step.centers, 0, 1))
        to_pixels = self.ax.transData.transform
        for j, label in enumerate(self.counts):
            text = "" if counts is None else _count(counts[j])
            (a, y), (b, _) = to_pixels([(edges[j], (y0 + y1) / 2), (edges[j + 1], y0)])
            label.set_text(text if label.font.getlength(text) + 4 <= b - a else "")
            x = (a + b) / 2
            label.xy = (x, self.canvas.size[1] - y)
            light = np.dot(step.centers[j], [0.299, 0.587, 0.114]) > 0.55
            label.fill = (34, 34, 34) if light else (255, 255, 255)

    def title(self):
        k = len(self.trace.final.centers)
        name = "mini-batch k-means" if self.trace.algorithm == "minibatch" else "k-means"
        return Title(f"{name} on a photo's pixels", (f"{k} colours",))

    def outcome(self):
        n, k = len(self.trace.X), len(self.trace.final.centers)
        small, full = compressed_bytes(n, k), 3 * n
        return f"{_kb(small)} instead of {_kb(full)} ({1 - small / full:.0%} saved)"

    def status(self, index):
        step = self.trace.steps[index]
        k = len(step.centers)
        shown = "the original photo" if (step.labels < 0).all() else f"{k} colours"
        inertia = getattr(step, "inertia", None) if "inertia" in step.fields else None
        score = "" if inertia is None else f" · inertia {format_number(inertia)}"
        return f"iteration {step.iteration} of {self.trace.n_iter} · {shown}{score}"


def _count(n):
    """A pixel count short enough for a narrow swatch: 812, 7.8k."""
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def _kb(n_bytes):
    return f"{n_bytes / 1000:,.1f} kB"

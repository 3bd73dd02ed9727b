"""k-means on handwritten digits: the centres as 8x8 pictures, the digits projected.

Beside the samples (their first two principal components, or the embedding
they were given as), coloured by cluster, the k centres are drawn as the
pictures they are: 64 grey levels that sharpen into digits as the iterations
pass. The last frame adds the confusion matrix against the true digits after
matching clusters to digits (:func:`animate.metrics.matched_confusion`) and
the accuracy on the status line.
"""

from __future__ import annotations

import math

import numpy as np

from animate.metrics import matched_confusion
from animate.render import style
from animate.render.painters.base import Painter, Title, format_number, paints

_COLS = 5


@paints("kmeans", "minibatch", kind="digits")
class DigitsPainter(Painter):
    """Any trace on digits whose steps carry ``centers``; true labels give the matrix."""

    identity = True
    points_layer = True
    side_title = "cluster centres"

    def __init__(self, trace, ctx):
        super().__init__(trace, ctx)
        self.match = None
        if trace.y is not None:
            self.match = matched_confusion(trace.y, trace.final.labels)
        side = self.panel.side
        self.pictures, self.matrix = [], None
        if side is None:
            return
        side.axis("off")
        pictures = trace.image_shape is not None
        if pictures:
            self.pictures = self._centre_pictures(side, 0.45 if self.match else 0.0)
        else:
            side.set_title(
                "confusion matrix (last frame)",
                fontsize=style.FONT_SIZES["panel"],
                color=style.INK,
            )
        if self.match is not None:
            self.matrix = self._confusion(side, 0.42 if pictures else 0.95)

    def _centre_pictures(self, side, bottom):
        """One small greyscale picture per centre, framed in its cluster's colour."""
        k = len(self.trace.final.centers)
        rows = math.ceil(k / _COLS)
        height = (1.0 - bottom) / rows
        pictures = []
        slots = self.slots[self.ctx.indices[-1]]
        for j in range(k):
            r, c = divmod(j, _COLS)
            ax = side.inset_axes((c / _COLS + 0.01, 1.0 - (r + 1) * height, 0.9 / _COLS, height))
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_color(style.cluster_colour(slots.get(j, j)))
                spine.set_linewidth(2.0)
            image = ax.imshow(
                np.zeros(self.trace.image_shape), cmap=style.IMAGE_CMAP, vmin=0.0, vmax=self._top()
            )
            image.set_interpolation("nearest")
            caption = ax.set_title("", fontsize=style.FONT_SIZES["tick"], color=style.INK, pad=1)
            self.canvas.animate(image, caption)
            pictures.append((image, caption))
        return pictures

    def _top(self):
        return float(self.trace.X.max())

    def _confusion(self, side, height):
        """The matched confusion matrix, shown in the last frame only."""
        matrix = self.match[0]
        ax = side.inset_axes((0.12, 0.0, 0.8, height - 0.08))
        image = ax.imshow(matrix, cmap=style.COUNT_CMAP, vmin=0, vmax=matrix.max())
        m = len(matrix)
        ax.set_xticks(range(m))
        ax.set_yticks(range(m))
        ax.tick_params(labelsize=style.FONT_SIZES["tick"], colors=style.MUTED, length=0)
        ax.set_xlabel("cluster, matched", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        ax.set_ylabel("true digit", fontsize=style.FONT_SIZES["tick"], color=style.MUTED)
        if self.pictures:
            ax.set_title(
                "confusion matrix (last frame)",
                fontsize=style.FONT_SIZES["tick"],
                color=style.MUTED,
            )
        for spine in ax.spines.values():
            spine.set_color(style.GRID)
        self.canvas.animate(image)
        image.set_visible(False)
        return image

    def show(self, index):
        step = self.trace.steps[index]
        self.points.show(self.slots_of(index))
        last = index == self.ctx.indices[-1]
        for j, (image, caption) in enumerate(self.pictures):
            image.set_data(step.centers[j].reshape(self.trace.image_shape))
            digit = self.match[2][j] if self.match is not None and last else -1
            caption.set_text(f"reads {digit}" if digit >= 0 else "")
        if self.matrix is not None:
            self.matrix.set_visible(last)

    def title(self):
        k = len(self.trace.final.centers)
        data = "8x8 digits" if self.trace.image_shape else "embedded digits"
        return Title(f"k-means on {data}", (f"k = {k}",))

    def outcome(self):
        if self.match is None:
            return f"inertia {format_number(self.trace.final.inertia)}"
        return f"accuracy {self.match[1]:.1%} after matching"

    def status(self, index):
        step = self.trace.steps[index]
        text = f"iteration {step.iteration} of {self.trace.n_iter} · {step.phase}"
        if index == self.ctx.indices[-1] and self.match is not None:
            return f"{text} · accuracy {self.match[1]:.1%} after matching clusters to digits"
        return f"{text} · inertia {format_number(step.inertia)}"

"""One figure per output, drawn once and then blitted frame after frame.

Static things (axes, ticks, titles) are drawn into a cached background; the
artists registered with :meth:`Canvas.animate` are redrawn over it for every
frame and the pixels grabbed from the Agg buffer. Never a new figure per frame.
Text that changes every frame (captions, status lines) is drawn onto the
grabbed pixels with pillow in matplotlib's own DejaVu Sans: matplotlib
rasterises every glyph anew each frame, which cost more than everything else.
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass
from numbers import Real

import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from animate.errors import UserError
from animate.render import style

TITLE_PX, STATUS_PX, CAPTION_PX, PANEL_TITLE_PX, HEADER_PX = 26, 18, 40, 30, 18
# A panel's status line may wrap onto this many lines rather than lose a field.
STATUS_LINES = 2
# Pixels each further status line takes.
STATUS_LINE_PX = 14
# Text must stay this many pixels tall when the GIF is shown this wide (a blog column).
READABLE_PX, BLOG_WIDTH = 11.0, 720


# A column narrower than this (at the style's text size) cannot hold a status line.
MIN_CELL_PX = 240


def text_scale(width, cols=1):
    """How much larger than the style's sizes text (and the room kept for it) is in a
    GIF ``width`` pixels wide, so that the smallest text still measures
    ``READABLE_PX`` pixels when the GIF is shown ``BLOG_WIDTH`` wide.

    Never so large that a column of ``cols`` holds less than ``MIN_CELL_PX`` of
    text: a grid that wide needs a blog version with fewer columns instead."""
    smallest_px = min(style.FONT_SIZES.values()) * style.DPI / 72
    wanted = READABLE_PX * width / (BLOG_WIDTH * smallest_px)
    return max(1.0, min(wanted, width / cols / MIN_CELL_PX))


@dataclass(frozen=True)
class Panel:
    """Where one trace is drawn: a data axes, an optional side axes, its text slots."""

    data: object
    side: object
    title: object
    status: object


class Label:
    """A line of text in pixel coordinates (origin top left), drawn on every frame.

    ``anchor`` is pillow's: "ma" centres the text horizontally, its top at ``y``.
    """

    def __init__(self, x, y, kind, colour, anchor="ma", width=None, wrap=False, scale=1.0):
        self.xy, self.anchor, self.text, self.width = (x, y), anchor, "", width
        self.fill = tuple(round(255 * c) for c in to_rgb(colour))
        self.font = font(kind, scale)
        self.wrap = wrap

    def set_text(self, text):
        text = str(text)
        if self.width and self.wrap:
            text = wrap_status(text, self.font, self.width)
        elif self.width:
            text = fit_lines(text, self.font, self.width)
        self.text = text

    def get_text(self):
        return self.text

    def draw(self, draw):
        if self.text:
            draw.multiline_text(
                self.xy,
                self.text,
                font=self.font,
                fill=self.fill,
                anchor=self.anchor,
                align="center",
                spacing=3,
            )


class FittedText:
    """A matplotlib text whose lines are shortened to ``width`` pixels (see :func:`fit_line`)."""

    def __init__(self, text, kind, width, scale=1.0):
        self.artist, self.font, self.width = text, font(kind, scale), width

    def set_text(self, text):
        self.artist.set_text(fit_lines(str(text), self.font, self.width))

    def get_text(self):
        return self.artist.get_text()


@functools.cache
def font(kind, scale=1.0):
    """The pillow font matplotlib's DejaVu Sans has at the size of ``kind`` ("status"...),
    ``scale`` times larger (see :func:`text_scale`)."""
    # Fractional sizes (pillow >= 10.1) measure text exactly as matplotlib sets it.
    size_px = style.FONT_SIZES[kind] * style.DPI * scale / 72
    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size_px)


def fit_lines(text, font, width):
    """Every line of ``text`` shortened to ``width`` pixels by :func:`fit_line`."""
    return "\n".join(fit_line(line, font, width) for line in text.split("\n"))


def wrap_status(line, font, width, max_lines=STATUS_LINES):
    """A status line ("iteration 2 of 9 · 3 clusters · 12 noise") broken between its
    " · " parts onto at most ``max_lines`` lines of ``width`` pixels: no part is
    dropped while they fit so. Only what still overflows the last line is shortened
    by :func:`fit_line`."""
    lines, parts = [], line.split(" · ")
    while parts and len(lines) < max_lines - 1:
        take = 1
        while take < len(parts) and font.getlength(" · ".join(parts[: take + 1])) <= width:
            take += 1
        lines.append(" · ".join(parts[:take]))
        parts = parts[take:]
    if parts:
        lines.append(fit_line(" · ".join(parts), font, width))
    return "\n".join(fit_line(part, font, width) for part in lines)


def fit_line(line, font, width):
    """``line`` shortened to ``width`` pixels, dropping its least telling parts first.

    A status line ("iteration 2 of 9 · assign · inertia 656 · ARI 0.97") keeps
    its first and last " · " parts longest; a title ("EM, 3 Gaussians, full
    covariances") keeps its first ", " parts. What still does not fit is cut
    with an ellipsis.
    """
    parts = line.split(" · ")
    while len(parts) > 2 and font.getlength(" · ".join(parts)) > width:
        del parts[-2]
    head = parts[0].split(", ")
    while len(head) > 1 and font.getlength(" · ".join([", ".join(head), *parts[1:]])) > width:
        del head[-1]
    line = " · ".join([", ".join(head), *parts[1:]])
    while len(line) > 1 and font.getlength(line) > width:
        line = line[:-2].rstrip(" ·,") + "…"
    return line


class Canvas:
    """A figure of ``size`` = (width, height) pixels with blitting.

    ``panels`` rows x cols panels, each with a data axes (equal scale) and, if
    ``side``, a diagnostic axes beside it; one title line on top, one status
    line per panel, one caption at the bottom if ``caption``, and over each
    column its header if ``headers`` are given.
    """

    def __init__(
        self,
        size,
        rows=1,
        cols=1,
        side=False,
        caption=True,
        side_ratio=0.8,
        headers=None,
        row_headers=None,
    ):
        width, height = check_size(size)
        self.size = (width, height)
        # Everything matplotlib sizes in points (text, lines, markers) grows with the
        # dpi: a wide GIF is drawn as if larger, so its text reads at blog width.
        self.scale = text_scale(width, cols)
        dpi = style.DPI * self.scale
        self.figure = Figure(
            figsize=(width / dpi, height / dpi), dpi=dpi, facecolor=style.BACKGROUND
        )
        self.canvas = FigureCanvasAgg(self.figure)
        self._animated, self._background = [], None
        # The keys a grid explains once (see painters.base.grid_key): name -> (crowd, legend).
        self.keys_drawn = {}
        px = self.px
        top = px(TITLE_PX) + (px(STATUS_PX) if rows * cols == 1 else 0)
        top += px(HEADER_PX) if headers else 0
        bottom = px(CAPTION_PX) if caption else 8
        margin = px(HEADER_PX) if row_headers else 0
        self.title = self._text(
            width / 2, height - 8, "title", ha="center", va="top", weight="bold", color=style.INK
        )
        self._headers(headers or [], row_headers or [], (rows, cols), top, bottom, margin)
        self.labels = []
        self.caption = self.label(width / 2, height - bottom + 8, "caption", style.INK)
        self.panels = self._panels(rows, cols, side, top, bottom, side_ratio, margin)

    def px(self, pixels):
        """``pixels`` of room for text at the style's size, scaled as the text is."""
        return pixels * self.scale

    def _headers(self, headers, row_headers, grid, top, bottom, margin):
        """Column headings under the title, row headings (turned) down the left margin."""
        (rows, cols), (w, h) = grid, self.size
        cell_w, cell_h = (w - margin) / cols, (h - top - bottom) / rows
        kw = {"ha": "center", "weight": "bold", "color": style.INK}
        for c, header in enumerate(headers[:cols]):
            x = margin + (c + 0.5) * cell_w
            text = self._text(x, h - self.px(TITLE_PX), "panel", va="top", **kw)
            FittedText(text, "panel", cell_w - 12, self.scale).set_text(header)
        for r, header in enumerate(row_headers[:rows]):
            y = h - top - (r + 0.5) * cell_h
            text = self._text(4, y, "panel", va="center", rotation=90, **{**kw, "ha": "left"})
            FittedText(text, "panel", cell_h - 12, self.scale).set_text(header)

    def _text(self, x, y, kind, **kw):
        w, h = self.size
        return self.figure.text(x / w, y / h, "", fontsize=style.FONT_SIZES[kind], **kw)

    def label(self, x, y, kind, colour, anchor="ma", width=None, wrap=False):
        """A :class:`Label` at (x, y) pixels from the top left, redrawn on every frame.

        Its lines are shortened to ``width`` pixels if given (``wrap``: a status
        line, broken between its parts first, see :func:`wrap_status`)."""
        label = Label(x, y, kind, colour, anchor, width, wrap, self.scale)
        self.labels.append(label)
        return label

    def _panels(self, rows, cols, side, top, bottom, side_ratio, margin=0):
        w, h = self.size
        cell_w, cell_h = (w - margin) / cols, (h - top - bottom) / rows
        single = rows * cols == 1
        px = self.px
        head = 0 if single else px(PANEL_TITLE_PX)
        foot = 0 if single else px(STATUS_PX + (STATUS_LINES - 1) * STATUS_LINE_PX)
        panels = []
        for r in range(rows):
            for c in range(cols):
                x0, y0 = margin + c * cell_w, h - top - (r + 1) * cell_h
                inner_h = cell_h - head - foot - 6
                # The side panel never takes more than about 40% of a narrow cell.
                plot_w = min(inner_h * side_ratio, (cell_w - px(82)) * 0.42)
                side_w = plot_w + px(70) if side else 0
                data_w = min(cell_w - side_w - 12, inner_h)
                left = x0 + (cell_w - data_w - side_w) / 2
                data = self._axes(left, y0 + foot + 3, data_w, inner_h)
                data.set_xticks([])
                data.set_yticks([])
                side_ax = None
                if side:
                    side_ax = self._axes(
                        left + data_w + px(66),
                        y0 + foot + px(36),
                        side_w - px(70),
                        inner_h - px(62),
                    )
                    side_ax.tick_params(labelsize=style.FONT_SIZES["tick"], colors=style.MUTED)
                if single:
                    panel_title = self.title
                    status = self.label(w / 2, px(TITLE_PX) + 2, "status", style.MUTED)
                else:
                    cx = x0 + cell_w / 2
                    text = self._text(
                        cx,
                        y0 + cell_h - 2,
                        "panel",
                        ha="center",
                        va="top",
                        color=style.INK,
                        linespacing=1.3,
                    )
                    panel_title = FittedText(text, "panel", cell_w - 20, self.scale)
                    status = self.label(
                        cx, h - (y0 + foot - 1), "status", style.MUTED, width=cell_w - 20, wrap=True
                    )
                panels.append(Panel(data, side_ax, panel_title, status))
        return panels

    def _axes(self, x, y, width, height):
        w, h = self.size
        ax = self.figure.add_axes((x / w, y / h, max(width, 10) / w, max(height, 10) / h))
        for spine in ax.spines.values():
            spine.set_color(style.GRID)
        return ax

    def animate(self, *artists):
        """Mark artists as changing from frame to frame (drawn over the background)."""
        for artist in artists:
            artist.set_animated(True)
            self._animated.append(artist)
        self._animated.sort(key=lambda a: a.get_zorder())
        self._background = None

    def restage(self):
        """Redraw the background on the next frame: after a change to static text."""
        self._background = None

    def set_caption(self, text):
        """Show ``text`` in the caption slot, wrapped to the figure's width."""
        # An average DejaVu Sans character is about 0.55 em wide; sizes are in points.
        em_px = style.FONT_SIZES["caption"] * style.DPI * self.scale / 72
        chars = max(30, int(self.size[0] / (em_px * 0.55)))
        self.caption.set_text("\n".join(textwrap.wrap(text, chars)[:2]))

    def grab(self):
        """Draw the animated artists over the background; the frame as RGB (h, w, 3) uint8."""
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self._animated:
            # Hidden artists cost a call each; grids of panels hide most of theirs.
            if artist.get_visible():
                artist.draw(renderer)
        buffer = np.asarray(self.canvas.buffer_rgba())
        height, width = buffer.shape[:2]
        image = Image.frombuffer("RGBA", (width, height), buffer, "raw", "RGBA", 0, 1)
        if self.labels:
            # Pillow marks an image on another's memory read-only and would copy it
            # before drawing: the text goes straight into the canvas, which restores
            # its background every frame. The paper is opaque: text blends as on RGB.
            image.readonly = 0
            draw = ImageDraw.Draw(image)
            for label in self.labels:
                label.draw(draw)
        # Pillow drops the alpha while it copies out: ten times faster than numpy's
        # strided copy, or converting to RGB and then copying.
        rgb = np.frombuffer(image.tobytes("raw", "RGB"), np.uint8)
        return rgb.reshape(height, width, 3)


def check_size(size):
    """``size`` as even (width, height) pixels, at least 160 x 120."""
    vector = isinstance(size, list | tuple | np.ndarray) and np.ndim(size) == 1
    values = list(size) if vector else []
    ok = len(values) == 2 and all(
        isinstance(v, Real) and not isinstance(v, bool | np.bool_) and float(v).is_integer()
        for v in values
    )
    width, height = (int(v) for v in values) if ok else (0, 0)
    if width < 160 or height < 120 or width > 4000 or height > 4000:
        raise UserError(
            f"size must be (width, height) in whole pixels between 160x120 and "
            f"4000x4000, got {size!r}"
        )
    # Video encoders need even sizes; GIFs do not care, so round for both.
    return width + width % 2, height + height % 2

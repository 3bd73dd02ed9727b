"""``storyboard``: the key steps of a run as small multiples on one PNG.

For print, slides and papers, where nothing moves: the first step, the steps
that matter and the last, side by side, each captioned with its step. Which
steps matter is the painters' own notion: among the steps the animation would
show, those it lingers on (a painter's ``weight``), those that start a new
phase and those that move many points to another cluster.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from animate.errors import UserError

MAX_PANELS = 12
FRAME_SIZE = (400, 380)
_CAPTION_PX = 26
_TITLE_PX = 34
_GAP = 8


def storyboard(traces, path, *, panels=8, cols=None, size=FRAME_SIZE, theme="light"):
    """Draw the key steps of one or several runs on one PNG.

    Parameters
    ----------
    traces : Trace or sequence of Trace
        What :func:`animate.run` returned; several traces make one row each.
    path : str or Path
        The PNG to write (atomically).
    panels : int, default=8
        Key steps per run, first and last included (2 to 12); fewer when the
        run has fewer steps.
    cols : int, optional
        Columns for a single run; default 4. Several runs: one column per step.
    size : (width, height), default=(400, 380)
        Pixels of each small picture.
    theme : {"light", "dark"}, default="light"
        The colours: dark paper and light ink with "dark".

    Returns
    -------
    Path
        The file written.
    """
    from animate.encode import atomic_write
    from animate.render import _check_traces, style

    chosen = style.theme(theme)
    if isinstance(panels, bool) or not isinstance(panels, int) or not 2 <= panels <= MAX_PANELS:
        raise UserError(f"panels must be a whole number from 2 to {MAX_PANELS}, got {panels!r}")
    if Path(path).suffix.lower() != ".png":
        raise UserError(f"a storyboard is a PNG; name it {Path(path).stem}.png")
    traces = _check_traces(traces)
    blocks = []
    with style.using(chosen):
        for trace in traces:
            title, pictures = _key_pictures(trace, panels, size)
            columns = cols or min(4, len(pictures)) if len(traces) == 1 else len(pictures)
            blocks.append(
                (title, [pictures[i : i + columns] for i in range(0, len(pictures), columns)])
            )
    board = _tile(blocks, size, chosen)
    atomic_write(path, lambda tmp: board.save(tmp, format="PNG", optimize=True))
    return Path(path)


def key_steps(painter, shown, panels):
    """The indices of ``panels`` key steps among ``shown`` (the animation's steps).

    The first and the last always; then the steps with the highest importance:
    the painter's weight (how long it lingers), a new phase that changes
    labels, and the share of points whose cluster changed since the step before.
    Among equally important steps, those far from the ones already chosen.
    """
    steps = painter.trace.steps
    if len(shown) <= panels:
        return list(shown)
    scores = []
    for before, index in itertools.pairwise(shown[:-1]):
        # `before` is the previous shown step, `index` the candidate.
        moved = float(np.mean(steps[index].labels != steps[before].labels))
        new_phase = steps[index].phase != steps[before].phase
        scores.append(painter.weight(index) + moved * 2 + (0.5 if new_phase and moved else 0))
    # Greedy: the most important step next; among equals, the one farthest from
    # the steps already chosen, so quiet stretches are sampled evenly.
    chosen = [shown[0], shown[-1]]
    candidates = dict(zip(shown[1:-1], np.round(scores, 6)))
    while len(chosen) < panels:
        best = max(
            candidates,
            key=lambda i: (candidates[i], min(abs(i - c) for c in chosen), -i),
        )
        chosen.append(best)
        del candidates[best]
    return sorted(int(i) for i in chosen)


def _key_pictures(trace, panels, size):
    """The run's title and small pictures of its key steps, each with its caption."""
    from animate.render.figure import Canvas
    from animate.render.painters import PanelContext, painter_for
    from animate.render.projection import View, fitted_limits
    from animate.render.timeline import select_steps

    cls = painter_for(trace.algorithm)
    shown = [int(i) for i in select_steps(len(trace.steps), 90, cls.focus)]
    canvas = Canvas(size, 1, 1, side=False, caption=False)
    view = View(trace.X)
    panel = canvas.panels[0]
    box = panel.data.get_position()
    aspect = (box.height * size[1]) / (box.width * size[0])
    limits = fitted_limits(cls.extent(trace, view), aspect)
    # Not narrated: the caption under each picture names its step instead.
    context = PanelContext(panel, canvas, view, limits, shown, trace.y, 1, False)
    painter = cls(trace, context)
    pictures = []
    for number, index in enumerate(key_steps(painter, shown, panels), start=1):
        painter.show(index)
        panel.status.set_text(painter.status(index))
        step = trace.steps[index]
        caption = f"{number}. step {index + 1} of {len(trace.steps)}: {step.phase}"
        pictures.append((canvas.grab().copy(), caption))
    return str(painter.title()), pictures


def _tile(blocks, size, theme):
    """Each run's title over its rows of pictures, each caption under its picture, on
    the theme's paper."""
    from PIL import Image, ImageDraw

    width, height = size
    cell_h = height + _CAPTION_PX
    columns = max(len(row) for _, rows in blocks for row in rows)
    board_w = columns * width + (columns + 1) * _GAP
    board_h = sum(_TITLE_PX + len(rows) * (cell_h + _GAP) for _, rows in blocks) + _GAP
    board = Image.new("RGB", (board_w, board_h), theme.background)
    draw = ImageDraw.Draw(board)
    caption_font, title_font = _font(14), _font(18)
    y = _GAP
    for title, rows in blocks:
        draw.text((board_w / 2, y + 6), title, fill=theme.ink, font=title_font, anchor="mt")
        y += _TITLE_PX
        for row in rows:
            for c, (picture, caption) in enumerate(row):
                x = _GAP + c * (width + _GAP)
                board.paste(Image.fromarray(picture), (x, y))
                draw.text(
                    (x + width / 2, y + height + 6),
                    caption,
                    fill=theme.ink,
                    font=caption_font,
                    anchor="mt",
                )
            y += cell_h + _GAP
    return board


def _font(px):
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), px)

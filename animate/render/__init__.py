"""Traces to frames to files: ``render`` one trace, ``compare`` several side by side.

Frame generation (:func:`frames`) is separate from writing (:mod:`animate.writers`):
frames stream one at a time into a writer per requested format.
matplotlib and pillow are imported when the first frame is drawn, not when
``animate`` is imported: commands that only list or check start fast.
"""

from __future__ import annotations

import functools
import inspect
import math

import numpy as np

from animate.errors import UserError
from animate.metrics import StatusScores, needs_truth, status_metrics
from animate.render.projection import View, fitted_limits
from animate.render.timeline import GRID_STEP_MS, Timeline, Timing

SINGLE_SIZE = (480, 480)
SIDE_SIZE = (800, 440)
# Each in-between frame of a morph (Painter.tweens) lasts this long.
TWEEN_MS = 80


def render(trace, path, *, size=None, title=None, side_panel=True, **options):
    """Animate one trace into a GIF (or WebP, APNG, MP4).

    Parameters
    ----------
    trace : Trace
        What :func:`animate.run` returned.
    path : str or Path
        Output file; its suffix picks the format: .gif, .webp, .apng (or .png),
        .mp4 (needs ``pip install clustergif[video]``). Written atomically: a
        failed run leaves nothing.
    formats : sequence of str, optional
        More formats to write beside ``path`` from the same frames, e.g.
        ``["webp", "mp4"]``: ``out.gif`` also gives ``out.webp`` and ``out.mp4``.
    alt : str, optional
        The text alternative shown in notebooks; default :func:`animate.describe`.
    size : (width, height), optional
        Pixels; default 480 x 480, or 800 x 440 with a side panel.
    title : str, optional
        Title line; default names the algorithm and its key parameters.
    side_panel : bool, default=True
        Show the algorithm's diagnostic panel (inertia, likelihood, dendrogram...).
    theme : {"light", "dark"}, default="light"
        The colours: "dark" draws on dark paper with light ink, its cluster
        colours checked for contrast there (for pages in dark mode).
    step_ms, first_ms, hold_ms : int
        How long a step, the first frame and the last frame last, in milliseconds.
        Key steps (a first assignment, a relocation, a merge) last 2.5 steps; steps
        that change nothing visible are skipped; in a grid a step lasts at least 400.
    max_frames : int, default=90
        Frame budget: longer traces are shown in growing strides.
    every_step : bool, default=False
        Give every step a frame of its own (within ``max_frames``), also the steps
        that change the picture by less than 12 pixels, which are left out by default.
    metrics : sequence of str, optional
        Scores of the current labels for the status line, by short name:
        ``ari``, ``ami``, ``homogeneity``, ``completeness``, ``v_measure``,
        ``fmi`` (against the true labels: the data must have them),
        ``silhouette``, ``calinski_harabasz``, ``davies_bouldin`` (on the data).
    ari : bool, default=False
        The same as adding ``"ari"`` to ``metrics``.
    caption : str, optional
        A fixed line (two at most) under the picture, in place of the
        narration of each step; several panels have no caption without it.
    force : bool, default=False
        Replace ``path`` even if it exists and is not a GIF: without it, a
        text file, a device or a pipe at ``path`` is refused, not overwritten.
    headers, row_headers : sequence of str, optional
        A heading over each column of panels (a grid's algorithms) and, turned,
        left of each row (a grid's data sets).
    **options
        The painter's own options (e.g. ``voronoi=False`` for k-means).

    Returns
    -------
    Animation
        The file written: a ``Path`` that shows itself in a notebook.
    """
    from animate.render.painters import painter_for

    (trace,) = _check_traces([trace])
    side = side_panel and painter_for(trace.algorithm, trace.data_kind).side_title is not None
    if size is None:
        size = SIDE_SIZE if side else SINGLE_SIZE
    titles = None if title is None else [_check_text("title", title)]
    return compare([trace], path, size=size, titles=titles, side_panel=side, **options)


def compare(traces, path, *, formats=(), alt=None, force=False, theme="light", **options):
    """Animate several traces side by side in one file, their timelines aligned.

    Panels on the same data agree on colours (matched to the true labels if the
    traces carry them, else to the first panel); a panel that finishes first
    holds its final frame.

    Parameters
    ----------
    traces : sequence of Trace
    path : str or Path
    size : (width, height), optional
        Pixels; default about 300 x 320 per panel.
    cols : int, optional
        Panels per row; default: as square a grid as fits.
    titles : sequence of str, optional
        One title per panel; default: algorithm, parameters and outcome.
        ``{outcome}`` in a title is replaced by the panel's outcome.
    title : str, optional
        The figure's title line.
    formats, alt, side_panel, step_ms, first_ms, hold_ms, max_frames, every_step, metrics, ari,
    caption, headers, row_headers, theme, **options
        As for :func:`render`; ``side_panel`` defaults to False here.
    force : bool, default=False
        Replace ``path`` even if it exists and is not an animation this tool wrote
        (a text file, a device...).

    Returns
    -------
    Animation
        The file written (a ``Path``); ``.others`` lists the other formats written.
    """
    from animate.display import Animation
    from animate.render import style
    from animate.writers import format_paths, write

    chosen = style.theme(theme)
    paths = format_paths(path, formats)
    traces = _check_traces(traces)
    if alt is None:
        from animate.describe import describe

        alt = describe(traces)
    write(frames(traces, theme=chosen, **options), paths, force=force, theme=chosen)
    return Animation(paths[0], alt=alt, others=paths[1:])


def frames(
    traces,
    *,
    size=None,
    cols=None,
    titles=None,
    title=None,
    side_panel=False,
    step_ms=500,
    first_ms=1500,
    hold_ms=3000,
    max_frames=90,
    every_step=False,
    metrics=(),
    ari=False,
    caption=None,
    headers=None,
    row_headers=None,
    theme="light",
    **options,
):
    """Yield ``(rgb_frame, duration_ms)`` for traces drawn side by side, in ``theme``."""
    from animate.render import style

    with style.using(theme):
        traces = _check_traces(traces)
        metrics = status_metrics([*(["ari"] if ari else []), *status_metrics(metrics)])
        if needs_truth(metrics) and all(t.y is None for t in traces):
            wanted = [m for m in metrics if needs_truth([m])]
            one = len(wanted) == 1
            raise UserError(
                f"{' and '.join(wanted)} need{'s' * one} data with true labels; leave "
                f"{'it' if one else 'them'} out for this data, or score it with silhouette"
            )
        n = len(traces)
        timing = grid_timing(n, step_ms, first_ms, hold_ms, max_frames)
        cols = _check_cols(cols, n)
        if not isinstance(every_step, bool):
            raise UserError(f"every_step must be true or false, got {every_step!r}")
        title, caption = _check_text("title", title), _check_text("caption", caption)
        titles, headers, row_headers = (
            None if texts is None else [_check_text(name, text) for text in texts]
            for name, texts in (
                ("titles", titles),
                ("headers", headers),
                ("row_headers", row_headers),
            )
        )
        canvas = _canvas(n, size, cols, side_panel, caption, headers, row_headers)
        narrate = n == 1 and not caption
        painters = _painters(traces, canvas, timing, options, narrate)
        endings = []
        for painter, panel_title in zip(painters, titles or [None] * n):
            # Outcomes are revealed in the last frame, not given away in the first.
            painter.panel.title.set_text(_panel_title(painter, panel_title, n, outcome=False))
            endings.append(_panel_title(painter, panel_title, n))
        if title and n > 1:
            canvas.title.set_text(title)
        timeline = paced(painters, timing, every_step)
        scores = [StatusScores(metrics, t.X, t.y) for t in traces]
        yield from _play(painters, canvas, timeline, scores, narrate, endings)


def grid_timing(n_panels, step_ms=500, first_ms=1500, hold_ms=3000, max_frames=90):
    """The :class:`Timing` of ``n_panels`` panels: a grid's steps last at least
    ``GRID_STEP_MS``, long enough to look over every panel."""
    timing = Timing(step_ms, first_ms, hold_ms, max_frames)  # checks the values first
    if n_panels > 1 and step_ms < GRID_STEP_MS:
        timing = Timing(GRID_STEP_MS, first_ms, hold_ms, max_frames)
    return timing


def paced(painters, timing, every_step=False):
    """The timeline the painters' traces play on: key steps held, quiet steps left out
    unless ``every_step``."""
    weights = [[p.weight(i) for i in range(len(p.trace.steps))] for p in painters]
    changes = None
    if not every_step:
        changes = [[p.change(i) for i in range(len(p.trace.steps))] for p in painters]
    return Timeline.aligned(
        [len(p.trace.steps) for p in painters],
        timing,
        weights,
        [p.focus for p in painters],
        changes,
    )


def _canvas(n, size, cols, side_panel, caption, headers, row_headers):
    """The figure for ``n`` panels: as square a grid as fits unless ``cols`` says."""
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    from animate.render.figure import Canvas

    canvas = Canvas(
        (max(320, 300 * cols), 60 + 320 * rows) if size is None else size,
        rows,
        cols,
        side=side_panel,
        caption=n == 1 or bool(caption),
        headers=headers,
        row_headers=row_headers,
    )
    if caption:
        canvas.set_caption(caption)
    # A grid with more cells than panels: the spare cells stay blank, not empty frames.
    for spare in canvas.panels[n:]:
        for ax in (spare.data, spare.side):
            if ax is not None:
                ax.set_visible(False)
    return canvas


def _painters(traces, canvas, timing, options, narrated):
    """One painter per trace, each told which steps it will show and its fixed limits."""
    from animate.render.names import name_panel
    from animate.render.painters import PanelContext, painter_for

    classes = [painter_for(t.algorithm, t.data_kind) for t in traces]
    _unused_options(classes, options)
    timeline = Timeline.aligned(
        [len(t.steps) for t in traces], timing, focus=[c.focus for c in classes]
    )
    views = [View(trace.X) for trace in traces]
    extents = _extents(traces, classes, views)
    painters = []
    for p, (trace, cls) in enumerate(zip(traces, classes)):
        indices = sorted({f[p] for f in timeline.frames})
        panel = canvas.panels[p]
        box = panel.data.get_position()
        aspect = (box.height * canvas.size[1]) / (box.width * canvas.size[0])
        limits = fitted_limits(extents[p], aspect)
        anchor = _anchor(trace, traces[0], painters)
        ctx = PanelContext(panel, canvas, views[p], limits, indices, anchor, len(traces), narrated)
        painters.append(cls(trace, ctx, **_options_for(cls, options)))
        name_panel(painters[-1], len(traces))
    return painters


def _play(painters, canvas, timeline, scores, narrate, endings):
    """The frames of ``timeline``; with ``narrate``, each step's message is the caption.
    The last frame shows the panel titles ``endings`` (with their outcomes)."""
    shown = [None] * len(painters)
    last = len(timeline.frames) - 1
    for f, (steps, duration) in enumerate(zip(timeline.frames, timeline.durations)):
        yield from _tweens(painters, canvas, steps, shown, scores, narrate)
        if f == last and f > 0:
            for painter, ending in zip(painters, endings):
                painter.panel.title.set_text(ending)
            canvas.restage()
        for p, (painter, index) in enumerate(zip(painters, steps)):
            # A finished panel holds its last step: its artists are already right.
            if index != shown[p]:
                painter.show(index)
                painter.panel.status.set_text(_status(painter, index, scores[p]))
                shown[p] = index
        if narrate:
            canvas.set_caption(painters[0].caption(steps[0]))
        yield canvas.grab(), duration


def _tweens(painters, canvas, steps, shown, scores, narrate):
    """In-between frames before ``steps`` for painters that move into a step gradually
    (spectral clustering's morph into its embedding), told as the step they move
    into; the other panels hold. A grid gets one halfway frame held as long as a step:
    a quick morph there would be the only frame too short to look over every panel."""
    counts = [
        painter.tweens(index) if index != shown[p] and shown[p] is not None else 0
        for p, (painter, index) in enumerate(zip(painters, steps))
    ]
    duration = TWEEN_MS
    if len(painters) > 1:
        counts, duration = [min(count, 1) for count in counts], GRID_STEP_MS
    for t in range(1, max(counts) + 1):
        for painter, index, count, score in zip(painters, steps, counts, scores):
            if count:
                painter.show_between(index, min(t, count) / (count + 1))
                painter.panel.status.set_text(_status(painter, index, score))
        if narrate:
            canvas.set_caption(painters[0].caption(steps[0]))
        yield canvas.grab(), duration


def _panel_title(painter, custom, n_panels, outcome=True):
    """A custom title may hold ``{outcome}`` and ``{parameters}`` (the default title
    without the algorithm's name); the default states parameters and outcome.
    With ``outcome=False`` the outcome is left out (and what follows it on its line)."""
    title = painter.title()
    if custom:
        parameters = ", ".join(title.parameters)
        custom = custom.replace("{parameters}", parameters)
        if outcome:
            return custom.replace("{outcome}", painter.outcome())
        head, found, tail = custom.partition("{outcome}")
        return (head + tail.partition("\n")[2] if found else custom).rstrip("\n ")
    if n_panels == 1 or not outcome:
        return str(title)
    return f"{title}\n{painter.outcome()}"


def _status(painter, index, scores=None):
    """The painter's status line, then the chosen scores (a StatusScores) of the step."""
    text = painter.status(index)
    return text + scores.text(painter.trace.steps[index].labels) if scores else text


def _check_traces(traces):
    from animate.trace import Trace

    if not isinstance(traces, Trace | list | tuple):
        raise UserError(f"expected Trace objects from animate.run, got {type(traces).__name__}")
    traces = list(traces) if not isinstance(traces, Trace) else [traces]
    if not traces:
        raise UserError("compare needs at least one trace")
    for trace in traces:
        if not isinstance(trace, Trace):
            raise UserError(f"expected Trace objects from animate.run, got {type(trace).__name__}")
    return traces


def _check_cols(cols, n_panels):
    """``cols``: None (as square a grid as fits) or a whole number of panels per row."""
    if cols is None:
        return None
    if isinstance(cols, bool) or not isinstance(cols, int) or not 1 <= cols <= n_panels:
        raise UserError(
            f"cols must be a whole number of panels per row from 1 to {n_panels} (the "
            f"panels there are), got {cols!r}"
        )
    return cols


def _check_text(name, text):
    """``text`` (or None) with tabs as spaces, if it is a string the font can draw."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise UserError(f"{name} must be text (a string), got {text!r}")
    text = text.replace("\t", " ")
    missing = "".join(sorted({c for c in text if c != "\n" and not _drawable(c)}))
    if missing:
        raise UserError(
            f"{name} has characters the font (DejaVu Sans) cannot draw: {missing[:20]!r}; "
            "use Latin, Greek or Cyrillic letters, digits and common symbols"
        )
    return text


def _drawable(character):
    return _font().get_char_index(ord(character)) != 0


@functools.cache
def _font():
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return FT2Font(font_manager.findfont("DejaVu Sans"))


def _anchor(trace, first, painters):
    if trace.y is not None:
        return trace.y
    if painters and _same_data(first, trace):
        return first.final.labels
    return None


def _extents(traces, classes, views):
    """What each panel must hold: its own extent and that of every panel on the same
    data, so that panels compared side by side show the data at the same zoom."""
    own = [cls.extent(trace, view) for trace, cls, view in zip(traces, classes, views)]
    return [
        np.vstack([own[j] for j, other in enumerate(traces) if _same_data(trace, other)])
        for trace in traces
    ]


def _same_data(a, b):
    return a.X.shape == b.X.shape and np.array_equal(a.X, b.X)


def _painter_options(cls):
    """The painter's own options: the keyword arguments after the trace and context."""
    return set(list(inspect.signature(cls.__init__).parameters)[3:])


def _options_for(cls, options):
    accepted = _painter_options(cls)
    return {k: v for k, v in options.items() if k in accepted}


def _unused_options(classes, options):
    accepted = set()
    for cls in classes:
        accepted |= _painter_options(cls)
    unknown = sorted(set(options) - accepted)
    if unknown:
        general = [
            p for p in inspect.signature(frames).parameters if p not in ("traces", "options")
        ]
        raise UserError(
            f"unknown render option {unknown[0]!r}; the general options are "
            f"{', '.join(general)}, and the painters here take "
            f"{', '.join(sorted(accepted)) or 'no others'}"
        )


__all__ = ["compare", "frames", "render"]

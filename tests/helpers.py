"""Shared test helpers: a painter on its own canvas, where a data point lands, tiny scenes."""

import numpy as np
from matplotlib.colors import to_rgb

from animate.render.figure import Canvas
from animate.render.painters import PanelContext, painter_for
from animate.render.projection import View, fitted_limits


def rgb(colour):
    """A matplotlib colour as 0-255 ints."""
    return np.round(np.array(to_rgb(colour)) * 255).astype(int)


def paint(trace, size=(400, 400), side=False, indices=None, narrated=True, **options):
    """The trace's painter on its own canvas, as the renderer builds it, and a frame function.

    ``narrated=False`` paints it as one panel of a grid would be (no legend, no names)."""
    canvas = Canvas(size, side=side)
    cls = painter_for(trace.algorithm, trace.data_kind)
    view = View(trace.X)
    box = canvas.panels[0].data.get_position()
    limits = fitted_limits(cls.extent(trace, view), box.height * size[1] / (box.width * size[0]))
    indices = list(range(len(trace.steps))) if indices is None else indices
    ctx = PanelContext(canvas.panels[0], canvas, view, limits, indices, trace.y, 1, narrated)
    painter = cls(trace, ctx, **options)

    def frame(index):
        painter.show(index)
        return canvas.grab().astype(int)

    return painter, frame


def pixel(ax, image, xy):
    """Row and column of data point ``xy`` of axes ``ax`` in ``image``."""
    x, y = ax.transData.transform(np.asarray(xy, dtype=float))
    return round(image.shape[0] - y), round(x)


def near(image, rc, colour, radius=2, tol=40):
    """Whether ``colour`` appears within ``radius`` pixels of (row, col)."""
    r, c = rc
    patch = image[r - radius : r + radius + 1, c - radius : c + radius + 1].reshape(-1, 3)
    return bool((np.abs(patch - rgb(colour)).sum(axis=1) < tol).any())


# Tiny on purpose: each render takes a fraction of a second.
TINY_SCENE = """\
title = '{title}'
description = '{description}'
[data]
name = "{dataset}"
n_samples = {n}
random_state = {seed}
[algorithm]
name = "kmeans"
n_clusters = 3
[render]
size = [240, 200]
max_frames = 6
"""


def tiny_scene(folder, name, title=None, description="", dataset="blobs", n=60, seed=0):
    """Write ``folder/name.toml``, a k-means scene that renders in a fraction of a second."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    text = TINY_SCENE.format(
        title=title or name, description=description, dataset=dataset, n=n, seed=seed
    )
    path.write_text(text, encoding="utf-8")
    return path


def two_frame_scene(output="", render=""):
    """A scene file's text: k-means on 20 blobs, two frames; ``output`` (a top-level
    key line) and ``render`` (lines of its [render] table) are added as given."""
    return f"""\
title = "t"
{output}
[data]
name = "blobs"
n_samples = 20
[algorithm]
name = "kmeans"
n_clusters = 2
[render]
max_frames = 2
{render}
"""


def render_twice(trace, folder, **options):
    """Render ``trace`` twice into ``folder``; assert the files are byte-identical."""
    from animate import render

    a = render(trace, folder / "a.gif", **options)
    b = render(trace, folder / "b.gif", **options)
    assert a.read_bytes() == b.read_bytes()
    return a


def scene_timeline(scene):
    """The timeline a loaded scene's GIF plays on (key steps held, quiet ones left out),
    built as the renderer builds it, without drawing a frame."""
    from animate.render import _canvas, _painters, grid_timing, paced
    from animate.render.painters import painter_for

    traces = scene.traces()
    options = dict(scene.render_options)
    extra = options.pop("options", {})
    n = len(traces)
    timing = grid_timing(
        n,
        *(options.get(k, d) for k, d in (("step_ms", 500), ("first_ms", 1500), ("hold_ms", 3000))),
        options.get("max_frames", 90),
    )
    # As render does: one trace gets its side panel if its painter has one; a grid none.
    side = options.get("side_panel", n == 1)
    if n == 1:
        side = side and painter_for(traces[0].algorithm, traces[0].data_kind).side_title is not None
    canvas = _canvas(
        n,
        options.get("size"),
        None if n == 1 else options.get("cols"),
        side,
        options.get("caption"),
        options.get("headers"),
        options.get("row_headers"),
    )
    return paced(_painters(traces, canvas, timing, extra, n == 1), timing)

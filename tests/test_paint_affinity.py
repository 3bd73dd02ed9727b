"""The affinity propagation painter: exemplars, links and heat maps where the trace says."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image, ImageSequence

import animate
from animate.render import style
from animate.render.painters.base import format_number
from animate.render.timeline import select_steps
from animate.scenes import load_scene

from helpers import paint as paint_alone
from helpers import scene_timeline

_COLOURMAP = style.colour_map()  # the light theme's
SIZE = (940, 560)


@pytest.fixture(scope="module")
def trace():
    X, y = animate.datasets.make("blobs", n_samples=60, centers=4, cluster_std=0.8, random_state=1)
    return animate.run("affinity", X, y=y)


def paint(trace, size=SIZE, side=True, **options):
    """A canvas with one affinity painter on it, built as animate.render.frames does."""
    painter, _ = paint_alone(trace, size=size, side=side, **options)
    return painter.canvas, painter


def frame(canvas, painter, index):
    painter.show(index)
    return canvas.grab().astype(int)


def pixel(ax, xy, height):
    """Image (row, column) of data point ``xy`` in axes ``ax``."""
    x, y = ax.transData.transform(np.asarray(xy, dtype=float))
    return round(float(height - y)), round(float(x))


def rgb255(colour):
    return np.round(np.array(to_rgb(colour)[:3]) * 255).astype(int)


def patch(image, at, radius):
    r, c = at
    return image[r - radius : r + radius + 1, c - radius : c + radius + 1].reshape(-1, 3)


def test_exemplars_are_large_discs_in_their_cluster_colour(trace):
    canvas, painter = paint(trace)
    last = len(trace.steps) - 1
    image = frame(canvas, painter, last)
    slots = painter.slots_of(last)
    exemplars = trace.final.exemplars
    assert len(exemplars) == 4
    for e in exemplars:
        colour = rgb255(style.cluster_colour(slots[e]))
        # 4 pixels from the centre is outside an ordinary point's marker: only an
        # exemplar's large disc covers the whole 9 x 9 square.
        square = patch(image, pixel(painter.ax, painter.xy[e], SIZE[1]), 4)
        assert (np.abs(square - colour).sum(axis=1) < 40).mean() > 0.8


def on_line(pixels, colour):
    """Which ``pixels`` are ``colour`` mixed with white (an anti-aliased line), by some 30%."""
    white = np.full(3, 255)
    towards = colour - white
    t = np.clip((pixels - white) @ towards / (towards @ towards), 0, 1)
    off = np.abs(pixels - (white + t[:, None] * towards)).sum(axis=1)
    return (t > 0.3) & (off < 30)


def test_every_point_is_linked_to_its_exemplar_in_its_colour(trace):
    canvas, painter = paint(trace)
    last = len(trace.steps) - 1
    before, after = frame(canvas, painter, 0), frame(canvas, painter, last)
    slots = painter.slots_of(last)
    exemplar_of = trace.final.exemplars[trace.final.labels]
    ends = [
        (
            np.array(pixel(painter.ax, painter.xy[i], SIZE[1])),
            np.array(pixel(painter.ax, painter.xy[e], SIZE[1])),
            slots[i],
        )
        for i, e in enumerate(exemplar_of)
    ]
    # Links long enough that their middle is clear of both markers.
    long = [(a, b, slot) for a, b, slot in ends if np.abs(a - b).sum() >= 24]
    assert len(long) > 20
    found = 0
    for a, b, slot in long:
        middle = tuple((a + b) // 2)
        colour = rgb255(style.cluster_colour(slot))
        found += on_line(patch(after, middle, 1), colour).any()
        assert not on_line(patch(before, middle, 1), colour).any()
    assert found >= 0.9 * len(long)


def block_order(trace):
    """Rows by final cluster, the exemplar first in its block."""
    labels = trace.final.labels
    leader = np.isin(np.arange(len(labels)), trace.final.exemplars)
    return np.lexsort((~leader, labels))


def cell_pixels(heat_map, cells, height):
    return [pixel(heat_map.ax, (col, row), height) for row, col in cells]


def test_heat_map_cells_show_the_ordered_matrix_on_the_whole_run_scale(trace):
    canvas, painter = paint(trace)
    responsibility = painter.maps[1]
    order = block_order(trace)
    everything = np.concatenate([s.responsibility.ravel() for s in trace.steps])
    low, high = np.percentile(everything, (1, 99))
    assert responsibility.image.get_clim() == pytest.approx((low, high))
    rng = np.random.default_rng(0)
    cells = rng.integers(0, len(order), size=(60, 2))
    for index in (len(trace.steps) // 2, len(trace.steps) - 1):
        image = frame(canvas, painter, index)
        matrix = trace.steps[index].responsibility[np.ix_(order, order)]
        leaders = responsibility.position[trace.steps[index].exemplars]
        matches, tried = 0, 0
        for (row, col), at in zip(cells, cell_pixels(responsibility, cells, SIZE[1])):
            if (np.maximum(np.abs(leaders - row), np.abs(leaders - col)) < 3).any():
                continue  # an exemplar's mark on the diagonal covers this cell
            level = np.clip((matrix[row, col] - low) / (high - low), 0, 1)
            expected = np.round(np.array(_COLOURMAP(level)[:3]) * 255)
            tried += 1
            matches += np.abs(image[at] - expected).sum() <= 6
        assert tried > 30 and matches >= 0.95 * tried


def test_current_exemplars_are_marked_on_the_evidence_diagonal(trace):
    canvas, painter = paint(trace)
    evidence = painter.maps[3]
    index = 8
    exemplars = trace.steps[index].exemplars
    assert 0 < len(exemplars) < 20
    image = frame(canvas, painter, index)
    slots = painter.slots_of(index)
    rows = evidence.position[exemplars]
    # A mark drawn over its neighbour on the diagonal hides it: only lone marks are checked.
    gaps = np.abs(rows[:, None] - rows[None]) + 99 * np.eye(len(rows), dtype=int)
    alone = gaps.min(axis=1) >= 3
    assert alone.sum() >= 3
    spots = [(p, p) for p in rows[alone]]
    for at, e in zip(cell_pixels(evidence, spots, SIZE[1]), exemplars[alone]):
        colour = rgb255(style.cluster_colour(slots[e]))
        assert (np.abs(patch(image, at, 1) - colour).sum(axis=1) < 30).sum() >= 5


def test_layout_and_colour_scales_stay_fixed_from_first_to_last_frame(trace):
    canvas, painter = paint(trace)
    axes = [painter.ax] + [m.ax for m in painter.maps]

    def layout():
        return [(tuple(ax.get_position().bounds), ax.get_xlim(), ax.get_ylim()) for ax in axes] + [
            m.image.get_clim() for m in painter.maps
        ]

    frame(canvas, painter, 0)
    first = layout()
    frame(canvas, painter, len(trace.steps) - 1)
    assert layout() == first


def test_a_step_repaints_the_messages_but_not_the_fixed_similarity(trace):
    canvas, painter = paint(trace)
    # Two late steps with the same exemplars: only the messages moved.
    index = len(trace.steps) - 3
    assert np.array_equal(trace.steps[index].exemplars, trace.steps[index + 1].exemplars)
    a, b = frame(canvas, painter, index), frame(canvas, painter, index + 1)
    changed = (a != b).any(axis=2)

    def inside(heat_map):
        return region(changed, heat_map.ax).sum()

    similarity, responsibility, _, evidence = painter.maps
    assert inside(similarity) == 0
    assert inside(responsibility) > 50 and inside(evidence) > 50


def region(image, artist, inset=0):
    """The pixels of ``image`` inside ``artist``'s bounding box, ``inset`` pixels in."""
    (x0, y0), (x1, y1) = artist.get_window_extent().get_points()
    height = image.shape[0]
    return image[
        height - int(y1) + inset : height - int(y0) - inset, int(x0) + inset : int(x1) - inset
    ]


def dark_pixels(image, artist):
    return int((region(image, artist).sum(axis=2) < 120).sum())


def test_a_run_that_does_not_converge_says_so_and_links_nothing():
    X, _ = animate.datasets.make("blobs", n_samples=40, random_state=0)
    stuck = animate.run("affinity", X, damping=0.9, max_iter=10)
    assert not stuck.converged and (stuck.final.labels == -1).all()
    canvas, painter = paint(stuck)
    last = len(stuck.steps) - 1
    before, after = frame(canvas, painter, 0), frame(canvas, painter, last)
    assert dark_pixels(before, painter.verdict) == 0
    assert dark_pixels(after, painter.verdict) > 40
    assert "not converged" in painter.status(last) and "no cluster" in painter.outcome()
    # No exemplar, no link: the data panel holds only the grey points and the verdict.
    grey = rgb255(style.UNASSIGNED)
    data = region(after, painter.ax, inset=2)
    coloured = np.abs(data - data.mean(axis=2, keepdims=True)).sum(axis=2) > 30
    assert not coloured.any()
    assert (np.abs(data - grey).sum(axis=2) < 20).sum() > 100


def test_matrices_option_chooses_the_heat_maps_and_rejects_unknown_names(trace):
    _, painter = paint(trace, size=(620, 320), matrices=["similarity"])
    assert len(painter.maps) == 1
    # The one similarity map names what is on its diagonal: the median similarity.
    preference = trace.steps[0].preference
    assert f"diagonal −{abs(preference):.3g}" in painter.maps[0].ax.get_title()
    with pytest.raises(animate.UserError, match="matrices must list"):
        paint(trace, matrices=["simlarity"])


def test_above_100_points_the_heat_maps_draw_the_algorithm_views():
    X, y = animate.datasets.make("gaussians4", n_samples=150, random_state=0)
    big = animate.run("affinity", X, y=y, max_iter=40)
    canvas, painter = paint(big)
    frame(canvas, painter, len(big.steps) - 1)
    shown = len(big.final.view_index)
    assert shown <= 100
    assert all(m.image.get_array().shape == (shown, shown) for m in painter.maps)


SCENE_DIR = Path(__file__).resolve().parent.parent / "scenes"
SCENES = {
    "affinity_similarity": 1_000_000,
    "affinity_exemplars": 1_000_000,
    "affinity_params": 2_000_000,
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenes")
    return {name: load_scene(SCENE_DIR / f"{name}.toml").render(out) for name in SCENES}


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENES)
def test_scene_renders_a_looping_gif_within_budget_and_duration(rendered, name):
    scene = load_scene(SCENE_DIR / f"{name}.toml")
    path = rendered[name]
    assert path.stat().st_size < SCENES[name]
    options = scene.render_options
    budget = options.get("max_frames", 90)
    n_frames = max(len(select_steps(len(t.steps), budget)) for t in scene.traces())
    step, first, hold = (
        options.get(k, d) for k, d in (("step_ms", 500), ("first_ms", 1500), ("hold_ms", 3000))
    )
    with Image.open(path) as gif:
        assert gif.info["loop"] == 0
        assert gif.size == tuple(options["size"])
        total = sum(f.info["duration"] for f in ImageSequence.Iterator(gif))
    timeline = scene_timeline(scene)
    assert total == timeline.total_ms
    # The first exemplars held 2.5 steps (in a grid, a panel settling too); steps
    # whose picture does not change (a grid has no heat maps) left out.
    keys = sum(d == 2.5 * step for d in timeline.durations[1:-1])
    assert keys >= 1
    assert total <= first + step * (n_frames - 2) + 1.5 * step * keys + hold


@pytest.mark.slow
def test_rendering_a_scene_twice_gives_the_same_bytes(rendered, tmp_path):
    again = load_scene(SCENE_DIR / "affinity_similarity.toml").render(tmp_path)
    assert again.read_bytes() == rendered["affinity_similarity"].read_bytes()


def test_heat_maps_keep_their_colours_through_gif_encoding(rendered):
    scene = load_scene(SCENE_DIR / "affinity_exemplars.toml")
    canvas, painter = paint(scene.traces()[0], size=scene.render_options["size"])
    frame(canvas, painter, 0)
    with Image.open(rendered["affinity_exemplars"]) as gif:
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB")).astype(int)
    levels = np.round(_COLOURMAP(np.linspace(0, 1, _COLOURMAP.N))[:, :3] * 255)
    for heat_map in painter.maps:
        cells = region(last, heat_map.image, inset=2).reshape(-1, 3)
        nearest = np.abs(cells[:, None, :] - levels[None]).sum(axis=2).min(axis=1)
        # Exemplar marks cover a few cells; everything else is exactly one of the map's
        # levels: none merged into a neighbour by the palette.
        assert (nearest == 0).mean() > 0.95


def test_each_heat_map_has_its_own_colour_bar_with_its_end_values(trace):
    canvas, painter = paint(trace)
    frame(canvas, painter, 0)
    bars = [ax for ax in canvas.figure.axes if ax not in [m.ax for m in painter.maps] and ax.images]
    assert len(bars) == len(painter.maps) == 4
    for heat_map, bar in zip(painter.maps, sorted(bars, key=_reading_order)):
        low, high = heat_map.image.get_clim()
        texts = [t.get_text() for t in bar.texts]
        # Its own scale: the map's limits, saturated tails marked on the message maps.
        clipped = heat_map is not painter.maps[0]
        assert texts == [
            ("≤ " if clipped else "") + format_number(low).replace("-", "−"),
            ("≥ " if clipped else "") + format_number(high).replace("-", "−"),
        ]
        # Just under its matrix, as wide.
        box, over = bar.get_position(), heat_map.ax.get_position()
        assert box.x0 == pytest.approx(over.x0) and box.x1 == pytest.approx(over.x1)
        assert 0 < over.y0 - box.y1 < 0.02


def test_a_line_under_the_heat_maps_says_how_to_read_them(trace):
    canvas, painter = paint(trace)
    frame(canvas, painter, 0)
    keys = [t for t in canvas.figure.texts if "row i, column k" in t.get_text()]
    assert len(keys) == 1
    renderer = canvas.figure.canvas.get_renderer()
    key = keys[0].get_window_extent(renderer)
    lowest = min(m.ax.get_window_extent(renderer).y0 for m in painter.maps)
    # Under every map and its colour bar, inside the picture.
    assert key.y1 < lowest and key.x0 >= 0 and key.x1 <= canvas.figure.bbox.width


def _reading_order(ax):
    box = ax.get_position()
    return (-round(box.y0, 2), box.x0)


def test_a_colour_used_twice_in_the_edge_strip_shows_each_cluster_its_shape():
    X, y = animate.datasets.make("blobs", n_samples=30, centers=4, random_state=1)
    many = animate.run("affinity", X, y=y, preference=-3, damping=0.7)
    assert many.final.n_exemplars > len(style.CLUSTER_COLOURS)
    _, painter = paint(many, size=(620, 320), matrices=["similarity"])
    ax = painter.maps[0].ax
    last = len(many.steps) - 1
    slots = np.unique(painter.slots_of(last))
    twice = [s for s in slots if np.count_nonzero(slots % 7 == s % 7) > 1]
    marks = sorted((line.get_marker() for line in ax.lines), key=str)
    # Two marks (top and left strip) per cluster whose colour repeats, in its points' shape.
    assert twice and marks == sorted(
        [style.cluster_marker(s) for s in twice for _ in (0, 1)], key=str
    )
    assert {line.get_markerfacecolor() for line in ax.lines} == {style.BACKGROUND}


def test_a_crowd_of_exemplars_is_small_uniform_dots_and_a_count():
    X, y = animate.datasets.make("gaussians4", n_samples=60, random_state=0)
    crowd = animate.run("affinity", X, y=y, preference=-1000, damping=0.5, max_iter=30)
    index = next(i for i, s in enumerate(crowd.steps) if s.n_exemplars > 20)
    calm = next(i for i, s in enumerate(crowd.steps) if 0 < s.n_exemplars <= 7)
    canvas, painter = paint(crowd, side=False, size=(400, 400))
    frame(canvas, painter, calm)
    big = painter.leaders.get_sizes()[0]
    assert not painter.crowd.get_visible()
    image = frame(canvas, painter, index)
    n = crowd.steps[index].n_exemplars
    assert painter.crowd.get_visible() and painter.crowd.get_text() == f"{n} exemplars"
    assert painter.leaders.get_sizes()[0] < big / 2
    faces = painter.leaders.get_facecolors()[:, :3]
    assert len(faces) == 1 or np.ptp(faces, axis=0).max() == 0
    # The points and links step back to grey: no cluster colour is left in the data panel.
    data = region(image, painter.ax, inset=2).reshape(-1, 3)
    for colour in style.CLUSTER_COLOURS:
        assert (np.abs(data - rgb255(colour)).sum(axis=1) < 20).sum() == 0

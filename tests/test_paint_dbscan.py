"""DBSCAN frames: the eps-ball where the visited point is, core points bigger
than border points, noise as grey crosses, a k-distance panel that holds still,
and scenes that loop, last as long as promised and fit their size budget."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image, ImageSequence

import animate
from animate.render import style
from animate.scenes import load_scene

import helpers

SCENES = Path(__file__).resolve().parent.parent / "scenes"
SIZE = (880, 500)


@pytest.fixture(scope="module")
def tutorial():
    return load_scene(SCENES / "dbscan.toml").traces()[0]


def paint(trace, indices=None, side=True, legend=False):
    """A painter on its own canvas, as ``animate.render`` builds it, and a frame grabber."""
    return helpers.paint(trace, size=SIZE, side=side, indices=indices, legend=legend)


def pixel(ax, xy):
    """(row, column) of data point ``xy`` of axes ``ax`` in a frame (image rows run downwards)."""
    x, y = ax.transData.transform(np.asarray(xy, dtype=float))
    return round(SIZE[1] - y), round(x)


def rgb(colour):
    return np.round(np.array(to_rgb(colour)) * 255).astype(int)


def near(image, rc, colour, radius=1, tol=12):
    """Whether a pixel within ``radius`` of ``rc`` has ``colour``."""
    r, c = rc
    patch = image[r - radius : r + radius + 1, c - radius : c + radius + 1].reshape(-1, 3)
    return bool((np.abs(patch - rgb(colour)).sum(axis=1) <= tol).any())


def clear_spot(painter, centre, radius, directions, min_px=16):
    """A direction from ``centre`` at ``radius`` whose pixel is far from every
    point and from the visited point's number (call after drawing the frame)."""
    points = np.array([pixel(painter.ax, p) for p in painter.xy])
    label = painter.name.get_window_extent().padded(4)
    for angle in directions:
        spot = centre + radius * np.array([np.cos(angle), np.sin(angle)])
        rc = np.array(pixel(painter.ax, spot))
        on_label = painter.name.get_visible() and label.contains(rc[1], SIZE[1] - rc[0])
        if np.min(np.abs(points - rc).max(axis=1)) >= min_px and not on_label:
            return rc
    return None


def steps_of(trace, phase):
    return [i for i, s in enumerate(trace.steps) if s.phase == phase and s.visited >= 0]


def test_eps_ball_is_grey_for_a_noise_visit_and_cluster_tinted_for_a_core_point(tutorial):
    painter, frame = paint(tutorial)
    visit, seed = steps_of(tutorial, "visit")[0], steps_of(tutorial, "expand")[0]
    eps = tutorial.final.eps
    for index, fill in ((visit, style.GRID), (seed, None)):
        image = frame(index)
        centre = painter.xy[tutorial.steps[index].visited]
        inside = clear_spot(painter, centre, 0.6 * eps, np.linspace(0, 2 * np.pi, 24))
        assert inside is not None
        if fill is None:
            slot = painter.slots[index][tutorial.steps[index].cluster]
            expected = np.round(style.tint(style.cluster_colour(slot)) * 255).astype(int)
            assert np.abs(image[tuple(inside)] - expected).sum() <= 6
        else:
            assert near(image, inside, fill, radius=0, tol=6)
        # The outline runs at distance eps from the visited point.
        outline = clear_spot(painter, centre, eps, np.linspace(0, 2 * np.pi, 24), min_px=8)
        r, c = outline
        # An anti-aliased line of ink: darker than the fill and the background by far.
        assert image[r - 2 : r + 3, c - 2 : c + 3].sum(axis=2).min() < 300


def test_noise_for_now_is_a_grey_cross_where_the_grey_dot_was(tutorial):
    painter, frame = paint(tutorial)
    visit = steps_of(tutorial, "visit")[0]
    rc = pixel(painter.ax, painter.xy[tutorial.steps[visit].visited])
    before, after = frame(0), frame(visit)
    assert near(before, rc, style.UNASSIGNED) and not near(before, rc, style.NOISE, tol=30)
    assert near(after, rc, style.NOISE, tol=30) and not near(after, rc, style.UNASSIGNED)
    final = frame(len(tutorial.steps) - 1)
    for point in np.flatnonzero(tutorial.final.labels < 0):
        assert near(final, pixel(painter.ax, painter.xy[point]), style.NOISE, tol=30)


def test_core_points_are_drawn_bigger_than_border_points(tutorial):
    painter, frame = paint(tutorial)
    last = len(tutorial.steps) - 1
    image = frame(last)
    labels, core = tutorial.final.labels, tutorial.final.core
    points = np.array([pixel(painter.ax, p) for p in painter.xy])

    def area(point):
        colour = rgb(style.cluster_colour(painter.slots[last][labels[point]]))
        r, c = points[point]
        patch = image[r - 9 : r + 10, c - 9 : c + 10]
        return int((np.abs(patch - colour).sum(axis=2) <= 12).sum())

    def isolated(point):
        others = np.delete(points, point, axis=0)
        return np.abs(others - points[point]).max(axis=1).min() > 20

    border = [i for i in np.flatnonzero((labels >= 0) & ~core) if isolated(i)]
    big = [i for i in np.flatnonzero(core) if isolated(i)]
    assert border and big
    assert min(area(i) for i in big) > 2 * max(area(i) for i in border) > 0


def test_each_step_changes_the_frame_around_the_point_it_visits(tutorial):
    painter, frame = paint(tutorial)
    eps_px = painter.ax.transData.transform([[tutorial.final.eps, 0], [0, 0]])
    reach = int(abs(eps_px[0, 0] - eps_px[1, 0])) + 4
    previous = frame(0)
    for index in range(1, len(tutorial.steps)):
        image = frame(index)
        visited = tutorial.steps[index].visited
        if visited >= 0:
            r, c = pixel(painter.ax, painter.xy[visited])
            window = (slice(r - reach, r + reach), slice(c - reach, c + reach))
            assert (image[window] != previous[window]).any(axis=2).sum() > 30
        previous = image


def test_strided_frames_draw_the_ball_of_the_step_they_show(tutorial):
    # Every third step only: the ball must follow the shown step, not the last one drawn.
    shown = [*range(0, len(tutorial.steps), 3), len(tutorial.steps) - 1]
    painter, frame = paint(tutorial, indices=shown)
    checked = 0
    for index in shown:
        step = tutorial.steps[index]
        if step.phase != "expand":
            continue
        image = frame(index)
        centre = painter.xy[step.visited]
        spot = clear_spot(painter, centre, 0.5 * step.eps, np.linspace(0, 2 * np.pi, 24))
        slot = painter.slots[index][step.cluster]
        expected = np.round(style.tint(style.cluster_colour(slot)) * 255).astype(int)
        assert np.abs(image[tuple(spot)] - expected).sum() <= 6
        checked += 1
    assert checked >= 3


def test_manhattan_ball_is_a_diamond(tutorial):
    trace = animate.run("dbscan", tutorial.X, eps=1.8, min_samples=4, metric="manhattan")
    painter, frame = paint(trace)
    eps, found = trace.final.eps, 0
    for index in steps_of(trace, "visit") + steps_of(trace, "expand"):
        image = frame(index)
        centre = painter.xy[trace.steps[index].visited]
        # At 0.85 eps: inside the diamond along an axis, outside it along a diagonal.
        axis = clear_spot(painter, centre, 0.85 * eps, [0, np.pi / 2, np.pi, 3 * np.pi / 2])
        diagonal = clear_spot(painter, centre, 0.85 * eps, np.pi / 4 + np.arange(4) * np.pi / 2)
        if axis is None or diagonal is None:
            continue
        assert near(image, diagonal, style.BACKGROUND, radius=0, tol=3)
        assert not near(image, axis, style.BACKGROUND, radius=0, tol=3)
        found += 1
    assert found >= 2


def test_k_distance_panel_marks_core_points_below_eps_and_holds_still(tutorial):
    painter, frame = paint(tutorial)
    np.testing.assert_array_equal(painter.kdist <= tutorial.final.eps, tutorial.final.core)
    side = painter.panel.side
    limits = (side.get_xlim(), side.get_ylim())
    first = frame(0)
    visit = steps_of(tutorial, "visit")[0]
    point = tutorial.steps[visit].visited
    image = frame(visit)
    r, c = pixel(side, (painter.rank[point], painter.kdist[point]))
    window = (slice(r - 6, r + 7), slice(c - 6, c + 7))
    assert (image[window] != first[window]).any(axis=2).sum() > 10
    frame(len(tutorial.steps) - 1)
    assert (side.get_xlim(), side.get_ylim()) == limits


def read_gif(path):
    with Image.open(path) as im:
        loop = im.info.get("loop")
        durations = [f.info["duration"] for f in ImageSequence.Iterator(im)]
    return loop, sum(durations)


@pytest.mark.slow
def test_tutorial_scene_shows_every_step_loops_and_repeats_byte_for_byte(tmp_path, tutorial):
    scene = load_scene(SCENES / "dbscan.toml")
    a = scene.render(tmp_path / "a")
    b = scene.render(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    assert a.stat().st_size < 1_000_000
    loop, total = read_gif(a)
    options = scene.render_options
    n = len(tutorial.steps)
    # Every step gets a frame: no striding through a hand-sized data set.
    expected = options["first_ms"] + options["step_ms"] * (n - 2) + options["hold_ms"]
    assert loop == 0 and total == expected <= 60_000


@pytest.mark.slow
@pytest.mark.parametrize(("name", "budget"), [("dbscan_circles", 1e6), ("dbscan_params", 2e6)])
def test_scenes_fit_their_budget_and_loop(tmp_path, name, budget):
    scene = load_scene(SCENES / f"{name}.toml")
    traces = scene.traces()
    path = scene.render(tmp_path)
    assert path.stat().st_size < budget
    loop, total = read_gif(path)
    options = {"step_ms": 500, "first_ms": 1500, "hold_ms": 3000, **scene.render_options}
    longest = max(len(t.steps) for t in traces)
    assert longest <= 90  # within the frame budget: every step shown
    expected = options["first_ms"] + options["step_ms"] * (longest - 2) + options["hold_ms"]
    timeline = helpers.scene_timeline(scene)
    # Every DBSCAN step shown; the k-means beside the circles holds its key steps (its
    # first assignment, a relocation) 1.5 steps longer.
    keys = sum(d == 2.5 * options["step_ms"] for d in timeline.durations[1:-1])
    assert loop == 0 and total == timeline.total_ms
    assert total == expected + 1.5 * options["step_ms"] * keys
    assert (keys > 0) == (name == "dbscan_circles")
    if name == "dbscan_params":
        found = {(t.params["min_samples"], t.params["eps"]): t.final.labels for t in traces}
        assert found[(5, 2.0)].max() + 1 == 4
        assert max(np.count_nonzero(labels < 0) for labels in found.values()) > 150
    else:
        rings = next(t for t in traces if t.algorithm == "dbscan")
        assert rings.final.labels.max() + 1 == 2


def test_a_grid_explains_core_border_and_noise_once_in_its_first_dbscan_panel():
    from animate.render import _canvas, _painters
    from animate.render.timeline import Timing

    X, y = animate.datasets.make("blobs", n_samples=60, random_state=0)
    traces = [animate.run("dbscan", X, y=y, eps=eps) for eps in (0.5, 1.0, 2.0)]
    traces.insert(0, animate.run("kmeans", X, y=y, n_clusters=3))
    canvas = _canvas(4, (640, 600), 2, False, None, None, None)
    painters = _painters(traces, canvas, Timing(), {}, False)
    legends = [p.ax.get_legend() for p in painters]
    # Same data in every panel, so as much room in each: the first DBSCAN panel has it.
    assert legends[0] is None and legends[2] is None and legends[3] is None
    assert [t.get_text() for t in legends[1].get_texts()] == ["core", "border", "noise"]
    noise = legends[1].legend_handles[2]
    assert noise.get_marker() == "x" and noise.get_markeredgecolor() == style.NOISE
    # One row inside the panel's edge, no wider than the panel.
    canvas.grab()
    box, panel = legends[1].get_window_extent(), painters[1].ax.get_window_extent()
    assert box.height < 0.2 * panel.height and panel.x0 <= box.x0 and box.x1 <= panel.x1

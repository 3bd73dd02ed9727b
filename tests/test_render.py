"""Frames show what the trace says; GIFs loop, last as long as promised, repeat byte for byte."""

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image, ImageSequence

import animate
from animate.encode import Quantiser, palette_for, write_gif
from animate.metrics import adjusted_rand_index
from animate.render import frames, projection, style
from animate.render.timeline import Timeline, Timing, select_steps


@pytest.fixture(scope="module")
def kmeans_trace():
    X, y = animate.datasets.make("gaussians4", n_samples=300, random_state=0)
    return animate.run("kmeans", X, y=y, n_clusters=4, init=X[[0, 1, 2, 3]])


def _read_gif(path):
    with Image.open(path) as im:
        info = dict(im.info)
        images = [
            (np.asarray(f.convert("RGB")).copy(), f.info["duration"])
            for f in ImageSequence.Iterator(im)
        ]
    return info, images


def _rgb(colour):
    return np.round(np.array(to_rgb(colour)) * 255).astype(int)


def test_gif_loops_forever_with_promised_size_and_duration(tmp_path, kmeans_trace):
    path = animate.render(
        kmeans_trace,
        tmp_path / "k.gif",
        size=(480, 480),
        step_ms=300,
        first_ms=1000,
        hold_ms=2000,
        side_panel=False,
    )
    info, images = _read_gif(path)
    assert info["loop"] == 0
    assert images[0][0].shape == (480, 480, 3)
    n = len(kmeans_trace.steps)
    durations = [d for _, d in images]
    # The first assignment is a key step, held 2.5 steps; every other step one step,
    # or none when it changes too little to see.
    assert durations[0] == 1000 and durations[1] == 750 and durations[-1] == 2000
    assert set(durations[2:-1]) <= {300, 750} and len(durations) <= n
    assert sum(durations) <= 1000 + 750 + 300 * (n - 3) + 2000


def test_centre_is_drawn_in_its_cluster_colour_where_the_centre_is(kmeans_trace):
    (first, _), *_, (last, _) = list(frames([kmeans_trace], size=(480, 480)))
    # Find the final centres' pixels through the axes transform of a fresh render.
    from animate.render import figure, projection

    canvas = figure.Canvas((480, 480))
    box = canvas.panels[0].data.get_position()
    aspect = box.height * 480 / (box.width * 480)
    view = projection.View(kmeans_trace.X)
    xlim, ylim = projection.fitted_limits(view.points(kmeans_trace.X), aspect)
    found = 0
    for centre in kmeans_trace.final.centers:
        px = box.x0 * 480 + (centre[0] - xlim[0]) / (xlim[1] - xlim[0]) * box.width * 480
        py = 480 - (box.y0 * 480 + (centre[1] - ylim[0]) / (ylim[1] - ylim[0]) * box.height * 480)
        patch = (
            last[int(py) - 3 : int(py) + 4, int(px) - 3 : int(px) + 4].reshape(-1, 3).astype(int)
        )
        cluster_colours = [_rgb(c) for c in style.CLUSTER_COLOURS[:4]]
        found += any((np.abs(patch - c).sum(axis=1) < 30).any() for c in cluster_colours)
    assert found == 4
    assert not np.array_equal(first, last)


def test_points_are_grey_before_the_first_assignment_and_coloured_after(kmeans_trace):
    images = [img for img, _ in frames([kmeans_trace], size=(480, 480), side_panel=False)]
    grey, blue = _rgb(style.UNASSIGNED), _rgb(style.CLUSTER_COLOURS[0])

    def count(img, colour):
        return int((np.abs(img.astype(int) - colour).sum(axis=2) < 12).sum())

    assert count(images[0], grey) > 200
    assert count(images[1], grey) < count(images[0], grey) / 5
    assert count(images[-1], blue) > 100


def test_consecutive_frames_differ_where_a_step_changed_something(kmeans_trace):
    images = [img for img, _ in frames([kmeans_trace], size=(480, 480), side_panel=False)]
    for a, b in itertools.pairwise(images):
        assert (a != b).any(axis=2).sum() > 50


def test_compare_aligns_timelines_and_agrees_on_colours(tmp_path):
    X, y = animate.datasets.make("blobs", n_samples=200, centers=3, random_state=0)
    quick = animate.run("kmeans", X, y=y, n_clusters=3, init=X[[0, 1, 2]])
    slow = animate.run(
        "kmeans", X, y=y, n_clusters=3, init=X[[5, 5, 5]] + [[0, 0], [0.1, 0], [0, 0.1]]
    )
    path = animate.compare(
        [quick, slow], tmp_path / "c.gif", size=(640, 360), step_ms=200, first_ms=200, hold_ms=1000
    )
    info, images = _read_gif(path)
    durations = [d for _, d in images]
    # A grid steps at 400 ms at least, whatever was asked; the first assignment of
    # both runs is a key step, held 2.5 steps; the slow run goes on alone to the end.
    assert durations[0] == 400 and durations[1] == 1000 and durations[-1] == 1000
    assert min(durations) >= 400 and set(durations[2:-1]) <= {400, 1000}
    longest = max(len(quick.steps), len(slow.steps))
    assert len(durations) < longest and sum(durations) < 400 * longest + 1600
    assert info["loop"] == 0 and images[0][0].shape == (360, 640, 3)


def test_steps_that_change_nothing_visible_get_no_frame_in_the_gif(tmp_path):
    X, _ = animate.datasets.make("blobs", n_samples=60, centers=3, random_state=0)
    # Found at once, then polished for 15 iterations no eye can tell apart.
    em = animate.run("em", X, n_components=3, tol=1e-12, max_iter=15, random_state=0)
    path = animate.render(
        em, tmp_path / "em.gif", size=(240, 200), side_panel=False, step_ms=100, first_ms=100
    )
    _, images = _read_gif(path)
    durations = [d for _, d in images]
    assert len(em.steps) > 25 and len(durations) < 8
    # The first E-step (the first assignment) is a key step: it holds 2.5 steps.
    assert durations[:2] == [100, 250] and durations[-1] == 3000


def test_every_step_gives_the_quiet_steps_their_frames_back(tmp_path):
    X, _ = animate.datasets.make("blobs", n_samples=60, centers=3, random_state=0)
    em = animate.run("em", X, n_components=3, tol=1e-12, max_iter=15, random_state=0)
    options = dict(size=(240, 200), side_panel=False, step_ms=100, first_ms=100, hold_ms=100)
    path = animate.render(em, tmp_path / "every.gif", every_step=True, **options)
    _, images = _read_gif(path)
    # Every step a frame of 100 ms, key steps 250 (pillow merges equal neighbours).
    assert sum(d for _, d in images) >= 100 * len(em.steps)
    assert len(images) > 20
    with pytest.raises(animate.UserError, match="every_step must be true or false"):
        animate.render(em, tmp_path / "bad.gif", every_step="yes", **options)
    assert not (tmp_path / "bad.gif").exists()


def test_quiet_steps_get_no_frame_and_key_steps_always_do():
    from animate.render.timeline import without_quiet

    selection = np.arange(10)
    change = np.array([0, np.inf, 5, 5, 1, 1, 1, 30, 0, 0])
    key = np.zeros(10, bool)
    key[5] = True
    # 5 + 5 + 1 px stay under 12; the key step stays however still; 1 + 30 px do not.
    assert without_quiet(selection, change, key, 12).tolist() == [0, 1, 5, 7, 9]
    assert without_quiet(selection, change, np.zeros(10, bool), 0).tolist() == list(range(10))
    # Only steps of the selection are kept, the moves between them summed.
    assert without_quiet(selection[::3], change, key, 12).tolist() == [0, 3, 9]


def test_a_panel_holding_its_last_step_no_longer_lengthens_frames():
    weights = [[1, 1, 3], [1, 1, 1, 1, 1, 1]]
    timeline = Timeline.aligned([3, 6], Timing(step_ms=100, first_ms=100, hold_ms=100), weights)
    assert timeline.durations == (100, 100, 300, 100, 100, 100)


def test_timeline_strides_long_traces_within_budget():
    picked = select_steps(5000, 80)
    assert len(picked) <= 80 and picked[0] == 0 and picked[-1] == 4999
    assert (np.diff(picked[:20]) == 1).all()
    tail = select_steps(5000, 80, focus="tail")
    assert (np.diff(tail[-20:]) == 1).all() and tail[0] == 0
    timeline = Timeline.aligned([3, 7], Timing(step_ms=100, first_ms=500, hold_ms=900))
    assert timeline.frames[-1] == (2, 6) and timeline.durations == (
        500,
        100,
        100,
        100,
        100,
        100,
        900,
    )
    with pytest.raises(animate.UserError, match="step_ms"):
        Timing(step_ms=5)


def test_palette_keeps_white_and_style_colours_exact():
    frame = np.full((40, 40, 3), 255, np.uint8)
    frame[:20] = _rgb(style.CLUSTER_COLOURS[1])
    palette = palette_for([frame])
    assert len(palette) <= 255
    mapped = palette[Quantiser(palette).index(frame)]
    np.testing.assert_array_equal(mapped, frame)


def test_palette_keeps_every_colour_map_level_of_a_heat_map_exactly():
    levels = style.map_colours()
    # A ramp of all the levels, each 6 pixels wide, as a heat map's colour bar draws it.
    frame = np.full((40, 6 * len(levels), 3), 255, np.uint8)
    frame[:20] = np.repeat(levels, 6, axis=0)[None]
    palette = palette_for([frame])
    mapped = palette[Quantiser(palette).index(frame)]
    np.testing.assert_array_equal(mapped, frame)
    # A GIF without heat maps spends none of its 255 colours on them.
    plain = palette_for([np.full((40, 40, 3), 255, np.uint8)])
    assert not (plain[:, None] == levels[None]).all(axis=2).any()


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    from animate.encode import GifEncoder

    def half_write(gif):
        gif.fp.write(b"GIF89a partial")
        raise OSError("disk full")

    monkeypatch.setattr(GifEncoder, "close", half_write)
    target = tmp_path / "broken.gif"
    with pytest.raises(animate.UserError, match=r"cannot write .*disk full"):
        write_gif([np.zeros((20, 20, 3), np.uint8)] * 2, [100, 100], target)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_a_user_error(tmp_path, kmeans_trace):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(animate.UserError, match="cannot write"):
        animate.render(kmeans_trace, blocker / "sub" / "k.gif")
    with pytest.raises(animate.UserError, match="size"):
        animate.render(kmeans_trace, tmp_path / "k.gif", size=(10, 10))
    with pytest.raises(animate.UserError, match="unknown render option"):
        animate.render(kmeans_trace, tmp_path / "k.gif", colour="red")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_d_greater_than_two_is_drawn_through_pca(tmp_path):
    X, y = animate.datasets.make("blobs", n_samples=150, centers=3, n_features=4, random_state=0)
    trace = animate.run("kmeans", X, y=y, n_clusters=3, init=X[:3])
    images = [img for img, _ in frames([trace], size=(400, 400), side_panel=False)]
    blue = _rgb(style.CLUSTER_COLOURS[0])
    assert (np.abs(images[-1].astype(int) - blue).sum(axis=2) < 12).sum() > 30


def test_voronoi_cells_tile_the_box_and_hold_their_centres():
    from matplotlib.path import Path as MplPath

    from animate.render.painters.kmeans import voronoi_cells

    box = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 8.0], [0.0, 8.0]])
    centres = np.random.default_rng(0).uniform([0, 0], [10, 8], (5, 2))
    cells = voronoi_cells(centres, box)

    def area(p):
        return 0.5 * abs(
            np.dot(p[:, 0], np.roll(p[:, 1], 1)) - np.dot(p[:, 1], np.roll(p[:, 0], 1))
        )

    assert sum(area(c) for c in cells) == pytest.approx(80.0)
    for centre, cell in zip(centres, cells):
        assert MplPath(cell).contains_point(centre)


def test_noise_is_drawn_as_visible_grey_crosses():
    X, _ = animate.datasets.make("blobs", n_samples=60, centers=2, random_state=0)
    trace = animate.run("kmeans", X, n_clusters=2, init=X[:2])
    from animate.render import figure, painters, projection

    canvas = figure.Canvas((320, 320))
    view = projection.View(X)
    limits = projection.fitted_limits(view.points(X), 1.0)
    ctx = painters.PanelContext(canvas.panels[0], canvas, view, limits, [0])
    painter = painters.painter_for("kmeans")(trace, ctx)
    painter.points.show(np.zeros(60, int), noise=np.ones(60, bool))
    frame = canvas.grab()
    grey = _rgb(style.NOISE)
    assert (np.abs(frame.astype(int) - grey).sum(axis=2) < 40).sum() > 60


def test_more_than_two_features_are_drawn_on_their_first_two_principal_components():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    # The first two columns hold almost nothing; the spread is in the last two.
    X = np.column_stack([rng.normal(0, 0.01, (200, 2)), rng.normal(0, [5.0, 2.0], (200, 2))])
    X[:, 3] += X[:, 2] * 0.5
    drawn = projection.View(X).points(X)
    expected = PCA(n_components=2).fit_transform(X)
    for k in range(2):
        # Equal up to the sign of each component.
        sign = np.sign(drawn[:, k] @ expected[:, k])
        np.testing.assert_allclose(drawn[:, k], sign * expected[:, k], atol=1e-9)


def test_side_by_side_panels_give_the_same_cluster_the_same_colour():
    from animate.render import _painters
    from animate.render.figure import Canvas
    from animate.render.timeline import Timing

    X, _ = animate.datasets.make("blobs", n_samples=90, centers=3, random_state=2)
    first = animate.run("kmeans", X, n_clusters=3, random_state=5)
    # The same centres in another order: the same clusters under other numbers.
    second = animate.run("kmeans", X, n_clusters=3, init=first.final.centers[[1, 2, 0]])
    a, b = first.final.labels, second.final.labels
    # Same partition, numbered differently: only colour matching makes them agree.
    assert adjusted_rand_index(a, b) == 1.0
    assert not np.array_equal(a, b)
    canvas = Canvas((640, 360), 1, 2, caption=False)
    painters = _painters([first, second], canvas, Timing(500, 500, 500, 20), {}, False)
    last = [p.ctx.indices[-1] for p in painters]
    slots = [p.slots_of(i) for p, i in zip(painters, last)]
    np.testing.assert_array_equal(slots[0], slots[1])

"""Mean shift frames: discs of radius bandwidth where the windows are, stopped windows
unfilled, modes in their cluster's colour, and the gallery scenes within budget."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

import animate
from animate.render import style
from animate.render.painters.meanshift import _FILL_ALPHA, _spread
from animate.scenes import load_scene

from helpers import near, paint, pixel, rgb, scene_timeline

# Windows are drawn in the theme's muted ink (the light theme's here).
_WINDOW = style.MUTED

SCENES = Path(__file__).resolve().parent.parent / "scenes"


def count(image, colour, tol=12):
    return int((np.abs(image - np.asarray(colour)).sum(axis=2) < tol).sum())


@pytest.fixture(scope="module")
def window():
    X, y = animate.datasets.make("blobs", n_samples=300, centers=1, random_state=0)
    return animate.run("meanshift", X, y=y, bandwidth=1.2, seeds=[[-1.0, 6.3]])


@pytest.fixture(scope="module")
def clouds():
    X, y = animate.datasets.make("gaussians4", n_samples=300, random_state=0)
    return animate.run("meanshift", X, y=y, bandwidth=4.0, bin_seeding=True)


def test_one_window_is_a_disc_of_radius_bandwidth_that_moves_with_its_kernel(window):
    painter, frame = paint(window)
    step = 3
    image = frame(step)
    here = window.steps[step].kernels[0]
    start = window.steps[0].kernels[0]
    # The moving kernel's dot is where the kernel is, its rim one bandwidth to each side.
    assert near(image, pixel(painter.ax, image, here), _WINDOW, radius=1)
    for side in ([1.2, 0.0], [-1.2, 0.0], [0.0, 1.2]):
        assert near(image, pixel(painter.ax, image, here + side), _WINDOW)
    assert not near(image, pixel(painter.ax, image, start), _WINDOW, radius=1)
    assert f"# points: {window.steps[step].counts[0]}" in painter.status(step)


def test_a_stopped_window_loses_its_fill_and_its_dot_turns_dark(window):
    painter, frame = paint(window)
    last_shift = len(window.steps) - 3
    assert window.steps[last_shift].stopped.all() and not window.steps[1].stopped.any()
    tint = np.round(255 - _FILL_ALPHA * (255 - rgb(_WINDOW)))
    moving, stopped = frame(1), frame(last_shift)
    filled = count(moving, tint)
    assert filled > 2000
    # What is left of the tint is the anti-aliased rim.
    assert count(stopped, tint) < filled / 10
    centre = pixel(painter.ax, stopped, window.steps[last_shift].kernels[0])
    assert near(stopped, centre, style.INK, radius=1)


def test_points_are_grey_until_assigned_and_modes_take_their_cluster_colour(clouds):
    # As a grid panel: without the key, whose grey handles would count as grey points.
    painter, frame = paint(clouds, narrated=False)
    merge, assign = len(clouds.steps) - 2, len(clouds.steps) - 1
    before, merged, after = frame(0), frame(merge), frame(assign)
    grey = rgb(style.UNASSIGNED)
    assert count(after, grey) < count(before, grey) / 5
    assert count(merged, grey) > count(after, grey) * 5
    for mode, slot in zip(clouds.final.centers, painter.mode_slots, strict=True):
        colour = style.cluster_colour(slot)
        assert near(merged, pixel(painter.ax, merged, mode), colour, radius=1)
        # Before the merge only the climbing windows are in colour.
        if colour != _WINDOW:
            assert not near(before, pixel(painter.ax, before, mode), colour, radius=3)
    # The four clouds keep four different colours.
    assert len(set(painter.mode_slots)) == 4


def test_max_discs_bounds_the_discs_drawn_but_every_window_keeps_its_trail(clouds):
    tint = np.round(255 - _FILL_ALPHA * (255 - rgb(_WINDOW)))
    filled = lambda image: count(image, tint)  # noqa: E731
    few_painter, few = paint(clouds, max_discs=2)
    _, many = paint(clouds, max_discs=12)
    first_few, first_many = filled(few(0)), filled(many(0))
    # A disc of radius bandwidth covers pi r^2 pixels; the kernel dots add a little.
    r = np.diff(few_painter.ax.transData.transform([[0, 0], [4.0, 0]])[:, 0])[0]
    assert first_few < 2 * np.pi * r**2 * 1.15 + 60 * len(clouds.steps[0].kernels)
    assert first_many > 2 * first_few
    trails = few_painter.trails.get_segments()
    assert len(trails) == len(clouds.steps[0].kernels)


def test_the_discs_chosen_are_spread_and_reach_every_mode():
    start = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [0.0, 10.0], [5.0, 5.0]])
    final = np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    modes = np.array([[0.0, 0.0], [10.0, 0.0]])
    dropped = np.array([False, False, False, False, True])
    chosen = _spread(start, final, modes, dropped, 3)
    # One window per mode, then the seed farthest from both; never the dropped one.
    assert chosen.tolist() == [0, 2, 3]
    assert _spread(start, final, modes, dropped, 10).tolist() == [0, 1, 2, 3]


def test_axes_hold_every_disc_from_start_to_end(clouds):
    painter, frame = paint(clouds)
    limits_before = (painter.ax.get_xlim(), painter.ax.get_ylim())
    frame(len(clouds.steps) - 1)
    (x0, x1), (y0, y1) = painter.ax.get_xlim(), painter.ax.get_ylim()
    assert limits_before == ((x0, x1), (y0, y1))
    kernels = np.vstack([s.kernels for s in clouds.steps])
    assert (kernels[:, 0] - 4.0 >= x0).all() and (kernels[:, 0] + 4.0 <= x1).all()
    assert (kernels[:, 1] - 4.0 >= y0).all() and (kernels[:, 1] + 4.0 <= y1).all()


def test_more_than_two_features_draw_each_window_with_radius_bandwidth_in_the_plane():
    X, y = animate.datasets.make("blobs", n_samples=150, centers=3, n_features=4, random_state=0)
    trace = animate.run("meanshift", X, y=y, bandwidth=3.0, bin_seeding=True, cluster_all=False)
    painter, frame = paint(trace)
    image = frame(len(trace.steps) - 1)
    for mode, slot in zip(painter.modes, painter.mode_slots, strict=True):
        colour = style.cluster_colour(slot)
        for side in ([3.0, 0.0], [0.0, -3.0]):
            assert near(image, pixel(painter.ax, image, mode + side), colour)


def _read_gif(path):
    with Image.open(path) as im:
        loop = im.info.get("loop")
        durations = [f.info["duration"] for f in ImageSequence.Iterator(im)]
    return loop, durations


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenes")
    names = ["meanshift_window", "meanshift", "meanshift_bandwidth", "meanshift_circles"]
    return {name: load_scene(SCENES / f"{name}.toml").render(out) for name in names}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "budget"),
    [
        ("meanshift_window", 1_000_000),
        ("meanshift", 1_000_000),
        ("meanshift_bandwidth", 2_000_000),
        ("meanshift_circles", 1_000_000),
    ],
)
def test_scenes_loop_within_their_size_budget(rendered, name, budget):
    path = rendered[name]
    loop, durations = _read_gif(path)
    assert loop == 0
    assert 0 < path.stat().st_size < budget
    assert durations[-1] >= 3000 and sum(durations) > 8000


@pytest.mark.slow
@pytest.mark.parametrize("name", ["meanshift_window", "meanshift"])
def test_single_window_scenes_pause_where_windows_stop_and_merge_and_skip_tiny_shifts(
    rendered, name
):
    scene = load_scene(SCENES / f"{name}.toml")
    trace = scene.traces()[0]
    step_ms = scene.render_options["step_ms"]
    _, durations = _read_gif(rendered[name])
    n_shifts = sum(s.phase == "shift" for s in trace.steps)
    # The first frame; a step per shift that shows a move; the windows stopping and
    # their merge held 2.5 steps each; the final frame held.
    assert durations[0] == 1500 and durations[-1] == 3000
    assert durations[1:-1].count(2.5 * step_ms) == 2
    assert set(durations[1:-1]) == {step_ms, 2.5 * step_ms}
    # The lone window's last shifts creep by a pixel or two: they get no frame of their own.
    assert len(durations) < len(trace.steps) if name == "meanshift_window" else True
    assert sum(durations) <= 1500 + step_ms * n_shifts + 2 * 2.5 * step_ms + 3000
    assert sum(durations) == scene_timeline(scene).total_ms


@pytest.mark.slow
def test_rendering_a_scene_twice_gives_the_same_bytes(rendered, tmp_path):
    again = load_scene(SCENES / "meanshift_window.toml").render(tmp_path)
    assert again.read_bytes() == rendered["meanshift_window"].read_bytes()


def test_many_windows_get_a_key_a_lone_window_and_grid_panels_do_not(clouds, window):
    def labels(painter):
        legend = painter.ax.get_legend()
        return [t.get_text() for t in legend.get_texts()] if legend else []

    assert "dashed outline: stopped" in labels(paint(clouds)[0])
    assert "mode" in labels(paint(clouds)[0])
    assert labels(paint(clouds, narrated=False)[0]) == []
    assert labels(paint(window)[0]) == []


def test_goal_insets_the_true_groups_in_their_colours(clouds):
    painter = paint(clouds, goal=True)[0]
    (inset,) = painter.ax.child_axes
    assert inset.get_title(loc="left") == "goal"
    assert len(inset.lines) == len(np.unique(clouds.y))
    assert not paint(clouds)[0].ax.child_axes

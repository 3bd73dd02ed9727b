"""The EM painter: ellipses where the Gaussians are, pale points where EM is unsure,
a bound panel that never rescales, and the EM scenes as small, looping, repeatable GIFs."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image, ImageSequence

import animate
from animate.render import style
from animate.render.painters.em import _bound_axis, _ellipses
from animate.render.projection import View
from animate.scenes import load_scene
from animate.trace import Step

from helpers import paint as paint_alone
from helpers import scene_timeline

SCENES = ("em", "em_vs_kmeans", "em_circles")
SCENE_DIR = Path(__file__).resolve().parents[1] / "scenes"
# Four small Gaussians bunched in one corner of gaussians4, as in scenes/em.toml.
CORNER = dict(
    means_init=[[2.0, 2.0], [5.0, 1.0], [1.0, 5.0], [4.0, 4.0]],
    weights_init=[0.25] * 4,
    precisions_init=[np.eye(2)] * 4,
)


@pytest.fixture(scope="module")
def corner_trace():
    X, y = animate.datasets.make("gaussians4", n_samples=300, random_state=0)
    return animate.run("em", X, y=y, n_components=4, **CORNER)


def paint(trace, side=False):
    """A painter on its own canvas, as animate.render.frames builds it."""
    painter, _ = paint_alone(trace, size=(800, 440) if side else (480, 480), side=side)
    return painter, painter.canvas


def frame(painter, canvas, index):
    painter.show(index)
    return canvas.grab().astype(int)


def pixel(ax, xy, height):
    """Image (row, column) of data point ``xy`` in axes ``ax``."""
    x, y = ax.transData.transform(np.asarray(xy, dtype=float))
    return round(height - y), round(x)


def rgb(colour):
    return np.round(np.asarray(to_rgb(colour) if isinstance(colour, str) else colour) * 255)


def near(image, centre, colour, radius=3, tol=20):
    """Pixels within ``radius`` of ``centre`` (row, column) that have ``colour``."""
    r, c = centre
    patch = image[r - radius : r + radius + 1, c - radius : c + radius + 1].reshape(-1, 3)
    return int((np.abs(patch - rgb(colour)).sum(axis=1) < tol).sum())


def test_each_mean_is_marked_in_its_gaussians_colour(corner_trace):
    painter, canvas = paint(corner_trace)
    last = frame(painter, canvas, len(corner_trace.steps) - 1)
    for mean, slot in zip(corner_trace.final.means, painter.component_slots):
        centre = pixel(painter.ax, mean, last.shape[0])
        assert near(last, centre, style.cluster_colour(slot), radius=2) >= 4


def test_ellipses_leave_the_corner_and_settle_on_the_clouds(corner_trace):
    painter, canvas = paint(corner_trace)
    first = frame(painter, canvas, 0)
    last = frame(painter, canvas, len(corner_trace.steps) - 1)
    height = first.shape[0]
    # The 1-sigma fill is the cluster's region tint: look half a sigma from the mean,
    # along the ellipse's minor axis, where the fill shows between the points.
    centres, _, heights, angles = painter.shapes[-1]
    for j, slot in enumerate(painter.component_slots):
        theta = np.radians(angles[j] + 90)
        spot = centres[j] + 0.25 * heights[j] * np.array([np.cos(theta), np.sin(theta)])
        tint = style.tint(style.cluster_colour(slot))
        where = pixel(painter.ax, spot, height)
        assert near(last, where, tint, radius=4, tol=8) > 0
        assert near(first, where, tint, radius=4, tol=8) == 0


def test_uncertain_points_are_paler_than_sure_ones(corner_trace):
    painter, canvas = paint(corner_trace)
    index = 3  # the second E-step: Gaussians still overlap, many points undecided
    step = corner_trace.steps[index]
    image = frame(painter, canvas, index)
    pixels = np.array([pixel(painter.ax, p, image.shape[0]) for p in painter.xy])
    gaps = np.abs(pixels[:, None, :] - pixels[None, :, :]).max(axis=2)
    np.fill_diagonal(gaps, 99)
    alone = gaps.min(axis=1) > 6  # no neighbour's marker overlaps this one's centre
    sure = step.resp.max(axis=1)
    lightness = {}
    for name, mask in (("sure", sure > 0.95), ("unsure", sure < 0.6)):
        chosen = np.flatnonzero(mask & alone)
        assert len(chosen) >= 2, name
        lightness[name] = np.mean([image[tuple(pixels[i])].sum() for i in chosen])
    assert lightness["unsure"] > lightness["sure"] + 120


def test_an_m_step_changes_the_picture_around_the_gaussians_that_moved(corner_trace):
    painter, canvas = paint(corner_trace)
    e_step = frame(painter, canvas, 1)
    m_step = frame(painter, canvas, 2)
    changed = (e_step != m_step).any(axis=2)
    moved = np.linalg.norm(corner_trace.steps[2].means - corner_trace.steps[1].means, axis=1)
    far = pixel(painter.ax, corner_trace.steps[2].means[np.argmax(moved)], e_step.shape[0])
    assert changed[far[0] - 5 : far[0] + 6, far[1] - 5 : far[1] + 6].sum() > 20
    # Only the data panel changes in the data: the title row above it stays.
    top = int(e_step.shape[0] - painter.ax.get_window_extent().y1) - 2
    assert not changed[:top].any()


def test_bound_panel_keeps_its_limits_and_ends_on_the_final_bound(corner_trace):
    painter, canvas = paint(corner_trace, side=True)
    side = painter.panel.side
    frame(painter, canvas, 0)
    limits = side.get_xlim(), side.get_ylim()
    last = frame(painter, canvas, len(corner_trace.steps) - 1)
    assert (side.get_xlim(), side.get_ylim()) == limits
    bottom, top = limits[1]
    assert bottom < corner_trace.steps[3].lower_bound < corner_trace.final.lower_bound < top
    end = pixel(side, (corner_trace.n_iter, corner_trace.final.lower_bound), last.shape[0])
    assert near(last, end, style.CLUSTER_COLOURS[3], radius=2) >= 4


def test_a_first_bound_far_below_the_rest_goes_on_the_floor():
    bottom, top, floor = _bound_axis(np.array([-70.5, -5.7, -5.4, -5.0]))
    assert -5.7 > floor > bottom > -6.0 and top > -5.0
    bottom, top, floor = _bound_axis(np.array([-5.9, -5.7, -5.4, -5.0]))
    assert floor is None and bottom < -5.9


@pytest.mark.parametrize(
    "kind, covariances",
    [
        ("full", np.array([np.diag([4.0, 1.0, 9.0])])),
        ("tied", np.diag([4.0, 1.0, 9.0])),
        ("diag", np.array([[4.0, 1.0, 9.0]])),
        ("spherical", np.array([4.0])),
    ],
)
def test_ellipses_are_the_covariance_seen_through_the_picture_plane(kind, covariances):
    X = np.random.default_rng(0).normal(size=(50, 3)) * [3.0, 1.0, 0.2]
    view = View(X)
    step = Step(1, "m-step", [0], "", means=np.zeros((1, 3)), covariances=covariances)
    _, widths, heights, _ = _ellipses(view, step, kind)
    full = np.diag([4.0, 1.0, 9.0]) if kind != "spherical" else 4.0 * np.eye(3)
    expected = np.linalg.eigvalsh(view.components @ full @ view.components.T)
    np.testing.assert_allclose([heights[0], widths[0]], 2 * np.sqrt(expected), rtol=1e-9)


@pytest.fixture(scope="module")
def scene_gifs(tmp_path_factory):
    out = tmp_path_factory.mktemp("em_scenes")
    return {name: load_scene(SCENE_DIR / f"{name}.toml").render(out) for name in SCENES}


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENES)
def test_scenes_loop_within_size_and_duration(scene_gifs, name):
    scene = load_scene(SCENE_DIR / f"{name}.toml")
    path = scene_gifs[name]
    assert path.stat().st_size < 1_000_000
    longest = max(len(t.steps) for t in scene.traces())
    options = scene.render_options
    with Image.open(path) as im:
        assert im.info["loop"] == 0
        total = sum(f.info["duration"] for f in ImageSequence.Iterator(im))
    step = options.get("step_ms", 500)
    timeline = scene_timeline(scene)
    assert total == timeline.total_ms
    # The first E-step (the first assignment) held 2.5 steps, slow drifts skipped:
    # never longer than every step at one step each.
    assert timeline.durations[1] == 2.5 * step
    assert total <= options.get("first_ms", 1500) + step * (longest - 3) + 2.5 * step + 3000


@pytest.mark.slow
def test_rendering_a_scene_twice_gives_the_same_bytes(scene_gifs, tmp_path):
    again = load_scene(SCENE_DIR / "em_vs_kmeans.toml").render(tmp_path)
    assert again.read_bytes() == scene_gifs["em_vs_kmeans"].read_bytes()


def test_a_narrated_panel_keys_the_rings_and_the_pale_points():
    X, y = animate.datasets.make("blobs", n_samples=90, centers=3, random_state=0)
    trace = animate.run("em", X, y=y, n_components=3)
    texts = [t.get_text() for t in paint_alone(trace)[0].ax.get_legend().get_texts()]
    assert texts[0].startswith("rings: 1, 2, 3 standard deviations")
    assert any("pale" in t for t in texts)
    assert paint_alone(trace, narrated=False)[0].ax.get_legend() is None

"""BIRCH frames: subclusters as circles of their radius, splits in red, points dark once
read and faint before, the growth panel; the scene."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image, ImageSequence
from sklearn.metrics import adjusted_rand_score

import animate
from animate.datasets import make
from animate.render import style
from animate.scenes import load_scene

import helpers

SCENES = Path(__file__).resolve().parent.parent / "scenes"
SIZE = (880, 440)
SPLIT = to_rgb(style.CLUSTER_COLOURS[3])


@pytest.fixture(scope="module")
def trace():
    X, y = make("gaussians4", n_samples=300, random_state=1)
    return animate.run("birch", X, y=y, threshold=0.8, branching_factor=6, n_clusters=4)


def paint(trace):
    return helpers.paint(trace, size=SIZE, side=True)


def test_every_subcluster_is_a_circle_of_its_radius(trace):
    painter, frame = paint(trace)
    for index in (1, 10, len(trace.steps) - 1):
        frame(index)
        step = trace.steps[index]
        circles = [path.vertices for path in painter.circles.get_paths()]
        assert len(circles) == len(step.subcluster_radii) > 0
        for outline, centre, radius in zip(circles, step.subcluster_centers, step.subcluster_radii):
            distances = np.linalg.norm(outline[:-1] - centre, axis=1)
            np.testing.assert_allclose(distances, radius, atol=1e-9)


def test_splits_are_red_in_their_batch_only(trace):
    painter, frame = paint(trace)
    inserts = [i for i, s in enumerate(trace.steps) if s.phase == "insert"]
    with_split = [i for i in inserts if trace.steps[i].split.any()]
    without = [i for i in inserts if not trace.steps[i].split.any()]
    assert with_split and without
    for index in (with_split[0], without[-1]):
        frame(index)
        edges = painter.circles.get_edgecolors()[:, :3]
        red = np.isclose(edges, SPLIT).all(axis=1)
        np.testing.assert_array_equal(red, trace.steps[index].split)


def test_points_are_faint_until_read_and_dark_after(trace):
    painter, frame = paint(trace)
    index = next(i for i, s in enumerate(trace.steps) if s.n_inserted > 100)
    image = frame(index)
    step = trace.steps[index]
    read, pending = painter.xy[: step.n_inserted], painter.xy[step.n_inserted :]
    # Most of them: circles and centre crosses cover some read points.
    dark = sum(helpers.near(image, helpers.pixel(painter.ax, image, p), style.MUTED) for p in read)
    faint = sum(
        helpers.near(image, helpers.pixel(painter.ax, image, p), style.UNASSIGNED, tol=20)
        for p in pending
    )
    assert dark > 0.6 * len(read) and faint > 0.8 * len(pending)
    assert sum(
        helpers.near(image, helpers.pixel(painter.ax, image, p), style.MUTED, radius=0, tol=20)
        for p in pending
    ) < 0.1 * len(pending)


def test_growth_panel_follows_the_points_read(trace):
    painter, frame = paint(trace)
    inserts = [s for s in trace.steps if s.phase == "insert"]
    frame(5)
    xs, ys = painter.growth.curve.get_data()
    assert list(xs) == [s.n_inserted for s in trace.steps[:6]]
    assert list(ys) == [len(s.subcluster_radii) for s in trace.steps[:6]]
    frame(len(trace.steps) - 1)
    assert len(painter.growth.curve.get_xdata()) == len(inserts) + 1
    # A mark where the tree got deeper, shown once it happened.
    deeper = painter.growth.deeper
    assert len(deeper) == inserts[-1].depth - 1 > 0
    frame(0)
    assert not any(line.get_visible() for _, line, _ in deeper)


def test_global_clustering_colours_circles_by_their_group(trace):
    painter, frame = paint(trace)
    image = frame(len(trace.steps) - 1)
    final = trace.final
    edges = painter.circles.get_edgecolors()[:, :3]
    for label in np.unique(final.subcluster_labels):
        mine = edges[final.subcluster_labels == label]
        assert np.allclose(mine, mine[0])
    assert len({tuple(e) for e in edges}) == 4
    assert image.shape == (SIZE[1], SIZE[0], 3)


def test_scene_fits_its_budget_loops_and_finds_the_four_blobs(tmp_path):
    scene = load_scene(SCENES / "birch.toml")
    traced = scene.traces()[0]
    path = scene.render(tmp_path)
    assert path.stat().st_size < 1_000_000
    with Image.open(path) as gif:
        assert gif.info["loop"] == 0
        total = sum(f.info["duration"] for f in ImageSequence.Iterator(gif))
    options = scene.render_options
    n = len(traced.steps)
    assert total == options["first_ms"] + options["step_ms"] * (n - 2) + options["hold_ms"]
    final = traced.final
    assert final.depth >= 3 and final.n_splits > 5
    assert adjusted_rand_score(traced.y, final.labels) > 0.95

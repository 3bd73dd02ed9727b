"""OPTICS frames: the reachability plot grows bar by bar in the order found, bars and
points share their cluster's colour, noise grey; steep areas, the dbscan cut; the scene."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence
from sklearn.metrics import adjusted_rand_score

import animate
from animate.datasets import make
from animate.render import style
from animate.scenes import load_scene

import helpers

SCENES = Path(__file__).resolve().parent.parent / "scenes"
SIZE = (880, 440)


@pytest.fixture(scope="module")
def scene_trace():
    return load_scene(SCENES / "optics.toml").traces()[0]


def paint(trace):
    return helpers.paint(trace, size=SIZE, side=True)


def bar_tops(plot):
    """(x centre, height) of every bar drawn in the reachability plot."""
    boxes = [path.vertices for path in plot.bars.get_paths()]
    return np.array([[b[:4, 0].mean(), b[:4, 1].max()] for b in boxes]).reshape(-1, 2)


def test_the_plot_grows_bar_by_bar_in_the_order_found(scene_trace):
    painter, frame = paint(scene_trace)
    plot = painter.plot
    for index in (0, 5, 30, len(scene_trace.steps) - 1):
        frame(index)
        step = scene_trace.steps[index]
        tops = bar_tops(plot)
        assert len(tops) == len(step.ordering)
        np.testing.assert_allclose(tops[:, 0], np.arange(len(step.ordering)))
        reach = step.reachability[step.ordering]
        finite = np.isfinite(reach)
        np.testing.assert_allclose(tops[finite, 1], reach[finite])
        # Unreached points (inf) reach the top of the plot.
        assert (tops[~finite, 1] == plot.top).all()
        assert len(reach) == 0 or not finite[0]  # the first point has no reachability


def test_bars_and_points_share_their_cluster_colour_and_noise_is_grey():
    X, _ = make("blobs", n_samples=50, random_state=0)
    trace = animate.run("optics", X, min_samples=5)  # 4 clusters and 7 noise points
    painter, frame = paint(trace)
    image = frame(len(trace.steps) - 1)
    final = trace.final
    side = painter.panel.side
    checked = set()
    for position, point in enumerate(final.ordering):
        label = final.labels[point]
        height = final.reachability[point]
        if label in checked or not np.isfinite(height) or height < 0.3:
            continue
        bar = helpers.pixel(side, image, (position, height / 2))
        colour = image[bar]
        if label < 0:
            assert helpers.near(image, bar, style.NOISE, radius=0, tol=6)
        else:
            # The same colour as the point in the data, drawn by the points layer.
            xy = painter.xy[point]
            assert helpers.near(
                image, helpers.pixel(painter.ax, image, xy), tuple(colour / 255), tol=6
            )
            assert not helpers.near(image, bar, style.NOISE, radius=0, tol=30)
        checked.add(label)
    assert checked == set(np.unique(final.labels))


def test_steep_areas_are_shaded_from_the_steep_step_on(scene_trace):
    painter, frame = paint(scene_trace)
    phases = [s.phase for s in scene_trace.steps]
    steep = phases.index("steep")
    frame(steep - 1)
    assert len(painter.plot.areas.get_paths()) == 0
    frame(steep)
    step = scene_trace.steps[steep]
    n_areas = len(step.steep_down) + len(step.steep_up)
    assert n_areas > 0 and len(painter.plot.areas.get_paths()) == n_areas
    # Down areas blue, up areas red, both as light tints.
    colours = painter.plot.areas.get_facecolors()[:, :3]
    np.testing.assert_allclose(colours[0], style.tint(style.CLUSTER_COLOURS[5]))
    np.testing.assert_allclose(colours[-1], style.tint(style.CLUSTER_COLOURS[3]))
    frame(len(scene_trace.steps) - 1)
    assert len(painter.plot.brackets.get_segments()) == len(scene_trace.final.cluster_hierarchy)


def test_the_point_ordered_is_ringed_and_linked_to_those_it_brought_closer():
    # 130 points: three points ordered per step, each lowering some reachabilities.
    X, _ = make("blobs", n_samples=130, random_state=2)
    trace = animate.run("optics", X, min_samples=4)
    painter, frame = paint(trace)
    # A step where two of its three points both brought others closer.
    index = next(
        i
        for i, s in enumerate(trace.steps)
        if s.phase == "order" and len(set(s.predecessor[s.updated])) > 1
    )
    step = trace.steps[index]
    assert len(step.taken) == 3
    frame(index)
    ring = np.column_stack(painter.current.get_data())
    np.testing.assert_allclose(ring, painter.xy[[step.current]])
    segments = np.array(painter.links.get_segments())
    assert len(segments) == len(step.updated) > 0
    np.testing.assert_allclose(segments[:, 1], painter.xy[step.updated])
    # Each link starts at the point that brought its end closer, not always the last one.
    starts = step.predecessor[step.updated]
    assert set(starts) <= set(step.taken) and len(set(starts)) > 1
    np.testing.assert_allclose(segments[:, 0], painter.xy[starts])


def test_the_dbscan_cut_is_a_line_at_eps_once_cut():
    X, _ = make("moons", n_samples=120, noise=0.06, random_state=0)
    trace = animate.run("optics", X, cluster_method="dbscan", eps=0.25)
    painter, frame = paint(trace)
    frame(len(trace.steps) - 3)
    assert len(painter.plot.cut.get_xdata()) == 0
    frame(len(trace.steps) - 2)
    assert list(painter.plot.cut.get_ydata()) == [0.25, 0.25]
    assert "dbscan cut at 0.25" in str(painter.title())


def test_scene_fits_its_budget_loops_and_tells_the_varied_densities_apart(tmp_path, scene_trace):
    scene = load_scene(SCENES / "optics.toml")
    path = scene.render(tmp_path)
    assert path.stat().st_size < 1_000_000
    with Image.open(path) as gif:
        assert gif.info["loop"] == 0
        total = sum(f.info["duration"] for f in ImageSequence.Iterator(gif))
    options = scene.render_options
    n = len(scene_trace.steps)
    assert total == options["first_ms"] + options["step_ms"] * (n - 2) + options["hold_ms"]
    final = scene_trace.final
    assert final.labels.max() + 1 == 3
    assert adjusted_rand_score(scene_trace.y, final.labels) > 0.8
    assert (final.labels < 0).sum() > 0

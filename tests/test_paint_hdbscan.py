"""HDBSCAN frames: the spanning tree growing edge by edge, the condensed tree with the kept
clusters in their colour, points sized by probability, and the scene within its budget."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

import animate
from animate.render import style
from animate.scenes import load_scene

import helpers

SCENES = Path(__file__).resolve().parent.parent / "scenes"
SIZE = (800, 440)


@pytest.fixture(scope="module")
def trace():
    X, _ = animate.datasets.make(
        "blobs",
        n_samples=200,
        centers=[[0.0, 0.0], [1.4, 0.4], [4.5, 3.0]],
        cluster_std=[0.25, 0.3, 1.0],
        random_state=0,
    )
    return animate.run("hdbscan", X, min_cluster_size=10)


def index_of(trace, phase):
    return next(i for i, s in enumerate(trace.steps) if s.phase == phase)


def test_the_tree_grows_by_the_edges_of_each_step(trace):
    painter, _ = helpers.paint(trace, size=SIZE, side=True)
    previous = 0
    for i, step in enumerate(trace.steps):
        if step.phase != "mst":
            continue
        painter.show(i)
        assert len(painter.tree.get_segments()) == step.n_edges
        # The edges this step added are drawn bold, and their lengths plotted beside.
        assert len(painter.latest.get_segments()) == step.n_edges - previous
        assert len(painter.side.dots.get_xdata()) == step.n_edges
        previous = step.n_edges
    assert previous == len(trace.X) - 1


def test_the_icicles_appear_with_the_condensed_tree_and_kept_clusters_take_their_colour(trace):
    painter, frame = helpers.paint(trace, size=SIZE, side=True)
    frame(index_of(trace, "hierarchy"))
    assert len(painter.side.icicles.get_paths()) == 0
    image = frame(len(trace.steps) - 1)
    final = trace.final
    side = painter.panel.side
    kept = set(final.selected.tolist())
    assert len(painter.side.icicles.get_paths()) == len(final.stability)
    for cluster, shape in zip(painter.side.ids, painter.side.shapes):
        # Just under its top, in the middle, a cluster's shape shows its fill.
        x, top = shape[:, 0].mean(), shape[0, 1]
        rc = helpers.pixel(side, image, (x, top / 1.08))
        if cluster in kept:
            label = final.selected.tolist().index(cluster)
            colour = style.cluster_colour(painter.slots[len(trace.steps) - 1][label])
        else:
            colour = style.GRID
        assert helpers.near(image, rc, colour, radius=1, tol=12), cluster


def test_final_points_are_sized_by_membership_probability(trace):
    painter, frame = helpers.paint(trace, size=SIZE, side=True)
    frame(len(trace.steps) - 1)
    probabilities = trace.final.probabilities
    sizes = []
    for band, layer in painter.layers:
        shown = [line for line in layer.lines.values() if line.get_visible()]
        assert sum(len(line.get_xdata()) for line in shown) == np.count_nonzero(
            band & (trace.final.labels >= 0)
        )
        if band.any():
            sizes.append((probabilities[band].min(), layer.size))
    assert [size for _, size in sorted(sizes)] == sorted(size for _, size in sizes)
    assert not any(line.get_visible() for line in painter.points.lines.values())
    # Before the end, one size for all.
    frame(index_of(trace, "select"))
    assert not any(
        line.get_visible() for _, layer in painter.layers for line in layer.lines.values()
    )


def test_edges_inside_a_cluster_take_its_colour(trace):
    painter, _ = helpers.paint(trace, size=SIZE, side=True)
    last = len(trace.steps) - 1
    painter.show(last)
    colours = painter.tree.get_colors()[:, :3]
    edges = trace.final.mst_edges
    labels = trace.final.labels
    same = (labels[edges[:, 0]] == labels[edges[:, 1]]) & (labels[edges[:, 0]] >= 0)
    slots = painter.slots_of(last)
    np.testing.assert_allclose(colours[same], style.cluster_rgb(slots[edges[same, 0]]))
    assert np.allclose(colours[~same], np.array([0xDD, 0xDD, 0xDD]) / 255)


def test_the_scene_loops_within_its_budget(tmp_path):
    scene = load_scene(SCENES / "hdbscan.toml")
    hdbscan, dbscan = scene.traces()
    assert hdbscan.final.labels.max() + 1 == 4  # every cloud
    assert dbscan.final.labels.max() + 1 < 4  # one eps merges two and loses one
    path = scene.render(tmp_path)
    assert path.stat().st_size < 1_000_000
    with Image.open(path) as gif:
        durations = [f.info["duration"] for f in ImageSequence.Iterator(gif)]
        assert gif.info["loop"] == 0 and gif.size == (960, 500)
    assert 10_000 <= sum(durations) <= 30_000

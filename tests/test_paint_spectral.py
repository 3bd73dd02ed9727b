"""The spectral painter: the graph over the data, a morph into the embedding and back,
the assignment there; the spectral scenes small, looping and timed with their morphs."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence
from sklearn.metrics import adjusted_rand_score

import animate
from animate.cli import main
from animate.render import TWEEN_MS, frames
from animate.render.painters.spectral import MORPH_FRAMES, _embedding_in_box, _plane_columns
from animate.render.timeline import GRID_STEP_MS, select_steps
from animate.scenes import load_scene

from helpers import paint

SCENE_DIR = Path(__file__).resolve().parents[1] / "scenes"
SCENES = ("spectral_moons", "spectral_embedding")


@pytest.fixture(scope="module")
def trace():
    X, y = animate.datasets.make("circles", n_samples=300, noise=0.05, factor=0.5, random_state=0)
    return animate.run(
        "spectral",
        X,
        y=y,
        n_clusters=2,
        n_components=3,
        affinity="nearest_neighbors",
        n_neighbors=20,
    )


def _drawn_points(painter):
    return np.vstack(
        [
            np.column_stack(line.get_data())
            for line in painter.points.lines.values()
            if len(line.get_xdata())
        ]
        + [np.column_stack(painter.points.unassigned.get_data())]
    )


def test_graph_is_drawn_over_the_data_then_left_behind(trace):
    painter, frame = paint(trace)
    frame(0)
    assert len(painter.graph.get_segments()) == len(trace.steps[0].edges) > 0
    np.testing.assert_allclose(np.sort(_drawn_points(painter), axis=0), np.sort(trace.X, axis=0))
    frame(len(trace.steps) - 1)
    assert len(painter.graph.get_segments()) == 0


def test_the_morph_runs_from_the_data_into_the_embedding_and_back(trace):
    painter, frame = paint(trace)
    last = len(trace.steps) - 1
    assert painter.tweens(1) == MORPH_FRAMES and painter.tweens(last) == MORPH_FRAMES
    assert all(painter.tweens(i) == 0 for i in range(2, last))
    painter.show_between(1, 0.5)
    # Halfway (the easing is symmetric), every point is midway between its two places.
    middle = (painter.xy + painter.embedded) / 2
    np.testing.assert_allclose(np.sort(_drawn_points(painter), axis=0), np.sort(middle, axis=0))
    frame(1)
    np.testing.assert_allclose(
        np.sort(_drawn_points(painter), axis=0), np.sort(painter.embedded, axis=0)
    )


def test_the_embedding_plane_skips_the_constant_eigenvector(trace):
    embedding = trace.final.embedding
    assert np.ptp(embedding[:, 0]) < 1e-6 * np.abs(embedding[:, 0]).max()
    assert list(_plane_columns(embedding)) == [1, 2]
    placed = _embedding_in_box(embedding, trace.X)
    assert (placed.min(axis=0) >= trace.X.min(axis=0) - 1e-9).all()
    assert (placed.max(axis=0) <= trace.X.max(axis=0) + 1e-9).all()
    # In the plane the rings fall apart: each point is nearer its own ring's middle.
    middles = np.array([placed[trace.y == ring].mean(axis=0) for ring in (0, 1)])
    nearest = ((placed[:, None, :] - middles[None]) ** 2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(nearest, trace.y)
    assert adjusted_rand_score(trace.y, trace.final.labels) == 1.0


def test_centres_are_drawn_only_for_kmeans_steps(trace):
    painter, frame = paint(trace)
    for index, step in enumerate(trace.steps):
        frame(index)
        assert all(c.get_visible() == step.phase.startswith("kmeans") for c in painter.crosses)


def test_frames_add_the_in_between_frames_of_both_morphs(trace):
    timeline_frames = len(select_steps(len(trace.steps), 90))
    rendered = list(frames([trace], size=(320, 320)))
    assert len(rendered) == timeline_frames + 2 * MORPH_FRAMES
    assert sum(d == TWEEN_MS for _, d in rendered) >= 2 * MORPH_FRAMES


def test_in_a_grid_each_morph_is_one_halfway_frame_held_like_a_step(trace):
    kmeans = animate.run("kmeans", trace.X, n_clusters=2)
    rendered = list(frames([trace, kmeans], size=(480, 240), step_ms=400))
    assert min(d for _, d in rendered) >= GRID_STEP_MS


def test_cli_refuses_too_many_neighbours_with_one_line(tmp_path, capsys):
    out = tmp_path / "sp.gif"
    args = ["run", "spectral", "--dataset", "moons", "--set", "affinity=nearest_neighbors"]
    code = main([*args, "--set", "n_neighbors=100000", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "n_neighbors=100000" in err
    assert not out.exists()


@pytest.mark.parametrize("name", SCENES)
def test_scene_is_small_looping_and_timed(tmp_path, name):
    scene = load_scene(SCENE_DIR / f"{name}.toml")
    path = scene.render(tmp_path)
    assert path.stat().st_size < 1_000_000
    options = scene.render_options
    traces = scene.traces()
    n_frames = max(len(select_steps(len(t.steps), options.get("max_frames", 90))) for t in traces)
    with Image.open(path) as gif:
        assert gif.info["loop"] == 0 and gif.size == tuple(options["size"])
        total = sum(f.info["duration"] for f in ImageSequence.Iterator(gif))
    # A grid shows each morph as one halfway frame held like a step.
    morphs = 2 * (MORPH_FRAMES * TWEEN_MS if len(traces) == 1 else GRID_STEP_MS)
    assert total == 1500 + options["step_ms"] * (n_frames - 2) + 3000 + morphs


def test_morph_frames_sets_the_in_between_frames_or_none(trace):
    last = len(trace.steps) - 1
    jump, _ = paint(trace, morph_frames=0)
    assert all(jump.tweens(i) == 0 for i in range(len(trace.steps)))
    short, _ = paint(trace, morph_frames=3)
    assert short.tweens(1) == 3 and short.tweens(last) == 3
    with pytest.raises(animate.UserError, match="morph_frames"):
        paint(trace, morph_frames=-1)

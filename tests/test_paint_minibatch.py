"""The mini-batch painter: the batch bright over faded points, counts by the centres,
the full-data inertia beside the smoothed one; scenes/minibatch.toml small and looping."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

import animate
from animate.cli import main
from animate.render.painters.minibatch import _FADED_ALPHA
from animate.render.timeline import select_steps
from animate.scenes import load_scene

from helpers import paint, pixel, scene_timeline

SCENE_DIR = Path(__file__).resolve().parents[1] / "scenes"


@pytest.fixture(scope="module")
def trace():
    X, y = animate.datasets.make("blobs", n_samples=400, centers=3, random_state=0)
    return animate.run("minibatch", X, y=y, n_clusters=3, batch_size=20, random_state=0)


def test_batch_points_are_drawn_bright_and_the_rest_faded(trace):
    painter, frame = paint(trace)
    index = 3
    frame(index)
    step = trace.steps[index]
    drawn = sum(len(line.get_xdata()) for line in painter.batch.lines.values())
    assert drawn == len(step.batch) == 20
    assert all(line.get_alpha() == _FADED_ALPHA for line in painter.points.lines.values())
    frame(len(trace.steps) - 1)
    assert all(line.get_alpha() == 1.0 for line in painter.points.lines.values())
    assert sum(len(line.get_xdata()) for line in painter.batch.lines.values()) == 0


def test_counts_stand_beside_their_centres(trace):
    painter, frame = paint(trace)
    index = 5
    image = frame(index)
    step = trace.steps[index]
    assert [t.get_text() for t in painter.counts] == [f"{c:.0f}" for c in step.counts]
    for j, cross in enumerate(painter.marks.crosses):
        np.testing.assert_allclose(cross.get_xydata()[0], step.centers[j])
        row, col = pixel(painter.ax, image, step.centers[j])
        # The white-edged cross is drawn at the centre.
        assert image[row, col].sum() < 700


def test_each_centre_has_its_own_trail_of_its_last_positions(trace):
    painter, frame = paint(trace)
    index = 6
    frame(index)
    xy = painter.marks.trails.get_xydata()
    # One line for all trails, broken (a NaN row) between one centre's and the next.
    pieces = np.split(xy, np.flatnonzero(np.isnan(xy[:, 0])))
    pieces = [piece[~np.isnan(piece[:, 0])] for piece in pieces]
    k = len(trace.final.centers)
    assert len(pieces) == k
    for j, piece in enumerate(pieces):
        start = max(0, index - len(piece) + 1)
        expected = [step.centers[j] for step in trace.steps[start : index + 1]]
        np.testing.assert_allclose(piece, expected)


def test_side_panel_compares_smoothed_and_full_data_inertia(trace):
    painter, frame = paint(trace, side=True)
    last = len(trace.steps) - 1
    frame(last)
    full, smooth = painter.curves
    # The painter's own full-data inertia is the algorithm's final inertia.
    assert full.get_ydata()[-1] * len(trace.X) == pytest.approx(trace.final.inertia, rel=1e-9)
    assert smooth.get_ydata()[-1] == pytest.approx(trace.final.ewa_inertia)
    assert len(full.get_xdata()) == last + 1


def test_status_counts_the_points_seen(trace):
    painter, _ = paint(trace)
    assert "60 points seen" in painter.status(3)
    assert painter.status(len(trace.steps) - 1).startswith(f"{trace.final.n_steps} batches")


def test_cli_refuses_a_bad_batch_size_with_one_line(tmp_path, capsys):
    out = tmp_path / "mb.gif"
    code = main(["run", "minibatch", "--dataset", "blobs", "--set", "batch_size=0", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "batch_size must be" in err
    assert not out.exists()


def test_scene_is_small_looping_and_timed(tmp_path):
    scene = load_scene(SCENE_DIR / "minibatch.toml")
    path = scene.render(tmp_path)
    assert path.stat().st_size < 1_000_000
    options = scene.render_options
    n_frames = max(len(select_steps(len(t.steps), options["max_frames"])) for t in scene.traces())
    with Image.open(path) as gif:
        assert gif.info["loop"] == 0 and gif.size == tuple(options["size"])
        total = sum(f.info["duration"] for f in ImageSequence.Iterator(gif))
    timeline = scene_timeline(scene)
    # Every step shown; the k-means beside holds its key steps (first assignment,
    # a relocation) 1.5 steps longer.
    keys = sum(d == 2.5 * options["step_ms"] for d in timeline.durations[1:-1])
    assert total == timeline.total_ms
    assert total == 1500 + options["step_ms"] * (n_frames - 2 + 1.5 * keys) + 3000

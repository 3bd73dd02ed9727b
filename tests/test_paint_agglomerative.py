"""The agglomerative painter draws what the merge tree says: the latest merge ringed,
colours that follow the larger part, a dendrogram growing link by link to the cut;
its scenes loop, last as long as promised, stay small and repeat byte for byte."""

import itertools
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image, ImageSequence

import animate
from animate.render import style
from animate.render.painters.agglomerative import AgglomerativePainter
from animate.render.timeline import select_steps
from animate.scenes import load_scene

from helpers import paint

SCENES = Path(__file__).resolve().parent.parent / "scenes"
SIZE = (800, 440)


@pytest.fixture(scope="module")
def trace():
    # The data of scenes/agglomerative.toml: 18 points in three loose groups.
    X, y = animate.datasets.make("blobs", n_samples=18, centers=3, cluster_std=1.8, random_state=27)
    return animate.run("agglomerative", X, y=y, n_clusters=3, linkage="complete")


@pytest.fixture(scope="module")
def drawn(trace):
    """The painter, and every step's frame, drawn one step per frame."""
    painter, frame = paint(trace, size=SIZE, side=True)
    images, side_limits = [], []
    for i in range(len(trace.steps)):
        images.append(frame(i))
        side_limits.append((painter.panel.side.get_xlim(), painter.panel.side.get_ylim()))
    return painter, images, side_limits


def _pixel(ax, xy):
    x, y = ax.transData.transform(xy)
    return round(SIZE[1] - y), round(x)


def _near(image, centre, colour, radius, tol=40):
    r, c = centre
    patch = image[r - radius : r + radius + 1, c - radius : c + radius + 1].astype(int)
    rgb = np.round(np.array(to_rgb(colour)) * 255)
    return int((np.abs(patch - rgb).sum(axis=2) < tol).sum())


def _ring_share(image, centre, radius):
    """Share of 24 spots on a circle around ``centre`` that are black (within a pixel)."""
    black = (image.astype(int).sum(axis=2) < 60).astype(int)
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    rows = np.round(centre[0] - radius * np.sin(angles)).astype(int)
    cols = np.round(centre[1] + radius * np.cos(angles)).astype(int)
    hits = [black[r - 1 : r + 2, c - 1 : c + 2].any() for r, c in zip(rows, cols)]
    return float(np.mean(hits))


def test_latest_merge_is_ringed_in_black_and_other_points_are_not(trace, drawn):
    painter, images, _ = drawn
    step = 5
    a, b = trace.steps[step].merged
    merged = set(painter.tree.leaves(a)) | set(painter.tree.leaves(b))
    xy = painter.xy
    alone = [
        i
        for i in range(len(xy))
        if i not in merged
        and min(np.linalg.norm(xy[i] - xy[j]) for j in merged) > 0.15 * np.ptp(xy[:, 0])
    ]
    assert merged and alone
    # Rings are markers: their radius in pixels is half their size in points.
    radius = painter.rings.get_markersize() / 2 * style.DPI / 72
    for i in merged:
        assert _ring_share(images[step], _pixel(painter.ax, xy[i]), radius) > 0.6
    for i in alone:
        assert _ring_share(images[step], _pixel(painter.ax, xy[i]), radius) == 0


def test_points_are_grey_alone_and_keep_the_larger_parts_colour(trace, drawn):
    painter, images, _ = drawn
    n = len(trace.X)
    merges = [i for i, s in enumerate(trace.steps) if s.phase == "merge"]
    for before, after in itertools.pairwise([0, *merges]):
        labels = trace.steps[after].labels
        sizes = np.bincount(labels, minlength=n)[labels]
        slots = painter.colours[after]
        assert ((slots == -1) == (sizes == 1)).all()
        # A point whose cluster did not merge away keeps its colour.
        a, b = trace.steps[after].merged
        parts = [painter.tree.leaves(a), painter.tree.leaves(b)]
        smaller = min(parts, key=len) if len(parts[0]) != len(parts[1]) else parts[1]
        stay = painter.colours[before] >= 0
        stay[smaller] = False
        assert (slots[stay] == painter.colours[before][stay]).all()
        # Clusters side by side never share a colour (few enough here for that).
        per_cluster = {int(labels[i]): int(slots[i]) for i in np.flatnonzero(slots >= 0)}
        assert len(set(per_cluster.values())) == len(per_cluster)
    # The cut's clusters wear the colours they had when there were that many clusters.
    found = trace.final.n_clusters_found
    np.testing.assert_array_equal(painter.colours[len(trace.steps) - 1], painter.colours[n - found])
    last = images[-1]
    for i, slot in enumerate(painter.colours[len(trace.steps) - 1]):
        assert _near(last, _pixel(painter.ax, painter.xy[i]), style.cluster_colour(slot), 2) > 3


def test_dendrogram_grows_one_link_per_merge_within_fixed_limits(trace, drawn):
    painter, images, side_limits = drawn
    assert all(lim == side_limits[0] for lim in side_limits)
    side = painter.panel.side
    n = len(trace.X)
    heights = trace.final.linkage[:, 2]
    for m in (3, 9, 14):
        if heights[m - 1] == heights[m - 2]:
            continue
        node = n + m - 1
        top = _pixel(side, (painter.tree.x[node], heights[m - 1]))
        # The new link's crossbar: drawn bold in black now, absent one merge earlier.
        assert _near(images[m], top, style.HIGHLIGHT, 1) >= 3
        for colour in (style.HIGHLIGHT, *style.CLUSTER_COLOURS):
            assert _near(images[m - 1], top, colour, 1) == 0
    assert len(painter.side.links.get_segments()) == n - 1


def test_cut_is_a_dashed_line_at_the_threshold_with_undone_links_grey(trace, drawn):
    painter, images, _ = drawn
    side = painter.panel.side
    last = images[-1].astype(int)
    row, left = _pixel(side, (0, trace.final.threshold))
    _, right = _pixel(side, (len(trace.X) / 2, trace.final.threshold))
    line = last[row - 1 : row + 2, left:right]
    ink = (np.abs(line - np.round(np.array(to_rgb(style.INK)) * 255)).sum(axis=2) < 60).any(axis=0)
    assert 0.3 < ink.mean() < 0.9  # dashed: ink with gaps
    root = len(trace.X) * 2 - 2
    top = _pixel(side, (painter.tree.x[root], trace.final.linkage[-1, 2]))
    assert _near(images[-1], top, style.UNASSIGNED, 1, tol=30) >= 3
    assert _near(images[-2], top, style.HIGHLIGHT, 1) >= 3


def test_long_runs_stride_early_merges_and_slow_down_the_last(trace, drawn):
    painter, _, _ = drawn
    picked = select_steps(301, 90, AgglomerativePainter.focus)
    assert (np.diff(picked[-25:]) == 1).all() and picked[1] - picked[0] > 1
    n, found = len(trace.X), trace.final.n_clusters_found
    weights = [painter.weight(i) for i in range(len(trace.steps))]
    slow = [i for i, w in enumerate(weights) if w > 1]
    assert slow == list(range(n - found - 3, n))


def _read_gif(path):
    with Image.open(path) as im:
        return dict(im.info), [f.info["duration"] for f in ImageSequence.Iterator(im)]


def _expected_ms(n_points, found, step_ms, first_ms=1500, hold_ms=3000, max_frames=90):
    steps = select_steps(n_points + 1, max_frames, "tail")
    slow = n_points - found - 3
    durations = [step_ms * (2 if slow <= i < n_points else 1) for i in steps]
    durations[0], durations[-1] = max(durations[0], first_ms), max(durations[-1], hold_ms)
    return sum(durations)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scene", "n_points", "found", "step_ms", "hold_ms"),
    [
        ("agglomerative", 18, 3, 600, 4000),
        ("linkage_comparison", 40, 2, 400, 3000),
        ("agglomerative_connectivity", 200, 2, 400, 3000),
    ],
)
def test_scene_loops_for_the_promised_time_under_a_megabyte(
    tmp_path, scene, n_points, found, step_ms, hold_ms
):
    path = load_scene(SCENES / f"{scene}.toml").render(tmp_path)
    info, durations = _read_gif(path)
    assert info["loop"] == 0
    assert sum(durations) == _expected_ms(n_points, found, step_ms, hold_ms=hold_ms)
    assert path.stat().st_size < 1_000_000


@pytest.mark.slow
def test_same_scene_gives_byte_identical_files(tmp_path):
    scene = load_scene(SCENES / "agglomerative.toml")
    a = scene.render(tmp_path / "a")
    b = scene.render(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()

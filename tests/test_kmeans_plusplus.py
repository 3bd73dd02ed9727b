"""k-means++ seeding picks scikit-learn's points, seed for seed, one step per centre."""

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.cluster import kmeans_plusplus

import animate
from animate.datasets import make
from animate.render import style
from animate.render.painters.base import format_number

from helpers import near, paint, pixel

SCENES = Path(__file__).resolve().parents[1] / "scenes"

DATA = [
    ("blobs", {"centers": 4}),
    ("gaussians4", {}),
    ("moons", {"noise": 0.1}),
    ("uniform", {}),
    ("blobs", {"centers": 5, "n_features": 5}),
    ("blobs", {"centers": 3, "n_features": 12}),
]


@pytest.mark.parametrize(("name", "options"), DATA)
@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_same_centres_and_indices_as_sklearn_seed_for_seed(name, options, k):
    X, _ = make(name, n_samples=250, random_state=3, **options)
    for seed in range(4):
        trace = animate.run("kmeans_plusplus", X, n_clusters=k, random_state=seed)
        centers, indices = kmeans_plusplus(X, k, random_state=seed)
        np.testing.assert_array_equal(trace.final.indices, indices)
        np.testing.assert_array_equal(trace.final.centers, centers)


@pytest.mark.parametrize("n_local_trials", [1, 3, 10])
def test_n_local_trials_matches_sklearn(n_local_trials):
    X, _ = make("varied", n_samples=300, random_state=0)
    for seed in range(3):
        trace = animate.run(
            "kmeans_plusplus", X, n_clusters=6, n_local_trials=n_local_trials, random_state=seed
        )
        _, indices = kmeans_plusplus(X, 6, n_local_trials=n_local_trials, random_state=seed)
        np.testing.assert_array_equal(trace.final.indices, indices)
        assert all(len(step.trials) == n_local_trials for step in trace.steps[1:])


def test_ties_on_repeated_points_break_as_in_sklearn():
    # A 3 x 3 grid of points, each repeated many times: distances tie everywhere,
    # and with k = 12 > 9 distinct points every draw lands on a zero weight.
    X = np.random.default_rng(0).integers(0, 3, size=(120, 2)).astype(float)
    for k in (4, 9, 12):
        for seed in range(3):
            trace = animate.run("kmeans_plusplus", X, n_clusters=k, random_state=seed)
            _, indices = kmeans_plusplus(X, k, random_state=seed)
            np.testing.assert_array_equal(trace.final.indices, indices)
            assert np.isfinite(trace.final.weights).all()


def test_one_step_per_centre_with_what_the_painter_draws():
    X, _ = make("gaussians4", n_samples=200, random_state=0)
    trace = animate.run("kmeans++", X, n_clusters=5, random_state=1)
    assert trace.algorithm == "kmeans_plusplus"
    assert [s.phase for s in trace.steps] == ["init"] + ["choose"] * 4
    assert np.allclose(trace.steps[0].weights, 1 / len(X))
    n_trials = 2 + int(np.log(5))
    for c, step in enumerate(trace.steps):
        assert step.centers.shape == (c + 1, 2) and len(step.indices) == c + 1
        assert step.chosen == step.indices[-1] and step.chosen in step.trials
        assert step.weights.sum() == pytest.approx(1.0)
        d2 = ((X[:, None, :] - step.centers[None]) ** 2).sum(axis=2)
        np.testing.assert_array_equal(step.labels, d2.argmin(axis=1))
        assert step.potential == pytest.approx(d2.min(axis=1).sum(), rel=1e-9)
        if c:
            assert len(step.trials) == len(step.trial_potentials) == n_trials
            assert step.potential == pytest.approx(step.trial_potentials.min(), rel=1e-12)
            # The weights that drew this centre's trials are the D² of the previous step.
            previous = trace.steps[c - 1]
            d2_before = ((X[:, None, :] - previous.centers[None]) ** 2).sum(axis=2).min(axis=1)
            np.testing.assert_allclose(step.weights, d2_before / d2_before.sum(), atol=1e-12)
    potentials = [s.potential for s in trace.steps]
    assert all(b <= a for a, b in itertools.pairwise(potentials))
    assert (trace.n_iter, trace.converged) == (5, True)


def test_kmeans_and_em_start_from_the_same_points():
    X, _ = make("blobs", n_samples=200, centers=4, random_state=5)
    seeding = animate.run("kmeans_plusplus", X - X.mean(axis=0), n_clusters=4, random_state=2)
    kmeans = animate.run("kmeans", X, n_clusters=4, random_state=2)
    np.testing.assert_allclose(kmeans.steps[0].centers, X[seeding.final.indices], atol=1e-12)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"n_clusters": 0}, "n_clusters"),
        ({"n_clusters": 500}, "more than the"),
        ({"n_clusters": 3, "n_local_trials": 0}, "n_local_trials"),
        ({"n_clusters": 3, "random_state": "x"}, "random_state"),
    ],
)
def test_bad_parameters_raise_one_user_error(params, fragment):
    X, _ = make("blobs", n_samples=100, random_state=0)
    with pytest.raises(animate.UserError) as info:
        animate.run("kmeans_plusplus", X, **params)
    assert fragment in str(info.value) and "\n" not in str(info.value)


# The painter and the scene ----------------------------------------------------------------


@pytest.fixture(scope="module")
def seeding():
    X, y = make("gaussians4", n_samples=300, random_state=0)
    return animate.run("kmeans_plusplus", X, y=y, n_clusters=4, random_state=1)


def test_points_grow_with_their_chance_of_being_drawn(seeding):
    painter, _ = paint(seeding, size=(800, 440), side=True)
    painter.show(0)
    assert np.ptp(painter.dots.get_sizes()) == 0
    for index in range(1, len(seeding.steps)):
        painter.show(index)
        sizes, weights = painter.dots.get_sizes(), seeding.steps[index].weights
        assert sizes[weights.argmax()] == sizes.max() > 4 * sizes.min()
        order = np.argsort(weights, kind="stable")
        assert (np.diff(sizes[order]) >= 0).all()
        # A chosen centre has no chance left: the smallest marker.
        assert sizes[seeding.steps[index - 1].indices].max() == sizes.min()


def test_candidates_ringed_the_kept_one_marked_centres_crossed(seeding):
    painter, frame = paint(seeding, size=(800, 440), side=True)
    step = seeding.steps[2]
    image = frame(2)
    ring = painter.chosen.get_markersize() * style.DPI / 72 / 2
    r, c = pixel(painter.ax, image, painter.xy[step.chosen])
    assert near(image, (r, round(c + ring)), style.HIGHLIGHT, radius=2)
    np.testing.assert_array_equal(
        np.column_stack(painter.trials.get_data()), painter.xy[step.trials]
    )
    shown = [x for cross in painter.crosses if np.isfinite(x := cross.get_xdata()[0])]
    assert len(shown) == 3
    colours = [cross.get_markerfacecolor() for cross in painter.crosses[:3]]
    assert len(set(colours)) == 3
    frame(0)
    assert len(painter.trials.get_xdata()) == 0


def test_side_panel_plots_the_potential_and_the_candidates_weighed(seeding):
    painter, _ = paint(seeding, size=(800, 440), side=True)
    painter.show(3)
    xs, ys = painter.curve.get_data()
    np.testing.assert_array_equal(xs, [1, 2, 3, 4])
    assert list(ys) == [s.potential for s in seeding.steps]
    np.testing.assert_array_equal(painter.weighed.get_ydata(), seeding.steps[3].trial_potentials)
    assert painter.status(3) == f"centre 4 of 4 · potential {format_number(ys[-1])}"


def test_scene_renders_small_looping_and_the_same_twice(tmp_path):
    loaded = animate.load_scene(SCENES / "kmeans_plusplus.toml")
    first = loaded.render(tmp_path / "a")
    second = loaded.render(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size < 1_000_000
    with Image.open(first) as gif:
        assert gif.info["loop"] == 0 and gif.size == tuple(loaded.render_options["size"])
    seeding, random_start = loaded.traces()
    assert seeding.algorithm == "kmeans_plusplus" and random_start.algorithm == "kmeans"
    # What the description promises: k-means++ alone beats k-means from random points.
    assert seeding.final.potential < random_start.final.inertia


def test_title_names_k_and_the_candidates_per_centre(seeding):
    painter, _ = paint(seeding)
    assert str(painter.title()) == "k-means++ seeding, k = 4, 3 candidates per centre"
    X, _ = make("blobs", n_samples=50, n_features=3, random_state=0)
    single = animate.run("kmeans_plusplus", X, n_clusters=3, n_local_trials=1)
    painter, frame = paint(single)
    assert str(painter.title()) == "k-means++ seeding, k = 3, 1 candidate per centre"
    frame(2)  # three features: drawn in the first two principal components
    assert painter.outcome() == f"potential {format_number(single.final.potential)}"

"""Choosing k and judging a clustering: scores on the status line, the elbow, silhouettes."""

from pathlib import Path

import numpy as np
import pytest
import sklearn.metrics
from matplotlib.colors import to_rgb
from PIL import Image
from test_metrics import close, labelings

import animate
from animate import metrics
from animate.choosing import LABEL_SCORES, elbow, within_cluster_ss
from animate.metrics import StatusScores, contingency_scores
from animate.render import _status, frames, style

from helpers import near, paint, pixel

LABEL_FUNCTIONS = {
    "ari": sklearn.metrics.adjusted_rand_score,
    "homogeneity": sklearn.metrics.homogeneity_score,
    "completeness": sklearn.metrics.completeness_score,
    "v_measure": sklearn.metrics.v_measure_score,
    "fmi": sklearn.metrics.fowlkes_mallows_score,
}


# Scores on the status line -------------------------------------------------------------


def test_contingency_scores_equal_sklearn_on_random_and_edge_labelings():
    for seed in range(8):
        for truth, pred in labelings(n=20 + 17 * seed, seed=seed):
            for a, b in ((truth, pred), (pred, truth)):
                ours = contingency_scores(a, b)
                for name, theirs in LABEL_FUNCTIONS.items():
                    assert close(ours[name], theirs(a, b)), (name, seed, a, b)


@pytest.fixture(scope="module")
def kmeans4():
    X, y = animate.datasets.make("gaussians4", n_samples=200, random_state=1)
    return animate.run("kmeans", X, y=y, n_clusters=4, init="random")


def test_status_line_shows_each_chosen_score_as_sklearn_computes_it(kmeans4):
    names = ["v_measure", "ami", "silhouette", "calinski_harabasz", "davies_bouldin", "fmi"]
    scores = StatusScores(names, kmeans4.X, kmeans4.y)
    painter, _ = paint(kmeans4)
    labels = kmeans4.final.labels
    X, y = kmeans4.X, kmeans4.y
    expected = [
        f"V-measure {sklearn.metrics.v_measure_score(y, labels):.2f}",
        f"AMI {sklearn.metrics.adjusted_mutual_info_score(y, labels):.2f}",
        f"silhouette {sklearn.metrics.silhouette_score(X, labels):.2f}",
        f"Calinski-Harabasz {sklearn.metrics.calinski_harabasz_score(X, labels):,.0f}",
        f"Davies-Bouldin {sklearn.metrics.davies_bouldin_score(X, labels):.2f}",
        f"FMI {sklearn.metrics.fowlkes_mallows_score(y, labels):.2f}",
    ]
    last = len(kmeans4.steps) - 1
    assert _status(painter, last, scores) == " · ".join([painter.status(last), *expected])
    # Before the first assignment every point is unassigned: one cluster, no silhouette.
    assert "silhouette –" in _status(painter, 0, scores)


def test_scores_on_x_are_computed_once_per_labeling(kmeans4, monkeypatch):
    calls = []
    silhouette = metrics._DATA_SCORES["silhouette"]

    def counted(X, labels):
        calls.append(1)
        return silhouette(X, labels)

    monkeypatch.setitem(metrics._DATA_SCORES, "silhouette", counted)
    scores = StatusScores(["silhouette"], kmeans4.X, kmeans4.y)
    for _ in range(3):
        scores.text(kmeans4.final.labels.copy())
    assert len(calls) == 1
    scores.text(kmeans4.steps[1].labels)
    assert len(calls) == 2


def test_ari_true_is_metrics_ari_and_label_scores_need_true_labels(kmeans4):
    with_flag = [f for f, _ in frames([kmeans4], ari=True, max_frames=3)]
    with_list = [f for f, _ in frames([kmeans4], metrics=["ari"], max_frames=3)]
    without = [f for f, _ in frames([kmeans4], max_frames=3)]
    assert all(np.array_equal(a, b) for a, b in zip(with_flag, with_list))
    assert not np.array_equal(with_flag[-1], without[-1])
    unlabelled = animate.Trace("kmeans", kmeans4.X, kmeans4.steps, kmeans4.params)
    with pytest.raises(animate.UserError, match="v_measure and ari need data with true labels"):
        next(frames([unlabelled], metrics=["v_measure", "ari"]))
    next(frames([unlabelled], metrics=["silhouette"]))  # scores on X need no labels
    with pytest.raises(animate.UserError, match="unknown metric 'rand'; choose from ari, ami"):
        next(frames([kmeans4], metrics=["rand"]))


def test_scene_metrics_key_and_cli_metric_flag(tmp_path, capsys):
    from animate.cli import main

    path = tmp_path / "scored.toml"
    text = (
        'title = "t"\n[data]\nname = "blobs"\nn_samples = 60\n[algorithm]\nname = "kmeans"\n'
        'n_clusters = 3\n[render]\nsize = [240, 200]\nmax_frames = 4\nmetrics = ["{}"]\n'
    )
    path.write_text(text.format("homogeneity"), encoding="utf-8")
    scene = animate.load_scene(path)
    assert scene.render_options["metrics"] == ["homogeneity"]
    assert scene.render(tmp_path).exists()
    path.write_text(text.format("purity"), encoding="utf-8")
    with pytest.raises(animate.UserError, match=r"scored.toml \[render\]: unknown metric 'purity'"):
        animate.load_scene(path)
    out = tmp_path / "run.gif"
    args = ["run", "kmeans", "--dataset", "blobs", "--n-samples", "60", "--size", "240x200"]
    assert main([*args, "--metric", "completeness", "--metric", "silhouette", "-o", str(out)]) == 0
    assert out.exists()
    assert main([*args, "--metric", "purity", "-o", str(out)]) == 2
    assert "unknown metric 'purity'" in capsys.readouterr().err


# Choosing k: what a sweep of the number of clusters carries --------------------------


def test_elbow_is_the_point_farthest_below_the_chord():
    assert elbow([1, 2, 3, 4, 5], [10, 8, 6, 4, 2]) is None  # a straight line has none
    assert elbow([1, 2, 3, 4, 5], [100, 40, 10, 8, 6]) == 2
    assert elbow([1, 2, 3, 4, 5], [100, 40, 30, 20, 6]) == 1
    # Scaled axes: the unit of the sum of squares does not move the elbow.
    assert elbow([2, 4, 6, 8], [9e6, 2e6, 1.5e6, 1e6]) == elbow([2, 4, 6, 8], [9, 2, 1.5, 1])
    assert elbow([1, 2], [5, 1]) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "algorithm, parameter", [("kmeans", "n_clusters"), ("agglomerative", "n_clusters")]
)
def test_the_elbow_is_at_the_true_k_on_gaussians4(algorithm, parameter, seed):
    X, y = animate.datasets.make("gaussians4", n_samples=240, random_state=seed)
    trace = animate.sweep(algorithm, X, parameter, list(range(1, 11)), y=y)
    assert {step.elbow for step in trace.steps} == {4}
    assert "elbow of the within-cluster sum of squares is at 4" in trace.final.message


@pytest.fixture(scope="module")
def em_sweep():
    X, y = animate.datasets.make("gaussians4", n_samples=160, random_state=3)
    return animate.sweep("em", X, "n_components", [1, 2, 3, 4, 5], y=y, max_iter=40)


def test_sweep_steps_carry_scikit_learns_scores_of_each_k(em_sweep):
    X = em_sweep.X
    assert len({step.elbow for step in em_sweep.steps}) == 1  # one elbow for the sweep
    for step, k in zip(em_sweep.steps, [1, 2, 3, 4, 5]):
        result = animate.run("em", X, n_components=k, max_iter=40)
        assert np.array_equal(step.labels, result.final.labels)
        assert close(step.bic, metrics.bic(result)) and close(step.aic, metrics.aic(result))
        if k == 1:
            assert np.isnan(step.silhouette) and np.isnan(step.silhouette_samples).all()
            continue
        assert abs(step.silhouette - sklearn.metrics.silhouette_score(X, step.labels)) < 1e-12
        np.testing.assert_allclose(
            step.silhouette_samples, sklearn.metrics.silhouette_samples(X, step.labels), atol=1e-12
        )
        means = np.array([X[step.labels == c].mean(axis=0) for c in np.unique(step.labels)])
        wss = ((X - means[step.labels]) ** 2).sum()
        assert abs(step.inertia - wss) <= 1e-9 * wss


def test_within_cluster_ss_is_kmeans_inertia_and_leaves_noise_out():
    X, _ = animate.datasets.make("blobs", n_samples=120, n_features=3, random_state=4)
    trace = animate.run("kmeans", X, n_clusters=3)
    assert abs(within_cluster_ss(X, trace.final.labels) - trace.final.inertia) < 1e-9 * 1e4
    labels = trace.final.labels.copy()
    labels[:10] = -1
    kept = labels >= 0
    assert close(within_cluster_ss(X, labels), within_cluster_ss(X[kept], labels[kept]))


def test_other_sweeps_carry_no_scores():
    X, _ = animate.datasets.make("blobs", n_samples=60)
    trace = animate.sweep("dbscan", X, "eps", [0.5, 1.0])
    assert "inertia" not in trace.final.fields and "elbow" not in trace.final.fields


# Painting: the score curves and the silhouette plot ----------------------------------


@pytest.fixture(scope="module")
def kmeans_sweep():
    X, y = animate.datasets.make("gaussians4", n_samples=200, random_state=0)
    return animate.sweep("kmeans", X, "n_clusters", list(range(1, 9)), y=y)


def test_elbow_panel_rings_the_elbow_on_the_last_frame_only(kmeans_sweep):
    painter, frame = paint(kmeans_sweep, size=(900, 500), side=True, side_plot="elbow")
    curves = painter.choosing
    ax = curves.elbow_ring.axes
    last = len(kmeans_sweep.steps) - 1
    at = [s.value for s in kmeans_sweep.steps].index(4)
    where = (4, kmeans_sweep.steps[at].inertia)
    early = frame(last - 1)
    assert np.isnan(curves.elbow_ring.get_xdata()).all() and curves.elbow_text.get_text() == ""
    image = frame(last)
    assert curves.elbow_text.get_text() == "elbow: k = 4"
    r, c = pixel(ax, image, where)
    ring = np.array([r, c - 9])  # the ring's left edge (13 pt wide), clear of the curve
    assert near(image, ring, style.HIGHLIGHT, radius=2, tol=60)
    assert not near(early, ring, style.HIGHLIGHT, radius=2, tol=60)
    # Two stacked plots for k-means, silhouette below; the curve shows the k swept so far.
    assert len(painter.canvas.figure.axes) - 2 == 2
    silhouette_curve = curves.curves[1][0]
    painter.show(3)
    assert list(silhouette_curve.get_xdata()) == [1, 2, 3, 4]


def test_elbow_panel_for_em_plots_bic_and_aic(em_sweep):
    painter, frame = paint(em_sweep, size=(900, 500), side=True, side_plot="elbow")
    frame(len(em_sweep.steps) - 1)
    bic, aic = painter.choosing.curves[2][0], painter.choosing.curves[3][0]
    np.testing.assert_array_equal(bic.get_ydata(), [s.bic for s in em_sweep.steps])
    np.testing.assert_array_equal(aic.get_ydata(), [s.aic for s in em_sweep.steps])


def test_silhouette_plot_sorts_each_cluster_in_its_colour_with_the_mean_dashed(kmeans_sweep):
    painter, frame = paint(kmeans_sweep, size=(900, 500), side=True, side_plot="silhouette")
    plot = painter.choosing
    for index in (1, 3, 5):
        frame(index)
        step = kmeans_sweep.steps[index]
        mean = sklearn.metrics.silhouette_score(kmeans_sweep.X, step.labels)
        assert np.allclose(plot.mean.get_xdata(), mean, atol=1e-12)
        assert plot.mean.get_linestyle() == "--"
        clusters = np.unique(step.labels)
        polygons = plot.bars.get_paths()
        assert len(polygons) == len(clusters)
        slots = painter.slots_of(index)
        for cluster, path, colour in zip(clusters, polygons, plot.bars.get_facecolors()):
            values = np.sort(step.silhouette_samples[step.labels == cluster])
            bars = path.vertices[1:-2:2, 0]  # one value per row, bottom to top; then the closing
            np.testing.assert_allclose(bars, values)
            slot = slots[step.labels == cluster][0]
            np.testing.assert_allclose(colour[:3], to_rgb(style.cluster_colour(slot)))
    frame(0)  # k = 1: no silhouette, no bars
    assert len(plot.bars.get_paths()) == 0 and plot.mean_text.get_text() == ""


def test_side_option_is_checked(kmeans_sweep):
    with pytest.raises(
        animate.UserError, match="side_plot must be 'clusters', 'elbow', 'silhouette' or"
    ):
        paint(kmeans_sweep, side=True, side_plot="knee")
    X, _ = animate.datasets.make("blobs", n_samples=60)
    eps = animate.sweep("dbscan", X, "eps", [0.5, 1.0])
    with pytest.raises(animate.UserError, match="needs a sweep of the number of clusters"):
        paint(eps, side=True, side_plot="elbow")
    unlabelled = animate.sweep("kmeans", X, "n_clusters", [2, 3])
    with pytest.raises(animate.UserError, match="'scores' compares with true labels"):
        paint(unlabelled, side=True, side_plot="scores")


# The scenes ---------------------------------------------------------------------------

SCENES = Path(__file__).resolve().parent.parent / "scenes"


def _rendered(name, tmp_path):
    scene = animate.load_scene(SCENES / f"{name}.toml")
    path = scene.render(tmp_path)
    assert path.stat().st_size < 1_000_000
    with Image.open(path) as im:
        assert im.info["loop"] == 0
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB")).astype(int)
    return scene, scene.traces()[0], last


@pytest.mark.slow
def test_elbow_scene_marks_the_true_k(tmp_path):
    scene, trace, _ = _rendered("elbow", tmp_path)
    assert trace.params["values"] == list(range(1, 11)) and trace.final.elbow == 4
    assert scene.render_options["options"] == {"side_plot": "elbow"}
    painter, frame = paint(trace, size=(900, 500), side=True, side_plot="elbow")
    frame(len(trace.steps) - 1)
    assert list(painter.choosing.elbow_ring.get_xdata()) == [4]


@pytest.mark.slow
def test_silhouette_scene_draws_the_mean_at_silhouette_score(tmp_path):
    _, trace, _ = _rendered("silhouette", tmp_path)
    assert trace.params["values"] == [2, 3, 4, 5, 6]
    painter, frame = paint(trace, size=(900, 500), side=True, side_plot="silhouette")
    means = []
    for index, step in enumerate(trace.steps):
        frame(index)
        expected = sklearn.metrics.silhouette_score(trace.X, step.labels)
        assert abs(painter.choosing.mean.get_xdata()[0] - expected) < 1e-12
        means.append(expected)
    assert int(np.argmax(means)) == 2  # the highest mean at k = 4


@pytest.mark.slow
def test_scores_scene_shows_the_homogeneity_completeness_trade_off(tmp_path):
    _, trace, _ = _rendered("scores", tmp_path)
    painter, frame = paint(trace, size=(900, 500), side=True, side_plot="scores")
    heights = []
    for index, step in enumerate(trace.steps):
        frame(index)
        heights.append([bar.get_height() for bar in painter.choosing.bars])
        expected = [
            sklearn.metrics.homogeneity_score(trace.y, step.labels),
            sklearn.metrics.completeness_score(trace.y, step.labels),
            sklearn.metrics.v_measure_score(trace.y, step.labels),
            sklearn.metrics.adjusted_rand_score(trace.y, step.labels),
        ]
        np.testing.assert_allclose(heights[-1], expected, atol=1e-12)
    homogeneity, completeness = np.array(heights)[:, 0], np.array(heights)[:, 1]
    assert np.all(np.diff(homogeneity) >= -0.02) and np.all(np.diff(completeness[3:]) <= 0.02)
    best = [s.value for s in trace.steps][int(np.argmax(np.array(heights)[:, 3]))]
    assert best == 4  # ARI prefers the true k
    for step in trace.steps:
        # The baseline: the same labels shuffled, scored against the truth.
        shuffled = np.random.default_rng(0).permutation(step.labels)
        chance = contingency_scores(trace.y, shuffled)
        assert list(step.random_scores) == [chance[k] for k in LABEL_SCORES]
        assert abs(step.random_scores[3]) < 0.05  # ARI is adjusted for chance
    np.testing.assert_array_equal(painter.choosing.chance.get_ydata(), step.random_scores)

"""Choosing k and judging a clustering: scores on the status line, the elbow, silhouettes."""

import numpy as np
import pytest
import sklearn.metrics
from test_metrics import close, labelings

import animate
from animate import metrics
from animate.metrics import StatusScores, contingency_scores
from animate.render import _status, frames

from helpers import paint

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

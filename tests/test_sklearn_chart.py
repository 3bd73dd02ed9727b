"""scikit-learn's comparison chart as a scene: its data, its parameters, its labels; and
the grid grammar it needs (per-algorithm tables, headers, a grid wrapped to blog width)."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn import cluster, datasets
from sklearn.neighbors import kneighbors_graph
from sklearn.preprocessing import StandardScaler

import animate
from animate.scenes import load_data

SCENES = Path(__file__).resolve().parent.parent / "scenes"
CHART = animate.load_scene(SCENES / "sklearn_chart.toml")
COLUMNS = 11


def _chart_data():
    """The six data sets as examples/cluster/plot_cluster_comparison.py makes them."""
    n, seed = 500, 30
    X, y = datasets.make_blobs(n_samples=n, random_state=170)
    return [
        datasets.make_circles(n_samples=n, factor=0.5, noise=0.05, random_state=seed),
        datasets.make_moons(n_samples=n, noise=0.05, random_state=seed),
        datasets.make_blobs(n_samples=n, cluster_std=[1.0, 2.5, 0.5], random_state=170),
        (X @ np.array([[0.6, -0.6], [-0.4, 0.8]]), y),
        datasets.make_blobs(n_samples=n, random_state=seed),
        (np.random.RandomState(seed).rand(n, 2), None),
    ]


def _panel(row, column):
    """The chart's panel for data set ``row`` and algorithm ``column`` (both from 0)."""
    return CHART.panels[row * COLUMNS + column]


@pytest.mark.parametrize("row", range(6))
def test_the_data_and_bandwidths_are_the_charts(row):
    X, y = _chart_data()[row]
    expected = StandardScaler().fit_transform(X)
    data = load_data(_panel(row, 0).data)
    np.testing.assert_array_equal(data.X, expected)
    assert (data.y is None) == (y is None)
    quantile = 0.2 if row == 0 else 0.3  # the chart's per-data-set quantile
    bandwidth = _panel(row, 2).algorithm["bandwidth"]
    assert bandwidth == cluster.estimate_bandwidth(expected, quantile=quantile)


# Panels whose parameters are easiest to get wrong, against the chart's estimators.
REFERENCES = {
    (4, 5): lambda X: cluster.AgglomerativeClustering(
        linkage="average",
        metric="cityblock",
        n_clusters=3,
        connectivity=kneighbors_graph(X, n_neighbors=3, include_self=False),
    ),
    (2, 4): lambda X: cluster.AgglomerativeClustering(
        n_clusters=3,
        linkage="ward",
        connectivity=kneighbors_graph(X, n_neighbors=2, include_self=False),
    ),
    (5, 7): lambda X: cluster.HDBSCAN(
        min_samples=3, min_cluster_size=15, allow_single_cluster=True
    ),
    (3, 9): lambda X: cluster.Birch(n_clusters=3),
}


@pytest.mark.parametrize(("row", "column"), REFERENCES)
def test_panels_end_on_the_charts_labels(row, column):
    panel = _panel(row, column)
    X = load_data(panel.data).X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # graphs in pieces, joined as scikit-learn does
        trace = panel.make_trace()
        expected = REFERENCES[row, column](X).fit(X).labels_
    np.testing.assert_array_equal(trace.final.labels, expected)


def test_headers_name_the_charts_columns_and_rows():
    options = CHART.render_options
    assert len(options["headers"]) == options["cols"] == COLUMNS
    assert options["headers"][4:6] == ["Ward", "average linkage"]
    assert options["row_headers"] == [
        "noisy circles",
        "noisy moons",
        "varied blobs",
        "anisotropic",
        "blobs",
        "no structure",
    ]
    assert all(Path(blog).is_file() for blog in CHART.blog) and len(CHART.blog) == 6


GRID = """title = "grid"
[render]
size = [480, 300]
[grid]
[[grid.algorithms]]
name = "dbscan"
header = "density"
[[grid.algorithms]]
name = "optics"
min_samples = 5
[[grid.data]]
name = "blobs"
header = "three blobs"
n_samples = 40
centers = 3
scale = true
[grid.data.params]
min_samples = 4
optics = { xi = 0.2 }
dbscan = { eps = 0.4 }
"""


def _scene(tmp_path, text):
    path = tmp_path / "grid.toml"
    path.write_text(text, encoding="utf-8")
    return animate.load_scene(path)


def test_a_table_named_after_an_algorithm_goes_to_it_alone(tmp_path):
    dbscan, optics = _scene(tmp_path, GRID).panels
    assert dbscan.algorithm == {"name": "dbscan", "min_samples": 4, "eps": 0.4}
    assert optics.algorithm == {"name": "optics", "min_samples": 4, "xi": 0.2}
    X = load_data(dbscan.data).X
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1)


def test_headers_head_a_grid_and_move_into_the_titles_when_it_wraps(tmp_path):
    loaded = _scene(tmp_path, GRID)
    assert loaded.render_options["headers"] == ["density", "OPTICS"]
    assert loaded.render_options["row_headers"] == ["three blobs"]
    assert all(p.title == "{parameters}\n{outcome}" for p in loaded.panels)
    wrapped = _scene(tmp_path, GRID.replace("size = [480, 300]", "size = [480, 300]\ncols = 1"))
    assert "headers" not in wrapped.render_options
    assert [p.title for p in wrapped.panels] == ["density\n{outcome}", "OPTICS\n{outcome}"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("optics = { xi = 0.2 }", "optics = { x = 0.2 }"), "optics has no parameter 'x'"),
        (("optics = { xi = 0.2 }", "kmeans = { n_clusters = 2 }"), "'kmeans'"),
        (('header = "density"', "header = 3"), "header must be text"),
        (("scale = true", 'scale = "yes"'), "scale must be true or false"),
    ],
)
def test_mistakes_in_the_grid_tables_are_one_line_user_errors(tmp_path, change, message):
    with pytest.raises(animate.UserError, match=message) as error:
        _scene(tmp_path, GRID.replace(*change)).panels[0].make_trace()
    assert "\n" not in str(error.value)

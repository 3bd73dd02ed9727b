"""Bring your own: scenes that ship with the package, DataFrames, estimators, CLI conventions."""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import numpy as np
import pytest

import animate
from animate import scenes
from animate.algorithms import registry
from animate.cli import main

from helpers import tiny_scene

ROOT = Path(__file__).resolve().parents[1]
# The module: the package's attribute `animate.render` is the function.
RENDER = sys.modules["animate.render"]


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# Scenes that ship with the package ------------------------------------------------------


def test_the_built_in_scenes_are_the_repository_scenes():
    # animate/_scenes links to scenes/: one source, shipped in the wheel as files.
    names = [p.name for p in scenes.scene_files(scenes.builtin_dir())]
    assert names == [p.name for p in scenes.scene_files(ROOT / "scenes")]
    assert "kmeans.toml" in names


def test_without_scenes_here_clustergif_renders_the_built_in_gallery(tmp_path, monkeypatch, capsys):
    builtin = tmp_path / "builtin"
    tiny_scene(builtin, "tiny")
    monkeypatch.setattr(scenes, "builtin_dir", lambda: builtin)
    monkeypatch.chdir(tmp_path / "builtin")  # no ./scenes in it
    code, out, err = _run(["--jobs", "1"], capsys)
    assert code == 0, err
    assert out.splitlines()[0].startswith("rendering 1 scenes from the built-in gallery")
    assert (tmp_path / "builtin" / "output" / "tiny.gif").exists()
    assert (tmp_path / "builtin" / "output" / "index.html").exists()


def test_scenes_here_win_over_the_built_in_ones(tmp_path, monkeypatch, capsys):
    tiny_scene(tmp_path / "builtin", "builtin_one")
    tiny_scene(tmp_path / "scenes", "mine")
    monkeypatch.setattr(scenes, "builtin_dir", lambda: tmp_path / "builtin")
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["--jobs", "1"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "rendering 1 scenes from ./scenes"
    assert sorted(p.name for p in (tmp_path / "output").glob("*.gif")) == ["mine.gif"]
    code, out, _ = _run(["list"], capsys)
    assert "scenes (./scenes):" in out and "mine.toml" in out and "builtin_one" not in out


def test_list_shows_the_built_in_scenes_from_an_empty_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["list"], capsys)
    assert code == 0
    assert "scenes (the built-in gallery):" in out
    assert "kmeans.toml" in out and "k-means in action" in out


def test_init_copies_the_built_in_scenes_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "my course"
    code, _, _ = _run(["init", str(target)], capsys)
    assert code == 0
    copied = sorted(p.name for p in (target / "scenes").glob("*.toml"))
    assert copied == [p.name for p in scenes.scene_files(scenes.builtin_dir())]
    edited = target / "scenes" / "kmeans.toml"
    edited.write_text("title = 'mine'\n", encoding="utf-8")
    code, _, err = _run(["init", str(target)], capsys)
    assert code == 2
    assert "already exists" in err and len(err.strip().splitlines()) == 1
    assert edited.read_text(encoding="utf-8") == "title = 'mine'\n"


def test_init_defaults_to_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["init"], capsys)
    assert code == 0 and (tmp_path / "scenes" / "kmeans.toml").exists()
    assert "copied" in out


def _venv_with_wheel(tmp_path):
    """A fresh venv holding the wheel built from this checkout; dependencies are borrowed."""
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        pytest.skip(f"cannot build the wheel here (offline?): {build.stderr[-300:]}")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The test venv's packages, appended as a plain path: its .pth files (the
    # editable install of this checkout) are not read, so `animate` is the wheel's.
    borrowed = next(p for p in sys.path if p.endswith("site-packages"))
    Path(site, "borrowed.pth").write_text(borrowed + "\n", encoding="utf-8")
    (wheel,) = wheels.glob("clustergif-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, wheel],
        check=True,
    )
    return python


@pytest.mark.slow
def test_the_wheel_ships_the_scenes_and_renders_them_from_an_empty_folder(tmp_path):
    python = _venv_with_wheel(tmp_path)
    empty = tmp_path / "empty folder é"
    empty.mkdir()

    def run(*args):
        return subprocess.run(args, cwd=empty, capture_output=True, text=True, check=True).stdout

    where = run(python, "-c", "import animate; print(animate.__file__)")
    assert str(tmp_path / "venv") in where
    assert "kmeans.toml" in run(python, "-m", "animate", "list")
    render = "from animate.scenes import builtin_dir, load_scene; "
    render += "print(load_scene(builtin_dir() / 'kmeans_moons.toml').render('output'))"
    assert "kmeans_moons.gif" in run(python, "-c", render)
    assert (empty / "output" / "kmeans_moons.gif").stat().st_size > 10_000
    run(python, "-m", "animate", "init")
    for scene in (empty / "scenes").glob("*.toml"):
        if scene.name != "kmeans_moons.toml":
            scene.unlink()
    out = run(python, "-m", "animate", "--jobs", "1")
    assert "from ./scenes" in out and (empty / "output" / "index.html").exists()


# DataFrames and names -------------------------------------------------------------------

SPECIES = {"setosa": (5.0, 3.4, 1.5), "versicolor": (5.9, 2.8, 4.3), "virginica": (6.6, 3.0, 5.6)}
FEATURES = ["sepal length", "sepal width", "petal length"]


def _iris_like(seed=0):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    parts = [
        pd.DataFrame(rng.normal(mean, 0.3, (20, 3)), columns=FEATURES).assign(species=name)
        for name, mean in SPECIES.items()
    ]
    # Shuffled, so that the numbering cannot come from the order of the rows.
    frame = pd.concat(parts, ignore_index=True)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_a_dataframe_gives_its_column_and_class_names():
    frame = _iris_like()
    trace = animate.run("kmeans", frame, label_column="species", n_clusters=3)
    assert trace.feature_names == tuple(FEATURES)
    assert trace.label_names == ("setosa", "versicolor", "virginica")
    names = np.array(trace.label_names)[trace.y]
    assert (names == frame["species"].to_numpy()).all()
    plain = animate.run("kmeans", frame[FEATURES].to_numpy(), n_clusters=3)
    assert np.array_equal(trace.X, plain.X)
    assert np.array_equal(trace.final.labels, plain.final.labels)


def test_columns_and_y_pick_features_and_labels():
    frame = _iris_like(1)
    trace = animate.run("kmeans", frame, columns=["petal length", "sepal width"], n_clusters=3)
    assert trace.feature_names == ("petal length", "sepal width")
    assert np.array_equal(trace.X, frame[["petal length", "sepal width"]].to_numpy())
    assert trace.y is None and trace.label_names is None
    with_y = animate.run("kmeans", frame[FEATURES], y=frame["species"], n_clusters=3)
    assert with_y.label_names == ("setosa", "versicolor", "virginica")


def test_a_categorical_keeps_its_own_order():
    pd = pytest.importorskip("pandas")
    frame = _iris_like(2)
    order = ["virginica", "setosa", "versicolor"]
    frame["species"] = pd.Categorical(frame["species"], categories=order)
    trace = animate.run("em", frame, label_column="species", n_components=3)
    assert trace.label_names == tuple(order)
    assert (np.array(order)[trace.y] == frame["species"].astype(str).to_numpy()).all()


def test_string_labels_from_an_array_are_numbered_in_sorted_order():
    X = np.arange(12.0).reshape(6, 2)
    y = np.array(["b", "a", "c", "a", "b", "c"], dtype=object)
    trace = animate.run("kmeans", X, y=y, n_clusters=2)
    assert trace.label_names == ("a", "b", "c")
    assert trace.y.tolist() == [1, 0, 2, 0, 1, 2]
    whole = animate.run("kmeans", X, y=[3, 1, 2, 1, 3, 2], n_clusters=2)
    assert whole.label_names is None and whole.y.tolist() == [3, 1, 2, 1, 3, 2]


@pytest.mark.parametrize(
    ("change", "kwargs", "fragment"),
    [
        (lambda f: f.assign(kind="x"), {}, "column 'kind' holds"),
        (lambda f: f, {"columns": ["sepal length", "petal size"]}, "no column 'petal size'"),
        (lambda f: f, {"label_column": "kind"}, "no column 'kind'"),
        (lambda f: f.assign(flag=True), {"label_column": "species"}, "column 'flag' holds bool"),
    ],
)
def test_a_bad_dataframe_is_one_line_naming_the_column(change, kwargs, fragment):
    frame = change(_iris_like())
    if "label_column" not in kwargs:
        frame = frame.drop(columns="species")
    with pytest.raises(animate.UserError) as error:
        animate.run("kmeans", frame, n_clusters=3, **kwargs)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_columns_without_a_dataframe_is_refused():
    with pytest.raises(animate.UserError, match="columns= and label_column="):
        animate.run("kmeans", np.eye(4), columns=["a"], n_clusters=2)


def test_pandas_is_not_imported_without_a_dataframe():
    code = (
        "import sys, numpy as np, animate\n"
        "animate.run('kmeans', np.random.default_rng(0).normal(size=(30, 2)), y=['a'] * 30)\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_read_csv_names_features_and_classes(tmp_path):
    path = tmp_path / "fleurs été.csv"
    path.write_text(
        "width,kind,height\n1,rose,2\n1.5,iris,2.5\n8,rose,9\n8.5,tulip,9\n", encoding="utf-8"
    )
    data = animate.datasets.read_csv(path, label_column="kind")
    assert data.feature_names == ("width", "height")
    assert data.label_names == ("iris", "rose", "tulip") and data.y.tolist() == [1, 0, 1, 2]
    X, y = animate.datasets.load_csv(path, label_column="kind")
    assert np.array_equal(X, data.X) and np.array_equal(y, data.y)
    numbered = tmp_path / "numbered.csv"
    numbered.write_text("a,b,c\n1,2,10\n3,4,2\n5,6,10\n", encoding="utf-8")
    data = animate.datasets.read_csv(numbered, label_column="c")
    assert data.label_names is None and data.y.tolist() == [10, 2, 10]
    trace = animate.run("kmeans", animate.datasets.read_csv(path, label_column=1), n_clusters=2)
    assert trace.feature_names == ("width", "height") and trace.label_names[0] == "iris"


def test_names_survive_save_and_load(tmp_path):
    trace = animate.run("kmeans", _iris_like(), label_column="species", n_clusters=3)
    trace.save(tmp_path / "named.npz")
    loaded = animate.Trace.load(tmp_path / "named.npz")
    assert loaded.feature_names == trace.feature_names
    assert loaded.label_names == trace.label_names
    assert loaded.runs[0].label_names == trace.label_names


def test_projected_axes_say_the_variance_each_component_holds():
    from sklearn.decomposition import PCA

    from animate.render.projection import View

    X = _iris_like()[FEATURES].to_numpy()
    shares = PCA(2).fit(X).explained_variance_ratio_
    expected = tuple(f"PC{i + 1} ({s:.0%})" for i, s in enumerate(shares))
    assert View(X).axis_labels(FEATURES) == expected
    assert View(X[:, :2]).axis_labels(FEATURES[:2]) == tuple(FEATURES[:2])
    assert View(X[:, :2]).axis_labels() == ("x1", "x2")


def test_named_data_draws_axis_names_and_a_legend_of_the_classes():
    from animate.render.names import name_panel

    from helpers import near, paint, pixel

    frame = _iris_like()[["petal length", "sepal width", "species"]]
    trace = animate.run("kmeans", frame, label_column="species", n_clusters=3)
    painter, grab = paint(trace)
    name_panel(painter, 1)
    image = grab(len(trace.steps) - 1)
    texts = [t.get_text() for t in painter.ax.texts]
    assert texts == ["petal length", "sepal width"]
    (legend,) = painter.ax.artists
    assert [t.get_text() for t in legend.get_texts()] == list(trace.label_names)
    # Each class's entry has the colour its points end up in (colours match y).
    for k, handle in enumerate(legend.legend_handles):
        point = trace.X[
            np.flatnonzero(trace.final.labels == trace.final.labels[trace.y == k][0])[0]
        ]
        assert near(image, pixel(painter.ax, image, point), handle.get_color(), radius=3)
    alone, _ = paint(trace)
    name_panel(alone, 4)
    assert not alone.ax.artists


def test_string_labels_render_with_ari(tmp_path):
    X, y = animate.datasets.make("blobs", n_samples=60, centers=3)
    names = np.array(["north", "south", "east"])[y]
    trace = animate.run("kmeans", X, y=names, n_clusters=3)
    out = animate.render(
        trace, tmp_path / "named labels.gif", size=(240, 200), ari=True, max_frames=4
    )
    assert out.exists()


# scikit-learn estimators ---------------------------------------------------------------


def _estimator_cases():
    from sklearn.cluster import (
        DBSCAN,
        HDBSCAN,
        OPTICS,
        AffinityPropagation,
        AgglomerativeClustering,
        Birch,
        KMeans,
        MeanShift,
        MiniBatchKMeans,
        SpectralClustering,
    )
    from sklearn.mixture import GaussianMixture

    def centres(name):
        return lambda final, fitted: np.allclose(final.centers, getattr(fitted, name))

    return [
        (
            KMeans(n_clusters=4, init="random", n_init=3, random_state=1),
            centres("cluster_centers_"),
        ),
        (KMeans(n_clusters=3, max_iter=5, tol=0.0, random_state=7), centres("cluster_centers_")),
        (
            GaussianMixture(n_components=3, covariance_type="diag", random_state=2),
            lambda final, fitted: np.allclose(final.means, fitted.means_, atol=1e-6),
        ),
        (MeanShift(bandwidth=2.5, bin_seeding=True), centres("cluster_centers_")),
        (
            AffinityPropagation(damping=0.7, preference=-60.0, random_state=0),
            lambda final, fitted: np.array_equal(final.exemplars, fitted.cluster_centers_indices_),
        ),
        (
            DBSCAN(eps=0.9, min_samples=4, algorithm="kd_tree", n_jobs=1),
            lambda final, fitted: np.array_equal(
                np.flatnonzero(final.core), fitted.core_sample_indices_
            ),
        ),
        (HDBSCAN(min_cluster_size=8, copy=True), lambda final, fitted: True),
        (AgglomerativeClustering(n_clusters=4, linkage="average"), lambda final, fitted: True),
        (
            MiniBatchKMeans(n_clusters=3, batch_size=40, n_init=2, random_state=4),
            centres("cluster_centers_"),
        ),
        (
            SpectralClustering(n_clusters=3, affinity="nearest_neighbors", random_state=0),
            lambda final, fitted: True,
        ),
        (
            OPTICS(min_samples=6, xi=0.08, algorithm="ball_tree"),
            lambda final, fitted: np.allclose(
                final.reachability, fitted.reachability_, equal_nan=True
            ),
        ),
        (
            Birch(threshold=0.8, n_clusters=3, compute_labels=True),
            lambda final, fitted: np.allclose(
                np.sort(final.subcluster_centers, axis=0),
                np.sort(fitted.subcluster_centers_, axis=0),
            ),
        ),
    ]


@pytest.mark.parametrize("case", range(12))
@pytest.mark.parametrize("dataset", ["blobs", "aniso"])
def test_an_estimator_runs_as_scikit_learn_fits_it(case, dataset):
    estimator, same_state = _estimator_cases()[case]
    X, _ = animate.datasets.make(dataset, n_samples=150, random_state=case)
    trace = animate.run(estimator, X)
    expected = estimator.fit_predict(X)
    np.testing.assert_array_equal(trace.final.labels, expected)
    assert same_state(trace.final, estimator)
    # The parameters are the estimator's, its random_state included.
    params = estimator.get_params()
    shared = [k for k in params if k in trace.params and not callable(params[k])]
    assert shared and all(trace.params[k] == params[k] for k in shared)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda c, m: c.KMeans(algorithm="elkan"), "KMeans only with algorithm='lloyd'"),
        (lambda c, m: m.GaussianMixture(warm_start=True), "only with warm_start=False"),
        (lambda c, m: c.DBSCAN(metric_params={"p": 3}), "metric_params=None, got DBSCAN(metric"),
        (lambda c, m: c.KMeans(init=lambda X, k, random_state: X[:k]), "init must be"),
        (lambda c, m: c.MeanShift(bandwidth=-1.0), "bandwidth must be"),
    ],
)
def test_an_unsupported_parameter_value_is_one_line_naming_it(make, fragment):
    import sklearn.cluster
    import sklearn.mixture

    X, _ = animate.datasets.make("blobs", n_samples=60)
    with pytest.raises(animate.UserError) as error:
        animate.run(make(sklearn.cluster, sklearn.mixture), X)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_an_estimator_without_a_counterpart_lists_those_with_one():
    from sklearn.cluster import FeatureAgglomeration
    from sklearn.preprocessing import StandardScaler

    X, _ = animate.datasets.make("blobs", n_samples=60)
    for other in (FeatureAgglomeration(), StandardScaler()):
        with pytest.raises(animate.UserError) as error:
            animate.run(other, X)
        message = str(error.value)
        assert message.startswith(f"{type(other).__name__} has no step-by-step counterpart")
        assert "KMeans" in message and "DBSCAN" in message and "\n" not in message


def test_every_declared_estimator_maps_its_default_instance():
    # A new scikit-learn parameter, or a declaration naming one that does not
    # exist, shows up here rather than as a refusal in a user's hands.
    declared = [s for s in registry.specs() if s.estimator is not None]
    assert {s.estimator.name for s in declared} >= {
        "KMeans",
        "GaussianMixture",
        "MeanShift",
        "AffinityPropagation",
        "DBSCAN",
        "AgglomerativeClustering",
    }
    for spec in declared:
        defaults = spec.estimator.load()().get_params()
        assert set(spec.estimator.ignored) <= set(defaults) - set(spec.defaults), spec.name
        found, params = registry.from_estimator(spec.estimator.load()())
        assert found is spec and set(params) == set(defaults) - set(spec.estimator.ignored)


def test_estimator_parameters_can_be_overridden_by_keyword():
    from sklearn.cluster import KMeans

    X, _ = animate.datasets.make("blobs", n_samples=80)
    trace = animate.run(KMeans(n_clusters=2, random_state=3), X, n_clusters=3)
    assert trace.params["n_clusters"] == 3 and trace.params["random_state"] == 3


# Command line conventions ---------------------------------------------------------------


def test_version_comes_from_the_package_metadata(capsys):
    from importlib.metadata import version

    assert animate.__version__ == version("clustergif")
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"clustergif {animate.__version__}"


def _durations(path):
    from PIL import Image, ImageSequence

    with Image.open(path) as gif:
        return [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]


def test_run_takes_title_caption_durations_and_frame_budget(tmp_path, monkeypatch, capsys):
    seen = {}
    real_frames = RENDER.frames

    def frames(traces, **options):
        seen.update(options)
        return real_frames(traces, **options)

    monkeypatch.setattr(RENDER, "frames", frames)
    out = tmp_path / "ré sult.gif"
    base = ["run", "kmeans", "--dataset", "blobs", "--n-samples", "60", "--size", "240x200"]
    base += ["--set", "n_clusters=3", "--set", "init='random'", "--set", "tol=0", "-o", str(out)]
    code, _, err = _run([*base, "--max-frames", "4"], capsys)
    assert code == 0, err
    budget = len(_durations(out))
    timing = ["--step-ms", "120", "--first-ms", "700", "--hold-ms", "900", "--max-frames", "3"]
    code, _, err = _run([*base, *timing, "--title", "My title", "--caption", "Fixed"], capsys)
    assert code == 0, err
    durations = _durations(out)
    assert len(durations) == 3 < budget
    # The one step between is k-means' first assignment, a key step held 2.5 steps.
    assert durations[0] == 700 and durations[-1] == 900 and durations[1:-1] == [300]
    assert seen["titles"] == ["My title"] and seen["caption"] == "Fixed"


def test_run_leaves_unset_timings_to_render(tmp_path, monkeypatch, capsys):
    seen = {}
    from animate.display import Animation

    def compare(traces, path, **options):
        seen.update(options)
        return Animation(path)

    monkeypatch.setattr(RENDER, "compare", compare)
    args = [
        "run",
        "kmeans",
        "--dataset",
        "blobs",
        "--n-samples",
        "30",
        "-o",
        str(tmp_path / "a.gif"),
    ]
    assert _run(args, capsys)[0] == 0
    assert not {"step_ms", "first_ms", "hold_ms", "max_frames", "caption"} & set(seen)


@pytest.mark.parametrize("flag", ["--first-ms", "--hold-ms", "--step-ms", "--max-frames"])
def test_run_refuses_a_bad_timing_in_one_line(tmp_path, capsys, flag):
    args = ["run", "kmeans", "--dataset", "blobs", flag, "-5", "-o", str(tmp_path / "a.gif")]
    code, _, err = _run(args, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a.gif").exists()


def test_an_unknown_render_option_lists_the_general_and_the_painters_options(tmp_path):
    trace = animate.run("kmeans", np.eye(6), n_clusters=2)
    with pytest.raises(animate.UserError) as error:
        animate.render(trace, tmp_path / "a.gif", step=3)
    message = str(error.value)
    assert "unknown render option 'step'" in message
    for option in ("step_ms", "first_ms", "max_frames", "caption", "voronoi"):
        assert option in message


# Portable ------------------------------------------------------------------------------


def test_memory_is_probed_on_linux():
    from animate.algorithms import _checks

    assert 2**20 < _checks.available_memory() < 2**50


def test_memory_without_proc_or_sysconf_falls_back_to_a_safe_guess(monkeypatch, tmp_path):
    from animate.algorithms import _checks

    monkeypatch.setattr(_checks, "_MEMINFO", str(tmp_path / "no proc here"))
    monkeypatch.delattr(os, "sysconf")
    assert _checks.available_memory() == _checks.FALLBACK_MEMORY
    # And the checks that use it still answer: refusing only what 2 GiB cannot hold.
    _checks.check_pairwise_memory("affinity propagation", 2000, n_matrices=3)
    with pytest.raises(animate.UserError, match="subsample the data"):
        _checks.check_pairwise_memory("affinity propagation", 100_000, n_matrices=3)


def test_memory_on_windows_asks_global_memory_status(monkeypatch, tmp_path):
    import ctypes
    from types import SimpleNamespace

    from animate.algorithms import _checks

    def global_memory_status(pointer):
        pointer.contents.ullAvailPhys = 3 * 2**30
        return 1

    kernel32 = SimpleNamespace(GlobalMemoryStatusEx=global_memory_status)
    monkeypatch.setattr(ctypes, "windll", SimpleNamespace(kernel32=kernel32), raising=False)
    monkeypatch.setattr(_checks, "_MEMINFO", str(tmp_path / "no proc here"))
    monkeypatch.delattr(os, "sysconf")
    assert _checks.available_memory() == 3 * 2**30


def test_memory_on_macos_reads_sysconf(monkeypatch, tmp_path):
    from animate.algorithms import _checks

    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 2**20}
    monkeypatch.setattr(_checks, "_MEMINFO", str(tmp_path / "no proc here"))
    monkeypatch.setattr(os, "sysconf", pages.__getitem__)
    assert _checks.available_memory() == 4096 * 2**20


# The README ----------------------------------------------------------------------------


def _readme_python():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## From Python", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.slow
def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    pytest.importorskip("pandas")
    from sklearn.cluster import KMeans

    (tmp_path / "scenes").mkdir()
    shutil.copy(ROOT / "scenes" / "kmeans.toml", tmp_path / "scenes")
    monkeypatch.chdir(tmp_path)
    code = _readme_python()
    assert "pd.DataFrame" in code and "KMeans(" in code
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    for name in ("kmeans_moons", "restarts", "bandwidth", "flowers", "kmeans"):
        assert (tmp_path / "output" / f"{name}.gif").stat().st_size > 10_000
    X = namespace["X"]
    fitted = KMeans(n_clusters=2, init="random", n_init=3, random_state=1).fit(X)
    np.testing.assert_array_equal(namespace["trace"].final.labels, fitted.labels_)
    flowers = animate.run("em", namespace["flowers"], label_column="species", n_components=3)
    assert flowers.label_names == ("setosa", "versicolor", "virginica")
    assert flowers.feature_names == ("petal length", "petal width")


def test_a_sweep_keeps_the_dataframes_names():
    frame = _iris_like()
    trace = animate.sweep("kmeans", frame, "n_clusters", [2, 3], label_column="species")
    assert trace.feature_names == tuple(FEATURES)
    assert trace.label_names == ("setosa", "versicolor", "virginica")


def test_run_on_a_csv_with_text_labels_names_axes_and_classes(tmp_path, monkeypatch, capsys):
    path = tmp_path / "données florales.csv"
    rows = ["petal length,petal width,species"]
    rng = np.random.default_rng(0)
    for name, (length, width) in {"setosa": (1.5, 0.2), "virginica": (5.5, 2.0)}.items():
        rows += [f"{a:.2f},{b:.2f},{name}" for a, b in rng.normal((length, width), 0.2, (20, 2))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    seen = []
    real_render = RENDER.render

    def render(trace, *args, **options):
        seen.append(trace)
        return real_render(trace, *args, **options)

    monkeypatch.setattr(RENDER, "render", render)
    args = ["run", "kmeans", "--dataset", str(path), "--label-column", "species", "--ari"]
    code, _, err = _run([*args, "--set", "n_clusters=2", "-o", str(tmp_path / "f.gif")], capsys)
    assert code == 0, err
    (trace,) = seen
    assert trace.feature_names == ("petal length", "petal width")
    assert trace.label_names == ("setosa", "virginica")


def test_estimator_is_a_scikit_learn_style_object_keeping_the_trace():
    from sklearn.base import clone
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

    X, y = animate.datasets.make("blobs", n_samples=120, random_state=5)
    model = animate.estimator("kmeans", n_clusters=4, init="random", n_init=2, random_state=3)
    labels = model.fit_predict(X)
    fitted = KMeans(n_clusters=4, init="random", n_init=2, random_state=3).fit(X)
    np.testing.assert_array_equal(labels, fitted.labels_)
    np.testing.assert_allclose(model.cluster_centers_, fitted.cluster_centers_)
    assert model.n_iter_ == fitted.n_iter_
    np.testing.assert_array_equal(model.trace_.final.labels, model.labels_)
    again = clone(model).set_params(n_clusters=3).fit(X)
    assert len(again.cluster_centers_) == 3 and model.get_params()["n_clusters"] == 4
    em = animate.estimator("em", n_components=3, random_state=0).fit(X, y)
    gm = GaussianMixture(n_components=3, random_state=0).fit(X)
    np.testing.assert_allclose(em.means_, gm.means_, atol=1e-6)
    assert em.trace_.y is not None
    with pytest.raises(animate.UserError, match="n_clusters must be"):
        animate.estimator("kmeans", n_clusters=0).fit(X)

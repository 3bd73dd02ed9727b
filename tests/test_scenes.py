"""Scene grammar (panels, grids, sweeps over panels and over time), parameter sweeps
against scikit-learn, the sweep painter's pixels, titles, ARI and fitted text."""

import functools
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence
from sklearn.cluster import MeanShift
from sklearn.metrics import adjusted_rand_score

import animate
from animate.metrics import StatusScores, adjusted_rand_index
from animate.render import _panel_title, _status, frames, style
from animate.render.figure import fit_line, font

from helpers import near, paint, pixel, rgb, scene_timeline

SCENES = Path(__file__).resolve().parent.parent / "scenes"


def scene(tmp_path, text, name="scene.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return animate.load_scene(path)


def test_sweep_steps_are_scikit_learns_answers_for_each_value():
    X, y = animate.datasets.make("gaussians4", n_samples=200)
    values = [1.0, 3.0, 14.0]
    trace = animate.sweep("meanshift", X, "bandwidth", values, y=y, bin_seeding=True)
    assert trace.algorithm == "sweep" and len(trace.steps) == 3
    assert trace.params["parameter"] == "bandwidth" and trace.params["values"] == values
    for step, value in zip(trace.steps, values):
        reference = MeanShift(bandwidth=value, bin_seeding=True).fit(X)
        assert np.array_equal(step.labels, reference.labels_)
        assert step.n_clusters == len(reference.cluster_centers_)
        assert np.allclose(step.centers, reference.cluster_centers_)
        assert step.value == value
    assert trace.steps[-1].n_clusters == 1 < trace.steps[0].n_clusters


@pytest.mark.parametrize(
    ("parameter", "values", "fixed", "message"),
    [
        ("radius", [1, 2], {}, "no parameter 'radius'"),
        ("bandwidth", [1.0], {}, "at least two values"),
        ("bandwidth", "1, 2", {}, "at least two values"),
        ("bandwidth", [1.0, 2.0], {"bandwidth": 1.0}, "both swept and fixed"),
    ],
)
def test_sweep_rejects_bad_requests_in_one_sentence(parameter, values, fixed, message):
    X, _ = animate.datasets.make("blobs", n_samples=50)
    with pytest.raises(animate.UserError, match=message):
        animate.sweep("meanshift", X, parameter, values, **fixed)


@pytest.fixture(scope="module")
def split_sweep():
    X, y = animate.datasets.make("blobs", n_samples=150, centers=3, random_state=8)
    return animate.sweep("kmeans", X, "n_clusters", [1, 3], y=y)


def test_sweep_painter_colours_one_cluster_then_three(split_sweep):
    painter, frame = paint(split_sweep, side=True, size=(720, 400))
    # The point of each blob farthest from its mean: no centre cross covers it.
    X, y = split_sweep.X, split_sweep.y
    means = np.array([X[y == c].mean(axis=0) for c in range(3)])
    gaps = ((X - means[y]) ** 2).sum(axis=1)
    outer = [int(np.flatnonzero(y == c)[np.argmax(gaps[y == c])]) for c in range(3)]
    for index, n_colours in ((0, 1), (1, 3)):
        image = frame(index)
        slots = painter.slots_of(index)[outer]
        assert len(set(slots.tolist())) == n_colours
        for point, slot in zip(outer, slots):
            rc = pixel(painter.ax, image, painter.xy[point])
            assert near(image, rc, style.cluster_colour(slot), radius=3)
    # The side panel's dot sits at (n_clusters = 3, 3 clusters) in the last frame.
    rc = pixel(painter.panel.side, image, (3, 3))
    assert near(image, rc, style.CLUSTER_COLOURS[3], radius=2)
    assert not near(frame(0), rc, style.CLUSTER_COLOURS[3], radius=2)


def test_sweep_status_and_outcome_state_the_value_and_clusters(split_sweep):
    painter, _ = paint(split_sweep)
    # A sweep of the number of clusters also states what k is judged by.
    step = split_sweep.steps[1]
    assert painter.status(1) == (
        f"n_clusters = 3 · 3 clusters · within-cluster SS {step.inertia:,.0f} · "
        f"silhouette {step.silhouette:.3g}"
    )
    assert painter.outcome() == "1 to 3 clusters"
    assert str(painter.title()) == "k-means, n_clusters from 1 to 3"
    assert split_sweep.steps[0].message == "With n_clusters = 1, k-means finds 1 cluster."


def test_panel_naming_another_algorithm_replaces_the_table(tmp_path):
    loaded = scene(
        tmp_path,
        """
title = "t"
[data]
name = "blobs"
n_samples = 80
centers = 3
[algorithm]
name = "kmeans"
n_clusters = 3
init = "random"
[[panels]]
algorithm = { n_clusters = 2 }
[[panels]]
algorithm = { name = "dbscan", eps = 0.9 }
[[panels]]
data = { name = "moons" }
""",
    )
    first, second, third = loaded.panels
    assert first.algorithm == {"name": "kmeans", "n_clusters": 2, "init": "random"}
    assert second.algorithm == {"name": "dbscan", "eps": 0.9}
    assert third.data == {"name": "moons"}
    assert second.make_trace().algorithm == "dbscan"


GRID = """
title = "grid"
[[grid.algorithms]]
name = "kmeans"
[[grid.algorithms]]
name = "dbscan"
min_samples = 4
[[grid.data]]
name = "blobs"
n_samples = 60
params = { n_clusters = 3, eps = 1.0 }
[[grid.data]]
name = "moons"
n_samples = 60
params = { n_clusters = 2, eps = 0.3 }
"""


def test_grid_puts_data_down_rows_and_hands_each_algorithm_its_parameters(tmp_path):
    loaded = scene(tmp_path, GRID)
    assert loaded.render_options["cols"] == 2
    assert loaded.render_options["headers"] == ["k-means", "DBSCAN"]
    assert loaded.render_options["row_headers"] == ["blobs", "moons"]
    painter, _ = paint(loaded.panels[1].make_trace())
    title = _panel_title(painter, loaded.panels[1].title, 4)
    assert title == f"eps = 1, min_samples = 4\n{painter.outcome()}"
    specs = [(p.data["name"], p.algorithm) for p in loaded.panels]
    assert specs == [
        ("blobs", {"name": "kmeans", "n_clusters": 3}),
        ("blobs", {"name": "dbscan", "min_samples": 4, "eps": 1.0}),
        ("moons", {"name": "kmeans", "n_clusters": 2}),
        ("moons", {"name": "dbscan", "min_samples": 4, "eps": 0.3}),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("eps = 0.3 }", "esp = 0.3 }"), "no algorithm in the grid takes the parameter 'esp'"),
        (('title = "grid"', 'title = "grid"\n[data]\nname = "moons"'), "remove the top-level"),
        (("[[grid.algorithms]]", "[[grid.algorithm]]"), "unknown key 'algorithm'"),
    ],
)
def test_grid_mistakes_are_one_line_user_errors(tmp_path, change, message):
    with pytest.raises(animate.UserError, match=message):
        scene(tmp_path, GRID.replace(*change, 1))


TIME_SWEEP = """
title = "Bandwidth on the run"
[data]
name = "gaussians4"
n_samples = 120
[algorithm]
name = "meanshift"
bin_seeding = true
[sweep]
over = "time"
bandwidth = [1.0, 4.0, 14.0]
[[panels]]
[[panels]]
data = { name = "circles" }
sweep = { bandwidth = [0.1, 0.4, 0.8] }
"""


def test_sweep_over_time_runs_each_panel_over_its_own_values(tmp_path):
    loaded = scene(tmp_path, TIME_SWEEP)
    traces = loaded.traces()
    assert [t.algorithm for t in traces] == ["sweep", "sweep"]
    assert traces[0].params["values"] == [1.0, 4.0, 14.0]
    assert traces[1].params["values"] == [0.1, 0.4, 0.8]
    assert traces[1].X.shape == (300, 2)
    with pytest.raises(animate.UserError, match="exactly one parameter"):
        scene(tmp_path, TIME_SWEEP.replace("[0.1, 0.4, 0.8]", "[0.1, 0.4], eps = [1, 2]"))
    with pytest.raises(animate.UserError, match="over must be 'panels' or 'time'"):
        scene(tmp_path, TIME_SWEEP.replace('"time"', '"frames"'))


def test_sweep_over_panels_titles_keep_the_outcome(tmp_path):
    loaded = scene(
        tmp_path,
        """
title = "t"
[data]
name = "blobs"
n_samples = 60
[algorithm]
name = "kmeans"
[sweep]
n_clusters = [2, 3]
""",
    )
    assert [p.title for p in loaded.panels] == [
        "n_clusters = 2\n{outcome}",
        "n_clusters = 3\n{outcome}",
    ]
    painter, _ = paint(loaded.panels[1].make_trace())
    title = _panel_title(painter, loaded.panels[1].title, 2)
    assert title == f"n_clusters = 3\n{painter.outcome()}" and "inertia" in title


def test_ari_on_the_status_line_is_scikit_learns(split_sweep):
    painter, _ = paint(split_sweep)
    score = adjusted_rand_score(split_sweep.y, split_sweep.steps[1].labels)
    ari = StatusScores(["ari"], split_sweep.X, split_sweep.y)
    assert _status(painter, 1, ari).endswith(f" · ARI {score:.2f}")
    assert _status(painter, 0, ari).endswith(" · ARI 0.00")
    assert "ARI" not in _status(painter, 1)
    X, _ = animate.datasets.make("blobs", n_samples=40)
    unlabelled = animate.run("kmeans", X, n_clusters=2)
    with pytest.raises(animate.UserError, match="ari needs data with true labels"):
        next(frames([unlabelled], ari=True))


def test_adjusted_rand_index_is_scikit_learns_including_the_edge_cases():
    rng = np.random.default_rng(0)
    cases = [
        (np.zeros(10, int), np.zeros(10, int)),
        (np.arange(10), np.arange(10)),
        (np.zeros(10, int), np.arange(10)),
        (np.array([0, 0, 1, 1]), np.zeros(4, int)),
        (np.array([0]), np.array([0])),
    ]
    for _ in range(200):
        n = int(rng.integers(2, 60))
        truth = rng.integers(0, rng.integers(1, 6), n)
        cases.append((truth, rng.integers(-1, rng.integers(1, 8), n)))
    for truth, labels in cases:
        expected = adjusted_rand_score(truth, labels)
        assert adjusted_rand_index(truth, labels) == pytest.approx(expected, abs=1e-12)


def test_fitted_lines_drop_middle_parts_then_cut():
    status = font("status")
    line = "iteration 2 of 9 · assign · inertia 656 · ARI 0.97"
    assert fit_line(line, status, 1000) == line
    short = fit_line(line, status, 150)
    assert short.startswith("iteration 2 of 9") and short.endswith("ARI 0.97")
    assert status.getlength(short) <= 150
    title = fit_line("EM, 3 Gaussians, full covariances", status, 110)
    assert title == "EM, 3 Gaussians"
    cut = fit_line("agglomerativeclustering", status, 60)
    assert cut.endswith("…") and status.getlength(cut) <= 60


@pytest.mark.slow
def test_compare_scene_teaches_what_its_description_says():
    loaded = animate.load_scene(SCENES / "compare.toml")
    assert loaded.render_options["cols"] == 8 and len(loaded.panels) == 32
    traces = loaded.traces()
    ari = {
        (p.data["name"], p.algorithm["name"]): adjusted_rand_score(t.y, t.final.labels)
        for p, t in zip(loaded.panels, traces)
    }
    for data in ("circles", "moons"):
        assert ari[data, "dbscan"] == ari[data, "agglomerative"] == ari[data, "spectral"] == 1.0
        assert ari[data, "kmeans"] < 0.5
    assert all(score > 0.95 for (data, _), score in ari.items() if data == "blobs")


@pytest.mark.slow
def test_compare_gif_stays_within_the_gallery_budget(tmp_path):
    written = animate.load_scene(SCENES / "compare.toml").render(tmp_path)
    assert written.stat().st_size < 2_000_000
    with Image.open(written) as gif:
        assert gif.info["loop"] == 0 and gif.size == (1760, 960)
        total = sum(frame.info["duration"] for frame in ImageSequence.Iterator(gif))
    assert 10_000 < total < 40_000


@pytest.mark.slow
def test_every_example_in_the_scene_docs_loads_and_runs(tmp_path):
    text = (SCENES.parent / "docs" / "scenes.md").read_text(encoding="utf-8")
    examples = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "title =" in b]
    assert len(examples) == 7
    for i, example in enumerate(examples):
        loaded = scene(tmp_path, example, f"example{i}.toml")
        assert all(len(t.steps) >= 2 for t in loaded.traces())


def test_panels_on_the_same_data_share_their_zoom():
    from animate.render import _extents
    from animate.render.painters import painter_for
    from animate.render.projection import View

    X, _ = animate.datasets.make("blobs", n_samples=60, centers=2)
    far = [[40.0, 40.0], [0.0, 0.0]]
    traces = [
        animate.run("kmeans", X, n_clusters=2, init=far),
        animate.run("dbscan", X, eps=1.0),
        animate.run("dbscan", X + 100.0, eps=1.0),
    ]
    classes = [painter_for(t.algorithm) for t in traces]
    extents = _extents(traces, classes, [View(t.X) for t in traces])
    assert np.array_equal(extents[0], extents[1])
    assert extents[1].max() >= 40.0 > X.max()
    assert np.array_equal(extents[2], classes[2].extent(traces[2], View(traces[2].X)))


def test_readme_images_and_gallery_table_match_the_files():
    readme = (SCENES.parent / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"(?:\]\(|src=\")(docs/[\w.]+\.gif)", readme)
    assert len(images) >= 3
    for image in images:
        with Image.open(SCENES.parent / image) as gif:
            assert gif.info["loop"] == 0
    listed = set(re.findall(r"`scenes/(\w+\.toml)`", readme))
    assert listed == {p.name for p in SCENES.glob("*.toml")}


def test_a_caption_is_written_under_several_panels(tmp_path):
    X, y = animate.datasets.make("blobs", n_samples=60, centers=2)
    traces = [animate.run("kmeans", X, y=y, n_clusters=k) for k in (2, 3)]
    plain = next(frames(traces, size=(480, 300)))[0].astype(int)
    captioned = next(frames(traces, size=(480, 300), caption="Two runs, one data set."))[0]
    ink = np.abs(captioned[-30:].astype(int) - rgb(style.INK)).sum(axis=2) < 60
    assert ink.sum() > 50
    assert not (np.abs(plain[-8:] - rgb(style.INK)).sum(axis=2) < 60).any()
    loaded = scene(tmp_path, GRID.replace('title = "grid"', 'title = "grid"\ncaption = "c"'))
    assert loaded.render_options["caption"] == "c"


BASE = '[data]\nname = "blobs"\n[algorithm]\nname = "kmeans"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('title = "t"\npanels = [1, 2]\n' + BASE, "panels must be a non-empty list"),
        ('title = "t"\ncaption = 3\n' + BASE, "'caption' must be text"),
        ('title = "t"\n' + BASE + "[[panels]]\ndata = 3\n", "panel 1: 'data' must be a table"),
        ('title = "t"\n' + BASE + "[[panels]]\ntitle = 4\n", "panel 1: 'title' must be text"),
        (
            'title = "t"\n' + BASE + "[[panels]]\nsweep = { n_clusters = [2, 3] }\n",
            "but the scene has no",
        ),
    ],
)
def test_mistakes_in_panels_are_one_line_user_errors(tmp_path, text, message):
    with pytest.raises(animate.UserError, match=message):
        scene(tmp_path, text)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["kmeans", "kmeans_moons", "kmeans_restarts"])
def test_kmeans_scenes_loop_within_budget_for_the_promised_time(tmp_path, name):
    from animate.render.timeline import select_steps

    loaded = animate.load_scene(SCENES / f"{name}.toml")
    written = loaded.render(tmp_path)
    assert written.stat().st_size < 1_000_000
    options = loaded.render_options
    n_frames = max(
        len(select_steps(len(t.steps), options.get("max_frames", 90))) for t in loaded.traces()
    )
    step, first, hold = (
        options.get(k, d) for k, d in (("step_ms", 500), ("first_ms", 1500), ("hold_ms", 3000))
    )
    with Image.open(written) as gif:
        assert gif.info["loop"] == 0 and gif.size == tuple(options["size"])
        total = sum(frame.info["duration"] for frame in ImageSequence.Iterator(gif))
    timeline = scene_timeline(loaded)
    assert total == timeline.total_ms
    # Every step shown once, its key steps (first assignment, relocation) held 2.5
    # steps: never longer than that, shorter when quiet steps are left out.
    keys = sum(d == 2.5 * step for d in timeline.durations[1:-1])
    assert 1 <= keys <= 6
    assert total <= first + step * (n_frames - 2) + 1.5 * step * keys + hold


def test_column_headers_are_written_over_each_column():
    X, y = animate.datasets.make("blobs", n_samples=60, centers=2)
    traces = [animate.run("kmeans", X, y=y, n_clusters=k) for k in (2, 3)]
    one = next(frames(traces, size=(480, 300), headers=["k-means", "DBSCAN"]))[0].astype(int)
    two = next(frames(traces, size=(480, 300), headers=["EM", "mean shift"]))[0].astype(int)
    for centre in (120, 360):
        band = np.s_[26:42, centre - 50 : centre + 50]
        assert (np.abs(one[band] - rgb(style.INK)).sum(axis=2) < 60).sum() > 20
        assert (one[band] != two[band]).any()
    assert np.array_equal(one[46:], two[46:])


def test_row_headers_are_written_down_the_left_margin():
    X, y = animate.datasets.make("blobs", n_samples=60, centers=2)
    traces = [animate.run("kmeans", X, y=y, n_clusters=k) for k in (2, 3)]
    options = {"size": (300, 480), "cols": 1}
    one = next(frames(traces, row_headers=["blobs", "moons"], **options))[0].astype(int)
    two = next(frames(traces, row_headers=["circles", "aniso"], **options))[0].astype(int)
    for middle in (160, 380):
        band = np.s_[middle - 40 : middle + 40, :18]
        assert (np.abs(one[band] - rgb(style.INK)).sum(axis=2) < 60).sum() > 20
        assert (one[band] != two[band]).any()
    assert np.array_equal(one[:, 20:], two[:, 20:])


def test_sweep_draws_noise_as_noise_and_titles_text_values_as_a_list():
    X, y = animate.datasets.make("moons", n_samples=80)
    trace = animate.sweep("dbscan", X, "eps", [0.01, 0.3], y=y)
    assert trace.steps[0].n_clusters == 0 and trace.steps[1].n_clusters == 2
    painter, frame = paint(trace)
    image = frame(0)
    rc = pixel(painter.ax, image, painter.xy[0])
    assert near(image, rc, style.NOISE, radius=2, tol=12)
    assert not near(frame(1), rc, style.NOISE, radius=2, tol=12)
    linkages = animate.sweep("agglomerative", X, "linkage", ["ward", "single"], y=y)
    painter, _ = paint(linkages)
    assert str(painter.title()) == "agglomerative clustering, linkage: ward / single"


@pytest.mark.slow
@pytest.mark.parametrize("image", sorted(p.name for p in (SCENES.parent / "docs").glob("*.gif")))
def test_the_gifs_under_docs_are_what_their_scenes_render_now(image, tmp_path):
    """The README shows docs/ copies: they must not drift from the scenes."""
    fresh = animate.load_scene(SCENES / image.replace(".gif", ".toml")).render(tmp_path)
    assert fresh.read_bytes() == (SCENES.parent / "docs" / image).read_bytes(), (
        f"docs/{image} is stale: clustergif render scenes/{image[:-4]}.toml -o docs"
    )


@functools.cache
def _scene_runs(path):
    loaded = animate.load_scene(path)
    if loaded.show == "runs":
        return loaded, loaded.traces()
    # Blog versions repeat their wide scene's runs: each distinct run is made once.
    return loaded, [_panel_run(repr((p.data, p.algorithm, p.sweep)), p) for p in loaded.panels]


_RUNS = {}


def _panel_run(key, panel):
    if key not in _RUNS:
        _RUNS[key] = panel.make_trace()
    return _RUNS[key]


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SCENES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_scene_states_claims_and_its_runs_keep_them(path):
    loaded, traces = _scene_runs(path)
    assert loaded.claims, f"{path.name} states no [[claims]]"
    assert loaded.false_claims(traces) == []


def _staged(path):
    """The scene's canvas and painters, as its render sets them up, without drawing frames."""
    from animate.metrics import StatusScores, status_metrics
    from animate.render import _canvas, _painters
    from animate.render.timeline import Timing

    loaded, traces = _scene_runs(path)
    options = dict(loaded.render_options)
    extra = options.pop("options", {})
    single = len(traces) == 1
    canvas = _canvas(
        len(traces),
        options.get("size"),
        None if single else options.get("cols"),
        options.get("side_panel", single),
        options.get("caption"),
        options.get("headers"),
        options.get("row_headers"),
    )
    painters = _painters(traces, canvas, Timing(), extra, single)
    names = status_metrics([*(["ari"] if options.get("ari") else []), *options.get("metrics", [])])
    return canvas, painters, [StatusScores(names, t.X, t.y) for t in traces]


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SCENES.glob("*.toml")), ids=lambda p: p.stem)
def test_no_status_field_is_dropped_in_any_frame_of_any_scene(path):
    _, painters, scores = _staged(path)
    for painter, score in zip(painters, scores):
        label = painter.panel.status
        for index in sorted(painter.slots):
            text = _status(painter, index, score)
            label.set_text(text)
            shown = label.get_text().replace("\n", " · ")
            assert shown.split(" · ") == text.split(" · "), (index, text, label.get_text())


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SCENES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_text_of_every_scene_reads_at_least_11_px_at_blog_width(path):
    from matplotlib.text import Text

    loaded, _ = _scene_runs(path)
    if loaded.blog:
        # Too wide a grid for a blog column: its blog versions are checked in its place.
        assert all(
            animate.load_scene(blog).render_options["size"][0] <= 720 for blog in loaded.blog
        )
        return
    canvas, painters, _ = _staged(path)
    texts = canvas.figure.findobj(Text)
    points_px = canvas.figure.dpi / 72
    heights = []
    # Every step: some text shows only while a step lasts (a window's count of points).
    for painter in painters:
        for index in painter.ctx.indices:
            painter.show(index)
            heights += [
                t.get_fontsize() * points_px
                for t in texts
                if t.get_visible() and t.get_text().strip()
            ]
    heights += [label.font.size for label in canvas.labels]
    smallest = min(heights) * 720 / canvas.size[0]
    assert smallest >= 11, f"{path.stem}: smallest text {smallest:.1f} px at 720 px wide"


def test_a_false_claim_is_reported_with_the_value_measured(tmp_path):
    text = GRID.replace(
        'title = "grid"',
        'title = "grid"\n[[claims]]\nsays = "x"\nmeasure = "clusters"\nat_least = 99\n',
    )
    loaded = scene(tmp_path, text)
    failures = loaded.false_claims()
    assert failures and all("clusters = " in f and "'x'" in f for f in failures)


GRID_SCENE = """title = "apart"
[render]
size = [480, 240]
max_frames = 4
[data]
name = "moons"
n_samples = 60
noise = 0.05
[algorithm]
name = "dbscan"
[[panels]]
algorithm = { name = "dbscan", eps = 0.3 }
[[panels]]
algorithm = { name = "meanshift", bandwidth = 0.8 }
"""


@pytest.mark.slow
def test_a_grid_runs_its_algorithms_in_a_child_and_draws_the_same_bytes(tmp_path):
    # DBSCAN and mean shift need scikit-learn's neighbour search: its 110 MB of imports
    # stay in the child, out of the drawing process's memory.
    scene = tmp_path / "apart.toml"
    scene.write_text(GRID_SCENE, encoding="utf-8")
    code = (
        "import sys, animate\n"
        "animate.load_scene(sys.argv[1]).render(sys.argv[2])\n"
        "print('sklearn' in sys.modules)\n"
    )
    apart = tmp_path / "apart"
    result = subprocess.run(
        [sys.executable, "-c", code, str(scene), str(apart)], capture_output=True, text=True
    )
    assert result.stdout.strip() == "False", result.stderr
    # Here scikit-learn is imported: the traces are run in this process.
    here = animate.load_scene(scene).render(tmp_path / "here")
    assert (apart / "apart.gif").read_bytes() == here.read_bytes()


def test_a_warning_several_panels_give_alike_is_given_once(tmp_path):
    # Both linkages join the same graph's pieces: one line, not one per panel.
    loaded = scene(
        tmp_path,
        """
title = "two linkages"
[data]
name = "moons"
n_samples = 60
[algorithm]
name = "agglomerative"
n_clusters = 2
connectivity = 2
[[panels]]
[panels.algorithm]
linkage = "ward"
[[panels]]
[panels.algorithm]
linkage = "average"
""",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traces = loaded.traces()
    pieces = [w for w in caught if "separate pieces" in str(w.message)]
    assert len(traces) == 2 and len(pieces) == 1

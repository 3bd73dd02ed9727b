"""The contract every registered algorithm keeps, present and future: one test
file over the registry, so a new algorithm is checked without a line added here."""

import os
import subprocess
import sys

import numpy as np
import pytest

import animate
from animate.algorithms import registry
from animate.datasets import make
from animate.trace import Trace

from helpers import paint, pixel, render_twice

SPECS = registry.specs()
NAMES = [s.name for s in SPECS]
# Nothing any constraint accepts: not a number, not a known option, not an array.
BAD = "no-such-value"


@pytest.fixture(scope="module")
def data():
    X, y = make("blobs", n_samples=40, centers=3, cluster_std=0.6, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def traces(data):
    X, y = data
    return {name: animate.run(name, X, y=y) for name in NAMES}


def test_the_registry_is_what_animate_lists():
    assert tuple(NAMES) == animate.ALGORITHMS
    assert {"kmeans", "em", "meanshift", "affinity", "dbscan", "agglomerative"} <= set(NAMES)
    for spec in SPECS:
        assert animate.algorithms.canonical(spec.name) == spec.name
        for alias in spec.aliases:
            assert animate.algorithms.canonical(alias) == spec.name


@pytest.mark.parametrize("name", NAMES)
def test_steps_start_at_init_and_label_every_point(name, traces, data):
    trace = traces[name]
    assert trace.steps[0].phase == "init"
    assert trace.final is trace.steps[-1]
    for step in trace.steps:
        assert step.labels.shape == (len(data[0]),)
        assert step.labels.dtype.kind == "i"
        assert step.message and isinstance(step.message, str)
    spec = registry.spec(name)
    assert set(spec.fields) <= set(trace.final.fields) | {"labels"}
    assert isinstance(trace.n_iter, int) and isinstance(trace.converged, bool)


@pytest.mark.parametrize("name", NAMES)
def test_trace_params_hold_every_resolved_parameter(name, traces):
    spec = registry.spec(name)
    assert set(traces[name].params) == set(spec.defaults)


@pytest.mark.parametrize(
    ("name", "parameter"),
    [(s.name, p) for s in SPECS for p in s.defaults],
)
def test_a_bad_parameter_fails_before_the_first_step(name, parameter, data):
    X, _ = data
    generator = animate.algorithms.generator(name)
    # Raised by the call itself, not by the first next(): no step was computed.
    with pytest.raises(animate.UserError, match=parameter):
        generator(X, **{parameter: BAD})
    with pytest.raises(animate.UserError, match=parameter):
        animate.run(name, X, **{parameter: BAD})


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_parameter_names_the_ones_it_takes(name, data):
    with pytest.raises(animate.UserError, match="no parameter 'colour'"):
        animate.run(name, data[0], colour="red")


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_keep_every_step(name, traces, tmp_path):
    trace = traces[name]
    path = tmp_path / f"{name}.npz"
    trace.save(path)
    loaded = Trace.load(path)
    assert loaded.algorithm == trace.algorithm
    assert (loaded.n_iter, loaded.converged) == (trace.n_iter, trace.converged)
    assert len(loaded.steps) == len(trace.steps)
    for a, b in zip(trace.steps, loaded.steps):
        assert (a.phase, a.iteration, a.message) == (b.phase, b.iteration, b.message)
        np.testing.assert_array_equal(a.labels, b.labels)
        assert set(a.fields) == set(b.fields)
    for field in registry.spec(name).fields:
        expected, got = getattr(trace.final, field), getattr(loaded.final, field)
        np.testing.assert_array_equal(np.asarray(expected), np.asarray(got))


@pytest.mark.parametrize("name", NAMES)
def test_every_step_draws_every_point(name, traces):
    trace = traces[name]
    # As a grid panel: a legend may cover points, by design.
    painter, frame = paint(trace, size=(320, 320), narrated=False)
    images = [frame(i) for i in range(len(trace.steps))]
    ax = painter.ax
    for image in images:
        assert image.shape == (320, 320, 3)
        # Every point is drawn at its place (not white there) in every frame.
        for xy in painter.xy[:: len(painter.xy) // 8]:
            r, c = pixel(ax, image, xy)
            assert image[r - 1 : r + 2, c - 1 : c + 2].sum(axis=2).min() < 700


@pytest.mark.parametrize("name", NAMES)
def test_two_renders_are_byte_identical(name, traces, tmp_path):
    render_twice(traces[name], tmp_path, max_frames=8)


@pytest.mark.slow
def test_a_render_in_another_process_and_hash_seed_is_byte_identical(traces, tmp_path):
    # One process renders every algorithm: the interpreter start-up is paid once.
    code = (
        "import sys, animate\n"
        "X, y = animate.datasets.make('blobs', n_samples=40, centers=3, cluster_std=0.6,"
        " random_state=0)\n"
        "for name in animate.ALGORITHMS:\n"
        "    animate.render(animate.run(name, X, y=y), f'{sys.argv[1]}/{name}.gif', max_frames=8)\n"
    )
    there = tmp_path / "there"
    there.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(there)], check=True, env=env, cwd=os.getcwd())
    for name in NAMES:
        here = animate.render(traces[name], tmp_path / f"{name}.gif", max_frames=8)
        assert (there / f"{name}.gif").read_bytes() == here.read_bytes(), name


def test_show_runs_needs_an_algorithm_that_restarts(tmp_path):
    scene = tmp_path / "runs.toml"
    scene.write_text(
        'title = "t"\nshow = "runs"\n[data]\nname = "blobs"\n[algorithm]\nname = "dbscan"\n',
        encoding="utf-8",
    )
    restarting = [s.name for s in SPECS if s.restarts]
    with pytest.raises(animate.UserError, match="restarts") as info:
        animate.load_scene(scene)
    assert all(name in str(info.value) for name in restarting)


@pytest.mark.parametrize("name", [s.name for s in SPECS if s.restarts])
def test_show_runs_titles_each_run_and_keeps_its_outcome_for_the_end(name, tmp_path):
    spec = registry.spec(name)
    scene = tmp_path / "runs.toml"
    scene.write_text(
        f'title = "t"\nshow = "runs"\n[data]\nname = "blobs"\nn_samples = 60\n'
        f'[algorithm]\nname = "{name}"\n{spec.restarts} = 3\n',
        encoding="utf-8",
    )
    loaded = animate.load_scene(scene)
    runs = loaded.traces()
    titles = loaded._titles(runs)
    assert len(titles) == 3
    assert sum("(best)" in t for t in titles) == 1
    # The score is the painter's outcome, shown in the last frame only.
    assert all(t.startswith(f"run {i + 1}\n{{outcome}}") for i, t in enumerate(titles))
    best = titles.index(next(t for t in titles if "(best)" in t))
    assert best == runs[0].best_run


@pytest.mark.parametrize("name", NAMES)
def test_a_sweep_over_any_numeric_parameter_gives_one_answer_per_value(name, data):
    spec = registry.spec(name)
    numeric = [
        p
        for p, allowed in spec.constraints.items()
        if any(isinstance(c, registry.Interval) for c in allowed) and p != "random_state"
    ]
    if not numeric:
        pytest.skip(f"{name} has no numeric parameter")
    parameter = numeric[0]
    low = next(c for c in spec.constraints[parameter] if isinstance(c, registry.Interval))
    values = _two_values(low)
    X, y = data
    swept = animate.sweep(name, X, parameter, values, y=y)
    assert swept.params["parameter"] == parameter
    for step, value in zip(swept.steps, values):
        np.testing.assert_array_equal(
            step.labels, animate.run(name, X, y=y, **{parameter: value}).final.labels
        )


def _two_values(interval):
    """Two values inside ``interval`` (a bound may be "n_samples": then 40 points)."""
    from numbers import Integral

    low = interval.low if isinstance(interval.low, int | float) else 0
    high = interval.high if isinstance(interval.high, int | float) else None
    if interval.kind is Integral:
        return [int(max(low, 1)) + 1, int(max(low, 1)) + 2]
    if high is not None:
        return [low + (high - low) * 0.25, low + (high - low) * 0.5]
    return [float(low) + 0.5, float(low) + 1.0]


@pytest.mark.slow
def test_the_adding_an_algorithm_page_is_a_working_two_module_change(tmp_path):
    import re
    from pathlib import Path

    page = (Path(__file__).parents[1] / "docs" / "adding-an-algorithm.md").read_text()
    algorithm, painter = re.findall(r"```python\n(.*?)```", page, re.S)
    out = tmp_path / "farthest.gif"
    code = (
        f"{algorithm}\n{painter}\n"
        "import animate\n"
        "X, _ = animate.datasets.make('blobs', n_samples=50, random_state=0)\n"
        "trace = animate.run('farthest', X, n_clusters=3)\n"
        "assert 'farthest' in animate.algorithms.registry.names()\n"
        "assert trace.final.centers.shape == (3, 2)\n"
        f"animate.render(trace, {str(out)!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.getcwd())
    assert out.stat().st_size > 1000


def test_painters_draw_what_the_trace_holds():
    """No painter runs scikit-learn or scipy.spatial, reaches into an algorithm's
    private module, or restates a parameter's default with params.get(name, default)."""
    import re
    from pathlib import Path

    folder = Path(animate.__file__).parent / "render"
    for path in folder.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) sklearn", source, re.M), path
        assert "scipy.spatial" not in source, path
        assert not re.search(r"animate\.algorithms\._", source), path
        assert not re.search(r"params\.get\([^)]*,", source), path

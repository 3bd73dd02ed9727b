"""Scene files: a TOML description of one GIF, rendered with one call.

A scene names a data set, an algorithm with its parameters and how to draw
them. It is one panel; a list of panels (``[[panels]]``, each overriding the
data or the algorithm); a grid of data sets x algorithms (``[grid]``); a sweep
over parameter values (``[sweep]``: one panel per value, a grid for two
parameters, or with ``over = "time"`` one frame per value); or every restart
of one run (``show = "runs"``). The format is documented in docs/scenes.md.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tomllib
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from animate import datasets
from animate.algorithms import DISPLAY_NAMES, canonical, registry
from animate.api import parameters, run
from animate.claims import parse_claims
from animate.errors import UserError
from animate.metrics import status_metrics
from animate.sweep import short, sweep

_TOP_KEYS = {
    "title",
    "description",
    "caption",
    "output",
    "data",
    "algorithm",
    "render",
    "panels",
    "sweep",
    "grid",
    "show",
    "formats",
    "alt",
    "order",
    "claims",
    "blog",
    "theme",
}
_RENDER_KEYS = {
    "size",
    "step_ms",
    "first_ms",
    "hold_ms",
    "max_frames",
    "every_step",
    "side_panel",
    "cols",
    "ari",
    "metrics",
    "options",
}
_PANEL_KEYS = {"title", "data", "algorithm", "sweep"}
_GRID_KEYS = {"data", "algorithms"}
_CSV_KEYS = {"csv", "columns", "label_column"}


@dataclass(frozen=True)
class PanelSpec:
    """One panel: which data, which algorithm with which parameters.

    ``sweep`` is ``(parameter, values)`` when the panel changes one parameter
    over time, one frame per value.
    """

    data: dict
    algorithm: dict
    title: str | None = None
    sweep: tuple | None = None

    def make_trace(self):
        data = load_data(self.data)
        params = dict(self.algorithm)
        name = params.pop("name")
        if self.sweep is not None:
            return sweep(name, data, *self.sweep, **params)
        return run(name, data, **params)


@dataclass(frozen=True)
class Scene:
    """A parsed scene file; :meth:`render` writes its GIF."""

    path: Path
    title: str
    description: str
    output: str
    panels: tuple
    render_options: dict = field(default_factory=dict)
    show: str = "steps"
    formats: tuple = ()
    alt: str | None = None
    order: float | None = None
    claims: tuple = ()
    blog: tuple = ()
    theme: str = "light"

    def __repr__(self):
        kind = f"{len(self.panels)} panels" if len(self.panels) > 1 else "1 panel"
        return f"Scene({self.path.name!r}, {self.title!r}, {kind}, output={self.output!r})"

    def traces(self):
        """Run every panel's algorithm; with ``show = "runs"``, every restart of one run.

        A warning several panels give alike (a connectivity graph in pieces, for
        each linkage on the same data) is given once.
        """
        return list(self._each_trace())

    def _each_trace(self):
        """The traces of :meth:`traces`, each as soon as it is run (and its warnings
        given, those given before left out)."""
        given = set()
        for panel in self.panels[:1] if self.show == "runs" else self.panels:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                trace = panel.make_trace()
            for warning in caught:
                if (str(warning.message), warning.category) not in given:
                    given.add((str(warning.message), warning.category))
                    warnings.warn_explicit(
                        warning.message, warning.category, warning.filename, warning.lineno
                    )
            if self.show == "runs":
                yield from trace.runs
            else:
                yield trace
            del trace  # before the next one runs

    def false_claims(self, traces=None):
        """Each claim of ``[[claims]]`` the runs contradict, as one sentence; empty if all hold."""
        traces = self.traces() if traces is None else traces
        out = []
        for claim in self.claims:
            for panel, value in claim.check(traces):
                out.append(f"panel {panel}: {claim.measure} = {value!r}, not {claim.says!r}")
        return out

    def render(self, out_dir="output", formats=(), storyboard=False, force=False, theme=None):
        """Render the scene to ``out_dir / self.output``, and beside it one file per
        format of the scene's ``formats`` and of ``formats``; with ``storyboard``,
        its key steps too, as ``<output stem>_storyboard.png``. ``force`` replaces
        an existing file there even if it is not an animation this tool wrote.
        ``theme`` ("light" or "dark") overrides the scene's own ``theme``.

        Returns the :class:`~animate.display.Animation` written (a ``Path``).
        """
        from animate.render import style
        from animate.writers import format_paths

        theme = style.theme(self.theme if theme is None else theme).name
        target = _inside(Path(out_dir), self.output, self.path)
        extra_formats = [*self.formats, *formats]
        format_paths(target, extra_formats)  # a bad format fails before any work
        apart = len(self.panels) > 1
        with _traces_apart(self) if apart else contextlib.nullcontext(self.traces()) as traces:
            return self._draw(traces, target, extra_formats, storyboard, force, theme)

    def _draw(self, traces, target, extra_formats, storyboard, force, theme):
        from animate.render import compare, render

        options = dict(self.render_options)
        extra = options.pop("options", {})
        options.update(formats=extra_formats, alt=self.alt, theme=theme)
        if storyboard:
            from animate.storyboard import storyboard as draw_storyboard

            draw_storyboard(traces, storyboard_path(target), theme=theme)
        if len(traces) == 1:
            options.pop("cols", None)
            return render(traces[0], target, title=self.title, force=force, **options, **extra)
        titles = self._titles(traces)
        return compare(
            traces, target, title=self.title, titles=titles, force=force, **options, **extra
        )

    def _titles(self, traces):
        if self.show == "runs":
            return _run_titles(traces)
        if all(p.title is None for p in self.panels):
            return None
        return [p.title or "" for p in self.panels]


@contextlib.contextmanager
def _traces_apart(scene):
    """``scene.traces()``, run in a child process when this one has not imported
    scikit-learn yet: its imports (about 110 MB with scipy.stats) then leave with the
    child, and a grid's drawing, the larger half of its memory, never sits on top of
    them. The traces come back through :meth:`Trace.save`, unchanged to the bit, and
    their steps read each field from the file when it is first used: the matrices
    that only a side panel draws (affinity propagation's, 61 MB in the
    66-panel chart) never reach a grid's drawing process. The files stay open
    until the ``with`` block ends.

    A plain subprocess, not multiprocessing: its spawn would import the caller's
    ``__main__`` again, which a script without a main guard does not survive.
    """
    import pickle
    import subprocess
    import sys
    import tempfile

    from animate.trace import load_lazily

    if "sklearn" in sys.modules:
        yield scene.traces()
        return
    with (
        tempfile.TemporaryDirectory(prefix="clustergif-") as folder,
        contextlib.ExitStack() as archives,  # closed first: Windows removes no open file
    ):
        folder = Path(folder)
        (folder / "scene.pickle").write_bytes(pickle.dumps(scene))
        code = "import sys, animate.scenes as s; s._save_traces(sys.argv[1])"
        done = subprocess.run([sys.executable, "-c", code, str(folder)], check=False)
        if (folder / "error.txt").exists():
            raise UserError((folder / "error.txt").read_text(encoding="utf-8"))
        if done.returncode != 0:
            raise RuntimeError(f"running the algorithms of {scene.path} failed (see above)")
        count = int((folder / "count.txt").read_text(encoding="utf-8"))
        traces = []
        for i in range(count):
            trace, archive = load_lazily(folder / f"{i}.npz")
            archives.callback(archive.close)
            traces.append(trace)
        yield traces


def _save_traces(folder):
    """In the child of :func:`_traces_apart`: run the scene pickled in ``folder`` (a
    private temporary folder of the parent) and save its traces there."""
    import pickle
    import warnings

    from animate.errors import one_line

    warnings.formatwarning = one_line
    folder = Path(folder)
    scene = pickle.loads((folder / "scene.pickle").read_bytes())
    count = 0
    try:
        # Each trace saved and let go as soon as it is run: the child never holds them all.
        for trace in scene._each_trace():
            trace.save(folder / f"{count}.npz")
            count += 1
            del trace  # before the next one runs
    except UserError as error:
        (folder / "error.txt").write_text(str(error), encoding="utf-8")
        raise SystemExit(2) from None
    (folder / "count.txt").write_text(str(count), encoding="utf-8")


def dark_twin(output):
    """Where the dark-theme twin of ``output`` goes: ``kmeans.gif`` -> ``kmeans_dark.gif``."""
    return Path(output).with_name(f"{Path(output).stem}_dark{Path(output).suffix}")


def storyboard_path(output):
    """Where the storyboard of ``output`` goes: ``kmeans.gif`` -> ``kmeans_storyboard.png``."""
    return Path(output).with_name(f"{Path(output).stem}_storyboard.png")


def _run_titles(runs):
    """ "run 2" over "inertia 651, 5 iterations (best)": each restart with its outcome,
    which the picture reveals in the last frame only (see :func:`animate.render.frames`)."""
    # The algorithm chose its best run; scores alone cannot say which (ties, direction).
    best = runs[0].best_run
    return [
        f"run {i + 1}\n{{outcome}}" + (" (best)" if i == best else "") for i in range(len(runs))
    ]


def load_scene(path):
    """Read and check a scene file.

    Every mistake (unknown key, missing data set, wrong type) raises
    :class:`animate.UserError` naming the file, the key and the fix.
    """
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise UserError(f"a scene must be the path of a .toml file, got {path!r}")
    path = Path(path)
    try:
        # utf-8-sig: a byte-order mark (as Notepad writes) is not part of the TOML.
        spec = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UserError(f"scene file {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read scene file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"scene file {path} is not valid TOML: {exc}") from None
    where = f"scene {path.name}"
    _check_keys(spec, _TOP_KEYS, where)
    required = ("title",) if "grid" in spec else ("title", "data", "algorithm")
    for key in required:
        if key not in spec:
            raise UserError(
                f"{where} has no {key!r}; every scene needs a title, and [data] and "
                "[algorithm] unless it is a [grid]"
            )
    render_options = _table(spec, "render", where)
    _check_keys(render_options, _RENDER_KEYS, f"{where} [render]")
    if isinstance(render_options.get("size"), list):
        render_options["size"] = tuple(render_options["size"])
    cols = render_options.get("cols", 1)
    if isinstance(cols, bool) or not isinstance(cols, int) or cols < 1:
        raise UserError(f"{where}: [render] cols must be a whole number >= 1, got {cols!r}")
    if not isinstance(render_options.get("options", {}), dict):
        raise UserError(
            f"{where}: [render] options must be a table of painter options, such as "
            f"options = {{ voronoi = false }}, got {render_options['options']!r}"
        )
    if "metrics" in render_options:
        render_options["metrics"] = _metrics(render_options["metrics"], where)
    panels = _panels(spec, where)
    if "grid" in spec:
        panels = _grid_headers(spec["grid"], panels, render_options)
    if "caption" in spec:
        render_options["caption"] = _text(spec, "caption", where)
    show = spec.get("show", "steps")
    if show not in ("steps", "runs"):
        raise UserError(f"{where}: show must be 'steps' or 'runs', got {show!r}")
    if show == "runs":
        _check_restarts(panels, where)
    # Restarts are panels too, as many as the run has: checked when the runs exist.
    n_panels = len(panels) if show == "steps" else 1000
    return Scene(
        path,
        _text(spec, "title", where),
        _text(spec, "description", where, ""),
        _output(spec, path, where),
        panels,
        render_options,
        show,
        _formats(spec, where),
        _text(spec, "alt", where) if "alt" in spec else None,
        _order(spec, where),
        parse_claims(spec.get("claims", []), n_panels, where),
        _blog(spec, path, where),
        _theme(spec, where),
    )


def _output(spec, path, where):
    """The scene's file name, relative to the output folder: a scene (perhaps downloaded)
    may write nowhere else."""
    output = spec.get("output", path.stem + ".gif")
    if not isinstance(output, str) or not output.strip():
        raise UserError(f"{where}: output must be a file name such as 'kmeans.gif', got {output!r}")
    relative = Path(output)
    if relative.is_absolute() or relative.drive or ".." in relative.parts:
        raise UserError(
            f"{where}: output {output!r} leaves the output folder; give a file name "
            "inside it, such as 'kmeans.gif' or 'week1/kmeans.gif'"
        )
    from animate.writers import format_paths

    try:
        format_paths(output)
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
    return output


def _inside(out_dir, output, scene_path):
    """``out_dir / output``, refused if links inside the folder lead out of it."""
    target = out_dir / output
    if not target.resolve().is_relative_to(out_dir.resolve()):
        raise UserError(
            f"scene {Path(scene_path).name}: output {output!r} leads out of {out_dir} "
            "through a link; give a plain file name"
        )
    return target


def _formats(spec, where):
    from animate.writers import format_paths

    formats = spec.get("formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise UserError(f"{where}: formats must be a list of names such as ['gif', 'webp']")
    try:
        format_paths("check.gif", formats)
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
    return tuple(formats)


def _theme(spec, where):
    from animate.render import style

    try:
        return style.theme(spec.get("theme", "light")).name
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None


def _order(spec, where):
    order = spec.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int | float)):
        raise UserError(f"{where}: order must be a number (the gallery sorts by it), got {order!r}")
    return order


def _blog(spec, path, where):
    """The scene files that show this one at blog width (720 px), when it is too wide."""
    names = spec.get("blog", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise UserError(f"{where}: blog must be a list of scene file names")
    missing = [n for n in names if not (path.parent / n).is_file()]
    if missing:
        raise UserError(f"{where}: blog names {missing[0]!r}, which is not a file beside it")
    return tuple(path.parent / n for n in names)


def _panels(spec, where):
    if "grid" in spec:
        return _grid_panels(spec, where)
    data, algorithm = _table(spec, "data", where), _table(spec, "algorithm", where)
    _check_named(data, algorithm, where)
    panels = spec.get("panels", [{}])
    if not isinstance(panels, list) or not panels or not all(isinstance(p, dict) for p in panels):
        raise UserError(f"{where}: panels must be a non-empty list of [[panels]] tables")
    sweep = _table(spec, "sweep", where) if "sweep" in spec else None
    over = sweep.pop("over", "panels") if sweep is not None else None
    if over not in (None, "panels", "time"):
        raise UserError(f"{where} [sweep]: over must be 'panels' or 'time', got {over!r}")
    if over == "panels":
        if "panels" in spec:
            raise UserError(f"{where} has [[panels]] and a [sweep] over panels; use one of them")
        return _sweep_panels(data, algorithm, sweep, where)
    result = []
    for i, panel in enumerate(panels, start=1):
        here = f"{where} panel {i}"
        _check_keys(panel, _PANEL_KEYS, here)
        if "sweep" in panel and sweep is None:
            raise UserError(f"{here} has a sweep but the scene has no [sweep] table")
        own_sweep = {**(sweep or {}), **_table(panel, "sweep", here)}
        result.append(
            PanelSpec(
                _override(data, _table(panel, "data", here)),
                _override(algorithm, _table(panel, "algorithm", here)),
                _text(panel, "title", here) if "title" in panel else None,
                _time_sweep(own_sweep, where) if sweep is not None else None,
            )
        )
    return tuple(result)


def _check_named(data, algorithm, where):
    for table, name in ((data, "data"), (algorithm, "algorithm")):
        if "name" not in table and not (name == "data" and "csv" in table):
            hint = "a data set name or csv = 'file.csv'" if name == "data" else "an algorithm name"
            raise UserError(f"{where} [{name}] has no 'name'; give {hint}")


def _override(base, panel):
    """A panel's table: merged into the scene's, unless it names another data set or algorithm."""
    other = {"name", "csv"} & set(panel)
    if any(panel[key] != base.get(key) for key in other):
        return dict(panel)
    return {**base, **panel}


def _time_sweep(sweep, where):
    if len(sweep) != 1 or not all(isinstance(v, list) and len(v) >= 2 for v in sweep.values()):
        raise UserError(
            f"{where} [sweep] over time needs exactly one parameter with a list of "
            "at least two values"
        )
    return next(iter(sweep.items()))


def _sweep_panels(data, algorithm, sweep, where):
    if not 1 <= len(sweep) <= 2 or not all(isinstance(v, list) and v for v in sweep.values()):
        raise UserError(f"{where} [sweep] needs one or two parameters, each with a list of values")
    names = list(sweep)
    panels = []
    for values in itertools.product(*sweep.values()):
        params = dict(zip(names, values))
        label = ", ".join(f"{k} = {short(v)}" for k, v in params.items())
        panels.append(PanelSpec(data, {**algorithm, **params}, label + "\n{outcome}"))
    return tuple(panels)


def _grid_headers(grid, panels, render_options):
    """Each column headed by its algorithm and each row by its data set; a grid wrapped
    into fewer columns (``cols`` in [render]) names the algorithm in each panel's title
    instead. Returns the panels."""
    columns = grid["algorithms"]
    headers = [a.get("header") or DISPLAY_NAMES[canonical(a["name"])] for a in columns]
    render_options.setdefault("cols", len(columns))
    if render_options["cols"] != len(columns):
        titles = [f"{headers[i % len(columns)]}\n{{outcome}}" for i in range(len(panels))]
        return tuple(replace(p, title=t) for p, t in zip(panels, titles))
    render_options["headers"] = headers
    render_options["row_headers"] = [d.get("header") or _data_name(d) for d in grid["data"]]
    return panels


def _grid_panels(spec, where):
    """Data sets down the rows, algorithms across the columns."""
    if "data" in spec or "algorithm" in spec or "panels" in spec or "sweep" in spec:
        raise UserError(
            f"{where}: a [grid] scene names its data and algorithms inside [grid]; "
            "remove the top-level [data], [algorithm], [[panels]] or [sweep]"
        )
    grid = _table(spec, "grid", where)
    _check_keys(grid, _GRID_KEYS, f"{where} [grid]")
    rows, columns = grid.get("data"), grid.get("algorithms")
    for value, key in ((rows, "data"), (columns, "algorithms")):
        if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
            raise UserError(f"{where} [grid] needs a non-empty list of [[grid.{key}]] tables")
    for table in [*rows, *columns]:
        header = table.get("header", "")
        if not isinstance(header, str):
            raise UserError(
                f"{where} [grid]: header must be text (a row's or column's heading), got {header!r}"
            )
    rows = [_without(row, "header") for row in rows]
    columns = [_without(column, "header") for column in columns]
    panels = []
    for i, row in enumerate(rows, start=1):
        data = dict(row)
        overrides = data.pop("params", {})
        _check_named(data, columns[0], f"{where} [[grid.data]] {i}")
        _check_overrides(overrides, columns, f"{where} [[grid.data]] {i}")
        for algorithm in columns:
            _check_named(data, algorithm, f"{where} [[grid.algorithms]]")
            params = _overrides_for(overrides, algorithm["name"])
            # The column's header names the algorithm; the panel states the rest.
            panels.append(PanelSpec(data, {**algorithm, **params}, "{parameters}\n{outcome}"))
    return tuple(panels)


def _check_restarts(panels, where):
    """``show = "runs"`` needs one panel of an algorithm that restarts (k-means' n_init)."""
    spec = registry.spec(panels[0].algorithm["name"])
    if len(panels) > 1 or spec.restarts is None:
        restarting = [s.name for s in registry.specs() if s.restarts]
        raise UserError(
            f"{where}: show = 'runs' needs one algorithm that restarts "
            f"({', '.join(restarting)}), got {spec.name}; remove show or change the algorithm"
        )


def _metrics(names, where):
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise UserError(f'{where} [render]: metrics must be a list of names, e.g. ["ari"]')
    try:
        return list(status_metrics(names))
    except UserError as exc:
        raise UserError(f"{where} [render]: {exc}") from None


def _data_name(data):
    return Path(data["csv"]).stem if "csv" in data else str(data["name"])


def _overrides_for(overrides, name):
    """A data set's parameters for the algorithm ``name``: those it takes, then those of
    the table named after it (``optics = {xi = 0.1}``), which only it gets."""
    accepted = parameters(name)
    params = {k: v for k, v in overrides.items() if k in accepted}
    for key, value in overrides.items():
        if key not in params and isinstance(value, dict) and _named(key) == canonical(name):
            params.update(value)
    return params


def _without(table, key):
    return {k: v for k, v in table.items() if k != key}


def _named(key):
    """The canonical name of the algorithm ``key`` names, or None."""
    key = key.lower()
    key = registry.aliases().get(key, key)
    return key if key in registry.names() else None


def _check_overrides(overrides, columns, where):
    """Per-data-set parameters must be taken by at least one algorithm, and those of a table
    named after an algorithm by that algorithm: typos fail loudly."""
    if not isinstance(overrides, dict):
        raise UserError(f"{where}: params must be a table, got {overrides!r}")
    names = {canonical(a["name"]) for a in columns if "name" in a}
    accepted = set().union(*(parameters(name) for name in names))
    for key, value in overrides.items():
        if key in accepted:
            continue
        own = _named(key)
        if not (isinstance(value, dict) and own in names):
            raise UserError(
                f"{where}: no algorithm in the grid takes the parameter {key!r}; "
                "check its spelling, or name a table after an algorithm of the grid"
            )
        unknown = sorted(set(value) - set(parameters(own)))
        if unknown:
            raise UserError(
                f"{where}: {own} has no parameter {unknown[0]!r}; "
                f"it takes {', '.join(parameters(own))}"
            )


def builtin_dir():
    """The folder of the scenes that ship with clustergif (the gallery).

    In the package they are ``animate/_scenes``, a link to the repository's
    ``scenes/`` that the wheel stores as plain files; a checkout without
    symbolic links (Windows' default) falls back to ``scenes/`` itself.
    """
    from importlib.resources import files

    packaged = Path(str(files("animate") / "_scenes"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "scenes"


def scene_files(folder):
    """The scene files (``*.toml``) of ``folder``, sorted; none if it does not exist."""
    return sorted(Path(folder).glob("*.toml"))


def copy_builtin(target):
    """Copy the built-in scenes into the folder ``target``; returns the files written.

    Refuses (a UserError naming the file) if any would overwrite a file there.
    """
    import shutil

    target = Path(target)
    sources = scene_files(builtin_dir())
    taken = [target / s.name for s in sources if (target / s.name).exists()]
    if taken:
        raise UserError(
            f"{taken[0]} already exists; clustergif init never overwrites: "
            "move that folder away or choose another one"
        )
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(source, target / source.name)) for source in sources]


def load_data(spec):
    """A :class:`~animate.datasets.Table` from a scene's [data] table: a built-in data set
    or a CSV file (with its column and class names)."""
    spec = dict(spec)
    if "csv" in spec:
        _check_keys(spec, _CSV_KEYS, "[data] with csv")
        path = spec.pop("csv")
        return datasets.read_csv(path, spec.pop("columns", None), spec.pop("label_column", None))
    name = spec.pop("name")
    return datasets.table(datasets.make(name, **spec))


def _table(spec, key, where):
    value = spec.get(key, {})
    if not isinstance(value, dict):
        raise UserError(f"{where}: {key!r} must be a table ([{key}]), got {value!r}")
    return dict(value)


def _text(spec, key, where, default=None):
    value = spec.get(key, default)
    if not isinstance(value, str):
        raise UserError(f"{where}: {key!r} must be text, got {value!r}")
    return value


def _check_keys(table, allowed, where):
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UserError(
            f"{where} has an unknown key {unknown[0]!r}; expected one of "
            f"{', '.join(sorted(allowed))}"
        )

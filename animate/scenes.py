"""Scene files: a TOML description of one GIF, rendered with one call.

A scene names a data set, an algorithm with its parameters and how to draw
them. It is one panel, a list of panels (``[[panels]]``, each overriding the
data or the algorithm), a sweep over parameter values (``[sweep]``: one panel
per value, a grid for two parameters), or every restart of one run
(``show = "runs"``). The format is documented in docs/scenes.md.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from animate import datasets
from animate.api import run
from animate.errors import UserError

_TOP_KEYS = {
    "title",
    "description",
    "output",
    "data",
    "algorithm",
    "render",
    "panels",
    "sweep",
    "show",
}
_RENDER_KEYS = {
    "size",
    "step_ms",
    "first_ms",
    "hold_ms",
    "max_frames",
    "side_panel",
    "cols",
    "options",
}
_PANEL_KEYS = {"title", "data", "algorithm"}


@dataclass(frozen=True)
class PanelSpec:
    """One panel: which data, which algorithm with which parameters."""

    data: dict
    algorithm: dict
    title: str | None = None

    def make_trace(self):
        X, y = load_data(self.data)
        params = dict(self.algorithm)
        name = params.pop("name")
        return run(name, X, y=y, **params)


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

    def traces(self):
        """Run every panel's algorithm; with ``show = "runs"``, every restart of one run."""
        traces = [panel.make_trace() for panel in self.panels]
        if self.show == "runs":
            return list(traces[0].runs) or traces
        return traces

    def render(self, out_dir="output"):
        """Render the scene to ``out_dir / self.output``; returns the path written."""
        from animate.render import compare, render

        traces = self.traces()
        options = dict(self.render_options)
        extra = options.pop("options", {})
        target = Path(out_dir) / self.output
        if len(traces) == 1:
            options.pop("cols", None)
            return render(traces[0], target, title=self.title, **options, **extra)
        titles = self._titles(traces)
        return compare(traces, target, title=self.title, titles=titles, **options, **extra)

    def _titles(self, traces):
        if self.show == "runs":
            best = min(range(len(traces)), key=lambda i: traces[i].final.inertia)
            return [
                f"run {i + 1}: inertia {t.final.inertia:,.0f}" + (" (best)" if i == best else "")
                for i, t in enumerate(traces)
            ]
        if all(p.title is None for p in self.panels):
            return None
        return [p.title or "" for p in self.panels]


def load_scene(path):
    """Read and check a scene file.

    Every mistake (unknown key, missing data set, wrong type) raises
    :class:`animate.UserError` naming the file, the key and the fix.
    """
    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"scene file {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read scene file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"scene file {path} is not valid TOML: {exc}") from None
    where = f"scene {path.name}"
    _check_keys(spec, _TOP_KEYS, where)
    for key in ("title", "data", "algorithm"):
        if key not in spec:
            raise UserError(
                f"{where} has no {key!r}; every scene needs title, [data] and [algorithm]"
            )
    render_options = _table(spec, "render", where)
    _check_keys(render_options, _RENDER_KEYS, f"{where} [render]")
    if "size" in render_options:
        render_options["size"] = tuple(render_options["size"])
    show = spec.get("show", "steps")
    if show not in ("steps", "runs"):
        raise UserError(f"{where}: show must be 'steps' or 'runs', got {show!r}")
    return Scene(
        path,
        _text(spec, "title", where),
        _text(spec, "description", where, ""),
        spec.get("output", path.stem + ".gif"),
        _panels(spec, where),
        render_options,
        show,
    )


def _panels(spec, where):
    data, algorithm = _table(spec, "data", where), _table(spec, "algorithm", where)
    for table, name in ((data, "data"), (algorithm, "algorithm")):
        if "name" not in table and not (name == "data" and "csv" in table):
            hint = "a data set name or csv = 'file.csv'" if name == "data" else "an algorithm name"
            raise UserError(f"{where} [{name}] has no 'name'; give {hint}")
    panels = spec.get("panels")
    sweep = _table(spec, "sweep", where) if "sweep" in spec else None
    if panels is not None and sweep is not None:
        raise UserError(f"{where} has both [[panels]] and [sweep]; use one of them")
    if sweep is not None:
        return _sweep_panels(data, algorithm, sweep, where)
    if panels is None:
        return (PanelSpec(data, algorithm),)
    if not isinstance(panels, list) or not panels:
        raise UserError(f"{where}: panels must be a non-empty list of [[panels]] tables")
    result = []
    for i, panel in enumerate(panels, start=1):
        _check_keys(panel, _PANEL_KEYS, f"{where} panel {i}")
        result.append(
            PanelSpec(
                {**data, **panel.get("data", {})},
                {**algorithm, **panel.get("algorithm", {})},
                panel.get("title"),
            )
        )
    return tuple(result)


def _sweep_panels(data, algorithm, sweep, where):
    if not 1 <= len(sweep) <= 2 or not all(isinstance(v, list) and v for v in sweep.values()):
        raise UserError(f"{where} [sweep] needs one or two parameters, each with a list of values")
    names = list(sweep)
    panels = []
    for values in itertools.product(*sweep.values()):
        params = dict(zip(names, values))
        label = ", ".join(f"{k} = {_short(v)}" for k, v in params.items())
        panels.append(PanelSpec(data, {**algorithm, **params}, label))
    return tuple(panels)


def _short(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def load_data(spec):
    """``(X, y)`` from a scene's [data] table: a built-in data set or a CSV file."""
    spec = dict(spec)
    if "csv" in spec:
        path = spec.pop("csv")
        return datasets.load_csv(path, spec.pop("columns", None), spec.pop("label_column", None))
    name = spec.pop("name")
    return datasets.make(name, **spec)


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

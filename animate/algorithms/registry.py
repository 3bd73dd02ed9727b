"""The one place algorithms are registered, declared beside each generator.

An algorithm module decorates its generator with :func:`algorithm`: its name,
display name, aliases, a constraint per parameter (the role of scikit-learn's
``_parameter_constraints``) and the fields its final step carries. Everything
that lists algorithms (``animate.ALGORITHMS``, ``clustergif list``, the CLI
help, scene checks) reads this registry; modules are found by walking the
``animate.algorithms`` package, so adding an algorithm edits no list.

Algorithm modules import only numpy at the top: the registry is read by
``clustergif --help``, which must start fast.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from animate.errors import UserError

_SPECS: dict[str, Spec] = {}
# Most iterations any algorithm may be asked for: each is a step kept in the trace (and
# a frame to choose from), so a typo such as max_iter=10**9 must not run for days.
MAX_ITER = 10_000
_FUNCTIONS: dict[str, object] = {}


# Constraints --------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A number of ``kind`` (Integral or Real) between ``low`` and ``high``.

    ``closed`` is "both", "left", "right" or "neither"; a bound may be the
    string "n_samples", read from the data at validation time.
    """

    kind: type
    low: float | str | None = None
    high: float | str | None = None
    closed: str = "both"

    def convert(self, value, n_samples):
        if isinstance(value, bool | np.bool_) or not isinstance(value, self.kind):
            return _REFUSED
        try:
            number = int(value) if self.kind is Integral else float(value)
        except (OverflowError, ValueError):
            return _REFUSED
        if self.kind is Real and not np.isfinite(number):
            return _REFUSED
        low, high = (n_samples if b == "n_samples" else b for b in (self.low, self.high))
        if low is not None and (number < low or (number == low and self.closed in _OPEN_LOW)):
            return _REFUSED
        if high is not None and (number > high or (number == high and self.closed in _OPEN_HIGH)):
            return _REFUSED
        # A numpy float keeps its type: scikit-learn computes with it as given
        # (mean shift's bin seeds are float32 times the bandwidth).
        return value if isinstance(value, np.floating) else number

    def __str__(self):
        noun = "a whole number" if self.kind is Integral else "a number"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.closed in _OPEN_LOW else '>='} {self.low}")
        if self.high is not None:
            parts.append(f"{'<' if self.closed in _OPEN_HIGH else '<='} {self.high}")
        return f"{noun} {' and '.join(parts)}".rstrip()


_OPEN_LOW, _OPEN_HIGH = ("right", "neither"), ("left", "neither")
_REFUSED = object()


@dataclass(frozen=True)
class Options:
    """One of a fixed set of strings."""

    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", tuple(values))

    def convert(self, value, n_samples):
        return value if isinstance(value, str) and value in self.values else _REFUSED

    def __str__(self):
        if len(self.values) == 1:
            return repr(self.values[0])
        return f"one of {', '.join(map(repr, self.values))}"


class Kind:
    """A named constraint: ``test(value)`` says if it fits, ``text`` describes it."""

    def __init__(self, text, test, convert=lambda v: v):
        self.text, self.test, self.convert_value = text, test, convert

    def convert(self, value, n_samples):
        return self.convert_value(value) if self.test(value) else _REFUSED

    def __str__(self):
        return self.text


def _is_array(value):
    return isinstance(value, list | tuple | np.ndarray) and np.ndim(value) >= 1


def _is_sparse(value):
    return hasattr(value, "tocsr") and hasattr(value, "shape")


NONE = Kind("None", lambda v: v is None)
BOOLEAN = Kind("true or false", lambda v: isinstance(v, bool | np.bool_), bool)
ARRAY = Kind("an array", _is_array)
SPARSE = Kind("a sparse matrix", _is_sparse)
CALLABLE = Kind("a function", callable)
RANDOM_STATE = Kind(
    f"a whole number from 0 to {2**32 - 1} (numpy's seeds) or None",
    lambda v: (
        v is None
        or isinstance(v, np.random.RandomState)
        or (isinstance(v, Integral) and not isinstance(v, bool) and 0 <= v < 2**32)
    ),
    lambda v: int(v) if isinstance(v, Integral) else v,
)


class NestedAlgorithm:
    """Another algorithm of this registry, run by an algorithm on what it made (BIRCH's
    global clustering of its subcluster centres), as scikit-learn takes an estimator.

    Accepts the algorithm's name or alias (run with its default parameters), a
    table ``{"name": "kmeans", "n_clusters": 3, ...}`` (those parameters, the
    others at their defaults), ``animate.estimator("kmeans", n_clusters=3)``, or
    a configured scikit-learn estimator this project reproduces
    (``KMeans(n_clusters=3)``: its ``get_params()``).
    Converts a name to its canonical name and the other two to such a table,
    its parameters checked (those that depend on the data are checked when it runs).
    """

    def convert(self, value, n_samples):
        if isinstance(value, str):
            key = value.lower()
            key = aliases().get(key, key)
            return key if key in names() else _REFUSED
        if isinstance(value, dict):
            params = dict(value)
            name = params.pop("name", None)
            if not isinstance(name, str):
                raise UserError(
                    f"a table naming an algorithm needs name = one of {', '.join(names())}, "
                    f"got {_short(value)}"
                )
            nested = spec(name)
        elif _is_step_by_step(value):
            nested, params = spec(value.algorithm), dict(value.params)
        elif hasattr(value, "get_params") and hasattr(value, "fit"):
            nested, params = from_estimator(value)
        else:
            return _REFUSED
        try:
            checked = nested.resolve(params, None)
        except UserError as exc:
            raise UserError(f"{exc} (in the table naming {nested.name})") from None
        return {"name": nested.name, **{key: checked[key] for key in params}}

    def __str__(self):
        return (
            f"the name of an algorithm ({', '.join(names())}), or a table "
            "{name = ..., its parameters}"
        )


def _is_step_by_step(value):
    from animate.api import StepByStep

    return isinstance(value, StepByStep)


def nested_call(value):
    """``(name, params)`` of a value :class:`NestedAlgorithm` converted."""
    if isinstance(value, str):
        return value, {}
    params = dict(value)
    return params.pop("name"), params


# scikit-learn estimators ---------------------------------------------------------------

ANY = "any value"


@dataclass(frozen=True)
class Estimator:
    """The scikit-learn class an algorithm reproduces: ``animate.run(KMeans(...), X)``.

    Parameters
    ----------
    path : str
        Where the class is, e.g. "sklearn.cluster.KMeans".
    ignored : dict
        The class's parameters the algorithm does not take, each with the
        values under which its answer is still the class's: :data:`ANY` (it
        only changes speed or printing: ``verbose``, ``n_jobs``) or a tuple of
        values. Every other parameter of the class must be one of the algorithm's.
    """

    path: str
    ignored: dict = field(default_factory=dict)

    @property
    def name(self):
        return self.path.rpartition(".")[2]

    def load(self):
        module, _, name = self.path.rpartition(".")
        return getattr(importlib.import_module(module), name)

    def params(self, estimator, accepted):
        """The algorithm's parameters read from ``estimator.get_params()``.

        Raises a UserError naming the first parameter whose value it cannot reproduce.
        """
        params = {}
        for key, value in estimator.get_params(deep=False).items():
            if key in accepted:
                params[key] = value
                continue
            allowed = self.ignored.get(key, ())
            if allowed == ANY or any(_same(value, a) for a in allowed):
                continue
            given = f"{self.name}({key}={_short(value)})"
            if not allowed:
                raise UserError(f"animate cannot reproduce {given}; leave {key} at its default")
            only = " or ".join(f"{key}={a!r}" for a in allowed)
            raise UserError(f"animate reproduces {self.name} only with {only}, got {given}")
        return params


def _same(value, allowed):
    return type(value) is type(allowed) and value == allowed


def from_estimator(estimator):
    """``(spec, params)``: the algorithm reproducing a scikit-learn estimator, and its
    parameters read from the estimator's ``get_params()``."""
    cls = type(estimator)
    for candidate in specs():
        known = candidate.estimator
        if known is not None and known.name == cls.__name__ and known.load() is cls:
            return candidate, known.params(estimator, candidate.defaults)
    supported = ", ".join(s.estimator.name for s in specs() if s.estimator is not None)
    raise UserError(
        f"{cls.__name__} has no step-by-step counterpart in animate; the scikit-learn "
        f"estimators it reproduces are {supported}"
    )


def describe(constraints):
    """The allowed values of a parameter in words: "a whole number >= 1 or None"."""
    return " or ".join(str(c) for c in constraints)


# Specs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What the registry knows of one algorithm.

    Attributes
    ----------
    name : str
        Canonical name ("kmeans").
    display : str
        How titles and captions name it ("k-means").
    func : callable
        The generator ``func(X, **params)``, unchecked: call it through
        :meth:`resolve` or through the registered (checking) function.
    constraints : dict
        Parameter name -> tuple of constraints, any of which the value may meet.
    fields : tuple of str
        Fields the final step always carries (the contract).
    aliases : tuple of str
    summary : str
        One line for ``clustergif list``.
    order : int
        Place in the teaching order (lists and help show algorithms by it).
    restarts : str or None
        The parameter that runs several initialisations (``n_init``), if any:
        such traces keep every run in ``trace.runs``.
    score : str or None
        The final-step field that rates a run (shown per run by ``show = "runs"``).
    estimator : Estimator or None
        The scikit-learn class the algorithm reproduces, if any.
    """

    name: str
    display: str
    func: object
    constraints: dict
    fields: tuple
    aliases: tuple = ()
    summary: str = ""
    order: int = 100
    restarts: str | None = None
    score: str | None = None
    defaults: dict = field(default_factory=dict)
    estimator: Estimator | None = None

    def resolve(self, params, n_samples):
        """Every parameter with its default applied, each checked against its constraints."""
        unknown = [key for key in params if key not in self.defaults]
        if unknown:
            raise UserError(
                f"{self.name} has no parameter {unknown[0]!r}; it takes {', '.join(self.defaults)}"
            )
        resolved = {**self.defaults, **params}
        for key, allowed in self.constraints.items():
            resolved[key] = _checked(key, resolved[key], allowed, n_samples)
        # Without data (a nested algorithm's table, checked before the tree is built) the
        # memory check waits for the run itself.
        if "max_iter" in resolved and n_samples is not None:
            _check_steps(self.display, n_samples, resolved["max_iter"])
        return resolved


def _check_steps(display, n_samples, max_iter):
    """Refuse at once a run whose steps could outgrow memory: an iteration keeps up to two
    steps, each with a label per point."""
    from animate.algorithms._checks import available_memory

    needed, budget = 16 * max_iter * n_samples, 0.5 * available_memory()
    if needed > budget:
        raise UserError(
            f"{display} with max_iter={max_iter} may keep {2 * max_iter:,} steps of "
            f"{n_samples:,} labels ({needed / 2**20:,.0f} MiB), over half the free memory; "
            f"use max_iter <= {int(budget // (16 * n_samples)):,} or subsample the data"
        )


def check(name, value, *allowed):
    """``value`` if it meets one of the ``allowed`` constraints, converted; else a UserError.

    For options checked outside an algorithm (a painter's ``max_discs``).
    """
    return _checked(name, value, allowed, None)


def _checked(name, value, allowed, n_samples):
    for constraint in allowed:
        converted = constraint.convert(value, n_samples)
        if converted is not _REFUSED:
            return converted
    if any(c.convert(value, float("inf")) is not _REFUSED for c in allowed):
        raise UserError(
            f"{name}={value} is more than the {n_samples} points in the data; "
            f"use at most {n_samples} or give more data"
        )
    text = describe(allowed)
    if n_samples is not None:
        text = text.replace("n_samples", str(n_samples))
    raise UserError(f"{name} must be {text}, got {_short(value)}")


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def algorithm(
    name,
    *,
    display,
    constraints,
    fields,
    aliases=(),
    summary="",
    order=100,
    restarts=None,
    score=None,
    estimator=None,
):
    """Register a generator ``func(X, **params)`` as the algorithm ``name``.

    The decorated function checks the data and every parameter before it
    starts (so calling it directly is as safe as :func:`animate.run`) and then
    yields the generator's Steps. Every keyword parameter of the generator
    must have a constraint. ``estimator`` (an :class:`Estimator`) names the
    scikit-learn class it reproduces, so that ``animate.run`` takes its instances.
    """

    def register(func):
        signature = inspect.signature(func)
        defaults = {k: p.default for k, p in list(signature.parameters.items())[1:]}
        missing = set(defaults) ^ set(constraints)
        if missing:
            raise TypeError(f"{name}: parameters and constraints differ on {sorted(missing)}")
        spec = Spec(
            name,
            display,
            func,
            {k: tuple(v) if isinstance(v, list | tuple) else (v,) for k, v in constraints.items()},
            tuple(fields),
            tuple(aliases),
            summary or (func.__doc__ or "").strip().splitlines()[0],
            order,
            restarts,
            score,
            defaults,
            estimator,
        )
        _SPECS[name] = spec

        @functools.wraps(func)
        def checked(X, *args, **params):
            from animate.datasets import validate_data

            X = validate_data(X)
            params.update(zip(defaults, args))
            return func(X, **spec.resolve(params, len(X)))

        checked.spec = spec
        _FUNCTIONS[name] = checked
        return checked

    return register


# Lookup ---------------------------------------------------------------------------------


@functools.cache
def _discover():
    """Import every module of ``animate.algorithms``: each registers what it defines."""
    package = importlib.import_module("animate.algorithms")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"animate.algorithms.{module.name}")
    return True


def specs():
    """Every registered algorithm, in teaching order."""
    _discover()
    return sorted(_SPECS.values(), key=lambda s: (s.order, s.name))


def names():
    """Canonical names, in teaching order."""
    return tuple(s.name for s in specs())


def aliases():
    """``{alias: canonical name}``."""
    return {alias: s.name for s in specs() for alias in s.aliases}


def spec(name):
    """The :class:`Spec` of an algorithm, by canonical name or alias (case-insensitive)."""
    _discover()
    key = str(name).lower()
    key = aliases().get(key, key)
    if key not in _SPECS:
        raise UserError(f"unknown algorithm {name!r}; choose one of {', '.join(names())}")
    return _SPECS[key]


def function(name):
    """The registered (checking) generator function of an algorithm, by name or alias."""
    return _FUNCTIONS[spec(name).name]

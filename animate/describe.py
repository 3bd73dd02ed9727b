"""``describe``: a text alternative for an animation, written from its traces.

The alt text of the gallery, the embed snippets and notebook display: what
is shown and how it ends, with numbers, for a reader who cannot see the GIF.
"""

from __future__ import annotations

import numpy as np

# Scores worth narrating, and which way is better (the verb follows the numbers).
_SCORES = {
    "inertia": "the within-cluster sum of squares",
    "lower_bound": "the lower bound on the log-likelihood",
}


def describe(traces):
    """A sentence or two saying what the animation of ``traces`` shows and how it ends.

    Parameters
    ----------
    traces : Trace or sequence of Trace
        What :func:`animate.run` (or :func:`animate.sweep`) returned; several
        traces are described as panels side by side.

    Returns
    -------
    str
        For example "k-means with 4 clusters on 400 points in 2 dimensions:
        converges after 5 iterations with 4 clusters; the within-cluster sum of
        squares falls from 120,809 to 3,975."
    """
    from animate.trace import Trace

    if isinstance(traces, Trace):
        return _one(traces)
    traces = list(traces)
    if len(traces) == 1:
        return _one(traces[0])
    varying = _varying_parameters(traces)
    panels = "; ".join(f"{i}. {_short(t, varying)}" for i, t in enumerate(traces, start=1))
    data = len({(t.X.shape, t.X[:3].tobytes()) for t in traces})
    on = "the same data" if data == 1 else f"{data} data sets"
    ari = (
        " ARI is the adjusted Rand index against the true groups (1 = found them)."
        if any(t.y is not None for t in traces)
        else ""
    )
    return f"{len(traces)} clustering animations side by side on {on}.{ari} {panels}."


def _one(trace):
    if trace.algorithm == "sweep":
        return _sweep(trace)
    n, d = trace.X.shape
    head = f"{_display(trace.algorithm)}{_key_parameter(trace)} on {n:,} points"
    head += f" in {d} dimensions" if d != 2 else ""
    how = _how_it_ends(trace)
    score = _score_change(trace)
    return f"{head}: {how}" + (f"; {score}" if score else "") + f"{_agreement(trace)}."


def _short(trace, varying):
    """One panel in a few words: "K-means, n_clusters 3, on 300 points: 3 clusters, ARI 0.98"."""
    if trace.algorithm == "sweep":
        return _sweep(trace)
    keys = varying.get(trace.algorithm, [])
    settings = ", ".join(f"{k} {trace.params[k]}" for k in keys if k in trace.params)
    name = f"{_display(trace.algorithm)}{', ' + settings + ',' if settings else ''}"
    ending = _found(trace.final.labels) + _final_score(trace) + _agreement(trace, short=True)
    return f"{name} on {len(trace.X):,} points: {ending}"


def _final_score(trace):
    for field in _SCORES:
        value = _scalar(trace.final, field)
        if value is not None:
            return f", {field.replace('_', ' ')} {_number(value)}"
    return ""


def _varying_parameters(traces):
    """{algorithm: parameters (single values) that differ between its panels}."""
    values = {}
    for trace in traces:
        for key, value in trace.params.items():
            if isinstance(value, str | int | float | bool) or value is None:
                values.setdefault(trace.algorithm, {}).setdefault(key, set()).add(repr(value))
    return {
        algorithm: [k for k, v in params.items() if len(v) > 1 and k != "random_state"]
        for algorithm, params in values.items()
    }


def _how_it_ends(trace):
    found = _found(trace.final.labels)
    steps = len(trace.steps)
    if not trace.n_iter:
        return f"{steps} steps end with {found}"
    iterations = f"{trace.n_iter} iteration{'s' * (trace.n_iter != 1)}"
    verb = "converges after" if trace.converged else "stops without converging after"
    return f"{verb} {iterations} with {found}"


def _found(labels):
    labels = np.asarray(labels)
    clusters = len(np.unique(labels[labels >= 0]))
    text = f"{clusters} cluster{'s' * (clusters != 1)}"
    noise = int(np.count_nonzero(labels < 0))
    return text + (f" and {noise:,} noise point{'s' * (noise != 1)}" if noise else "")


def _score_change(trace):
    for field, name in _SCORES.items():
        first, last = (_scalar(step, field) for step in (trace.steps[0], trace.final))
        if first is None or last is None:
            first = _first_with(trace, field)
        if first is not None and last is not None and first != last:
            verb = "falls" if last < first else "rises"
            return f"{name} {verb} from {_number(first)} to {_number(last)}"
    return ""


def _first_with(trace, field):
    return next((v for v in (_scalar(s, field) for s in trace.steps) if v is not None), None)


def _scalar(step, field):
    value = step.fields.get(field)
    if value is None or np.ndim(value) != 0 or not np.isfinite(value):
        return None
    return float(value)


def _agreement(trace, short=False):
    if trace.y is None:
        return ""
    from animate.metrics import adjusted_rand_index

    score = max(adjusted_rand_index(trace.y, trace.final.labels), 0.0)
    if short:
        return f", ARI {score:.2f}"
    return f", adjusted Rand index {score:.2f} against the true groups"


def _key_parameter(trace):
    for key in ("n_clusters", "n_components"):
        if key in trace.params and isinstance(trace.params[key], int):
            return f" asked for {trace.params[key]} clusters"
    return ""


def _sweep(trace):
    params = trace.params
    values = ", ".join(str(v) for v in params.get("values", []))
    counts = ", ".join(str(len(np.unique(s.labels[s.labels >= 0]))) for s in trace.steps)
    return (
        f"{_display(params.get('algorithm', ''))} on {len(trace.X):,} points as "
        f"{params.get('parameter', 'a parameter')} takes the values {values}: "
        f"{counts} clusters in turn"
    )


def _display(name):
    from animate.algorithms import DISPLAY_NAMES

    text = DISPLAY_NAMES.get(name, name)
    return text[:1].upper() + text[1:]


def _number(value):
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"

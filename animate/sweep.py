"""``sweep``: one parameter changed frame by frame, every frame an algorithm's answer.

This is "bandwidth on the run": the animation is not the steps of one run but
the final labels of one run per parameter value, so that a viewer sees the
clusters split or merge as the parameter grows.
"""

from __future__ import annotations

import numpy as np

from animate import algorithms
from animate.api import parameters, run
from animate.errors import UserError
from animate.trace import Step, Trace


def sweep(algorithm, X, parameter, values, *, y=None, **params):
    """Run an algorithm once per value of one parameter; one step per value.

    Parameters
    ----------
    algorithm : str
        Any name :func:`animate.run` accepts.
    X : array-like of shape (n_samples, n_features)
        The points to cluster.
    parameter : str
        The parameter that changes, scikit-learn's name ("bandwidth", "eps"...).
    values : sequence
        Its values, in the order they are shown.
    y : array-like of shape (n_samples,), optional
        True labels, if known: colours are matched to them.
    **params
        The parameters that stay fixed.

    Returns
    -------
    Trace
        ``algorithm == "sweep"``; step ``i`` holds the final labels for
        ``values[i]`` and the fields ``value``, ``n_clusters``, ``converged``
        and, when the algorithm has them, ``centers``. ``trace.params`` names
        the algorithm, the parameter and its values besides the fixed ones.
    """
    name = algorithms.canonical(algorithm)
    _check_sweep(name, parameter, values, params)
    steps, runs = [], []
    for i, value in enumerate(values):
        result = run(name, X, y=y, **params, **{parameter: value})
        runs.append(result)
        steps.append(_answer(i, name, parameter, value, result))
    meta = {"algorithm": name, "parameter": parameter, "values": list(values), **params}
    converged = all(r.converged for r in runs)
    first = runs[0]
    names = {"feature_names": first.feature_names, "label_names": first.label_names}
    return Trace("sweep", first.X, tuple(steps), meta, len(values), converged, first.y, **names)


def _check_sweep(name, parameter, values, params):
    accepted = parameters(name)
    if parameter not in accepted:
        raise UserError(
            f"{name} has no parameter {parameter!r} to sweep; it takes {', '.join(accepted)}"
        )
    if parameter in params:
        raise UserError(f"{parameter!r} is both swept and fixed; give it only as the swept one")
    if isinstance(values, str) or not hasattr(values, "__len__") or len(values) < 2:
        raise UserError(f"a sweep of {parameter!r} needs a list of at least two values")


def _answer(i, name, parameter, value, result):
    final = result.final
    k = count_clusters(final.labels)
    state = "" if result.converged else " It did not converge."
    fields = {"value": value, "n_clusters": k, "converged": result.converged}
    if "centers" in final.fields:
        fields["centers"] = final.centers
    shown = algorithms.DISPLAY_NAMES[name]
    message = f"With {parameter} = {short(value)}, {shown} finds {plural(k, 'cluster')}.{state}"
    return Step(i, "sweep", final.labels, message, **fields)


def count_clusters(labels):
    """Clusters in a label array; noise (-1) is not a cluster."""
    labels = np.asarray(labels)
    return len(np.unique(labels[labels >= 0]))


def plural(count, noun):
    """ "1 cluster", "4 clusters"."""
    return f"{count} {noun}{'s' * (count != 1)}"


def short(value):
    """A parameter value for a title: floats in their shortest form."""
    return f"{value:g}" if isinstance(value, float) else str(value)

"""``sweep``: one parameter changed frame by frame, every frame an algorithm's answer.

This is "bandwidth on the run": the animation is not the steps of one run but
the final labels of one run per parameter value, so that a viewer sees the
clusters split or merge as the parameter grows.
"""

from __future__ import annotations

import numpy as np

from animate import algorithms, choosing
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
        A sweep of the number of clusters (``n_clusters``, ``n_components``)
        also gives every step what k is judged by (see
        :func:`animate.choosing.k_scores`): ``inertia`` (the within-cluster
        sum of squares), ``silhouette``, ``silhouette_samples``, for EM ``bic``
        and ``aic``, and ``elbow``, the value at the elbow of the inertia
        curve (:func:`animate.choosing.elbow`; None without one).
    """
    name = algorithms.canonical(algorithm)
    _check_sweep(name, parameter, values, params)
    runs = [run(name, X, y=y, **params, **{parameter: value}) for value in values]
    judged = _judge(parameter, values, runs)
    steps = [
        _answer(i, name, parameter, value, result, judged[i])
        for i, (value, result) in enumerate(zip(values, runs))
    ]
    elbow = judged[-1].get("elbow")
    if elbow is not None:
        last = steps[-1]
        message = f"{last.message} The elbow of the within-cluster sum of squares is at {elbow}."
        steps[-1] = Step(last.iteration, last.phase, last.labels, message, **last.fields)
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


def _judge(parameter, values, runs):
    """Per value, the scores of its answer when the number of clusters is swept; else nothing."""
    if parameter not in choosing.CLUSTER_COUNTS:
        return [{} for _ in runs]
    judged = [choosing.k_scores(result) for result in runs]
    at = choosing.elbow(values, [scores["inertia"] for scores in judged])
    for scores in judged:
        scores["elbow"] = None if at is None else values[at]
    return judged


def _answer(i, name, parameter, value, result, judged):
    final = result.final
    k = count_clusters(final.labels)
    state = "" if result.converged else " It did not converge."
    fields = {"value": value, "n_clusters": k, "converged": result.converged, **judged}
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

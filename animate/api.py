"""``run``: one algorithm on one data set, collected into a Trace."""

from __future__ import annotations

from animate.algorithms import registry
from animate.datasets import validate_data, validate_labels
from animate.trace import Trace


def run(algorithm, X, *, y=None, **params):
    """Run a clustering algorithm step by step and keep every snapshot.

    Parameters
    ----------
    algorithm : str
        An algorithm's name or alias, as ``animate.ALGORITHMS`` lists them
        ("kmeans", "em", "meanshift", "affinity", "dbscan", "agglomerative"...);
        ``clustergif list`` shows each with its parameters.
    X : array-like of shape (n_samples, n_features)
        The points to cluster.
    y : array-like of shape (n_samples,), optional
        True labels, if known: colours are then matched to them. Whole numbers
        are kept; other labels (text...) are numbered in sorted order.
    **params
        The algorithm's parameters, named as in scikit-learn (``n_clusters``,
        ``eps``, ``bandwidth``...). Each is checked before the first step.

    Returns
    -------
    Trace
        ``trace.steps`` from the initial to the final state, ``trace.final``,
        ``trace.n_iter``, ``trace.converged``; ``trace.params`` holds every
        parameter, defaults included.
    """
    spec = registry.spec(algorithm)
    X = validate_data(X)
    if y is not None:
        y = validate_labels(y, len(X))
    params = spec.resolve(params, len(X))
    steps, info = collect(spec.func(X, **params))
    if "best_run" not in info:
        return Trace(spec.name, X, tuple(steps), params, info["n_iter"], info["converged"], y)
    best = info["best_run"]
    runs = tuple(
        Trace(spec.name, X, tuple(s for s in steps if s.run == r), params, *run, y, (), best)
        for r, run in enumerate(info["runs"])
    )
    kept = runs[best]
    return Trace(spec.name, X, kept.steps, params, kept.n_iter, kept.converged, y, runs, best)


def parameters(algorithm):
    """``{name: default}`` of an algorithm's parameters."""
    return dict(registry.spec(algorithm).defaults)


def collect(generator):
    """Run an algorithm's generator to the end: ``(steps, info)``, its Steps and returned dict."""
    steps = []
    while True:
        try:
            steps.append(next(generator))
        except StopIteration as stop:
            return steps, stop.value

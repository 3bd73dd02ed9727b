"""``run``: one algorithm on one data set, collected into a Trace."""

from __future__ import annotations

import inspect

from animate import algorithms
from animate.datasets import validate_data
from animate.errors import UserError
from animate.trace import Trace


def run(algorithm, X, *, y=None, **params):
    """Run a clustering algorithm step by step and keep every snapshot.

    Parameters
    ----------
    algorithm : str
        "kmeans", "em" (or "gmm"), "meanshift", "affinity", "dbscan" or
        "agglomerative" (or "hierarchical").
    X : array-like of shape (n_samples, n_features)
        The points to cluster.
    y : array-like of shape (n_samples,), optional
        True labels, if known: colours are then matched to them.
    **params
        The algorithm's parameters, named as in scikit-learn (``n_clusters``,
        ``eps``, ``bandwidth``...).

    Returns
    -------
    Trace
        ``trace.steps`` from the initial to the final state, ``trace.final``,
        ``trace.n_iter``, ``trace.converged``.
    """
    name = algorithms.canonical(algorithm)
    X = validate_data(X)
    if y is not None and len(y) != len(X):
        raise UserError(f"y has {len(y)} labels for {len(X)} points; give one label per point")
    func = algorithms.generator(name)
    check_params(name, params)
    steps, info = collect(func(X, **params))
    if "best_run" not in info:
        return Trace(name, X, tuple(steps), dict(params), info["n_iter"], info["converged"], y)
    runs = tuple(
        Trace(name, X, tuple(s for s in steps if s.run == r), dict(params), n_iter, converged, y)
        for r, (n_iter, converged) in enumerate(info["runs"])
    )
    best = runs[info["best_run"]]
    return Trace(name, X, best.steps, dict(params), best.n_iter, best.converged, y, runs)


def check_params(algorithm, params):
    """Raise UserError if ``params`` names a parameter the algorithm does not take."""
    accepted = parameters(algorithm)
    for key in params:
        if key not in accepted:
            raise UserError(f"{algorithm} has no parameter {key!r}; it takes {', '.join(accepted)}")


def parameters(algorithm):
    """``{name: default}`` of an algorithm's parameters."""
    signature = inspect.signature(algorithms.generator(algorithm))
    return {name: p.default for name, p in list(signature.parameters.items())[1:]}


def collect(generator):
    """Run an algorithm's generator to the end: ``(steps, info)``, its Steps and returned dict."""
    steps = []
    while True:
        try:
            steps.append(next(generator))
        except StopIteration as stop:
            return steps, stop.value

"""``run``: one algorithm on one data set, collected into a Trace."""

from __future__ import annotations

from animate.algorithms import registry
from animate.datasets import table
from animate.trace import Trace


def run(algorithm, X, *, y=None, columns=None, label_column=None, **params):
    """Run a clustering algorithm step by step and keep every snapshot.

    Parameters
    ----------
    algorithm : str or scikit-learn estimator
        An algorithm's name or alias, as ``animate.ALGORITHMS`` lists them
        ("kmeans", "em", "meanshift", "affinity", "dbscan", "agglomerative"...);
        ``clustergif list`` shows each with its parameters. Or a configured
        scikit-learn estimator (``KMeans(n_clusters=3)``, ``DBSCAN(eps=0.3)``...):
        its parameters are read from ``get_params()``, and one the step-by-step
        version cannot reproduce is refused, never ignored.
    X : array-like of shape (n_samples, n_features), pandas.DataFrame or Table
        The points to cluster. A DataFrame's column names label the axes; a
        :class:`animate.datasets.Table` (from ``datasets.read_csv``) keeps its names too.
    y : array-like of shape (n_samples,), optional
        True labels, if known: colours are matched to them. Text or
        categorical labels are numbered (sorted, or in the categories' order)
        and their names shown in a legend.
    columns : list of str, optional
        A DataFrame's feature columns; default: every column but ``label_column``.
    label_column : str, optional
        A DataFrame's column of true labels, taken out of the features.
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
    if isinstance(algorithm, str) or not hasattr(algorithm, "get_params"):
        spec = registry.spec(algorithm)
    else:
        spec, estimator_params = registry.from_estimator(algorithm)
        params = {**estimator_params, **params}
    data = table(X, y, columns, label_column)
    X, y = data.X, data.y
    names = {"feature_names": data.feature_names, "label_names": data.label_names}
    params = spec.resolve(params, len(X))
    steps, info = collect(spec.func(X, **params))
    if "best_run" not in info:
        return Trace(
            spec.name, X, tuple(steps), params, info["n_iter"], info["converged"], y, **names
        )
    best = info["best_run"]
    runs = tuple(
        Trace(
            spec.name, X, tuple(s for s in steps if s.run == r), params, *run, y, (), best, **names
        )
        for r, run in enumerate(info["runs"])
    )
    kept = runs[best]
    return Trace(
        spec.name, X, kept.steps, params, kept.n_iter, kept.converged, y, runs, best, **names
    )


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

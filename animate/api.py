"""``run``: one algorithm on one data set, collected into a Trace."""

from __future__ import annotations

from animate.algorithms import registry
from animate.datasets import table
from animate.trace import LabelLog, Trace


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
    names = {
        "feature_names": data.feature_names,
        "label_names": data.label_names,
        "data_kind": data.data_kind,
        "image_shape": data.image_shape,
    }
    params = spec.resolve(params, len(X))
    # One BLAS thread: the matrices of a step are small, and with every core's thread a
    # busy machine ran EM 3-12x slower (measured up to 100,000 points: never faster).
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
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
    # Labels go into one log as the steps come: a run of n merges keeps what changed
    # in each, not n copies of n labels.
    steps, log = [], LabelLog()
    while True:
        try:
            steps.append(log.take(next(generator)))
        except StopIteration as stop:
            return steps, stop.value


def estimator(algorithm, **params):
    """A scikit-learn-style object for ``algorithm``: ``fit(X)`` runs it and keeps the trace.

    >>> model = animate.estimator("kmeans", n_clusters=3).fit(X)  # doctest: +SKIP
    >>> model.labels_, model.cluster_centers_, model.n_iter_, model.trace_  # doctest: +SKIP

    Each field of the final step becomes an attribute with a trailing
    underscore (``means_``, ``covariances_``, ``weights_`` for EM), ``centers``
    also ``cluster_centers_``; parameters are checked when it is fitted.
    """
    return StepByStep(algorithm, **params)


class StepByStep:
    """What :func:`estimator` returns: ``fit``, ``fit_predict``, ``get_params``, ``set_params``."""

    def __init__(self, algorithm, **params):
        self.algorithm, self.params = algorithm, params

    def get_params(self, deep=True):
        return {"algorithm": self.algorithm, **self.params}

    def set_params(self, **params):
        self.algorithm = params.pop("algorithm", self.algorithm)
        self.params.update(params)
        return self

    def fit(self, X, y=None):
        self.trace_ = run(self.algorithm, X, y=y, **self.params)
        final = self.trace_.final
        self.labels_, self.n_iter_ = final.labels, self.trace_.n_iter
        for name, value in final.fields.items():
            setattr(self, f"{name}_", value)
        if "centers" in final.fields:
            self.cluster_centers_ = final.centers
        return self

    def fit_predict(self, X, y=None):
        return self.fit(X, y).labels_

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"animate.estimator({self.algorithm!r}{', ' if params else ''}{params})"

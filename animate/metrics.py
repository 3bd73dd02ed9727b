"""Scores of a clustering: against the true labels, or from the data alone.

``adjusted_rand_index`` is the fast ARI of the status line, computed every
frame; the functions named as in ``sklearn.metrics`` return scikit-learn's
values; ``bic`` and ``aic`` rate a fitted Gaussian mixture (an EM trace).
"""

from __future__ import annotations

import numpy as np

from animate.errors import UserError


def adjusted_rand_index(truth, labels):
    """scikit-learn's ``adjusted_rand_score`` of two labelings.

    1 for the same partition, about 0 for a chance one. Noise (-1) counts as a
    cluster, as in scikit-learn. Computed from the contingency table alone:
    scikit-learn's input validation costs about 2 ms a call, and a grid of
    panels asks once per panel and frame.
    """
    return _ari(_contingency(truth, labels))


def _contingency(truth, labels):
    """The (true classes x clusters) table of counts, as floats."""
    _, rows = np.unique(truth, return_inverse=True)
    _, cols = np.unique(labels, return_inverse=True)
    n_rows, n_cols = (rows.max() + 1, cols.max() + 1) if len(rows) else (1, 1)
    counts = np.bincount(rows * n_cols + cols, minlength=n_rows * n_cols)
    return counts.reshape(n_rows, n_cols).astype(float)


def _ari(table):
    n = table.sum()
    together = (table * (table - 1)).sum() / 2
    in_truth = (table.sum(axis=1) * (table.sum(axis=1) - 1)).sum() / 2
    in_labels = (table.sum(axis=0) * (table.sum(axis=0) - 1)).sum() / 2
    expected = in_truth * in_labels / (n * (n - 1) / 2) if n > 1 else 0.0
    best = (in_truth + in_labels) / 2
    if best == expected:
        # Both are one cluster, or both put every point alone: the same partition.
        return 1.0
    return float((together - expected) / (best - expected))


def _entropy(counts):
    """Entropy (natural log) of a labeling from its cluster sizes, as scikit-learn's."""
    counts = counts[counts > 0]
    if counts.size <= 1:
        return 0.0
    total = counts.sum()
    return float(-np.sum((counts / total) * (np.log(counts) - np.log(total))))


def _mutual_info(table):
    """Mutual information of the two labelings of a contingency table, as scikit-learn's."""
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    if np.count_nonzero(rows) == 1 or np.count_nonzero(cols) == 1:
        return 0.0
    i, j = np.nonzero(table)
    counts, total = table[i, j], table.sum()
    share = counts / total
    log_outer = -np.log(rows[i] * cols[j]) + np.log(rows.sum()) + np.log(cols.sum())
    mi = share * (np.log(counts) - np.log(total)) + share * log_outer
    mi = np.where(np.abs(mi) < np.finfo(mi.dtype).eps, 0.0, mi)
    return float(max(mi.sum(), 0.0))


def contingency_scores(truth, labels):
    """ARI, homogeneity, completeness, V-measure and Fowlkes-Mallows from one contingency table.

    Each equals scikit-learn's function of the same name (within 1e-12), at a
    fraction of the cost: the status line asks for them at every frame. Measured
    on 300 points: 0.8 ms for all five, against 52 ms for scikit-learn's five calls.

    Returns
    -------
    dict
        ``{"ari", "homogeneity", "completeness", "v_measure", "fmi"}`` to floats.
    """
    table = _contingency(truth, labels)
    n = table.sum()
    if n == 0:
        return dict.fromkeys(("ari", "homogeneity", "completeness", "v_measure", "fmi"), 1.0)
    mi = _mutual_info(table)
    entropy_truth, entropy_labels = _entropy(table.sum(axis=1)), _entropy(table.sum(axis=0))
    homogeneity = mi / entropy_truth if entropy_truth else 1.0
    completeness = mi / entropy_labels if entropy_labels else 1.0
    total = homogeneity + completeness
    v_measure = 0.0 if total == 0 else 2 * homogeneity * completeness / total
    together = float(np.dot(table.ravel(), table.ravel()) - n)
    pairs_labels = float(np.sum(table.sum(axis=0) ** 2) - n)
    pairs_truth = float(np.sum(table.sum(axis=1) ** 2) - n)
    fmi = (
        float(np.sqrt(together / pairs_labels) * np.sqrt(together / pairs_truth))
        if together != 0
        else 0.0
    )
    return {
        "ari": _ari(table),
        "homogeneity": float(homogeneity),
        "completeness": float(completeness),
        "v_measure": float(v_measure),
        "fmi": fmi,
    }


# scikit-learn's scores, by its names and signatures --------------------------------------
# Each calls scikit-learn (imported on first use) so the values are its values.
# Measured on 400 points on this 2-core machine under load: 7-21 ms a call for the
# label scores, 5-24 ms for the scores on X. That is fine once per GIF; per frame
# and per panel it adds up (a 24-panel grid of 60 frames: ~20 s), which is why the
# status line's ARI above is computed from the contingency table instead.


def adjusted_rand_score(labels_true, labels_pred):
    """Rand index adjusted for chance: 1 for the same partition, about 0 for a random one."""
    return _score("adjusted_rand_score", labels_true, labels_pred)


def adjusted_mutual_info_score(labels_true, labels_pred, *, average_method="arithmetic"):
    """Mutual information adjusted for chance: 1 for the same partition, about 0 at random."""
    return _score(
        "adjusted_mutual_info_score", labels_true, labels_pred, average_method=average_method
    )


def homogeneity_score(labels_true, labels_pred):
    """1 when every cluster holds points of a single true class (over-splitting is not punished)."""
    return _score("homogeneity_score", labels_true, labels_pred)


def completeness_score(labels_true, labels_pred):
    """1 when every true class lies in a single cluster (merging is not punished)."""
    return _score("completeness_score", labels_true, labels_pred)


def v_measure_score(labels_true, labels_pred, *, beta=1.0):
    """The weighted harmonic mean of homogeneity and completeness (``beta`` weighs completeness)."""
    return _score("v_measure_score", labels_true, labels_pred, beta=beta)


def fowlkes_mallows_score(labels_true, labels_pred):
    """Geometric mean of pairwise precision and recall: of the pairs kept together, how right."""
    return _score("fowlkes_mallows_score", labels_true, labels_pred)


def silhouette_score(X, labels, *, metric="euclidean", sample_size=None, random_state=None, **kwds):
    """Mean silhouette over the points: near 1 for tight, well separated clusters."""
    _check_cluster_count("silhouette_score", labels)
    return _score(
        "silhouette_score",
        X,
        labels,
        metric=metric,
        sample_size=sample_size,
        random_state=random_state,
        **kwds,
    )


def silhouette_samples(X, labels, *, metric="euclidean", **kwds):
    """Each point's silhouette (b - a) / max(a, b): a = mean distance within its cluster,
    b = mean distance to the nearest other cluster."""
    _check_cluster_count("silhouette_samples", labels)
    return _score("silhouette_samples", X, labels, metric=metric, **kwds)


def calinski_harabasz_score(X, labels):
    """Between-cluster over within-cluster dispersion, scaled by the degrees of freedom:
    higher is better."""
    _check_cluster_count("calinski_harabasz_score", labels)
    return _score("calinski_harabasz_score", X, labels)


def davies_bouldin_score(X, labels):
    """Mean over clusters of the worst ratio of spread to separation: lower is better, 0 best."""
    _check_cluster_count("davies_bouldin_score", labels)
    return _score("davies_bouldin_score", X, labels)


def _check_cluster_count(name, labels):
    # scikit-learn's own message names "n_samples - 1" without saying what to change.
    labels = np.asarray(labels)
    if labels.ndim == 1 and len(labels) > 1:
        count = len(np.unique(labels))
        if not 2 <= count <= len(labels) - 1:
            raise UserError(
                f"{name} needs between 2 and {len(labels) - 1} clusters (one fewer than the "
                f"points), got {count}; score a clustering with more than one cluster and "
                "some cluster of two or more points"
            )


def _score(name, *args, **kwargs):
    import sklearn.metrics  # on first use: slow to import

    try:
        value = getattr(sklearn.metrics, name)(*args, **kwargs)
    except ValueError as exc:
        # One line, scikit-learn's reason: the labels' length, a NaN in X...
        reason = " ".join(str(exc).split())
        raise UserError(f"{name} cannot score this input: {reason}") from None
    return value if isinstance(value, np.ndarray) else float(value)


# Information criteria of a Gaussian mixture -------------------------------------------


def bic(trace, X=None):
    """Bayesian information criterion of the mixture an EM trace ends with: lower is better.

    ``-2 * log-likelihood + n_parameters * log(n_samples)``, equal to
    ``GaussianMixture.bic(X)`` for the same fitted model.

    Parameters
    ----------
    trace : Trace
        A run of ``em``.
    X : ndarray of shape (n_samples, n_features), optional
        The points to score; default the data the trace ran on.
    """
    X, log_likelihood, n_parameters = _mixture_fit(trace, X)
    return float(-2 * log_likelihood * X.shape[0] + n_parameters * np.log(X.shape[0]))


def aic(trace, X=None):
    """Akaike information criterion of the mixture an EM trace ends with: lower is better.

    ``-2 * log-likelihood + 2 * n_parameters``, equal to ``GaussianMixture.aic(X)``
    for the same fitted model. Parameters as :func:`bic`.
    """
    X, log_likelihood, n_parameters = _mixture_fit(trace, X)
    return float(-2 * log_likelihood * X.shape[0] + 2 * n_parameters)


def _mixture_fit(trace, X):
    """The data, the mean log-likelihood of a point under the final mixture, and the
    number of free parameters, as ``GaussianMixture.score`` and ``_n_parameters``."""
    from animate.algorithms._em import _e_step, _precisions_cholesky
    from animate.datasets import validate_data

    if trace.algorithm != "em":
        raise UserError(
            f"BIC and AIC rate a Gaussian mixture, not a {trace.algorithm} run; "
            "pass a trace of animate.run('em', ...)"
        )
    X = trace.X if X is None else validate_data(X)
    final, covariance_type = trace.final, trace.params["covariance_type"]
    n_components, n_features = final.means.shape
    if X.shape[1] != n_features:
        raise UserError(
            f"X has {X.shape[1]} features but the mixture was fitted on {n_features}; "
            "score data with the same columns"
        )
    model = {"means": final.means, "covariances": final.covariances, "weights": final.weights}
    precisions_chol = _precisions_cholesky(final.covariances, covariance_type)
    log_likelihood, _ = _e_step(X, model, precisions_chol, covariance_type)
    covariance_parameters = {
        "full": n_components * n_features * (n_features + 1) / 2.0,
        "diag": n_components * n_features,
        "tied": n_features * (n_features + 1) / 2.0,
        "spherical": n_components,
    }[covariance_type]
    n_parameters = int(covariance_parameters + n_features * n_components + n_components - 1)
    return X, log_likelihood, n_parameters


# The status line's scores --------------------------------------------------------------

# Short name: (how the status line writes it, what it needs: true labels or the data).
STATUS_SCORES = {
    "ari": ("ARI", "truth"),
    "ami": ("AMI", "truth"),
    "homogeneity": ("homogeneity", "truth"),
    "completeness": ("completeness", "truth"),
    "v_measure": ("V-measure", "truth"),
    "fmi": ("FMI", "truth"),
    "silhouette": ("silhouette", "data"),
    "calinski_harabasz": ("Calinski-Harabasz", "data"),
    "davies_bouldin": ("Davies-Bouldin", "data"),
}

_DATA_SCORES = {
    "silhouette": silhouette_score,
    "calinski_harabasz": calinski_harabasz_score,
    "davies_bouldin": davies_bouldin_score,
}


def status_metrics(names):
    """``names`` checked against :data:`STATUS_SCORES`, duplicates dropped, order kept."""
    if isinstance(names, str):
        names = [names]
    unknown = [name for name in names if name not in STATUS_SCORES]
    if unknown:
        raise UserError(f"unknown metric {unknown[0]!r}; choose from {', '.join(STATUS_SCORES)}")
    return tuple(dict.fromkeys(names))


def needs_truth(names):
    """Whether any of the status metrics ``names`` compares with true labels."""
    return any(STATUS_SCORES[name][1] == "truth" for name in names)


class StatusScores:
    """The chosen scores of one trace's labelings, as the status line writes them.

    Label scores come from one contingency table (:func:`contingency_scores`);
    AMI and the scores on X call scikit-learn, once per distinct labeling: a
    panel that holds its last step asks again every frame.

    Parameters
    ----------
    names : sequence of str
        Keys of :data:`STATUS_SCORES`, in the order shown.
    X : ndarray of shape (n_samples, n_features)
    truth : ndarray of shape (n_samples,) or None
        True labels; without them the label scores are left out.
    """

    def __init__(self, names, X, truth):
        self.names = [n for n in names if truth is not None or STATUS_SCORES[n][1] != "truth"]
        self.X, self.truth, self._cache = X, truth, {}

    def values(self, labels):
        """``{name: value}``; None where the score is undefined (one cluster on X)."""
        labels = np.asarray(labels)
        key = labels.tobytes()
        if key not in self._cache:
            self._cache[key] = self._compute(labels)
        return self._cache[key]

    def _compute(self, labels):
        values = {}
        if any(STATUS_SCORES[n][1] == "truth" and n != "ami" for n in self.names):
            values.update(contingency_scores(self.truth, labels))
        if "ami" in self.names:
            values["ami"] = adjusted_mutual_info_score(self.truth, labels)
        clusters = len(np.unique(labels))
        for name in self.names:
            if STATUS_SCORES[name][1] == "data":
                # Undefined for one cluster or all points alone (first steps: all unassigned).
                defined = 2 <= clusters <= len(labels) - 1
                values[name] = _DATA_SCORES[name](self.X, labels) if defined else None
        return values

    def text(self, labels):
        """ " · ARI 0.97 · silhouette 0.61" ("–" where undefined), or "" with no scores."""
        values = self.values(labels)
        return "".join(
            f" · {STATUS_SCORES[name][0]} {_two_places(values[name])}" for name in self.names
        )


def _two_places(value):
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    # Rounded to two places, a tiny negative score would read "-0.00".
    return f"{0.0 if abs(value) < 0.005 else value:.2f}"

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
    _, rows = np.unique(truth, return_inverse=True)
    _, cols = np.unique(labels, return_inverse=True)
    table = np.zeros((rows.max() + 1, cols.max() + 1))
    np.add.at(table, (rows, cols), 1)
    n = float(len(rows))
    together = (table * (table - 1)).sum() / 2
    in_truth = (table.sum(axis=1) * (table.sum(axis=1) - 1)).sum() / 2
    in_labels = (table.sum(axis=0) * (table.sum(axis=0) - 1)).sum() / 2
    expected = in_truth * in_labels / (n * (n - 1) / 2) if n > 1 else 0.0
    best = (in_truth + in_labels) / 2
    if best == expected:
        # Both are one cluster, or both put every point alone: the same partition.
        return 1.0
    return float((together - expected) / (best - expected))


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

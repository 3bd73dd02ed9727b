"""How many clusters: what a sweep over the number of clusters is judged by.

For each k: the within-cluster sum of squares (the elbow curve), the mean and
per-point silhouettes, and for a Gaussian mixture its BIC and AIC; over the
whole sweep, the elbow. :func:`animate.sweep` adds these to every step when it
sweeps ``n_clusters`` or ``n_components``, so painters only draw them.
"""

from __future__ import annotations

import numpy as np

from animate import metrics

# Sweeping one of these sweeps the number of clusters.
CLUSTER_COUNTS = ("n_clusters", "n_components")
# The scores against true labels a sweep of k carries, in the order they are drawn.
LABEL_SCORES = ("homogeneity", "completeness", "v_measure", "ari")


def within_cluster_ss(X, labels):
    """Sum over clusters of the squared distances of their points to their mean.

    k-means' inertia, for any clustering; noise points (-1) are left out.
    """
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    kept = labels >= 0
    X, labels = X[kept], labels[kept]
    if len(labels) == 0:
        return 0.0
    _, clusters, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    sums = np.stack([np.bincount(clusters, X[:, j]) for j in range(X.shape[1])], axis=1)
    means = sums / sizes[:, None]
    return float(((X - means[clusters]) ** 2).sum())


def elbow(values, curve):
    """Index of the elbow of a falling curve, or None when it is straight.

    The rule is the point farthest below the chord joining the first and last
    points, with both axes scaled to [0, 1] (Kneedle's "difference curve"
    maximum, without its smoothing and its threshold). It is 0 for a straight
    line and never picks the two ends.

    Parameters
    ----------
    values : sequence of float
        The x axis (k), increasing.
    curve : sequence of float
        The falling score (within-cluster sum of squares).
    """
    x, y = np.asarray(values, dtype=float), np.asarray(curve, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    x = (x - x[0]) / (x[-1] - x[0])
    y = (y - y.min()) / np.ptp(y)
    chord = y[0] + (y[-1] - y[0]) * x
    below = chord - y
    best = int(np.argmax(below))
    # Rounding leaves a straight line a hair above or below its chord.
    return best if below[best] > 1e-9 else None


def k_scores(result):
    """The scores a k is judged by, for the final clustering of one run.

    Returns
    -------
    dict
        ``inertia`` (within-cluster sum of squares), ``silhouette`` (mean; NaN
        for fewer than two clusters) and ``silhouette_samples`` (n,) (NaN
        likewise); for EM also ``bic`` and ``aic``; with true labels (``result.y``)
        also ``homogeneity``, ``completeness``, ``v_measure`` and ``ari``, and
        ``random_scores`` (4,): the same four for the same labels shuffled
        among the points, a random clustering with the same cluster sizes.
    """
    X, labels = result.X, result.final.labels
    scores = {"inertia": within_cluster_ss(X, labels)}
    if result.y is not None:
        against_truth = metrics.contingency_scores(result.y, labels)
        scores.update({name: against_truth[name] for name in LABEL_SCORES})
        # Seeded: the same sweep draws the same baseline. V-measure is not adjusted
        # for chance and rises with k even for random labels; ARI stays near 0.
        shuffled = np.random.default_rng(0).permutation(labels)
        chance = metrics.contingency_scores(result.y, shuffled)
        scores["random_scores"] = np.array([chance[name] for name in LABEL_SCORES])
    if 2 <= len(np.unique(labels)) <= len(labels) - 1:
        samples = metrics.silhouette_samples(X, labels)
        scores.update(silhouette=float(samples.mean()), silhouette_samples=samples)
    else:
        scores.update(silhouette=float("nan"), silhouette_samples=np.full(len(labels), np.nan))
    if result.algorithm == "em":
        scores.update(bic=metrics.bic(result), aic=metrics.aic(result))
    return scores

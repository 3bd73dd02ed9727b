"""The step-instrumented clustering algorithms: pure numpy, no drawing.

Each algorithm is a generator function ``algorithm(X, **params)`` that yields
:class:`animate.trace.Step` snapshots, validates its parameters before the
first one, and returns ``{"n_iter": ..., "converged": ...}``. Parameter names
and meanings are scikit-learn's.
"""

from animate.algorithms._affinity import affinity
from animate.algorithms._agglomerative import agglomerative
from animate.algorithms._dbscan import dbscan
from animate.algorithms._em import em
from animate.algorithms._kmeans import kmeans
from animate.algorithms._meanshift import estimate_bandwidth, meanshift
from animate.errors import UserError

ALGORITHMS = ("kmeans", "em", "meanshift", "affinity", "dbscan", "agglomerative")
# How titles and captions name them.
DISPLAY_NAMES = {
    "kmeans": "k-means",
    "em": "EM",
    "meanshift": "mean shift",
    "affinity": "affinity propagation",
    "dbscan": "DBSCAN",
    "agglomerative": "agglomerative clustering",
}
ALIASES = {
    "gmm": "em",
    "affinity_propagation": "affinity",
    "hierarchical": "agglomerative",
    "k-means": "kmeans",
    "mean_shift": "meanshift",
}

_GENERATORS = {
    "kmeans": kmeans,
    "em": em,
    "meanshift": meanshift,
    "affinity": affinity,
    "dbscan": dbscan,
    "agglomerative": agglomerative,
}


def canonical(name):
    """The canonical name of an algorithm or of one of its aliases."""
    key = str(name).lower()
    key = ALIASES.get(key, key)
    if key not in ALGORITHMS:
        raise UserError(f"unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}")
    if key not in _GENERATORS:
        raise UserError(f"algorithm {key!r} is not available yet in this version")
    return key


def generator(name):
    """The generator function of an algorithm, by name or alias."""
    return _GENERATORS[canonical(name)]


__all__ = [
    "ALGORITHMS",
    "ALIASES",
    "DISPLAY_NAMES",
    "affinity",
    "agglomerative",
    "canonical",
    "dbscan",
    "em",
    "estimate_bandwidth",
    "generator",
    "kmeans",
]

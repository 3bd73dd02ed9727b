"""The step-instrumented clustering algorithms: pure numpy, no drawing.

Each algorithm is a generator function ``algorithm(X, **params)`` that yields
:class:`animate.trace.Step` snapshots and returns ``{"n_iter": ...,
"converged": ...}``. Parameter names and meanings are scikit-learn's. Each
module registers its algorithm with :func:`animate.algorithms.registry.algorithm`;
the names below are read from that registry, never listed by hand.
"""

from animate.algorithms import registry
from animate.algorithms._meanshift import estimate_bandwidth

ALGORITHMS = registry.names()
ALIASES = registry.aliases()
# How titles and captions name them.
DISPLAY_NAMES = {s.name: s.display for s in registry.specs()}
globals().update({name: registry.function(name) for name in ALGORITHMS})


def canonical(name):
    """The canonical name of an algorithm or of one of its aliases."""
    return registry.spec(name).name


def generator(name):
    """The generator function of an algorithm, by name or alias (it checks its input)."""
    return registry.function(name)


__all__ = [
    "ALGORITHMS",
    "ALIASES",
    "DISPLAY_NAMES",
    "canonical",
    "estimate_bandwidth",
    "generator",
    "registry",
    *ALGORITHMS,
]

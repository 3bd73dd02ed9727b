"""clustergif: clustering algorithms, step by step, as animated GIFs.

>>> import animate
>>> X, y = animate.datasets.make("moons", n_samples=300, noise=0.05, random_state=0)
>>> trace = animate.run("kmeans", X, n_clusters=2, random_state=0)
>>> animate.render(trace, "output/kmeans_moons.gif", size=(480, 480))  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from animate import datasets
from animate.algorithms import ALGORITHMS
from animate.api import estimator, run
from animate.errors import UserError
from animate.render import compare, render
from animate.scenes import load_scene
from animate.sweep import sweep
from animate.trace import Step, Trace

try:
    __version__ = version("clustergif")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ALGORITHMS",
    "Step",
    "Trace",
    "UserError",
    "__version__",
    "compare",
    "datasets",
    "estimator",
    "load_scene",
    "render",
    "run",
    "sweep",
]

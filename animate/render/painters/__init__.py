"""One painter per algorithm, by canonical algorithm name, imported when first needed."""

import importlib

from animate.errors import UserError

_PAINTERS = {
    "kmeans": "kmeans:KMeansPainter",
    "minibatch": "minibatch:MiniBatchPainter",
    "spectral": "spectral:SpectralPainter",
    "em": "em:EMPainter",
    "meanshift": "meanshift:MeanShiftPainter",
    "affinity": "affinity:AffinityPainter",
    "dbscan": "dbscan:DBSCANPainter",
    "agglomerative": "agglomerative:AgglomerativePainter",
    "sweep": "sweep:SweepPainter",
}


def painter_for(algorithm):
    """The painter class that draws traces of ``algorithm``."""
    module, _, name = _PAINTERS.get(algorithm, ":").partition(":")
    try:
        return getattr(importlib.import_module(f"animate.render.painters.{module}"), name)
    except (ImportError, AttributeError, ValueError):
        raise UserError(f"no painter draws {algorithm!r} traces yet") from None

"""One painter per algorithm, by canonical algorithm name."""

from animate.errors import UserError
from animate.render.painters.kmeans import KMeansPainter

PAINTERS = {"kmeans": KMeansPainter}


def painter_for(algorithm):
    """The painter class that draws traces of ``algorithm``."""
    try:
        return PAINTERS[algorithm]
    except KeyError:
        raise UserError(f"no painter draws {algorithm!r} traces yet") from None

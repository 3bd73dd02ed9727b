"""Painters, one per algorithm: each module declares what it draws with ``@paints``.

Modules are found by walking this package when a painter is first asked for,
so adding a painter edits no list here.
"""

import functools
import importlib
import pkgutil

from animate.errors import UserError
from animate.render.painters.base import _PAINTERS, Painter, PanelContext, Title, paints


@functools.cache
def _discover():
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return True


def painter_for(algorithm, kind="points"):
    """The painter class that draws traces of ``algorithm`` on data of ``kind``
    (a trace's ``data_kind``): one registered for both, else the algorithm's own."""
    _discover()
    painter = _PAINTERS.get((algorithm, kind)) or _PAINTERS.get((algorithm, None))
    if painter is None:
        raise UserError(f"no painter draws {algorithm!r} traces yet")
    return painter


__all__ = ["Painter", "PanelContext", "Title", "painter_for", "paints"]

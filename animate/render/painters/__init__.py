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


def painter_for(algorithm):
    """The painter class that draws traces of ``algorithm``."""
    _discover()
    try:
        return _PAINTERS[algorithm]
    except KeyError:
        raise UserError(f"no painter draws {algorithm!r} traces yet") from None


__all__ = ["Painter", "PanelContext", "Title", "painter_for", "paints"]

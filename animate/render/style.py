"""The look shared by every frame: colours, markers, fonts, sizes, and the themes.

A :class:`Theme` holds every colour a frame uses; ``light`` (the default) and
``dark`` are the two themes. Painters read the colours of the theme in use as
module attributes (``style.INK``, ``style.BACKGROUND``, ``style.cluster_colour(slot)``...),
so a painter never asks which theme it draws in: :func:`using` switches all of
them at once, with matplotlib's own defaults (axes, ticks, legends) to match.
The GIF encoder builds its one palette from the theme's colours, so a colour
used in a frame should come from here.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field

import numpy as np

from animate.errors import UserError

# Okabe-Ito, colour-blind safe; yellow last because it needs a dark edge on white.
_OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
# Beyond seven clusters colours repeat, so the marker shape tells them apart.
CLUSTER_MARKERS = ("o", "s", "^", "D", "v", "P", "X")

# Regions (Voronoi cells, windows) are cluster colours this strong over the background.
TINT = 0.18

# At least 8 points (11 px at 100 dpi): wider GIFs scale them up (figure.text_scale).
FONT_SIZES = {"title": 11, "panel": 9, "caption": 9, "status": 8, "tick": 8}
POINT_SIZE = 16.0
DPI = 100

# Heat maps draw the theme's matrix colour map in this many flat levels. The GIF
# palette keeps a slot for every level of a GIF that shows them, so no two levels
# merge into one band wider than the others (neighbouring viridis levels are close).
MAP_LEVELS = 24


@dataclass(frozen=True)
class Theme:
    """Every colour of a frame.

    Attributes
    ----------
    name : str
        "light" or "dark".
    background, ink, muted, grid : str
        The paper; titles, captions and keys; status lines and ticks; axes frames.
    unassigned, noise, highlight : str
        Points no cluster has reached yet (faint); noise (the colour farthest
        from every cluster colour, also for colour-blind readers); the marks of
        what the current step looks at (the DBSCAN point visited).
    cluster_colours : tuple of str
        One colour per cluster slot, each at least 3:1 in contrast with the background.
    edged_colour : int or None
        The slot whose points get an ``ink`` edge (yellow on white); None for none.
    image_cmap, count_cmap, matrix_cmap : str
        matplotlib colour maps: pictures such as digits (ink on paper), counts
        (zero = paper), and matrices (affinity propagation's heat maps).
    rc : dict
        matplotlib settings for what the painters leave to matplotlib's defaults
        (axes faces, tick labels, legend frames); empty for the light theme,
        whose colours are matplotlib's own.
    """

    name: str
    background: str
    ink: str
    muted: str
    grid: str
    unassigned: str
    noise: str
    highlight: str
    cluster_colours: tuple = _OKABE_ITO
    edged_colour: int | None = 6
    image_cmap: str = "gray_r"
    count_cmap: str = "Blues"
    matrix_cmap: str = "viridis"
    rc: dict = field(default_factory=dict)


LIGHT = Theme(
    "light",
    background="#FFFFFF",
    ink="#222222",
    muted="#666666",
    grid="#DDDDDD",
    unassigned="#B8B8B8",
    # Dark enough to stay >= 20 Delta-E from every cluster colour under simulated
    # deuteranopia, protanopia and tritanopia (tests/test_style.py); #8C8C8C read as green.
    noise="#505050",
    highlight="#000000",
)

_DARK_PAPER, _DARK_INK, _DARK_MUTED, _DARK_GRID = "#15181D", "#E8E8E8", "#A6ABB3", "#3A3F47"
DARK = Theme(
    "dark",
    background=_DARK_PAPER,
    ink=_DARK_INK,
    muted=_DARK_MUTED,
    grid=_DARK_GRID,
    # Faint on dark as #B8B8B8 is on white: points still waiting for a cluster.
    unassigned="#5C6169",
    # Every grey between this and the mid greys comes within 20 Delta-E of some
    # Okabe-Ito colour for a colour-blind reader; near-white stays 21 apart.
    noise="#FAFAFA",
    highlight="#FFFFFF",
    # The Okabe-Ito hues keep their colour-blind safety on dark; the darkest, blue,
    # still has 3.4:1 contrast with this paper. Yellow needs no edge here.
    edged_colour=None,
    # Ink on paper: light digits on dark, and zero counts as dark as the paper.
    # viridis already runs from dark to bright, the right way round on dark paper.
    image_cmap="gray",
    count_cmap="Blues_r",
    rc={
        "figure.facecolor": _DARK_PAPER,
        "savefig.facecolor": _DARK_PAPER,
        "axes.facecolor": _DARK_PAPER,
        "axes.edgecolor": _DARK_GRID,
        "axes.labelcolor": _DARK_INK,
        "axes.titlecolor": _DARK_INK,
        "text.color": _DARK_INK,
        "xtick.color": _DARK_MUTED,
        "ytick.color": _DARK_MUTED,
        "xtick.labelcolor": _DARK_MUTED,
        "ytick.labelcolor": _DARK_MUTED,
        "legend.facecolor": _DARK_PAPER,
        "legend.edgecolor": _DARK_GRID,
        "legend.labelcolor": _DARK_INK,
        "patch.edgecolor": _DARK_INK,
        "lines.color": _DARK_INK,
        "grid.color": _DARK_GRID,
        "hatch.color": _DARK_MUTED,
    },
)

THEMES = {"light": LIGHT, "dark": DARK}

_current = contextvars.ContextVar("theme", default=LIGHT)

# ``style.INK`` and the like: the colours of the theme in use (see :func:`using`).
_ATTRIBUTES = {
    "BACKGROUND": "background",
    "INK": "ink",
    "MUTED": "muted",
    "GRID": "grid",
    "UNASSIGNED": "unassigned",
    "NOISE": "noise",
    "HIGHLIGHT": "highlight",
    "CLUSTER_COLOURS": "cluster_colours",
    "IMAGE_CMAP": "image_cmap",
    "COUNT_CMAP": "count_cmap",
    "MATRIX_CMAP": "matrix_cmap",
}


def __getattr__(name):
    if name in _ATTRIBUTES:
        return getattr(_current.get(), _ATTRIBUTES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def theme(value="light"):
    """The :class:`Theme` named ``value`` ("light" or "dark"); a Theme is returned as is."""
    if isinstance(value, Theme):
        return value
    if value not in THEMES:
        raise UserError(f"unknown theme {value!r}; choose one of {', '.join(THEMES)}")
    return THEMES[value]


def current():
    """The theme frames are drawn in now."""
    return _current.get()


@contextlib.contextmanager
def using(value):
    """Draw in the theme ``value`` inside the block: the style's colours and
    matplotlib's defaults both follow it."""
    import matplotlib

    chosen = theme(value)
    before = _current.get()
    _current.set(chosen)
    try:
        if chosen.rc:
            with matplotlib.rc_context(chosen.rc):
                yield chosen
        else:
            yield chosen
    finally:
        # Not a token reset: a frame generator may be closed from another context.
        _current.set(before)


def to_rgb(colour):
    """matplotlib's ``to_rgb``, imported on first use: scene files name a theme
    without loading matplotlib."""
    from matplotlib.colors import to_rgb as convert

    return convert(colour)


def cluster_colour(slot):
    """The colour of a cluster's colour slot (any int >= 0)."""
    colours = _current.get().cluster_colours
    return colours[slot % len(colours)]


def cluster_marker(slot):
    """The marker of a colour slot: the shape changes each time the colours wrap around."""
    return CLUSTER_MARKERS[(slot // len(_current.get().cluster_colours)) % len(CLUSTER_MARKERS)]


def cluster_edge(slot):
    """The edge colour of a slot's points: ink for the theme's edged colour, else None."""
    now = _current.get()
    edged = now.edged_colour
    return now.ink if edged is not None and slot % len(now.cluster_colours) == edged else None


def cluster_rgb(slots):
    """RGB floats (n, 3) for an array of colour slots; -1 gives the unassigned grey."""
    now = _current.get()
    table = np.array([to_rgb(c) for c in (*now.cluster_colours, now.unassigned)])
    slots = np.asarray(slots)
    n = len(now.cluster_colours)
    return table[np.where(slots < 0, n, slots % n)]


def tint(colour, strength=TINT):
    """``colour`` mixed with the background: the pale shade used for regions."""
    paper = np.array(to_rgb(_current.get().background))
    return paper - strength * (paper - np.array(to_rgb(colour)))


def colour_map(chosen=None):
    """The heat maps' colour map, :data:`MAP_LEVELS` flat levels, of the theme
    ``chosen`` (default: the one in use)."""
    from matplotlib import colormaps

    chosen = _current.get() if chosen is None else theme(chosen)
    return colormaps[chosen.matrix_cmap].resampled(MAP_LEVELS)


def map_colours(chosen=None):
    """The colour map's levels, low to high, as (MAP_LEVELS, 3) uint8."""
    levels = colour_map(chosen)(np.arange(MAP_LEVELS))[:, :3]
    return np.round(levels * 255).astype(np.uint8)


def key_colours(chosen=None):
    """Every solid colour a frame may contain, as (m, 3) uint8: the palette's anchors.

    The named colours of the theme (default: the one in use), then each cluster
    colour's region tint.
    """
    chosen = _current.get() if chosen is None else theme(chosen)
    before = _current.get()
    _current.set(chosen)
    try:
        named = [
            to_rgb(c)
            for c in (
                chosen.background,
                chosen.ink,
                chosen.muted,
                chosen.grid,
                chosen.unassigned,
                chosen.noise,
                chosen.highlight,
            )
        ]
        clusters = [to_rgb(c) for c in chosen.cluster_colours]
        tints = [tint(c) for c in chosen.cluster_colours]
    finally:
        _current.set(before)
    rgb = np.round(np.array(named + clusters + tints) * 255).astype(np.uint8)
    _, first = np.unique(rgb, axis=0, return_index=True)
    return rgb[np.sort(first)]

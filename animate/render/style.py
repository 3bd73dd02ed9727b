"""The look shared by every frame: colours, markers, fonts, sizes.

The GIF encoder builds its one palette from these colours, so a colour used in
a frame should come from here.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

# Okabe-Ito, colour-blind safe; yellow last because it needs a dark edge on white.
CLUSTER_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
# Beyond seven clusters colours repeat, so the marker shape tells them apart.
CLUSTER_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
UNASSIGNED = "#B8B8B8"
# Dark enough to stay >= 20 Delta-E from every cluster colour under simulated
# deuteranopia, protanopia and tritanopia (tests/test_style.py); #8C8C8C read as green.
NOISE = "#505050"
INK = "#222222"
MUTED = "#666666"
GRID = "#DDDDDD"
BACKGROUND = "#FFFFFF"
HIGHLIGHT = "#000000"

# Regions (Voronoi cells, windows) are cluster colours this strong over white.
TINT = 0.18

# At least 8 points (11 px at 100 dpi): wider GIFs scale them up (figure.text_scale).
FONT_SIZES = {"title": 11, "panel": 9, "caption": 9, "status": 8, "tick": 8}
POINT_SIZE = 16.0
DPI = 100

# Heat maps draw this colour map in this many flat levels. The GIF palette keeps a
# slot for every level of a GIF that shows them, so no two levels merge into one
# band wider than the others (neighbouring viridis levels are close in colour).
COLOUR_MAP, MAP_LEVELS = "viridis", 24


def cluster_colour(slot):
    """The colour of a cluster's colour slot (any int >= 0)."""
    return CLUSTER_COLOURS[slot % len(CLUSTER_COLOURS)]


def cluster_marker(slot):
    """The marker of a colour slot: the shape changes each time the colours wrap around."""
    return CLUSTER_MARKERS[(slot // len(CLUSTER_COLOURS)) % len(CLUSTER_MARKERS)]


def cluster_rgb(slots):
    """RGB floats (n, 3) for an array of colour slots; -1 gives the unassigned grey."""
    table = np.array([to_rgb(c) for c in (*CLUSTER_COLOURS, UNASSIGNED)])
    slots = np.asarray(slots)
    return table[np.where(slots < 0, len(CLUSTER_COLOURS), slots % len(CLUSTER_COLOURS))]


def tint(colour, strength=TINT):
    """``colour`` mixed with white: the light shade used for regions."""
    return 1.0 - strength * (1.0 - np.array(to_rgb(colour)))


def colour_map():
    """The heat maps' colour map, :data:`MAP_LEVELS` flat levels."""
    from matplotlib import colormaps

    return colormaps[COLOUR_MAP].resampled(MAP_LEVELS)


def map_colours():
    """The colour map's levels, low to high, as (MAP_LEVELS, 3) uint8."""
    levels = colour_map()(np.arange(MAP_LEVELS))[:, :3]
    return np.round(levels * 255).astype(np.uint8)


def key_colours():
    """Every solid colour a frame may contain, as (m, 3) uint8: the palette's anchors.

    The named colours, then each cluster colour's region tint.
    """
    named = [to_rgb(c) for c in (BACKGROUND, INK, MUTED, GRID, UNASSIGNED, NOISE, HIGHLIGHT)]
    clusters = [to_rgb(c) for c in CLUSTER_COLOURS]
    tints = [tint(c) for c in CLUSTER_COLOURS]
    rgb = np.round(np.array(named + clusters + tints) * 255).astype(np.uint8)
    _, first = np.unique(rgb, axis=0, return_index=True)
    return rgb[np.sort(first)]

"""Frames to a looping GIF: one shared palette, no dithering, atomic writes.

Every frame is mapped to a single palette built from the style's colours (so
white stays exactly white and nothing shimmers between frames), then written
by imageio's pillow plugin, which crops each frame to the pixels that changed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from animate.errors import UserError
from animate.render import style

_MAX_COLOURS = 255
# The one palette slot no frame uses: pillow paints a frame's unchanged pixels
# with it, and runs of one index are what LZW compresses best.
_TRANSPARENT = 255
_BITS = 6
_BLENDS = (0.2, 0.4, 0.6, 0.8)


def palette_for(samples):
    """A palette (m <= 255, 3) uint8: the style's colours, their blends with white,
    then the most frequent other colours of the sample frames.

    Blends cover anti-aliased edges; the frequent colours cover what the style
    cannot predict (colour maps, overlapping translucent shapes).
    """
    keys = style.key_colours().astype(float)
    white = np.array([255.0, 255.0, 255.0])
    blends = [keys] + [keys * t + white * (1 - t) for t in _BLENDS]
    grey = np.linspace(0, 255, 18)[:, None].repeat(3, axis=1)
    base = _unique_rows(np.round(np.vstack([*blends, grey])).astype(np.uint8))
    return _add_frequent(base, samples)


def _add_frequent(base, samples):
    if not samples:
        return base[:_MAX_COLOURS]
    pixels = np.concatenate([s[::2, ::2].reshape(-1, 3) for s in samples])
    packed = (
        (pixels[:, 0].astype(np.int64) << 16) | (pixels[:, 1].astype(np.int64) << 8) | pixels[:, 2]
    )
    colours, counts = np.unique(packed, return_counts=True)
    order = np.lexsort((colours, -counts))
    candidates = np.column_stack([(colours >> 16) & 255, (colours >> 8) & 255, colours & 255])[
        order
    ]
    chosen = list(base)
    tree_points = base.astype(float)
    for colour in candidates[: 4 * _MAX_COLOURS]:
        if len(chosen) >= _MAX_COLOURS:
            break
        if np.min(np.abs(tree_points - colour).sum(axis=1)) > 24:
            chosen.append(colour.astype(np.uint8))
            tree_points = np.vstack([tree_points, colour])
    return np.array(chosen, dtype=np.uint8)


def _unique_rows(rgb):
    _, first = np.unique(rgb, axis=0, return_index=True)
    return rgb[np.sort(first)]


class Quantiser:
    """Maps RGB frames to indices of one palette through a 6-bit-per-channel lookup table.

    Only the table cells that occur in the frames are computed, so building it
    costs a few milliseconds instead of a nearest-colour search over 2**18 cells.
    """

    def __init__(self, palette, frames):
        self.palette = palette
        self.cells = [_cell(frame) for frame in frames]
        occupied = np.zeros(2 ** (3 * _BITS), dtype=bool)
        for cells in self.cells:
            occupied[cells] = True
        wanted = np.flatnonzero(occupied)
        levels = np.stack([wanted >> (2 * _BITS), (wanted >> _BITS) & 63, wanted & 63], axis=1)
        centres = (levels << (8 - _BITS)) + (1 << (7 - _BITS))
        self.lut = np.zeros(2 ** (3 * _BITS), dtype=np.uint8)
        self.lut[wanted] = cKDTree(palette.astype(float)).query(centres.astype(float))[1]
        # The palette's own colours map to themselves exactly (white stays ffffff);
        # where two share a cell the earlier, a named style colour, wins.
        order = np.arange(len(palette))[::-1]
        self.lut[_cell(palette)[order]] = order.astype(np.uint8)

    def indexed(self):
        """The frames as palette indices, (n_frames, h, w) uint8."""
        return np.stack([self.lut[cells] for cells in self.cells])


# A frame whose flat areas show colours far from the shared palette on more than this
# share of the frame (a recoloured photo: 3.6-26% measured) gets a palette of its own;
# the gallery's other frames (heat maps, translucent overlaps) stay under 1.6%.
_FLAT_SHARE = 0.025
# In its own palette, a flat area's colour covering this many pixels is kept exactly.
_EXACT_PX = 12


def frame_palette(frame, shared):
    """The palette of one frame: ``shared``, or the frame's own if ``shared`` lacks the
    colours of its flat areas (pixels equal to their right and lower neighbours).

    Its own palette (255 colours at most): the style's colours, as in every
    palette; then each flat colour covering about ``_EXACT_PX`` pixels or more,
    exactly, most frequent first (a photo recoloured with k centres keeps its k
    colours); then the shared palette's other colours, in its order, so that
    what the frames share maps alike in each. Pillow gives every frame after
    the first a colour table of its own anyway: it costs no bytes.
    """
    # Every other row and column: a quarter of the work, flat areas still found.
    packed = _packed(frame[::2, ::2])
    flat = (packed[:-1, :-1] == packed[1:, :-1]) & (packed[:-1, :-1] == packed[:-1, 1:])
    values, counts = np.unique(packed[:-1, :-1][flat], return_counts=True)
    if counts[_far_from(values, shared)].sum() <= _FLAT_SHARE * packed.size:
        return shared
    base = palette_for([])
    lacking = ~np.isin(values, _packed(shared))
    values, counts = values[lacking], counts[lacking]
    order = np.lexsort((values, -counts))
    exact = values[order][counts[order] * 4 >= _EXACT_PX][: _MAX_COLOURS - len(base)]
    exact_rgb = np.column_stack([(exact >> 16) & 255, (exact >> 8) & 255, exact & 255])
    others = shared[~np.isin(_packed(shared), _packed(base))]
    own = np.vstack([base, exact_rgb.astype(np.uint8), others])
    return own[:_MAX_COLOURS]


def _far_from(packed, palette):
    """Which packed colours differ from every palette colour by more than one level in
    some channel: a colour rounded differently (a region's tint) is not far."""
    rgb = np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=-1)
    gaps = np.abs(rgb[:, None, :] - palette[None].astype(np.int64)).max(axis=-1)
    return gaps.min(axis=1, initial=255) > 1


def exact_indices(frame, palette):
    """``frame`` as indices of ``palette``: a colour in it exactly maps to itself, any
    other to the nearest through the lookup table."""
    indices = Quantiser(palette, [frame]).indexed()[0]
    packed, entries = _packed(frame), _packed(palette)
    order = np.argsort(entries, kind="stable")
    where = np.clip(np.searchsorted(entries[order], packed), 0, len(entries) - 1)
    found = entries[order][where] == packed
    indices[found] = order[where][found]
    return indices


def _packed(rgb):
    rgb = np.asarray(rgb).astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _cell(rgb):
    q = (np.asarray(rgb) >> (8 - _BITS)).astype(np.int32)
    return (q[..., 0] << (2 * _BITS)) | (q[..., 1] << _BITS) | q[..., 2]


def write_gif(frames, durations, path):
    """Write RGB ``frames`` with ``durations`` (ms each) to a GIF that loops forever.

    The file appears at ``path`` only when complete (temporary file, then rename).
    Returns the path.
    """
    import imageio.v3 as iio

    frames = list(frames)
    if not frames:
        raise UserError("there are no frames to write")
    palette = palette_for(frames[:: max(1, len(frames) // 8)])
    indexed = Quantiser(palette, frames).indexed()
    palettes = [frame_palette(frame, palette) for frame in frames]
    for i, own in enumerate(palettes):
        if own is not palette:
            indexed[i] = exact_indices(frames[i], own)
    path = Path(path)

    def write(tmp):
        with iio.imopen(tmp, "w", plugin="pillow", extension=".gif") as gif:
            gif.write(
                indexed,
                mode="P",
                is_batch=True,
                duration=[int(d) for d in durations],
                loop=0,
                optimize=True,
                disposal=1,
                transparency=_TRANSPARENT,
            )
            # The palette travels on the images: passed as save(palette=...), pillow
            # re-matches it colour by colour for every frame (~90 ms a frame).
            for image, own in zip(gif.images_to_write, palettes):
                image.putpalette(_fill_palette(own).tobytes())

    atomic_write(path, write)
    return path


def _fill_palette(palette):
    """``palette`` padded to 256 distinct colours.

    Pillow looks each palette colour up once per frame and falls into a slow
    quadratic search on duplicates, such as the black rows of zero padding.
    """
    taken = {tuple(c) for c in palette.tolist()}
    spare = (c for c in ((1, 2, v) for v in range(256)) if c not in taken)
    extra = [next(spare) for _ in range(256 - len(palette))]
    return np.vstack([palette, np.array(extra, dtype=np.uint8).reshape(-1, 3)])


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then move the result to ``path``; never leave half a file."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"output path {path} is a folder; give a file name such as {path}/out.gif")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}-", suffix=path.suffix)
    except OSError as exc:
        raise UserError(
            f"cannot write to {folder}: {exc.strerror}; choose another output path"
        ) from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""The GIF encoding: one shared palette, no dithering; and atomic writes for every format.

Every frame is mapped to a single palette built from the style's colours (so
white stays exactly white and nothing shimmers between frames), then written
by :class:`GifEncoder`: only the changed rectangle of each frame, unchanged
pixels made transparent where that compresses better, a colour table ordered
so that most frames need short codes; files no larger than ``gifsicle -O3``
makes them, with the same pixels. The writer that streams frames into it is
:class:`animate.writers.GifWriter`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from animate.errors import UserError
from animate.render import style

_MAX_COLOURS = 255
_BITS = 6
_BLENDS = (0.2, 0.4, 0.6, 0.8)


def palette_for(samples, theme="light"):
    """A palette (m <= 255, 3) uint8: the colours of ``theme`` (the style's), their
    blends with its background, every level of the heat maps' colour map if the
    samples show one, then the most frequent other colours of the sample frames.

    ``samples`` may be any iterable of RGB frames: they are read one at a time.
    Blends cover anti-aliased edges; the frequent colours cover what the style
    cannot predict (overlapping translucent shapes).
    """
    keys = style.key_colours(theme).astype(float)
    paper = keys[0]  # the background comes first
    blends = [keys] + [keys * t + paper * (1 - t) for t in _BLENDS]
    grey = np.linspace(0, 255, 18)[:, None].repeat(3, axis=1)
    base = _unique_rows(np.round(np.vstack([*blends, grey])).astype(np.uint8))
    colours, counts = _colour_counts(samples)
    levels = style.map_colours(theme)
    if np.isin(_packed(levels), colours).any():
        # Each level its own slot: left to the frequency rule below, levels closer
        # than its threshold would merge and the map would band unevenly.
        base = _unique_rows(np.vstack([base, levels]))
    return _add_frequent(base, colours, counts)


def _add_frequent(base, colours, counts):
    if not len(colours):
        return base[:_MAX_COLOURS]
    frequent = colours[np.lexsort((colours, -counts))[: 4 * _MAX_COLOURS]]
    channels = [(frequent >> 16) & 255, (frequent >> 8) & 255, frequent & 255]
    chosen = list(base)
    # Each candidate's L1 distance to the nearest colour chosen so far: it only
    # shrinks, so a candidate near a colour already is never chosen.
    rgb = np.column_stack(channels)
    gaps = [
        np.abs(channel[:, None] - base[:, c].astype(np.int64)) for c, channel in enumerate(channels)
    ]
    nearest = (gaps[0] + gaps[1] + gaps[2]).min(axis=1)
    for i in np.flatnonzero(nearest > 24):
        if len(chosen) >= _MAX_COLOURS:
            break
        if nearest[i] > 24:
            chosen.append(rgb[i].astype(np.uint8))
            r, g, b = (channel - channel[i] for channel in channels)
            np.minimum(nearest, np.abs(r) + np.abs(g) + np.abs(b), out=nearest)
    return np.array(chosen, dtype=np.uint8)


def _colour_counts(samples):
    """Every colour of the samples' even rows and columns with its count, colour order.

    Counted frame by frame and summed: the same counts as counting all the
    samples at once, without holding them together.
    """
    colours, counts = np.zeros(0, np.int32), np.zeros(0, np.int64)
    for sample in samples:
        more, more_counts = np.unique(_packed(sample[::2, ::2]), return_counts=True)
        colours, where = np.unique(np.concatenate([colours, more]), return_inverse=True)
        counts = np.bincount(where, np.concatenate([counts, more_counts]), len(colours))
    return colours.astype(np.int64), counts.astype(np.int64)


def _unique_rows(rgb):
    _, first = np.unique(rgb, axis=0, return_index=True)
    return rgb[np.sort(first)]


class Quantiser:
    """Maps RGB frames to indices of one palette through a 6-bit-per-channel lookup table.

    A table cell is computed (nearest palette colour to the cell's centre) the
    first time a frame uses it: frames touch a few thousand of the 2**18 cells.
    The palette's own colours map to themselves exactly (white stays ffffff);
    where two share a cell the earlier, a named style colour, wins.
    """

    def __init__(self, palette):
        self.palette = palette
        # Imported here, not at the top: while a grid's algorithms run in a child
        # process (see scenes._traces_apart), the waiting parent stays small.
        from scipy.spatial import cKDTree

        self.tree = cKDTree(palette.astype(float))
        self.lut = np.zeros(2 ** (3 * _BITS), dtype=np.uint8)
        self.filled = np.zeros(2 ** (3 * _BITS), dtype=bool)
        order = np.arange(len(palette))[::-1]
        self.lut[_cell(palette)[order]] = order.astype(np.uint8)
        self.filled[_cell(palette)] = True

    def index(self, frame):
        """``frame`` (..., 3) as palette indices (...) uint8, a band of pixels at a time."""
        indices = np.empty(frame.shape[:-1], dtype=np.uint8)
        for band in _bands(frame):
            cells = _cell(frame[band])
            new = np.unique(cells[~self.filled[cells]])
            if len(new):
                levels = np.stack([new >> (2 * _BITS), (new >> _BITS) & 63, new & 63], axis=1)
                centres = (levels << (8 - _BITS)) + (1 << (7 - _BITS))
                self.lut[new] = self.tree.query(centres.astype(float))[1]
                self.filled[new] = True
            indices[band] = self.lut[cells]
        return indices


# Pixels looked up at once: a few hundred KB of cells at a time, not a whole frame's
# (6.8 MB for the gallery's 1760 x 960 grid).
_BAND_PIXELS = 2**16


def _bands(frame):
    """Slices of ``frame``'s first axis holding about ``_BAND_PIXELS`` pixels each."""
    per_row = max(1, int(np.prod(frame.shape[1:-1])))
    rows = max(1, _BAND_PIXELS // per_row)
    return (slice(top, top + rows) for top in range(0, len(frame), rows))


# A frame whose flat areas show colours far from the shared palette on more than this
# share of the frame (a recoloured photo: 3.6-26% measured) gets a palette of its own;
# the gallery's other frames (heat maps, translucent overlaps) stay under 1.6%.
_FLAT_SHARE = 0.025
# In its own palette, a flat area's colour covering this many pixels is kept exactly.
_EXACT_PX = 12


def frame_palette(frame, shared, theme="light", near=None):
    """The palette of one frame: ``shared``, or the frame's own if ``shared`` lacks the
    colours of its flat areas (pixels equal to their right and lower neighbours).

    Its own palette (255 colours at most): the style's colours, as in every
    palette; then each flat colour covering about ``_EXACT_PX`` pixels or more,
    exactly, most frequent first (a photo recoloured with k centres keeps its k
    colours); then the shared palette's other colours, in its order, so that
    what the frames share maps alike in each. Pillow gives every frame after
    the first a colour table of its own anyway: it costs no bytes.

    ``near``: :func:`near_colours` of ``shared``, if already made.
    """
    # Every other row and column: a quarter of the work, flat areas still found.
    packed = _packed(frame[::2, ::2])
    flat = (packed[:-1, :-1] == packed[1:, :-1]) & (packed[:-1, :-1] == packed[:-1, 1:])
    flat_colours = packed[:-1, :-1][flat]
    near = near_colours(shared) if near is None else near
    is_near = (near[flat_colours >> 3] >> (flat_colours & 7).astype(np.uint8)) & 1
    if len(is_near) - np.count_nonzero(is_near) <= _FLAT_SHARE * packed.size:
        return shared
    values, counts = np.unique(flat_colours, return_counts=True)
    base = palette_for([], theme)
    lacking = ~np.isin(values, _packed(shared))
    values, counts = values[lacking], counts[lacking]
    order = np.lexsort((values, -counts))
    exact = values[order][counts[order] * 4 >= _EXACT_PX][: _MAX_COLOURS - len(base)]
    exact_rgb = np.column_stack([(exact >> 16) & 255, (exact >> 8) & 255, exact & 255])
    others = shared[~np.isin(_packed(shared), _packed(base))]
    own = np.vstack([base, exact_rgb.astype(np.uint8), others])
    return own[:_MAX_COLOURS]


def near_colours(palette):
    """A bit per 24-bit colour (2 MB), set where the colour is within one level in every
    channel of a palette colour: one rounded differently (a region's tint) is not far."""
    steps = np.array(np.meshgrid(*[(-1, 0, 1)] * 3)).reshape(3, -1).T
    near = (palette[:, None, :].astype(np.int32) + steps).reshape(-1, 3)
    near = _packed(near[((near >= 0) & (near <= 255)).all(axis=1)])
    bits = np.zeros(2**21, np.uint8)
    np.bitwise_or.at(bits, near >> 3, (1 << (near & 7)).astype(np.uint8))
    return bits


def exact_indices(frame, palette):
    """``frame`` as indices of ``palette``: a colour in it exactly maps to itself, any
    other to the nearest through the lookup table."""
    indices = Quantiser(palette).index(frame)
    packed, entries = _packed(frame), _packed(palette)
    order = np.argsort(entries, kind="stable")
    where = np.clip(np.searchsorted(entries[order], packed), 0, len(entries) - 1)
    found = entries[order][where] == packed
    indices[found] = order[where][found]
    return indices


def _packed(rgb):
    """Each colour as one int32, 0xRRGGBB."""
    rgb = np.asarray(rgb)
    packed = rgb[..., 0].astype(np.int32)
    packed <<= 8
    packed |= rgb[..., 1]
    packed <<= 8
    packed |= rgb[..., 2]
    return packed


def _cell(rgb):
    """The lookup-table cell of each pixel: its 6-bit channels packed into one int32."""
    q = np.asarray(rgb) >> (8 - _BITS)
    cells = q[..., 0].astype(np.int32)
    cells <<= _BITS
    cells |= q[..., 1]
    cells <<= _BITS
    cells |= q[..., 2]
    return cells


def sample_indices(n_frames):
    """The frames whose frequent colours join the palette: eight spread over the animation."""
    return range(0, n_frames, max(1, n_frames // 8))


class IndexedFrames:
    """RGB frames mapped to palette indices, kept as the RGB frames were (a
    :class:`~animate.writers.FrameStore`), with what the GIF's colour table is
    ordered by: which colours each frame changes to.

    A frame whose flat areas the shared palette lacks (a photo, see
    :func:`frame_palette`) keeps a palette of its own.
    """

    def __init__(self, palette, theme="light"):
        from animate.writers import FrameStore

        self.palette, self.quantiser, self.theme = palette, Quantiser(palette), theme
        self.near = near_colours(palette)
        # The indices wait as the RGB frames did; ``own``: each frame's own palette or None.
        self.indices, self.own = FrameStore(), []
        # Which shared-palette colours each frame changes pixels to, and how many pixels.
        self.needs = []
        self.pixel_counts = np.zeros(256, np.int64)
        self.previous = self.last_rgb = None

    def add(self, frame):
        own = frame_palette(frame, self.palette, self.theme, self.near)
        if own is self.palette:
            indices, changed, own = *self._index(frame), None
        else:
            indices = exact_indices(frame, own)
        self.last_rgb = frame
        if own is None:
            counts = np.bincount(changed, minlength=256)
            if counts.any():
                self.needs.append(counts > 0)
            self.pixel_counts += counts
        self.previous = indices, self.palette if own is None else own
        self.indices.add(indices, None)
        self.own.append(own)

    def _index(self, frame):
        """``frame`` in the shared palette, and the indices of its pixels that changed
        colour. Only the pixels that changed since the frame before are looked up, if
        that one was in the shared palette too; after a frame with its own palette every
        pixel counts as changed: the colour table must hold what the unchanged show too."""
        if self.previous is None or self.previous[1] is not self.palette:
            indices = self.quantiser.index(frame)
            return indices, indices.ravel()
        differs = np.not_equal(frame, self.last_rgb).view(np.uint8).reshape(-1)
        # Or-ing the three channels (as bytes) is many times faster than any(axis=2),
        # positions found in bools and used with take several times faster than a mask.
        moved = differs[0::3] | differs[1::3]
        moved |= differs[2::3]
        where = np.flatnonzero(moved.view(bool))
        indices = self.previous[0].copy()
        now = self.quantiser.index(np.take(frame.reshape(-1, 3), where, axis=0))
        before = indices.reshape(-1)[where]
        indices.reshape(-1)[where] = now
        return indices, now[now != before]

    def colour_order(self):
        """The shared palette's used colours, ordered so that as many frames as can
        need only the first 2**k of them (a frame's LZW codes start at k + 1 bits).

        gifsicle's greedy order, built from the back: the colour the fewest
        frames still counted need goes last, and the frames that need it stop
        counting (they need a long table anyway); ties: fewer pixels go later.
        """
        needs = np.array(self.needs).reshape(-1, 256)
        counted = needs.sum(axis=0)
        left = np.flatnonzero(self.pixel_counts)
        active = np.ones(len(needs), bool)
        backwards = []
        while len(left):
            # The least counted, then the fewest pixels, then the highest index.
            at = np.lexsort((-left, self.pixel_counts[left], counted[left]))[0]
            last = int(left[at])
            left = np.delete(left, at)
            backwards.append(last)
            leaving = active & needs[:, last]
            counted -= needs[leaving].sum(axis=0)
            active &= ~leaving
        return np.array(backwards[::-1], dtype=np.int64)

    def __iter__(self):
        return zip(self.indices.frames(), self.own)


class GifEncoder:
    """Indexed frames streamed into a GIF that loops forever, as small as we know how.

    What ``gifsicle -O3`` does to our files, done as the frames come, and a
    little more:

    - one global colour table with only the colours used, in the order given
      (:meth:`IndexedFrames.colour_order`), its size the smallest power of two
      with a spare slot; no colour table per frame unless a frame has its own palette;
    - each frame cropped to the rectangle that changed, drawn over the one before
      (disposal 1); a frame identical to the one before only lengthens it;
    - each frame's LZW code size from the largest index it holds;
    - pixels equal to the frame before may be written as the transparent index:
      each stretch of them (in row order) holding more than one colour, where one
      run replaces several (gifsicle's rule), and also each stretch longer than
      a threshold; of the thresholds :data:`_HIDE_LONGER` the one that
      compresses smallest.

    The LZW compression itself is pillow's. Cropped frames wait in a queue of
    about :data:`_BATCH_PIXELS` pixels and are compressed together, in the
    threads of ``pool`` if given (a ``concurrent.futures`` executor); the last
    frame waits for the next, to learn whether its duration grows. Every choice
    depends only on the frames: the same frames give the same bytes.
    """

    def __init__(self, fp, palette, order=None, pool=None):
        self.fp, self.pool = fp, pool
        order = np.arange(len(palette)) if order is None else np.asarray(order)
        self.remap = np.zeros(256, np.uint8)
        self.remap[order] = np.arange(len(order))
        self.palette, self.table = palette, _colour_table(palette[order])
        self.previous = None
        # Frames not written yet, see add.
        self.queue, self.queued_pixels = [], 0
        self.written = 0

    def add(self, indices, duration, own=None):
        """Add a frame: ``indices`` (h, w) into the shared palette, or into ``own``
        (a palette of the frame's own), shown for ``duration`` milliseconds."""
        if own is None:
            # Compared in the palette's own order; only the crop is put in the table's.
            values, colours, table = indices, self.palette, None
        else:
            used, values = np.unique(indices, return_inverse=True)
            values = values.reshape(indices.shape).astype(np.uint8)
            colours = table = _colour_table(own[used])
        if self.previous is None:
            self.size = values.shape[::-1]
            unchanged, box = None, (0, 0, *self.size)
        else:
            changed = _changes(values, colours, *self.previous)
            if not changed.any():
                self.queue[-1][-1] += int(duration)
                return
            box = _bounding_box(changed)
            unchanged = ~changed[box[1] : box[3], box[0] : box[2]]
        self.previous = values, colours
        crop = values[box[1] : box[3], box[0] : box[2]]
        if own is None:
            crop = self.remap[crop]
        # Compressed later, with other frames: [descriptor, (crop, unchanged) until
        # then (data, transparent index), duration].
        self.queue.append([_descriptor(box, table), (crop, unchanged), int(duration)])
        self.queued_pixels += crop.size
        if self.queued_pixels >= _BATCH_PIXELS:
            self._write(keep_last=True)

    def close(self):
        """Write the frames still queued and the trailer."""
        self._write(keep_last=False)
        self.fp.write(b";")

    def _write(self, keep_last):
        """Compress the queued frames and write them, but the last if ``keep_last``."""
        waiting = [frame for frame in self.queue if isinstance(frame[1][0], np.ndarray)]
        compress = self.pool.map if self.pool is not None else map
        for frame, data in zip(waiting, list(compress(_smallest, [f[1] for f in waiting]))):
            frame[1] = data
        self.queued_pixels = 0
        for head, (data, transparent), duration in self.queue[:-1] if keep_last else self.queue:
            if self.written == 0:
                self._header(looping=len(self.queue) > 1)
            self.fp.write(_control(duration, transparent) + head + data)
            self.written += 1
        self.queue = self.queue[-1:] if keep_last else []

    def _header(self, looping):
        width, height = self.size
        self.fp.write(b"GIF89a" + _u16(width) + _u16(height))
        self.fp.write(bytes([0x80 | _table_bits(self.table), 0, 0]) + self.table.tobytes())
        if looping:
            self.fp.write(b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")


def write_indexed(fp, palette, frames, durations, theme="light"):
    """Write RGB ``frames`` (iterable, read once) drawn in ``theme`` with ``durations``
    (ms) as a GIF to the open file ``fp``, mapped to ``palette``; see :class:`GifEncoder`."""
    indexed = IndexedFrames(palette, theme)
    for frame in frames:
        indexed.add(frame)
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        gif = GifEncoder(fp, palette, indexed.colour_order(), pool)
        for (indices, own), duration in zip(indexed, durations):
            gif.add(indices, duration, own)
        gif.close()


def _changes(values, colours, previous, previous_colours):
    """Which pixels differ in colour from the frame before; ``colours``: the palette the
    values index. Indices into one palette, whose colours are distinct, are compared
    as they are."""
    if colours is previous_colours:
        return values != previous
    return _packed(colours)[values] != _packed(previous_colours)[previous]


def _colour_table(colours):
    """``colours`` padded with black to a power of two (2 at least) with a spare slot."""
    size = 2 ** max(1, len(colours).bit_length())
    return np.vstack([colours, np.zeros((size - len(colours), 3), np.uint8)])


def _table_bits(table):
    """A colour table's size field: the table holds 2 ** (field + 1) colours."""
    return len(table).bit_length() - 2


def _bounding_box(changed):
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


# Frames' pixels queued before they are compressed together: about two million (with
# twice that, two frames of the 66-panel chart in flight made it peak 22 MB higher).
_BATCH_PIXELS = 2**21
# Unchanged stretches at least this long (pixels) are also made transparent, in
# one candidate each: 32 and 256 came within 0.1% of the best of eight thresholds
# on the gallery's scenes; None: only stretches of several colours.
_HIDE_LONGER = (None, 32, 256)


def _smallest(image):
    """``(data, transparent)`` of ``image``, a ``(crop, unchanged)`` pair: the
    compressed data of the smallest of its candidates (:func:`_candidates`), the
    first on ties, and the transparent index it uses."""
    candidates = _candidates(*image)
    data = [_lzw(values) for values, _ in candidates]
    best = min(range(len(data)), key=lambda i: len(data[i]))
    return data[best], candidates[best][1]


def _candidates(crop, unchanged):
    """Ways to write ``crop``: ``(values, transparent)`` pairs, the transparent index
    (or None) standing for pixels unchanged from the frame before, as it may."""
    if unchanged is None or not unchanged.any():
        return [(crop, None)]
    # The transparent index: the lowest one the changed pixels do not use.
    taken = np.bincount(crop[~unchanged], minlength=256) > 0
    if taken.all():
        return [(crop, None)]
    free = int(np.argmin(taken))
    # A colour only unchanged pixels show is always transparent (as in gifsicle):
    # it would otherwise lengthen the frame's codes. Changed pixels show taken
    # colours only, so every pixel of another colour is an unchanged one.
    transparent = np.arange(256, dtype=np.uint8)
    transparent[~taken] = free
    crop = transparent[crop]
    return [(values, free) for values in _Stretches(crop, unchanged).candidates(free, _HIDE_LONGER)]


def _descriptor(box, table):
    """The image descriptor of a frame at ``box``, with its own colour ``table`` if any."""
    x, y, right, bottom = box
    flags = 0 if table is None else 0x80 | _table_bits(table)
    head = b"," + _u16(x) + _u16(y) + _u16(right - x) + _u16(bottom - y) + bytes([flags])
    return head + (b"" if table is None else table.tobytes())


class _Stretches:
    """The maximal stretches of unchanged pixels of a crop, in row order (LZW's order)."""

    def __init__(self, crop, unchanged):
        self.shape, self.values = crop.shape, crop.ravel()
        same = unchanged.ravel()
        # Where a stretch starts or ends: the unchanged flag flips (or the crop starts/ends).
        flips = np.flatnonzero(same[1:] != same[:-1]) + 1
        bounds = np.concatenate([[0], flips, [len(same)]])
        first = 0 if same[0] else 1
        self.starts, self.ends = bounds[first:-1:2], bounds[first + 1 :: 2]
        # Positions p where the colour at p + 1 differs: a stretch holding one is mixed.
        colour_steps = np.flatnonzero(self.values[1:] != self.values[:-1])
        inside = np.searchsorted(colour_steps, self.ends - 1) - np.searchsorted(
            colour_steps, self.starts
        )
        self.mixed = inside > 0

    def candidates(self, free, thresholds):
        """The crop with ``free`` in every stretch of several colours and, for each
        threshold not None, in every stretch at least that long (:meth:`hide`); a
        candidate the same as one before is left out."""
        choices = []
        for longer in thresholds:
            hidden = self.mixed
            if longer is not None:
                hidden = hidden | (self.ends - self.starts >= longer)
            if not any(np.array_equal(hidden, other) for other in choices):
                choices.append(hidden)
        return [self.hide(free, hidden) for hidden in choices]

    def hide(self, free, hidden):
        """The crop with ``free`` in the stretches ``hidden`` (a mask over stretches).
        A short stretch of one colour keeps it: it may continue a run of that colour."""
        cuts = np.empty(2 * hidden.sum() + 2, np.int64)
        cuts[0], cuts[-1] = 0, len(self.values)
        cuts[1:-1:2], cuts[2:-1:2] = self.starts[hidden], self.ends[hidden]
        mask = np.repeat(np.arange(len(cuts) - 1) % 2 == 1, np.diff(cuts))
        return np.where(mask, np.uint8(free), self.values).reshape(self.shape)


def _lzw(values):
    """The LZW code size byte, data sub-blocks and terminator of indexed pixels.

    Pillow's GIF encoder lets go of the GIL only when it writes to a file (into a
    bytes object it holds it): through a scratch file, several compress at once.
    """
    from PIL import Image

    bits = max(2, int(values.max()).bit_length())
    image = Image.frombytes("L", values.shape[::-1], np.ascontiguousarray(values).tobytes())
    encoder = Image._getencoder("L", "gif", ("L", bits))
    encoder.setimage(image.im, (0, 0, *image.size))
    try:
        with tempfile.TemporaryFile() as scratch:
            while not encoder.encode_to_file(scratch.fileno(), 2**16):
                pass
            scratch.seek(0)
            data = scratch.read()
    finally:
        encoder.cleanup()
    return bytes([bits]) + data + b"\0"


def _control(duration, transparent):
    """The graphic control extension: disposal 1 (keep), delay, transparent index."""
    flags = (1 << 2) | (transparent is not None)
    return b"!\xf9\x04" + bytes([flags]) + _u16(int(duration / 10)) + bytes([transparent or 0, 0])


def _u16(value):
    return int(value).to_bytes(2, "little")


def write_gif(frames, durations, path, force=False):
    """Write RGB ``frames`` with ``durations`` (ms each) to a GIF that loops forever.

    The file appears at ``path`` only when complete (temporary file, then rename);
    an existing file that is not a GIF is replaced only with ``force``.
    Returns the path.
    """
    from animate.writers import write

    return write(zip(frames, durations), [path], force=force)[0]


# What each kind of file this tool writes starts with: an existing file is replaced
# only if it is of the kind being written (so, most likely, an earlier output).
_SIGNATURES = {
    "gif": lambda head: head.startswith((b"GIF87a", b"GIF89a")),
    "png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "webp": lambda head: head.startswith(b"RIFF") and head[8:12] == b"WEBP",
    "mp4": lambda head: head[4:8] == b"ftyp",
    "npz": lambda head: head.startswith((b"PK\x03\x04", b"PK\x05\x06")),
    "html": lambda head: head.lower().startswith(b"<!doctype html>"),
}
MEDIA = ("gif", "png", "webp", "mp4")


def atomic_write(path, write, *, replaces=MEDIA, force=False):
    """Call ``write(tmp_path)`` then move the result to ``path``; never leave half a file.

    An existing ``path`` is replaced only if it is a regular file of one of the
    kinds ``replaces`` names (or empty), unless ``force`` (see :func:`check_target`).
    """
    with atomic_paths([path], replaces=replaces, force=force) as (tmp,):
        write(tmp)


@contextlib.contextmanager
def atomic_paths(paths, *, replaces=MEDIA, force=False):
    """Temporary files beside ``paths``, moved onto them when the block ends without error.

    On any error (or Ctrl-C, or SIGTERM) every temporary file is removed and no
    target is touched: several formats of one animation appear together or not
    at all. Each target is checked first (:func:`check_target`).
    """
    paths = [check_target(p, replaces, force) for p in paths]
    temporary = []
    try:
        with _sigterm_as_exit():
            for path in paths:
                temporary.append(_temporary_beside(path))
            try:
                yield temporary
            except OSError as exc:  # a full disk, a file size limit, a vanished folder
                raise UserError(
                    f"cannot write {paths[0]}: {exc.strerror or exc}; free some space or "
                    "choose another output path"
                ) from None
            for tmp, path in zip(temporary, paths):
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
    finally:
        for tmp in temporary:
            Path(tmp).unlink(missing_ok=True)


def _temporary_beside(path):
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}-", suffix=path.suffix)
    except OSError as exc:
        raise UserError(
            f"cannot write to {folder}: {exc.strerror}; choose another output path"
        ) from None
    os.close(fd)
    return tmp


def output_path(path):
    """``path`` as a Path, if it is a file name (str or path-like, not empty)."""
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise UserError(f"the output path must be a file name such as 'out.gif', got {path!r}")
    return Path(path)


def check_target(path, replaces, force):
    """Refuse to replace what is not an earlier output of this tool (see atomic_write).

    Writers call it first, before the work, so that a refusal comes at once.
    Returns ``path`` as a Path.
    """
    path = output_path(path)
    if path.is_dir():
        raise UserError(f"output path {path} is a folder; give a file name such as {path}/out.gif")
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return path  # nothing there (or a dangling link): nothing to lose
    except OSError as exc:
        raise UserError(f"cannot write to {path}: {exc.strerror}") from None
    if force:
        return path
    if not stat.S_ISREG(info.st_mode):
        raise UserError(
            f"output path {path} exists and is not a regular file (a device, pipe or "
            "socket); choose another path, or pass force=True (--force) to replace it"
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        head = b"?"
    if head and not any(_SIGNATURES[kind](head) for kind in replaces):
        raise UserError(
            f"output path {path} exists and is not a {' or '.join(replaces).upper()} file "
            "this tool wrote; choose another path, or pass force=True (--force) to replace it"
        )
    return path


@contextlib.contextmanager
def _sigterm_as_exit():
    """While writing, SIGTERM raises SystemExit (so cleanup runs) instead of killing at once."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield  # a handler is already in place, or signals cannot be handled here
        return

    def leave(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

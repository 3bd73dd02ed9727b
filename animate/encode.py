"""The GIF encoding: one shared palette, no dithering; and atomic writes for every format.

Every frame is mapped to a single palette built from the style's colours (so
white stays exactly white and nothing shimmers between frames), then written
by pillow, which crops each frame to the pixels that changed. The writer that
streams frames into it is :class:`animate.writers.GifWriter`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
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


def _colour_counts(samples):
    """Every colour of the samples' even rows and columns with its count, colour order.

    Counted frame by frame and summed: the same counts as counting all the
    samples at once, without holding them together.
    """
    colours, counts = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for sample in samples:
        pixels = sample[::2, ::2].reshape(-1, 3)
        packed = (
            (pixels[:, 0].astype(np.int64) << 16)
            | (pixels[:, 1].astype(np.int64) << 8)
            | pixels[:, 2]
        )
        more, more_counts = np.unique(packed, return_counts=True)
        colours, where = np.unique(np.concatenate([colours, more]), return_inverse=True)
        counts = np.bincount(where, np.concatenate([counts, more_counts]), len(colours))
    return colours, counts.astype(np.int64)


def _unique_rows(rgb):
    _, first = np.unique(rgb, axis=0, return_index=True)
    return rgb[np.sort(first)]


class Quantiser:
    """Maps RGB frames to indices of one palette through a 6-bit-per-channel lookup table.

    Only the table cells that occur in the frames (``occupied``, from
    :class:`CellMask`) are computed, so building it costs a few milliseconds
    instead of a nearest-colour search over 2**18 cells.
    """

    def __init__(self, palette, occupied):
        self.palette = palette
        wanted = np.flatnonzero(occupied)
        levels = np.stack([wanted >> (2 * _BITS), (wanted >> _BITS) & 63, wanted & 63], axis=1)
        centres = (levels << (8 - _BITS)) + (1 << (7 - _BITS))
        self.lut = np.zeros(2 ** (3 * _BITS), dtype=np.uint8)
        self.lut[wanted] = cKDTree(palette.astype(float)).query(centres.astype(float))[1]
        # The palette's own colours map to themselves exactly (white stays ffffff);
        # where two share a cell the earlier, a named style colour, wins.
        order = np.arange(len(palette))[::-1]
        self.lut[_cell(palette)[order]] = order.astype(np.uint8)

    def index(self, frame):
        """``frame`` as palette indices, (h, w) uint8."""
        indices = np.empty(frame.shape[:2], dtype=np.uint8)
        for band in _bands(frame):
            indices[band] = self.lut[_cell(frame[band])]
        return indices


class CellMask:
    """Which lookup-table cells the frames seen so far use, one frame at a time."""

    def __init__(self):
        self.occupied = np.zeros(2 ** (3 * _BITS), dtype=bool)

    def add(self, frame):
        for band in _bands(frame):
            self.occupied[_cell(frame[band])] = True
        return self


# Rows of a frame looked up at once: a few hundred KB of cells at a time, not a
# whole frame's (6.8 MB for the gallery's 1760 x 960 grid).
_BAND_ROWS = 64


def _bands(frame):
    """Slices of ``frame``'s rows, ``_BAND_ROWS`` at a time."""
    return (slice(top, top + _BAND_ROWS) for top in range(0, len(frame), _BAND_ROWS))


# A frame whose flat areas show colours far from the shared palette on more than this
# share of the frame (a recoloured photo: 3.6-26% measured) gets a palette of its own;
# the gallery's other frames (heat maps, translucent overlaps) stay under 1.6%.
_FLAT_SHARE = 0.025
# In its own palette, a flat area's colour covering this many pixels is kept exactly.
_EXACT_PX = 12


def frame_palette(frame, shared, theme="light"):
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
    base = palette_for([], theme)
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
    indices = Quantiser(palette, CellMask().add(frame).occupied).index(frame)
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


def gif_images(palette, quantiser, frames, theme="light"):
    """Pillow "P" images of ``frames`` (drawn in ``theme``), each carrying the full palette."""
    from PIL import Image

    # The palette travels on the images: passed as save(palette=...), pillow
    # re-matches it colour by colour for every frame (~90 ms a frame).
    full_palette = _fill_palette(palette).tobytes()
    for frame in frames:
        # A photo frame gets its own palette so that its colours stay exact.
        own = frame_palette(frame, palette, theme)
        if own is palette:
            indexed, colours = quantiser.index(frame), full_palette
        else:
            indexed, colours = exact_indices(frame, own), _fill_palette(own).tobytes()
        image = Image.frombytes("P", indexed.shape[::-1], indexed.tobytes())
        image.putpalette(colours)
        yield image


_GIF_OPTIONS = {"loop": 0, "optimize": True, "disposal": 1, "transparency": _TRANSPARENT}


def save_gif(images, durations, path):
    """Save pillow "P" ``images`` to ``path`` with pillow's own writer, all frames at once.

    The reference :class:`GifStream` is checked against; it holds every frame.
    """
    images = iter(images)
    first = next(images)
    options = {"duration": [int(d) for d in durations], **_GIF_OPTIONS}
    if len(durations) > 1:
        options.update(save_all=True, append_images=images)
    else:
        options["duration"] = int(durations[0])
    first.save(path, format="GIF", **options)


class GifStream:
    """Pillow's multi-frame GIF writer, fed one frame at a time: the same bytes.

    Pillow's ``save(save_all=True)`` keeps every frame until the end (1.3 MB a
    frame of the comparison grid). This replays its steps per frame with its
    own helpers: normalise the palette, crop to the changed rectangle, paint
    unchanged pixels with the transparent index, and add the duration of a frame
    identical to the one before to that frame. One frame waits for the next,
    to learn whether its duration grows. ``tests/test_outputs.py`` checks the
    bytes against pillow's writer.
    """

    def __init__(self, fp):
        self.fp = fp
        self.first = None
        self.previous = None
        self.pending = None
        self.written = 0

    def add(self, image, duration):
        from PIL import GifImagePlugin as gif

        info = {**_GIF_OPTIONS, "duration": int(duration)}
        if self.first is None:
            self.first = image
        normalised = gif._normalize_palette(gif._normalize_mode(image), None, info)
        bbox, shown = None, normalised
        if self.previous is not None:
            delta, bbox = gif._getbbox(self.previous, normalised)
            if not bbox:
                self.pending[2]["duration"] += info["duration"]
                return
            shown = _mark_unchanged(normalised, delta, info)
            self._flush()
        self.previous = normalised
        self.pending = [shown, bbox, info]

    def close(self):
        """Write the last frame and the trailer; a single frame is pillow's single image."""
        if self.written == 0:
            duration = self.pending[2]["duration"]
            self.first.save(self.fp, format="GIF", **{**_GIF_OPTIONS, "duration": duration})
            return
        self._flush()
        self.fp.write(b";")

    def _flush(self):
        from PIL import GifImagePlugin as gif

        image, bbox, info = self.pending
        if not bbox:
            for chunk in gif._get_global_header(image, info):
                self.fp.write(chunk)
            offset = (0, 0)
        else:
            info["include_color_table"] = True
            if bbox != (0, 0, *image.size):
                image = image.crop(bbox)
            offset = bbox[:2]
        gif._write_frame_data(self.fp, image, offset, info)
        self.written += 1


def _mark_unchanged(image, delta, info):
    """``image`` with the pixels equal to the previous frame's set to the transparent index."""
    from PIL import ImageChops

    if "transparency" not in info:
        # The optimised palette dropped the transparent slot: pillow looks for a free one.
        try:
            info["transparency"] = image.palette._new_color_index(image)
        except ValueError:
            return image
    if delta.mode == "RGBA":
        r, g, b, a = delta.split()
        delta = ImageChops.lighter(ImageChops.lighter(r, g), ImageChops.lighter(b, a))
    unchanged = delta.point([255, *(0,) * 255], "1")
    marked = image.copy()
    marked.paste(info["transparency"], mask=unchanged)
    return marked


def write_gif(frames, durations, path, force=False):
    """Write RGB ``frames`` with ``durations`` (ms each) to a GIF that loops forever.

    The file appears at ``path`` only when complete (temporary file, then rename);
    an existing file that is not a GIF is replaced only with ``force``.
    Returns the path.
    """
    from animate.writers import write

    return write(zip(frames, durations), [path], force=force)[0]


def _fill_palette(palette):
    """``palette`` padded to 256 distinct colours.

    Pillow looks each palette colour up once per frame and falls into a slow
    quadratic search on duplicates, such as the black rows of zero padding.
    """
    taken = {tuple(c) for c in palette.tolist()}
    spare = (c for c in ((1, 2, v) for v in range(256)) if c not in taken)
    extra = [next(spare) for _ in range(256 - len(palette))]
    return np.vstack([palette, np.array(extra, dtype=np.uint8).reshape(-1, 3)])


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

"""Frames to a looping GIF: one shared palette, no dithering, atomic writes.

Every frame is mapped to a single palette built from the style's colours (so
white stays exactly white and nothing shimmers between frames), then written
by imageio's pillow plugin, which crops each frame to the pixels that changed.
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


def _cell(rgb):
    q = (np.asarray(rgb) >> (8 - _BITS)).astype(np.int32)
    return (q[..., 0] << (2 * _BITS)) | (q[..., 1] << _BITS) | q[..., 2]


def write_gif(frames, durations, path, force=False):
    """Write RGB ``frames`` with ``durations`` (ms each) to a GIF that loops forever.

    The file appears at ``path`` only when complete (temporary file, then rename);
    an existing file that is not a GIF is replaced only with ``force``.
    Returns the path.
    """
    import imageio.v3 as iio

    frames = list(frames)
    if not frames:
        raise UserError("there are no frames to write")
    palette = palette_for(frames[:: max(1, len(frames) // 8)])
    indexed = Quantiser(palette, frames).indexed()
    path = Path(path)
    full_palette = _fill_palette(palette).tobytes()

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
            for image in gif.images_to_write:
                image.putpalette(full_palette)

    atomic_write(path, write, replaces=("gif",), force=force)
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
    kinds ``replaces`` names (or empty), unless ``force``: a text file, a device
    or a pipe given by mistake is not overwritten. SIGTERM, like Ctrl-C, removes
    the temporary file before the process ends.
    """
    path = check_target(path, replaces, force)
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
        with _sigterm_as_exit():
            write(tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_target(path, replaces, force):
    """Refuse to replace what is not an earlier output of this tool (see atomic_write).

    Writers call it first, before the work, so that a refusal comes at once.
    Returns ``path`` as a Path.
    """
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise UserError(f"the output path must be a file name such as 'out.gif', got {path!r}")
    path = Path(path)
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

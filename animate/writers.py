"""Frames to files: one writer class per format, chosen by the file's suffix.

Like matplotlib's animation writers, each writer is fed frame by frame:
``setup(path)``, then ``add_frame(rgb, duration_ms)`` for every frame, then
``finish()``. No writer keeps a list of RGB frames: WebP, APNG and MP4 encode
each frame as it comes; the GIF keeps its frames zlib-compressed (a gallery
frame shrinks about 30 times) until its palette is known. :func:`write` feeds
one stream of frames to several writers at once and moves the files into
place only when all are complete.

==========  =========================================================
suffix      format
==========  =========================================================
``.gif``    GIF, one shared palette (:mod:`animate.encode`)
``.webp``   animated WebP, lossless (pillow)
``.apng``   animated PNG (pillow); ``.png`` too
``.mp4``    H.264 video, yuv420p (imageio with ``imageio-ffmpeg``)
==========  =========================================================
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from animate.errors import UserError

WRITERS: dict[str, type[Writer]] = {}


def register(cls):
    """Class decorator: make ``cls`` the writer of each of its ``suffixes``."""
    for suffix in cls.suffixes:
        WRITERS[suffix] = cls
    return cls


def writer_for(path):
    """A new writer for ``path``, chosen by its suffix.

    Raises :class:`UserError` at once, before any frame is drawn, for an
    unknown suffix or a format whose optional package is not installed.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        known = ", ".join(sorted(WRITERS))
        what = f"unknown format {suffix!r}" if suffix else "no file suffix"
        raise UserError(
            f"cannot write {Path(path).name}: {what}; name the file with one of {known}"
        )
    cls = WRITERS[suffix]
    cls.check_available()
    return cls()


def formats():
    """The format names ``formats = [...]`` accepts: "gif", "webp", "apng", "png", "mp4"."""
    return [suffix[1:] for suffix in WRITERS]


def format_paths(path, extra_formats=()):
    """``path`` and, beside it, one file per format of ``extra_formats`` (same stem).

    Formats are checked here, before any work; duplicates are dropped.
    """
    from animate.encode import output_path

    paths = [output_path(path)]
    for name in extra_formats:
        name = str(name).lower().lstrip(".")
        if f".{name}" not in WRITERS:
            raise UserError(
                f"unknown format {name!r} in formats; choose from {', '.join(formats())}"
            )
        other = Path(path).with_suffix(f".{name}")
        if other not in paths:
            paths.append(other)
    for other in paths:
        writer_for(other)
    return paths


def write(frames, paths, force=False, theme="light"):
    """Stream ``(rgb, duration_ms)`` frames into one file per path; returns the paths.

    Each path's suffix picks its writer. Every file appears only when all are
    complete: a failure or Ctrl-C leaves none of them, and no temporary file.
    An existing file that is not one of our outputs is replaced only with ``force``.
    ``theme`` is the one the frames are drawn in: the GIF's palette is built on its colours.
    """
    from animate.encode import atomic_paths

    paths = [Path(p) for p in paths]
    writers = [writer_for(p) for p in paths]
    for writer in writers:
        writer.theme = theme
    with atomic_paths(paths, force=force) as temporary:
        try:
            for writer, tmp in zip(writers, temporary):
                writer.setup(tmp)
            _feed(frames, writers)
        except BaseException:
            for writer in writers:
                writer.abort()
            raise
    return paths


# A full garbage collection costs about 0.15 s: worth it only for a big figure
# (a grid of panels, 2 MB a frame and more), not for a 480 x 480 single panel.
_COLLECT_FROM_BYTES = 2 * 2**20
# Whether this process is one of the command line's, whose C allocator the GIF
# encoding of a big figure may tune (see _large_buffers_to_system); it is left
# alone in anyone else's (a notebook's).
tune_allocator = False
# Frames at least this large (the 66-panel chart's: 11 MB) have it tuned; for smaller
# ones (compare.toml's 5 MB) the page faults cost more time (1.5 s of CPU) than the
# memory they save (7 MB).
_TUNE_FROM_BYTES = 8 * 2**20
# mallopt's parameter number for the mmap threshold (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3


def _feed(frames, writers):
    count, frame_bytes = _add_frames(frames, writers)
    if not count:
        raise UserError("there are no frames to write")
    if frame_bytes >= _COLLECT_FROM_BYTES:
        # The spent figure (matplotlib's artists refer to each other in cycles) is
        # freed now, before the GIF's palette pass needs memory of its own.
        gc.collect()
        if tune_allocator and frame_bytes >= _TUNE_FROM_BYTES:
            _large_buffers_to_system()
    for writer in writers:
        writer.finish()


def _add_frames(frames, writers):
    """Give every frame to every writer; returns how many and the size of one."""
    count, frame_bytes = 0, 0
    for rgb, duration in frames:
        rgb = np.asarray(rgb, dtype=np.uint8)
        for writer in writers:
            writer.add_frame(rgb, int(duration))
        count, frame_bytes = count + 1, rgb.nbytes
        # Let go before the next frame is drawn: a large grid's frame is 11 MB.
        del rgb
    return count, frame_bytes


def _large_buffers_to_system():
    """From now on, buffers of 1 MiB and more go back to the system when freed.

    glibc raises its mmap threshold each time a large buffer is freed, and then
    carves buffers up to 32 MiB (a big figure's frames and index arrays, 1 to
    15 MB) out of its heaps, where freed ones stay: one heap per thread that
    allocates (the frame store's, the GIF encoder's), each keeping its own. The
    66-panel chart peaked at 278 MB while its GIF was encoded, 239 MB with the
    threshold fixed (mallopt(3)). Fixed from the start, frames drawn paid page
    faults too (a grid 10-20% slower). Other C libraries have nothing to set.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 2**20)


class Writer:
    """One format's writer: ``setup``, ``add_frame`` for each frame, ``finish``.

    A subclass names its ``suffixes``, its ``extra`` (the pip extra its
    packages come with, if optional) and the ``modules`` it needs.
    """

    suffixes: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    extra: str | None = None
    # The theme the frames are drawn in (see :func:`write`).
    theme = "light"

    @classmethod
    def check_available(cls):
        missing = [m for m in cls.modules if importlib.util.find_spec(m) is None]
        if missing:
            raise UserError(
                f"writing {cls.suffixes[0]} files needs the {missing[0]} package; "
                f"install it with: pip install clustergif[{cls.extra}]"
            )

    def setup(self, path):
        """Start writing to ``path`` (a temporary file with the right suffix)."""
        self.path = Path(path)

    def add_frame(self, rgb, duration):
        """Add one RGB frame, (h, w, 3) uint8, shown for ``duration`` milliseconds."""
        raise NotImplementedError

    def finish(self):
        """Write what is left and close the file."""
        raise NotImplementedError

    def abort(self):
        """Release what :meth:`setup` opened after a failure; the file is discarded."""


class FrameStore:
    """Frames kept until the GIF's palette is known, with their durations.

    The first frames are kept as they are, up to :attr:`RAW_BYTES`: a small
    animation then costs no compression. Past that, each frame is stored as its
    difference (XOR) from the frame before, zlib-compressed: what did not change
    is zeros, which compress to almost nothing (a gallery frame takes a few KB
    instead of about 200); a first frame larger than :attr:`RAW_BYTES` is
    stored compressed too (its difference from black). Frames are therefore
    read back in order. The compression runs in a thread of its own (numpy and
    zlib let go of the GIL) while the next frame is drawn. Call :meth:`close`
    after the last frame.
    """

    # Below matplotlib's own buffers for a large grid, so peak memory stays theirs.
    RAW_BYTES = 8 * 2**20

    def __init__(self):
        self.entries, self.durations = [], []
        self.previous, self.raw_bytes, self.shape = None, 0, None
        self.worker = None

    def add(self, frame, duration):
        raw = not self.entries or isinstance(self.entries[-1], np.ndarray)
        if raw and self.raw_bytes + frame.nbytes <= self.RAW_BYTES:
            kept = np.array(frame)
            kept.flags.writeable = False
            self.entries.append(kept)
            self.raw_bytes += kept.nbytes
            self.previous = kept
        else:
            if self.worker is None:
                self.worker = ThreadPoolExecutor(1)
            self.shape = frame.shape
            # A copy: the caller may draw the next frame into the same buffer.
            self.entries.append(self.worker.submit(self._difference, np.array(frame)))
        self.durations.append(duration)

    def _difference(self, frame):
        """``frame`` XOR the frame before (black before the first), compressed; in the
        worker, frame after frame."""
        if self.previous is None:
            compressed = zlib.compress(frame, 1)
        else:
            if not self.previous.flags.writeable:
                self.previous = self.previous.copy()
            # In place: the difference needs no frame-sized buffer of its own.
            self.previous ^= frame
            compressed = zlib.compress(self.previous, 1)
        self.previous = frame
        return compressed

    def close(self):
        """No more frames: the worker ends, and the copy of the last frame, kept to
        take the next one's difference from, goes (a large grid's frame is 11 MB)."""
        if self.worker is not None:
            self.worker.shutdown()
            self.worker = None
        self.previous = None

    def __len__(self):
        return len(self.entries)

    def frames(self, indices=None):
        """The frames (those at ``indices``, increasing, if given), one at a time, read-only."""
        wanted = None if indices is None else set(indices)
        frame = None
        for i, entry in enumerate(self.entries):
            if isinstance(entry, np.ndarray):
                frame = entry
            else:
                difference = np.frombuffer(zlib.decompress(entry.result()), np.uint8)
                difference = difference.reshape(self.shape)
                # A new array, not the frame before changed in place: the reader may
                # still hold that one, and no third copy is needed.
                frame = difference.copy() if frame is None else frame ^ difference
                frame.flags.writeable = False
            if wanted is None or i in wanted:
                yield frame

    def __iter__(self):
        return self.frames()


@register
class GifWriter(Writer):
    """GIF through :mod:`animate.encode`: one shared palette, frames as small as gifsicle -O3.

    The shared palette needs eight frames spread over the whole animation, so
    frames wait, compressed, until :meth:`finish`; there they are mapped to the
    palette (kept compressed as indices) and then encoded one by one.
    """

    suffixes = (".gif",)

    def setup(self, path):
        super().setup(path)
        self.store = FrameStore()

    def add_frame(self, rgb, duration):
        self.store.add(rgb, duration)

    def finish(self):
        from animate import encode

        self.store.close()
        samples = self.store.frames(encode.sample_indices(len(self.store)))
        palette = encode.palette_for(samples, self.theme)
        with open(self.path, "wb") as fp:
            encode.write_indexed(fp, palette, self.store, self.store.durations, self.theme)


@register
class WebPWriter(Writer):
    """Animated WebP, lossless, with per-frame durations; loops forever.

    Frames go straight to libwebp's animation encoder (the one pillow's
    ``save_all`` drives, which first lists every frame), so only the encoded
    file grows in memory. The encoder merges a frame identical to the one
    before into it, as the GIF writer does.
    """

    suffixes = (".webp",)
    quality, method = 80, 4

    def setup(self, path):
        super().setup(path)
        self.encoder = None
        self.elapsed_ms = 0

    def add_frame(self, rgb, duration):
        from PIL import Image, _webp

        height, width = rgb.shape[:2]
        if self.encoder is None:
            white = 0xFFFFFFFF
            # size, background, loop forever, minimize size, key frames (kmin, kmax) as
            # pillow sets them for lossless, allow mixed, verbose.
            self.encoder = _webp.WebPAnimEncoder(
                (width, height), white, 0, False, 9, 17, False, False
            )
        image = Image.fromarray(rgb)
        self.encoder.add(image.getim(), self.elapsed_ms, True, self.quality, 100, self.method)
        self.elapsed_ms += duration

    def finish(self):
        self.encoder.add(None, self.elapsed_ms, True, self.quality, 100, 0)
        data = self.encoder.assemble("", b"", "")
        if data is None:
            raise OSError("libwebp could not assemble the animation")
        self.path.write_bytes(data)


@register
class APNGWriter(Writer):
    """Animated PNG, streamed: each frame stores only the rectangle that changed.

    Pillow encodes each rectangle (filters and zlib); this writer wraps it in
    the APNG chunks (``fcTL``, ``fdAT``) and patches the frame count into
    ``acTL`` at the end. A frame identical to the one before only lengthens it.
    """

    suffixes = (".apng", ".png")

    def setup(self, path):
        super().setup(path)
        self.fp = open(self.path, "wb")  # noqa: SIM115 - closed by finish or abort
        self.previous = None
        self.pending = None
        self.sequence = 0
        self.frames = 0

    def add_frame(self, rgb, duration):
        if self.previous is None:
            self._start(rgb.shape[1], rgb.shape[0])
            box = (0, 0, rgb.shape[1], rgb.shape[0])
        else:
            changed = np.any(rgb != self.previous, axis=2)
            if not changed.any():
                self.pending[2] += duration
                return
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            box = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
            self._flush()
        self.previous = rgb.copy()
        self.pending = [rgb[box[1] : box[3], box[0] : box[2]].copy(), box[:2], duration]

    def finish(self):
        self._flush()
        self._chunk(b"IEND", b"")
        self.fp.seek(self.actl_at)
        self._chunk(b"acTL", _u32(self.frames) + _u32(0))
        self.fp.close()

    def abort(self):
        if hasattr(self, "fp"):
            self.fp.close()

    def _start(self, width, height):
        self.fp.write(b"\x89PNG\r\n\x1a\n")
        self._chunk(b"IHDR", _u32(width) + _u32(height) + bytes([8, 2, 0, 0, 0]))
        self.actl_at = self.fp.tell()
        self._chunk(b"acTL", _u32(0) + _u32(0))

    def _flush(self):
        pixels, (x, y), duration = self.pending
        height, width = pixels.shape[:2]
        control = _u32(width) + _u32(height) + _u32(x) + _u32(y)
        # Delay as a fraction (ms / 1000); dispose none, blend source: the frame
        # replaces its rectangle.
        control += int(duration).to_bytes(2, "big") + (1000).to_bytes(2, "big") + b"\0\0"
        self._chunk(b"fcTL", _u32(self.sequence) + control)
        self.sequence += 1
        data = _png_data(pixels)
        if self.frames == 0:
            self._chunk(b"IDAT", data)
        else:
            self._chunk(b"fdAT", _u32(self.sequence) + data)
            self.sequence += 1
        self.frames += 1

    def _chunk(self, kind, data):
        self.fp.write(_u32(len(data)) + kind + data)
        self.fp.write(_u32(zlib.crc32(kind + data)))


def _u32(value):
    return int(value).to_bytes(4, "big")


def _png_data(pixels):
    """The zlib stream of ``pixels`` as a PNG image: its IDAT chunks' data, joined."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    png, at, data = buffer.getvalue(), 8, []
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        if png[at + 4 : at + 8] == b"IDAT":
            data.append(png[at + 8 : at + 8 + length])
        at += 12 + length
    return b"".join(data)


@register
class MP4Writer(Writer):
    """H.264 video (yuv420p) at a fixed frame rate, streamed straight to ffmpeg.

    Each frame is repeated for as many video frames as its duration covers,
    rounded on the running total so that rounding never accumulates. Odd sizes
    get a white row or column: yuv420p needs even ones.
    """

    suffixes = (".mp4",)
    modules = ("imageio_ffmpeg",)
    extra = "video"
    fps = 20

    def setup(self, path):
        import imageio.v2 as imageio

        super().setup(path)
        self.elapsed_ms = 0
        self.video = imageio.get_writer(
            self.path,
            format="FFMPEG",
            mode="I",
            fps=self.fps,
            codec="libx264",
            pixelformat="yuv420p",
            macro_block_size=2,
            quality=None,
            output_params=["-crf", "18", "-movflags", "+faststart"],
            ffmpeg_log_level="error",
        )

    def add_frame(self, rgb, duration):
        start = round(self.elapsed_ms * self.fps / 1000)
        self.elapsed_ms += duration
        repeats = round(self.elapsed_ms * self.fps / 1000) - start
        frame = _even(rgb)
        for _ in range(repeats):
            self.video.append_data(frame)

    def finish(self):
        self.video.close()

    def abort(self):
        if hasattr(self, "video"):
            with contextlib.suppress(Exception):
                self.video.close()


def _even(rgb):
    h, w = rgb.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), constant_values=255)

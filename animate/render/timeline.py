"""Which step each frame shows, and for how long.

Short traces show every step; long ones (DBSCAN point by point, 999 merges)
show the early steps one by one and stride through the rest, within a frame
budget. The first frame pauses and the last holds: durations, not duplicated
frames, so the GIF stays small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from animate.errors import UserError

# GIF stores a frame's delay in hundredths of a second, in 16 bits.
MAX_MS = 655_350
# A step that changes the picture by less than this many pixels (summed since the
# last frame shown; a point changing colour or shade counts a quarter) shows nothing
# new to the eye: it gets no frame of its own.
QUIET_PX = 12.0
# What a point changing colour or shade counts for, in pixels moved.
RECOLOURED_PX = 0.25
# A key step (a first assignment, a relocation, a merge, the verdict) lasts this
# many ordinary steps.
KEY_HOLD = 2.5
# In a grid no step lasts less: the eye needs time to go over the panels.
GRID_STEP_MS = 400


@dataclass(frozen=True)
class Timing:
    """How long frames last, in milliseconds (GIFs store 10 ms units)."""

    step_ms: int = 500
    first_ms: int = 1500
    hold_ms: int = 3000
    max_frames: int = 90

    def __post_init__(self):
        for name in ("step_ms", "first_ms", "hold_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 20 <= value <= MAX_MS:
                raise UserError(
                    f"{name} must be a whole number of milliseconds from 20 to {MAX_MS:,} "
                    f"(the longest frame a GIF stores), got {value!r}"
                )
        if (
            isinstance(self.max_frames, bool)
            or not isinstance(self.max_frames, int)
            or (self.max_frames < 2)
        ):
            raise UserError(f"max_frames must be a whole number >= 2, got {self.max_frames!r}")


def select_steps(n_steps, max_frames, focus="head", head=None):
    """Indices of the steps to show: all if they fit, else the first ``head``
    one by one and the rest at a growing stride, always ending on the last step.

    ``focus="tail"`` mirrors it: early steps in strides, the last ones one by
    one (the last merges of a merge tree are the interesting ones).
    """
    if n_steps <= max_frames:
        return np.arange(n_steps)
    if focus == "tail":
        return (n_steps - 1 - select_steps(n_steps, max_frames, "head", head))[::-1]
    head = max_frames // 3 if head is None else min(head, max_frames - 2)
    rest = np.geomspace(1, n_steps - head, max_frames - head).round().astype(int) + head - 1
    return np.unique(np.concatenate([np.arange(head), rest, [n_steps - 1]]))


def without_quiet(selection, change, key, threshold):
    """The steps of ``selection`` worth a frame of their own: the first and the last,
    the key steps (``key[i]`` true), and any other once the picture has changed by
    ``threshold`` (pixels) since the last step kept. ``change[i]`` is how much step
    ``i`` changes the picture from step ``i - 1`` (inf: something appears or changes
    colour). A run of steps that change nothing visible is shortened to the frames
    that do; no step outside ``selection`` is added."""
    kept = [int(selection[0])]
    for s in selection[1:-1]:
        moved = float(np.sum(change[kept[-1] + 1 : s + 1]))
        if key[s] or moved >= threshold:
            kept.append(int(s))
    if selection[-1] != kept[-1]:
        kept.append(int(selection[-1]))
    return np.array(kept)


@dataclass(frozen=True)
class Timeline:
    """Frames of one or several aligned panels.

    ``frames[f][p]`` is the step panel ``p`` shows in frame ``f``;
    ``durations[f]`` its length in ms. A panel that has finished holds its
    final step while the others go on.
    """

    frames: tuple
    durations: tuple

    @classmethod
    def aligned(cls, step_counts, timing=Timing(), weights=None, focus=None, changes=None):
        """A timeline for panels with ``step_counts`` steps each.

        ``focus`` (optional, one per panel) is "head" or "tail", see :func:`select_steps`.

        ``weights`` (optional, one sequence per panel, indexed by step) scales a
        frame's duration: the longest weight among the panels' current steps wins.

        ``changes`` (optional, one sequence per panel, indexed by step) is how many
        pixels each step changes the picture: steps that change less than
        :data:`QUIET_PX` since the last frame are left out (see :func:`without_quiet`),
        except the key steps, those weighing more than 1.
        """
        focus = focus or ["head"] * len(step_counts)
        selections = [select_steps(n, timing.max_frames, f) for n, f in zip(step_counts, focus)]
        if changes is not None:
            keys = weights or [np.ones(n) for n in step_counts]
            selections = [
                without_quiet(sel, np.asarray(change, float), np.asarray(key) > 1, QUIET_PX)
                for sel, change, key in zip(selections, changes, keys)
            ]
        n_frames = max(len(s) for s in selections)
        frames = tuple(
            tuple(int(sel[min(f, len(sel) - 1)]) for sel in selections) for f in range(n_frames)
        )
        durations = []
        for f, steps in enumerate(frames):
            scale = 1.0
            if weights is not None:
                # A panel holding its last step has had its pause: it no longer counts.
                moving = [(w, s) for w, s, sel in zip(weights, steps, selections) if f < len(sel)]
                scale = max(w[s] for w, s in moving)
            durations.append(_tens(timing.step_ms * scale))
        durations[0] = max(durations[0], timing.first_ms)
        durations[-1] = max(durations[-1], timing.hold_ms)
        return cls(frames, tuple(_tens(d) for d in durations))

    @property
    def total_ms(self):
        return sum(self.durations)

    def __len__(self):
        return len(self.frames)


def _tens(ms):
    # GIF delays are stored in 10 ms units and truncated: keep multiples of 10.
    return int(max(20, round(ms / 10) * 10))

"""Parameter checks shared by the algorithms, run once at the boundary.

Each raises :class:`animate.UserError` with a message that names the parameter,
what it got, and what it takes.
"""

from __future__ import annotations

import os
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from animate.errors import UserError


def check_int(name, value, low=None, high=None):
    """``value`` as an int within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise UserError(f"{name} must be a whole number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise UserError(f"{name} must be {_range_text(low, high)}, got {value}")
    return int(value)


def check_float(name, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a float within the given bounds (open or closed)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise UserError(f"{name} must be a finite number, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
        raise UserError(f"{name} must be {' and '.join(filter(None, [lo, hi]))}, got {value}")
    return float(value)


def check_choice(name, value, choices):
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise UserError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_bool(name, value):
    """``value`` if it is True or False."""
    if not isinstance(value, bool | np.bool_):
        raise UserError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def check_random_state(random_state):
    """A ``numpy.random.RandomState`` as scikit-learn's ``check_random_state`` makes it."""
    from animate.algorithms.registry import RANDOM_STATE

    if isinstance(random_state, np.random.RandomState):
        return random_state
    if RANDOM_STATE.test(random_state):
        return np.random.RandomState(random_state)
    raise UserError(f"random_state must be {RANDOM_STATE}, got {random_state!r}")


def check_array(name, value, shape):
    """``value`` as a finite float64 array of ``shape`` (None in ``shape`` = any length)."""
    from animate.datasets import as_numbers

    array = as_numbers(value, name, f"{name} must be an array of numbers")
    parts = ["any" if s is None else str(s) for s in shape]
    expected = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if array.ndim != len(shape) or any(
        s is not None and s != a for s, a in zip(shape, array.shape)
    ):
        raise UserError(f"{name} must have shape {expected}, got {array.shape}")
    if not np.isfinite(array).all():
        raise UserError(f"{name} has a missing or infinite value; give finite numbers")
    return array


def check_sample_weight(sample_weight, n_samples, non_negative):
    """``sample_weight`` as n_samples finite float64 weights, all 1 when None.

    With ``non_negative`` (weights that average points), none may be negative
    and not all may be 0.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    weights = check_array("sample_weight", sample_weight, (n_samples,))
    if non_negative and np.any(weights < 0):
        raise UserError(
            f"sample_weight must not be negative, got {weights.min():g}; give each "
            "point's weight, 0 or more"
        )
    if non_negative and not np.any(weights):
        raise UserError("sample_weight is 0 for every point; give some points a positive weight")
    return weights


def check_n_clusters(name, value, n_samples):
    """A number of clusters between 1 and the number of points."""
    value = check_int(name, value, low=1)
    if value > n_samples:
        raise UserError(
            f"{name}={value} is more than the {n_samples} points in the data; "
            f"use at most {n_samples} or give more data"
        )
    return value


# What a machine that will not say is assumed to have: little, so that a run
# refused by mistake is the worst that can happen, never one that swaps.
FALLBACK_MEMORY = 2 * 2**30
_MEMINFO = "/proc/meminfo"


def available_memory():
    """Bytes of memory this process can use now.

    Linux: MemAvailable; Windows: the available physical memory; macOS and
    other Unixes: the physical memory. :data:`FALLBACK_MEMORY` (2 GiB) when
    none of these answers. Lowered to what a container or ulimit -v allows.
    """
    for probe in (_meminfo, _windows, _sysconf):
        try:
            found = probe()
        except (OSError, ValueError, AttributeError):
            continue
        if found:
            return min(found, _limit())
    return min(FALLBACK_MEMORY, _limit())


def _limit():
    """What a cgroup (container) limit or an address-space limit (ulimit -v) leaves."""
    candidates = [float("inf")]
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        if limit != "max":
            candidates.append(max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return min(candidates)
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        candidates.append(soft)
    return min(candidates)


def _meminfo():
    with open(_MEMINFO, encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def _windows():
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatus(dwLength=ctypes.sizeof(MemoryStatus))
    # ctypes.windll exists on Windows only: elsewhere an AttributeError, next probe.
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.pointer(status)):
        return None
    return int(status.ullAvailPhys)


def _sysconf():
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_pairwise_memory(algorithm, n_samples, n_matrices=1, itemsize=8, fraction=0.5):
    """Refuse a run whose ``n_matrices`` n x n arrays need over ``fraction`` of free memory."""
    needed = n_matrices * itemsize * n_samples**2
    budget = fraction * available_memory()
    if needed > budget:
        limit = int(np.sqrt(budget / (n_matrices * itemsize)))
        raise UserError(
            f"{algorithm} needs {needed / 2**30:.1f} GiB for {n_samples} points "
            f"(it keeps {n_matrices} n x n matrices); this machine allows about "
            f"{limit} points: subsample the data"
        )


def _range_text(low, high):
    if high is None:
        return f">= {low}"
    if low is None:
        return f"<= {high}"
    return f"between {low} and {high}"


def check_quadratic_time(algorithm, n_samples, limit):
    """Refuse at once a run whose time grows with n_samples squared beyond ``limit`` points
    (each limit is about a minute on a busy two-core machine, measured)."""
    if n_samples > limit:
        raise UserError(
            f"{algorithm} compares every point with every other, so {n_samples:,} points "
            f"would take many minutes; it takes at most {limit:,}: subsample the data, "
            f"e.g. X[::{-(-n_samples // limit)}]"
        )

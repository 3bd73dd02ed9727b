"""Snapshots of a clustering run: ``Step`` (one state) and ``Trace`` (the run).

Algorithms yield Steps; :func:`animate.run` collects them into a Trace, which
painters turn into frames. A Trace can be saved to ``.npz`` (no pickle) and
rendered later.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from animate.errors import UserError

_BASE_FIELDS = ("iteration", "phase", "labels", "message")


def frozen(array, dtype=None):
    """A read-only copy of ``array``: snapshots must not change after they are yielded."""
    out = np.array(array, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


class Step:
    """One snapshot of an algorithm's state.

    Parameters
    ----------
    iteration : int
        Iteration the snapshot belongs to (0 = initial state).
    phase : str
        Short name of what just happened: "init", "assign", "update", "e-step"...
    labels : array-like of int, shape (n_samples,)
        Cluster of every point; -1 means noise or not assigned yet.
    message : str
        One plain sentence for the caption.
    **fields
        The algorithm's own state (``centers``, ``resp``, ``core``...). Arrays are
        stored as read-only copies; read them back as attributes.
    """

    __slots__ = ("_fields", "_labels", "iteration", "message", "phase")

    def __init__(self, iteration, phase, labels, message, **fields):
        self.iteration = int(iteration)
        self.phase = str(phase)
        self._labels = frozen(labels, dtype=np.int64)
        self.message = str(message)
        self._fields = {name: _snapshot(value) for name, value in fields.items()}

    @property
    def labels(self):
        """Cluster of every point (read-only int64); -1 means noise or not assigned yet."""
        labels = self._labels
        return labels if isinstance(labels, np.ndarray) else labels.log.labels(labels.step)

    def __getattr__(self, name):
        fields = object.__getattribute__(self, "_fields")
        try:
            value = fields[name]
        except KeyError:
            raise AttributeError(f"this {self.phase!r} step has no field {name!r}") from None
        if isinstance(value, _Stored):
            value = fields[name] = value.read()
        return value

    @property
    def fields(self) -> Mapping:
        """The algorithm-specific fields, by name (a read-only mapping)."""
        return _Fields(self)

    def __repr__(self):
        extra = ", ".join(self._fields)
        return f"Step(iteration={self.iteration}, phase={self.phase!r}, fields=[{extra}])"


class _Fields(Mapping):
    """A step's fields by name; those of a trace loaded lazily are read when first used."""

    __slots__ = ("_step",)

    def __init__(self, step):
        self._step = step

    def __getitem__(self, name):
        if name not in self._step._fields:
            raise KeyError(name)
        return self._step.__getattr__(name)

    def __contains__(self, name):
        # Mapping's own asks for the value: it would read the field.
        return name in self._step._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._step._fields)

    def __len__(self):
        return len(self._step._fields)

    def __repr__(self):
        return f"fields({', '.join(self._step._fields)})"


@dataclass(frozen=True)
class Trace:
    """Every snapshot of one run of one algorithm on one data set.

    Attributes
    ----------
    algorithm : str
        Canonical algorithm name ("kmeans", "em", ...).
    X : ndarray of shape (n_samples, n_features)
        The data the algorithm ran on.
    steps : tuple of Step
        First = initial state, last = final state.
    params : dict
        The parameters the run was called with (for titles and reproduction).
    n_iter : int
        Iterations run (scikit-learn's ``n_iter_`` where it has one).
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    y : ndarray or None
        True labels of the data, when known (used to match colours).
    runs : tuple of Trace
        Every initialisation when the algorithm restarts (k-means ``n_init``);
        empty otherwise. The Trace itself is the best run.
    best_run : int or None
        Which of the runs the algorithm kept (the same on the trace and on
        each of its runs); None without restarts.
    data_kind : str
        What a row of ``X`` is, as :class:`animate.datasets.Dataset` says:
        "points", "photo" (pixels of one picture) or "digits". Painters are
        chosen by the algorithm and this kind.
    image_shape : tuple of int or None
        The picture's (height, width) for "photo", one row's (8, 8) for
        "digits"; None otherwise.
    feature_names : tuple of str or None
        A name per feature (a DataFrame's or CSV file's columns): they label the axes.
    label_names : tuple of str or None
        ``label_names[k]`` names true class ``k`` of ``y`` (the legend's entries).
    """

    algorithm: str
    X: np.ndarray
    steps: tuple
    params: dict = field(default_factory=dict)
    n_iter: int = 0
    converged: bool = True
    y: np.ndarray | None = None
    runs: tuple = ()
    best_run: int | None = None
    data_kind: str = "points"
    image_shape: tuple | None = None
    feature_names: tuple | None = None
    label_names: tuple | None = None

    @property
    def final(self) -> Step:
        """The last snapshot: the algorithm's answer."""
        return self.steps[-1]

    def __len__(self):
        return len(self.steps)

    def __repr__(self):
        # Short on purpose: the default dataclass repr printed every array.
        n, d = self.X.shape
        labels = self.final.labels
        clusters = len(np.unique(labels[labels >= 0]))
        ending = "converged" if self.converged else "not converged"
        runs = f", best of {len(self.runs)} runs" if self.runs else ""
        return (
            f"<Trace {self.algorithm}: {n} samples x {d} features, {len(self.steps)} steps, "
            f"{ending} after {self.n_iter} iterations, {clusters} clusters{runs}>"
        )

    def save(self, path, force=False):
        """Write the trace (with its runs) to ``path`` as ``.npz``, atomically, without pickle.

        A parameter JSON cannot hold (a sparse connectivity matrix) is saved as
        a short description of itself: the steps, not the parameters, are the record.
        Missing folders are made; an existing file that is not an ``.npz`` is
        replaced only with ``force``.
        """
        from animate.encode import atomic_write

        arrays, meta = _pack(self)
        arrays["meta"] = np.array(json.dumps(meta))

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)

        atomic_write(path, write, replaces=("npz",), force=force)

    @classmethod
    def load(cls, path) -> Trace:
        """Read a trace written by :meth:`save` (never unpickling anything)."""
        with _reading(path):
            with Archive(path) as archive:
                arrays = {name: archive.read(name) for name in archive.names}
            meta = json.loads(str(arrays.pop("meta")))
            return _unpack(meta, arrays, prefix="")


def load_lazily(path):
    """Read a trace written by :meth:`Trace.save` whose steps read each of their
    fields from the file when it is first used: a painter that draws a few of
    them (a grid's panels draw no heat maps) never holds the rest in memory.

    Returns the trace and its open :class:`Archive`; close that when the trace
    is no longer used (the fields not read by then cannot be read any more).
    """
    with _reading(path):
        archive = Archive(path)
        try:
            arrays = {name: _Stored(archive, name) for name in archive.names}
            meta = json.loads(str(arrays.pop("meta").read()))
            for name in list(arrays):
                if not _is_step_field(name):
                    arrays[name] = arrays[name].read()
            return _unpack(meta, arrays, prefix=""), archive
        except BaseException:
            archive.close()
            raise


@contextlib.contextmanager
def _reading(path):
    """Turn whatever a damaged or missing trace file raises into one UserError."""
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise UserError(f"path must be a trace file such as 'run.npz', got {path!r}")
    try:
        yield
    except FileNotFoundError:
        raise UserError(f"trace file {path} does not exist; check the path") from None
    except UserError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError, zipfile.BadZipFile):
        raise UserError(
            f"cannot read trace {path}: it is not a file written by Trace.save, or it "
            "is damaged; write it again with Trace.save"
        ) from None


class LabelLog:
    """The labels of many steps, kept as what changed from the step before.

    A run that changes few labels per step (a merge, a DBSCAN visit) would
    otherwise keep n labels per step: n**2 for agglomerative clustering. Each
    step keeps the points whose label changed and their new labels (int32); a
    full copy starts afresh whenever the changes since the last one add up to
    n, so that reading a step costs at most about two copies of n labels, and
    the whole log grows like the changes (n log n for merges: a point changes
    label only when its cluster joins a larger one).
    """

    def __init__(self):
        self.copies, self.copy_of = [], []
        self.where, self.values = [], []
        self.since, self.current = 0, None
        self._cache = (None, None)

    def __len__(self):
        return len(self.copy_of)

    def append(self, labels):
        """Log the labels of the next step; returns that step's number in the log."""
        labels = np.asarray(labels)
        where = None
        if self.current is not None and labels.shape == self.current.shape:
            where = np.flatnonzero(labels != self.current).astype(np.int32)
        if where is None or self.since + len(where) > len(labels):
            self.copies.append(labels.astype(np.int32))
            where, self.since = None, 0
        else:
            self.since += len(where)
        self.copy_of.append(len(self.copies) - 1)
        self.where.append(where)
        self.values.append(None if where is None else labels[where].astype(np.int32))
        self.current = labels
        return len(self.copy_of) - 1

    def take(self, step):
        """Log ``step``'s labels and make the step read them from the log."""
        step._labels = _Logged(self, self.append(step._labels))
        return step

    def labels(self, step):
        """The labels of ``step`` (its number in the log), read-only int64."""
        cached_step, cached = self._cache
        if (
            cached_step is not None
            and cached_step <= step
            and (self.copy_of[cached_step] == self.copy_of[step])
        ):
            first, labels = cached_step + 1, cached.copy()
        else:
            first = step
            while self.where[first] is not None:
                first -= 1
            labels = self.copies[self.copy_of[first]].astype(np.int64)
            first += 1
        for i in range(first, step + 1):
            labels[self.where[i]] = self.values[i]
        self._cache = (step, labels)
        out = labels.copy()
        out.flags.writeable = False
        return out

    def arrays(self, prefix):
        """The log as a few arrays, for :meth:`Trace.save`."""
        counts = [-1 if w is None else len(w) for w in self.where]
        empty = np.zeros(0, np.int32)
        return {
            f"{prefix}labels.copies": np.concatenate([empty, *self.copies]),
            f"{prefix}labels.sizes": np.array([len(c) for c in self.copies], dtype=np.int64),
            f"{prefix}labels.counts": np.array(counts, dtype=np.int32),
            f"{prefix}labels.where": np.concatenate(
                [empty, *(w for w in self.where if w is not None)]
            ),
            f"{prefix}labels.values": np.concatenate(
                [empty, *(v for v in self.values if v is not None)]
            ),
        }

    @classmethod
    def from_arrays(cls, arrays, prefix):
        log = cls()
        sizes = arrays[f"{prefix}labels.sizes"]
        copies = iter(np.split(arrays[f"{prefix}labels.copies"], np.cumsum(sizes)[:-1]))
        where, values, at = arrays[f"{prefix}labels.where"], arrays[f"{prefix}labels.values"], 0
        for count in arrays[f"{prefix}labels.counts"].tolist():
            if count < 0:
                log.copies.append(next(copies))
                log.where.append(None)
                log.values.append(None)
            else:
                log.where.append(where[at : at + count])
                log.values.append(values[at : at + count])
                at += count
            log.copy_of.append(len(log.copies) - 1)
        return log


@dataclass(frozen=True)
class _Logged:
    """Where a step's labels are: its number in a :class:`LabelLog`."""

    log: LabelLog
    step: int


class Archive:
    """The arrays of an ``.npz`` file, each checked against its size when the file
    is opened and read when asked for; a context manager that closes the file.

    A damaged or hostile file may declare an array far larger than the file
    holds; numpy would reserve that much memory before finding out.
    """

    def __init__(self, path):
        self.zip = zipfile.ZipFile(path)
        try:
            self.members = self._checked_members()
        except BaseException:
            self.zip.close()
            raise

    @property
    def names(self):
        """The arrays' names (without ".npy")."""
        return list(self.members)

    def read(self, name):
        """The array ``name``, read from the file."""
        with self.zip.open(self.members[name]) as fh:
            return np.lib.format.read_array(fh, allow_pickle=False)

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _checked_members(self):
        from animate.algorithms._checks import available_memory

        members, total = {}, 0
        for info in self.zip.infolist():
            with self.zip.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                shape, _, dtype = (
                    np.lib.format.read_array_header_1_0(fh)
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0(fh)
                )
            size = math.prod(shape) * dtype.itemsize
            total += size
            if dtype.hasobject or size > info.file_size or total > available_memory() / 2:
                raise ValueError(f"{info.filename} is not a plain array of its declared size")
            members[info.filename.removesuffix(".npy")] = info
        return members


@dataclass(frozen=True)
class _Stored:
    """A step's field still in its file (see :func:`load_lazily`)."""

    archive: Archive
    name: str

    def read(self):
        array = self.archive.read(self.name)
        array.flags.writeable = False
        return array


def _is_step_field(name):
    """Whether the array ``name`` of a saved trace is a step's own field ("s12.centers",
    "r0/s3.resp"), not the data, the true labels, the label log or a step's labels
    (files written before the label log)."""
    head, dot, field_name = name.rpartition("/")[2].partition(".")
    return bool(dot) and head[:1] == "s" and head[1:].isdigit() and field_name != "labels"


def _snapshot(value):
    if isinstance(value, _Stored):
        return value
    if isinstance(value, np.ndarray):
        return frozen(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _pack(trace, prefix=""):
    arrays = {f"{prefix}X": trace.X}
    if trace.y is not None:
        arrays[f"{prefix}y"] = trace.y
    steps, log = [], LabelLog()
    for i, step in enumerate(trace.steps):
        scalars = {}
        for name, value in step.fields.items():
            if isinstance(value, np.ndarray):
                arrays[f"{prefix}s{i}.{name}"] = value
            else:
                scalars[name] = value
        log.append(step.labels)
        steps.append(
            {
                "iteration": step.iteration,
                "phase": step.phase,
                "message": step.message,
                "scalars": scalars,
            }
        )
    arrays.update(log.arrays(prefix))
    runs = []
    for r, run in enumerate(trace.runs):
        run_arrays, run_meta = _pack(run, prefix=f"{prefix}r{r}/")
        arrays.update(run_arrays)
        runs.append(run_meta)
    meta = {
        "algorithm": trace.algorithm,
        "params": _jsonable(trace.params),
        "n_iter": trace.n_iter,
        "converged": trace.converged,
        "steps": steps,
        "runs": runs,
        "best_run": trace.best_run,
        "data_kind": trace.data_kind,
        "image_shape": trace.image_shape,
        "feature_names": trace.feature_names,
        "label_names": trace.label_names,
    }
    return arrays, meta


def _unpack(meta, arrays, prefix):
    steps = []
    by_step = {}
    for name in arrays:
        head, dot, field_name = name.removeprefix(prefix).partition(".")
        if name.startswith(prefix) and dot and head[:1] == "s" and head[1:].isdigit():
            by_step.setdefault(int(head[1:]), {})[field_name] = arrays[name]
    # Files written before the label log kept each step's labels as "s{i}.labels".
    log = LabelLog.from_arrays(arrays, prefix) if f"{prefix}labels.counts" in arrays else None
    n_samples = len(arrays[f"{prefix}X"])
    if log is not None and (
        len(log) != len(meta["steps"]) or any(len(c) != n_samples for c in log.copies)
    ):
        raise ValueError("the label log does not match the steps")
    for i, info in enumerate(meta["steps"]):
        fields = by_step.get(i, {})
        # A missing label array (KeyError) is a damaged file, reported as such by load.
        labels = fields.pop("labels") if log is None else []
        step = Step(
            info["iteration"], info["phase"], labels, info["message"], **fields, **info["scalars"]
        )
        if log is not None:
            step._labels = _Logged(log, i)
        steps.append(step)
    runs = tuple(_unpack(run, arrays, f"{prefix}r{r}/") for r, run in enumerate(meta["runs"]))
    return Trace(
        meta["algorithm"],
        arrays[f"{prefix}X"],
        tuple(steps),
        meta["params"],
        meta["n_iter"],
        meta["converged"],
        arrays.get(f"{prefix}y"),
        runs,
        meta.get("best_run"),
        meta.get("data_kind", "points"),
        None if meta.get("image_shape") is None else tuple(meta["image_shape"]),
        _names(meta.get("feature_names")),
        _names(meta.get("label_names")),
    )


def _names(names):
    return None if names is None else tuple(names)


def _jsonable(params):
    return {key: _json_value(value) for key, value in params.items()}


def _json_value(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    try:
        json.dumps(value)
    except TypeError:
        # A sparse connectivity matrix, a callable...: the saved trace keeps every
        # step, so the parameter is only described, not stored.
        shape = getattr(value, "shape", None)
        return f"{type(value).__name__}" + (f" of shape {tuple(shape)}" if shape else "")
    return value

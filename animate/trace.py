"""Snapshots of a clustering run: ``Step`` (one state) and ``Trace`` (the run).

Algorithms yield Steps; :func:`animate.run` collects them into a Trace, which
painters turn into frames. A Trace can be saved to ``.npz`` (no pickle) and
rendered later.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Mapping
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

    __slots__ = ("_fields", "iteration", "labels", "message", "phase")

    def __init__(self, iteration, phase, labels, message, **fields):
        self.iteration = int(iteration)
        self.phase = str(phase)
        self.labels = frozen(labels, dtype=np.int64)
        self.message = str(message)
        self._fields = {name: _snapshot(value) for name, value in fields.items()}

    def __getattr__(self, name):
        try:
            return object.__getattribute__(self, "_fields")[name]
        except KeyError:
            raise AttributeError(f"this {self.phase!r} step has no field {name!r}") from None

    @property
    def fields(self) -> Mapping:
        """The algorithm-specific fields, by name."""
        return dict(self._fields)

    def __repr__(self):
        extra = ", ".join(self._fields)
        return f"Step(iteration={self.iteration}, phase={self.phase!r}, fields=[{extra}])"


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
        if not isinstance(path, str | os.PathLike) or not str(path):
            raise UserError(f"path must be a trace file such as 'run.npz', got {path!r}")
        try:
            arrays = _read_npz(path)
            meta = json.loads(str(arrays.pop("meta")))
            return _unpack(meta, arrays, prefix="")
        except FileNotFoundError:
            raise UserError(f"trace file {path} does not exist; check the path") from None
        except UserError:
            raise
        except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError, zipfile.BadZipFile):
            raise UserError(
                f"cannot read trace {path}: it is not a file written by Trace.save, or it "
                "is damaged; write it again with Trace.save"
            ) from None


def _read_npz(path):
    """The arrays of an ``.npz`` file, each checked against its size before it is read.

    A damaged or hostile file may declare an array far larger than the file
    holds; numpy would reserve that much memory before finding out.
    """
    from animate.algorithms._checks import available_memory

    arrays, total = {}, 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as fh:
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
            with archive.open(info) as fh:
                arrays[info.filename.removesuffix(".npy")] = np.lib.format.read_array(
                    fh, allow_pickle=False
                )
    return arrays


def _snapshot(value):
    if isinstance(value, np.ndarray):
        return frozen(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _pack(trace, prefix=""):
    arrays = {f"{prefix}X": trace.X}
    if trace.y is not None:
        arrays[f"{prefix}y"] = trace.y
    steps = []
    for i, step in enumerate(trace.steps):
        scalars = {}
        for name, value in step.fields.items():
            if isinstance(value, np.ndarray):
                arrays[f"{prefix}s{i}.{name}"] = value
            else:
                scalars[name] = value
        arrays[f"{prefix}s{i}.labels"] = step.labels
        steps.append(
            {
                "iteration": step.iteration,
                "phase": step.phase,
                "message": step.message,
                "scalars": scalars,
            }
        )
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
    for i, info in enumerate(meta["steps"]):
        key = f"{prefix}s{i}."
        fields = {name[len(key) :]: arrays[name] for name in arrays if name.startswith(key)}
        labels = fields.pop("labels")
        steps.append(
            Step(
                info["iteration"],
                info["phase"],
                labels,
                info["message"],
                **fields,
                **info["scalars"],
            )
        )
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

"""Traces keep and save what changed from step to step: memory and files grow like the run's
own output (n log n labels for n merges), not like n labels per step."""

import numpy as np
import pytest

import animate
from animate.trace import LabelLog


@pytest.fixture(scope="module")
def merges():
    X, _ = animate.datasets.make("blobs", n_samples=300, centers=4, random_state=0)
    return animate.run("agglomerative", X, n_clusters=4)


def _log_bytes(log):
    return sum(a.nbytes for a in log.arrays("").values())


def test_a_log_reads_back_every_step_in_any_order():
    rng = np.random.default_rng(0)
    sequence = [rng.integers(-1, 5, 50)]
    for _ in range(60):
        labels = sequence[-1].copy()
        labels[rng.integers(0, 50, rng.integers(0, 12))] = rng.integers(-1, 5)
        sequence.append(labels)
    sequence.append(rng.integers(0, 3, 20))  # another length starts a new full copy
    log = LabelLog()
    for labels in sequence:
        log.append(labels)
    for i in [*rng.permutation(len(sequence)), *range(len(sequence))]:
        got = log.labels(i)
        np.testing.assert_array_equal(got, sequence[i])
        assert got.dtype == np.int64 and not got.flags.writeable
    again = LabelLog.from_arrays(log.arrays("p/"), "p/")
    assert all(np.array_equal(again.labels(i), s) for i, s in enumerate(sequence))


def test_merge_labels_take_memory_like_n_log_n(merges):
    n = len(merges.X)
    log = merges.steps[1]._labels.log
    assert len(log) == len(merges.steps) == n + 1
    # One int32 label per point per doubling of its cluster, and one index: n^2 before.
    assert _log_bytes(log) < 8 * n * (np.log2(n) + 4)


def test_saved_merges_grow_like_n_and_load_the_same(merges, tmp_path):
    n = len(merges.X)
    merges.save(tmp_path / "t.npz")
    assert (tmp_path / "t.npz").stat().st_size < 200 * n
    back = animate.Trace.load(tmp_path / "t.npz")
    assert len(back.steps) == len(merges.steps)
    for step, loaded in zip(merges.steps, back.steps):
        np.testing.assert_array_equal(loaded.labels, step.labels)
        assert (loaded.iteration, loaded.phase, loaded.message) == (
            step.iteration,
            step.phase,
            step.message,
        )
    np.testing.assert_array_equal(back.final.linkage, merges.final.linkage)

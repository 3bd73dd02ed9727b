"""Stable colours: a cluster keeps its colour when labels are renumbered.

Labels are matched by overlap (:func:`best_pairs`, scipy's
``linear_sum_assignment`` on the contingency table) from the final step
backwards, and the final labels are matched to a reference: the true labels
when the data has them, or another panel's final labels, so that side-by-side
panels agree.
"""

from __future__ import annotations

import numpy as np


def match(labels, reference):
    """``{label: reference label}`` pairing clusters of ``labels`` with the most overlap.

    Noise (-1) is left out on both sides; unmatched labels are absent.
    """
    labels, reference = np.asarray(labels), np.asarray(reference)
    keep = (labels >= 0) & (reference >= 0)
    ours, theirs = np.unique(labels[keep]), np.unique(reference[keep])
    if len(ours) == 0 or len(theirs) == 0:
        return {}
    table = np.zeros((len(ours), len(theirs)))
    np.add.at(
        table, (np.searchsorted(ours, labels[keep]), np.searchsorted(theirs, reference[keep])), 1
    )
    rows, cols = best_pairs(table)
    return {int(ours[r]): int(theirs[c]) for r, c in zip(rows, cols) if table[r, c] > 0}


def best_pairs(weights):
    """Rows paired with columns, each used once, for the largest total weight: the
    pairs of ``scipy.optimize.linear_sum_assignment(weights, maximize=True)``, ties
    broken as it breaks them (Crouse's shortest augmenting paths, in scipy's order).

    In numpy because importing scipy.optimize costs the drawing process about 38 MB.

    Returns
    -------
    rows, cols : int arrays of the same length, rows increasing.
    """
    cost = -np.asarray(weights, dtype=float)
    transposed = cost.shape[1] < cost.shape[0]
    cost = cost.T if transposed else cost
    n_rows, n_cols = cost.shape
    u, v = np.zeros(n_rows), np.zeros(n_cols)
    col4row, row4col = np.full(n_rows, -1), np.full(n_cols, -1)
    path = np.full(n_cols, -1)
    for row in range(n_rows):
        sink, lowest, shortest, rows_seen, cols_seen = _augmenting_path(
            cost, u, v, path, row4col, row
        )
        # Dual variables, then the matching along the path.
        u[row] += lowest
        rows_seen[row] = False
        u[rows_seen] += lowest - shortest[col4row[rows_seen]]
        v[cols_seen] -= lowest - shortest[cols_seen]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == row:
                break
    if transposed:
        order = np.argsort(col4row)
        return col4row[order], np.arange(n_rows)[order]
    return np.arange(n_rows), col4row


def _augmenting_path(cost, u, v, path, row4col, row):
    """The shortest augmenting path from ``row`` (scipy's ``augmenting_path``): its
    free end column, its length, the path lengths, and the rows and columns visited."""
    n_rows, n_cols = cost.shape
    # Columns in reverse order: a constant cost matrix then pairs row i with column i.
    remaining = np.arange(n_cols)[::-1].copy()
    rows_seen, cols_seen = np.zeros(n_rows, bool), np.zeros(n_cols, bool)
    shortest = np.full(n_cols, np.inf)
    lowest, i = 0.0, row
    while True:
        rows_seen[i] = True
        reduced = lowest + cost[i, remaining] - u[i] - v[remaining]
        better = reduced < shortest[remaining]
        path[remaining[better]] = i
        shortest[remaining[better]] = reduced[better]
        lengths = shortest[remaining]
        lowest = lengths.min()
        # Among equally short paths the last free column in ``remaining``, else the first.
        ties = np.flatnonzero(lengths == lowest)
        free = ties[row4col[remaining[ties]] == -1]
        index = free[-1] if len(free) else ties[0]
        j = remaining[index]
        cols_seen[j] = True
        remaining[index] = remaining[-1]
        remaining = remaining[:-1]
        if row4col[j] == -1:
            return j, lowest, shortest, rows_seen, cols_seen
        i = row4col[j]


def slots_for(labels, known, reference=None):
    """Colour slot of every label in ``labels``.

    ``known`` maps reference labels to slots; labels matched to a reference
    label take its slot, the others take the lowest free slots in label order.
    """
    pairing = match(labels, reference) if reference is not None else {}
    slots, used = {}, set()
    for label, ref in pairing.items():
        if ref in known and known[ref] not in used:
            slots[label] = known[ref]
            used.add(known[ref])
    free = (s for s in range(10**6) if s not in used)
    for label in np.unique(np.asarray(labels)):
        if label >= 0 and int(label) not in slots:
            slots[int(label)] = next(free)
    return slots


def colour_slots(label_steps, anchor=None, identity=False):
    """Per-step colour slots for a sequence of label arrays.

    Parameters
    ----------
    label_steps : sequence of int arrays
        Labels of every step (-1 = noise or unassigned).
    anchor : int array, optional
        Labels the final step should agree with (true labels, or another
        panel's final labels): matched clusters take the anchor's label as slot.
    identity : bool
        Labels name the same cluster in every step (k-means centres, EM
        components): one mapping for the whole run instead of step-by-step matching.

    Returns
    -------
    list of dict
        ``{label: slot}`` for every step.
    """
    final = np.asarray(label_steps[-1])
    anchor_slots = {} if anchor is None else {int(a): int(a) for a in np.unique(anchor) if a >= 0}
    final_slots = slots_for(final, anchor_slots, anchor)
    if identity:
        every = sorted({int(v) for labels in label_steps for v in np.unique(labels) if v >= 0})
        extra = (s for s in range(10**6) if s not in final_slots.values())
        mapping = {v: final_slots[v] if v in final_slots else next(extra) for v in every}
        return [mapping] * len(label_steps)
    result = [final_slots]
    for labels in reversed(label_steps[:-1]):
        result.append(slots_for(labels, result[-1], label_steps[len(label_steps) - len(result)]))
    return result[::-1]


def as_slots(labels, mapping):
    """Apply a ``{label: slot}`` mapping to a label array; -1 stays -1."""
    labels = np.asarray(labels)
    if len(mapping) == 0:
        return np.full(labels.shape, -1)
    top = max(max(mapping), int(labels.max(initial=0))) + 1
    table = np.full(top + 1, -1)
    for label, slot in mapping.items():
        table[label] = slot
    return np.where(labels >= 0, table[np.clip(labels, 0, top)], -1)

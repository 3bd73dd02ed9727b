"""Stable colours: a cluster keeps its colour when labels are renumbered.

Labels are matched by overlap (``scipy.optimize.linear_sum_assignment`` on the
contingency table) from the final step backwards, and the final labels are
matched to a reference: the true labels when the data has them, or another
panel's final labels, so that side-by-side panels agree.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


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
    rows, cols = linear_sum_assignment(table, maximize=True)
    return {int(ours[r]): int(theirs[c]) for r, c in zip(rows, cols) if table[r, c] > 0}


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

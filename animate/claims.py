"""What a scene says about its runs, checked against the runs themselves.

A scene's description and panel titles make claims ("only the middle column
finds the four clouds"); a ``[[claims]]`` table states each one as a number
measured on the traces, so a change of data, parameters or algorithm that
makes the words false fails a test instead of misleading a reader. The format
is documented in docs/scenes.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from animate.errors import UserError
from animate.metrics import adjusted_rand_index


def _clusters(labels):
    return len(np.unique(labels[labels >= 0]))


def _clusters_found(trace):
    return _clusters(trace.final.labels)


def _most_clusters(trace):
    return max(_clusters(step.labels) for step in trace.steps)


def _ari(trace):
    if trace.y is None:
        raise UserError("a claim on 'ari' needs data with true labels")
    return adjusted_rand_index(trace.y, trace.final.labels)


def _noise(trace):
    return int(np.count_nonzero(trace.final.labels < 0))


def _relocations(trace):
    return sum(len(getattr(step, "relocated", ())) for step in trace.steps)


# Each measure: one number (or bool) from one trace.
MEASURES = {
    "clusters": _clusters_found,
    "most_clusters": _most_clusters,
    "ari": _ari,
    "noise": _noise,
    "converged": lambda trace: bool(trace.converged),
    "n_iter": lambda trace: int(trace.n_iter),
    "relocations": _relocations,
}
_BOUNDS = ("equals", "at_least", "at_most")
_KEYS = {"says", "panels", "measure", *_BOUNDS}


@dataclass(frozen=True)
class Claim:
    """One sentence of a scene and the measured bound that makes it true.

    ``panels`` are 1-based positions in the scene's order (rows, then
    columns); None means every panel.
    """

    says: str
    measure: str
    panels: tuple | None
    bounds: tuple

    def check(self, traces):
        """The panels (1-based) where the claim fails, with the value measured."""
        chosen = self.panels or tuple(range(1, len(traces) + 1))
        failures = []
        for p in chosen:
            value = MEASURES[self.measure](traces[p - 1])
            if not all(_holds(value, kind, bound) for kind, bound in self.bounds):
                failures.append((p, value))
        return failures


def _holds(value, kind, bound):
    if kind == "equals":
        return value == bound
    return value >= bound if kind == "at_least" else value <= bound


def parse_claims(tables, n_panels, where):
    """The scene's ``[[claims]]`` tables as :class:`Claim` objects, checked."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise UserError(f"{where}: claims must be a list of [[claims]] tables")
    claims = []
    for i, table in enumerate(tables, start=1):
        here = f"{where} [[claims]] {i}"
        unknown = sorted(set(table) - _KEYS)
        if unknown:
            raise UserError(f"{here} has an unknown key {unknown[0]!r}; expected {sorted(_KEYS)}")
        if not isinstance(table.get("says"), str):
            raise UserError(f"{here} needs says = 'the sentence it checks'")
        measure = table.get("measure")
        if measure not in MEASURES:
            known = ", ".join(MEASURES)
            raise UserError(f"{here}: measure must be one of {known}, got {measure!r}")
        bounds = tuple((k, table[k]) for k in _BOUNDS if k in table)
        if not bounds:
            raise UserError(f"{here} needs a bound: equals, at_least or at_most")
        panels = table.get("panels")
        numbered = isinstance(panels, list) and all(
            isinstance(p, int) and 1 <= p <= n_panels for p in panels
        )
        if panels is not None and not numbered:
            raise UserError(f"{here}: panels must be a list of panel numbers from 1 to {n_panels}")
        claims.append(Claim(table["says"], measure, tuple(panels) if panels else None, bounds))
    return tuple(claims)

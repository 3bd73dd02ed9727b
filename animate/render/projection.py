"""The 2-D view of the data: the data itself, or its first two principal components."""

from __future__ import annotations

import numpy as np


class View:
    """Maps points (and covariances) of any dimension to the plane of the picture.

    For d = 2 it is the identity; for d > 2 the first two principal components of
    ``X`` (computed with numpy's SVD); for d = 1 the values along x, at y = 0.
    """

    def __init__(self, X):
        self.n_features = X.shape[1]
        self.mean = X.mean(axis=0) if self.n_features > 2 else np.zeros(self.n_features)
        if self.n_features > 2:
            _, singular, vt = np.linalg.svd(X - self.mean, full_matrices=False)
            self.explained = singular[:2] ** 2 / max(float((singular**2).sum()), 1e-300)
            # A sign convention, so the picture does not flip between runs or machines.
            signs = np.sign(vt[:2, np.argmax(np.abs(vt[:2]), axis=1)].diagonal())
            self.components = vt[:2] * signs[:, None]
        elif self.n_features == 2:
            self.components = np.eye(2)
        else:
            self.components = np.array([[1.0], [0.0]])

    def axis_labels(self, feature_names=None):
        """``(x label, y label)``: the features' names, or "PC1 (62%)" and "PC2 (21%)",
        the share of the variance each principal component holds, when projected."""
        if self.n_features > 2:
            return tuple(f"PC{i + 1} ({share:.0%})" for i, share in enumerate(self.explained))
        names = feature_names or [f"x{i + 1}" for i in range(self.n_features)]
        return (names[0], names[1]) if self.n_features == 2 else (names[0], "")

    def points(self, P):
        """Project points of shape (m, d) to (m, 2)."""
        P = np.asarray(P, dtype=float)
        return (P - self.mean) @ self.components.T

    def covariance(self, C):
        """Project a covariance matrix (d, d) to the plane (2, 2)."""
        return self.components @ np.asarray(C, dtype=float) @ self.components.T


def fitted_limits(points, box_aspect, margin=0.06):
    """Axis limits holding ``points`` (m, 2) with equal scale on both axes.

    ``box_aspect`` is the axes' height / width in pixels: the data range is
    widened along one axis so that one unit is as long on x as on y.
    """
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, span = (lo + hi) / 2, np.maximum(hi - lo, 1e-9) * (1 + 2 * margin)
    if span[1] / span[0] < box_aspect:
        span[1] = span[0] * box_aspect
    else:
        span[0] = span[1] / box_aspect
    return (centre[0] - span[0] / 2, centre[0] + span[0] / 2), (
        centre[1] - span[1] / 2,
        centre[1] + span[1] / 2,
    )


def emptiest_corner(xy, xlim, ylim, taken=()):
    """The corner of the axes with the fewest points, for a legend; not one in ``taken``.

    matplotlib's ``loc="best"`` does this search at every draw: far too slow
    for a legend redrawn on every frame over thousands of points.
    """
    counts = corner_counts(xy, xlim, ylim)
    free = [name for name in counts if name not in taken] or list(counts)
    return min(free, key=counts.get)


def corner_counts(xy, xlim, ylim):
    """How many of the points ``xy`` lie in each corner of the axes (a legend's room)."""
    u = (xy[:, 0] - xlim[0]) / (xlim[1] - xlim[0])
    v = (xy[:, 1] - ylim[0]) / (ylim[1] - ylim[0])
    corners = {
        "upper right": (u > 0.55) & (v > 0.65),
        "upper left": (u < 0.45) & (v > 0.65),
        "lower left": (u < 0.45) & (v < 0.35),
        "lower right": (u > 0.55) & (v < 0.35),
    }
    return {name: int(np.count_nonzero(inside)) for name, inside in corners.items()}


def edge_counts(xy, xlim, ylim, depth=0.2):
    """How many of the points ``xy`` lie along the top and the bottom edge of the axes,
    within ``depth`` of its height (a one-row legend's room)."""
    v = (xy[:, 1] - ylim[0]) / (ylim[1] - ylim[0])
    return {
        "upper center": int(np.count_nonzero(v > 1 - depth)),
        "lower center": int(np.count_nonzero(v < depth)),
    }

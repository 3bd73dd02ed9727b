"""Spectral clustering, step by step, as ``sklearn.cluster.SpectralClustering``.

Three stages: an affinity graph links similar points; the eigenvectors of its
normalised Laplacian give every point coordinates (the spectral embedding) in
which the graph's loosely linked parts fall apart; a simple assignment there
(k-means, Yu and Shi's discretisation, or a pivoted QR) labels the points.

The affinity matrix and the embedding come from scikit-learn's own functions
(``rbf_kernel``, ``kneighbors_graph`` and ``spectral_embedding``): they are the
graph and the linear algebra, not the clustering, and calling them keeps the
eigen-solver and its starting vector drawn from ``random_state`` exactly as
scikit-learn draws them. The assignment in the embedding runs this project's
own k-means (``animate.algorithms._kmeans``) or the numpy code below, step by step.
"""

from __future__ import annotations

import importlib.util
from numbers import Integral, Real

import numpy as np

from animate.algorithms._checks import check_pairwise_memory, check_random_state
from animate.algorithms.registry import (
    ANY,
    NONE,
    RANDOM_STATE,
    Estimator,
    Interval,
    Options,
    algorithm,
)
from animate.errors import UserError
from animate.trace import Step

# The final step keeps the dense affinity matrix up to this many points (8 MB).
AFFINITY_KEPT_MAX = 1000
# The affinity step keeps at most this many of the strongest edges per point to draw.
_EDGES_PER_POINT = 6


@algorithm(
    "spectral",
    display="spectral clustering",
    summary="Spectral clustering: cut a similarity graph using its Laplacian's eigenvectors",
    order=65,
    # coef0 and degree shape only the polynomial and sigmoid kernels, not offered here.
    estimator=Estimator(
        "sklearn.cluster.SpectralClustering",
        {"coef0": ANY, "degree": ANY, "kernel_params": (None,), "n_jobs": ANY, "verbose": ANY},
    ),
    constraints={
        "n_clusters": Interval(Integral, 1, "n_samples"),
        "eigen_solver": [NONE, Options("arpack", "lobpcg", "amg")],
        "n_components": [NONE, Interval(Integral, 1, None)],
        "random_state": RANDOM_STATE,
        "n_init": Interval(Integral, 1, 1000),
        "gamma": Interval(Real, 0, None),
        "affinity": Options("rbf", "nearest_neighbors", "precomputed"),
        "n_neighbors": Interval(Integral, 1, None),
        "eigen_tol": [Options("auto"), Interval(Real, 0, None)],
        "assign_labels": Options("kmeans", "discretize", "cluster_qr"),
    },
    fields=("embedding", "affinity_matrix"),
)
def spectral(
    X,
    n_clusters=8,
    *,
    eigen_solver=None,
    n_components=None,
    random_state=0,
    n_init=10,
    gamma=1.0,
    affinity="rbf",
    n_neighbors=10,
    eigen_tol="auto",
    assign_labels="kmeans",
):
    """Spectral clustering, yielding the graph, the embedding and each assignment step.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or (n_samples, n_samples)
        The points to cluster; with ``affinity="precomputed"``, a symmetric
        matrix of non-negative similarities between them.
    n_clusters : int, default=8
        Number of clusters.
    eigen_solver : {None, "arpack", "lobpcg", "amg"}, default=None
        How the eigenvectors are found; None is "arpack". "amg" needs pyamg.
    n_components : int or None, default=None
        Eigenvectors in the embedding; None means ``n_clusters``.
    random_state : int or None, default=0
        Seed of the eigen-solver's start and of k-means or the discretisation;
        scikit-learn's default is None, ours is 0 so the same call draws the same GIF.
    n_init : int, default=10
        k-means runs in the embedding (``assign_labels="kmeans"``); the one
        with the lowest inertia is kept and shown.
    gamma : float, default=1.0
        Width of the "rbf" affinity ``exp(-gamma * distance**2)``: larger means
        only close points are similar.
    affinity : {"rbf", "nearest_neighbors", "precomputed"}, default="rbf"
        How similar two points are: a Gaussian of their distance, 1 between
        mutual nearest neighbours (0.5 one-way), or given as ``X``.
    n_neighbors : int, default=10
        Neighbours per point for ``affinity="nearest_neighbors"`` (the point
        itself included); must be below the number of points.
    eigen_tol : float or "auto", default="auto"
        Stopping tolerance of the eigen-solver.
    assign_labels : {"kmeans", "discretize", "cluster_qr"}, default="kmeans"
        How points are labelled in the embedding.

    Yields
    ------
    Step
        Phase "init", the affinity graph (fields ``edges`` (m, 2) and
        ``weights`` (m,): the strongest links, at most 6 per point), "embedding" (``embedding``),
        then per assign_labels: k-means' "init"/"assign"/"update" steps of its
        best run (``centers`` in embedding space), "discretize" steps
        (``ncut``) or one "cluster_qr" step, then "final" with ``embedding``
        and ``affinity_matrix`` (dense, or None above 1000 points).

    Returns
    -------
    dict
        ``n_iter`` (k-means' or the discretisation's iterations; 1 for
        cluster_qr) and ``converged``.
    """
    _check_inputs(X, affinity, n_neighbors, eigen_solver)
    n_samples = len(X)
    rng = check_random_state(random_state)
    n_components = n_clusters if n_components is None else n_components
    unassigned = np.full(n_samples, -1)

    matrix = _affinity_matrix(X, affinity, gamma, n_neighbors)
    edges, weights = _strongest_edges(matrix, _EDGES_PER_POINT)
    yield Step(0, "init", unassigned, _affinity_text(affinity), edges=edges, weights=weights)

    embedding = _embedding(matrix, n_components, eigen_solver, rng, eigen_tol)
    yield Step(
        0, "embedding", unassigned, _embedding_text(matrix, n_components), embedding=embedding
    )

    if assign_labels == "kmeans":
        labels, result = yield from _kmeans_steps(embedding, n_clusters, n_init, rng)
    elif assign_labels == "discretize":
        labels, result = yield from _discretize_steps(embedding, rng)
    else:
        labels, result = _cluster_qr(embedding), {"n_iter": 1, "converged": True}
        yield Step(1, "cluster_qr", labels, "cluster_qr: a pivoted QR picks one point per cluster")
    # Kept for small data only: a dense copy of a large sparse graph would exhaust memory.
    dense = None
    if n_samples <= AFFINITY_KEPT_MAX:
        dense = matrix.toarray() if hasattr(matrix, "toarray") else matrix
    yield Step(
        result["n_iter"],
        "final",
        labels,
        f"Back in the data: {len(np.unique(labels))} clusters, found in the embedding",
        embedding=embedding,
        affinity_matrix=dense,
    )
    return result


def _check_inputs(X, affinity, n_neighbors, eigen_solver):
    n_samples = len(X)
    if affinity == "precomputed":
        if X.shape[0] != X.shape[1]:
            raise UserError(
                f"affinity='precomputed' takes a square matrix of similarities, got shape "
                f"{X.shape}; give an n x n matrix or let affinity='rbf' build one"
            )
        if (X < 0).any():
            raise UserError(
                "the precomputed affinity has negative entries; similarities must be >= 0 "
                "(turn distances into similarities, e.g. exp(-d**2))"
            )
    if affinity == "nearest_neighbors" and n_neighbors >= n_samples:
        raise UserError(
            f"n_neighbors={n_neighbors} needs more than the {n_samples} points in the data; "
            f"use at most {n_samples - 1}"
        )
    if affinity == "rbf":
        check_pairwise_memory("spectral clustering", n_samples, n_matrices=3)
    if eigen_solver == "amg" and importlib.util.find_spec("pyamg") is None:
        raise UserError("eigen_solver='amg' needs pyamg: pip install pyamg, or use 'arpack'")


def _affinity_matrix(X, affinity, gamma, n_neighbors):
    """The affinity as scikit-learn builds it (sparse for nearest neighbours)."""
    if affinity == "precomputed":
        return X
    if affinity == "nearest_neighbors":
        from sklearn.neighbors import kneighbors_graph

        connectivity = kneighbors_graph(X, n_neighbors=n_neighbors, include_self=True)
        return 0.5 * (connectivity + connectivity.T)
    from sklearn.metrics.pairwise import rbf_kernel

    return rbf_kernel(X, gamma=gamma)


def _strongest_edges(matrix, per_point):
    """Pairs (i < j) among each point's ``per_point`` strongest links, and their weights."""
    from scipy import sparse

    upper = sparse.triu(sparse.csr_array(matrix), k=1).tocoo()
    rows, cols, weights = upper.row, upper.col, upper.data
    keep = weights > 0
    rows, cols, weights = rows[keep], cols[keep], weights[keep]
    # Strongest first; an edge is kept while one of its ends has fewer than
    # ``per_point`` stronger edges kept before it.
    order = np.lexsort((cols, rows, -weights))
    ends = np.column_stack([rows[order], cols[order]]).ravel()
    by_point = np.argsort(ends, kind="stable")
    first = np.searchsorted(ends[by_point], ends[by_point])
    rank = np.empty(len(ends), dtype=np.intp)
    rank[by_point] = np.arange(len(ends)) - first
    kept = order[rank.reshape(-1, 2).min(axis=1) < per_point]
    return np.column_stack([rows[kept], cols[kept]]).astype(np.intp), weights[kept]


def _embedding(matrix, n_components, eigen_solver, rng, eigen_tol):
    # scikit-learn's own spectral_embedding: the same solver call, and the same
    # starting vector drawn from rng, so the RandomState continues into k-means
    # or the discretisation exactly as in SpectralClustering.fit.
    import warnings

    from sklearn.manifold import spectral_embedding

    with warnings.catch_warnings():
        # A disconnected graph still embeds; the steps show it.
        warnings.simplefilter("ignore", UserWarning)
        return spectral_embedding(
            matrix,
            n_components=n_components,
            eigen_solver=eigen_solver,
            random_state=rng,
            eigen_tol=eigen_tol,
            drop_first=False,
        )


def _kmeans_steps(embedding, n_clusters, n_init, rng):
    """This project's k-means in the embedding; the steps of its best run, renamed."""
    from animate.algorithms._kmeans import kmeans
    from animate.api import collect

    steps, info = collect(kmeans(embedding, n_clusters, n_init=n_init, random_state=rng))
    best = [step for step in steps if step.run == info.get("best_run", 0)]
    for step in best:
        yield Step(
            step.iteration,
            f"kmeans-{step.phase}",
            step.labels,
            f"In the embedding: {step.message[0].lower()}{step.message[1:]}",
            centers=step.centers,
            inertia=step.inertia,
        )
    return best[-1].labels, {"n_iter": info["n_iter"], "converged": info["converged"]}


def _discretize_steps(embedding, rng, max_svd_restarts=30, n_iter_max=20):
    """Yu and Shi's discretisation as scikit-learn's ``discretize``, a step per iteration."""
    from scipy.sparse import csc_array

    vectors = _discretize_start(embedding)
    n_samples, n_components = vectors.shape
    eps = np.finfo(float).eps
    for _ in range(max_svd_restarts):
        rotation = _initial_rotation(vectors, rng)
        last_objective, n_iter = 0.0, 0
        while True:
            n_iter += 1
            labels = (vectors @ rotation).argmax(axis=1)
            partition = csc_array(
                (np.ones(len(labels)), (np.arange(0, n_samples), labels)),
                shape=(n_samples, n_components),
            )
            try:
                U, S, Vh = np.linalg.svd(partition.T @ vectors)
            except np.linalg.LinAlgError:
                break
            ncut = 2.0 * (n_samples - S.sum())
            done = abs(ncut - last_objective) < eps or n_iter > n_iter_max
            yield Step(
                n_iter,
                "discretize",
                labels,
                "Discretize: the closest partition to the rotated embedding"
                + (" no longer changes" if done else "; then the best rotation for it"),
                ncut=float(ncut),
            )
            if done:
                return labels, {"n_iter": n_iter, "converged": n_iter <= n_iter_max}
            last_objective = ncut
            rotation = Vh.T @ U.T
    raise UserError("the discretisation's SVD did not converge; use assign_labels='kmeans'")


def _discretize_start(embedding):
    """Columns scaled to length sqrt(n) and signed, then rows put on the unit sphere."""
    vectors = embedding.astype(np.float64, copy=True)
    norm_ones = np.sqrt(len(vectors))
    for i in range(vectors.shape[1]):
        vectors[:, i] = (vectors[:, i] / np.linalg.norm(vectors[:, i])) * norm_ones
        if vectors[0, i] != 0:
            vectors[:, i] = -1 * vectors[:, i] * np.sign(vectors[0, i])
    return vectors / np.sqrt((vectors**2).sum(axis=1))[:, np.newaxis]


def _initial_rotation(vectors, rng):
    """A random row, then rows as orthogonal as possible to those picked: the start rotation."""
    n_samples, n_components = vectors.shape
    rotation = np.zeros((n_components, n_components))
    rotation[:, 0] = vectors[rng.randint(n_samples), :].T
    c = np.zeros(n_samples)
    for j in range(1, n_components):
        c += np.abs(np.dot(vectors, rotation[:, j - 1]))
        rotation[:, j] = vectors[c.argmin(), :].T
    return rotation


def _cluster_qr(embedding):
    """Damle, Minden and Ying's pivoted-QR assignment, as scikit-learn's ``cluster_qr``."""
    from scipy.linalg import qr, svd

    k = embedding.shape[1]
    _, _, pivots = qr(embedding.T, pivoting=True)
    ut, _, v = svd(embedding[pivots[:k], :].T)
    return abs(np.dot(embedding, np.dot(ut, v.conj()))).argmax(axis=1)


def _embedding_text(matrix, n_components):
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    text = f"Embedding: {n_components} eigenvectors of the graph's Laplacian give each point"
    pieces = connected_components(csr_array(matrix), directed=False, return_labels=False)
    if pieces == 1:
        return f"{text} new coordinates"
    # A disconnected graph's first eigenvectors are constant on each piece.
    return f"{text} new coordinates: the graph has {pieces} separate pieces, each lands on a spot"


def _affinity_text(affinity):
    return {
        "rbf": "Affinity: every pair of points is linked, more strongly the closer they are",
        "nearest_neighbors": "Affinity: each point is linked to its nearest neighbours",
        "precomputed": "Affinity: the given similarities link the points",
    }[affinity]

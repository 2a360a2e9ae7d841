"""Exact nearest neighbours of L2-normalised vectors, in the form umap-learn takes instead of its own search.

umap-learn finds neighbours with pynndescent, whose numba functions are compiled again in every new process:
measured here, 25 s for its first 2,000 points, then 0.35 s for 10,000 in the same process. Every project run
and every benchmark is a new process, so that compile was most of a 10,000-patent map (28 s of its 38 s of
UMAP). Blocked matrix products give the *exact* neighbours instead, through numpy's BLAS with no compile:
about 1 s for 10,000 × 10,000 vectors of 384 dimensions on two cores, ~4 s for 20,000 (the largest set UMAP is
fitted on), and the map is built from true neighbours rather than approximate ones.

:class:`ExactNeighbours` is also the search index umap-learn's ``transform`` queries to place points that
were not fitted (the rest of a big map, a proposal text): it answers ``query(X, k)`` as pynndescent's index
does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ExactNeighbours"]

#: Query rows per matrix product: a block of 1,024 × 20,000 similarities is 80 MB.
BLOCK_ROWS = 1024


class ExactNeighbours:
    """The ``k`` nearest of ``data``'s rows to any query row, by Euclidean distance on unit vectors.

    On unit vectors ``|a − b|² = 2 − 2·a·b``, so the nearest are the most similar by inner product.
    """

    #: read by umap-learn's ``transform`` to pick the tolerance of an approximate search; exact here
    _angular_trees = False

    def __init__(self, data: np.ndarray) -> None:
        self.data = np.ascontiguousarray(data, dtype=np.float32)

    def query(self, X: np.ndarray, k: int, epsilon: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(indices int32 (n, k), distances float32 (n, k)) of each row of ``X``, nearest first.

        ``epsilon`` (the tolerance of pynndescent's approximate search) is accepted and ignored.
        """
        X = np.ascontiguousarray(X, dtype=np.float32)
        n = len(self.data)
        k = min(k, n)
        indices = np.empty((len(X), k), dtype=np.int32)
        distances = np.empty((len(X), k), dtype=np.float32)
        rows = np.arange(min(BLOCK_ROWS, len(X)))[:, None]
        for start in range(0, len(X), BLOCK_ROWS):
            sims = X[start : start + BLOCK_ROWS] @ self.data.T
            m = len(sims)
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (m, 1))
            top_sims = sims[rows[:m], top]
            order = np.argsort(-top_sims, axis=1, kind="stable")
            indices[start : start + m] = top[rows[:m], order]
            best = top_sims[rows[:m], order]
            distances[start : start + m] = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * best))
        return indices, distances

    def self_neighbours(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Each row's ``k`` nearest rows, itself first (at distance 0): umap-learn's ``precomputed_knn``."""
        indices, distances = self.query(self.data, k)
        own = np.arange(len(self.data), dtype=np.int32)
        # an exact duplicate may tie with the row itself; UMAP expects the row first
        misplaced = indices[:, 0] != own
        if misplaced.any():
            for i in np.flatnonzero(misplaced):
                row = [own[i], *(j for j in indices[i] if j != own[i])][:k]
                indices[i] = row
                distances[i] = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * (self.data[row] @ self.data[i])))
        distances[:, 0] = 0.0  # 2 − 2·a·a rounds to ~1e-7, whose root UMAP would take for a real distance
        return indices, distances

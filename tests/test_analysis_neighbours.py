"""The exact neighbour search the landscape map hands to UMAP: true neighbours, each point first in its own list."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from patnav.analysis.neighbours import ExactNeighbours


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(st.integers(5, 300), st.integers(2, 12), st.integers(0, 2**31 - 1), st.integers(0, 4))
def test_neighbours_are_the_brute_force_ones_with_each_point_first(n: int, k: int, seed: int, dups: int) -> None:
    rng = np.random.default_rng(seed)
    data = _unit(rng.normal(size=(n, 8)))
    data[:dups] = data[n - dups :] if dups else data[:0]  # exact duplicates tie with the point itself
    index = ExactNeighbours(data)
    indices, distances = index.self_neighbours(k)
    k = min(k, n)
    assert indices.shape == distances.shape == (n, k)
    assert (indices[:, 0] == np.arange(n)).all() and (distances[:, 0] == 0).all()
    full = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * data.astype(np.float64) @ data.T.astype(np.float64)))
    kth = np.sort(full, axis=1)[:, k - 1]
    # every neighbour listed is as near as the k-th nearest (ties may be listed in any order) and correctly measured
    listed = np.take_along_axis(full, indices.astype(np.int64), axis=1)
    assert (listed <= kth[:, None] + 1e-4).all()
    assert np.allclose(listed, distances, atol=1e-3)
    assert (np.diff(distances[:, 1:], axis=1) >= -1e-5).all()  # nearest first


def test_a_query_outside_the_data_finds_its_nearest_rows() -> None:
    rng = np.random.default_rng(7)
    data = _unit(rng.normal(size=(2500, 16)))  # more rows than one block of the matrix product
    queries = _unit(data[[3, 2048, 2499]] + 0.01 * rng.normal(size=(3, 16)))
    indices, distances = ExactNeighbours(data).query(queries, 5)
    assert list(indices[:, 0]) == [3, 2048, 2499]
    assert (distances[:, 0] < 0.1).all() and (distances[:, 1] > distances[:, 0]).all()

"""Cohort arithmetic on exact inputs: within-cohort maxima, normalisation, top-share flags.

A cohort is an integer key per publication (filing year × technology field); ``-1`` means "no cohort". These run
in NumPy on values the engine returned, after the engine has done the heavy joins, so DuckDB and Spark runs give
identical floats.
"""

from __future__ import annotations

import math

import numpy as np


def cohort_max(cohort: np.ndarray, values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """For each row, the maximum of ``values`` over the valid rows of its cohort (NaN where none)."""
    out = np.full(len(values), np.nan)
    use = valid & (cohort >= 0)
    if not use.any():
        return out
    keys, inverse = np.unique(cohort[use], return_inverse=True)
    maxima = np.full(len(keys), -np.inf)
    np.maximum.at(maxima, inverse, values[use].astype(float))
    lookup_idx = np.searchsorted(keys, cohort)
    found = (cohort >= 0) & (lookup_idx < len(keys))
    found[found] = keys[lookup_idx[found]] == cohort[found]
    out[found] = maxima[lookup_idx[found]]
    return out


def cohort_size(cohort: np.ndarray) -> np.ndarray:
    """How many publications share each row's cohort (0 where the row has none)."""
    out = np.zeros(len(cohort), dtype=np.int64)
    use = cohort >= 0
    if use.any():
        _keys, inverse, counts = np.unique(cohort[use], return_inverse=True, return_counts=True)
        out[use] = counts[inverse]
    return out


def normalise(cohort: np.ndarray, values: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x / max(x in cohort)`` in [0, 1] (0 where the cohort maximum is 0); valid where x and its cohort are."""
    top = cohort_max(cohort, values, valid)
    ok = valid & (cohort >= 0) & ~np.isnan(top)
    out = np.full(len(values), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(top > 0, values.astype(float) / top, 0.0)
    out[ok] = np.minimum(ratio[ok], 1.0)
    return out, ok


def top_share(cohort: np.ndarray, values: np.ndarray, valid: np.ndarray, share: float) -> np.ndarray:
    """True where a row is in the top ``share`` of its cohort by ``values`` (ties included; never for 0).

    The cut-off is the value of the ``ceil(share × n)``-th largest row of the cohort, so a cohort of fewer than
    ``1 / share`` rows still has its largest value flagged.
    """
    out = np.zeros(len(values), dtype=bool)
    use = np.flatnonzero(valid & (cohort >= 0))
    if len(use) == 0:
        return out
    order = use[np.lexsort((-values[use].astype(float), cohort[use]))]
    c = cohort[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for s, e in zip(starts, ends, strict=True):
        k = max(1, math.ceil(share * (e - s)))
        cut = values[order[s + k - 1]]
        members = order[s:e]
        out[members] = (values[members] >= cut) & (values[members] > 0)
    return out

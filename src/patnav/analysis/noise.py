"""Noise in a patent set: members that sit far, in meaning, from the set's core.

A query catches documents that use its words in another sense, and an expansion by citations or
classification drags in neighbours of neighbours. GB/T 39551 asks that such noise be removed and the set's
quality stated. Here every member is compared with the centre of the set's *core* (the seed patents when there
are enough of them, else the query's hits) in the vector space of the set (the corpus's stored embeddings of
title and abstract, or the TF-IDF fallback of :func:`~patnav.analysis.landscape.set_vectors`).

The cut is a robust outlier rule on the core's own similarities, not a fixed share: a member is noise when its
similarity to the core's centre is below ``median − k × 1.4826 × MAD`` of the core members' similarities (MAD:
median absolute deviation; 1.4826 makes it comparable to a standard deviation for normal data). A tight set
loses nothing; only what is further out than the core's own spread allows goes. Seeds are never removed (they
are relevant by definition), and members without a title or an abstract cannot be placed and are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from patnav.analysis.landscape import DEFAULT_MODEL, set_vectors
from patnav.analysis.patent_set import PatentSet
from patnav.engine.base import Engine

#: the core needs at least this many placed members for its spread to mean anything
MIN_CORE = 5
#: scale that makes the MAD estimate a standard deviation for normally distributed values
MAD_SCALE = 1.4826


@dataclass(frozen=True, slots=True)
class Noise:
    """What :func:`semantic_noise` found: the cut, how it was set, and the members below it.

    ``removed`` holds (publication number, similarity to the core's centre), least similar first; ``space`` is
    ``stored`` (the corpus's embeddings of ``model``) or ``tfidf``; ``unplaced`` are members without text."""

    threshold: float
    median: float
    mad: float
    k: float
    core_size: int
    space: str
    model: str | None
    removed: tuple[tuple[str, float], ...]
    unplaced: tuple[str, ...]
    checked: int


def semantic_noise(
    engine: Engine,
    members: Iterable[str],
    core: Iterable[str],
    *,
    protected: Iterable[str] = (),
    k: float = 3.0,
    model: str = DEFAULT_MODEL,
) -> Noise:
    """The members of a set that lie further from its core's centre than the core's own spread allows.

    ``members`` and ``core`` are canonical publication numbers (``core`` a subset of ``members``);
    ``protected`` members (the seeds) are never removed. Raises :class:`ValueError` when fewer than
    :data:`MIN_CORE` core members can be placed."""
    if k <= 0:
        raise ValueError(f"k must be positive, not {k}")
    member_list = sorted(set(members))
    vectors = set_vectors(engine, PatentSet.of(member_list, normalize=False), model=model)
    row = {n: i for i, n in enumerate(vectors.numbers)}
    core_rows = [row[n] for n in sorted(set(core)) if n in row]
    if len(core_rows) < MIN_CORE:
        raise ValueError(f"the set's core has {len(core_rows)} placeable publications; at least {MIN_CORE} are needed")
    centre = vectors.matrix[core_rows].mean(axis=0)
    centre = centre / (np.linalg.norm(centre) or 1.0)
    sims = vectors.matrix @ centre
    core_sims = sims[core_rows]
    median = float(np.median(core_sims))
    mad = float(np.median(np.abs(core_sims - median)))
    threshold = median - k * MAD_SCALE * mad
    keep = set(protected)
    removed = sorted(
        ((n, float(sims[i])) for n, i in row.items() if sims[i] < threshold and n not in keep),
        key=lambda x: (x[1], x[0]),
    )
    return Noise(
        threshold=threshold,
        median=median,
        mad=mad,
        k=k,
        core_size=len(core_rows),
        space=vectors.summary.source,
        model=vectors.summary.model,
        removed=tuple(removed),
        unplaced=tuple(sorted(set(member_list) - set(row))),
        checked=len(row),
    )

"""The 2-D landscape map of a patent set, its topics, white space, and where a proposal lands on it.

``landscape(engine, patent_set)`` turns a set into the "mountains" map that ThemeScape and PatSnap draw:

1. **vectors** (:func:`set_vectors`): the stored embeddings of the default model (``e5``) where *every*
   publication of the set on the map has one; otherwise the whole set falls back to the TF-IDF/SVD space of
   :class:`~patnav.analysis.topics.TextSpace` (no model run). The two spaces are never mixed in one map;
   ``embed_missing=True`` embeds the missing texts with the model instead. :class:`VectorSummary` says which
   space was used and how many publications came from where.
2. **topics** (:func:`~patnav.analysis.topics.cluster_vectors`): spherical k-means, ``k`` by silhouette on a
   sample; each cluster labelled with its distinctive terms as written (:func:`~patnav.analysis.topics.
   cluster_terms`), its size, top applicants, first/median/last year and growth (families first filed in the
   recent window against the previous one), counted exactly by the engine.
3. **projection** (:func:`project`): UMAP to two dimensions (``random_state`` fixed, so a map is reproducible;
   umap-learn then runs single-threaded). Its neighbour graph is exact, from :mod:`patnav.analysis.neighbours`
   (blocked matrix products), not pynndescent's, whose compile took 25 s in every new process: a 10,000-point
   projection of the report benchmark's vectors went from 38 s to 12.5 s in a fresh process. On two resampled
   10,000-point MiniLM sets the share of each point's 10 nearest vector-space neighbours that stay among its 10
   nearest on the map was 0.285 and 0.278 with the exact graph against 0.303 and 0.297 with pynndescent's (one
   layout each: the approximate graph's randomness seems to help UMAP a little). Above ``fit_max`` points
   (default 20,000) UMAP is fitted on a random sample and the rest are placed with ``transform``. Measured
   with pynndescent's graph, with ``bench/landscape.py`` (resampled MiniLM vectors, 384 dimensions) on this
   shared 2-core machine: a full fit took 18 s at 10,000 points (median of 3
   runs, 10–42 s) and 777 s at 100,000 (one run, load average ~6); fitting 20,000 and transforming 80,000
   took 50 s (median of 3, 44–120 s). What the sample costs, measured at 40,000 points on the idle machine
   (full fit 62 s, sample + transform 55 s): the share of a point's 10 nearest map neighbours in its own topic
   fell from 0.825 to 0.785 (0.769 for transformed points), the share of its 10 nearest neighbours in vector
   space that stay its nearest on the map from 0.50 to 0.24. The topic landscape survives, fine neighbourhoods
   blur; so nearest patents (:func:`starting_point`) are always found in vector space, never on the map. A
   proposal text is placed with the same ``transform``.
4. **terrain** (:func:`density_grid`): a Gaussian kernel density estimate on a grid (80 × 80 by default;
   binned with linear weights and smoothed with a Gaussian filter, so it costs the same for 1,000 or 200,000
   points), normalised to sum to 1. Bandwidth: Scott's rule times ``bandwidth_scale`` (0.5 by default: Scott's
   rule assumes one Gaussian bump and merges a map's mountains; on the 6,186 PatentsView patents in MiniLM's
   space, 12 topics, the terrain had 3 local maxima above 5 % of the top at scale 1, 9 at 0.5 and 22, mostly
   noise, at 0.25). Each cluster's **peak** is the densest
   cell of the cluster's own density (same grid and bandwidth): the summit of its mountain, labelled with the
   cluster's label.

Everything comes back as plain frozen dataclasses (:class:`Landscape`: points, clusters, grid, peaks) for the
report layer; :func:`landscape_chart` builds the interactive Vega-Lite v5 chart from them. :func:`white_space`
ranks rising clusters and IPC subclass pairs with few players and empty valleys between dense regions;
:func:`starting_point` places a proposal text on the map with its nearest patents and clusters. Results hold
codes and data, never sentences.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import statistics
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pyarrow as pa

from patnav.analysis._sql import YEAR_COLUMN, with_set
from patnav.analysis.neighbours import ExactNeighbours
from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.analysis.topics import (
    Clustering,
    Term,
    TextSpace,
    cluster_terms,
    cluster_vectors,
    document_tokens,
)
from patnav.analysis.trends import (
    BASES,
    PUBLICATION_DELAY_MONTHS,
    Basis,
    Direction,
    default_as_of,
    direction,
    last_complete_year,
)
from patnav.engine.base import Engine
from patnav.search.embedder import Embedder

VectorChoice = Literal["auto", "stored", "tfidf"]
VectorSource = Literal["stored", "tfidf"]

#: UMAP is fitted on at most this many points; the others are placed with ``transform`` (see the module doc)
UMAP_FIT_MAX = 20_000
#: label terms are computed on at most this many documents per cluster (a random sample; exact below it)
LABEL_SAMPLE = 2_000
#: the default vector model (its stored vectors are used when the whole set has them)
DEFAULT_MODEL = "e5"


def limit_threads(threads: int | None) -> AbstractContextManager[Any]:
    """Cap the BLAS/OpenMP threads of NumPy and scikit-learn (``None``: leave them as they are).

    Why the landscape defaults to one thread: on this shared 2-core machine, with other jobs running (load
    average 8), k-means for three ``k`` on 3,000 vectors took 11.2 s with the default two threads and 0.9 s
    with one (spinning OpenMP/OpenBLAS workers wait for cores the other jobs hold). On an idle machine the
    cost of one thread is at most the second core.
    """
    if threads is None:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


# -- vectors ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VectorSummary:
    """Which vector space a map is drawn in, and how many publications came from where.

    ``source``: ``"stored"`` (the embeddings of ``model`` ``version`` under ``<corpus>/search/vectors/``) or
    ``"tfidf"`` (the fallback space of :class:`~patnav.analysis.topics.TextSpace`; ``model`` is then the model
    whose vectors were looked for). ``stored``/``embedded``/``tfidf`` count the publications whose vector was
    read from the store, embedded now (``embed_missing``), or made by the fallback; ``lacking`` the publications
    of the map the store had no vector for. ``reason`` is a code: ``all_stored``, ``embedded_missing``,
    ``no_store`` (no vectors of the model in the corpus), ``missing_vectors`` (some publications lack one, so
    the whole set falls back), ``tfidf_requested``.
    """

    source: VectorSource
    model: str | None
    version: str | None
    dim: int
    stored: int
    embedded: int
    tfidf: int
    lacking: int
    reason: str


class VectorSpace(Protocol):
    """Places a free text in the vector space of a map (see :func:`starting_point`)."""

    source: VectorSource

    def embed_text(self, text: str, *, embedder: Embedder | None = None) -> np.ndarray:
        """The L2-normalised vector of ``text``: float32 ``(dim,)``."""
        ...


class TfidfVectorSpace:
    """The fallback space: a fitted :class:`~patnav.analysis.topics.TextSpace`."""

    source: VectorSource = "tfidf"

    def __init__(self, space: TextSpace) -> None:
        self.space = space

    def embed_text(self, text: str, *, embedder: Embedder | None = None) -> np.ndarray:
        """The text tokenised like the set, weighted with the set's vocabulary and reduced with its SVD."""
        return self.space.transform_text(text)


class StoredVectorSpace:
    """A model's space: a text is embedded by that model (same name *and* version, else the spaces differ)."""

    source: VectorSource = "stored"

    def __init__(self, model: str, version: str, embedder: Embedder | None = None) -> None:
        self.model = model
        self.version = version
        self.embedder = embedder

    def embed_text(self, text: str, *, embedder: Embedder | None = None) -> np.ndarray:
        """The text embedded by the map's model (``embedder``, the one given at build time, or the installed one);
        raises :class:`~patnav.search.vectors.ModelMismatchError` when its name or version differs."""
        from patnav.search.embedder import get_embedder
        from patnav.search.vectors import ModelMismatchError

        emb = embedder or self.embedder or get_embedder(self.model)
        if (emb.name, emb.version) != (self.model, self.version):
            raise ModelMismatchError(
                f"the map is in the space of {self.model} {self.version}, the embedder is {emb.name} {emb.version}"
            )
        # "passage", as the stored vectors were made: a proposal is placed among abstracts, not searched for
        return emb.embed([text], kind="passage")[0]


@dataclass(frozen=True, eq=False)
class SetVectors:
    """The vectors of a set's publications: ``matrix`` row i belongs to ``numbers[i]`` (float32, L2-normalised);
    ``summary`` says which space; ``space`` places new texts in it; ``texts`` are the title/abstract pairs
    (``(title, title_lang, abstract, abstract_lang)``) in row order; ``without_text`` lists the publications of
    the set that have neither title nor abstract (they cannot be placed)."""

    numbers: tuple[str, ...]
    matrix: np.ndarray
    summary: VectorSummary
    space: VectorSpace
    texts: tuple[tuple[str | None, str | None, str | None, str | None], ...]
    without_text: tuple[str, ...]


def model_name(model: str | Embedder) -> str:
    """The full name of a model (``"e5"`` → ``multilingual-e5-small-q4``), without loading it."""
    if not isinstance(model, str):
        return model.name
    from patnav.search import embedder as embedders

    key = model.strip().lower()
    aliases = embedders._ALIASES  # the one alias table (names are class attributes: nothing is loaded)
    cls = aliases.get(key) or next((c for n, c in aliases.items() if n.lower() == key), None)
    return cls.name if cls is not None else model


def _read_stored(folder: Path, numbers: Sequence[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """``(meta, {number: vector})`` of the requested numbers in a vector folder; ``None`` when it has no snapshot.

    Reads only the rows asked for (shards are memory-mapped), so a set of 1,000 costs little in a store of 10 M.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from patnav.search.vectors import META_FILE, SHARDS_DIR, SNAPSHOT_FILE

    snapshot = folder / SNAPSHOT_FILE
    if not snapshot.is_file() or not (folder / META_FILE).is_file():
        return None
    meta = json.loads((folder / META_FILE).read_text("utf-8"))
    table = pq.read_table(snapshot, columns=["publication_number", "shard", "row"])
    table = table.filter(pc.is_in(table.column("publication_number"), value_set=pa.array(list(numbers), pa.string())))
    found = table.column("publication_number").to_pylist()
    shards = table.column("shard").to_numpy()
    rows = table.column("row").to_numpy()
    dim = int(meta.get("dim", 0))
    out = np.empty((len(found), dim), dtype=np.float32)
    for shard in np.unique(shards):
        sel = np.nonzero(shards == shard)[0]
        data = np.load(folder / SHARDS_DIR / f"{int(shard):08d}.npy", mmap_mode="r")
        out[sel] = data[rows[sel]]
    return meta, dict(zip(found, out, strict=True))


@dataclass(frozen=True, slots=True)
class _Docs:
    """What the engine returns for a set, one entry per publication in number order."""

    numbers: list[str]
    texts: list[tuple[str | None, str | None, str | None, str | None]]
    families: list[str]
    years: list[int | None]
    applicants: list[str | None]


#: the first-named applicant of each publication in ``pubs`` (assignees only when no applicant is named)
_FIRST_APPLICANT = """
        SELECT publication_number, name FROM (
          SELECT publication_number, name,
                 row_number() OVER (PARTITION BY publication_number ORDER BY r, seq, name) AS rn
          FROM (SELECT publication_number, CASE WHEN role = 'applicant' THEN 0 ELSE 1 END AS r,
                       coalesce(sequence, 0) AS seq,
                       coalesce(nullif(trim(name_harmonized), ''), nullif(trim(name), '')) AS name
                FROM parties
                WHERE role IN ('applicant', 'assignee')
                  AND publication_number IN (SELECT publication_number FROM pubs)) x
          WHERE name IS NOT NULL) y
        WHERE rn = 1"""


def _documents(engine: Engine, table: str, basis: Basis) -> _Docs:
    rows = engine.rows(
        with_set(table, ("fa1", _FIRST_APPLICANT))
        + f"""
        SELECT p.publication_number, t.title, t.title_lang, t.abstract, t.abstract_lang, p.fam,
               coalesce(p.{YEAR_COLUMN[basis]}, p.publication_year) AS yr, a.name AS applicant
        FROM pubs p JOIN publications t ON t.publication_number = p.publication_number
        LEFT JOIN fa1 a ON a.publication_number = p.publication_number
        ORDER BY p.publication_number"""
    )
    return _Docs(
        numbers=[r[0] for r in rows],
        texts=[(_text(r[1]), r[2], _text(r[3]), r[4]) for r in rows],
        families=[r[5] for r in rows],
        years=[None if r[6] is None else int(r[6]) for r in rows],
        applicants=[r[7] for r in rows],
    )


#: what some exports write in an empty text field (PatentsView: 608 "baseball" design patents have the abstract
#: "NULL" or "None"); such a field is treated as missing, or it would become a topic of its own
PLACEHOLDER_TEXTS = frozenset({"null", "none", "n/a", "na", "nan", "-", "--"})


def _text(value: str | None) -> str | None:
    if value is None or value.strip().lower() in PLACEHOLDER_TEXTS:
        return None
    return value


def _has_text(text: tuple[str | None, str | None, str | None, str | None]) -> bool:
    return bool((text[0] or "").strip() or (text[2] or "").strip())


def _embed_input(text: tuple[str | None, str | None, str | None, str | None]) -> str:
    """The text a stored vector was made from (``title + "\\n" + abstract``, as :mod:`patnav.search.vectors`)."""
    return "\n".join(p.strip() for p in (text[0], text[2]) if p and p.strip())


def _vectors(
    docs: _Docs,
    *,
    corpus_path: Path | str | None,
    model: str | Embedder,
    vectors: VectorChoice,
    embed_missing: bool,
    embedder: Embedder | None,
    random_state: int,
) -> SetVectors:
    if vectors not in ("auto", "stored", "tfidf"):
        raise ValueError(f"vectors must be 'auto', 'stored' or 'tfidf', not {vectors!r}")
    keep = [i for i, t in enumerate(docs.texts) if _has_text(t)]
    numbers = [docs.numbers[i] for i in keep]
    texts = [docs.texts[i] for i in keep]
    without = tuple(docs.numbers[i] for i in range(len(docs.numbers)) if not _has_text(docs.texts[i]))
    if not numbers:
        raise ValueError("no publication of the set has a title or an abstract")
    name = model_name(embedder if embedder is not None else model)
    reason = "tfidf_requested"
    lacking = 0
    version: str | None = None
    if vectors != "tfidf":
        from patnav.search.vectors import store_path

        found = _read_stored(store_path(corpus_path, name), numbers) if corpus_path is not None else None
        if found is None:
            reason = "no_store"
            lacking = len(numbers)
        else:
            meta, stored = found
            version = str(meta.get("version", ""))
            missing = [i for i, n in enumerate(numbers) if n not in stored]
            lacking = len(missing)
            if not missing or embed_missing:
                matrix = np.zeros((len(numbers), int(meta["dim"])), dtype=np.float32)
                for i, n in enumerate(numbers):
                    if n in stored:
                        matrix[i] = stored[n]
                emb = None
                if missing:
                    from patnav.search.embedder import get_embedder

                    emb = embedder or get_embedder(name)
                    if (emb.name, emb.version) != (meta.get("model"), version):
                        raise ValueError(
                            f"stored vectors are of {meta.get('model')} {version}, the embedder is "
                            f"{emb.name} {emb.version}: re-embed the corpus or drop embed_missing"
                        )
                    matrix[missing] = emb.embed([_embed_input(texts[i]) for i in missing], kind="passage")
                summary = VectorSummary(
                    "stored",
                    name,
                    version,
                    int(matrix.shape[1]),
                    len(numbers) - lacking,
                    lacking,
                    0,
                    lacking,
                    "embedded_missing" if missing else "all_stored",
                )
                return SetVectors(
                    tuple(numbers), matrix, summary, StoredVectorSpace(name, version, emb), tuple(texts), without
                )
            reason = "missing_vectors"
        if vectors == "stored":
            raise ValueError(f"stored vectors of {name} are missing for {lacking} publications ({reason})")
    space = TextSpace(random_state=random_state)
    matrix = space.fit_transform([document_tokens(*t) for t in texts])  # token lists dropped once fitted
    summary = VectorSummary("tfidf", name, version, space.dim, 0, 0, len(numbers), lacking, reason)
    return SetVectors(tuple(numbers), matrix, summary, TfidfVectorSpace(space), tuple(texts), without)


def set_vectors(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    corpus_path: Path | str | None = None,
    model: str | Embedder = DEFAULT_MODEL,
    vectors: VectorChoice = "auto",
    embed_missing: bool = False,
    embedder: Embedder | None = None,
    random_state: int = 0,
    threads: int | None = 1,
) -> SetVectors:
    """The vectors of ``patent_set``'s publications that have a title or an abstract (see :class:`SetVectors`).

    ``corpus_path`` is the corpus folder holding ``search/vectors/<model>/`` (default: the engine's
    ``corpus_path``). ``vectors="auto"`` uses the stored vectors of ``model`` when every publication has one,
    else the TF-IDF fallback for the whole set; ``"stored"`` refuses to fall back (raises); ``"tfidf"`` always
    uses the fallback. ``embed_missing`` embeds the publications without a stored vector with the model (or
    ``embedder``) instead of falling back; the result is not written to the store. ``threads``: see
    :func:`limit_threads`.
    """
    table = register_patent_set(engine, patent_set)
    docs = _documents(engine, table, "priority")
    corpus_path = corpus_path if corpus_path is not None else getattr(engine, "corpus_path", None)
    with limit_threads(threads):
        return _vectors(
            docs,
            corpus_path=corpus_path,
            model=model,
            vectors=vectors,
            embed_missing=embed_missing,
            embedder=embedder,
            random_state=random_state,
        )


# -- projection -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Projection:
    """How the 2-D map was made: ``method`` (``"umap"``; ``"trivial"`` for fewer than 4 points), its
    parameters, and how many points UMAP was ``fitted`` on and how many were placed by ``transform``."""

    method: str
    n_neighbors: int
    min_dist: float
    metric: str
    random_state: int
    fitted: int
    transformed: int


#: optimisation epochs: umap-learn's own default is 500 below 10,000 points and 200 above; 200 throughout keeps
#: the layout (the topic tests hold) and halves the time of a 10,000-patent map
UMAP_EPOCHS = 200


def project(
    vectors: np.ndarray,
    *,
    fit_max: int = UMAP_FIT_MAX,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    random_state: int = 0,
) -> tuple[np.ndarray, Any, Projection]:
    """2-D coordinates of L2-normalised ``vectors`` with UMAP: ``(xy float64 (n, 2), fitted reducer, how)``.

    Euclidean distance on normalised rows orders neighbours as cosine distance does, and numba's Euclidean
    kernel is the fastest. ``random_state`` fixes the layout (umap-learn then runs on one thread). Above
    ``fit_max`` points UMAP is fitted on a random sample (drawn with ``random_state``) and the rest are placed
    with ``reducer.transform`` (module doc: why and what it costs). The reducer is ``None`` for fewer than 4
    points, which are placed on a line.
    """
    n = len(vectors)
    if n < 4:
        xy = np.zeros((n, 2))
        xy[:, 0] = np.arange(n, dtype=np.float64)
        return xy, None, Projection("trivial", 0, min_dist, "euclidean", random_state, n, 0)
    import umap

    neighbors = max(2, min(n_neighbors, n - 1))
    fit_rows = (
        np.arange(n)
        if n <= fit_max
        else np.sort(np.random.default_rng(random_state).choice(n, size=fit_max, replace=False))
    )
    index = ExactNeighbours(vectors[fit_rows])
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=neighbors,
        min_dist=min_dist,
        metric="euclidean",
        random_state=random_state,
        n_jobs=1,
        init="spectral" if n > 2 * neighbors + 2 else "random",
        n_epochs=UMAP_EPOCHS,
        precomputed_knn=(*index.self_neighbours(neighbors), index),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # umap-learn's and numba's notes about threads, tolerances, the index
        if n <= fit_max:
            xy = reducer.fit_transform(vectors)
            fitted, moved = n, 0
        else:
            sample = fit_rows
            rest = np.setdiff1d(np.arange(n), sample, assume_unique=True)
            xy = np.empty((n, 2), dtype=np.float64)
            xy[sample] = reducer.fit_transform(vectors[sample])
            for start in range(0, len(rest), 50_000):  # bounded memory for the neighbour graph of the rest
                part = rest[start : start + 50_000]
                xy[part] = reducer.transform(vectors[part])
            fitted, moved = fit_max, len(rest)
    return (
        np.asarray(xy, dtype=np.float64),
        reducer,
        Projection("umap", neighbors, min_dist, "euclidean", random_state, fitted, moved),
    )


# -- terrain ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DensityGrid:
    """A density on a regular grid over the map: ``values[row][column]`` is the share of the points' kernel mass
    in that cell (all cells sum to 1). Column ``c`` spans ``x_min + c·cell_width`` … ``+ cell_width``, row ``r``
    spans ``y_min + r·cell_height`` … (row 0 at the bottom). ``bandwidth`` is the kernel's standard deviation
    per axis, in map units."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float
    columns: int
    rows: int
    bandwidth: tuple[float, float]
    values: tuple[tuple[float, ...], ...]

    @property
    def cell_width(self) -> float:
        return (self.x_max - self.x_min) / self.columns

    @property
    def cell_height(self) -> float:
        return (self.y_max - self.y_min) / self.rows

    def center(self, column: int, row: int) -> tuple[float, float]:
        """The map coordinates of a cell's centre."""
        return self.x_min + (column + 0.5) * self.cell_width, self.y_min + (row + 0.5) * self.cell_height

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        """``(column, row)`` of the cell holding a point (points outside are put in the nearest border cell)."""
        c = math.floor((x - self.x_min) / self.cell_width) if self.cell_width else 0
        r = math.floor((y - self.y_min) / self.cell_height) if self.cell_height else 0
        return min(max(c, 0), self.columns - 1), min(max(r, 0), self.rows - 1)

    def array(self) -> np.ndarray:
        """The values as a float64 array of shape ``(rows, columns)``."""
        return np.asarray(self.values, dtype=np.float64).reshape(self.rows, self.columns)


def scott_bandwidth(xy: np.ndarray) -> tuple[float, float]:
    """Scott's rule per axis, ``σ · n^(-1/6)`` in two dimensions, with the robust spread
    ``σ = min(standard deviation, interquartile range / 1.349)`` (Silverman's guard against outliers, which
    UMAP maps have); a small positive floor for a degenerate axis."""
    n = max(len(xy), 1)
    if len(xy) > 1:
        q1, q3 = np.percentile(xy, [25, 75], axis=0)
        iqr = (q3 - q1) / 1.349
        sd = np.std(xy, axis=0)
        spread = np.where(iqr > 0, np.minimum(sd, iqr), sd)
    else:
        spread = np.zeros(2)
    factor = n ** (-1 / 6)
    return float(max(spread[0] * factor, 1e-6)), float(max(spread[1] * factor, 1e-6))


#: the map's extent leaves out this share of the points at each end of each axis (UMAP flings a few far away)
OUTLIER_SHARE = 0.005


def map_bounds(xy: np.ndarray, bandwidth: tuple[float, float]) -> tuple[float, float, float, float]:
    """The extent of the terrain grid: the points' range (from 200 points on, the 0.5 %–99.5 % quantiles per axis,
    so a few outliers do not shrink the mountains to specks), widened by three bandwidths on each side so the
    terrain falls to sea level inside the grid."""
    if not len(xy):
        return 0.0, 1.0, 0.0, 1.0
    if len(xy) >= 200:
        lo, hi = np.quantile(xy, [OUTLIER_SHARE, 1 - OUTLIER_SHARE], axis=0)
    else:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = 3 * np.asarray(bandwidth)
    lo, hi = lo - pad, hi + pad
    hi = np.where(hi - lo <= 0, lo + 1.0, hi)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _smooth(
    xy: np.ndarray, bounds: tuple[float, float, float, float], shape: tuple[int, int], sigma: tuple[float, float]
) -> np.ndarray:
    """Linear binning of points onto cell centres, then a Gaussian filter (sigma in cells): an unnormalised KDE."""
    from scipy.ndimage import gaussian_filter

    x_min, x_max, y_min, y_max = bounds
    rows, cols = shape
    grid = np.zeros((rows, cols), dtype=np.float64)
    if len(xy):
        # position in cell-centre units: centre of cell c is at c
        gx = (xy[:, 0] - x_min) / ((x_max - x_min) / cols) - 0.5
        gy = (xy[:, 1] - y_min) / ((y_max - y_min) / rows) - 0.5
        gx = np.clip(gx, 0, cols - 1)
        gy = np.clip(gy, 0, rows - 1)
        x0 = np.minimum(np.floor(gx).astype(np.int64), max(cols - 2, 0))
        y0 = np.minimum(np.floor(gy).astype(np.int64), max(rows - 2, 0))
        fx, fy = gx - x0, gy - y0
        x1, y1 = np.minimum(x0 + 1, cols - 1), np.minimum(y0 + 1, rows - 1)
        np.add.at(grid, (y0, x0), (1 - fx) * (1 - fy))
        np.add.at(grid, (y0, x1), fx * (1 - fy))
        np.add.at(grid, (y1, x0), (1 - fx) * fy)
        np.add.at(grid, (y1, x1), fx * fy)
    return gaussian_filter(grid, sigma=(sigma[1], sigma[0]), mode="constant", truncate=4.0)


def density_grid(
    xy: np.ndarray,
    *,
    size: int | tuple[int, int] = 80,
    bandwidth: tuple[float, float] | None = None,
    bandwidth_scale: float = 0.5,
    bounds: tuple[float, float, float, float] | None = None,
) -> DensityGrid:
    """The kernel density of 2-D points on a ``size`` grid (columns, rows), normalised to sum to 1.

    ``bandwidth`` (map units per axis) defaults to Scott's rule times ``bandwidth_scale``. ``bounds``
    (``x_min, x_max, y_min, y_max``) default to :func:`map_bounds`; points outside them are left out of the
    density (the values describe the drawn area and sum to 1 over it). Binned KDE (linear binning + Gaussian
    filter) instead of a kernel sum per cell: the same surface within a fraction of a cell, in milliseconds for
    any number of points. An empty input gives a flat grid.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    cols, rows = (size, size) if isinstance(size, int) else size
    if cols < 2 or rows < 2:
        raise ValueError("the grid needs at least 2 × 2 cells")
    if bandwidth is None:
        bx, by = scott_bandwidth(xy)
        bandwidth = (bx * bandwidth_scale, by * bandwidth_scale)
    if bounds is None:
        bounds = map_bounds(xy, bandwidth)
    x_min, x_max, y_min, y_max = bounds
    inside = (xy[:, 0] >= x_min) & (xy[:, 0] <= x_max) & (xy[:, 1] >= y_min) & (xy[:, 1] <= y_max)
    sigma = (bandwidth[0] / ((x_max - x_min) / cols), bandwidth[1] / ((y_max - y_min) / rows))
    dens = _smooth(xy[inside], bounds, (rows, cols), sigma)
    total = dens.sum()
    dens = dens / total if total > 0 else np.full((rows, cols), 1.0 / (rows * cols))
    return DensityGrid(
        x_min, x_max, y_min, y_max, cols, rows, (float(bandwidth[0]), float(bandwidth[1])), _tuples(dens)
    )


def _tuples(a: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in a)


@dataclass(frozen=True, slots=True)
class Peak:
    """A cluster's summit: the densest cell (``column``, ``row``; centre ``x``, ``y``) of the cluster's own
    density. ``density`` is the whole map's density there, ``height`` that over the map's highest cell (0–1);
    ``label`` the cluster's label."""

    cluster: int
    x: float
    y: float
    column: int
    row: int
    density: float
    height: float
    label: str


def cluster_peaks(
    grid: DensityGrid, xy: np.ndarray, labels: np.ndarray, names: Mapping[int, str] | None = None
) -> tuple[Peak, ...]:
    """The peak of each cluster (see :class:`Peak`), in cluster order: the cluster's points smoothed with the
    map's bandwidth on the map's grid, the densest cell taken."""
    whole = grid.array()
    top = float(whole.max()) or 1.0
    bounds = (grid.x_min, grid.x_max, grid.y_min, grid.y_max)
    sigma = (grid.bandwidth[0] / grid.cell_width, grid.bandwidth[1] / grid.cell_height)
    peaks = []
    for c in sorted(set(np.asarray(labels).tolist())):
        own = _smooth(xy[labels == c], bounds, (grid.rows, grid.columns), sigma)
        row, col = np.unravel_index(int(np.argmax(own)), own.shape)
        x, y = grid.center(int(col), int(row))
        d = float(whole[row, col])
        peaks.append(Peak(int(c), x, y, int(col), int(row), d, d / top, (names or {}).get(int(c), str(c))))
    return tuple(peaks)


# -- the landscape ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MapPoint:
    """One publication on the map: its coordinates, cluster, first-named applicant, year (on the map's basis,
    else the publication year) and title."""

    publication_number: str
    x: float
    y: float
    cluster: int
    applicant: str | None
    year: int | None
    title: str | None


@dataclass(frozen=True, slots=True)
class ClusterApplicant:
    """An applicant of a cluster with the ``families`` of the cluster it applied for."""

    name: str
    families: int


@dataclass(frozen=True, slots=True)
class TopicCluster:
    """A topic of the map.

    ``label``: the first three terms joined by `` · ``; ``terms``: its distinctive terms (best first).
    ``documents`` on the map and their ``share`` of the map; ``families`` (with a member in the cluster),
    counted by the engine. ``top_applicants`` by families; ``applicants``: distinct applicants, and
    ``recent_applicants`` those with a family first filed in the recent window. ``first_year``/``median_year``/
    ``last_year`` of its families (first year on the map's basis, else publication year; ``undated_families``
    have neither); ``recent``/``previous``: families first filed in the recent/previous window, ``trend`` their
    :func:`~patnav.analysis.trends.direction`. ``x``/``y``: the median of its points; ``cohesion``: the mean
    cosine of its vectors with its centroid; ``peak``: its summit.
    """

    cluster: int
    label: str
    terms: tuple[Term, ...]
    documents: int
    share: float
    families: int
    top_applicants: tuple[ClusterApplicant, ...]
    applicants: int
    recent_applicants: int
    first_year: int | None
    median_year: int | None
    last_year: int | None
    undated_families: int
    recent: int
    previous: int
    trend: Direction
    x: float
    y: float
    cohesion: float
    peak: Peak


class LandscapeModel:
    """The fitted parts of a map, kept to place new texts on it (not plain data; not compared or printed).

    ``numbers``/``matrix``: the map's publications and vectors (row order of :attr:`Landscape.points`);
    ``labels``/``centroids``: the clustering; ``xy``: the coordinates; ``space`` embeds a text in the map's
    vector space; ``reducer`` the fitted UMAP.
    """

    def __init__(
        self,
        numbers: tuple[str, ...],
        matrix: np.ndarray,
        labels: np.ndarray,
        centroids: np.ndarray,
        xy: np.ndarray,
        space: VectorSpace,
        reducer: Any,
    ) -> None:
        self.numbers = numbers
        self.matrix = matrix
        self.labels = labels
        self.centroids = centroids
        self.xy = xy
        self.space = space
        self.reducer = reducer

    def place(self, vector: np.ndarray) -> tuple[float, float]:
        """Map coordinates of a vector (UMAP ``transform``; the nearest point's for a trivial map)."""
        if self.reducer is None:
            nearest = int(np.argmax(self.matrix @ vector))
            return float(self.xy[nearest, 0]), float(self.xy[nearest, 1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, y = self.reducer.transform(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        return float(x), float(y)


@dataclass(frozen=True, slots=True)
class Landscape:
    """The landscape map of a set.

    ``label``/``origin``: the set's; ``basis``/``as_of``/``recent_window``/``previous_window``: how years and
    growth are counted. ``documents``: the set's publications in the corpus; ``without_text``: those not on the
    map (no title, no abstract). ``points`` (one per mapped publication, in publication-number order),
    ``clusters`` (by size, largest first; ``cluster`` ids 0…k−1), ``grid`` (the terrain) and ``peaks`` (one per
    cluster) are plain data; ``vectors``, ``clustering`` and ``projection`` say how they were made;
    ``seconds`` times each step (not compared); ``model`` keeps the fitted parts (not compared).
    """

    label: str
    origin: str
    basis: Basis
    as_of: dt.date
    recent_window: tuple[int, int]
    previous_window: tuple[int, int]
    documents: int
    without_text: int
    vectors: VectorSummary
    clustering: Clustering
    projection: Projection
    points: tuple[MapPoint, ...]
    clusters: tuple[TopicCluster, ...]
    grid: DensityGrid
    peaks: tuple[Peak, ...]
    seconds: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)
    model: LandscapeModel | None = field(default=None, compare=False, repr=False)

    def cluster(self, cluster: int) -> TopicCluster:
        """The cluster with id ``cluster``."""
        return self.clusters[cluster]


def _register_assignment(engine: Engine, numbers: Sequence[str], labels: np.ndarray) -> str:
    """Register ``(publication_number, cluster)`` in the engine under a name derived from its content."""
    digest = hashlib.sha256()
    for n, c in zip(numbers, labels.tolist(), strict=True):
        digest.update(f"{n}\t{c}\n".encode())
    name = f"landscape_{digest.hexdigest()[:20]}"
    engine.register(
        name,
        pa.table({"publication_number": pa.array(list(numbers), pa.string()), "cluster": pa.array(labels, pa.int64())}),
    )
    return name


def _family_year_cte(basis: Basis) -> tuple[str, str]:
    """``fy``: each family's first year on ``basis`` (else its first publication year)."""
    col = YEAR_COLUMN[basis]
    return ("fy", f"SELECT fam, coalesce(min({col}), min(publication_year)) AS yr FROM pubs GROUP BY fam")


_FAMILY_APPLICANTS = (
    "fa",
    "SELECT DISTINCT p.fam, a.name FROM pubs p JOIN app a ON a.publication_number = p.publication_number",
)


def _cluster_counts(
    engine: Engine, table: str, assignment: str, basis: Basis
) -> tuple[dict[int, Counter[int | None]], dict[int, dict[str, Counter[int | None]]]]:
    """Per cluster: families per first year; per cluster and applicant: families per first year (exact)."""
    rows = engine.rows(
        with_set(
            table,
            ("cl", f"SELECT publication_number, cluster FROM {assignment}"),
            _family_year_cte(basis),
            (
                "fc",
                "SELECT DISTINCT cl.cluster, p.fam FROM cl JOIN pubs p ON p.publication_number = cl.publication_number",
            ),
            _FAMILY_APPLICANTS,
        )
        + """
        SELECT 'families' AS what, fc.cluster, fy.yr, CAST(NULL AS STRING) AS name, count(*) AS n
        FROM fc JOIN fy ON fy.fam = fc.fam GROUP BY fc.cluster, fy.yr
        UNION ALL
        SELECT 'applicants' AS what, fc.cluster, fy.yr, fa.name, count(*) AS n
        FROM fc JOIN fy ON fy.fam = fc.fam JOIN fa ON fa.fam = fc.fam GROUP BY fc.cluster, fy.yr, fa.name"""
    )
    families: dict[int, Counter[int | None]] = defaultdict(Counter)
    applicants: dict[int, dict[str, Counter[int | None]]] = defaultdict(lambda: defaultdict(Counter))
    for what, cluster, year, name, n in rows:
        y = None if year is None else int(year)
        if what == "families":
            families[int(cluster)][y] += int(n)
        else:
            applicants[int(cluster)][str(name)][y] += int(n)
    return families, applicants


def _in(year: int | None, window: tuple[int, int]) -> bool:
    return year is not None and window[0] <= year <= window[1]


def landscape(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    corpus_path: Path | str | None = None,
    model: str | Embedder = DEFAULT_MODEL,
    vectors: VectorChoice = "auto",
    embed_missing: bool = False,
    embedder: Embedder | None = None,
    k: int | None = None,
    k_range: tuple[int, int] | None = None,
    terms: int = 8,
    top_applicants: int = 5,
    basis: Basis = "priority",
    as_of: dt.date | None = None,
    window: int = 5,
    publication_delay_months: int = PUBLICATION_DELAY_MONTHS,
    rise: float = 0.10,
    fall: float = 0.10,
    grid_size: int = 80,
    bandwidth_scale: float = 0.5,
    fit_max: int = UMAP_FIT_MAX,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    random_state: int = 0,
    threads: int | None = 1,
) -> Landscape:
    """The landscape map of ``patent_set`` (default: the whole corpus); see the module docstring for the steps.

    Vectors: ``corpus_path``, ``model``, ``vectors``, ``embed_missing``, ``embedder`` as in :func:`set_vectors`.
    Topics: ``k`` clusters, or ``k`` chosen by silhouette in ``k_range`` (default
    :func:`~patnav.analysis.topics.default_k_range`); ``terms`` label terms and ``top_applicants`` per cluster.
    Years: the family's first year on ``basis`` (priority by default; the publication year when the family has
    none), windows of ``window`` complete years before ``as_of`` (default: the set's latest publication date),
    as in :func:`~patnav.analysis.players.players`. Map: ``grid_size`` cells a side, ``bandwidth_scale`` times
    Scott's bandwidth, UMAP fitted on at most ``fit_max`` points with ``n_neighbors`` and ``min_dist``.
    ``random_state`` fixes every random step (SVD, k-means, samples, UMAP): the same input gives the same map.
    ``threads`` caps the BLAS/OpenMP threads of the scikit-learn steps (:func:`limit_threads`).
    """
    with limit_threads(threads):
        return _landscape(
            engine,
            patent_set,
            corpus_path=corpus_path,
            model=model,
            vectors=vectors,
            embed_missing=embed_missing,
            embedder=embedder,
            k=k,
            k_range=k_range,
            terms=terms,
            top_applicants=top_applicants,
            basis=basis,
            as_of=as_of,
            window=window,
            publication_delay_months=publication_delay_months,
            rise=rise,
            fall=fall,
            grid_size=grid_size,
            bandwidth_scale=bandwidth_scale,
            fit_max=fit_max,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            random_state=random_state,
        )


def _landscape(
    engine: Engine,
    patent_set: PatentSet | None,
    *,
    corpus_path: Path | str | None,
    model: str | Embedder,
    vectors: VectorChoice,
    embed_missing: bool,
    embedder: Embedder | None,
    k: int | None,
    k_range: tuple[int, int] | None,
    terms: int,
    top_applicants: int,
    basis: Basis,
    as_of: dt.date | None,
    window: int,
    publication_delay_months: int,
    rise: float,
    fall: float,
    grid_size: int,
    bandwidth_scale: float,
    fit_max: int,
    n_neighbors: int,
    min_dist: float,
    random_state: int,
) -> Landscape:
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}; choose one of {', '.join(BASES)}")
    if window < 1 or terms < 1 or top_applicants < 0:
        raise ValueError("window and terms must be ≥ 1, top_applicants ≥ 0")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    table = register_patent_set(engine, patent_set)
    as_of = as_of or default_as_of(engine, patent_set)
    complete = last_complete_year(basis, as_of, publication_delay_months)
    recent_window = (complete - window + 1, complete)
    previous_window = (complete - 2 * window + 1, complete - window)
    docs = _documents(engine, table, basis)
    seconds["query"] = time.perf_counter() - started

    t = time.perf_counter()
    corpus_path = corpus_path if corpus_path is not None else getattr(engine, "corpus_path", None)
    sv = _vectors(
        docs,
        corpus_path=corpus_path,
        model=model,
        vectors=vectors,
        embed_missing=embed_missing,
        embedder=embedder,
        random_state=random_state,
    )
    seconds["vectors"] = time.perf_counter() - t
    row_of = {n: i for i, n in enumerate(docs.numbers)}
    rows = np.asarray([row_of[n] for n in sv.numbers], dtype=np.int64)

    t = time.perf_counter()
    labels, centroids, how = cluster_vectors(sv.matrix, k, k_range=k_range, random_state=random_state)
    seconds["clusters"] = time.perf_counter() - t

    t = time.perf_counter()
    rng = np.random.default_rng(random_state)
    sample_rows = []
    for c in range(how.k):
        members = np.nonzero(labels == c)[0]
        if len(members) > LABEL_SAMPLE:
            members = np.sort(rng.choice(members, size=LABEL_SAMPLE, replace=False))
        sample_rows.append(members)
    label_rows = np.sort(np.concatenate(sample_rows)) if sample_rows else np.empty(0, np.int64)
    by_cluster = cluster_terms([sv.texts[i] for i in label_rows], labels[label_rows], top=terms)
    names = {c: " · ".join(term.text for term in by_cluster.get(c, ())[:3]) for c in range(how.k)}
    seconds["labels"] = time.perf_counter() - t

    t = time.perf_counter()
    xy, reducer, projection = project(
        sv.matrix, fit_max=fit_max, n_neighbors=n_neighbors, min_dist=min_dist, random_state=random_state
    )
    seconds["projection"] = time.perf_counter() - t

    t = time.perf_counter()
    grid = density_grid(xy, size=grid_size, bandwidth_scale=bandwidth_scale)
    peaks = cluster_peaks(grid, xy, labels, names)
    seconds["terrain"] = time.perf_counter() - t

    t = time.perf_counter()
    assignment = _register_assignment(engine, sv.numbers, labels)
    fam_years, app_years = _cluster_counts(engine, table, assignment, basis)
    clusters = []
    mapped = len(sv.numbers)
    for c in range(how.k):
        members = labels == c
        years = fam_years.get(c, Counter())
        dated = sorted(y for y, n in years.items() if y is not None for _ in range(n))
        held = {
            name: (sum(per.values()), any(_in(y, recent_window) for y in per))
            for name, per in app_years.get(c, {}).items()
        }
        ranked = sorted(held.items(), key=lambda kv: (-kv[1][0], kv[0]))
        recent = sum(n for y, n in years.items() if _in(y, recent_window))
        previous = sum(n for y, n in years.items() if _in(y, previous_window))
        cohesion = float(np.mean(sv.matrix[members] @ centroids[c])) if members.any() else 0.0
        clusters.append(
            TopicCluster(
                cluster=c,
                label=names[c],
                terms=by_cluster.get(c, ()),
                documents=int(members.sum()),
                share=float(members.sum()) / mapped,
                families=sum(years.values()),
                top_applicants=tuple(ClusterApplicant(name, n) for name, (n, _) in ranked[:top_applicants]),
                applicants=len(held),
                recent_applicants=sum(1 for _, (_, r) in held.items() if r),
                first_year=dated[0] if dated else None,
                median_year=int(statistics.median_low(dated)) if dated else None,
                last_year=dated[-1] if dated else None,
                undated_families=years.get(None, 0),
                recent=recent,
                previous=previous,
                trend=direction(previous, recent, rise, fall),
                x=float(np.median(xy[members, 0])),
                y=float(np.median(xy[members, 1])),
                cohesion=cohesion,
                peak=peaks[c],
            )
        )
    points = tuple(
        MapPoint(
            n,
            float(xy[i, 0]),
            float(xy[i, 1]),
            int(labels[i]),
            docs.applicants[rows[i]],
            docs.years[rows[i]],
            sv.texts[i][0],
        )
        for i, n in enumerate(sv.numbers)
    )
    seconds["clusters_engine"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - started
    return Landscape(
        label=patent_set.label if patent_set is not None else "corpus",
        origin=patent_set.origin if patent_set is not None else "corpus",
        basis=basis,
        as_of=as_of,
        recent_window=recent_window,
        previous_window=previous_window,
        documents=len(docs.numbers),
        without_text=len(sv.without_text),
        vectors=sv.summary,
        clustering=how,
        projection=projection,
        points=points,
        clusters=tuple(clusters),
        grid=grid,
        peaks=peaks,
        seconds=seconds,
        model=LandscapeModel(sv.numbers, sv.matrix, labels, centroids, xy, sv.space, reducer),
    )


# -- R&D starting point -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A patent near a proposal: cosine ``similarity`` in the map's vector space and where it is on the map."""

    publication_number: str
    similarity: float
    cluster: int
    x: float
    y: float
    title: str | None
    applicant: str | None
    year: int | None


@dataclass(frozen=True, slots=True)
class ClusterMatch:
    """A cluster near a proposal: cosine ``similarity`` with its centroid and how many of the proposal's
    nearest patents (``neighbours``) are in it."""

    cluster: int
    label: str
    similarity: float
    neighbours: int


@dataclass(frozen=True, slots=True)
class StartingPoint:
    """Where a proposal lands: map coordinates ``x``/``y`` (UMAP transform), the map's ``density`` and
    ``height`` (0–1 of the highest cell) there, the ``cluster`` whose centroid is nearest, ``clusters`` ranked by
    centroid similarity (those holding a neighbour, or the three nearest), and the ``neighbours``
    (most similar first). ``source`` is the vector space (as :attr:`VectorSummary.source`)."""

    x: float
    y: float
    density: float
    height: float
    cluster: int
    clusters: tuple[ClusterMatch, ...]
    neighbours: tuple[Neighbour, ...]
    source: VectorSource


def starting_point(result: Landscape, text: str, *, k: int = 10, embedder: Embedder | None = None) -> StartingPoint:
    """Place a proposal ``text`` on the map: embed it in the map's space (the fitted TF-IDF/SVD for the fallback;
    the same model and version for stored vectors, ``embedder`` to pass one), project it with the map's UMAP,
    and find its ``k`` nearest patents (exact cosine) and the clusters it falls in."""
    if result.model is None:
        raise ValueError("this landscape carries no fitted model (was it built by landscape()?)")
    if not text or not text.strip():
        raise ValueError("the proposal text is empty")
    m = result.model
    vector = m.space.embed_text(text, embedder=embedder)
    sims = m.matrix @ vector
    k = max(0, min(k, len(sims)))
    best = np.argpartition(-sims, k - 1)[:k] if k else np.empty(0, np.int64)
    best = best[np.lexsort((best, -sims[best]))]
    x, y = m.place(vector)
    points = result.points
    neighbours = tuple(
        Neighbour(
            points[i].publication_number,
            float(sims[i]),
            points[i].cluster,
            points[i].x,
            points[i].y,
            points[i].title,
            points[i].applicant,
            points[i].year,
        )
        for i in best.tolist()
    )
    centroid_sims = m.centroids @ vector
    held = Counter(n.cluster for n in neighbours)
    order = sorted(range(len(centroid_sims)), key=lambda c: (-centroid_sims[c], c))
    shown = [c for i, c in enumerate(order) if held.get(c) or i < 3]
    grid = result.grid
    column, row = grid.cell_of(x, y)
    density = grid.values[row][column]
    top = max(max(r) for r in grid.values) or 1.0
    return StartingPoint(
        x,
        y,
        density,
        density / top,
        order[0],
        tuple(ClusterMatch(c, result.clusters[c].label, float(centroid_sims[c]), held.get(c, 0)) for c in shown),
        neighbours,
        result.vectors.source,
    )


@dataclass(frozen=True, slots=True)
class Crowding:
    """How crowded the map is where a proposal lands: the ``radius`` (map units) of the circle around it that
    holds its ``k`` nearest patents (nearest by meaning, placed on the map), the patents of the map ``within``
    that circle, and ``typical``: the median count within a circle of the same radius around the map's own
    patents (``sampled`` of them), so ``ratio`` = ``within`` / ``typical`` above 1 means a denser area than
    usual and below 1 a thinner one. ``height`` is the terrain there, 0–1 of the highest cell."""

    k: int
    radius: float
    within: int
    typical: float
    sampled: int
    height: float

    @property
    def ratio(self) -> float | None:
        """``within`` over ``typical`` (``None`` when the typical count is 0)."""
        return self.within / self.typical if self.typical else None


def crowding(result: Landscape, start: StartingPoint, *, sample: int = 2000, random_state: int = 0) -> Crowding:
    """How many patents of the map lie around a proposal placed by :func:`starting_point`, against the same
    count around the map's own patents: an R&D team reads "crowded" or "open" from it, not from a bare number
    whose scale depends on the map. At most ``sample`` patents (seeded) give the typical count."""
    xy = np.asarray([(p.x, p.y) for p in result.points], dtype=np.float64).reshape(-1, 2)
    if not start.neighbours or not len(xy):
        return Crowding(0, 0.0, 0, 0.0, 0, start.height)
    here = np.asarray([start.x, start.y])
    far = np.asarray([(n.x, n.y) for n in start.neighbours], dtype=np.float64)
    radius = float(np.sqrt(((far - here) ** 2).sum(axis=1)).max())
    within = int((np.sqrt(((xy - here) ** 2).sum(axis=1)) <= radius).sum())
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(random_state)
    picked = xy if len(xy) <= sample else xy[np.sort(rng.choice(len(xy), size=sample, replace=False))]
    counts = cKDTree(xy).query_ball_point(picked, r=radius, return_length=True)
    return Crowding(len(start.neighbours), radius, within, float(np.median(counts)), len(picked), float(start.height))


# -- white space ------------------------------------------------------------------------------------------------


def growth_ratio(previous: int, recent: int) -> float:
    """``(recent + 1) / (previous + 1)``: growth with add-one smoothing, so a topic going from 0 to 8 families
    (9.0) outranks one going from 0 to 1 (2.0) and a large topic's 100 → 120 (1.19)."""
    return (recent + 1) / (previous + 1)


@dataclass(frozen=True, slots=True)
class ClusterGap:
    """A rising topic with few players: families first filed in the ``recent``/``previous`` window, their
    :func:`growth_ratio`, distinct ``applicants`` (all years) and ``recent_applicants``, and the topic's size."""

    cluster: int
    label: str
    recent: int
    previous: int
    growth: float
    applicants: int
    recent_applicants: int
    documents: int
    families: int


@dataclass(frozen=True, slots=True)
class ClassPairGap:
    """Two IPC subclasses assigned together (to members of one family) in a rising combination with few
    players: its ``families`` (all years), ``recent``/``previous`` window families, growth and ``applicants``."""

    first: str
    second: str
    families: int
    recent: int
    previous: int
    growth: float
    applicants: int


@dataclass(frozen=True, slots=True)
class CellGap:
    """An empty valley between dense regions of the map: a cell (``column``, ``row``, centre ``x``/``y``) of
    relative ``height`` (its density over the map's highest cell) flanked on both sides along ``axis``
    (``"x"``, ``"y"``, ``"xy"``, ``"yx"``: horizontal, vertical, the diagonals) by cells at least ``flank`` high;
    ``contrast`` = ``flank`` − ``height``. ``between``: the clusters owning the two flanking cells (most points
    there); ``points``: publications in the cell."""

    column: int
    row: int
    x: float
    y: float
    height: float
    flank: float
    contrast: float
    axis: str
    between: tuple[int, ...]
    points: int


@dataclass(frozen=True, slots=True)
class WhiteSpace:
    """White-space candidates of a map, each list ranked best first (see :func:`white_space`)."""

    max_players: int
    recent_window: tuple[int, int]
    previous_window: tuple[int, int]
    clusters: tuple[ClusterGap, ...]
    class_pairs: tuple[ClassPairGap, ...]
    cells: tuple[CellGap, ...]


def _class_pairs(
    engine: Engine, table: str, basis: Basis, recent: tuple[int, int], previous: tuple[int, int]
) -> list[tuple[str, str, int, int, int, int]]:
    """``(first, second, families, recent, previous, applicants)`` per IPC subclass pair (CPC standing in for a
    publication without IPC, as the indicators do), per family."""
    classes = """
        SELECT DISTINCT p.fam, substr(replace(trim(c.symbol), ' ', ''), 1, 4) AS cls
        FROM classifications c JOIN pubs p ON p.publication_number = c.publication_number
        WHERE nullif(trim(c.symbol), '') IS NOT NULL
          AND (c.scheme = 'IPC' OR (c.scheme = 'CPC' AND c.publication_number NOT IN
               (SELECT publication_number FROM classifications WHERE scheme = 'IPC')))"""
    rows = engine.rows(
        with_set(
            table,
            ("fcls", classes),
            (
                "pairs",
                "SELECT x.fam, x.cls AS a, y.cls AS b FROM fcls x JOIN fcls y ON y.fam = x.fam AND x.cls < y.cls",
            ),
            _family_year_cte(basis),
            _FAMILY_APPLICANTS,
            (
                "pw",
                """SELECT pairs.a, pairs.b, pairs.fam,
                          CASE WHEN fy.yr >= :r0 AND fy.yr <= :r1 THEN 1 ELSE 0 END AS is_recent,
                          CASE WHEN fy.yr >= :p0 AND fy.yr <= :p1 THEN 1 ELSE 0 END AS is_previous
                   FROM pairs JOIN fy ON fy.fam = pairs.fam""",
            ),
        )
        + """
        SELECT w.a, w.b, w.families, w.recent, w.previous, coalesce(n.applicants, 0) AS applicants
        FROM (SELECT a, b, count(*) AS families, sum(is_recent) AS recent, sum(is_previous) AS previous
              FROM pw GROUP BY a, b) w
        LEFT JOIN (SELECT pairs.a, pairs.b, count(DISTINCT fa.name) AS applicants
                   FROM pairs JOIN fa ON fa.fam = pairs.fam GROUP BY pairs.a, pairs.b) n
          ON n.a = w.a AND n.b = w.b""",
        {"r0": recent[0], "r1": recent[1], "p0": previous[0], "p1": previous[1]},
    )
    return [(str(a), str(b), int(f), int(r or 0), int(p or 0), int(n)) for a, b, f, r, p, n in rows]


def _cell_gaps(result: Landscape, low: float, high: float, reach: int, top: int) -> list[CellGap]:
    heights = result.grid.array()
    peak = heights.max()
    if peak <= 0:
        return []
    heights = heights / peak
    rows, cols = heights.shape
    grid = result.grid
    owner_counts: dict[tuple[int, int], Counter[int]] = defaultdict(Counter)
    for p in result.points:
        owner_counts[grid.cell_of(p.x, p.y)][p.cluster] += 1
    axes = {"x": (1, 0), "y": (0, 1), "xy": (1, 1), "yx": (1, -1)}
    candidates = []
    for r in range(rows):
        for c in range(cols):
            h = heights[r, c]
            if h > low:
                continue
            best: tuple[float, str, tuple[int, int], tuple[int, int]] | None = None
            for axis, (dx, dy) in axes.items():
                sides = []
                for sign in (1, -1):
                    cells = [
                        (c + sign * s * dx, r + sign * s * dy)
                        for s in range(1, reach + 1)
                        if 0 <= c + sign * s * dx < cols and 0 <= r + sign * s * dy < rows
                    ]
                    if not cells:
                        break
                    sides.append(max(cells, key=lambda cell: heights[cell[1], cell[0]]))
                if len(sides) < 2:
                    continue
                flank = min(heights[y, x] for x, y in sides)
                if flank >= high and (best is None or flank > best[0]):
                    best = (float(flank), axis, sides[0], sides[1])
            if best is not None:
                candidates.append((best[0] - float(h), float(h), c, r, best))
    candidates.sort(key=lambda cand: (-cand[0], cand[1], cand[3], cand[2]))
    chosen: list[CellGap] = []
    for contrast, h, c, r, (flank, axis, side_a, side_b) in candidates:
        if len(chosen) >= top:
            break
        if any(max(abs(g.column - c), abs(g.row - r)) <= reach for g in chosen):
            continue  # one candidate per valley
        owners = []
        for cell in (side_a, side_b):
            counts = owner_counts.get(cell)
            if counts:
                owner = min(counts, key=lambda k: (-counts[k], k))
            else:  # the nearest peak owns a flank with no point in it
                owner = min(result.peaks, key=lambda pk: (pk.column - cell[0]) ** 2 + (pk.row - cell[1]) ** 2).cluster
            owners.append(owner)
        x, y = grid.center(c, r)
        chosen.append(
            CellGap(
                c, r, x, y, h, flank, contrast, axis, tuple(sorted(set(owners))), sum(owner_counts[(c, r)].values())
            )
        )
    return chosen


def white_space(
    engine: Engine,
    patent_set: PatentSet | None,
    result: Landscape,
    *,
    max_players: int = 5,
    top: int = 10,
    basis: Basis | None = None,
    min_pair_families: int = 2,
    low: float = 0.05,
    high: float = 0.25,
    reach: int = 3,
) -> WhiteSpace:
    """White-space candidates of a map (``result`` of :func:`landscape` for ``patent_set``), best first.

    * **clusters** rising (more families first filed in the recent window than in the previous one) with at
      most ``max_players`` distinct applicants, ranked by :func:`growth_ratio`, then recent families, then fewer
      applicants;
    * **class_pairs**: IPC subclass pairs assigned within one family, in at least ``min_pair_families`` families,
      rising, with at most ``max_players`` applicants; ranked the same way (windows and basis of the map unless
      ``basis`` is given);
    * **cells**: grid cells at most ``low`` high (relative to the highest cell) with cells at least ``high``
      high on both sides within ``reach`` cells along one axis — valleys between mountains, not the coast of the
      map; ranked by contrast, one per valley (no two within ``reach`` cells).
    """
    if max_players < 0 or top < 0:
        raise ValueError("max_players and top must be ≥ 0")
    rw, pw = result.recent_window, result.previous_window
    clusters = [
        ClusterGap(
            c.cluster,
            c.label,
            c.recent,
            c.previous,
            growth_ratio(c.previous, c.recent),
            c.applicants,
            c.recent_applicants,
            c.documents,
            c.families,
        )
        for c in result.clusters
        if c.recent > c.previous and c.applicants <= max_players
    ]
    clusters.sort(key=lambda g: (-g.growth, -g.recent, g.applicants, g.cluster))
    table = register_patent_set(engine, patent_set)
    pairs = [
        ClassPairGap(a, b, f, r, p, growth_ratio(p, r), n)
        for a, b, f, r, p, n in _class_pairs(engine, table, basis or result.basis, rw, pw)
        if f >= min_pair_families and r > p and n <= max_players
    ]
    pairs.sort(key=lambda g: (-g.growth, -g.recent, g.applicants, g.first, g.second))
    return WhiteSpace(
        max_players,
        rw,
        pw,
        tuple(clusters[:top]),
        tuple(pairs[:top]),
        tuple(_cell_gaps(result, low, high, reach, top)),
    )


# -- the chart --------------------------------------------------------------------------------------------------

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: the drawn point layer holds at most this many points; more are thinned to a sample (noted in ``usermeta``)
CHART_MAX_POINTS = 20_000
#: terrain colours from sea level to summit (the height bands are drawn as contour-like steps)
TERRAIN_COLOURS = ("#f7fbff", "#d6ecd2", "#a9d6a0", "#74b66e", "#c8b273", "#a8834f", "#8a6a44", "#ffffff")


def landscape_chart(
    result: Landscape,
    *,
    max_points: int = CHART_MAX_POINTS,
    top_applicants: int = 15,
    bands: int = 8,
    labels: Mapping[str, str] | None = None,
    width: int = 720,
    height: int = 560,
    proposal: StartingPoint | None = None,
) -> dict[str, Any]:
    """A Vega-Lite v5 spec (a JSON-able dict) of the map: terrain, points, peak labels, filters.

    Layers: the terrain as a heatmap of the grid in ``bands`` height steps (contour bands), cells below the
    first band left out; the points coloured by cluster with a tooltip (number, title, applicant, year,
    cluster label), zoomable and pannable; the peak labels at the summits. Two bound parameters filter the
    points: ``pick_applicant`` (a drop-down of the ``top_applicants`` first-named applicants with the most
    points, ``*`` for all) and ``pick_year`` (a slider: points up to that year; undated points always show).
    The data sit in the spec's top-level ``datasets`` (``terrain``, ``points``, ``peaks``). ``labels``
    translates the interface words (keys ``applicant``, ``year``, ``all``, ``cluster``, ``title``,
    ``publication_number``); by default they are these codes. Above ``max_points`` points the drawn layer is a
    random sample of that size (seed 0); ``usermeta.patnav`` then says ``thinned: true`` with both counts (the
    full points stay in :attr:`Landscape.points`).
    With ``proposal`` (a :func:`starting_point`), the proposal is drawn on top as a marked point (a red
    diamond, labelled ``labels["proposal"]``, dataset ``proposal``), so a reader sees where an idea lands.
    """
    import altair as alt

    words = {k: k for k in ("applicant", "year", "cluster", "title", "publication_number", "proposal")}
    words["all"] = "*"
    words.update(labels or {})
    grid = result.grid
    heights = grid.array()
    peak = float(heights.max()) or 1.0
    cells = []
    for r in range(grid.rows):
        for c in range(grid.columns):
            level = min(int(heights[r, c] / peak * bands), bands - 1) / bands
            if level == 0:  # sea level: left to the background
                continue
            x0 = grid.x_min + c * grid.cell_width
            y0 = grid.y_min + r * grid.cell_height
            cells.append(
                {"x": x0, "x2": x0 + grid.cell_width, "y": y0, "y2": y0 + grid.cell_height, "height": round(level, 4)}
            )
    points = result.points
    thinned = len(points) > max_points
    if thinned:
        keep = np.sort(np.random.default_rng(0).choice(len(points), size=max_points, replace=False))
        points = tuple(points[i] for i in keep.tolist())
    names = {c.cluster: c.label for c in result.clusters}
    point_rows = [
        {
            "publication_number": p.publication_number,
            "x": round(p.x, 5),
            "y": round(p.y, 5),
            "cluster": p.cluster,
            "label": names.get(p.cluster, ""),
            "applicant": p.applicant,
            "year": p.year,
            "title": p.title,
        }
        for p in points
    ]
    peak_rows = [{"x": p.x, "y": p.y, "label": p.label, "cluster": p.cluster} for p in result.peaks]
    by_applicant = Counter(p.applicant for p in result.points if p.applicant)
    options = [name for name, _ in sorted(by_applicant.items(), key=lambda kv: (-kv[1], kv[0]))[:top_applicants]]
    years = [p.year for p in result.points if p.year is not None]
    first_year, last_year = (min(years), max(years)) if years else (0, 0)

    x_scale = alt.Scale(domain=[grid.x_min, grid.x_max], nice=False, zero=False)
    y_scale = alt.Scale(domain=[grid.y_min, grid.y_max], nice=False, zero=False)
    applicant = alt.param(
        name="pick_applicant",
        value="*",
        bind=alt.binding_select(
            options=["*", *options], labels=[words["all"], *options], name=words["applicant"] + " "
        ),
    )
    year = alt.param(
        name="pick_year",
        value=last_year,
        bind=alt.binding_range(min=first_year, max=max(last_year, first_year + 1), step=1, name=words["year"] + " "),
    )
    zoom = alt.selection_interval(bind="scales", name="zoom")
    terrain = (
        alt.Chart(alt.NamedData(name="terrain"))
        .mark_rect(strokeWidth=0)
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=None),
            x2="x2:Q",
            y=alt.Y("y:Q", scale=y_scale, axis=None),
            y2="y2:Q",
            color=alt.Color(
                "height:Q",
                scale=alt.Scale(domain=[0, 1], range=list(TERRAIN_COLOURS)),
                legend=None,
            ),
            tooltip=alt.value(None),
        )
    )
    dots = (
        alt.Chart(alt.NamedData(name="points"))
        .mark_circle(size=8, opacity=0.55, clip=True)
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=None),
            y=alt.Y("y:Q", scale=y_scale, axis=None),
            color=alt.Color("cluster:N", legend=None, scale=alt.Scale(scheme="tableau20")),
            tooltip=[
                alt.Tooltip("publication_number:N", title=words["publication_number"]),
                alt.Tooltip("title:N", title=words["title"]),
                alt.Tooltip("applicant:N", title=words["applicant"]),
                alt.Tooltip("year:O", title=words["year"]),
                alt.Tooltip("label:N", title=words["cluster"]),
            ],
        )
        .transform_filter(
            "(pick_applicant == '*' || datum.applicant == pick_applicant)"
            " && (datum.year == null || datum.year <= pick_year)"
        )
        .add_params(zoom)
    )
    halo = (
        alt.Chart(alt.NamedData(name="peaks"))
        .mark_text(fontSize=12, fontWeight="bold", stroke="white", strokeWidth=4, strokeOpacity=0.85, dy=-8)
        .encode(x=alt.X("x:Q", scale=x_scale, axis=None), y=alt.Y("y:Q", scale=y_scale, axis=None), text="label:N")
    )
    text = (
        alt.Chart(alt.NamedData(name="peaks"))
        .mark_text(fontSize=12, fontWeight="bold", color="#202020", dy=-8)
        .encode(x=alt.X("x:Q", scale=x_scale, axis=None), y=alt.Y("y:Q", scale=y_scale, axis=None), text="label:N")
    )
    marks = (
        alt.Chart(alt.NamedData(name="peaks"))
        .mark_point(shape="triangle-up", filled=True, size=60, color="#202020")
        .encode(x=alt.X("x:Q", scale=x_scale, axis=None), y=alt.Y("y:Q", scale=y_scale, axis=None))
    )
    layers = [terrain, dots, marks, halo, text]
    if proposal is not None:
        where = {"x": alt.X("x:Q", scale=x_scale, axis=None), "y": alt.Y("y:Q", scale=y_scale, axis=None)}
        layers += [
            alt.Chart(alt.NamedData(name="proposal"))
            .mark_point(shape="diamond", filled=True, size=260, color="#d62728", stroke="white", strokeWidth=1.5,
                        opacity=1)
            .encode(**where, tooltip=[alt.Tooltip("label:N", title=""),
                                      alt.Tooltip("cluster:N", title=words["cluster"])]),
            alt.Chart(alt.NamedData(name="proposal"))
            .mark_text(fontSize=13, fontWeight="bold", color="#d62728", stroke="white", strokeWidth=3,
                       strokeOpacity=0.9, dy=16)
            .encode(**where, text="label:N"),
            alt.Chart(alt.NamedData(name="proposal"))
            .mark_text(fontSize=13, fontWeight="bold", color="#d62728", dy=16)
            .encode(**where, text="label:N"),
        ]  # fmt: skip
    chart = (
        alt.layer(*layers)
        .add_params(applicant, year)
        .properties(width=width, height=height)
        .configure_view(stroke=None)
    )
    spec = chart.to_dict()  # validated against the Vega-Lite schema here, before the (large) data goes in
    spec["$schema"] = VEGA_LITE_SCHEMA  # nothing here needs Vega-Lite 6: the spec renders with 5.x (tested)
    spec["datasets"] = {"terrain": cells, "points": point_rows, "peaks": peak_rows}
    if proposal is not None:
        spec["datasets"]["proposal"] = [
            {"x": proposal.x, "y": proposal.y, "label": words["proposal"], "cluster": names.get(proposal.cluster, "")}
        ]
    spec["usermeta"] = {
        "patnav": {
            "points": len(result.points),
            "drawn": len(point_rows),
            "thinned": thinned,
            "clusters": len(result.clusters),
            "vectors": result.vectors.source,
            "proposal": proposal is not None,
        }
    }
    return spec

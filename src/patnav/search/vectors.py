"""The vector half of search: one embedding per publication (title + abstract), kept beside the corpus.

Layout of ``<corpus>/search/vectors/<model-name>/``::

    meta.json         model name, model (package) version, dim, metric, what text was embedded
    manifest.duckdb   the writer's ledger: (publication_number, record_hash, text_hash, key, shard, row)
    manifest.parquet  the readers' snapshot of that ledger, replaced atomically at the end of each run
    shards/NNNNNNNN.npy   float32 (rows, dim), L2-normalised; written once, never changed
    index.usearch     HNSW graph (usearch, inner product) over the snapshot's keys, patched incrementally

One folder per model, so vectors of two models are never mixed; when the same model comes in another version,
its old vectors are thrown away on open (they live in another space too).

Resumable: :func:`embed_corpus` embeds in chunks; each chunk's shard file is written (temp name, then renamed)
before the ledger rows that point at it are committed in one DuckDB transaction. A run killed at any point
(Ctrl-C, kill -9) leaves the ledger consistent; at most one chunk of work is lost, orphan shard files are
swept on the next open, and the next run embeds only what is still missing. A publication is re-embedded
when its ``record_hash`` changed *and* its embedded text changed (a new legal event does not cost a model
run); vectors of publications gone from the corpus are deleted. Readers (:class:`VectorStore`) only read the
Parquet snapshot, shards and index, never the writer's database, so search keeps working while a run goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from patnav.corpus.store import transaction
from patnav.search.keys import number_key

if TYPE_CHECKING:
    from patnav.corpus.store import Corpus
from patnav.search.embedder import Embedder

FORMAT_VERSION = 1
EMBEDDED_TEXT = "title + '\\n' + abstract (the publications table's title and abstract columns)"
VECTORS_DIR = Path("search") / "vectors"
META_FILE = "meta.json"
LEDGER_FILE = "manifest.duckdb"
SNAPSHOT_FILE = "manifest.parquet"
INDEX_FILE = "index.usearch"
SHARDS_DIR = "shards"

#: Publications embedded (and committed) together; a crash loses at most this much work.
CHUNK_SIZE = 256
#: Texts sent to the model at once inside a chunk (progress is reported after each).
BATCH_SIZE = 32
#: Compaction merges shards into files of this many rows.
COMPACT_SHARD_ROWS = 65_536
#: Compact when more than this fraction of stored rows is dead, or there are more small shards than this.
COMPACT_DEAD_FRACTION = 0.25
COMPACT_MAX_SHARDS = 64

#: Filtered search scores the allowed vectors exactly when there are fewer than this many ...
EXACT_ALLOWED_MAX = 20_000
#: ... or they are less than this fraction of the store; otherwise the HNSW graph is searched and filtered.
EXACT_ALLOWED_FRACTION = 0.05
#: A store this small is always searched exactly (faster than the graph, and exact).
EXACT_STORE_MAX = 2_000
#: First HNSW over-fetch factor for filtered search; doubled until k results survive the filter.
OVERSAMPLE = 4

HNSW_CONNECTIVITY = 16
#: Candidates kept while building, and while searching, the graph. Measured by bench/search_speed.py on
#: 1,000,000 resampled MiniLM vectors, bf16 graph (bench/README.md): with ef_add 128, recall@10 0.933 / 0.945 /
#: 0.950-0.962 at ef_search 512 / 768 / 1024 (19x brute force at 1024); with ef_add 256, 0.952 / 0.968 / 0.973
#: (29x / 24x / 18x), for a graph build of 390 s instead of 164 s. A larger M instead doubled the build time.
HNSW_EXPANSION_ADD = 256
HNSW_EXPANSION_SEARCH = 768
#: The graph keeps its own copy of the vectors; half precision halves that copy (the float32 vectors beside it
#: give exact similarities for the results), which keeps a million-vector store under 4 GB while querying.
#: bfloat16 rather than float16: usearch has native AVX-512 BF16 kernels for it on this hardware (f16 is
#: converted to float32 per distance), ~25-35 % faster searches at the same recall in bench/search_speed.py.
#: A graph saved in another precision is rebuilt on load.
HNSW_DTYPE = "bf16"
#: Rebuild the graph instead of patching it when more than this fraction of it would be removed.
REBUILD_FRACTION = 0.2

#: progress(done, total): called as chunks are embedded; the CLI draws a Rich bar from it.
Progress = Callable[[int, int], None]


class ModelMismatchError(ValueError):
    """A vector folder holds vectors of another model (or version) than the one asked for."""


@dataclass(slots=True)
class EmbedStats:
    """What one :func:`embed_corpus` run did."""

    model: str
    version: str
    in_corpus: int = 0
    embedded: int = 0
    hash_only: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped_empty: int = 0
    chunks: int = 0
    seconds: float = 0.0
    reset: bool = False
    compacted: bool = False
    index_size: int = 0

    @property
    def texts_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class _Meta:
    model: str
    version: str
    dim: int
    metric: str = "ip"
    text: str = EMBEDDED_TEXT
    format: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "model": self.model,
                "version": self.version,
                "dim": self.dim,
                "metric": self.metric,
                "text": self.text,
                "format": self.format,
                **self.extra,
            },
            indent=2,
            ensure_ascii=False,
        )

    @classmethod
    def read(cls, path: Path) -> _Meta | None:
        try:
            raw = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        known = {"model", "version", "dim", "metric", "text", "format"}
        return cls(
            model=raw.get("model", ""),
            version=raw.get("version", ""),
            dim=int(raw.get("dim", 0)),
            metric=raw.get("metric", "ip"),
            text=raw.get("text", ""),
            format=int(raw.get("format", 0)),
            extra={k: v for k, v in raw.items() if k not in known},
        )


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "model"


def store_path(corpus_path: Path | str, model_name: str) -> Path:
    """The vector folder of one model in a corpus: ``<corpus>/search/vectors/<model-name>/``."""
    return Path(corpus_path) / VECTORS_DIR / _safe_name(model_name)


def _atomic_write_bytes(path: Path, write: Callable[[Any], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _text_of(title: str | None, abstract: str | None) -> str:
    return "\n".join(p.strip() for p in (title, abstract) if p and p.strip())


def _text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------------------------


class _Ledger:
    """The writer's side of a vector folder (one writer at a time: DuckDB locks the ledger file)."""

    def __init__(self, path: Path, meta: _Meta) -> None:
        self.path = path
        self.meta = meta
        self.reset = False
        path.mkdir(parents=True, exist_ok=True)
        old = _Meta.read(path / META_FILE)
        if old is not None and (old.model, old.version, old.dim, old.format) != (
            meta.model,
            meta.version,
            meta.dim,
            meta.format,
        ):
            # Another version of the model: its vectors live in another space. Never mix; start over.
            self._wipe()
            self.reset = True
        elif old is None and any(path.iterdir()):
            self._wipe()
            self.reset = True
        (path / SHARDS_DIR).mkdir(exist_ok=True)
        try:
            self.con = duckdb.connect(str(path / LEDGER_FILE))
        except duckdb.IOException as exc:
            raise RuntimeError(f"another process is embedding into {path} ({exc})") from exc
        self.con.execute(
            """CREATE TABLE IF NOT EXISTS vectors (
                 publication_number VARCHAR PRIMARY KEY, record_hash VARCHAR NOT NULL, text_hash VARCHAR NOT NULL,
                 key BIGINT NOT NULL, shard INTEGER NOT NULL, "row" INTEGER NOT NULL)"""
        )
        self.con.execute("CREATE TABLE IF NOT EXISTS shards (shard INTEGER PRIMARY KEY, rows INTEGER NOT NULL)")
        self.con.execute("CREATE TABLE IF NOT EXISTS counters (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL)")
        self.con.execute("INSERT OR IGNORE INTO counters VALUES ('next_key', 1), ('next_shard', 1)")
        if old is None or self.reset:
            _atomic_write_bytes(path / META_FILE, lambda fh: fh.write(meta.to_json().encode("utf-8")))
        self._sweep()

    def close(self) -> None:
        self.con.close()

    def _wipe(self) -> None:
        for child in self.path.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()

    def shard_file(self, shard: int) -> Path:
        return self.path / SHARDS_DIR / f"{shard:08d}.npy"

    def _referenced_shards(self) -> set[int]:
        used = {int(s) for (s,) in self.con.execute("SELECT shard FROM shards").fetchall()}
        snap = self.path / SNAPSHOT_FILE
        if snap.exists():
            used |= {int(s) for s in pq.read_table(snap, columns=["shard"]).column("shard").unique().to_pylist()}
        return used

    def _sweep(self) -> None:
        """Delete shard files no ledger row or snapshot points at (left by a run killed mid-chunk)."""
        used = self._referenced_shards()
        for f in (self.path / SHARDS_DIR).iterdir():
            stem = f.name.removesuffix(".npy")
            if not (f.name.endswith(".npy") and stem.isdigit() and int(stem) in used):
                f.unlink(missing_ok=True)

    def _next(self, name: str, count: int) -> int:
        first = int(self.con.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()[0])  # type: ignore[index]
        self.con.execute("UPDATE counters SET value = ? WHERE name = ?", [first + count, name])
        return first

    def entries(self) -> dict[str, tuple[str, str]]:
        rows = self.con.execute("SELECT publication_number, record_hash, text_hash FROM vectors").fetchall()
        return {n: (h, t) for n, h, t in rows}

    def remove(self, numbers: list[str]) -> None:
        if not numbers:
            return
        self.con.register("gone_numbers", pa.table({"publication_number": numbers}))
        with self._tx():
            self.con.execute(
                "DELETE FROM vectors WHERE publication_number IN (SELECT publication_number FROM gone_numbers)"
            )
            self._drop_empty_shards()
        self.con.unregister("gone_numbers")

    def update_hashes(self, rows: list[tuple[str, str]]) -> None:
        if not rows:
            return
        self.con.register(
            "new_hashes", pa.table({"publication_number": [n for n, _ in rows], "record_hash": [h for _, h in rows]})
        )
        with self._tx():
            self.con.execute(
                "UPDATE vectors SET record_hash = n.record_hash FROM new_hashes n"
                " WHERE vectors.publication_number = n.publication_number"
            )
        self.con.unregister("new_hashes")

    def commit_chunk(
        self, numbers: list[str], record_hashes: list[str], text_hashes: list[str], vecs: np.ndarray
    ) -> None:
        """Write one shard file, then point the ledger at it in one transaction."""
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        with self._tx():
            shard = self._next("next_shard", 1)
            first_key = self._next("next_key", len(numbers))
            _atomic_write_bytes(self.shard_file(shard), lambda fh: np.save(fh, vecs, allow_pickle=False))
            stage = pa.table(
                {
                    "publication_number": numbers,
                    "record_hash": record_hashes,
                    "text_hash": text_hashes,
                    "key": pa.array(range(first_key, first_key + len(numbers)), pa.int64()),
                    "shard": pa.array([shard] * len(numbers), pa.int32()),
                    "row": pa.array(range(len(numbers)), pa.int32()),
                }
            )
            self.con.register("chunk_rows", stage)
            self.con.execute(
                "DELETE FROM vectors WHERE publication_number IN (SELECT publication_number FROM chunk_rows)"
            )
            self.con.execute("INSERT INTO vectors SELECT * FROM chunk_rows")
            self.con.execute("INSERT INTO shards VALUES (?, ?)", [shard, len(numbers)])
            self._drop_empty_shards()
        self.con.unregister("chunk_rows")

    def _drop_empty_shards(self) -> None:
        self.con.execute("DELETE FROM shards WHERE shard NOT IN (SELECT DISTINCT shard FROM vectors)")

    def _tx(self) -> AbstractContextManager[None]:
        return transaction(self.con)

    def needs_compaction(self) -> bool:
        live, stored, n_shards = self.con.execute(
            "SELECT (SELECT count(*) FROM vectors), (SELECT coalesce(sum(rows), 0) FROM shards),"
            " (SELECT count(*) FROM shards)"
        ).fetchone()  # type: ignore[misc]
        if not stored:
            return False
        small = self.con.execute("SELECT count(*) FROM shards WHERE rows < ?", [COMPACT_SHARD_ROWS // 2]).fetchone()[0]  # type: ignore[index]
        return (stored - live) / stored > COMPACT_DEAD_FRACTION or (n_shards > COMPACT_MAX_SHARDS and small > 1)

    def compact(self) -> None:
        """Rewrite the live vectors into big shards (keys unchanged, so the HNSW graph stays valid)."""
        rows = self.con.execute('SELECT publication_number, shard, "row" FROM vectors ORDER BY key').fetchall()
        vecs = _gather(self.path / SHARDS_DIR, [r[1] for r in rows], [r[2] for r in rows], self.meta.dim)
        new: list[tuple[str, int, int]] = []
        new_shards: list[tuple[int, int]] = []
        with self._tx():
            for start in range(0, len(rows), COMPACT_SHARD_ROWS):
                part = vecs[start : start + COMPACT_SHARD_ROWS]
                shard = self._next("next_shard", 1)
                _atomic_write_bytes(self.shard_file(shard), lambda fh, p=part: np.save(fh, p, allow_pickle=False))
                new_shards.append((shard, len(part)))
                new += [(rows[start + i][0], shard, i) for i in range(len(part))]
            self.con.register(
                "moved",
                pa.table(
                    {
                        "publication_number": [n for n, _, _ in new],
                        "shard": pa.array([s for _, s, _ in new], pa.int32()),
                        "row": pa.array([r for _, _, r in new], pa.int32()),
                    }
                ),
            )
            self.con.execute(
                'UPDATE vectors SET shard = m.shard, "row" = m."row" FROM moved m'
                " WHERE vectors.publication_number = m.publication_number"
            )
            self.con.execute("DELETE FROM shards")
            if new_shards:
                self.con.executemany("INSERT INTO shards VALUES (?, ?)", new_shards)
        self.con.unregister("moved")

    def write_snapshot(self) -> None:
        cols = self.con.execute(
            'SELECT publication_number, record_hash, key, shard, "row" FROM vectors ORDER BY key'
        ).fetchnumpy()
        table = pa.table(
            {
                "publication_number": pa.array(cols["publication_number"], pa.string()),
                "record_hash": pa.array(cols["record_hash"], pa.string()),
                "key": pa.array(cols["key"], pa.int64()),
                "shard": pa.array(cols["shard"], pa.int32()),
                "row": pa.array(cols["row"], pa.int32()),
            }
        )
        _atomic_write_bytes(self.path / SNAPSHOT_FILE, lambda fh: pq.write_table(table, fh, compression="zstd"))


def _gather(shard_dir: Path, shards: Iterable[int], rows: Iterable[int], dim: int) -> np.ndarray:
    shards = np.asarray(list(shards), dtype=np.int64)
    rows = np.asarray(list(rows), dtype=np.int64)
    out = np.empty((len(shards), dim), dtype=np.float32)
    for shard in np.unique(shards):
        sel = np.nonzero(shards == shard)[0]
        data = np.load(shard_dir / f"{int(shard):08d}.npy", mmap_mode="r")
        out[sel] = data[rows[sel]]
    return out


def embed_corpus(
    corpus: Corpus,
    embedder: Embedder,
    progress: Progress | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
    batch_size: int = BATCH_SIZE,
) -> EmbedStats:
    """Bring the vectors of ``embedder``'s model up to date with the corpus; resumable (see module doc).

    Embeds publications that are new or whose text changed, deletes vectors of publications gone from the
    corpus (or left with no title and abstract), compacts the shards when needed, writes the readers'
    snapshot and updates the HNSW graph. ``progress(done, total)`` counts publications to embed.
    """
    started = time.perf_counter()
    meta = _Meta(model=embedder.name, version=embedder.version, dim=int(embedder.dim))
    path = store_path(corpus.path, embedder.name)
    ledger = _Ledger(path, meta)
    stats = EmbedStats(model=embedder.name, version=embedder.version, reset=ledger.reset)
    try:
        current = {
            n: (h, has_text)
            for n, h, has_text in corpus.con.execute(
                "SELECT publication_number, record_hash,"
                " coalesce(trim(title), '') <> '' OR coalesce(trim(abstract), '') <> '' FROM publications"
            ).fetchall()
        }
        stats.in_corpus = len(current)
        stats.skipped_empty = sum(1 for _, has in current.values() if not has)
        stored = ledger.entries()
        gone = [n for n in stored if n not in current or not current[n][1]]
        ledger.remove(gone)
        stats.removed = len(gone)
        candidates = sorted(n for n, (h, has) in current.items() if has and stored.get(n, ("",))[0] != h)
        stats.unchanged = sum(1 for n, (h, has) in current.items() if has and stored.get(n, ("",))[0] == h)

        # Changed records whose embedded text is the same keep their vector (only the hash is brought along).
        todo: list[tuple[str, str, str, str]] = []  # number, record_hash, text_hash, text
        hash_only: list[tuple[str, str]] = []
        for start in range(0, len(candidates), 5_000):
            for number, record_hash, text in _texts(corpus, candidates[start : start + 5_000]):
                th = _text_hash(text)
                old = stored.get(number)
                if old is not None and old[1] == th:
                    hash_only.append((number, record_hash))
                else:
                    todo.append((number, record_hash, th, text))
        ledger.update_hashes(hash_only)
        stats.hash_only = len(hash_only)

        total = len(todo)
        done = 0
        if progress:
            progress(0, total)
        for start in range(0, total, chunk_size):
            chunk = todo[start : start + chunk_size]
            parts = []
            for b in range(0, len(chunk), batch_size):
                batch = chunk[b : b + batch_size]
                parts.append(embedder.embed([t for *_, t in batch], kind="passage"))
                done += len(batch)
                if progress and done < start + len(chunk):
                    progress(done, total)
            vecs = np.concatenate(parts) if parts else np.empty((0, meta.dim), np.float32)
            if vecs.shape != (len(chunk), meta.dim):
                raise ValueError(f"embedder returned {vecs.shape}, expected {(len(chunk), meta.dim)}")
            ledger.commit_chunk([c[0] for c in chunk], [c[1] for c in chunk], [c[2] for c in chunk], vecs)
            stats.embedded += len(chunk)
            stats.chunks += 1
            if progress:
                progress(done, total)

        if ledger.needs_compaction():
            ledger.compact()
            stats.compacted = True
        ledger.write_snapshot()
        ledger._sweep()
    finally:
        ledger.close()
    store = VectorStore(path)
    stats.index_size = store.ensure_index(save=True)
    stats.seconds = time.perf_counter() - started
    return stats


def _texts(corpus: Corpus, numbers: list[str]) -> list[tuple[str, str, str]]:
    corpus.con.register("vector_keys", pa.table({"publication_number": numbers}))
    try:
        rows = corpus.con.execute(
            "SELECT p.publication_number, p.record_hash, p.title, p.abstract FROM publications p"
            " JOIN vector_keys USING (publication_number) ORDER BY p.publication_number"
        ).fetchall()
    finally:
        corpus.con.unregister("vector_keys")
    return [(n, h, _text_of(t, a)) for n, h, t, a in rows]


# ---------------------------------------------------------------------------------------------------------------
# reading and searching
# ---------------------------------------------------------------------------------------------------------------


class VectorStore:
    """The readers' view of one model's vectors: exact and HNSW search, filters, vector look-up.

    ``VectorStore(path)`` opens ``<corpus>/search/vectors/<model-name>/`` as last completed by
    :func:`embed_corpus` (a run still going on is not seen until it finishes). Pass ``model``/``version`` to
    refuse a folder of another model or version (:class:`ModelMismatchError`) instead of mixing spaces.
    """

    def __init__(self, path: Path | str, *, model: str | None = None, version: str | None = None) -> None:
        self.path = Path(path)
        meta = _Meta.read(self.path / META_FILE)
        if meta is None:
            raise FileNotFoundError(f"no vectors at {self.path} (run embed_corpus first)")
        if (model is not None and meta.model != model) or (version is not None and meta.version != version):
            raise ModelMismatchError(
                f"{self.path} holds vectors of {meta.model} {meta.version}, not {model or meta.model} "
                f"{version or meta.version}: re-embed with embed_corpus"
            )
        self.meta = meta
        self.model = meta.model
        self.version = meta.version
        self.dim = meta.dim
        self._index: Any = None
        self._index_keys: np.ndarray | None = None
        self._index_lock = threading.Lock()
        self._load()

    @classmethod
    def for_corpus(cls, corpus: Corpus | Path | str, embedder: Embedder) -> VectorStore:
        """The store of ``embedder``'s model in a corpus, checked to be of that model and version."""
        root = corpus if isinstance(corpus, Path | str) else corpus.path
        return cls(store_path(root, embedder.name), model=embedder.name, version=embedder.version)

    def _load(self) -> None:
        snap = self.path / SNAPSHOT_FILE
        if snap.exists():
            table = pq.read_table(snap)
            self.numbers: list[str] = table.column("publication_number").to_pylist()
            self.keys = table.column("key").to_numpy().astype(np.uint64)
            self.vectors = _gather(
                self.path / SHARDS_DIR,
                table.column("shard").to_numpy(),
                table.column("row").to_numpy(),
                self.dim,
            )
        else:
            self.numbers, self.keys = [], np.empty(0, np.uint64)
            self.vectors = np.empty((0, self.dim), np.float32)
        self._row_of = {n: i for i, n in enumerate(self.numbers)}  # rows are in key order (snapshot sorted)

    def __len__(self) -> int:
        return len(self.numbers)

    def __contains__(self, publication_number: object) -> bool:
        return publication_number in self._row_of

    def vector_of(self, publication_number: str) -> np.ndarray | None:
        """The stored vector of a publication (for "similar to this patent"), or None if it has none."""
        row = self._row_of.get(publication_number)
        return None if row is None else self.vectors[row].copy()

    # -- HNSW --------------------------------------------------------------------------------------------------

    def _new_index(self) -> Any:
        from usearch.index import Index

        return Index(
            ndim=self.dim,
            metric="ip",
            dtype=HNSW_DTYPE,
            connectivity=HNSW_CONNECTIVITY,
            expansion_add=HNSW_EXPANSION_ADD,
            expansion_search=HNSW_EXPANSION_SEARCH,
        )

    def ensure_index(self, *, save: bool = False) -> int:
        """Load the HNSW graph and bring it up to date with the vectors (adds and removes only what changed).

        Rebuilt from scratch when missing, unreadable, or when most of it would be removed. With ``save``
        the graph is written back (temp file, then renamed). Returns the number of vectors in it.
        """
        with self._index_lock:
            if self._index is None:
                self._build_index(save)
            return len(self._index_keys)  # type: ignore[arg-type]

    def _build_index(self, save: bool) -> None:
        index = self._new_index()
        have = np.empty(0, np.uint64)
        ipath = self.path / INDEX_FILE
        if ipath.exists():
            try:
                index.load(str(ipath))
                have = np.sort(np.asarray(index.keys, dtype=np.uint64))  # the graph lists the keys it holds
                if index.ndim != self.dim or HNSW_DTYPE.upper() not in str(index.dtype).upper():
                    raise ValueError("index of another dimension or precision: rebuilt")
            except Exception:
                index, have = self._new_index(), np.empty(0, np.uint64)
        removed = np.setdiff1d(have, self.keys, assume_unique=True)
        added = np.setdiff1d(self.keys, have, assume_unique=True)
        changed = bool(len(removed) or len(added))
        if len(have) and len(removed) > REBUILD_FRACTION * len(have):
            index, have, removed, added = self._new_index(), np.empty(0, np.uint64), removed[:0], self.keys
        if len(removed):
            index.remove(removed)
        if len(added):
            rows = np.searchsorted(self.keys, added)
            index.add(added, self.vectors[rows])
        self._index = index
        self._index_keys = self.keys.copy()
        if save and (changed or not ipath.exists()):
            tmp = ipath.with_name(f".{ipath.name}.{os.getpid()}.tmp")
            index.save(str(tmp))
            os.replace(tmp, ipath)

    # -- search ------------------------------------------------------------------------------------------------

    def search(
        self,
        vector: np.ndarray,
        k: int = 10,
        *,
        allowed: Collection[str] | None = None,
        exclude: Collection[str] = (),
        exact: bool | None = None,
        allowed_keys: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """The ``k`` publications nearest ``vector``: ``[(publication_number, cosine similarity)]``, best first.

        ``allowed`` (the publications passing the query's field filters, or None for all) and ``exclude``
        (e.g. the family of the patent whose prior art is sought) restrict the result. Small allowed sets are
        scored exactly; large ones search the HNSW graph with over-fetching, widened until ``k`` survive.
        ``allowed_keys`` is the same filter given as :func:`~patnav.search.keys.number_key` values (cheaper for
        large sets). ``exact=True`` forces brute force (ground truth), ``exact=False`` forces the graph.
        """
        if k <= 0 or not self.numbers:
            return []
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.dim:
            raise ValueError(f"query vector has {q.shape[0]} dimensions, the store {self.dim}")
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        excluded = set(exclude)
        n = len(self.numbers)
        if allowed_keys is not None:
            allowed_rows = np.nonzero(np.isin(self._number_keys(), allowed_keys))[0]
            if excluded:
                allowed_rows = np.setdiff1d(allowed_rows, self._rows(excluded, set()), assume_unique=True)
            allowed = ()  # handled as rows below
        else:
            allowed_rows = None
        if allowed is not None:
            if allowed_rows is None:
                allowed_rows = self._rows(allowed, excluded)
            small = len(allowed_rows) < EXACT_ALLOWED_MAX or len(allowed_rows) < EXACT_ALLOWED_FRACTION * n
            if exact or (exact is None and small):
                return self._exact(q, k, allowed_rows)
            if not len(allowed_rows):
                return []
            allow_mask = np.zeros(n, dtype=bool)
            allow_mask[allowed_rows] = True
            return self._graph(q, k, allow_mask, len(allowed_rows))
        if exact or (exact is None and n <= EXACT_STORE_MAX):
            rows = (
                np.arange(n)
                if not excluded
                else np.setdiff1d(np.arange(n), self._rows(excluded, set()), assume_unique=True)
            )
            return self._exact(q, k, rows)
        mask = None
        if excluded:
            mask = np.ones(n, dtype=bool)
            mask[self._rows(excluded, set())] = False
        return self._graph(q, k, mask, n - (0 if mask is None else int((~mask).sum())))

    def similar(
        self,
        publication_number: str,
        k: int = 10,
        *,
        allowed: Collection[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[tuple[str, float]]:
        """Publications nearest a stored one (itself left out); [] when it has no vector."""
        vec = self.vector_of(publication_number)
        if vec is None:
            return []
        return self.search(vec, k, allowed=allowed, exclude={publication_number, *exclude})

    def _number_keys(self) -> np.ndarray:
        """:func:`~patnav.search.keys.number_key` of each stored row (computed once per loaded snapshot)."""
        cached = getattr(self, "_keys_of_numbers", None)
        if cached is None or len(cached) != len(self.numbers):
            cached = np.fromiter((number_key(x) for x in self.numbers), dtype=np.uint64, count=len(self.numbers))
            self._keys_of_numbers = cached
        return cached

    def _rows(self, numbers: Collection[str], excluded: set[str]) -> np.ndarray:
        row_of = self._row_of
        return np.fromiter((row_of[x] for x in numbers if x in row_of and x not in excluded), dtype=np.int64)

    def _exact(self, q: np.ndarray, k: int, rows: np.ndarray) -> list[tuple[str, float]]:
        if not len(rows):
            return []
        rows = np.unique(rows)
        scores = self.vectors @ q if len(rows) == len(self.numbers) else self.vectors[rows] @ q
        top = min(k, len(rows))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.lexsort((rows[best], -scores[best]))]
        return [(self.numbers[int(rows[i])], float(scores[i])) for i in best]

    def _graph(self, q: np.ndarray, k: int, mask: np.ndarray | None, eligible: int) -> list[tuple[str, float]]:
        self.ensure_index()
        n = len(self.numbers)
        # Over-fetch in proportion to how much of the store the filter lets through.
        count = k if mask is None else max(k * OVERSAMPLE, int(np.ceil(k * n / max(eligible, 1) * 1.5)))
        want = min(k, eligible)
        while True:
            count = min(count, n)
            matches = self._index.search(q, count)
            keys = np.asarray(matches.keys, dtype=np.uint64)
            dists = np.asarray(matches.distances, dtype=np.float32)
            rows = np.searchsorted(self.keys, keys)
            ok = (rows < n) & (self.keys[np.minimum(rows, n - 1)] == keys)
            if mask is not None:
                ok &= mask[np.minimum(rows, n - 1)]
            rows, dists = rows[ok], dists[ok]
            if len(rows) >= want or count >= n:
                break
            count *= 2
        # usearch's inner-product "distance" is 1 - dot; report the similarity itself.
        sims = self.vectors[rows] @ q if len(rows) else np.empty(0, np.float32)
        order = np.lexsort((rows, -sims))[:k]
        return [(self.numbers[int(rows[i])], float(sims[i])) for i in order]

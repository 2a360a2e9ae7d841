"""Open searchers shared by the request threads: one :class:`~patnav.search.api.Searcher` per (corpus, model).

Opening a searcher costs a DuckDB connection and, for semantic queries, loading the vectors; both are kept
open between requests. A DuckDB connection must not be used by two threads at once, so each cached searcher
has a lock and a request holds it while it searches or reads a record. Measured on the 2-core test machine
(8,355 publications, 80 lexical queries from 8 threads): one searcher behind a lock 0.36 s, two searchers
(a pool) 0.30 s, one thread alone 0.30 s — the work is bound by the GIL, so a pool buys little and doubles the
memory of the vectors; one lock per searcher it is.

A load marks the corpus it writes (:func:`patnav.app.corpora.writing`) and needs DuckDB's write lock, which an
open reader blocks. So a searcher is closed and dropped as soon as its corpus is marked — by the next request,
and within half a second by a watcher thread even when no request comes — and requests answer 503 meanwhile.
When the corpus database, its text index or its vectors change on disk, the next request reopens the searcher
(a read-only DuckDB connection does not see what another process wrote after it opened).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from patnav.app.corpora import check_readable, is_writing
from patnav.app.errors import AppError
from patnav.corpus.store import DB_FILE
from patnav.search import records as record_store
from patnav.search.api import Searcher, SearchError

DEFAULT_MODEL = "e5"
WATCH_EVERY_S = 0.5
#: Answers kept per open searcher (patent records: a record with full text and description is tens of kB).
KEPT_ANSWERS = 512
T = TypeVar("T")


def search_model() -> str:
    """The semantic model the platform searches with: ``PATNAV_SEARCH_MODEL`` (default e5)."""
    return os.environ.get("PATNAV_SEARCH_MODEL") or DEFAULT_MODEL


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def signature(path: Path) -> tuple[float, ...]:
    """Modification times of what an open searcher has read: the database, the text index, the vectors."""
    parts = [path / DB_FILE, path / (DB_FILE + ".wal"), path / "search" / "text" / "patnav-index.json"]
    parts.append(path / "search" / record_store.STORE_FILE)
    vectors = path / "search" / "vectors"
    if vectors.is_dir():
        for folder in sorted(vectors.iterdir()):
            parts += [folder / "meta.json", folder / "manifest.parquet"]
    return tuple(_mtime(p) for p in parts)


@dataclass
class Entry:
    """A cached searcher, the lock a request holds while using it, and what was read through it."""

    searcher: Searcher
    signature: tuple[float, ...]
    lock: threading.Lock = field(default_factory=threading.Lock)
    kept: OrderedDict[str, Any] = field(default_factory=OrderedDict)
    closed: bool = False
    #: The corpus's record store when it matches the corpus (:mod:`patnav.search.records`), else None.
    records: record_store.RecordReader | None = None

    def remembered(self, key: str, make: Callable[[], T]) -> T:
        """``make()``'s answer for ``key``, kept (least recently used dropped first) while this searcher is open.

        Only for answers that depend on nothing but the corpus: any change to the corpus, its text index or its
        vectors opens a new searcher with nothing kept. Call it holding :attr:`lock`."""
        if key in self.kept:
            self.kept.move_to_end(key)
            return self.kept[key]  # type: ignore[no-any-return]
        value = make()
        self.kept[key] = value
        while len(self.kept) > KEPT_ANSWERS:
            self.kept.popitem(last=False)
        return value


_entries: dict[tuple[str, str], Entry] = {}
_guard = threading.Lock()
_watcher: threading.Thread | None = None


def _close(key: tuple[str, str], entry: Entry) -> None:
    """Close ``entry`` once no request is using it, and forget it."""
    with entry.lock:
        if not entry.closed:
            entry.closed = True
            with suppress(Exception):
                entry.searcher.close()
            if entry.records is not None:
                with suppress(Exception):
                    entry.records.close()
    with _guard:
        if _entries.get(key) is entry:
            del _entries[key]


def _watch() -> None:
    while True:
        time.sleep(WATCH_EVERY_S)
        with _guard:
            marked = [(k, e) for k, e in _entries.items() if is_writing(Path(k[0]))]
        for key, entry in marked:
            _close(key, entry)


def _start_watcher() -> None:
    global _watcher
    if _watcher is None or not _watcher.is_alive():
        _watcher = threading.Thread(target=_watch, name="patnav-searcher-watch", daemon=True)
        _watcher.start()


def no_corpus(scope: str) -> AppError:
    if scope == "org":
        return AppError(
            404,
            "no_corpus",
            "Your organisation has no private corpus yet: upload files on the Data page first,"
            " or search the public corpus.",
        )
    return AppError(404, "no_corpus", "The public corpus is empty: an administrator has to load data first.")


def _entry(path: Path, model: str, scope: str) -> tuple[tuple[str, str], Entry]:
    key = (str(path), model)
    with _guard:
        entry = _entries.get(key)
    if entry is not None:
        if entry.signature == signature(path) and not entry.closed:
            return key, entry
        _close(key, entry)
    if not (path / DB_FILE).is_file():
        raise no_corpus(scope)
    sig = signature(path)
    try:
        searcher = Searcher(path, model=model)
    except SearchError:
        raise no_corpus(scope) from None
    except Exception as exc:  # DuckDB refuses while a load holds the write lock
        if is_writing(path) or "lock" in str(exc).lower():
            check_readable(path)
            raise AppError(
                503, "corpus_busy", "This corpus is being updated by a load. Try again in a moment."
            ) from exc
        raise
    # One DuckDB thread per query: a request's look-ups are small and each server process already serves
    # many requests at once; measured on the patent page's queries, 25 % less time than two threads.
    searcher.corpus.con.execute("SET threads = 1")
    try:
        store = record_store.open_if_current(searcher.corpus)
    except Exception:  # an unreadable store only costs speed: pages read the corpus itself
        store = None
    fresh = Entry(searcher, sig, records=store)
    with _guard:
        current = _entries.get(key)
        if current is not None and not current.closed:  # another thread opened it meanwhile
            searcher.close()
            return key, current
        _entries[key] = fresh
        _start_watcher()
    return key, fresh


@contextmanager
def searcher(path: Path, scope: str = "public", model: str | None = None) -> Iterator[Entry]:
    """The open searcher of the corpus at ``path``, held exclusively for the block.

    Raises 503 (``corpus_busy``) while a load writes the corpus and 404 (``no_corpus``) when it holds no data.
    """
    path = Path(path)
    model = model or search_model()
    if is_writing(path):
        with _guard:
            entry = _entries.get((str(path), model))
        if entry is not None:
            _close((str(path), model), entry)
        check_readable(path)
    for _ in range(3):
        _key, entry = _entry(path, model, scope)
        with entry.lock:
            if entry.closed:  # closed by the watcher between lookup and lock: open it again
                continue
            yield entry
            return
    check_readable(path)
    raise AppError(503, "corpus_busy", "This corpus is being updated by a load. Try again in a moment.")


def close_all() -> None:
    """Close every cached searcher (shutdown, tests)."""
    with _guard:
        items = list(_entries.items())
    for key, entry in items:
        _close(key, entry)


def cached() -> list[str]:
    """The corpora with an open searcher (for diagnostics and tests)."""
    with _guard:
        return [k[0] for k in _entries]


# -- indicator runs ---------------------------------------------------------------------------------------------


@dataclass
class Indicators:
    """A corpus's saved indicator run with row indexes by publication number (built once per run)."""

    run: Any  # patnav.indicators.results.StoredRun
    rows: dict[str, int]
    stamp: float
    missing: dict[str, list[int]] = field(default_factory=dict)  # number → rows of run.missing
    industries: dict[str, list[int]] = field(default_factory=dict)  # number → rows of run.industries


def _positions(numbers: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, n in enumerate(numbers):
        out.setdefault(n, []).append(i)
    return out


_runs: dict[str, Indicators] = {}


def indicator_run(path: Path) -> Indicators | None:
    """The saved indicator run of the corpus (None when none was computed), reloaded when a new run lands."""
    from patnav.indicators.results import NoIndicatorsError, indicators_dir, load_run

    stamp = _mtime(indicators_dir(path) / "run.json")
    with _guard:
        hit = _runs.get(str(path))
    if hit is not None and hit.stamp == stamp:
        return hit
    try:
        run = load_run(path)
    except (NoIndicatorsError, OSError):
        return None
    numbers = run.publications.column("publication_number").to_pylist()
    loaded = Indicators(
        run,
        {n: i for i, n in enumerate(numbers)},
        stamp,
        _positions(run.missing.column("publication_number").to_pylist()),
        _positions(run.industries.column("publication_number").to_pylist()),
    )
    with _guard:
        _runs[str(path)] = loaded
    return loaded

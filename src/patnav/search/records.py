"""Each publication's whole record, ready to serve: ``<corpus>/search/records.sqlite``, one compressed JSON
document per publication, written after every update of the full-text index.

Why: DuckDB is built for scans, not for fetching one wide row. The patent page needed 16 statements of about a
millisecond each (every column of a fetched row decodes its whole vector), two of which scan every citation
and every publication to find the citing patents and the family, so a page cost ~25 ms of CPU on the demo
corpus and would grow with the corpus. Here the same answers are computed for all publications at once, with
one sorted pass over each table, and a page reads one SQLite row (~0.1 ms).

A document holds what :meth:`patnav.corpus.store.Corpus.publication` returns for the publication (the record,
its child rows, legal events, family rows, transactions, sources), the citing publications, the IPC/CPC
subclasses, the family members and, for every cited or family number, the stored publication it names, with
exactly the rules of the live queries in :mod:`patnav.app.views.patents` (a test compares them). Values are
JSON-ready (dates as ISO text), as the page and the API send them.

The store is used only while the corpus is in the state it was built from (a fingerprint of the publications,
legal events, families, transactions and code table); otherwise pages fall back to the live queries. The file
is written under a temporary name and renamed, so a reader never sees half a store.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from patnav.corpus.store import CHILD_ORDER, Corpus
from patnav.indicators.sql import KIND_SUFFIX
from patnav.model.schema import PUBLICATION_CHILDREN

STORE_FILE = "records.sqlite"
SCHEMA_VERSION = 1
#: Citing publications and linked numbers kept per publication (as the patent page shows them).
MAX_LINKED = 2000
_BATCH = 2000
_KIND_AT_END = re.compile(KIND_SUFFIX.replace("$", r"\Z"))

#: One statement: what a store's freshness is judged by (row counts and an order-free hash of each table's
#: content keys).
_STATE_SQL = """
SELECT (SELECT count(*) FROM publications),
       (SELECT coalesce(bit_xor(hash(publication_number || coalesce(record_hash, ''))), 0) FROM publications),
       (SELECT count(*) FROM legal_events),
       (SELECT coalesce(bit_xor(hash(coalesce(record_hash, ''))), 0) FROM legal_events),
       (SELECT count(*) FROM families),
       (SELECT coalesce(bit_xor(hash(coalesce(record_hash, ''))), 0) FROM families),
       (SELECT count(*) FROM transactions),
       (SELECT coalesce(bit_xor(hash(coalesce(record_hash, ''))), 0) FROM transactions),
       (SELECT count(*) FROM transaction_patents),
       (SELECT count(*) FROM legal_event_codes),
       (SELECT coalesce(bit_xor(hash(coalesce(record_hash, ''))), 0) FROM legal_event_codes),
       (SELECT count(*) FROM publication_sources)
"""

# Each stream is ordered by its key (the publication it belongs to), then as the live query orders it.
_LEGAL_EVENTS = """
SELECT e.*, COALESCE(e.inpadoc_class, c.inpadoc_class) AS class, COALESCE(e.status_effect, c.status_effect) AS effect
FROM legal_events e LEFT JOIN legal_event_codes c ON c.authority = e.authority AND c.code = e.code
ORDER BY e.publication_number, e.event_date, e.sequence, e.code, e.record_hash
"""
_FAMILY = """
SELECT f1.publication_number AS _key, f2.* FROM families f1 JOIN families f2 USING (family_id, family_type)
ORDER BY _key, f2.publication_number, f2.family_type
"""
_TRANSACTIONS = """
WITH m AS (
  SELECT p.publication_number AS _key, tp.rowid AS _tp FROM publications p
    JOIN transaction_patents tp ON tp.publication_number = p.publication_number
  UNION SELECT p.publication_number, tp.rowid FROM publications p
    JOIN transaction_patents tp ON tp.publication_number = p.country || p.doc_number
  UNION SELECT p.publication_number, tp.rowid FROM publications p
    JOIN transaction_patents tp ON tp.application_number = p.application_number
)
SELECT m._key, t.* FROM m JOIN transaction_patents tp ON tp.rowid = m._tp
  JOIN transactions t ON t.transaction_id = tp.transaction_id
ORDER BY m._key, t.recorded_date, t.transaction_id
"""
_SOURCES = "SELECT * FROM publication_sources ORDER BY publication_number, loaded_at, source_file, record_hash"
_CITING = f"""
WITH c AS (SELECT DISTINCT publication_number AS citing, cited_number FROM citations
           WHERE NOT is_npl AND cited_number IS NOT NULL),
p AS (SELECT publication_number, country || doc_number AS bare FROM publications
      WHERE coalesce(country || doc_number, '') <> ''),
hit AS (
  SELECT p.publication_number AS _key, c.citing FROM p JOIN c ON c.cited_number = p.publication_number
  UNION SELECT p.publication_number, c.citing FROM p
    JOIN c ON regexp_replace(c.cited_number, '{KIND_SUFFIX}', '') = p.bare
)
SELECT hit._key, hit.citing, q.publication_date FROM hit JOIN publications q ON q.publication_number = hit.citing
WHERE hit.citing <> hit._key
QUALIFY row_number() OVER (PARTITION BY hit._key ORDER BY q.publication_date NULLS LAST, hit.citing) <= {MAX_LINKED}
ORDER BY hit._key, q.publication_date NULLS LAST, hit.citing
"""
_MEMBERS = """
WITH m AS (SELECT family_id AS fam, publication_number FROM publications WHERE family_id IS NOT NULL
           UNION SELECT family_id, publication_number FROM families WHERE family_type = 'docdb'),
fo AS (SELECT publication_number AS _key, family_id AS fam FROM publications
       UNION SELECT publication_number, family_id FROM families WHERE family_type = 'docdb')
SELECT DISTINCT fo._key, m.publication_number FROM fo JOIN m ON m.fam = fo.fam ORDER BY 1, 2
"""


def corpus_state(corpus: Corpus) -> list[int]:
    """The fingerprint a store is built for."""
    cur = corpus.cursor()
    try:
        return [int(x) for x in cur.execute(_STATE_SQL).fetchall()[0]]
    finally:
        cur.close()


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-ready")


def _groups(corpus: Corpus, sql: str, key: str, drop_key: bool) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``(key, rows)`` of a query ordered by ``key``, read in batches."""
    cur = corpus.cursor()
    try:
        reader = cur.sql(sql).to_arrow_reader(_BATCH)
        current: str | None = None
        rows: list[dict[str, Any]] = []
        for batch in reader:
            for row in batch.to_pylist():
                k = row.pop(key) if drop_key else row[key]
                if k != current:
                    if current is not None:
                        yield current, rows
                    current, rows = k, []
                rows.append(row)
        if current is not None:
            yield current, rows
    finally:
        cur.close()


class _Aligned:
    """One keyed stream, advanced in step with the publications (keys ascending in both)."""

    def __init__(self, groups: Iterator[tuple[str, list[dict[str, Any]]]]) -> None:
        self._groups = groups
        self._head = next(groups, None)

    def take(self, number: str) -> list[dict[str, Any]]:
        while self._head is not None and self._head[0] < number:  # rows of a publication not in the corpus
            self._head = next(self._groups, None)
        if self._head is not None and self._head[0] == number:
            rows = self._head[1]
            self._head = next(self._groups, None)
            return rows
        return []


def _subclasses(classifications: list[dict[str, Any]]) -> list[str | None]:
    found = {
        None if c["symbol"] is None else c["symbol"].replace(" ", "")[:4]
        for c in classifications
        if c["scheme"] in ("IPC", "CPC")
    }
    return sorted(s for s in found if s is not None) + ([None] if None in found else [])


class _Linker:
    """For a cited or family number, the stored publication it names: exactly it, else the latest publication
    of the same country and number under another kind."""

    def __init__(self, corpus: Corpus) -> None:
        cur = corpus.cursor()
        try:
            rows = cur.execute(
                "SELECT country || doc_number, publication_number, publication_date FROM publications"
                " ORDER BY 1, publication_date DESC NULLS LAST, publication_number"
            ).fetchall()
        finally:
            cur.close()
        self.exact = {r[1] for r in rows}
        self.by_bare: dict[str, str] = {}
        for bare, number, _date in rows:
            if bare is not None:
                self.by_bare.setdefault(bare, number)

    def links(self, numbers: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for n in sorted({n for n in numbers if n})[:MAX_LINKED]:
            if n in self.exact:
                out[n] = n
            elif (hit := self.by_bare.get(_KIND_AT_END.sub("", n, count=1))) is not None:
                out[n] = hit
        return out


def _documents(corpus: Corpus) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(publication number, page document)`` for every publication, in number order."""
    streams = {
        child: _Aligned(
            _groups(
                corpus,
                f"SELECT * FROM {child} ORDER BY publication_number, {CHILD_ORDER[child]}",
                "publication_number",
                False,
            )
        )
        for child in PUBLICATION_CHILDREN
    }
    legal = _Aligned(_groups(corpus, _LEGAL_EVENTS, "publication_number", False))
    family = _Aligned(_groups(corpus, _FAMILY, "_key", True))
    transactions = _Aligned(_groups(corpus, _TRANSACTIONS, "_key", True))
    sources = _Aligned(_groups(corpus, _SOURCES, "publication_number", False))
    citing = _Aligned(_groups(corpus, _CITING, "_key", True))
    members = _Aligned(_groups(corpus, _MEMBERS, "_key", True))
    linker = _Linker(corpus)
    for number, pubs in _groups(
        corpus, "SELECT * FROM publications ORDER BY publication_number", "publication_number", False
    ):
        record = pubs[0]
        if record.get("extras"):
            record["extras"] = json.loads(record["extras"])
        for child, stream in streams.items():
            record[child] = stream.take(number)
        record["legal_events"] = legal.take(number)
        record["family"] = family.take(number)
        record["transactions"] = transactions.take(number)
        record["sources"] = sources.take(number)
        family_numbers = {r["publication_number"] for r in members.take(number)}
        family_numbers |= {f["publication_number"] for f in record["family"]}
        family_numbers.discard(number)
        family_list = sorted(family_numbers)
        cited = [c.get("cited_number") or c.get("cited_number_raw") for c in record["citations"]]
        yield (
            number,
            {
                "record": record,
                "citing": [[r["citing"], r["publication_date"]] for r in citing.take(number)],
                "subclasses": _subclasses(record["classifications"]),
                "family": family_list,
                "linked": linker.links([n for n in cited if n] + family_list),
            },
        )


def store_path(corpus_dir: Path | str) -> Path:
    return Path(corpus_dir) / "search" / STORE_FILE


def build(corpus: Corpus, progress: Callable[[int, int], None] | None = None) -> int:
    """Write the store of ``corpus`` afresh (unless it is already current); the documents written."""
    target = store_path(corpus.path)
    state = corpus_state(corpus)
    if _stored_state(target) == state:
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(STORE_FILE + ".tmp")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    db = sqlite3.connect(tmp)
    try:
        db.executescript(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
            "CREATE TABLE records (publication_number TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        )
        total = state[0]
        done = 0
        batch: list[tuple[str, bytes]] = []
        for number, doc in _documents(corpus):
            text = json.dumps(doc, default=_json_default, ensure_ascii=False, separators=(",", ":"))
            batch.append((number, zlib.compress(text.encode(), 1)))
            if len(batch) >= _BATCH:
                db.executemany("INSERT INTO records VALUES (?, ?)", batch)
                done += len(batch)
                batch = []
                if progress is not None:
                    progress(done, total)
        db.executemany("INSERT INTO records VALUES (?, ?)", batch)
        done += len(batch)
        meta = {"schema_version": SCHEMA_VERSION, "state": state, "seconds": round(time.perf_counter() - started, 2)}
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
        db.commit()
    finally:
        db.close()
    os.replace(tmp, target)
    if progress is not None:
        progress(done, total)
    return done


def _stored_state(path: Path) -> list[int] | None:
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return meta.get("state") if meta.get("schema_version") == SCHEMA_VERSION else None


class RecordReader:
    """Reads page documents from a store that matches the corpus it was opened for."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def get(self, number: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT body FROM records WHERE publication_number = ?", (number,)).fetchone()
        return None if row is None else json.loads(zlib.decompress(row[0]))

    def close(self) -> None:
        self._db.close()


def open_if_current(corpus: Corpus) -> RecordReader | None:
    """A reader of the corpus's store when the store was built from the corpus as it is now, else None."""
    path = store_path(corpus.path)
    stored = _stored_state(path)
    if stored is None or stored != corpus_state(corpus):
        return None
    return RecordReader(path)

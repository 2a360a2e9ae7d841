"""The corpus store: canonical tables in an embedded DuckDB database, mirrored to Parquet for other engines.

Writes are idempotent upserts. A publication is keyed by its canonical number; the same content read
again (from any file) is recognised by its hash and changes nothing. When two sources describe the same
publication, their fields are merged: the richer source (higher reader rank) wins where both have a
value, and the other fills what it lacks; each replacement is written to ``record_history``. Each batch
is one transaction, so a load killed at any point leaves the corpus consistent, and loading the same
files again completes it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from patnav.corpus.prepared import PreparedPublications, Provenance, table_from_rows
from patnav.corpus.rows import (
    CHILD_FIELDS,
    FlatPublication,
    PublicationRows,
    content_hash,
    flat_row,
    flatten,
    transaction_rows,
)
from patnav.model.reasons import reason_json
from patnav.model.records import FamilyMember, LegalEvent, LegalEventCode, Publication, Transaction
from patnav.model.schema import ADDED_COLUMNS, KEYED_TABLES, PUBLICATION_CHILDREN, TABLES

DB_FILE = "corpus.duckdb"
#: How a publication's child rows are listed: by sequence, then (where one sequence holds several rows, e.g.
#: the first inventor and the first owner) by what tells them apart, so every reader sees one order.
CHILD_ORDER = {
    "parties": "sequence, role, name, country",
    "classifications": "sequence, scheme, symbol, is_main",
    "priorities": "sequence, country, number, date",
    "citations": "sequence, cited_number, cited_number_raw, npl_text",
}
PARQUET_DIR = "parquet"
#: The saved indicator run (``patnav.indicators.results``); its per-publication table carries the derived legal
#: status, which the search index reads for its status facet and filter.
INDICATORS_DIR = "indicators"

_META_DDL = [
    """CREATE TABLE IF NOT EXISTS publication_sources (
        publication_number VARCHAR NOT NULL, record_hash VARCHAR NOT NULL, source_file VARCHAR,
        reader VARCHAR, reader_version VARCHAR, loaded_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS record_history (
        publication_number VARCHAR NOT NULL, replaced_at TIMESTAMPTZ, old_hash VARCHAR, new_hash VARCHAR,
        old_source_file VARCHAR, new_source_file VARCHAR, changed_fields VARCHAR[])""",
    """CREATE TABLE IF NOT EXISTS loads (
        load_id BIGINT, source_file VARCHAR, reader VARCHAR, reader_version VARCHAR, started_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ, status VARCHAR, records_read BIGINT, new BIGINT, updated BIGINT,
        unchanged BIGINT, quarantined BIGINT, message VARCHAR)""",
    "CREATE SEQUENCE IF NOT EXISTS load_ids START 1",
]

#: Columns of a publication row that are bookkeeping, not content: never compared when merging.
_BOOKKEEPING = {"source_file", "source_position", "reader", "reader_version", "loaded_at", "record_hash", "source_rank"}


@dataclass(slots=True)
class WriteCounts:
    """What a write did: records new to the corpus, changed, already present unchanged, and quarantined."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def add(self, other: WriteCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined


@dataclass(slots=True)
class Positioned:
    """A record with its position in the source, as the loader hands it to the store."""

    record: Publication | LegalEvent | FamilyMember | Transaction | LegalEventCode
    position: str | None
    rank: int


#: Keys of ``Corpus.publication()`` that hold lists or long text: shown in sections of their own, not as one
#: line of the bibliography (the CLI's ``corpus show`` and the web's patent page both lay them out so).
RECORD_SECTIONS = frozenset(
    {
        "titles",
        "abstracts",
        "claims",
        "description",
        "parties",
        "classifications",
        "priorities",
        "citations",
        "legal_events",
        "family",
        "transactions",
        "sources",
        "independent_claims",
    }
)


class CorpusNotFoundError(FileNotFoundError):
    """The corpus folder holds no database yet (nothing was ingested there)."""


#: Tables read by publication number for one publication's page. An ART index makes the look-up a point read
#: instead of a scan that decompresses every column of the matching 2,048-row vector (full text included):
#: the publication row went from 4.3 to 1.4 ms on the demo corpus; loading it took no measurably longer.
_NUMBER_INDEXED = ("publications", *PUBLICATION_CHILDREN, "legal_events", "families", "publication_sources")


class Corpus:
    """A corpus folder: ``corpus.duckdb`` (the store of record) and ``parquet/`` (an export for Spark)."""

    def __init__(self, path: Path | str, *, create: bool = True, read_only: bool = False) -> None:
        self.path = Path(path)
        db = self.path / DB_FILE
        if not db.exists():
            if not create:
                raise CorpusNotFoundError(f"no corpus at {self.path} (run `patnav ingest` first)")
            self.path.mkdir(parents=True, exist_ok=True)
        self.read_only = read_only
        self.con = duckdb.connect(str(db), read_only=True) if read_only else _connect_for_writing(db)
        # Bounded memory for any input size: DuckDB spills to disk beyond this (PATNAV_DUCKDB_MEMORY to change).
        self.con.execute(f"SET memory_limit = '{_memory_limit()}'")
        self.con.execute("SET preserve_insertion_order = false")
        if not read_only:
            # Fewer, larger checkpoints while loading (each batch commits; the WAL is folded in every 256 MB).
            self.con.execute("SET checkpoint_threshold = '256MB'")
            self._ensure_schema()

    # -- lifecycle -------------------------------------------------------------------------------------------

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        for name, schema in TABLES.items():
            empty = schema.empty_table()
            self.con.register("empty", empty)
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM empty WHERE false")
        for name, columns in ADDED_COLUMNS.items():  # a corpus written before these columns existed
            for column in columns:
                kind = "VARCHAR" if TABLES[name].field(column).type == pa.string() else None
                assert kind is not None, f"{name}.{column}: add its SQL type here"
                self.con.execute(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column} {kind}")
        for ddl in _META_DDL:
            self.con.execute(ddl)
        for table in _NUMBER_INDEXED:
            self.con.execute(f"CREATE INDEX IF NOT EXISTS {table}_by_number ON {table} (publication_number)")

    def transaction(self) -> AbstractContextManager[None]:
        return transaction(self.con)

    # -- writing ---------------------------------------------------------------------------------------------

    def write_batch(
        self,
        items: Iterable[Positioned],
        prov: Provenance,
        prepared: Sequence[PreparedPublications] = (),
    ) -> WriteCounts:
        """Upsert one batch of records (and of publications ``prepared`` elsewhere) in one transaction."""
        pubs: dict[str, tuple[FlatPublication, str | None]] = {}
        keyed: dict[str, list[dict[str, Any]]] = {name: [] for name in KEYED_TABLES}
        tx_patents: dict[str, list[dict[str, Any]]] = {}
        items = list(items)
        self._resolve_kindless([i.record for i in items if isinstance(i.record, Publication) and not i.record.kind])
        for item in items:
            rec = item.record
            if isinstance(rec, Publication):
                pubs[rec.publication_number] = (flatten(rec, item.rank), item.position)
            elif isinstance(rec, LegalEvent):
                keyed["legal_events"].append(prov.stamp(flat_row(rec), item.position))
            elif isinstance(rec, FamilyMember):
                keyed["families"].append(prov.stamp(flat_row(rec), item.position))
            elif isinstance(rec, LegalEventCode):
                keyed["legal_event_codes"].append(prov.stamp(flat_row(rec), item.position))
            elif isinstance(rec, Transaction):
                row, patents = transaction_rows(rec)
                keyed["transactions"].append(prov.stamp(row, item.position))
                tx_patents.setdefault(rec.transaction_id, []).extend(prov.stamp(p, item.position) for p in patents)
        parts = [p for p in prepared if len(p)]
        if pubs:
            local = list(pubs.values())
            parts.append(PreparedPublications.build([r for r, _ in local], prov, [pos for _, pos in local]))
        counts = WriteCounts()
        with self.transaction():
            if parts:
                batch = PreparedPublications.concat(parts)
                self._adopt_kindless(batch.tables["publications"])
                counts.add(self._write_prepared(batch, prov))
            for table, rows in keyed.items():
                if rows:
                    counts.add(self._upsert_keyed(table, rows, tx_patents if table == "transactions" else None))
        return counts

    # A number read without its kind code (PatentsView, assignment records, …) and the same patent read with
    # it (US7395251 and US7395251B2) are one publication when the kind is unambiguous (one kinded record with
    # that country and serial; EP A1 and B1 share a serial, so a kind-less EP number stays on its own).

    def _resolve_kindless(self, records: list[Publication]) -> None:
        """Give a kind-less incoming publication the number of the one stored publication it must be."""
        if not records:
            return
        self.con.register(
            "kindless",
            pa.table({"country": [r.country for r in records], "doc_number": [r.doc_number for r in records]}),
        )
        found = {
            (c, d): (n, k)
            for c, d, n, k in self.con.execute(
                """SELECT k.country, k.doc_number, min(p.publication_number), min(p.kind)
                   FROM (SELECT DISTINCT country, doc_number FROM kindless) k
                   JOIN publications p ON p.country = k.country AND p.doc_number = k.doc_number
                   WHERE p.kind IS NOT NULL GROUP BY 1, 2 HAVING count(*) = 1"""
            ).fetchall()
        }
        for rec in records:
            hit = found.get((rec.country, rec.doc_number))
            if hit:
                rec.publication_number, rec.kind = hit

    def _adopt_kindless(self, incoming: pa.Table) -> None:
        """Renumber stored kind-less publications that an incoming kinded record identifies unambiguously."""
        self.con.register("incoming", incoming.select(["publication_number", "country", "doc_number", "kind"]))
        renames = self.con.execute(
            """WITH inc AS (SELECT DISTINCT country, doc_number, publication_number FROM incoming
                            WHERE kind IS NOT NULL),
                    cand AS (SELECT p.publication_number AS old, i.publication_number AS new, p.country, p.doc_number
                             FROM publications p JOIN inc i ON p.country = i.country AND p.doc_number = i.doc_number
                             WHERE p.kind IS NULL)
               SELECT old, min(new) FROM cand c
               WHERE NOT EXISTS (SELECT 1 FROM publications q WHERE q.country = c.country
                                 AND q.doc_number = c.doc_number AND q.kind IS NOT NULL
                                 AND q.publication_number <> c.new)
               GROUP BY old HAVING count(DISTINCT new) = 1"""
        ).fetchall()
        if not renames:
            return
        self.con.register("renames", pa.table({"old": [r[0] for r in renames], "new": [r[1] for r in renames]}))
        for table in (
            *PUBLICATION_CHILDREN,
            "publications",
            "publication_sources",
            "record_history",
            "legal_events",
            "families",
            "transaction_patents",
        ):
            self.con.execute(
                f"UPDATE {table} SET publication_number = r.new FROM renames r WHERE {table}.publication_number = r.old"
            )

    def _write_prepared(self, prep: PreparedPublications, prov: Provenance) -> WriteCounts:
        """Publications laid out as tables: inserted as they are when none is in the corpus yet (a fresh load),
        else upserted row by row (compared with what is stored, merged)."""
        n = len(prep)
        self.con.register("keys", pa.table({"publication_number": prep.numbers}))
        hit = self.con.execute(
            "SELECT EXISTS (SELECT 1 FROM publications JOIN keys USING (publication_number))"
            " OR EXISTS (SELECT 1 FROM publication_sources JOIN keys USING (publication_number))"
        ).fetchall()[0][0]
        if hit or len(set(prep.numbers)) != n:
            # the same number twice in one batch: the last one read wins, as it would one by one
            latest = {r.publication["publication_number"]: r for r in prep.to_rows()}
            return self._upsert_publications(list(latest.values()), prov)
        for name, table in prep.tables.items():
            self.con.register("data", table)
            self.con.execute(f"INSERT INTO {name} SELECT * FROM data")
        sources = pa.table(
            {
                "publication_number": pa.array(prep.numbers, pa.string()),
                "record_hash": pa.array(prep.hashes, pa.string()),
                "source_file": pa.repeat(pa.scalar(prov.source_file, pa.string()), n),
                "reader": pa.repeat(pa.scalar(prov.reader, pa.string()), n),
                "reader_version": pa.repeat(pa.scalar(prov.reader_version, pa.string()), n),
                "loaded_at": pa.repeat(pa.scalar(prov.loaded_at, pa.timestamp("us", tz="UTC")), n),
            }
        )
        self.con.register("src", sources)
        self.con.execute("INSERT INTO publication_sources SELECT * FROM src")
        return WriteCounts(new=n)

    def quarantine(self, rows: list[dict[str, Any]], prov: Provenance) -> int:
        """Record rejected records; the same rejection recorded twice is kept once. Returns rows added.

        A reason that is a :class:`~patnav.model.reasons.Reason` is stored with its template and values
        (``reason_id``, ``reason_params``) beside its English text, so it can be shown in the reader's language.
        """
        if not rows:
            return 0
        for r in rows:
            r["reason_id"], r["reason_params"] = reason_json(r.get("reason"))
            r["source_file"] = prov.source_file
            r["reader"] = prov.reader
            r["reader_version"] = prov.reader_version
            r["loaded_at"] = prov.loaded_at
        stage = pa.Table.from_pylist(rows, schema=TABLES["quarantine"])
        self.con.register("stage", stage)
        with self.transaction():
            before = self._count("quarantine")
            self.con.execute(
                """INSERT INTO quarantine SELECT DISTINCT ON (source_file, position, field, reason) s.* FROM stage s
                   WHERE NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.source_file = s.source_file
                     AND q.position IS NOT DISTINCT FROM s.position AND q.field IS NOT DISTINCT FROM s.field
                     AND q.reason IS NOT DISTINCT FROM s.reason)"""
            )
            return self._count("quarantine") - before

    def clear_quarantine(self, source_file: str) -> None:
        """Forget earlier rejections of a file before it is read again (they are re-recorded if still bad)."""
        self.con.execute("DELETE FROM quarantine WHERE source_file = ?", [source_file])

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A second connection to the corpus (for another thread, or a result read while this one runs).

        A writing connection's corpus is an attached database (:func:`_connect_for_writing`), and a cursor
        starts in the connection's default catalog, so the cursor is pointed at the corpus first."""
        cur = self.con.cursor()
        database = self.con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        cur.execute(f'USE "{database}"')
        return cur

    def _dicts(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def _count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]

    def _upsert_publications(self, batch: list[PublicationRows], prov: Provenance) -> WriteCounts:
        counts = WriteCounts()
        keys = pa.table({"publication_number": [b.publication["publication_number"] for b in batch]})
        self.con.register("keys", keys)
        seen = {
            (n, h)
            for n, h in self.con.execute(
                "SELECT s.publication_number, s.record_hash FROM publication_sources s"
                " JOIN keys USING (publication_number)"
            ).fetchall()
        }
        # Full stored rows are needed only for records that may change (their content hash is new).
        need = pa.table(
            {
                "publication_number": [
                    b.publication["publication_number"]
                    for b in batch
                    if (b.publication["publication_number"], b.publication["record_hash"]) not in seen
                ]
            }
        )
        self.con.register("need", need)
        existing_rows = {
            r["publication_number"]: r
            for r in self._dicts(
                "SELECT p.* FROM publications p WHERE p.publication_number IN (SELECT publication_number FROM need)"
            )
        }
        # The stored child rows of those records, to tell a record whose hash changed but whose content did
        # not (read by an older patnav, whose hash differed) from one that really changed.
        old_children: dict[str, dict[str, Counter[tuple[Any, ...]]]] = {}
        if existing_rows:
            for child in PUBLICATION_CHILDREN:
                cols = ", ".join(CHILD_FIELDS[child])
                for n, *values in self.con.execute(
                    f"SELECT publication_number, {cols} FROM {child}"
                    " WHERE publication_number IN (SELECT publication_number FROM need)"
                ).fetchall():
                    old_children.setdefault(n, {}).setdefault(child, Counter())[tuple(values)] += 1
        to_write: list[PublicationRows] = []
        replaced: list[str] = []
        kept: dict[str, set[str]] = {}
        history: list[tuple[Any, ...]] = []
        sources: list[dict[str, Any]] = []
        for rows in batch:
            pub = rows.publication
            number, new_hash = pub["publication_number"], pub["record_hash"]
            if (number, new_hash) in seen:
                counts.unchanged += 1
                continue
            sources.append(
                {
                    "publication_number": number,
                    "record_hash": new_hash,
                    "source_file": prov.source_file,
                    "reader": prov.reader,
                    "reader_version": prov.reader_version,
                    "loaded_at": prov.loaded_at,
                }
            )
            old = existing_rows.get(number)
            if old is None:
                counts.new += 1
                to_write.append(rows)
                continue
            merged, changed, keep_children = self._merge(old, rows, old_children.get(number, {}))
            if not changed and keep_children == set(PUBLICATION_CHILDREN):
                counts.unchanged += 1
                continue
            counts.updated += 1
            replaced.append(number)
            history.append(
                (
                    number,
                    prov.loaded_at,
                    old["record_hash"],
                    merged.publication["record_hash"],
                    old["source_file"],
                    prov.source_file,
                    sorted(changed),
                )
            )
            to_write.append(merged)
            kept[number] = keep_children
            for child in keep_children:
                merged.children[child] = []
        if replaced:
            gone = pa.table({"publication_number": replaced})
            self.con.register("gone", gone)
            self.con.execute(
                "DELETE FROM publications WHERE publication_number IN (SELECT publication_number FROM gone)"
            )
            for child in PUBLICATION_CHILDREN:
                dropped = pa.table({"publication_number": [n for n in replaced if child not in kept[n]]})
                self.con.register("dropped", dropped)
                self.con.execute(
                    f"DELETE FROM {child} WHERE publication_number IN (SELECT publication_number FROM dropped)"
                )
            self.con.executemany("INSERT INTO record_history VALUES (?, ?, ?, ?, ?, ?, ?)", history)
        if to_write:
            self._insert("publications", [r.publication for r in to_write])
            for child in PUBLICATION_CHILDREN:
                self._insert(child, [c for r in to_write for c in r.children.get(child, [])])
        if sources:
            src = pa.Table.from_pylist(sources)
            self.con.register("src", src)
            self.con.execute("INSERT INTO publication_sources SELECT * FROM src")
        return counts

    @staticmethod
    def _merge(
        old: dict[str, Any], new: PublicationRows, old_children: dict[str, Counter[tuple[Any, ...]]]
    ) -> tuple[PublicationRows, set[str], set[str]]:
        """Merge a stored publication with a newly read one: richer source wins, the other fills gaps.

        ``old_children`` holds the stored child rows (values of :data:`CHILD_FIELDS`) by table. Returns the
        merged rows, the names of fields whose value changed, and the child tables to keep as stored (because
        the new record has none of those rows, comes from a poorer source, or has the same rows).
        """
        new_row = new.publication
        new_wins = (new_row["source_rank"] or 0) >= (old["source_rank"] or 0)
        merged: dict[str, Any] = {}
        changed: set[str] = set()
        for key, new_value in new_row.items():
            old_value = old.get(key)
            if key in _BOOKKEEPING:
                continue
            if _empty(new_value):
                value = old_value
            elif _empty(old_value):
                value = new_value
            else:
                value = new_value if new_wins else old_value
            if value != old_value and not (_empty(value) and _empty(old_value)):
                changed.add(key)
            merged[key] = value
        winner = new_row if new_wins else old
        for key in ("source_file", "source_position", "reader", "reader_version", "loaded_at"):
            merged[key] = winner[key]
        merged["source_rank"] = max(new_row["source_rank"] or 0, old["source_rank"] or 0)
        keep_children: set[str] = set()
        for child in PUBLICATION_CHILDREN:
            rows = new.children.get(child)
            poorer = not new_wins and child in old_children
            if not rows or poorer or _child_values(child, rows) == old_children.get(child):
                keep_children.add(child)
            else:
                changed.add(child)
        content = {k: merged[k] for k in sorted(merged) if k not in _BOOKKEEPING}
        merged["record_hash"] = content_hash({"merged": content})
        return PublicationRows(merged, dict(new.children)), changed, keep_children

    def _upsert_keyed(
        self, table: str, rows: list[dict[str, Any]], children: dict[str, list[dict[str, Any]]] | None
    ) -> WriteCounts:
        """Upsert records keyed by natural keys; two versions of one record are merged, never flip-flopped.

        The same transaction often arrives from two responses (XML and JSON, overlapping pages) with
        different parts filled: the merge keeps every non-empty field (the newer wins where both have
        one) and the union of the patents, so loading either source again changes nothing.
        """
        counts = WriteCounts()
        key_cols = KEYED_TABLES[table]
        kids = children if children is not None else {}
        incoming: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in rows:
            k = tuple(r[c] for c in key_cols)
            if k in incoming:
                r = self._merge_keyed(table, incoming[k], r, kids)
            incoming[k] = r
        stage = pa.Table.from_pylist(list(incoming.values()), schema=TABLES[table])
        self.con.register("stage", stage)
        on = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in key_cols)
        existing = {
            tuple(r[c] for c in key_cols): r for r in self._dicts(f"SELECT t.* FROM {table} t JOIN stage s ON {on}")
        }
        if table == "transactions" and existing:
            for p in self._dicts(
                "SELECT transaction_id, publication_number, application_number FROM transaction_patents"
                " WHERE transaction_id IN (SELECT transaction_id FROM stage)"
            ):
                kids.setdefault("_old:" + p["transaction_id"], []).append(p)
        write: list[dict[str, Any]] = []
        replace: list[dict[str, Any]] = []
        for key, row in incoming.items():
            old = existing.get(key)
            if old is None:
                counts.new += 1
                write.append(row)
                continue
            if old["record_hash"] == row["record_hash"]:
                counts.unchanged += 1
                continue
            merged = self._merge_keyed(table, old, row, kids)
            if merged["record_hash"] == old["record_hash"]:
                counts.unchanged += 1
                continue
            counts.updated += 1
            replace.append(merged)
            write.append(merged)
        if replace:
            gone = pa.Table.from_pylist(replace, schema=TABLES[table])
            self.con.register("gone", gone)
            self.con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM gone s WHERE {on})")
            if table == "transactions":
                self.con.execute(
                    "DELETE FROM transaction_patents WHERE transaction_id IN (SELECT transaction_id FROM gone)"
                )
        self._insert(table, write)
        if table == "transactions":
            self._insert("transaction_patents", [p for r in write for p in kids.get(r["transaction_id"], [])])
        return counts

    @staticmethod
    def _merge_keyed(
        table: str, old: dict[str, Any], new: dict[str, Any], kids: dict[str, list[dict[str, Any]]]
    ) -> dict[str, Any]:
        merged = dict(old)
        for k, v in new.items():
            if k in _BOOKKEEPING:
                continue
            if not _empty(v):
                merged[k] = v
        for k in ("source_file", "source_position", "reader", "reader_version", "loaded_at"):
            merged[k] = new.get(k, old.get(k))
        content = {k: merged[k] for k in sorted(merged) if k not in _BOOKKEEPING}
        if table != "transactions":
            merged["record_hash"] = content_hash({"merged": content})
            return merged
        tid = merged["transaction_id"]
        union: dict[tuple[Any, Any], dict[str, Any]] = {}
        for p in kids.get("_old:" + tid, []) + kids.get(tid, []):
            union.setdefault((p["publication_number"], p["application_number"]), p)
        patents = [union[k] for k in sorted(union, key=lambda t: (t[0] or "", t[1] or ""))]
        stamp = {k: merged[k] for k in ("source_file", "source_position", "reader", "reader_version", "loaded_at")}
        kids[tid] = [{**p, **stamp} for p in patents]
        kids["_old:" + tid] = []
        plain = [
            {"transaction_id": tid, "publication_number": a, "application_number": b}
            for a, b in sorted(union, key=lambda t: (t[0] or "", t[1] or ""))
        ]
        merged["record_hash"] = content_hash({"merged": content, "p": plain})
        return merged

    def _insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        data = table_from_rows(rows, TABLES[table])
        self.con.register("data", data)
        self.con.execute(f"INSERT INTO {table} SELECT * FROM data")

    # -- load bookkeeping ------------------------------------------------------------------------------------

    def begin_load(self, source_file: str, reader: str, reader_version: str, started: dt.datetime) -> int:
        load_id = int(self.con.execute("SELECT nextval('load_ids')").fetchone()[0])  # type: ignore[index]
        self.con.execute(
            "INSERT INTO loads (load_id, source_file, reader, reader_version, started_at, status)"
            " VALUES (?, ?, ?, ?, ?, 'running')",
            [load_id, source_file, reader, reader_version, started],
        )
        return load_id

    def end_load(self, load_id: int, *, status: str, read: int, counts: WriteCounts, message: str | None) -> None:
        self.con.execute(
            "UPDATE loads SET finished_at = ?, status = ?, records_read = ?, new = ?, updated = ?, unchanged = ?,"
            " quarantined = ?, message = ? WHERE load_id = ?",
            [
                dt.datetime.now(dt.UTC),
                status,
                read,
                counts.new,
                counts.updated,
                counts.unchanged,
                counts.quarantined,
                message,
                load_id,
            ],
        )

    # -- reading ---------------------------------------------------------------------------------------------

    def publication(self, number: str) -> dict[str, Any] | None:
        """One publication with every field, its child rows, legal events, family and transactions."""
        rows = self._dicts("SELECT * FROM publications WHERE publication_number = ?", [number])
        if not rows:
            return None
        pub = rows[0]
        if pub.get("extras"):
            pub["extras"] = json.loads(pub["extras"])
        for child in PUBLICATION_CHILDREN:
            pub[child] = self._dicts(
                f"SELECT * FROM {child} WHERE publication_number = ? ORDER BY {CHILD_ORDER[child]}", [number]
            )
        pub["legal_events"] = self._dicts(
            """SELECT e.*, COALESCE(e.inpadoc_class, c.inpadoc_class) AS class,
                          COALESCE(e.status_effect, c.status_effect) AS effect
                   FROM legal_events e LEFT JOIN legal_event_codes c
                     ON c.authority = e.authority AND c.code = e.code
                   WHERE e.publication_number = ? ORDER BY e.event_date, e.sequence, e.code, e.record_hash""",
            [number],
        )
        pub["family"] = self._dicts(
            """SELECT f2.* FROM families f1 JOIN families f2 USING (family_id, family_type)
                   WHERE f1.publication_number = ? ORDER BY f2.publication_number, f2.family_type""",
            [number],
        )
        pub["transactions"] = self._dicts(
            """SELECT t.* FROM transactions t JOIN transaction_patents p USING (transaction_id)
                   WHERE p.publication_number IN (?, ?) OR p.application_number = ?
                   ORDER BY t.recorded_date, t.transaction_id""",
            [number, f"{pub['country']}{pub['doc_number']}", pub.get("application_number")],
        )
        pub["sources"] = self._dicts(
            "SELECT * FROM publication_sources WHERE publication_number = ?"
            " ORDER BY loaded_at, source_file, record_hash",
            [number],
        )
        return pub

    def find_publication_number(self, text: str) -> str | None:
        """The stored publication a user means: exact canonical number, or the one number without its kind."""
        from patnav.model.numbers import PatentNumberError, parse_publication_number

        try:
            parsed = parse_publication_number(text)
        except PatentNumberError:
            return None
        exact = str(parsed)
        hit = self.con.execute("SELECT 1 FROM publications WHERE publication_number = ?", [exact]).fetchone()
        if hit:
            return exact
        rows = self.con.execute(
            "SELECT publication_number FROM publications WHERE country = ? AND doc_number = ?"
            " ORDER BY publication_date",
            [parsed.country, parsed.number],
        ).fetchall()
        return rows[-1][0] if rows else None

    def table_counts(self) -> dict[str, int]:
        return {name: self._count(name) for name in TABLES}

    def export_parquet(self) -> Path:
        """Mirror every table to ``parquet/<table>.parquet`` (written to a temp name, then renamed).

        DuckDB writes one Parquet file on one thread: the publications (most of the bytes, the full texts) are
        written on a second connection while this one writes the other tables (20,000 grants: 2.0 s instead
        of 2.5 s, at the end of a load when nothing else runs). Call it outside a transaction: the second
        connection sees committed rows only.

        A writable corpus is checkpointed on this connection meanwhile (the write-ahead log folded into the
        database file, which closing the corpus would do afterwards: 0.4 s of a 20,000-grant load's end).
        """
        out = self.path / PARQUET_DIR
        out.mkdir(exist_ok=True)
        side = self.cursor()
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                publications = pool.submit(_export_table, side, "publications", out)
                if not self.read_only:
                    self.con.execute("CHECKPOINT")
                for name in TABLES:
                    if name != "publications":
                        _export_table(self.con, name, out)
                publications.result()
        finally:
            side.close()
        return out


def _export_table(con: duckdb.DuckDBPyConnection, name: str, out: Path) -> None:
    tmp = out / f".{name}.parquet.tmp"
    # Small row groups: a group of full-text rows must fit the memory limit (122,880 rows would not).
    # zstd level 1, not DuckDB's 3: the publications of 20,000 grants in 0.85 of the time, the file 1.17 times
    # larger (snappy: 0.74 of the time, 1.8 times larger).
    con.execute(f"COPY {name} TO '{tmp}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 4096)")
    os.replace(tmp, out / f"{name}.parquet")


#: Rows per row group of what this process writes (DuckDB's default is 122,880). A checkpoint rewrites the
#: last, partly filled row group of each table in full, and a publication row carries its full text: with
#: the default, every checkpoint of a load rewrote all the publications loaded so far (quadratic; 20,000
#: grants: 0.48 ms/document in commits and checkpoints, against 0.25 with 4,096-row groups, and a smaller file).
#: 2,048 (DuckDB's smallest, one vector) lets a loader batch fill whole row groups, which DuckDB writes
#: straight to the database file instead of through the write-ahead log and again at the checkpoint
#: (20,000 grants in batches of 2,048: the writer's CPU time 10.4 s against 13.1 s with 4,096-row groups and
#: batches of about 700, medians of 3 alternating runs, peak memory no higher).
WRITE_ROW_GROUP_SIZE = 2048


def _connect_for_writing(db: Path) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is ``db``, attached with :data:`WRITE_ROW_GROUP_SIZE` (a setting
    DuckDB takes only when a database is attached). On close the database is checkpointed as before."""
    con = duckdb.connect(":memory:")
    try:
        path = str(db).replace("'", "''")
        con.execute(f"ATTACH '{path}' AS corpus (ROW_GROUP_SIZE {WRITE_ROW_GROUP_SIZE})")
        con.execute("USE corpus")
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One DuckDB transaction: committed when the block ends, rolled back if it raises (or is interrupted)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _memory_limit() -> str:
    value = os.environ.get("PATNAV_DUCKDB_MEMORY", "512MB").strip()
    if not value.replace(".", "").rstrip("KMGTBkmgtib").isdigit():
        raise ValueError(f"PATNAV_DUCKDB_MEMORY={value!r} is not a size such as 512MB or 2GB")
    return value


def _child_values(child: str, rows: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    """A child table's rows of one publication as a multiset of their values (order and provenance aside)."""
    return Counter(tuple(r[f] for f in CHILD_FIELDS[child]) for r in rows)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []

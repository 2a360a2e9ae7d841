"""Taking one source file back out of a corpus: what only that file supplied goes, what other files supplied stays.

The rule follows what the store records (``patnav.corpus.store``):

- **Publications.** ``publication_sources`` lists every file whose reading of a publication was new or changed
  it. A publication goes when the removed file (or a member of it, ``file!member``) is its only recorded source.
  One that another file also supplied, or that a file loaded after the removed one found already stored (the
  store then records nothing for that file; its ``loads`` row counts it as unchanged), is *rebuilt*: deleted,
  then read again from those other files, so none of the removed file's values stay in the merge. A publication
  that one of its other files can no longer be read for (not on disk any more) stays as it is stored.
- **Legal events, family links, code-table entries, transactions** are stored once, with the file they were last
  written from: those written from the removed file go, and come back from the files re-read above when those
  hold them. (The store keeps no list of every file that supplied one of them, so one that only an unrelated,
  earlier file also supplied is not restored; loading that file again restores it.)
- The file's quarantine rows and its ``loads`` rows go; ``record_history`` rows of removed or rebuilt
  publications go (the re-read writes the history it makes).

Everything but the re-reading happens in one transaction; the re-reading writes through the store's ordinary
upserts, batch by batch, so an interrupted removal is completed by running it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.i18n import N_
from patnav.model.records import FamilyMember, LegalEvent, LegalEventCode, Publication, Transaction
from patnav.model.schema import KEYED_TABLES, PUBLICATION_CHILDREN

#: progress(fraction done, what is being done)
Progress = Callable[[float, str], None]
BATCH = 1000


@dataclass(slots=True)
class RemovalReport:
    """What removing a file did: publications removed, rebuilt from other files, kept as stored (their other
    file is gone from disk), keyed rows removed per table and restored, quarantine rows removed, files re-read."""

    removed: int = 0
    rebuilt: int = 0
    kept: int = 0
    keyed: dict[str, int] = field(default_factory=dict)
    restored: int = 0
    quarantine: int = 0
    reread: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "removed": self.removed,
            "rebuilt": self.rebuilt,
            "kept": self.kept,
            "keyed": dict(self.keyed),
            "restored": self.restored,
            "quarantine": self.quarantine,
            "reread": list(self.reread),
            "unreadable": list(self.unreadable),
        }


_OF_FILE = "(source_file = ? OR starts_with(source_file, ?))"


def _file_params(path: str) -> list[str]:
    return [path, path + "!"]


def _on_disk(source_file: str) -> Path | None:
    """The file on disk a recorded source name is (or is a member of), if it is still there."""
    outer = Path(source_file.split("!", 1)[0])
    return outer if outer.is_file() else None


def remove_source(corpus: Corpus, path: str, *, progress: Progress | None = None) -> RemovalReport:
    """Take the file ``path`` (as recorded in ``source_file``: the name it was loaded under) out of ``corpus``,
    following the rule in this module's docstring. Returns what was done."""
    con = corpus.con
    report = RemovalReport()
    mine = _file_params(path)
    step = progress or (lambda _f, _m: None)
    step(0.0, N_("finding what the file supplied"))

    affected = {
        r[0]
        for r in con.execute(
            f"SELECT publication_number FROM publication_sources WHERE {_OF_FILE}"
            f" UNION SELECT publication_number FROM publications WHERE {_OF_FILE}",
            mine + mine,
        ).fetchall()
    }
    con.register("affected", pa.table({"publication_number": pa.array(sorted(affected), pa.string())}))
    suppliers: dict[str, set[tuple[str, str]]] = {}
    for number, source_file, reader in con.execute(
        "SELECT DISTINCT publication_number, source_file, reader FROM publication_sources"
        f" WHERE publication_number IN (SELECT publication_number FROM affected) AND NOT {_OF_FILE}",
        mine,
    ).fetchall():
        suppliers.setdefault(number, set()).add((source_file, reader))
    # files loaded after this one that found records already stored: they may hold some of its publications
    later = {
        (s, r)
        for s, r in con.execute(
            f"SELECT DISTINCT source_file, reader FROM loads WHERE NOT {_OF_FILE} AND unchanged > 0"
            f" AND started_at >= (SELECT min(started_at) FROM loads WHERE {_OF_FILE})",
            mine + mine,
        ).fetchall()
    }
    unreadable = {s for files in suppliers.values() for s, _ in files if _on_disk(s) is None}
    kept = {n for n, files in suppliers.items() if any(s in unreadable for s, _ in files)}
    gone = sorted(affected - kept)
    rebuild_from = {f for n, files in suppliers.items() if n not in kept for f in files}
    rebuild_from |= {f for f in later if _on_disk(f[0]) is not None}
    report.kept = len(kept)
    report.unreadable = sorted(unreadable)

    keyed_keys: dict[str, set[tuple[Any, ...]]] = {}
    with corpus.transaction():
        con.register("gone", pa.table({"publication_number": pa.array(gone, pa.string())}))
        for table in ("publications", *PUBLICATION_CHILDREN, "publication_sources", "record_history"):
            con.execute(f"DELETE FROM {table} WHERE publication_number IN (SELECT publication_number FROM gone)")
        con.execute(f"DELETE FROM publication_sources WHERE {_OF_FILE}", mine)  # of those kept as stored
        for table, key in KEYED_TABLES.items():
            rows = con.execute(f"SELECT {', '.join(key)} FROM {table} WHERE {_OF_FILE}", mine).fetchall()
            keyed_keys[table] = {tuple(r) for r in rows}
            if table == "transactions" and rows:
                con.register("tx_gone", pa.table({"transaction_id": [r[0] for r in rows]}))
                con.execute(
                    "DELETE FROM transaction_patents WHERE transaction_id IN (SELECT transaction_id FROM tx_gone)"
                )
            con.execute(f"DELETE FROM {table} WHERE {_OF_FILE}", mine)
            report.keyed[table] = len(rows)
        report.quarantine = int(
            con.execute(f"SELECT count(*) FROM quarantine WHERE {_OF_FILE}", mine).fetchone()[0]  # type: ignore[index]
        )
        con.execute(f"DELETE FROM quarantine WHERE {_OF_FILE}", mine)
        con.execute(f"DELETE FROM loads WHERE {_OF_FILE}", mine)

    wanted = _Wanted(gone, keyed_keys)
    files = sorted(rebuild_from)
    for i, (source_file, reader_name) in enumerate(files, start=1):
        step(0.1 + 0.9 * (i - 1) / len(files), Path(source_file.split("!", 1)[0]).name)
        report.restored += _reread(corpus, source_file, reader_name, wanted)
        report.reread.append(source_file)
    rebuilt = con.execute(
        "SELECT count(*) FROM publications WHERE publication_number IN (SELECT publication_number FROM gone)"
    ).fetchone()[0]  # type: ignore[index]
    report.rebuilt = int(rebuilt)
    report.removed = len(gone) - report.rebuilt
    step(1.0, "")
    return report


class _Wanted:
    """Which records a re-read keeps: publications (by office and serial, so a kind-less reading of one counts)
    and their legal events and family links, and keyed records whose key was removed."""

    def __init__(self, numbers: Iterable[str], keyed: dict[str, set[tuple[Any, ...]]]) -> None:
        from patnav.model.numbers import PatentNumberError, parse_publication_number

        self.numbers = set(numbers)
        self.serials: set[tuple[str, str]] = set()
        for n in self.numbers:
            try:
                p = parse_publication_number(n)
            except PatentNumberError:
                continue
            self.serials.add((p.country, p.number))
        self.keyed = keyed

    def __call__(self, record: Any) -> bool:
        if isinstance(record, Publication):
            return (record.country, record.doc_number) in self.serials
        if isinstance(record, LegalEvent | FamilyMember):
            table = "legal_events" if isinstance(record, LegalEvent) else "families"
            if record.publication_number in self.numbers:
                return True
            return tuple(getattr(record, c) for c in KEYED_TABLES[table]) in self.keyed.get(table, set())
        if isinstance(record, LegalEventCode):
            return (record.authority, record.code) in self.keyed.get("legal_event_codes", set())
        if isinstance(record, Transaction):
            return (record.transaction_id,) in self.keyed.get("transactions", set())
        return False


def _reread(corpus: Corpus, source_file: str, reader_name: str, wanted: _Wanted) -> int:
    """Read ``source_file`` again with the reader that loaded it and write back the records ``wanted`` keeps
    (provenance as in a load; positions counted as the loader counts them). Returns records written."""
    from patnav.ingest.registry import get_reader, sniff
    from patnav.ingest.sources import iter_sources

    outer = _on_disk(source_file)
    if outer is None:
        return 0
    for source in iter_sources([outer]):
        if source.name != source_file:
            continue
        try:
            reader = get_reader(reader_name)
        except Exception:
            found = sniff(source)
            if not found:
                return 0
            reader = found[0]
        prov = Provenance(source.name, reader.name, reader.version, dt.datetime.now(dt.UTC))
        batch: list[Positioned] = []
        written = 0
        for position, item in enumerate(reader.read(source), start=1):
            if wanted(item):
                batch.append(Positioned(item, f"record {position}", reader.rank))
            if len(batch) >= BATCH:
                corpus.write_batch(batch, prov)
                written += len(batch)
                batch = []
        if batch:
            corpus.write_batch(batch, prov)
            written += len(batch)
        return written
    return 0

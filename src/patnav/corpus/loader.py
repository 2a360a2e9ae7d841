"""Loading sources into a corpus: pick the reader, stream records into batches, quarantine what fails.

One bad record never stops a load; a source that breaks off (a truncated archive) keeps what was read
before the break and records the break in quarantine. Loading the same sources again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from patnav.corpus.store import (
    WRITE_ROW_GROUP_SIZE,
    Corpus,
    Positioned,
    PreparedPublications,
    Provenance,
    WriteCounts,
)
from patnav.corpus.workers import read_in_workers
from patnav.i18n import N_
from patnav.ingest.base import NotRecognisedError, Reader, Reason, Rejected, Source, reason_of
from patnav.ingest.registry import get_reader, sniff
from patnav.ingest.sources import iter_sources
from patnav.model.records import Publication

#: Records per write: one row group of the store, so that a batch of publications is written to the database
#: file directly (see :data:`~patnav.corpus.store.WRITE_ROW_GROUP_SIZE`).
BATCH_SIZE = WRITE_ROW_GROUP_SIZE
#: A batch is also written once its records' text reaches this many characters, so long full texts keep
#: memory bounded (records read in this process are Python objects, a few times larger than their text).
BATCH_CHARS = 32 << 20
#: ... or once the publications prepared by worker processes (Arrow tables, compact) reach this many bytes:
#: 2,048 USPTO grants hold about 90 MB.
PREPARED_BATCH_BYTES = 96 << 20
RAW_EXCERPT = 2000

#: Worker processes that parse a big source (documents split between them; the main process only writes).
#: ``PATNAV_INGEST_WORKERS`` overrides it; 0 reads every source in the main process.
WORKERS_ENV = "PATNAV_INGEST_WORKERS"
#: Sources smaller than this (bytes as stored) are read in-process: starting workers would cost more.
PARALLEL_MIN_BYTES = 16 << 20


@dataclass(slots=True)
class SourceReport:
    """What loading one source did."""

    source: str
    reader: str | None
    read: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    status: str = "complete"
    message: str | None = None


@dataclass(slots=True)
class LoadReport:
    """What a whole ingest did, source by source."""

    sources: list[SourceReport] = field(default_factory=list)

    @property
    def loaded(self) -> list[SourceReport]:
        return [s for s in self.sources if s.reader is not None]

    @property
    def skipped(self) -> list[SourceReport]:
        return [s for s in self.sources if s.reader is None]

    def totals(self) -> tuple[int, WriteCounts]:
        total = WriteCounts()
        read = 0
        for s in self.sources:
            read += s.read
            total.add(s.counts)
        return read, total


#: progress(source name, records read so far, finished?) — the CLI draws bars from it.
Progress = Callable[[str, int, bool], None]


def load_paths(
    corpus: Corpus,
    paths: Iterable[Path | str],
    *,
    format: str | None = None,
    reader: Reader | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    export: bool = True,
    workers: int | None = None,
) -> LoadReport:
    """Load every source under ``paths`` into ``corpus``; ``format`` (a reader's name) or ``reader`` (an
    instance, e.g. a tabular reader fixed to one column mapping) forces one reader for all of them.

    ``workers``: processes that parse a big source in parallel (None: two when there are two cores or more,
    else none, or ``$PATNAV_INGEST_WORKERS``; 0: none).
    """
    report = LoadReport()
    forced = reader if reader is not None else (get_reader(format) if format else None)
    for source in iter_sources(list(paths)):
        chosen: Reader | None
        if forced is not None:
            chosen = forced
        else:
            try:
                found = sniff(source)
            except Exception as exc:  # an unreadable head (truncated archive) is reported, not raised
                report.sources.append(SourceReport(source.name, None, status="unreadable", message=str(exc)))
                continue
            chosen = found[0] if found else None
        if chosen is None:
            report.sources.append(
                SourceReport(source.name, None, status="skipped", message="no reader recognises this file")
            )
            continue
        report.sources.append(
            load_source(corpus, source, chosen, batch_size=batch_size, progress=progress, workers=workers)
        )
    if export:
        corpus.export_parquet()
    return report


def default_workers() -> int:
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env:
        return max(0, int(env))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # Two workers even on two cores: the writer (this process) spends much of its time waiting on DuckDB's
    # commits, so parsing is the bottleneck (6,000 real grants, 2 cores: 884 docs/s with 2 workers, 710 with 1).
    return 0 if cores < 2 else min(cores, 2)


def _parallel_workers(source: Source, reader: Reader, workers: int | None) -> int:
    n = default_workers() if workers is None else workers
    if n <= 0 or not (hasattr(reader, "documents") and hasattr(reader, "read_document")):
        return 0
    try:  # a worker finds the reader by name: only registered readers can be read there
        if type(get_reader(reader.name)) is not type(reader):
            return 0
    except Exception:
        return 0
    if source.size is not None and source.size < PARALLEL_MIN_BYTES:
        return 0
    return n


def load_source(
    corpus: Corpus,
    source: Source,
    reader: Reader,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    workers: int | None = None,
) -> SourceReport:
    """Stream one source through ``reader`` into the corpus.

    A big source whose reader can hand out its raw documents (``documents``/``read_document``) is parsed by
    worker processes, a few chunks of documents ahead of the writer; the records come back in source order,
    so positions, rejections, batches and counts are the same as when it is read in this process.
    """
    started = dt.datetime.now(dt.UTC)
    prov = Provenance(source.name, reader.name, reader.version, started)
    rep = SourceReport(source.name, reader.name)
    load_id = corpus.begin_load(source.name, reader.name, reader.version, started)
    corpus.clear_quarantine(source.name)
    batch: list[Positioned] = []
    prepared: list[PreparedPublications] = []
    n_prepared = 0
    prepared_bytes = 0
    batch_chars = 0
    rejected: list[dict[str, str | None]] = []

    def flush() -> None:
        nonlocal n_prepared, prepared_bytes, batch_chars
        batch_chars = prepared_bytes = 0
        if batch or prepared:
            rep.counts.add(corpus.write_batch(batch, prov, prepared))
            batch.clear()
            prepared.clear()
            n_prepared = 0
        if rejected:
            rep.counts.quarantined += corpus.quarantine(list(rejected), prov)
            rejected.clear()
        if progress:
            progress(source.name, rep.read, False)

    def take(item: Any) -> None:
        nonlocal batch_chars
        if isinstance(item, Rejected):
            raw = item.raw[:RAW_EXCERPT] if item.raw else None
            rejected.append({"position": item.position, "field": item.field, "reason": item.reason, "raw": raw})
        else:
            batch.append(Positioned(item, f"record {position}", reader.rank))
            batch_chars += _text_size(item)

    position = 0
    n_workers = _parallel_workers(source, reader, workers)
    try:
        if n_workers:
            for entries, prep in read_in_workers(reader, source, prov, n_workers):
                positions: list[str] = []
                for entry in entries:
                    position += 1
                    rep.read += 1
                    if entry is None:  # the next publication of ``prep``
                        positions.append(f"record {position}")
                    else:
                        take(entry)
                if prep is not None:
                    prepared.append(prep.with_positions(pa.array(positions, pa.string())))
                    n_prepared += len(prep)
                    prepared_bytes += sum(t.nbytes for t in prep.tables.values())
                if (
                    n_prepared + len(batch) >= batch_size
                    or len(rejected) >= batch_size
                    or batch_chars >= BATCH_CHARS
                    or prepared_bytes >= PREPARED_BATCH_BYTES
                ):
                    flush()
        else:
            for item in reader.read(source):
                position += 1
                rep.read += 1
                take(item)
                if len(batch) >= batch_size or len(rejected) >= batch_size or batch_chars >= BATCH_CHARS:
                    flush()
    except Exception as exc:  # the source broke off: keep what was read, quarantine the break
        if isinstance(exc, NotRecognisedError) and position == 0:
            corpus.end_load(load_id, status="not-recognised", read=0, counts=rep.counts, message=str(exc))
            return SourceReport(source.name, None, status="skipped", message=str(exc))
        rep.status = "partial"
        rep.message = f"{type(exc).__name__}: {exc}"
        rejected.append(
            {
                "position": f"after record {position}",
                "field": None,
                "reason": Reason(
                    N_("the file could not be read further ({problem}); records after this point are missing"),
                    problem=Reason(N_("{kind}: {problem}"), kind=type(exc).__name__, problem=reason_of(exc)),
                ),
                "raw": None,
            }
        )
    flush()
    corpus.end_load(load_id, status=rep.status, read=rep.read, counts=rep.counts, message=rep.message)
    if progress:
        progress(source.name, rep.read, True)
    return rep


def _text_size(record: Any) -> int:
    """Roughly how many characters of text a record holds (what dominates a batch's memory)."""
    if not isinstance(record, Publication):
        return 200
    size = len(record.description or "")
    size += sum(len(t.text) for t in record.titles) + sum(len(t.text) for t in record.abstracts)
    size += sum(len(c.text) for c in record.claims)
    return size + 100 * (len(record.parties) + len(record.citations) + len(record.classifications))

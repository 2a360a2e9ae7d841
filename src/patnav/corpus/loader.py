"""Loading sources into a corpus: pick the reader, stream records into batches, quarantine what fails.

One bad record never stops a load; a source that breaks off (a truncated archive) keeps what was read
before the break and records the break in quarantine. Loading the same sources again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from patnav.corpus.store import Corpus, Positioned, Provenance, WriteCounts
from patnav.ingest.base import NotRecognisedError, Reader, Rejected, Source
from patnav.ingest.registry import get_reader, sniff
from patnav.ingest.sources import iter_sources

BATCH_SIZE = 1000
RAW_EXCERPT = 2000


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
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    export: bool = True,
) -> LoadReport:
    """Load every source under ``paths`` into ``corpus``; ``format`` forces one reader for all of them."""
    report = LoadReport()
    forced = get_reader(format) if format else None
    for source in iter_sources(list(paths)):
        reader: Reader | None
        if forced is not None:
            reader = forced
        else:
            try:
                found = sniff(source)
            except Exception as exc:  # an unreadable head (truncated archive) is reported, not raised
                report.sources.append(SourceReport(source.name, None, status="unreadable", message=str(exc)))
                continue
            reader = found[0] if found else None
        if reader is None:
            report.sources.append(
                SourceReport(source.name, None, status="skipped", message="no reader recognises this file")
            )
            continue
        report.sources.append(load_source(corpus, source, reader, batch_size=batch_size, progress=progress))
    if export:
        corpus.export_parquet()
    return report


def load_source(
    corpus: Corpus,
    source: Source,
    reader: Reader,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> SourceReport:
    """Stream one source through ``reader`` into the corpus."""
    started = dt.datetime.now(dt.UTC)
    prov = Provenance(source.name, reader.name, reader.version, started)
    rep = SourceReport(source.name, reader.name)
    load_id = corpus.begin_load(source.name, reader.name, reader.version, started)
    corpus.clear_quarantine(source.name)
    batch: list[Positioned] = []
    rejected: list[dict[str, str | None]] = []

    def flush() -> None:
        if batch:
            rep.counts.add(corpus.write_batch(batch, prov))
            batch.clear()
        if rejected:
            rep.counts.quarantined += corpus.quarantine(list(rejected), prov)
            rejected.clear()
        if progress:
            progress(source.name, rep.read, False)

    position = 0
    try:
        for item in reader.read(source):
            position += 1
            rep.read += 1
            if isinstance(item, Rejected):
                raw = item.raw[:RAW_EXCERPT] if item.raw else None
                rejected.append({"position": item.position, "field": item.field, "reason": item.reason, "raw": raw})
            else:
                batch.append(Positioned(item, f"record {position}", reader.rank))
            if len(batch) >= batch_size or len(rejected) >= batch_size:
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
                "reason": f"the file could not be read further ({rep.message}); records after this point are missing",
                "raw": None,
            }
        )
    flush()
    corpus.end_load(load_id, status=rep.status, read=rep.read, counts=rep.counts, message=rep.message)
    if progress:
        progress(source.name, rep.read, True)
    return rep

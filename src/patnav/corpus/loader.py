"""Loading sources into a corpus: pick the reader, stream records into batches, quarantine what fails.

One bad record never stops a load; a source that breaks off (a truncated archive) keeps what was read
before the break and records the break in quarantine. Loading the same sources again changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from patnav.corpus.rows import publication_rows
from patnav.corpus.store import Corpus, Positioned, PreparedPublications, Provenance, WriteCounts
from patnav.i18n import N_
from patnav.ingest.base import NotRecognisedError, Reader, Reason, Rejected, Source, SourceError, reason_of
from patnav.ingest.registry import get_reader, sniff
from patnav.ingest.sources import iter_sources
from patnav.model.records import Publication

BATCH_SIZE = 2000
#: A batch is also written once its text reaches this many characters, so long full texts keep memory bounded.
BATCH_CHARS = 32 << 20
RAW_EXCERPT = 2000

#: Worker processes that parse a big source (documents split between them; the main process only writes).
#: ``PATNAV_INGEST_WORKERS`` overrides it; 0 reads every source in the main process.
WORKERS_ENV = "PATNAV_INGEST_WORKERS"
#: Sources smaller than this (bytes as stored) are read in-process: starting workers would cost more.
PARALLEL_MIN_BYTES = 16 << 20
#: Documents per task sent to a worker, and tasks queued per worker (bounds the memory in flight).
CHUNK_DOCS = 200
TASKS_PER_WORKER = 3


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
    batch_chars = 0
    rejected: list[dict[str, str | None]] = []

    def flush() -> None:
        nonlocal n_prepared, batch_chars
        batch_chars = 0
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
            for entries, prep in _read_in_workers(reader, source, prov, n_workers):
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
                    batch_chars += sum(t.nbytes for t in prep.tables.values())
                if n_prepared + len(batch) >= batch_size or len(rejected) >= batch_size or batch_chars >= BATCH_CHARS:
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


# -- worker processes ----------------------------------------------------------------------------------------

#: What a worker sends back for one chunk: the items in order (None stands for the next publication of the
#: prepared tables, which are built in the worker), the prepared publications, and the exception that stopped
#: the chunk early (a reader bug; the items before it are kept, as when reading in-process).
_ChunkResult = tuple[list[Any], PreparedPublications | None, BaseException | None]


def _read_chunk(reader: Any, docs: list[tuple[int, int, bytes]], prov: Provenance, rank: int) -> _ChunkResult:
    entries: list[Any] = []
    rows = []
    error: BaseException | None = None
    try:
        for doc in docs:
            item = reader.read_document(doc)
            if item is None:
                continue
            if isinstance(item, Publication):
                rows.append(publication_rows(item, rank))
                entries.append(None)
            else:
                entries.append(item)
    except Exception as exc:
        error = exc
    prep = PreparedPublications.build(rows, prov, pa.nulls(len(rows), pa.string())) if rows else None
    return entries, prep, error


def _worker_main() -> None:
    """A worker process (``python -c``): reads tasks on stdin, answers on stdout; ends with its parent.

    A task is ``(reader name, provenance, rank, raw documents)``; the answer is the chunk's result.
    """
    from multiprocessing.connection import Connection

    tasks_in = Connection(os.dup(0), writable=False)
    results_out = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything printed goes to stderr, never into the result stream
    readers: dict[str, Any] = {}
    tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def receive() -> None:  # keeps the task pipe drained, so the parent never blocks sending
        try:
            while True:
                task = tasks_in.recv()
                tasks.put(task)
                if task is None:
                    return
        except (EOFError, OSError):  # the parent is gone
            tasks.put(None)

    threading.Thread(target=receive, daemon=True).start()
    while True:
        task = tasks.get()
        if task is None:
            return
        name, prov, rank, docs = task
        reader = readers.get(name) or readers.setdefault(name, get_reader(name))
        entries, prep, error = _read_chunk(reader, docs, prov, rank)
        packed = _pack(prep)
        try:
            results_out.send((entries, packed, error))
        except (BrokenPipeError, ConnectionResetError):  # the parent is gone
            return
        except Exception:  # pickling failed (before anything was sent): an exception that cannot travel
            results_out.send((entries, packed, SourceError(f"{type(error).__name__}: {error}")))


#: A chunk's prepared publications as they travel from a worker: numbers, hashes, each table as Arrow IPC
#: stream bytes (written once, read back without a copy, about three times cheaper than pickling the tables),
#: owners.
_Packed = tuple[list[str], list[str], dict[str, bytes], dict[str, list[int]]]


def _pack(prep: PreparedPublications | None) -> _Packed | None:
    if prep is None:
        return None
    tables: dict[str, bytes] = {}
    for name, table in prep.tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        tables[name] = sink.getvalue().to_pybytes()
    return prep.numbers, prep.hashes, tables, prep.owners


def _unpack(packed: _Packed | None) -> PreparedPublications | None:
    if packed is None:
        return None
    numbers, hashes, tables, owners = packed
    read = {name: pa.ipc.open_stream(pa.py_buffer(data)).read_all() for name, data in tables.items()}
    return PreparedPublications(numbers, hashes, read, owners)


def _widen_pipe(fd: int, size: int = 1 << 20) -> None:
    """Ask for a 1 MB pipe buffer (Linux): fewer, larger reads and writes of the megabyte-sized messages."""
    import fcntl

    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)


class _Worker:
    """A fresh interpreter running :func:`_worker_main` (not a fork of this process, whose database threads a
    fork would copy mid-state, and not multiprocessing's spawn, which re-runs the caller's main script)."""

    def __init__(self) -> None:
        from multiprocessing.connection import Connection

        import patnav

        env = dict(os.environ)
        root = str(Path(patnav.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join([root, *sys.path[1:], env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from patnav.corpus.loader import _worker_main; _worker_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        for fh in (self.proc.stdin, self.proc.stdout):
            _widen_pipe(fh.fileno())
        self.tasks = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.results = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        # results are drained as soon as they come, so the worker goes on while this process writes
        self._received: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self) -> None:
        try:
            while True:
                entries, packed, error = self.results.recv()
                try:
                    prep = _unpack(packed)
                except Exception as exc:  # cannot happen with a sound worker; stop the source, not the load
                    self._received.put(([], None, SourceError(f"a reader process sent an unreadable result: {exc}")))
                    continue
                self._received.put((entries, prep, error))
        except (EOFError, OSError):
            self._received.put(None)

    def send(self, task: Any) -> None:
        self.tasks.send(task)

    def recv(self) -> _ChunkResult:
        result = self._received.get()
        if result is None:
            code = self.proc.poll()
            raise SourceError(f"a reader process ended unexpectedly (exit code {code})")
        return result  # type: ignore[no-any-return]

    def stop(self, *, now: bool) -> None:
        if not now:
            with contextlib.suppress(OSError):
                self.tasks.send(None)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.tasks.close()
        self.results.close()


def _read_in_workers(
    reader: Reader, source: Source, prov: Provenance, n_workers: int
) -> Iterator[tuple[list[Any], PreparedPublications | None]]:
    """Chunks of ``source`` read by ``n_workers`` processes, yielded in source order.

    This process cuts the documents (cheap) and deals them out round-robin, keeping a bounded number of
    chunks in flight. A break in the source is raised after every chunk read before it has been yielded.
    """
    workers = [_Worker() for _ in range(n_workers)]
    docs = reader.documents(source)  # type: ignore[attr-defined]
    inflight: deque[_Worker] = deque()
    broke: BaseException | None = None
    dealt = 0
    finished = False

    def deal() -> bool:
        nonlocal broke, dealt
        if broke is not None:
            return False
        chunk: list[tuple[int, int, bytes]] = []
        try:
            for doc in docs:
                chunk.append(doc)
                if len(chunk) >= CHUNK_DOCS:
                    break
        except Exception as exc:
            broke = exc
        if not chunk:
            return False
        w = workers[dealt % n_workers]
        dealt += 1
        w.send((reader.name, prov, reader.rank, chunk))
        inflight.append(w)
        return True

    try:
        while len(inflight) < TASKS_PER_WORKER * n_workers and deal():
            pass
        while inflight:
            entries, prep, error = inflight.popleft().recv()
            while len(inflight) < TASKS_PER_WORKER * n_workers and deal():
                pass
            yield entries, prep
            if error is not None:
                raise error
        if broke is not None:
            raise broke
        finished = True
    finally:
        for w in workers:
            w.stop(now=not finished)


def _text_size(record: Any) -> int:
    """Roughly how many characters of text a record holds (what dominates a batch's memory)."""
    if not isinstance(record, Publication):
        return 200
    size = len(record.description or "")
    size += sum(len(t.text) for t in record.titles) + sum(len(t.text) for t in record.abstracts)
    size += sum(len(c.text) for c in record.claims)
    return size + 100 * (len(record.parties) + len(record.citations) + len(record.classifications))

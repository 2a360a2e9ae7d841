"""Worker processes that parse one big source in parallel for the loader, which stays the only writer.

The loader deals the source's documents out in chunks, round-robin, and gets the chunks back in source order:
the items (records, rejections) and the chunk's publications already flattened, hashed and laid out as Arrow
tables. When the source is a plain file on disk (``Source.file``) and the reader can say where its documents
are (``document_spans``), a task carries only byte ranges and the worker reads the documents from the file
itself: the loader then neither copies nor pipes the documents (about a fifth of its CPU time on USPTO grant
XML went to cutting documents out of the stream and pickling them to the workers).
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from patnav.corpus.prepared import PreparedPublications, Provenance
from patnav.corpus.rows import flatten
from patnav.ingest.base import Reader, Source, SourceError
from patnav.ingest.registry import get_reader
from patnav.model.records import Publication

#: Documents per task sent to a worker, and tasks queued per worker (bounds the memory in flight). Six chunks
#: keep a worker busy while the writer commits a batch: with three, each worker of a 20,000-grant load sat
#: idle 2.5 s waiting for work; with six, under 0.6 s (the writer's peak memory did not grow). A chunk is an
#: eighth of the loader's batch, so batches fill the store's row groups exactly.
CHUNK_DOCS = 256
#: ... and at most this many bytes of documents (a few grants with megabytes of description would otherwise
#: make chunks, and the chunks in flight, as large as their documents).
CHUNK_BYTES = 24 << 20
TASKS_PER_WORKER = 6

#: Allocations between two young-generation collections in a worker (Python's default is 700).
GC_THRESHOLD = 20_000

#: What a worker sends back for one chunk: the items in order (None stands for the next publication of the
#: prepared tables, which are built in the worker), the prepared publications, and the exception that stopped
#: the chunk early (a reader bug; the items before it are kept, as when reading in-process).
ChunkResult = tuple[list[Any], PreparedPublications | None, BaseException | None]


@dataclass(slots=True)
class FileSpans:
    """A chunk of documents as byte ranges of a file: ``(index, first line, offset, length)`` each, in order."""

    path: str
    spans: list[tuple[int, int, int, int]]

    def read(self, fds: dict[str, int]) -> list[tuple[int, int, bytes]]:
        """The documents, read with one ``pread`` of the whole range (``fds``: files already open)."""
        fd = fds.get(self.path)
        if fd is None:
            fd = fds[self.path] = os.open(self.path, os.O_RDONLY)
        first = self.spans[0][2]
        last = self.spans[-1]
        data = os.pread(fd, last[2] + last[3] - first, first)
        if len(data) != last[2] + last[3] - first:
            raise SourceError(f"{self.path}: the file became shorter while it was being read")
        with memoryview(data) as view:
            return [(i, line, bytes(view[off - first : off - first + n])) for i, line, off, n in self.spans]


def read_chunk(reader: Any, docs: list[tuple[int, int, bytes]], prov: Provenance, rank: int) -> ChunkResult:
    """Read raw documents with ``reader``; the publications come back as prepared tables."""
    entries: list[Any] = []
    rows = []
    error: BaseException | None = None
    try:
        for doc in docs:
            item = reader.read_document(doc)
            if item is None:
                continue
            if isinstance(item, Publication):
                rows.append(flatten(item, rank))
                entries.append(None)
            else:
                entries.append(item)
    except Exception as exc:
        error = exc
    prep = PreparedPublications.build(rows, prov, pa.nulls(len(rows), pa.string())) if rows else None
    return entries, prep, error


def worker_main() -> None:
    """A worker process (``python -c``): reads tasks on stdin, answers on stdout; ends with its parent.

    A task is ``(reader name, provenance, rank, raw documents or FileSpans)``; the answer is the chunk's result.
    """
    from multiprocessing.connection import Connection

    tasks_in = Connection(os.dup(0), writable=False)
    results_out = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything printed goes to stderr, never into the result stream
    readers: dict[str, Any] = {}
    files: dict[str, int] = {}
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
        reader = readers.get(name)
        if reader is None:
            reader = readers[name] = get_reader(name)
            _quiet_gc()  # after the reader's modules are imported, so they are frozen too
        try:
            raw = docs.read(files) if isinstance(docs, FileSpans) else docs
        except Exception as exc:  # the file cannot be read there: the source breaks off at this chunk
            entries, prep, error = [], None, SourceError(f"{type(exc).__name__}: {exc}")
        else:
            entries, prep, error = read_chunk(reader, raw, prov, rank)
            del raw
        packed = _pack(prep)
        try:
            results_out.send((entries, packed, error))
        except (BrokenPipeError, ConnectionResetError):  # the parent is gone
            return
        except Exception:  # pickling failed (before anything was sent): an exception that cannot travel
            results_out.send((entries, packed, SourceError(f"{type(error).__name__}: {error}")))


def _quiet_gc() -> None:
    """Keep the cyclic garbage collector off the modules already imported and let it run less often.

    A chunk keeps thousands of small objects alive (records, rows) while a document's tree is built and
    dropped; with the default thresholds the collector walked every imported module's objects again and
    again (about a tenth of a worker's time on USPTO grants). The records hold no reference cycles, so
    collecting less often frees nothing later that matters.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 50, 50)


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
    """A fresh interpreter running :func:`worker_main` (not a fork of this process, whose database threads a
    fork would copy mid-state, and not multiprocessing's spawn, which re-runs the caller's main script)."""

    def __init__(self) -> None:
        from multiprocessing.connection import Connection

        import patnav

        env = dict(os.environ)
        root = str(Path(patnav.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join([root, *sys.path[1:], env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from patnav.corpus.workers import worker_main; worker_main()"],
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

    def recv(self) -> ChunkResult:
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


def _chunks(reader: Reader, source: Source) -> Iterator[list[tuple[int, int, bytes]] | FileSpans]:
    """The source's documents in chunks of :data:`CHUNK_DOCS` (or :data:`CHUNK_BYTES`): byte ranges when the
    workers can read the file themselves, else the documents' bytes."""
    spans_of = getattr(reader, "document_spans", None)
    if source.file is not None and spans_of is not None:
        spans: list[tuple[int, int, int, int]] = []
        size = 0
        for span in spans_of(source):
            spans.append(span)
            size += span[3]
            if len(spans) >= CHUNK_DOCS or size >= CHUNK_BYTES:
                yield FileSpans(source.file, spans)
                spans = []
                size = 0
        if spans:
            yield FileSpans(source.file, spans)
        return
    chunk: list[tuple[int, int, bytes]] = []
    size = 0
    try:
        for doc in reader.documents(source):  # type: ignore[attr-defined]
            chunk.append(doc)
            size += len(doc[2])
            if len(chunk) >= CHUNK_DOCS or size >= CHUNK_BYTES:
                yield chunk
                chunk = []
                size = 0
    except Exception:  # the source broke off: the documents before the break are still read
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def read_in_workers(
    reader: Reader, source: Source, prov: Provenance, n_workers: int
) -> Iterator[tuple[list[Any], PreparedPublications | None]]:
    """Chunks of ``source`` read by ``n_workers`` processes, yielded in source order.

    This process cuts the documents (cheap) and deals them out round-robin, keeping a bounded number of
    chunks in flight. A break in the source is raised after every chunk read before it has been yielded.
    """
    workers = [_Worker() for _ in range(n_workers)]
    chunks = _chunks(reader, source)
    inflight: deque[_Worker] = deque()
    broke: BaseException | None = None
    dealt = 0
    finished = False

    def deal() -> bool:
        nonlocal broke, dealt
        if broke is not None:
            return False
        try:
            chunk = next(chunks, None)
        except Exception as exc:
            broke = exc
            return False
        if chunk is None:
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

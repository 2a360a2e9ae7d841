"""Receiving an uploaded data file safely: streamed to disk under a hard size limit, hashed, and checked before
any job is queued for it.

The checks answer the bad input a public upload form attracts, each with a clear message naming the file:

- larger than ``max_upload_bytes`` → 413, reading stops at the limit and the partial file is removed;
- archives (.zip, .xlsx and any other zip, .tar, .tar.gz/.tgz/.tar.bz2/.tar.xz, .gz, and gzip data under any
  name) whose members would unpack beyond ``max_unpacked_bytes`` → 413, or that compress absurdly well (a zip
  bomb) → 422. Zip and tar sizes come from their headers (Python's readers never return more than a member's
  declared size); gzip has no trustworthy size field, so it is decompressed as a stream and stopped at the cap;
- XML that declares entities in its DOCTYPE (billion laughs, external entities) → 422; the XML readers refuse
  such documents as well (``patnav.ingest.xmlsafe``), this only says so before a job is queued;
- a file no reader recognises → 415 with the list of accepted formats;
- the file name is reduced to a safe base name (no folders, no ``..``, no control characters, bounded length).

The checks themselves are plain functions over a file on disk (:func:`inspect_file`), so the CLI or a test can
call them too; only :func:`receive` knows about HTTP.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import secrets
import shutil
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from patnav.app.errors import AppError

#: Longest stored file name (characters); longer names keep their start and their extension.
MAX_NAME = 120
#: A member that unpacks to more than RATIO_MIN_BYTES and more than MAX_RATIO times its packed size is a bomb.
#: Real patent data compresses 5–25:1 (XML full text, CSV); a run of zeros compresses about 1000:1.
MAX_RATIO = 200
RATIO_MIN_BYTES = 8 << 20
#: Members of one archive beyond this are refused (each costs a header read and a sniff).
MAX_MEMBERS = 100_000
#: Sources sniffed and checked for XML entities at upload time; beyond this the readers' own checks apply.
MAX_SNIFFED = 1_000
#: Longest non-file form field (the CSRF token, the target).
MAX_FIELD = 4096
MAX_FIELDS = 16
CHUNK = 1 << 20
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".gz")
INCOMING = ".incoming"


def human_size(n: int) -> str:
    """``n`` bytes for a message: ``200 MB``, ``64 KB``, ``512 bytes``."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


# -- names ---------------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w.\-()+ ]+", re.UNICODE)


def _suffix(name: str) -> str:
    lower = name.lower()
    for compound in (".tar.gz", ".tar.bz2", ".tar.xz"):
        if lower.endswith(compound):
            return name[-len(compound) :]
    stem, dot, ext = name.rpartition(".")
    return f".{ext}" if dot and stem and len(ext) <= 10 else ""


def safe_filename(name: str | None, *, max_length: int = MAX_NAME) -> str:
    """The base name of ``name`` with anything unsafe replaced: no folder part (``../../x.xml`` → ``x.xml``),
    no control or separator characters, no leading dot, at most ``max_length`` characters with the extension
    kept, and never empty."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").split("/")[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _UNSAFE.sub("_", text).strip(" .")
    text = re.sub(r"_{2,}", "_", text)
    if not text or set(text) <= {".", "_", " "}:
        text = "upload"
    if len(text) > max_length:
        suffix = _suffix(text)
        if len(suffix) >= max_length // 2:
            suffix = ""
        text = text[: max_length - len(suffix)].rstrip(" .") + suffix
    return text


# -- receiving -------------------------------------------------------------------------------------------------


@dataclass
class Received:
    """An uploaded file staged on disk (in its own folder under ``.incoming``) and the form's other fields."""

    name: str
    original_name: str
    path: Path
    size: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def stage_dir(self) -> Path:
        return self.path.parent

    def discard(self) -> None:
        shutil.rmtree(self.stage_dir, ignore_errors=True)


def too_large(name: str, limit: int) -> AppError:
    return AppError(
        413, "too_large", "{name} is larger than the upload limit of {limit}.", name=name, limit=human_size(limit)
    )


class _Receiver:
    """python-multipart callbacks: form fields into memory (bounded), the one file part onto disk (bounded)."""

    def __init__(self, incoming: Path, limit: int) -> None:
        self.incoming = incoming
        self.limit = limit
        self.fields: dict[str, str] = {}
        self.file: Received | None = None
        self._fh: IO[bytes] | None = None
        self._hash = hashlib.sha256()
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._data = bytearray()
        self._is_file = False
        self.ended = False
        self.doomed = False
        self.stage: Path | None = None

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.part_begin,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_header_field": lambda d, s, e: self._add_header_name(d[s:e]),
            "on_header_value": lambda d, s, e: self._add_header_value(d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_end": self.end,
        }

    def _add_header_name(self, data: bytes) -> None:
        self._header_name += data

    def _add_header_value(self, data: bytes) -> None:
        self._header_value += data

    def part_begin(self) -> None:
        self._disposition = b""
        self._data = bytearray()
        self._is_file = False

    def header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _kind, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")[:100]
        if b"filename" not in options:
            if len(self.fields) >= MAX_FIELDS:
                raise AppError(422, "bad_form", "The form has too many fields.")
            return
        if self.file is not None or self._name != "file":
            raise AppError(422, "one_file", "Send one file per upload, in the form field 'file'.")
        original = options[b"filename"].decode("utf-8", "replace")
        name = safe_filename(original)
        if self.doomed:
            raise too_large(name, self.limit)
        self.stage = self.incoming / secrets.token_hex(12)
        self.stage.mkdir(parents=True)
        path = self.stage / name
        self._fh = path.open("xb")
        self._is_file = True
        self.file = Received(name, original[:1000], path, 0, "")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if not self._is_file:
            if len(self._data) + len(chunk) > MAX_FIELD:
                raise AppError(422, "bad_form", "A form field is too long.")
            self._data.extend(chunk)
            return
        assert self.file is not None and self._fh is not None
        self.file.size += len(chunk)
        if self.file.size > self.limit:
            raise too_large(self.file.name, self.limit)
        self._hash.update(chunk)
        self._fh.write(chunk)

    def part_end(self) -> None:
        if self._is_file:
            assert self.file is not None and self._fh is not None
            self._fh.close()
            self._fh = None
            self.file.sha256 = self._hash.hexdigest()
        elif self._name:
            self.fields[self._name] = self._data.decode("utf-8", "replace")

    def end(self) -> None:
        self.ended = True

    def cleanup(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)


async def receive(request: Any, incoming: Path, limit: int) -> Received:
    """Stream the multipart body of ``request`` to a new folder under ``incoming``: the file part (field
    ``file``) is written as it arrives and reading stops as soon as it passes ``limit`` bytes (413); nothing
    is left on disk when this raises."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise AppError(415, "not_multipart", "Send the file as a multipart form (field 'file').")
    sink = _Receiver(incoming, limit)
    declared = request.headers.get("content-length", "")
    # clearly too big: read only as far as the file's name (for the message), never its content
    sink.doomed = declared.isdigit() and int(declared) > limit + (1 << 20)
    parser = MultipartParser(boundary, sink.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except AppError:
        sink.cleanup()
        raise
    except Exception as exc:  # a malformed body or a client that went away
        sink.cleanup()
        raise AppError(400, "bad_form", "The upload could not be read: {problem}", problem=type(exc).__name__) from exc
    except BaseException:
        sink.cleanup()
        raise
    if sink.file is None or sink._fh is not None or not sink.ended:
        sink.cleanup()
        raise AppError(422, "no_file", "Choose a file to upload (form field 'file').")
    if sink.file.size == 0:
        sink.cleanup()
        raise AppError(422, "empty_file", "{name} is empty.", name=sink.file.name)
    sink.file.fields = sink.fields
    return sink.file


# -- checking ------------------------------------------------------------------------------------------------


@dataclass
class Inspection:
    """What an accepted file holds: sources recognised by a reader (name → reader) and the unpacked size."""

    formats: dict[str, str]
    sources: int
    unpacked: int
    unrecognised: int = 0


def accepted_formats() -> str:
    """The reader names and archive kinds an upload may be, for the 415 message."""
    from patnav.ingest.registry import readers

    return ", ".join(sorted(readers())) + "; .zip, .tar, .tar.gz, .gz"


class _Budget:
    """Bytes an upload may unpack to, shared by every member of it."""

    def __init__(self, display: str, limit: int) -> None:
        self.display = display
        self.limit = limit
        self.used = 0

    @property
    def left(self) -> int:
        return self.limit - self.used

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise AppError(
                413,
                "unpacked_too_large",
                "{name} would unpack to more than {limit}; split it into smaller files.",
                name=self.display,
                limit=human_size(self.limit),
            )

    def ratio(self, member: str, unpacked: int, packed: int) -> None:
        if unpacked > RATIO_MIN_BYTES and unpacked > MAX_RATIO * max(packed, 1):
            raise AppError(
                422,
                "compression_ratio",
                "{name}: {member} is compressed {ratio}:1, which only a zip bomb does; the file was refused.",
                name=self.display,
                member=member,
                ratio=f"{unpacked // max(packed, 1):,}",
            )


def _damaged(display: str, exc: BaseException) -> AppError:
    return AppError(422, "bad_archive", "{name} is a damaged archive: {problem}", name=display, problem=str(exc)[:200])


def _gunzipped_size(fh: IO[bytes], cap: int) -> int:
    """Decompress a gzip stream without keeping it, stopping once past ``cap`` bytes; returns bytes seen."""
    seen = 0
    with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
        while True:
            chunk = gz.read(CHUNK)
            if not chunk:
                return seen
            seen += len(chunk)
            if seen > cap:
                return seen


def _check_gzip(open_: Callable[[], IO[bytes]], packed: int, member: str, budget: _Budget) -> None:
    with open_() as fh:
        size = _gunzipped_size(fh, budget.left)
    budget.spend(size)
    budget.ratio(member, size, packed)


def _is_gzip(open_: Callable[[], IO[bytes]]) -> bool:
    with open_() as fh:
        return fh.read(2) == b"\x1f\x8b"


def _magic(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4)


def _check_zip(zf: zipfile.ZipFile, prefix: str, budget: _Budget, *, nested: bool) -> None:
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > MAX_MEMBERS:
        raise AppError(413, "too_many_members", "{name} holds more than {n} files; split it.", name=budget.display,
                       n=f"{MAX_MEMBERS:,}")  # fmt: skip
    for info in infos:  # the headers first: a bomb is refused before anything is decompressed
        budget.spend(info.file_size)
        budget.ratio(f"{prefix}{info.filename}", info.file_size, info.compress_size)
    for info in infos:
        lower = info.filename.lower()
        member = f"{prefix}{info.filename}"
        if lower.endswith(".zip") and not nested:
            with zf.open(info) as inner_fh, zipfile.ZipFile(inner_fh) as inner:
                _check_zip(inner, f"{member}!", budget, nested=True)
        elif info.file_size and (lower.endswith(".gz") or _is_gzip(lambda info=info: zf.open(info))):
            _check_gzip(lambda info=info: zf.open(info), info.file_size, member, budget)


def _check_tar(path: Path, budget: _Budget) -> None:
    packed = path.stat().st_size
    with tarfile.open(path, "r:*") as tf:
        count = 0
        while (m := tf.next()) is not None:  # lazily: a compressed tar is decompressed only as far as needed
            count += 1
            if count > MAX_MEMBERS:
                raise AppError(413, "too_many_members", "{name} holds more than {n} files; split it.",
                               name=budget.display, n=f"{MAX_MEMBERS:,}")  # fmt: skip
            if m.isfile():
                budget.spend(m.size)
                budget.ratio(budget.display, budget.used, packed)
                if m.name.lower().endswith(".gz") and m.size:

                    def _open(m: tarfile.TarInfo = m) -> IO[bytes]:
                        fh = tf.extractfile(m)
                        assert fh is not None
                        return fh

                    _check_gzip(_open, m.size, m.name, budget)
            tf.members.clear()  # keep memory flat for archives of many members


def check_archive(path: Path, display: str, max_unpacked: int) -> int:
    """Refuse archives that would unpack beyond ``max_unpacked`` or that compress absurdly; returns the
    unpacked size counted (0 for a plain file)."""
    budget = _Budget(display, max_unpacked)
    lower = path.name.lower()
    try:
        if lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
            _check_tar(path, budget)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                _check_zip(zf, "", budget, nested=False)
        elif lower.endswith(".zip") or _magic(path) == b"PK\x03\x04":
            raise zipfile.BadZipFile("its table of contents is missing (a truncated file?)")
        elif _is_gzip(lambda: path.open("rb")):
            _check_gzip(lambda: path.open("rb"), path.stat().st_size, display, budget)
    except AppError:
        raise
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        raise _damaged(display, exc) from None
    return budget.used


def _xml_head(head: bytes) -> bytes:
    """The head as UTF-8 bytes for the entity check (UTF-16 documents are decoded first)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="ignore").encode("utf-8")
    return head


def inspect_file(path: Path, display: str, max_unpacked: int) -> Inspection:
    """Every check an upload must pass before it is queued; raises :class:`AppError` (413/415/422) naming
    ``display`` (the name the user gave) when one fails."""
    from patnav.ingest.registry import sniff
    from patnav.ingest.sources import iter_sources
    from patnav.ingest.xmlsafe import UnsafeXMLError, check_safe

    unpacked = check_archive(path, display, max_unpacked)

    def shown(source_name: str) -> str:
        return source_name.replace(str(path), display, 1)

    formats: dict[str, str] = {}
    seen = unrecognised = 0
    try:
        for source in iter_sources([path]):
            seen += 1
            if seen > MAX_SNIFFED:
                break
            try:
                head = source.head()
                check_safe(_xml_head(head))
                found = sniff(source)
            except UnsafeXMLError:
                raise AppError(
                    422,
                    "xml_entities",
                    "{name} declares XML entities in its DOCTYPE (an entity-expansion or external-entity attack); "
                    "it was refused.",
                    name=shown(source.name),
                ) from None
            except AppError:
                raise
            except Exception:
                found = None
            if found is None:
                unrecognised += 1
            else:
                formats[shown(source.name)] = found[0].name
    except AppError:
        raise
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _damaged(display, exc) from None
    if not formats:
        raise AppError(
            415,
            "unsupported_type",
            "{name}: no reader recognises this file. Accepted formats: {formats}.",
            name=display,
            formats=accepted_formats(),
        )
    return Inspection(formats=formats, sources=seen, unpacked=unpacked, unrecognised=unrecognised)


def store(received: Received, uploads_dir: Path) -> tuple[Path, bool]:
    """Move an accepted file to ``uploads/<sha256 prefix>/<name>`` (the same content under the same name lands
    in the same place, so loading it again is recognised as the same source). Returns the path and whether
    this call created it (only then may a later failure remove it)."""
    folder = uploads_dir / received.sha256[:32]
    final = folder / received.name
    if final.resolve().parent != folder.resolve() or not final.resolve().is_relative_to(uploads_dir.resolve()):
        raise AppError(422, "bad_name", "The file name is not acceptable.")  # cannot happen after safe_filename
    if final.exists():
        received.discard()
        return final, False
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(received.path, final)
    received.discard()
    return final, True


def remove_stored(path: Path) -> None:
    """Undo :func:`store` (the request failed after the file was moved into place)."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()

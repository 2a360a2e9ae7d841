"""Turning the paths a user gives into sources: files, folders, and members of .gz/.zip/.tar archives."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from patnav.ingest.base import Source

#: Files in a data folder that are documentation or schemas, never data.
IGNORED_SUFFIXES = {".md", ".txt.license", ".dtd", ".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".pdf", ".py"}
IGNORED_NAMES = {"readme", "license", "licence", "source.md", ".ds_store"}


def _is_ignored(name: str) -> bool:
    lower = name.lower().rsplit("/", 1)[-1]
    if lower in IGNORED_NAMES or lower.startswith("."):
        return True
    return any(lower.endswith(s) for s in IGNORED_SUFFIXES) or lower.startswith(("readme", "license", "upstream_"))


def _gunzip_opener(open_raw):  # type: ignore[no-untyped-def]
    def _open() -> BinaryIO:
        return gzip.GzipFile(fileobj=open_raw(), mode="rb")  # type: ignore[return-value]

    return _open


def iter_sources(paths: list[Path] | list[str]) -> Iterator[Source]:
    """Every source under ``paths`` in a stable order; archives are opened lazily and streamed."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not _is_ignored(child.name):
                    yield from _file_sources(child)
        elif path.is_file():
            yield from _file_sources(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")


def _file_sources(path: Path) -> Iterator[Source]:
    name = str(path)
    lower = name.lower()
    if lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
        yield from _tar_sources(path)
    elif lower.endswith(".zip") and zipfile.is_zipfile(path):
        yield from _zip_sources(path)
    elif lower.endswith(".gz"):
        yield Source(name=name, open=_gunzip_opener(lambda: open(path, "rb")), size=path.stat().st_size)
    else:
        yield Source(name=name, open=lambda: open(path, "rb"), size=path.stat().st_size, file=name)


def _zip_sources(path: Path) -> Iterator[Source]:
    with zipfile.ZipFile(path) as zf:
        members = [i for i in zf.infolist() if not i.is_dir() and not _is_ignored(i.filename)]
    for info in members:
        member_name = f"{path}!{info.filename}"

        def _open(info: zipfile.ZipInfo = info) -> BinaryIO:
            zf = zipfile.ZipFile(path)
            return zf.open(info)  # type: ignore[return-value]

        if info.filename.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                inner = io.BytesIO(zf.read(info))
            with zipfile.ZipFile(inner) as izf:
                for sub in izf.infolist():
                    if sub.is_dir() or _is_ignored(sub.filename):
                        continue

                    def _open_inner(sub: zipfile.ZipInfo = sub, inner: io.BytesIO = inner) -> BinaryIO:
                        return zipfile.ZipFile(inner).open(sub)  # type: ignore[return-value]

                    yield Source(name=f"{member_name}!{sub.filename}", open=_open_inner, size=sub.file_size)
        elif info.filename.lower().endswith(".gz"):
            yield Source(name=member_name, open=_gunzip_opener(_open), size=info.file_size)
        else:
            yield Source(name=member_name, open=_open, size=info.file_size)


def _tar_sources(path: Path) -> Iterator[Source]:
    with tarfile.open(path) as tf:
        members = [m for m in tf.getmembers() if m.isfile() and not _is_ignored(m.name)]
    for member in members:

        def _open(member: tarfile.TarInfo = member) -> BinaryIO:
            tf = tarfile.open(path)
            fh = tf.extractfile(member)
            assert fh is not None
            return fh  # type: ignore[return-value]

        name = f"{path}!{member.name}"
        if member.name.lower().endswith(".gz"):
            yield Source(name=name, open=_gunzip_opener(_open), size=member.size)
        else:
            yield Source(name=name, open=_open, size=member.size)

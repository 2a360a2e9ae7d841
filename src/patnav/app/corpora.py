"""Which corpus a request reads (the public one, or the organisation's private one) and whether it is being
written: a load holds DuckDB's write lock, so readers step aside while the marker file exists."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from patnav.app.errors import AppError
from patnav.app.settings import Settings

SCOPES = ("public", "org")
MARKER = ".patnav-writing"


def corpus_path(settings: Settings, org_slug: str, scope: str) -> Path:
    if scope == "public":
        return settings.public_corpus
    if scope == "org":
        return settings.org_corpus(org_slug)
    raise AppError(422, "bad_scope", "Unknown corpus: {value} (public or org)", value=scope[:20])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_writing(path: Path) -> bool:
    """A load is writing this corpus now (a marker left by a crashed process does not count)."""
    marker = path / MARKER
    try:
        pid = int(marker.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return False
    return pid_alive(pid)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Mark ``path`` as being written by this process for the duration of the block."""
    path.mkdir(parents=True, exist_ok=True)
    marker = path / MARKER
    marker.write_text(str(os.getpid()))
    try:
        yield
    finally:
        marker.unlink(missing_ok=True)


def check_readable(path: Path) -> None:
    if is_writing(path):
        raise AppError(503, "corpus_busy", "This corpus is being updated by a load. Try again in a moment.")

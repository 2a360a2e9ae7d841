"""Ingest jobs: load an uploaded file into the organisation's private corpus or the public corpus, then bring
the corpus's full-text index up to date (and queue the embedding of what changed as an "index" job)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from patnav.app.tasks import task

#: How long to wait for a reader (a search in another process) to let go of the corpus file.
LOCK_WAIT_S = 60.0
#: Share of the progress bar the load takes; the full-text index update takes the rest.
LOAD_SHARE = 0.85


def _open_for_writing(path: Path, ctx: Any, wait_s: float = LOCK_WAIT_S) -> Any:
    """The corpus at ``path`` opened for writing (created on first use), retrying while DuckDB reports the file
    locked by another process (a search that has not yet seen the writing marker)."""
    import duckdb

    from patnav.corpus.store import Corpus

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return Corpus(path, create=True)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            ctx.progress(0.0, "waiting for the corpus to be free", force=True)  # also notices a cancel
            time.sleep(1.0)


def _shown(name: str, upload: Path) -> str:
    """A source name as the user knows it: the uploaded file's name (and the archive member), no server path."""
    return name.replace(str(upload), upload.name, 1)


@task("ingest")
def ingest(ctx: Any) -> dict[str, Any]:
    """``params``: upload_id, path (the stored upload), corpus (the corpus folder), into (org/public).

    Returns the load report: per source the reader, status, and read/new/updated/unchanged/quarantined counts,
    the totals, the full-text index update and the id of the embedding job queued after it (if any).
    """
    from patnav.app.corpora import writing
    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import DB_FILE
    from patnav.ingest.sources import iter_sources
    from patnav.search.text_index import TextIndex

    upload = Path(ctx.params["path"])
    corpus_path = Path(ctx.params["corpus"])
    if not upload.is_file():
        raise FileNotFoundError(f"the uploaded file is gone: {upload.name}")
    total_sources = max(1, sum(1 for _ in iter_sources([upload])))
    done = 0

    def progress(name: str, read: int, finished: bool) -> None:
        nonlocal done
        if finished:
            done += 1
        within = 0.0 if finished else read / (read + 5000)  # creeps towards the end of this source
        fraction = LOAD_SHARE * min(1.0, (done + within) / total_sources)
        ctx.progress(fraction, f"{_shown(name, upload)} · {read:,}", force=finished)

    ctx.progress(0.0, upload.name, force=True)
    with writing(corpus_path):
        new_corpus = not (corpus_path / DB_FILE).exists()
        corpus = _open_for_writing(corpus_path, ctx)
        try:
            report = load_paths(corpus, [upload], progress=progress)
            ctx.progress(LOAD_SHARE, "full-text index", force=True)
            stats = TextIndex.for_corpus(corpus).update_from_corpus(
                corpus,
                progress=lambda d, t: ctx.progress(LOAD_SHARE + (1 - LOAD_SHARE) * d / max(t, 1), "full-text index"),
            )
        finally:
            corpus.close()

    read, totals = report.totals()
    result: dict[str, Any] = {
        "upload_id": ctx.params.get("upload_id"),
        "target": ctx.params.get("into", "org"),
        "new_corpus": new_corpus,
        "sources": [
            {
                "source": _shown(s.source, upload),
                "reader": s.reader,
                "status": s.status,
                "message": s.message,
                "read": s.read,
                "new": s.counts.new,
                "updated": s.counts.updated,
                "unchanged": s.counts.unchanged,
                "quarantined": s.counts.quarantined,
            }
            for s in report.sources
        ],
        "totals": {
            "read": read,
            "new": totals.new,
            "updated": totals.updated,
            "unchanged": totals.unchanged,
            "quarantined": totals.quarantined,
            "skipped": len(report.skipped),
        },
        "text_index": {"added": stats.added, "replaced": stats.replaced, "deleted": stats.deleted},
        "index_job": None,
    }
    if totals.new or totals.updated:
        result["index_job"] = _queue_embedding(ctx, corpus_path)
    return result


def _queue_embedding(ctx: Any, corpus_path: Path) -> int | None:
    """Queue an "index" job that embeds what the load added or changed (the semantic search's vectors), with
    the model the platform searches with (``PATNAV_SEARCH_MODEL``, default e5). Its own job: embedding is the
    slow part, and the loaded records are already searchable by text while it runs."""
    from patnav.app import jobs
    from patnav.app.database import session_scope
    from patnav.app.models import User

    if ctx.user_id is None:
        return None
    model = os.environ.get("PATNAV_SEARCH_MODEL", "").strip() or "e5"
    with session_scope(ctx.settings.database_url) as db:
        user = db.get(User, ctx.user_id)
        if user is None:
            return None
        job = jobs.submit(
            db, user, "index", {"corpus": str(corpus_path), "text": False, "vectors": True, "model": model},
            org_id=ctx.org_id,
        )  # fmt: skip
        return job.id

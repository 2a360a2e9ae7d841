"""Upload deletion jobs: take an uploaded file back out of the corpus it was loaded into, bring the full-text
index in line (and queue the embedding update, as a load does), then forget the upload and its stored file.

What goes and what stays is :func:`patnav.corpus.removal.remove_source`'s rule. The upload's row and file are
removed only once the corpus no longer holds the file's records, so a failed or cancelled deletion leaves the
upload listed and it can be deleted again. Another upload of the very same stored file (the same content under
the same name) into the same corpus keeps the records: that upload still supplies them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from patnav.app.tasks import task

#: Share of the progress bar the removal (and re-reading) takes; the full-text index update takes the rest.
REMOVE_SHARE = 0.8


@task("delete_upload")
def delete_upload(ctx: Any) -> dict[str, Any]:
    """``params``: upload_id, path (the stored file), corpus (the corpus folder), into (org/public), filename.

    Returns what was removed (publications removed / rebuilt from other files / kept as stored, keyed rows,
    quarantine rows), the full-text index update and the id of the embedding job queued after it (if any).
    """
    from patnav.app import uploads
    from patnav.app.corpora import writing
    from patnav.app.database import session_scope
    from patnav.app.models import Upload
    from patnav.app.tasks.ingest import _open_for_writing, _queue_embedding
    from patnav.corpus.removal import remove_source
    from patnav.corpus.store import DB_FILE
    from patnav.search.text_index import TextIndex

    _wait_for_load(ctx)
    upload_id = int(ctx.params["upload_id"])
    stored = str(ctx.params["path"])
    corpus_path = Path(ctx.params["corpus"])
    into = ctx.params.get("into", "org")
    with session_scope(ctx.settings.database_url) as db:
        twins = db.query(Upload).filter(Upload.stored_path == stored, Upload.id != upload_id).all()
        same_corpus = any(t.target == into for t in twins)
        file_shared = bool(twins)

    result: dict[str, Any] = {
        "upload_id": upload_id,
        "target": into,
        "filename": ctx.params.get("filename"),
        "shared_with_upload": same_corpus,
        "removal": None,
        "text_index": None,
        "index_job": None,
    }
    ctx.progress(0.0, Path(stored).name, force=True)
    if not same_corpus and (corpus_path / DB_FILE).exists():
        with writing(corpus_path):
            corpus = _open_for_writing(corpus_path, ctx)
            try:
                removal = remove_source(
                    corpus, stored, progress=lambda f, m: ctx.progress(REMOVE_SHARE * f, m or Path(stored).name)
                )
                corpus.export_parquet()
                ctx.progress(REMOVE_SHARE, "full-text index", force=True)
                stats = TextIndex.for_corpus(corpus).update_from_corpus(
                    corpus,
                    progress=lambda d, t: ctx.progress(
                        REMOVE_SHARE + (1 - REMOVE_SHARE) * d / max(t, 1), "full-text index"
                    ),
                )
            finally:
                corpus.close()
        shown = removal.as_dict()
        for key in ("reread", "unreadable"):  # file names as users know them, no server paths
            shown[key] = [_shown(name) for name in shown[key]]
        result["removal"] = shown
        result["text_index"] = {"added": stats.added, "replaced": stats.replaced, "deleted": stats.deleted}
        if removal.removed or removal.rebuilt or removal.restored:
            result["index_job"] = _queue_embedding(ctx, corpus_path)

    with session_scope(ctx.settings.database_url) as db:
        upload = db.get(Upload, upload_id)
        if upload is not None:
            db.delete(upload)
    if not file_shared:
        uploads.remove_stored(Path(stored))
    return result


def _wait_for_load(ctx: Any, wait_s: float = 300.0) -> None:
    """Wait while the upload's load job still runs (a load cancelled just as it started stops within moments):
    removing records while it writes them would leave some behind."""
    import time

    from patnav.app.database import session_scope
    from patnav.app.models import Job, JobStatus

    load_id = ctx.params.get("load_job")
    if not load_id:
        return
    deadline = time.monotonic() + wait_s
    while True:
        with session_scope(ctx.settings.database_url) as db:
            load = db.get(Job, int(load_id))
            if load is None or load.status != JobStatus.RUNNING.value:
                return
        if time.monotonic() > deadline:
            raise RuntimeError("the upload is still being loaded; delete it once its load has finished")
        ctx.progress(0.0, "waiting for the corpus to be free", force=True)  # also notices a cancel
        time.sleep(1.0)


def _shown(name: str) -> str:
    """A source name without its server folder: ``file.zip!member.xml``."""
    head, bang, rest = name.partition("!")
    return Path(head).name + bang + rest

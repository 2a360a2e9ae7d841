"""Data uploads: a file sent by a person goes into the organisation's private corpus (or, for an administrator,
the public corpus) through a background "ingest" job; the page and the API list the uploads with their job's
progress and load counts, and the corpus's quarantine (records that failed, with the reason, in the reader's
language). An upload can be deleted: a "delete_upload" job takes its file's records back out of the corpus (what
another file also supplied stays; ``patnav.corpus.removal`` has the rule), then forgets the upload and its file.

The upload endpoints read the request body themselves (``uploads.receive``) instead of letting the framework
spool the whole form to a temporary file first: that is what lets reading stop at the size limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from patnav.app import accounts, uploads
from patnav.app import jobs as job_service
from patnav.app.corpora import check_readable, corpus_path
from patnav.app.deps import DB, AppSettings, Page, Principal, Who, current
from patnav.app.errors import AppError, forbidden, not_found
from patnav.app.models import Job, JobStatus, Upload, User
from patnav.app.pages import render
from patnav.app.permissions import Action, allowed
from patnav.app.settings import Settings
from patnav.app.views.jobs import job_dict

router = APIRouter()
TARGETS = ("org", "public")
#: What the upload endpoints take, for the OpenAPI description (the body is read by ``uploads.receive``).
_MULTIPART_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "target": {"type": "string", "enum": list(TARGETS), "default": "org"},
                    },
                }
            }
        },
    }
}


# -- accepting an upload ---------------------------------------------------------------------------------------


def _who_before_reading(request: Request, db: Session) -> Principal:
    """Who sends this upload, known from the session cookie or API token alone (the CSRF token, which may be a
    form field, is checked after the body has been read): nobody and roles that may not upload are refused
    before a byte of the file is written."""
    from patnav.app.deps import identify

    who = identify(request, db)
    request.state.unverified = who
    if not allowed(who.user.role, Action.UPLOAD):
        raise forbidden()
    return who


async def accept_upload(request: Request, db: Session, settings: Settings) -> tuple[Upload, Job, dict[str, str]]:
    """Receive, check, store and queue one upload; on any failure nothing stays on disk or in the database."""
    pre = _who_before_reading(request, db)
    incoming = settings.uploads(pre.org.slug) / uploads.INCOMING
    received = await uploads.receive(request, incoming, settings.max_upload_bytes)
    stored: Path | None = None
    created = False
    try:
        # the CSRF check of a cookie session reads the form's csrf_token field: hand it the fields already read
        request._form = FormData(list(received.fields.items()))
        me = await current(request)
        target = received.fields.get("target") or request.query_params.get("target") or "org"
        if target not in TARGETS:
            raise AppError(422, "bad_target", "Unknown upload target: {value} (org or public)", value=target[:20])
        if not me.can(Action.UPLOAD_PUBLIC if target == "public" else Action.UPLOAD):
            raise forbidden()
        inspection = await run_in_threadpool(
            uploads.inspect_file, received.path, received.name, settings.max_unpacked_bytes
        )
        stored, created = uploads.store(received, settings.uploads(me.org.slug))
        corpus = corpus_path(settings, me.org.slug, target)
        upload = Upload(
            org_id=me.org.id,
            user_id=me.user.id,
            target=target,
            filename=received.name,
            stored_path=str(stored),
            size=received.size,
            sha256=received.sha256,
        )
        db.add(upload)
        db.flush()
        job = job_service.submit(
            db,
            me.user,
            "ingest",
            # (not "target": jobs.submit passes the params to audit(), whose own argument has that name)
            {"upload_id": upload.id, "path": str(stored), "corpus": str(corpus), "into": target},
            org_id=me.org.id,
        )
        upload.job_id = job.id
        accounts.audit(
            db,
            me.user,
            "upload",
            f"upload:{upload.id}",
            filename=received.name,
            size=received.size,
            sha256=received.sha256,
            into=target,
            formats=", ".join(sorted(set(inspection.formats.values()))),
        )
        db.commit()  # committed here, so a failed commit still removes the file below
        return upload, job, inspection.formats
    except BaseException:
        db.rollback()
        received.discard()
        if stored is not None and created:
            uploads.remove_stored(stored)
        raise


# -- reading uploads and quarantine ------------------------------------------------------------------------------


def _display_source(name: str | None) -> str:
    """A source file as users see it: the file's own name (and archive member), never a server path."""
    if not name:
        return ""
    head, bang, rest = name.partition("!")
    return Path(head).name + bang + rest


def upload_dict(upload: Upload, job: Job | None, username: str | None, deletion: Job | None = None) -> dict[str, Any]:
    """An upload as the page and the API show it: its load job and counts, and its deletion job if one was asked
    for and has not finished (or failed: the upload is still there)."""
    result = job.result if job is not None and job.status == "done" else {}
    return {
        "id": upload.id,
        "filename": upload.filename,
        "target": upload.target,
        "size": upload.size,
        "sha256": upload.sha256,
        "created_at": upload.created_at.isoformat(timespec="seconds"),
        "uploaded_by": username,
        "job": job_dict(job) if job is not None else None,
        "totals": result.get("totals"),
        "sources": result.get("sources", []),
        "deletion": job_dict(deletion) if deletion is not None else None,
    }


def deletions(db: Session, org_id: int) -> dict[int, Job]:
    """The latest unfinished or failed deletion job of each of the organisation's uploads (a finished one has
    removed its upload)."""
    found: dict[int, Job] = {}
    for job in db.scalars(
        select(Job)
        .where(Job.org_id == org_id, Job.kind == DELETE_KIND, Job.status != JobStatus.DONE.value)
        .order_by(Job.id)
    ):
        found[int((job.params or {}).get("upload_id", 0))] = job
    return found


def list_uploads_for(db: Session, me: Principal, number: int, size: int) -> dict[str, Any]:
    where = Upload.org_id == me.org.id
    total = db.scalar(select(func.count()).select_from(Upload).where(where)) or 0
    rows = db.execute(
        select(Upload, Job, User.username)
        .outerjoin(Job, Job.id == Upload.job_id)
        .outerjoin(User, User.id == Upload.user_id)
        .where(where)
        .order_by(Upload.id.desc())
        .offset((number - 1) * size)
        .limit(size)
    ).all()
    pending = deletions(db, me.org.id) if rows else {}
    return {
        "items": [upload_dict(u, j, name, pending.get(u.id)) for u, j, name in rows],
        "page": number,
        "per_page": size,
        "total": total,
    }


def own_upload(db: Session, me: Principal, upload_id: int) -> Upload:
    """An upload of the person's organisation; another organisation's is answered as not found."""
    upload = db.get(Upload, upload_id)
    if upload is None or upload.org_id != me.org.id:
        raise not_found(f"upload {upload_id}")
    return upload


DELETE_KIND = "delete_upload"


def request_deletion(db: Session, me: Principal, settings: Settings, upload_id: int) -> tuple[Upload, Job]:
    """Queue the deletion of one of the organisation's uploads and audit it.

    Refused (403) for a role that may not upload (or, for a public-corpus upload, may not upload there); another
    organisation's upload is not found (404). A load of the upload that is still queued is cancelled first; one
    that is running is refused (409): cancel it or let it finish, then delete. A deletion already asked for is
    refused (409) until it has finished or failed.
    """
    if not me.can(Action.UPLOAD):
        raise forbidden()
    upload = own_upload(db, me, upload_id)
    if upload.target == "public" and not me.can(Action.UPLOAD_PUBLIC):
        raise forbidden()
    pending = deletions(db, me.org.id).get(upload.id)
    if pending is not None and pending.status in job_service.ACTIVE:
        raise AppError(409, "upload_deleting", "{name} is already being deleted.", name=upload.filename)
    load = db.get(Job, upload.job_id) if upload.job_id else None
    if load is not None and load.status == JobStatus.RUNNING.value:
        raise AppError(
            409,
            "upload_loading",
            "{name} is still being loaded: cancel its load or wait until it has finished, then delete it.",
            name=upload.filename,
        )
    if load is not None and load.status == JobStatus.QUEUED.value:
        job_service.cancel(db, me.user, load)
    job = job_service.submit(
        db,
        me.user,
        DELETE_KIND,
        {
            "upload_id": upload.id,
            "path": upload.stored_path,
            "corpus": str(corpus_path(settings, me.org.slug, upload.target)),
            "into": upload.target,
            "filename": upload.filename,
            "load_job": upload.job_id,
        },
        org_id=me.org.id,
    )
    accounts.audit(
        db,
        me.user,
        "upload.delete",
        f"upload:{upload.id}",
        filename=upload.filename,
        size=upload.size,
        sha256=upload.sha256,
        into=upload.target,
        job=job.id,
    )
    db.commit()
    return upload, job


def _quarantine_scope(settings: Settings, me: Principal, scope: str) -> Path:
    if scope == "public" and not me.can(Action.UPLOAD_PUBLIC):
        raise forbidden()
    return corpus_path(settings, me.org.slug, scope)


def read_quarantine(
    path: Path, *, offset: int = 0, limit: int = 50, source: str | None = None, lang: str = "en"
) -> tuple[list[dict[str, Any]], int]:
    """Rows of the quarantine of the corpus at ``path`` (all, or those of one stored file and its members),
    with the total; an empty list when the corpus does not exist yet. ``reason`` is the stored English text,
    ``reason_text`` the same in ``lang`` (the English text for rows stored before reasons had templates)."""
    import duckdb

    from patnav.corpus.quarantine import read_rows, reason_text
    from patnav.corpus.store import DB_FILE, Corpus

    if not (path / DB_FILE).exists():
        return [], 0
    check_readable(path)
    where, params = "", []
    if source is not None:
        where, params = "source_file = ? OR starts_with(source_file, ?)", [source, source + "!"]
    try:
        with Corpus(path, create=False, read_only=True) as corpus:
            counted = f"SELECT count(*) FROM quarantine {'WHERE ' + where if where else ''}"
            total = corpus.con.execute(counted, params).fetchone()[0]  # type: ignore[index]
            rows = read_rows(corpus.con, where=where, params=params, limit=limit, offset=offset)
    except duckdb.IOException as exc:  # a load holds the file (the writing marker was not yet seen)
        raise AppError(503, "corpus_busy", "This corpus is being updated by a load. Try again in a moment.") from exc
    items = [
        {
            "file": _display_source(r["source_file"]),
            "position": _display_source(r["position"])
            if r["position"] and r["position"].startswith("/")
            else r["position"],
            "field": r["field"],
            "reason": r["reason"],
            "reason_text": reason_text(r, lang),
            "reader": r["reader"],
            "loaded_at": r["loaded_at"].isoformat(timespec="seconds") if r["loaded_at"] is not None else None,
        }
        for r in rows
    ]
    return items, int(total)


# -- API -----------------------------------------------------------------------------------------------------------


@router.post("/api/v1/uploads", status_code=202, tags=["data"], openapi_extra=_MULTIPART_BODY)
async def upload_api(request: Request, db: DB, settings: AppSettings) -> dict[str, Any]:
    """Upload one data file (multipart field ``file``; ``target`` org or public) to be loaded by an ingest job.

    413: larger than the upload limit, or an archive that unpacks beyond its limit; 415: no reader recognises
    it; 422: a zip bomb, XML declaring entities, a damaged archive. The answer (202) holds the upload and its job.
    """
    upload, job, formats = await accept_upload(request, db, settings)
    return {"upload": upload_dict(upload, job, request.state.principal.user.username), "job": job_dict(job),
            "formats": formats}  # fmt: skip


@router.get("/api/v1/uploads", tags=["data"])
def list_uploads(db: DB, me: Who, page: Page) -> dict[str, Any]:
    """The organisation's uploads, newest first, with their job's progress and, once done, the load counts."""
    number, size = page
    return list_uploads_for(db, me, number, size)


@router.get("/api/v1/uploads/{upload_id}", tags=["data"])
def get_upload(upload_id: int, db: DB, me: Who, settings: AppSettings, page: Page) -> dict[str, Any]:
    """One upload with its job and the quarantined records of its file."""
    upload = own_upload(db, me, upload_id)
    job = db.get(Job, upload.job_id) if upload.job_id else None
    user = db.get(User, upload.user_id) if upload.user_id else None
    number, size = page
    rows, total = read_quarantine(
        corpus_path(settings, me.org.slug, upload.target),
        offset=(number - 1) * size,
        limit=size,
        source=upload.stored_path,
        lang=me.lang,
    )
    out = upload_dict(upload, job, user.username if user else None, deletions(db, me.org.id).get(upload.id))
    out["quarantine"] = {"items": rows, "page": number, "per_page": size, "total": total}
    return out


@router.delete("/api/v1/uploads/{upload_id}", status_code=202, tags=["data"])
def delete_upload_api(upload_id: int, db: DB, me: Who, settings: AppSettings) -> dict[str, Any]:
    """Delete one of the organisation's uploads (administrators: also the public corpus's): its stored file, its
    quarantine rows, and the records loaded from it, except what another file still present also supplied (those
    are rebuilt from that file). Runs as a "delete_upload" job (202: the upload and its job); the search index
    follows. 403: a role that may not upload; 404: no such upload in the organisation; 409: its load is running,
    or its deletion already is."""
    upload, job = request_deletion(db, me, settings, upload_id)
    return {"upload": {"id": upload.id, "filename": upload.filename, "target": upload.target}, "job": job_dict(job)}


@router.get("/api/v1/quarantine", tags=["data"])
def quarantine(db: DB, me: Who, settings: AppSettings, page: Page, scope: str = "org") -> dict[str, Any]:
    """Records a load rejected, with file, record position, field and reason: ``scope=org`` the organisation's
    corpus, ``scope=public`` the public corpus (administrators only)."""
    path = _quarantine_scope(settings, me, scope)
    number, size = page
    rows, total = read_quarantine(path, offset=(number - 1) * size, limit=size, lang=me.lang)
    return {"scope": scope, "items": rows, "page": number, "per_page": size, "total": total}


# -- pages ---------------------------------------------------------------------------------------------------------


def _data_page(
    request: Request, db: Session, me: Principal, settings: Settings, *, error: str = "", status: int = 200
) -> Response:
    quarantines = []
    for scope in ("org", "public") if me.can(Action.UPLOAD_PUBLIC) else ("org",):
        try:
            rows, total = read_quarantine(corpus_path(settings, me.org.slug, scope), limit=50, lang=me.lang)
            quarantines.append({"scope": scope, "items": rows, "total": total, "busy": False})
        except AppError:
            quarantines.append({"scope": scope, "items": [], "total": 0, "busy": True})
    return render(
        request,
        "data.html.j2",
        me.lang,
        me,
        status=status,
        uploads=list_uploads_for(db, me, 1, 50)["items"],
        quarantines=quarantines,
        can_upload=me.can(Action.UPLOAD),
        can_public=me.can(Action.UPLOAD_PUBLIC),
        max_upload=uploads.human_size(settings.max_upload_bytes),
        error=error,
    )


@router.get("/data", response_class=HTMLResponse, include_in_schema=False)
def data_page(request: Request, db: DB, me: Who, settings: AppSettings) -> Response:
    return _data_page(request, db, me, settings)


@router.post("/data/upload", include_in_schema=False)
async def upload_form(request: Request, db: DB, settings: AppSettings) -> Response:
    """The page's upload form (works without JavaScript): back to the data page, with the error if refused."""
    try:
        await accept_upload(request, db, settings)
    except AppError as exc:
        who = getattr(request.state, "principal", None) or getattr(request.state, "unverified", None)
        if who is None or exc.status == 401:
            raise
        db.rollback()
        return _data_page(request, db, who, settings, error=who.t(exc.message, **exc.fields), status=exc.status)
    return RedirectResponse("/data", status_code=303)


@router.post("/data/uploads/{upload_id}/delete", include_in_schema=False)
def delete_upload_form(upload_id: int, request: Request, db: DB, me: Who, settings: AppSettings) -> Response:
    """The page's delete button (after its confirmation): back to the data page, with the error if refused."""
    try:
        request_deletion(db, me, settings, upload_id)
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.rollback()
        return _data_page(request, db, me, settings, error=me.t(exc.message, **exc.fields), status=exc.status)
    return RedirectResponse("/data", status_code=303)

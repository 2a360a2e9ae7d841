"""The organisation's background jobs: list, one job's progress (polled by htmx), cancel and retry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from patnav.app import jobs as job_service
from patnav.app.deps import DB, Page, Who, may
from patnav.app.errors import not_found
from patnav.app.models import Job
from patnav.app.pages import render
from patnav.app.permissions import Action

router = APIRouter()
Manage = may(Action.MANAGE_JOBS)


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": round(job.progress, 4),
        "message": job.message,
        "error": job.error,
        "result": job.result,
        "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "created_at": job.created_at.isoformat(timespec="seconds"),
        "started_at": job.started_at.isoformat(timespec="seconds") if job.started_at else None,
        "finished_at": job.finished_at.isoformat(timespec="seconds") if job.finished_at else None,
    }


def own_job(db: DB, me: Who, job_id: int) -> Job:
    """A job of the person's organisation; another organisation's job is answered as not found."""
    job = db.get(Job, job_id)
    if job is None or job.org_id != me.org.id:
        raise not_found(f"job {job_id}")
    return job


@router.get("/api/v1/jobs", tags=["jobs"])
def list_jobs(db: DB, me: Who, page: Page) -> dict[str, Any]:
    number, size = page
    where = Job.org_id == me.org.id
    total = db.scalar(select(func.count()).select_from(Job).where(where)) or 0
    rows = db.scalars(select(Job).where(where).order_by(Job.id.desc()).offset((number - 1) * size).limit(size))
    return {"items": [job_dict(j) for j in rows], "page": number, "per_page": size, "total": total}


@router.get("/api/v1/jobs/{job_id}", tags=["jobs"])
def get_job(job_id: int, db: DB, me: Who) -> dict[str, Any]:
    return job_dict(own_job(db, me, job_id))


@router.post("/api/v1/jobs/{job_id}/cancel", tags=["jobs"])
def cancel_job(job_id: int, db: DB, me: Manage) -> dict[str, Any]:
    return job_dict(job_service.cancel(db, me.user, own_job(db, me, job_id)))


@router.post("/api/v1/jobs/{job_id}/retry", tags=["jobs"])
def retry_job(job_id: int, db: DB, me: Manage) -> dict[str, Any]:
    return job_dict(job_service.retry(db, me.user, own_job(db, me, job_id)))


@router.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
def jobs_page(request: Request, db: DB, me: Who) -> Response:
    return render(request, "jobs.html.j2", me.lang, me, jobs=list_jobs(db, me, (1, 100))["items"])


@router.get("/jobs/{job_id}/progress", response_class=HTMLResponse, include_in_schema=False)
def job_progress(request: Request, job_id: int, db: DB, me: Who) -> Response:
    """The progress line alone; htmx polls it every second while the job is active."""
    return render(request, "job_progress.html.j2", me.lang, me, job=job_dict(own_job(db, me, job_id)))


@router.post("/jobs/{job_id}/cancel", include_in_schema=False)
def cancel_form(job_id: int, db: DB, me: Manage) -> Response:
    cancel_job(job_id, db, me)
    return RedirectResponse("/jobs", status_code=303)


@router.post("/jobs/{job_id}/retry", include_in_schema=False)
def retry_form(job_id: int, db: DB, me: Manage) -> Response:
    retry_job(job_id, db, me)
    return RedirectResponse("/jobs", status_code=303)

"""Navigation projects (GB/T 39551): list, create (also from a search), run and refresh in the background, read
the interactive report, download PDF/DOCX/XLSX and the project file, share read-only with another organisation.

A web project is the same YAML file the CLI reads, kept at ``<org>/projects/<name>.yaml`` with its runs under
``<org>/projects/<name>/`` (so an analyst can download it and re-run it with ``patnav project run``); the
``projects`` row mirrors its key fields for listing and permissions. Visibility: the owner organisation reads
and writes; an organisation it is shared with reads only; anyone else gets 404, whatever the route.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import shutil
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from patnav.app import accounts
from patnav.app import jobs as job_service
from patnav.app.corpora import SCOPES, corpus_path
from patnav.app.deps import DB, AppSettings, Page, Principal, may
from patnav.app.errors import AppError, forbidden, not_found
from patnav.app.models import Job, Organisation, ProjectRecord, Share
from patnav.app.pages import LANGUAGES, render
from patnav.app.permissions import Action
from patnav.app.settings import Settings
from patnav.app.views.jobs import job_dict
from patnav.i18n import N_
from patnav.navigation.project import LANGS, TYPES, Project, ProjectError, validate

router = APIRouter()
Reader = may(Action.READ_PROJECTS)
Writer = may(Action.WRITE_PROJECTS)

#: GB/T 39551 parts 2–6, as the report names them.
TYPE_LABELS = {
    "regional": N_("Regional planning"),
    "industry": N_("Industrial planning"),
    "enterprise": N_("Business operation"),
    "rnd": N_("R&D activities"),
    "talent": N_("Talent management"),
}
CORPUS_LABELS = {"public": N_("Public corpus"), "org": N_("My organisation's corpus")}
#: What each download is: content type and file suffix (the report's files are ``report.<fmt>`` in a run).
DOWNLOADS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "yaml": "application/yaml; charset=utf-8",
}
#: The report is our own file but carries text from the corpus: its scripts run in a sandbox (no cookies, no
#: same-origin access), whether it is opened directly or in the project page's frame.
REPORT_CSP = "sandbox allow-scripts allow-popups allow-downloads allow-modals"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ACTIVE = job_service.ACTIVE


#: Longest project file accepted from the web (characters): a plan with a long proposal text fits many times.
MAX_YAML = 100_000


class ProjectIn(BaseModel):
    """A new project; ``query`` is in the search query language, ``corpus`` is ``public`` or ``org``."""

    name: str = Field(max_length=64)
    title: str = Field(default="", max_length=300)
    type: str = Field(default="industry", max_length=32)
    query: str = Field(default="", max_length=4000)
    lang: str = Field(default="zh_CN", max_length=8)
    corpus: str = Field(default="public", max_length=16)
    region: str | None = Field(default=None, max_length=8)
    proposal: str | None = Field(default=None, max_length=20000)
    seeds: list[str] = Field(default_factory=list, max_length=2000)
    expand: list[str] = Field(default_factory=list, max_length=3)
    competitors: list[str] = Field(default_factory=list, max_length=50)
    client: str = Field(default="", max_length=200)


class ProjectEdit(BaseModel):
    """The project file's new text (YAML, as ``patnav project`` reads it); the name cannot change."""

    yaml: str = Field(max_length=MAX_YAML)


class ShareIn(BaseModel):
    organisation: str = Field(min_length=1, max_length=63)


# -- where a project's files are ----------------------------------------------------------------------------


def project_file(settings: Settings, org_slug: str, name: str) -> Path:
    """The project's YAML file (the CLI's format)."""
    return settings.org_projects(org_slug) / f"{name}.yaml"


def runs_root(settings: Settings, org_slug: str, name: str) -> Path:
    """The folder with ``runs/<stamp>/`` and ``latest/`` (what ``patnav project run --dir`` writes)."""
    return settings.org_projects(org_slug) / name


def _latest(settings: Settings, rec: ProjectRecord) -> Path:
    return runs_root(settings, rec.org.slug, rec.name) / "latest"


# -- who sees what ------------------------------------------------------------------------------------------


def visible(db: Session, me: Principal, project_id: int) -> tuple[ProjectRecord, bool]:
    """The project and whether it is the person's own organisation's; 404 unless own or shared with it."""
    rec = db.get(ProjectRecord, project_id)
    if rec is None:
        raise not_found(f"project {project_id}")
    if rec.org_id == me.org.id:
        return rec, True
    shared = db.scalar(select(Share.id).where(Share.project_id == rec.id, Share.org_id == me.org.id))
    if shared is None:
        raise not_found(f"project {project_id}")
    return rec, False


def writable(db: Session, me: Principal, project_id: int, action: Action = Action.WRITE_PROJECTS) -> ProjectRecord:
    """A project the person may change: 404 when they cannot see it, 403 when it is shared read-only with them
    or their role does not allow ``action``."""
    rec, own = visible(db, me, project_id)
    if not own or not me.can(action):
        raise forbidden()
    return rec


def _job(db: Session, rec: ProjectRecord) -> Job | None:
    return db.get(Job, rec.last_job_id) if rec.last_job_id else None


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def project_dict(db: Session, me: Principal, settings: Settings, rec: ProjectRecord, own: bool) -> dict[str, Any]:
    """One project as the list and the API show it; the job and the shares only to the owner organisation."""
    latest = _latest(settings, rec)
    out: dict[str, Any] = {
        "id": rec.id,
        "name": rec.name,
        "title": rec.title,
        "type": rec.type,
        "lang": rec.lang,
        "query": rec.query,
        "corpus": rec.corpus,
        "organisation": {"slug": rec.org.slug, "name": rec.org.name},
        "read_only": not own or not me.can(Action.WRITE_PROJECTS),
        "shared_with_me": not own,
        "created_at": _iso(rec.created_at),
        "last_run_at": _iso(rec.last_run_at),
        "has_report": (latest / "report.html").is_file(),
        "downloads": sorted(f for f in ("pdf", "docx", "xlsx") if (latest / f"report.{f}").is_file()),
        "links": {
            "page": f"/projects/{rec.id}",
            "report": f"/projects/{rec.id}/report",
            "yaml": f"/projects/{rec.id}/download/yaml",
        },
    }
    if own:
        job = _job(db, rec)
        out["job"] = job_dict(job) if job is not None else None
        out["shares"] = [
            {"slug": o.slug, "name": o.name}
            for o in db.scalars(
                select(Organisation).join(Share, Share.org_id == Organisation.id).where(Share.project_id == rec.id)
            )
        ]
    return out


def list_projects(db: Session, me: Principal, settings: Settings, page: tuple[int, int]) -> dict[str, Any]:
    """Own projects and those shared with the organisation, newest first."""
    number, size = page
    shared_ids = select(Share.project_id).where(Share.org_id == me.org.id)
    where = or_(ProjectRecord.org_id == me.org.id, ProjectRecord.id.in_(shared_ids))
    total = db.scalar(select(func.count()).select_from(ProjectRecord).where(where)) or 0
    rows = db.scalars(
        select(ProjectRecord).where(where).order_by(ProjectRecord.id.desc()).offset((number - 1) * size).limit(size)
    )
    items = [project_dict(db, me, settings, r, r.org_id == me.org.id) for r in rows]
    return {"items": items, "page": number, "per_page": size, "total": total}


# -- what the project file says and what its runs were -----------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def runs(settings: Settings, rec: ProjectRecord, last: int = 10) -> list[dict[str, Any]]:
    """The last runs, newest first, with what ``patnav project show`` lists for each."""
    folder = runs_root(settings, rec.org.slug, rec.name) / "runs"
    out = []
    for file in sorted(folder.glob("*/report.json"))[-last:][::-1]:
        summary = _read_json(file).get("summary", {})
        stamp = file.parent.name
        try:
            at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").strftime("%Y-%m-%d %H:%M:%S UTC")
        except ValueError:
            at = stamp
        out.append(
            {
                "run": stamp,
                "at": at,
                "publications": summary.get("publications"),
                "as_of": summary.get("as_of"),
                "stage": summary.get("stage"),
                "high_value": len(summary.get("high_value", [])),
            }
        )
    return out


def _plan(settings: Settings, rec: ProjectRecord) -> tuple[Project | None, str]:
    """The project as its file says (the file is the truth: an analyst may have edited it) and its text."""
    from patnav.navigation.project import load_project

    path = project_file(settings, rec.org.slug, rec.name)
    try:
        return load_project(path), path.read_text(encoding="utf-8")
    except (ProjectError, OSError):
        return None, ""


def project_detail(db: Session, me: Principal, settings: Settings, project_id: int) -> dict[str, Any]:
    """Everything the project page shows: the project, its plan (the YAML), data scope, runs and provenance."""
    rec, own = visible(db, me, project_id)
    out = project_dict(db, me, settings, rec, own)
    plan, text = _plan(settings, rec)
    out["plan"] = None
    if plan is not None:
        out["plan"] = {
            "type": plan.type,
            "query": plan.query,
            "seeds": plan.seeds,
            "expand": plan.expand,
            "region": plan.region,
            "lang": plan.lang,
            "as_of": plan.as_of.isoformat() if plan.as_of else None,
            "competitors": plan.competitors,
            "proposal": plan.proposal,
            "rules": plan.rules,
            "top": plan.top,
            "client": plan.client,
        }
    out["yaml"] = text
    out["runs"] = runs(settings, rec)
    latest = _read_json(_latest(settings, rec) / "report.json")
    out["provenance"] = [list(p) for p in latest.get("provenance", [])]
    out["summary"] = latest.get("summary", {})
    return out


# -- changes ------------------------------------------------------------------------------------------------


def _check(body: ProjectIn) -> Project:
    """The project the form or the API describes, each mistake named in the user's language."""
    from patnav.search.query import QuerySyntaxError, parse_query

    name = body.name.strip()
    if not NAME.fullmatch(name):
        raise AppError(
            422,
            "bad_name",
            "A project name is letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit): {value}",
            value=name[:64],
        )
    if body.type not in TYPES:
        raise AppError(422, "bad_type", "Unknown project type: {value}", value=body.type[:32])
    if body.lang not in LANGS:
        raise AppError(422, "bad_lang", "Unknown report language: {value}", value=body.lang[:8])
    if body.corpus not in SCOPES:
        raise AppError(422, "bad_scope", "Unknown corpus: {value} (public or org)", value=body.corpus[:20])
    query = body.query.strip()
    seeds = [s.strip() for s in body.seeds if s.strip()]
    if not query and not seeds:
        raise AppError(422, "no_query", "Give a query that defines the patent set.")
    if query:
        try:
            parse_query(query)
        except QuerySyntaxError as exc:
            raise AppError(422, "bad_query", "The query cannot be read: {problem}", problem=exc.render()) from None
    proposal = (body.proposal or "").strip() or None
    if body.type == "rnd" and not proposal and not seeds:
        raise AppError(422, "no_proposal", "An R&D project needs the idea text it starts from (proposal).")
    project = Project(
        name=name,
        type=body.type,
        title=body.title.strip(),
        query=query or None,
        seeds=seeds,
        expand=list(body.expand),
        region=(body.region or "").strip().upper() or None,
        lang=body.lang,
        competitors=[c.strip() for c in body.competitors if c.strip()],
        proposal=proposal,
        client=body.client.strip(),
    )
    try:
        return validate(project, name)
    except ProjectError as exc:
        raise AppError(422, "bad_project", "The project is not valid: {problem}", problem=str(exc)) from None


def create_project(db: Session, me: Principal, settings: Settings, body: ProjectIn) -> ProjectRecord:
    """Write the project file and its row (name unique within the organisation)."""
    from patnav.navigation.project import save_project

    project = _check(body)
    taken = db.scalar(
        select(ProjectRecord.id).where(ProjectRecord.org_id == me.org.id, ProjectRecord.name == project.name)
    )
    if taken is not None:
        raise AppError(409, "exists", "That already exists: {value}", value=project.name)
    rec = ProjectRecord(
        org_id=me.org.id,
        name=project.name,
        title=project.title[:300],
        type=project.type,
        lang=project.lang,
        query=project.query or "",
        corpus=body.corpus,
        created_by=me.user.id,
    )
    db.add(rec)
    db.flush()  # the unique constraint speaks before the file is written
    save_project(project, project_file(settings, me.org.slug, project.name))
    accounts.audit(db, me.user, "project.create", f"project:{rec.id}", name=rec.name, type=rec.type)
    return rec


def edit_project(db: Session, me: Principal, settings: Settings, project_id: int, text: str) -> ProjectRecord:
    """Replace the project file with ``text`` (the same YAML the CLI reads) once it validates: seeds, expansion,
    competitors, proposal, rules… Its name stays (it names the file and the runs); not while it runs."""
    from patnav.navigation.project import parse_project
    from patnav.search.query import QuerySyntaxError, parse_query

    rec = writable(db, me, project_id)
    running = _job(db, rec)
    if running is not None and running.status in ACTIVE:
        raise AppError(409, "project_running", "This project is already running.")
    if len(text) > MAX_YAML:
        raise AppError(422, "too_long", "The project file is too long (at most {n} characters).", n=MAX_YAML)
    try:
        project = parse_project(text, f"{rec.name}.yaml")
    except ProjectError as exc:
        raise AppError(422, "bad_project", "The project is not valid: {problem}", problem=str(exc)) from None
    if project.name != rec.name:
        raise AppError(
            422, "rename", "A project's name cannot change ({value}): create a new project instead.", value=rec.name
        )
    if project.sample_file:  # a path on the server: only the shell may point a project at a file
        raise AppError(422, "sample_file", "sample_file can only be set from the command line.")
    if project.industry_file:  # likewise a path on the server
        raise AppError(422, "industry_file", "industry_file can only be set from the command line.")
    if project.query:
        try:
            parse_query(project.query)
        except QuerySyntaxError as exc:
            raise AppError(422, "bad_query", "The query cannot be read: {problem}", problem=exc.render()) from None
    path = project_file(settings, rec.org.slug, rec.name)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(project.to_yaml(), encoding="utf-8")
    rec.title, rec.type, rec.lang, rec.query = project.title[:300], project.type, project.lang, project.query or ""
    accounts.audit(db, me.user, "project.edit", f"project:{rec.id}", name=rec.name, type=rec.type)
    try:
        db.commit()  # the row first: a failed commit leaves the old file in place
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return rec


def start_run(db: Session, me: Principal, settings: Settings, project_id: int, *, compare: bool) -> Job:
    """Queue a run (``compare``: a refresh that reports what changed); one run of a project at a time."""
    rec = writable(db, me, project_id)
    running = _job(db, rec)
    if running is not None and running.status in ACTIVE:
        raise AppError(409, "project_running", "This project is already running.")
    path = project_file(settings, rec.org.slug, rec.name)
    if not path.is_file():
        raise AppError(409, "no_project_file", "The project file is missing: {value}", value=f"{rec.name}.yaml")
    corpus = corpus_path(settings, rec.org.slug, rec.corpus)
    if not corpus.is_dir():
        raise AppError(409, "no_corpus", "Your organisation's corpus is empty: upload data first.")
    job = job_service.submit(
        db,
        me.user,
        "project_run",
        {"project_id": rec.id, "file": str(path), "corpus": str(corpus), "compare": compare, "lang": me.lang},
        org_id=rec.org_id,
    )
    rec.last_job_id = job.id
    accounts.audit(db, me.user, "project.refresh" if compare else "project.run", f"project:{rec.id}", job=job.id)
    return job


def delete_project(db: Session, me: Principal, settings: Settings, project_id: int) -> None:
    """Remove the row (its shares go with it) and commit, then the project file and its runs: a failed commit
    leaves the project whole, never a row without its file."""
    rec = writable(db, me, project_id)
    running = _job(db, rec)
    if running is not None and running.status in ACTIVE:
        raise AppError(409, "project_running", "This project is already running.")
    slug, name = rec.org.slug, rec.name
    for share in db.scalars(select(Share).where(Share.project_id == rec.id)):
        db.delete(share)
    db.delete(rec)
    accounts.audit(db, me.user, "project.delete", f"project:{project_id}", name=name)
    db.commit()
    project_file(settings, slug, name).unlink(missing_ok=True)
    shutil.rmtree(runs_root(settings, slug, name), ignore_errors=True)


def share_project(db: Session, me: Principal, project_id: int, slug: str) -> Organisation:
    """Let another organisation read the project (idempotent)."""
    rec = writable(db, me, project_id, Action.SHARE_PROJECTS)
    org = accounts.find_org(db, slug)
    if org is None:
        raise not_found(slug.strip()[:63])
    if org.id == rec.org_id:
        raise AppError(422, "share_self", "A project is always visible to its own organisation.")
    if db.scalar(select(Share.id).where(Share.project_id == rec.id, Share.org_id == org.id)) is None:
        db.add(Share(project_id=rec.id, org_id=org.id, created_by=me.user.id))
        accounts.audit(db, me.user, "project.share", f"project:{rec.id}", organisation=org.slug)
    return org


def unshare_project(db: Session, me: Principal, project_id: int, slug: str) -> None:
    rec = writable(db, me, project_id, Action.SHARE_PROJECTS)
    org = accounts.find_org(db, slug)
    share = (
        db.scalar(select(Share).where(Share.project_id == rec.id, Share.org_id == org.id)) if org is not None else None
    )
    if share is None:
        raise not_found(slug.strip()[:63])
    db.delete(share)
    accounts.audit(db, me.user, "project.unshare", f"project:{rec.id}", organisation=org.slug if org else None)


def _output(db: Session, me: Principal, settings: Settings, project_id: int, fmt: str) -> Response:
    """A file of the latest run (or the project file) with its content type and a download name."""
    if fmt not in DOWNLOADS:
        raise not_found(fmt[:10])
    rec, _own = visible(db, me, project_id)
    yaml = project_file(settings, rec.org.slug, rec.name)
    path = yaml if fmt == "yaml" else _latest(settings, rec) / f"report.{fmt}"
    if not path.is_file():
        raise AppError(404, "not_run", "This project has no report yet: run it first.")
    return FileResponse(path, media_type=DOWNLOADS[fmt], filename=f"{rec.name}.{fmt}")


def _derived(path: Path, suffix: str, make: Callable[[Path, Path], None]) -> Path:
    """``path`` + ``suffix`` beside it, made by ``make(path, tmp)`` on the first request after each run."""
    out = path.with_name(path.name + suffix)
    with suppress(FileNotFoundError):
        if out.stat().st_mtime_ns >= path.stat().st_mtime_ns:
            return out
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    make(path, tmp)
    os.replace(tmp, out)
    return out


def _gzipped(path: Path) -> Path:
    """``path`` compressed beside it (``report.html.gz``)."""

    def make(src_path: Path, tmp: Path) -> None:
        with src_path.open("rb") as src, gzip.open(tmp, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst)

    return _derived(path, ".gz", make)


def _for_the_web(path: Path) -> Path:
    """The report as the platform serves it (``report.html.web``): the Vega libraries, inline in the file so a
    downloaded report works offline, become a reference to the platform's copy, which the browser keeps for a
    year. That is 1 MB of the 2.4 MB page, fetched once instead of with every report."""
    from patnav.app.views.dashboards import bundle_url
    from patnav.report.charts import embed_script

    def make(src_path: Path, tmp: Path) -> None:
        inline = f'<script type="text/javascript">{embed_script()}</script>'
        tmp.write_text(
            src_path.read_text("utf-8").replace(inline, f'<script src="{bundle_url()}"></script>', 1), "utf-8"
        )

    return _derived(path, ".web", make)


def _report(request: Request, db: Session, me: Principal, settings: Settings, project_id: int) -> Response:
    """The latest run's interactive report, gzip-compressed for clients that accept it (a report with its
    charts and their libraries inline is about 2 MB of HTML, a quarter of that compressed)."""
    rec, _own = visible(db, me, project_id)
    path = _latest(settings, rec) / "report.html"
    if not path.is_file():
        raise AppError(404, "not_run", "This project has no report yet: run it first.")
    headers = {"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store", "Vary": "Accept-Encoding"}
    path = _for_the_web(path)
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        path = _gzipped(path)
    # Read here, in the handler's thread: a FileResponse would take a pool thread for every 64 kB it sends.
    return Response(path.read_bytes(), media_type=DOWNLOADS["html"], headers=headers)


# -- API ----------------------------------------------------------------------------------------------------


@router.get("/api/v1/projects", tags=["projects"])
def api_list(db: DB, me: Reader, settings: AppSettings, page: Page) -> dict[str, Any]:
    """Own projects and those shared with the organisation (``read_only`` marks the latter)."""
    return list_projects(db, me, settings, page)


@router.post("/api/v1/projects", status_code=201, tags=["projects"])
def api_create(body: ProjectIn, db: DB, me: Writer, settings: AppSettings) -> dict[str, Any]:
    rec = create_project(db, me, settings, body)
    return project_dict(db, me, settings, rec, True)


@router.get("/api/v1/projects/{project_id}", tags=["projects"])
def api_get(project_id: int, db: DB, me: Reader, settings: AppSettings) -> dict[str, Any]:
    """The project, its plan (the YAML), its last runs, the latest run's provenance (rules, cut-off)."""
    return project_detail(db, me, settings, project_id)


@router.delete("/api/v1/projects/{project_id}", tags=["projects"])
def api_delete(project_id: int, db: DB, me: Reader, settings: AppSettings) -> dict[str, Any]:
    delete_project(db, me, settings, project_id)
    return {"id": project_id, "deleted": True}


@router.post("/api/v1/projects/{project_id}/run", status_code=202, tags=["projects"])
def api_run(project_id: int, db: DB, me: Reader, settings: AppSettings) -> dict[str, Any]:
    """Queue a run; follow it at ``/api/v1/jobs/{job.id}``."""
    return {"project_id": project_id, "job": job_dict(start_run(db, me, settings, project_id, compare=False))}


@router.post("/api/v1/projects/{project_id}/refresh", status_code=202, tags=["projects"])
def api_refresh(project_id: int, db: DB, me: Reader, settings: AppSettings) -> dict[str, Any]:
    """Queue a run whose report opens with what changed since the previous run."""
    return {"project_id": project_id, "job": job_dict(start_run(db, me, settings, project_id, compare=True))}


@router.get("/api/v1/projects/{project_id}/report", response_class=HTMLResponse, tags=["projects"])
def api_report(request: Request, project_id: int, db: DB, me: Reader, settings: AppSettings) -> Response:
    """The latest run's interactive report (a self-contained HTML file)."""
    return _report(request, db, me, settings, project_id)


@router.get("/api/v1/projects/{project_id}/download/{fmt}", tags=["projects"])
def api_download(project_id: int, fmt: str, db: DB, me: Reader, settings: AppSettings) -> Response:
    """``fmt``: pdf, docx, xlsx, html (the latest run's report) or yaml (the project file)."""
    return _output(db, me, settings, project_id, fmt)


@router.put("/api/v1/projects/{project_id}", tags=["projects"])
def api_edit(project_id: int, body: ProjectEdit, db: DB, me: Reader, settings: AppSettings) -> dict[str, Any]:
    """Replace the project file (YAML) after validating it; answers the project as ``GET`` does."""
    edit_project(db, me, settings, project_id, body.yaml)
    return project_detail(db, me, settings, project_id)


@router.get("/api/v1/projects/{project_id}/shares", tags=["projects"])
def api_shares(project_id: int, db: DB, me: Reader, settings: AppSettings) -> dict[str, Any]:
    rec, own = visible(db, me, project_id)
    if not own:
        raise forbidden()
    return {"items": project_dict(db, me, settings, rec, True)["shares"]}


@router.post("/api/v1/projects/{project_id}/shares", status_code=201, tags=["projects"])
def api_share(project_id: int, body: ShareIn, db: DB, me: Reader) -> dict[str, Any]:
    org = share_project(db, me, project_id, body.organisation)
    return {"project_id": project_id, "organisation": org.slug, "shared": True}


@router.delete("/api/v1/projects/{project_id}/shares/{slug}", tags=["projects"])
def api_unshare(project_id: int, slug: str, db: DB, me: Reader) -> dict[str, Any]:
    unshare_project(db, me, project_id, slug)
    return {"project_id": project_id, "organisation": slug, "shared": False}


# -- pages --------------------------------------------------------------------------------------------------


def _suggest_name(query: str) -> str:
    """A file-safe name from a search's words (``tac:(neural network)`` → ``neural-network``)."""
    text = re.sub(r"\[[^\]]*\]|\{[^}]*\}|\b[a-z]+:\s*[<>]=?\s*\S+|\b[a-z]+:", " ", query)
    words = [w.lower() for w in re.findall(r"[A-Za-z0-9]+", text) if w not in ("AND", "OR", "NOT", "TO")]
    name = "-".join(words)[:40].strip("-")
    return name or f"project-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}"


def _form_context(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "values": values,
        "types": [(t, TYPE_LABELS[t]) for t in TYPES],
        "languages": LANGUAGES,
        "corpora": list(CORPUS_LABELS.items()),
    }


@router.get("/projects", response_class=HTMLResponse, include_in_schema=False)
def projects_page(request: Request, db: DB, me: Reader, settings: AppSettings, page: int = 1) -> Response:
    listing = list_projects(db, me, settings, (max(page, 1), 50))
    return render(
        request,
        "projects.html.j2",
        me.lang,
        me,
        listing=listing,
        type_labels=TYPE_LABELS,
        corpus_labels=CORPUS_LABELS,
        can_write=me.can(Action.WRITE_PROJECTS),
    )


@router.get("/projects/new", response_class=HTMLResponse, include_in_schema=False)
def new_project_page(request: Request, me: Writer, q: str = "", scope: str = "public") -> Response:
    """The form; a search links here with ``?q=<query>&scope=<public|org>`` to make a project of its results."""
    q = q[:4000]
    values = {
        "name": _suggest_name(q) if q else "",
        "title": q,
        "type": "industry",
        "query": q,
        "lang": me.lang if me.lang in LANGS else "zh_CN",
        "corpus": scope if scope in SCOPES else "public",
        "region": "",
        "proposal": "",
    }
    return render(request, "project_new.html.j2", me.lang, me, error="", **_form_context(values))


@router.post("/projects", include_in_schema=False)
def create_project_form(
    request: Request,
    db: DB,
    me: Writer,
    settings: AppSettings,
    name: Annotated[str, Form(max_length=64)],
    query: Annotated[str, Form(max_length=4000)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    type: Annotated[str, Form(max_length=32)] = "industry",
    lang: Annotated[str, Form(max_length=8)] = "zh_CN",
    corpus: Annotated[str, Form(max_length=16)] = "public",
    region: Annotated[str, Form(max_length=8)] = "",
    proposal: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    values = {
        "name": name,
        "title": title,
        "type": type,
        "query": query,
        "lang": lang,
        "corpus": corpus,
        "region": region,
        "proposal": proposal,
    }
    try:
        rec = create_project(db, me, settings, ProjectIn(**values))
    except AppError as exc:
        db.rollback()
        message = me.t(exc.message, **exc.fields)
        return render(
            request, "project_new.html.j2", me.lang, me, status=exc.status, error=message, **_form_context(values)
        )
    return RedirectResponse(f"/projects/{rec.id}", status_code=303)


@router.get("/projects/{project_id}", response_class=HTMLResponse, include_in_schema=False)
def project_page(request: Request, project_id: int, db: DB, me: Reader, settings: AppSettings) -> Response:
    return _project_view(request, db, me, settings, project_id)


def _project_view(
    request: Request,
    db: Session,
    me: Principal,
    settings: Settings,
    project_id: int,
    *,
    status: int = 200,
    edit_error: str | None = None,
    edit_text: str | None = None,
) -> Response:
    """The project page; after a refused edit, with the message and the text as the person typed it."""
    detail = project_detail(db, me, settings, project_id)
    return render(
        request,
        "project.html.j2",
        me.lang,
        me,
        status=status,
        edit_error=edit_error,
        edit_text=detail["yaml"] if edit_text is None else edit_text,
        p=detail,
        type_labels=TYPE_LABELS,
        corpus_labels=CORPUS_LABELS,
        can_write=not detail["read_only"],
        can_share=not detail["shared_with_me"] and me.can(Action.SHARE_PROJECTS),
        lang_labels=dict(LANGUAGES),
    )


@router.get("/projects/{project_id}/status", response_class=HTMLResponse, include_in_schema=False)
def project_status(request: Request, project_id: int, db: DB, me: Reader, settings: AppSettings) -> Response:
    """The run line, polled while a run is active; when it ends the page reloads to show the new report."""
    rec, own = visible(db, me, project_id)
    job = _job(db, rec) if own else None
    response = render(
        request, "project_status.html.j2", me.lang, me, p={"id": rec.id}, job=job_dict(job) if job else None
    )
    if job is None or job.status not in ACTIVE:
        response.headers["HX-Refresh"] = "true"
    return response


@router.post("/projects/{project_id}/run", include_in_schema=False)
def run_form(project_id: int, db: DB, me: Reader, settings: AppSettings) -> Response:
    start_run(db, me, settings, project_id, compare=False)
    return RedirectResponse(f"/projects/{project_id}", status_code=303)


@router.post("/projects/{project_id}/refresh", include_in_schema=False)
def refresh_form(project_id: int, db: DB, me: Reader, settings: AppSettings) -> Response:
    start_run(db, me, settings, project_id, compare=True)
    return RedirectResponse(f"/projects/{project_id}", status_code=303)


@router.post("/projects/{project_id}/edit", include_in_schema=False)
def edit_form(
    request: Request,
    project_id: int,
    db: DB,
    me: Reader,
    settings: AppSettings,
    yaml: Annotated[str, Form(max_length=MAX_YAML)],
) -> Response:
    try:
        edit_project(db, me, settings, project_id, yaml)
    except AppError as exc:
        if exc.status not in (409, 422):
            raise
        db.rollback()
        message = me.t(exc.message, **exc.fields)
        return _project_view(
            request, db, me, settings, project_id, status=exc.status, edit_error=message, edit_text=yaml
        )
    return RedirectResponse(f"/projects/{project_id}#plan", status_code=303)


@router.post("/projects/{project_id}/delete", include_in_schema=False)
def delete_form(project_id: int, db: DB, me: Reader, settings: AppSettings) -> Response:
    delete_project(db, me, settings, project_id)
    return RedirectResponse("/projects", status_code=303)


@router.post("/projects/{project_id}/shares", include_in_schema=False)
def share_form(project_id: int, db: DB, me: Reader, organisation: Annotated[str, Form(max_length=63)]) -> Response:
    share_project(db, me, project_id, organisation)
    return RedirectResponse(f"/projects/{project_id}#shares", status_code=303)


@router.post("/projects/{project_id}/shares/{slug}/delete", include_in_schema=False)
def unshare_form(project_id: int, slug: str, db: DB, me: Reader) -> Response:
    unshare_project(db, me, project_id, slug)
    return RedirectResponse(f"/projects/{project_id}#shares", status_code=303)


@router.get("/projects/{project_id}/report", include_in_schema=False)
async def report_page(request: Request, project_id: int, db: DB, me: Reader, settings: AppSettings) -> Response:
    # On the event loop with the search and patent pages (two look-ups and a file read, compressed once per
    # run): in a worker thread it waited for the loop's GIL at every database call, 6 s at the 95th percentile
    # under bench/load.py once the other pages stopped using threads.
    return _report(request, db, me, settings, project_id)


@router.get("/projects/{project_id}/download/{fmt}", include_in_schema=False)
def download_page(project_id: int, fmt: str, db: DB, me: Reader, settings: AppSettings) -> Response:
    return _output(db, me, settings, project_id, fmt)


__all__ = ["project_file", "router", "runs_root", "visible", "writable"]

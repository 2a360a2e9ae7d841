"""Dashboards: a corpus's portfolio indicators grouped by applicant, country, industry, technology field or
filing year, and the action plan's KPI (high-value invention patents per 100 million yuan of operating revenue)
against the target of the ``kpi`` rule file.

Thin on purpose: the figures come from :mod:`patnav.indicators.portfolio` and :mod:`patnav.indicators.kpi` over
the corpus's stored indicator run (``patnav indicators compute``); this module only picks the corpus, checks the
upload, shapes JSON and Vega-Lite specs, and renders the page. The Vega bundle the charts need is served here
too (``/static-vega/vega-bundle.js``: no CDN).
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import tempfile
import threading
import zipfile
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from patnav.app.accounts import audit
from patnav.app.corpora import check_readable, corpus_path
from patnav.app.deps import DB, AppSettings, Principal, may
from patnav.app.errors import AppError, forbidden
from patnav.app.models import Job
from patnav.app.pages import render
from patnav.app.permissions import Action
from patnav.app.settings import Settings
from patnav.i18n import N_
from patnav.indicators.results import StoredRun, indicators_dir, load_run
from patnav.indicators.rules import Rule, load_rule

router = APIRouter()
Viewer = may(Action.DASHBOARDS)

By = Literal["applicant", "country", "industry", "tech-field", "year"]
Scope = Literal["public", "org"]
Scheme = Literal["nace2", "pii"]
DenominatorChoice = Literal["operating_revenue", "operating_profit"]

#: the groupings offered, with the heading each is shown under (msgids)
GROUPINGS: dict[str, str] = {
    "applicant": N_("Applicant"),
    "country": N_("Country / region"),
    "industry": N_("Industry"),
    "tech-field": N_("Technology field"),
    "year": N_("Filing year"),
}
SCOPE_LABELS = {"public": N_("Public corpus"), "org": N_("Our organisation's corpus")}
SCHEME_LABELS = {"nace2": N_("NACE Rev.2 (Eurostat)"), "pii": N_("Patent-intensive industries (placeholder)")}
DENOMINATOR_LABELS = {"operating_revenue": N_("operating revenue"), "operating_profit": N_("operating profit")}
KPI_DEFINITION = N_(
    "High-value invention patents in force at the end of the year, per 100 million yuan of operating revenue"
    " (工信厅联科〔2023〕48号: close to {target} by {target_year} for above-scale manufacturing enterprises in key"
    " fields)."
)
FINANCIALS_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
#: how many applicants the KPI panel lists with their high-value counts when no financials table is given
NUMERATOR_ROWS = 15
_APPLICANT_SCAN = 20_000
#: groups shown when the reader does not say: the largest 15, but every year of a time line
DEFAULT_TOP = 15
ALL_GROUPS = 1000


def default_top(by: str, top: int | None) -> int:
    """``top`` as asked, else 15 groups (every year, up to 1000, when grouping by year)."""
    if top is not None:
        return top
    return ALL_GROUPS if by == "year" else DEFAULT_TOP


_RUN_CACHE_SIZE = 4

# ------------------------------------------------------------------------------------------ corpus and run


_runs: dict[str, tuple[int, StoredRun]] = {}
_runs_lock = threading.Lock()


def stored_run(path: Path) -> StoredRun:
    """The corpus's saved indicator run, kept in memory until ``run.json`` changes (a new compute replaces it).

    Raises ``AppError`` 404 ``no_indicators`` when the corpus has none, 503 while a compute is replacing it.
    """
    from patnav.indicators.results import NoIndicatorsError

    manifest = indicators_dir(path) / "run.json"
    try:
        stamp = manifest.stat().st_mtime_ns
    except FileNotFoundError:
        raise _no_indicators() from None
    key = str(path)
    with _runs_lock:
        cached = _runs.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    try:
        run = load_run(path)
    except NoIndicatorsError:
        raise _no_indicators() from None
    except OSError:  # the run folder is being swapped by a compute finishing right now
        raise AppError(
            503, "indicators_busy", "The indicators of this corpus are being replaced. Try again in a moment."
        ) from None
    with _runs_lock:
        _runs[key] = (stamp, run)
        while len(_runs) > _RUN_CACHE_SIZE:
            _runs.pop(next(iter(_runs)))
    return run


def _no_indicators() -> AppError:
    return AppError(
        404,
        "no_indicators",
        "No indicators have been computed for this corpus yet. Run `patnav indicators compute` for it on the server,"
        " or let an administrator start “Compute indicators” on the Dashboards page.",
    )


def dashboard_corpus(settings: Settings, me: Principal, scope: str) -> Path:
    """The corpus ``scope`` names for this person; 404 ``no_corpus`` when it holds no data yet."""
    from patnav.corpus.store import DB_FILE

    path = corpus_path(settings, me.org.slug, scope)
    if not (path / DB_FILE).is_file():
        if scope == "org":
            raise AppError(
                404, "no_corpus", "Your organisation has no private corpus yet: upload patent files on the Data page."
            )
        raise AppError(404, "no_corpus", "The public corpus holds no data yet: an administrator loads it.")
    check_readable(path)
    return path


def _engine(path: Path) -> Any:
    from patnav.engine import EngineUnavailableError, get_engine

    try:
        return get_engine("duckdb", path)
    except EngineUnavailableError:
        raise AppError(503, "corpus_busy", "This corpus is being updated by a load. Try again in a moment.") from None


def run_info(run: StoredRun, me: Principal) -> dict[str, Any]:
    """What the figures rest on: as-of date, engine, rule versions, references, placeholders and caveats."""
    m = run.manifest
    return {
        "as_of": m.get("as_of"),
        "computed_at": m.get("computed_at"),
        "engine": m.get("engine"),
        "publications": m.get("publications", run.publications.num_rows),
        "rules": dict(sorted((m.get("rules") or {}).items())),
        "references": dict(sorted((m.get("references") or {}).items())),
        "placeholders": list(m.get("placeholders") or []),
        "caveats": [me.t(c) for c in m.get("caveats") or []],
    }


# ------------------------------------------------------------------------------------------ portfolio


def _label(key: str, label: str | None) -> str:
    return f"{key} {label}" if label else key


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)


def portfolio_data(
    settings: Settings, me: Principal, by: str, *, top: int = DEFAULT_TOP, scope: str = "public", scheme: str = "nace2"
) -> dict[str, Any]:
    """The portfolio of the corpus's indicator run grouped ``by``, as JSON-able rows with the run's provenance."""
    from patnav.indicators.portfolio import portfolio

    path = dashboard_corpus(settings, me, scope)
    run = stored_run(path)
    with _engine(path) as engine:
        result = portfolio(engine, run, by, top=top, scheme=scheme, lang=me.lang.split("_")[0])
    rows = [
        {
            "key": r.key,
            "label": r.label,
            "publications": _num(r.publications),
            "in_force": _num(r.in_force),
            "high_value": _num(r.high_value),
            "high_value_share": None if r.high_value_share is None else round(r.high_value_share, 4),
            "breakthrough": _num(r.breakthrough),
            "mean_quality_index_4": r.mean_quality_index_4,
            "mean_fwd_cits5": r.mean_fwd_cits5,
        }
        for r in result.rows
    ]
    if by == "year":  # a time line reads left to right
        rows.sort(key=lambda r: r["key"])
    heading = me.t(GROUPINGS[by])
    notes = []
    if result.missing:
        notes.append(me.t("{n} publications have no {by}", n=f"{_num(result.missing):,}", by=heading))
    if by == "industry":
        notes.append(me.t("Industries count fractionally: a patent in n industries adds 1/n to each."))
    return {
        "by": by,
        "scope": scope,
        "scheme": result.scheme,
        "top": top,
        "groups": result.groups,
        "total": result.total,
        "missing": _num(result.missing),
        "rows": rows,
        "notes": notes,
        "run": run_info(run, me),
        "chart": portfolio_chart(rows, by, heading, me),
    }


def portfolio_chart(rows: list[dict[str, Any]], by: str, heading: str, me: Principal) -> dict[str, Any]:
    """Grouped bars of publications and high-value patents per group (a time line for years)."""
    from patnav.report.charts import styled

    pubs, high = me.t("Publications"), me.t("High-value")
    values = []
    for order, r in enumerate(rows):
        name = _label(r["key"], r["label"])
        name = name if len(name) <= 48 else name[:47] + "…"
        values.append({"group": name, "order": order, "measure": pubs, "value": r["publications"]})
        values.append({"group": name, "order": order, "measure": high, "value": r["high_value"]})
    color = {"field": "measure", "type": "nominal", "title": None, "sort": [pubs, high]}
    tooltip = [{"field": "group", "title": heading}, {"field": "measure", "title": " "}, {"field": "value"}]
    if by == "year":
        encoding = {
            "x": {"field": "group", "type": "ordinal", "title": heading, "sort": {"field": "order"}},
            "xOffset": {"field": "measure", "sort": [pubs, high]},
            "y": {"field": "value", "type": "quantitative", "title": pubs},
        }
        size: dict[str, Any] = {"width": "container", "height": 280}
    else:
        encoding = {
            "y": {"field": "group", "type": "nominal", "title": None, "sort": {"field": "order"}},
            "yOffset": {"field": "measure", "sort": [pubs, high]},
            "x": {"field": "value", "type": "quantitative", "title": pubs},
        }
        size = {"width": "container", "height": {"step": 12}}
    spec = {
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {**encoding, "color": color, "tooltip": tooltip},
        "config": {"legend": {"orient": "top"}},
        **size,
    }
    return styled(spec)


# ------------------------------------------------------------------------------------------ KPI


def rule_dict(rule: Rule) -> dict[str, Any]:
    return {
        "label": rule.label,
        "domain": rule.domain,
        "version": rule.version,
        "title": rule.title,
        "source": rule.source,
        "effective_from": rule.effective_from.isoformat(),
        "verified": rule.verified,
        "placeholder": rule.placeholder,
        "notes": rule.notes,
    }


def kpi_basis(me: Principal) -> dict[str, Any]:
    """The KPI's definition and target as the default ``kpi`` rule file states them (never hard-coded)."""
    rule = load_rule("kpi")
    target, target_year = float(rule.param("target")), int(rule.param("target_year"))
    return {
        "rule": rule_dict(rule),
        "target": target,
        "target_year": target_year,
        "unit_cny": float(rule.param("unit_cny")),
        "denominator": str(rule.params.get("denominator", "operating_revenue")),
        "definition": me.t(KPI_DEFINITION, target=f"{target:g}", target_year=target_year),
    }


def kpi_overview(
    settings: Settings, me: Principal, *, year: int | None = None, scope: str = "public", top: int = NUMERATOR_ROWS
) -> dict[str, Any]:
    """Without financials: the target and definition, and the numerator (high-value patents) per applicant from
    the indicator run, saying what is missing for the KPI itself. A missing corpus or run is reported in
    ``unavailable`` (the target and definition are still worth showing)."""
    from patnav.indicators.portfolio import portfolio

    out: dict[str, Any] = {**kpi_basis(me), "scope": scope, "computed": False}
    out["missing"] = me.t(
        "The KPI needs each enterprise's operating revenue: upload a financials table (CSV or XLSX) below."
    )
    try:
        path = dashboard_corpus(settings, me, scope)
        run = stored_run(path)
        with _engine(path) as engine:
            result = portfolio(engine, run, "applicant", top=_APPLICANT_SCAN)
    except AppError as exc:
        if exc.status not in (404, 503):
            raise
        out |= {"year": year, "run": None, "numerator": [], "unavailable": me.t(exc.message, **exc.fields)}
        return out
    info = run_info(run, me)
    year = year or int(str(info["as_of"])[:4])
    ranked = sorted(result.rows, key=lambda r: (-r.high_value, -r.publications, r.key))[:top]
    out |= {
        "year": year,
        "period_end": dt.date(year, 12, 31).isoformat(),
        "run": info,
        "high_value_rule": info["rules"].get("high_value"),
        "numerator": [
            {
                "applicant": r.key,
                "high_value": _num(r.high_value),
                "in_force": _num(r.in_force),
                "publications": _num(r.publications),
            }
            for r in ranked
        ],
        "unavailable": None,
        "notes": [
            me.t(
                "High-value publications per applicant as the indicator run counts them (every document type, each"
                " publication once); the KPI counts in-force invention patents, one per application."
            )
        ],
    }
    if info["as_of"] != out["period_end"]:
        out["notes"].append(
            me.t(
                "The indicators are as of {as_of}, not the period end {end}: recompute them as of {end} for the"
                " year's figures.",
                as_of=info["as_of"],
                end=out["period_end"],
            )
        )
    return out


def _safe_name(name: str | None) -> str:
    base = Path(name or "financials.csv").name
    return re.sub(r"[^\w.\-]+", "_", base)[:120] or "financials.csv"


async def _save_upload(upload: UploadFile, folder: Path, settings: Settings) -> tuple[Path, str]:
    """Write the upload under ``folder`` (size-limited, CSV/TSV/XLSX only, no zip bomb); its path and name."""
    name = _safe_name(upload.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in FINANCIALS_SUFFIXES:
        raise AppError(415, "bad_type", "A financials table must be a CSV, TSV or XLSX file, not {name}.", name=name)
    limit = settings.max_upload_bytes
    target = folder / f"financials{suffix}"
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise AppError(
                    413, "too_large", "The file is larger than the limit of {limit} MB.", limit=f"{limit / 2**20:g}"
                )
            out.write(chunk)
    if size == 0:
        raise AppError(422, "empty_file", "The file {name} is empty.", name=name)
    head = target.open("rb").read(4)
    if head == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(target) as book:
                unpacked = sum(i.file_size for i in book.infolist())
        except zipfile.BadZipFile:
            raise AppError(422, "bad_financials", "{name} is not a readable XLSX workbook.", name=name) from None
        if unpacked > settings.max_unpacked_bytes or unpacked > 200 * max(size, 1):
            raise AppError(413, "zip_bomb", "{name} unpacks to far more than it weighs; it was refused.", name=name)
    return target, name


async def kpi_from_upload(
    settings: Settings,
    db: Any,
    me: Principal,
    upload: UploadFile,
    *,
    year: int | None,
    denominator: str,
    offices: str,
    scope: str,
) -> dict[str, Any]:
    """The KPI of the enterprises of an uploaded financials table (read for this answer, never stored)."""
    from patnav.indicators.financials import FinancialsError, read_financials
    from patnav.indicators.kpi import KpiError, compute_kpi

    with tempfile.TemporaryDirectory(prefix="patnav-financials-") as tmp:
        path, name = await _save_upload(upload, Path(tmp), settings)
        try:
            enterprises = read_financials(path)
        except FinancialsError as exc:
            raise AppError(
                422, "bad_financials", "The financials table cannot be used: {detail}",
                detail=str(exc).replace(str(path), name),
            ) from None  # fmt: skip
    if year is None:
        years = [e.year for e in enterprises if e.year is not None]
        year = max(years) if years else dt.date.today().year - 1
    office_list = [o.strip().upper() for o in offices.split(",") if o.strip()]
    if any(not re.fullmatch(r"[A-Z]{2}", o) for o in office_list):
        raise AppError(422, "bad_office", "Offices are two-letter codes separated by commas, e.g. CN.")
    corpus = dashboard_corpus(settings, me, scope)
    run = stored_run(corpus)
    rule = load_rule("kpi")
    try:
        with _engine(corpus) as engine:
            result = compute_kpi(
                engine, run, enterprises, year=year, denominator=denominator,  # type: ignore[arg-type]
                rule=rule, offices=office_list or None,
            )  # fmt: skip
    except KpiError as exc:
        raise AppError(422, "bad_kpi", "The KPI cannot be computed: {detail}", detail=str(exc)) from None
    audit(db, me.user, "dashboards.kpi", f"corpus:{scope}", file=name, year=year, enterprises=len(result.enterprises))
    enterprises_out = [
        {
            "name": e.name, "row": e.row, "industry": e.industry, "region": e.region, "above_scale": e.above_scale,
            "denominator_cny": e.denominator_cny,
            "denominator_units": None if e.denominator_cny is None else round(e.denominator_cny / result.unit_cny, 4),
            "patents": e.patents, "in_force_inventions": e.in_force_inventions, "high_value": e.high_value,
            "shared": e.shared, "kpi": e.kpi, "in_force_per_unit": e.in_force_per_unit, "matched": e.matched,
            "reason": e.reason, "name_keys": list(e.name_keys),
        }
        for e in result.enterprises
    ]  # fmt: skip
    aggregates = [
        _aggregate(a, me) for a in (result.overall, result.above_scale, *result.by_industry, *result.by_region)
    ]
    basis = kpi_basis(me)
    return {
        **basis,
        "rule": rule_dict(rule),
        "computed": True,
        "file": name,
        "scope": scope,
        "year": result.year,
        "period_end": result.period_end.isoformat(),
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "denominator": result.denominator,
        "denominator_label": me.t(DENOMINATOR_LABELS[result.denominator]),
        "offices": list(result.offices) if result.offices is not None else None,
        "enterprises": enterprises_out,
        "aggregates": aggregates,
        "overall": aggregates[0],
        "unmatched": list(result.unmatched),
        "high_value_rule": result.high_value_rule,
        "caveats": list(result.caveats),
        "run": run_info(run, me),
        "chart": kpi_chart(enterprises_out, result.target, result.denominator, me),
    }


def _aggregate(a: Any, me: Principal) -> dict[str, Any]:
    group = {
        "overall": me.t("All enterprises"),
        "above_scale": me.t("Above-scale enterprises"),
        "industry": me.t("Industry"),
        "region": me.t("Region"),
    }[a.group]
    return {
        "group": a.group, "group_label": group, "key": a.key, "enterprises": a.enterprises, "counted": a.counted,
        "high_value": a.high_value, "in_force_inventions": a.in_force_inventions,
        "denominator_cny": a.denominator_cny, "kpi": a.kpi, "in_force_per_unit": a.in_force_per_unit,
        "distance_to_target": a.distance_to_target,
    }  # fmt: skip


def kpi_chart(enterprises: list[dict[str, Any]], target: float, denominator: str, me: Principal) -> dict[str, Any]:
    """Each enterprise's KPI as a bar, the target as a rule (only on the plan's denominator, revenue)."""
    from patnav.report.charts import styled

    kpi = me.t("KPI")
    values = [{"enterprise": e["name"], "kpi": e["kpi"]} for e in enterprises if e["kpi"] is not None]
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": values},
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "y": {"field": "enterprise", "type": "nominal", "title": None, "sort": "-x"},
                "x": {"field": "kpi", "type": "quantitative", "title": kpi},
            },
        }
    ]
    if denominator == "operating_revenue":
        label = me.t("Target {target}", target=f"{target:g}")
        layers.append(
            {
                "data": {"values": [{"target": target, "label": label}]},
                "layer": [
                    {"mark": {"type": "rule", "color": "#b42318", "strokeDash": [4, 3]},
                     "encoding": {"x": {"field": "target", "type": "quantitative"}}},
                    {"mark": {"type": "text", "color": "#b42318", "align": "left", "dx": 4, "dy": -4, "y": 0},
                     "encoding": {"x": {"field": "target", "type": "quantitative"}, "text": {"field": "label"}}},
                ],
            }
        )  # fmt: skip
    return styled({"layer": layers, "width": "container", "height": {"step": 18}})


# ------------------------------------------------------------------------------------------ indicators job


def _compute_action(scope: str) -> Action:
    return Action.UPLOAD_PUBLIC if scope == "public" else Action.UPLOAD


def submit_indicators(settings: Settings, db: Any, me: Principal, scope: str) -> Job:
    """Queue an ``indicators`` job for the corpus (administrators for the public corpus; for the organisation's
    own corpus, whoever may upload into it). One at a time per corpus."""
    from patnav.app import jobs as job_service
    from patnav.app.jobs import ACTIVE

    if not me.can(_compute_action(scope)):
        raise forbidden()
    path = corpus_path(settings, me.org.slug, scope)
    from patnav.corpus.store import DB_FILE

    if not (path / DB_FILE).is_file():
        dashboard_corpus(settings, me, scope)  # raises the no-corpus message
    for job in db.scalars(select(Job).where(Job.kind == "indicators", Job.status.in_(ACTIVE))):
        if (job.params or {}).get("corpus") == str(path):
            raise AppError(
                409, "job_running", "Indicators are already being computed for this corpus (job {id}).", id=job.id
            )
    return job_service.submit(db, me.user, "indicators", {"corpus": str(path), "scope": scope})


@router.post("/api/v1/dashboards/indicators", tags=["dashboards"], status_code=202)
def compute_indicators_api(db: DB, settings: AppSettings, me: Viewer, scope: Scope = "public") -> dict[str, Any]:
    """Start computing the corpus's indicators as a background job; poll ``/api/v1/jobs/{id}``."""
    from patnav.app.views.jobs import job_dict

    return job_dict(submit_indicators(settings, db, me, scope))


@router.post("/dashboards/indicators", include_in_schema=False)
def compute_indicators_form(
    db: DB, settings: AppSettings, me: Viewer, scope: Annotated[Scope, Form()] = "public"
) -> Response:
    job = submit_indicators(settings, db, me, scope)
    return RedirectResponse(f"/jobs#job-{job.id}", status_code=303)


# ------------------------------------------------------------------------------------------ endpoints


@router.get("/api/v1/dashboards/portfolio", tags=["dashboards"])
def portfolio_api(
    settings: AppSettings,
    me: Viewer,
    by: By = "applicant",
    top: Annotated[int | None, Query(ge=1, le=1000, description="groups (default 15; every year for by=year)")] = None,
    scope: Scope = "public",
    scheme: Scheme = "nace2",
) -> dict[str, Any]:
    """Indicators of the corpus's stored run per group: publications, in force, high-value, breakthrough, mean
    quality index and forward citations, with the run's as-of date, rule versions, placeholders and caveats.
    Groups are the largest by publications (years are listed in order)."""
    return portfolio_data(settings, me, by, top=default_top(by, top), scope=scope, scheme=scheme)


@router.get("/api/v1/dashboards/kpi", tags=["dashboards"])
def kpi_api(
    settings: AppSettings,
    me: Viewer,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    scope: Scope = "public",
    top: Annotated[int, Query(ge=1, le=200)] = NUMERATOR_ROWS,
) -> dict[str, Any]:
    """The KPI's target and definition (from the kpi rule file) and the high-value count per applicant; the KPI
    itself needs operating revenue: POST a financials table to this address."""
    return kpi_overview(settings, me, year=year, scope=scope, top=top)


@router.post("/api/v1/dashboards/kpi", tags=["dashboards"])
async def kpi_upload_api(
    settings: AppSettings,
    db: DB,
    me: Viewer,
    file: Annotated[UploadFile, File(description="CSV/TSV/XLSX: enterprise name, year, operating revenue…")],
    year: Annotated[int | None, Form(ge=1900, le=2200)] = None,
    denominator: Annotated[DenominatorChoice, Form()] = "operating_revenue",
    offices: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[Scope, Form()] = "public",
) -> dict[str, Any]:
    """The KPI per enterprise of the uploaded financials table, with aggregates, against the 2027 target."""
    return await kpi_from_upload(
        settings, db, me, file, year=year, denominator=denominator, offices=offices, scope=scope
    )


def _page(
    request: Request,
    settings: Settings,
    me: Principal,
    *,
    by: str,
    top: int | None,
    scope: str,
    scheme: str,
    year: int | None = None,
    kpi: dict[str, Any] | None = None,
    kpi_error: str | None = None,
    status: int = 200,
) -> Response:
    """The dashboards page; an htmx request for one panel (HX-Target) computes only that panel."""
    target = request.headers.get("hx-target", "") if request.headers.get("hx-request") else ""
    portfolio: dict[str, Any] | None = None
    unavailable: dict[str, Any] | None = None
    if target != "kpi-panel":
        try:
            portfolio = portfolio_data(settings, me, by, top=default_top(by, top), scope=scope, scheme=scheme)
        except AppError as exc:
            if exc.code not in ("no_corpus", "no_indicators", "corpus_busy", "indicators_busy"):
                raise
            unavailable = {
                "code": exc.code,
                "message": me.t(exc.message, **exc.fields),
                "can_compute": exc.code == "no_indicators" and me.can(_compute_action(scope)),
            }
    if target != "dash-body" and kpi is None:
        kpi = kpi_overview(settings, me, year=year, scope=scope)
    return render(
        request, "dashboards.html.j2", me.lang, me, status=status,
        groupings=GROUPINGS, scopes=SCOPE_LABELS, schemes=SCHEME_LABELS, denominators=DENOMINATOR_LABELS,
        by=by, top=top, scope=scope, scheme=scheme, portfolio=portfolio, unavailable=unavailable, kpi=kpi,
        kpi_error=kpi_error, bundle_url=bundle_url(), max_upload_mb=f"{settings.max_upload_bytes / 2**20:g}",
    )  # fmt: skip


@router.get("/dashboards", response_class=HTMLResponse, include_in_schema=False)
def dashboards_page(
    request: Request,
    settings: AppSettings,
    me: Viewer,
    by: By = "applicant",
    top: Annotated[str, Query(max_length=6, description="groups shown; empty: the default")] = "",
    scope: Scope = "public",
    scheme: Scheme = "nace2",
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> Response:
    """The page; the form sends ``top`` empty for "the default", and a number outside 1–1000 means the same."""
    shown = int(top) if top.strip().isdigit() and 1 <= int(top) <= ALL_GROUPS else None
    return _page(request, settings, me, by=by, top=shown, scope=scope, scheme=scheme, year=year)


@router.post("/dashboards/kpi", response_class=HTMLResponse, include_in_schema=False)
async def kpi_form(
    request: Request,
    settings: AppSettings,
    db: DB,
    me: Viewer,
    file: Annotated[UploadFile, File()],
    year: Annotated[str, Form(max_length=10)] = "",
    denominator: Annotated[DenominatorChoice, Form()] = "operating_revenue",
    offices: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[Scope, Form()] = "public",
) -> Response:
    """The KPI form: the page with the KPI of the uploaded table, or with the reason it cannot be computed."""
    kpi: dict[str, Any] | None = None
    error: str | None = None
    status = 200
    try:
        wanted = int(year) if year.strip() else None
        if wanted is not None and not 1900 <= wanted <= 2200:
            raise ValueError
    except ValueError:
        wanted, error, status = None, me.t("The year must be a number such as 2024."), 422
    if error is None:
        try:
            kpi = await kpi_from_upload(
                settings, db, me, file, year=wanted, denominator=denominator, offices=offices, scope=scope
            )
        except AppError as exc:
            if exc.status >= 500 or exc.status in (401, 403):
                raise
            error, status = me.t(exc.message, **exc.fields), exc.status
    if request.headers.get("hx-request"):
        status = 200  # htmx swaps only successful answers; the error is shown in the panel
    return _page(
        request, settings, me, by="applicant", top=None, scope=scope, scheme="nace2", kpi=kpi, kpi_error=error,
        status=status,
    )  # fmt: skip


# ------------------------------------------------------------------------------------------ Vega bundle


@cache
def _bundle() -> tuple[bytes, bytes]:
    """The Vega bundle as bytes, plain and gzipped, built once per process."""
    from patnav.report.charts import embed_script

    raw = embed_script().encode("utf-8")
    return raw, gzip.compress(raw, 6)


@cache
def bundle_url() -> str:
    """The bundle's address, versioned by the vl-convert release so a long cache stays correct on upgrade."""
    try:
        import vl_convert

        version = getattr(vl_convert, "__version__", "1")
    except ImportError:  # pragma: no cover - vl-convert is a dependency
        version = "0"
    return f"/static-vega/vega-bundle.js?v={version}"


@router.get("/static-vega/vega-bundle.js", include_in_schema=False)
def vega_bundle(request: Request) -> Response:
    """vega + vega-lite + vega-embed (from the vl-convert wheel), cached a year by the browser."""
    raw, packed = _bundle()
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="application/javascript", headers=headers)
    return Response(raw, media_type="application/javascript", headers=headers)

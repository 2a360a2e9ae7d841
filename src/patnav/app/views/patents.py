"""One patent: every field of its record, its indicators with what each value means (or why it is missing),
its legal events, its citations both ways and its family, and its citation map (drawn when the reader scrolls
to it). The page and ``/api/v1/patents/{number}`` call the same :func:`patent_record`; the record comes from
:meth:`patnav.corpus.store.Corpus.publication`, the citing patents and family members from
:func:`patnav.indicators.explain.inputs`, the indicators from the corpus's saved run. Numbers may be typed
loosely (``US 7,197,497 B2``): :meth:`Corpus.find_publication_number` resolves them; a number the corpus lacks
answers 404.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from patnav.app.corpora import corpus_path
from patnav.app.deps import AppSettings, Principal, may
from patnav.app.encode import plain
from patnav.app.errors import AppError
from patnav.app.pages import render
from patnav.app.permissions import Action
from patnav.app.searchers import Entry, indicator_run, searcher
from patnav.app.views.search import ScopeParam, error_page, search_url
from patnav.corpus.store import RECORD_SECTIONS
from patnav.engine.base import rewrite_placeholders
from patnav.i18n import catalogue, current_lang, gettext
from patnav.indicators.sql import KIND_SUFFIX

router = APIRouter()
Reading = may(Action.SEARCH)

#: Record fields shown in their own sections rather than in the bibliography list.
SECTIONS = RECORD_SECTIONS | {"abstract", "extras"}
MAX_LINKED = 2000


class _Rows:
    """The one method of an engine that :func:`patnav.indicators.explain.inputs` calls, on the connection the
    cached searcher already holds (no second DuckDB connection per request)."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(rewrite_placeholders(sql, "$"), dict(params or {})).fetchall()


def _in_corpus(con: Any, numbers: list[str]) -> dict[str, str]:
    """For each cited or family number, the stored publication it names (exact, else the same number of
    another kind), for the ones the corpus holds."""
    wanted = sorted({n for n in numbers if n})[:MAX_LINKED]
    if not wanted:
        return {}
    rows = con.execute(
        f"""WITH c AS (SELECT unnest($wanted) AS n)
            SELECT c.n, p.publication_number, 0 AS exact_rank, p.publication_date FROM c
              JOIN publications p ON p.publication_number = c.n
            UNION ALL
            SELECT c.n, p.publication_number, 1, p.publication_date FROM c
              JOIN publications p ON p.country || p.doc_number = regexp_replace(c.n, '{KIND_SUFFIX}', '')
            ORDER BY 1, 3, 4 DESC NULLS LAST, 2""",
        {"wanted": wanted},
    ).fetchall()
    out: dict[str, str] = {}
    for n, found, _rank, _date in rows:
        out.setdefault(n, found)
    return out


@functools.cache
def _reverse(lang: str) -> dict[str, str]:
    return {v: k for k, v in catalogue(lang).items()}


def _msgid(text: str) -> str:
    """The English msgid of a definition that :func:`definitions` returned in the process's language."""
    lang = current_lang()
    return text if lang == "en" else _reverse(lang).get(text, text)


def _shown(key: str, value: Any, labels: dict[str, Any], me: Principal) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return me.t("yes") if value else me.t("no")
    if isinstance(value, float):
        return f"{value:.4f}"
    if key == "tech_field":
        names = labels.get("wipo35", {}).get(str(value), {})
        label = names.get(me.lang.split("_")[0]) or names.get("en")
        return f"{value} ({label})" if label else str(value)
    if key == "hv_evidence":
        try:
            return json.dumps(json.loads(value), ensure_ascii=False)
        except (TypeError, ValueError):
            return str(value)
    if key == "status":
        return me.t(str(value))
    return str(value) if not hasattr(value, "isoformat") else value.isoformat()


def _at(positions: dict[str, list[int]], number: str) -> pa.Array:
    return pa.array(positions.get(number, []), type=pa.int64())


@functools.cache
def _meanings(lang: str) -> dict[str, str]:
    """Indicator column → its one-line definition in ``lang``."""
    from patnav.indicators.explain import definitions

    return {k: gettext(_msgid(v), lang) for k, v in definitions().items()}


def _indicators(path: Any, number: str, me: Principal) -> dict[str, Any]:
    """The publication's indicators with each value's meaning, or why a value (or the whole run) is missing."""
    loaded = indicator_run(path)
    if loaded is None:
        return {"available": False, "reason": me.t("No indicators were computed for this corpus yet."), "items": []}
    row_at = loaded.rows.get(number)
    if row_at is None:
        return {
            "available": False,
            "reason": me.t("This publication was loaded after the last indicator run."),
            "items": [],
        }
    run = loaded.run
    row = run.publications.slice(row_at, 1).to_pylist()[0]
    reasons: dict[str, list[str]] = {}
    for r in run.missing.take(_at(loaded.missing, number)).to_pylist():
        reasons.setdefault(r["indicator"], []).append(me.t(r["reason"]))
    labels = run.manifest.get("labels", {})
    meanings = _meanings(me.lang)
    items = []
    for key, value in row.items():
        if key in ("publication_number", "country", "doc_type", "stage"):
            continue
        items.append(
            {
                "name": key,
                "value": value,
                "shown": _shown(key, value, labels, me),
                "meaning": meanings.get(key, ""),
                "missing": reasons.get(key, []) if value is None else [],
            }
        )
    lang = me.lang.split("_")[0]
    industries = []
    for r in run.industries.take(_at(loaded.industries, number)).to_pylist():
        names = labels.get(r["scheme"], {}).get(r["code"], {})
        industries.append({**r, "label": names.get(lang) or names.get("en")})
    manifest = run.manifest
    return {
        "available": True,
        "as_of": manifest.get("as_of"),
        "computed_at": manifest.get("computed_at"),
        "rules": manifest.get("rules", []),
        "caveats": [me.t(c) for c in manifest.get("caveats", [])],
        "placeholders": manifest.get("placeholders", []),
        "items": items,
        "industries": industries,
    }


@dataclass(frozen=True, slots=True)
class _Read:
    """What the corpus says about one publication: its record, the publications citing it (with their dates),
    its IPC/CPC subclasses, its family members, and the stored publication each linked number names."""

    number: str
    record: dict[str, Any]
    citing: list[Any]
    subclasses: list[Any]
    family: list[str]
    linked: dict[str, str]


def _stored(number: str, doc: dict[str, Any]) -> _Read:
    return _Read(number, doc["record"], doc["citing"], doc["subclasses"], doc["family"], doc["linked"])


def _read(entry: Entry, text: str) -> _Read:
    """The publication ``text`` names: from the corpus's record store when it is current (one row), else from
    the corpus itself (the same answer; :mod:`patnav.search.records`); 404 when the corpus has none."""
    from patnav.indicators.explain import inputs
    from patnav.model.numbers import PatentNumberError, parse_publication_number

    corpus = entry.searcher.corpus
    store = entry.records
    if store is not None and text:  # the number as typed is usually the stored one: no corpus look-up
        try:
            exact = str(parse_publication_number(text))
        except PatentNumberError:
            exact = ""
        if exact and (doc := store.get(exact)) is not None:
            return _stored(exact, doc)
    found = corpus.find_publication_number(text) if text else None
    if found is not None and store is not None and (doc := store.get(found)) is not None:
        return _stored(found, doc)
    record = corpus.publication(found) if found else None
    if found is None or record is None:
        raise AppError(404, "unknown_patent", "There is no publication {number} in this corpus.", number=text)
    raw = inputs(_Rows(corpus.con), found, limit=MAX_LINKED)  # type: ignore[arg-type]
    cited_numbers = [c.get("cited_number") or c.get("cited_number_raw") for c in record["citations"]]
    family_numbers = set(raw.family) | {f["publication_number"] for f in record["family"]}
    family_numbers.discard(found)
    family = sorted(family_numbers)
    linked = _in_corpus(corpus.con, [n for n in cited_numbers if n] + family)
    return _Read(found, record, raw.citing, raw.subclasses, family, linked)


def patent_record(settings: Any, me: Principal, number: str, scope: str) -> dict[str, Any]:
    """Everything the platform knows about one publication of the chosen corpus."""
    path = corpus_path(settings, me.org.slug, scope)
    text = (number or "").strip()[:60]
    with searcher(path, scope) as entry:
        got = entry.remembered(f"patent:{text}", lambda: _read(entry, text))
    found, record, linked = got.number, got.record, got.linked
    scope_arg = scope if scope != "public" else None
    cites = []
    for c in record["citations"]:
        n = c.get("cited_number") or c.get("cited_number_raw")
        target = linked.get(n) if n and not c.get("is_npl") else None
        cites.append(
            {
                "cited_number": c.get("cited_number"),
                "cited_number_raw": c.get("cited_number_raw"),
                "is_npl": bool(c.get("is_npl")),
                "npl_text": c.get("npl_text"),
                "category": c.get("category"),
                "origin": c.get("origin"),
                "cited_date": c.get("cited_date"),
                "in_corpus": target,
                "url": search_url(f"/patents/{target}", scope=scope_arg) if target else None,
            }
        )
    cited_by = [
        {"publication_number": n, "date": d, "url": search_url(f"/patents/{n}", scope=scope_arg)} for n, d in got.citing
    ]
    family_types = {f["publication_number"]: f.get("family_type") for f in record["family"]}
    family = [
        {
            "publication_number": n,
            "family_type": family_types.get(n),
            "in_corpus": linked.get(n),
            "url": search_url(f"/patents/{linked[n]}", scope=scope_arg) if n in linked else None,
        }
        for n in got.family
    ]
    bibliography = {k: v for k, v in record.items() if k not in SECTIONS}
    return plain(
        {
            "publication_number": found,
            "requested": text,
            "scope": scope,
            "bibliography": bibliography,
            "record": record,
            "citations": {"cites": cites, "cited_by": cited_by},
            "family": family,
            "legal_events": record["legal_events"],
            "indicators": _indicators(path, found, me),
            "ipc_subclasses": got.subclasses,
        }
    )


@router.get("/api/v1/patents/{number}", tags=["patents"])
def patent_api(number: str, settings: AppSettings, me: Reading, scope: ScopeParam = "public") -> dict[str, Any]:
    """One publication with every field, its indicators (with meanings), legal events, citations and family."""
    return patent_record(settings, me, number, scope)


@router.get("/patents/{number}", response_class=HTMLResponse, include_in_schema=False)
async def patent_page(  # on the event loop, as the search page (see there)
    request: Request, number: str, settings: AppSettings, me: Reading, scope: ScopeParam = "public"
) -> Response:
    try:
        data = patent_record(settings, me, number, scope)
    except AppError as exc:
        return error_page(request, me, exc)
    return render(request, "patent.html.j2", me.lang, me, p=data, scope=scope)


# -- the citation map -----------------------------------------------------------------------------------------

#: generations drawn each way on the patent page (the CLI's ``patnav citations map`` draws more on request)
MAP_GENERATIONS = 2
MAP_MAX_NODES = 120


def citation_map_of(settings: Any, me: Principal, number: str, scope: str) -> dict[str, Any]:
    """The publication's citation map (two generations back and forward) as nodes, edges and an SVG drawing in
    the reader's language; kept with the open searcher, so each map is drawn once per corpus state."""
    from patnav.analysis.citations import citation_map
    from patnav.engine import get_engine
    from patnav.navigation.citation_map import map_notes, map_spec
    from patnav.report.charts import styled, to_svg

    path = corpus_path(settings, me.org.slug, scope)
    text = (number or "").strip()[:60]
    key = f"citation-map:{text}:{me.lang}"
    with searcher(path, scope) as entry:
        found = entry.kept.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    try:
        with get_engine("duckdb", path) as engine:
            cmap = citation_map(engine, text, back=MAP_GENERATIONS, forward=MAP_GENERATIONS, max_nodes=MAP_MAX_NODES)
    except LookupError:
        raise AppError(404, "unknown_patent", "There is no publication {number} in this corpus.", number=text) from None
    scope_arg = scope if scope != "public" else None
    drawn = {
        "publication_number": cmap.root,
        "nodes": [
            {
                "publication_number": n.publication_number,
                "generation": n.generation,
                "in_corpus": n.loaded,
                "title": n.title,
                "applicant": n.applicant,
                "date": n.date.isoformat() if n.date else None,
                "url": search_url(f"/patents/{n.publication_number}", scope=scope_arg) if n.loaded else None,
            }
            for n in cmap.nodes
        ],
        "edges": [{"citing": e.citing, "cited": e.cited} for e in cmap.edges],
        "notes": map_notes(cmap, me.lang),
        "svg": to_svg(styled(map_spec(cmap, me.lang))) if len(cmap.nodes) > 1 else None,
    }
    with searcher(path, scope) as entry:
        return entry.remembered(key, lambda: drawn)


@router.get("/api/v1/patents/{number}/citation-map", tags=["patents"])
def citation_map_api(number: str, settings: AppSettings, me: Reading, scope: ScopeParam = "public") -> dict[str, Any]:
    """The publication's citation map: two generations of what it cites and what cites it, with an SVG."""
    return citation_map_of(settings, me, number, scope)


@router.get("/patents/{number}/citation-map", response_class=HTMLResponse, include_in_schema=False)
def citation_map_fragment(
    request: Request, number: str, settings: AppSettings, me: Reading, scope: ScopeParam = "public"
) -> Response:
    """The map drawn, for the patent page (loaded when the reader scrolls to it)."""
    try:
        drawn = citation_map_of(settings, me, number, scope)
    except AppError as exc:
        return error_page(request, me, exc)
    svg = base64.b64encode(drawn["svg"].encode()).decode() if drawn["svg"] else ""
    return render(request, "_citation_map.html.j2", me.lang, me, m=drawn, svg_base64=svg)

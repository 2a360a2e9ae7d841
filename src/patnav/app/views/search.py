"""Search: the query language, the semantic box and both together (hybrid), with facets, family grouping and
pagination, over the public corpus or the organisation's own. The page and ``/api/v1/search`` call the same
:func:`run_search`; the ranking, the snippets and the reasons come from :class:`patnav.search.api.Searcher`.

A malformed query answers 422 with the column where it went wrong (the page shows it inline, the API as JSON
with ``position``). With htmx the form and the facet/page links replace only the result list (``#results``)
and push the address; without JavaScript the form is a plain GET form and every link a plain link.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from patnav.app.corpora import corpus_path
from patnav.app.deps import AppSettings, Page, Principal, may, paginate
from patnav.app.errors import AppError
from patnav.app.pages import render
from patnav.app.permissions import Action
from patnav.app.searchers import search_model, searcher
from patnav.search.query import QuerySyntaxError, parse_query

router = APIRouter()
Searching = may(Action.SEARCH)

MAX_SEMANTIC = 2000
FACETS = ("applicant", "ipc", "year", "country", "status", "source_status")

# -- what the search layer says, in the reader's language -------------------------------------------------------

#: Reasons a hit was found (``SearchHit.why``): English prefix → msgid with the rest as ``{value}``.
_WHY_PREFIX = (
    ("matched: ", "matched: {value}"),
    ("similarity ", "similarity {value}"),
    ("shared terms: ", "shared terms: {value}"),
)
_WHY_EXACT = ("passed the filters", "matched the query in claims or description")
_NOTES = (
    (
        re.compile(r"^the corpus changed since the index was built"),
        "The corpus changed since its search index was built: the newest records appear once the index job has run.",
    ),
    (re.compile(r"^every hit passed the filters (?P<value>.*)$", re.S), "Every hit passed the filters {value}."),
    (
        re.compile(r"^no vectors for model (?P<value>\S+)"),
        "No vectors for model {value} yet: results are lexical only.",
    ),
)
#: The parser's messages whose words vary (the fixed ones are msgids themselves).
_PROBLEMS = (
    (
        re.compile(r"^missing '\)' to close the '\(' at column (?P<value>\d+)$"),
        "missing ')' to close the '(' at column {value}",
    ),
    (re.compile(r"^unknown field '(?P<value>[^']*)' \(fields: .*\)$"), "unknown field '{value}'"),
    (re.compile(r"^unexpected '(?P<value>.*)'$", re.S), "unexpected '{value}'"),
    (re.compile(r"^'(?P<value>[^']*)' needs a term after it"), "'{value}' needs a term after it"),
    (re.compile(r"^'(?P<value>[^']*)' needs a term before it$"), "'{value}' needs a term before it"),
    (re.compile(r"^'(?P<value>[^']*):' needs a value after it$"), "'{value}:' needs a value after it"),
    (re.compile(r"^unclosed range: expected '(?P<value>.)'$"), "unclosed range: expected '{value}'"),
    (
        re.compile(r"^(?P<value>'.*') is not an IPC/CPC symbol"),
        "{value} is not an IPC/CPC symbol or prefix (e.g. G06N, G06N3, G06N3/08)",
    ),
)


def _matched(table: Any, text: str, me: Principal) -> str | None:
    for rx, msgid in table:
        m = rx.search(text)
        if m:
            return me.t(msgid, value=m.group("value"))
    return None


def reason(text: str, me: Principal) -> str:
    """One of the search layer's reasons (``why``) in the reader's language."""
    if text in _WHY_EXACT:
        return me.t(text)
    for prefix, msgid in _WHY_PREFIX:
        if text.startswith(prefix):
            return me.t(msgid, value=text[len(prefix) :])
    return text


def note(text: str, me: Principal) -> str:
    return _matched(_NOTES, text, me) or me.t(text)


def problem(exc: QuerySyntaxError, me: Principal) -> str:
    """The parser's complaint in the reader's language (the fixed messages are msgids; the others patterns)."""
    translated = me.t(exc.message)
    if translated != exc.message:
        return translated
    return _matched(_PROBLEMS, exc.message, me) or exc.message


def safe_snippet(text: str | None) -> str:
    """HTML of a snippet in which only ``<mark>``/``</mark>`` survive: everything else from the patent is escaped.

    The text index hands escaped HTML with marks, the semantic side plain titles: unescaping first and
    escaping everything again treats both alike (and never double-escapes).
    """
    if not text:
        return ""
    escaped = html.escape(html.unescape(text), quote=True)
    return escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")


class BadQuery(AppError):
    """A query the parser cannot read: 422 with the 0-based ``position`` of the offending character."""

    def __init__(self, exc: QuerySyntaxError, me: Principal) -> None:
        super().__init__(
            422,
            "bad_query",
            "The query cannot be read at column {column}: {problem}",
            column=exc.position + 1,
            problem=problem(exc, me),
        )
        self.position = exc.position
        self.query = exc.query
        self.text = me.t(self.message, **self.fields)


# -- the search -------------------------------------------------------------------------------------------------


def _has_or(q: str) -> bool:
    return bool(re.search(r"(^|\s)(OR|\|\||或)(\s|$)", q))


def with_filter(q: str | None, clause: str) -> str:
    """``q`` narrowed by one more filter clause (parenthesised when ``q`` has a top-level OR)."""
    q = (q or "").strip()
    if not q:
        return clause
    return f"({q}) {clause}" if _has_or(q) else f"{q} {clause}"


def facet_clause(name: str, value: str) -> str:
    """The query-language filter a facet value stands for."""
    bare = value.replace('"', " ").strip()
    if name == "applicant":
        return f'pa:"{bare}"'
    if name == "ipc":
        return f"ipc:{bare.replace(' ', '')}"
    if name == "year":
        return f"pd:[{bare} TO {bare}]"
    if name == "country":
        return f"cc:{bare}"
    return f'status:"{bare.lower()}"'


def search_url(base: str, **params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return f"{base}?{urlencode(kept)}" if kept else base


def run_search(
    settings: Any,
    me: Principal,
    q: str | None,
    semantic: str | None,
    scope: str,
    page: int,
    per_page: int,
    group: str | None,
    base: str = "/search",
) -> dict[str, Any]:
    """Search one corpus and shape the answer for the page and the API alike (hits, facets, notes, links).

    Facet and page links go to ``base`` (the page, or the API endpoint for API answers).
    """
    q = (q or "").strip() or None
    semantic = (semantic or "").strip() or None
    if group not in (None, "", "family"):
        raise AppError(422, "bad_group", "group takes one value: family")
    grouped = group == "family"
    path = corpus_path(settings, me.org.slug, scope)
    if not q and not semantic:
        raise AppError(422, "empty_search", "Type a query, a text to search by meaning, or both.")
    if semantic and len(semantic) > MAX_SEMANTIC:
        raise AppError(422, "too_long", "The text to search by meaning is limited to {n} characters.", n=MAX_SEMANTIC)
    if q:
        try:
            parse_query(q)
        except QuerySyntaxError as exc:
            raise BadQuery(exc, me) from None
    mode = "hybrid" if q and semantic else ("semantic" if semantic else "lexical")
    offset = (page - 1) * per_page
    notes: list[str] = []
    with searcher(path, scope) as entry:
        s = entry.searcher
        if not s.text.exists():
            raise AppError(
                409,
                "no_index",
                "This corpus has no search index yet: it is built after each load. Try again when the index job"
                " has finished.",
            )
        if mode != "lexical" and s.vectors() is None:
            if mode == "semantic":
                raise AppError(
                    409,
                    "no_vectors",
                    "This corpus has no vectors for model {model} yet: search by meaning is not available. Use the"
                    " query box.",
                    model=search_model(),
                )
            mode = "lexical"
            notes.append(me.t("No vectors for model {value} yet: results are lexical only.", value=search_model()))
        res = s.search(
            q,
            semantic=semantic,
            mode=mode,  # type: ignore[arg-type]
            limit=per_page,
            offset=offset,
            collapse_family=grouped,
            facets=FACETS if q else (),
        )
    hits = list(res.hits)
    notes += [note(n, me) for n in res.notes]
    facets: dict[str, list[dict[str, Any]]] = {}
    raw = {name: [(c.value, c.count) for c in res.facets.get(name, [])] for name in FACETS}
    common = {"semantic": semantic, "scope": scope if scope != "public" else None, "group": group or None}
    common["per_page"] = per_page if per_page != 20 else None
    for name in FACETS:
        items = []
        for value, count in raw.get(name, []):
            clause = facet_clause(name, value)
            active = bool(q) and clause in q  # type: ignore[operator]
            narrowed = q if active else with_filter(q, clause)
            items.append(
                {
                    "value": value,
                    "label": me.t(value) if name == "status" else value,
                    "count": count,
                    "filter": clause,
                    "active": active,
                    "href": search_url(base, q=narrowed, **common),
                }
            )
        if items:
            facets[name] = items
    if res.mode == "lexical" and res.total is not None:
        has_next = offset + per_page < res.total and (not grouped or len(res.hits) == per_page)
    else:
        has_next = len(res.hits) == per_page
    here = {"q": q, **common}
    return {
        "query": q,
        "semantic": semantic,
        "scope": scope,
        "mode": res.mode,
        "model": search_model() if res.mode != "lexical" else None,
        "group": "family" if grouped else None,
        "total": res.total,
        "page": page,
        "per_page": per_page,
        "has_next": has_next,
        "links": {
            "prev": search_url(base, **here, page=page - 1) if page > 1 else None,
            "next": search_url(base, **here, page=page + 1) if has_next else None,
        },
        "took_ms": round(res.took_ms, 1),
        "items": [
            {
                "publication_number": h.publication_number,
                "url": search_url(f"/patents/{h.publication_number}", scope=common["scope"]),
                "title": h.title,
                "applicant": h.applicant,
                "date": h.date.isoformat() if h.date else None,
                "score": round(float(h.score), 6),
                "similarity": None if h.similarity is None else round(float(h.similarity), 4),
                "lexical_rank": h.lexical_rank,
                "semantic_rank": h.semantic_rank,
                "snippet": safe_snippet(h.snippet),
                "matched_terms": list(h.matched_terms),
                "why": list(h.why),
                "reasons": [reason(w, me) for w in h.why],
                "family_id": h.family_id,
                "family_hidden": h.family_hidden,
            }
            for h in hits
        ],
        "facets": facets,
        "facet_unit": res.facet_unit,
        "notes": notes,
    }


# -- endpoints --------------------------------------------------------------------------------------------------


def error_page(request: Request, me: Principal, exc: AppError) -> Response:
    """The error page, rendered while the request's database session is still open (the app-wide handler runs
    after the session was rolled back, when the signed-in session row can no longer be read)."""
    message = me.t(exc.message, **exc.fields)
    return render(
        request, "error.html.j2", me.lang, me, status=exc.status, http_status=exc.status, code=exc.code, message=message
    )


ScopeParam = Annotated[str, Query(description="public (default) or org (the organisation's own corpus)")]
QParam = Annotated[str | None, Query(max_length=10_000, description="query language, e.g. ti:(neural network)")]
SemanticParam = Annotated[str | None, Query(description="free text searched by meaning")]
GroupParam = Annotated[str | None, Query(description="family: one hit per patent family")]


@router.get("/api/v1/search", tags=["search"])
def search_api(
    settings: AppSettings,
    me: Searching,
    page: Page,
    q: QParam = None,
    semantic: SemanticParam = None,
    scope: ScopeParam = "public",
    group: GroupParam = None,
) -> Any:
    """Search a corpus: ``q`` (query language) and/or ``semantic`` (free text; both: hybrid ranking).

    A malformed query answers 422 ``bad_query`` with ``position`` (0-based column) and the message.
    """
    try:
        return run_search(settings, me, q, semantic, scope, page[0], page[1], group, base="/api/v1/search")
    except BadQuery as exc:
        body = {"code": exc.code, "message": exc.text, "position": exc.position, "query": exc.query}
        return JSONResponse({"error": body}, status_code=422)


#: Codes shown inline on the search page (with the form kept) rather than as an error page.
_INLINE = {"bad_query", "no_corpus", "no_index", "no_vectors", "empty_search", "too_long", "bad_group", "corpus_busy"}


# The search and patent pages run on the event loop, not in a worker thread: each costs a few milliseconds of
# CPU under one GIL, so a thread adds no parallelism, only the hand-over (a tenth of a server process's Python
# time under bench/load.py). Pages that can take longer (dashboards, projects, uploads) keep their threads.
@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
async def search_page(
    request: Request,
    settings: AppSettings,
    me: Searching,
    page_number: Annotated[int, Query(alias="page")] = 1,
    per_page: int = 20,
    q: QParam = None,
    semantic: SemanticParam = None,
    scope: ScopeParam = "public",
    group: GroupParam = None,
) -> Response:
    """The search page; an htmx request (the form, a facet, a page link) gets the result list alone."""
    try:  # checked here, not by dependencies, so the error page renders while the database session is open
        page = paginate(page_number, per_page)
        corpus_path(settings, me.org.slug, scope)
    except AppError as exc:
        return error_page(request, me, exc)
    result = error = None
    status = 200
    if (q or "").strip() or (semantic or "").strip():
        try:
            result = run_search(settings, me, q, semantic, scope, page[0], page[1], group)
        except AppError as exc:
            if exc.code not in _INLINE:
                return error_page(request, me, exc)
            status = exc.status
            error = {"code": exc.code, "message": me.t(exc.message, **exc.fields)}
            if isinstance(exc, BadQuery):
                error.update(message=exc.text, position=exc.position, query=exc.query or q or "")
    partial = request.headers.get("hx-request") == "true" and not request.headers.get("hx-history-restore-request")
    context = {
        "result": result,
        "error": error,
        "q": q or "",
        "semantic": semantic or "",
        "scope": scope,
        "group": group or "",
        "per_page": page[1],
        "oob": partial,
    }
    template = "_hits.html.j2" if partial else "search.html.j2"
    response = render(request, template, me.lang, me, status=status, **context)
    response.headers["Vary"] = "HX-Request"
    return response

"""Infringement-risk screening and R&D starting points (GB/T 39551.4/.5: risk alerts, FTO triage, 研发起点).

**Screening, not a legal opinion.** :func:`screen` answers "which patents in force in my target countries,
held by others, look closest to my product, and which of their claims should a patent attorney read first?".
It ranks by textual similarity; whether a product infringes depends on claim construction, equivalents,
prosecution history and the law of each country, none of which a similarity score knows. Every result carries
the code :data:`DISCLAIMER` so the report layer prints the caveat next to it.

How it works:

1. candidates: the patents nearest the description by embedding similarity (:meth:`patnav.search.Searcher.
   similar` with a free text), restricted to the target countries by the query language's ``cc:`` filter;
2. parties other than the user's own: every candidate naming one of ``own_applicants`` as applicant, assignee
   or owner is dropped, names compared after harmonisation (:class:`patnav.ingest.names.NameHarmonizer`:
   legal forms, case, script variants, aliases), so "Acme Corp." also drops "ACME CORPORATION";
3. in force: the legal status from an indicators run when one is given (its ``status`` column, as of the
   run's date); otherwise the status is worked out here with the same rules
   (:func:`patnav.indicators.status.legal_status`: legal events where the corpus has them, else the filing and
   grant dates and the statutory term of the ``legal_term`` rule), and the result says so
   (``status_source == "estimated"`` and the code ``status_estimated_from_dates`` in ``notes``);
4. the claims that matter: each kept patent's independent claims, ranked by their similarity to the
   description, with the claim words that share a stem (English) or a word (Chinese, Japanese) with the
   description marked as character spans for highlighting.

Ranking claims: sentence-level BM25 (each independent claim cut into its elements at semicolons and colons,
scored by its best element) over the pool of the kept patents' claims, or embedding cosine with the searcher's
model. Measured on the USPTO full-text grants (:data:`CLAIM_RANKING_MEASURED`, repeated for BM25 by
``tests/test_analysis_screening.py``): with a grant's abstract as the description, pooled with the claims of its
nine nearest neighbours, BM25 ranks one of the grant's own claims first for 97 % of 60 grants against 93 % for
cosine; with only the title (few shared words) both reach 92 %; BM25 takes 3 ms per screening, cosine 2 s
(it embeds every claim). Scoring claims by their best element rather than as a whole makes no measurable
difference (P@1 on all 204 grants: 0.985 both ways from abstracts, 0.877 against 0.873 from titles); it is
kept because it points at the element to read. BM25 is the default;
``claim_ranking="cosine"`` is there for descriptions written in other words or another language than the
claims, where shared words are few.

:func:`starting_points` is the R&D side: the patents nearest a proposal, grouped by applicant and by IPC code,
each group and the whole list ordered most recent first, so a team sees who works on it and what is newest.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.analysis.technology import Level, classification_codes
from patnav.engine.base import Engine
from patnav.indicators.compute import IndicatorRun
from patnav.indicators.results import StoredRun
from patnav.indicators.rules import load_rule
from patnav.indicators.status import Event, legal_status
from patnav.ingest.names import NameHarmonizer
from patnav.search.analysis import fold, has_cjk, tokens
from patnav.search.api import Searcher

#: the code every screening result carries: a report prints "screening, not a legal opinion" beside it
DISCLAIMER = "screening_not_legal_opinion"

ClaimRanking = Literal["bm25", "cosine"]
StatusSource = Literal["indicators", "estimated"]

#: What the claim rankers scored (:func:`evaluate_claim_ranking`) on the USPTO full-text grants of
#: ``uspto-grant-xml`` (13 weekly excerpts, 2005-2013): a grant's abstract or title plays the product
#: description, the pool is the independent claims of the grant and of its 9 nearest neighbours (24 claims on
#: average), P@1 is the share of grants whose own claim is ranked first, MRR the mean reciprocal rank of their
#: first own claim (ties counted against the ranker). Cosine used the corpus's model (MiniLM int8) on 60 grants
#: drawn at random (seed 0); BM25 was run on the same 60 and on all 204. Times are medians per ranking on two
#: shared cores.
CLAIM_RANKING_MEASURED: dict[str, Any] = {
    "grants": {"all": 204, "sample": 60},
    "abstract_as_description": {
        "bm25": {"p_at_1": 0.967, "mrr": 0.972, "all_p_at_1": 0.985, "all_mrr": 0.987},
        "bm25_whole_claim": {"p_at_1": 0.983, "mrr": 0.984, "all_p_at_1": 0.985, "all_mrr": 0.988},
        "cosine": {"p_at_1": 0.933, "mrr": 0.953},
    },
    "title_as_description": {
        "bm25": {"p_at_1": 0.917, "mrr": 0.938, "all_p_at_1": 0.877, "all_mrr": 0.910},
        "bm25_whole_claim": {"p_at_1": 0.883, "mrr": 0.916, "all_p_at_1": 0.873, "all_mrr": 0.901},
        "cosine": {"p_at_1": 0.917, "mrr": 0.943},
    },
    "time_per_screening_ms": {"bm25": 3.5, "cosine": 2000},
}
DEFAULT_CLAIM_RANKING: ClaimRanking = "bm25"

#: Okapi BM25 constants (Robertson & Zaragoza 2009; the usual defaults, as in Lucene)
BM25_K1 = 1.2
BM25_B = 0.75

#: claim boilerplate that every claim shares with a description written in patent style ("comprising",
#: "wherein", "said", "at least one"): neither scored nor highlighted (index tokens, i.e. stemmed)
CLAIM_STOPWORDS: frozenset[str] = frozenset(
    tokens(
        "comprising comprises comprise comprised wherein whereby said least one plurality first second third"
        " having has includes including include configured adapted method apparatus system device thereof"
        " therein thereby claim claims according more each",
        query=True,
    )
)

_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """One independent claim of a hit: its ``number``, ``text`` as written, ``score`` (BM25 or cosine, comparable
    within one screening), the claim's words that match the description (``matched_terms``, lower case, in order
    of first appearance) and where they are (``highlights``: ``(start, end)`` character offsets into ``text``)."""

    number: int | None
    text: str
    score: float
    matched_terms: tuple[str, ...]
    highlights: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class RiskHit:
    """A patent of another party, in force in a target country, close to the product.

    ``rank`` (1 = closest) and ``similarity`` (cosine of the embeddings); ``applicants`` are harmonised names;
    ``status`` on the screening's date (``in_force`` unless other statuses were asked for), whether it was
    ``status_estimated`` (no legal events: from dates and the statutory term) and the ``expiry_date`` when
    known; ``claims`` the independent claims that matter most, best first (empty when the corpus has no
    claims for it: read them at the office).
    """

    rank: int
    publication_number: str
    family_id: str | None
    country: str | None
    title: str | None
    applicants: tuple[str, ...]
    publication_date: dt.date | None
    grant_date: dt.date | None
    similarity: float
    status: str | None
    status_estimated: bool
    expiry_date: dt.date | None
    claims: tuple[ClaimMatch, ...]


@dataclass(frozen=True, slots=True)
class Screening:
    """The result of :func:`screen`.

    ``kind`` is always :data:`DISCLAIMER`. ``as_of`` is the date the statuses hold for; ``countries`` the target
    offices (empty: all); ``excluded_applicants`` the harmonised keys of the user's own names; ``statuses`` the
    statuses kept; ``status_source`` where they came from; ``claim_ranking`` the claim ranker used.
    ``candidates`` counts the nearest patents looked at, ``excluded_own`` and ``excluded_status`` those dropped
    for each reason. ``notes`` are codes for the report: ``status_estimated_from_dates`` (no indicators run),
    ``status_estimated_for_some`` (the run lacks some candidates), ``candidates_exhausted`` (fewer than
    ``limit`` hits even after looking at ``max_candidates``).
    """

    kind: str
    as_of: dt.date
    countries: tuple[str, ...]
    excluded_applicants: tuple[str, ...]
    statuses: tuple[str, ...]
    status_source: StatusSource
    claim_ranking: ClaimRanking
    hits: tuple[RiskHit, ...]
    candidates: int
    excluded_own: int
    excluded_status: int
    notes: tuple[str, ...]


# -- claims: ranking and highlighting -------------------------------------------------------------------------


def bm25_scores(query: Sequence[str], documents: Sequence[Sequence[str]]) -> list[float]:
    """Okapi BM25 of each token list in ``documents`` for the distinct ``query`` tokens, with document
    frequencies and the average length taken over ``documents`` themselves (the pool being ranked)."""
    n = len(documents)
    if n == 0:
        return []
    df: Counter[str] = Counter()
    for doc in documents:
        df.update(set(doc))
    avg = sum(len(d) for d in documents) / n or 1.0
    terms = list(dict.fromkeys(query))
    scores = []
    for doc in documents:
        tf = Counter(doc)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(doc) / avg)
        score = 0.0
        for t in terms:
            f = tf.get(t, 0)
            if f:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                score += idf * f * (BM25_K1 + 1) / (f + norm)
        scores.append(score)
    return scores


_WORD = re.compile(r"[^\W_]+")


def highlight(text: str, description: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """The words of ``text`` that match ``description`` and their ``(start, end)`` spans in ``text``.

    Latin-script words match when they share an index token (folded, stop words dropped, Snowball stem:
    "processors" matches "processing"); in Chinese and Japanese, every word of the description (as
    :func:`patnav.search.analysis.tokens` segments it) is marked wherever it occurs in ``text``.
    """
    wanted = set(_claim_tokens(description, query=True))
    spans: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if has_cjk(word):
            continue
        if any(t in wanted for t in tokens(word, query=True)):
            spans.append((m.start(), m.end()))
    if has_cjk(text):
        # find the description's words in the folded claim (NFKC, Simplified), when folding keeps the offsets
        folded = fold(text)
        if len(folded) != len(text):
            folded = unicodedata.normalize("NFKC", text).lower()
        if len(folded) == len(text):
            for word in {w for w in wanted if has_cjk(w) and len(w) >= 2}:
                start = folded.find(word)
                while start >= 0:
                    spans.append((start, start + len(word)))
                    start = folded.find(word, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    terms = tuple(dict.fromkeys(text[s:e].lower() for s, e in merged))
    return terms, tuple(merged)


def _claim_tokens(text: str, *, query: bool = False) -> list[str]:
    """Index tokens of ``text`` without claim boilerplate and bare numbers (reference signs, claim numbers)."""
    return [t for t in tokens(text, query=query) if t not in CLAIM_STOPWORDS and not t.isdigit()]


#: where an independent claim is cut into its elements ("sentences" for BM25): the semicolons and colons that
#: separate a claim's preamble and elements, and line breaks
_ELEMENT_BREAK = re.compile(r"[;:；：\n]")


def claim_elements(claim: str) -> list[str]:
    """The elements of a claim: the pieces between semicolons, colons and line breaks (empty pieces dropped)."""
    return [piece for piece in _ELEMENT_BREAK.split(claim) if piece.strip()]


def rank_claims(
    description: str,
    claims: Sequence[str],
    *,
    method: ClaimRanking = DEFAULT_CLAIM_RANKING,
    searcher: Searcher | None = None,
) -> list[float]:
    """A similarity score of each claim to ``description``.

    ``bm25``: sentence-level BM25, the claims cut into their elements (:func:`claim_elements`), every element of
    every claim given one pool, and a claim scored by its best element (the element a reader should look at).
    ``cosine``: the cosine of the embeddings of the description and each whole claim (``searcher``'s model).
    """
    if not claims:
        return []
    if method == "bm25":
        owner: list[int] = []
        units: list[list[str]] = []
        for i, claim in enumerate(claims):
            for element in claim_elements(claim) or [claim]:
                owner.append(i)
                units.append(_claim_tokens(element))
        best = [0.0] * len(claims)
        for i, score in zip(owner, bm25_scores(_claim_tokens(description, query=True), units), strict=True):
            best[i] = max(best[i], score)
        return best
    if method == "cosine":
        if searcher is None:
            raise ValueError("cosine claim ranking needs the searcher (its embedding model)")
        embedder = searcher.embedder()
        q = embedder.embed([description], kind="query")[0]
        vectors = embedder.embed(list(claims), kind="passage")
        return [float(v) for v in vectors @ q]
    raise ValueError(f"unknown claim ranking {method!r}; choose bm25 or cosine")


@dataclass(frozen=True, slots=True)
class ClaimRankingScore:
    """How well a claim ranker picks a patent's own claims (see :func:`evaluate_claim_ranking`): over
    ``grants`` patents, ``p_at_1`` the share whose top-ranked claim is one of their own, ``mrr`` the mean
    reciprocal rank of their first own claim, ``pool`` the mean pool size and ``median_ms`` per ranking."""

    method: ClaimRanking
    description: Literal["abstract", "title"]
    grants: int
    p_at_1: float
    mrr: float
    pool: float
    median_ms: float


def evaluate_claim_ranking(
    searcher: Searcher,
    engine: Engine,
    numbers: Iterable[str],
    *,
    method: ClaimRanking,
    description: Literal["abstract", "title"] = "abstract",
    neighbours: int = 9,
) -> ClaimRankingScore:
    """Measure a claim ranker the way :data:`CLAIM_RANKING_MEASURED` was measured.

    For each patent of ``numbers`` with independent claims, its ``description`` (abstract or title) plays the
    product description; the pool is its independent claims and those of its ``neighbours`` nearest patents
    (embedding similarity); a good ranker puts the patent's own claims first. Patents without a description
    or without independent claims are skipped.
    """
    import statistics
    import time

    numbers = list(dict.fromkeys(numbers))
    facts, _ = _facts(engine, numbers)
    hits: list[bool] = []
    reciprocal: list[float] = []
    sizes: list[int] = []
    times: list[float] = []
    for number in numbers:
        pub = facts.get(number, {})
        text = pub.get("title") if description == "title" else pub.get("abstract")
        if not text or not _independent(pub.get("claims")):
            continue
        near = [h.publication_number for h in searcher.similar(number, limit=neighbours).hits]
        near_facts, _ = _facts(engine, near) if near else ({}, {})
        # the patent's own claims last, so that a tie never counts in the ranker's favour
        pool = [(n, t) for n in near for _, t in _independent(near_facts.get(n, {}).get("claims"))]
        pool += [(number, t) for _, t in _independent(pub.get("claims"))]
        started = time.perf_counter()
        scores = rank_claims(text, [t for _, t in pool], method=method, searcher=searcher)
        times.append(time.perf_counter() - started)
        order = sorted(range(len(pool)), key=lambda i: (-scores[i], i))
        first = next(r for r, i in enumerate(order, 1) if pool[i][0] == number)
        hits.append(first == 1)
        reciprocal.append(1 / first)
        sizes.append(len(pool))
    n = len(hits)
    return ClaimRankingScore(
        method,
        description,
        n,
        sum(hits) / n if n else 0.0,
        sum(reciprocal) / n if n else 0.0,
        sum(sizes) / n if n else 0.0,
        1000 * statistics.median(times) if times else 0.0,
    )


# -- corpus facts through the engine --------------------------------------------------------------------------


def _facts(
    engine: Engine, numbers: Iterable[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[str, str]]]]:
    """Per publication: its bibliographic row with claims; and its parties ``(name, name_harmonized)`` of role
    applicant, assignee or owner, in sequence order."""
    patent_set = PatentSet.of(numbers, normalize=False)
    table = register_patent_set(engine, patent_set)
    cols = (
        "publication_number, country, doc_type, stage, family_id, title, abstract, publication_date, priority_date,"
        " filing_date, grant_date, term_extension_days, claims"
    )
    pubs = engine.query(
        f"SELECT {cols} FROM publications WHERE publication_number IN (SELECT publication_number FROM {table})"
    ).to_pylist()
    parties: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for number, name, harmonized, _ in engine.rows(
        "SELECT publication_number, name, name_harmonized, coalesce(sequence, 0) AS seq FROM parties"
        " WHERE role IN ('applicant', 'assignee', 'owner')"
        f" AND publication_number IN (SELECT publication_number FROM {table})"
        " ORDER BY publication_number, seq, name NULLS LAST"
    ):
        parties[str(number)].append((str(name or ""), str(harmonized or name or "")))
    return {str(p["publication_number"]): p for p in pubs}, parties


def _events(engine: Engine, numbers: Iterable[str]) -> dict[str, list[Event]]:
    table = register_patent_set(engine, PatentSet.of(numbers, normalize=False))
    out: dict[str, list[Event]] = defaultdict(list)
    for number, day, effect, authority, code, description in engine.rows(
        "SELECT publication_number, event_date, status_effect, authority, code, description FROM legal_events"
        f" WHERE publication_number IN (SELECT publication_number FROM {table})"
    ):
        out[str(number)].append(Event(day, effect, authority, code, description))
    return out


def _run_table(run: StoredRun | IndicatorRun | pa.Table) -> tuple[pa.Table, dt.date | None]:
    """The status columns of an indicators run, and the run's as-of date (None for a bare table)."""
    if isinstance(run, StoredRun):
        table, as_of = run.publications, dt.date.fromisoformat(str(run.manifest["as_of"]))
    elif isinstance(run, IndicatorRun):
        table, as_of = run.table, run.as_of
    else:
        table, as_of = run, None
    if "status" not in table.column_names or "publication_number" not in table.column_names:
        raise ValueError("the indicators table needs publication_number and status columns")
    cols = [c for c in ("publication_number", "status", "status_estimated", "expiry_date") if c in table.column_names]
    return table.select(cols), as_of


def _run_statuses(table: pa.Table, numbers: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """publication → (status, estimated, expiry) for those of ``numbers`` the run holds (looked up in Arrow, so
    a run over millions of publications is never turned into Python objects)."""
    keys = table.column("publication_number").cast(pa.string())
    rows = table.filter(pc.is_in(keys, value_set=pa.array(list(numbers), pa.string()))).to_pylist()
    return {
        str(r["publication_number"]): (r["status"], bool(r.get("status_estimated")), r.get("expiry_date")) for r in rows
    }


def _estimate(pub: Mapping[str, Any], events: list[Event], as_of: dt.date, rule: Any) -> tuple[Any, ...]:
    s = legal_status(
        as_of=as_of,
        country=pub.get("country"),
        doc_type=pub.get("doc_type"),
        stage=pub.get("stage"),
        filing=pub.get("filing_date"),
        grant=pub.get("grant_date"),
        extension_days=pub.get("term_extension_days"),
        events=events,
        terms=rule.param("terms"),
        max_pending_years=int(rule.param("max_pending_years")),
    )
    return s.status, s.estimated, s.expiry


def _independent(claims: Any) -> list[tuple[int | None, str]]:
    """The independent claims (no dependency) as ``(number, text)``, in claim order."""
    out = []
    for c in claims or []:
        if c and c.get("text") and not c.get("depends_on"):
            out.append((c.get("number"), str(c["text"])))
    return sorted(out, key=lambda c: (c[0] is None, c[0] or 0))


def _country_filter(countries: Iterable[str]) -> tuple[tuple[str, ...], str | None]:
    codes = tuple(dict.fromkeys(c.strip().upper() for c in countries if c.strip()))
    for code in codes:
        if not _COUNTRY.fullmatch(code):
            raise ValueError(f"not a two-letter office code: {code!r}")
    return codes, (f"cc:({' OR '.join(codes)})" if codes else None)


# -- screening ------------------------------------------------------------------------------------------------


def screen(
    searcher: Searcher,
    engine: Engine,
    description: str,
    *,
    countries: Iterable[str] = (),
    own_applicants: Iterable[str] = (),
    aliases: Mapping[str, str] | None = None,
    indicators: StoredRun | IndicatorRun | pa.Table | None = None,
    as_of: dt.date | None = None,
    statuses: Iterable[str] = ("in_force",),
    limit: int = 10,
    claims_per_patent: int = 3,
    claim_ranking: ClaimRanking = DEFAULT_CLAIM_RANKING,
    max_candidates: int = 400,
) -> Screening:
    """Screen ``description`` (a product or process, in any language the embedding model reads) for patents
    of others in force in ``countries``; see the module docstring for the steps and their caveats.

    ``own_applicants`` are the user's own names (any spelling; ``aliases`` adds the user's alias table);
    ``indicators`` a saved or fresh indicators run (or its table) giving each patent's status, whose date
    becomes ``as_of`` (a different ``as_of`` is an error); without it statuses are estimated as of ``as_of``
    (default today). ``statuses`` are the statuses kept (add ``pending`` to see applications that may still
    be granted). ``limit`` hits are returned, each with up to ``claims_per_patent`` independent claims; the
    search looks deeper (doubling, up to ``max_candidates``) when exclusions thin the list. Country filters
    need the corpus's text index (``patnav index build``), similarity its vectors.
    """
    if not description or not description.strip():
        raise ValueError("describe the product to screen")
    if limit < 1 or claims_per_patent < 0:
        raise ValueError("limit must be ≥ 1 and claims_per_patent ≥ 0")
    if claim_ranking not in ("bm25", "cosine"):
        raise ValueError(f"unknown claim ranking {claim_ranking!r}; choose bm25 or cosine")
    codes, query = _country_filter(countries)
    harmonizer = NameHarmonizer(aliases)
    own = {harmonizer.key(n) for n in own_applicants if n and n.strip()}
    kept_statuses = tuple(dict.fromkeys(statuses))

    run_table: pa.Table | None = None
    source: StatusSource = "estimated"
    notes: list[str] = []
    if indicators is not None:
        run_table, run_as_of = _run_table(indicators)
        if run_as_of is not None and as_of is not None and as_of != run_as_of:
            raise ValueError(f"the indicators run holds statuses as of {run_as_of}, not {as_of}")
        as_of = run_as_of or as_of
        source = "indicators"
    as_of = as_of or dt.date.today()
    if source == "estimated":
        notes.append("status_estimated_from_dates")
    rule = load_rule("legal_term")

    depth = min(max(limit * 5, 50), max_candidates)
    seen: dict[str, float] = {}
    facts: dict[str, dict[str, Any]] = {}
    parties: dict[str, list[tuple[str, str]]] = {}
    kept: list[tuple[str, tuple[Any, ...]]] = []
    excluded_own = excluded_status = 0
    estimated_some = False
    while True:
        result = searcher.similar(text=description, query=query, limit=depth)
        fresh = [
            (h.publication_number, float(h.similarity or 0.0)) for h in result.hits if h.publication_number not in seen
        ]
        if fresh:
            new_facts, new_parties = _facts(engine, [n for n, _ in fresh])
            facts.update(new_facts)
            parties.update(new_parties)
            run_status = _run_statuses(run_table, [n for n, _ in fresh]) if run_table is not None else {}
            missing = [n for n, _ in fresh if n not in run_status]
            events = _events(engine, missing) if missing else {}
            for number, similarity in fresh:
                seen[number] = similarity
                keys = {harmonizer.key(name) for name, _ in parties.get(number, [])}
                keys |= {h for _, h in parties.get(number, [])}
                if own & keys:
                    excluded_own += 1
                    continue
                if number in run_status:
                    status = run_status[number]
                else:
                    estimated_some = estimated_some or source == "indicators"
                    status = _estimate(facts.get(number, {}), events.get(number, []), as_of, rule)
                if status[0] not in kept_statuses:
                    excluded_status += 1
                    continue
                kept.append((number, status))
        if len(kept) >= limit or len(result.hits) < depth or depth >= max_candidates:
            if len(kept) < limit and len(result.hits) >= depth:
                notes.append("candidates_exhausted")
            break
        depth = min(depth * 2, max_candidates)
    if estimated_some:
        notes.append("status_estimated_for_some")
    kept = kept[:limit]

    pool: list[tuple[str, int | None, str]] = [
        (number, n, text) for number, _ in kept for n, text in _independent(facts.get(number, {}).get("claims"))
    ]
    scores = rank_claims(description, [t for _, _, t in pool], method=claim_ranking, searcher=searcher)
    per_hit: dict[str, list[ClaimMatch]] = defaultdict(list)
    for (number, n, text), score in zip(pool, scores, strict=True):
        terms, spans = highlight(text, description)
        per_hit[number].append(ClaimMatch(n, text, score, terms, spans))
    hits = []
    for rank, (number, (status, estimated, expiry)) in enumerate(kept, 1):
        pub = facts.get(number, {})
        claims = sorted(per_hit.get(number, []), key=lambda c: (-c.score, c.number is None, c.number or 0))
        hits.append(
            RiskHit(
                rank=rank,
                publication_number=number,
                family_id=pub.get("family_id"),
                country=pub.get("country"),
                title=pub.get("title"),
                applicants=tuple(dict.fromkeys(h for _, h in parties.get(number, []) if h)),
                publication_date=pub.get("publication_date"),
                grant_date=pub.get("grant_date"),
                similarity=seen[number],
                status=status,
                status_estimated=bool(estimated),
                expiry_date=expiry,
                claims=tuple(claims[:claims_per_patent]),
            )
        )
    return Screening(
        kind=DISCLAIMER,
        as_of=as_of,
        countries=codes,
        excluded_applicants=tuple(sorted(own)),
        statuses=kept_statuses,
        status_source=source,
        claim_ranking=claim_ranking,
        hits=tuple(hits),
        candidates=len(seen),
        excluded_own=excluded_own,
        excluded_status=excluded_status,
        notes=tuple(notes),
    )


# -- R&D starting points --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimElement:
    """One element of a claim (:func:`claim_elements`) and the description's words it shares (analysed forms)."""

    text: str
    shared: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DesignAround:
    """A screened patent's most relevant independent claim, cut into its elements, with those the description
    does not mention (:attr:`absent`).

    Under the all-elements rule a product infringes a claim literally only if it has every element of it, so an
    element the product can leave out or do differently is where a design-around may start. Screening, not a
    legal opinion: the doctrine of equivalents can still reach an element done differently, and a word the
    description shares does not make an element present.
    """

    publication_number: str
    claim_number: int | None
    elements: tuple[ClaimElement, ...]

    @property
    def absent(self) -> tuple[ClaimElement, ...]:
        """The elements that share no word with the description, the preamble (first element) left out."""
        return tuple(e for e in self.elements[1:] if not e.shared)


def design_around(screening: Screening, description: str) -> tuple[DesignAround, ...]:
    """For each hit of ``screening`` with claims, its best-ranked independent claim element by element, marking
    what ``description`` shares with each (GB/T 39551's R&D frame: design-around candidates)."""
    wanted = set(_claim_tokens(description, query=True)) | set(_claim_tokens(description))
    out: list[DesignAround] = []
    for hit in screening.hits:
        if not hit.claims:
            continue
        claim = hit.claims[0]
        elements = tuple(
            ClaimElement(piece.strip(), tuple(sorted(set(_claim_tokens(piece)) & wanted)))
            for piece in claim_elements(claim.text)
        )
        out.append(DesignAround(hit.publication_number, claim.number, elements))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class StartingPoint:
    """A patent near the proposal: ``rank`` by ``similarity``; ``applicants`` (harmonised), ``codes`` (IPC at
    the chosen level, CPC when it has no IPC); ``date`` is when the invention was made as far as known (the
    priority date, else the filing date, else the publication date): what "recent" means here."""

    rank: int
    publication_number: str
    family_id: str | None
    title: str | None
    applicants: tuple[str, ...]
    codes: tuple[str, ...]
    date: dt.date | None
    publication_date: dt.date | None
    similarity: float


@dataclass(frozen=True, slots=True)
class PatentGroup:
    """The starting points of one applicant or one IPC code (``key``), most recent first, with the number of
    ``families`` among them and the ``best_similarity`` of any."""

    key: str
    patents: tuple[StartingPoint, ...]
    families: int
    best_similarity: float


@dataclass(frozen=True, slots=True)
class StartingPoints:
    """What :func:`starting_points` finds: ``hits`` by similarity, ``recent_first`` the same patents newest
    first, and the groups ``by_applicant`` and ``by_code`` (most patents first, then best similarity, then key;
    a patent with several applicants or codes is in each of their groups). ``unattributed`` hits name no
    applicant; ``level`` is the IPC level of the codes."""

    countries: tuple[str, ...]
    level: Level
    hits: tuple[StartingPoint, ...]
    recent_first: tuple[StartingPoint, ...]
    by_applicant: tuple[PatentGroup, ...]
    by_code: tuple[PatentGroup, ...]
    unattributed: int


def _recent_key(p: StartingPoint) -> tuple[Any, ...]:
    return (p.date is None, -(p.date.toordinal() if p.date else 0), -p.similarity, p.publication_number)


def _groups(points: Iterable[StartingPoint], keys_of: Any) -> tuple[PatentGroup, ...]:
    members: dict[str, list[StartingPoint]] = defaultdict(list)
    for p in points:
        for key in keys_of(p):
            members[key].append(p)
    groups = [
        PatentGroup(
            key,
            tuple(sorted(ps, key=_recent_key)),
            len({p.family_id or p.publication_number for p in ps}),
            max(p.similarity for p in ps),
        )
        for key, ps in members.items()
    ]
    groups.sort(key=lambda g: (-len(g.patents), -g.best_similarity, g.key))
    return tuple(groups)


def starting_points(
    searcher: Searcher,
    engine: Engine,
    proposal: str,
    *,
    countries: Iterable[str] = (),
    limit: int = 30,
    level: Level = "subclass",
) -> StartingPoints:
    """The ``limit`` patents nearest ``proposal`` (an R&D proposal text, in any language the embedding model
    reads), optionally in ``countries`` only, grouped by applicant and by IPC code at ``level``, newest first
    (see :class:`StartingPoints`). Unlike a plain similar-patent list it shows who is active around the idea and
    where the newest work is."""
    if not proposal or not proposal.strip():
        raise ValueError("give the proposal text")
    if limit < 1:
        raise ValueError("limit must be ≥ 1")
    codes, query = _country_filter(countries)
    result = searcher.similar(text=proposal, query=query, limit=limit)
    numbers = [h.publication_number for h in result.hits]
    facts, parties = _facts(engine, numbers) if numbers else ({}, {})
    classes = classification_codes(engine, PatentSet.of(numbers, normalize=False), level=level) if numbers else {}
    hits = []
    for rank, h in enumerate(result.hits, 1):
        pub = facts.get(h.publication_number, {})
        date = pub.get("priority_date") or pub.get("filing_date") or pub.get("publication_date")
        hits.append(
            StartingPoint(
                rank=rank,
                publication_number=h.publication_number,
                family_id=pub.get("family_id"),
                title=pub.get("title"),
                applicants=tuple(dict.fromkeys(hz for _, hz in parties.get(h.publication_number, []) if hz)),
                codes=classes.get(h.publication_number, ()),
                date=date,
                publication_date=pub.get("publication_date"),
                similarity=float(h.similarity or 0.0),
            )
        )
    return StartingPoints(
        countries=codes,
        level=level,
        hits=tuple(hits),
        recent_first=tuple(sorted(hits, key=_recent_key)),
        by_applicant=_groups(hits, lambda p: p.applicants),
        by_code=_groups(hits, lambda p: p.codes),
        unattributed=sum(1 for p in hits if not p.applicants),
    )

"""Searching a corpus: lexical (BM25), semantic (embeddings) and hybrid, with prior-art and "similar" modes.

Hybrid ranking is reciprocal-rank fusion (RRF, k=60) of the BM25 list and the vector list, both restricted
by the same field filters. Each hit says why it was found: the query terms it matched, its similarity, and
the filters it passed. When the vectors of a corpus are not built yet, hybrid search falls back to BM25 and
says so in the result's ``notes``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from patnav.corpus.store import Corpus, CorpusNotFoundError
from patnav.search.analysis import tokens
from patnav.search.keys import number_key
from patnav.search.query import Query, QuerySyntaxError, parse_query, split_query, terms_of, to_text
from patnav.search.text_index import FacetCount, IndexMissingError, TextHit, TextIndex, TextResults

Mode = Literal["auto", "lexical", "semantic", "hybrid"]

#: Reciprocal-rank-fusion constant (Cormack et al. 2009); 60 is their recommended value.
RRF_K = 60
#: How deep each list goes before fusion.
FUSION_DEPTH = 100
#: with families collapsed, the vector list is fetched this many times deeper than the page needs, so folding
#: family members away still leaves a full page
FAMILY_WINDOW = 4
#: a filter that at least this share of the vectors pass is applied after the vector search, on candidates
POST_FILTER_SHARE = 0.05
#: times the candidate list is widened (x4 each) before the filter is applied first instead
POST_FILTER_ROUNDS = 3
DEFAULT_MODEL = "e5"


class SearchError(Exception):
    """A search that cannot run: a malformed query, a missing index, an unknown publication…"""


@dataclass(slots=True)
class SearchHit:
    """One result: what it is, how it scored, and why it was found."""

    publication_number: str
    title: str | None
    applicant: str | None
    date: dt.date | None
    score: float
    snippet: str = ""
    family_id: str | None = None
    family_hidden: int = 0
    lexical_rank: int | None = None
    semantic_rank: int | None = None
    similarity: float | None = None
    matched_terms: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SearchResults:
    query: str | None
    mode: str
    total: int | None
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    took_ms: float = 0.0
    embed_ms: float = 0.0
    facet_unit: str = "documents"  # "families" when the search collapsed families


class Searcher:
    """Search over one corpus folder (its text index, and the vectors of one embedding model)."""

    def __init__(self, corpus_path: Path | str, *, model: str = DEFAULT_MODEL) -> None:
        try:
            self.corpus = Corpus(corpus_path, create=False, read_only=True)
        except CorpusNotFoundError as exc:
            raise SearchError(str(exc)) from None
        self.text = TextIndex.for_corpus(self.corpus)
        self.model = model
        self._embedder = None
        self._vectors = None

    def close(self) -> None:
        self.corpus.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- parts -----------------------------------------------------------------------------------------------

    def embedder(self):  # type: ignore[no-untyped-def]
        if self._embedder is None:
            from patnav.search.embedder import get_embedder

            self._embedder = get_embedder(self.model)
        return self._embedder

    def vectors(self):  # type: ignore[no-untyped-def]
        """The vector store of this corpus for the model, or None when nothing is embedded yet."""
        if self._vectors is None:
            from patnav.search.vectors import VectorStore, store_path

            emb = self.embedder()
            if not (store_path(self.corpus.path, emb.name) / "meta.json").exists():
                return None
            store = VectorStore.for_corpus(self.corpus, emb)
            if len(store) == 0:
                return None
            self._vectors = store
        return self._vectors

    def _parse(self, query: str) -> Query:
        try:
            return parse_query(query)
        except QuerySyntaxError as exc:
            raise SearchError(exc.render() if hasattr(exc, "render") else str(exc)) from None

    def _text_search(self, ast: Query, **kw):  # type: ignore[no-untyped-def]
        try:
            return self.text.search(ast, **kw)
        except IndexMissingError as exc:
            raise SearchError(str(exc)) from None

    def _allowed(self, ast: Query | None) -> np.ndarray | None:
        """Keys of the publications passing the query's filter part (None: no filters)."""
        if ast is None:
            return None
        _, filters = split_query(ast)
        if not filters:
            return None
        try:
            return self.text.matching_keys(filters.query)  # type: ignore[arg-type]
        except IndexMissingError as exc:
            raise SearchError(str(exc)) from None

    def _vector_hits(self, store: Any, qv: np.ndarray, depth: int, ast: Query | None) -> list[tuple[str, float]]:
        """The ``depth`` nearest vectors that pass the query's filters.

        A filter most publications pass is checked afterwards on the nearest candidates (over-fetched by the
        share that passes, widened until enough survive): collecting the keys of half a million matches
        costs far more than the search. A narrower filter selects its matches first and searches among them.
        """
        filters = split_query(ast)[1] if ast is not None else None
        if not filters:
            return store.search(qv, depth)  # type: ignore[no-any-return]
        try:
            share = self.text.count(filters.query) / max(1, len(store.numbers))  # type: ignore[arg-type]
            if share >= POST_FILTER_SHARE:
                fetch = min(len(store.numbers), int(depth / share * 1.5) + 10)
                for _ in range(POST_FILTER_ROUNDS):
                    candidates = store.search(qv, fetch)
                    passing = self.text.passing(filters.query, [n for n, _ in candidates])  # type: ignore[arg-type]
                    kept = [(n, sim) for n, sim in candidates if n in passing]
                    if len(kept) >= depth or fetch >= len(store.numbers):
                        return kept[:depth]
                    fetch = min(len(store.numbers), fetch * 4)
            return store.search(qv, depth, allowed_keys=self.text.matching_keys(filters.query))  # type: ignore[no-any-return,arg-type]
        except IndexMissingError as exc:
            raise SearchError(str(exc)) from None

    # -- search ----------------------------------------------------------------------------------------------

    def search(
        self,
        query: str | None = None,
        *,
        semantic: str | None = None,
        mode: Mode = "auto",
        limit: int = 20,
        offset: int = 0,
        collapse_family: bool = False,
        facets: Sequence[str] = ("applicant", "ipc", "year", "country"),
    ) -> SearchResults:
        """Search with the query language (``query``) and/or a free text meant by meaning (``semantic``).

        ``auto``: hybrid when both a text part and vectors exist, lexical when only a query is given,
        semantic when only ``semantic`` is (``query`` then only filters it).
        """
        started = time.perf_counter()
        if not query and not semantic:
            raise SearchError("give a query, a semantic text, or both")
        ast = self._parse(query) if query else None
        text_part = split_query(ast)[0] if ast is not None else None
        notes: list[str] = []
        if mode == "auto":
            mode = "semantic" if semantic and text_part is None else ("hybrid" if semantic or text_part else "lexical")
        if mode == "semantic" and not semantic and text_part is not None:
            semantic = " ".join(t.text for t in terms_of(text_part))
        if mode == "hybrid" and not semantic and text_part is not None:
            semantic = " ".join(t.text for t in terms_of(text_part))

        lexical = None
        if mode in ("lexical", "hybrid") and ast is not None:
            depth = max(FUSION_DEPTH, offset + limit) if mode == "hybrid" else limit
            lexical = self._text_search(
                ast,
                limit=depth,
                offset=0 if mode == "hybrid" else offset,
                collapse_family=collapse_family,
                facets=facets,
            )
            if lexical.stale:
                notes.append("the corpus changed since the index was built: run `patnav index update`")
        vec_hits: list[tuple[str, float]] = []
        embed_ms = 0.0
        if mode in ("semantic", "hybrid") and semantic:
            store = self.vectors()
            if store is None:
                notes.append(
                    f"no vectors for model {self.embedder().name} yet (run `patnav index build --vectors`):"
                    " results are lexical only"
                )
                if ast is not None and (lexical is None or mode == "hybrid"):  # hybrid fetched a fusion-depth list
                    lexical = self._text_search(
                        ast, limit=limit, offset=offset, collapse_family=collapse_family, facets=facets
                    )
                mode = "lexical"
            else:
                t0 = time.perf_counter()
                qv = self.embedder().embed([semantic], kind="query")[0]
                embed_ms = (time.perf_counter() - t0) * 1000
                want = (offset + limit) * (FAMILY_WINDOW if collapse_family else 1)
                depth = max(FUSION_DEPTH, want) if mode == "hybrid" else want
                vec_hits = self._vector_hits(store, qv, depth, ast)
        hits = self._combine(mode, lexical, vec_hits, ast, offset, limit, collapse_family=collapse_family)
        if ast is not None:
            _, filters = split_query(ast)
            if filters:
                notes.append(f"every hit passed the filters {to_text(filters.query)}")  # type: ignore[arg-type]
        total = lexical.total if lexical is not None and mode == "lexical" else None
        return SearchResults(
            query=query,
            mode=mode,
            total=total,
            hits=hits,
            facets=lexical.facets if lexical is not None else {},
            facet_unit=lexical.facet_unit if lexical is not None else "documents",
            notes=notes,
            took_ms=(time.perf_counter() - started) * 1000,
            embed_ms=embed_ms,
        )

    def _combine(
        self,
        mode: str,
        lexical: TextResults | None,
        vec_hits: list[tuple[str, float]],
        ast: Query | None,
        offset: int,
        limit: int,
        *,
        collapse_family: bool = False,
    ) -> list[SearchHit]:
        filters_note: list[str] = []
        lex_hits: list[TextHit] = list(lexical.hits) if lexical is not None else []
        if mode == "lexical":
            if ast is not None and split_query(ast)[0] is None:
                filters_note = ["passed the filters"]
            return [self._from_text(h, i + 1 + offset, None, None, filters_note) for i, h in enumerate(lex_hits)]
        lex_rank = {h.publication_number: i + 1 for i, h in enumerate(lex_hits)}
        lex_by = {h.publication_number: h for h in lex_hits}
        sem_rank = {n: i + 1 for i, (n, _) in enumerate(vec_hits)}
        sim = dict(vec_hits)
        if mode == "semantic":
            order = [n for n, _ in vec_hits]
            scores = {n: s for n, s in vec_hits}
        else:
            scores = {}
            for n in set(lex_rank) | set(sem_rank):
                scores[n] = sum(1.0 / (RRF_K + r[n]) for r in (lex_rank, sem_rank) if n in r)
            order = sorted(scores, key=lambda n: (-scores[n], n))
        hidden: dict[str, int] = {}
        if collapse_family:
            order, hidden = self._fold_families(order, lex_by)
        page = order[offset : offset + limit]
        info = self._bibliographic(page)
        out: list[SearchHit] = []
        for n in page:
            th = lex_by.get(n)
            if th is not None:
                hit = self._from_text(th, lex_rank.get(n), sem_rank.get(n), sim.get(n), filters_note)
                hit.score = scores[n]
            else:
                title, applicant, date, family = info.get(n, (None, None, None, None))
                why = [f"similarity {sim[n]:.3f}", *filters_note]
                hit = SearchHit(
                    n,
                    title,
                    applicant,
                    date,
                    scores[n],
                    snippet=title or "",
                    family_id=family,
                    semantic_rank=sem_rank.get(n),
                    similarity=sim.get(n),
                    why=why,
                )
            if collapse_family:  # a lexical hit already counts the members its own list folded
                hit.family_hidden = max(hit.family_hidden, hidden.get(n, 0))
            out.append(hit)
        return out

    def _fold_families(self, order: list[str], lex_by: dict[str, TextHit]) -> tuple[list[str], dict[str, int]]:
        """``order`` with each family's best-ranked member only, and how many members each kept one stands for.

        Folded over the whole fused or vector list (not page by page), so a family appears on one page only
        and the pages do not change as one goes through them.
        """
        unknown = [n for n in order if n not in lex_by]
        families = {n: h.family_id for n, h in lex_by.items()}
        if unknown:
            rows = self.corpus.con.execute(
                "SELECT publication_number, family_id FROM publications WHERE publication_number IN (SELECT unnest(?))",
                [unknown],
            ).fetchall()
            families.update(dict(rows))
        kept: list[str] = []
        first: dict[str, str] = {}
        hidden: dict[str, int] = {}
        for n in order:
            fam = families.get(n)
            if fam and fam in first:
                hidden[first[fam]] = hidden.get(first[fam], 0) + 1
                continue
            if fam:
                first[fam] = n
            kept.append(n)
        return kept, hidden

    @staticmethod
    def _from_text(
        h: TextHit, lex_rank: int | None, sem_rank: int | None, similarity: float | None, filters_note: list[str]
    ) -> SearchHit:
        why = []
        if h.matched_terms:
            why.append("matched: " + ", ".join(h.matched_terms))
        elif lex_rank is not None and not filters_note:
            why.append("matched the query in claims or description")
        if similarity is not None:
            why.append(f"similarity {similarity:.3f}")
        why.extend(filters_note)
        return SearchHit(
            publication_number=h.publication_number,
            title=h.title,
            applicant=h.applicant,
            date=h.date,
            score=h.score,
            snippet=h.snippet,
            family_id=h.family_id,
            family_hidden=h.family_hidden,
            lexical_rank=lex_rank,
            semantic_rank=sem_rank,
            similarity=similarity,
            matched_terms=list(h.matched_terms),
            why=why,
        )

    def _bibliographic(self, numbers: list[str]) -> dict[str, tuple]:  # type: ignore[type-arg]
        if not numbers:
            return {}
        rows = self.corpus.con.execute(
            """SELECT p.publication_number, p.title,
                      (SELECT x.name FROM parties x WHERE x.publication_number = p.publication_number
                         AND x.role IN ('applicant', 'assignee', 'owner') ORDER BY x.sequence LIMIT 1),
                      p.publication_date, p.family_id
               FROM publications p WHERE p.publication_number IN (SELECT unnest(?))""",
            [numbers],
        ).fetchall()
        return {r[0]: tuple(r[1:]) for r in rows}

    # -- similar ---------------------------------------------------------------------------------------------

    def similar(
        self,
        number: str | None = None,
        *,
        text: str | None = None,
        before_priority: bool = False,
        before: dt.date | None = None,
        query: str | None = None,
        limit: int = 20,
    ) -> SearchResults:
        """Nearest publications to a stored patent (prior-art mode: published before its priority date,
        its own family excluded) or to a free text (an R&D proposal), with why each was found."""
        started = time.perf_counter()
        store = self.vectors()
        if store is None:
            raise SearchError(
                f"no vectors for model {self.embedder().name} yet: run `patnav index build --vectors` first"
            )
        notes: list[str] = []
        exclude: set[str] = set()
        source_text = text or ""
        if number is not None:
            found = self.corpus.find_publication_number(number)
            if found is None:
                raise SearchError(f"{number} is not in the corpus")
            rec = self.corpus.con.execute(
                "SELECT title, abstract, priority_date, filing_date, family_id, application_number"
                " FROM publications WHERE publication_number = ?",
                [found],
            ).fetchone()
            title, abstract, prio, filing, family, appl = rec  # type: ignore[misc]
            source_text = f"{title or ''}\n{abstract or ''}"
            exclude = self._family_of(found, family, appl)
            if before_priority:
                cutoff = prio or filing
                if cutoff is None:
                    raise SearchError(f"{found} has no priority or filing date: give --before DATE")
                before = before or cutoff
                notes.append(f"prior-art mode: published before {before.isoformat()}, own family excluded")
        t0 = time.perf_counter()
        vec = store.vector_of(found) if number is not None else None
        if vec is None:
            if not source_text.strip():
                raise SearchError("nothing to compare: the patent has no title or abstract")
            vec = self.embedder().embed([source_text], kind="query" if number is None else "passage")[0]
        embed_ms = (time.perf_counter() - t0) * 1000
        allowed_keys = self._allowed(self._parse(query)) if query else None
        if before is not None:
            rows = self.corpus.con.execute(
                "SELECT publication_number FROM publications WHERE publication_date < ?", [before]
            ).fetchall()
            dated = np.fromiter((number_key(r[0]) for r in rows), dtype=np.uint64, count=len(rows))
            allowed_keys = dated if allowed_keys is None else np.intersect1d(allowed_keys, dated)
        pairs = store.search(vec, limit, allowed_keys=allowed_keys, exclude=exclude)
        info = self._bibliographic([n for n, _ in pairs])
        source_tokens = set(tokens(source_text))
        hits = []
        for rank, (n, s) in enumerate(pairs, 1):
            title, applicant, date, family = info.get(n, (None, None, None, None))
            shared = sorted(source_tokens & set(tokens(title or "")))[:8]
            why = [f"similarity {s:.3f}"] + ([f"shared terms: {', '.join(shared)}"] if shared else [])
            hits.append(
                SearchHit(
                    n,
                    title,
                    applicant,
                    date,
                    s,
                    snippet=title or "",
                    family_id=family,
                    semantic_rank=rank,
                    similarity=s,
                    why=why,
                )
            )
        return SearchResults(
            query=number or (text or "")[:80],
            mode="similar",
            total=None,
            hits=hits,
            notes=notes,
            took_ms=(time.perf_counter() - started) * 1000,
            embed_ms=embed_ms,
        )

    def _family_of(self, number: str, family_id: str | None, application: str | None) -> set[str]:
        """The publication itself and every member of its family (by family id or same application)."""
        rows = self.corpus.con.execute(
            """SELECT publication_number FROM publications
               WHERE publication_number = ? OR (family_id IS NOT NULL AND family_id = ?)
                  OR (application_number IS NOT NULL AND application_number = ?)
               UNION SELECT f2.publication_number FROM families f1 JOIN families f2 USING (family_id, family_type)
               WHERE f1.publication_number = ?""",
            [number, family_id, application, number],
        ).fetchall()
        return {r[0] for r in rows} | {number}


def matching_numbers(corpus: Corpus, query: str) -> list[str]:
    """Every publication a query selects (for export): the text index's matches."""
    try:
        ast = parse_query(query)
    except QuerySyntaxError as exc:
        raise SearchError(exc.render() if hasattr(exc, "render") else str(exc)) from None
    try:
        return TextIndex.for_corpus(corpus).matching_numbers(ast)
    except IndexMissingError as exc:
        raise SearchError(str(exc)) from None


def search(corpus_path: Path | str, query: str | None = None, **kw) -> SearchResults:  # type: ignore[no-untyped-def]
    """One-call search: ``patnav.search.search("var/corpus", 'ti:(neural network) AND pd:[2005 TO 2012]')``."""
    with Searcher(corpus_path, model=kw.pop("model", DEFAULT_MODEL)) as s:
        return s.search(query, **kw)

"""The full-text engine: a tantivy (BM25) index of the corpus at ``<corpus>/search/text/``.

Every text field holds the space-joined tokens of :mod:`patnav.search.analysis` and is split by tantivy's
``whitespace`` tokenizer; each text field has a ``*_cjk`` twin with the 1–2-character units of its CJK runs.
Queries are :mod:`patnav.search.query` ASTs compiled to tantivy query objects (never to query text).

Updates are incremental by publication number: ``indexed.parquet`` next to the index holds the
``(publication_number, record_hash)`` of every indexed document; an update adds what is new, replaces what
changed, deletes what left the corpus. The tantivy commit happens before the sidecar is replaced, so a run
killed at any point leaves at worst documents that the next run indexes again (delete-then-add by number:
never a duplicate). A rebuild is never needed for correctness; a schema change rebuilds by itself.

Field boosts (BM25 scores are multiplied by them): title 3.0, claims 1.5, abstract 1.0, description 0.4;
the CJK-unit twin of a field counts 0.5 of it (see the ``BOOSTS`` comment: reasoned, not yet tuned).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import tantivy

from patnav.model.numbers import PatentNumberError, normalize_publication_number, publication_number_variants
from patnav.search.analysis import cjk_bigrams, fold, has_cjk, query_tokens, to_simplified, tokens
from patnav.search.highlight import Marker
from patnav.search.keys import number_key
from patnav.search.query import (
    DATE_FIELDS,
    And,
    Compare,
    Not,
    Or,
    Phrase,
    Query,
    Range,
    Term,
    class_prefixes,
    date_interval,
    normalize_class_symbol,
    normalize_doc_type,
    parse_query,
    split_query,
    terms_of,
)

if TYPE_CHECKING:
    from patnav.corpus.store import Corpus

__all__ = [
    "BOOSTS",
    "FACETS",
    "FacetCount",
    "IndexMissingError",
    "IndexStatus",
    "TextHit",
    "TextIndex",
    "TextResults",
    "UpdateStats",
    "compile_query",
    "update_if_indexed",
]

SCHEMA_VERSION = 4
STATE_FILE = "indexed.parquet"
META_FILE = "patnav-index.json"

#: BM25 multipliers per text field. Title words are chosen by the applicant to name the invention (one
#: short field: a match there is the strongest evidence), claims define what is protected (longer, legal
#: wording), the abstract summarises, the description mentions everything in passing. NOT yet tuned on
#: relevance judgments: the shared data has no judged queries (and no claims or descriptions), so these are
#: reasoned starting values; tune them once a judged query set exists.
BOOSTS: dict[str, float] = {"title": 3.0, "claims": 1.5, "abstract": 1.0, "description": 0.4}
CJK_WEIGHT = 0.5
_TEXT_FIELDS = {
    "ti": ("title",),
    "ab": ("abstract",),
    "cl": ("claims",),
    "desc": ("description",),
    "tac": ("title", "abstract", "claims"),
}
#: facet name → tantivy fast field
FACETS: dict[str, str] = {
    "applicant": "f_pa",
    "ipc": "f_ipc",
    "year": "year",
    "country": "cc",
    "status": "lstatus",  # the legal status derived by the indicators (in_force, expired, …)
    "source_status": "status",  # the status as the source stated it (few sources state one)
}
_NAME_GAP = "\u00b6"  # a token between two names, so a phrase never spans the end of one and start of the next
_APPLICANT_ROLES = ("applicant", "assignee", "owner")


class IndexMissingError(FileNotFoundError):
    """There is no search index where one was expected."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no search index at {path}: run `patnav index build`")
        self.path = path


@dataclass(slots=True)
class UpdateStats:
    """What an update did."""

    added: int = 0
    replaced: int = 0
    deleted: int = 0
    unchanged: int = 0
    seconds: float = 0.0

    @property
    def indexed(self) -> int:
        return self.added + self.replaced

    @property
    def docs_per_second(self) -> float:
        return self.indexed / self.seconds if self.seconds > 0 else 0.0


@dataclass(slots=True)
class IndexStatus:
    """How the index compares with a corpus: up to date, missing from the index, stale, or orphaned."""

    in_corpus: int
    indexed: int  # present with the corpus's record hash
    missing: int  # in the corpus, not in the index
    stale: int  # in both, but the corpus record changed since it was indexed
    orphaned: int  # in the index, gone from the corpus

    @property
    def up_to_date(self) -> bool:
        return self.missing == 0 and self.stale == 0 and self.orphaned == 0


@dataclass(slots=True)
class FacetCount:
    value: str
    count: int


@dataclass(slots=True)
class TextHit:
    publication_number: str
    score: float
    title: str | None
    applicant: str | None
    date: dt.date | None  # publication date
    country: str | None
    family_id: str | None
    matched_terms: list[str] = field(default_factory=list)
    snippet: str = ""  # HTML: escaped text with <mark>…</mark> around matches
    title_highlighted: str = ""
    family_hidden: int = 0  # members of the same family folded into this hit (collapse_family)


@dataclass(slots=True)
class TextResults:
    query: Query
    total: int  # matching documents
    hits: list[TextHit]
    facets: dict[str, list[FacetCount]]
    stale: bool | None  # True: the corpus changed since the index was updated; None: not known
    took_ms: float = 0.0
    families: int | None = None  # distinct families among the matches (approximate), with collapse_family
    facet_unit: str = "documents"  # what the facet counts count: "families" with collapse_family


# ------------------------------------------------------------------------------------------------- schema


def _build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("publication_number", stored=True, tokenizer_name="raw", fast=True)
    sb.add_text_field("pn", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("family_id", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("family_key", fast=True)
    sb.add_unsigned_field("pn_key", fast=True)
    for name in BOOSTS:
        sb.add_text_field(name, tokenizer_name="whitespace")
        sb.add_text_field(f"{name}_cjk", tokenizer_name="whitespace")
    for name in ("pa", "in"):
        sb.add_text_field(name, tokenizer_name="whitespace")
        sb.add_text_field(f"{name}_cjk", tokenizer_name="whitespace")
    sb.add_text_field("pa_key", tokenizer_name="raw", index_option="basic")
    for name in ("ipc", "cpc", "kind", "type"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("status", tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field("lstatus", tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field("cc", tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field("f_pa", tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field("f_ipc", tokenizer_name="raw", index_option="basic", fast=True)
    for name in (*sorted(DATE_FIELDS), "year"):
        sb.add_integer_field(name, indexed=True, fast=True)
    sb.add_bytes_field("display", stored=True, indexed=False)
    return sb.build()


# ------------------------------------------------------------------------------------------- the corpus side

_DOCS_SQL = """
WITH todo AS (SELECT publication_number FROM {todo}),
pt AS (
  SELECT publication_number, list(struct_pack(role := role, name := name, h := name_harmonized) ORDER BY sequence) AS ps
  FROM parties WHERE publication_number IN (SELECT publication_number FROM todo) GROUP BY 1),
cl AS (
  SELECT publication_number,
         list(struct_pack(scheme := scheme, symbol := symbol, main := is_main) ORDER BY sequence) AS cs
  FROM classifications WHERE publication_number IN (SELECT publication_number FROM todo) GROUP BY 1)
SELECT p.publication_number, p.record_hash, p.family_id, p.country, p.kind, p.doc_type, p.source_status,
       p.publication_date, p.filing_date, p.priority_date, p.grant_date, p.title, p.title_lang, p.abstract,
       p.abstract_lang, p.titles, p.abstracts, list_transform(p.claims, lambda c: c.text) AS claim_texts, p.claims_lang,
       p.description, pt.ps, cl.cs, st.status AS legal_status
FROM publications p JOIN todo USING (publication_number)
LEFT JOIN pt USING (publication_number) LEFT JOIN cl USING (publication_number)
LEFT JOIN {status} st USING (publication_number)
"""

#: What the index stores per publication to know when to index it again: the record's hash, and the derived
#: legal status after this separator when the indicators gave one (a new run that changes a status re-indexes
#: just those publications).
_KEY_SEP = "|"
_KEY_SQL = f"p.record_hash || coalesce('{_KEY_SEP}' || st.status, '')"


def _legal_status(corpus: Corpus) -> pa.Table:
    """Publication → derived legal status from the corpus's saved indicator run (empty when there is none)."""
    from patnav.corpus.store import INDICATORS_DIR

    path = Path(corpus.path) / INDICATORS_DIR / "publications.parquet"
    empty = pa.table({"publication_number": pa.array([], pa.string()), "status": pa.array([], pa.string())})
    if not path.is_file():
        return empty
    try:
        table = pq.read_table(path, columns=["publication_number", "status"])
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return empty  # an unreadable or older run: the index goes without derived statuses
    return table.cast(empty.schema)


def _fingerprint(corpus: Corpus) -> list[int]:
    cur = corpus.cursor()
    try:
        rows = cur.execute(
            "SELECT count(*), coalesce(bit_xor(hash(publication_number || coalesce(record_hash, ''))), 0)"
            " FROM publications"
        ).fetchall()
    finally:
        cur.close()
    return [int(rows[0][0]), int(rows[0][1])]


def _ymd(d: dt.date | None) -> int | None:
    return d.year * 10000 + d.month * 100 + d.day if d else None


def _family_key(fid: str) -> int:
    return int.from_bytes(hashlib.blake2b(fid.encode("utf-8"), digest_size=8).digest(), "little")


_NAME_TOKENS: dict[str, tuple[str, str]] = {}


def _name_tokens(name: str) -> tuple[str, str]:
    """(tokens, CJK units) of a party name, cached: the same applicants recur across thousands of records."""
    hit = _NAME_TOKENS.get(name)
    if hit is None:
        hit = (" ".join(tokens(name)), " ".join(cjk_bigrams(name)))
        if len(_NAME_TOKENS) < 300_000:
            _NAME_TOKENS[name] = hit
    return hit


def _join_texts(items: Iterable[tuple[str | None, str | None]]) -> tuple[str, str]:
    toks: list[str] = []
    cjk: list[str] = []
    for lang, text in items:
        if text:
            toks.extend(tokens(text, lang))
            cjk.extend(cjk_bigrams(text))
    return " ".join(toks), " ".join(cjk)


def _document(row: dict[str, Any], harmonizer: Any) -> tantivy.Document:
    d = tantivy.Document()
    number = row["publication_number"]
    d.add_text("publication_number", number)
    try:
        for v in publication_number_variants(number):
            d.add_text("pn", v)
    except PatentNumberError:
        d.add_text("pn", number)
    fid = row["family_id"]
    if fid:
        d.add_text("family_id", fid)
    d.add_unsigned("family_key", _family_key(fid or "#" + number))
    d.add_unsigned("pn_key", number_key(number))

    titles = [(t["lang"], t["text"]) for t in row["titles"] or ()] or [(row["title_lang"], row["title"])]
    abstracts = [(t["lang"], t["text"]) for t in row["abstracts"] or ()] or [(row["abstract_lang"], row["abstract"])]
    claims_lang = row["claims_lang"]
    claims = [(claims_lang, c) for c in row["claim_texts"] or ()]
    desc_lang = row["abstract_lang"] or row["title_lang"]
    for name, items in (
        ("title", titles),
        ("abstract", abstracts),
        ("claims", claims),
        ("description", [(desc_lang, row["description"])]),
    ):
        toks, cjk = _join_texts(items)
        if toks:
            d.add_text(name, toks)
        if cjk:
            d.add_text(f"{name}_cjk", cjk)

    applicants: list[str] = []
    keys: set[str] = set()
    for role_set, fname in ((_APPLICANT_ROLES, "pa"), (("inventor",), "in")):
        toks_all: list[str] = []
        cjk_all: list[str] = []
        for p in row["ps"] or ():
            if p["role"] not in role_set or not p["name"]:
                continue
            variants = [p["name"]]
            if fname == "pa":
                applicants.append(p["name"])
                key = p["h"] or harmonizer.key(p["name"])
                keys.update(k for k in (p["h"], harmonizer.key(p["name"])) if k)
                if key and key not in variants:
                    variants.append(key)
            for v in variants:
                t, c = _name_tokens(v)
                if t:
                    toks_all.extend((t, _NAME_GAP))
                if c:
                    cjk_all.extend((c, _NAME_GAP))
        if toks_all:
            d.add_text(fname, " ".join(toks_all))
        if cjk_all:
            d.add_text(f"{fname}_cjk", " ".join(cjk_all))
    for k in keys:
        d.add_text("pa_key", k)
    facet_names = {p["h"] or harmonizer.key(p["name"]) for p in row["ps"] or () if p["role"] in _APPLICANT_ROLES}
    for k in sorted(x for x in facet_names if x):
        d.add_text("f_pa", k)

    subclasses: set[str] = set()
    for c in row["cs"] or ():
        scheme = (c["scheme"] or "").upper()
        if scheme not in ("IPC", "CPC"):
            continue
        prefixes = class_prefixes(c["symbol"] or "")
        for p in prefixes:
            d.add_text(scheme.lower(), p)
        if scheme == "IPC" and len(prefixes) >= 3:
            subclasses.add(prefixes[2])
    for s in sorted(subclasses):
        d.add_text("f_ipc", s)

    if row["country"]:
        d.add_text("cc", row["country"].upper())
    if row["kind"]:
        d.add_text("kind", row["kind"].upper())
    if row["doc_type"]:
        d.add_text("type", row["doc_type"])
    if row["source_status"]:
        d.add_text("status", row["source_status"].lower())
    if row.get("legal_status"):
        d.add_text("lstatus", row["legal_status"].lower())
    dates = {
        "pd": row["publication_date"],
        "ad": row["filing_date"],
        "prd": row["priority_date"],
        "gd": row["grant_date"],
    }
    for fname, value in dates.items():
        if value:
            d.add_integer(fname, _ymd(value))
    year_from = row["publication_date"] or row["filing_date"]
    if year_from:
        d.add_integer("year", year_from.year)
    display = {
        "t": row["title"],
        "ts": titles if len(titles) > 1 else None,
        "a": (row["abstract"] or "")[:4000] or None,
        "pa": applicants[0] if applicants else None,
        "d": row["publication_date"].isoformat() if row["publication_date"] else None,
        "cc": row["country"],
        "f": fid,
    }
    d.add_bytes("display", json.dumps(display, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return d


# ------------------------------------------------------------------------------------------------ compiling


class _Compiler:
    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    def __call__(self, q: Query) -> tantivy.Query | None:
        return self.node(q)

    def node(self, q: Query) -> tantivy.Query | None:
        occ = tantivy.Occur
        if isinstance(q, And | Or | Not):
            items = (q.item,) if isinstance(q, Not) else q.items
            if isinstance(q, Not):
                inner = self.node(q.item)
                return self._not(inner)
            if isinstance(q, And):
                clauses: list[tuple[Any, tantivy.Query]] = []
                for i in items:
                    if isinstance(i, Not):
                        inner = self.node(i.item)
                        if inner is not None:
                            clauses.append((occ.MustNot, inner))
                    else:
                        sub = self.node(i)
                        if sub is not None:
                            clauses.append((occ.Must, sub))
                if not any(o == occ.Must for o, _ in clauses):
                    if not clauses:
                        return None
                    clauses.append((occ.Must, tantivy.Query.all_query()))
                return tantivy.Query.boolean_query(clauses)
            subs = [s for s in (self.node(i) for i in items) if s is not None]
            return self._should(subs)
        f = q.field
        if f in DATE_FIELDS or isinstance(q, Range | Compare):
            lo, hi = date_interval(q)  # type: ignore[arg-type]
            if lo is None and hi is None:
                return tantivy.Query.exists_query(f)  # type: ignore[arg-type]
            rq = tantivy.Query.range_query(self.schema, f, tantivy.FieldType.Integer, lo, hi)
            return tantivy.Query.const_score_query(rq, 0.0)
        assert isinstance(q, Term | Phrase)
        if f is None or f in _TEXT_FIELDS:
            return self.text(q, _TEXT_FIELDS[f or "tac"])
        if f in ("pa", "in"):
            return self.names(q, f)
        return tantivy.Query.const_score_query(self.keyword(q), 0.0)

    def _not(self, inner: tantivy.Query | None) -> tantivy.Query | None:
        if inner is None:
            return None
        occ = tantivy.Occur
        return tantivy.Query.boolean_query([(occ.Must, tantivy.Query.all_query()), (occ.MustNot, inner)])

    @staticmethod
    def _should(subs: Sequence[tantivy.Query]) -> tantivy.Query | None:
        if not subs:
            return None
        if len(subs) == 1:
            return subs[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, s) for s in subs])

    @staticmethod
    def _must(subs: Sequence[tantivy.Query]) -> tantivy.Query:
        if len(subs) == 1:
            return subs[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, s) for s in subs])

    def _seq(self, fname: str, toks: list[str], slop: int, ordered: bool) -> tantivy.Query:
        """One field: one token → term; several → phrase (``ordered``) or all of them."""
        if len(toks) == 1:
            return tantivy.Query.term_query(self.schema, fname, toks[0])
        if ordered:
            return tantivy.Query.phrase_query(self.schema, fname, toks, slop)
        return self._must([tantivy.Query.term_query(self.schema, fname, t) for t in dict.fromkeys(toks)])

    def _cjk_units(self, fname: str, text: str, slop: int) -> tantivy.Query | None:
        units = cjk_bigrams(text)
        if not units:
            return None
        if len(units) == 1 and len(units[0]) == 1:  # one character: inside any bigram, or alone
            c = re.escape(units[0])
            return tantivy.Query.regex_query(self.schema, fname, f"{c}.?|.{c}")
        return self._seq(fname, units, slop, ordered=True)

    def _wildcard(self, fname: str, text: str) -> tantivy.Query:
        pattern = fold(text)
        pattern = to_simplified(pattern) if has_cjk(pattern) else pattern
        rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        return tantivy.Query.regex_query(self.schema, fname, rx)

    def _text_variants(self, text: str) -> list[list[str]]:
        """Token lists a query word may have been indexed as: a Han-only word as Chinese and as Japanese."""
        first = list(query_tokens(text))
        out = [first] if first else []
        if has_cjk(text) and not re.search(r"[\u3041-\u30ff\uac00-\ud7af]", text):
            ja = list(query_tokens(text, "ja"))
            if ja and ja not in out:
                out.append(ja)
        return out

    def text(self, q: Term | Phrase, fields: Sequence[str]) -> tantivy.Query | None:
        per_field: list[tantivy.Query] = []
        wild = isinstance(q, Term) and q.is_wildcard
        phrase = isinstance(q, Phrase)
        cjk_only = has_cjk(q.text) and not re.search(r"[A-Za-z0-9]", fold(q.text))
        variants = [] if wild else self._text_variants(q.text)
        for fname in fields:
            boost = BOOSTS[fname]
            alts: list[tantivy.Query] = []
            if wild:
                alts.append(self._wildcard(fname, q.text))
            elif not (phrase and cjk_only):
                for toks in variants:
                    ordered = phrase or not has_cjk(q.text)
                    alts.append(self._seq(fname, toks, q.slop if phrase else 0, ordered))  # type: ignore[union-attr]
            sub = self._should(alts)
            if sub is not None:
                per_field.append(tantivy.Query.boost_query(sub, boost))
            if not wild and has_cjk(q.text):
                units = self._cjk_units(f"{fname}_cjk", q.text, q.slop if phrase else 0)  # type: ignore[union-attr]
                if units is not None:
                    per_field.append(tantivy.Query.boost_query(units, boost * CJK_WEIGHT))
        return self._should(per_field)

    def names(self, q: Term | Phrase, fname: str) -> tantivy.Query | None:
        alts: list[tantivy.Query] = []
        if isinstance(q, Term) and q.is_wildcard:
            alts.append(self._wildcard(fname, q.text))
        else:
            for toks in self._text_variants(q.text):
                alts.append(self._seq(fname, toks, q.slop if isinstance(q, Phrase) else 0, ordered=True))
            if has_cjk(q.text):
                units = self._cjk_units(f"{fname}_cjk", q.text, 0)
                if units is not None:
                    alts.append(units)
            if fname == "pa":
                from patnav.search.query import _harmonized_keys

                keys = sorted(_harmonized_keys(q.text))
                if keys:
                    alts.append(tantivy.Query.term_set_query(self.schema, "pa_key", keys))
        return self._should(alts)

    def keyword(self, q: Term | Phrase) -> tantivy.Query:
        f = q.field or ""
        text = q.text.strip()
        if f in ("ipc", "cpc"):
            if isinstance(q, Term) and q.is_wildcard:
                s = re.sub(r"[\s\-]+", "", text.upper())
                rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in s)
                return tantivy.Query.regex_query(self.schema, f, rx)
            return tantivy.Query.term_query(self.schema, f, normalize_class_symbol(text) or text)
        if f == "pn":
            return tantivy.Query.term_query(self.schema, "pn", normalize_publication_number(text))
        if f == "cc":
            return tantivy.Query.term_query(self.schema, "cc", text.upper())
        if f == "kind":
            return tantivy.Query.term_query(self.schema, "kind", text.upper())
        if f == "type":
            return tantivy.Query.term_query(self.schema, "type", normalize_doc_type(text) or text)
        if f == "status":  # the derived legal status or the status the source stated
            return tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "lstatus", text.lower())),
                    (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "status", text.lower())),
                ]
            )
        raise ValueError(f"no index field for {f!r}")  # pragma: no cover - the parser admits no other field


def compile_query(q: Query, schema: tantivy.Schema) -> tantivy.Query:
    """The tantivy query for an AST (a query whose words all analyse to nothing matches nothing)."""
    compiled = _Compiler(schema)(q)
    return compiled if compiled is not None else tantivy.Query.empty_query()


# --------------------------------------------------------------------------------------------------- index


class TextIndex:
    """The BM25 index of one corpus. ``path`` is the index folder (``<corpus>/search/text``).

    Pass ``corpus`` to let :meth:`search` tell exactly whether the corpus changed since the last update;
    without it, the modification time of ``<corpus>/corpus.duckdb`` next to a conventional path is used.
    """

    def __init__(self, path: Path | str, *, corpus: Corpus | None = None) -> None:
        self.path = Path(path)
        self.corpus = corpus
        self._index: tantivy.Index | None = None
        self._schema = _build_schema()
        self._fingerprint_cache: tuple[float | None, list[int]] | None = None
        self._meta_cache: tuple[tuple[int, int], dict[str, Any]] | None = None
        self._loaded_meta: tuple[int, int] | None = None
        self._meta_path = str(self.path / META_FILE)

    @classmethod
    def for_corpus(cls, corpus: Corpus) -> TextIndex:
        return cls(Path(corpus.path) / "search" / "text", corpus=corpus)

    # -- files ---------------------------------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.path / META_FILE).exists() and tantivy.Index.exists(str(self.path))

    def _meta(self) -> dict[str, Any]:
        """The index's metadata file, read again only when it changed (every search asks whether it is stale)."""
        path = self._meta_path
        try:
            st = os.stat(path)
            key = (st.st_mtime_ns, st.st_size)
            if self._meta_cache is not None and self._meta_cache[0] == key:
                return self._meta_cache[1]
            meta = json.loads(Path(path).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        self._meta_cache = (key, meta)
        return meta

    def _open(self, *, create: bool) -> tantivy.Index:
        if self._index is not None:
            return self._index
        if self.exists() and self._meta().get("schema_version") != SCHEMA_VERSION:
            if not create:
                raise IndexMissingError(self.path)
            shutil.rmtree(self.path)  # an index of an older layout: rebuilt by this update
        if not self.exists():
            if not create:
                raise IndexMissingError(self.path)
            self.path.mkdir(parents=True, exist_ok=True)
            for leftover in (self.path / STATE_FILE, self.path / META_FILE):
                leftover.unlink(missing_ok=True)
        self._index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        return self._index

    def _state(self) -> pa.Table:
        f = self.path / STATE_FILE
        if f.exists():
            return pq.read_table(f)
        return pa.table({"publication_number": pa.array([], pa.string()), "record_hash": pa.array([], pa.string())})

    def _write_state(self, table: pa.Table) -> None:
        tmp = self.path / (STATE_FILE + ".tmp")
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, self.path / STATE_FILE)

    def _write_meta(self, corpus: Corpus, stats: UpdateStats) -> None:
        meta = {
            "schema_version": SCHEMA_VERSION,
            "updated_at": dt.datetime.now(dt.UTC).isoformat(),
            "corpus_fingerprint": _fingerprint(corpus),
            "corpus_mtime": _corpus_mtime(Path(corpus.path)),
            "last_update": {"added": stats.added, "replaced": stats.replaced, "deleted": stats.deleted},
        }
        tmp = self.path / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta, indent=1), "utf-8")
        os.replace(tmp, self.path / META_FILE)

    # -- updating ------------------------------------------------------------------------------------------

    def _diff(self, corpus: Corpus, state: pa.Table, statuses: pa.Table) -> tuple[list[str], list[str], int]:
        """(numbers to (re)index, numbers to delete, unchanged count) against the sidecar."""
        con = corpus.cursor()
        con.register("_patnav_ti_state", state)
        con.register("_patnav_ti_status", statuses)
        try:
            todo = [
                r[0]
                for r in con.execute(
                    "SELECT p.publication_number FROM publications p LEFT JOIN _patnav_ti_state s"
                    " USING (publication_number) LEFT JOIN _patnav_ti_status st USING (publication_number)"
                    f" WHERE s.record_hash IS DISTINCT FROM {_KEY_SQL}"
                ).fetchall()
            ]
            gone = [
                r[0]
                for r in con.execute(
                    "SELECT s.publication_number FROM _patnav_ti_state s"
                    " ANTI JOIN publications p USING (publication_number)"
                ).fetchall()
            ]
            total = int(con.execute("SELECT count(*) FROM publications").fetchall()[0][0])
        finally:
            con.unregister("_patnav_ti_state")
            con.unregister("_patnav_ti_status")
            con.close()
        return todo, gone, total - len(todo)

    def status(self, corpus: Corpus) -> IndexStatus:
        """How many corpus records are indexed, missing, stale (changed since), and indexed but gone."""
        if not self.exists():
            raise IndexMissingError(self.path)
        state = self._state()
        con = corpus.cursor()
        con.register("_patnav_ti_state", state)
        try:
            rows = con.execute(
                """SELECT count(p.publication_number),
                          count(*) FILTER (WHERE p.publication_number IS NOT NULL
                                           AND split_part(s.record_hash, $sep, 1) = p.record_hash),
                          count(*) FILTER (WHERE s.publication_number IS NULL),
                          count(*) FILTER (WHERE s.publication_number IS NOT NULL AND p.publication_number IS NOT NULL
                                           AND split_part(s.record_hash, $sep, 1) IS DISTINCT FROM p.record_hash),
                          count(*) FILTER (WHERE p.publication_number IS NULL)
                   FROM publications p FULL OUTER JOIN _patnav_ti_state s USING (publication_number)""",
                {"sep": _KEY_SEP},
            ).fetchall()
        finally:
            con.unregister("_patnav_ti_state")
            con.close()
        return IndexStatus(*(int(x) for x in rows[0]))

    def update_from_corpus(
        self,
        corpus: Corpus,
        progress: Callable[[int, int], None] | None = None,
        *,
        commit_every: int = 100_000,
        heap_size: int = 256_000_000,
    ) -> UpdateStats:
        """Bring the index in line with the corpus: add new records, replace changed ones, delete gone ones.

        ``progress(done, total)`` is called as documents are indexed. Commits every ``commit_every``
        documents, so a long first build killed half-way keeps what it committed.
        """
        from patnav.ingest.names import NameHarmonizer

        started = time.perf_counter()
        index = self._open(create=True)
        state = self._state()
        statuses = _legal_status(corpus)
        todo, gone, unchanged = self._diff(corpus, state, statuses)
        stats = UpdateStats(unchanged=unchanged)
        known = set(state.column("publication_number").to_pylist())
        hashes: dict[str, str] = dict(
            zip(state.column("publication_number").to_pylist(), state.column("record_hash").to_pylist(), strict=True)
        )
        harmonizer = NameHarmonizer()
        writer = index.writer(heap_size=heap_size, num_threads=0)
        try:
            for number in gone:
                writer.delete_documents_by_term("publication_number", number)
                hashes.pop(number, None)
            stats.deleted = len(gone)
            done = 0
            pending = 0
            for start in range(0, len(todo), 20_000):
                chunk = todo[start : start + 20_000]
                cur = corpus.cursor()
                cur.register("_patnav_ti_todo", pa.table({"publication_number": chunk}))
                cur.register("_patnav_ti_status", statuses)
                try:
                    reader = cur.sql(
                        _DOCS_SQL.format(todo="_patnav_ti_todo", status="_patnav_ti_status")
                    ).to_arrow_reader(2000)
                    for batch in reader:
                        for row in batch.to_pylist():
                            number = row["publication_number"]
                            if number in known:
                                writer.delete_documents_by_term("publication_number", number)
                                stats.replaced += 1
                            else:
                                stats.added += 1
                            writer.add_document(_document(row, harmonizer))
                            status = row["legal_status"]
                            hashes[number] = row["record_hash"] + (_KEY_SEP + status if status else "")
                            done += 1
                            pending += 1
                        if progress is not None:
                            progress(done, len(todo))
                        if pending >= commit_every:
                            writer.commit()
                            self._write_state(_hash_table(hashes))
                            pending = 0
                finally:
                    cur.close()
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        self._write_state(_hash_table(hashes))
        # The pages' record store follows the index: whatever brings the index up to date after a load does
        # the same for it (rewritten only when the corpus changed; ~2 s for the demo corpus).
        from patnav.search import records

        records.build(corpus)
        stats.seconds = time.perf_counter() - started
        self._write_meta(corpus, stats)
        index.reload()
        return stats

    # -- searching -----------------------------------------------------------------------------------------

    def is_stale(self) -> bool | None:
        """True when the corpus changed since the last update (``None`` when that cannot be told)."""
        meta = self._meta()
        if self.corpus is not None:
            # The fingerprint scans the publications table: compute it once per change of the database file.
            mtime = _corpus_mtime(self.corpus.path)
            if self._fingerprint_cache is None or self._fingerprint_cache[0] != mtime:
                self._fingerprint_cache = (mtime, _fingerprint(self.corpus))
            return self._fingerprint_cache[1] != meta.get("corpus_fingerprint")
        corpus_dir = self.path.parent.parent
        mtime = _corpus_mtime(corpus_dir)
        if mtime is None or meta.get("corpus_mtime") is None:
            return None
        return mtime > meta["corpus_mtime"]

    def _searcher(self) -> Any:
        """A searcher over the last commit. The reader is reloaded when the metadata file changed (every update
        writes it after its commit, in this process or another), not on every query: a reload costs ~0.15 ms,
        as much as a whole query.
        """
        index = self._open(create=False)
        self._meta()
        key = self._meta_cache[0] if self._meta_cache is not None else None
        if key is None or key != self._loaded_meta:
            index.reload()
            self._loaded_meta = key
        return index.searcher()

    def _all_matches(self, query: Query | str, limit: int | None = None) -> tuple[Any, list[Any]]:
        """The searcher and the addresses of every match (up to ``limit``), in score order."""
        ast = parse_query(query) if isinstance(query, str) else query
        searcher = self._searcher()
        compiled = compile_query(ast, self._schema)
        total = searcher.search(compiled, limit=1, count=True).count
        n = total if limit is None else min(total, limit)
        if n <= 0:
            return searcher, []
        return searcher, [a for _, a in searcher.search(compiled, limit=n).hits]

    def matching_keys(self, query: Query | str) -> np.ndarray:
        """:func:`number_key` of every match, as a uint64 array: the filter set handed to the vector side."""
        searcher, addrs = self._all_matches(query)
        if not addrs:
            return np.empty(0, np.uint64)
        return np.asarray(searcher.fast_field_values("pn_key", addrs), dtype=np.uint64)

    def count(self, query: Query | str) -> int:
        """How many documents match ``query``."""
        ast = parse_query(query) if isinstance(query, str) else query
        return int(self._searcher().search(compile_query(ast, self._schema), limit=1, count=True).count)

    def passing(self, query: Query | str, numbers: Sequence[str]) -> set[str]:
        """Those of ``numbers`` that match ``query``: a filter checked on a few candidates (the nearest
        vectors), at a cost that grows with the candidates rather than with the matches."""
        if not numbers:
            return set()
        ast = parse_query(query) if isinstance(query, str) else query
        searcher = self._searcher()
        only = tantivy.Query.term_set_query(self._schema, "publication_number", list(numbers))
        both = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, compile_query(ast, self._schema)), (tantivy.Occur.Must, only)]
        )
        addrs = [a for _, a in searcher.search(both, limit=len(numbers)).hits]
        if not addrs:
            return set()
        by_key = {number_key(n): n for n in numbers}
        return {by_key[k] for k in searcher.fast_field_values("pn_key", addrs) if k in by_key}

    def matching_numbers(self, query: Query | str, *, limit: int | None = None) -> list[str]:
        """Publication numbers of every match (up to ``limit``), in score order (what an export selects).

        Read from the stored field: tantivy-py gives fast-field access to numeric fields only.
        """
        searcher, addrs = self._all_matches(query, limit)
        return [searcher.doc(a)["publication_number"][0] for a in addrs]

    def search(
        self,
        query: Query | str,
        *,
        limit: int = 20,
        offset: int = 0,
        collapse_family: bool = False,
        facets: Sequence[str] = ("applicant", "ipc", "year", "country"),
        facet_size: int = 20,
    ) -> TextResults:
        """Run a query: ranked hits (with snippets), total matches and facet counts over all matches.

        With ``collapse_family`` the hits are one per family and the facets count families, like the list they
        sit beside (tantivy's cardinality estimate, as for the family total, never above the documents counted).

        Raises :class:`IndexMissingError` when there is no index, :class:`QuerySyntaxError` for bad text.
        Facets: ``applicant`` (harmonised), ``ipc`` (subclass), ``year`` (publication year), ``country``.
        """
        started = time.perf_counter()
        ast = parse_query(query) if isinstance(query, str) else query
        searcher = self._searcher()
        compiled = compile_query(ast, self._schema)
        text_part, _ = split_query(ast)
        order_by = None if text_part is not None else "pd"  # a pure filter ranks newest first

        def fetch(n: int, off: int) -> tuple[int, list[tuple[float, Any]]]:
            kwargs: dict[str, Any] = {"limit": max(n, 1), "offset": off, "count": True}
            if order_by:
                kwargs["order_by_field"] = order_by
            res = searcher.search(compiled, **kwargs)
            return res.count, [(float(s) if not order_by else 0.0, a) for s, a in res.hits]

        hidden: dict[int, int] = {}
        if not collapse_family:
            total, page = fetch(limit, offset)
        else:
            want = offset + limit
            window = max(want * 3, 50)
            while True:
                total, hits = fetch(window, 0)
                keys = searcher.fast_field_values("family_key", [a for _, a in hits]) if hits else []
                seen: dict[int, int] = {}
                kept: list[tuple[float, Any]] = []
                for (score, addr), key in zip(hits, keys, strict=True):
                    if key in seen:
                        hidden[seen[key]] = hidden.get(seen[key], 0) + 1
                        continue
                    seen[key] = len(kept)
                    kept.append((score, addr))
                if len(kept) >= want or len(hits) >= total or window >= 100_000:
                    break
                window *= 4
            page = kept[offset:want]
            hidden = {i - offset: n for i, n in hidden.items() if offset <= i < want}

        marker = Marker(terms_of(ast))
        hits_out: list[TextHit] = []
        for i, (score, addr) in enumerate(page):
            doc = searcher.doc(addr).to_dict()
            disp = json.loads(doc["display"][0])
            title_html, nt, found = marker.mark(disp.get("t"), width=400)
            abstract_html, na, found_ab = marker.mark(disp.get("a"))
            matched = marker.matched_terms(found | found_ab, (disp.get("pa"),))
            hits_out.append(
                TextHit(
                    publication_number=doc["publication_number"][0],
                    score=score,
                    title=disp.get("t"),
                    applicant=disp.get("pa"),
                    date=dt.date.fromisoformat(disp["d"]) if disp.get("d") else None,
                    country=disp.get("cc"),
                    family_id=disp.get("f"),
                    matched_terms=matched,
                    snippet=abstract_html if (na or not nt) and abstract_html else title_html,
                    title_highlighted=title_html,
                    family_hidden=hidden.get(i, 0),
                )
            )
        facet_counts: dict[str, list[FacetCount]] = {}
        families: int | None = None
        aggs: dict[str, Any] = {}
        for name in facets:
            if name not in FACETS:
                raise ValueError(f"unknown facet {name!r} (facets: {', '.join(FACETS)})")
            aggs[name] = {"terms": {"field": FACETS[name], "size": facet_size}}
            if collapse_family:  # families per value, as the collapsed list counts them, largest first
                aggs[name]["terms"]["order"] = {"families": "desc"}
                aggs[name]["aggs"] = {"families": {"cardinality": {"field": "family_key"}}}
        if collapse_family:
            aggs["_families"] = {"cardinality": {"field": "family_key"}}
        if aggs and total:
            result = searcher.aggregate(compiled, aggs)
            for name in facets:
                buckets = result.get(name, {}).get("buckets", [])
                facet_counts[name] = [
                    FacetCount(
                        _facet_value(b["key"]),
                        # an estimate (HyperLogLog), so bounded by the documents it counts
                        min(int(b["doc_count"]), round(float(b["families"]["value"])))
                        if collapse_family
                        else int(b["doc_count"]),
                    )
                    for b in buckets
                ]
            if collapse_family:
                families = min(total, round(float(result.get("_families", {}).get("value", 0))))
        else:
            facet_counts = {name: [] for name in facets}
        return TextResults(
            query=ast,
            total=total,
            hits=hits_out,
            facets=facet_counts,
            stale=self.is_stale(),
            took_ms=(time.perf_counter() - started) * 1000,
            families=families,
            facet_unit="families" if collapse_family else "documents",
        )


def _facet_value(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _hash_table(hashes: dict[str, str]) -> pa.Table:
    return pa.table(
        {
            "publication_number": pa.array(list(hashes.keys()), pa.string()),
            "record_hash": pa.array(list(hashes.values()), pa.string()),
        }
    )


def update_if_indexed(
    corpus_path: Path | str, progress: Callable[[int, int], None] | None = None
) -> UpdateStats | None:
    """Bring the corpus's full-text index up to date when it has one (``None`` when it has none): what a new
    indicator run needs, since the index carries each publication's derived legal status."""
    from patnav.corpus.store import Corpus

    with Corpus(corpus_path, create=False, read_only=True) as store:
        index = TextIndex.for_corpus(store)
        return index.update_from_corpus(store, progress=progress) if index.exists() else None


def _corpus_mtime(corpus_dir: Path | str) -> float | None:
    """The newest modification time of the corpus database and its write-ahead log (asked on every search)."""
    newest: float | None = None
    for name in ("corpus.duckdb", "corpus.duckdb.wal"):
        try:
            mtime = os.stat(os.path.join(corpus_dir, name)).st_mtime
        except OSError:
            continue
        newest = mtime if newest is None else max(newest, mtime)
    return newest

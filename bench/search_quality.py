"""Search quality on the real corpus: BM25 alone, vectors alone and hybrid (RRF), side by side.

Two tests, both on real records from ../shared/data (never copied into the repository):

1. claim → patent. Every real document with claims (USPTO grant/application XML, the historic USPTO formats,
   EPO publication XML) is a target; its query is its FIRST INDEPENDENT CLAIM. The corpus searched holds the
   targets plus distractors (PatentsView and Google Patents export rows), and it is a copy in which the
   claims and descriptions were nulled (``UPDATE publications SET claims = NULL, …``) before patnav's own
   text index and vectors were built: only titles and abstracts are indexed (and embedded), so the claim
   cannot find itself. Reports recall@1, recall@10 and MRR (over the top 100).
2. cross-lingual. Hand-written Chinese/Japanese translations (bench/data/crosslingual_queries.tsv) of the
   English machine-translated titles of CN/JP rows of the Google Patents exports, searched in a corpus of all
   Google rows plus PatentsView distractors. Reports hits@1 and hits@10. The vectors here are e5's (the only
   multilingual model); BM25 of Chinese tokens against English titles is expected to miss.

Lexical, semantic and hybrid numbers all come from ``patnav.search.api.Searcher`` (modes ``lexical``,
``semantic``, ``hybrid``: RRF k=60 of the BM25 and vector top-100), so the bench measures the product; when
that module is missing, the same fusion is done here (printed as "bench RRF").

``--citations`` adds citation recall: for each document, the share of its cited patents present in the
corpus that are in its top k (``--corpus PATH`` runs it on another, larger corpus with a built index). It
prints "n/a" when fewer than 30 (citing, cited) pairs are in the corpus.

Scratch corpora live in bench/out/search_quality/ (git-ignored) and are reused when the options match, so a
second run only re-queries; embeddings are incremental (patnav's own vector store).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out" / "search_quality"
QUERIES_TSV = ROOT / "bench" / "data" / "crosslingual_queries.tsv"
TARGET_SETS = ("uspto-grant-xml", "uspto-formats", "ep-publication-xml")
DISTRACTOR_SETS = ("patentsview", "google-patents-export")
DEPTH = 100  # ranks looked at for MRR
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_KIND = re.compile(r"^([A-Z]{2}\d+?)(?:[A-Z]\d?)?$")
MAX_QUERY_WORDS = 64

sys.path.insert(0, str(ROOT / "src"))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- corpora


def _ready(path: Path, params: dict[str, Any]) -> bool:
    f = path / "bench-ready.json"
    try:
        return json.loads(f.read_text()) == params
    except (OSError, ValueError):
        return False


def _delete_publications(corpus: Any, numbers: list[str]) -> None:
    if not numbers:
        return
    import pyarrow as pa

    from patnav.model.schema import PUBLICATION_CHILDREN

    corpus.con.register("_drop", pa.table({"publication_number": numbers}))
    for table in ("publications", *PUBLICATION_CHILDREN):
        corpus.con.execute(f"DELETE FROM {table} WHERE publication_number IN (SELECT publication_number FROM _drop)")
    corpus.con.unregister("_drop")


def _sample_distractors(corpus: Any, keep_out: set[str], limit: int | None, seed: int) -> int:
    """Keep ``limit`` random distractors (all when None); returns how many are kept."""
    others = sorted(n for (n,) in corpus.con.execute("SELECT publication_number FROM publications").fetchall())
    others = [n for n in others if n not in keep_out]
    if limit is not None and limit < len(others):
        rng = random.Random(seed)
        keep = set(rng.sample(others, limit))
        _delete_publications(corpus, [n for n in others if n not in keep])
        return limit
    return len(others)


def build_claims_corpus(path: Path, limit: int | None, seed: int) -> dict[str, Any]:
    """Targets (documents with claims) + distractors, claims/description nulled; returns the saved info."""
    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import Corpus

    params = {"kind": "claims", "limit": limit, "seed": seed, "v": 2}
    if _ready(path, params):
        return json.loads((path / "bench-info.json").read_text())
    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    corpus = Corpus(path)
    try:
        load_paths(corpus, [DATA / s for s in TARGET_SETS], export=False)
        rows = corpus.con.execute(
            "SELECT publication_number, independent_claims[1], coalesce(abstract, '') <> '' FROM publications"
            " WHERE len(independent_claims) > 0 AND trim(coalesce(independent_claims[1], '')) <> ''"
            " ORDER BY publication_number"
        ).fetchall()
        queries = [{"publication_number": n, "claim": c, "has_abstract": bool(a)} for n, c, a in rows]
        targets = {q["publication_number"] for q in queries}
        # Documents of the target sets without claims are not queries; they stay as (real) distractors.
        extra = {n for (n,) in corpus.con.execute("SELECT publication_number FROM publications").fetchall()} - targets
        load_paths(corpus, [DATA / s for s in DISTRACTOR_SETS], export=False)
        kept = _sample_distractors(corpus, targets | extra, limit, seed)
        citations = corpus.con.execute(
            "SELECT publication_number, list(DISTINCT cited_number) FROM citations"
            " WHERE cited_number IS NOT NULL GROUP BY 1"
        ).fetchall()
        corpus.con.execute(
            "UPDATE publications SET claims = NULL, independent_claims = NULL, claims_count = NULL,"
            " description = NULL, description_length = NULL"
        )
        total = corpus.con.execute("SELECT count(*) FROM publications").fetchone()[0]
    finally:
        corpus.close()
    info = {
        "queries": queries,
        "citations": {n: c for n, c in citations},
        "distractors": kept + len(extra),
        "docs": int(total),
        "load_seconds": time.perf_counter() - started,
    }
    (path / "bench-info.json").write_text(json.dumps(info))
    (path / "bench-ready.json").write_text(json.dumps(params))
    return info


def build_crosslingual_corpus(path: Path, limit: int | None, seed: int) -> dict[str, Any]:
    """All Google export rows + PatentsView distractors (``limit`` of them)."""
    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import Corpus

    params = {"kind": "crosslingual", "limit": limit, "seed": seed, "v": 2}
    if _ready(path, params):
        return json.loads((path / "bench-info.json").read_text())
    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    corpus = Corpus(path)
    try:
        load_paths(corpus, [DATA / "google-patents-export"], export=False)
        google = {n for (n,) in corpus.con.execute("SELECT publication_number FROM publications").fetchall()}
        load_paths(corpus, [DATA / "patentsview"], export=False)
        kept = _sample_distractors(corpus, google, limit, seed)
        total = corpus.con.execute("SELECT count(*) FROM publications").fetchone()[0]
    finally:
        corpus.close()
    info = {"google_rows": len(google), "distractors": kept, "docs": int(total)}
    info["load_seconds"] = time.perf_counter() - started
    (path / "bench-info.json").write_text(json.dumps(info))
    (path / "bench-ready.json").write_text(json.dumps(params))
    return info


def build_indexes(path: Path, model: str) -> dict[str, float]:
    """patnav's text index and ``model``'s vectors for the corpus at ``path`` (both incremental)."""
    from patnav.corpus.store import Corpus
    from patnav.search.embedder import get_embedder
    from patnav.search.text_index import TextIndex
    from patnav.search.vectors import embed_corpus

    times: dict[str, float] = {}
    corpus = Corpus(path)
    try:
        t = time.perf_counter()
        st = TextIndex.for_corpus(corpus).update_from_corpus(corpus)
        times["text index"] = time.perf_counter() - t
        times["text indexed docs"] = st.indexed
        emb = get_embedder(model)
        t = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                log(f"  embedding with {model}: {done}/{total}")

        es = embed_corpus(corpus, emb, progress)
        times["embedding"] = time.perf_counter() - t
        times["embedded docs"] = es.embedded
    finally:
        corpus.close()
    return times


# ---------------------------------------------------------------------------------------------- searching


class _MemoEmbedder:
    """The real embedder with a memo: a query text is embedded once even when three modes run it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.version, self.dim = inner.name, inner.version, inner.dim
        self.memo: dict[tuple[str, str], np.ndarray] = {}
        self.seconds = 0.0
        self.calls = 0

    def embed(self, texts: list[str], *, kind: str = "passage") -> np.ndarray:
        out = []
        for t in texts:
            key = (kind, t)
            if key not in self.memo:
                s = time.perf_counter()
                self.memo[key] = self.inner.embed([t], kind=kind)[0]
                self.seconds += time.perf_counter() - s
                self.calls += 1
            out.append(self.memo[key])
        return np.stack(out) if out else np.empty((0, self.dim), np.float32)


def rrf(lists: list[list[str]], k: int = 60) -> list[str]:
    scores: dict[str, float] = {}
    for ranked in lists:
        for i, n in enumerate(ranked):
            scores[n] = scores.get(n, 0.0) + 1.0 / (k + i + 1)
    return sorted(scores, key=lambda n: (-scores[n], n))


class Engine:
    """Ranked publication numbers for (lexical query, semantic text) in the three modes."""

    def __init__(self, corpus_path: Path, model: str) -> None:
        from patnav.search.embedder import get_embedder

        self.emb = _MemoEmbedder(get_embedder(model))
        self.model = model
        try:
            from patnav.search.api import Searcher

            self.searcher: Any = Searcher(corpus_path, model=model)
            self.searcher._embedder = self.emb  # same model, memoised (no double embedding across modes)
            self.fusion = "patnav.search.api.Searcher (RRF k=60, depth 100)"
        except ImportError:
            from patnav.corpus.store import Corpus
            from patnav.search.text_index import TextIndex
            from patnav.search.vectors import VectorStore

            self.searcher = None
            self.corpus = Corpus(corpus_path, create=False, read_only=True)
            self.text = TextIndex.for_corpus(self.corpus)
            self.store = VectorStore.for_corpus(self.corpus, self.emb)
            self.fusion = "bench RRF k=60 over BM25/vector top-100 (patnav.search.api not present)"
        self.seconds: dict[str, list[float]] = {"lexical": [], "semantic": [], "hybrid": []}
        self.errors: dict[str, int] = {"lexical": 0, "semantic": 0, "hybrid": 0}

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        else:
            self.corpus.close()

    def ranked(self, mode: str, query: str | None, semantic: str | None, exclude: str | None = None) -> list[str]:
        start = time.perf_counter()
        try:
            out = self._ranked(mode, query, semantic)
        except Exception as exc:  # a query the engine refuses is a miss, counted and reported
            self.errors[mode] += 1
            if self.errors[mode] <= 2:
                log(f"  {mode} failed on {(query or semantic or '')[:60]!r}: {type(exc).__name__}: {exc}")
            out = []
        self.seconds[mode].append(time.perf_counter() - start)
        return [n for n in out if n != exclude]

    def _ranked(self, mode: str, query: str | None, semantic: str | None) -> list[str]:
        if self.searcher is not None:
            if mode == "lexical":
                res = self.searcher.search(query, mode="lexical", limit=DEPTH, facets=())
            elif mode == "semantic":
                res = self.searcher.search(None, semantic=semantic, mode="semantic", limit=DEPTH, facets=())
            else:
                res = self.searcher.search(query, semantic=semantic, mode="hybrid", limit=DEPTH, facets=())
            return [h.publication_number for h in res.hits]
        lex = [h.publication_number for h in self.text.search(query, limit=DEPTH, facets=()).hits] if query else []
        if mode == "lexical":
            return lex
        qv = self.emb.embed([semantic], kind="query")[0]
        sem = [n for n, _ in self.store.search(qv, DEPTH)]
        return sem if mode == "semantic" else rrf([lex, sem])


def or_query(text: str) -> str:
    """A long text (a claim) as a query: its distinct words joined by OR (juxtaposition would be AND)."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(text):
        lw = w.lower()
        if lw not in ("and", "or", "not", "to") and len(lw) > 1:
            seen.setdefault(lw, None)
    return " OR ".join(list(seen)[:MAX_QUERY_WORDS])


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "r@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
        "r@10": sum(1 for r in ranks if r is not None and r <= 10) / n,
        "mrr": sum(1.0 / r for r in ranks if r is not None) / n,
    }


def rank_of(target: str, ranked: list[str]) -> int | None:
    try:
        return ranked.index(target) + 1
    except ValueError:
        return None


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print(
        "  "
        + "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True)))
    )
    print("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        print(
            "  "
            + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )


def _ms(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:.0f}" if xs else "-"


# ---------------------------------------------------------------------------------------------- the tests


def claims_test(args: argparse.Namespace) -> None:
    path = OUT / f"claims-{args.limit_distractors or 'all'}"
    t = time.perf_counter()
    info = build_claims_corpus(path, args.limit_distractors, args.seed)
    load_s = time.perf_counter() - t
    log(f"claims corpus: {info['docs']} docs; building indexes ({args.model}) …")
    times = build_indexes(path, args.model)
    queries = info["queries"][: args.max_queries] if args.max_queries else info["queries"]
    eng = Engine(path, args.model)
    t = time.perf_counter()
    ranks: dict[str, list[int | None]] = {"lexical": [], "semantic": [], "hybrid": []}
    try:
        for i, q in enumerate(queries):
            lexq = or_query(q["claim"])
            for mode in ranks:
                ranks[mode].append(rank_of(q["publication_number"], eng.ranked(mode, lexq, q["claim"])))
            if (i + 1) % 100 == 0:
                log(f"  claim queries: {i + 1}/{len(queries)}")
    finally:
        eng.close()
    query_s = time.perf_counter() - t
    with_abs = [i for i, q in enumerate(queries) if q["has_abstract"]]
    rows = []
    for mode, label in (
        ("lexical", "BM25 (patnav TextIndex)"),
        ("semantic", f"vectors ({eng.emb.name})"),
        ("hybrid", "hybrid RRF"),
    ):
        m = metrics(ranks[mode])
        m2 = metrics([ranks[mode][i] for i in with_abs])
        rows.append(
            [
                label,
                f"{m['r@1']:.3f}",
                f"{m['r@10']:.3f}",
                f"{m['mrr']:.3f}",
                f"{m2['r@10']:.3f}",
                _ms(eng.seconds[mode]),
                str(eng.errors[mode]),
            ]
        )
    table(
        f"1. claim -> patent: {len(queries)} queries (first independent claim of each real document with claims),"
        f" {info['docs']} docs indexed by title + abstract only ({info['distractors']} distractors)",
        ["method", "recall@1", "recall@10", "MRR", "r@10 (has abstract)", "median ms/query", "errors"],
        rows,
    )
    print(
        f"  restricted index: a scratch corpus copy with claims, independent_claims and description set to NULL,"
        f" then patnav's TextIndex + {eng.emb.name} vectors (title + abstract) built on it"
    )
    print(f"  {len(with_abs)} of {len(queries)} targets have an abstract; the others are found by title alone")
    print(f"  lexical query: the claim's distinct words OR-ed (at most {MAX_QUERY_WORDS}); semantic text: the claim")
    print(f"  hybrid: {eng.fusion}")
    print("  ms/query: the semantic column includes embedding the claim; hybrid reuses that vector (memoised)")
    print(
        f"  time: corpus {load_s:.1f}s (first build {info['load_seconds']:.1f}s), text index {times['text index']:.1f}s"
        f" ({int(times['text indexed docs'])} docs new), embedding {times['embedding']:.1f}s"
        f" ({int(times['embedded docs'])} passages new; cached between runs), queries {query_s:.1f}s"
        f" (query embedding {eng.emb.seconds:.1f}s for {eng.emb.calls} texts)"
    )
    if args.citations:
        citations_test(path, info, args, claims={q["publication_number"]: q["claim"] for q in info["queries"]})


def _stem(number: str) -> str:
    m = _KIND.match(number)
    return m.group(1) if m else number


def citations_test(
    path: Path, info: dict[str, Any] | None, args: argparse.Namespace, claims: dict[str, str] | None = None
) -> None:
    """Share of each document's in-corpus cited patents that its claim (or title + abstract) finds in top k."""
    from patnav.corpus.store import Corpus

    corpus = Corpus(path, create=False, read_only=True)
    try:
        numbers = [n for (n,) in corpus.con.execute("SELECT publication_number FROM publications").fetchall()]
        if info is not None:
            cites = info["citations"]
        else:
            cites = dict(
                corpus.con.execute(
                    "SELECT publication_number, list(DISTINCT cited_number) FROM citations"
                    " WHERE cited_number IS NOT NULL GROUP BY 1"
                ).fetchall()
            )
        by_stem: dict[str, str] = {}
        for n in numbers:
            by_stem.setdefault(_stem(n), n)
        texts = dict(
            corpus.con.execute(
                "SELECT publication_number, coalesce(independent_claims[1], concat_ws(' ', title, abstract))"
                " FROM publications"
            ).fetchall()
        )
    finally:
        corpus.close()
    if claims:
        texts.update(claims)
    pairs = {
        n: {by_stem[_stem(c)] for c in cs if _stem(c) in by_stem and by_stem[_stem(c)] != n}
        for n, cs in cites.items()
        if n in texts
    }
    pairs = {n: cs for n, cs in pairs.items() if cs}
    n_pairs = sum(len(cs) for cs in pairs.values())
    title = f"citations: {n_pairs} (citing, cited) pairs with both in the corpus, {len(pairs)} citing documents"
    if n_pairs < 30:
        print(f"\n{title}\n  n/a: few cited patents are in this corpus (< 30 pairs); run with --corpus on a larger one")
        return
    eng = Engine(path, args.model)
    found: dict[str, list[float]] = {"lexical": [], "semantic": [], "hybrid": []}
    try:
        for n, cited in pairs.items():
            text = texts[n] or ""
            for mode in found:
                top = eng.ranked(mode, or_query(text), text, exclude=n)[: args.k]
                found[mode].append(len(cited & set(top)) / len(cited))
    finally:
        eng.close()
    rows = [[m, f"{statistics.mean(v):.3f}", _ms(eng.seconds[m])] for m, v in found.items()]
    table(title, ["method", f"cited recall@{args.k}", "median ms/query"], rows)


def crosslingual_test(args: argparse.Namespace) -> None:
    path = OUT / f"crosslingual-{args.xl_distractors or 'all'}"
    t = time.perf_counter()
    info = build_crosslingual_corpus(path, args.xl_distractors, args.seed)
    load_s = time.perf_counter() - t
    log(f"cross-lingual corpus: {info['docs']} docs; building indexes (e5) …")
    times = build_indexes(path, "e5")
    with QUERIES_TSV.open(encoding="utf-8") as fh:
        rows_in = list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))
    eng = Engine(path, "e5")
    t = time.perf_counter()
    ranks: dict[str, list[int | None]] = {"lexical": [], "semantic": [], "hybrid": []}
    per_query: list[tuple[str, str, list[str]]] = []
    try:
        for r in rows_in:
            marks = []
            for mode in ranks:
                rk = rank_of(r["publication_number"], eng.ranked(mode, r["query"], r["query"]))
                ranks[mode].append(rk)
                marks.append(str(rk) if rk is not None and rk <= DEPTH else "-")
            per_query.append((r["publication_number"], r["lang"], marks))
    finally:
        eng.close()
    query_s = time.perf_counter() - t
    langs = sorted({r["lang"] for r in rows_in})
    out = []
    for mode, label in (
        ("lexical", "BM25 (patnav TextIndex)"),
        ("semantic", f"vectors ({eng.emb.name})"),
        ("hybrid", "hybrid RRF"),
    ):
        m = metrics(ranks[mode])
        by_lang = []
        for lang in langs:
            sel = [ranks[mode][i] for i, r in enumerate(rows_in) if r["lang"] == lang]
            by_lang.append(f"{metrics(sel)['r@10']:.2f}")
        out.append(
            [
                label,
                f"{m['r@1']:.3f}",
                f"{m['r@10']:.3f}",
                f"{m['mrr']:.3f}",
                *by_lang,
                _ms(eng.seconds[mode]),
                str(eng.errors[mode]),
            ]
        )
    counts = {lang: sum(1 for r in rows_in if r["lang"] == lang) for lang in langs}
    table(
        f"2. cross-lingual: {len(rows_in)} hand-written queries ({', '.join(f'{v} {k}' for k, v in counts.items())})"
        f" -> English machine-translated titles; {info['docs']} docs ({info['google_rows']} Google export rows"
        f" + {info['distractors']} PatentsView distractors)",
        ["method", "hits@1", "hits@10", "MRR", *(f"hits@10 {lang}" for lang in langs), "median ms/query", "errors"],
        out,
    )
    print(f"  hybrid: {eng.fusion}; model {eng.emb.name}")
    print(
        f"  time: corpus {load_s:.1f}s, text index {times['text index']:.1f}s, embedding {times['embedding']:.1f}s"
        f" ({int(times['embedded docs'])} passages new; cached between runs), queries {query_s:.1f}s"
    )
    if args.verbose:
        for n, lang, marks in per_query:
            print(f"    {n:14s} {lang}  rank lexical/semantic/hybrid: {' / '.join(marks)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="minilm", choices=["minilm", "e5"], help="vectors for the claim test")
    ap.add_argument(
        "--limit-distractors",
        type=int,
        default=1000,
        help="claim test: random distractors kept (0: all ~8,300; embedding them all is slow)",
    )
    ap.add_argument(
        "--xl-distractors",
        type=int,
        default=300,
        help="cross-lingual test: random PatentsView distractors kept (0: all 6,186; e5 is slow)",
    )
    ap.add_argument("--max-queries", type=int, default=0, help="claim queries to run (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["claims", "crosslingual"], help="run one test")
    ap.add_argument("--citations", action="store_true", help="also measure cited-patent recall@k")
    ap.add_argument("--corpus", type=Path, help="with --citations: an existing corpus (index built) to use")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("-v", "--verbose", action="store_true", help="print each cross-lingual query's ranks")
    args = ap.parse_args(argv)
    args.limit_distractors = args.limit_distractors or None
    args.xl_distractors = args.xl_distractors or None
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"patnav search quality — real data from {DATA} (2 cores shared: times are indicative)")
    if args.corpus is not None:
        citations_test(args.corpus, None, args)
    else:
        if args.only in (None, "claims"):
            claims_test(args)
        if args.only in (None, "crosslingual"):
            crosslingual_test(args)
    print(f"\ntotal {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

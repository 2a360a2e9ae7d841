"""Landscape map build time at 10,000 and 100,000 points: vectors → clusters → labels → UMAP → terrain.

THE POINTS ARE REAL RECORDS RESAMPLED WITH NOISE. The real data of --data (../shared/data) is loaded by patnav's
loader into a source corpus (or --source-corpus is used as it is). Its publications with a title or abstract
(~8,300) are the sources. Their vectors are the corpus's stored vectors of --model (MiniLM by default: 384
dimensions, like e5) when it has them; otherwise --embed-sources of them (default 2,000, drawn with --seed) are
embedded once with the model and cached under bench/out/landscape/.

Point i of a run of N is made from source s = perm(i mod S) (S sources, perm a random permutation): the first
copy of each source is its real vector, later copies lie between it and one of its 10 nearest sources (a random
fraction up to one half of the way, as SMOTE does), so the points fill the space between real neighbours instead
of piling up on S spots; every point gets Gaussian noise of --noise (sigma per dimension, default 0.02) and is
L2-normalised. Its text (for the labels and the TF-IDF fallback) is its source's title and abstract.

Each size runs in its own process (its peak memory is its own: ru_maxrss of the child) and times, --repeat times
(median reported), the steps of ``patnav.analysis.landscape`` through the library's own functions:
  tfidf       the fallback vectors: tokens of every text + TextSpace.fit_transform (what a set without stored
              vectors costs instead of reading them; not part of "map" below)
  clusters    cluster_vectors: k by silhouette on a 3,000 sample (k in 8..30), then k-means on all points
  labels      cluster_terms on at most 2,000 documents per cluster
  umap        project(): UMAP fitted on all points (strategy "full") or on --fit-max of them with transform for
              the rest (strategy "sample", the library default above 20,000 points)
  terrain     density_grid (80 x 80) + cluster_peaks
  map         clusters + labels + umap + terrain (the map from stored vectors)
The engine queries (texts, applicants, years) are not part of it: the points have no corpus rows.
Figures go to bench/out/landscape-<N>.json. On a busy shared machine expect large run-to-run spread.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out"
WORK = OUT / "landscape"
SOURCE_SETS = ("google-patents-export", "patentsview", "ep-publication-xml", "office-api-responses", "uspto-grant-xml")

sys.path.insert(0, str(ROOT / "src"))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------- sources


def source_corpus(data: Path, given: Path | None) -> Path:
    """The real records loaded by patnav's loader (``given`` if named; else loaded once under bench/out)."""
    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import Corpus

    if given is not None:
        return given
    path = WORK / "source-corpus"
    if (path / "corpus.duckdb").exists():
        return path
    folders = [data / s for s in SOURCE_SETS if (data / s).exists()]
    if not folders:
        raise SystemExit(f"no real data under {data}; use --data or --source-corpus")
    with Corpus(path) as corpus:
        load_paths(corpus, folders, export=False)
    return path


def sources(args: argparse.Namespace) -> Path:
    """Write (once) the sources' numbers, texts and vectors to an .npz and return its path."""
    from patnav.analysis.landscape import PLACEHOLDER_TEXTS
    from patnav.engine import get_engine
    from patnav.search.embedder import get_embedder
    from patnav.search.vectors import VectorStore, store_path

    WORK.mkdir(parents=True, exist_ok=True)
    corpus = source_corpus(args.data, args.source_corpus)
    emb = get_embedder(args.model)
    cache = WORK / f"sources-{emb.name}-{emb.version}-{args.embed_sources}-{args.seed}.npz"
    if cache.exists():
        return cache

    def clean(text: str | None) -> str:
        return "" if text is None or text.strip().lower() in PLACEHOLDER_TEXTS else text

    with get_engine("duckdb", corpus) as engine:
        rows = engine.rows(
            "SELECT publication_number, title, title_lang, abstract, abstract_lang FROM publications"
            " ORDER BY publication_number"
        )
    rows = [r for r in rows if clean(r[1]).strip() or clean(r[3]).strip()]
    folder = store_path(corpus, emb.name)
    if (folder / "manifest.parquet").exists():
        store = VectorStore(folder)
        rows = [r for r in rows if r[0] in store]
        vectors = np.stack([store.vector_of(r[0]) for r in rows])
        origin = f"stored vectors of {emb.name} in {corpus}"
    else:
        rng = np.random.default_rng(args.seed)
        pick = np.sort(rng.choice(len(rows), size=min(args.embed_sources, len(rows)), replace=False))
        rows = [rows[i] for i in pick]
        log(f"embedding {len(rows)} real records with {emb.name} (cached in {cache.name})")
        started = time.perf_counter()
        texts = ["\n".join(p for p in (clean(r[1]).strip(), clean(r[3]).strip()) if p) for r in rows]
        vectors = emb.embed(texts, kind="passage")
        origin = f"{len(rows)} records embedded with {emb.name} in {time.perf_counter() - started:.0f} s"
    np.savez(
        cache,
        numbers=np.array([r[0] for r in rows]),
        texts=np.array([json.dumps([clean(r[1]), r[2], clean(r[3]), r[4]]) for r in rows]),
        vectors=vectors.astype(np.float32),
        origin=np.array(origin),
    )
    return cache


def resample(vectors: np.ndarray, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points from the sources (see the module doc): ``(vectors float32 (n, dim), source index per point)``."""
    rng = np.random.default_rng(seed)
    s = len(vectors)
    src = rng.permutation(s)[np.arange(n) % s]  # below s points: a random subset of the sources
    near = np.empty((s, 10), dtype=np.int64)
    for start in range(0, s, 2048):  # the 10 nearest other sources of each source
        sims = vectors[start : start + 2048] @ vectors.T
        sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf
        near[start : start + 2048] = np.argpartition(-sims, 10, axis=1)[:, :10]
    out = vectors[src].copy()
    later = np.arange(n) >= s  # every source's first copy is its real vector
    partner = near[src[later], rng.integers(0, 10, size=int(later.sum()))]
    lam = rng.uniform(0, 0.5, size=(int(later.sum()), 1)).astype(np.float32)
    out[later] += lam * (vectors[partner] - out[later])
    out += rng.normal(0, noise, size=out.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32), src


# ----------------------------------------------------------------------------------------------- one size


def run_phase(args: argparse.Namespace) -> dict[str, Any]:
    """One size and strategy, in this process: the timings of every step, ``args.repeat`` times."""
    from patnav.analysis.landscape import cluster_peaks, density_grid, limit_threads, project
    from patnav.analysis.topics import TextSpace, cluster_terms, cluster_vectors, document_tokens

    z = np.load(args.sources)
    texts = [tuple(json.loads(t)) for t in z["texts"].tolist()]
    vectors, src = resample(z["vectors"], args.n, args.noise, args.seed)
    fit_max = args.n if args.strategy == "full" else args.fit_max
    runs: list[dict[str, float]] = []
    info: dict[str, Any] = {}
    for _ in range(args.repeat):
        t: dict[str, float] = {}
        with limit_threads(args.threads):
            started = time.perf_counter()
            docs = [document_tokens(*texts[i]) for i in src]
            TextSpace().fit_transform(docs)
            t["tfidf"] = time.perf_counter() - started
            del docs

            started = time.perf_counter()
            labels, _, how = cluster_vectors(vectors)
            t["clusters"] = time.perf_counter() - started

            started = time.perf_counter()
            rng = np.random.default_rng(0)
            rows = np.sort(
                np.concatenate(
                    [
                        rng.choice(m, size=min(len(m), 2000), replace=False)
                        for m in (np.nonzero(labels == c)[0] for c in range(how.k))
                    ]
                )
            )
            terms = cluster_terms([texts[src[i]] for i in rows], labels[rows])
            t["labels"] = time.perf_counter() - started

        started = time.perf_counter()
        xy, _, projection = project(vectors, fit_max=fit_max)
        t["umap"] = time.perf_counter() - started

        started = time.perf_counter()
        grid = density_grid(xy)
        cluster_peaks(grid, xy, labels)
        t["terrain"] = time.perf_counter() - started
        t["map"] = t["clusters"] + t["labels"] + t["umap"] + t["terrain"]
        runs.append(t)
        info = {
            "k": how.k,
            "silhouettes": {s.k: round(s.silhouette, 4) for s in how.tried},
            "fitted": projection.fitted,
            "transformed": projection.transformed,
            "labels": {c: " · ".join(x.text for x in terms[c][:3]) for c in sorted(terms)[:5]},
        }
        log(f"  n={args.n} {args.strategy}: " + ", ".join(f"{k} {v:.1f} s" for k, v in t.items()))
    return {
        "n": args.n,
        "strategy": args.strategy,
        "fit_max": fit_max,
        "repeat": args.repeat,
        "median_s": {k: statistics.median(r[k] for r in runs) for k in runs[0]},
        "runs": runs,
        **info,
    }


def run_child(args: argparse.Namespace, n: int, strategy: str, repeat: int) -> dict[str, Any]:
    """Run one size in a child process; its result with the child's peak memory."""
    cmd = [sys.executable, __file__, "--phase", "run", "--n", str(n), "--strategy", strategy, "--repeat", str(repeat)]
    cmd += ["--sources", str(args.sources), "--noise", str(args.noise), "--seed", str(args.seed)]
    cmd += ["--fit-max", str(args.fit_max), "--threads", str(args.threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"the run for n={n} ({strategy}) failed")
    result = json.loads(out)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3, help="runs per size (median reported)")
    ap.add_argument("--full-repeat", type=int, default=1, help="runs of the full UMAP fit above --fit-max")
    ap.add_argument("--full-max", type=int, default=100_000, help="largest size also timed with a full UMAP fit")
    ap.add_argument("--fit-max", type=int, default=20_000, help="UMAP sample size of the 'sample' strategy")
    ap.add_argument("--model", default="minilm")
    ap.add_argument("--embed-sources", type=int, default=2000)
    ap.add_argument("--noise", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (the library default is 1)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--source-corpus", type=Path)
    ap.add_argument("--phase", choices=["run"], help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--strategy", choices=["sample", "full"], default="sample", help=argparse.SUPPRESS)
    ap.add_argument("--sources", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase == "run":
        print(json.dumps(run_phase(args)))
        return 0

    args.sources = sources(args)
    z = np.load(args.sources)
    log(f"sources: {len(z['numbers'])} real records, {z['vectors'].shape[1]} dimensions ({z['origin']})")
    results = []
    for n in args.sizes:
        plan = [("sample", args.repeat)]
        if n > args.fit_max and n <= args.full_max:
            plan.append(("full", args.full_repeat))
        for strategy, repeat in plan:
            log(f"n={n} strategy={strategy} ({repeat} run(s)) …")
            result = run_child(args, n, strategy, repeat)
            result["sources"] = {"records": len(z["numbers"]), "origin": str(z["origin"]), "noise": args.noise}
            results.append(result)
            (OUT / f"landscape-{n}-{strategy}.json").write_text(json.dumps(result, indent=2))

    steps = ["tfidf", "clusters", "labels", "umap", "terrain", "map"]
    print("RESAMPLED REAL VECTORS AND TEXTS WITH NOISE (see the module doc); medians in seconds; 2 shared cores")
    print(f"{'points':>8} {'umap':>14} {'runs':>4} " + " ".join(f"{s:>9}" for s in steps) + f" {'k':>3} {'peak MB':>8}")
    for r in results:
        umap_how = "full fit" if r["strategy"] == "full" or r["n"] <= r["fit_max"] else f"fit {r['fit_max']}+tr"
        print(
            f"{r['n']:>8} {umap_how:>14} {r['repeat']:>4} "
            + " ".join(f"{r['median_s'][s]:>9.1f}" for s in steps)
            + f" {r['k']:>3} {r['peak_rss_mb']:>8.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

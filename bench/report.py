"""An industrial-planning project run end to end over 10,000 and 100,000 patents: the time of each analysis and of
each output format (HTML, PDF, DOCX, XLSX), the outputs' sizes and peak memory.

THE CORPUS IS REAL RECORDS RESAMPLED AND RENUMBERED, WITH SYNTHETIC CITATIONS. It is built by bench/indicators.py's
own ``build_corpus`` (imported, not copied): the real publications of ../shared/data that have an IPC symbol and a
publication date (~420) are drawn with replacement --sizes times, each copy under a fresh number with its real
title, abstract, parties, classifications, priorities, legal events and family, dates shifted by whole years over
1990-2025; claims and descriptions dropped; --citations-per (default 5) synthetic patent citations per publication.
So a corpus of 10,000 holds ~420 distinct texts, each ~24 times (100,000: ~240 times).

Then, not timed as part of the run: the corpus's full-text index (``TextIndex.update_from_corpus``) and its vector
store. THE VECTORS ARE PRECOMPUTED, NOT EMBEDDED PER PUBLICATION: each distinct real text is embedded once with the
default model e5 (multilingual-e5-small-q4, the model ``landscape`` reads by default), and the store of the corpus
is written by the product's own ``embed_corpus`` (ledger, shards, snapshot, HNSW graph) with a stand-in embedder
that answers every publication with its source text's real vector plus Gaussian noise (--noise, sigma per
dimension, default 0.02) and L2-normalises it. The landscape therefore takes its "stored vectors" path; the script
reports the path it actually took (source and reason) from the run.

The run: ``run_project`` of an ``industry`` project whose query ``pd>=1990`` selects the whole corpus, all four
formats, in its own process per repeat (--repeat, median printed); peak memory is the larger of the child's VmHWM
and its process tree's resident memory sampled every 100 ms (as bench/indicators.py). Load average printed.
Targets (issue #6), on this 2-core machine: 10,000 patents -> all four outputs <= 60 s; 100,000 -> <= 10 min;
peak memory <= 8 GB. Figures go to bench/out/report-<sizes>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
WORK = OUT / "report"
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import indicators as ind  # noqa: E402  (bench/indicators.py: the corpus builder)

TARGET_S = {10_000: 60.0, 100_000: 600.0}
TARGET_PEAK_MB = 8 * 1024
QUERY = "pd>=1990"
CORPUS_VERSION = 1  # bump when the build changes, so --keep rebuilds
ANALYSES = ("patent set", "trends", "players", "geography", "technology", "landscape", "citations", "talent")
ANALYSES += ("indicators", "report model")
FORMATS = ("html", "pdf", "docx", "xlsx")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------- corpus


def _text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def source_vectors(corpus_path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The e5 vector of every distinct (title, abstract) text of the corpus, embedded once (cached by text hash)."""
    import duckdb

    from patnav.corpus.store import DB_FILE
    from patnav.search.embedder import get_embedder
    from patnav.search.vectors import _text_of

    emb = get_embedder("e5")
    cache = WORK / f"source-vectors-{emb.name}-{emb.version}.npz"
    have: dict[str, np.ndarray] = {}
    if cache.exists():
        z = np.load(cache)
        have = dict(zip(z["hashes"].tolist(), z["vectors"], strict=True))
    con = duckdb.connect(str(corpus_path / DB_FILE), read_only=True)
    texts = {_text_of(t, a) for t, a in con.execute("SELECT DISTINCT title, abstract FROM publications").fetchall()}
    con.close()
    texts.discard("")
    todo = sorted(t for t in texts if _text_hash(t) not in have)
    started = time.perf_counter()
    if todo:
        log(f"  embedding {len(todo)} distinct real texts with {emb.name} …")
        for t, v in zip(todo, emb.embed(todo, kind="passage"), strict=True):
            have[_text_hash(t)] = v.astype(np.float32)
        np.savez(cache, hashes=np.array(list(have)), vectors=np.stack(list(have.values())))
    info = {"model": emb.name, "version": emb.version, "distinct_texts": len(texts), "embedded_now": len(todo)}
    info["embed_seconds"] = time.perf_counter() - started
    return have, info


class _Resampled:
    """Stand-in embedder for ``embed_corpus``: a publication's vector is its real source text's e5 vector plus
    Gaussian noise, L2-normalised (the model is not run). Name and version are e5's, as the vectors are e5's."""

    def __init__(self, vectors: dict[str, np.ndarray], noise: float, seed: int) -> None:
        from patnav.search.embedder import get_embedder

        real = get_embedder("e5")
        self.name, self.version, self.dim = real.name, real.version, real.dim
        self.vectors, self.noise = vectors, noise
        self.rng = np.random.default_rng(seed)

    def embed(self, texts: list[str], *, kind: str = "passage") -> np.ndarray:
        out = np.stack([self.vectors[_text_hash(t)] for t in texts]).astype(np.float32)
        out += self.rng.normal(0, self.noise, size=out.shape).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def corpus_for(n: int, args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """The resampled corpus of ``n`` publications with its text index and precomputed vector store."""
    from patnav.corpus.store import Corpus
    from patnav.search.text_index import TextIndex
    from patnav.search.vectors import embed_corpus

    n_cits = n * args.citations_per
    path = WORK / f"corpus-{n}"
    info_file = path / "bench-report.json"
    key = {"version": CORPUS_VERSION, "n": n, "citations": n_cits, "seed": args.seed, "noise": args.noise}
    if args.keep and info_file.exists():
        info = json.loads(info_file.read_text())
        if all(info.get(k) == v for k, v in key.items()):
            info["reused"] = True
            with Corpus(path) as corpus:  # a newer index layout rebuilds itself; an up-to-date one is untouched
                TextIndex.for_corpus(corpus).update_from_corpus(corpus)
            return path, info
    src = ind.source_corpus(args.data, OUT / "indicators", args.source_corpus)
    same = ind.uspc_same_class_share(args.data) if (args.data / "uspto-grant-xml").exists() else None
    log(f"building {n:,} publications / {n_cits:,} citations at {path} …")
    built = ind.build_corpus(path, src, n, n_cits, args.seed, same[0] if same else 0.6, args.build_memory)
    info: dict[str, Any] = {**key, "build": {k: built[k] for k in ("pool", "counts", "distinct_titles")}}
    info["build_seconds"] = built["build_seconds"] + built["parquet_seconds"]
    t = time.perf_counter()
    with Corpus(path) as corpus:
        TextIndex.for_corpus(corpus).update_from_corpus(corpus)
    info["text_index_seconds"] = time.perf_counter() - t
    log(f"  text index: {info['text_index_seconds']:.1f}s")
    vectors, info["source_vectors"] = source_vectors(path)
    t = time.perf_counter()
    with Corpus(path) as corpus:
        stats = embed_corpus(corpus, _Resampled(vectors, args.noise, args.seed), chunk_size=16_384, batch_size=16_384)
    info["vector_store"] = {"stored": stats.embedded, "skipped_empty": stats.skipped_empty, "hnsw": stats.index_size}
    info["vector_store_seconds"] = time.perf_counter() - t
    log(f"  vector store ({stats.embedded:,} vectors + HNSW): {info['vector_store_seconds']:.1f}s")
    info_file.write_text(json.dumps(info, default=str))
    info["reused"] = False
    return path, info


# ----------------------------------------------------------------------------------------------- one run


def _child(corpus: str, n: str, out: str) -> None:
    """One run of the project in this process; prints its figures as one JSON line."""
    from patnav.navigation import runner
    from patnav.navigation.project import Project

    seen: dict[str, Any] = {}
    original = runner._landscape

    def spy(engine: Any, pset: Any, corpus_path: Path, as_of: dt.date) -> tuple[Any, Any]:
        result, gaps = original(engine, pset, corpus_path, as_of)
        if result is not None:
            v = result.vectors
            seen.update(source=v.source, reason=v.reason, model=v.model, dim=v.dim, stored=v.stored)
            seen.update(points=len(result.points), k=len(result.clusters), seconds=dict(result.seconds))
        return result, gaps

    runner._landscape = spy
    folder = Path(out)
    shutil.rmtree(folder, ignore_errors=True)
    project = Project(
        name=f"bench-report-{n}",
        type="industry",
        title=f"Industrial planning benchmark ({int(n):,} resampled patents)",
        query=QUERY,
        lang="zh_CN",
        as_of=ind.AS_OF,
    )
    started = time.perf_counter()
    result = runner.run_project(
        project, Path(corpus), runs_dir=folder / "runs", out_dir=folder / "out", formats=FORMATS
    )
    total = time.perf_counter() - started
    figures = {
        "total": total,
        "timings": dict(result.timings),
        "outputs": {f: p.stat().st_size for f, p in result.outputs.items()},
        "landscape": seen or None,
        "hwm_mb": ind._peak_self_mb(),
    }
    print(json.dumps(figures, default=str))


def run_child(corpus: Path, n: int) -> dict[str, Any]:
    """Run the project in its own process; peak = max(its VmHWM, its process tree's RSS sampled every 100 ms)."""
    cmd = [sys.executable, __file__, "--child", str(corpus), str(n), str(WORK / f"run-{n}")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, ind._tree_rss_mb(proc.pid))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    load_before = os.getloadavg()
    sampler.start()
    out, _ = proc.communicate()
    stop.set()
    sampler.join()
    load = {"before_1min": load_before[0], "after_1min": os.getloadavg()[0], "after_5min": os.getloadavg()[1]}
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"run process exited with {proc.returncode}", "peak_mb": peak, "load": load}
    result = json.loads(lines[-1])
    result["load"] = load
    result["tree_peak_mb"] = peak
    result["peak_mb"] = max(peak, result.get("hwm_mb", 0.0))
    return result


# ----------------------------------------------------------------------------------------------- report


def summarise(n: int, info: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
    steps = sorted({s for r in ok for s in r["timings"]}, key=lambda s: [*ANALYSES, *FORMATS, s].index(s))
    timings = {s: med([r["timings"].get(s, 0.0) for r in ok]) for s in steps}
    total = med([r["total"] for r in ok])
    peak = max((r["peak_mb"] for r in runs), default=None)
    target = TARGET_S.get(n)
    print(f"\n=== {n:,} patents (real records resampled: {info['build']['pool']} sources; {len(ok)}/{len(runs)} runs)")
    print(
        f"  corpus: {info['build']['counts']['publications']:,} publications, {info['build']['counts']['citations']:,}"
        f" citations, {info['build']['distinct_titles']} distinct titles; built in {info['build_seconds']:.0f}s,"
        f" text index {info['text_index_seconds']:.0f}s, vector store {info['vector_store_seconds']:.0f}s"
        f"{' (reused)' if info.get('reused') else ''}"
    )
    for r in runs:
        if "error" in r:
            print(f"  FAILED: {r['error']}")
    if not ok:
        return {"n": n, "corpus": info, "runs": runs, "pass": False}
    print(f"  {'step':<14}{'median s':>10}{'share':>8}")
    for s in steps:
        print(f"  {s:<14}{timings[s]:>10.2f}{timings[s] / total:>8.0%}")
    analyses = sum(v for s, v in timings.items() if s not in FORMATS)
    formats = sum(v for s, v in timings.items() if s in FORMATS)
    print(f"  {'analyses':<14}{analyses:>10.2f}\n  {'formats':<14}{formats:>10.2f}\n  {'TOTAL':<14}{total:>10.2f}")
    sizes = ok[-1]["outputs"]
    print("  outputs: " + ", ".join(f"{f} {sizes[f] / 1024:,.0f} KB" for f in sizes))
    land = ok[-1].get("landscape")
    if land:
        print(f"  landscape vectors: {land['source']} ({land['reason']}; {land['model']}, dim {land['dim']})")
        parts = ", ".join(f"{k} {v:.1f}s" for k, v in land.get("seconds", {}).items() if k != "total")
        print(f"  landscape steps ({land['points']:,} points, k={land['k']}): {parts}")
    else:
        print("  landscape: none (set too small or left out)")
    loads = [r["load"] for r in runs]
    print(
        "  load average (1 min) before/after each run: "
        + ", ".join(f"{x['before_1min']:.2f}/{x['after_1min']:.2f}" for x in loads)
    )
    t_ok = target is None or total <= target
    m_ok = peak is not None and peak <= TARGET_PEAK_MB
    t_text = f"target <= {target:.0f}s: {'PASS' if t_ok else 'FAIL'}" if target else "no target"
    print(f"  total {total:.1f}s ({t_text}); peak memory {peak:,.0f} MB (target <= 8 GB: {'PASS' if m_ok else 'FAIL'})")
    return {
        "n": n,
        "corpus": info,
        "runs": runs,
        "median_timings": timings,
        "median_total": total,
        "analyses_seconds": analyses,
        "formats_seconds": formats,
        "peak_mb": peak,
        "outputs_bytes": sizes,
        "landscape_vectors": land,
        "target_seconds": target,
        "pass": bool(t_ok and m_ok),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=1, help="runs of the project per size (median printed)")
    ap.add_argument("--citations-per", type=int, default=5, help="synthetic patent citations per publication")
    ap.add_argument("--noise", type=float, default=0.02, help="Gaussian noise (sigma per dimension) on each vector")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=ind.DATA, help="the real data (default ../shared/data)")
    ap.add_argument("--source-corpus", type=Path, help="a corpus of real records to resample instead of --data")
    ap.add_argument("--keep", action="store_true", help="reuse a corpus of the same size and seed if built")
    ap.add_argument("--build-memory", default="4GB", help="DuckDB memory limit while building the corpus")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    if args.source_corpus is None and (OUT / "indicators" / "source-corpus" / "corpus.duckdb").exists():
        args.source_corpus = OUT / "indicators" / "source-corpus"  # loaded by bench/indicators.py before
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results = []
    for n in args.sizes:
        corpus, info = corpus_for(n, args)
        runs = []
        for i in range(args.repeat):
            log(f"run {i + 1}/{args.repeat} of the industry project over {n:,} patents …")
            runs.append(run_child(corpus, n))
            log(f"  {runs[-1].get('total', float('nan')):.1f}s" if "error" not in runs[-1] else runs[-1]["error"])
        results.append(summarise(n, info, runs))
    summary = {
        "sizes": args.sizes,
        "query": QUERY,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "results": results,
        "wall_seconds": time.perf_counter() - started,
    }
    out = OUT / f"report-{'-'.join(str(n) for n in args.sizes)}.json"
    out.write_text(json.dumps(summary, indent=1, default=str))
    print(f"\nfigures written to {out.relative_to(ROOT)}; wall time {summary['wall_seconds']:.0f}s")
    return 0 if all(r["pass"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

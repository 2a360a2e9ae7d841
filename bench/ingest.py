"""Ingest speed: patnav's full load of USPTO grant XML against a bare lxml parse of the same bytes.

The real grant documents in ../shared/data/uspto-grant-xml are repeated with new publication numbers
until there are at least --docs documents (default 20,000) in one weekly-style file (documents
concatenated, each with its own XML declaration). THE SCALED FILE IS RESAMPLED REAL DATA: the same
few hundred real documents repeated under new numbers.

Measured in the same run, each in its own subprocess (so peak memory is that run's alone):
  bare   — split the file into documents and ``lxml.etree.fromstring`` each one, nothing else;
  patnav — ``patnav ingest`` of that file into an empty corpus: parse, extract, normalise, store in
           DuckDB, mirror to Parquet.
Target (issue #2): patnav ≥ 50 % of the bare parse's documents/s; peak memory < 1 GB for any input.
Prints medians over --repeat runs (the two modes alternate), the ratio of the medians and of each pair of
runs, and the CPU time per document (patnav's includes its parse workers): on a shared machine the wall-clock
rates move with other people's load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "uspto-grant-xml"
_DOC_NUMBER = re.compile(rb"(<publication-reference>.*?<doc-number>)([^<]+)(</doc-number>)", re.DOTALL)


def _grant_documents() -> list[bytes]:
    docs: list[bytes] = []
    for path in sorted(DATA.glob("ipg*.xml.gz")):
        data = gzip.decompress(path.read_bytes())
        for part in re.split(rb"(?m)^(?=<\?xml )", data):
            if b"<us-patent-grant" in part[:2000]:
                docs.append(part if part.endswith(b"\n") else part + b"\n")
    return docs


def build_file(target: Path, n_docs: int) -> tuple[int, int]:
    """Write at least ``n_docs`` renumbered real grants to ``target``; returns (documents, real originals)."""
    originals = _grant_documents()
    written = 0
    with target.open("wb") as out:
        while written < n_docs:
            for doc in originals:
                serial = 20_000_000 + written
                out.write(_DOC_NUMBER.sub(lambda m, s=serial: m.group(1) + str(s).encode() + m.group(3), doc, count=1))
                written += 1
                if written >= n_docs:
                    break
    return written, len(originals)


def bare_parse(path: str) -> dict[str, float]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    start = time.perf_counter()
    n = 0
    buf: list[bytes] = []
    with open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b"<?xml ") and buf:
                etree.fromstring(b"".join(buf), parser)
                n += 1
                buf = []
            buf.append(line)
        if buf:
            etree.fromstring(b"".join(buf), parser)
            n += 1
    return {"docs": n, "seconds": time.perf_counter() - start}


def patnav_load(path: str, corpus: str) -> dict[str, float]:
    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import Corpus

    start = time.perf_counter()
    with Corpus(corpus) as store:
        report = load_paths(store, [path], format="uspto-xml")
    read, counts = report.totals()
    return {
        "docs": counts.new + counts.updated + counts.unchanged,
        "read": read,
        "seconds": time.perf_counter() - start,
        "quarantined": counts.quarantined,
    }


def _own_cpu_seconds() -> float:
    """CPU time of this process (patnav's writer)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (patnav's parse workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return _own_cpu_seconds() + kids.ru_utime + kids.ru_stime


def _child(mode: str, path: str, corpus: str) -> None:
    cpu, own = _cpu_seconds(), _own_cpu_seconds()
    result = bare_parse(path) if mode == "bare" else patnav_load(path, corpus)
    result["cpu_seconds"] = _cpu_seconds() - cpu
    result["own_cpu_seconds"] = _own_cpu_seconds() - own
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _run(mode: str, path: Path, workdir: Path, i: int) -> dict[str, float]:
    corpus = workdir / f"corpus-{mode}-{i}"
    shutil.rmtree(corpus, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), str(corpus)], check=True, capture_output=True, text=True
    )
    shutil.rmtree(corpus, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "ipg-scaled.xml"
        n, originals = build_file(path, args.docs)
        size_mb = path.stat().st_size / 1e6
        print(
            f"input: {n:,} grant documents ({size_mb:,.0f} MB), resampled from {originals} real USPTO grants "
            "with new publication numbers"
        )
        rows: dict[str, list[dict[str, float]]] = {"bare": [], "patnav": []}
        for i in range(args.repeat):
            for mode in ("bare", "patnav"):
                rows[mode].append(_run(mode, path, work, i))
        print(f"{'run':<8}{'docs/s (median)':>18}{'seconds':>10}{'CPU ms/doc':>12}{'peak RSS MB':>14}")
        rates = {}
        for mode, runs in rows.items():
            rate = statistics.median(r["docs"] / r["seconds"] for r in runs)
            rates[mode] = rate
            secs = statistics.median(r["seconds"] for r in runs)
            cpu = statistics.median(r["cpu_seconds"] / r["docs"] * 1000 for r in runs)
            peak = max(r["peak_rss_mb"] for r in runs)
            print(f"{mode:<8}{rate:>18,.0f}{secs:>10.1f}{cpu:>12.2f}{peak:>14,.0f}")
        ratio = rates["patnav"] / rates["bare"]
        pairs = zip(rows["bare"], rows["patnav"], strict=True)
        each = ", ".join(f"{p['docs'] / p['seconds'] / (b['docs'] / b['seconds']):.2f}" for b, p in pairs)
        print(f"patnav / bare lxml parse = {ratio:.2f}  (target >= 0.50; run by run: {each})")
        print(f"load average after the runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        writer = statistics.median(r["own_cpu_seconds"] / r["docs"] * 1000 for r in rows["patnav"])
        total = statistics.median(r["cpu_seconds"] / r["docs"] * 1000 for r in rows["patnav"])
        print(f"patnav CPU ms/doc: writer process {writer:.2f}, parse workers {total - writer:.2f} (medians)")
        q = rows["patnav"][0].get("quarantined", 0)
        print(f"documents stored per run: {rows['patnav'][0]['docs']:,.0f}; quarantined: {q:,.0f}")


if __name__ == "__main__":
    main()

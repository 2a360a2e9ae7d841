"""Indicators at 1,000,000 publications and 10,000,000 citations: ``compute_indicators`` against hand-written SQL.

THE CORPUS IS REAL RECORDS RESAMPLED AND RENUMBERED, WITH SYNTHETIC CITATIONS. The real data of --data
(../shared/data: USPTO grant XML, PatentsView, Google Patents exports, EPO publication XML, office API responses)
is loaded by patnav's own loader into a source corpus. Its publications that have an IPC symbol and a
publication date (~420: without an IPC symbol a publication has no WIPO technology field, which the cohort
indicators need) are drawn with replacement --publications times (default 1,000,000) and written straight into a
corpus made by ``Corpus(path)`` with DuckDB SQL (the Python ingest path would take hours), each copy under a fresh
number (country + new doc number + original kind) with its parties, classifications (so its IPC classes and WIPO
field are real), priorities, legal events and DOCDB/INPADOC family (renumbered). Every date of a copy is shifted by
one random whole number of years so that publication years spread over 1990-2025 (uniformly; filing years
~1990-2024) with nothing after 2025. Claims texts and descriptions are dropped (their counts and lengths kept).

The --citations patent citations (default 10,000,000) are synthetic: each points at another publication of the
corpus (``cited_number`` = its ``publication_number``) published before the citing one. A copy cites in proportion
to how many patents its real source cites; the citation age (citing publication year - cited year) is drawn from
the real citations whose cited date is known (truncated to the years the corpus covers); the cited publication is
from the citing one's main IPC subclass with the probability that makes the same-class share equal the one measured
in the real USPTO grant XML (the cited patent's USPC class there: the real data has no IPC of cited patents);
``category``, ``origin`` and whether ``cited_date`` is known come from the real citations of the same source record,
and NPL citations are added at each source record's real NPL rate. The run prints real against generated quantiles.

Measured in the same run, each part in its own process (its peak memory is its own, JVM included):
  baseline  one hand-written DuckDB query over the same tables: per cited publication, the citations from
            publications published within five years after it (median of --baseline-repeat, default 3);
  patnav    ``patnav.indicators.compute_indicators(corpus, engine="duckdb", ...)``: total time and its own
            per-step timings, among them ``forward_citations`` (median of --repeat, default 1);
  spark     with --spark, the same with engine="spark" (local mode; no target: it shows the path to a cluster).
Targets (issue #4), on this 2-core machine: all indicators <= 120 s; the forward-citation step <= 1.5 x the
hand-written query; peak memory <= 8 GB. Figures go to bench/out/indicators-<publications>x<citations>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out"
SOURCE_SETS = ("uspto-grant-xml", "patentsview", "google-patents-export", "ep-publication-xml", "office-api-responses")
FIRST_YEAR, LAST_YEAR = 1990, 2025  # publication years of the resampled corpus
RECENT = 2020  # real and generated ages are compared for citing years from here (ages up to 30 possible)
AS_OF = dt.date(2026, 1, 1)  # after every shifted date, so figures do not move with the clock
TARGET_TOTAL_S, TARGET_RATIO, TARGET_PEAK_MB = 120.0, 1.5, 8 * 1024
CORPUS_VERSION = 3  # bump when the build changes, so --keep rebuilds

sys.path.insert(0, str(ROOT / "src"))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------- real data


def source_corpus(data: Path, workdir: Path, given: Path | None) -> Path:
    """The real records loaded by patnav's loader (``given`` if named; else loaded afresh under ``workdir``)."""
    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import Corpus

    if given is not None:
        return given
    path = workdir / "source-corpus"
    shutil.rmtree(path, ignore_errors=True)
    folders = [data / s for s in SOURCE_SETS if (data / s).exists()]
    if not folders:
        raise SystemExit(
            f"no real data under {data} (expected {', '.join(SOURCE_SETS)}); use --data or --source-corpus"
        )
    with Corpus(path) as corpus:
        load_paths(corpus, folders, export=False)
    return path


def uspc_same_class_share(data: Path) -> tuple[float, int] | None:
    """Share of patent citations in the real USPTO grant XML whose cited patent is in the citing one's main USPC
    class (the XML gives the cited patent's class; no source here gives a cited patent's IPC), and how many
    citations it is measured on; None without the files."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

    def main_class(text: str | None) -> str | None:
        return (text[:3].replace(" ", "").lstrip("0") or None) if text else None

    same = total = 0
    for path in sorted((data / "uspto-grant-xml").glob("ipg*.xml.gz")):
        for part in re.split(rb"(?m)^(?=<\?xml )", gzip.decompress(path.read_bytes())):
            if b"<us-patent-grant" not in part[:2000]:
                continue
            bib = etree.fromstring(part, parser).find("us-bibliographic-data-grant")
            own = main_class(bib.findtext("classification-national/main-classification")) if bib is not None else None
            if own is None:
                continue
            # <references-cited><citation> up to 2012, <us-references-cited><us-citation> from 2013
            for cit in (*bib.iterfind(".//references-cited/citation"), *bib.iterfind(".//us-citation")):
                cited = main_class(cit.findtext("classification-national/main-classification"))
                if cit.find("patcit") is not None and cited is not None:
                    total += 1
                    same += cited == own
    return (same / total, total) if total else None


# ----------------------------------------------------------------------------------------------- the corpus

_QS = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]


def _u(tag: str, *keys: str, seed: int) -> str:
    """SQL for a deterministic uniform number in [0, 1) from ``keys`` (the same whatever the thread count)."""
    return f"((hash({', '.join(keys)}, {seed}, '{tag}') >> 11) * (1.0 / 9007199254740992))"


def _columns(con: Any, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _shifted(col: str) -> str:
    return f"CAST({col} + to_years(CAST(y.shift AS INTEGER)) AS DATE)"


def build_corpus(
    path: Path, src: Path, n_pubs: int, n_cits: int, seed: int, same_share: float, memory: str
) -> dict[str, Any]:
    """Write the resampled corpus at ``path`` with SQL; returns what it holds and how it compares with the real data."""
    import duckdb

    from patnav.corpus.store import DB_FILE, Corpus

    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    Corpus(path).close()  # the schema and metadata tables exactly as the product makes them
    tmp = path / "duckdb-tmp"
    con = duckdb.connect(str(path / DB_FILE))
    con.execute(f"SET memory_limit = '{memory}'")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"ATTACH '{src / DB_FILE}' AS src (READ_ONLY)")
    steps: dict[str, float] = {}

    def step(name: str, *sqls: str) -> None:
        t = time.perf_counter()
        for sql in sqls:
            con.execute(sql)
        steps[name] = steps.get(name, 0.0) + time.perf_counter() - t
        log(f"  {name}: {time.perf_counter() - t:.1f}s")

    # The pool: real publications with an IPC symbol and a publication date; main IPC subclass (the main symbol,
    # else the first); how far the filing date lies before publication (kept when shifting) and the last date after
    # it (grant, legal events: kept <= LAST_YEAR); the real patent and NPL citations the record makes.
    step(
        "pool",
        """CREATE TEMP TABLE main_ipc AS SELECT publication_number, upper(left(replace(symbol, ' ', ''), 4)) AS sub
           FROM src.classifications WHERE scheme = 'IPC' AND length(replace(symbol, ' ', '')) >= 4
           QUALIFY row_number() OVER (PARTITION BY publication_number
                                      ORDER BY is_main DESC NULLS LAST, sequence) = 1""",
        """CREATE TEMP TABLE pool AS
           SELECT row_number() OVER (ORDER BY p.publication_number) - 1 AS k, p.publication_number AS old_number,
                  m.sub, year(p.publication_date) AS old_year,
                  least(10, greatest(0, year(p.publication_date) - year(coalesce(p.filing_date, p.publication_date))))
                    AS lag,
                  least(30, greatest(0, year(greatest(p.publication_date,
                                                       coalesce(p.grant_date, p.publication_date),
                                                       coalesce(le.last, p.publication_date)))
                                        - year(p.publication_date))) AS after,
                  coalesce(c.n_pat, 0) AS n_pat, coalesce(c.n_npl, 0) AS n_npl
           FROM src.publications p JOIN main_ipc m USING (publication_number)
           LEFT JOIN (SELECT publication_number, max(event_date) AS last FROM src.legal_events GROUP BY 1) le
             USING (publication_number)
           LEFT JOIN (SELECT publication_number,
                             count(*) FILTER (WHERE NOT is_npl AND cited_number IS NOT NULL) AS n_pat,
                             count(*) FILTER (WHERE is_npl) AS n_npl
                      FROM src.citations GROUP BY 1) c USING (publication_number)
           WHERE p.publication_date IS NOT NULL""",
    )
    n_pool = con.execute("SELECT count(*) FROM pool").fetchone()[0]
    if not n_pool:
        raise SystemExit("the source corpus has no publication with an IPC symbol and a publication date")

    # The copies: source k drawn with replacement; a shift in whole years putting the publication year uniformly in
    # [FIRST_YEAR + lag, LAST_YEAR - after]; a fresh doc number (US pre-grant publications keep the 11-digit form).
    step(
        "copies",
        f"""CREATE TEMP TABLE syn AS
            WITH d AS (SELECT range AS i, hash(range, {seed}, 'k') % {n_pool} AS k, hash(range, {seed}, 'y') AS hy
                       FROM range({n_pubs})),
                 e AS (SELECT d.i, p.*, {FIRST_YEAR} + p.lag AS lo,
                              greatest({FIRST_YEAR} + p.lag, {LAST_YEAR} - p.after) AS hi, d.hy
                       FROM d JOIN pool p USING (k))
            SELECT e.i, e.k, e.old_number, e.sub, e.n_pat, e.n_npl,
                   e.lo + CAST(e.hy % (e.hi - e.lo + 1) AS INTEGER) - e.old_year AS shift
            FROM e""",
        """CREATE TEMP TABLE syn2 AS
           SELECT y.*, s.country, s.kind,
                  CASE WHEN s.country = 'US' AND length(s.doc_number) = 11
                       THEN CAST(year(s.publication_date) + y.shift AS VARCHAR) || lpad(CAST(y.i AS VARCHAR), 7, '0')
                       ELSE CAST(30000000 + y.i AS VARCHAR) END AS doc_number,
                  CAST(s.publication_date + to_years(CAST(y.shift AS INTEGER)) AS DATE) AS pub_date
           FROM syn y JOIN src.publications s ON s.publication_number = y.old_number""",
        "DROP TABLE syn",
        """CREATE TEMP TABLE syn AS
           SELECT *, country || doc_number || coalesce(kind, '') AS new_number, year(pub_date) AS year FROM syn2""",
        "DROP TABLE syn2",
    )

    cols = _columns(con, "publications")
    sel = []
    for col in cols:
        if col == "publication_number":
            sel.append("y.new_number")
        elif col == "doc_number":
            sel.append("y.doc_number")
        elif col == "application_number":
            sel.append(
                "CASE WHEN s.application_number IS NOT NULL THEN s.country || CAST(60000000 + y.i AS VARCHAR) END"
            )
        elif col == "family_id":
            sel.append("CASE WHEN s.family_id IS NOT NULL THEN CAST(800000000 + y.i AS VARCHAR) END")
        elif col in ("priority_date", "filing_date", "publication_date", "grant_date"):
            sel.append(_shifted(f"s.{col}"))
        elif col in ("claims", "independent_claims", "description"):
            sel.append("NULL")
        elif col == "record_hash":
            sel.append("md5(y.new_number)")
        else:
            sel.append(f"s.{col}")
    step(
        "publications",
        f"""INSERT INTO publications SELECT {", ".join(sel)}
            FROM syn y JOIN src.publications s ON s.publication_number = y.old_number""",
    )
    for table in ("parties", "classifications", "priorities", "legal_events"):
        tsel = []
        for col in _columns(con, table):
            if col == "publication_number":
                tsel.append("y.new_number")
            elif col in ("date", "event_date"):
                tsel.append(_shifted(f"t.{col}"))
            elif col == "record_hash":
                tsel.append(f"md5(y.new_number || coalesce(t.{col}, ''))")
            else:
                tsel.append(f"t.{col}")
        step(
            table,
            f"""INSERT INTO {table} SELECT {", ".join(tsel)}
                FROM syn y JOIN src.{table} t ON t.publication_number = y.old_number""",
        )
    # Families: each copy whose source has a family gets its own copy of that family (new family id, the copy's own
    # number for its source, fresh numbers for the other members; dates shifted like the copy).
    fsel = []
    for col in _columns(con, "families"):
        if col == "family_id":
            fsel.append("CAST(800000000 + y.i AS VARCHAR)")
        elif col == "publication_number":
            fsel.append(
                "CASE WHEN f.publication_number = y.old_number THEN y.new_number"
                " ELSE coalesce(regexp_extract(f.publication_number, '^[A-Z]{2}'), 'XX')"
                " || CAST(70000000 + row_number() OVER () AS VARCHAR)"
                " || regexp_extract(f.publication_number, '[A-Z][0-9]?$') END"
            )
        elif col == "application_number":
            fsel.append(
                "CASE WHEN f.application_number IS NOT NULL THEN"
                " coalesce(regexp_extract(f.application_number, '^[A-Z]{2}'), 'XX')"
                " || CAST(60000000 + y.i AS VARCHAR) || '.' || CAST(hash(f.application_number) % 1000 AS VARCHAR) END"
            )
        elif col == "priority_date":
            fsel.append(_shifted("f.priority_date"))
        elif col == "record_hash":
            fsel.append("md5(CAST(y.i AS VARCHAR) || f.record_hash)")
        else:
            fsel.append(f"f.{col}")
    step(
        "families",
        f"""INSERT INTO families SELECT {", ".join(fsel)}
            FROM syn y JOIN src.publications s ON s.publication_number = y.old_number
            JOIN src.families f ON f.family_id = s.family_id""",
        "INSERT INTO legal_event_codes SELECT * FROM src.legal_event_codes",
    )

    # ---- citations
    # Real citation ages (citing publication year - cited year), where the cited date is known.
    con.execute(
        """CREATE TEMP TABLE real_age AS
           SELECT year(p.publication_date) - year(c.cited_date) AS age
           FROM src.citations c JOIN src.publications p USING (publication_number)
           WHERE NOT c.is_npl AND c.cited_date IS NOT NULL AND p.publication_date IS NOT NULL
             AND year(p.publication_date) >= year(c.cited_date)"""
    )
    span = LAST_YEAR - FIRST_YEAR
    con.execute(
        """CREATE TEMP TABLE ages AS
            WITH h AS (SELECT age, count(*) AS n FROM real_age GROUP BY age),
                 c AS (SELECT age, sum(n) OVER (ORDER BY age) - n AS before, sum(n) OVER (ORDER BY age) AS upto,
                              sum(n) OVER () AS total FROM h)
            SELECT age, before / total AS lo, upto / total AS hi FROM c"""
    )
    # F(cap): the probability of an age <= cap, for every cap the corpus has (truncating the distribution).
    con.execute(
        f"""CREATE TEMP TABLE fcap AS
            SELECT r.range AS cap, coalesce(max(a.hi), 0) AS f FROM range({span + 40}) r
            LEFT JOIN ages a ON a.age <= r.range GROUP BY 1"""
    )
    # Buckets to draw a cited publication from: per (publication year) and per (main IPC subclass, year), ordered by
    # date, with how many in each and, for every publication, how many in its buckets were published before it.
    step(
        "buckets",
        """CREATE TEMP TABLE pos AS
           SELECT i, sub, year, pub_date,
                  row_number() OVER (PARTITION BY year ORDER BY pub_date, i) - 1 AS pos_y,
                  row_number() OVER (PARTITION BY sub, year ORDER BY pub_date, i) - 1 AS pos_fy,
                  rank() OVER (PARTITION BY year ORDER BY pub_date) - 1 AS before_y,
                  rank() OVER (PARTITION BY sub, year ORDER BY pub_date) - 1 AS before_fy
           FROM syn""",
        """CREATE TEMP TABLE bucket AS
           SELECT '*' AS bsub, year, pos_y AS pos, i FROM pos UNION ALL SELECT sub, year, pos_fy, i FROM pos""",
        """CREATE TEMP TABLE bsize AS
           SELECT '*' AS bsub, year, count(*) AS n FROM pos GROUP BY 2 UNION ALL
           SELECT sub, year, count(*) FROM pos GROUP BY 1, 2""",
    )
    # Citation slots: the copies cite in proportion to their source's real patent citations (0.5 % more slots than
    # wanted, for the few that find nothing: a citing publication with nothing published before it).
    weight = con.execute("SELECT sum(n_pat) FROM syn").fetchone()[0] or 0
    if not weight:
        raise SystemExit("no real patent citations in the pool: cannot scale citations")
    slots = int(n_cits * 1.005) + 10
    step(
        "citation slots",
        f"""CREATE TEMP TABLE slots AS
            WITH w AS (SELECT i, n_pat, coalesce(sum(n_pat) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING
                                                                 AND 1 PRECEDING), 0) AS cum FROM syn WHERE n_pat > 0),
                 s AS (SELECT i, CAST(floor(cum * {slots} / {weight}) AS BIGINT) AS first,
                              CAST(floor((cum + n_pat) * {slots} / {weight}) AS BIGINT) AS last FROM w)
            SELECT i, first + r AS j, r FROM (SELECT i, first, unnest(range(last - first)) AS r FROM s)""",
    )
    # The probability of drawing from the own subclass so that the same-subclass share comes out at ``same_share``:
    # a draw from the whole year lands in the own subclass now and then (``natural``), and the own subclass has
    # nothing to cite in the drawn year for a share 1 - ``reachable`` of the slots.
    natural = con.execute(
        "SELECT sum(s * s) FROM (SELECT count(*) / sum(count(*)) OVER () AS s FROM syn GROUP BY sub)"
    ).fetchone()[0]
    reachable = con.execute(
        f"{_draw_ctes('slots', 0, seed)} SELECT avg(CASE WHEN avail_f > 0 THEN 1.0 ELSE 0.0 END) FROM c"
    ).fetchone()[0]
    if natural >= 1 or not reachable:
        p_same = 1.0
    else:
        p_same = max(0.0, min(1.0, (same_share - natural) / ((1 - natural) * reachable)))
    # Draw a cited publication for every slot; a slot whose draw repeats a (citing, cited) pair already drawn is
    # drawn again (new age, new pick), from round 3 on from the whole year only (a small subclass may be exhausted).
    step("citation draws", f"CREATE TEMP TABLE drawn AS {_draw_sql('slots', 0, p_same, seed)}")
    for rnd in range(1, 6):
        con.execute(
            """CREATE OR REPLACE TEMP TABLE drawn AS
               SELECT citing, cited, min(j) AS j, arg_min(r, j) AS r FROM drawn GROUP BY citing, cited"""
        )
        missing = slots - con.execute("SELECT count(*) FROM drawn").fetchone()[0]
        log(f"    round {rnd}: {missing:,} slots to draw again")
        if missing <= slots * 0.001:
            break
        step(
            "citation draws",
            f"""INSERT INTO drawn {
                _draw_sql("(SELECT * FROM slots ANTI JOIN drawn USING (j))", rnd, p_same if rnd < 3 else 0.0, seed)
            }""",
        )
    info_rest = _insert_citations(con, n_cits, seed, step)
    gen = _compare(con, info_rest["scale"])
    for table in ("slots", "drawn", "kept", "bucket", "pos"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("publications", "parties", "classifications", "priorities", "citations", "families", "legal_events")
    }
    years = con.execute(
        f"""SELECT min(year(filing_date)), quantile_disc(year(filing_date), {_QS[:5]}), max(year(filing_date)),
                   min(publication_date), max(publication_date), count(DISTINCT title)
            FROM publications"""
    ).fetchone()
    con.execute("DETACH src")
    step("checkpoint", "CHECKPOINT")
    con.close()
    shutil.rmtree(tmp, ignore_errors=True)
    build_s = time.perf_counter() - started
    t = time.perf_counter()
    with Corpus(path) as corpus:
        corpus.export_parquet()
    parquet_s = time.perf_counter() - t
    return {
        "version": CORPUS_VERSION,
        "publications": n_pubs,
        "citations": n_cits,
        "seed": seed,
        "pool": int(n_pool),
        "counts": counts,
        **info_rest,
        "filing_years": {"min": years[0], "quantiles": years[1], "max": years[2]},
        "publication_dates": [str(years[3]), str(years[4])],
        "distinct_titles": years[5],
        "same_share_target": same_share,
        "p_same": p_same,
        "natural_same_share": natural,
        "same_reachable": reachable,
        "compare": gen,
        "build_seconds": build_s,
        "build_steps": steps,
        "parquet_seconds": parquet_s,
    }


def _draw_ctes(source: str, rnd: int, seed: int) -> str:
    """CTEs giving each slot of ``source`` an age from the real distribution truncated to what the citing year allows,
    the cited year, and how many publications of that year (``avail_y``) and of the citing one's main subclass in
    that year (``avail_f``) it can cite (for age 0: those published earlier that year)."""
    return f"""
        WITH a AS (SELECT s.i, s.j, s.r, p.sub, p.year, p.before_y, p.before_fy,
                          f.f * {_u(f"age{rnd}", "s.j", seed=seed)} AS v
                   FROM {source} s JOIN pos p USING (i) JOIN fcap f ON f.cap = p.year - {FIRST_YEAR}),
             b AS (SELECT a.*, g.age, a.year - g.age AS cyear FROM a ASOF JOIN ages g ON a.v >= g.lo),
             c AS (SELECT b.*,
                          CASE WHEN b.age = 0 THEN b.before_fy ELSE coalesce(nf.n, 0) END AS avail_f,
                          CASE WHEN b.age = 0 THEN b.before_y ELSE coalesce(ny.n, 0) END AS avail_y
                   FROM b LEFT JOIN bsize nf ON nf.bsub = b.sub AND nf.year = b.cyear
                   LEFT JOIN bsize ny ON ny.bsub = '*' AND ny.year = b.cyear)"""


def _draw_sql(source: str, rnd: int, p_same: float, seed: int) -> str:
    """SQL drawing a cited publication for each slot of ``source``: with probability ``p_same`` (decided once per
    slot, so a slot drawn again keeps its kind) one of the citing publication's main subclass in the cited year when
    there is one, else any publication of that year."""
    return f"""{_draw_ctes(source, rnd, seed)},
             d AS (SELECT i, j, r, sub, cyear, {_u("same", "j", seed=seed)} < {p_same} AND avail_f > 0 AS same,
                          {_u(f"pick{rnd}", "j", seed=seed)} AS u, avail_f, avail_y FROM c WHERE avail_y > 0)
        SELECT d.i AS citing, k.i AS cited, d.j, d.r
        FROM d JOIN bucket k ON k.bsub = CASE WHEN d.same THEN d.sub ELSE '*' END AND k.year = d.cyear
        AND k.pos = CAST(floor(d.u * CASE WHEN d.same THEN d.avail_f ELSE d.avail_y END) AS BIGINT)"""


def _insert_citations(con: Any, n_cits: int, seed: int, step: Any) -> dict[str, Any]:
    """Insert the drawn patent citations (deduplicated, the first ``n_cits`` slots) and the NPL citations."""
    # Templates: the real citations of each source record, numbered, for category, origin, cited date known or not
    # and provenance (so a copy of an EP record cites with X/Y/A, a US one "cited by examiner" and so on).
    con.execute(
        """CREATE TEMP TABLE tmpl AS
           SELECT p.k, row_number() OVER (PARTITION BY p.k ORDER BY c.sequence, c.cited_number) - 1 AS t,
                  c.category, c.origin, c.cited_date IS NOT NULL AS has_date,
                  c.source_file, c.source_position, c.reader, c.reader_version, c.loaded_at
           FROM src.citations c JOIN pool p ON p.old_number = c.publication_number
           WHERE NOT c.is_npl AND c.cited_number IS NOT NULL"""
    )
    con.execute(
        """CREATE TEMP TABLE tmpl_npl AS
           SELECT p.k, row_number() OVER (PARTITION BY p.k ORDER BY c.sequence) - 1 AS t, c.npl_text,
                  c.cited_number_raw, c.category, c.origin, c.cited_date, c.source_file, c.source_position,
                  c.reader, c.reader_version, c.loaded_at
           FROM src.citations c JOIN pool p ON p.old_number = c.publication_number WHERE c.is_npl"""
    )
    step(
        "citations (patent)",
        f"""CREATE TEMP TABLE kept AS
            SELECT citing, cited, min(j) AS j, arg_min(r, j) AS r FROM drawn GROUP BY citing, cited
            ORDER BY j LIMIT {n_cits}""",
        f"""INSERT INTO citations
            SELECT a.new_number, CAST(row_number() OVER (PARTITION BY f.citing ORDER BY f.r) AS INTEGER), false,
                   b.new_number, b.new_number, NULL, t.category, t.origin,
                   CASE WHEN t.has_date THEN b.pub_date END,
                   t.source_file, t.source_position, t.reader, t.reader_version, t.loaded_at
            FROM kept f JOIN syn a ON a.i = f.citing JOIN syn b ON b.i = f.cited
            JOIN tmpl t ON t.k = a.k AND t.t = (hash(f.citing, {seed}, 't') % a.n_pat + f.r) % a.n_pat""",
    )
    n_pat = con.execute("SELECT count(*) FROM citations").fetchone()[0]
    weight = con.execute("SELECT sum(n_pat) FROM syn").fetchone()[0]
    scale = n_pat / weight
    # NPL citations at each source record's own NPL rate, scaled like its patent citations.
    step(
        "citations (NPL)",
        f"""INSERT INTO citations
            WITH m AS (SELECT i, k, new_number, n_npl, n_pat,
                              CAST(floor(n_npl * {scale} + {_u("npl", "i", seed=seed)}) AS BIGINT) AS m
                       FROM syn WHERE n_npl > 0),
                 r AS (SELECT i, k, new_number, n_npl, n_pat, unnest(range(m)) AS r FROM m)
            SELECT r.new_number, CAST(1000 + r.r AS INTEGER), true, NULL, t.cited_number_raw, t.npl_text, t.category,
                   t.origin, CAST(t.cited_date + to_years(CAST(y.shift AS INTEGER)) AS DATE),
                   t.source_file, t.source_position, t.reader, t.reader_version, t.loaded_at
            FROM r JOIN syn y USING (i)
            JOIN tmpl_npl t ON t.k = r.k AND t.t = (hash(r.i, {seed}, 'n') % r.n_npl + r.r) % r.n_npl""",
    )
    n_npl = con.execute("SELECT count(*) FROM citations WHERE is_npl").fetchone()[0]
    slots = con.execute("SELECT count(*) FROM slots").fetchone()[0]
    drawn = con.execute("SELECT count(*) FROM drawn").fetchone()[0]
    return {"patent_citations": n_pat, "npl_citations": n_npl, "slots": slots, "drawn": drawn, "scale": scale}


def _share_rows(rows: list[tuple[Any, ...]]) -> dict[str, float]:
    total = sum(r[1] for r in rows) or 1
    return {str(r[0]): r[1] / total for r in rows}


def _compare(con: Any, scale: float) -> dict[str, Any]:
    """Real against generated: citation age, same-subclass share, NPL share, category/origin, references per record."""
    q = _QS
    out: dict[str, Any] = {}
    out["age_real"] = con.execute(f"SELECT quantile_disc(age, {q}), count(*) FROM real_age").fetchone()
    out["age_real_window"] = con.execute(
        f"SELECT quantile_disc(age, {q}), count(*) FROM real_age WHERE age <= {LAST_YEAR - FIRST_YEAR}"
    ).fetchone()
    out["age_generated"] = con.execute(
        f"""SELECT quantile_disc(a.year - b.year, {q}), count(*) FROM kept d JOIN syn a ON a.i = d.citing
            JOIN syn b ON b.i = d.cited"""
    ).fetchone()
    out["age_generated_recent"] = con.execute(
        f"""SELECT quantile_disc(a.year - b.year, {q}), count(*) FROM kept d JOIN syn a ON a.i = d.citing
            JOIN syn b ON b.i = d.cited WHERE a.year >= {RECENT}"""
    ).fetchone()
    out["age_real_recent"] = con.execute(
        f"SELECT quantile_disc(age, {q}), count(*) FROM real_age WHERE age <= {RECENT - FIRST_YEAR}"
    ).fetchone()
    out["age_generated_check"] = con.execute(
        """SELECT count(*) FILTER (WHERE b.pub_date >= a.pub_date OR a.i = b.i) FROM kept d JOIN syn a ON a.i = d.citing
           JOIN syn b ON b.i = d.cited"""
    ).fetchone()[0]
    out["same_subclass_generated"] = con.execute(
        "SELECT avg(CAST(a.sub = b.sub AS DOUBLE)) FROM kept d JOIN syn a ON a.i = d.citing JOIN syn b ON b.i = d.cited"
    ).fetchone()[0]
    out["npl_share_real"] = con.execute("SELECT avg(CAST(is_npl AS DOUBLE)) FROM src.citations").fetchone()[0]
    out["npl_share_real_pool"] = con.execute(
        """SELECT avg(CAST(is_npl AS DOUBLE)) FROM src.citations
           WHERE publication_number IN (SELECT old_number FROM pool)"""
    ).fetchone()[0]
    out["npl_share_generated"] = con.execute("SELECT avg(CAST(is_npl AS DOUBLE)) FROM citations").fetchone()[0]
    for col in ("category", "origin"):
        out[f"{col}_real"] = _share_rows(
            con.execute(
                f"""SELECT coalesce({col}, 'NULL'), count(*) FROM src.citations
                    WHERE NOT is_npl AND cited_number IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"""
            ).fetchall()
        )
        out[f"{col}_real_pool"] = _share_rows(
            con.execute(
                f"""SELECT coalesce({col}, 'NULL'), count(*) FROM tmpl t JOIN syn y ON y.k = t.k
                    GROUP BY 1 ORDER BY 2 DESC"""
            ).fetchall()
        )
        out[f"{col}_generated"] = _share_rows(
            con.execute(
                f"SELECT coalesce({col}, 'NULL'), count(*) FROM citations WHERE NOT is_npl GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        )
    out["refs_real"] = con.execute(f"SELECT quantile_disc(n_pat, {q}), count(*) FROM pool WHERE n_pat > 0").fetchone()
    out["refs_real_scaled"] = con.execute(
        f"SELECT quantile_disc(round(n_pat * {scale}), {q}), count(*) FROM pool WHERE n_pat > 0"
    ).fetchone()
    out["refs_generated"] = con.execute(
        f"""SELECT quantile_disc(n, {q}), count(*) FROM (SELECT count(*) AS n FROM citations
            WHERE NOT is_npl GROUP BY publication_number)"""
    ).fetchone()
    out["received_generated"] = con.execute(
        f"""SELECT quantile_disc(n, {q}), count(*) FROM (SELECT count(*) AS n FROM citations
            WHERE NOT is_npl GROUP BY cited_number)"""
    ).fetchone()
    return out


def corpus_for(args: argparse.Namespace, same_share: float) -> tuple[Path, dict[str, Any]]:
    """The resampled corpus for these options: the one already built with --keep, else built now."""
    path = args.workdir / f"corpus-{args.publications}x{args.citations}"
    info_file = path / "bench-corpus.json"
    if args.keep and info_file.exists():
        info = json.loads(info_file.read_text())
        if (info.get("version"), info.get("publications"), info.get("citations"), info.get("seed")) == (
            CORPUS_VERSION,
            args.publications,
            args.citations,
            args.seed,
        ):
            info["reused"] = True
            return path, info
    src = source_corpus(args.data, args.workdir, args.source_corpus)
    log(f"building {args.publications:,} publications / {args.citations:,} citations at {path} …")
    info = build_corpus(path, src, args.publications, args.citations, args.seed, same_share, args.build_memory)
    info_file.write_text(json.dumps(info, default=str))
    info["reused"] = False
    return path, info


# ----------------------------------------------------------------------------------------------- measuring

#: The baseline, as one would write it by hand: per cited publication, the citations it received from publications
#: published on or after its publication date and at most five years after it. Dates stay dates: the five-year
#: limit is computed once per publication (calendar arithmetic: 29 February + 5 years = 28 February), not once per
#: citation; as fast as comparing yyyymmdd integers here and faster than adding the interval per citation.
BASELINE_SQL = """
SELECT c.cited_number AS publication_number, count(*) AS forward_citations_5y
FROM citations c
JOIN (SELECT publication_number, publication_date AS d FROM publications) citing
  ON citing.publication_number = c.publication_number
JOIN (SELECT publication_number, publication_date AS d, CAST(publication_date + INTERVAL 5 YEAR AS DATE) AS d5
      FROM publications) cited
  ON cited.publication_number = c.cited_number
WHERE NOT c.is_npl AND citing.d >= cited.d AND citing.d <= cited.d5
GROUP BY c.cited_number
"""


def _peak_self_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ``ru_maxrss``: Linux carries that over from the parent
    across fork + exec, so a measuring child would report the peak of the process that built the corpus."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_baseline(corpus: Path, repeat: int) -> dict[str, Any]:
    """Time the hand-written query; each run opens the database afresh, as ``compute_indicators`` opens its engine."""
    import duckdb

    from patnav.corpus.store import DB_FILE

    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        con = duckdb.connect(str(corpus / DB_FILE), read_only=True)
        table = con.sql(BASELINE_SQL).to_arrow_table()
        runs.append(time.perf_counter() - t)
        con.register("result", table)
        total = con.execute("SELECT sum(forward_citations_5y) FROM result").fetchone()[0]
        con.close()
    return {"runs": runs, "rows": table.num_rows, "citations_counted": int(total or 0)}


def _compute_function() -> Any:
    try:
        from patnav.indicators.compute import compute_indicators
    except ImportError:
        from patnav.indicators import compute_indicators  # type: ignore[attr-defined]
    return compute_indicators


def measure_compute(
    corpus: Path, engine: str, repeat: int, as_of: dt.date, reference: Path, conf: dict[str, str]
) -> dict[str, Any]:
    try:
        compute = _compute_function()
    except ImportError as exc:
        return {"missing": f"patnav.indicators.compute_indicators is not importable: {exc}"}
    runs: list[dict[str, Any]] = []
    run = None
    for _ in range(repeat):
        t = time.perf_counter()
        extra = {"engine_options": {"conf": conf}} if conf else {}
        run = compute(corpus, engine=engine, as_of=as_of, reference_dir=reference, **extra)
        runs.append({"seconds": time.perf_counter() - t, "timings": dict(run.timings)})
    assert run is not None
    table = run.table
    fwd = {}
    for name in table.column_names:
        if "forward" in name.lower() or name.lower().startswith("fwd"):
            import pyarrow.compute as pc

            fwd[name] = int(pc.sum(table[name]).as_py() or 0) if table[name].type != "bool" else None
    return {"runs": runs, "rows": table.num_rows, "columns": table.column_names, "forward_sums": fwd}


def _child(mode: str, corpus: str, repeat: str, as_of: str, reference: str, conf: str) -> None:
    if mode == "baseline":
        result = measure_baseline(Path(corpus), int(repeat))
    else:
        try:
            result = measure_compute(
                Path(corpus), mode, int(repeat), dt.date.fromisoformat(as_of), Path(reference), json.loads(conf)
            )
        except Exception as exc:  # report it in the table rather than a traceback mid-run
            import traceback

            result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    result["hwm_mb"] = _peak_self_mb()
    print(json.dumps(result, default=str))


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants now (from /proc: psutil is not a dependency)."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                stat = fh.read()
            parent[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, ppid in parent.items():
            if ppid == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page
        except (OSError, ValueError):
            continue
    return total / 2**20


def run_child(
    mode: str, corpus: Path, repeat: int, as_of: dt.date, reference: Path, conf: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run one measurement in its own process; its peak memory is the larger of its own high-water mark (VmHWM) and
    the resident memory of its whole process tree (the Spark JVM included) sampled every 100 ms."""
    cmd = [sys.executable, __file__, "--child", mode, str(corpus), str(repeat), as_of.isoformat(), str(reference)]
    cmd.append(json.dumps(conf or {}))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_mb(proc.pid))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    load_before = os.getloadavg()[0]
    sampler.start()
    out, _ = proc.communicate()
    stop.set()
    sampler.join()
    load = {"before": load_before, "after_1min": os.getloadavg()[0], "after_5min": os.getloadavg()[1]}
    lines = out.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"{mode} process exited with {proc.returncode}", "peak_mb": peak, "load": load}
    result = json.loads(lines[-1])
    result["load"] = load
    result["tree_peak_mb"] = peak
    result["peak_mb"] = max(peak, result.get("hwm_mb", 0.0))
    return result


# ----------------------------------------------------------------------------------------------- report


def _q(values: list[Any] | None) -> str:
    return " ".join(f"{v:>4}" for v in values) if values else "n/a"


def _shares(d: dict[str, float], top: int = 5) -> str:
    return ", ".join(f"{k} {v:.1%}" for k, v in list(d.items())[:top])


def _short_error(text: str) -> str:
    """The first line of an error and, for a JVM error, its first distinct cause (the full text is in the JSON)."""
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    if not lines:
        return "?"
    out = lines[0][:300]
    causes = [x for x in lines[1:] if x.startswith(("Caused by", "1. ", "org.apache.spark.SparkException"))]
    if causes:
        out += " … " + causes[-1][:400]
    return out + " (full error in the JSON)"


def report(info: dict[str, Any], same: tuple[float, int] | None, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Print the figures; returns the summary written to JSON."""
    c = info["compare"]
    n = info["counts"]
    print(f"patnav indicators at {n['publications']:,} publications (2 shared cores: times are indicative)")
    print(
        f"  DATA: REAL RECORDS RESAMPLED AND RENUMBERED, SYNTHETIC CITATIONS. {n['publications']:,} copies of"
        f" {info['pool']} real publications with an IPC symbol (from ../shared/data) under new numbers, dates shifted"
        f" by whole years (publication {info['publication_dates'][0]}..{info['publication_dates'][1]}, filing years"
        f" {info['filing_years']['min']}..{info['filing_years']['max']}); {info['patent_citations']:,} synthetic patent"
        f" citations between them + {info['npl_citations']:,} NPL citations; parties {n['parties']:,},"
        f" classifications {n['classifications']:,}, families {n['families']:,}, legal events {n['legal_events']:,}"
    )
    reused = "; reused with --keep" if info.get("reused") else ""
    print(
        f"  corpus written by SQL in {info['build_seconds']:.0f}s, Parquet mirror {info['parquet_seconds']:.0f}s"
        f"{reused} (not part of any timing below)"
    )
    print("\nreal vs generated citations (quantiles 10 25 50 75 90 95 99 %)")
    rows = [
        (f"citation age, years: real (n={c['age_real'][1]:,})", c["age_real"]),
        (f"  real, ages <= {LAST_YEAR - FIRST_YEAR} (the corpus span)", c["age_real_window"]),
        ("  generated (truncated per citing year)", c["age_generated"]),
        (f"  real, ages <= {RECENT - FIRST_YEAR}", c["age_real_recent"]),
        (f"  generated, citing year >= {RECENT}", c["age_generated_recent"]),
        ("patent citations per citing record: real (records resampled)", c["refs_real"]),
        (f"  real x {info['scale']:.3f} (the scale to reach the count)", c["refs_real_scaled"]),
        ("  generated", c["refs_generated"]),
        ("citations received per cited record: generated", c["received_generated"]),
    ]
    for label, (qs, _) in rows:
        print(f"  {label:56s} {_q(qs)}")
    print(f"  generated citations not after the cited publication: {c['age_generated_check']:,}")
    real_same = f"{same[0]:.1%} (USPC main class, {same[1]:,} real USPTO citations)" if same else "n/a: assumed"
    print(
        f"  same class: real {real_same}; generated {c['same_subclass_generated']:.1%} (main IPC subclass; drawn"
        f" from the own subclass with p={info['p_same']:.3f} when it has a publication in the drawn year"
        f" ({info['same_reachable']:.0%} of draws), else from the whole year, {info['natural_same_share']:.1%} of which"
        " is the own subclass)"
    )
    print(
        f"  NPL share: real {c['npl_share_real']:.1%} (records resampled: {c['npl_share_real_pool']:.1%});"
        f" generated {c['npl_share_generated']:.1%}"
    )
    print(f"  category: real {_shares(c['category_real'])}")
    print(f"            generated {_shares(c['category_generated'])}  (real, copies' sources: ", end="")
    print(f"{_shares(c['category_real_pool'])})")
    print(f"  origin:   real {_shares(c['origin_real'])}")
    print(f"            generated {_shares(c['origin_generated'])}")
    print(
        "  received citations are drawn uniformly within a (year[, subclass]) bucket: their spread is narrower than"
        " the real heavy tail"
    )

    summary: dict[str, Any] = {"corpus": {k: v for k, v in info.items() if k != "compare"}, "compare": c}
    base = results["baseline"]
    loads = ", ".join(
        f"{k} {v['load']['before']:.1f} → {v['load']['after_1min']:.1f}" for k, v in results.items() if "load" in v
    )
    print(f"\ntimings (seconds; median of the runs). Load average (1 min) before → after each part: {loads}")
    print(f"  ({os.cpu_count()} cores: a load above that means other processes took CPU time from these runs)")
    if "error" in base:
        print(f"  baseline failed: {base['error']}")
        base_s = float("nan")
    else:
        base_s = statistics.median(base["runs"])
        print(
            f"  {'hand-written DuckDB SQL, 5-year forward citations':52s} {base_s:>8.2f}"
            f"  (runs: {len(base['runs'])}; {base['rows']:,} cited publications, {base['citations_counted']:,}"
            f" citations counted; peak {base['peak_mb']:,.0f} MB)"
        )
    summary["baseline"] = {**base, "median_s": base_s}
    exit_code = 0
    for engine in ("duckdb", "spark"):
        r = results.get(engine)
        if r is None:
            continue
        label = f"patnav compute_indicators, engine={engine}"
        if r.get("conf"):
            label += " (" + ", ".join(f"{k}={v}" for k, v in r["conf"].items()) + ")"
        if "missing" in r or "error" in r:
            print(f"  {label}: NOT MEASURED — {_short_error(r.get('missing') or r.get('error') or '')}")
            summary[engine] = r
            exit_code = 2
            continue
        total = statistics.median(x["seconds"] for x in r["runs"])
        steps: dict[str, float] = {}
        for name in r["runs"][0]["timings"]:
            steps[name] = statistics.median(x["timings"].get(name, float("nan")) for x in r["runs"])
        fwd = steps.get("forward_citations")
        print(f"  {label + ', all indicators':52s} {total:>8.2f}  (runs: {len(r['runs'])}; {r['rows']:,} rows)")
        for name, secs in sorted(steps.items(), key=lambda kv: -kv[1]):
            print(f"    step {name:46s} {secs:>8.2f}")
        entry: dict[str, Any] = {**r, "median_s": total, "steps": steps}
        if engine == "duckdb":
            ok_total = total <= TARGET_TOTAL_S
            print(
                f"  target all indicators <= {TARGET_TOTAL_S:.0f} s: {'MET' if ok_total else 'MISSED'} ({total:.1f} s)"
            )
            if fwd is None:
                print("  forward_citations step: NOT REPORTED in IndicatorRun.timings")
                exit_code = 2
            else:
                ratio = fwd / base_s
                entry["ratio_forward_to_baseline"] = ratio
                print(
                    f"  forward_citations step / hand-written SQL = {fwd:.2f} / {base_s:.2f} = {ratio:.2f}"
                    f"  (target <= {TARGET_RATIO}: {'MET' if ratio <= TARGET_RATIO else 'MISSED'})"
                )
                links = steps.get("citation_links")
                if links is not None:
                    both = (links + fwd) / base_s
                    entry["ratio_links_and_forward_to_baseline"] = both
                    print(
                        f"  citation_links + forward_citations / hand-written SQL = {links + fwd:.2f} / {base_s:.2f}"
                        f" = {both:.2f}  (the links step joins citations to both publications, as the hand-written"
                        " query does; forward_citations only aggregates it)"
                    )
            sums = r["forward_sums"]
            if "fwd_cits5" in sums and "error" not in base:
                agree = sums["fwd_cits5"] == base["citations_counted"]
                print(
                    f"  5-year counts: patnav fwd_cits5 sums to {sums['fwd_cits5']:,}, the hand-written query to"
                    f" {base['citations_counted']:,}: {'equal' if agree else 'DIFFERENT'} (patnav counts distinct"
                    " citing families; here every copy has its own family and no pair repeats)"
                )
            peak = r["peak_mb"]
            print(
                f"  peak memory (process tree sampled every 100 ms; VmHWM): {peak:,.0f} MB"
                f"  (target <= 8 GB: {'MET' if peak <= TARGET_PEAK_MB else 'MISSED'})"
            )
        else:
            print(f"  Spark local mode peak memory (JVM included): {r['peak_mb']:,.0f} MB (no target)")
            duck = results.get("duckdb", {}).get("forward_sums")
            if duck and r["forward_sums"]:
                same = r["forward_sums"] == duck
                print(
                    f"  forward-citation sums {'equal to' if same else 'DIFFERENT FROM'} DuckDB's: {r['forward_sums']}"
                )
        summary[engine] = entry
    summary["exit_code"] = exit_code
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--publications", type=int, default=1_000_000)
    ap.add_argument("--citations", type=int, default=10_000_000, help="patent citations (NPL come on top)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, default=OUT / "indicators")
    ap.add_argument("--data", type=Path, default=DATA, help="the real data (default ../shared/data)")
    ap.add_argument("--source-corpus", type=Path, help="a corpus of real records to resample instead of --data")
    ap.add_argument("--keep", action="store_true", help="reuse the corpus of the same size and seed if built")
    ap.add_argument("--spark", action="store_true", help="also time engine='spark' (local mode)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of compute_indicators (median printed)")
    ap.add_argument("--baseline-repeat", type=int, default=3, help="runs of the hand-written query")
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    ap.add_argument("--build-memory", default="4GB", help="DuckDB memory limit while building the corpus")
    ap.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Spark setting for the --spark run (repeatable), e.g. spark.driver.memory=6g",
    )
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    started = time.perf_counter()
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    same = uspc_same_class_share(args.data) if (args.data / "uspto-grant-xml").exists() else None
    same_share = same[0] if same else 0.6
    corpus, info = corpus_for(args, same_share)
    reference = args.data / "classification"
    results: dict[str, dict[str, Any]] = {}
    log("hand-written query …")
    results["baseline"] = run_child("baseline", corpus, args.baseline_repeat, args.as_of, reference)
    log("compute_indicators on DuckDB …")
    results["duckdb"] = run_child("duckdb", corpus, args.repeat, args.as_of, reference)
    if args.spark:
        log("compute_indicators on Spark (local mode) …")
        conf = dict(kv.split("=", 1) for kv in args.spark_conf)
        results["spark"] = run_child("spark", corpus, args.repeat, args.as_of, reference, conf)
        results["spark"]["conf"] = conf
    summary = report(info, same, results)
    summary["same_class_real"] = same
    summary["as_of"] = args.as_of.isoformat()
    summary["wall_seconds"] = time.perf_counter() - started
    out = OUT / f"indicators-{args.publications}x{args.citations}.json"
    out.write_text(json.dumps(summary, indent=1, default=str))
    print(f"\nfigures written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    print(f"total wall time {summary['wall_seconds']:.0f}s")
    return int(summary["exit_code"])


if __name__ == "__main__":
    raise SystemExit(main())

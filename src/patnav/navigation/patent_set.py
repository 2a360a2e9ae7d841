"""Building a project's patent set: the query's hits and the seeds, grown from the seeds by family, citations
and over-represented classification codes (the automated-landscaping idea of Abood & Feltenberger, 2018), with
the recall and precision figures GB/T 39551 asks a report to state.

Recall is estimated as the share of the seed patents (known relevant) that the query retrieves; precision from
a hand-checked sample file (``publication_number,relevant``). Without them the report says they were not
estimated rather than inventing a figure.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from patnav.analysis.noise import MIN_CORE, Noise, semantic_noise
from patnav.analysis.patent_set import PatentSet
from patnav.engine.base import Engine
from patnav.indicators.sql import KIND_SUFFIX
from patnav.model.numbers import PatentNumberError, normalize_publication_number
from patnav.navigation.project import Project, ProjectError

#: an IPC main group is over-represented when its share among the seeds is at least this many times its
#: share in the corpus (and at least two seeds carry it); a patent joins when it carries two such groups
IPC_LIFT = 5.0
IPC_MIN_CODES = 2

_YES = {"1", "y", "yes", "true", "relevant", "是", "相关", "はい", "○"}
_NO = {"0", "n", "no", "false", "irrelevant", "not relevant", "否", "不相关", "いいえ", "×"}


@dataclass(frozen=True)
class SetBuild:
    """The set and how it was made: ``steps`` are (step, publications after it) in order."""

    patent_set: PatentSet
    steps: tuple[tuple[str, int], ...]
    query_hits: int | None
    seeds_total: int
    seeds_found: int
    recall: float | None
    precision: float | None
    precision_sample: int
    over_represented: tuple[str, ...] = ()
    unparsed_seeds: tuple[str, ...] = field(default_factory=tuple)
    noise: Noise | None = None  # what semantic noise removal took out (``denoise`` in the project)
    noise_note: str | None = None  # why it could not run


def _canonical(numbers: list[str]) -> tuple[list[str], list[str]]:
    good, bad = [], []
    for raw in numbers:
        try:
            good.append(normalize_publication_number(raw))
        except PatentNumberError:
            bad.append(raw)
    return good, bad


def _existing(engine: Engine, numbers: set[str]) -> set[str]:
    """Those of ``numbers`` loaded in the corpus; a number without kind finds its kinded publications."""
    if not numbers:
        return set()
    import pyarrow as pa

    engine.register("nav_numbers", pa.table({"n": sorted(numbers)}))
    rows = engine.rows(
        """SELECT p.publication_number FROM publications p JOIN nav_numbers x
             ON x.n = p.publication_number OR x.n = p.country || p.doc_number"""
    )
    return {r[0] for r in rows}


def _family(engine: Engine, numbers: set[str]) -> set[str]:
    import pyarrow as pa

    engine.register("nav_seeds", pa.table({"n": sorted(numbers)}))
    rows = engine.rows(
        """WITH fam AS (
             SELECT family_id AS f FROM publications WHERE family_id IS NOT NULL
               AND publication_number IN (SELECT n FROM nav_seeds)
             UNION SELECT family_id FROM families WHERE publication_number IN (SELECT n FROM nav_seeds))
           SELECT publication_number FROM publications WHERE family_id IN (SELECT f FROM fam)
           UNION SELECT f.publication_number FROM families f JOIN publications p
             ON p.publication_number = f.publication_number WHERE f.family_id IN (SELECT f FROM fam)"""
    )
    return {r[0] for r in rows}


def _citations(engine: Engine, numbers: set[str]) -> set[str]:
    """Loaded publications the seeds cite, and those citing a seed (one hop each way)."""
    import pyarrow as pa

    engine.register("nav_seeds", pa.table({"n": sorted(numbers)}))
    kindless = f"regexp_replace(c.cited_number, '{KIND_SUFFIX}', '')"
    rows = engine.rows(
        f"""SELECT p.publication_number FROM citations c JOIN publications p
              ON (p.publication_number = c.cited_number OR p.country || p.doc_number = {kindless})
            WHERE c.publication_number IN (SELECT n FROM nav_seeds) AND NOT c.is_npl
            UNION
            SELECT c.publication_number FROM citations c JOIN publications s
              ON (s.publication_number = c.cited_number OR s.country || s.doc_number = {kindless})
            WHERE s.publication_number IN (SELECT n FROM nav_seeds) AND NOT c.is_npl"""
    )
    return {r[0] for r in rows}


def _ipc_expansion(engine: Engine, numbers: set[str]) -> tuple[set[str], tuple[str, ...]]:
    """Publications carrying at least :data:`IPC_MIN_CODES` of the seeds' over-represented IPC main groups."""
    import pyarrow as pa

    engine.register("nav_seeds", pa.table({"n": sorted(numbers)}))
    group = "substr(replace(trim(symbol), ' ', ''), 1, instr(replace(trim(symbol), ' ', ''), '/') - 1)"
    rows = engine.rows(
        f"""WITH g AS (SELECT DISTINCT publication_number, {group} AS code FROM classifications
                       WHERE scheme = 'IPC' AND instr(symbol, '/') > 0),
                 seeds AS (SELECT code, count(*) AS n FROM g WHERE publication_number IN (SELECT n FROM nav_seeds)
                           GROUP BY code),
                 corpus AS (SELECT code, count(*) AS n FROM g GROUP BY code)
            SELECT s.code, s.n, c.n, (SELECT count(DISTINCT publication_number) FROM g) AS total
            FROM seeds s JOIN corpus c ON c.code = s.code ORDER BY s.code"""
    )
    seeds_with_codes = len(numbers)
    over = []
    for code, in_seeds, in_corpus, total in rows:
        if in_seeds >= 2 and seeds_with_codes and total:
            lift = (in_seeds / seeds_with_codes) / (in_corpus / total)
            if lift >= IPC_LIFT:
                over.append(str(code))
    if len(over) < IPC_MIN_CODES:
        return set(), tuple(over)
    engine.register("nav_codes", pa.table({"code": over}))
    hits = engine.rows(
        f"""SELECT publication_number FROM (
              SELECT DISTINCT publication_number, {group} AS code FROM classifications
              WHERE scheme = 'IPC' AND instr(symbol, '/') > 0) g
            WHERE code IN (SELECT code FROM nav_codes)
            GROUP BY publication_number HAVING count(*) >= {IPC_MIN_CODES}"""
    )
    return {r[0] for r in hits}, tuple(over)


def read_sample(path: Path) -> dict[str, bool]:
    """A hand-checked sample: publication number → relevant (yes/no, 1/0, 是/否 …); errors name row and cell."""
    out: dict[str, bool] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for line, row in enumerate(csv.reader(fh), start=1):
            if not row or not row[0].strip() or (line == 1 and row[0].strip().lower() == "publication_number"):
                continue
            if len(row) < 2:
                raise ProjectError(f"{path}, line {line}: want publication_number,relevant")
            verdict = row[1].strip().lower()
            if verdict not in _YES | _NO:
                raise ProjectError(f"{path}, line {line}, relevant: {row[1]!r} is not yes/no")
            try:
                number = normalize_publication_number(row[0])
            except PatentNumberError as exc:
                raise ProjectError(f"{path}, line {line}, publication_number: {exc}") from exc
            out[number] = verdict in _YES
    return out


def build_set(engine: Engine, project: Project, query_hits: list[str] | None, base_dir: Path) -> SetBuild:
    """The project's patent set from the query's hits (already searched) and its seeds."""
    steps: list[tuple[str, int]] = []
    numbers: set[str] = set(query_hits or [])
    if query_hits is not None:
        steps.append(("query", len(numbers)))
    seeds, bad = _canonical(project.seeds)
    found_seeds = _existing(engine, set(seeds))
    if seeds:
        numbers |= found_seeds
        steps.append(("seeds", len(numbers)))
    over: tuple[str, ...] = ()
    if found_seeds:
        if "family" in project.expand:
            numbers |= _family(engine, found_seeds)
            steps.append(("family", len(numbers)))
        if "citations" in project.expand:
            numbers |= _citations(engine, found_seeds)
            steps.append(("citations", len(numbers)))
        if "ipc" in project.expand:
            extra, over = _ipc_expansion(engine, found_seeds)
            numbers |= extra
            steps.append(("ipc", len(numbers)))
    noise, noise_note = None, None
    if project.denoise is not None and numbers:
        # the core: the seeds when there are enough to have a spread, else what the query found
        core = found_seeds if len(found_seeds) >= MIN_CORE else set(query_hits or ()) or found_seeds
        try:
            noise = semantic_noise(engine, numbers, core, protected=found_seeds, k=project.denoise)
        except ValueError as exc:
            noise_note = str(exc)
        else:
            numbers -= {n for n, _sim in noise.removed}
            steps.append(("noise", len(numbers)))
    recall = None
    if query_hits is not None and found_seeds:
        hits = set(query_hits)
        recall = sum(1 for s in found_seeds if s in hits) / len(found_seeds)
    precision, sample_size = None, 0
    if project.sample_file:
        sample = read_sample((base_dir / project.sample_file).resolve())
        checked = {n: v for n, v in sample.items() if n in numbers}
        sample_size = len(checked)
        precision = sum(checked.values()) / sample_size if sample_size else None
    label = project.title or project.name
    origin = project.query or "seeds"
    return SetBuild(
        patent_set=PatentSet.of(sorted(numbers), label=label, origin=origin, normalize=False),
        steps=tuple(steps),
        query_hits=len(query_hits) if query_hits is not None else None,
        seeds_total=len(project.seeds),
        seeds_found=len(found_seeds),
        recall=recall,
        precision=precision,
        precision_sample=sample_size,
        over_represented=over,
        unparsed_seeds=tuple(bad),
        noise=noise,
        noise_note=noise_note,
    )

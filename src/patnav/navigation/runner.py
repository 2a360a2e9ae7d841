"""Running a navigation project: build the patent set, run the analyses the project's type calls for, build
the report model and write it as HTML, PDF, DOCX and XLSX; keep each run so ``refresh`` can say what changed.

A run is kept under ``<projects>/<name>/runs/<timestamp>/`` with the project file as it was, the report model
(``report.json``) and the outputs; ``<projects>/<name>/latest`` points at the newest outputs.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from patnav.analysis.citations import citation_network
from patnav.analysis.effects import effect_matrix
from patnav.analysis.geography import geography
from patnav.analysis.patent_set import register_patent_set
from patnav.analysis.players import players
from patnav.analysis.talent import talent
from patnav.analysis.technology import technology
from patnav.analysis.trends import default_as_of, trends
from patnav.engine import get_engine
from patnav.engine.stats import _KEYED
from patnav.i18n import gettext
from patnav.navigation import conclusions as frames
from patnav.navigation import sections
from patnav.navigation.patent_set import SetBuild, build_set
from patnav.navigation.project import Project, ProjectError
from patnav.report.model import Note, Paragraph, Report, Section, Table

FORMATS = ("html", "pdf", "docx", "xlsx")


@dataclass
class RunResult:
    """What a run produced: the report model, the files written, per-step seconds and the run folder."""

    report: Report
    outputs: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    run_dir: Path | None = None
    changes: list[str] = field(default_factory=list)


class _Clock:
    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress
        self._name: str | None = None
        self._start = 0.0

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        if self._name is not None:
            self.timings[self._name] = self.timings.get(self._name, 0.0) + now - self._start
        self._name, self._start = name, now
        if self.progress and name != "done":
            self.progress(name)


def _query_hits(corpus_path: Path, query: str | None) -> list[str] | None:
    if not query:
        return None
    from patnav.corpus.store import Corpus
    from patnav.search.api import SearchError, matching_numbers

    corpus = Corpus(corpus_path, create=False, read_only=True)
    try:
        return matching_numbers(corpus, query)
    except SearchError as exc:
        raise ProjectError(f"query {query!r}: {exc}") from exc
    finally:
        corpus.close()


def _starting_points(corpus_path: Path, proposal: str | None, lang: str) -> tuple[list[list[Any]], str | None]:
    if not proposal:
        return [], None
    from patnav.search.api import Searcher, SearchError

    try:
        with Searcher(corpus_path) as searcher:
            hits = searcher.similar(text=proposal, limit=15).hits
    except SearchError as exc:
        return [], gettext("R&D starting points could not be searched", lang) + f": {exc}"
    rows = [[h.publication_number, h.title, h.applicant, round(h.similarity or h.score, 3)] for h in hits]
    return rows, None


def _screening(corpus_path: Path, project: Project, as_of: dt.date | None, lang: str) -> tuple[Any, str | None]:
    """Risk screening of an R&D or enterprise project's proposal text (needs the corpus's vectors)."""
    if not project.proposal or project.type not in ("rnd", "enterprise"):
        return None, None
    from patnav.analysis.screening import screen
    from patnav.engine import EngineError
    from patnav.search.api import Searcher, SearchError

    try:
        with Searcher(corpus_path) as searcher, get_engine("duckdb", corpus_path, source="parquet") as eng:
            result = screen(
                searcher,
                eng,
                project.proposal,
                countries=[project.region] if project.region else (),
                own_applicants=[project.client] if project.client else (),
                as_of=as_of,
                limit=10,
            )
        return result, None
    except (SearchError, EngineError, ValueError) as exc:
        return None, gettext("Risk screening could not run", lang) + f": {exc}"


def _indicator_rows(
    engine: Any, corpus_path: Path, project: Project, as_of: dt.date, numbers: Iterable[str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Indicator rows of the set: the saved run when it is as of the same date, else computed now."""
    from patnav.indicators.compute import compute
    from patnav.indicators.reference import reference_folder
    from patnav.indicators.results import NoIndicatorsError, load_run

    table: pa.Table | None = None
    manifest: dict[str, Any] = {}
    try:
        stored = load_run(corpus_path)
        if stored.manifest.get("as_of") == as_of.isoformat() and not project.rules:
            table, manifest = stored.publications, stored.manifest
    except NoIndicatorsError:
        pass
    if table is None:
        run = compute(engine, as_of=as_of, reference_dir=reference_folder(None), rule_versions=project.rules)
        table, manifest = run.table, run.manifest()
    wanted = pa.array(sorted(numbers), pa.string())
    rows = table.filter(pc.is_in(table.column("publication_number"), value_set=wanted)).to_pylist()
    return rows, manifest


def _high_value_by_applicant(engine: Any, table: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    numbers = sorted(r["publication_number"] for r in rows if r.get("high_value"))
    engine.register("nav_hv", pa.table({"n": pa.array(numbers, pa.string())}))
    found = engine.rows(
        f"""SELECT key, count(DISTINCT publication_number) FROM ({_KEYED["applicant"]}) a
            WHERE publication_number IN (SELECT n FROM nav_hv)
              AND publication_number IN (SELECT publication_number FROM {table})
            GROUP BY key"""
    )
    return {k: int(n) for k, n in found}


def run_project(
    project: Project,
    corpus_path: Path,
    *,
    project_file: Path | None = None,
    out_dir: Path | None = None,
    runs_dir: Path | None = None,
    formats: Iterable[str] = FORMATS,
    engine: str = "duckdb",
    progress: Callable[[str], None] | None = None,
    compare: bool = False,
) -> RunResult:
    """Run ``project`` over the corpus at ``corpus_path`` and write the report in ``formats``; with ``compare``
    (what ``refresh`` does) the report opens with what changed since the project's previous run."""
    clock = _Clock(progress)
    lang = project.lang
    g = lambda m: gettext(m, lang)  # noqa: E731
    formats = [f for f in formats if f in FORMATS]
    base_dir = project_file.parent if project_file else Path.cwd()

    clock("patent set")
    hits = _query_hits(corpus_path, project.query)
    starts, starts_note = _starting_points(corpus_path, project.proposal, lang) if project.type == "rnd" else ([], None)
    screening, screening_note = _screening(corpus_path, project, project.as_of, lang)
    with get_engine(engine, corpus_path) as eng:
        build: SetBuild = build_set(eng, project, hits, base_dir)
        pset = build.patent_set
        if not pset.numbers:
            raise ProjectError(g("the patent set is empty: widen the query or check the seeds"))
        table = register_patent_set(eng, pset)
        as_of = project.as_of or default_as_of(eng, pset)
        clock("trends")
        tr = trends(eng, pset, as_of=as_of)
        clock("players")
        pl = players(eng, pset, top=project.top, as_of=as_of)
        clock("geography")
        geo = geography(eng, pset)
        clock("technology")
        wipo = _wipo_reference()
        tech = technology(eng, pset, wipo=wipo, as_of=as_of, top=project.top * 2)
        matrix = effect_matrix(eng, pset, top=project.top)
        clock("landscape")
        land, gaps = _landscape(eng, pset, corpus_path, as_of)
        clock("citations")
        net = citation_network(eng, pset, top=project.top)
        clock("talent")
        tal = talent(eng, pset, top=project.top)
        clock("indicators")
        quality, manifest = _indicator_rows(eng, corpus_path, project, as_of, pset.numbers)
        hv_by_applicant = _high_value_by_applicant(eng, table, quality)
        extra: dict[str, Any] = {"starting_points": starts}
        if project.type == "talent":
            extra["inventors"] = [
                [i.name, i.families, "; ".join(i.applicants[:2]), f"{i.first_year}–{i.last_year}"] for i in tal.top
            ]
        if project.type == "enterprise":
            extra["benchmark"] = _benchmark(project, pl, hv_by_applicant, lang)

    clock("report model")
    provenance = _provenance(project, corpus_path, as_of, manifest, lang)
    talent_part = sections.talent_section(tal, lang, project.top)
    body = [
        sections.overview(project, build, as_of, lang),
        sections.methods(project, build, dict(provenance), lang),
        *([talent_part] if project.type == "talent" else []),
        sections.trends_section(tr, lang),
        sections.players_section(pl, lang, hv_by_applicant),
        sections.geography_section(geo, lang, project.region),
        sections.technology_section(tech, matrix, lang, _field_labels(wipo)),
        *([sections.landscape_section(land, gaps, lang)] if land is not None else []),
        sections.citations_section(net, lang, project.top),
        sections.quality_section(quality, manifest, lang, project.top),
        *([sections.screening_section(screening, lang)] if screening is not None else []),
        *([talent_part] if project.type != "talent" else []),
        frames.conclusions(project, tr, pl, geo, quality, lang, extra),
    ]
    caveats = list(manifest.get("caveats", []))
    caveats += [n for n in (starts_note, screening_note) if n]
    body.append(sections.limitations(caveats, lang))
    summary = {
        "publications": len(pset.numbers),
        "top_applicants": [a.name for a in pl.top],
        "high_value": sorted(r["publication_number"] for r in quality if r.get("high_value")),
        "stage": tr.life_cycle.stage,
        "as_of": str(as_of),
    }
    title = project.title or project.name
    subtitle = g("Patent navigation report ({type}), data as of {date}").format(type=project.type, date=as_of)
    report = Report(title=title, lang=lang, subtitle=subtitle, provenance=provenance, sections=body, summary=summary)

    runs_root = runs_dir or (
        project_file.parent / project.name if project_file else Path("var/projects") / project.name
    )
    previous = _latest_summary(runs_root)
    changes = _changes(previous, summary, lang) if previous is not None and compare else []
    if previous is not None and compare:
        report.sections.insert(
            0,
            Section(
                "changes",
                g("What changed since the last run"),
                [Paragraph(c) for c in changes] or [Paragraph(g("Nothing changed."))],
            ),
        )

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    run_dir = runs_root / "runs" / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "report.json").write_text(report.to_json(), encoding="utf-8")
    if project_file is not None and project_file.is_file():
        shutil.copy2(project_file, run_dir / "project.yaml")
    else:
        (run_dir / "project.yaml").write_text(project.to_yaml(), encoding="utf-8")
    target = out_dir or run_dir
    target.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Path] = {}
    writers = _writers()
    for fmt in formats:
        clock(fmt)
        outputs[fmt] = writers[fmt](report, target / f"report.{fmt}")
    clock("done")
    if out_dir is not None:
        for path in outputs.values():
            shutil.copy2(path, run_dir / path.name)
    latest = runs_root / "latest"
    if latest.exists():
        shutil.rmtree(latest)
    shutil.copytree(run_dir, latest)
    return RunResult(report, outputs, clock.timings, run_dir, changes)


def _landscape(engine: Any, pset: Any, corpus_path: Path, as_of: dt.date) -> tuple[Any, Any]:
    """The landscape and its white space; a set too small to map gives none (the report leaves the section out)."""
    from patnav.analysis.landscape import landscape, white_space

    if len(pset.numbers or ()) < 20:
        return None, None
    result = landscape(engine, pset, corpus_path=corpus_path, as_of=as_of)
    return result, white_space(engine, pset, result)


def _wipo_reference() -> Any:
    """The WIPO 35-field concordance from the reference folder, or None (fields are then left out)."""
    from patnav.indicators.reference import WIPO_FILE, load_wipo_fields, reference_folder

    folder = reference_folder(None)
    if folder is None or not (folder / WIPO_FILE).is_file():
        return None
    return load_wipo_fields(folder / WIPO_FILE)


def _field_labels(wipo: Any) -> dict[str, str]:
    return {code: names.get("en", "") for code, names in (wipo.labels if wipo else {}).items()}


def _writers() -> dict[str, Callable[[Report, Path], Path]]:
    from patnav.report.docx import write_docx
    from patnav.report.html import write_html
    from patnav.report.pdf import write_pdf
    from patnav.report.xlsx import write_xlsx

    return {"html": write_html, "pdf": write_pdf, "docx": write_docx, "xlsx": write_xlsx}


def _benchmark(project: Project, pl: Any, hv: dict[str, int], lang: str) -> list[list[Any]]:
    from patnav.ingest.names import NameHarmonizer

    harmonizer = NameHarmonizer()
    by_name = {a.name: a for a in pl.top}
    rows = []
    for name in project.competitors:
        key = harmonizer.key(name)
        a = by_name.get(key)
        rows.append(
            [
                name,
                a.families if a else 0,
                f"{100 * a.market_share:.1f}%" if a else "—",
                gettext(a.trend, lang) if a else "—",
                hv.get(key, 0),
            ]
        )
    return rows


def _provenance(
    project: Project, corpus_path: Path, as_of: dt.date, manifest: dict[str, Any], lang: str
) -> list[tuple[str, str]]:
    from patnav import __version__

    g = lambda m: gettext(m, lang)  # noqa: E731
    items = [
        (g("project"), f"{project.name} ({project.type})"),
        (g("query"), project.query or "—"),
        (g("corpus"), str(corpus_path)),
        (g("data cut-off"), str(as_of)),
        (g("indicators as of"), str(manifest.get("as_of", "—"))),
        (g("rules"), ", ".join(sorted(set(manifest.get("rules", {}).values()))) or "—"),
        (g("placeholder tables"), ", ".join(manifest.get("placeholders", [])) or "—"),
        (g("reference tables"), "; ".join(f"{k}: {v}" for k, v in sorted(manifest.get("references", {}).items()))),
        (g("generated"), dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") + f" · patnav {__version__}"),
    ]
    return items


def _latest_summary(runs_root: Path) -> dict[str, Any] | None:
    latest = runs_root / "latest" / "report.json"
    if not latest.is_file():
        return None
    return Report.from_json(latest.read_text(encoding="utf-8")).summary


def _changes(before: dict[str, Any], after: dict[str, Any], lang: str) -> list[str]:
    """What a refresh reports: size, new and departed top applicants, new high-value patents, stage."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    out = []
    if before.get("publications") != after.get("publications"):
        out.append(
            g("The set grew from {a} to {b} publications.").format(
                a=before.get("publications"), b=after.get("publications")
            )
        )
    new_players = [n for n in after.get("top_applicants", []) if n not in before.get("top_applicants", [])]
    if new_players:
        out.append(g("New among the top applicants: {names}.").format(names=", ".join(new_players)))
    gone = [n for n in before.get("top_applicants", []) if n not in after.get("top_applicants", [])]
    if gone:
        out.append(g("No longer among the top applicants: {names}.").format(names=", ".join(gone)))
    new_hv = sorted(set(after.get("high_value", [])) - set(before.get("high_value", [])))
    if new_hv:
        out.append(g("New high-value patents: {n} ({first}).").format(n=len(new_hv), first=", ".join(new_hv[:10])))
    lost_hv = sorted(set(before.get("high_value", [])) - set(after.get("high_value", [])))
    if lost_hv:
        out.append(g("No longer high-value: {n} ({first}).").format(n=len(lost_hv), first=", ".join(lost_hv[:10])))
    if before.get("stage") != after.get("stage"):
        out.append(
            g("Life-cycle stage changed from {a} to {b}.").format(
                a=g(str(before.get("stage"))), b=g(str(after.get("stage")))
            )
        )
    return out


__all__ = ["FORMATS", "Note", "RunResult", "Table", "run_project"]

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
from patnav.analysis.screening import design_around
from patnav.analysis.talent import talent
from patnav.analysis.technology import technology
from patnav.analysis.trends import default_as_of, trends
from patnav.engine import get_engine
from patnav.engine.recording import QueryLog, RecordingEngine
from patnav.engine.stats import owner_rows
from patnav.i18n import gettext
from patnav.navigation import conclusions as frames
from patnav.navigation import sections
from patnav.navigation.patent_set import SetBuild, build_set
from patnav.navigation.project import Project, ProjectError
from patnav.navigation.type_sections import design_around_section
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
) -> tuple[list[dict[str, Any]], dict[str, Any], list[tuple[str, str, float]]]:
    """Indicator rows of the set: the saved run when it is as of the same date, else computed now
    (``manifest["origin"]`` says which: ``stored`` or ``computed``); and the set's NACE Rev.2 industry rows
    ``(publication_number, code, weight)`` of that run."""
    from patnav.indicators.compute import compute
    from patnav.indicators.reference import reference_folder
    from patnav.indicators.results import NoIndicatorsError, load_run

    table: pa.Table | None = None
    industries: pa.Table | None = None
    manifest: dict[str, Any] = {}
    origin = "stored"
    try:
        stored = load_run(corpus_path)
        if stored.manifest.get("as_of") == as_of.isoformat() and not project.rules:
            table, manifest, industries = stored.publications, stored.manifest, stored.industries
    except NoIndicatorsError:
        pass
    if table is None:
        run = compute(engine, as_of=as_of, reference_dir=reference_folder(None), rule_versions=project.rules)
        table, manifest, industries, origin = run.table, run.manifest(), run.industries, "computed"
    wanted = pa.array(sorted(numbers), pa.string())
    rows = table.filter(pc.is_in(table.column("publication_number"), value_set=wanted)).to_pylist()
    nace: list[tuple[str, str, float]] = []
    if industries is not None and industries.num_rows:
        mine = industries.filter(
            pc.and_(pc.is_in(industries.column("publication_number"), value_set=wanted),
                    pc.equal(industries.column("scheme"), "nace2"))
        )  # fmt: skip
        nace = list(zip(*(mine.column(c).to_pylist() for c in ("publication_number", "code", "weight")), strict=True))
    return rows, {**manifest, "origin": origin}, nace


def _publications_by_applicant(engine: Any, table: str, keys: Iterable[str]) -> dict[str, list[str]]:
    """The set's publications of each harmonised applicant name in ``keys`` (the applicant rule of the players
    analysis: applicants, else the assignees of a publication naming none)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    engine.register("nav_keys", pa.table({"k": pa.array(wanted, pa.string())}))
    found = engine.rows(
        f"""SELECT DISTINCT name AS key, publication_number FROM ({owner_rows()}) a
            WHERE key IN (SELECT k FROM nav_keys)
              AND publication_number IN (SELECT publication_number FROM {table})"""
    )
    out: dict[str, list[str]] = {}
    for key, number in found:
        out.setdefault(str(key), []).append(str(number))
    return out


def _entities(project: Project) -> list[tuple[str, str, str]]:
    """``(name, harmonised key, role)`` of the enterprise (the project's client) and its named competitors."""
    from patnav.ingest.names import NameHarmonizer

    harmonizer = NameHarmonizer()
    named = [(project.client, "client")] if project.client.strip() else []
    named += [(c, "competitor") for c in project.competitors if c.strip()]
    return [(name, harmonizer.key(name), role) for name, role in named]


def _starting_place(land: Any, gaps: Any, proposal: str, lang: str) -> tuple[Any, str | None]:
    """The proposal placed on the map with how crowded it is there, or a note saying why it could not be."""
    from patnav.analysis.landscape import crowding, starting_point
    from patnav.navigation.type_sections import StartingPlace

    try:
        start = starting_point(land, proposal, k=10)
    except (ValueError, RuntimeError, OSError, ImportError) as exc:  # e.g. the map's model is not installed
        return None, gettext("The proposal could not be placed on the landscape map", lang) + f": {exc}"
    return StartingPlace(start, crowding(land, start), land, gaps), None


def _industry_table(project: Project, base_dir: Path) -> Any:
    """A regional project's industry table (``industry_file``), read before any analysis runs so a bad file
    fails at once, naming the field, the line and the column; ``None`` when the project gives none."""
    from patnav.analysis.industry_match import IndustryTableError, read_industry_table

    if project.type != "regional" or not project.industry_file:
        return None
    try:
        return read_industry_table((base_dir / project.industry_file).resolve())
    except IndustryTableError as exc:
        raise ProjectError(f"industry_file: {exc}") from exc


def _industry_match(
    engine: Any, pset: Any, project: Project, table: Any, nace: list[tuple[str, str, float]],
    manifest: dict[str, Any], lang: str,
) -> tuple[Any, str | None]:  # fmt: skip
    """The region's patent–industry match against the project's industry table (or the patent side alone), or
    a note saying what is missing."""
    from patnav.analysis.industry_match import industry_match, region_families

    if not project.region:
        return None, None
    if not nace:
        return None, gettext(
            "No patent of the set maps to an industry: the IPC → NACE Rev.2 concordance was not applied (give the "
            "reference folder with ipc_nace2_eurostat.csv to `patnav indicators compute`).",
            lang,
        )
    labels = {code: names.get("en", "") for code, names in manifest.get("labels", {}).get("nace2", {}).items()}
    divisions = {code: label for code, label in labels.items() if "." not in code and label}
    for code, label in sorted(labels.items()):  # a division the concordance only names by its groups
        head = code.split(".")[0]
        if label and head not in divisions:
            divisions[head] = f"{label} …"
    families = region_families(engine, pset, project.region)
    return industry_match(project.region, families, nace, table, labels=divisions), None


def _high_value_by_applicant(engine: Any, table: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    numbers = sorted(r["publication_number"] for r in rows if r.get("high_value"))
    engine.register("nav_hv", pa.table({"n": pa.array(numbers, pa.string())}))
    found = engine.rows(
        f"""SELECT name AS key, count(DISTINCT publication_number) FROM ({owner_rows()}) a
            WHERE publication_number IN (SELECT n FROM nav_hv)
              AND publication_number IN (SELECT publication_number FROM {table})
            GROUP BY name"""
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

    industry_table = _industry_table(project, base_dir)
    clock("patent set")
    hits = _query_hits(corpus_path, project.query)
    starts, starts_note = _starting_points(corpus_path, project.proposal, lang) if project.type == "rnd" else ([], None)
    screening, screening_note = _screening(corpus_path, project, project.as_of, lang)
    queries = QueryLog()
    with get_engine(engine, corpus_path) as plain:
        eng = RecordingEngine(plain, queries)
        build: SetBuild = build_set(eng, project, hits, base_dir)
        pset = build.patent_set
        if not pset.numbers:
            raise ProjectError(g("the patent set is empty: widen the query or check the seeds"))
        table = register_patent_set(eng, pset)
        as_of = project.as_of or default_as_of(eng, pset)
        clock("trends")
        tr = trends(eng, pset, as_of=as_of)
        clock("players")
        entities = _entities(project) if project.type == "enterprise" else []
        pl = players(eng, pset, top=project.top, as_of=as_of, named=[key for _n, key, _r in entities])
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
        quality, manifest, nace = _indicator_rows(eng, corpus_path, project, as_of, pset.numbers)
        hv_by_applicant = _high_value_by_applicant(eng, table, quality)
        extra: dict[str, Any] = {"starting_points": starts}
        core: Section | None = None
        if project.type == "talent":
            extra["inventors"] = [
                [i.name, i.families, "; ".join(i.applicants[:2]), f"{i.first_year}–{i.last_year}"] for i in tal.top
            ]
        if project.type == "enterprise":
            from patnav.navigation.type_sections import benchmark_rows, benchmark_section

            by_key = _publications_by_applicant(eng, table, [key for _n, key, _r in entities])
            bench = benchmark_rows(entities, pl, by_key, quality)
            origin = manifest["origin"] if quality else "none"
            extra["benchmark"] = bench
            core = benchmark_section(
                bench, pl, lang, indicators=origin, client_named=any(r == "client" for _n, _k, r in entities)
            )
        if project.type == "rnd" and screening is not None:
            extra["design_around"] = design_around(screening, project.proposal or "")
        place, place_note = (None, None)
        if project.type == "rnd" and project.proposal and land is not None:
            place, place_note = _starting_place(land, gaps, project.proposal, lang)
            extra["starting_place"] = place
        match, match_note = (None, None)
        if project.type == "regional":
            from patnav.navigation.type_sections import match_section

            match, match_note = _industry_match(eng, pset, project, industry_table, nace, manifest, lang)
            extra["match"] = match
            core = match_section(match, lang, region=project.region, note=match_note)

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
        *([sections.landscape_section(land, gaps, lang, place.start if place else None)] if land is not None else []),
        *([_place_section(place, starts, lang)] if place is not None else []),
        sections.citations_section(net, lang, project.top),
        sections.quality_section(quality, manifest, lang, project.top),
        *([core] if core is not None else []),
        *([sections.screening_section(screening, lang)] if screening is not None else []),
        *([design_around_section(extra["design_around"], lang)] if "design_around" in extra else []),
        *([talent_part] if project.type != "talent" else []),
        frames.conclusions(project, tr, pl, geo, quality, lang, extra),
    ]
    _attach_sql(body, queries)
    caveats = list(manifest.get("caveats", []))
    caveats += [n for n in (starts_note, screening_note, place_note) if n]
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


def _attach_sql(sections_: Iterable[Section], queries: QueryLog) -> None:
    """Give each chart and table the SQL its source names (the provenance GB/T 39551 asks for every figure)."""
    for section in sections_:
        for block in section.blocks:
            if block.kind in ("chart", "table") and block.source:
                block.sql = "\n\n".join(queries.for_source(block.source))


def _place_section(place: Any, starts: list[list[Any]], lang: str) -> Section:
    from patnav.navigation.type_sections import starting_point_section

    return starting_point_section(place, lang, show_neighbours=not starts)


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
        *([(g("industry table"), project.industry_file)] if project.industry_file else []),
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

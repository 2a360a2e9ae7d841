"""The type-specific core analyses of a navigation report on real data (domain.md §4.4): an R&D proposal marked on
the landscape map with how crowded it lands, an enterprise benchmarked against named competitors on trend, share
and quality, and a region's patents matched against its industry structure. Each test reads the report the way
a user does (its tables, figures and sentences) and checks the figures against an independent count."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest

from patnav.analysis.industry_match import IndustryTableError, nace_division, read_industry_table
from patnav.corpus.loader import load_paths
from patnav.corpus.store import Corpus
from patnav.navigation.project import Project, ProjectError
from patnav.navigation.runner import run_project
from patnav.search.text_index import TextIndex

FIXTURES = Path(__file__).parent / "fixtures" / "industry"
NEURAL = "ti:(neural network) AND pd:[1995 TO 2005]"


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real PatentsView, Google Patents, USPTO full-text and EPO OPS records, with a full-text index."""
    path = tmp_path_factory.mktemp("frames") / "c"
    with Corpus(path) as c:
        load_paths(
            c,
            [shared_data / name for name in ("patentsview", "google-patents-export", "uspto-grant-xml",
                                             "office-api-responses")],
        )  # fmt: skip
    with Corpus(path, read_only=True) as c:
        TextIndex.for_corpus(c).update_from_corpus(c)
    return path


def _section(result: Any, section_id: str) -> Any:
    found = [s for s in result.report.sections if s.id == section_id]
    assert len(found) == 1, [s.id for s in result.report.sections]
    return found[0]


def _blocks(section: Any, kind: str) -> list[Any]:
    return [b for b in section.blocks if b.kind == kind]


def _set(corpus: Path, query: str) -> list[str]:
    from patnav.search.api import matching_numbers

    with Corpus(corpus, read_only=True) as c:
        return matching_numbers(c, query)


# -- R&D: the proposal on the map ----------------------------------------------------------------------------------


def test_rnd_report_marks_the_proposal_on_the_map_and_says_how_crowded_it_is(corpus: Path, tmp_path: Path) -> None:
    from patnav.report.charts import to_svg

    proposal = "A neural network that predicts traffic flow from road sensors and controls the traffic lights."
    project = Project(name="rnd", type="rnd", lang="en", query=NEURAL, proposal=proposal)
    result = run_project(project, corpus, runs_dir=tmp_path / "rnd", formats=["html"])
    ids = [s.id for s in result.report.sections]
    assert ids.index("starting_point") == ids.index("landscape") + 1  # read right after the map it refers to

    (chart,) = [c for c in _blocks(_section(result, "landscape"), "chart") if "landscape" in c.source]
    (marked,) = chart.spec["datasets"]["proposal"]
    assert marked["label"] == "proposal" and "red diamond marks the proposal" in chart.caption
    assert 'fill="#d62728"' in to_svg(chart.spec)  # the marker is drawn, not only carried in the data

    place = _section(result, "starting_point")
    topics = next(t for t in _blocks(place, "table") if t.caption.startswith("Topics the proposal falls in"))
    home = topics.rows[0][0]
    assert marked["cluster"] == home  # the map and the section name the same topic
    sentence = next(p for p in _blocks(place, "paragraph") if p.text.startswith("The proposal lands in"))
    assert f"“{home}”" in sentence.text and sentence.figures["cluster"] == home
    within, typical = sentence.figures["within"], sentence.figures["typical"]
    assert f"{within:,} patents of the set lie within the circle" in sentence.text

    # no vectors in this corpus: the search by meaning cannot list nearest patents, so the map's own are listed
    nearest = next(t for t in _blocks(place, "table") if t.caption == "Nearest patents to the proposal on the map")
    assert len(nearest.rows) == 10 and "traffic" in nearest.rows[0][1].lower()
    # the count the reader is given is the count of the map's points inside the circle holding those ten
    xy = {d["publication_number"]: (d["x"], d["y"]) for d in chart.data}
    here = (marked["x"], marked["y"])
    radius = max(math.dist(here, xy[row[0]]) for row in nearest.rows)
    inside = sum(1 for p in xy.values() if math.dist(here, p) <= radius)
    assert abs(inside - within) <= 2 and within >= 10  # (coordinates in the chart data are rounded)
    assert typical > 0

    conclusions = _section(result, "conclusions")
    said = [p.text for p in _blocks(conclusions, "paragraph") if p.text.startswith("On the landscape map")]
    assert len(said) == 1 and f"“{home}”" in said[0] and f"{within} patents lie around it" in said[0]
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert "The proposal on the landscape map" in html and "could not be searched" in html  # old table's note kept


# -- enterprise: benchmark against named competitors ----------------------------------------------------------------

_FAMILIES_OF = """
    WITH n AS (SELECT publication_number, role, coalesce(nullif(trim(name_harmonized), ''), nullif(trim(name), ''))
                      AS name
               FROM parties WHERE role IN ('applicant', 'assignee')),
         named AS (SELECT DISTINCT publication_number FROM n WHERE role = 'applicant' AND name IS NOT NULL)
    SELECT DISTINCT n.publication_number, coalesce(p.family_id, p.publication_number)
    FROM n JOIN publications p ON p.publication_number = n.publication_number
    WHERE n.name = ? AND (n.role = 'applicant' OR n.publication_number NOT IN (SELECT * FROM named))"""


def test_enterprise_benchmark_compares_trend_share_and_quality(corpus: Path, tmp_path: Path) -> None:
    """IBM against three named competitors, with ``top`` 1 so the competitors are outside the top-applicant
    ranking; the quality figures come from the corpus's saved indicator run."""
    from patnav.indicators.compute import compute_indicators
    from patnav.indicators.results import load_run, save_run

    as_of = dt.date(2020, 1, 1)
    save_run(compute_indicators(corpus, as_of=as_of), corpus)
    competitors = ["Microsoft Corporation", "Siemens AG", "Nobody Ltd"]
    project = Project(name="ent", type="enterprise", lang="en", query=NEURAL, as_of=as_of, top=1,
                      client="IBM Corp.", competitors=competitors)  # fmt: skip
    result = run_project(project, corpus, runs_dir=tmp_path / "ent", formats=["html"])
    section = _section(result, "benchmark")
    (table,) = _blocks(section, "table")
    rows = {r[0]: r for r in table.rows}
    column = {c: i for i, c in enumerate(table.columns)}
    assert list(rows) == ["IBM Corp. (INTERNATIONAL BUSINESS MACHINES)", "Microsoft Corporation (MICROSOFT)",
                          "Siemens AG (SIEMENS)", "Nobody Ltd"]  # fmt: skip
    assert [r[column["role"]] for r in table.rows] == ["enterprise", "competitor", "competitor", "competitor"]

    members = set(_set(corpus, NEURAL))
    stored = {r["publication_number"]: r for r in load_run(corpus).publications.to_pylist()}
    with Corpus(corpus, read_only=True) as c:
        for label, key in (
            ("IBM Corp. (INTERNATIONAL BUSINESS MACHINES)", "INTERNATIONAL BUSINESS MACHINES"),
            ("Microsoft Corporation (MICROSOFT)", "MICROSOFT"),
            ("Siemens AG (SIEMENS)", "SIEMENS"),
        ):
            held = [(n, f) for n, f in c.con.execute(_FAMILIES_OF, [key]).fetchall() if n in members]
            row = rows[label]
            assert row[column["families"]] == len({f for _n, f in held}) > 0  # counted even outside the top 1
            mine = [stored[n] for n, _f in held]
            sizes = [r["family_size"] for r in mine if r["family_size"] is not None]
            assert row[column["mean family size"]] == f"{fmean(sizes):.1f}"
            cits = [r["fwd_cits5"] for r in mine if r["fwd_cits5"] is not None]
            assert row[column["mean forward citations (5 years)"]] == (f"{fmean(cits):.1f}" if cits else "—")
            assert row[column["high-value (in force)"]] == sum(1 for r in mine if r["high_value"])
            assert row[column["share"]].endswith("%") and row[column["trend"]] in ("rising", "flat", "falling")
    nobody = rows["Nobody Ltd"]
    assert nobody[column["families"]] == 0 and nobody[column["mean family size"]] == "—"
    notes = [n.text for n in _blocks(section, "note")]
    assert any("Not found as an applicant in the set" in n and "Nobody Ltd" in n for n in notes)
    assert not any("computed for this report" in n for n in notes)  # the saved run was used
    (trend,) = _blocks(section, "chart")
    assert {d["enterprise"] for d in trend.data} == {"IBM Corp.", "Microsoft Corporation", "Siemens AG"}
    ibm_years = sum(d["families"] for d in trend.data if d["enterprise"] == "IBM Corp.")
    assert ibm_years <= rows["IBM Corp. (INTERNATIONAL BUSINESS MACHINES)"][column["families"]]

    conclusions = [p.text for p in _blocks(_section(result, "conclusions"), "paragraph")]
    ibm = rows["IBM Corp. (INTERNATIONAL BUSINESS MACHINES)"]
    quoted = next(t for t in conclusions if t.startswith("IBM Corp.:"))
    assert f"{ibm[column['families']]} families ({ibm[column['share']]} of the field)" in quoted
    assert f"mean family size {ibm[column['mean family size']]}" in quoted
    assert any(t.startswith("Benchmark: IBM Corp. leads on size") for t in conclusions)


def test_a_benchmark_without_indicators_says_so_instead_of_zeros(corpus: Path) -> None:
    from patnav.analysis.patent_set import PatentSet
    from patnav.analysis.players import players
    from patnav.engine import get_engine
    from patnav.navigation.type_sections import benchmark_rows, benchmark_section

    numbers = _set(corpus, NEURAL)
    with get_engine("duckdb", corpus) as engine:
        pl = players(engine, PatentSet.of(numbers), named=["INTERNATIONAL BUSINESS MACHINES"])
    rows = benchmark_rows([("IBM", "INTERNATIONAL BUSINESS MACHINES", "client")], pl, {}, [])
    section = benchmark_section(rows, pl, "zh_CN", indicators="none", client_named=True)
    (table,) = _blocks(section, "table")
    (ibm,) = table.rows
    assert ibm[2] == pl.named[0].applicant.families > 0
    assert ibm[7:] == ["—"] * 5  # quality columns: a dash, never 0
    assert any("patnav indicators compute" in n.text and "未计算" in n.text for n in _blocks(section, "note"))


# -- regional: the patent–industry match ----------------------------------------------------------------------------


def test_regional_report_matches_patents_with_the_industry_table(corpus: Path, tmp_path: Path) -> None:
    """Against the HAND-WRITTEN industry table in tests/fixtures/industry (fictitious values, see its README)."""
    project = Project(name="reg", type="regional", lang="en", region="US", query="pd:[2005 TO 2013]",
                      industry_file=str(FIXTURES / "region_hand_written.csv"))  # fmt: skip
    result = run_project(project, corpus, runs_dir=tmp_path / "reg", formats=["html"])
    section = _section(result, "match")
    table = next(t for t in _blocks(section, "table") if t.caption.startswith("Technology structure"))
    assert table.columns[-2:] == ["industry share", "gap (points)"]
    rows = {r[0]: r for r in table.rows}
    pct = lambda s: float(s.rstrip("%"))  # noqa: E731
    # the table's shares (26: 300 + 100 of 1,000; the section total "C" left out), and the gap = patent − industry
    assert {d: rows[d][4] for d in ("26", "28", "21", "35")} == {"26": "40.0%", "28": "20.0%", "21": "10.0%",
                                                                 "35": "30.0%"}  # fmt: skip
    assert rows["26"][1] == "Computer and electronic products (hand-written)"
    for r in table.rows:
        assert float(r[5]) == pytest.approx(pct(r[3]) - pct(r[4]), abs=0.11)
    assert rows["35"][3] == "0.0%" and rows["35"][5] == "-30.0"  # an industry with no patent behind it
    assert pct(rows["26"][3]) > 0 and sum(pct(r[3]) for r in table.rows) == pytest.approx(100, abs=0.5)
    overlap = sum(min(pct(r[3]), pct(r[4])) for r in table.rows)
    figures = dict(_blocks(section, "figures")[0].items)
    assert pct(figures["structural overlap"]) == pytest.approx(overlap, abs=0.5)
    # the region's families are those the geography section counts for US
    geo = next(p.text for p in _blocks(_section(result, "geography"), "paragraph") if p.text.startswith("US:"))
    assert geo.startswith(f"US: {figures['families of the region']} families")
    assert any("left out" in n.text and ": C" in n.text for n in _blocks(section, "note"))
    (chart,) = _blocks(section, "chart")
    assert {d["side"] for d in chart.data} == {"patent share", "industry share"}
    match = next(p.text for p in _blocks(_section(result, "conclusions"), "paragraph") if p.text.startswith("Match"))
    assert f"overlap by {figures['structural overlap']}" in match and "35" in match
    assert ("industry table", str(FIXTURES / "region_hand_written.csv")) in result.report.provenance


def test_regional_report_without_a_table_says_what_to_provide(corpus: Path, tmp_path: Path) -> None:
    project = Project(name="reg", type="regional", lang="zh_CN", region="US", query="pd:[2005 TO 2013]")
    result = run_project(project, corpus, runs_dir=tmp_path / "reg", formats=["html"])
    section = _section(result, "match")
    table = next(t for t in _blocks(section, "table"))
    assert len(table.columns) == 4 and table.rows  # the patent side alone, no invented industry shares
    notes = [n.text for n in _blocks(section, "note")]
    assert any("industry_file" in n and "nace2" in n and "value" in n for n in notes)
    assert not _blocks(section, "chart")


def test_industry_tables_roll_up_to_divisions_and_errors_name_the_cell(tmp_path: Path) -> None:
    table = read_industry_table(FIXTURES / "region_hand_written.csv")
    assert dict(table.values) == {"26": 400.0, "28": 200.0, "21": 100.0, "35": 300.0}
    assert table.skipped == ("C",) and table.labels["26"].startswith("Computer and electronic")
    assert [nace_division(c) for c in ("C26", "26.11", "1", "total")] == ["26", "26", "01", None]
    bad = tmp_path / "bad.csv"  # hand-written
    for text, message in (
        ("code,value\n26,1\n", "missing column"),
        ("nace2,value\n26,lots\n", "line 2, value"),
        ("nace2,value\n26,-5\n", "negative"),
    ):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(IndustryTableError, match=message):
            read_industry_table(bad)
    project = Project(name="reg", type="regional", lang="en", region="US", query="ti:(baseball)",
                      industry_file=str(tmp_path / "none.csv"))  # fmt: skip
    with pytest.raises(ProjectError, match="industry_file"):
        run_project(project, tmp_path / "no-corpus", runs_dir=tmp_path / "r", formats=["html"])


def test_cli_project_new_takes_the_client_and_the_industry_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from patnav.cli import app
    from patnav.navigation.project import load_project

    table = FIXTURES / "region_hand_written.csv"
    new = ["project", "new", "--dir", str(tmp_path), "--type", "regional", "--query", "a"]
    extra = ["--region", "US", "--industry-file", str(table), "--client", "IBM Corp."]
    res = CliRunner().invoke(app, [*new, "reg", *extra])
    assert res.exit_code == 0, res.output
    project = load_project(tmp_path / "reg.yaml")
    assert (project.industry_file, project.client) == (str(table.resolve()), "IBM Corp.")
    res = CliRunner().invoke(app, [*new, "bad", "--industry-file", str(tmp_path / "missing.csv")])
    assert res.exit_code != 0 and "missing.csv" in res.output


def test_the_design_around_section_lists_the_elements_a_proposal_leaves_out() -> None:
    """HAND-WRITTEN claim elements (the analysis itself is tested on real grants in test_analysis_screening)."""
    from patnav.analysis.screening import ClaimElement, DesignAround
    from patnav.navigation.type_sections import design_around_section

    item = DesignAround(
        "US1234567B2",
        1,
        (
            ClaimElement("A valve assembly comprising", ("valv",)),
            ClaimElement("a spring biasing the valve closed", ("spring", "valv")),
            ClaimElement("a pressure sensor coupled to the housing", ()),
        ),
    )
    section = design_around_section([item, DesignAround("US7654321B1", None, (ClaimElement("A chair", ()),))], "zh_CN")
    table = next(b for b in section.blocks if b.kind == "table")
    assert section.title == "规避设计候选"
    assert table.rows[0] == ["US1234567B2", 1, 3, 1, "a pressure sensor coupled to the housing"]
    assert table.rows[1][3] == 0  # a one-element claim has only its preamble: nothing to leave out
    assert any(b.kind == "note" and "不构成法律意见" in b.text for b in section.blocks)
    empty = design_around_section([], "en")
    assert [b.kind for b in empty.blocks] == ["note"]

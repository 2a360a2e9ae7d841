"""Navigation projects end to end on real data: project files, the patent set with its recall and precision, a
report of each GB/T 39551 type, the four output formats checked as a person would (PDF pages and CJK text, a
Word document, the XLSX annex, the HTML drawn in Chromium), and refresh."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from patnav.corpus.loader import load_paths
from patnav.corpus.store import Corpus
from patnav.engine import get_engine
from patnav.navigation.patent_set import build_set
from patnav.navigation.project import Project, ProjectError, load_project, save_project
from patnav.navigation.runner import run_project
from patnav.navigation.sections import players_section, talent_section
from patnav.search.text_index import TextIndex

TITLE = "人工智能神经网络产业专利导航"


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real PatentsView, Google Patents, USPTO full-text and EPO OPS records, with a full-text index."""
    path = tmp_path_factory.mktemp("nav") / "c"
    with Corpus(path) as c:
        load_paths(
            c,
            [shared_data / name for name in ("patentsview", "google-patents-export", "uspto-grant-xml",
                                             "office-api-responses")],
        )  # fmt: skip
    with Corpus(path, read_only=True) as c:
        TextIndex.for_corpus(c).update_from_corpus(c)
    return path


def _project(**kw: Any) -> Project:
    base: dict[str, Any] = {"name": "ai", "type": "industry", "query": "tac:(neural network)", "lang": "zh_CN",
                            "title": TITLE, "region": "JP"}  # fmt: skip
    base.update(kw)
    return Project(**base)


def test_project_files_round_trip_and_errors_name_the_field(tmp_path: Path) -> None:
    path = save_project(_project(seeds=["US 7,197,497 B2"], expand=["family"]), tmp_path / "ai.yaml")
    back = load_project(path)
    assert (back.name, back.type, back.query, back.seeds, back.lang) == (
        "ai", "industry", "tac:(neural network)", ["US 7,197,497 B2"], "zh_CN",
    )  # fmt: skip
    assert TITLE in path.read_text(encoding="utf-8")  # written as readable UTF-8, not escapes
    bad = tmp_path / "bad.yaml"
    for text, message in (
        ("name: x\ntype: planet\nquery: a\n", "type 'planet'"),
        ("name: x\ntype: rnd\nquery: a\n", "proposal"),
        ("name: x\ntype: industry\n", "query, seeds"),
        ("name: x\ntype: industry\nquery: a\ncolour: red\n", "unknown field"),
        ("name: x\ntype: industry\nquery: a\nas_of: 2024-02-30\n", "as_of"),
        ("name: x y\ntype: industry\nquery: a\n", "name"),
    ):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ProjectError, match=message):
            load_project(bad)


def test_set_building_states_recall_and_precision(corpus: Path, tmp_path: Path) -> None:
    """Seeds: two neural-network patents the query finds and one baseball patent it cannot; a hand-checked
    sample (HAND-WRITTEN for this test) marks 3 of 4 sampled set members relevant."""
    from patnav.search.api import matching_numbers

    with Corpus(corpus, read_only=True) as c:
        hits = matching_numbers(c, "tac:(neural network)")
        baseball = matching_numbers(c, "ti:baseball")[0]
    neural = sorted(hits)[:2]
    sample = tmp_path / "sample.csv"
    verdicts = zip(sorted(hits)[:4], ["是", "yes", "1", "no"], strict=True)
    sample.write_text("publication_number,relevant\n" + "".join(f"{n},{v}\n" for n, v in verdicts), encoding="utf-8")
    project = _project(seeds=[*neural, baseball, "not-a-number"], sample_file=str(sample))
    with get_engine("duckdb", corpus) as engine:
        build = build_set(engine, project, hits, tmp_path)
    assert build.recall == pytest.approx(2 / 3)
    assert (build.precision, build.precision_sample) == (0.75, 4)
    assert build.unparsed_seeds == ("not-a-number",)
    assert baseball in (build.patent_set.numbers or set())
    assert [s for s, _ in build.steps] == ["query", "seeds"]

    ep = _project(query=None, seeds=["EP1000000B1"], expand=["family"])
    with get_engine("duckdb", corpus) as engine:
        grown = build_set(engine, ep, None, tmp_path)
    assert {"EP1000000A1", "EP1000000B1"} <= set(grown.patent_set.numbers or ())


@pytest.fixture(scope="module")
def industry_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("projects")
    path = save_project(_project(), folder / "ai.yaml")
    return run_project(load_project(path), corpus, project_file=path, runs_dir=folder / "ai")


def test_industry_report_in_all_four_formats(industry_run: Any) -> None:
    outputs = industry_run.outputs
    assert set(outputs) == {"html", "pdf", "docx", "xlsx"}
    ids = [s.id for s in industry_run.report.sections]
    assert ids[:3] == ["overview", "methods", "trends"] and "conclusions" in ids and ids[-1] == "limitations"
    html = outputs["html"].read_text(encoding="utf-8")
    assert TITLE in html and "<script src=" not in html and "https://cdn" not in html  # works offline
    assert "IBM" in html or "INTERNATIONAL BUSINESS MACHINES" in html

    from docx import Document

    doc = Document(str(outputs["docx"]))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading") or p.style.name == "Title"]
    assert headings[0] == TITLE and any("趋势" in h for h in headings)
    assert len(doc.inline_shapes) >= 5  # the charts, as pictures

    book = load_workbook(outputs["xlsx"])
    assert book.sheetnames[0] == "说明" and len(book.sheetnames) >= 8
    about = [r for r in book[book.sheetnames[0]].iter_rows(values_only=True)]
    assert any(r[0] and "rules" not in str(r[0]) and r[3] for r in about if len(r) > 3)  # each sheet has a source


def test_every_figure_of_an_analysis_carries_the_sql_that_made_it(industry_run: Any) -> None:
    blocks = [b for s in industry_run.report.sections for b in s.blocks if b.kind in ("chart", "table")]
    from_analyses = [b for b in blocks if b.source.startswith("patnav.analysis.")]
    assert from_analyses and all(b.sql for b in from_analyses), [b.source for b in from_analyses if not b.sql]
    trend = next(b for b in from_analyses if b.source.startswith("patnav.analysis.trends.year_series"))
    assert "SELECT" in trend.sql and "publications" in trend.sql
    html = industry_run.outputs["html"].read_text(encoding="utf-8")
    assert html.count('<pre class="source sql">') >= len([b for b in from_analyses if b.sql])
    about = load_workbook(industry_run.outputs["xlsx"]).worksheets[0]
    rows = [[c.value for c in r] for r in about.iter_rows()]
    header = next(i for i, r in enumerate(rows) if "SQL" in r)
    sql_cells = [r[rows[header].index("SQL")] for r in rows[header + 1 :]]
    assert sum(1 for v in sql_cells if v and "SELECT" in v) >= 3


def test_pdf_pages_render_with_chinese_text(industry_run: Any, tmp_path: Path) -> None:
    if not shutil.which("pdftoppm") or not shutil.which("pdftotext"):
        if os.environ.get("CI"):
            pytest.fail("poppler-utils is missing in CI")
        pytest.skip("poppler-utils (pdftoppm, pdftotext) not installed")
    pdf = industry_run.outputs["pdf"]
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 5 and all(p.stat().st_size > 2000 for p in pages)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert TITLE in text and "数据与方法" in text and "生命周期" in text


def test_html_report_draws_every_chart_in_chromium(industry_run: Any, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(industry_run.outputs["html"].resolve().as_uri())
    page.wait_for_function("window.patnavCharts && window.patnavCharts.rendered + window.patnavCharts.failed"
                           " === window.patnavCharts.total", timeout=60_000)  # fmt: skip
    state = page.evaluate("window.patnavCharts")
    assert state["failed"] == 0 and state["rendered"] == state["total"] >= 6
    marks = page.evaluate(
        "Array.from(document.querySelectorAll('div.chart')).map(d => d.querySelectorAll('svg path, svg rect,"
        " svg circle, svg line, svg text').length)"
    )
    assert len(marks) == state["total"] and min(marks) > 5, marks  # no empty canvas
    assert not errors, errors
    assert all(u.startswith(("file:", "data:", "about:")) for u in requests), requests  # nothing from the network
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    page.close()


def test_refresh_says_what_changed(corpus: Path, tmp_path: Path) -> None:
    path = save_project(_project(lang="en", query="ti:(neural network) AND pd:[1990 TO 2005]"), tmp_path / "ai.yaml")
    run_project(load_project(path), corpus, project_file=path, runs_dir=tmp_path / "ai", formats=["html"])
    path = save_project(_project(lang="en", query="ti:(neural network)"), tmp_path / "ai.yaml")
    again = run_project(load_project(path), corpus, project_file=path, runs_dir=tmp_path / "ai", formats=["html"],
                        compare=True)  # fmt: skip
    assert again.report.sections[0].id == "changes"
    assert any(c.startswith("The set grew from") for c in again.changes)
    assert any(c.startswith("New among the top applicants") for c in again.changes)
    assert len(list((tmp_path / "ai" / "runs").iterdir())) == 2


@pytest.mark.parametrize(
    ("kind", "extra", "expect"),
    [
        ("regional", {"region": "US"}, "Competitiveness"),
        ("enterprise", {"competitors": ["IBM Corp.", "Nobody Ltd"]}, "Benchmark against the named competitors"),
        ("talent", {}, "Key inventors"),
        ("rnd", {"proposal": "A neural network that predicts traffic flow from road sensors."}, "starting points"),
    ],
)
def test_every_project_type_runs(corpus: Path, tmp_path: Path, kind: str, extra: dict[str, Any], expect: str) -> None:
    project = _project(name=kind, type=kind, lang="en", query="ti:(neural network) AND pd:[1995 TO 2005]", **extra)
    result = run_project(project, corpus, runs_dir=tmp_path / kind, formats=["html"])
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert expect in html
    if kind == "enterprise":  # the benchmark table is the enterprise frame's own section
        benchmark = next(s for s in result.report.sections if s.id == "benchmark")
        table = next(b for b in benchmark.blocks if b.kind == "table")
        rows = {r[0]: r for r in table.rows}
        assert rows["IBM Corp. (INTERNATIONAL BUSINESS MACHINES)"][2] > 0 and rows["Nobody Ltd"][2] == 0
    if kind == "rnd":  # no vectors in this corpus: the report says so instead of inventing starting points
        assert "could not be searched" in html


def test_a_japanese_report_is_in_japanese(corpus: Path, tmp_path: Path) -> None:
    """Every section title and the fixed text are Japanese in the HTML and in the PDF (CJK fonts present); the
    data (titles, names) stay as written."""
    import re

    from patnav.i18n import gettext

    title = "ニューラルネットワーク 特許ナビゲーション"
    project = _project(
        name="ja", type="talent", lang="ja", title=title, query="ti:(neural network) AND pd:[1995 TO 2005]"
    )
    result = run_project(project, corpus, runs_dir=tmp_path / "ja", formats=["html", "pdf"])
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    titles = [s.title for s in result.report.sections]
    assert len(titles) >= 5 and all(japanese.search(t) for t in titles), titles
    html = result.outputs["html"].read_text(encoding="utf-8")
    for msgid in ("Data and methods", "Key inventors"):
        assert gettext(msgid, "ja") != msgid and gettext(msgid, "ja") in html and f">{msgid}<" not in html
    if not shutil.which("pdftotext"):
        if os.environ.get("CI"):
            pytest.fail("poppler-utils is missing in CI")
        pytest.skip("poppler-utils (pdftotext) not installed")
    text = subprocess.run(
        ["pdftotext", str(result.outputs["pdf"]), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert (
        title.split()[0] in text
        and gettext("Data and methods", "ja") in text
        and gettext("Key inventors", "ja") in text
    )


# -- the co-applicant and co-inventor networks drawn (sections on the real corpus) --------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: the families of each applicant (applicants, else the assignees of a publication naming none) and of each
#: inventor, over the whole corpus: written here, apart from the analyses
_APPLICANT_FAMILIES = """
    WITH n AS (SELECT publication_number, role, coalesce(nullif(trim(name_harmonized), ''), nullif(trim(name), ''))
                      AS name
               FROM parties WHERE role IN ('applicant', 'assignee')),
         named AS (SELECT DISTINCT publication_number FROM n WHERE role = 'applicant' AND name IS NOT NULL)
    SELECT n.name, count(DISTINCT coalesce(p.family_id, p.publication_number))
    FROM n JOIN publications p ON p.publication_number = n.publication_number
    WHERE n.name IS NOT NULL AND (n.role = 'applicant' OR n.publication_number NOT IN (SELECT * FROM named))
    GROUP BY n.name"""
_INVENTOR_FAMILIES = """
    SELECT coalesce(nullif(trim(x.name_harmonized), ''), nullif(trim(x.name), '')) AS name,
           count(DISTINCT coalesce(p.family_id, p.publication_number))
    FROM parties x JOIN publications p ON p.publication_number = x.publication_number
    WHERE x.role = 'inventor' GROUP BY 1 HAVING name IS NOT NULL"""


@pytest.fixture(scope="module")
def networks(real_corpus: Path) -> Any:
    from patnav.analysis.players import players
    from patnav.analysis.talent import talent

    with get_engine("duckdb", real_corpus) as engine:
        pl = players(engine, top=20)
        tal = talent(engine, top=20)
    with Corpus(real_corpus, read_only=True) as c:
        applicant_families = dict(c.con.execute(_APPLICANT_FAMILIES).fetchall())
        inventor_families = dict(c.con.execute(_INVENTOR_FAMILIES).fetchall())
    return pl, tal, applicant_families, inventor_families


def _network_chart(section: Any, source: str) -> Any:
    charts = [b for b in section.blocks if b.kind == "chart" and b.source.startswith(source)]
    assert len(charts) == 1, [b.source for b in section.blocks if b.kind == "chart"]
    return charts[0]


def _check_drawing(chart: Any, edges: list[tuple[str, str, int]], families: dict[str, int]) -> dict[str, Any]:
    """The chart draws the strongest part of the network ``edges`` returned by the analysis: the (at most 40)
    nodes with the most shared families summed over their links, every link between two of them with its weight,
    circles sized by the node's families; and it renders."""
    from collections import Counter

    from patnav.report.charts import to_png

    strength: Counter[str] = Counter()
    for a, b, w in edges:
        strength[a] += w
        strength[b] += w
    edge_layer, node_layer, label_layer = chart.spec["layer"]
    nodes = {n["name"]: n for n in node_layer["data"]["values"]}
    assert len(nodes) == min(40, len(strength)) and len(node_layer["data"]["values"]) == len(nodes)
    weakest = min(strength[n] for n in nodes)
    assert {n for n, s in strength.items() if s > weakest} <= set(nodes)  # the top by strength (ties at the cut)
    assert all(nodes[n]["strength"] == strength[n] for n in nodes)
    assert all(nodes[n]["size"] == families[n] for n in nodes)  # sized by families, counted with SQL here
    drawn = {(e["source"], e["target"]): e for e in edge_layer["data"]["values"]}
    assert {k: e["weight"] for k, e in drawn.items()} == {(a, b): w for a, b, w in edges if a in nodes and b in nodes}
    for (a, b), e in drawn.items():  # a line joins the two drawn circles
        assert (e["x"], e["y"], e["x2"], e["y2"]) == (nodes[a]["x"], nodes[a]["y"], nodes[b]["x"], nodes[b]["y"])
    labelled = [n for n in nodes.values() if n["label"]]
    assert 0 < len(labelled) <= 12 and label_layer["data"]["values"] == node_layer["data"]["values"]
    smallest_labelled = min(n["size"] for n in labelled)
    assert all(n["size"] <= smallest_labelled for n in nodes.values() if not n["label"])  # labels on the biggest
    assert node_layer["encoding"]["size"]["field"] == "size"
    assert to_png(chart.spec).startswith(PNG_SIGNATURE)
    # the XLSX annex gets one row per drawn node and per drawn link
    assert len(chart.data) == len(nodes) + len(drawn)
    return nodes


def test_players_section_draws_the_co_applicant_network(networks: Any) -> None:
    pl, _tal, applicant_families, _ = networks
    assert len(pl.co_applicants) > 100  # the real corpus has a network larger than the chart
    section = players_section(pl, "en")
    chart = _network_chart(section, "patnav.analysis.players.co_applicants")
    edges = [(e.source, e.target, e.families) for e in pl.co_applicants]
    nodes = _check_drawing(chart, edges, applicant_families)
    kinds = {a.name: a.kind for a in pl.co_applicant_nodes}
    assert all(n["group"] == kinds[name] for name, n in nodes.items())  # coloured by kind of party
    note = section.blocks[section.blocks.index(chart) + 1]
    assert note.kind == "note" and "strongest part of the co-applicant network" in note.text
    assert f"the 40 of {len({n for e in edges for n in e[:2]}):,} applicants" in note.text
    assert "applicants with most families shared" in chart.source
    again = _network_chart(players_section(pl, "en"), "patnav.analysis.players.co_applicants")
    assert again.spec == chart.spec  # the layout is seeded: the same network draws the same picture


def test_talent_section_draws_the_co_inventor_network(networks: Any) -> None:
    _pl, tal, _, inventor_families = networks
    assert len(tal.teams.edges) > 100
    section = talent_section(tal, "zh_CN", 20)
    chart = _network_chart(section, "patnav.analysis.talent.co_inventor_edges")
    nodes = _check_drawing(chart, [(e.source, e.target, e.families) for e in tal.teams.edges], inventor_families)
    team_of = {m: t.rank for t in tal.teams.teams for m in t.members}
    for name, n in nodes.items():  # coloured by team: the team's rank, or — outside the teams listed
        assert n["group"] == (f"团队 {team_of[name]}" if name in team_of else "—")
    note = section.blocks[section.blocks.index(chart) + 1]
    assert note.kind == "note" and "发明人合作网络中联系最强的部分" in note.text  # in the report's language
    assert chart.caption.startswith("发明人合作网络")


def test_network_charts_go_to_the_xlsx_annex(networks: Any, tmp_path: Path) -> None:
    from patnav.report.model import Report
    from patnav.report.xlsx import write_xlsx

    pl, tal, _, _ = networks
    report = Report("networks", "en", sections=[players_section(pl, "en"), talent_section(tal, "en", 20)])
    book = load_workbook(write_xlsx(report, tmp_path / "data.xlsx"))
    about = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    for source in ("patnav.analysis.players.co_applicants", "patnav.analysis.talent.co_inventor_edges"):
        chart = next(c for _s, c in report.charts() if c.source.startswith(source))
        row = next(r for r in about if len(r) > 3 and r[3] == chart.source)
        sheet = list(book[row[0]].iter_rows(values_only=True))
        assert row[2] == chart.caption and len(sheet) == 1 + len(chart.data)


def test_a_set_without_co_applications_says_so_in_one_sentence(real_corpus: Path) -> None:
    from patnav.analysis.patent_set import PatentSet
    from patnav.analysis.players import players
    from patnav.analysis.talent import talent

    alone = PatentSet.of(["EP1000000B1"])  # one EP grant: one applicant and one inventor, so no pair of either
    with get_engine("duckdb", real_corpus) as engine:
        pl = players(engine, alone)
        tal = talent(engine, alone)
    assert pl.co_applicants == () and pl.top and tal.teams.edges == ()
    for section, sentence in (
        (players_section(pl, "en"), "there is no co-applicant network"),
        (talent_section(tal, "en", 20), "there is no co-inventor network"),
    ):
        assert not [b for b in section.blocks if b.kind == "chart" and ".co_" in b.source]
        said = [b for b in section.blocks if b.kind == "paragraph" and sentence in b.text]
        assert len(said) == 1 and said[0].text.count(".") == 1  # one sentence

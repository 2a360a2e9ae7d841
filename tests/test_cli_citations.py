"""`patnav citations map` end to end on the real corpus: the map's generations against citations read with SQL
written here, the table it prints, the HTML (spec and vega scripts inlined), PNG and SVG it writes, and errors.

No publication of the real corpus both cites and is cited by loaded publications (checked with SQL: the loaded
publications cited by others are PatentsView grants, which carry no citations), so the two directions are
checked on two publications, each asserted below to have citations in its direction:

* ``BACKWARD``: a 2023 USPTO full-text grant citing 64 patent documents, two of them loaded PatentsView grants
  (US5846208 and US6735467, cited without kind code) and the rest not loaded;
* ``FORWARD``: a PatentsView grant (stored without kind code) cited by the 2010 grant US7783348B2 as
  ``US6213934B1`` (a kind code the stored record lacks); typed loosely here, as a user would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from patnav.cli import app
from patnav.corpus.store import Corpus

BACKWARD = "US11803753B1"
FORWARD = "US6213934"
FORWARD_TYPED = "us 6,213,934"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"PATNAV_LANG": "en"})


def _direct(corpus: Corpus, root: str) -> dict[str, Any]:
    """The root's direct citations, read here without the analysis: what it cites (the loaded publication a
    cited number means, by its exact key, else by country + number without the kind code, the earliest; else the
    number as written) and the loaded publications citing it (by its key, or by country + number)."""
    con = corpus.con
    cited = [n for (n,) in con.execute(
        "SELECT DISTINCT cited_number FROM citations WHERE publication_number = ? AND NOT is_npl"
        " AND cited_number IS NOT NULL", [root],
    ).fetchall()]  # fmt: skip
    resolved: dict[str, str] = {}
    loaded: set[str] = set()
    for number in cited:
        bare = re.sub(r"([0-9])[A-Z][0-9]?$", r"\1", number)
        hits = con.execute(
            "SELECT publication_number FROM publications WHERE publication_number = ? OR country || doc_number = ?"
            " ORDER BY publication_number = ? DESC, publication_date, publication_number",
            [number, bare, number],
        ).fetchall()
        target = hits[0][0] if hits else number
        if target != root:
            resolved[number] = target
            if hits:
                loaded.add(target)
    citing = {n for (n,) in con.execute(
        """SELECT DISTINCT c.publication_number FROM citations c, publications r
        WHERE r.publication_number = ? AND NOT c.is_npl AND c.publication_number <> r.publication_number
          AND (c.cited_number = r.publication_number
               OR regexp_replace(c.cited_number, '([0-9])[A-Z][0-9]?$', '\\1') = r.country || r.doc_number)""",
        [root],
    ).fetchall()}  # fmt: skip
    date, title = con.execute(
        "SELECT publication_date, title FROM publications WHERE publication_number = ?", [root]
    ).fetchone()  # type: ignore[misc]
    return {"cites": set(resolved.values()), "cites_loaded": loaded, "cited_by": citing, "date": date, "title": title}


@pytest.fixture(scope="module")
def expected(real_corpus: Path) -> dict[str, dict[str, Any]]:
    with Corpus(real_corpus, read_only=True) as corpus:
        return {root: _direct(corpus, root) for root in (BACKWARD, FORWARD)}


def _map(real_corpus: Path, number: str, *extra: str) -> dict[str, Any]:
    res = _run("citations", "map", number, "--json", "--corpus", str(real_corpus), *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _generation(cmap: dict[str, Any], g: int) -> dict[str, dict[str, Any]]:
    return {n["publication_number"]: n for n in cmap["nodes"] if n["generation"] == g}


def test_the_map_goes_back_to_what_the_patent_cites(real_corpus: Path, expected: dict[str, Any]) -> None:
    truth = expected[BACKWARD]
    assert len(truth["cites"]) > 10 and len(truth["cites_loaded"]) >= 2  # the data has what the test needs
    cmap = _map(real_corpus, "US 11,803,753", "--back", "2", "--forward", "2")  # no kind code: resolved
    assert (cmap["root"], cmap["back"], cmap["forward"], cmap["capped"]) == (BACKWARD, 2, 2, False)
    root = _generation(cmap, 0)[BACKWARD]
    assert root["date"] == str(truth["date"]) and root["title"] == truth["title"]
    back = _generation(cmap, -1)
    assert set(back) == truth["cites"]
    assert {n for n, node in back.items() if node["loaded"]} == truth["cites_loaded"]
    assert all(node["title"] is None and node["date"] is None for node in back.values() if not node["loaded"])
    assert set(_generation(cmap, 1)) == truth["cited_by"]
    edges = {(e["citing"], e["cited"]) for e in cmap["edges"]}
    assert {(BACKWARD, n) for n in truth["cites"]} <= edges
    # the loaded cited grants cite nothing loaded, and nothing cites the root: the map ends at generation -1
    assert {n["generation"] for n in cmap["nodes"]} == {-1, 0} and not truth["cited_by"]


def test_the_map_goes_forward_to_what_cites_the_patent(real_corpus: Path, expected: dict[str, Any]) -> None:
    truth = expected[FORWARD]
    assert truth["cited_by"] == {"US7783348B2"}  # cited as US6213934B1: found by country + number
    cmap = _map(real_corpus, FORWARD_TYPED, "--back", "1", "--forward", "2")
    assert (cmap["root"], cmap["back"], cmap["forward"]) == (FORWARD, 1, 2)
    assert set(_generation(cmap, 1)) == truth["cited_by"]
    assert set(_generation(cmap, -1)) == truth["cites"]
    assert {(e["citing"], e["cited"]) for e in cmap["edges"]} >= {(n, FORWARD) for n in truth["cited_by"]}
    assert _generation(cmap, 1)["US7783348B2"]["applicant"] == "JAGJIT GILL"
    # --forward 0 leaves the citing side out
    assert {n["generation"] for n in _map(real_corpus, FORWARD, "--forward", "0")["nodes"]} == {0}


def test_the_table_lists_every_generation_and_counts_the_citations(real_corpus: Path, expected: dict[str, Any]) -> None:
    cmap = _map(real_corpus, BACKWARD)
    res = _run("citations", "map", BACKWARD, "--corpus", str(real_corpus))
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert f"Citation map of {BACKWARD}" in out
    for number in expected[BACKWARD]["cites_loaded"] | {BACKWARD}:
        assert re.search(rf"│\s+(-1|0)\s+│ {number}\s", out), number
    assert f"{len(cmap['nodes'])} publications, {len(cmap['edges'])} citations" in out
    unloaded = len(expected[BACKWARD]["cites"] - expected[BACKWARD]["cites_loaded"])
    assert f"{unloaded} cited publications are not in the corpus" in out


def test_html_png_and_svg_outputs(real_corpus: Path, expected: dict[str, Any], tmp_path: Path) -> None:
    from patnav.analysis.citations import citation_map
    from patnav.engine import get_engine
    from patnav.navigation.citation_map import map_spec
    from patnav.report.charts import embed_script, styled

    html_path = tmp_path / "map.html"
    res = _run("citations", "map", BACKWARD, "--out", str(html_path), "--corpus", str(real_corpus))
    assert res.exit_code == 0, res.output
    html = html_path.read_text(encoding="utf-8")
    assert embed_script() in html  # vega, vega-lite and vega-embed inlined: works offline
    assert "<script src=" not in html and "https://cdn" not in html
    specs = json.loads(re.search(r"const specs = (.*);\n", html).group(1).replace("<\\/", "</"))  # type: ignore[union-attr]
    with get_engine("duckdb", real_corpus) as engine:
        spec = map_spec(citation_map(engine, BACKWARD, back=2, forward=2), "en")
    assert list(specs.values()) == [styled(spec)]  # the map's spec, as the report styles it
    drawn = {n["publication_number"] for n in specs["0"]["layer"][1]["data"]["values"]}
    assert drawn == expected[BACKWARD]["cites"] | {BACKWARD}
    assert all(number in html for number in expected[BACKWARD]["cites_loaded"])  # the table of publications

    png = tmp_path / "map.png"
    res = _run("citations", "map", FORWARD, "--out", str(png), "--corpus", str(real_corpus))
    assert res.exit_code == 0, res.output
    assert png.read_bytes().startswith(PNG_SIGNATURE) and png.stat().st_size > 5_000
    svg = tmp_path / "map.svg"
    res = _run("citations", "map", FORWARD, "-o", str(svg), "--corpus", str(real_corpus))
    assert res.exit_code == 0, res.output
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<svg") and "US7783348B2" in text


def test_errors_name_what_is_wrong(real_corpus: Path, tmp_path: Path) -> None:
    res = _run("citations", "map", "US9999999B2", "--corpus", str(real_corpus))
    assert res.exit_code == 1 and "US9999999B2" in res.output and "not in the corpus" in res.output
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)
    res = _run("citations", "map", "not-a-number", "--corpus", str(real_corpus))
    assert res.exit_code == 2 and "not-a-number" in res.output
    res = _run("citations", "map", BACKWARD, "--out", str(tmp_path / "map.pdf"), "--corpus", str(real_corpus))
    assert res.exit_code == 2 and ".html, .png or .svg" in res.output and not (tmp_path / "map.pdf").exists()
    res = _run("citations", "map", BACKWARD, "--back", "-1", "--corpus", str(real_corpus))
    assert res.exit_code == 2

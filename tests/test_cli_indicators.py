"""`patnav indicators …` and `patnav rules …` end to end on a corpus loaded from real EPO and USPTO files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from patnav.cli import app


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args), env=env)
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli-ind") / "c"
    code, out = _run(
        "ingest",
        str(shared_data / "office-api-responses"),
        str(shared_data / "uspto-grant-xml"),
        "--corpus",
        str(path),
    )
    assert code == 0, out
    return str(path)


def test_compute_show_and_portfolio(corpus: str, shared_data: Path, tmp_path: Path) -> None:
    reference = str(shared_data / "classification")
    code, out = _run("indicators", "compute", "--as-of", "2025-12-31", "--reference-dir", reference, "--corpus", corpus)
    assert code == 0, out
    assert "Indicators as of 2025-12-31" in out
    assert "Placeholder table used" in out and "sei-2018-placeholder" in out

    code, out = _run("indicators", "show", "EP 1000000 B1", "--json", "--corpus", corpus)
    assert code == 0, out
    shown = json.loads(out)
    assert shown["indicators"]["family_size"] == 5 and shown["indicators"]["status"] == "expired"
    assert set(shown["inputs"]["family"]) >= {"AT232441T", "US6093011A"}
    assert shown["run"]["as_of"] == "2025-12-31" and shown["run"]["placeholders"]

    code, out = _run("indicators", "show", "CN104968889A", "--json", "--corpus", corpus)
    assert code == 0, out
    shown = json.loads(out)
    assert shown["indicators"]["status"] is None  # and why, not a blank:
    assert shown["missing"]["status"] == ["an application with no grant and no outcome more than 7 years after filing"]
    code, out = _run("indicators", "show", "CN104968889A", "--corpus", corpus)
    assert code == 0 and "CN104968889A" in out and "Civil engineering" in out

    xlsx = tmp_path / "p.xlsx"
    code, out = _run("indicators", "portfolio", "--by", "country", "--out", str(xlsx), "--corpus", corpus)
    assert code == 0, out
    book = load_workbook(xlsx)
    rows = list(book["portfolio"].iter_rows(values_only=True))
    assert rows[0][:3] == ("key", "label", "publications")
    assert rows[1][0] == "US"  # the USPTO files dominate this corpus
    about = [r for r in book["about"].iter_rows(values_only=True)]
    assert ("as_of", "2025-12-31") in [r[:2] for r in about]
    assert any(r[0] == "placeholder" for r in about)


def test_user_errors_are_clear(corpus: str, tmp_path: Path) -> None:
    code, out = _run("indicators", "compute", "--as-of", "31/12/2025", "--corpus", corpus)
    assert code == 2 and "YYYY-MM-DD" in out
    code, out = _run("indicators", "compute", "--rule", "high_value", "--corpus", corpus)
    assert code == 2 and "domain=version" in out
    code, out = _run("indicators", "compute", "--rule", "high_value=16FYP", "--corpus", corpus)
    assert code == 2 and "14FYP-5cat" in out  # names the versions that exist
    empty = tmp_path / "empty"
    shutil.copytree(corpus, empty, ignore=shutil.ignore_patterns("indicators*"))
    code, out = _run("indicators", "show", "EP1000000B1", "--corpus", str(empty))
    assert code == 2 and "indicators compute" in out
    code, out = _run("indicators", "portfolio", "--by", "planet", "--corpus", corpus)
    assert code == 2 and "tech-field" in out


def test_rules_list_and_show_speak_chinese() -> None:
    code, out = _run("rules", "list", env={"PATNAV_LANG": "zh_CN"})
    assert code == 0, out
    assert "15FYP-4cat" in out and "pii-2019-placeholder" in out and "领域" in out
    code, out = _run("rules", "show", "high_value", "15FYP-4cat")
    assert code == 0, out
    assert "pledge" not in out.split("params")[-1].lower().split("granted_kinds")[0] or "award" in out
    assert "战略性新兴产业的发明专利" in out
    code, out = _run("rules", "show", "industry", "sei-2018-placeholder")
    assert code == 0 and "Placeholder" in out


def test_kpi_per_enterprise(corpus: str, shared_data: Path, tmp_path: Path) -> None:
    """A HAND-WRITTEN financials table (fictitious figures) naming a real applicant and a made-up one."""
    reference = str(shared_data / "classification")
    code, out = _run("indicators", "compute", "--as-of", "2024-12-31", "--reference-dir", reference, "--corpus", corpus)
    assert code == 0, out
    fin = tmp_path / "companies.csv"
    fin.write_text(
        "企业名称,年份,营业收入(亿元),利润(亿元),行业,地区,规模以上\n"
        "IBM Corp.,2024,500,80,electronics,US,是\n"
        "Nonexistent Widgets Ltd,2024,3,0.5,machinery,Jiangsu,是\n",
        encoding="utf-8",
    )
    table = tmp_path / "kpi.csv"
    code, out = _run("kpi", "--financials", str(fin), "--year", "2024", "--out", str(table), "--corpus", corpus)
    assert code == 0, out
    assert "Nonexistent Widgets Ltd" in out and "plan-2023-48" in out
    import csv

    rows = {r["enterprise"]: r for r in csv.DictReader(table.open(encoding="utf-8"))}
    ibm, none = rows["IBM Corp."], rows["Nonexistent Widgets Ltd"]
    assert ibm["matched"] == "true" and none["matched"] == "false"
    assert float(ibm["denominator_cny"]) == 500e8
    assert float(ibm["kpi"]) == pytest.approx(int(ibm["high_value"]) / 500)
    assert int(ibm["in_force_inventions"]) >= int(ibm["high_value"]) > 0
    code, out = _run("kpi", "--financials", str(fin), "--year", "2024", "--denominator", "ebitda", "--corpus", corpus)
    assert code == 2 and "operating_profit" in out

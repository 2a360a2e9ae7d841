"""The `patnav` command end to end: ingest (sniffed and with a forced mapping), show, quarantine, export.

The Chinese export used here is the HAND-WRITTEN CNIPA fixture in tests/fixtures/exports (GBK-encoded): no real
Chinese export is openly available.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from patnav.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_ingest_show_and_export_a_chinese_export(tmp_path: Path) -> None:
    corpus = str(tmp_path / "c")
    code, out = _run("ingest", str(FIXTURES / "cnipa_gbk.csv"), "--mapping", "cnipa", "--corpus", corpus)
    assert code == 0, out
    code, out = _run("corpus", "show", "CN 105389980 A", "--json", "--corpus", corpus)
    assert code == 0, out
    rec = json.loads(out)
    assert rec["publication_number"] == "CN105389980A"
    assert rec["application_number"] == "CN201510756373.6"
    assert rec["filing_date"] == "2015-11-09"
    assert rec["title"] == "基于深度学习的变电站设备图像识别方法"
    assert next(c["symbol"] for c in rec["classifications"] if c["scheme"] == "IPC").startswith("G06K")
    assert rec["sources"][0]["reader"] == "tabular"
    out_csv = tmp_path / "out.csv"
    code, out = _run("export", "--out", str(out_csv), "--corpus", corpus)
    assert code == 0, out
    with out_csv.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["publication_number"] for r in rows} >= {"CN105389980A", "CN104268603B"}
    tsinghua = next(r for r in rows if r["publication_number"] == "CN104268603B")
    assert "清华大学" in tsinghua["applicants"]


def test_a_second_ingest_reports_everything_unchanged(tmp_path: Path) -> None:
    corpus = str(tmp_path / "c")
    _run("ingest", str(FIXTURES / "cnipa_gbk.csv"), "--corpus", corpus)
    code, out = _run("ingest", str(FIXTURES / "cnipa_gbk.csv"), "--corpus", corpus)
    assert code == 0, out
    assert "new 0 · updated 0" in out


def test_errors_name_what_is_wrong(tmp_path: Path) -> None:
    code, out = _run("ingest", str(tmp_path / "missing.csv"), "--corpus", str(tmp_path / "c"))
    assert code == 2 and "missing.csv" in out
    code, out = _run("corpus", "show", "CN-12AB", "--corpus", str(tmp_path / "c"))
    assert code == 2 and "CN-12AB" in out
    code, out = _run("ingest", str(FIXTURES / "cnipa_gbk.csv"), "--mapping", "nosuch", "--corpus", str(tmp_path / "c"))
    assert code == 2 and "nosuch" in out

"""Dashboards (issue 5): portfolio indicators per applicant / country / year of the stored indicator run, the
action-plan KPI against the target of its rule file, the Vega bundle, and the message a corpus without
indicators gives. Every figure is compared with what ``patnav.indicators`` computes directly on the same run."""

from __future__ import annotations

import json
import re
import shutil
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest

from conftest import Platform, make_settings
from patnav.engine import get_engine
from patnav.indicators.financials import read_financials
from patnav.indicators.kpi import compute_kpi
from patnav.indicators.portfolio import portfolio
from patnav.indicators.results import load_run
from patnav.indicators.rules import load_rule

#: fictitious figures; the names are real applicants of the shared real data (as in tests/test_kpi.py)
FINANCIALS = """\
name,year,operating revenue (100m CNY),industry,region
IBM Corp.,2024,5,computers,Beijing
Google Inc.,2024,20,internet,Shanghai
Nonexistent Widgets Ltd,2024,3,machinery,Jiangsu
"""


def _library(corpus: Path, by: str, top: int) -> tuple[Any, dict[str, tuple[float, float, float, float]]]:
    run = load_run(corpus)
    with get_engine("duckdb", corpus) as engine:
        result = portfolio(engine, run, by, top=top)
    return result, {r.key: (r.publications, r.in_force, r.high_value, r.breakthrough) for r in result.rows}


def _served(body: dict[str, Any]) -> dict[str, tuple[float, float, float, float]]:
    return {r["key"]: (r["publications"], r["in_force"], r["high_value"], r["breakthrough"]) for r in body["rows"]}


def test_portfolio_by_applicant_matches_the_library(platform: Platform) -> None:
    client = platform.client("alpha-viewer")
    r = client.get("/api/v1/dashboards/portfolio", params={"by": "applicant", "top": 20})
    assert r.status_code == 200, r.text
    body = r.json()
    result, expected = _library(platform.settings.public_corpus, "applicant", 20)
    assert _served(body) == expected
    assert [row["key"] for row in body["rows"]] == [row.key for row in result.rows]  # largest first
    assert body["groups"] == result.groups and body["missing"] == result.missing and body["total"] == result.total
    manifest = load_run(platform.settings.public_corpus).manifest
    assert body["run"]["as_of"] == manifest["as_of"]
    assert body["run"]["rules"] == manifest["rules"] and "high_value" in body["run"]["rules"]
    assert body["run"]["placeholders"] == manifest["placeholders"]
    assert len(body["run"]["caveats"]) == len(manifest["caveats"])
    # the chart draws the same groups, largest first (long names shortened)
    drawn = [v["group"] for v in body["chart"]["data"]["values"][::2]]
    assert drawn == [k if len(k) <= 48 else k[:47] + "…" for k in (row.key for row in result.rows)]


@pytest.mark.parametrize("by", ["country", "year"])
def test_portfolio_by_country_and_year(platform: Platform, by: str) -> None:
    client = platform.client("beta-bank")
    body = client.get("/api/v1/dashboards/portfolio", params={"by": by}).json()
    result, expected = _library(platform.settings.public_corpus, by, 1000)
    if by == "year":  # a time line: every year, in order
        assert _served(body) == expected and len(body["rows"]) == result.groups
        assert [r["key"] for r in body["rows"]] == sorted(expected)
    else:  # the 15 largest
        assert _served(body) == dict(list(expected.items())[:15])
        assert body["rows"][0]["key"] == "US"
    assert sum(r["publications"] for r in body["rows"]) <= body["total"]


def test_bad_grouping_is_a_422_json_error(platform: Platform) -> None:
    client = platform.client("alpha-analyst")
    r = client.get("/api/v1/dashboards/portfolio", params={"by": "inventor"})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid" and "by" in error["message"]
    assert client.get("/api/v1/dashboards/portfolio", params={"scope": "everyone"}).status_code == 422
    assert client.get("/api/v1/dashboards/portfolio", params={"top": 0}).status_code == 422


def test_page_shows_chart_and_table_in_chinese(platform: Platform) -> None:
    client = platform.client("alpha-viewer")
    client.cookies.set("patnav_lang", "zh_CN")
    r = client.get("/dashboards")
    assert r.status_code == 200
    html = r.text
    for heading in ("仪表板", "申请人", "公开文献", "高价值", "行动方案 KPI", "指标计算基准日", "规则版本"):
        assert heading in html, heading
    result, _expected = _library(platform.settings.public_corpus, "applicant", 15)
    spec = json.loads(re.search(r'<script type="application/json" id="portfolio-spec">(.*?)</script>', html, re.S)[1])
    assert spec["mark"]["type"] == "bar" and spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert spec["data"]["values"][0]["group"] == result.rows[0].key
    table = html[html.index('<table class="portfolio">') : html.index("</table>")]
    assert table.count("<tr>") == 1 + len(result.rows)
    first = result.rows[0]
    assert f'<td>{html_escape(first.key)}</td><td class="n">{int(first.publications):,}</td>' in table
    assert 'src="/static-vega/vega-bundle.js' in html and "cdn" not in html.lower()
    assert load_run(platform.settings.public_corpus).manifest["as_of"] in html
    # the grouping selector also works as a plain GET form, and as an htmx swap of the dashboard body alone
    by_year = client.get("/dashboards", params={"by": "year", "top": ""})
    assert by_year.status_code == 200 and "按 申请年 的组合" in by_year.text
    swap = client.get("/dashboards", params={"by": "country"}, headers={"HX-Request": "true", "HX-Target": "dash-body"})
    assert swap.status_code == 200 and "<td>US</td>" in swap.text and "kpi-numerator" not in swap.text


def test_kpi_target_comes_from_the_rule_file(platform: Platform) -> None:
    rule = load_rule("kpi")
    client = platform.client("alpha-bank")
    body = client.get("/api/v1/dashboards/kpi", params={"year": 2024}).json()
    assert body["target"] == float(rule.param("target")) and body["target_year"] == int(rule.param("target_year"))
    assert body["rule"]["version"] == rule.version and body["rule"]["verified"] == rule.verified
    assert body["rule"]["placeholder"] == rule.placeholder
    assert body["computed"] is False and "financials" in body["missing"]
    # the numerator per applicant is the indicator run's high-value count
    _result, expected = _library(platform.settings.public_corpus, "applicant", 20_000)
    top = body["numerator"][0]
    assert top["high_value"] == expected[top["applicant"]][2] == max(v[2] for v in expected.values())
    page = client.get("/dashboards").text
    assert f'data-kpi-target="{rule.param("target")}"' in page and rule.label in page
    assert f"{rule.param('target_year')}" in page


def test_kpi_from_an_uploaded_financials_table(platform: Platform, tmp_path: Path) -> None:
    client = platform.client("alpha-analyst")
    r = client.post(
        "/api/v1/dashboards/kpi",
        files={"file": ("companies.csv", FINANCIALS.encode(), "text/csv")},
        data={"denominator": "operating_revenue"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    path = tmp_path / "companies.csv"
    path.write_text(FINANCIALS, encoding="utf-8")
    corpus = platform.settings.public_corpus
    with get_engine("duckdb", corpus) as engine:
        expected = compute_kpi(engine, load_run(corpus), read_financials(path), year=2024)
    assert body["year"] == 2024  # the latest year of the table
    got = {e["name"]: (e["patents"], e["high_value"], e["kpi"]) for e in body["enterprises"]}
    assert got == {e.name: (e.patents, e.high_value, e.kpi) for e in expected.enterprises}
    assert body["overall"]["kpi"] == expected.overall.kpi and body["target"] == expected.target
    assert body["overall"]["distance_to_target"] == pytest.approx(expected.target - expected.overall.kpi)
    assert body["unmatched"] == ["Nonexistent Widgets Ltd"] and body["caveats"] == list(expected.caveats)
    assert body["rule"]["label"] == expected.rule_label
    # the page form: the same figures, in Chinese
    client.cookies.set("patnav_lang", "zh_CN")
    page = client.post("/dashboards/kpi", files={"file": ("companies.csv", FINANCIALS.encode(), "text/csv")})
    assert page.status_code == 200
    assert "companies.csv 中的企业" in page.text and "距目标差距" in page.text
    assert f"{expected.overall.kpi:.2f}" in page.text
    # a bad cell is reported with its row and column, in the reader's language
    bad = FINANCIALS.replace("IBM Corp.,2024,5,", "IBM Corp.,2024,five,")
    r = client.post("/api/v1/dashboards/kpi", files={"file": ("companies.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_financials"
    message = r.json()["error"]["message"]
    assert message.startswith("财务数据表无法使用") and "row 1" in message and "operating revenue" in message
    assert str(tmp_path) not in message and "patnav-financials" not in message
    r = client.post("/api/v1/dashboards/kpi", files={"file": ("report.pdf", b"%PDF-1.4", "application/pdf")})
    assert r.status_code == 415
    r = client.post("/dashboards/kpi", files={"file": ("companies.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422 and "row 1" in r.text and "行动方案 KPI" in r.text


def test_kpi_upload_is_size_limited(tmp_path: Path, web_corpus: Path) -> None:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'app.db'}", web_corpus, max_upload_bytes=120)
    plat = Platform(settings, jobs=False)
    try:
        client = plat.client("alpha-viewer")
        r = client.post("/api/v1/dashboards/kpi", files={"file": ("big.csv", FINANCIALS.encode() * 3, "text/csv")})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    finally:
        plat.close()


def test_vega_bundle_is_served_as_javascript(platform: Platform) -> None:
    anonymous = platform.client()
    r = anonymous.get("/static-vega/vega-bundle.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert "max-age=31536000" in r.headers["cache-control"]
    assert "window.vegaEmbed" in r.text and len(r.content) > 100_000


def test_corpus_without_indicators_explains_what_to_run(platform: Platform) -> None:
    from patnav.app.jobs import wait_for
    from patnav.corpus.store import DB_FILE

    analyst = platform.client("alpha-analyst")
    # no private corpus at all
    r = analyst.get("/api/v1/dashboards/portfolio", params={"scope": "org"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_corpus"
    page = analyst.get("/dashboards", params={"scope": "org"})
    assert page.status_code == 200 and "no private corpus yet" in page.text
    # a corpus with data but no indicator run yet
    own = platform.settings.org_corpus("alpha")
    own.mkdir(parents=True)
    shutil.copy2(platform.settings.public_corpus / DB_FILE, own / DB_FILE)
    r = analyst.get("/api/v1/dashboards/portfolio", params={"scope": "org"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_indicators"
    assert "patnav indicators compute" in r.json()["error"]["message"]
    analyst.cookies.set("patnav_lang", "zh_CN")
    page = analyst.get("/dashboards", params={"scope": "org"})
    assert page.status_code == 200 and "此专利库尚未计算指标" in page.text
    assert "patnav indicators compute" in page.text and "计算指标</button>" in page.text
    kpi = analyst.get("/api/v1/dashboards/kpi", params={"scope": "org"}).json()
    assert kpi["unavailable"] and kpi["target"] == float(load_rule("kpi").param("target"))
    viewer = platform.client("alpha-viewer")
    viewer.cookies.set("patnav_lang", "zh_CN")
    assert (
        "此专利库尚未计算指标" in (text := viewer.get("/dashboards?scope=org").text) and "计算指标</button>" not in text
    )
    assert viewer.post("/api/v1/dashboards/indicators", params={"scope": "org"}).status_code == 403
    # the button starts a real job; afterwards the organisation's dashboard has figures, the other one's not
    r = analyst.post("/dashboards/indicators", data={"scope": "org"})
    assert r.status_code == 303
    job_id = analyst.get("/api/v1/jobs").json()["items"][0]["id"]
    job = wait_for(platform.settings.database_url, job_id, timeout=300)
    assert job.status == "done", job.error
    body = analyst.get("/api/v1/dashboards/portfolio", params={"scope": "org", "by": "country"}).json()
    _result, expected = _library(own, "country", 15)
    assert _served(body) == expected and body["run"]["as_of"] == job.result["as_of"]
    other = platform.client("beta-analyst").get("/api/v1/dashboards/portfolio", params={"scope": "org"})
    assert other.status_code == 404 and other.json()["error"]["code"] == "no_corpus"

"""The action-plan KPI (issue #4): financials parsing, exact figures on a hand-written corpus, DuckDB == Spark,
and name matching on real applicants.

The hand-written corpus and the financials table (tests/fixtures/kpi/financials_en.csv) are fictitious: every
figure was chosen so the expected KPI can be worked out by hand (see the comments next to the expectations).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.indicators.compute import compute
from patnav.indicators.financials import (
    Enterprise,
    FinancialsError,
    map_header,
    parse_amount,
    parse_flag,
    parse_year,
    read_financials,
    unit_multiplier,
)
from patnav.indicators.kpi import KpiAggregate, KpiError, KpiResult, compute_kpi
from patnav.indicators.results import load_run, save_run
from patnav.indicators.rules import load_rule
from patnav.model.records import Classification, Party, Publication

FIXTURES = Path(__file__).parent / "fixtures" / "kpi"
FINANCIALS_EN = FIXTURES / "financials_en.csv"
PERIOD_END = dt.date(2024, 12, 31)
LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)

# -- financials: numbers and units ------------------------------------------------------------------------------

UNITS: dict[str, int] = {
    "元": 1, "CNY": 1, "千元": 10**3, "thousand CNY": 10**3, "万元": 10**4, "10k CNY": 10**4, "万": 10**4,
    "百万元": 10**6, "m CNY": 10**6, "CNY million": 10**6, "千万元": 10**7, "亿元": 10**8, "100m CNY": 10**8,
    "亿": 10**8, "RMB 100 million": 10**8, "十亿元": 10**9, "bn CNY": 10**9,
}  # fmt: skip


def _written(value: Decimal, style: str) -> str:
    """``value`` as a person or a spreadsheet might write it."""
    text = format(value, "f")
    if style == "grouped":
        text = format(value, ",f")
    elif style == "fullwidth":
        text = text.translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－"))
    elif style == "currency":
        text = ("-¥" + text[1:]) if text.startswith("-") else "¥" + text
    elif style == "accounting" and value < 0:
        text = "(" + format(-value, ",f") + ")"
    return text


@given(
    yuan=st.integers(min_value=-(10**15), max_value=10**15),
    unit=st.sampled_from(sorted(UNITS)),
    style=st.sampled_from(["plain", "grouped", "fullwidth", "currency", "accounting"]),
)
def test_amount_in_any_unit_scales_back_to_the_exact_yuan(yuan: int, unit: str, style: str) -> None:
    multiplier = unit_multiplier(unit)
    assert multiplier == UNITS[unit]
    text = _written(Decimal(yuan) / multiplier, style)  # exact: the multiplier is a power of ten
    assert parse_amount(text, multiplier) == float(yuan)


@given(yuan=st.integers(min_value=0, max_value=10**14), unit=st.sampled_from(["万", "万元", "亿", "亿元", "千元"]))
def test_a_unit_in_the_cell_scales_it(yuan: int, unit: str) -> None:
    multiplier = unit_multiplier(unit)
    text = format(Decimal(yuan) / multiplier, ",f") + unit
    assert parse_amount(text) == float(yuan)
    with pytest.raises(ValueError, match="names a unit"):  # and the header too: which one is meant?
        parse_amount(text, Decimal(10**4))


@given(text=st.text(max_size=12))
def test_any_text_is_a_number_none_or_a_value_error(text: str) -> None:
    try:
        value = parse_amount(text)
    except ValueError:
        return
    assert value is None or isinstance(value, float)


@pytest.mark.parametrize("text", ["12.3.4", "1,5", "1,23,456", "abc", "5%", "USD 5", "1e", "nan1", "inf", "1 2"])
def test_not_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize("text", ["", "  ", "-", "—", "n/a", "NA", "无", "不适用"])
def test_empty_cells_are_missing(text: str) -> None:
    assert parse_amount(text) is None


@given(
    base=st.sampled_from(["营业收入", "Operating revenue", "revenue", "营业总收入"]),
    unit=st.sampled_from(sorted(UNITS)),
)
def test_header_units(base: str, unit: str) -> None:
    for header in (f"{base}({unit})", f"{base}（{unit}）", f" {base} [{unit}] "):
        field, multiplier, _ = map_header(header) or (None, None, None)
        assert (field, multiplier) == ("operating_revenue", UNITS[unit])


def test_header_spellings() -> None:
    assert map_header("营业收入万元")[:2] == ("operating_revenue", 10**4)  # type: ignore[index]
    assert map_header("operating_revenue_cny")[:2] == ("operating_revenue", 1)  # type: ignore[index]
    assert map_header("R&D spending (m CNY)")[:2] == ("rnd_spending", 10**6)  # type: ignore[index]
    assert map_header("从业人员（万人）")[:2] == ("employees", 10**4)  # type: ignore[index]
    assert map_header("利润总额")[0] == map_header("营业利润")[0] == "operating_profit"  # type: ignore[index]
    for other in ("收入增长率", "R&D staff", "profit margin", "备注"):
        assert map_header(other) is None, other
    for bad in ("营业收入(美元)", "revenue (USD)", "利润(%)", "从业人员(元)"):
        with pytest.raises(ValueError, match="unit"):
            map_header(bad)


def test_years_and_flags() -> None:
    assert [parse_year(t) for t in ("2024", "2024年", "2024年度", "FY2024", "2024.0", "")] == [2024] * 5 + [None]
    with pytest.raises(ValueError):
        parse_year("24")
    assert [parse_flag(t) for t in ("是", "否", "yes", "NO", "1", "0", "规上", "")] == [
        True, False, True, False, True, False, True, None,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        parse_flag("maybe")


# -- financials: reading tables ---------------------------------------------------------------------------------

#: what tests/fixtures/kpi/financials_en.csv says (hand-written, fictitious)
EXPECTED_ENTERPRISES = [
    Enterprise("甲乙科技有限公司", 2024, 2e8, 5e7, 800, 1.2e7, "electronics", "Jiangsu", True),
    Enterprise("甲乙科技有限公司", 2023, 1.8e8, 4e7, 760, 1e7, "electronics", "Jiangsu", True),
    Enterprise("Acme Widgets Co., Ltd.", 2024, 5e7, 2.5e7, 300, 2.5e6, "machinery", "Zhejiang", True),
    Enterprise("Delta Materials Corp.", 2024, 1e8, -5e6, 420, 3e6, "machinery", "Jiangsu", False),
    Enterprise("Beta Robotics GmbH", 2024, 0.0, 0.0, 12, 1e6, "electronics", "Zhejiang", None),
    Enterprise("Gamma Instruments Inc.", 2024, 1.5e8, None, 650, 9e6, "electronics", "Jiangsu", True),
]


def test_english_csv() -> None:
    enterprises = read_financials(FINANCIALS_EN)
    assert enterprises == EXPECTED_ENTERPRISES
    assert enterprises[0].row == "row 1 (line 2)"


def test_chinese_xlsx_parses_like_the_english_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "企业名称",
            "年度",
            "营业收入（万元）",
            "利润总额(亿元)",
            "从业人员(人)",
            "研发费用(万元)",
            "所属行业",
            "地区",
            "是否规上",
        ]
    )
    ws.append(["甲乙科技有限公司", "2024年", 20000, 0.5, 800, "1,200", "electronics", "Jiangsu", "是"])
    ws.append(["甲乙科技有限公司", 2023, 18000, 0.4, 760, 1000, "electronics", "Jiangsu", "是"])
    ws.append(["Acme Widgets Co., Ltd.", 2024, "5,000", 0.25, 300, 250, "machinery", "Zhejiang", "是"])
    ws.append(["Delta Materials Corp.", 2024, 10000, -0.05, 420, 300, "machinery", "Jiangsu", "否"])
    ws.append(["Beta Robotics GmbH", 2024, 0, 0, 12, 100, "electronics", "Zhejiang", None])
    ws.append(["Gamma Instruments Inc.", 2024, 15000, "-", 650, 900, "electronics", "Jiangsu", "是"])
    path = tmp_path / "企业财务.xlsx"
    wb.save(path)
    assert read_financials(path) == read_financials(FINANCIALS_EN) == EXPECTED_ENTERPRISES


def _csv(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_cell_names_file_row_and_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "名称,营业收入(万元)\nA公司,100\nB公司,一百\n")
    with pytest.raises(
        FinancialsError, match=r"f\.csv, row 2 \(line 3\), column '营业收入\(万元\)': '一百' is not a number"
    ):
        read_financials(path)
    path = _csv(tmp_path, "name,revenue,employees\nA,-5,3\n")
    with pytest.raises(FinancialsError, match=r"row 1 .*column 'revenue': '-5' is negative"):
        read_financials(path)
    path = _csv(tmp_path, "name,revenue,employees\nA,5,3.5\n")
    with pytest.raises(FinancialsError, match=r"column 'employees': '3.5' is not a whole number"):
        read_financials(path)
    path = _csv(tmp_path, "name,revenue\n,5\n")
    with pytest.raises(FinancialsError, match="empty enterprise name"):
        read_financials(path)


def test_missing_or_ambiguous_columns(tmp_path: Path) -> None:
    with pytest.raises(
        FinancialsError, match=r"no operating revenue or profit column.*columns found: 'name', 'sales tax'"
    ):
        read_financials(_csv(tmp_path, "name,sales tax\nA,1\n"))
    with pytest.raises(FinancialsError, match=r"no enterprise name column.*columns found: 'revenue'"):
        read_financials(_csv(tmp_path, "revenue\n1\n"))
    with pytest.raises(FinancialsError, match="both give operating revenue; keep one"):
        read_financials(_csv(tmp_path, "name,营业收入,营业收入(万元)\nA,1,1\n"))
    with pytest.raises(FinancialsError, match=r"column '营业收入\(美元\)': unknown money unit"):
        read_financials(_csv(tmp_path, "name,营业收入(美元)\nA,1\n"))
    with pytest.raises(FinancialsError, match="not found"):
        read_financials(tmp_path / "nothing.csv")
    # the better spelling wins when two columns give one field: 营业利润 (operating profit) over 利润总额
    path = _csv(tmp_path, "名称,利润总额,营业利润,营业收入\nA,1,2,3\n")
    assert read_financials(path) == [Enterprise("A", None, 3.0, 2.0)]


# -- a hand-written corpus with known answers ------------------------------------------------------------------


def _pub(
    number: str,
    filed: dt.date,
    granted: dt.date | None,
    parties: list[Party],
    *,
    app: str | None = None,
    stage: str = "grant",
    doc_type: str = "invention",
) -> Publication:
    country = number[:2]
    return Publication(
        number,
        country,
        number[2:-2],
        number[-2:] if number[-2].isalpha() else number[-1],
        doc_type=doc_type,  # type: ignore[arg-type]
        stage=stage,  # type: ignore[arg-type]
        application_number=app,
        filing_date=filed,
        publication_date=granted or dt.date(filed.year + 1, 9, 1),
        grant_date=granted,
        parties=parties,
        classifications=[Classification("IPC", "A47J 31/00", is_main=True)],  # not in the SEI placeholder table
    )


def _hand_written() -> list[Publication]:
    """Fictitious publications; high value here only ever means "maintained more than 10 years" at 2024-12-31."""
    d = dt.date
    jiayi = [Party("applicant", "甲乙科技股份有限公司")]  # another legal form of 甲乙科技有限公司
    return [
        # 甲乙: one patent published twice (A and B of one application; the A carries the grant date), high value
        _pub("CN102010000001B", d(2010, 3, 1), d(2013, 5, 1), jiayi, app="CN201010000001"),
        _pub("CN102010000001A", d(2010, 3, 1), d(2013, 5, 1), jiayi, app="CN201010000001", stage="application"),
        _pub("CN102018000002B", d(2018, 1, 10), d(2021, 1, 5), jiayi),  # in force, 6.97 years: not high value
        _pub("CN102000000003B", d(2000, 1, 1), d(2003, 1, 1), jiayi),  # expired in 2020
        _pub("CN202020000004U", d(2020, 5, 1), d(2020, 12, 1), jiayi, doc_type="utility_model"),  # not invention
        _pub("CN102023000005A", d(2023, 3, 1), None, jiayi, stage="application"),  # pending
        _pub("US10000006B2", d(2012, 2, 1), d(2015, 3, 3), [Party("assignee", "甲乙科技有限公司")]),  # high value
        # Acme: applicant wins over the assignee (Delta is not an owner of this one), high value
        _pub(
            "CN102011000007B",
            d(2011, 6, 1),
            d(2014, 6, 1),
            [Party("applicant", "ACME WIDGETS CO LTD"), Party("assignee", "Delta Materials Corporation", sequence=1)],
        ),
        # no applicant: both assignees own it; high value; counts for Acme and for Delta
        _pub(
            "CN102013000008B",
            d(2013, 1, 1),
            d(2016, 1, 1),
            [Party("assignee", "Acme Widgets Limited"), Party("assignee", "DELTA MATERIALS CORP", sequence=1)],
        ),
        _pub("EP1000009B1", d(2016, 4, 1), d(2019, 4, 1), [Party("applicant", "Delta Materials Corp")]),  # not HV
        _pub("DE102010000010B4", d(2010, 1, 1), d(2012, 1, 1), [Party("applicant", "Beta Robotics GmbH")]),  # HV
        # an unlisted owner, and an inventor who happens to share a listed enterprise's name (inventors never own)
        _pub(
            "CN102010000011B",
            d(2010, 1, 1),
            d(2012, 1, 1),
            [Party("applicant", "Omega Corp"), Party("inventor", "Gamma Instruments Inc.", sequence=1)],
        ),
    ]


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kpi") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(_hand_written())], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def hand_indicators(hand_corpus: Path) -> pa.Table:
    with get_engine("duckdb", hand_corpus) as eng:
        return compute(eng, as_of=PERIOD_END, reference_dir=hand_corpus / "no-references").table


@pytest.fixture(scope="module")
def engine(hand_corpus: Path) -> Iterator[Engine]:
    """DuckDB: the exact figures are checked there; Spark is compared with it once (it is slow to start)."""
    with get_engine("duckdb", hand_corpus) as eng:
        yield eng


def test_hand_indicators_are_as_designed(hand_indicators: pa.Table) -> None:
    """The premises of the expectations below: which publications are in force and high value."""
    rows = {r["publication_number"]: (r["status"], r["high_value"]) for r in hand_indicators.to_pylist()}
    assert rows == {
        "CN102010000001B": ("in_force", True),
        "CN102010000001A": ("in_force", True),
        "CN102018000002B": ("in_force", False),
        "CN102000000003B": ("expired", False),
        "CN202020000004U": ("in_force", False),
        "CN102023000005A": ("pending", False),
        "US10000006B2": ("in_force", True),
        "CN102011000007B": ("in_force", True),
        "CN102013000008B": ("in_force", True),
        "EP1000009B1": ("in_force", False),
        "DE102010000010B4": ("in_force", True),
        "CN102010000011B": ("in_force", True),
    }


def _by_name(result: KpiResult) -> dict[str, tuple[Any, ...]]:
    return {
        e.name: (e.patents, e.in_force_inventions, e.high_value, e.shared, e.kpi, e.in_force_per_unit, e.reason)
        for e in result.enterprises
    }


def _agg(result: KpiResult) -> dict[tuple[str, str | None], tuple[Any, ...]]:
    aggs: list[KpiAggregate] = [result.overall, *result.by_industry, *result.by_region, result.above_scale]
    return {
        (a.group, a.key): (a.enterprises, a.counted, a.high_value, a.in_force_inventions, a.denominator_cny, a.kpi,
                           a.distance_to_target)
        for a in aggs
    }  # fmt: skip


def test_kpi_by_revenue(engine: Engine, hand_indicators: pa.Table) -> None:
    result = compute_kpi(engine, hand_indicators, read_financials(FINANCIALS_EN), year=2024, as_of=PERIOD_END)
    # (patents, in-force inventions, high value, shared, KPI, in force per 100M yuan, reason)
    assert _by_name(result) == {
        # 6 patents (A+B of one application count once); in force: 001, 002, US006; high value: 001, US006; 2e8 yuan
        "甲乙科技有限公司": (6, 3, 2, 0, 2 / 2.0, 3 / 2.0, None),
        "Acme Widgets Co., Ltd.": (2, 2, 2, 1, 2 / 0.5, 2 / 0.5, None),  # 007 (applicant) + 008 (co-owned); 5e7
        "Delta Materials Corp.": (2, 2, 1, 1, 1 / 1.0, 2 / 1.0, None),  # 008 (co-owned) + EP009; 1e8
        "Beta Robotics GmbH": (1, 1, 1, 0, None, None, "operating revenue is zero"),
        "Gamma Instruments Inc.": (0, 0, 0, 0, 0.0, 0.0, None),  # only an inventor of that name
    }
    assert result.unmatched == ("Gamma Instruments Inc.",)
    # totals over totals of the enterprises with a usable revenue (Beta's zero is left out): 5 / 5.0 = 1.0, where
    # the mean of the four ratios would be 1.5
    assert _agg(result) == {
        ("overall", None): (5, 4, 5, 7, 5e8, 5 / 5.0, 4.0 - 1.0),
        ("industry", "electronics"): (3, 2, 2, 3, 3.5e8, 2 / 3.5, 4.0 - 2 / 3.5),
        ("industry", "machinery"): (2, 2, 3, 4, 1.5e8, 3 / 1.5, 4.0 - 2.0),
        ("region", "Jiangsu"): (3, 3, 3, 5, 4.5e8, 3 / 4.5, 4.0 - 3 / 4.5),
        ("region", "Zhejiang"): (2, 1, 2, 2, 5e7, 2 / 0.5, 0.0),
        # 甲乙, Acme, Gamma are flagged above scale; Beta has no flag and revenue 0 < 20 million yuan
        ("above_scale", None): (3, 3, 4, 5, 4e8, 4 / 4.0, 3.0),
    }
    assert result.overall.in_force_per_unit == 7 / 5.0
    assert [e.above_scale for e in result.enterprises] == [True, True, False, False, True]
    assert (result.denominator, result.unit_cny, result.target, result.target_year) == (
        "operating_revenue", 1e8, 4.0, 2027,
    )  # fmt: skip
    assert result.rule_label == load_rule("kpi").label == "kpi/plan-2023-48"
    assert (result.period_end, result.as_of, result.offices, result.doc_types) == (
        PERIOD_END, PERIOD_END, None, ("invention",),
    )  # fmt: skip
    text = " | ".join(result.caveats)
    assert "not the mean of the enterprise ratios" in text
    assert "co-owned by several listed enterprises counts for each of them" in text
    assert "1 enterprise(s) matched no applicant or assignee in the corpus" in text
    assert "1 enterprise(s) without an above-scale flag were classed by operating revenue" in text
    assert "category award was not evaluated" in text
    assert "as-of" not in text and "are as of" not in text  # indicators as of the period end: nothing to say


def test_kpi_by_profit(engine: Engine, hand_indicators: pa.Table) -> None:
    result = compute_kpi(
        engine, hand_indicators, read_financials(FINANCIALS_EN), year=2024, denominator="operating_profit",
        as_of=PERIOD_END,
    )  # fmt: skip
    assert {n: (v[4], v[6]) for n, v in _by_name(result).items()} == {
        "甲乙科技有限公司": (2 / 0.5, None),
        "Acme Widgets Co., Ltd.": (2 / 0.25, None),
        "Delta Materials Corp.": (None, "operating profit is negative"),
        "Beta Robotics GmbH": (None, "operating profit is zero"),
        "Gamma Instruments Inc.": (None, "no operating profit in the financials table"),
    }
    assert result.denominator == "operating_profit"
    # the target is per operating revenue: no distance on profit
    assert (result.overall.kpi, result.overall.distance_to_target) == (4 / 0.75, None)
    assert any(c.startswith("denominator: operating profit (switch)") for c in result.caveats)


def test_other_year_office_filter_and_stored_run(hand_corpus: Path, hand_indicators: pa.Table) -> None:
    run_dir = hand_corpus.parent / "run-corpus"
    with get_engine("duckdb", hand_corpus) as eng:
        run = compute(eng, as_of=PERIOD_END, reference_dir=hand_corpus / "no-references")
        save_run(run, run_dir)
        stored = load_run(run_dir)
        enterprises = read_financials(FINANCIALS_EN)
        # 2023: only 甲乙's 2023 row; the saved run is as of 2024-12-31, and the result says so
        result = compute_kpi(eng, stored, enterprises, year=2023)
        assert [(e.name, e.high_value, e.kpi) for e in result.enterprises] == [("甲乙科技有限公司", 2, 2 / 1.8)]
        assert result.as_of == PERIOD_END and result.period_end == dt.date(2023, 12, 31)
        assert "the indicators are as of 2024-12-31, not the period end 2023-12-31" in result.caveats[0]
        assert result.high_value_rule == stored.manifest["rules"]["high_value"]
        assert any("placeholder tables" in c for c in result.caveats)
        # the same figures from the fresh run object
        assert compute_kpi(eng, run, enterprises, year=2023).enterprises == result.enterprises
        # CN patents only: 甲乙's US patent and Delta's EP patent drop out
        cn = compute_kpi(eng, stored, enterprises, year=2024, offices=["cn"])
        assert cn.offices == ("CN",)
        assert {e.name: (e.in_force_inventions, e.high_value) for e in cn.enterprises} == {
            "甲乙科技有限公司": (2, 1),
            "Acme Widgets Co., Ltd.": (2, 2),
            "Delta Materials Corp.": (1, 1),
            "Beta Robotics GmbH": (0, 0),
            "Gamma Instruments Inc.": (0, 0),
        }
        # a bare table without an as-of date: said so
        bare = compute_kpi(eng, hand_indicators, enterprises, year=2024)
        assert bare.as_of is None and "as-of date is unknown" in bare.caveats[0]


def test_kpi_errors(hand_corpus: Path, hand_indicators: pa.Table) -> None:
    with get_engine("duckdb", hand_corpus) as eng:
        rows = [
            Enterprise("Acme Widgets Co., Ltd.", 2024, 1e8, row="row 1"),
            Enterprise("ACME WIDGETS LIMITED", 2024, 2e8),
        ]
        with pytest.raises(KpiError, match="both harmonise to the applicant name 'ACME WIDGETS'"):
            compute_kpi(eng, hand_indicators, rows, year=2024)
        with pytest.raises(KpiError, match="no enterprise has figures for 2020; years in the table: 2024"):
            compute_kpi(eng, hand_indicators, rows[:1], year=2020)
        with pytest.raises(KpiError, match="unknown denominator 'ebitda'"):
            compute_kpi(eng, hand_indicators, rows[:1], year=2024, denominator="ebitda")  # type: ignore[arg-type]


@pytest.mark.spark
def test_duckdb_and_spark_give_the_same_result(
    hand_corpus: Path, hand_indicators: pa.Table, engine: Engine, spark_session: Any
) -> None:
    """One Spark query (it is slow to start): the office filter on, naming every office of the corpus."""
    enterprises = read_financials(FINANCIALS_EN)
    offices = ["CN", "DE", "EP", "US"]
    expected = compute_kpi(engine, hand_indicators, enterprises, year=2024, as_of=PERIOD_END, offices=offices)
    with get_engine("spark", hand_corpus) as spark:
        got = compute_kpi(spark, hand_indicators, enterprises, year=2024, as_of=PERIOD_END, offices=offices)
    assert got == expected
    unfiltered = compute_kpi(engine, hand_indicators, enterprises, year=2024, as_of=PERIOD_END)
    assert got.enterprises == unfiltered.enterprises and got.overall.kpi == 1.0


# -- real data: matching real applicant names written in other forms -----------------------------------------------

#: hand-written, with fictitious figures; the names are real applicants of the shared real data
REAL_FINANCIALS = """\
name,year,operating revenue (100m CNY),industry
IBM Corp.,2024,500,computers
Google Inc.,2024,2000,internet
"Amazon Technologies, Inc.",2024,1000,internet
Nonexistent Widgets Ltd,2024,3,machinery
"""


def _oracle(eng: Engine, table: pa.Table, keys: set[str]) -> tuple[int, int, int]:
    """Patents, in-force inventions and high-value ones of the owners named ``keys``, worked out in Python."""
    by_role: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for number, role, harmonised, name in eng.rows(
        "SELECT publication_number, role, name_harmonized, name FROM parties WHERE role IN ('applicant', 'assignee')"
    ):
        key = (harmonised or "").strip() or (name or "").strip()
        if key:
            by_role[number][role].add(key)
    apps = {
        n: (c, a or n)
        for n, c, a in eng.rows("SELECT publication_number, country, application_number FROM publications")
    }
    flags = {r["publication_number"]: r for r in table.to_pylist()}
    patents: dict[tuple[str, str], list[bool]] = defaultdict(lambda: [False, False])
    for number, roles in by_role.items():
        owners = roles.get("applicant") or roles.get("assignee") or set()
        if owners & keys:
            f = flags[number]
            in_force = f["status"] == "in_force" and f["doc_type"] == "invention"
            state = patents[apps[number]]
            state[0] |= in_force
            state[1] |= in_force and bool(f["high_value"])
    return len(patents), sum(s[0] for s in patents.values()), sum(s[1] for s in patents.values())


def test_real_applicants_are_matched(real_corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "companies.csv"
    path.write_text(REAL_FINANCIALS, encoding="utf-8")
    enterprises = read_financials(path)
    assert enterprises[0] == Enterprise("IBM Corp.", 2024, 5e10, industry="computers")
    with get_engine("duckdb", real_corpus) as eng:
        table = compute(eng, as_of=PERIOD_END).table
        result = compute_kpi(eng, table, enterprises, year=2024, as_of=PERIOD_END)
        assert result.unmatched == ("Nonexistent Widgets Ltd",)
        got = {e.name: (e.patents, e.in_force_inventions, e.high_value) for e in result.enterprises}
        # "IBM Corp." is the alias table's IBM: it meets "International Business Machines Corporation" and the rest
        ibm = result.enterprises[0]
        assert "INTERNATIONAL BUSINESS MACHINES" in ibm.name_keys
        stored = {
            n
            for (n,) in eng.rows(
                "SELECT DISTINCT name FROM parties WHERE name_harmonized = :k", {"k": "INTERNATIONAL BUSINESS MACHINES"}
            )
        }
        assert {"International Business Machines Corporation", "国际商业机器公司"} <= stored
        for enterprise in result.enterprises[:3]:
            expected = _oracle(eng, table, set(enterprise.name_keys))
            assert got[enterprise.name] == expected, enterprise.name
            assert expected[2] > 0, f"{enterprise.name} should have high-value patents in the real data"
        assert got["Nonexistent Widgets Ltd"] == (0, 0, 0)
        assert ibm.kpi == ibm.high_value / 500
        # the full legal name gives the same figures as the short form
        again = compute_kpi(
            eng, table, [Enterprise("International Business Machines Corporation", 2024, 5e10)], year=2024
        )
        assert (again.enterprises[0].patents, again.enterprises[0].high_value) == (ibm.patents, ibm.high_value)
        # and both spellings in one table are one applicant listed twice
        with pytest.raises(KpiError, match="INTERNATIONAL BUSINESS MACHINES"):
            compute_kpi(
                eng, table, [enterprises[0], Enterprise("International Business Machines Corp.", 2024, 1e8)], year=2024
            )


def test_every_bad_cell_is_reported_at_once(tmp_path: Path) -> None:
    """A table with several mistakes is refused once, naming each one (row and column), not one per attempt."""
    path = _csv(tmp_path, "名称,营业收入(万元),employees\nA公司,100,3\nB公司,一百,2\n,5,1\nD公司,-7,x\n")
    with pytest.raises(FinancialsError) as caught:
        read_financials(path)
    problems = caught.value.problems
    assert len(problems) == 4
    assert "row 2 (line 3), column '营业收入(万元)': '一百' is not a number" in problems[0]
    assert "empty enterprise name" in problems[1]
    assert any("column '营业收入(万元)': '-7' is negative" in p for p in problems[2:])
    assert any("column 'employees': 'x' is not a number" in p for p in problems[2:])
    assert "3 row(s) cannot be used" in str(caught.value) and all(p in str(caught.value) for p in problems)

"""Indicators end to end: a hand-written corpus with every answer worked out by hand, five real patents checked
against their raw records, and the same results from DuckDB and Spark on the real data."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import get_engine
from patnav.indicators.compute import IndicatorRun, compute, compute_indicators
from patnav.model.records import Citation, Claim, Classification, FamilyMember, LegalEvent, Publication, Transaction

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
AS_OF = dt.date(2024, 12, 31)


def _claims(n: int) -> list[Claim]:
    return [Claim(i, f"claim {i}", [] if i == 1 else [1]) for i in range(1, n + 1)]


def _ipc(*symbols: str) -> list[Classification]:
    return [Classification("IPC", s, is_main=i == 0, sequence=i) for i, s in enumerate(symbols)]


def _grant(number: str, pub: dt.date, filing: dt.date, ipc: tuple[str, ...], **kw: Any) -> Publication:
    return Publication(
        number, number[:2], number[2:-2], number[-2:], "invention", "grant",
        filing_date=filing, publication_date=pub, grant_date=pub, classifications=_ipc(*ipc), **kw,
    )  # fmt: skip


def _hand_written() -> list[Any]:
    """A hand-written corpus (not real patents). P1 = US1000001B2 is the patent every figure is worked out for.

    P1: filed 2005-03-01, granted/published 2007-06-05, IPC G06N 3/08 (main; WIPO field 6) and H04L 9/40
    (field 4), 10 claims, family F1 = {US1000001B2, CN1000001B (not loaded; kind B = granted in CN)}.
    It cites R1 (US900001A, IPC G06N), R2 (US900002A, IPC A61K + G06N) and one NPL.
    It is cited by C1 (pub 2009-01-01, G06F, category X), C2 (pub 2012-06-05, G06N + G06F, category A),
    C3 (pub 2013-06-06, H04L, cites it without kind code, category Y) and C4 (pub 2013-07-01, H04L, the same
    family F3 as C3). P3 (US1000003B2) shares P1's cohort: filed 2005-09-01, granted 2008-01-01, IPC G06N 5/02,
    20 claims, no citations either way.
    """
    c = _grant
    p1 = c(
        "US1000001B2", dt.date(2007, 6, 5), dt.date(2005, 3, 1), ("G06N 3/08", "H04L 9/40"),
        family_id="F1", claims=_claims(10),
        citations=[Citation(False, "US900001A"), Citation(False, "US900002A", sequence=1),
                   Citation(True, npl_text="A paper", sequence=2)],
    )  # fmt: skip
    pubs = [
        p1,
        c("US1000003B2", dt.date(2008, 1, 1), dt.date(2005, 9, 1), ("G06N 5/02",), claims=_claims(20)),
        c("US900001A", dt.date(1999, 1, 1), dt.date(1998, 1, 1), ("G06N 3/02",)),
        c("US900002A", dt.date(2001, 1, 1), dt.date(2000, 1, 1), ("A61K 31/00", "G06N 7/00")),
        c("US1000101B2", dt.date(2009, 1, 1), dt.date(2007, 1, 1), ("G06F 17/16",),
          citations=[Citation(False, "US1000001B2", category="X")]),
        c("US1000102B2", dt.date(2012, 6, 5), dt.date(2010, 1, 1), ("G06N 20/00", "G06F 16/00"),
          citations=[Citation(False, "US1000001B2", category="A")]),
        c("US1000103B2", dt.date(2013, 6, 6), dt.date(2011, 1, 1), ("H04L 29/06",), family_id="F3",
          citations=[Citation(False, "US1000001", category="Y")]),
        c("US1000104B2", dt.date(2013, 7, 1), dt.date(2011, 2, 1), ("H04L 12/00",), family_id="F3",
          citations=[Citation(False, "US1000001B2")]),
        Publication("CN2000001A", "CN", "2000001", "A", "invention", "application",
                    filing_date=dt.date(2020, 1, 1), publication_date=dt.date(2021, 7, 1)),
    ]  # fmt: skip
    others = [
        FamilyMember("F1", "docdb", "US1000001B2"),
        FamilyMember("F1", "docdb", "CN1000001B"),
        LegalEvent("CN2000001A", dt.date(2023, 3, 1), "CN", "C02", "DEEMED WITHDRAWAL", status_effect="withdrawal"),
        Transaction("T1", "security_interest", "SECURITY INTEREST", dt.date(2015, 1, 1), None, ["Owner"], ["Bank"],
                    ["US1000001B2"], amount=12_000_000.0, currency="CNY"),
        Transaction("T2", "security_interest", "SECURITY INTEREST", dt.date(2022, 1, 1), None, ["Owner"], ["Bank"],
                    ["CN2000001A"], amount=5_000_000.0, currency="CNY"),
    ]  # fmt: skip
    return pubs + others


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("indicators") / "corpus"
    prov = Provenance("hand-written fixture", "test", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(r, str(i), 1) for i, r in enumerate(_hand_written())], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def awards_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("awards") / "awards.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [["publication_number", "award", "level", "year"], ["US1000001B2", "China Patent Award", "Gold", "2020"]]
        )
    return path


def _run(corpus: Path, engine: str, shared: Path, awards: Path | None) -> IndicatorRun:
    return compute_indicators(corpus, engine=engine, as_of=AS_OF, reference_dir=shared / "classification",
                              awards=awards)  # fmt: skip


@pytest.fixture(scope="module")
def hand_run(hand_corpus: Path, shared_data: Path, awards_file: Path) -> IndicatorRun:
    return _run(hand_corpus, "duckdb", shared_data, awards_file)


def _row(run: IndicatorRun, number: str) -> dict[str, Any]:
    (row,) = [r for r in run.table.to_pylist() if r["publication_number"] == number]
    return row


def test_citation_indicators_worked_by_hand(hand_run: IndicatorRun) -> None:
    """P1's citations, by hand (see the fixture's docstring).

    Forward: citing families C1, C2, {C3, C4} → 3. Within 5 years of 2007-06-05 (to 2012-06-05 inclusive):
    C1, C2 → 2; within 7 years: + F3 → 3. X/Y only: C1 (X) within 5 → 1; C1 and C3 (Y) within 7 → 2.
    Backward: 2 patent documents, 1 NPL.
    Generality: citing patents C1 {G06F}, C2 {G06N ½, G06F ½}, C3 {H04L}, C4 {H04L}: G06F 1.5, G06N 0.5,
    H04L 2 of 4 → 1 − (0.375² + 0.125² + 0.5²) = 0.59375; × 4/3 (Hall's correction) = 0.791666….
    Originality: R1 {G06N}, R2 {A61K ½, G06N ½}: G06N 1.5, A61K 0.5 of 2 → 1 − (0.75² + 0.25²) = 0.375;
    × 2/1 = 0.75. Radicalness: cited assignments G06N (R1), A61K and G06N (R2): one of three outside P1's
    own subclasses {G06N, H04L} → 1/3. Scope: G06N, H04L → 2.
    """
    p1 = _row(hand_run, "US1000001B2")
    assert (p1["fwd_cits"], p1["fwd_cits5"], p1["fwd_cits7"]) == (3, 2, 3)
    assert (p1["fwd_cits5_xy"], p1["fwd_cits7_xy"]) == (1, 2)
    assert (p1["bwd_cits"], p1["npl_cits"], p1["patent_scope"], p1["claims"]) == (2, 1, 2, 10)
    assert p1["generality"] == pytest.approx(0.59375 * 4 / 3)
    assert p1["originality"] == pytest.approx(0.75)
    assert p1["radicalness"] == pytest.approx(1 / 3)
    assert (p1["family_size"], p1["family_known"]) == (2, True)
    # a patent nobody cites: 0 forward citations (known), generality undefined (NULL with a reason)
    p3 = _row(hand_run, "US1000003B2")
    assert (p3["fwd_cits5"], p3["generality"], p3["bwd_cits"]) == (0, None, None)
    reasons = {
        (r["indicator"], r["reason"])
        for r in hand_run.missing.to_pylist()
        if r["publication_number"] == p3["publication_number"]
    }
    assert ("generality", "no forward citations from patents with IPC classes") in reasons
    assert ("bwd_cits", "no citations in the loaded record") in reasons


def test_cohort_indicators_worked_by_hand(hand_run: IndicatorRun) -> None:
    """Cohort 2005 × field 6 (Computer technology, G06N) = {P1, P3}.

    Grant lags: P1 2005-03-01 → 2007-06-05 = 826 days; P3 2005-09-01 → 2008-01-01 = 852 → index 1 − 826/852
    and 0. Normalised (÷ cohort max): P1 fwd5 2/2, family 2/2, claims 10/20, generality 1 (P3 uncited → 0);
    QI4 = (1 + 1 + 0.5 + 1)/4 = 0.875. P3: 0, ½, 1, 0 → 0.375. QI6(P1) adds bwd 2/2 and the lag index:
    (3.5 + 1 + 0.030516…)/6; P3 has no citation data, so its QI6 is missing. Breakthrough (top 1% of 2 = the
    top one): P1.
    """
    p1, p3 = _row(hand_run, "US1000001B2"), _row(hand_run, "US1000003B2")
    assert (p1["filing_year"], p1["tech_field"], p1["many_field"], p1["cohort_size"]) == (2005, 6, True, 2)
    assert (p1["grant_lag_days"], p3["grant_lag_days"]) == (826, 852)
    assert p1["grant_lag_index"] == pytest.approx(1 - 826 / 852)
    assert p3["grant_lag_index"] == 0.0
    assert p1["quality_index_4"] == pytest.approx(0.875)
    assert p3["quality_index_4"] == pytest.approx(0.375)
    assert p1["quality_index_6"] == pytest.approx((4.5 + 1 - 826 / 852) / 6)
    assert p3["quality_index_6"] is None
    assert (p1["breakthrough"], p3["breakthrough"]) == (True, False)


def test_status_and_high_value_worked_by_hand(hand_run: IndicatorRun) -> None:
    """P1 has no legal events: in force until 2025-03-01 (20 years from filing), estimated; maintained
    (2024-12-31 − 2005-03-01) = 7,245 days = 19.8357 years > 10. High-value: SEI via the placeholder table
    (G06N), overseas (CN1000001B, kind B granted in CN), maintenance, pledge (12 million CNY ≥ 10 million),
    award (the awards table). CN2000001A: withdrawn by its 2023 event; its 5-million pledge is below the
    threshold and it is not in force anyway.
    """
    p1 = _row(hand_run, "US1000001B2")
    assert (p1["status"], p1["status_estimated"], p1["expiry_date"]) == ("in_force", True, dt.date(2025, 3, 1))
    assert p1["remaining_term_days"] == (dt.date(2025, 3, 1) - AS_OF).days
    assert p1["maintenance_years"] == pytest.approx(7245 / 365.25, abs=1e-4)
    assert p1["renewal"] is None  # no legal events to show renewals
    flags = {k: p1[k] for k in ("hv_sei", "hv_overseas", "hv_maintenance", "hv_pledge", "hv_award", "high_value")}
    assert all(flags.values()), flags
    evidence = json.loads(p1["hv_evidence"])
    assert evidence["overseas"] == "CN1000001B"
    assert evidence["pledge"]["max_amount_cny"] == 12_000_000.0
    assert evidence["award"] == "China Patent Award Gold 2020"
    assert evidence["sei"].startswith("G06N")
    cn = _row(hand_run, "CN2000001A")
    assert (cn["status"], cn["status_estimated"], cn["status_date"]) == ("withdrawn", False, dt.date(2023, 3, 1))
    assert not cn["high_value"] and not cn["hv_pledge"]
    assert any("sei" in p for p in hand_run.placeholders)


def test_industries_count_fractionally(hand_run: IndicatorRun, shared_data: Path) -> None:
    """P1's subclasses G06N and H04L map through Eurostat's table; each NACE code gets 1/n of the patent."""
    expected: set[str] = set()
    with (shared_data / "classification" / "ipc_nace2_eurostat.csv").open(encoding="utf-8-sig") as fh:
        for rec in csv.DictReader(fh, delimiter=";"):
            if rec["ipc"].strip() in ("G06N", "H04L") and float(rec["nace2_weight"] or 0) > 0:
                expected.add(rec["nace2_code"].strip())
    rows = [r for r in hand_run.industries.to_pylist() if r["publication_number"] == "US1000001B2"]
    nace = {r["code"]: r["weight"] for r in rows if r["scheme"] == "nace2"}
    assert set(nace) == expected and expected
    assert sum(nace.values()) == pytest.approx(1.0)
    pii = {r["code"] for r in rows if r["scheme"] == "pii"}
    assert pii == {"ict_services"}  # G06N and H04L are both ICT services in the placeholder table


def test_without_the_award_table_the_category_is_unknown(hand_corpus: Path, shared_data: Path) -> None:
    run = _run(hand_corpus, "duckdb", shared_data, None)
    p1 = _row(run, "US1000001B2")
    assert p1["hv_award"] is None and p1["high_value"]  # still high-value through the other categories
    assert any("award" in c for c in run.caveats)


def test_a_rule_version_changes_the_categories(hand_corpus: Path, shared_data: Path) -> None:
    """15FYP-4cat has no pledge category: the column disappears and the run says which rule it used."""
    run = compute_indicators(hand_corpus, as_of=AS_OF, reference_dir=shared_data / "classification",
                             rule_versions={"high_value": "15FYP-4cat"})  # fmt: skip
    assert "hv_pledge" not in run.table.column_names
    assert run.rules["high_value"].startswith("high_value/15FYP-4cat")


def test_bad_awards_table_names_file_row_and_column(hand_corpus: Path, shared_data: Path, tmp_path: Path) -> None:
    from patnav.indicators.reference import ReferenceError

    bad = tmp_path / "awards.csv"
    bad.write_text("publication_number,award,level,year\nUS1000001B2,Gold,,twenty\n", encoding="utf-8")
    with pytest.raises(ReferenceError, match=r"awards\.csv.*row 1.*year"):
        _run(hand_corpus, "duckdb", shared_data, bad)


@pytest.mark.spark
def test_spark_agrees_on_the_hand_written_corpus(
    spark_session: Any, hand_corpus: Path, shared_data: Path, awards_file: Path, hand_run: IndicatorRun
) -> None:
    spark = _run(hand_corpus, "spark", shared_data, awards_file)
    _assert_same(hand_run, spark)


# -- real data -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_run(real_corpus: Path, shared_data: Path) -> IndicatorRun:
    with get_engine("duckdb", real_corpus) as engine:
        return compute(engine, as_of=dt.date(2025, 12, 31), reference_dir=shared_data / "classification")


def test_five_real_patents_checked_by_hand(real_run: IndicatorRun) -> None:
    """Each figure below was worked out from the raw record in ../shared/data, as of 2025-12-31.

    * USD513425S1 (uspto-grant-xml/ipg060103.small.xml.gz, record 1): a design filed 2005-01-07, granted
      2006-01-03, ``<length-of-grant>14``: term 14 years from grant (filed before 2015-05-13) → expired
      2020-01-03. One claim; six references cited, none NPL; no IPC (designs carry Locarno) → no scope and no
      cohort. Grant lag 2005-01-07 → 2006-01-03 = 361 days. Not an invention → never high-value.
    * US11554343B1 (office-api-responses/…/public_search/fixtures/doc.json.gz; Tianjin University): filed
      2021-07-22, granted 2023-01-17 → lag 544 days; numberOfClaims 5; one foreign reference (CN207383068);
      IPC B01D53/00, B01D53/04 → scope 1; no PTA recorded: expiry 2041-07-22, in force (estimated), 5,682
      days left; maintained 1,623 days = 4.4435 years. High-value only through the PLACEHOLDER strategic
      emerging industry table (B01D → energy saving and environmental protection).
    * EP1000000B1 (office-api-responses/…/ep1000000_full_cycle_result.xml): filed 1999-11-08; its legal events
      end protection only in single contracting states (GB, BE, IT, NL lapses), so the EP right ran its 20
      years → expired 2019-11-08 (legal events exist, so not an estimate). DOCDB family 19768124: EP, AT, DE,
      NL, US → 5 offices. IPC B28B (main, WIPO field 29 "Other special machines") and H02P → scope 2, many
      fields.
    * CN104968889A (EPO OPS biblio, family 50474376): an application filed 2013-10-11 with no grant and no
      legal events loaded: after 7 years its outcome is unknown → status NULL with that reason. Five patent
      citations (one X). Family offices EP, CA, CN, RU, US (WO excluded) → 5. Main IPC E21B 47/0228 → field 35
      (civil engineering); scope 1 (E21B).
    * CN201918042U (google-patents-export/gp-search-deep-learning.csv, row 154): a utility model filed
      2010-10-21: 10-year term → expired 2020-10-21 (estimated). The export has no claims and no citations:
      both NULL, never 0.
    """
    d = _row(real_run, "USD513425S1")
    assert (d["status"], d["status_date"], d["status_estimated"]) == ("expired", dt.date(2020, 1, 3), True)
    assert (d["claims"], d["bwd_cits"], d["npl_cits"], d["grant_lag_days"]) == (1, 6, 0, 361)
    assert (d["patent_scope"], d["cohort_size"], d["high_value"]) == (None, None, False)

    u = _row(real_run, "US11554343B1")
    assert (u["grant_lag_days"], u["claims"], u["bwd_cits"], u["npl_cits"], u["patent_scope"]) == (544, 5, 1, 0, 1)
    assert (u["status"], u["status_estimated"], u["expiry_date"]) == ("in_force", True, dt.date(2041, 7, 22))
    assert u["remaining_term_days"] == 5682
    assert u["maintenance_years"] == pytest.approx(1623 / 365.25, abs=1e-4)
    assert (u["hv_sei"], u["hv_maintenance"], u["hv_overseas"], u["high_value"]) == (True, False, False, True)

    e = _row(real_run, "EP1000000B1")
    assert (e["status"], e["status_date"], e["status_estimated"]) == ("expired", dt.date(2019, 11, 8), False)
    assert (e["family_size"], e["patent_scope"], e["tech_field"], e["many_field"]) == (5, 2, 29, True)

    c = _row(real_run, "CN104968889A")
    assert c["status"] is None
    reasons = {r["reason"] for r in real_run.missing.to_pylist() if r["publication_number"] == "CN104968889A"}
    assert "an application with no grant and no outcome more than 7 years after filing" in reasons
    assert (c["bwd_cits"], c["family_size"], c["tech_field"], c["patent_scope"]) == (5, 5, 35, 1)

    m = _row(real_run, "CN201918042U")
    assert (m["status"], m["status_date"], m["status_estimated"]) == ("expired", dt.date(2020, 10, 21), True)
    assert (m["claims"], m["bwd_cits"]) == (None, None)


def test_real_run_is_consistent(real_run: IndicatorRun) -> None:
    """Properties a user would notice: one row per publication, values in range, high-value only when in force."""
    t = real_run.table
    numbers = t.column("publication_number").to_pylist()
    assert len(numbers) == len(set(numbers)) > 5000
    for row in t.to_pylist():
        for key in ("generality", "originality", "radicalness", "quality_index_4", "quality_index_6"):
            assert row[key] is None or 0.0 <= row[key] <= 1.0, (row["publication_number"], key, row[key])
        if row["high_value"]:
            assert row["status"] == "in_force" and row["doc_type"] == "invention"
        if row["fwd_cits5"] is not None:
            assert row["fwd_cits5_xy"] <= row["fwd_cits5"] <= row["fwd_cits7"] <= row["fwd_cits"]
    assert real_run.placeholders and real_run.references["wipo35"]


@pytest.mark.spark
def test_duckdb_and_spark_compute_identical_indicators(
    spark_session: Any, real_corpus: Path, shared_data: Path, real_run: IndicatorRun
) -> None:
    """Every indicator of every real publication, on both engines: identical tables."""
    with get_engine("spark", real_corpus) as engine:
        spark = compute(engine, as_of=dt.date(2025, 12, 31), reference_dir=shared_data / "classification")
    _assert_same(real_run, spark)


def _assert_same(a: IndicatorRun, b: IndicatorRun) -> None:
    for name in ("table", "industries", "missing"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.schema.equals(right.schema), name
        assert left.num_rows == right.num_rows, name
        if not left.equals(right):
            for col in left.column_names:
                lv, rv = left.column(col).to_pylist(), right.column(col).to_pylist()
                diff = [(i, x, y) for i, (x, y) in enumerate(zip(lv, rv, strict=True)) if x != y]
                assert not diff, f"{name}.{col} differs at {diff[:5]}"
    assert a.rules == b.rules and a.placeholders == b.placeholders


def test_empty_reference_folder_leaves_cohorts_missing(hand_corpus: Path, tmp_path: Path) -> None:
    run = compute_indicators(hand_corpus, as_of=AS_OF, reference_dir=tmp_path)
    p1 = _row(run, "US1000001B2")
    assert p1["tech_field"] is None and p1["quality_index_4"] is None and p1["fwd_cits5"] == 2
    assert any("WIPO" in c for c in run.caveats)
    assert isinstance(run.table, pa.Table)


def test_patent_intensity_worked_by_hand(hand_corpus: Path, tmp_path: Path) -> None:
    """Hand-made industry shares over the hand-written corpus: P1 (granted 2007) ½ A + ½ B, P3 (2008) A,
    C1 (2009) B, C2 (2012, outside 2005–2009) A. Employment A 20,000, B 10,000, C 10,000 (no grants).
    Grants: A 1.5, B 1.5, C 0 → intensity per 10,000 employees A 0.75, B 1.5, C 0; employment-weighted mean
    3 / 4 = 0.75; mean grants 1.0. Patent-intensive (both above): B only. D has grants but no employment."""
    from patnav.indicators.intensity import intensity, read_employment
    from patnav.indicators.results import StoredRun

    shares = pa.table(
        {
            "publication_number": ["US1000001B2", "US1000001B2", "US1000003B2", "US1000101B2", "US1000102B2",
                                   "US1000104B2"],
            "scheme": ["t"] * 6,
            "code": ["A", "B", "A", "B", "A", "D"],
            "weight": [0.5, 0.5, 1.0, 1.0, 1.0, 1.0],
        }
    )  # fmt: skip
    run = StoredRun(pa.table({"publication_number": ["x"]}), shares, pa.table({"x": [1]}), {"labels": {}})
    employment_file = tmp_path / "employment.csv"
    employment_file.write_text('industry,employment\nA,20000\nB,"10,000"\nC,10000\n', encoding="utf-8")
    figures = read_employment(employment_file)
    assert figures == {"A": 20000.0, "B": 10000.0, "C": 10000.0}
    with get_engine("duckdb", hand_corpus) as engine:
        result = intensity(engine, run, figures, scheme="t", last_year=2009, window=5)
    rows = {r.code: r for r in result.rows}
    assert (result.first_year, result.weighted_mean_intensity, result.mean_grants) == (2005, 0.75, 1.0)
    assert {c: (r.grants, r.intensity) for c, r in rows.items()} == {"A": (1.5, 0.75), "B": (1.5, 1.5), "C": (0.0, 0.0)}
    assert [c for c, r in rows.items() if r.patent_intensive] == ["B"]
    assert result.without_employment == ()  # D's grant (2013) lies outside the window
    with get_engine("duckdb", hand_corpus) as engine:
        wider = intensity(engine, run, figures, scheme="t", last_year=2013, window=9)
    assert wider.without_employment == ("D",)

"""Technology composition: exact answers on a hand-written corpus, DuckDB == Spark and sanity on real data."""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from patnav.analysis.patent_set import PatentSet
from patnav.analysis.technology import (
    WIPO_SECTORS,
    CodeCount,
    CodePair,
    FieldCount,
    SectorCount,
    co_occurrence,
    sector_code,
    technology,
)
from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.indicators.compute import compute
from patnav.indicators.reference import REFERENCE_SCHEMA, ReferenceTable, load_wipo_fields
from patnav.model.numbers import parse_publication_number
from patnav.model.records import Classification, Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
AS_OF = dt.date(2024, 6, 30)  # priority years complete through 2021
WINDOW = 2  # recent window 2020–2021, previous 2018–2019


def _pub(number: str, prio: int | None, classes: list[tuple[str, str, bool]], family: str | None = None) -> Publication:
    parsed = parse_publication_number(number)
    return Publication(
        number,
        parsed.country,
        parsed.number,
        parsed.kind,
        family_id=family,
        priority_date=dt.date(prio, 3, 1) if prio else None,
        publication_date=dt.date(2023, 1, 1),
        classifications=[
            Classification(scheme, symbol, is_main=main, sequence=i)  # type: ignore[arg-type]
            for i, (scheme, symbol, main) in enumerate(classes)
        ],
    )


def _hand_written() -> list[Publication]:
    """Not real patents: nine documents in eight families, classes chosen so every figure can be worked by hand.

    ======  =======  =====  ============================================================================
    family  doc      prio   classes (``*`` = flagged main; otherwise the first listed is the main one)
    ======  =======  =====  ============================================================================
    F1      CN1      2018   IPC G06N 3/04*, G06N 3/08, G06F 17/16
    F1      US2      2018   IPC G06N 3/08; CPC G06N 3/084
    F2      US3      2019   IPC G06F 16/30*, H04L 29/06; CPC G06F 16/35
    F3      US4      2020   IPC G06N 20/00, G06F 16/90
    F4      US5      2021   IPC H04L 9/32, G06F 21/60*
    F5      EP6      2021   IPC A61B 5/00*, G06N 3/08
    F6      WO7      –      IPC G06N 3/02
    F7      JP8      2020   nothing (unclassified)
    F8      CN9      2022   CPC G06Q 10/06 only (a truncated year)
    ======  =======  =====  ============================================================================

    IPC base: 7 documents (all but JP8, CN9), 6 families. Subclasses per document: CN1 {G06N, G06F}, US2 {G06N},
    US3 {G06F, H04L}, US4 {G06N, G06F}, US5 {H04L, G06F}, EP6 {A61B, G06N}, WO7 {G06N}.

    * G06N: documents CN1 US2 US4 EP6 WO7 = 5; families F1 F3 F5 F6 = 4; recent F3 F5 = 2, previous F1 = 1
      → rising (2 ≥ 1.1 × 1).
    * G06F: CN1 US3 US4 US5 = 4; F1 F2 F3 F4 = 4; recent 2 (F3 F4), previous 2 (F1 F2) → flat.
    * H04L: US3 US5 = 2; F2 F4; previous 1, recent 1 → flat. A61B: EP6, F5, recent → rising.

    Main groups: G06N 3/00 on CN1 US2 EP6 WO7 (4 documents; families F1 F5 F6 = 3: previous 1, recent 1, flat);
    G06F 16/00 on US3 US4 (F2 previous, F3 recent: flat); G06F 17/00 on CN1 (F1, previous: falling); G06N 20/00,
    H04L 9/00, G06F 21/00, A61B 5/00 one recent family each (rising); H04L 29/00 on US3 (F2: falling). 8 codes.

    CPC: US2 G06N 3/00, US3 G06F 16/00, CN9 G06Q 10/00; base 3 documents, 3 families (F1, F2, F8).

    Fields with the hand-made concordance of :func:`_hand_reference` (G06N, G06F → 6; G06F 21/ → 4, the longer
    prefix winning over G06F; H04L → 4; G06Q → 7; A61B → 13), by each document's main symbol: CN1 G06N 3/04 → 6,
    US2 G06N 3/08 → 6, US3 G06F 16/30 → 6, US4 G06N 20/00 (first listed) → 6, US5 G06F 21/60 (flagged) → 4,
    EP6 A61B 5/00 → 13, WO7 → 6, CN9 (CPC stands in) G06Q → 7; JP8 none. Base: 8 documents, 7 families.

    * field 6: 5 documents, families F1 F2 F3 F6 = 4: previous 2 (F1 F2), recent 1 (F3) → falling;
    * field 4: US5, F4 recent → rising; field 13: EP6, F5 recent → rising; field 7: CN9, F8 in no window → flat;
    * sector electrical engineering (fields 4, 6, 7): 7 documents, 6 families, recent F3 F4 = 2, previous 2 → flat;
      instruments (13): 1, 1, rising.

    IPC subclass pairs: CN1 and US4 {G06F, G06N}; US3 and US5 {G06F, H04L}; EP6 {A61B, G06N}.
    (G06F, G06N): 2 documents, 2 families, cosine 2 / √(4 × 4) = 0.5; (G06F, H04L): 2, 2, 2 / √(4 × 2) = √½;
    (A61B, G06N): 1, 1, 1 / √(1 × 4) = 0.5.
    """
    ipc, cpc = "IPC", "CPC"
    return [
        _pub(
            "CN101000001A",
            2018,
            [(ipc, "G06N 3/04", True), (ipc, "G06N 3/08", False), (ipc, "G06F 17/16", False)],
            "F1",
        ),
        _pub("US10200002B2", 2018, [(ipc, "G06N 3/08", False), (cpc, "G06N 3/084", False)], "F1"),
        _pub("US10300003B2", 2019, [(ipc, "G06F 16/30", True), (ipc, "H04L 29/06", False), (cpc, "G06F 16/35", False)]),
        _pub("US10400004B2", 2020, [(ipc, "G06N 20/00", False), (ipc, "G06F 16/90", False)]),
        _pub("US10500005B2", 2021, [(ipc, "H04L 9/32", False), (ipc, "G06F 21/60", True)]),
        _pub("EP1060006A1", 2021, [(ipc, "A61B 5/00", True), (ipc, "G06N 3/08", False)]),
        _pub("WO2019000107A1", None, [(ipc, "G06N 3/02", False)]),
        _pub("JP2020000108A", 2020, []),
        _pub("CN110000009A", 2022, [(cpc, "G06Q 10/06", False)]),
    ]


def _hand_reference() -> ReferenceTable:
    """A hand-made concordance in the layout of :func:`load_wipo_fields` (not WIPO's numbers for every row)."""
    rows = [("6", "G06N"), ("6", "G06F"), ("4", "G06F21/"), ("4", "H04L"), ("7", "G06Q"), ("13", "A61B")]
    table = pa.Table.from_pylist(
        [dict(scheme="wipo35", code=c, label="", prefix=p, subclass=p[:4], not_with=None, unless_with=None, weight=1.0)
         for c, p in rows],
        schema=REFERENCE_SCHEMA,
    )  # fmt: skip
    labels = {
        "4": {"sector": "Electrical engineering"},
        "6": {"sector": "Electrical engineering"},
        "7": {"sector": "Electrical engineering"},
        "13": {"sector": "Instruments"},
    }
    return ReferenceTable("wipo35", table, "hand-made", False, labels)


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("technology") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(_hand_written())], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def hand_engine(hand_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", hand_corpus) as eng:
        yield eng


def test_ipc_and_cpc_distributions_on_hand_written_corpus(hand_engine: Engine) -> None:
    t = technology(hand_engine, as_of=AS_OF, window=WINDOW, wipo=_hand_reference())
    assert (t.documents, t.families, t.unclassified_documents) == (9, 8, 1)
    assert (t.recent_window, t.previous_window) == ((2020, 2021), (2018, 2019))
    sub = t.distribution("IPC", "subclass")
    assert (sub.documents, sub.families, sub.codes) == (7, 6, 4)
    assert sub.top == (
        CodeCount("G06N", 5, 4, 5 / 7, 4 / 6, 2, 1, "rising"),
        CodeCount("G06F", 4, 4, 4 / 7, 4 / 6, 2, 2, "flat"),
        CodeCount("H04L", 2, 2, 2 / 7, 2 / 6, 1, 1, "flat"),
        CodeCount("A61B", 1, 1, 1 / 7, 1 / 6, 1, 0, "rising"),
    )
    groups = t.distribution("IPC", "main_group")
    assert (groups.documents, groups.families, groups.codes) == (7, 6, 8)
    assert [(c.code, c.documents, c.families, c.recent, c.previous, c.trend) for c in groups.top] == [
        ("G06N 3/00", 4, 3, 1, 1, "flat"),
        ("G06F 16/00", 2, 2, 1, 1, "flat"),
        ("A61B 5/00", 1, 1, 1, 0, "rising"),
        ("G06F 17/00", 1, 1, 0, 1, "falling"),
        ("G06F 21/00", 1, 1, 1, 0, "rising"),
        ("G06N 20/00", 1, 1, 1, 0, "rising"),
        ("H04L 29/00", 1, 1, 0, 1, "falling"),
        ("H04L 9/00", 1, 1, 1, 0, "rising"),
    ]  # families, documents, then code (code-point order: "29" < "9")
    cpc = t.distribution("CPC", "main_group")
    assert (cpc.documents, cpc.families, cpc.codes) == (3, 3, 3)
    assert [(c.code, c.documents, c.previous, c.recent) for c in cpc.top] == [
        ("G06F 16/00", 1, 1, 0),
        ("G06N 3/00", 1, 1, 0),
        ("G06Q 10/00", 1, 0, 0),  # F8 (2022) is in neither window
    ]
    assert [c.code for c in technology(hand_engine, as_of=AS_OF, window=WINDOW, top=2).ipc[0].top] == ["G06N", "G06F"]


def test_fields_sectors_and_pairs_on_hand_written_corpus(hand_engine: Engine) -> None:
    t = technology(hand_engine, as_of=AS_OF, window=WINDOW, wipo=_hand_reference())
    assert (t.fields_source, t.field_documents, t.field_families) == ("reference", 8, 7)
    ee = "electrical_engineering"
    assert t.fields == (
        FieldCount(6, ee, 5, 4, 5 / 8, 4 / 7, 1, 2, "falling"),
        FieldCount(4, ee, 1, 1, 1 / 8, 1 / 7, 1, 0, "rising"),
        FieldCount(7, ee, 1, 1, 1 / 8, 1 / 7, 0, 0, "flat"),
        FieldCount(13, "instruments", 1, 1, 1 / 8, 1 / 7, 1, 0, "rising"),
    )
    assert t.sectors == (
        SectorCount(ee, 7, 6, 7 / 8, 6 / 7, 2, 2, "flat"),
        SectorCount("instruments", 1, 1, 1 / 8, 1 / 7, 1, 0, "rising"),
    )
    assert t.co_occurrence == (
        CodePair("G06F", "G06N", 2, 2, 0.5),
        CodePair("G06F", "H04L", 2, 2, 2 / (4 * 2) ** 0.5),
        CodePair("A61B", "G06N", 1, 1, 0.5),
    )
    assert co_occurrence(hand_engine, min_documents=2, top=1) == (CodePair("G06F", "G06N", 2, 2, 0.5),)
    groups = co_occurrence(hand_engine, level="main_group")
    assert ("G06F 16/00", "G06N 20/00") in [(p.source, p.target) for p in groups]  # US4
    assert ("G06N 3/00", "G06F 17/00") not in [(p.source, p.target) for p in groups]  # always source < target


def test_fields_from_an_indicators_table_agree_with_the_reference(hand_engine: Engine) -> None:
    by_reference = technology(hand_engine, as_of=AS_OF, window=WINDOW, wipo=_hand_reference())
    run_table = pa.table(
        {
            "publication_number": [p.publication_number for p in _hand_written()],
            "tech_field": [6, 6, 6, 6, 4, 13, 6, None, 7],  # what the indicators' FIELDS step gives (worked above)
        }
    )
    by_run = technology(hand_engine, as_of=AS_OF, window=WINDOW, indicators=run_table)
    assert by_run.fields_source == "indicators"
    assert (by_run.fields, by_run.sectors) == (by_reference.fields, by_reference.sectors)
    bare = technology(hand_engine, as_of=AS_OF, window=WINDOW)
    assert (bare.fields_source, bare.fields, bare.sectors, bare.field_documents) == ("none", (), (), 0)


def test_patent_set_restricts_technology(hand_engine: Engine) -> None:
    everything = PatentSet.of([p.publication_number for p in _hand_written()])
    assert technology(hand_engine, everything, as_of=AS_OF) == technology(hand_engine, as_of=AS_OF)
    f1 = technology(hand_engine, PatentSet.of(["CN101000001A", "US10200002B2"]), as_of=AS_OF, window=WINDOW)
    assert (f1.documents, f1.families, f1.unclassified_documents) == (2, 1, 0)
    assert [(c.code, c.documents, c.families) for c in f1.ipc[0].top] == [("G06N", 2, 1), ("G06F", 1, 1)]
    assert f1.co_occurrence == (CodePair("G06F", "G06N", 1, 1, 1.0),)
    with pytest.raises(ValueError, match="level"):
        co_occurrence(hand_engine, level="group")  # type: ignore[arg-type]


def test_sector_codes_match_the_wipo_concordance(shared_data: Path) -> None:
    path = shared_data / "classification" / "ipc_technology_wipo35.csv"
    with path.open(encoding="utf-8-sig") as fh:
        sectors = {int(r["Field_number"]): sector_code(r["Sector_en"]) for r in csv.DictReader(fh)}
    assert sectors == WIPO_SECTORS
    assert set(WIPO_SECTORS.values()) == {
        "electrical_engineering",
        "instruments",
        "chemistry",
        "mechanical_engineering",
        "other_fields",
    }


# -- real data ------------------------------------------------------------------------------------------------

REAL_AS_OF = dt.date(2018, 6, 30)


@pytest.fixture(scope="module")
def real_engine(real_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", real_corpus) as eng:
        yield eng


@pytest.fixture(scope="module")
def wipo(shared_data: Path) -> ReferenceTable:
    return load_wipo_fields(shared_data / "classification" / "ipc_technology_wipo35.csv")


def test_real_corpus_composition(real_engine: Engine, wipo: ReferenceTable, shared_data: Path) -> None:
    t = technology(real_engine, wipo=wipo, as_of=REAL_AS_OF, top=500)
    sub, groups = t.distribution("IPC", "subclass"), t.distribution("IPC", "main_group")
    # only the full-text and office records carry classes: PatentsView and Google Patents rows have none
    assert 0 < sub.documents < t.documents and t.unclassified_documents > t.documents / 2
    assert sub.top[0].code == "G06F"  # the USPTO grant weeks and the public-search records lean to computing
    assert sub.codes == len(sub.top) and groups.codes == len(groups.top) >= sub.codes
    for d in (sub, groups):
        assert all(c.families <= c.documents <= d.documents for c in d.top)
        assert sum(c.documents for c in d.top) >= d.documents  # whole counting: a document in several codes
        assert 0 < max(c.family_share for c in d.top) <= 1
    assert all(len(c.code) == 4 for c in sub.top)
    assert all(c.code[:4] in {s.code for s in sub.top} and c.code.endswith("/00") for c in groups.top)
    cpc = t.distribution("CPC", "main_group")
    assert "G06N 3/00" in [c.code for c in cpc.top[:5]]  # the public-search records are neural-network patents
    # a document falls in one field (its main symbol's): fields add up to the documents with a field, and so do
    # sectors; a family can span fields, so its counts add up to at least the families with a field
    assert sum(f.documents for f in t.fields) == t.field_documents == sum(s.documents for s in t.sectors)
    assert sum(f.families for f in t.fields) >= t.field_families
    assert t.fields[0].field == 6 and t.sectors[0].sector == "electrical_engineering"  # computer technology
    assert all(WIPO_SECTORS[f.field] == f.sector for f in t.fields)
    # the same fields as the indicators' own computation (its FIELDS step) on the same corpus
    run = compute(real_engine, as_of=REAL_AS_OF, reference_dir=shared_data / "classification")
    by_run = technology(real_engine, indicators=run, as_of=REAL_AS_OF)
    assert (by_run.fields, by_run.sectors) == (t.fields, t.sectors)
    pairs = t.co_occurrence
    assert pairs and all(p.source < p.target and 0 < p.cosine <= 1 for p in pairs)
    assert (pairs[0].source, pairs[0].target) == ("G06F", "H04L")  # networked computing


@pytest.mark.spark
def test_spark_matches_duckdb(
    spark_session: Any,
    real_corpus: Path,
    real_engine: Engine,
    hand_corpus: Path,
    hand_engine: Engine,
    wipo: ReferenceTable,
) -> None:
    # both corpora: the hand-written one has the branches the real one lacks (CPC standing in for IPC, a main
    # symbol found by listing order), the real one has the volume
    expected_real = technology(real_engine, wipo=wipo, as_of=REAL_AS_OF, top=50)
    expected_hand = technology(hand_engine, wipo=_hand_reference(), as_of=AS_OF, window=WINDOW)
    started = time.perf_counter()
    with get_engine("spark", real_corpus) as spark:
        assert technology(spark, wipo=wipo, as_of=REAL_AS_OF, top=50) == expected_real
    with get_engine("spark", hand_corpus) as spark:
        assert technology(spark, wipo=_hand_reference(), as_of=AS_OF, window=WINDOW) == expected_hand
    print(f"spark: technology of two corpora in {time.perf_counter() - started:.1f}s")

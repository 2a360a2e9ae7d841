"""Trends and life cycle: exact answers on a hand-written corpus, DuckDB == Spark and sanity on real data."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patnav.analysis.patent_set import PatentSet, patent_set_size
from patnav.analysis.trends import (
    BASES,
    LifeCycleRule,
    Window,
    YearCount,
    classify_stage,
    default_as_of,
    direction,
    last_complete_year,
    life_cycle,
    months_before,
    trends,
)
from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.model.numbers import parse_publication_number
from patnav.model.records import Party, Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
AS_OF = dt.date(2024, 6, 30)  # 18 months before: 2022-12-30, so priority/filing years up to 2021 are complete


def _d(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _pub(
    number: str,
    prio: str | None,
    filed: str | None,
    published: str | None,
    granted: str | None = None,
    family: str | None = None,
    applicants: tuple[str, ...] = (),
) -> Publication:
    parsed = parse_publication_number(number)
    return Publication(
        number,
        parsed.country,
        parsed.number,
        parsed.kind,
        family_id=family,
        priority_date=_d(prio),
        filing_date=_d(filed),
        publication_date=_d(published),
        grant_date=_d(granted),
        parties=[Party("applicant", name, kind="company", sequence=i) for i, name in enumerate(applicants)],
    )


def _hand_written() -> list[Publication]:
    """Not real patents: six documents in five families, each exercising one rule of the year series.

    ==========  ==========  ==========  ==========  ==========  ======  ===========
    number      priority    filing      published   granted     family  applicants
    ==========  ==========  ==========  ==========  ==========  ======  ===========
    CN1         2019-03-01  2019-03-01  2020-09-01  –           F1      ALPHA
    US2         2019-03-01  2020-02-01  2021-08-01  2022-05-01  F1      ALPHA
    US3         –           2020-06-01  2022-01-01  2022-01-01  own     BETA, GAMMA
    EP4         2022-01-15  2022-01-15  2023-07-01  –           own     BETA
    JP5         –           –           2017-05-01  –           own     –
    WO6         2016-04-01  2017-04-01  2017-10-01  –           own     –
    ==========  ==========  ==========  ==========  ==========  ======  ===========

    US3 claims no priority, so its filing date is its priority date (2020). JP5 has no priority or filing date.
    """
    return [
        _pub("CN100000001A", "2019-03-01", "2019-03-01", "2020-09-01", family="F1", applicants=("ALPHA",)),
        _pub("US10000002B2", "2019-03-01", "2020-02-01", "2021-08-01", "2022-05-01", "F1", ("ALPHA",)),
        _pub("US10000003B1", None, "2020-06-01", "2022-01-01", "2022-01-01", applicants=("BETA", "GAMMA")),
        _pub("EP1000004A1", "2022-01-15", "2022-01-15", "2023-07-01", applicants=("BETA",)),
        _pub("JP2017000005A", None, None, "2017-05-01"),
        _pub("WO2017000006A1", "2016-04-01", "2017-04-01", "2017-10-01"),
    ]


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trends") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(_hand_written())], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def hand_engine(hand_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", hand_corpus) as eng:
        yield eng


def _years(first: int, last: int, docs: dict[int, int], fams: dict[int, int], complete: int) -> tuple[YearCount, ...]:
    return tuple(YearCount(y, docs.get(y, 0), fams.get(y, 0), y > complete) for y in range(first, last + 1))


#: basis → (years, undated documents, undated families, last complete year), worked out from the table above
EXPECTED_SERIES = {
    "priority": (
        _years(2016, 2024, {2016: 1, 2019: 2, 2020: 1, 2022: 1}, {2016: 1, 2019: 1, 2020: 1, 2022: 1}, 2021),
        1,
        1,
        2021,
    ),
    "filing": (
        _years(2017, 2024, {2017: 1, 2019: 1, 2020: 2, 2022: 1}, {2017: 1, 2019: 1, 2020: 1, 2022: 1}, 2021),
        1,
        1,
        2021,
    ),
    # F1 is first published in 2020 (CN1): its US member adds a document in 2021 but no family
    "publication": (
        _years(2017, 2024, {2017: 2, 2020: 1, 2021: 1, 2022: 1, 2023: 1}, {2017: 2, 2020: 1, 2022: 1, 2023: 1}, 2023),
        0,
        0,
        2023,
    ),
    # F1 counts as granted through US2; JP5, WO6 and EP4 have no grant
    "grant": (_years(2022, 2024, {2022: 2}, {2022: 2}, 2023), 4, 3, 2023),
}


def test_year_series_on_hand_written_corpus(hand_engine: Engine) -> None:
    result = trends(hand_engine, as_of=AS_OF)
    assert result.as_of == AS_OF and result.publication_delay_months == 18
    assert [s.basis for s in result.series] == list(BASES)
    for basis, (years, undated_docs, undated_fams, complete) in EXPECTED_SERIES.items():
        series = result.by(basis)  # type: ignore[arg-type]
        assert series.years == years, basis
        assert (series.undated_documents, series.undated_families, series.last_complete_year) == (
            undated_docs,
            undated_fams,
            complete,
        ), basis
        assert series.documents + series.undated_documents == 6
        assert series.families + series.undated_families == 5


def test_life_cycle_on_hand_written_corpus(hand_engine: Engine) -> None:
    """Priority years: 2016 WO6 (no applicant), 2019 F1 (ALPHA), 2020 US3 (BETA, GAMMA), 2022 EP4 (BETA).

    Complete through 2021; recent window 2017–2021: families F1 and US3, applicants ALPHA, BETA, GAMMA;
    previous window 2012–2016: WO6 and no applicant. Both rise, but two families and three applicants are
    "few of both": emerging. Without the emerging rule it is growth.
    """
    cycle = life_cycle(hand_engine, as_of=AS_OF)
    assert [(p.year, p.applications, p.applicants, p.truncated) for p in cycle.points] == [
        (2016, 1, 0, False),
        (2017, 0, 0, False),
        (2018, 0, 0, False),
        (2019, 1, 1, False),
        (2020, 1, 2, False),
        (2021, 0, 0, False),
        (2022, 1, 1, True),
        (2023, 0, 0, True),
        (2024, 0, 0, True),
    ]
    assert cycle.recent == Window(2017, 2021, 2, 3)
    assert cycle.previous == Window(2012, 2016, 1, 0)
    assert (cycle.applications_trend, cycle.applicants_trend, cycle.stage) == ("rising", "rising", "emerging")
    no_emerging = LifeCycleRule(emerging_max_applications=0, emerging_max_applicants=0)
    assert life_cycle(hand_engine, as_of=AS_OF, rule=no_emerging).stage == "growth"
    # a two-year window: 2020–2021 (1 family, 2 applicants) against 2018–2019 (1 family, 1 applicant)
    short = life_cycle(hand_engine, as_of=AS_OF, rule=LifeCycleRule(window=2))
    assert (short.recent, short.previous) == (Window(2020, 2021, 1, 2), Window(2018, 2019, 1, 1))
    # nothing complete yet: every dated family is after the cut-off
    early = life_cycle(hand_engine, as_of=dt.date(2017, 1, 1))
    assert (early.stage, early.recent, early.previous) == ("undetermined", None, None)
    assert all(p.truncated for p in early.points)


def test_patent_set_restricts_and_same_numbers_give_same_result(hand_engine: Engine) -> None:
    everything = PatentSet.of([p.publication_number for p in _hand_written()] + ["US999B2"], label="all")
    assert trends(hand_engine, everything, as_of=AS_OF) == trends(hand_engine, as_of=AS_OF)
    only_f1 = PatentSet.of(["CN100000001A", "US10000002B2"], label="F1")
    series = trends(hand_engine, only_f1, as_of=AS_OF).by("priority")
    assert [(y.year, y.documents, y.families) for y in series.years if y.documents] == [(2019, 2, 1)]
    assert default_as_of(hand_engine, only_f1) == dt.date(2021, 8, 1)
    assert default_as_of(hand_engine) == dt.date(2023, 7, 1)


def test_truncation_rule() -> None:
    assert months_before(dt.date(2024, 6, 30), 18) == dt.date(2022, 12, 30)
    assert months_before(dt.date(2024, 8, 31), 6) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2024, 3, 15), 0) == dt.date(2024, 3, 15)
    assert last_complete_year("priority", dt.date(2024, 6, 30)) == 2021
    assert last_complete_year("priority", dt.date(2024, 7, 1)) == 2022  # filings to 2022-12-31 are out by now
    assert last_complete_year("filing", dt.date(2024, 7, 1), publication_delay_months=30) == 2021
    assert last_complete_year("publication", dt.date(2023, 12, 31)) == 2023
    assert last_complete_year("grant", dt.date(2023, 12, 30)) == 2022
    with pytest.raises(ValueError, match="basis"):
        last_complete_year("colour", AS_OF)  # type: ignore[arg-type]


def test_direction_and_stage_rules() -> None:
    assert [direction(10, n) for n in (11, 10, 9, 8, 12)] == ["rising", "flat", "falling", "falling", "rising"]
    assert (direction(0, 0), direction(0, 1), direction(3, 0)) == ("flat", "rising", "falling")
    big = LifeCycleRule(emerging_max_applications=0, emerging_max_applicants=0)
    cases = {
        ((100, 50), (200, 80)): "growth",
        ((100, 50), (100, 70)): "growth",  # more players, as many filings
        ((100, 50), (150, 50)): "maturity",
        ((100, 50), (100, 30)): "maturity",
        ((100, 50), (50, 20)): "decline",
        ((100, 50), (50, 50)): "decline",
        ((100, 50), (50, 80)): "undetermined",
        ((0, 0), (0, 0)): "undetermined",
    }
    for (prev, rec), stage in cases.items():
        assert classify_stage(Window(1, 5, *prev), Window(6, 10, *rec), big) == stage, (prev, rec)
    assert classify_stage(Window(1, 5, 0, 0), Window(6, 10, 5, 3)) == "emerging"
    assert classify_stage(Window(1, 5, 10, 5), Window(6, 10, 5, 2)) == "decline"  # few, but fading
    with pytest.raises(ValueError):
        LifeCycleRule(window=0)


# -- real data ------------------------------------------------------------------------------------------------

#: the cut-off of the real sets: the PatentsView and Google Patents exports were made in 2018
REAL_AS_OF = dt.date(2018, 6, 30)


def _neural_set(engine: Engine) -> PatentSet:
    rows = engine.rows("SELECT publication_number, title FROM publications")
    numbers = [n for n, title in rows if title and "neural" in title.lower()]
    return PatentSet.of(numbers, label="neural networks", origin="title contains 'neural'", normalize=False)


@pytest.fixture(scope="module")
def real_engine(real_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", real_corpus) as eng:
        yield eng


def test_real_neural_network_trends(real_engine: Engine) -> None:
    neural = _neural_set(real_engine)
    assert neural.numbers is not None and len(neural.numbers) > 1000
    result = trends(real_engine, neural, as_of=REAL_AS_OF)
    size = patent_set_size(real_engine, neural)
    assert size.documents == len(neural.numbers)
    for series in result.series:
        years = [y.year for y in series.years]
        assert years == list(range(years[0], years[-1] + 1)), series.basis
        assert series.documents + series.undated_documents == len(neural.numbers)
        assert series.families + series.undated_families == size.families
        assert all(y.truncated == (y.year > series.last_complete_year) for y in series.years)
        assert all(y.families <= y.documents for y in series.years)
    assert result.by("priority").last_complete_year == 2015
    assert result.by("publication").last_complete_year == 2017
    pubs = {y.year: y.documents for y in result.by("publication").years}
    assert pubs[2017] > pubs[2012] > 0  # the deep-learning wave
    cycle = result.life_cycle
    # 2011–2015 against 2006–2010: more families and more applicants
    assert (cycle.applications_trend, cycle.applicants_trend, cycle.stage) == ("rising", "rising", "growth")
    assert cycle.recent is not None and cycle.recent.applications > cycle.recent.applicants / 2 > 0


@pytest.mark.spark
def test_spark_matches_duckdb(
    spark_session: Any, real_corpus: Path, real_engine: Engine, hand_corpus: Path, hand_engine: Engine
) -> None:
    neural = _neural_set(real_engine)
    expected_real = trends(real_engine, neural, as_of=REAL_AS_OF)
    expected_hand = trends(hand_engine, as_of=AS_OF)
    started = time.perf_counter()
    with get_engine("spark", real_corpus) as spark:
        assert trends(spark, neural, as_of=REAL_AS_OF) == expected_real
    with get_engine("spark", hand_corpus) as spark:
        assert trends(spark, as_of=AS_OF) == expected_hand
    print(f"spark: trends of two sets in {time.perf_counter() - started:.1f}s")

"""Players: exact answers on a hand-written corpus, DuckDB == Spark and sanity on real data."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patnav.analysis.concentration import Concentration
from patnav.analysis.patent_set import PatentSet
from patnav.analysis.players import Applicant, CoApplicantEdge, PeriodConcentration, co_applicants, period_of, players
from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.model.numbers import parse_publication_number
from patnav.model.records import Party, PartyKind, Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
AS_OF = dt.date(2024, 6, 30)  # priority years complete through 2021
WINDOW = 2  # recent window 2020–2021, previous 2018–2019


def _pub(number: str, prio: int | None, parties: list[Party], family: str | None = None) -> Publication:
    parsed = parse_publication_number(number)
    return Publication(
        number,
        parsed.country,
        parsed.number,
        parsed.kind,
        family_id=family,
        priority_date=dt.date(prio, 6, 1) if prio else None,
        publication_date=dt.date(2023, 1, 1),
        parties=[Party(p.role, p.name, kind=p.kind, sequence=i) for i, p in enumerate(parties)],
    )


def _a(name: str, kind: PartyKind = "company", role: Any = "applicant") -> Party:
    return Party(role, name, kind=kind)


def _hand_written() -> list[Publication]:
    """Not real patents: ten documents in nine families, applicants chosen so every figure can be worked by hand.

    ======  ====================  =====  ===========================================================
    family  documents             prio   applicants (harmonised)
    ======  ====================  =====  ===========================================================
    F1      CN101, US102          2018   ALPHA + BETA on both ("Alpha Corp." and "ALPHA" are one name)
    F2      US103                 2019   ALPHA (written twice: "Alpha Corp.", "ALPHA CORPORATION")
    F3      US104                 2020   ALPHA
    F4      US105                 2021   GAMMA (an assignee: US105 names no applicant)
    F5      US106                 2021   DELTA (the assignee ZETA does not count: there is an applicant)
    F6      EP107                 2016   BETA
    F7      WO108                 –      ALPHA (kind recorded as unknown here)
    F8      JP109                 2020   nobody
    F9      CN110                 2022   EPSILON (a truncated year)
    ======  ====================  =====  ===========================================================

    Families per applicant (whole): ALPHA 4 (F1 F2 F3 F7), BETA 2 (F1 F6), GAMMA, DELTA, EPSILON 1 each.
    Fractional (F1 split in halves): ALPHA 3.5, BETA 1.5, the others 1; total 8 = the families naming anyone.
    Shares s = x / 8: 0.4375, 0.1875, 0.125 × 3.

    * CR4 = (3.5 + 1.5 + 1 + 1) / 8 = 0.875; CR8 = 1.
    * HHI = (3.5² + 1.5² + 3 × 1²) / 8² = 17.5 / 64 = 0.2734375 (2,734.375 points).
    * Gini, counts ascending 1, 1, 1, 1.5, 3.5 (n = 5, Σ = 8): 2 Σ i·x_i / (n Σ) − (n + 1) / n
      = 2 × 29.5 / 40 − 6 / 5 = 11 / 40 = 0.275 (check: Σ_i<j |x_i − x_j| = 3 × 0.5 + 3 × 2.5 + 2 = 11,
      twice that over 2 n Σ = 22 / 80).
    * Period 2015–2019 (F6, F1, F2): ALPHA 1.5, BETA 1.5 → CR4 1, HHI 0.5, Gini 0.
      Period 2020–2024 (F3, F4, F5, F9; F8 names nobody): four holders of 1 → HHI 0.25, Gini 0; truncated.
    """
    alpha, beta = _a("ALPHA"), _a("BETA", "university")
    return [
        _pub("CN101000001A", 2018, [_a("Alpha Corp."), beta], "F1"),
        _pub("US10200002B2", 2018, [alpha, beta, _a("Li Wei", "individual", "inventor")], "F1"),
        _pub("US10300003B2", 2019, [_a("Alpha Corp."), _a("ALPHA CORPORATION")]),
        _pub("US10400004B2", 2020, [alpha]),
        _pub("US10500005B2", 2021, [_a("GAMMA", "institute", "assignee"), _a("Ann Lee", "individual", "inventor")]),
        _pub("US10600006B2", 2021, [_a("DELTA", "individual"), _a("ZETA", "company", "assignee")]),
        _pub("EP1070007A1", 2016, [beta]),
        _pub("WO2019000108A1", None, [_a("ALPHA", "unknown")]),
        _pub("JP2020000109A", 2020, []),
        _pub("CN110000010A", 2022, [_a("EPSILON", "government")]),
    ]


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("players") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(_hand_written())], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def hand_engine(hand_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", hand_corpus) as eng:
        yield eng


ALPHA = Applicant("ALPHA", "company", 5, 4, 4 / 9, 3.5, 3.5 / 8, 2018, 2020, 1, 2, "falling")
BETA = Applicant("BETA", "university", 3, 2, 2 / 9, 1.5, 1.5 / 8, 2016, 2018, 0, 1, "falling")
DELTA = Applicant("DELTA", "individual", 1, 1, 1 / 9, 1.0, 1 / 8, 2021, 2021, 1, 0, "rising")
EPSILON = Applicant("EPSILON", "government", 1, 1, 1 / 9, 1.0, 1 / 8, 2022, 2022, 0, 0, "flat")  # 2022: in no window
GAMMA = Applicant("GAMMA", "institute", 1, 1, 1 / 9, 1.0, 1 / 8, 2021, 2021, 1, 0, "rising")


def test_players_on_hand_written_corpus(hand_engine: Engine) -> None:
    result = players(hand_engine, top=3, as_of=AS_OF, window=WINDOW)
    assert (result.documents, result.families, result.families_with_applicant, result.applicants) == (10, 9, 8, 5)
    assert (result.recent_window, result.previous_window) == ((2020, 2021), (2018, 2019))
    assert result.top == (ALPHA, BETA, DELTA)
    assert result.new_entrants == (DELTA, EPSILON, GAMMA)
    assert result.new_entrant_count == 3
    assert result.concentration == Concentration(5, 8.0, 0.875, 1.0, 0.2734375, 0.275)
    assert result.concentration.hhi_points == 2734.375
    assert result.by_period == (
        PeriodConcentration(2015, 2019, False, Concentration(2, 3.0, 1.0, 1.0, 0.5, 0.0)),
        PeriodConcentration(2020, 2024, True, Concentration(4, 4.0, 1.0, 1.0, 0.25, 0.0)),
    )
    # F1's two documents both name ALPHA and BETA; US106's assignee ZETA is not an applicant
    assert result.co_applicants == (CoApplicantEdge("ALPHA", "BETA", 2, 1),)
    assert co_applicants(hand_engine, min_documents=3) == ()
    everyone = players(hand_engine, top=10, as_of=AS_OF, window=WINDOW)
    assert everyone.top == (ALPHA, BETA, DELTA, EPSILON, GAMMA)
    assert sum(a.market_share for a in everyone.top) == pytest.approx(1.0)


def test_patent_set_restricts_players(hand_engine: Engine) -> None:
    everything = PatentSet.of([p.publication_number for p in _hand_written()], label="all")
    assert players(hand_engine, everything, as_of=AS_OF) == players(hand_engine, as_of=AS_OF)
    f1 = players(hand_engine, PatentSet.of(["US10200002B2"]), as_of=AS_OF)
    assert [(a.name, a.documents, a.families, a.market_share) for a in f1.top] == [
        ("ALPHA", 1, 1, 0.5),
        ("BETA", 1, 1, 0.5),
    ]
    assert (f1.documents, f1.families, f1.concentration.hhi) == (1, 1, 0.5)


def test_period_of_and_arguments(hand_engine: Engine) -> None:
    assert (period_of(2019, 5), period_of(2020, 5), period_of(2021, 10)) == ((2015, 2019), (2020, 2024), (2020, 2029))
    with pytest.raises(ValueError, match="window"):
        players(hand_engine, window=0, as_of=AS_OF)


# -- real data ------------------------------------------------------------------------------------------------

REAL_AS_OF = dt.date(2018, 6, 30)


def _neural_set(engine: Engine) -> PatentSet:
    rows = engine.rows("SELECT publication_number, title FROM publications")
    numbers = [n for n, title in rows if title and "neural" in title.lower()]
    return PatentSet.of(numbers, label="neural networks", origin="title contains 'neural'", normalize=False)


@pytest.fixture(scope="module")
def real_engine(real_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", real_corpus) as eng:
        yield eng


def test_real_neural_network_players(real_engine: Engine) -> None:
    result = players(real_engine, _neural_set(real_engine), top=10, as_of=REAL_AS_OF)
    names = [a.name for a in result.top]
    # IBM leads the neural-network patents of the Google Patents and USPTO data; Microsoft and Google follow
    assert names[0] == "INTERNATIONAL BUSINESS MACHINES"
    assert {"MICROSOFT", "GOOGLE"} <= set(names)
    assert result.top[0].kind == "company"
    assert sum(a.family_share for a in result.top) <= 1
    assert 0 < sum(a.market_share for a in result.top) <= 1
    assert list(result.top) == sorted(result.top, key=lambda a: (-a.families, -a.documents, a.name))
    for a in result.top:
        assert a.first_year is None or a.last_year is None or a.first_year <= a.last_year
        assert a.families <= a.documents and a.fractional_families <= a.families
    google = next(a for a in result.top if a.name == "GOOGLE")
    assert google.previous == 0 and google.recent > 0 and google.trend == "rising"
    assert google in result.new_entrants  # Google's first neural-network family here is from 2012
    c = result.concentration
    assert 0 < c.cr4 <= c.cr8 <= 1 and 1 / c.holders <= c.hhi < 0.05 and 0 <= c.gini < 1
    periods = [(p.first_year, p.last_year) for p in result.by_period]
    assert periods == sorted(periods) and all(last - first == 4 for first, last in periods)
    assert result.co_applicants and all(e.source < e.target for e in result.co_applicants)


@pytest.mark.spark
def test_spark_matches_duckdb(
    spark_session: Any, real_corpus: Path, real_engine: Engine, hand_corpus: Path, hand_engine: Engine
) -> None:
    neural = _neural_set(real_engine)
    expected_real = players(real_engine, neural, top=50, as_of=REAL_AS_OF)
    expected_hand = players(hand_engine, as_of=AS_OF, window=WINDOW)
    started = time.perf_counter()
    with get_engine("spark", real_corpus) as spark:
        assert players(spark, neural, top=50, as_of=REAL_AS_OF) == expected_real
    with get_engine("spark", hand_corpus) as spark:
        assert players(spark, as_of=AS_OF, window=WINDOW) == expected_hand
    print(f"spark: players of two sets in {time.perf_counter() - started:.1f}s")

"""Talent: answers worked by hand on a hand-written corpus, properties on real data, DuckDB == Spark."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from patnav.analysis.patent_set import PatentSet
from patnav.analysis.talent import (
    CoInventorEdge,
    Inventor,
    MobileInventor,
    Move,
    Team,
    co_inventor_edges,
    key_inventors,
    mobility,
    moves_of,
    talent,
    teams,
)
from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.model.numbers import parse_publication_number
from patnav.model.records import Party, Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)

ANN, BOB, CY, DAN, EVE, FAY, GUS, HAL = (
    "ANN LEE",
    "BOB CHEN",
    "CY DIAZ",
    "DAN EVANS",
    "EVE FOX",
    "FAY GOLD",
    "GUS HILL",
    "HAL ITO",
)


def _pub(number: str, family: str, prio: int, applicants: list[Party], inventors: list[str]) -> Publication:
    parsed = parse_publication_number(number)
    parties = applicants + [Party("inventor", name, kind="individual") for name in inventors]
    return Publication(
        number,
        parsed.country,
        parsed.number,
        parsed.kind,
        family_id=family,
        priority_date=dt.date(prio, 3, 1),
        publication_date=dt.date(prio + 2, 1, 1),
        parties=[Party(p.role, p.name, kind=p.kind, sequence=i) for i, p in enumerate(parties)],
    )


def _org(name: str) -> Party:
    return Party("applicant", name, kind="company")


def _hand_written() -> list[Publication]:
    """Not real patents or people: 13 documents in 12 families, chosen so every figure can be worked by hand.

    ======  ==============  ====  ===========================  ==========================================
    family  documents       prio  applicants                   inventors
    ======  ==============  ====  ===========================  ==========================================
    F0      US0             2009  ALPHA                        Bob, Cy
    F1      CN1, US1        2010  ALPHA ("Alpha Corp." / CN)   Ann (written "ann  lee." on CN1), Bob, Cy
    F2      US2             2011  ALPHA                        Ann, Bob
    F3      US3             2012  ALPHA + OMEGA                Bob, Cy
    F4      US4             2013  BETA ("Beta Inc.")           Ann, Dan
    F5      US5             2012  GAMMA                        Eve, Fay, Gus
    F6      US6             2013  GAMMA                        Eve, Fay
    F7      US7             2014  GAMMA                        Fay, Gus
    F8      US8             2014  DELTA                        Hal
    F9      US9             2015  BETA                         Dan, Eve
    F10     US10            2016  BETA + Ann Lee (individual)  Ann, Dan
    F11     US11            2016  ALPHA                        nobody
    ======  ==============  ====  ===========================  ==========================================

    Key inventors (families, documents): Ann 4, 5 (F1 has two documents); Bob 4, 5; Cy 3, 4; Dan, Eve, Fay 3, 3;
    Gus 2, 2; Hal 1, 1 — in that order (ties by name). Shares over 12 families. Ann's organisations: ALPHA (F1,
    F2) and BETA (F4, F10), 2 each; the individual applicant "Ann Lee" on F10 counts only with
    ``include_individuals``. Ann's co-inventors: Bob, Cy, Dan.

    Co-inventor network (shared families): Bob–Cy 3 (F0 F1 F3); Ann–Bob 2, Ann–Dan 2, Eve–Fay 2, Fay–Gus 2;
    Ann–Cy 1, Dan–Eve 1, Eve–Gus 1. Total weight m = 14. Hal has no co-inventor.

    Teams (modularity Q = Σ_c [L_c / m − (d_c / 2m)²], L_c the weight inside c, d_c its weighted degree):

    * {Ann, Bob, Cy, Dan} | {Eve, Fay, Gus}: L = 8 and 5, d = 17 and 11:
      Q = 13/14 − (17² + 11²)/28² = 728/784 − 410/784 = 318/784 ≈ 0.406.
    * Dan with the second group instead: L = 6 and 6, d = 14 and 14: Q = 672/784 − 392/784 = 280/784.
    * {Ann, Dan} | {Bob, Cy} | {Eve, Fay, Gus}: L = 10, d = 8, 9, 11: Q = 560/784 − 266/784 = 294/784.

    The first split is best. Team 1: Ann, Bob (4 families each), Cy, Dan (3); families F0–F4, F9, F10 = 7;
    main applicant ALPHA (F0–F3, 4 against BETA's 3); years 2009–2016; internal weight 3+2+2+1 = 8.
    Team 2: Eve, Fay (3), Gus (2); families F5, F6, F7, F9 = 4; GAMMA 3; 2012–2015; internal weight 5.

    Mobility (organisations, by priority year):

    * Ann: 2010 {ALPHA}, 2011 {ALPHA}, 2013 {BETA}, 2016 {BETA}: one move ALPHA → BETA in 2013 (from 2011).
    * Eve: 2012 {GAMMA}, 2013 {GAMMA}, 2015 {BETA}: one move GAMMA → BETA in 2015 (from 2013).
    * Bob and Cy: 2012 {ALPHA, OMEGA} after {ALPHA}: a co-applicant joining is no move. Dan: BETA only.

    Forward citations (the indicators table below): Ann's documents CN1 2, US1 4, US2 0, US4 null, US10 absent
    → 3 valued, mean 2; Bob adds US3 6 → 4 valued, mean 3; Cy: 2, 4, 6 → mean 4; Dan: none valued.
    """
    alpha, beta, gamma = _org("ALPHA"), _org("Beta Inc."), _org("GAMMA")
    return [
        _pub("US10000000B2", "F0", 2009, [alpha], ["Bob Chen", "Cy Diaz"]),
        _pub("CN101000001A", "F1", 2010, [_org("Alpha Corp.")], ["ann  lee.", "Bob Chen", "Cy Diaz"]),
        _pub("US10100001B2", "F1", 2010, [alpha], ["Ann Lee", "Bob Chen", "Cy Diaz"]),
        _pub("US10200002B2", "F2", 2011, [alpha], ["Ann Lee", "Bob Chen"]),
        _pub("US10300003B2", "F3", 2012, [alpha, _org("Omega GmbH")], ["Bob Chen", "Cy Diaz"]),
        _pub("US10400004B2", "F4", 2013, [beta], ["Ann Lee", "Dan Evans"]),
        _pub("US10500005B2", "F5", 2012, [gamma], ["Eve Fox", "Fay Gold", "Gus Hill"]),
        _pub("US10600006B2", "F6", 2013, [gamma], ["Eve Fox", "Fay Gold"]),
        _pub("US10700007B2", "F7", 2014, [gamma], ["Fay Gold", "Gus Hill"]),
        _pub("US10800008B2", "F8", 2014, [_org("DELTA")], ["Hal Ito"]),
        _pub("US10900009B2", "F9", 2015, [beta], ["Dan Evans", "Eve Fox"]),
        _pub(
            "US11000010B2",
            "F10",
            2016,
            [beta, Party("applicant", "Ann Lee", kind="individual")],
            ["Ann Lee", "Dan Evans"],
        ),
        _pub("US11100011B2", "F11", 2016, [alpha], []),
    ]


#: an indicators run table as :func:`patnav.indicators.compute.compute_indicators` makes it (the columns used)
INDICATORS = pa.table(
    {
        "publication_number": ["CN101000001A", "US10100001B2", "US10200002B2", "US10300003B2", "US10400004B2", "X1"],
        "fwd_cits5": pa.array([2, 4, 0, 6, None, 9], pa.int64()),
        "quality": pa.array([0.5, float("nan"), 0.25, None, 1.0, 1.0], pa.float64()),
    }
)


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("talent") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(_hand_written())], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def hand_engine(hand_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", hand_corpus) as eng:
        yield eng


def _inv(name: str, docs: int, fams: int, first: int, last: int, apps: tuple[str, ...], co: int) -> Inventor:
    return Inventor(name, docs, fams, fams / 12, first, last, apps, co, None, None)


INVENTORS = (
    _inv(ANN, 5, 4, 2010, 2016, ("ALPHA", "BETA"), 3),
    _inv(BOB, 5, 4, 2009, 2012, ("ALPHA", "OMEGA"), 2),
    _inv(CY, 4, 3, 2009, 2012, ("ALPHA", "OMEGA"), 2),
    _inv(DAN, 3, 3, 2013, 2016, ("BETA",), 2),
    _inv(EVE, 3, 3, 2012, 2015, ("GAMMA", "BETA"), 3),
    _inv(FAY, 3, 3, 2012, 2014, ("GAMMA",), 2),
    _inv(GUS, 2, 2, 2012, 2014, ("GAMMA",), 2),
    _inv(HAL, 1, 1, 2014, 2014, ("DELTA",), 0),
)

EDGES = (
    CoInventorEdge(BOB, CY, 3),
    CoInventorEdge(ANN, BOB, 2),
    CoInventorEdge(ANN, DAN, 2),
    CoInventorEdge(EVE, FAY, 2),
    CoInventorEdge(FAY, GUS, 2),
    CoInventorEdge(ANN, CY, 1),
    CoInventorEdge(DAN, EVE, 1),
    CoInventorEdge(EVE, GUS, 1),
)

TEAMS = (
    Team(1, (ANN, BOB, CY, DAN), 4, 7, "ALPHA", 4, 2009, 2016, 8),
    Team(2, (EVE, FAY, GUS), 3, 4, "GAMMA", 3, 2012, 2015, 5),
)

MOBILE = (
    MobileInventor(
        ANN,
        ((2010, ("ALPHA",)), (2011, ("ALPHA",)), (2013, ("BETA",)), (2016, ("BETA",))),
        (Move(ANN, "ALPHA", "BETA", 2011, 2013),),
    ),
    MobileInventor(
        EVE, ((2012, ("GAMMA",)), (2013, ("GAMMA",)), (2015, ("BETA",))), (Move(EVE, "GAMMA", "BETA", 2013, 2015),)
    ),
)


def test_key_inventors(hand_engine: Engine) -> None:
    assert key_inventors(hand_engine, top=10) == INVENTORS
    assert key_inventors(hand_engine, top=2) == INVENTORS[:2]
    with_values = key_inventors(hand_engine, top=4, indicators=INDICATORS)
    assert [(i.valued_documents, i.mean_value) for i in with_values] == [(3, 2.0), (4, 3.0), (3, 4.0), (0, None)]
    floats = key_inventors(hand_engine, top=1, indicators=INDICATORS, value_column="quality")
    # CN1 0.5, US2 0.25, US4 1.0; US1's NaN is no value
    assert (floats[0].valued_documents, floats[0].mean_value) == (3, 1.75 / 3)
    people = key_inventors(hand_engine, top=4, include_individuals=True)
    assert people[0].applicants == ("ALPHA", "BETA", "ANN LEE") and people[3].applicants == ("BETA", "ANN LEE")
    subset = key_inventors(hand_engine, PatentSet.of(["US10400004B2", "US10900009B2"]))
    assert [(i.name, i.families, i.family_share) for i in subset] == [(DAN, 2, 1.0), (ANN, 1, 0.5), (EVE, 1, 0.5)]
    with pytest.raises(ValueError, match="columns"):
        key_inventors(hand_engine, indicators=INDICATORS, value_column="missing")
    with pytest.raises(ValueError, match="basis"):
        key_inventors(hand_engine, basis="nonsense")  # type: ignore[arg-type]


def test_teams(hand_engine: Engine) -> None:
    assert co_inventor_edges(hand_engine) == EDGES
    assert co_inventor_edges(hand_engine, min_shared_families=3) == (CoInventorEdge(BOB, CY, 3),)
    result = teams(hand_engine)
    assert result.edges == EDGES
    assert result.teams == TEAMS and result.team_count == 2
    assert result.inventors_in_network == 7  # Hal has no co-inventor
    assert Fraction(result.modularity).limit_denominator(1000) == Fraction(318, 784)
    assert teams(hand_engine, top=1).teams == TEAMS[:1]
    assert teams(hand_engine, min_size=4).teams == TEAMS[:1]
    assert teams(hand_engine, PatentSet.of(["US10800008B2"])).teams == ()


def test_mobility(hand_engine: Engine) -> None:
    assert mobility(hand_engine) == MOBILE
    people = mobility(hand_engine, include_individuals=True)
    assert [m.moves for m in people] == [m.moves for m in MOBILE]  # "Ann Lee" joining BETA in 2016 is no move
    assert people[0].history[-1] == (2016, ("ANN LEE", "BETA"))
    assert mobility(hand_engine, top=1) == MOBILE[:1]
    # alternation is reported both ways; a co-applicant joining or leaving is not a move
    history = [(2001, {"A"}), (2002, {"B"}), (2003, {"A"}), (2004, {"A", "C"}), (2005, {"C"})]
    assert moves_of("X", history) == [Move("X", "A", "B", 2001, 2002), Move("X", "B", "A", 2002, 2003)]


def test_talent_bundle(hand_engine: Engine) -> None:
    result = talent(hand_engine, top=3, indicators=INDICATORS)
    assert (result.documents, result.families, result.families_with_inventor, result.inventors) == (13, 12, 11, 8)
    assert [i.name for i in result.top] == [ANN, BOB, CY] and result.value_column == "fwd_cits5"
    assert result.top[0].mean_value == 2.0
    assert result.teams.teams == TEAMS and result.mobile == MOBILE
    assert result.moves == (Move(ANN, "ALPHA", "BETA", 2011, 2013), Move(EVE, "GAMMA", "BETA", 2013, 2015))
    assert talent(hand_engine, PatentSet.of(["US11100011B2"])).top == ()  # a family without inventors


# -- real data ------------------------------------------------------------------------------------------------


def _neural_set(engine: Engine) -> PatentSet:
    rows = engine.rows("SELECT publication_number, title FROM publications")
    numbers = [n for n, title in rows if title and "neural" in title.lower()]
    return PatentSet.of(numbers, label="neural networks", origin="title contains 'neural'", normalize=False)


@pytest.fixture(scope="module")
def real_engine(real_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", real_corpus) as eng:
        yield eng


PERSON = re.compile(r"[A-Z][A-Z'-]*( [A-Z][A-Z'-]*)+")
NOT_A_PERSON = re.compile(r"\b(INC|CORP|CORPORATION|LTD|LLC|COMPANY|UNIVERSITY|GMBH|MACHINES)\b")


def test_real_neural_network_inventors(real_engine: Engine) -> None:
    result = talent(real_engine, _neural_set(real_engine), top=10, top_teams=5)
    names = [i.name for i in result.top]
    # Microsoft's speech-recognition researchers lead the neural-network families of this corpus
    assert names[:2] == ["DONG YU", "LI DENG"]
    for i in result.top:  # real personal names, not companies
        assert PERSON.fullmatch(i.name) and not NOT_A_PERSON.search(i.name), i.name
        assert i.families <= i.documents and 0 < i.family_share < 0.05
        assert i.first_year is not None and i.last_year is not None and i.first_year <= i.last_year
    assert result.top[0].applicants == ("MICROSOFT",) and result.top[0].co_inventors > 5
    assert list(result.top) == sorted(result.top, key=lambda i: (-i.families, -i.documents, i.name))
    first_team = next(t for t in result.teams.teams if "DONG YU" in t.members)
    assert "LI DENG" in first_team.members and first_team.main_applicant == "MICROSOFT"
    assert [t.rank for t in result.teams.teams] == list(range(1, len(result.teams.teams) + 1))
    assert all(t.size >= 2 and t.main_applicant_families <= t.families for t in result.teams.teams)
    assert 0 < result.teams.modularity <= 1
    for m in result.moves:
        assert m.from_applicant != m.to_applicant and m.from_year < m.year


@pytest.mark.spark
def test_spark_matches_duckdb(
    spark_session: Any, real_corpus: Path, real_engine: Engine, hand_corpus: Path, hand_engine: Engine
) -> None:
    neural = _neural_set(real_engine)
    expected_real = talent(real_engine, neural, top=30)
    expected_hand = talent(hand_engine, indicators=INDICATORS)
    started = time.perf_counter()
    with get_engine("spark", hand_corpus) as spark:
        assert talent(spark, indicators=INDICATORS) == expected_hand
    with get_engine("spark", real_corpus) as spark:
        assert talent(spark, neural, top=30) == expected_real
    print(f"spark: talent of two sets in {time.perf_counter() - started:.1f}s")

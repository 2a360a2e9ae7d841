"""Geography: exact answers on a hand-written corpus, DuckDB == Spark and sanity on real data."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patnav.analysis.geography import CountryCount, Flow, OverseasLayout, geography
from patnav.analysis.patent_set import PatentSet, PatentSetSize, patent_set_size
from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.model.numbers import parse_publication_number
from patnav.model.records import Party, Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _pub(number: str, parties: list[tuple[str, str | None]], family: str | None = None) -> Publication:
    parsed = parse_publication_number(number)
    return Publication(
        number,
        parsed.country,
        parsed.number,
        parsed.kind,
        family_id=family,
        publication_date=dt.date(2020, 1, 1),
        parties=[Party("applicant", n, country=c, kind="company", sequence=i) for i, (n, c) in enumerate(parties)],
    )


def _hand_written() -> list[Publication]:
    """Not real patents: eight documents in six families.

    =========  ======  ==========================================  =========================================
    document   family  applicants (country)                        why
    =========  ======  ==========================================  =========================================
    CN201      F1      ALPHA (CN)                                  home filing
    US202      F1      ALPHA (none recorded)                       family-level flow CN → US, no doc flow
    US203      own     BETA (US)                                   domestic only
    US204      own     GAMMA (JP), DELTA (US)                      co-applicants from two countries
    EP205      F2      GAMMA (JP)                                  regional office counts as foreign
    WO206      F2      –                                           a member with no parties
    CN207      own     EPSILON (none recorded)                     no applicant country at all
    KR208      own     –                                           no parties
    =========  ======  ==========================================  =========================================

    Offices: US 3 documents / 3 families (F1, US203, US204), CN 2 / 2, EP, KR, WO 1 / 1 each; 8 documents and 6
    families in all (family shares add up to 8/6: F1 and F2 each sit at two offices).
    Applicant countries (of 4 documents and 4 families that name one): JP 2 / 2 (US204, EP205 = F2),
    US 2 / 2 (US203, US204), CN 1 / 1.
    Flows (documents, families): US→US (2, 2); CN→CN (1, 1); JP→EP (1, 1); JP→US (1, 1); CN→US (0, 1);
    JP→WO (0, 1).
    Overseas: JP 2 families, both abroad (US, EP, WO: 3 offices); US 2 families, none abroad; CN 1 family
    (F1), abroad through US202.
    """
    return [
        _pub("CN201000001A", [("ALPHA", "CN")], "F1"),
        _pub("US20200002B2", [("ALPHA", None)], "F1"),
        _pub("US20300003B2", [("BETA", "US")]),
        _pub("US20400004B2", [("GAMMA", "JP"), ("DELTA", "us")]),
        _pub("EP2050005A1", [("GAMMA", "JP")], "F2"),
        _pub("WO2019000206A1", [], "F2"),
        _pub("CN207000007A", [("EPSILON", None)]),
        _pub("KR1020200000208A", []),
    ]


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("geography") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(_hand_written())], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def hand_engine(hand_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", hand_corpus) as eng:
        yield eng


def test_geography_on_hand_written_corpus(hand_engine: Engine) -> None:
    result = geography(hand_engine)
    assert (result.documents, result.families) == (8, 6)
    assert result.offices == (
        CountryCount("US", 3, 3, 3 / 8, 3 / 6),
        CountryCount("CN", 2, 2, 2 / 8, 2 / 6),
        CountryCount("EP", 1, 1, 1 / 8, 1 / 6),
        CountryCount("KR", 1, 1, 1 / 8, 1 / 6),
        CountryCount("WO", 1, 1, 1 / 8, 1 / 6),
    )
    assert (result.with_applicant_country_documents, result.with_applicant_country_families) == (4, 4)
    assert result.applicant_countries == (
        CountryCount("JP", 2, 2, 2 / 4, 2 / 4),
        CountryCount("US", 2, 2, 2 / 4, 2 / 4),
        CountryCount("CN", 1, 1, 1 / 4, 1 / 4),
    )
    assert result.flows == (
        Flow("US", "US", 2, 2),
        Flow("CN", "CN", 1, 1),
        Flow("JP", "EP", 1, 1),
        Flow("JP", "US", 1, 1),
        Flow("CN", "US", 0, 1),
        Flow("JP", "WO", 0, 1),
    )
    assert result.overseas == (
        OverseasLayout("JP", 2, 2, 1.0, 3),
        OverseasLayout("US", 2, 0, 0.0, 0),
        OverseasLayout("CN", 1, 1, 1.0, 1),
    )


def test_patent_set_restricts_geography(hand_engine: Engine) -> None:
    everything = PatentSet.of([p.publication_number for p in _hand_written()], label="all")
    assert geography(hand_engine, everything) == geography(hand_engine)
    # without US202, F1 has no member outside China any more
    home = geography(hand_engine, PatentSet.of(["CN201000001A", "CN207000007A"]))
    assert home.offices == (CountryCount("CN", 2, 2, 1.0, 1.0),)
    assert home.flows == (Flow("CN", "CN", 1, 1),)
    assert home.overseas == (OverseasLayout("CN", 1, 0, 0.0, 0),)
    empty = geography(hand_engine, PatentSet.of([], label="nothing"))
    assert (empty.documents, empty.offices, empty.applicant_countries, empty.flows) == (0, (), (), ())


# -- real data ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_engine(real_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", real_corpus) as eng:
        yield eng


def test_real_corpus_geography(real_engine: Engine) -> None:
    result = geography(real_engine)
    # the real data is mostly US grants (PatentsView, USPTO XML), then the CN rows of the Google Patents exports
    assert [c.country for c in result.offices[:2]] == ["US", "CN"]
    assert sum(c.documents for c in result.offices) == result.documents
    assert sum(c.document_share for c in result.offices) == pytest.approx(1.0)
    assert all(0 < c.family_share <= 1 for c in result.offices)
    # applicant countries come from the USPTO XML (inventor-applicants with their country) and EPO records
    assert result.applicant_countries[0].country == "US"
    assert 0 < result.with_applicant_country_families < result.families
    assert {c.country for c in result.applicant_countries} >= {"US", "JP", "DE"}
    for layout in result.overseas:
        assert 0 <= layout.families_abroad <= layout.families and 0.0 <= layout.share_abroad <= 1.0
    # Japanese and German applicants in a US-grant corpus file abroad by construction
    by_country = {o.country: o for o in result.overseas}
    assert by_country["JP"].share_abroad == 1.0 and by_country["US"].share_abroad < 0.5
    # every document naming an applicant country sits at one office: the flows of a country add up to it
    for country in result.applicant_countries:
        flows = [f for f in result.flows if f.applicant_country == country.country]
        assert sum(f.documents for f in flows) == country.documents
        assert sum(f.families for f in flows) >= country.families


@pytest.mark.spark
def test_spark_matches_duckdb(
    spark_session: Any, real_corpus: Path, real_engine: Engine, hand_corpus: Path, hand_engine: Engine
) -> None:
    expected_real = geography(real_engine)
    expected_hand = geography(hand_engine)
    started = time.perf_counter()
    with get_engine("spark", real_corpus) as spark:
        assert geography(spark) == expected_real
    with get_engine("spark", hand_corpus) as spark:
        assert geography(spark) == expected_hand
        assert patent_set_size(spark, PatentSet.of([])) == PatentSetSize(0, 0, 0)  # an empty set registers too
    print(f"spark: geography of two corpora in {time.perf_counter() - started:.1f}s")

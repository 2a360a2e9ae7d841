"""Corpus statistics: exact expected results on a hand-written corpus, and DuckDB == Spark on real data."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.engine.stats import BY_VALUES, CorpusTotals, StatsResult, StatsRow, corpus_stats
from patnav.model.records import Citation, Classification, LegalEvent, Party, Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


# -- a hand-written corpus with known answers ------------------------------------------------------------------


def _pub(number: str, country: str, kind: str | None, year: int | None, **kw: Any) -> Publication:
    date = dt.date(year, 6, 1) if year else None
    return Publication(number, country, number[2:-2], kind, publication_date=date, **kw)


def _hand_written() -> list[Publication]:
    """Not real patents: each record exercises one rule of ``corpus_stats``."""
    return [
        # applicant wins over assignee; harmonisation groups two spellings; main IPC flagged second
        _pub(
            "CN100000001A",
            "CN",
            "A",
            2021,
            family_id="F1",
            parties=[
                Party("applicant", "华为技术有限公司"),
                Party("assignee", "Someone Else Ltd", sequence=1),
                Party("inventor", "Li Wei", sequence=2),
            ],
            classifications=[
                Classification("IPC", "G06F 17/16"),
                Classification("IPC", "G06N 3/08", is_main=True, sequence=1),
            ],
            citations=[Citation(False, cited_number="US9999999B2"), Citation(True, npl_text="a paper")],
        ),
        _pub(
            "EP100000002A1",
            "EP",
            "A1",
            2021,
            family_id="F1",
            parties=[Party("applicant", "Huawei Technologies Co., Ltd.")],
            classifications=[Classification("IPC", "G06N 3/04"), Classification("IPC", "H04L 9/40", sequence=1)],
        ),
        # no applicant: the assignee counts; no main flag: the first IPC counts
        _pub(
            "US100000003B2",
            "US",
            "B2",
            2019,
            parties=[Party("assignee", "Acme Corp.")],
            classifications=[Classification("IPC", "H04L 9/40"), Classification("IPC", "G06N 3/08", sequence=1)],
        ),
        # nothing but a number and a country: missing in every other dimension
        _pub("JP100000004U", "JP", None, None, doc_type="utility_model"),
    ]


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stats") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    items = [Positioned(p, str(i), 1) for i, p in enumerate(_hand_written())]
    items.append(Positioned(LegalEvent("CN100000001A", dt.date(2022, 1, 1), "CN", "C14"), "e", 1))
    with Corpus(path) as corpus:
        corpus.write_batch(items, prov)
        corpus.quarantine([{"position": "9", "field": "date", "reason": "bad date", "raw": None}], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest, hand_corpus: Path) -> Iterator[Engine]:
    if request.param == "spark":
        request.getfixturevalue("spark_session")
    with get_engine(request.param, hand_corpus) as eng:
        yield eng


TOTALS = CorpusTotals(publications=4, families=3, parties=4, citations=2, legal_events=1, transactions=0, quarantined=1)


def _rows(*pairs: tuple[str, int]) -> tuple[StatsRow, ...]:
    return tuple(StatsRow(k, n, n / 4) for k, n in pairs)


EXPECTED: dict[str | None, StatsResult] = {
    None: StatsResult(None, TOTALS),
    "country": StatsResult("country", TOTALS, _rows(("CN", 1), ("EP", 1), ("JP", 1), ("US", 1)), keys=4),
    "year": StatsResult("year", TOTALS, _rows(("2021", 2), ("2019", 1)), keys=2, missing=1),
    "kind": StatsResult("kind", TOTALS, _rows(("A", 1), ("A1", 1), ("B2", 1)), keys=3, missing=1),
    "doc_type": StatsResult("doc_type", TOTALS, _rows(("invention", 3), ("utility_model", 1)), keys=2),
    "applicant": StatsResult("applicant", TOTALS, (), keys=2, missing=1),  # keys filled in by the test
    "ipc": StatsResult("ipc", TOTALS, _rows(("G06N 3/04", 1), ("G06N 3/08", 1), ("H04L 9/40", 1)), keys=3, missing=1),
    "ipc_subclass": StatsResult("ipc_subclass", TOTALS, _rows(("G06N", 2), ("H04L", 1)), keys=2, missing=1),
    "source": StatsResult("source", TOTALS, _rows(("test-reader", 4)), keys=1),
}


@pytest.mark.parametrize("by", [None, *BY_VALUES])
def test_stats_on_hand_written_corpus(engine: Engine, by: Any) -> None:
    expected = EXPECTED[by]
    if by == "applicant":  # the key is whatever the ingest layer's harmoniser made of the names
        (huawei, acme) = (
            engine.rows("SELECT DISTINCT name_harmonized FROM parties WHERE name = :n", {"n": n})[0][0]
            for n in ("华为技术有限公司", "Acme Corp.")
        )
        same = engine.rows(
            "SELECT count(DISTINCT name_harmonized) FROM parties WHERE name IN (:a, :b)",
            {"a": "华为技术有限公司", "b": "Huawei Technologies Co., Ltd."},
        )
        assert same == [(1,)], "the harmoniser no longer groups the two Huawei spellings"
        expected = StatsResult("applicant", TOTALS, _rows((huawei, 2), (acme, 1)), keys=2, missing=1)
    assert corpus_stats(engine, by) == expected


def test_top_truncates_rows_but_not_keys(engine: Engine) -> None:
    result = corpus_stats(engine, "country", top=2)
    assert result.rows == _rows(("CN", 1), ("EP", 1))
    assert (result.keys, result.missing) == (4, 0)
    empty = corpus_stats(engine, "year", top=0)
    assert (empty.rows, empty.keys, empty.missing) == ((), 2, 1)


def test_rejects_unknown_dimension(hand_corpus: Path) -> None:
    with get_engine("duckdb", hand_corpus) as eng, pytest.raises(ValueError, match="country, year"):
        corpus_stats(eng, "colour")  # type: ignore[arg-type]


# -- real data: every dimension, DuckDB and Spark give identical results -------------------------------------------


def _all_stats(engine: Engine) -> dict[str | None, StatsResult]:
    return {by: corpus_stats(engine, by, top=1000) for by in (None, *BY_VALUES)}  # type: ignore[misc]


def _check_shape(results: dict[str | None, StatsResult]) -> None:
    """Every grouped result is ordered by count desc then key asc, and accounts for every publication."""
    total = results[None].totals.publications
    for by, result in results.items():
        if by is None:
            continue
        assert result.rows, f"no rows for {by}"
        assert list(result.rows) == sorted(result.rows, key=lambda r: (-r.publications, r.key))
        assert result.keys >= len(result.rows)
        assert 0 <= result.missing < total
        single_valued = by not in ("applicant",)
        if single_valued and result.keys == len(result.rows):
            assert sum(r.publications for r in result.rows) + result.missing == total, by


@pytest.fixture(scope="session")
def real_duckdb_stats(real_corpus: Path) -> dict[str | None, StatsResult]:
    with get_engine("duckdb", real_corpus) as eng:
        return _all_stats(eng)


def test_real_corpus_stats_are_consistent(real_duckdb_stats: dict[str | None, StatsResult]) -> None:
    totals = real_duckdb_stats[None].totals
    assert totals.publications > 5000
    assert min(totals.families, totals.parties, totals.citations, totals.transactions) > 0
    _check_shape(real_duckdb_stats)


def test_duckdb_database_and_parquet_mirror_agree(
    real_corpus: Path, real_duckdb_stats: dict[str | None, StatsResult]
) -> None:
    with get_engine("duckdb", real_corpus, source="parquet") as eng:
        assert _all_stats(eng) == real_duckdb_stats


@pytest.mark.spark
def test_spark_matches_duckdb_on_real_data(
    spark_session: Any, real_corpus: Path, real_duckdb_stats: dict[str | None, StatsResult]
) -> None:
    started = time.perf_counter()
    with get_engine("spark", real_corpus) as eng:
        spark_stats = _all_stats(eng)
    elapsed = time.perf_counter() - started
    for by in real_duckdb_stats:
        assert spark_stats[by] == real_duckdb_stats[by], f"engines differ grouping by {by}"
    print(f"spark: {len(spark_stats)} statistics in {elapsed:.1f}s")

"""Conformance suite of the Engine protocol, run against every engine (DuckDB always; Spark when it can run).

A new engine proves itself by passing this file: add it to ``ENGINES`` and to the ``engine`` fixture's params.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import ENGINES, Engine, EngineError, EngineUnavailableError, get_engine
from patnav.engine.base import placeholders, rewrite_placeholders
from patnav.model.records import (
    Citation,
    Classification,
    FamilyMember,
    LegalEvent,
    LocalizedText,
    Party,
    Publication,
    Transaction,
)
from patnav.model.schema import TABLES

LOADED = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _publications() -> list[Publication]:
    """Hand-written records (not real patents) covering nulls, non-ASCII text, nested lists and every child."""
    return [
        Publication(
            "CN112345678A",
            "CN",
            "112345678",
            "A",
            publication_date=dt.date(2021, 3, 2),
            family_id="F1",
            titles=[LocalizedText("zh", "一种神经网络训练方法"), LocalizedText("en", "Neural network training")],
            parties=[Party("applicant", "华为技术有限公司", "HUAWEI", "CN", "company")],
            classifications=[
                Classification("IPC", "G06N 3/08", is_main=True),
                Classification("IPC", "G06F 17/16", sequence=1),
            ],
            citations=[Citation(False, cited_number="US9999999B2"), Citation(True, npl_text="O'Brien \\ et al.")],
        ),
        Publication(
            "US10000001B2",
            "US",
            "10000001",
            "B2",
            publication_date=dt.date(2018, 6, 19),
            family_id="F1",
            parties=[Party("assignee", "Acme Corp.", "ACME", "US"), Party("inventor", "Jane Roe", sequence=1)],
            classifications=[Classification("IPC", "H04L 9/40")],
        ),
        Publication("JP2020123456A", "JP", "2020123456", "A", doc_type="utility_model", stage="application"),
    ]


def _build(path: Path) -> Path:
    prov = Provenance("hand-written fixture", "test", "1", LOADED)
    items: list[Positioned] = [Positioned(p, str(i), 1) for i, p in enumerate(_publications())]
    items += [
        Positioned(LegalEvent("CN112345678A", dt.date(2022, 1, 1), "CN", "C14", "grant"), "e1", 1),
        Positioned(FamilyMember("F1", "docdb", "CN112345678A"), "f1", 1),
        Positioned(
            Transaction("T1", "assignment", "ASSIGNS", dt.date(2019, 1, 1), None, ["Roe"], ["Acme"], ["US10000001B2"]),
            "t1",
            1,
        ),
    ]
    with Corpus(path) as corpus:
        corpus.write_batch(items, prov)
        corpus.quarantine([{"position": "9", "field": "date", "reason": "bad date", "raw": "x"}], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("engine") / "corpus")


@pytest.fixture(params=["duckdb", "duckdb-parquet", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest, small_corpus: Path) -> Iterator[Engine]:
    if request.param == "spark":
        request.getfixturevalue("spark_session")
        eng = get_engine("spark", small_corpus)
    elif request.param == "duckdb-parquet":
        eng = get_engine("duckdb", small_corpus, source="parquet")
    else:
        eng = get_engine("duckdb", small_corpus)
    yield eng
    eng.close()


# -- the contract ------------------------------------------------------------------------------------------------


def test_is_an_engine_with_its_registered_name(engine: Engine) -> None:
    assert isinstance(engine, Engine)
    assert engine.name in ENGINES


def test_sees_every_corpus_table(engine: Engine) -> None:
    assert engine.tables() == list(TABLES)
    union = " UNION ALL ".join(f"SELECT '{name}' AS t, count(*) AS n FROM {name}" for name in TABLES)
    counts = dict(engine.rows(union))
    assert counts == {
        "publications": 3,
        "parties": 3,
        "classifications": 3,
        "priorities": 0,
        "citations": 2,
        "families": 1,
        "legal_events": 1,
        "legal_event_codes": 0,
        "transactions": 1,
        "transaction_patents": 1,
        "quarantine": 1,
    }


def test_results_have_canonical_types(engine: Engine) -> None:
    table = engine.query(
        """SELECT publication_number, count(*) OVER () AS n, CAST(1 AS DOUBLE) / 4 AS ratio, publication_date,
                  loaded_at, titles, sum(claims_count) OVER () AS total_claims
           FROM publications ORDER BY publication_number LIMIT 1"""
    )
    assert table.schema == pa.schema(
        [
            ("publication_number", pa.string()),
            ("n", pa.int64()),
            ("ratio", pa.float64()),
            ("publication_date", pa.date32()),
            ("loaded_at", pa.timestamp("us", tz="UTC")),
            ("titles", pa.list_(pa.struct([("lang", pa.string()), ("text", pa.string())]))),
            ("total_claims", pa.int64()),
        ]
    )
    assert table.to_pylist() == [
        {
            "publication_number": "CN112345678A",
            "n": 3,
            "ratio": 0.25,
            "publication_date": dt.date(2021, 3, 2),
            "loaded_at": LOADED,
            "titles": [
                {"lang": "zh", "text": "一种神经网络训练方法"},
                {"lang": "en", "text": "Neural network training"},
            ],
            "total_claims": None,
        }
    ]


def test_portable_sql_subset_means_the_same_everywhere(engine: Engine) -> None:
    rows = engine.rows(
        """WITH main AS (
               SELECT publication_number, symbol,
                      row_number() OVER (PARTITION BY publication_number
                                         ORDER BY CASE WHEN is_main THEN 0 ELSE 1 END, sequence) AS rn
               FROM classifications WHERE scheme = 'IPC')
           SELECT p.publication_number, CAST(year(p.publication_date) AS STRING) AS y, substr(m.symbol, 1, 4) AS sub,
                  coalesce(nullif(trim(p.kind), ''), '?') AS kind, upper(p.country) AS c,
                  length(p.doc_number) AS len
           FROM publications p LEFT JOIN main m ON m.publication_number = p.publication_number AND m.rn = 1
           WHERE p.publication_number NOT IN (SELECT publication_number FROM legal_events WHERE code = 'X')
           ORDER BY y DESC NULLS LAST, p.publication_number"""
    )
    assert rows == [
        ("CN112345678A", "2021", "G06N", "A", "CN", 9),
        ("US10000001B2", "2018", "H04L", "B2", "US", 8),
        ("JP2020123456A", None, None, "A", "JP", 10),
    ]


def test_parameters_bind_values_verbatim(engine: Engine) -> None:
    tricky = "O'Brien \\ et al."
    assert engine.rows("SELECT count(*) FROM citations WHERE npl_text = :text", {"text": tricky}) == [(1,)]
    assert engine.rows("SELECT :a AS a, :b AS b", {"a": tricky, "b": 7}) == [(tricky, 7)]
    assert engine.rows("SELECT count(*) FROM parties WHERE name = :n", {"n": "华为技术有限公司"}) == [(1,)]


def test_missing_parameter_is_an_engine_error(engine: Engine) -> None:
    with pytest.raises(EngineError, match="not given: who"):
        engine.rows("SELECT count(*) FROM parties WHERE name = :who")


def test_bad_sql_is_an_engine_error(engine: Engine) -> None:
    with pytest.raises(EngineError):
        engine.rows("SELECT no_such_column FROM publications")


def test_never_writes(engine: Engine) -> None:
    for command in (
        "DELETE FROM publications",
        "COPY publications TO 'out.parquet'",
        "WITH p AS (SELECT * FROM publications) INSERT INTO publications SELECT * FROM p",
        "SELECT 1; DROP TABLE publications",
    ):
        with pytest.raises(EngineError, match="read-only query"):
            engine.rows(command)
    assert engine.rows("SELECT count(*) FROM publications") == [(3,)]


def test_empty_result_keeps_its_columns(engine: Engine) -> None:
    table = engine.query("SELECT publication_number, kind FROM publications WHERE country = 'XX'")
    assert table.num_rows == 0
    assert table.column_names == ["publication_number", "kind"]
    assert engine.rows("SELECT publication_number FROM publications WHERE country = 'XX'") == []


# -- the layer around the engines --------------------------------------------------------------------------------


def test_unknown_engine_names_the_known_ones(small_corpus: Path) -> None:
    with pytest.raises(ValueError, match="duckdb, spark"):
        get_engine("oracle", small_corpus)


def test_duckdb_needs_a_corpus(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailableError, match="no corpus database"):
        get_engine("duckdb", tmp_path)
    with pytest.raises(EngineUnavailableError, match="Parquet mirror"):
        get_engine("duckdb", tmp_path, source="parquet")


def test_duckdb_explains_a_corpus_held_open_for_writing(tmp_path: Path) -> None:
    with Corpus(tmp_path) as corpus:
        corpus.export_parquet()
        with pytest.raises(EngineUnavailableError, match="source='parquet'"):
            get_engine("duckdb", tmp_path)
        with get_engine("duckdb", tmp_path, source="parquet") as engine:
            assert engine.rows("SELECT count(*) FROM publications") == [(0,)]


def test_spark_needs_the_parquet_mirror(tmp_path: Path) -> None:
    from patnav.engine.spark_engine import spark_available

    Corpus(tmp_path).close()
    expected = "Parquet mirror" if spark_available() is None else "cannot run here"
    with pytest.raises(EngineUnavailableError, match=expected):
        get_engine("spark", tmp_path)


def test_spark_unavailable_says_what_to_install(monkeypatch: pytest.MonkeyPatch, small_corpus: Path) -> None:
    import patnav.engine.spark_engine as spark_engine

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_engine.shutil, "which", lambda name: None)
    with pytest.raises(EngineUnavailableError, match="openjdk-17-jre-headless"):
        get_engine("spark", small_corpus)


def test_placeholders_skip_quoted_text_and_casts() -> None:
    sql = "SELECT ':not' AS a, x::INT, \"col:umn\" FROM t WHERE a = :one AND b IN (:two, :one)"
    assert placeholders(sql) == ["one", "two", "one"]
    assert rewrite_placeholders(sql, "$").endswith("WHERE a = $one AND b IN ($two, $one)")
    assert "':not'" in rewrite_placeholders(sql, "$")


def test_registered_tables_join_the_corpus(engine: Engine) -> None:
    """A reference table (here a two-row concordance) is queryable beside the corpus tables, typed canonically."""
    reference = pa.table(
        {"prefix": pa.array(["G06N", "H04L"]), "field": pa.array([6, 3], pa.int32()), "weight": [0.5, 1.0]}
    )
    engine.register("ref_fields", reference)
    rows = engine.rows(
        """SELECT c.publication_number, r.field, r.weight FROM classifications c
           JOIN ref_fields r ON substr(replace(c.symbol, ' ', ''), 1, 4) = r.prefix
           ORDER BY c.publication_number, r.field"""
    )
    assert rows == [("CN112345678A", 6, 0.5), ("US10000001B2", 3, 1.0)]
    assert engine.query("SELECT field FROM ref_fields").schema.field("field").type == pa.int64()


def test_register_refuses_to_shadow_a_corpus_table(engine: Engine) -> None:
    with pytest.raises(EngineError, match="corpus table"):
        engine.register("publications", pa.table({"x": [1]}))
    with pytest.raises(EngineError, match="lower-case"):
        engine.register("x; DROP", pa.table({"x": [1]}))

"""The corpus store: idempotent upserts, rank-aware merging, quarantine and provenance."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patnav.corpus.store import Corpus, CorpusNotFoundError, Positioned, Provenance
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

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _prov(name: str = "a.xml") -> Provenance:
    return Provenance(name, "test-reader", "1", NOW)


def _pub(title: str = "Neural network", abstract: str | None = None, **kw: object) -> Publication:
    return Publication(
        "US7197497B2",
        "US",
        "7197497",
        "B2",
        titles=[LocalizedText("en", title)],
        abstracts=[LocalizedText("en", abstract)] if abstract else [],
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    c = Corpus(tmp_path / "c")
    yield c
    c.close()


def test_same_record_twice_changes_nothing(corpus: Corpus) -> None:
    pub = _pub(parties=[Party("applicant", "IBM")], citations=[Citation(False, "US5000000A")])
    first = corpus.write_batch([Positioned(pub, "record 1", 30)], _prov())
    before = corpus.table_counts()
    second = corpus.write_batch([Positioned(pub, "record 1", 30)], _prov("moved/a.xml"))
    assert (first.new, second.new, second.updated, second.unchanged) == (1, 0, 0, 1)
    assert corpus.table_counts() == before


def test_same_content_under_another_hash_is_unchanged_and_a_changed_citation_is_not(corpus: Corpus) -> None:
    """A corpus written by a patnav that hashed records differently: reading the same records again changes
    nothing; a record whose citations did change is updated, and its history names them."""
    pub = _pub(parties=[Party("applicant", "IBM")], citations=[Citation(False, "US5000000A", cited_date=NOW.date())])
    corpus.write_batch([Positioned(pub, "record 1", 30)], _prov())
    corpus.con.execute("UPDATE publication_sources SET record_hash = 'written-by-an-older-version'")
    again = corpus.write_batch([Positioned(pub, "record 1", 30)], _prov())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    assert corpus.con.execute("SELECT count(*) FROM record_history").fetchone() == (0,)
    pub.citations.append(Citation(False, "US6000000A"))
    changed = corpus.write_batch([Positioned(pub, "record 1", 30)], _prov())
    assert (changed.updated, changed.unchanged) == (1, 0)
    history = corpus.con.execute("SELECT changed_fields FROM record_history").fetchall()
    assert history == [(["citations"],)]
    rec = corpus.publication("US7197497B2")
    assert rec is not None and [c["cited_number"] for c in rec["citations"]] == ["US5000000A", "US6000000A"]


def test_richer_source_wins_and_poorer_fills_gaps(corpus: Corpus) -> None:
    full = _pub("Neural network trainer", "An abstract.", classifications=[Classification("IPC", "G06N 3/08", True)])
    export = _pub("NEURAL NETWORK TRAINER (machine translation)", None, family_id="12345")
    corpus.write_batch([Positioned(full, "1", 30)], _prov("grant.xml"))
    counts = corpus.write_batch([Positioned(export, "7", 10)], _prov("export.csv"))
    rec = corpus.publication("US7197497B2")
    assert counts.updated == 1
    assert rec is not None
    assert rec["title"] == "Neural network trainer"  # full text outranks the export
    assert rec["family_id"] == "12345"  # the export fills what the full text lacked
    assert [c["symbol"] for c in rec["classifications"]] == ["G06N 3/08"]
    history = corpus.con.execute("SELECT changed_fields FROM record_history").fetchall()
    assert history == [(["family_id"],)]


def test_newer_equal_rank_version_replaces_children(corpus: Corpus) -> None:
    corpus.write_batch([Positioned(_pub(parties=[Party("applicant", "Old Name Inc.")]), "1", 30)], _prov())
    corpus.write_batch([Positioned(_pub(parties=[Party("applicant", "New Name Inc.")]), "1", 30)], _prov("b.xml"))
    rec = corpus.publication("US7197497B2")
    assert rec is not None
    assert [p["name"] for p in rec["parties"]] == ["New Name Inc."]
    assert rec["source_file"] == "b.xml"


def test_every_row_carries_provenance(corpus: Corpus) -> None:
    pub = _pub(parties=[Party("inventor", "Jane Roe")], citations=[Citation(True, npl_text="Paper")])
    corpus.write_batch(
        [
            Positioned(pub, "record 3", 30),
            Positioned(LegalEvent("US7197497B2", dt.date(2010, 1, 1), "US", "EXP"), "record 4", 20),
            Positioned(FamilyMember("F1", "docdb", "US7197497B2"), "record 5", 20),
        ],
        _prov("week.xml"),
    )
    for table in ("publications", "parties", "citations", "legal_events", "families"):
        rows = corpus.con.execute(f"SELECT source_file, reader, reader_version, loaded_at FROM {table}").fetchall()
        assert rows, table
        assert all(r[0] == "week.xml" and r[1] == "test-reader" and r[2] == "1" and r[3] for r in rows), table


def test_transactions_upsert_by_reel_frame(corpus: Corpus) -> None:
    tx = Transaction(
        "012345/0001",
        "security_interest",
        "SECURITY INTEREST",
        dt.date(2015, 3, 2),
        None,
        ["ACME INC."],
        ["BANK"],
        ["US7197497B2"],
    )
    assert corpus.write_batch([Positioned(tx, "1", 20)], _prov()).new == 1
    assert corpus.write_batch([Positioned(tx, "1", 20)], _prov()).unchanged == 1
    tx.kind = "release"
    assert corpus.write_batch([Positioned(tx, "1", 20)], _prov()).updated == 1
    rows = corpus.con.execute("SELECT kind FROM transactions").fetchall()
    assert rows == [("release",)]
    assert corpus.con.execute("SELECT count(*) FROM transaction_patents").fetchone() == (1,)


def test_quarantine_keeps_one_row_per_rejection(corpus: Corpus) -> None:
    row = {"position": "row 4", "field": "申请日", "reason": "not a date: '2015-13-45'", "raw": None}
    assert corpus.quarantine([dict(row)], _prov("x.csv")) == 1
    assert corpus.quarantine([dict(row)], _prov("x.csv")) == 0


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusNotFoundError, match="patnav ingest"):
        Corpus(tmp_path / "nothing", create=False)


def test_parquet_mirror_matches_the_database(corpus: Corpus) -> None:
    import pyarrow.parquet as pq

    corpus.write_batch([Positioned(_pub(parties=[Party("applicant", "IBM")]), "1", 30)], _prov())
    out = corpus.export_parquet()
    assert pq.read_table(out / "publications.parquet").column("publication_number").to_pylist() == ["US7197497B2"]
    assert pq.read_table(out / "parties.parquet").num_rows == 1


@pytest.mark.parametrize("kindless_first", [True, False])
def test_a_number_without_its_kind_is_the_same_patent(corpus: Corpus, kindless_first: bool) -> None:
    """PatentsView writes US7197497, Google US7197497B2: one patent, whichever is loaded first."""
    bare = Publication(
        "US7197497",
        "US",
        "7197497",
        None,
        titles=[LocalizedText("en", "Neural network")],
        abstracts=[LocalizedText("en", "An abstract.")],
    )
    kinded = _pub("Neural network", parties=[Party("assignee", "IBM")])
    first, second = (bare, kinded) if kindless_first else (kinded, bare)
    corpus.write_batch([Positioned(first, "1", 15 if first is bare else 10)], _prov("first"))
    corpus.write_batch([Positioned(second, "1", 15 if second is bare else 10)], _prov("second"))
    rows = corpus.con.execute("SELECT publication_number, kind, abstract FROM publications").fetchall()
    assert rows == [("US7197497B2", "B2", "An abstract.")]
    rec = corpus.publication("US7197497B2")
    assert rec is not None and [p["name"] for p in rec["parties"]] == ["IBM"]


def test_an_ambiguous_kindless_number_stays_apart(corpus: Corpus) -> None:
    """EP A1 and B1 share a serial: a kind-less EP number cannot be told to be either."""
    for kind in ("A1", "B1"):
        corpus.write_batch([Positioned(Publication(f"EP1000000{kind}", "EP", "1000000", kind), "1", 20)], _prov())
    corpus.write_batch([Positioned(Publication("EP1000000", "EP", "1000000", None), "1", 10)], _prov())
    numbers = [r[0] for r in corpus.con.execute("SELECT publication_number FROM publications ORDER BY 1").fetchall()]
    assert numbers == ["EP1000000", "EP1000000A1", "EP1000000B1"]

"""Patent sets: reading a client's list of numbers, naming and registering the set, measuring it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from patnav.analysis.patent_set import PatentSet, PatentSetSize, patent_set_size, register_patent_set
from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import get_engine
from patnav.model.records import Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Not real patents: three documents, two of them in one family."""
    path = tmp_path_factory.mktemp("patent_set") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    pubs = [
        Publication("US7197497B2", "US", "7197497", "B2", family_id="F1"),
        Publication("EP1000001A1", "EP", "1000001", "A1", family_id="F1"),
        Publication("CN100000003A", "CN", "100000003", "A"),
    ]
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(pubs)], prov)
    return path


def test_numbers_are_normalised_and_bad_ones_kept_aside() -> None:
    s = PatentSet.of([" US 7,197,497 B2", "US7197497B2", "", "US-7197497-B2", "no number", "EP 1000001 A1"], label="x")
    assert s.numbers == frozenset({"US7197497B2", "EP1000001A1"})
    assert s.unparsed == ("no number",)
    assert not s.is_corpus and PatentSet.whole_corpus().is_corpus
    raw = PatentSet.of(["  anything  "], normalize=False)
    assert raw.numbers == frozenset({"anything"}) and raw.unparsed == ()
    assert s.to_arrow().equals(pa.table({"publication_number": pa.array(["EP1000001A1", "US7197497B2"])}))


def test_table_names_follow_the_content() -> None:
    a = PatentSet.of(["US7197497B2", "EP1000001A1"], label="a")
    b = PatentSet.of(["EP1000001A1", "US7197497B2"], label="b", origin="another list")
    c = PatentSet.of(["US7197497B2"])
    assert a.table_name == b.table_name != c.table_name
    assert a.table_name.startswith("patent_set_")
    assert PatentSet.whole_corpus().table_name == "publications"
    with pytest.raises(ValueError):
        PatentSet.whole_corpus().to_arrow()


def test_register_and_measure(hand_corpus: Path) -> None:
    with get_engine("duckdb", hand_corpus) as engine:
        assert register_patent_set(engine, None) == "publications"
        s = PatentSet.of(["US7197497B2", "EP1000001A1", "JP2001000001A"], label="client list")
        name = register_patent_set(engine, s)
        assert register_patent_set(engine, s) == name  # registered once, remembered
        assert engine.rows(f"SELECT count(*) FROM {name}") == [(3,)]
        size = patent_set_size(engine, s)
        assert size == PatentSetSize(numbers=3, documents=2, families=1) and size.not_found == 1
        assert patent_set_size(engine) == PatentSetSize(None, 3, 2)
        assert patent_set_size(engine, PatentSet.of([])) == PatentSetSize(0, 0, 0)

"""The record store behind the patent page (patnav.search.records) answers exactly as the corpus does, and is
never used once the corpus has changed since it was written."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

from patnav.app.encode import plain
from patnav.app.searchers import close_all, searcher
from patnav.app.views.patents import _read
from patnav.corpus.store import Corpus
from patnav.search import records


def _both(entry: Any, number: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The page's reading of ``number`` from the store and from the corpus, JSON-ready as the page sends it."""
    store = entry.records
    try:
        stored = _read(entry, number)
        entry.records = None
        live = _read(entry, number)
    finally:
        entry.records = store
    fields = stored.__slots__
    return plain({k: getattr(stored, k) for k in fields}), plain({k: getattr(live, k) for k in fields})


def test_the_store_answers_as_the_corpus_does(web_corpus: Path) -> None:
    """Every kind of publication the real data holds: with legal events, transactions, family rows, citing
    publications, several parties per sequence, and a random draw of the rest."""
    try:
        with searcher(web_corpus) as entry:
            assert entry.records is not None, "the index update after loading should have written the store"
            con = entry.searcher.corpus.con
            picked: set[str] = set()
            for sql in (
                "SELECT DISTINCT publication_number FROM legal_events JOIN publications USING (publication_number)",
                "SELECT DISTINCT p.publication_number FROM publications p JOIN transaction_patents t"
                " ON t.publication_number IN (p.publication_number, p.country || p.doc_number)"
                " OR t.application_number = p.application_number",
                "SELECT DISTINCT f.publication_number FROM families f JOIN publications USING (publication_number)",
                "SELECT DISTINCT p.publication_number FROM publications p JOIN citations c"
                " ON c.cited_number = p.publication_number",
                "SELECT publication_number FROM parties GROUP BY publication_number, sequence HAVING count(*) > 1",
            ):
                rows = [r[0] for r in con.execute(sql).fetchall()]
                assert rows, sql
                picked |= set(random.Random(5).sample(sorted(rows), min(60, len(rows))))
            everything = sorted(r[0] for r in con.execute("SELECT publication_number FROM publications").fetchall())
            picked |= set(random.Random(6).sample(everything, 120))
            differ = []
            for number in sorted(picked):
                stored, live = _both(entry, number)
                if stored != live:
                    differ.append(number)
            assert not differ, f"{len(differ)} of {len(picked)} publications read differently, e.g. {differ[:5]}"
            # A number typed loosely finds the same publication through the store.
            number, country, doc, kind = con.execute(
                "SELECT publication_number, country, doc_number, kind FROM publications WHERE country = 'US'"
                " ORDER BY 1 LIMIT 1"
            ).fetchall()[0]
            assert _read(entry, f"{country.lower()} {doc} {kind}").number == number
    finally:
        close_all()


def test_a_store_older_than_the_corpus_is_not_used(web_corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "corpus"
    shutil.copytree(web_corpus, path)
    with Corpus(path, create=False, read_only=True) as corpus:
        assert records.open_if_current(corpus) is not None
        number, events = corpus.con.execute(
            "SELECT publication_number, count(*) FROM legal_events GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchall()[0]
    with Corpus(path, create=False) as corpus:
        corpus.con.execute("DELETE FROM legal_events WHERE publication_number = ?", [number])
    try:
        with searcher(path) as entry:
            assert entry.records is None, "a store written before the change must not answer"
            assert _read(entry, number).record["legal_events"] == []
        with Corpus(path, create=False, read_only=True) as corpus:
            assert records.build(corpus) == corpus.con.execute("SELECT count(*) FROM publications").fetchone()[0]
            assert records.build(corpus) == 0, "a current store is not written again"
        with searcher(path) as entry:
            assert entry.records is not None
            assert events > 0 and _read(entry, number).record["legal_events"] == []
    finally:
        close_all()

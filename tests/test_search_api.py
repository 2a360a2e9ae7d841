"""The search face users call: lexical, hybrid, prior art and "similar", on a real corpus (USPTO grants)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from patnav.cli import app
from patnav.corpus.loader import load_paths
from patnav.corpus.store import Corpus
from patnav.search import Searcher, SearchError
from patnav.search.embedder import get_embedder
from patnav.search.text_index import TextIndex
from patnav.search.vectors import embed_corpus


@pytest.fixture(scope="module")
def corpus_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search") / "c"
    with Corpus(path) as corpus:
        load_paths(corpus, [shared_data / "uspto-grant-xml"])
    with Corpus(path, read_only=True) as corpus:
        TextIndex.for_corpus(corpus).update_from_corpus(corpus)
        embed_corpus(corpus, get_embedder("minilm"))
    return path


def _utility_grants(corpus_dir: Path) -> list[tuple[str, str, dt.date, dt.date]]:
    with Corpus(corpus_dir, read_only=True) as c:
        return c.con.execute(
            "SELECT publication_number, title, priority_date, publication_date FROM publications"
            " WHERE doc_type = 'invention' AND abstract IS NOT NULL ORDER BY publication_number"
        ).fetchall()


def test_lexical_search_returns_only_matching_documents(corpus_dir: Path) -> None:
    with Searcher(corpus_dir, model="minilm") as s:
        res = s.search("ti:semiconductor AND pd:[2010 TO 2013]", mode="lexical", limit=50)
    assert res.hits, "the 2010-2013 grants include semiconductor titles"
    for h in res.hits:
        assert "semiconductor" in (h.title or "").lower()
        assert h.date is not None and dt.date(2010, 1, 1) <= h.date <= dt.date(2013, 12, 31)
        assert any("semiconductor" in w.lower() for w in h.why)
    assert res.total == len(res.hits)


def test_hybrid_finds_a_patent_from_its_own_title_words_and_explains(corpus_dir: Path) -> None:
    number, title, _, _ = _utility_grants(corpus_dir)[5]
    with Searcher(corpus_dir, model="minilm") as s:
        res = s.search(f"ti:({title})", mode="hybrid", limit=10)
    assert res.mode == "hybrid"
    top = res.hits[0]
    assert top.publication_number == number
    assert top.lexical_rank is not None and top.semantic_rank is not None
    assert any(w.startswith("similarity") for w in top.why)


def test_semantic_search_by_free_text(corpus_dir: Path) -> None:
    number, title, _, _ = _utility_grants(corpus_dir)[10]
    with Searcher(corpus_dir, model="minilm") as s:
        res = s.search(semantic=title, limit=5)
    assert res.mode == "semantic"
    assert number in [h.publication_number for h in res.hits]


def test_prior_art_mode_keeps_only_earlier_publications(corpus_dir: Path) -> None:
    grants = [g for g in _utility_grants(corpus_dir) if g[2] is not None]
    number, _, priority, _ = grants[len(grants) // 2]
    with Searcher(corpus_dir, model="minilm") as s:
        res = s.similar(number, before_priority=True, limit=20)
    with Corpus(corpus_dir, read_only=True) as c:
        dates = dict(c.con.execute("SELECT publication_number, publication_date FROM publications").fetchall())
    assert res.hits
    assert number not in [h.publication_number for h in res.hits]
    assert all(dates[h.publication_number] < priority for h in res.hits)
    assert any("prior-art" in n for n in res.notes)


def test_similar_to_a_proposal_text(corpus_dir: Path) -> None:
    number, title, _, _ = _utility_grants(corpus_dir)[20]
    with Searcher(corpus_dir, model="minilm") as s:
        res = s.similar(text=f"We propose {title.lower()}.", limit=10)
    assert number in [h.publication_number for h in res.hits]
    assert all(h.similarity is not None for h in res.hits)


def test_bad_query_and_missing_index_are_clear_errors(corpus_dir: Path, tmp_path: Path) -> None:
    with Searcher(corpus_dir, model="minilm") as s, pytest.raises(SearchError, match=r"\^"):
        s.search("ti:(neural AND")
    empty = tmp_path / "empty"
    Corpus(empty).close()
    with Searcher(empty, model="minilm") as s, pytest.raises(SearchError, match="patnav index build"):
        s.search("ti:robot")


def test_cli_search_and_export(corpus_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["search", "ti:semiconductor", "--mode", "lexical", "--json", "--corpus", str(corpus_dir)])
    assert out.exit_code == 0, out.output
    assert '"publication_number"' in out.output
    bad = runner.invoke(app, ["search", "pd:neural", "--corpus", str(corpus_dir)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    xlsx = tmp_path / "semi.xlsx"
    exp = runner.invoke(app, ["export", "--out", str(xlsx), "--query", "ti:semiconductor", "--corpus", str(corpus_dir)])
    assert exp.exit_code == 0, exp.output
    from openpyxl import load_workbook

    rows = list(load_workbook(xlsx, read_only=True).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    title_col = header.index("title")
    assert body and all("semiconductor" in r[title_col].lower() for r in body)


def test_hybrid_without_vectors_falls_back_to_one_lexical_page(tmp_path: Path, shared_data: Path) -> None:
    """A corpus with no vectors for the model: hybrid answers the lexical page asked for (limit and offset kept)."""
    path = tmp_path / "c"
    with Corpus(path) as corpus:
        load_paths(corpus, [shared_data / "uspto-grant-xml"])
    with Corpus(path, read_only=True) as corpus:
        TextIndex.for_corpus(corpus).update_from_corpus(corpus)
    with Searcher(path, model="minilm") as s:
        whole = s.search("tac:(method OR system)", mode="lexical", limit=50)
        page = s.search("tac:(method OR system)", semantic="a method", mode="hybrid", limit=5, offset=5)
    assert page.mode == "lexical" and any("no vectors" in n for n in page.notes)
    assert [h.publication_number for h in page.hits] == [h.publication_number for h in whole.hits[5:10]]


@pytest.mark.parametrize(
    ("filters", "after"), [("pd:[1970 TO 2030]", True), ("cc:US AND pd:[2012 TO 2013]", True), ("ipc:H01L", False)]
)
def test_filtered_search_by_meaning_keeps_exactly_what_passes_the_filters(
    corpus_dir: Path, filters: str, after: bool
) -> None:
    """A filter most documents pass is applied after the vector search, a narrow one before: same answer."""
    from patnav.search.api import POST_FILTER_SHARE
    from patnav.search.query import parse_query

    with Searcher(corpus_dir, model="minilm") as s:
        store = s.vectors()
        qv = s.embedder().embed(["a semiconductor device with a gate electrode"], kind="query")[0]
        got = s._vector_hits(store, qv, 15, parse_query(f"semiconductor {filters}"))
        keys = s.text.matching_keys(filters)
        expected = store.search(qv, 15, allowed_keys=keys, exact=True)
        share = s.text.count(filters) / len(store.numbers)
    assert (share >= POST_FILTER_SHARE) is after  # both ways are exercised
    assert got and [n for n, _ in got] == [n for n, _ in expected]

"""The tantivy full-text index on real records (Google Patents exports, PatentsView) and small fixtures.

The readers for these two formats are being written in parallel, so this module turns the CSV rows into
canonical ``Publication`` records itself (only the columns the files really have). IPC symbols and the
Chinese/Japanese titles used for the incremental and classification tests are HAND-WRITTEN fixtures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pytest

from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.ingest.names import NameHarmonizer, split_names
from patnav.model.numbers import parse_publication_number
from patnav.model.records import Classification, LocalizedText, Party, Publication
from patnav.search.analysis import tokens
from patnav.search.query import QuerySyntaxError
from patnav.search.text_index import IndexMissingError, TextIndex


def _date(s: str) -> dt.date | None:
    return dt.date.fromisoformat(s) if s else None


def google_publications(folder: Path) -> list[Publication]:
    h = NameHarmonizer()
    out: dict[str, Publication] = {}
    for f in sorted(folder.glob("*.csv")):
        lines = f.read_text("utf-8").splitlines(keepends=True)
        for row in csv.DictReader(io.StringIO("".join(lines[1:]))):  # line 1 is "search URL:,…"
            p = parse_publication_number(row["id"])
            names = split_names(row["assignee"] or "")
            inventors = split_names(row["inventor/author"] or "")
            parties = [Party("applicant", n, h.key(n), sequence=i) for i, n in enumerate(names)]
            parties += [Party("inventor", n, h.key(n), sequence=100 + i) for i, n in enumerate(inventors)]
            out[str(p)] = Publication(
                str(p),
                p.country,
                p.number,
                p.kind,
                titles=[LocalizedText("en", row["title"].strip())],
                parties=parties,
                priority_date=_date(row["priority date"]),
                filing_date=_date(row["filing/creation date"]),
                publication_date=_date(row["publication date"]),
                grant_date=_date(row["grant date"]),
            )
    return list(out.values())


def patentsview_publications(folder: Path) -> list[Publication]:
    out: dict[str, Publication] = {}
    for f in sorted(folder.glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                num = row["patent_number"].strip()
                if not num:
                    continue
                abstract = row["patent_abstract"].strip('" ')
                out[f"US{num}"] = Publication(
                    f"US{num}",
                    "US",
                    num,
                    None,
                    titles=[LocalizedText("en", row["patent_title"].strip('" '))],
                    abstracts=[LocalizedText("en", abstract)] if abstract else [],
                    publication_date=_date(row["patent_date"]),
                )
    return list(out.values())


def write(corpus: Corpus, pubs: list[Publication], name: str = "fixture") -> None:
    prov = Provenance(name, "test", "0", dt.datetime.now(dt.UTC))
    for i in range(0, len(pubs), 1000):
        corpus.write_batch([Positioned(p, str(j), 1) for j, p in enumerate(pubs[i : i + 1000], start=i)], prov)


@pytest.fixture(scope="module")
def real(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Corpus, TextIndex]:
    corpus = Corpus(tmp_path_factory.mktemp("real"))
    write(corpus, google_publications(shared_data / "google-patents-export"))
    write(corpus, patentsview_publications(shared_data / "patentsview"))
    index = TextIndex.for_corpus(corpus)
    stats = index.update_from_corpus(corpus)
    assert stats.added == corpus.con.execute("SELECT count(*) FROM publications").fetchall()[0][0]
    return corpus, index


def _all(index: TextIndex, q: str) -> set[str]:
    r = index.search(q, limit=10_000, facets=[])
    assert len(r.hits) == r.total
    return {h.publication_number for h in r.hits}


def test_field_query_matches_a_plain_scan(real: tuple[Corpus, TextIndex]) -> None:
    corpus, index = real
    got = _all(index, "ti:(neural network) AND pd:[2005 TO 2012]")
    rows = corpus.con.execute(
        "SELECT publication_number, title FROM publications"
        " WHERE publication_date BETWEEN DATE '2005-01-01' AND DATE '2012-12-31'"
    ).fetchall()
    want = {n for n, title in rows if {"neural", "network"} <= set(tokens(title or ""))}
    assert got == want
    assert len(want) > 100


def test_applicant_harmonised_and_as_written(real: tuple[Corpus, TextIndex]) -> None:
    corpus, index = real
    ibm = {
        r[0]
        for r in corpus.con.execute(
            "SELECT DISTINCT publication_number FROM parties"
            " WHERE role = 'applicant' AND name_harmonized = 'INTERNATIONAL BUSINESS MACHINES'"
        ).fetchall()
    }
    written = {
        r[0]
        for r in corpus.con.execute(
            "SELECT DISTINCT name FROM parties WHERE name_harmonized = 'INTERNATIONAL BUSINESS MACHINES'"
        ).fetchall()
    }
    assert "IBM" not in written or len(written) > 1  # the real rows spell IBM several ways
    assert _all(index, "pa:IBM") == ibm  # acronym → harmonised key via the alias table
    assert _all(index, 'pa:"International Business Machines"') == ibm
    assert _all(index, "pa:国际商业机器公司") == ibm  # Chinese name of the same group
    typo = _all(index, "pa:Inernational")  # the as-written typo in one Google row
    assert typo and typo <= ibm


def test_chinese_applicant_name_finds_cn_rows(real: tuple[Corpus, TextIndex]) -> None:
    corpus, index = real
    want = {
        r[0]
        for r in corpus.con.execute(
            "SELECT DISTINCT publication_number FROM parties WHERE role = 'applicant' AND name LIKE '%中国科学院%'"
        ).fetchall()
    }
    assert want
    assert _all(index, "pa:中国科学院") == want
    assert _all(index, "pa:中國科學院") == want  # Traditional script folds to Simplified
    assert all(n.startswith("CN") for n in _all(index, "pa:重庆大学"))
    r = index.search("in:王飞跃", facets=[])
    assert [h.publication_number for h in r.hits] == ["CN105184271A"]


def test_facets_counted_over_the_whole_result(real: tuple[Corpus, TextIndex]) -> None:
    corpus, index = real
    r = index.search("cc:CN", limit=5, facets=["applicant", "year", "country"], facet_size=1000)
    assert len(r.hits) == 5 and r.total > 5
    by_year = {f.value: f.count for f in r.facets["year"]}
    want_year = dict(
        corpus.con.execute(
            "SELECT CAST(year(publication_date) AS VARCHAR), count(*) FROM publications WHERE country = 'CN' GROUP BY 1"
        ).fetchall()
    )
    assert by_year == want_year
    by_applicant = {f.value: f.count for f in r.facets["applicant"]}
    want_applicant = dict(
        corpus.con.execute(
            "SELECT name_harmonized, count(DISTINCT publication_number) FROM parties"
            " WHERE role = 'applicant' AND publication_number LIKE 'CN%' GROUP BY 1"
        ).fetchall()
    )
    assert by_applicant == want_applicant
    assert {f.value: f.count for f in r.facets["country"]} == {"CN": r.total}


def test_legal_status_facet_and_filter_follow_the_indicator_runs(real_corpus: Path, tmp_path: Path) -> None:
    """The status facet counts the legal status the indicators derived, over the whole result; each value's count
    is what its ``status:`` filter finds; a later run re-indexes exactly the publications whose status changed."""
    import shutil

    from patnav.indicators.compute import compute_indicators
    from patnav.indicators.results import save_run

    path = tmp_path / "corpus"
    shutil.copytree(real_corpus, path)
    with Corpus(path, create=False, read_only=True) as corpus:
        TextIndex.for_corpus(corpus).update_from_corpus(corpus)

    def run_statuses(as_of: dt.date) -> dict[str, str | None]:
        run = compute_indicators(path, as_of=as_of)
        save_run(run, path)
        return dict(zip(run.table["publication_number"].to_pylist(), run.table["status"].to_pylist(), strict=True))

    def facet(q: str) -> dict[str, int]:
        r = index.search(q, limit=1, facets=["status"], facet_size=100)
        return {f.value: f.count for f in r.facets["status"]}

    def expected(statuses: dict[str, str | None], numbers: set[str]) -> dict[str, int]:
        return dict(Counter(s for n, s in statuses.items() if n in numbers and s))

    first = run_statuses(dt.date(2024, 6, 30))
    corpus = Corpus(path, create=False, read_only=True)
    index = TextIndex.for_corpus(corpus)
    stats = index.update_from_corpus(corpus)
    assert stats.replaced == sum(1 for s in first.values() if s) and stats.added == 0
    cn = _all(index, "cc:CN")
    assert len(set(first.values()) - {None}) >= 2 and facet("cc:CN") == expected(first, cn)
    for value, count in facet("cc:CN").items():
        assert index.search(f'cc:CN status:"{value}"', limit=1, facets=[]).total == count

    corpus.close()
    later = run_statuses(dt.date(2045, 6, 30))  # twenty years on: many rights have expired meanwhile
    corpus = Corpus(path, create=False, read_only=True)
    index = TextIndex.for_corpus(corpus)
    changed = sum(1 for n, s in later.items() if s != first[n])
    assert changed > 0
    stats = index.update_from_corpus(corpus)
    assert stats.replaced == changed and stats.unchanged == len(later) - changed
    assert facet("cc:CN") == expected(later, cn)
    assert index.status(corpus).stale == 0
    corpus.close()


def test_hits_are_typed_with_snippets(real: tuple[Corpus, TextIndex]) -> None:
    _, index = real
    r = index.search('"neural network"~2 pd>=2015', limit=3)
    assert r.total > 0 and r.stale is False
    hit = r.hits[0]
    assert hit.date is not None and hit.date.year >= 2015
    assert "<mark>" in hit.snippet and hit.matched_terms == ["neural network"]
    assert r.hits[0].score >= r.hits[-1].score


def test_publication_number_any_form(real: tuple[Corpus, TextIndex]) -> None:
    _, index = real
    for form in ("US-2015112182-A1", "US20150112182A1", "US 2015 0112182 A1", "US20150112182"):
        assert _all(index, f'pn:"{form}"') == {"US20150112182A1"}


def test_syntax_error_and_missing_index(tmp_path: Path, real: tuple[Corpus, TextIndex]) -> None:
    with pytest.raises(QuerySyntaxError):
        real[1].search("ti:(neural")
    with pytest.raises(IndexMissingError, match="patnav index build"):
        TextIndex(tmp_path / "nothing").search("x")


# --------------------------------------------------------------------------- hand-written fixture corpus


def _pub(number: str, title: str, lang: str, *, ipc: list[str], applicant: str, year: int) -> Publication:
    p = parse_publication_number(number)
    return Publication(
        number,
        p.country,
        p.number,
        p.kind,
        family_id=f"F{p.number[-3:]}",
        titles=[LocalizedText(lang, title)],
        parties=[Party("applicant", applicant, NameHarmonizer().key(applicant))],
        classifications=[Classification("IPC", s, is_main=i == 0) for i, s in enumerate(ipc)],
        publication_date=dt.date(year, 6, 1),
    )


def _fixture() -> list[Publication]:
    # HAND-WRITTEN records (made-up numbers and titles), for IPC prefixes and the incremental update.
    return [
        _pub(
            "CN100000001A",
            "一种基于卷积神经网络的图像识别方法",
            "zh",
            ipc=["G06N 3/08"],
            applicant="重庆大学",
            year=2016,
        ),
        _pub("CN100000002A", "神經網絡訓練裝置", "zh", ipc=["G06N 3/04", "G06K 9/62"], applicant="浙江大学", year=2017),
        _pub(
            "JP2020000003A",
            "人工知能を用いた画像認識装置",
            "ja",
            ipc=["G06N 30/00"],
            applicant="株式会社東芝",
            year=2020,
        ),
        _pub("US10000004B2", "Neural network accelerator", "en", ipc=["G06N 3/063"], applicant="IBM", year=2019),
        _pub("US10000005B2", "Baseball bat with sensors", "en", ipc=["A63B 59/50"], applicant="Rawlings", year=2018),
    ]


@pytest.fixture()
def small(tmp_path: Path) -> tuple[Corpus, TextIndex]:
    corpus = Corpus(tmp_path / "c")
    write(corpus, _fixture())
    index = TextIndex.for_corpus(corpus)
    index.update_from_corpus(corpus)
    return corpus, index


def test_ipc_prefix_match(small: tuple[Corpus, TextIndex]) -> None:
    _, index = small
    assert _all(index, "ipc:G06N3") == {"CN100000001A", "CN100000002A", "US10000004B2"}  # not G06N 30/00
    assert _all(index, 'ipc:"G06N 3/08"') == {"CN100000001A"}
    assert _all(index, "ipc:g06n") == {"CN100000001A", "CN100000002A", "JP2020000003A", "US10000004B2"}
    assert _all(index, "ipc:G06N0003080000") == {"CN100000001A"}
    assert _all(index, "ipc:G06N3/0*") == {"CN100000001A", "CN100000002A", "US10000004B2"}
    assert _all(index, "ipc:A") == {"US10000005B2"}
    ipc_facet = {f.value: f.count for f in index.search("ipc:G", facets=["ipc"]).facets["ipc"]}
    assert ipc_facet == {"G06N": 4, "G06K": 1}


def test_cjk_text_search(small: tuple[Corpus, TextIndex]) -> None:
    _, index = small
    assert _all(index, "神经网络") == {"CN100000001A", "CN100000002A"}  # Traditional title folded too
    assert _all(index, "ti:图像识别") == {"CN100000001A"}
    assert _all(index, '"图像认识" OR 画像認識') == {"JP2020000003A"}
    assert _all(index, "知能") == {"JP2020000003A"}  # mode A part of 人工知能
    assert _all(index, "人工知能") == {"JP2020000003A"}  # kanji-only query, read as Japanese too
    assert _all(index, "pa:東芝") == {"JP2020000003A"}
    assert _all(index, "neural NOT cc:CN") == {"US10000004B2"}


def test_incremental_update_replace_and_delete(small: tuple[Corpus, TextIndex]) -> None:
    corpus, index = small
    assert index.status(corpus).up_to_date
    changed = _fixture()[4]
    changed.titles = [LocalizedText("en", "Hockey stick with sensors")]
    write(corpus, [changed], "update")
    assert index.search("hockey", facets=[]).stale is True
    st = index.status(corpus)
    assert (st.stale, st.missing, st.orphaned) == (1, 0, 0)
    stats = index.update_from_corpus(corpus)
    assert (stats.added, stats.replaced, stats.deleted, stats.unchanged) == (0, 1, 0, 4)
    assert _all(index, "hockey") == {"US10000005B2"}
    assert _all(index, "baseball") == set()
    assert _all(index, "sensor") == {"US10000005B2"}  # replaced, never duplicated
    corpus.con.execute("DELETE FROM publications WHERE publication_number = 'CN100000002A'")
    assert index.status(corpus).orphaned == 1
    stats = index.update_from_corpus(corpus)
    assert stats.deleted == 1
    assert _all(index, "神经网络") == {"CN100000001A"}
    assert index.update_from_corpus(corpus).indexed == 0  # nothing left to do
    assert index.status(corpus).up_to_date
    assert index.search("neural", facets=[]).stale is False


def test_collapse_family(small: tuple[Corpus, TextIndex], tmp_path: Path) -> None:
    corpus, index = small
    twin = _fixture()[0]
    twin.publication_number, twin.doc_number = "CN100000001B", "100000001"
    twin.kind = "B"
    write(corpus, [twin], "twin")
    index.update_from_corpus(corpus)
    plain = index.search("神经网络", facets=[])
    collapsed = index.search("神经网络", collapse_family=True, facets=[])
    assert plain.total == 3
    assert len(collapsed.hits) == 2
    assert sum(h.family_hidden for h in collapsed.hits) == 1
    # the facets beside a collapsed list count families, as the list does
    by_country = index.search("神经网络", facets=["country"])
    by_family = index.search("神经网络", collapse_family=True, facets=["country"])
    cn = {f.value: f.count for f in by_country.facets["country"]}.get("CN")
    cn_families = {f.value: f.count for f in by_family.facets["country"]}.get("CN")
    assert by_family.facet_unit == "families" and by_country.facet_unit == "documents"
    assert cn == 3 and cn_families == 2

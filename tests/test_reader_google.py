"""Google Patents CSV and PatentsView readers over the real exports in the shared data folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patnav.ingest.base import Rejected, Source
from patnav.ingest.readers.google_csv import GooglePatentsCsvReader
from patnav.ingest.readers.patentsview import PatentsViewReader
from patnav.ingest.registry import sniff
from patnav.model.records import Publication

GOOGLE_FILES = {
    "gp-search-deep-learning.csv": 771,
    "gp-search-machine-learning.csv": 736,
    "gp-search-neural-networks.csv": 851,
}


def _source(path: Path) -> Source:
    return Source(name=str(path), open=lambda: path.open("rb"), size=path.stat().st_size)


@pytest.fixture(scope="module")
def google(shared_data: Path) -> dict[str, list]:
    folder = shared_data / "google-patents-export"
    return {name: list(GooglePatentsCsvReader().read(_source(folder / name))) for name in GOOGLE_FILES}


def _by_number(items: list) -> dict[str, Publication]:
    return {p.publication_number: p for p in items if isinstance(p, Publication)}


def test_google_every_real_row_is_read(google: dict[str, list]) -> None:
    for name, expected in GOOGLE_FILES.items():
        items = google[name]
        assert [i for i in items if isinstance(i, Rejected)] == [], name
        assert len(items) == expected, name
    assert sum(len(v) for v in google.values()) == 2358


def test_google_is_sniffed(shared_data: Path) -> None:
    found = sniff(_source(shared_data / "google-patents-export" / "gp-search-neural-networks.csv"))
    assert found is not None and found[0].name == "google-csv"


def test_google_us_row(google: dict[str, list]) -> None:
    p = _by_number(google["gp-search-neural-networks.csv"])["US6725208B1"]
    assert (p.country, p.doc_number, p.kind, p.stage, p.doc_type) == ("US", "6725208", "B1", "grant", "invention")
    assert p.title() == "Bayesian neural networks for optimization and control"
    assignees = [x for x in p.parties if x.role == "assignee"]
    assert [a.name for a in assignees] == ["Pavilion Technologies, Inc."]  # the comma does not split it
    assert assignees[0].name_harmonized == "PAVILION TECHNOLOGIES" and assignees[0].kind == "company"
    inventors = [x.name for x in p.parties if x.role == "inventor"]
    assert inventors == ["Eric Jon Hartman", "Carsten Peterson", "Stephen Piche"]
    assert all(x.kind == "individual" for x in p.parties if x.role == "inventor")
    assert p.priority_date == dt.date(1998, 10, 6)
    assert p.filing_date == dt.date(1999, 4, 12)
    assert p.publication_date == p.grant_date == dt.date(2004, 4, 20)
    assert "title_machine_translated" not in p.extras
    assert p.extras["result_link"] == "https://patents.google.com/patent/US6725208B1/en"


def test_google_cn_row_with_chinese_applicants(google: dict[str, list]) -> None:
    p = _by_number(google["gp-search-deep-learning.csv"])["CN105184271A"]
    assert (p.stage, p.doc_type) == ("application", "invention")
    assert p.titles[0].lang == "en" and p.extras["title_machine_translated"] == "true"
    assignees = [x for x in p.parties if x.role == "assignee"]
    assert [a.name for a in assignees] == [
        "苏州派瑞雷尔智能科技有限公司",
        "青岛智能产业技术研究院",
        "江苏中科智能工程有限公司",
        "天问汇科（北京）技术有限公司",
    ]
    assert assignees[0].name_harmonized == "苏州派瑞雷尔智能科技"
    assert [a.kind for a in assignees[:2]] == ["company", "institute"]
    assert [x.name for x in p.parties if x.role == "inventor"] == ["姚彦洁", "田滨", "王飞跃", "杨柳青"]
    assert (p.priority_date, p.publication_date, p.grant_date) == (dt.date(2015, 9, 18), dt.date(2015, 12, 23), None)


def test_google_kr_and_jp_rows(google: dict[str, list]) -> None:
    kr = _by_number(google["gp-search-deep-learning.csv"])["KR101541808B1"]
    assert [x.name for x in kr.parties if x.role == "assignee"] == ["한국해양과학기술원"]
    assert [x.name for x in kr.parties if x.role == "inventor"] == ["오재용", "김혜진"]
    assert (kr.stage, kr.grant_date) == ("grant", dt.date(2015, 8, 4))
    ml = _by_number(google["gp-search-machine-learning.csv"])
    dl = _by_number(google["gp-search-deep-learning.csv"])
    jp = ml["JPH10207504A"]
    assert [x.name for x in jp.parties if x.role == "assignee"] == ["Komatsu Ltd", "株式会社小松製作所"]
    assert jp.stage == "application" and jp.extras["title_machine_translated"] == "true"
    # a Japanese name written "surname，given name" with a full-width comma stays one person
    jp2 = dl["JP2007505412A"]
    assert "アンドレ，デービッド" in [x.name for x in jp2.parties if x.role == "inventor"]
    um = ml["CN201918042U"]
    assert (um.doc_type, um.stage) == ("utility_model", "grant")


def test_google_month_first_file(tmp_path: Path, shared_data: Path) -> None:
    """A spreadsheet re-save writes 4/20/2004: the file's order is learned, an undecidable date rejected."""
    src = (shared_data / "google-patents-export" / "gp-search-neural-networks.csv").read_text("utf-8").splitlines()

    def mdy(iso: str) -> str:
        if not iso:
            return ""
        y, m, d = iso.split("-")
        return f"{int(m)}/{int(d)}/{y}"

    import csv
    import io

    rows = list(csv.reader(io.StringIO("\n".join(src[1:12]))))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([src[0].split(",", 1)[0], src[0].split(",", 1)[1]])
    w.writerow(rows[0])
    for r in rows[1:]:
        w.writerow(r[:4] + [mdy(v) for v in r[4:8]] + r[8:])
    path = tmp_path / "gp-mdy.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    items = list(GooglePatentsCsvReader().read(_source(path)))
    p = _by_number(items)["US6725208B1"]
    assert p.filing_date == dt.date(1999, 4, 12) and p.grant_date == dt.date(2004, 4, 20)
    assert all(isinstance(i, Publication) for i in items) and len(items) == 10

    # a file whose slashed dates never show a part above 12 cannot be read without guessing
    amb = tmp_path / "gp-ambiguous.csv"
    amb.write_text(
        "search URL:,https://patents.google.com/?q=x\n"
        "id,title,assignee,inventor/author,priority date,filing/creation date,publication date,grant date,"
        "result link,representative figure link\n"
        "US-5140530-A,Genetic algorithm synthesis of neural networks ,Honeywell Inc.,Aloke Guha,"
        "3/8/1989,3/8/1989,8/11/1992,8/11/1992,,\n",
        encoding="utf-8",
    )
    (bad,) = GooglePatentsCsvReader().read(_source(amb))
    assert isinstance(bad, Rejected)
    assert bad.position == "row 1 (line 3)" and bad.field == "priority date" and "order" in bad.reason


@pytest.fixture(scope="module")
def patentsview(shared_data: Path) -> dict[str, list]:
    folder = shared_data / "patentsview"
    return {
        name: list(PatentsViewReader().read(_source(folder / name)))
        for name in ("neural_network_patent_query.csv", "baseball_patent_query.csv")
    }


def test_patentsview_files_read_fully(patentsview: dict[str, list]) -> None:
    nn, bb = patentsview["neural_network_patent_query.csv"], patentsview["baseball_patent_query.csv"]
    assert len(nn) == 3522 and len(bb) == 2664
    assert not [i for i in nn + bb if isinstance(i, Rejected)]
    designs = [p for p in bb if p.doc_type == "design"]
    assert len(designs) == 608 and all(p.doc_number.startswith("D") for p in designs)


def test_patentsview_known_patent(patentsview: dict[str, list]) -> None:
    bb = _by_number(patentsview["baseball_patent_query.csv"])
    p = bb["US5269177"]
    # the export quotes titles twice; the reader removes the second layer
    sweet = 'Apparatus and method for determining the center of percussion ("sweet spot") for baseball bats'
    assert p.title() == sweet + " and other objects"
    assert p.grant_date == p.publication_date == dt.date(1993, 12, 14)
    assert p.kind is None and p.stage == "grant"
    assert p.abstract().startswith("Apparatus and method is provided for determining the subjective sweet spot")
    nn = _by_number(patentsview["neural_network_patent_query.csv"])
    assert nn["US5535303"].title() == '"Barometer" neuron for a neural network'
    assert any(n.startswith("USRE") for n in nn)


def test_patentsview_bulk_tsv(tmp_path: Path) -> None:
    path = tmp_path / "g_patent.tsv"
    path.write_text(
        "patent_id\tpatent_type\tpatent_date\tpatent_title\tpatent_abstract\twipo_kind\tnum_claims\twithdrawn\n"
        "10000000\tutility\t2018-06-19\tCoherent LADAR using intra-pixel quadrature detection\tA frequency modulated"
        " (coherent) laser detection and ranging system.\tB2\t20\t0\n"
        "D800000\tdesign\t2017-10-17\tBottle\t\tS1\t1\t0\n",
        encoding="utf-8",
    )
    items = list(PatentsViewReader().read(_source(path)))
    assert [p.publication_number for p in items] == ["US10000000B2", "USD800000S1"]
    assert items[0].extras["num_claims"] == "20" and items[1].doc_type == "design"

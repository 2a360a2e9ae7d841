"""Pre-2005 USPTO full-text readers: PAP XML v1.5/1.6, ST.32 SGML-style XML v2.5, APS Green Book text."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patnav.ingest.base import Rejected, Source
from patnav.ingest.readers.uspto_greenbook import UsptoGreenbookReader, parse_fields, wku_number
from patnav.ingest.readers.uspto_pap import UsptoPapReader
from patnav.ingest.readers.uspto_sgml import UsptoSgmlReader
from patnav.ingest.readers.uspto_xml import UsptoXmlReader
from patnav.ingest.sources import iter_sources
from patnav.model.records import Publication

PAP, SGML, GREEN = UsptoPapReader(), UsptoSgmlReader(), UsptoGreenbookReader()
ALL = [UsptoXmlReader(), PAP, SGML, GREEN]


def _read(reader, path: Path) -> list[Publication | Rejected]:  # type: ignore[no-untyped-def]
    return [item for src in iter_sources([path]) for item in reader.read(src)]


def _one(reader, path: Path) -> Publication:  # type: ignore[no-untyped-def]
    [pub] = _read(reader, path)
    assert isinstance(pub, Publication), pub
    return pub


def test_each_format_is_sniffed_by_its_reader_only(shared_data: Path) -> None:
    fmt = shared_data / "uspto-formats"
    expected = {
        "uspto-xml": [fmt / "xml2004", fmt / "xmlApp2004", fmt / "xml2006", fmt / "xml2014"],
        "uspto-pap": [fmt / "pap", shared_data / "uspto-grant-xml" / "pa040101.two.xml.gz"],
        "uspto-sgml": [fmt / "sgml"],
        "uspto-greenbook": [fmt / "greenbook"],
    }
    for name, paths in expected.items():
        for src in iter_sources(paths):
            head = src.head()
            scores = {r.name: r.sniff(head, src.name) for r in ALL}
            assert scores[name] >= 0.8, (src.name, scores)
            assert all(s == 0 for n, s in scores.items() if n != name), (src.name, scores)


def test_pap_fields(shared_data: Path) -> None:
    p = _one(PAP, shared_data / "uspto-formats" / "pap" / "US20010000943A1.xml")
    assert p.publication_number == "US20010000943A1" and p.stage == "application"
    assert p.publication_date == dt.date(2001, 5, 10)  # <document-date>20010510
    assert p.filing_date == dt.date(2000, 12, 4)  # domestic-filing-data <filing-date>20001204
    assert p.application_number == "US09727454"
    assert p.title() == "Organic electroluminescence device and method of manufacturing same"
    # foreign-priority-data: <doc-number>11-097727</doc-number><filing-date>19990405</filing-date> JP
    assert [(q.country, q.date) for q in p.priorities] == [("JP", dt.date(1999, 4, 5))]
    assert p.priority_date == dt.date(1999, 4, 5)
    assert [c.symbol for c in p.classifications if c.is_main] == ["H01J 1/62", "313/503"]  # <ipc>H01J001/62
    assert [x.name for x in p.parties if x.role == "inventor"] == ["Kenichi Fukuoka", "Mitsura Eida"]
    assert [x.name for x in p.parties if x.role == "assignee"] == ["IDEMITSU KOSAN CO., LTD."]
    assert len(p.claims) == 13
    # claim 13: <dependent-claim-reference depends_on="CLM-00011"> … depends_on="CLM-00012"
    assert p.claims[12].depends_on == [11, 12]
    # the text uses DTD entities (&minus; &lsqb; …) that were written as characters, not dropped
    assert "\u2212" in (p.description or "") and "&minus;" not in (p.description or "")


def test_pap_weekly_file_and_plain_doctype(shared_data: Path) -> None:
    p = _one(PAP, shared_data / "uspto-grant-xml" / "pa040101.two.xml.gz")
    assert p.publication_number == "US20040000002A1"
    assert p.title() == "Garment for preventing muscle strain"
    assert [c.symbol for c in p.classifications] == ["A41B 1/00", "2/69"]  # <ipc>A41B001/00, 002/069000
    # this file declares an unrelated XHTML DOCTYPE and marks no claim references: dependencies come from the text
    q = _one(PAP, shared_data / "uspto-formats" / "pap" / "US20010000044A1.xml")
    assert q.claims[1].depends_on == [1]  # "2.The method of claim 1, …"


def test_sgml_fields(shared_data: Path) -> None:
    p = _one(SGML, shared_data / "uspto-formats" / "sgml" / "US06336130.xml")
    assert p.publication_number == "US6336130B1"  # <B110><DNUM><PDAT>06336130 <B130>B1
    assert p.grant_date == dt.date(2002, 1, 1)
    assert p.filing_date == dt.date(1999, 10, 5)  # <B220>
    assert [(q.country, q.number, q.date) for q in p.priorities] == [("NO", "NO971605", dt.date(1997, 4, 8))]
    assert [c.symbol for c in p.classifications if c.scheme == "IPC"] == ["G06F 15/16", "G06F 13/00"]  # B511/B512
    assert p.extras["uspc_main"] == "709/202"  # <B521>709202
    assert [x.name for x in p.parties if x.role == "inventor"] == ["Thanh Van Do"]  # FNM + SNM
    assert [(x.name, x.country) for x in p.parties if x.role == "assignee"] == [
        ("Telefonaktiebolaget LM Ericsson (publ)", "SE")
    ]
    assert len(p.claims) == 22 and [c.number for c in p.claims if c.independent] == [1, 9, 18]  # no <CLREF>
    assert p.claims[7].depends_on == [7]  # claim 8: <CLREF ID="CLM-00007">
    assert sum(not c.is_npl for c in p.citations) == 6 and sum(c.is_npl for c in p.citations) == 3  # B561/B562
    assert p.citations[0].cited_number == "US5825759A" and p.citations[0].origin == "examiner"
    assert "\u201c" in (p.description or "") + "".join(c.npl_text or "" for c in p.citations)  # &ldquo;


def test_sgml_design(shared_data: Path) -> None:
    p = _one(SGML, shared_data / "uspto-formats" / "sgml" / "USD435854S1.xml")
    assert p.publication_number == "USD435854S" and p.doc_type == "design"  # <B130>S
    assert ("LOCARNO", "14-02") in {(c.scheme, c.symbol) for c in p.classifications}
    assert p.citations[0].cited_number == "USD271298"  # <DNUM>D. 271298
    assert len([x for x in p.parties if x.role == "assignee"]) == 3


def test_greenbook_fields(shared_data: Path) -> None:
    p = _one(GREEN, shared_data / "uspto-formats" / "greenbook" / "US03937375.greenbook")
    assert p.publication_number == "US3937375A"  # WKU 039373754, the file name says US03937375
    assert p.title() == "Bumper support for a boat loader"
    assert p.filing_date == dt.date(1974, 10, 29) and p.grant_date == dt.date(1976, 2, 10)
    assert p.application_number == "US05518454"  # SRC 5 + APN 5184541 without its check digit
    assert [(x.role, x.name, x.address) for x in p.parties] == [("inventor", "Everette E. Daniels", "Des Moines, IA")]
    assert p.extras["uspc_main"] == "224/42.07"  # OCL  224 4207
    assert [c.symbol for c in p.classifications if c.scheme == "IPC"] == ["B60R 9/00"]  # ICL  B60R  900
    assert [c.cited_number for c in p.citations] == ["US2542907", "US2762542", "US2772799", "US3113789", "US3702197"]
    assert [(c.number, c.depends_on) for c in p.claims] == [(1, []), (2, [1]), (3, [2])]
    assert p.abstract() and p.abstract().startswith("A unit mountable on a rear bumper")  # type: ignore[union-attr]
    q = _one(GREEN, shared_data / "uspto-formats" / "greenbook" / "US04347903.greenbook")
    assert [(x.name, x.country) for x in q.parties if x.role == "assignee"] == [("Shimadzu Corporation", "JP")]
    assert [(r.country, r.number, r.date) for r in q.priorities] == [("JP", "53/84696", dt.date(1978, 7, 10))]


def test_greenbook_many_patents_in_one_file(shared_data: Path) -> None:
    folder = shared_data / "uspto-formats" / "greenbook"
    data = b"".join(f.read_bytes() for f in sorted(folder.glob("*.greenbook")))
    src = Source("week.txt", lambda: io.BytesIO(b"HHHHHT  APS1\n" + data))
    got = [p.publication_number for p in GREEN.read(src) if isinstance(p, Publication)]
    assert got == ["US3932709A", "US3937375A", "US4347903A"]


def test_wku_check_digit() -> None:
    assert wku_number("039373754") == ("", "3937375")
    assert wku_number("D02433214") == ("D", "243321")


_CODES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=4)
_WORDS = st.lists(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12),
    min_size=1,
    max_size=30,
)


@settings(max_examples=80, deadline=None)
@given(fields=st.lists(st.tuples(_CODES, _WORDS), min_size=1, max_size=12), width=st.integers(10, 70))
def test_greenbook_field_parser_rejoins_continuation_lines(fields: list[tuple[str, list[str]]], width: int) -> None:
    lines: list[str] = []
    for code, words in fields:
        # wrap the value the way APS does: first line after the code, the rest indented by 5 blanks
        chunks, current = [], ""
        for w in words:
            if current and len(current) + 1 + len(w) > width:
                chunks.append(current)
                current = w
            else:
                current = f"{current} {w}" if current else w
        chunks.append(current)
        lines.append(f"{code:<4} {chunks[0]}\n")
        lines.extend(f"      {c}\n" for c in chunks[1:])
    assert list(parse_fields(lines)) == [(code, " ".join(words)) for code, words in fields]


LEGACY_XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PATDOC SYSTEM "ST32-US-Grant-025xml.dtd" [
<!ENTITY US06336130-20020101-D00000.TIF SYSTEM "US06336130-20020101-D00000.TIF" NDATA TIF>
<!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<PATDOC><SDOBI><B100><B110><DNUM><PDAT>&xxe;</PDAT></DNUM></B110></B100></SDOBI></PATDOC>
"""


@pytest.mark.parametrize("reader", [SGML, PAP], ids=["sgml", "pap"])
def test_legacy_refuses_entities_other_than_images(reader) -> None:  # type: ignore[no-untyped-def]
    items = list(reader.read(Source("evil.xml", lambda: io.BytesIO(LEGACY_XXE))))
    assert len(items) == 1 and isinstance(items[0], Rejected)
    assert items[0].reason.startswith("refused") and "root:" not in repr(items)

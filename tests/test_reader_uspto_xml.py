"""USPTO Red Book XML v4.x reader on the real weekly files in shared data (uspto-grant-xml)."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patnav.ingest.base import Rejected, Source
from patnav.ingest.readers._uspto_common import document_spans, split_documents
from patnav.ingest.readers.uspto_xml import UsptoXmlReader
from patnav.ingest.sources import iter_sources
from patnav.model.numbers import normalize_publication_number
from patnav.model.records import Publication

READER = UsptoXmlReader()


def _bytes_source(data: bytes, name: str = "memory.xml") -> Source:
    return Source(name=name, open=lambda: io.BytesIO(data), size=len(data))


@pytest.fixture(scope="module")
def grant_corpus(shared_data: Path) -> tuple[list[Publication], list[Rejected]]:
    pubs: list[Publication] = []
    rejected: list[Rejected] = []
    for src in iter_sources([shared_data / "uspto-grant-xml"]):
        if not READER.sniff(src.head(), src.name):
            continue
        for item in READER.read(src):
            (rejected if isinstance(item, Rejected) else pubs).append(item)
    return pubs, rejected


@pytest.fixture(scope="module")
def by_number(grant_corpus: tuple[list[Publication], list[Rejected]]) -> dict[str, Publication]:
    return {p.publication_number: p for p in grant_corpus[0]}


def test_counts_match_source_md(grant_corpus: tuple[list[Publication], list[Rejected]]) -> None:
    pubs, rejected = grant_corpus
    assert rejected == []
    # SOURCE.md: 425 unique documents = 422 grants (utility, 220 design, 1 plant, 1 SIR) + 3 applications;
    # the 6 sequence-cwu sub-documents are skipped, not rejected.
    assert len(pubs) == 425
    assert len({p.publication_number for p in pubs}) == 425
    split = Counter((p.stage, p.doc_type) for p in pubs)
    assert split == {
        ("grant", "design"): 220,
        ("grant", "invention"): 200,
        ("grant", "plant"): 1,
        ("grant", "other"): 1,
        ("application", "invention"): 3,
    }
    # SOURCE.md: 9,250 cited patents; the v4.0 grants (2005) carry the old classification-ipc
    assert sum(1 for p in pubs for c in p.citations if not c.is_npl) == 9250
    assert all(p.titles and p.claims for p in pubs)


def test_hyphenated_grant_fields(by_number: dict[str, Publication]) -> None:
    # ipg100824-hyphenated.xml: <doc-number>07783348</doc-number><kind>B2</kind>
    p = by_number["US7783348B2"]
    assert p.title() == "Stimulation device for treating osteoarthritis"  # <invention-title id="d0e53">
    assert p.filing_date == dt.date(2008, 4, 16)  # application-reference <date>20080416</date>
    assert p.grant_date == p.publication_date == dt.date(2010, 8, 24)
    assert p.application_number == "US12104007"
    assert p.term_extension_days == 9  # <us-term-extension>9</us-term-extension>
    main_ipc = [c.symbol for c in p.classifications if c.scheme == "IPC" and c.is_main]
    assert main_ipc == ["A61N 1/18"]  # classification-ipcr A 61 N 1 18, version date 20060101
    uspc = [c.symbol for c in p.classifications if c.scheme == "USPC"]
    assert uspc == ["607/3", "602/2", "600/15"]  # <main-classification>607  3</main-classification> …
    inventors = [x for x in p.parties if x.role == "inventor"]
    assert inventors[0].name == "Jagjit Gill"  # applicant sequence="001" app-type="applicant-inventor"
    assert inventors[0].kind == "individual" and inventors[0].country == "US"
    assignees = [x for x in p.parties if x.role == "assignee"]
    assert [a.name for a in assignees] == ["OrthoCor Medical, Inc."]  # assignees/…/orgname
    assert assignees[0].kind == "company"
    assert len(p.claims) == 25  # <number-of-claims>25
    assert [c.number for c in p.claims if c.independent] == [1, 13, 23]  # claims without <claim-ref>
    assert p.claims[10].depends_on == [5]  # claim 11: <claim-ref idref="CLM-00005">
    assert sum(not c.is_npl for c in p.citations) == 80  # 80 <patcit>
    assert sum(c.is_npl for c in p.citations) == 6  # 6 <nplcit>
    assert p.citations[0].cited_number == "US4240445A"
    assert p.citations[0].cited_date == dt.date(1980, 12, 1)  # <date>19801200</date>: month precision
    assert p.citations[0].origin == "unknown"  # "cited by other"
    assert p.description_length and p.description_length == len(p.description or "") > 1000


def test_v40_grant_with_old_ipc(by_number: dict[str, Publication]) -> None:
    # ipg050104.small.xml, first document: <doc-number>06836899</doc-number>, DTD v4.0
    p = by_number["US6836899B1"]
    assert p.title() == "Device for detachably holding an absorbent napkin across the torso"
    ipc = [c for c in p.classifications if c.scheme == "IPC"]
    assert ipc[0].symbol == "A45F 5/04" and ipc[0].is_main  # <main-classification>A45F  504</main-classification>
    assert p.extras["uspc_main"] == "2/52"  # <main-classification>  2 52</main-classification>
    # v4.0 lists the inventor as an applicant (app-type="applicant-inventor") and has no <inventors>
    assert [(x.role, x.name) for x in p.parties] == [
        ("applicant", "Samuel G. Glasmire"),
        ("inventor", "Samuel G. Glasmire"),
    ]
    assert p.citations[0].cited_number == "US675108A"  # <doc-number>675108</doc-number>, kind A, 1901


def test_v45_grant_with_cpc_and_cn_priority(shared_data: Path) -> None:
    path = shared_data / "uspto-formats" / "xml-parsing-tools" / "US08927386-20150106.XML"
    [p] = [x for src in iter_sources([path]) for x in READER.read(src)]
    assert isinstance(p, Publication)
    assert p.publication_number == "US8927386B2"
    # <priority-claim><country>CN</country><doc-number>2011 1 0151784</doc-number><date>20110608</date>
    assert [(q.country, q.number, q.date) for q in p.priorities] == [("CN", "CN201110151784.4", dt.date(2011, 6, 8))]
    assert p.priority_date == dt.date(2011, 6, 8)
    cpc_main = [c for c in p.classifications if c.scheme == "CPC" and c.is_main]
    assert [(c.symbol, c.version) for c in cpc_main] == [("H01L 29/66136", "2013.01")]  # <main-cpc>, line 109


def test_special_kinds(by_number: dict[str, Publication]) -> None:
    plant = by_number["USPP18398P2"]  # file="USPP018398-20080101.XML"
    assert plant.doc_type == "plant" and plant.doc_number == "PP18398"
    sir = by_number["USH2140H1"]  # appl-type="sir"
    assert sir.extras["statutory_invention_registration"] == "true"
    design = next(p for p in by_number.values() if p.doc_type == "design")
    assert design.publication_number.startswith("USD")
    assert any(c.scheme == "LOCARNO" for c in design.classifications)
    apps = [p for p in by_number.values() if p.stage == "application"]
    assert all(len(p.publication_number) == len("US20060000000A1") for p in apps)


def test_fast_number_path_agrees_with_normaliser(grant_corpus: tuple[list[Publication], list[Rejected]]) -> None:
    for p in grant_corpus[0]:
        for c in p.citations:
            if c.cited_number and c.cited_number_raw:
                country, _, rest = c.cited_number_raw.partition(" ")
                number, _, kind = rest.partition(" ")
                if country == "US" and kind:
                    assert c.cited_number == normalize_publication_number(f"US{number}{kind}")


def _docs(shared_data: Path, n: int) -> list[bytes]:
    data = gzip.decompress((shared_data / "uspto-grant-xml" / "ipg120327.196.xml.gz").read_bytes())
    return [d for _, _, d in split_documents(io.BytesIO(data))][:n]


def test_broken_document_in_the_middle(shared_data: Path) -> None:
    docs = _docs(shared_data, 5)
    cut = docs[2].rindex(b"</claims>")
    docs[2] = docs[2][:cut] + b"\n"  # truncated: closing tags lost
    items = list(READER.read(_bytes_source(b"".join(docs))))
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(rejected) == 1
    line = 1 + sum(d.count(b"\n") for d in docs[:2])
    assert rejected[0].position == f"document 3 at line {line}"
    assert "malformed" in rejected[0].reason
    assert sum(isinstance(i, Publication) for i in items) == 4  # documents 4 and 5 still read


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE us-patent-grant [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<us-patent-grant><us-bibliographic-data-grant><invention-title>&c;</invention-title>
</us-bibliographic-data-grant></us-patent-grant>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE us-patent-grant [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<us-patent-grant><us-bibliographic-data-grant><invention-title>&xxe;</invention-title>
</us-bibliographic-data-grant></us-patent-grant>
"""


@pytest.mark.parametrize("evil", [BOMB, XXE], ids=["entity-bomb", "external-entity"])
def test_entity_declarations_refused(shared_data: Path, evil: bytes) -> None:
    good = _docs(shared_data, 1)[0]
    items = list(READER.read(_bytes_source(evil + good)))
    assert isinstance(items[0], Rejected)
    assert items[0].position == "document 1 at line 1"
    assert items[0].reason.startswith("refused")
    assert "root:" not in repr(items) and "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" not in repr(items)
    assert isinstance(items[1], Publication)  # the next document is still read


def test_sniff() -> None:
    head = b'<?xml version="1.0"?>\n<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v42-2006-08-23.dtd" [ ]>\n'
    assert READER.sniff(head, "ipg.xml") >= 0.9
    assert READER.sniff(b'<?xml version="1.0"?>\n<!DOCTYPE PATDOC SYSTEM "x.dtd" [\n', "x.xml") == 0
    assert READER.sniff(b"PATN\nWKU  039373754\n", "x.greenbook") == 0


_PIECES = [
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE a SYSTEM "a.dtd" [ ]>\n<a>x</a>\n',
    b'<?xml version="1.0"?>\n<b>\n<c>two\nlines</c>\n</b>\n',
    b'<?xml version="1.0"?>\r\n<d/>\r\n',
    b'<?xml version="1.0"?>\n<e>' + b"y" * 300 + b" <?xml-stylesheet?> inline <?xml not at line start</e>\n",
]


@settings(max_examples=60, deadline=None)
@given(order=st.lists(st.sampled_from(range(len(_PIECES))), min_size=0, max_size=25), chunk=st.integers(1, 200))
def test_split_documents_yields_each_document(order: list[int], chunk: int) -> None:
    docs = [_PIECES[i] for i in order]
    got = list(split_documents(io.BytesIO(b"".join(docs)), chunk_size=chunk))
    assert [d for _, _, d in got] == docs
    assert [i for i, _, _ in got] == list(range(1, len(docs) + 1))
    assert [line for _, line, _ in got] == [1 + sum(d.count(b"\n") for d in docs[:k]) for k in range(len(docs))]


@settings(max_examples=60, deadline=None)
@given(
    order=st.lists(st.sampled_from(range(len(_PIECES))), min_size=0, max_size=25),
    chunk=st.integers(1, 200),
    blank=st.sampled_from([b"", b"\n", b"  \r\n\t"]),
)
def test_document_spans_are_the_byte_ranges_of_split_documents(order: list[int], chunk: int, blank: bytes) -> None:
    """What the loader's workers read from the file by range is what splitting the stream gives, byte for byte,
    with the same index and first line (blank stretches between documents are skipped the same way)."""
    data = blank + blank.join(_PIECES[i] for i in order) + blank
    split = list(split_documents(io.BytesIO(data), chunk_size=chunk))
    spans = list(document_spans(io.BytesIO(data), chunk_size=chunk))
    assert [(i, line, data[off : off + n]) for i, line, off, n in spans] == split

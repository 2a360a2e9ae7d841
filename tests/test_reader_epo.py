"""EPO readers against the real sample files: publication-server XML, OPS responses and the INPADOC code table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patnav.ingest.base import Rejected
from patnav.ingest.readers.ep_publication import EpPublicationReader
from patnav.ingest.readers.epo_ops import EpoOpsReader, InpadocCodeTableReader, status_effect
from patnav.ingest.registry import sniff
from patnav.ingest.sources import iter_sources
from patnav.model.records import FamilyMember, LegalEvent, LegalEventCode, Publication


def _read(reader, path: Path) -> list:
    items = []
    for source in iter_sources([path]):
        items.extend(reader.read(source))
    return items


@pytest.fixture(scope="module")
def ep_docs(shared_data: Path) -> dict[str, Publication]:
    items = _read(EpPublicationReader(), shared_data / "ep-publication-xml" / "test-data")
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert rejected == []
    return {i.publication_number: i for i in items}


def test_every_ep_file_reads_without_rejection(ep_docs: dict[str, Publication], shared_data: Path) -> None:
    files = [p for p in (shared_data / "ep-publication-xml" / "test-data").rglob("*.xml*")]
    assert len(ep_docs) == len(files) == 33
    # four files are not well-formed (bare "&", "<First Embodiment"): read with the recovering parser, marked
    recovered = sorted(p for p, d in ep_docs.items() if d.extras.get("xml_recovered"))
    assert recovered == ["EP0560858A1", "EP1921219A1", "EP2055205A1", "EP3889521A1"]
    for source in iter_sources([shared_data / "ep-publication-xml" / "test-data"]):
        assert sniff(source)[0].name == "ep-publication"


def test_ep_old_dtd_grant(ep_docs: dict[str, Publication]) -> None:
    # grant/v1-0-B1.xml (DTD 1.0): B110 1442058, B130 B1, B220 20021118, B510EP C07K 14/47 ...AFI..., B730 NYMOX
    doc = ep_docs["EP1442058B1"]
    assert (doc.kind, doc.stage, doc.extras["dtd_version"]) == ("B1", "grant", "ep-patent-document-v1-0")
    assert doc.filing_date == dt.date(2002, 11, 18)
    assert doc.publication_date == doc.grant_date == dt.date(2006, 7, 19)
    assert doc.application_number == "EP02779063"
    assert {t.lang: t.text for t in doc.titles} == {
        "de": "PEPTIDE ZUM EINSATZ IN DER BEHANDLUNG VON TUMOREN UND ANDEREN ZUSTÄNDEN, DIE DAS ENTFERNEN ODER "
        "ZERSTÖREN VON ZELLEN ERFORDERN",
        "en": "PEPTIDES EFFECTIVE IN THE TREATMENT OF TUMORS AND OTHER CONDITIONS REQUIRING THE REMOVAL OR "
        "DESTRUCTION OF CELLS",
        "fr": "PEPTIDES SERVANT A TRAITER DES TUMEURS OU D'AUTRES ETATS NECESSITANT LA SUPPRESSION OU LA "
        "DESTRUCTION DE CELLULES",
    }
    owner = next(p for p in doc.parties if p.role == "owner")  # B731: grants name proprietors, not applicants
    assert (owner.name, owner.country) == ("NYMOX CORPORATION", "CA")
    assert [p.name for p in doc.parties if p.role == "inventor"] == ["AVERBACK, Paul", "GEMMELL, Jack"]
    ipc = [(c.symbol, c.is_main, c.version) for c in doc.classifications]
    assert ipc == [("C07K 14/47", True, "20060101"), ("A61K 38/17", False, "20060101")]
    # claims in en, de and fr (3 each); the document language is en
    assert (len(doc.claims), doc.claims_lang) == (3, "en")
    assert doc.extras["claims_other_languages"] == "de fr"
    # B561 "WO-A-03/008444", "US-A- 5 948 634"; B562 two NPL; grant front pages carry no categories
    patents = [(c.cited_number, c.cited_number_raw, c.category, c.origin) for c in doc.citations if not c.is_npl]
    assert patents[:2] == [
        ("WO2003008444A", "WO-A-03/008444", None, "search_report"),
        ("US5948634A", "US-A- 5 948 634", None, "search_report"),
    ]
    assert sum(c.is_npl for c in doc.citations) == 2
    assert doc.priorities[0].country == "US" and doc.priorities[0].date == dt.date(2001, 11, 16)
    assert "DE" in doc.extras["designated_states"].split()


def test_ep_dtd_151_german_grant_after_opposition(ep_docs: dict[str, Publication]) -> None:
    # grant/v1-5-1-B2.xml: lang="de", B110 2716170 B2, B220 20120914, B731 Hauni Maschinenbau GmbH, 4 claims each lang
    doc = ep_docs["EP2716170B2"]
    assert doc.extras["dtd_version"] == "ep-patent-document-v1-5-1"
    assert doc.filing_date == dt.date(2012, 9, 14)
    assert doc.grant_date == dt.date(2016, 2, 3)  # B450; B140 is the B2 publication date after opposition
    assert doc.publication_date == dt.date(2021, 9, 22)
    assert doc.extras["document_note"] == "Nach dem Einspruchsverfahren"
    assert [t.lang for t in doc.titles] == ["de", "en", "fr"]
    assert doc.title(("en",)) == "Device for transporting material in the form of strips or tape"
    owner = next(p for p in doc.parties if p.role == "owner")
    assert (owner.name, owner.country, owner.kind) == ("Hauni Maschinenbau GmbH", "DE", "company")
    assert [(c.scheme, c.symbol) for c in doc.classifications] == [("IPC", "A24C 5/20"), ("CPC", "A24C 5/20")]
    assert (len(doc.claims), doc.claims_lang) == (4, "de")
    assert doc.claims[0].independent and doc.claims[1].depends_on == [1]  # "nach Anspruch 1"
    cited = [c.cited_number for c in doc.citations if c.origin == "search_report"]
    assert cited[:3] == ["EP1186247A2", "WO2004045320A1", "DE3701285A1"]
    assert "USRE36154E" in cited  # "US-E- R E36 154"
    # ep-reference-list: documents the applicant cited in the description
    assert [c.cited_number for c in doc.citations if c.origin == "applicant"] == ["DE19751691A"]


def test_ep_application_keeps_abstract_and_old_ipc(ep_docs: dict[str, Publication]) -> None:
    # application/v1-0-A1.xml: B511 " 7C 07C  29/44   A" (IPC 7th edition), abstract in en
    doc = ep_docs["EP1325900A1"]
    assert doc.stage == "application" and doc.grant_date is None
    main = doc.classifications[0]
    assert (main.symbol, main.is_main, main.version) == ("C07C 29/44", True, "7")
    assert doc.abstract().startswith("A process for producing a fluoroalkanol")
    assert doc.description_length and doc.description_length > 10000


def test_ep_unsafe_document_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bomb.xml"
    bad.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE ep-patent-document [<!ENTITY a "aaaa">]>'
        b'<ep-patent-document lang="en" country="EP" doc-number="1" kind="A1">&a;</ep-patent-document>'
    )
    items = _read(EpPublicationReader(), bad)
    assert len(items) == 1 and isinstance(items[0], Rejected) and items[0].field == "xml"


# --- OPS ---------------------------------------------------------------------------------------------------------


def test_ops_cn_biblio(shared_data: Path) -> None:
    path = (
        shared_data
        / "office-api-responses/legacy_4328348/epo/published-data_publication_docdb_CN.104968889.A_biblio.xml"
    )
    items = _read(EpoOpsReader(), path)
    pub = next(i for i in items if isinstance(i, Publication))
    assert pub.publication_number == "CN104968889A"
    assert pub.publication_date == dt.date(2015, 10, 7)
    # the "original" application number 2013800622588 carries CNIPA's check digit 8
    assert pub.application_number == "CN201380062258.8"
    assert pub.filing_date == dt.date(2013, 10, 11)
    assert pub.family_id == "50474376"
    assert [(p.country, p.number) for p in pub.priorities] == [("WO", "2013US64552"), ("US", "201261713164P")]
    assert pub.priority_date == dt.date(2012, 10, 12)
    assert [(p.role, p.name) for p in pub.parties] == [
        ("applicant", "SCIENT DRILLING INT"),
        ("inventor", "VANSTEENWYK BRETT"),
    ]
    assert ("IPC", "E21B 47/0228") in [(c.scheme, c.symbol) for c in pub.classifications]
    assert ("CPC", "G01V 3/081") in [(c.scheme, c.symbol) for c in pub.classifications]
    # CNIPA's search report: five examiner citations, one X (US2003236627A1, the docdb form of US20030236627A1)
    assert len(pub.citations) == 5
    x = [c for c in pub.citations if c.category == "X"]
    assert [(c.cited_number, c.origin) for c in x] == [("US20030236627A1", "search_report")]
    assert FamilyMember("50474376", "docdb", "CN104968889A", "CN201380062258.8", dt.date(2012, 10, 12)) in items


def test_ops_legal_events(shared_data: Path) -> None:
    ops = shared_data / "office-api-responses"
    items = _read(EpoOpsReader(), ops / "legacy_4328348/epo/legal_publication_docdb_CA.2300029.C_.xml")
    events = [i for i in items if isinstance(i, LegalEvent)]
    # the response holds one event (total-result-count="19" counts something else)
    assert [(e.publication_number, e.authority, e.code, e.event_date) for e in events] == [
        ("CA2300029C", "CA", "EEER", dt.date(2005, 2, 3))
    ]
    items = _read(EpoOpsReader(), ops / "current/epo/ops/legal/fixtures/example_1.xml")
    events = [i for i in items if isinstance(i, LegalEvent)]
    assert len(events) == 50 and not any(isinstance(i, Rejected) for i in items)
    assert sum(e.code == "PG25" for e in events) == 19
    lapse = next(e for e in events if e.code == "PG25")
    assert lapse.event_date == dt.date(2003, 2, 12) and "[CH]" in (lapse.description or "")


def test_ops_family(shared_data: Path) -> None:
    path = shared_data / "office-api-responses/current/epo/ops/family/fixtures/family_input.xml"
    members = [i for i in _read(EpoOpsReader(), path) if isinstance(i, FamilyMember)]
    inpadoc = [m for m in members if m.family_type == "inpadoc"]
    assert len(inpadoc) == 6 and {m.family_id for m in inpadoc} == {"19768124"}
    assert inpadoc[0].publication_number == "EP1000000A1" and inpadoc[0].application_number == "EP99203729"


def test_ops_fulltext_register_json_and_search(shared_data: Path) -> None:
    epo = shared_data / "office-api-responses/legacy_4328348/epo"
    (claims,) = _read(EpoOpsReader(), epo / "published-data_publication_docdb_CA.2944968.A1_claims.xml")
    assert claims.publication_number == "CA2944968A1" and claims.claims[1].depends_on == [1]
    (reg,) = _read(EpoOpsReader(), epo / "register_publication_epodoc_EP.3082535.A1_biblio.xml")
    assert (reg.publication_number, reg.source_status) == ("EP3082535A1", "Examination is in progress")
    assert _read(EpoOpsReader(), epo / "published-data_search4323a9ad5250bcd2c47c085a57969a71.xml") == []
    fixtures = shared_data / "office-api-responses/current/epo/ops/published/fixtures"
    pub, fam = _read(EpoOpsReader(), fixtures / "ep1000000_biblio_result.json")
    assert (pub.publication_number, pub.family_id, fam.family_id) == ("EP1000000A1", "19768124", "19768124")
    assert [t.lang for t in pub.titles] == ["de", "fr", "en"]
    (cl,) = _read(EpoOpsReader(), fixtures / "ep1000000_claims_result.json")
    assert len(cl.claims) == 11 and cl.claims[2].depends_on == [1, 2]


def test_ops_invalid_number_is_one_rejection(shared_data: Path, tmp_path: Path) -> None:
    src = (
        shared_data
        / "office-api-responses/legacy_4328348/epo/published-data_application_docdb_EP.13844704.A_biblio.xml"
    )
    data = src.read_bytes()
    assert data.count(b"<exchange-document ") == 2
    first = data.index(b"<exchange-document ")
    end = data.index(b"</publication-reference>", first)
    chunk = data[first:end]
    start = chunk.index(b"<doc-number>") + len(b"<doc-number>")
    stop = chunk.index(b"</doc-number>")
    broken = data[: first + start] + b"12-??-34" + data[first + stop :]
    path = tmp_path / "ops.xml"
    path.write_bytes(broken)
    items = _read(EpoOpsReader(), path)
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(rejected) == 1 and rejected[0].field == "publication_number" and "12-??-34" in rejected[0].reason
    assert len([i for i in items if isinstance(i, Publication)]) == 1


# --- INPADOC code table --------------------------------------------------------------------------------------


def test_inpadoc_code_table(shared_data: Path) -> None:
    path = shared_data / "office-api-responses/current/epo/ops/legal/fixtures/legal_code_descriptions_202417.csv.gz"
    (source,) = iter_sources([path])
    assert sniff(source)[0].name == "inpadoc-codes"
    rows = list(InpadocCodeTableReader().read(source))
    assert all(isinstance(r, LegalEventCode) for r in rows)
    assert len(rows) == 4397
    assert sum(r.authority == "CN" for r in rows) == 110
    by_key = {(r.authority, r.code): r for r in rows}
    pg25 = by_key[("EP", "PG25")]
    assert (pg25.inpadoc_class, pg25.status_effect, pg25.valid_from) == ("H", "lapse", dt.date(2007, 11, 6))
    assert by_key[("CN", "CX01")].status_effect == "expiry"  # H, EXPIRY OF PATENT TERM
    assert by_key[("CN", "PE01")].status_effect == "pledge"  # S, pledge contract registered
    assert by_key[("CN", "EE01")].status_effect == "licence"  # S, licence contract recorded
    assert by_key[("CN", "C41")].status_effect == "transfer"  # R, transfer of patent right
    assert by_key[("CN", "C44")].inpadoc_class is None and by_key[("CN", "C44")].status_effect == "transfer"
    assert by_key[("CN", "GR01")].status_effect == "grant"
    assert by_key[("EP", "26N")].status_effect == "other"  # L, but "NO OPPOSITION FILED"
    allowed = {"grant", "lapse", "expiry", "withdrawal", "revocation", "reinstatement", "transfer", "licence",
               "pledge", "opposition", "other"}  # fmt: skip
    assert {r.status_effect for r in rows} <= allowed


def test_status_effect_rules() -> None:
    assert status_effect("H", "FULL INVALIDATION OF PATENT RIGHT") == "revocation"
    assert status_effect("B", "DEEMED WITHDRAWAL") == "withdrawal"
    assert status_effect(None, "SOMETHING UNRELATED") == "other"

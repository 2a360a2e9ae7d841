"""USPTO API readers against the real fixtures: assignment search responses and Patent Public Search JSON."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

from patnav.ingest.base import Rejected
from patnav.ingest.readers.uspto_assignment import UsptoAssignmentReader, conveyance_kind
from patnav.ingest.readers.uspto_public_search import UsptoPublicSearchReader
from patnav.ingest.registry import sniff
from patnav.ingest.sources import iter_sources
from patnav.model.records import FamilyMember, Publication, Transaction


def _read(reader, *paths: Path) -> list:
    items = []
    for source in iter_sources(list(paths)):
        items.extend(reader.read(source))
    return items


def test_assignments_legacy_and_current(shared_data: Path) -> None:
    api = shared_data / "office-api-responses"
    legacy = _read(UsptoAssignmentReader(), api / "legacy_4328348/uspto_assignment")
    assert all(isinstance(t, Transaction) for t in legacy)
    # 13 response pages hold 256 docs; the pages overlap, 202 distinct reel/frames
    assert len(legacy) == 256 and len({t.transaction_id for t in legacy}) == 202
    # SOURCE.md's "210 unique assignment records" counts the legacy pages plus the current XML fixtures
    current = _read(UsptoAssignmentReader(), *sorted((api / "current/uspto/assignment/fixtures").glob("*.xml")))
    unique = {t.transaction_id: t for t in legacy + current}
    assert len(unique) == 210
    kinds = collections.Counter(t.kind for t in unique.values())
    assert kinds == {
        "assignment": 195,  # 188 "(SEE DOCUMENT FOR DETAILS)" + 6 "ASSIGNMENT OF ASSIGNORS INTEREST." + nunc pro tunc
        "security_interest": 6,
        "correction": 3,
        "merger": 3,
        "release": 2,  # "TERMINATION AND RELEASE OF PATENT SECURITY AGREEMENT ..."
        "change_of_name": 1,
    }
    # the JSON fixtures are the same records as the XML ones
    json_items = _read(UsptoAssignmentReader(), *sorted((api / "current/uspto/assignment/fixtures").glob("*.json")))
    assert {t.transaction_id for t in json_items} == {t.transaction_id for t in current}


def test_one_assignment_record(shared_data: Path) -> None:
    # 8a3ff5df…-50-0-.xml, first <doc>: id 43053-871, MERGER, recordedDate 2017-07-20, patAssignorExDate 2016-12-23,
    # patNum 8682883 / 6801908, publNum 20120265736, applNum 13448020 / 10058726
    path = (
        shared_data / "office-api-responses/legacy_4328348/uspto_assignment/8a3ff5df923b8dbcb35b330f4a2dd707-50-0-.xml"
    )
    (source,) = iter_sources([path])
    assert sniff(source)[0].name == "uspto-assignment"
    t = next(i for i in UsptoAssignmentReader().read(source) if i.transaction_id == "43053-871")
    assert (t.kind, t.record_number) == ("merger", "43053/871")
    assert (t.recorded_date, t.executed_date) == (dt.date(2017, 7, 20), dt.date(2016, 12, 23))
    assert t.assignors == ["PREDICTIX, LLC"]
    assert t.assignees == ["LOGICBLOX-PREDICTIX ACQUISITIONCO, INC."]
    assert t.publication_numbers == ["US8682883", "US6801908", "US20120265736"]
    assert t.application_numbers == ["US13448020", "US10058726"]


def test_conveyance_kinds() -> None:
    assert conveyance_kind("RELEASE BY SECURED PARTY (SEE DOCUMENT FOR DETAILS).") == "release"
    assert conveyance_kind("SECURITY AGREEMENT") == "security_interest"
    assert conveyance_kind("LICENSE (SEE DOCUMENT FOR DETAILS).") == "licence"
    assert conveyance_kind("CORRECTIVE ASSIGNMENT TO CORRECT THE ASSIGNEE NAME") == "correction"
    assert conveyance_kind("COURT ORDER") == "other"


def test_bad_assignment_date_is_one_rejection(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "office-api-responses/current/uspto/assignment/fixtures/assignment_3.xml"
    data = src.read_bytes()
    first = data.index(b'<date name="recordedDate">') + len(b'<date name="recordedDate">')
    stop = data.index(b"</date>", first)
    path = tmp_path / "assignment.xml"
    path.write_bytes(data[:first] + b"2021-13-45T00:00:00Z" + data[stop:])
    items = _read(UsptoAssignmentReader(), path)
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(rejected) == 1 and rejected[0].field == "recordedDate" and "2021-13-45" in rejected[0].reason
    assert len(items) == 9 and sum(isinstance(i, Transaction) for i in items) == 8


def test_public_search_biblio(shared_data: Path) -> None:
    path = shared_data / "office-api-responses/current/uspto/public_search/fixtures/biblio.json.gz"
    (source,) = iter_sources([path])
    assert sniff(source)[0].name == "uspto-public-search"
    items = list(UsptoPublicSearchReader().read(source))
    pubs = [i for i in items if isinstance(i, Publication)]
    fams = [i for i in items if isinstance(i, FamilyMember)]
    assert len(pubs) == 129 and not any(isinstance(i, Rejected) for i in items)
    assert all(any(c.scheme == "CPC" for c in p.classifications) for p in pubs)
    # every biblio hit has a family id, but a 13-digit PPUBS one (1000000503593), not a DOCDB family id
    assert len(fams) == 129 and {f.family_type for f in fams} == {"source"}
    first = pubs[0]
    assert first.publication_number == "US11803561B1" and first.publication_date == dt.date(2023, 10, 31)
    assert (first.application_number, first.filing_date) == ("US14231597", dt.date(2014, 3, 31))
    assert [c.symbol for c in first.classifications if c.scheme == "CPC"] == ["G06F 16/313", "G06F 16/2462"]
    assert [p.name for p in first.parties if p.role == "assignee"] == ["Amazon Technologies, Inc."]
    assert first.extras["source_family_id"] == "1000000503593"


def test_public_search_documents(shared_data: Path) -> None:
    path = shared_data / "office-api-responses/current/uspto/public_search/fixtures/doc.json.gz"
    items = _read(UsptoPublicSearchReader(), path)
    pubs = {i.publication_number: i for i in items if isinstance(i, Publication)}
    assert len(pubs) == 31
    doc = pubs["US6103599A"]  # familyIdentifierCur 26732223 is a DOCDB family id; numberOfClaims "28"
    assert doc.family_id == "26732223"
    assert FamilyMember("26732223", "docdb", "US6103599A", "US09089931") in items
    assert len(doc.claims) == 28 and doc.claims[1].depends_on == [1]
    assert [p.name for p in doc.parties if p.role == "inventor"] == ["Francois J. Henley", "Nathan Cheung"]
    assert doc.abstract().startswith("The present invention provides a multilayered wafer")
    assert "EP0379828" in [c.cited_number for c in doc.citations]

"""USPTO patent assignment search responses (Solr-style XML ``<response><result><doc>…`` and its JSON form).

Each ``doc`` is one recorded conveyance → :class:`Transaction`:

- ``transaction_id`` = the record id ``reel-frame`` (``43053-871``), ``record_number`` = ``reel/frame``;
- ``kind`` from ``conveyanceText`` (see :func:`conveyance_kind`), ``conveyance`` = the text as recorded;
- ``recorded_date`` = ``recordedDate``; ``executed_date`` = the earliest assignor execution date
  (``patAssignorExDate``, falling back to ``patAssignorEarliestExDate``); placeholder dates ``0001-01-01`` are absent;
- ``assignors``/``assignees`` as recorded (``patAssignorName``/``patAssigneeName``);
- ``publication_numbers``: granted patents ``patNum`` (``US8682883``, no kind: the record does not say B1 or B2)
  and pre-grant publications ``publNum`` (``US20120265736``); ``application_numbers``: ``applNum`` (``US13448020``).

A doc with an unreadable record id or recorded date is one :class:`Rejected`; an unreadable patent number inside
a doc is dropped from that transaction (and named in no field), the rest of the doc is kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from lxml import etree

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, reason_of
from patnav.ingest.readers._epo_common import local, parse_lenient, ymd
from patnav.ingest.xmlsafe import UnsafeXMLError
from patnav.model.dates import DateParseError
from patnav.model.numbers import PatentNumberError, normalize_application_number, normalize_publication_number
from patnav.model.records import Transaction

_NULLS = {"", "NULL", "N/A", "NONE"}


def conveyance_kind(text: str | None) -> str:
    """The transaction kind of a USPTO conveyance text.

    Order matters: a corrective filing is a correction whatever it corrects; "TERMINATION AND RELEASE OF
    PATENT SECURITY AGREEMENT" is a release, not a security interest.
    """
    t = (text or "").upper()
    if t.startswith("CORRECTIVE") or "TO CORRECT" in t:
        return "correction"
    if "RELEASE" in t and ("SECUR" in t or "LIEN" in t or "SECURED PARTY" in t or "RELEASE BY" in t):
        return "release"
    if re.search(r"SECURITY (?:INTEREST|AGREEMENT)|\bLIEN\b|COLLATERAL|MORTGAGE|\bPLEDGE", t):
        return "security_interest"
    if "MERGER" in t:
        return "merger"
    if "CHANGE OF NAME" in t or "NAME CHANGE" in t:
        return "change_of_name"
    if re.search(r"LICEN[SC]E", t):
        return "licence"
    if "ASSIGNMENT" in t or "NUNC PRO TUNC" in t:
        return "assignment"
    return "other"


def _values(v: Any) -> list[str]:
    if v is None:
        return []
    items = v if isinstance(v, list) else [v]
    out = []
    for i in items:
        s = str(i).strip()
        if s.upper() not in _NULLS:
            out.append(s)
    return out


def _scalar(v: Any) -> str | None:
    vals = _values(v)
    return vals[0] if vals else None


def _xml_doc(doc: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for el in doc:
        name = el.get("name")
        if not name:
            continue
        if local(el.tag) == "arr":
            out[name] = [(c.text or "") for c in el]
        else:
            out[name] = el.text or ""
    return out


class UsptoAssignmentReader:
    """USPTO assignment search responses (XML or JSON): one Transaction per recorded conveyance."""

    name: ClassVar[str] = "uspto-assignment"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 20
    description: ClassVar[str] = "USPTO patent assignment search responses (reel/frame records, XML or JSON)"

    def sniff(self, head: bytes, filename: str) -> float:
        if b"<response" in head[:500] and (b'name="reelNo"' in head or b'name="conveyanceText"' in head):
            return 0.95
        if head.lstrip()[:1] == b"{" and b'"reelNo"' in head and b'"conveyanceText"' in head:
            return 0.95
        if b"<response" in head[:500] and b"patAssignee" in head:
            return 0.8
        return 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        data = source.read_whole()
        if data.lstrip()[:1] == b"{":
            try:
                obj = json.loads(data)
            except ValueError as exc:
                yield Rejected(
                    source.name,
                    Reason(N_("not valid JSON: {problem}"), problem=str(exc)),
                    "json",
                    data[:200].decode("utf-8", "replace"),
                )
                return
            docs = obj.get("docs") or (obj.get("response") or {}).get("docs") or []
        else:
            try:
                root, _ = parse_lenient(data)
            except UnsafeXMLError as exc:
                yield Rejected(source.name, reason_of(exc), "xml", data[:200].decode("utf-8", "replace"))
                return
            except etree.XMLSyntaxError as exc:
                yield Rejected(source.name, Reason(N_("not well-formed XML: {problem}"), problem=str(exc)), "xml")
                return
            docs = [_xml_doc(d) for d in root.iter("doc")]
        for i, doc in enumerate(docs, start=1):
            yield self._transaction(doc, f"{source.name}#doc[{i}]")

    @staticmethod
    def _transaction(doc: dict[str, Any], position: str) -> ReadItem:
        raw = json.dumps(doc, ensure_ascii=False)[:500]
        reel, frame = _scalar(doc.get("reelNo")), _scalar(doc.get("frameNo"))
        rec_id = _scalar(doc.get("id"))
        if not (reel and frame) and rec_id and "-" in rec_id:
            reel, frame = rec_id.split("-", 1)
        if not (reel and frame and reel.isdigit() and frame.isdigit()):
            return Rejected(position, Reason(N_("no reel/frame number (id {id!r})"), id=rec_id), "reelNo", raw)
        try:
            recorded = ymd(_scalar(doc.get("recordedDate")))
        except DateParseError as exc:
            return Rejected(position, reason_of(exc), "recordedDate", raw)
        executed_dates = []
        for value in _values(doc.get("patAssignorExDate")) or _values(doc.get("patAssignorEarliestExDate")):
            try:
                d = ymd(value)
            except DateParseError as exc:
                return Rejected(position, reason_of(exc), "patAssignorExDate", raw)
            if d:
                executed_dates.append(d)
        pubs: list[str] = []
        for value, default in [(v, "US") for v in _values(doc.get("patNum"))] + [
            (v, "US") for v in _values(doc.get("publNum"))
        ]:
            try:
                number = normalize_publication_number(value, default_country=default)
            except PatentNumberError:
                continue
            if number not in pubs:
                pubs.append(number)
        apps: list[str] = []
        for value in _values(doc.get("applNum")):
            try:
                number = normalize_application_number(value, default_country="US")
            except (PatentNumberError, ValueError):
                continue
            if number not in apps:
                apps.append(number)
        conveyance = _scalar(doc.get("conveyanceText"))
        return Transaction(
            transaction_id=f"{int(reel)}-{int(frame)}",
            kind=conveyance_kind(conveyance),  # type: ignore[arg-type]
            conveyance=conveyance,
            recorded_date=recorded,
            executed_date=min(executed_dates) if executed_dates else None,
            assignors=_values(doc.get("patAssignorName")),
            assignees=_values(doc.get("patAssigneeName")),
            publication_numbers=pubs,
            application_numbers=apps,
            record_number=f"{int(reel)}/{int(frame)}",
        )

"""EPO Open Patent Services (OPS) responses, and the INPADOC legal-event code table.

:class:`EpoOpsReader` reads one ``ops:world-patent-data`` response (XML, OPS 3.2) and the JSON documents that
``patent_client`` stores for the same services:

- ``exchange-documents`` (published-data biblio/abstract/full-cycle) → :class:`Publication` per
  ``exchange-document``: DOCDB publication and application references (the ``original`` application number is
  preferred for CN, where it carries the check digit), priority claims (epodoc/original), applicants and
  inventors (the ``original`` data-format when present, else ``epodoc``), IPCR and CPC
  (``patent-classification``), titles and abstracts with their language, citations with ``category``, origin
  from ``cited-by``/``cited-phase`` and the cited DOCDB number; plus a DOCDB :class:`FamilyMember` from the
  ``family-id`` attribute. A document whose number cannot be read becomes one :class:`Rejected`.
- ``ops:patent-family`` (family service) → :class:`FamilyMember` per member: ``docdb`` with the member's own
  ``family-id`` and ``inpadoc`` keyed by the family-id of the queried publication (OPS returns the INPADOC
  extended family but gives no INPADOC family number); members that carry biblio are also read as publications.
- ``ops:patent-family legal="true"`` (legal service) → :class:`LegalEvent` per ``ops:legal``: authority
  ``L001EP``, code (the ``code`` attribute, blanks stripped), description (``desc`` plus, for ``REG``/``PG25``
  and similar, the referenced country ``L501EP``, national code ``L502EP`` with its text and the free text
  ``L510EP``), event date = gazette date ``L007EP`` (effective date ``L525EP`` as fall-back).
  The class and status effect are left to the store, which joins the code table.
- ``ftxt:fulltext-documents`` (claims/description services) → :class:`Publication` with claims or description.
- EP Register (``reg:register-documents``) → :class:`Publication` with ``source_status`` (latest
  ``ep-patent-status``) and its procedural steps as :class:`LegalEvent` (authority ``EP``, register step codes).
- Search results and number-service conversions carry numbers only: nothing is yielded, nothing rejected.

:class:`InpadocCodeTableReader` reads the EPO legal-event code table export (``legal_code_descriptions_*.csv``:
Authority, Event-code, Date Created, Influence, Description ENG, …, Event-class, Event-class Description) into
:class:`LegalEventCode` rows.

INPADOC event classes → ``status_effect``
-----------------------------------------
The ``Event-class`` column is the category level of the EPO's *INPADOC classification scheme* (introduced
2018, modelled on WIPO ST.27 categories; category N of ST.27 is not used, G also holds SPCs). Sources: the
table's own ``Event-class Description`` column; EPO Patent Data Services, "INPADOC classification now available
in most EPO products and services" (forums.epo.org, 18 Dec 2018); EPO Patent Knowledge News "What's new with
the classification of INPADOC legal events?" (epo.org, 11 Oct 2021); WIPO ST.27 (category H = IP right cessation
"following an IP right review, an appeal, a refusal to reinstate, or a lapse or expiry").

==  =============================================  ==================================================
A   application filing                             other
B   application discontinuation                    withdrawal (withdrawn, deemed withdrawn, refused)
C   application revival                            reinstatement
D   search and examination                         other
E   pre-grant review request                       opposition (negated wording: other)
F   IP right grant                                 grant
G   protection beyond IP right term (SPC, PTE)     other
H   IP right cessation                             lapse; expiry when the text says expir*/term ended;
                                                   revocation when it says revoc*/invalid*/nullity
K   IP right revival                               reinstatement
L   IP right review request (opposition, …)        opposition ("no opposition filed": other)
M   IP right maintenance (fees; partial revocation) other
P   re-publication after modification              other
Q   document publication                           other
R   party data change                              transfer when the text says transfer/assign*/
                                                   succession/change of owner|holder|proprietor, else other
S   licensing and similar transactions             pledge when the text says pledge/security/mortgage,
                                                   else licence
T   administrative procedure adjustment            other
U   payment                                        other
V   appeal                                         other
W   other                                          other
Y   correction and deletion of event information   other
Z   classification pending                         other
==  =============================================  ==================================================

Codes with no class (983 of 4,397 rows, e.g. CN ``C44`` "succession or assignment of patent right") get the
effect inferred from their English description with the same keywords (grant only with influence ``+``),
else ``other``. A ``status_effect`` says what kind of change an event is; whether it ends protection in one
state or everywhere is for the status derivation to decide (EP ``PG25`` lapses one contracting state).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from lxml import etree

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, reason_of
from patnav.ingest.readers._epo_common import (
    child,
    children,
    claims_from_texts,
    descendants,
    first,
    ipcr_details,
    local,
    make_party,
    parse_lenient,
    path_text,
    safe_ymd,
    text,
    ymd,
)
from patnav.ingest.xmlsafe import UnsafeXMLError
from patnav.model.dates import DateParseError
from patnav.model.numbers import (
    PatentNumberError,
    normalize_application_number,
    parse_publication_number,
)
from patnav.model.records import (
    Citation,
    Classification,
    FamilyMember,
    LegalEvent,
    LegalEventCode,
    LocalizedText,
    Priority,
    Publication,
)

_OPS_NS = b"http://ops.epo.org"
_CITED_BY = {"examiner": "examiner", "applicant": "applicant", "opposition": "opposition", "third-party": "third_party"}


def _origin(citation: etree._Element | dict[str, Any]) -> str:
    get = citation.get
    by = (get("cited-by") or get("cited_by") or "").lower()
    phase = (get("cited-phase") or get("cited_phase") or "").lower()
    if "search" in phase:
        return "search_report"
    if "opposition" in phase or by == "opposition":
        return "opposition"
    return _CITED_BY.get(by, "unknown")


def _docdb(doc_ids: list[etree._Element]) -> etree._Element | None:
    return next((d for d in doc_ids if d.get("document-id-type") == "docdb"), None)


def _number_from_docid(doc_id: etree._Element | None) -> str | None:
    if doc_id is None:
        return None
    country = path_text(doc_id, "country") or ""
    number = path_text(doc_id, "doc-number") or ""
    kind = path_text(doc_id, "kind") or ""
    if not number:
        return None
    return str(parse_publication_number(f"{country}{number}{kind}"))


class EpoOpsReader:
    """EPO OPS responses: biblio, family, legal, claims/description, register (XML and patent_client JSON)."""

    name: ClassVar[str] = "epo-ops"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 20
    description: ClassVar[str] = "EPO Open Patent Services responses (exchange documents, family, legal, register)"

    def sniff(self, head: bytes, filename: str) -> float:
        if b"world-patent-data" in head[:4000] and _OPS_NS in head[:4000]:
            return 0.95
        stripped = head.lstrip()
        if stripped[:1] in (b"{", b"["):
            if b'"docdb_number"' in head or (
                b'"document_id"' in head and (b'"claims"' in head or b'"description"' in head)
            ):
                return 0.9
            if b'"family_id"' in head and b'"id_type"' in head and b'"results"' in head:
                return 0.9
        return 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        data = source.read_whole()
        if data.lstrip()[:1] in (b"{", b"["):
            yield from self._read_json(source.name, data)
            return
        try:
            root, _recovered = parse_lenient(data)
        except UnsafeXMLError as exc:
            yield Rejected(source.name, reason_of(exc), "xml", data[:200].decode("utf-8", "replace"))
            return
        except etree.XMLSyntaxError as exc:
            yield Rejected(
                source.name,
                Reason(N_("not well-formed XML: {problem}"), problem=str(exc)),
                "xml",
                data[:200].decode("utf-8", "replace"),
            )
            return
        if local(root.tag) != "world-patent-data":
            yield Rejected(
                source.name,
                Reason(
                    N_("root element is {root!r}, not {expected}"),
                    root=local(root.tag),
                    expected="ops:world-patent-data",
                ),
                "root",
            )
            return
        for section in root:
            tag = local(section.tag)
            if tag == "exchange-documents":
                for i, doc in enumerate(children(section, "exchange-document"), start=1):
                    yield from self._exchange_document(doc, f"{source.name}#exchange-document[{i}]")
            elif tag == "patent-family":
                yield from self._family(section, source.name)
            elif tag == "fulltext-documents":
                for i, doc in enumerate(children(section, "fulltext-document"), start=1):
                    yield from self._fulltext(doc, f"{source.name}#fulltext-document[{i}]")
            elif tag == "register-search" or tag == "register-documents":
                query = path_text(section, "query") or ""
                m = re.search(r"publication\s*=\s*([A-Z]{2}\d+[A-Z]?\d?)", query)
                for i, doc in enumerate(descendants(section, "register-document"), start=1):
                    yield from self._register(doc, f"{source.name}#register-document[{i}]", m[1] if m else None)
            # biblio-search, search-result, standardization (number service): numbers only, nothing to load

    # -- exchange documents ----------------------------------------------------------------------------------

    def _exchange_document(self, doc: etree._Element, position: str) -> Iterator[ReadItem]:
        if doc.get("status") and doc.get("status") != "found" and child(doc, "bibliographic-data") is None:
            yield Rejected(
                position, Reason(N_("OPS status {status!r}"), status=doc.get("status")), "status", doc.get("doc-number")
            )
            return
        try:
            pub = self._exchange_publication(doc)
        except PatentNumberError as exc:
            yield Rejected(position, reason_of(exc), "publication_number", etree.tostring(doc)[:300].decode())
            return
        except DateParseError as exc:
            yield Rejected(position, reason_of(exc), "date", doc.get("doc-number"))
            return
        yield pub
        if pub.family_id:
            yield FamilyMember(
                pub.family_id, "docdb", pub.publication_number, pub.application_number, pub.priority_date
            )

    def _exchange_publication(self, doc: etree._Element) -> Publication:
        biblio = child(doc, "bibliographic-data")
        pub_ref = child(biblio, "publication-reference")
        doc_ids = children(pub_ref, "document-id")
        docdb = _docdb(doc_ids)
        if docdb is None and doc_ids:
            docdb = doc_ids[0]
        number = f"{doc.get('country') or ''}{doc.get('doc-number') or ''}{doc.get('kind') or ''}"
        if docdb is not None and path_text(docdb, "doc-number"):
            number = "".join(path_text(docdb, t) or "" for t in ("country", "doc-number", "kind"))
        pn = parse_publication_number(number)
        pub_date = next((path_text(d, "date") for d in doc_ids if path_text(d, "date")), None)
        pub = Publication(
            publication_number=str(pn),
            country=pn.country,
            doc_number=pn.number,
            kind=pn.kind,
            stage=_stage(pn.country, pn.kind),  # type: ignore[arg-type]
            family_id=doc.get("family-id"),
            publication_date=ymd(pub_date),
        )
        app_ref = child(biblio, "application-reference")
        if app_ref is not None:
            pub.application_number, pub.filing_date = self._application(app_ref, pn.country)
        for seq, pc in enumerate(descendants(child(biblio, "priority-claims"), "priority-claim"), start=1):
            prio = self._priority(pc, seq)
            if prio is not None:
                pub.priorities.append(prio)
        pub.priority_date = min((p.date for p in pub.priorities if p.date), default=None)
        self._classifications(biblio, pub)
        self._parties(child(biblio, "parties"), pub)
        for t in children(biblio, "invention-title"):
            if text(t):
                pub.titles.append(LocalizedText((t.get("lang") or "").lower() or None, text(t)))  # type: ignore[arg-type]
        for ab in children(doc, "abstract"):
            body = "\n".join(filter(None, (text(p) for p in children(ab, "p")))) or text(ab)
            if body:
                pub.abstracts.append(LocalizedText((ab.get("lang") or "").lower() or None, body))
        for seq, cit in enumerate(descendants(child(biblio, "references-cited"), "citation"), start=1):
            pub.citations.append(self._citation(cit, seq))
        dates_rights = path_text(
            biblio, "dates-of-public-availability", "unexamined-printed-without-grant", "document-id", "date"
        )
        if dates_rights:
            pub.extras["unexamined_publication_date"] = dates_rights
        return pub

    @staticmethod
    def _application(app_ref: etree._Element, default_country: str) -> tuple[str | None, Any]:
        ids = children(app_ref, "document-id")
        docdb = _docdb(ids)
        original = next((d for d in ids if d.get("document-id-type") == "original"), None)
        country = path_text(docdb, "country") or default_country
        date = next((path_text(d, "date") for d in ids if path_text(d, "date")), None)
        candidates = []
        if original is not None and country == "CN":
            candidates.append(f"CN{path_text(original, 'doc-number') or ''}")
        if docdb is not None:
            candidates.append(f"{country}{path_text(docdb, 'doc-number') or ''}")
        if original is not None:
            candidates.append(path_text(original, "doc-number") or "")
        number = None
        for cand in candidates:
            try:
                number = normalize_application_number(cand, default_country=country)
                break
            except (PatentNumberError, ValueError):
                continue
        return number, safe_ymd(date)

    @staticmethod
    def _priority(pc: etree._Element, seq: int) -> Priority | None:
        ids = children(pc, "document-id")
        date = next((path_text(d, "date") for d in ids if path_text(d, "date")), None)
        docdb = _docdb(ids)
        epodoc = next((d for d in ids if d.get("document-id-type") == "epodoc"), None)
        original = next((d for d in ids if d.get("document-id-type") == "original"), None)
        if docdb is not None:
            country, number = path_text(docdb, "country"), path_text(docdb, "doc-number")
        elif epodoc is not None:
            raw = path_text(epodoc, "doc-number") or ""
            country, number = raw[:2] or None, raw[2:]
        else:
            country, number = None, path_text(original, "doc-number")
        if not number:
            return None
        return Priority(country, number, safe_ymd(date), seq)

    @staticmethod
    def _classifications(biblio: etree._Element | None, pub: Publication) -> None:
        seq = 0
        for el in descendants(child(biblio, "classifications-ipcr"), "classification-ipcr"):
            sym, _main, version = ipcr_details(path_text(el, "text") or "")
            if sym:
                seq += 1
                pub.classifications.append(Classification("IPC", sym, seq == 1, version, seq))
        seen: set[str] = set()
        for el in descendants(child(biblio, "patent-classifications"), "patent-classification"):
            scheme_el = child(el, "classification-scheme")
            scheme = (scheme_el.get("scheme") if scheme_el is not None else "") or ""
            if scheme.upper() not in ("CPC", "CPCI", "CPCNO"):
                continue
            parts = [path_text(el, t) or "" for t in ("section", "class", "subclass", "main-group", "subgroup")]
            if not all(parts[:4]):
                continue
            sym = f"{parts[0]}{parts[1]}{parts[2]} {parts[3]}/{parts[4] or '00'}"
            if sym in seen:
                continue
            seen.add(sym)
            seq += 1
            pub.classifications.append(Classification("CPC", sym, False, None, seq))

    @staticmethod
    def _parties(parties: etree._Element | None, pub: Publication) -> None:
        for group, item, name_tag, role in (
            ("applicants", "applicant", "applicant-name", "applicant"),
            ("inventors", "inventor", "inventor-name", "inventor"),
        ):
            items = children(child(parties, group), item)
            chosen = [i for i in items if i.get("data-format") == "original"] or [
                i for i in items if i.get("data-format") in ("epodoc", "docdb")
            ]
            for seq, it in enumerate(chosen, start=1):
                raw = path_text(it, name_tag, "name")
                if not raw:
                    continue
                m = re.search(r"\s*\[([A-Z]{2})\]\s*$", raw)
                country = m[1] if m else path_text(it, "residence", "country")
                name = raw[: m.start()] if m else raw
                name = name.rstrip(" ,")
                pub.parties.append(make_party(role, name, country=country, sequence=seq))

    @staticmethod
    def _citation(cit: etree._Element, seq: int) -> Citation:
        categories = [text(c) for c in children(cit, "category")]
        category = ",".join(c for c in categories if c) or None
        origin = _origin(cit)
        patcit = child(cit, "patcit")
        if patcit is not None:
            ids = children(patcit, "document-id")
            docdb = _docdb(ids)
            raw = (
                "".join(path_text(docdb, t) or "" for t in ("country", "doc-number", "kind"))
                if docdb is not None
                else None
            )
            if not raw:
                raw = next((path_text(d, "doc-number") for d in ids if path_text(d, "doc-number")), None)
            try:
                number = str(parse_publication_number(raw)) if raw else None
            except PatentNumberError:
                number = None
            date = next((path_text(d, "date") for d in ids if path_text(d, "date")), None)
            return Citation(False, number, raw, None, category, origin, safe_ymd(date), seq)  # type: ignore[arg-type]
        return Citation(True, None, None, text(child(cit, "nplcit")), category, origin, None, seq)  # type: ignore[arg-type]

    # -- family and legal ------------------------------------------------------------------------------------

    def _family(self, family: etree._Element, source_name: str) -> Iterator[ReadItem]:
        legal = family.get("legal") == "true"
        members = children(family, "family-member")
        inpadoc_id = members[0].get("family-id") if members else None
        queried = _docdb(descendants(child(family, "publication-reference"), "document-id"))
        if queried is not None:
            q_num = "".join(path_text(queried, t) or "" for t in ("country", "doc-number"))
            for m in members:
                m_id = _docdb(descendants(child(m, "publication-reference"), "document-id"))
                if m_id is not None and "".join(path_text(m_id, t) or "" for t in ("country", "doc-number")) == q_num:
                    inpadoc_id = m.get("family-id") or inpadoc_id
                    break
        for i, member in enumerate(members, start=1):
            position = f"{source_name}#family-member[{i}]"
            pub_ids = children(child(member, "publication-reference"), "document-id")
            try:
                number = _number_from_docid(_docdb(pub_ids))
            except PatentNumberError as exc:
                yield Rejected(position, reason_of(exc), "publication_number", etree.tostring(member)[:300].decode())
                continue
            if number is None:
                yield Rejected(position, Reason(N_("family member without a publication number")), "publication_number")
                continue
            app_ref = child(member, "application-reference")
            app_number, _ = self._application(app_ref, number[:2]) if app_ref is not None else (None, None)
            prio_dates = [
                safe_ymd(path_text(d, "date"))
                for pc in children(member, "priority-claim")
                for d in children(pc, "document-id")
                if path_text(d, "date")
            ]
            prio = min((d for d in prio_dates if d), default=None)
            family_id = member.get("family-id")
            if family_id:
                yield FamilyMember(family_id, "docdb", number, app_number, prio)
            if inpadoc_id and not legal:
                yield FamilyMember(inpadoc_id, "inpadoc", number, app_number, prio)
            for j, ev in enumerate(children(member, "legal"), start=1):
                yield from self._legal_event(ev, number, f"{position}/legal[{j}]", j)
            for j, doc in enumerate(children(member, "exchange-document"), start=1):
                for item in self._exchange_document(doc, f"{position}/exchange-document[{j}]"):
                    if not isinstance(item, FamilyMember):
                        yield item

    @staticmethod
    def _legal_event(ev: etree._Element, number: str, position: str, seq: int) -> Iterator[ReadItem]:
        code = (ev.get("code") or "").strip()
        if not code:
            yield Rejected(
                position, Reason(N_("legal event without a code")), "code", etree.tostring(ev)[:300].decode()
            )
            return
        fields = {local(c.tag): c for c in ev.iter() if local(c.tag).startswith("L")}
        gazette = text(fields.get("L007EP"))
        effective = text(fields.get("L525EP"))
        try:
            date = ymd(gazette) or ymd(effective)
        except DateParseError as exc:
            yield Rejected(position, reason_of(exc), "event_date", gazette or effective)
            return
        parts = [ev.get("desc") or ""]
        ref_country = text(fields.get("L501EP"))
        nat = fields.get("L502EP")
        if ref_country:
            parts.append(f"[{ref_country}]")
        if nat is not None and text(nat):
            parts.append(f"{text(nat)}: {nat.get('descData') or ''}".rstrip(": "))
        free = text(fields.get("L510EP"))
        if free:
            parts.append(free)
        if effective and gazette and effective.replace("-", "") != gazette.replace("-", ""):
            parts.append(f"effective {effective}")
        description = " ".join(p for p in parts if p).strip() or None
        authority = text(fields.get("L001EP")) or number[:2]
        yield LegalEvent(number, date, authority, code, description, sequence=seq)

    # -- full text and register ------------------------------------------------------------------------------

    @staticmethod
    def _fulltext(doc: etree._Element, position: str) -> Iterator[ReadItem]:
        ids = descendants(first(doc, "bibliographic-data", "publication-reference"), "document-id")
        try:
            number = _number_from_docid(ids[0] if ids else None)
        except PatentNumberError as exc:
            yield Rejected(position, reason_of(exc), "publication_number")
            return
        if number is None:
            yield Rejected(
                position, Reason(N_("full-text document without a publication number")), "publication_number"
            )
            return
        pn = parse_publication_number(number)
        pub = Publication(number, pn.country, pn.number, pn.kind, stage=_stage(pn.country, pn.kind))  # type: ignore[arg-type]
        claims_el = child(doc, "claims")
        if claims_el is not None:
            texts = [text(t) or "" for t in descendants(claims_el, "claim-text")]
            if len(texts) == 1:
                # one block holding every claim: split before "2. ", "3. " …
                texts = re.split(r"\s(?=\d{1,3}\s?\.\s+[A-Z])", texts[0])
            pub.claims = claims_from_texts(texts)
            pub.claims_lang = (claims_el.get("lang") or "").lower() or None
        desc = child(doc, "description")
        if desc is not None:
            pub.description = "\n".join(filter(None, (text(p) for p in children(desc, "p")))) or text(desc)
            pub.description_length = len(pub.description or "")
            pub.extras["description_lang"] = (desc.get("lang") or "").lower()
        yield pub

    @staticmethod
    def _register(doc: etree._Element, position: str, queried: str | None) -> Iterator[ReadItem]:
        biblio = child(doc, "bibliographic-data")
        ids = [child(ref, "document-id") for ref in children(biblio, "publication-reference")]
        ids = [d for d in ids if d is not None and path_text(d, "doc-number")]
        # the register lists the WO publication of a Euro-PCT application too: the EP one is the register's own
        ep_ids = [d for d in ids if path_text(d, "country") == "EP"]
        chosen = (ep_ids or ids or [None])[-1]
        try:
            number = _number_from_docid(chosen) or (str(parse_publication_number(queried)) if queried else None)
        except PatentNumberError as exc:
            yield Rejected(position, reason_of(exc), "publication_number")
            return
        if number is None:
            return
        pn = parse_publication_number(number)
        pub = Publication(number, pn.country, pn.number, pn.kind, stage=_stage(pn.country, pn.kind))  # type: ignore[arg-type]
        statuses = descendants(child(doc, "ep-patent-statuses"), "ep-patent-status")
        if statuses:
            latest = max(statuses, key=lambda s: s.get("change-date") or "")
            pub.source_status = text(latest)
            pub.extras["register_status_code"] = latest.get("status-code") or ""
            pub.extras["register_status_date"] = latest.get("change-date") or ""
        elif doc.get("status"):
            pub.source_status = doc.get("status")
        yield pub
        for seq, step in enumerate(descendants(child(doc, "procedural-data"), "procedural-step"), start=1):
            code = path_text(step, "procedural-step-code")
            if not code:
                continue
            desc = next(
                (
                    text(t)
                    for t in children(step, "procedural-step-text")
                    if t.get("step-text-type") == "STEP_DESCRIPTION"
                ),
                None,
            )
            dates = [path_text(d, "date") for d in children(step, "procedural-step-date")]
            date = next((safe_ymd(d) for d in dates if d and safe_ymd(d)), None)
            yield LegalEvent(number, date, "EP", code, desc, sequence=seq)

    # -- patent_client JSON ----------------------------------------------------------------------------------

    def _read_json(self, name: str, data: bytes) -> Iterator[ReadItem]:
        try:
            obj = json.loads(data)
        except ValueError as exc:
            yield Rejected(
                name,
                Reason(N_("not valid JSON: {problem}"), problem=str(exc)),
                "json",
                data[:200].decode("utf-8", "replace"),
            )
            return
        if not isinstance(obj, dict):
            yield Rejected(name, Reason(N_("expected a JSON object")), "json")
            return
        if "documents" in obj:
            for i, d in enumerate(obj["documents"], start=1):
                yield from self._json_biblio(d, f"{name}#documents[{i}]")
        elif "document_id" in obj:
            yield from self._json_fulltext(obj, name)
        # search results ("results" with numbers only): nothing to load

    def _json_biblio(self, d: dict[str, Any], position: str) -> Iterator[ReadItem]:
        try:
            pn = parse_publication_number(f"{d.get('country') or ''}{d.get('doc_number') or ''}{d.get('kind') or ''}")
        except PatentNumberError as exc:
            yield Rejected(position, reason_of(exc), "publication_number", json.dumps(d)[:300])
            return
        ref = d.get("publication_reference_docdb") or d.get("publication_reference_epodoc") or {}
        try:
            pub_date = ymd(ref.get("date"))
        except DateParseError as exc:
            yield Rejected(position, reason_of(exc), "publication_date", ref.get("date"))
            return
        pub = Publication(
            str(pn),
            pn.country,
            pn.number,
            pn.kind,
            stage=_stage(pn.country, pn.kind),  # type: ignore[arg-type]
            family_id=str(d["family_id"]) if d.get("family_id") else None,
            publication_date=pub_date,
        )
        app = d.get("application_reference_docdb") or {}
        if app.get("number"):
            try:
                pub.application_number = normalize_application_number(
                    f"{app.get('country') or pn.country}{app['number']}", default_country=pn.country
                )
            except (PatentNumberError, ValueError):
                pub.application_number = None
        app_epodoc = d.get("application_reference_epodoc") or {}
        pub.filing_date = safe_ymd(app_epodoc.get("date") or app.get("date"))
        seq = 0
        for p in d.get("priority_claims") or []:
            if p.get("id_type") == "epodoc" and p.get("number"):
                seq += 1
                pub.priorities.append(Priority(p["number"][:2], p["number"][2:], safe_ymd(p.get("date")), seq))
        pub.priority_date = min((p.date for p in pub.priorities if p.date), default=None)
        seq = 0
        for raw in d.get("intl_class") or []:
            sym, _m, version = ipcr_details(raw)
            if sym:
                seq += 1
                pub.classifications.append(Classification("IPC", sym, seq == 1, version, seq))
        seen: set[str] = set()
        for raw in d.get("cpc_class") or []:
            sym = re.sub(r"\s+", " ", raw.replace("/ ", "/")).strip()
            if sym and sym not in seen:
                seen.add(sym)
                seq += 1
                pub.classifications.append(Classification("CPC", sym, False, None, seq))
        titles = d.get("titles") or ([{"lang": "en", "text": d["title"]}] if d.get("title") else [])
        pub.titles = [LocalizedText(t.get("lang"), t["text"]) for t in titles if t.get("text")]
        if d.get("abstract"):
            pub.abstracts.append(LocalizedText("en", d["abstract"]))
        for role, key_orig, key_epodoc in (
            ("applicant", "applicants_original", "applicants_epodoc"),
            ("inventor", "inventors_original", "inventors_epodoc"),
        ):
            names = d.get(key_orig) or d.get(key_epodoc) or []
            for s, raw in enumerate(names, start=1):
                m = re.search(r"\s*\[([A-Z]{2})\]\s*$", raw)
                pub.parties.append(
                    make_party(role, raw[: m.start()] if m else raw, country=m[1] if m else None, sequence=s)
                )
        for s, c in enumerate(d.get("citations") or [], start=1):
            ref = c.get("docdb") or c.get("epodoc") or {}
            raw = f"{ref.get('country') or ''}{ref.get('number') or ''}{ref.get('kind') or ''}" or None
            try:
                number = str(parse_publication_number(raw)) if raw else None
            except PatentNumberError:
                number = None
            if raw or number:
                pub.citations.append(
                    Citation(False, number, raw, None, c.get("category"), _origin(c), safe_ymd(ref.get("date")), s)  # type: ignore[arg-type]
                )
            elif c.get("text"):
                pub.citations.append(Citation(True, None, None, c["text"], c.get("category"), _origin(c), None, s))  # type: ignore[arg-type]
        yield pub
        if pub.family_id:
            yield FamilyMember(
                pub.family_id, "docdb", pub.publication_number, pub.application_number, pub.priority_date
            )

    @staticmethod
    def _json_fulltext(obj: dict[str, Any], name: str) -> Iterator[ReadItem]:
        doc_id = obj.get("document_id") or {}
        try:
            pn = parse_publication_number(
                f"{doc_id.get('country') or ''}{doc_id.get('doc_number') or ''}{doc_id.get('kind') or ''}"
            )
        except PatentNumberError as exc:
            yield Rejected(name, reason_of(exc), "publication_number", json.dumps(doc_id))
            return
        pub = Publication(str(pn), pn.country, pn.number, pn.kind, stage=_stage(pn.country, pn.kind))  # type: ignore[arg-type]
        if obj.get("claims") is not None or obj.get("claim_text"):
            joined = obj.get("claim_text") or " ".join(
                " ".join(c.get("limitations") or []) for c in obj.get("claims") or []
            )
            # patent_client runs the numbered claims together ("…green bricks.2.Apparatus as claimed in claim 1"):
            # split before each "N." that follows a sentence end
            pieces = re.split(r"(?:(?<=[.;])|^)\s*(?=\d{1,3}\s*\.\s*[A-Z])", joined)
            pub.claims = claims_from_texts(p for p in pieces if p.strip())
            pub.claims_lang = "en"
        if obj.get("description"):
            pub.description = obj["description"]
            pub.description_length = len(pub.description or "")
        yield pub


def _stage(country: str, kind: str | None) -> str:
    """Application, grant or search report from the DOCDB kind code (US ``A`` before 2001 is a grant)."""
    k = (kind or "").upper()
    if country in ("EP", "WO") and k in ("A3", "A4"):
        return "search_report"
    if k == "A" and country == "US":
        return "grant"
    if k.startswith("A"):
        return "application"
    if k[:1] in ("B", "C", "E", "S", "P", "U", "Y"):
        return "grant"
    return "other"


# --- the INPADOC legal-event code table ------------------------------------------------------------------------

_CLASS_EFFECT = {
    "A": "other",
    "B": "withdrawal",
    "C": "reinstatement",
    "D": "other",
    "E": "opposition",
    "F": "grant",
    "G": "other",
    "H": "lapse",
    "K": "reinstatement",
    "L": "opposition",
    "M": "other",
    "P": "other",
    "Q": "other",
    "R": "other",
    "S": "licence",
    "T": "other",
    "U": "other",
    "V": "other",
    "W": "other",
    "Y": "other",
    "Z": "other",
}
_EXPIRY = re.compile(r"EXPIR|END OF (?:THE )?TERM|TERM (?:HAS )?ENDED|MAXIMUM TERM")
_REVOKE = re.compile(r"REVOC|REVOK|INVALID|NULLITY|NULL AND VOID|ANNUL")
_TRANSFER = re.compile(
    r"TRANSFER|ASSIGN|SUCCESSION|CHANGE OF (?:OWNER|HOLDER|PROPRIETOR|APPLICANT\b(?! NAME))|NEW (?:OWNER|PROPRIETOR)"
)
_PLEDGE = re.compile(r"PLEDGE|SECURITY|MORTGAGE|LIEN\b|COLLATERAL")
_LICENCE = re.compile(r"LICEN[CS]")
_WITHDRAW = re.compile(r"WITHDRAW|ABANDON|REFUS|REJECT")
_LAPSE = re.compile(r"LAPSE|CEASE|CESSATION|TERMINATION|NON-PAYMENT|NONPAYMENT")
_REINSTATE = re.compile(r"REINSTAT|RESTOR|RE-ESTABLISH|REVIV")
_OPPOSITION = re.compile(r"OPPOSITION|INVALIDATION REQUEST|REQUEST FOR INVALIDATION")
_NEGATED = re.compile(r"\bNO (?:OPPOSITION|REQUEST)|\bNOT FILED|REFUSED|REJECTED|\bNOT AVAILABLE")
_GRANT = re.compile(r"\bGRANT|\bPATENT ISSUED|REGISTRATION OF (?:THE )?PATENT")


def status_effect(inpadoc_class: str | None, description: str | None, influence: str | None = None) -> str:
    """The status effect of a legal event from its INPADOC class, refined by its English description."""
    desc = (description or "").upper()
    cls = (inpadoc_class or "").strip().upper()
    if cls == "H":
        if _EXPIRY.search(desc):
            return "expiry"
        if _REVOKE.search(desc):
            return "revocation"
        return "lapse"
    if cls == "R":
        return "transfer" if _TRANSFER.search(desc) else "other"
    if cls == "S":
        return "pledge" if _PLEDGE.search(desc) else "licence"
    if cls in ("E", "L") and _NEGATED.search(desc):
        return "other"  # "NO OPPOSITION FILED" (EP 26N, PLBE) is the absence of an opposition
    if cls in _CLASS_EFFECT:
        return _CLASS_EFFECT[cls]
    # no class: infer from the wording, most specific first
    if _PLEDGE.search(desc) and "PATENT" in desc and "SOCIAL SECURITY" not in desc:
        return "pledge"
    if _LICENCE.search(desc):
        return "licence"
    if _TRANSFER.search(desc):
        return "transfer"
    if not _NEGATED.search(desc) and _OPPOSITION.search(desc):
        return "opposition"
    if _REINSTATE.search(desc) and not _NEGATED.search(desc):
        return "reinstatement"
    if _EXPIRY.search(desc):
        return "expiry"
    if _REVOKE.search(desc):
        return "revocation"
    if _WITHDRAW.search(desc):
        return "withdrawal"
    if _LAPSE.search(desc):
        return "lapse"
    if influence == "+" and _GRANT.search(desc):
        return "grant"
    return "other"


_CODE_TABLE_HEADER = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\"?Authority\"?[,;\t]\"?Event-code\"?", re.IGNORECASE)


class InpadocCodeTableReader:
    """The EPO INPADOC legal-event code table (CSV export of ``legal_code_descriptions_*.xlsx``)."""

    name: ClassVar[str] = "inpadoc-codes"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 20
    description: ClassVar[str] = "EPO INPADOC legal-event code descriptions with event classes (CSV)"

    def sniff(self, head: bytes, filename: str) -> float:
        return 0.95 if _CODE_TABLE_HEADER.match(head) else 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        with source.open() as raw:
            stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.DictReader(stream)
            missing = {"Authority", "Event-code"} - set(reader.fieldnames or [])
            if missing:
                yield Rejected(
                    source.name,
                    Reason(N_("not an INPADOC code table: missing columns {columns}"), columns=sorted(missing)),
                    "header",
                )
                return
            for line, row in enumerate(reader, start=2):
                position = f"{source.name}:{line}"
                authority = (row.get("Authority") or "").strip().upper()
                code = (row.get("Event-code") or "").strip()
                if not re.fullmatch(r"[A-Z]{2}", authority):
                    yield Rejected(
                        position,
                        Reason(N_("authority {authority!r} is not a 2-letter office code"), authority=authority),
                        "Authority",
                    )
                    continue
                if not code:
                    yield Rejected(position, Reason(N_("empty event code")), "Event-code")
                    continue
                created = (row.get("Date Created") or "").strip()
                try:
                    valid_from = ymd(created)
                except DateParseError as exc:
                    yield Rejected(position, reason_of(exc), "Date Created", created)
                    continue
                cls = (row.get("Event-class") or "").strip().upper() or None
                description = (row.get("Description ENG") or "").strip() or (row.get("Description ORI") or "").strip()
                yield LegalEventCode(
                    authority=authority,
                    code=code,
                    description=description or None,
                    inpadoc_class=cls,
                    status_effect=status_effect(cls, description, (row.get("Influence") or "").strip()),
                    valid_from=valid_from,
                )

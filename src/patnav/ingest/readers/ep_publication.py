"""EPO publication-server full text: ``ep-patent-document`` XML, DTD 1.0 to 1.5.1 (EP A1/A2/A3/B1/B2).

One file is one document. What is read (INID codes of the SDOBI bibliographic block):

- B110/B130/B140 number, kind, publication date; B210/B220 application number and filing date; B300 priorities
  (B310 number, B320 date, B330 country); B430 application publication date and B450 grant date (B docs);
- B510 (old IPC: B511 main, B512 further, B516 edition) and B510EP (IPCR, ``AFI`` = first symbol), B520EP CPC;
- B540 titles in de/en/fr, all kept with their language;
- B711 applicants, B721 inventors, B731 proprietors (role ``owner``), B741 representatives (role ``agent``),
  each with country and address;
- B560 citations (B561 patent as ``CC-KIND-number`` text, B562 NPL, B563 category where given; origin
  ``search_report``), tagged search-report citations (``srep-citations/citation`` with ``category``; origin
  ``search_report``) and the ``ep-reference-list`` (documents cited by the applicant in the description; origin
  ``applicant``);
- abstract(s), description (text and length), claims in the document language (root ``lang``), their numbers and
  dependencies (``claim-ref`` or the wording ``claim N`` / ``Anspruch N`` / ``revendication N``);
- extras: designated states (B840), extension states (B844EP), DTD version, procedure and filing languages,
  PCT application/publication (B861/B871), B121EP (e.g. "after opposition procedure"), and ``xml_recovered``
  when the file was not well-formed and was read with the recovering parser.

Search reports in the sample files are page images (``doc-page``) only, so their categories cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from lxml import etree

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, reason_of
from patnav.ingest.readers._epo_common import (
    block_text,
    child,
    children,
    claims_from_elements,
    descendants,
    ipc_symbol,
    ipcr_details,
    local,
    make_party,
    parse_lenient,
    path_text,
    text,
    ymd,
)
from patnav.ingest.xmlsafe import UnsafeXMLError
from patnav.model.dates import DateParseError
from patnav.model.numbers import PatentNumberError, normalize_application_number, parse_publication_number
from patnav.model.records import Citation, Classification, LocalizedText, Priority, Publication

_ROOT_RE = re.compile(rb"<ep-patent-document\b")
_B561_RE = re.compile(r"^\s*([A-Z]{2})\s*-\s*([A-Z]\d?)?\s*-\s*(.+?)\s*$")
_PARTY_TAGS = {"B711": "applicant", "B721": "inventor", "B731": "owner", "B741": "agent"}


def _stage(kind: str | None) -> str:
    k = (kind or "").upper()
    if k.startswith("A"):
        return "search_report" if k in ("A3", "A4") else "application"
    if k.startswith("B"):
        return "correction" if k in ("B8", "B9") else "grant"
    return "other"


def _b561_number(raw: str) -> str | None:
    """``US-A1- 2007 204 872`` → ``US20070204872A1``; None when it cannot be read as a number."""
    m = _B561_RE.match(raw)
    if not m:
        return None
    country, kind, body = m[1], m[2], m[3]
    body = re.sub(r"(?<=[A-Z])\s+(?=[A-Z\d])|(?<=\d)\s+(?=\d)", "", body)
    try:
        return str(parse_publication_number(f"{country}{body}{kind or ''}"))
    except PatentNumberError:
        try:
            return str(parse_publication_number(f"{country} {body} {kind or ''}".strip()))
        except PatentNumberError:
            return None


def _docid_number(doc_id: etree._Element | None, dnum: str | None = None) -> str | None:
    if doc_id is not None:
        country = path_text(doc_id, "country") or ""
        number = path_text(doc_id, "doc-number") or ""
        kind = path_text(doc_id, "kind") or ""
        if number:
            try:
                return str(parse_publication_number(f"{country}{number}{kind}"))
            except PatentNumberError:
                pass
    if dnum:
        try:
            return str(parse_publication_number(dnum))
        except PatentNumberError:
            return None
    return None


def _party_name(el: etree._Element) -> str | None:
    parts = [path_text(el, t) for t in ("fnm", "snm")]
    name = " ".join(p for p in parts if p) or path_text(el, "onm")
    return name


def _address(el: etree._Element) -> tuple[str | None, str | None]:
    adr = child(el, "adr")
    if adr is None:
        return None, None
    country = path_text(adr, "ctry")
    lines = [text(c) for c in adr if local(c.tag) != "ctry"]
    return country, ", ".join(x for x in lines if x) or None


class EpPublicationReader:
    """EPO publication-server ``ep-patent-document`` XML (DTD 1.0–1.5.1), one document per file."""

    name: ClassVar[str] = "ep-publication"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 30
    description: ClassVar[str] = "EPO publication server full-text XML (ep-patent-document, DTD 1.0-1.5.1)"

    def sniff(self, head: bytes, filename: str) -> float:
        if _ROOT_RE.search(head) or b"EP PATENT DOCUMENT" in head[:2000]:
            return 0.95
        return 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        data = source.read_whole()
        position = source.name
        try:
            root, recovered = parse_lenient(data)
        except UnsafeXMLError as exc:
            yield Rejected(position, reason_of(exc), "xml", data[:200].decode("utf-8", "replace"))
            return
        except etree.XMLSyntaxError as exc:
            yield Rejected(
                position,
                Reason(N_("not well-formed XML: {problem}"), problem=str(exc)),
                "xml",
                data[:200].decode("utf-8", "replace"),
            )
            return
        if local(root.tag) != "ep-patent-document":
            yield Rejected(
                position,
                Reason(
                    N_("root element is {root!r}, not {expected}"), root=local(root.tag), expected="ep-patent-document"
                ),
                "root",
            )
            return
        try:
            yield self._publication(root, recovered)
        except PatentNumberError as exc:
            yield Rejected(position, reason_of(exc), "publication_number", root.get("id"))
        except DateParseError as exc:
            yield Rejected(position, reason_of(exc), "date", root.get("id"))

    # -- one document ------------------------------------------------------------------------------------------

    def _publication(self, root: etree._Element, recovered: bool) -> Publication:
        sdobi = child(root, "SDOBI")
        b100 = child(sdobi, "B100")
        country = path_text(b100, "B190") or root.get("country") or "EP"
        number = path_text(b100, "B110") or root.get("doc-number") or ""
        kind = path_text(b100, "B130") or root.get("kind")
        pn = parse_publication_number(f"{country}{number}{kind or ''}")
        lang = (root.get("lang") or (sdobi.get("lang") if sdobi is not None else None) or "").lower() or None
        b200 = child(sdobi, "B200")
        b400 = child(sdobi, "B400")
        app_raw = path_text(b200, "B210")
        pub = Publication(
            publication_number=str(pn),
            country=pn.country,
            doc_number=pn.number,
            kind=pn.kind,
            stage=_stage(pn.kind),  # type: ignore[arg-type]
            application_number=normalize_application_number(app_raw, default_country="EP") if app_raw else None,
            filing_date=ymd(path_text(b200, "B220", "date")),
            publication_date=ymd(path_text(b100, "B140", "date") or root.get("date-publ")),
        )
        if pub.stage in ("grant", "correction"):
            pub.grant_date = ymd(path_text(b400, "B450", "date"))
        extras = pub.extras
        extras["dtd_version"] = root.get("dtd-version") or ""
        if lang:
            extras["language"] = lang
        for tag, key in (("B250", "filing_language"), ("B260", "procedure_language")):
            val = path_text(b200, tag)
            if val:
                extras[key] = val
        a_pub = path_text(b400, "B430", "date")
        if a_pub:
            extras["application_publication_date"] = ymd(a_pub).isoformat()  # type: ignore[union-attr]
        b121ep = path_text(b100, "B120", "B121EP")
        if b121ep:
            extras["document_note"] = b121ep
        if recovered:
            extras["xml_recovered"] = "true"

        self._priorities(sdobi, pub)
        self._classifications(sdobi, pub)
        b500 = child(sdobi, "B500")
        b540 = child(b500, "B540")
        cur_lang: str | None = None
        for el in b540 if b540 is not None else []:
            if local(el.tag) == "B541":
                cur_lang = (text(el) or "").lower() or None
            elif local(el.tag) == "B542":
                t = text(el)
                if t:
                    pub.titles.append(LocalizedText(cur_lang, t))
        self._parties(sdobi, pub)
        b800 = child(sdobi, "B800")
        states = [text(c) for c in children(child(b800, "B840"), "ctry")]
        if states:
            extras["designated_states"] = " ".join(s for s in states if s)
        ext = [text(c) for c in descendants(child(b800, "B844EP"), "ctry")]
        if ext:
            extras["extension_states"] = " ".join(s for s in ext if s)
        pct_app = path_text(b800, "B860", "B861", "dnum", "anum")
        if pct_app:
            extras["pct_application"] = pct_app
        pct_pub = path_text(b800, "B870", "B871", "dnum", "pnum")
        if pct_pub:
            extras["pct_publication"] = pct_pub
        if pub.priorities:
            pub.priority_date = min((p.date for p in pub.priorities if p.date), default=None)

        self._citations(root, b500, pub)
        for ab in children(root, "abstract"):
            t = block_text(ab, ("p",))
            if t:
                pub.abstracts.append(LocalizedText((ab.get("lang") or lang or "").lower() or None, t))
        desc = child(root, "description")
        if desc is not None:
            pub.description = block_text(desc)
            pub.description_length = len(pub.description)
        claim_sets = children(root, "claims")
        chosen = next((c for c in claim_sets if (c.get("lang") or "").lower() == lang), None)
        if chosen is None and claim_sets:
            chosen = claim_sets[0]
        if chosen is not None:
            pub.claims = claims_from_elements(children(chosen, "claim"))
            pub.claims_lang = (chosen.get("lang") or lang or "").lower() or None
            other = sorted({(c.get("lang") or "").lower() for c in claim_sets if c is not chosen} - {""})
            if other:
                extras["claims_other_languages"] = " ".join(other)
        return pub

    def _priorities(self, sdobi: etree._Element | None, pub: Publication) -> None:
        b300 = child(sdobi, "B300")
        if b300 is None:
            return
        current: dict[str, str | None] = {}
        rows: list[dict[str, str | None]] = []
        for el in b300:
            tag = local(el.tag)
            if tag == "B310":
                if current:
                    rows.append(current)
                current = {"number": text(el)}
            elif tag == "B320":
                current["date"] = path_text(el, "date")
            elif tag == "B330":
                current["country"] = path_text(el, "ctry")
        if current:
            rows.append(current)
        for seq, row in enumerate(rows, start=1):
            num = (row.get("number") or "").replace(" ", "")
            if num:
                pub.priorities.append(Priority(row.get("country"), num, ymd(row.get("date")), seq))

    def _classifications(self, sdobi: etree._Element | None, pub: Publication) -> None:
        b500 = child(sdobi, "B500")
        seq = 0
        old = child(b500, "B510")
        if old is not None:
            edition = path_text(old, "B516")
            for el in old:
                tag = local(el.tag)
                if tag in ("B511", "B512", "B513", "B514", "B515"):
                    sym = ipc_symbol(text(el))
                    if sym:
                        seq += 1
                        pub.classifications.append(
                            Classification("IPC", sym, is_main=tag == "B511", version=edition, sequence=seq)
                        )
        for container, scheme, item in (
            ("B510EP", "IPC", "classification-ipcr"),
            ("B520EP", "CPC", "classification-cpc"),
        ):
            for el in descendants(child(b500, container), item):
                raw = path_text(el, "text") or ""
                sym, is_main, version = ipcr_details(raw)
                if sym:
                    seq += 1
                    pub.classifications.append(Classification(scheme, sym, is_main, version, seq))  # type: ignore[arg-type]

    def _parties(self, sdobi: etree._Element | None, pub: Publication) -> None:
        b700 = child(sdobi, "B700")
        if b700 is None:
            return
        counters: dict[str, int] = {}
        for el in b700.iter():
            role = _PARTY_TAGS.get(local(el.tag))
            if not role:
                continue
            name = _party_name(el)
            if not name:
                continue
            counters[role] = counters.get(role, 0) + 1
            country, address = _address(el)
            pub.parties.append(make_party(role, name, country=country, address=address, sequence=counters[role]))

    def _citations(self, root: etree._Element, b500: etree._Element | None, pub: Publication) -> None:
        seen: set[tuple[str | None, str | None, str]] = set()

        def add(c: Citation) -> None:
            key = (c.cited_number or c.cited_number_raw, c.npl_text, c.origin)
            if key in seen:
                return
            seen.add(key)
            c.sequence = len(pub.citations) + 1
            pub.citations.append(c)

        b560 = child(b500, "B560")
        last: Citation | None = None
        for el in b560 if b560 is not None else []:
            tag = local(el.tag)
            if tag == "B561":
                raw = text(el) or ""
                last = Citation(False, _b561_number(raw), raw, origin="search_report")
                add(last)
            elif tag == "B562":
                last = Citation(True, npl_text=text(el), origin="search_report")
                add(last)
            elif tag == "B563" and last is not None:
                last.category = text(el)
        for srep in children(root, "search-report-data"):
            for cit in descendants(srep, "citation"):
                add(self._structured_citation(cit, "search_report"))
        for ref_list in children(root, "ep-reference-list"):
            for el in ref_list.iter():
                if local(el.tag) == "patcit":
                    # dnum-type (e.g. "L") marks an application number, not a publication: keep it raw only
                    number = None if el.get("dnum-type") else _docid_number(child(el, "document-id"), el.get("dnum"))
                    add(Citation(False, number, el.get("dnum") or text(el), origin="applicant"))
                elif local(el.tag) == "nplcit":
                    add(Citation(True, npl_text=text(el), origin="applicant"))

    @staticmethod
    def _structured_citation(cit: etree._Element, origin: str) -> Citation:
        categories = [text(c) for c in children(cit, "category")]
        category = ",".join(c for c in categories if c) or None
        patcit = child(cit, "patcit")
        if patcit is not None:
            doc_id = child(patcit, "document-id")
            return Citation(
                False,
                _docid_number(doc_id, patcit.get("dnum")),
                patcit.get("dnum") or text(patcit),
                category=category,
                origin=origin,  # type: ignore[arg-type]
                cited_date=None,
            )
        return Citation(True, npl_text=text(child(cit, "nplcit")), category=category, origin=origin)  # type: ignore[arg-type]

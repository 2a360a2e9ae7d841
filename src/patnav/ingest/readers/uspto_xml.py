"""USPTO Red Book full-text XML v4.0–v4.5 (2005–): ``us-patent-grant`` and ``us-patent-application``.

A weekly file (``ipgYYMMDD.xml``, ``ipaYYMMDD.xml``) concatenates thousands of XML documents, each with its
own declaration and DOCTYPE; the stream is cut at the lines starting with ``<?xml`` and each document is
parsed once. Sub-documents that are not patents (``sequence-cwu`` sequence listings, …) are skipped
silently: they are not records and not rejections.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from lxml import etree

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, reason_of
from patnav.ingest.readers._uspto_common import (
    _pub_number,
    _ymd,
    app_number,
    claim_ref_number,
    clean,
    country_code,
    document_spans,
    ipc_parts_symbol,
    ipc_symbol,
    locarno_symbol,
    make_party,
    origin_of,
    parse,
    person_name,
    position,
    raw_text,
    split_documents,
    text_of,
    uspc_symbol,
    version_date,
    with_country,
    ymd,
)
from patnav.model.numbers import PatentNumberError, parse_publication_number
from patnav.model.records import (
    Citation,
    Claim,
    Classification,
    LocalizedText,
    Party,
    Priority,
    Publication,
)

_ROOTS = {"us-patent-grant": "grant", "us-patent-application": "application"}
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s+([\w.-]+)")
_ROOT_RE = re.compile(rb"<(us-patent-grant|us-patent-application)[\s>]")
_APPL_TYPES = {
    "utility": "invention",
    "design": "design",
    "plant": "plant",
    "reissue": "invention",
    "sir": "other",
    "defensive-publication": "other",
}


class UsptoXmlReader:
    name: ClassVar[str] = "uspto-xml"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 30
    description: ClassVar[str] = "USPTO full-text grant/application XML v4.0–v4.5 (Red Book, 2005–), weekly files"

    def sniff(self, head: bytes, filename: str) -> float:
        m = _DOCTYPE_RE.search(head[:4096])
        if m and m.group(1) in (b"us-patent-grant", b"us-patent-application"):
            return 0.95
        if _ROOT_RE.search(head):
            return 0.9
        return 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        for doc in self.documents(source):
            item = self.read_document(doc)
            if item is not None:
                yield item

    # The two halves of read(), for loaders that parse the documents of one file in several processes:
    # documents() only cuts the stream (cheap), read_document() does the work and needs nothing but its
    # argument (picklable bytes and numbers).

    def documents(self, source: Source) -> Iterator[tuple[int, int, bytes]]:
        """The raw documents of ``source``: ``(index, first line, bytes)``, in order."""
        with source.open() as fh:
            yield from split_documents(fh)

    def document_spans(self, source: Source) -> Iterator[tuple[int, int, int, int]]:
        """The documents of ``source`` as ``(index, first line, offset, length)``: what :meth:`documents`
        yields, without the bytes (a loader's workers read them from ``source.file`` themselves)."""
        with source.open() as fh:
            yield from document_spans(fh)

    def read_document(self, doc: tuple[int, int, bytes]) -> ReadItem | None:
        """The record (or rejection) of one raw document; None for a sub-document that is not a patent."""
        index, line, data = doc
        m = _DOCTYPE_RE.search(data, 0, 1024)
        if m and m.group(1) not in (b"us-patent-grant", b"us-patent-application"):
            return None  # sequence listing or other non-patent sub-document
        pos = position(index, line)
        root = parse(data, pos)
        if isinstance(root, Rejected):
            return root
        stage = _ROOTS.get(root.tag)  # type: ignore[arg-type]
        if stage is None:
            return None
        try:
            return extract(root, stage)
        except _FieldError as exc:
            return Rejected(pos, exc.reason, exc.field, data[:300].decode("utf-8", "replace"))
        except (ValueError, TypeError, AttributeError) as exc:
            return Rejected(
                pos,
                Reason(N_("unreadable document: {problem}"), problem=reason_of(exc)),
                None,
                data[:300].decode("utf-8", "replace"),
            )


class _FieldError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _doc_id(el: etree._Element | None) -> tuple[str, str, str, str]:
    if el is None:
        return "", "", "", ""
    return (
        (el.findtext("country") or "").strip(),
        (el.findtext("doc-number") or "").strip(),
        (el.findtext("kind") or "").strip(),
        (el.findtext("date") or "").strip(),
    )


def extract(root: etree._Element, stage: str) -> Publication:
    """One :class:`Publication` from a parsed ``us-patent-grant``/``us-patent-application`` tree."""
    bib = root.find("us-bibliographic-data-grant" if stage == "grant" else "us-bibliographic-data-application")
    if bib is None:
        raise _FieldError("us-bibliographic-data", Reason(N_("no bibliographic data element")))

    country, number, kind, pub_date_text = _doc_id(bib.find("publication-reference/document-id"))
    try:
        parsed = parse_publication_number(with_country(country or "US", number) + kind)
    except PatentNumberError as exc:
        raise _FieldError(
            "publication-reference", Reason(N_("unreadable publication number: {problem}"), problem=reason_of(exc))
        ) from None
    canonical = str(parsed)
    pub_date = ymd(pub_date_text)

    app_ref = bib.find("application-reference")
    appl_type = app_ref.get("appl-type") if app_ref is not None else None
    a_country, a_number, _, a_date = _doc_id(app_ref.find("document-id") if app_ref is not None else None)

    doc_type = _APPL_TYPES.get(appl_type or "")
    prefix = canonical[2:4]
    if doc_type is None:
        if prefix.startswith("D"):
            doc_type = "design"
        elif prefix == "PP":
            doc_type = "plant"
        elif prefix.startswith("H"):
            doc_type = "other"
        else:
            doc_type = "invention"

    extras: dict[str, str] = {}
    if appl_type:
        extras["appl_type"] = appl_type
    if appl_type == "reissue" or prefix == "RE":
        extras["reissue"] = "true"
    if appl_type == "sir" or bib.find("us-sir-flag") is not None:
        extras["statutory_invention_registration"] = "true"
    n_claims = bib.findtext("number-of-claims")
    if n_claims:
        extras["number_of_claims"] = n_claims.strip()

    filing_date = ymd(a_date)
    pub = Publication(
        publication_number=canonical,
        country=canonical[:2],
        doc_number=parsed.number,
        kind=parsed.kind,
        doc_type=doc_type,  # type: ignore[arg-type]
        stage=stage,  # type: ignore[arg-type]
        application_number=app_number(a_number, a_country or "US"),
        filing_date=filing_date,
        publication_date=pub_date,
        grant_date=pub_date if stage == "grant" else None,
        extras=extras,
    )

    title = bib.find("invention-title")
    if title is not None:
        pub.titles.append(LocalizedText("en", text_of(title)))

    # term extension (patent term adjustment), days
    ext = bib.findtext("us-term-of-grant/us-term-extension")
    if ext and ext.strip().isdigit():
        pub.term_extension_days = int(ext.strip())

    _classifications(bib, pub)
    _priorities(bib, pub)
    pub.priority_date = min((p.date for p in pub.priorities if p.date), default=filing_date)
    _parties(bib, pub)
    _citations(bib, pub)

    abstract = root.find("abstract")
    if abstract is not None:
        text = text_of(abstract)
        if text:
            pub.abstracts.append(LocalizedText("en", text))

    description = root.find("description")
    if description is not None:
        desc = raw_text(description).strip()
        pub.description = desc
        pub.description_length = len(desc)

    claims = root.find("claims")
    if claims is not None:
        pub.claims_lang = "en"
        for i, claim in enumerate(claims.iterfind("claim"), start=1):
            num_attr = claim.get("num") or ""
            num = int(num_attr) if num_attr.isdigit() else i
            depends: list[int] = []
            for ref in claim.iter("claim-ref"):
                n = claim_ref_number(ref.get("idref"))
                if n is not None and n != num and n not in depends:
                    depends.append(n)
            pub.claims.append(Claim(num, text_of(claim), depends))
    return pub


def _parts_symbol(c: etree._Element) -> str:
    """The symbol of an IPCR or CPC element written in parts (section, class, subclass, groups)."""
    parts = ("section", "class", "subclass", "main-group", "subgroup")
    return ipc_parts_symbol(*(c.findtext(p) or "" for p in parts))


def _classifications(bib: etree._Element, pub: Publication) -> None:
    out = pub.classifications
    ipcr = bib.find("classifications-ipcr")
    if ipcr is not None:
        for i, c in enumerate(ipcr.iterfind("classification-ipcr")):
            symbol = _parts_symbol(c)
            out.append(
                Classification(
                    "IPC",
                    symbol,
                    is_main=i == 0,
                    version=version_date(c.findtext("ipc-version-indicator/date")),
                    sequence=i,
                )
            )
    ipc = bib.find("classification-ipc")
    if ipc is not None:
        edition = (ipc.findtext("edition") or "").strip() or None
        seq = len(out)
        for el in ipc:
            if el.tag in ("main-classification", "further-classification"):
                symbol = ipc_symbol(el.text)
                if symbol:
                    is_main = el.tag == "main-classification" and ipcr is None
                    out.append(Classification("IPC", symbol, is_main=is_main, version=edition, sequence=seq))
                    seq += 1
    cpc = bib.find("classifications-cpc")
    if cpc is not None:
        seq = 0
        for group, is_main in (("main-cpc", True), ("further-cpc", False)):
            g = cpc.find(group)
            if g is None:
                continue
            for c in g.iterfind("classification-cpc"):
                symbol = _parts_symbol(c)
                out.append(
                    Classification(
                        "CPC",
                        symbol,
                        is_main=is_main and seq == 0,
                        version=version_date(c.findtext("cpc-version-indicator/date")),
                        sequence=seq,
                    )
                )
                seq += 1
    national = bib.find("classification-national")
    if national is not None:
        seq = 0
        for el in national:
            if el.tag in ("main-classification", "further-classification"):
                symbol = uspc_symbol(el.text)
                if symbol:
                    is_main = el.tag == "main-classification"
                    if is_main:
                        pub.extras["uspc_main"] = symbol
                    out.append(Classification("USPC", symbol, is_main=is_main, sequence=seq))
                    seq += 1
    locarno = bib.find("classification-locarno")
    if locarno is not None:
        symbol = locarno_symbol(locarno.findtext("main-classification"))
        if symbol:
            edition = (locarno.findtext("edition") or "").strip() or None
            out.append(Classification("LOCARNO", symbol, is_main=True, version=edition, sequence=0))


def _priorities(bib: etree._Element, pub: Publication) -> None:
    claims = bib.find("priority-claims")
    if claims is None:
        return
    for i, pc in enumerate(claims.iterfind("priority-claim")):
        country = country_code(pc.findtext("country"))
        raw = clean(pc.findtext("doc-number"))
        if not raw:
            continue
        number = app_number(raw, country) or raw
        pub.priorities.append(Priority(country, number, ymd(pc.findtext("date")), sequence=i))


_BOOK_FIELDS = {"orgname", "first-name", "last-name", "middle-name", "address"}
_ADDRESS_FIELDS = ("city", "state", "country")


def _party_from(el: etree._Element, role: str, seq: int) -> Party | None:
    book = el.find("addressbook")
    if book is None:
        book = el
    fields: dict[str, str] = {}
    address_el = None
    for ch in book:
        tag = ch.tag
        if tag == "address":
            address_el = ch
        elif tag in _BOOK_FIELDS and ch.text:
            fields[tag] = ch.text
    org = clean(fields.get("orgname"))
    if org:
        name, person = org, False
    else:
        name = person_name(fields.get("first-name"), fields.get("last-name"))
        person = True
    if not name:
        return None
    country = address = None
    if address_el is not None:
        parts: dict[str, str] = {ch.tag: ch.text for ch in address_el if ch.tag in _ADDRESS_FIELDS and ch.text}
        country = country_code(parts.get("country"))
        address = ", ".join(p for p in (clean(parts.get("city")), clean(parts.get("state"))) if p) or None
    if country is None:
        country = country_code(el.findtext("residence/country"))
    return make_party(role, name, person=person, country=country, address=address, sequence=seq)  # type: ignore[arg-type]


def _parties(bib: etree._Element, pub: Publication) -> None:
    parties = bib.find("us-parties")
    if parties is None:
        parties = bib.find("parties")
    out = pub.parties
    if parties is not None:
        applicants = parties.find("us-applicants")
        if applicants is None:
            applicants = parties.find("applicants")
        inventors = parties.find("inventors")
        if applicants is not None:
            for i, a in enumerate(applicants, start=1):
                if not isinstance(a.tag, str):
                    continue
                seq = int(a.get("sequence") or i)
                party = _party_from(a, "applicant", seq)
                if party is None:
                    continue
                out.append(party)
                if inventors is None and "inventor" in (a.get("app-type") or ""):
                    inv = make_party(
                        "inventor", party.name, person=True, country=party.country, address=party.address, sequence=seq
                    )
                    out.append(inv)
        if inventors is not None:
            for i, a in enumerate(inventors, start=1):
                if not isinstance(a.tag, str):
                    continue
                party = _party_from(a, "inventor", int(a.get("sequence") or i))
                if party is not None:
                    party.kind = "individual"
                    out.append(party)
    assignees = bib.find("assignees")
    if assignees is not None:
        for i, a in enumerate(assignees, start=1):
            if not isinstance(a.tag, str):
                continue
            party = _party_from(a, "assignee", i)
            if party is not None:
                out.append(party)


#: category as written -> (category cleaned, origin): a handful of distinct values in any corpus.
_CATEGORIES: dict[str | None, tuple[str | None, str]] = {}
_CITATION_TAGS = ("patcit", "nplcit", "country", "doc-number", "kind", "date", "category")


def _citations(bib: etree._Element, pub: Publication) -> None:
    refs = bib.find("us-references-cited")
    if refs is None:
        refs = bib.find("references-cited")
    if refs is None:
        return
    # One pass over the reference list (much cheaper than a find() per field): a patcit/nplcit starts a
    # citation, the document-id fields fill it (first value wins, so the country of a later
    # classification-national does not), and the category that follows the citation completes it.
    out = pub.citations
    current: list | None = None  # [is_npl, country, number, kind, date, category, text, num]
    items: list[list] = []
    for el in refs.iter(_CITATION_TAGS):
        tag = el.tag
        if tag == "patcit":
            current = [False, None, None, None, None, None, None, el.get("num")]
            items.append(current)
        elif tag == "nplcit":
            current = [True, None, None, None, None, None, text_of(el), el.get("num")]
            items.append(current)
        elif current is None:
            continue
        elif tag == "category":
            current[5] = el.text
        elif current[0]:
            continue
        elif tag == "country":
            if current[1] is None:
                current[1] = el.text
        elif tag == "doc-number":
            if current[2] is None:
                current[2] = el.text
        elif tag == "kind":
            if current[3] is None:
                current[3] = el.text
        elif tag == "date" and current[4] is None:
            current[4] = el.text
    categories = _CATEGORIES
    for i, (is_npl, country, number, kind, date, category, text, num) in enumerate(items, start=1):
        cat = categories.get(category)
        if cat is None:
            c = clean(category) or None
            cat = (c, origin_of(c))
            if len(categories) < 4096:
                categories[category] = cat
        seq = int(num) if num and num.isdigit() else i
        if is_npl:
            out.append(Citation(True, None, None, text or None, cat[0], cat[1], None, seq))  # type: ignore[arg-type]
            continue
        country = country.strip() if country else ""
        number = number.strip() if number else ""
        kind = kind.strip() if kind else ""
        if country and number and kind:
            raw: str | None = f"{country} {number} {kind}"
        else:
            raw = " ".join(p for p in (country, number, kind) if p) or None
        out.append(
            Citation(
                False,
                _pub_number(country, number, kind) if number else None,
                raw,
                None,
                cat[0],
                cat[1],  # type: ignore[arg-type]
                _ymd(date.strip()) if date else None,
                seq,
            )
        )

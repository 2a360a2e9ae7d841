"""USPTO pre-grant publication XML v1.5/v1.6 (2001–2004): ``patent-application-publication``.

The DOCTYPE declares the drawing files as unparsed entities (``NDATA TIF``) and the text uses character
entities of the DTD (``&mdash;``, ``&lsqb;``…); the DTD is never loaded: the image declarations are checked
and dropped, the character entities written as numbers (:func:`prepare_legacy`), anything else is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from lxml import etree

from patnav.ingest.base import ReadItem, Source
from patnav.ingest.readers._uspto_common import (
    app_number,
    claim_ref_number,
    clean,
    country_code,
    ipc_symbol,
    make_party,
    pub_number,
    raw_text,
    read_legacy,
    sniff_root,
    text_claim_refs,
    text_of,
    ymd,
)
from patnav.model.records import Citation, Claim, Classification, LocalizedText, Priority, Publication

_ROOT = "patent-application-publication"
_ROOT_RE = re.compile(rb"<patent-application-publication[\s>]")


class UsptoPapReader:
    name: ClassVar[str] = "uspto-pap"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 30
    description: ClassVar[str] = "USPTO pre-grant publication XML v1.5/v1.6 (patent-application-publication, 2001–2004)"

    def sniff(self, head: bytes, filename: str) -> float:
        return sniff_root(head, b"patent-application-publication", _ROOT_RE)

    def read(self, source: Source) -> Iterator[ReadItem]:
        return read_legacy(source, _ROOT, extract, "document-id")


def _uspc(klass: str | None, subclass: str | None) -> str | None:
    """``705/26`` from class ``705`` and the 6-digit subclass ``026000`` (3 digits + 3 decimals)."""
    k = clean(klass).lstrip("0")
    s = clean(subclass)
    if not k:
        return None
    if len(s) == 6 and s.isdigit():
        main, dec = s[:3].lstrip("0") or "0", s[3:].rstrip("0")
        return f"{k}/{main}.{dec}" if dec else f"{k}/{main}"
    return f"{k}/{s.lstrip('0')}" if s else k


def extract(root: etree._Element) -> Publication:
    bib = root.find("subdoc-bibliographic-information")
    if bib is None:
        raise ValueError("no subdoc-bibliographic-information")
    doc = bib.find("document-id")
    number = clean(doc.findtext("doc-number")) if doc is not None else ""
    kind = clean(doc.findtext("kind-code")) if doc is not None else ""
    canonical = pub_number("US", number, kind or "A1")
    if canonical is None:
        raise ValueError(f"unreadable publication number {number!r}")
    pub_date = ymd(doc.findtext("document-date")) if doc is not None else None

    dom = bib.find("domestic-filing-data")
    filing_date = ymd(dom.findtext("filing-date")) if dom is not None else None
    app_no = None
    if dom is not None:
        app_no = app_number(clean(dom.findtext("application-number/doc-number")))
    pub = Publication(
        publication_number=canonical,
        country="US",
        doc_number=canonical[2:-2] if canonical[-2:] == (kind or "A1") else canonical[2:],
        kind=kind or "A1",
        doc_type="invention",
        stage="application",
        application_number=app_no,
        filing_date=filing_date,
        publication_date=pub_date,
    )
    ftype = clean(bib.findtext("publication-filing-type"))
    if ftype:
        pub.extras["publication_filing_type"] = ftype

    for i, fp in enumerate(bib.iterfind("foreign-priority-data")):
        raw = clean(fp.findtext("priority-application-number/doc-number"))
        if not raw:
            continue
        country = country_code(fp.findtext("country-code"))
        number_c = app_number(raw, country) if country else None
        pub.priorities.append(Priority(country, number_c or raw, ymd(fp.findtext("filing-date")), sequence=i))
    pub.priority_date = min((p.date for p in pub.priorities if p.date), default=filing_date)

    tech = bib.find("technical-information")
    if tech is not None:
        title = tech.find("title-of-invention")
        if title is not None:
            pub.titles.append(LocalizedText("en", text_of(title)))
        ipc = tech.find("classification-ipc")
        if ipc is not None:
            edition = clean(ipc.findtext("classification-ipc-edition")) or None
            seq = 0
            for group, is_main in (("classification-ipc-primary", True), ("classification-ipc-secondary", False)):
                for el in ipc.iterfind(f"{group}/ipc"):
                    symbol = ipc_symbol(clean(el.text))
                    if symbol:
                        pub.classifications.append(Classification("IPC", symbol, is_main and seq == 0, edition, seq))
                        seq += 1
        us = tech.find("classification-us")
        if us is not None:
            seq = 0
            for group, is_main in (("classification-us-primary", True), ("classification-us-secondary", False)):
                for el in us.iterfind(f"{group}/uspc"):
                    symbol = _uspc(el.findtext("class"), el.findtext("subclass"))
                    if symbol:
                        if is_main and seq == 0:
                            pub.extras["uspc_main"] = symbol
                        pub.classifications.append(Classification("USPC", symbol, is_main and seq == 0, None, seq))
                        seq += 1

    inventors = bib.find("inventors")
    if inventors is not None:
        for i, inv in enumerate(inventors, start=1):
            if not isinstance(inv.tag, str):
                continue
            name_el = inv.find("name")
            if name_el is None:
                continue
            name = " ".join(
                p
                for p in (
                    clean(name_el.findtext(t)) for t in ("given-name", "middle-name", "family-name", "name-suffix")
                )
                if p
            )
            if not name:
                continue
            res = inv.find("residence")
            country = city = None
            if res is not None:
                country = country_code(res.findtext("*/country-code")) or (
                    "US" if res.find("residence-us") is not None else None
                )
                city = (
                    ", ".join(p for p in (clean(res.findtext("*/city")), clean(res.findtext("*/state"))) if p) or None
                )
            pub.parties.append(make_party("inventor", name, person=True, country=country, address=city, sequence=i))
    for i, asg in enumerate(bib.iterfind("assignee"), start=1):
        org = clean(asg.findtext("organization-name"))
        person = False
        if not org:
            org = " ".join(p for p in (clean(asg.findtext(f"name/{t}")) for t in ("given-name", "family-name")) if p)
            person = True
        if org:
            addr = asg.find("address")
            country = country_code(addr.findtext("country/country-code")) if addr is not None else None
            pub.parties.append(make_party("assignee", org, person=person, country=country, sequence=i))

    abstract = root.find("subdoc-abstract")
    if abstract is not None:
        text = text_of(abstract)
        if text:
            pub.abstracts.append(LocalizedText("en", text))
    description = root.find("subdoc-description")
    if description is not None:
        desc = raw_text(description).strip()
        pub.description = desc
        pub.description_length = len(desc)
    claims = root.find("subdoc-claims")
    if claims is not None:
        pub.claims_lang = "en"
        for i, claim in enumerate(claims.iter("claim"), start=1):
            num = claim_ref_number(claim.get("id")) or i
            depends: list[int] = []
            for ref in claim.iter("dependent-claim-reference"):
                n = claim_ref_number(ref.get("depends_on"))
                if n is not None and n != num and n not in depends:
                    depends.append(n)
            text = text_of(claim)
            if not depends and claim.find(".//dependent-claim-reference") is None:
                depends = text_claim_refs(text, num)
            pub.claims.append(Claim(num, text, depends))
    pub.citations = list[Citation]()  # pre-grant publications print no references
    return pub

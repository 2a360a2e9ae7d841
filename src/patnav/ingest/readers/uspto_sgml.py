"""USPTO grant full text 2001–2004 in the ST.32 "SGML-style" XML v2.4/v2.5 (``PATDOC`` with B-tags).

Fields are INID-like tags: ``B110`` number, ``B130`` kind, ``B140`` date, ``B210``/``B220`` application,
``B300`` priorities, ``B510`` IPC, ``B520`` USPC, ``B540`` title, ``B560`` citations, ``B720`` inventors,
``B730`` assignees, ``SDOAB`` abstract, ``SDODE`` description, ``SDOCL`` claims. Like the PAP format the
DOCTYPE lists drawing files as unparsed entities and the text uses DTD character entities; both are handled
without loading the DTD (:func:`prepare_legacy`), and any other entity declaration is refused.
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
    country_code,
    ipc_symbol,
    locarno_symbol,
    make_party,
    person_name,
    pub_number,
    raw_text,
    read_legacy,
    sniff_root,
    text_claim_refs,
    text_of,
    uspc_symbol,
    ymd,
)
from patnav.model.records import Citation, Claim, Classification, LocalizedText, Priority, Publication

_ROOT_RE = re.compile(rb"<PATDOC[\s>]")


class UsptoSgmlReader:
    name: ClassVar[str] = "uspto-sgml"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 30
    description: ClassVar[str] = "USPTO grant full text 2001–2004, ST.32 XML v2.4/v2.5 (PATDOC, B-tags)"

    def sniff(self, head: bytes, filename: str) -> float:
        return sniff_root(head, b"PATDOC", _ROOT_RE)

    def read(self, source: Source) -> Iterator[ReadItem]:
        return read_legacy(source, "PATDOC", extract, "B110")


def _pdat(el: etree._Element | None, path: str) -> str:
    """The text of the ``PDAT`` leaves under ``path`` (``B140`` -> ``B140/DATE/PDAT``)."""
    if el is None:
        return ""
    found = el.find(path)
    return text_of(found) if found is not None else ""


def _party(el: etree._Element) -> tuple[str, bool, str | None, str | None]:
    nam = el.find("NAM")
    org = _pdat(nam, "ONM")
    if org:
        name, person = org, False
    else:
        name, person = person_name(_pdat(nam, "FNM"), _pdat(nam, "SNM")), True
    adr = el.find("ADR")
    country = address = None
    if adr is not None:
        country = country_code(_pdat(adr, "CTRY"))
        state = _pdat(adr, "STATE")
        if country is None and state:
            country = "US"
        address = ", ".join(p for p in (_pdat(adr, "CITY"), state) if p) or None
    return name, person, country, address


def extract(root: etree._Element) -> Publication:
    bib = root.find("SDOBI")
    if bib is None:
        raise ValueError("no SDOBI bibliographic block")
    b100 = bib.find("B100")
    number = _pdat(b100, "B110")
    kind = _pdat(b100, "B130")
    country = _pdat(b100, "B190") or "US"
    canonical = pub_number(country, number, kind)
    if canonical is None:
        raise ValueError(f"unreadable publication number {number!r} kind {kind!r}")
    pub_date = ymd(_pdat(b100, "B140"))
    b200 = bib.find("B200")
    filing_date = ymd(_pdat(b200, "B220"))
    prefix = canonical[2:4]
    if prefix.startswith("D"):
        doc_type = "design"
    elif prefix == "PP":
        doc_type = "plant"
    elif prefix.startswith(("H", "T")):
        doc_type = "other"
    else:
        doc_type = "invention"
    pub = Publication(
        publication_number=canonical,
        country=canonical[:2],
        doc_number=canonical[2:].removesuffix(kind) if kind and canonical.endswith(kind) else canonical[2:],
        kind=kind or None,
        doc_type=doc_type,  # type: ignore[arg-type]
        stage="grant",
        application_number=app_number(_pdat(b200, "B210")),
        filing_date=filing_date,
        publication_date=pub_date,
        grant_date=pub_date,
    )
    if prefix == "RE":
        pub.extras["reissue"] = "true"

    for i, b300 in enumerate(bib.iterfind("B300")):
        raw = _pdat(b300, "B310")
        if not raw:
            continue
        pc = country_code(_pdat(b300, "B330"))
        number_c = app_number(raw, pc) if pc else None
        pub.priorities.append(Priority(pc, number_c or raw, ymd(_pdat(b300, "B320")), sequence=i))
    pub.priority_date = min((p.date for p in pub.priorities if p.date), default=filing_date)

    b500 = bib.find("B500")
    if b500 is not None:
        b510 = b500.find("B510")
        if b510 is not None:
            edition = _pdat(b510, "B516") or None
            seq = 0
            for el in b510:
                if el.tag in ("B511", "B512"):
                    value = text_of(el)
                    if doc_type == "design" and value.isdigit():
                        symbol, scheme = locarno_symbol(value), "LOCARNO"
                    else:
                        symbol, scheme = ipc_symbol(value), "IPC"
                    if symbol:
                        pub.classifications.append(Classification(scheme, symbol, el.tag == "B511", edition, seq))
                        seq += 1
        b520 = b500.find("B520")
        if b520 is not None:
            seq = 0
            for el in b520:
                if el.tag in ("B521", "B522"):
                    pdat = el.find("PDAT")
                    symbol = uspc_symbol(pdat.text if pdat is not None else None)
                    if symbol:
                        if el.tag == "B521":
                            pub.extras["uspc_main"] = symbol
                        pub.classifications.append(Classification("USPC", symbol, el.tag == "B521", None, seq))
                        seq += 1
        title = _pdat(b500, "B540")
        if title:
            pub.titles.append(LocalizedText("en", title))
        n_claims = _pdat(b500, "B570/B577")
        if n_claims:
            pub.extras["number_of_claims"] = n_claims
        b560 = b500.find("B560")
        if b560 is not None:
            _citations(b560, pub)

    ext = _pdat(bib, "B400/B470/B472/B474US") or _pdat(bib, "B400/B472/B474US")
    if ext.isdigit():
        pub.term_extension_days = int(ext)

    b700 = bib.find("B700")
    if b700 is not None:
        for i, inv in enumerate(b700.iterfind("B720/B721"), start=1):
            party = inv.find("PARTY-US")
            if party is None:
                continue
            name, _, ctry, addr = _party(party)
            if name:
                pub.parties.append(make_party("inventor", name, person=True, country=ctry, address=addr, sequence=i))
        for i, asg in enumerate(b700.iterfind("B730/B731"), start=1):
            party = asg.find("PARTY-US")
            if party is None:
                continue
            name, person, ctry, addr = _party(party)
            if name:
                pub.parties.append(make_party("assignee", name, person=person, country=ctry, address=addr, sequence=i))

    abstract = root.find("SDOAB")
    if abstract is not None:
        text = text_of(abstract)
        if text:
            pub.abstracts.append(LocalizedText("en", text))
    description = root.find("SDODE")
    if description is not None:
        desc = raw_text(description).strip()
        pub.description = desc
        pub.description_length = len(desc)
    claims = root.find("SDOCL")
    if claims is not None:
        pub.claims_lang = "en"
        for i, claim in enumerate(claims.iter("CLM"), start=1):
            num = claim_ref_number(claim.get("ID")) or i
            depends: list[int] = []
            for ref in claim.iter("CLREF"):
                n = claim_ref_number(ref.get("ID"))
                if n is not None and n != num and n not in depends:
                    depends.append(n)
            text = text_of(claim)
            if not depends and claim.find(".//CLREF") is None:
                depends = text_claim_refs(text, num)
            pub.claims.append(Claim(num, text, depends))
    return pub


def _citations(b560: etree._Element, pub: Publication) -> None:
    seq = 0
    for el in b560:
        if el.tag == "B561":
            doc = el.find("PCIT/DOC")
            if doc is None:
                continue
            seq += 1
            number = _pdat(doc, "DNUM")
            kind = _pdat(doc, "KIND")
            ctry = _pdat(doc, "CTRY") or "US"
            category = _category(el)
            raw = " ".join(p for p in (ctry, number, kind) if p)
            pub.citations.append(
                Citation(
                    False,
                    cited_number=pub_number(ctry, number.replace(" ", ""), kind),
                    cited_number_raw=raw or None,
                    category=category,
                    origin="examiner" if category == "cited by examiner" else "unknown",
                    cited_date=ymd(_pdat(doc, "DATE")),
                    sequence=seq,
                )
            )
        elif el.tag == "B562":
            seq += 1
            category = _category(el)
            pub.citations.append(
                Citation(
                    True,
                    npl_text=_pdat(el, "NCIT") or None,
                    category=category,
                    origin="examiner" if category == "cited by examiner" else "unknown",
                    sequence=seq,
                )
            )


def _category(el: etree._Element) -> str | None:
    if el.find("CITED-BY-EXAMINER") is not None:
        return "cited by examiner"
    if el.find("CITED-BY-OTHER") is not None:
        return "cited by other"
    return None

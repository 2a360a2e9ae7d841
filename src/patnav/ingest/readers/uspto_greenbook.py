"""USPTO APS "Green Book" fixed-field text (grants 1976–2001).

Each line is a 4-character field code, a blank and a value (``TTL  Bumper support for a boat loader``);
a line whose code is blank continues the previous value; a code alone on its line (``INVT``, ``ASSG``,
``CLAS``, ``UREF``, ``ABST``, ``CLMS`` …) opens a group of fields. Every patent starts at ``PATN``, and a
weekly file holds thousands of them. ``WKU`` is the patent number with a series prefix, leading zeros and
a trailing check digit (``039373754`` -> US3937375).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

from patnav.ingest.base import ReadItem, Rejected, Source, reason_of
from patnav.ingest.readers._uspto_common import (
    app_number,
    clean,
    country_code,
    ipc_symbol,
    make_party,
    pub_number,
    text_claim_refs,
    uspc_symbol,
    ymd,
)
from patnav.model.records import (
    Citation,
    Claim,
    Classification,
    LocalizedText,
    Party,
    PartyRole,
    Priority,
    Publication,
)

Field = tuple[str, str]
#: A group: its code (``PATN``, ``INVT``, ``UREF``…) and its fields in order.
Group = tuple[str, list[Field]]

_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{2,3}$")
_APT = {"1": ("invention", "A"), "2": ("invention", "E"), "4": ("design", "S"), "5": ("other", None),
        "6": ("plant", "P"), "7": ("other", "H")}  # fmt: skip
_TEXT_GROUPS = {"BSUM", "DRWD", "DETD", "DCLM"}


def parse_fields(lines: Iterable[str]) -> Iterator[Field]:
    """``(code, value)`` for each field; continuation lines are joined to their field with one space.

    A code with no value (a group header such as ``INVT``) is yielded with an empty value.
    """
    for _, field in parse_numbered_fields(enumerate(lines, start=1)):
        yield field


def parse_numbered_fields(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, Field]]:
    """Like :func:`parse_fields` over ``(line_number, text)`` pairs; each field carries its first line."""
    code: str | None = None
    start = 0
    parts: list[str] = []
    for n, raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        head = line[:4].strip()
        if head and (len(line) <= 4 or line[4] == " ") and _CODE_RE.match(head):
            if code is not None:
                yield start, (code, " ".join(parts))
            code, start = head, n
            value = line[5:].strip()
            parts = [value] if value else []
        elif code is not None:
            parts.append(line.strip())
    if code is not None:
        yield start, (code, " ".join(parts))


def group_records(fields: Iterable[tuple[int, Field]]) -> Iterator[tuple[int, list[Group]]]:
    """Split numbered fields into patents (each starts at ``PATN``) made of groups."""
    record: list[Group] | None = None
    start = 0
    for line_no, (code, value) in fields:
        if code == "PATN":
            if record is not None:
                yield start, record
            record = [("PATN", [])]
            start = line_no
            continue
        if record is None:
            continue  # file header before the first patent
        if not value and code.isalpha() and len(code) == 4:
            record.append((code, []))
        else:
            record[-1][1].append((code, value))
    if record is not None:
        yield start, record


class UsptoGreenbookReader:
    name: ClassVar[str] = "uspto-greenbook"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 30
    description: ClassVar[str] = "USPTO APS Green Book fixed-field text, grants 1976–2001 (PATN/WKU/TTL…)"

    def sniff(self, head: bytes, filename: str) -> float:
        text = head[:4096].decode("latin-1")
        lines = text.splitlines()[:40]
        if any(ln.startswith("PATN") for ln in lines) and any(ln.startswith("WKU ") for ln in lines):
            return 0.95
        if filename.lower().endswith(".greenbook") and any(ln.startswith("WKU ") for ln in lines):
            return 0.8
        return 0.0

    def read(self, source: Source) -> Iterator[ReadItem]:
        with source.open() as fh:
            lines = ((n, _decode(raw)) for n, raw in enumerate(fh, start=1))
            for count, (start, record) in enumerate(group_records(parse_numbered_fields(lines)), start=1):
                try:
                    yield extract(record)
                except ValueError as exc:
                    yield Rejected(f"patent {count} at line {start}", reason_of(exc), "WKU", None)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def wku_number(wku: str) -> tuple[str, str]:
    """``("3937375", "")`` from ``039373754``; the series letters are kept (``D0243321`` -> ``D243321``)."""
    w = wku.strip()
    core = w[:-1] if len(w) == 9 else w  # drop the check digit
    m = re.match(r"^([A-Z]*)0*(\d+)$", core)
    if not m:
        raise ValueError(f"unreadable WKU patent number {wku!r}")
    return m.group(1), m.group(2)


def _first(fields: list[Field], code: str) -> str:
    for c, v in fields:
        if c == code:
            return v
    return ""


def _name(raw: str) -> str:
    """``Everette E. Daniels`` from ``Daniels; Everette E.``."""
    last, sep, first = raw.partition(";")
    return f"{first.strip()} {last.strip()}".strip() if sep else raw.strip()


def _party(fields: list[Field], role: PartyRole, name: str, *, person: bool, sequence: int) -> Party:
    """An INVT or ASSG group as a party: country from CNT (a US state alone means US), address CTY, STA."""
    country = country_code(_first(fields, "CNT")) or ("US" if _first(fields, "STA") else None)
    addr = ", ".join(p for p in (_first(fields, "CTY"), _first(fields, "STA")) if p) or None
    return make_party(role, name, person=person, country=country, address=addr, sequence=sequence)


def extract(record: list[Group]) -> Publication:
    head = record[0][1]
    wku = _first(head, "WKU")
    if not wku:
        raise ValueError("no WKU patent number")
    series, digits = wku_number(wku)
    apt = _first(head, "APT") or "1"
    doc_type, kind = _APT.get(apt, ("invention", "A"))
    if series:
        kind = {"D": "S", "PP": "P", "RE": "E", "H": "H", "T": None}.get(series, kind)
    canonical = pub_number("US", series + digits, kind)
    if canonical is None:
        raise ValueError(f"unreadable WKU patent number {wku!r}")
    issue = ymd(_first(head, "ISD"))
    filing = ymd(_first(head, "APD"))
    apn = _first(head, "APN")
    src = _first(head, "SRC")
    app_no = None
    if apn and apn.isdigit():
        serial = apn[:6] if len(apn) == 7 else apn
        app_no = app_number((src.zfill(2) if src.isdigit() else "") + serial)
    pub = Publication(
        publication_number=canonical,
        country="US",
        doc_number=series + digits,
        kind=kind,
        doc_type=doc_type,  # type: ignore[arg-type]
        stage="grant",
        application_number=app_no,
        filing_date=filing,
        publication_date=issue,
        grant_date=issue,
    )
    title = clean(_first(head, "TTL"))
    if title:
        pub.titles.append(LocalizedText("en", title))
    ncl = _first(head, "NCL")
    if ncl:
        pub.extras["number_of_claims"] = ncl
    if apt == "2":
        pub.extras["reissue"] = "true"

    description: list[str] = []
    inventors = assignees = 0
    for code, fields in record[1:]:
        if code == "INVT":
            name = _name(_first(fields, "NAM"))
            if name:
                inventors += 1
                pub.parties.append(_party(fields, "inventor", name, person=True, sequence=inventors))
        elif code == "ASSG":
            name = clean(_first(fields, "NAM"))
            if name:
                assignees += 1
                pub.parties.append(_party(fields, "assignee", name, person=False, sequence=assignees))
        elif code == "PRIR":
            raw = clean(_first(fields, "APN"))
            if raw:
                country = country_code(_first(fields, "CNT"))
                pub.priorities.append(Priority(country, raw, ymd(_first(fields, "APD")), len(pub.priorities)))
        elif code == "CLAS":
            _classes(fields, pub)
        elif code in ("UREF", "FREF"):
            pno = clean(_first(fields, "PNO"))
            if pno:
                ctry = "US" if code == "UREF" else (country_code(_first(fields, "CNT")) or "")
                raw = f"{ctry} {pno}".strip()
                pub.citations.append(
                    Citation(
                        False,
                        cited_number=pub_number(ctry, pno.replace(" ", ""), None) if ctry else None,
                        cited_number_raw=raw,
                        cited_date=ymd(_first(fields, "ISD")),
                        sequence=len(pub.citations) + 1,
                    )
                )
        elif code == "OREF":
            for c, v in fields:
                if v and c in ("PAL", "PAR"):
                    pub.citations.append(Citation(True, npl_text=clean(v), sequence=len(pub.citations) + 1))
        elif code == "ABST":
            text = " ".join(clean(v) for c, v in fields if v and c != "TBL")
            if text:
                pub.abstracts.append(LocalizedText("en", text))
        elif code in _TEXT_GROUPS:
            description.extend(clean(v) for c, v in fields if v)
        elif code == "CLMS":
            _claims(fields, pub)
    pub.priority_date = min((p.date for p in pub.priorities if p.date), default=filing)
    if description:
        pub.description = "\n".join(description)
        pub.description_length = len(pub.description)
    return pub


def _classes(fields: list[Field], pub: Publication) -> None:
    edition = _first(fields, "EDF") or None
    for c, v in fields:
        if c in ("OCL", "XCL"):
            symbol = uspc_symbol(v)
            if symbol:
                if c == "OCL":
                    pub.extras["uspc_main"] = symbol
                n = sum(1 for x in pub.classifications if x.scheme == "USPC")
                pub.classifications.append(Classification("USPC", symbol, c == "OCL", None, n))
        elif c == "ICL":
            symbol = ipc_symbol(v)
            if symbol:
                n = sum(1 for x in pub.classifications if x.scheme == "IPC")
                pub.classifications.append(Classification("IPC", symbol, n == 0, edition, n))


_CLAIM_NUM = re.compile(r"^(\d+)\s*\.?$")


def _claims(fields: list[Field], pub: Publication) -> None:
    current: list[str] | None = None
    number = 0
    claims: list[tuple[int, list[str]]] = []
    for c, v in fields:
        if c == "NUM":
            m = _CLAIM_NUM.match(v.strip())
            number = int(m.group(1)) if m else number + 1
            current = []
            claims.append((number, current))
        elif c in ("PAR", "PA1", "PA2", "PA3", "PA4", "PA5", "TBL", "EQU") and current is not None and v:
            current.append(clean(v))
    pub.claims_lang = "en" if claims else None
    for num, parts in claims:
        text = " ".join(parts)
        pub.claims.append(Claim(num, text, text_claim_refs(text, num)))

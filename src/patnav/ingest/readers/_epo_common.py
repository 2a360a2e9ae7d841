"""Helpers shared by the EPO readers (publication-server XML and OPS): safe parsing, text, dates, symbols, claims.

Every XML document goes through :func:`patnav.ingest.xmlsafe.parse_document`. Some real EP publication-server
files are not well-formed (a bare ``&`` in an address, ``<First Embodiment`` in a heading): for those,
:func:`parse_lenient` checks the prolog with the same entity guard and re-parses with lxml's recovering parser
(still no entity expansion, no DTD, no network) and says so, so the reader can mark the record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from lxml import etree

from patnav.ingest.names import harmonize_name, party_kind
from patnav.ingest.xmlsafe import parse_document
from patnav.model.dates import DateParseError, parse_date
from patnav.model.records import Claim, Party

_WS = re.compile(r"\s+")


def parse_lenient(data: bytes) -> tuple[etree._Element, bool]:
    """Parse one XML document; returns ``(root, recovered)``. Raises ``UnsafeXMLError`` or ``XMLSyntaxError``."""
    try:
        return parse_document(data), False
    except etree.XMLSyntaxError:
        return parse_document(data, recover=True), True


def local(tag: object) -> str:
    """The local name of an element tag (``{ns}name`` → ``name``); '' for comments and PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(el: etree._Element | None, name: str) -> list[etree._Element]:
    """Direct children with this local name, whatever their namespace."""
    if el is None:
        return []
    return [c for c in el if local(c.tag) == name]


def child(el: etree._Element | None, name: str) -> etree._Element | None:
    found = children(el, name)
    return found[0] if found else None


def descendants(el: etree._Element | None, name: str) -> list[etree._Element]:
    if el is None:
        return []
    return [c for c in el.iter() if local(c.tag) == name]


def first(el: etree._Element | None, *path: str) -> etree._Element | None:
    """Follow a path of local names through first children."""
    cur = el
    for name in path:
        cur = child(cur, name)
        if cur is None:
            return None
    return cur


def text(el: etree._Element | None) -> str | None:
    """All text inside an element, whitespace collapsed; None when empty."""
    if el is None:
        return None
    joined = _WS.sub(" ", "".join(el.itertext())).strip()
    return joined or None


def path_text(el: etree._Element | None, *path: str) -> str | None:
    return text(first(el, *path))


def block_text(el: etree._Element | None, block_tags: Iterable[str] = ("p", "heading", "claim-text", "li")) -> str:
    """Text of a long element with one line per paragraph-like child (descriptions)."""
    if el is None:
        return ""
    blocks = set(block_tags)
    parts: list[str] = []
    for node in el.iter():
        if local(node.tag) in blocks and not any(local(a.tag) in blocks for a in node.iterancestors()):
            t = text(node)
            if t:
                parts.append(t)
    if not parts:
        t = text(el)
        return t or ""
    return "\n".join(parts)


def ymd(value: str | None) -> dt.date | None:
    """A date written ``YYYYMMDD`` or ISO; None when absent or a placeholder (``00010101``, ``0001-01-01``)."""
    if not value:
        return None
    value = value.strip()
    if not value or value.startswith(("0000", "0001")):
        return None
    return parse_date(value)


def safe_ymd(value: str | None) -> dt.date | None:
    """Like :func:`ymd` but None for an unparseable date (for secondary dates that must not reject a record)."""
    try:
        return ymd(value)
    except (DateParseError, ValueError):
        return None


# --- classification symbols ---------------------------------------------------------------------------------

_IPC_RE = re.compile(r"([A-H])\s?(\d\d)\s?([A-Z])\s*(\d{1,4})\s*/\s*(\d{1,6})")
_VERSION_RE = re.compile(r"(?<!\d)((?:19|20)\d{6})(?!\d)")


def ipc_symbol(raw: str | None) -> str | None:
    """``B65D  51/18  20060101AFI…`` or `` 7C 07C  29/44   A`` → ``B65D 51/18`` / ``C07C 29/44``."""
    if not raw:
        return None
    m = _IPC_RE.search(raw.upper())
    if not m:
        return None
    return f"{m[1]}{m[2]}{m[3]} {int(m[4])}/{m[5]}"


def ipcr_details(raw: str) -> tuple[str | None, bool, str | None]:
    """Symbol, whether it is the first (main) symbol (``…AFI…``) and the version date of an IPCR text line."""
    symbol = ipc_symbol(raw)
    version_m = _VERSION_RE.search(raw)
    version = version_m[1] if version_m else None
    is_main = False
    if version_m:
        tail = raw[version_m.end() : version_m.end() + 3]
        is_main = len(tail) >= 2 and tail[1] == "F"
    return symbol, is_main, version


# --- parties -------------------------------------------------------------------------------------------------


def make_party(role: str, name: str, *, country: str | None = None, address: str | None = None, sequence: int = 0):
    """A :class:`Party` with its harmonised key and kind (inventors are always individuals)."""
    name = _WS.sub(" ", name).strip()
    kind = "individual" if role == "inventor" else party_kind(name)
    return Party(
        role=role,  # type: ignore[arg-type]
        name=name,
        name_harmonized=harmonize_name(name),
        country=country or None,
        kind=kind,  # type: ignore[arg-type]
        address=address or None,
        sequence=sequence,
    )


# --- claims --------------------------------------------------------------------------------------------------

_CLAIM_KEYWORD = re.compile(
    r"(?:\bclaims?|\bAnspr(?:uch|üche|uchs|üchen)|\brevendications?)\s+"
    r"((?:\d+|\s|,|;|-|–|\bto\b|\bor\b|\band\b|\bbis\b|\boder\b|\bund\b|\bà\b|\bou\b|\bet\b)+)",
    re.IGNORECASE,
)
_ALL_PRECEDING = re.compile(
    r"(?:any|one|either)\s+(?:one\s+)?of\s+the\s+(?:foregoing|preceding|previous|above|prior)\s+claims"
    r"|(?:einem|einer|jedem)\s+der\s+(?:vorhergehenden|vorangehenden|vorstehenden)\s+Anspr"
    r"|revendications\s+pr[ée]c[ée]dentes",
    re.IGNORECASE,
)
_RANGE = re.compile(r"(\d+)\s*(?:-|–|\bto\b|\bbis\b|\bà\b)\s*(\d+)", re.IGNORECASE)
_NUM = re.compile(r"\d+")


def claim_references(claim_text: str, number: int) -> list[int]:
    """Claim numbers referred to as ``claim 1``, ``claims 1 to 3``, ``Anspruch 1 oder 2``, ``revendication 1``…

    Only earlier claims count (a claim depends on claims before it); ranges are expanded.
    """
    if _ALL_PRECEDING.search(claim_text):
        return list(range(1, number))
    refs: set[int] = set()
    for m in _CLAIM_KEYWORD.finditer(claim_text):
        span = m.group(1)
        for r in _RANGE.finditer(span):
            lo, hi = int(r[1]), int(r[2])
            if 0 < lo <= hi < number:
                refs.update(range(lo, hi + 1))
        for n in _NUM.findall(_RANGE.sub(" ", span)):
            refs.add(int(n))
    return sorted(r for r in refs if 0 < r < number)


_CLAIM_ID_NUM = re.compile(r"(\d+)\s*$")


def claims_from_elements(claim_elements: Iterable[etree._Element]) -> list[Claim]:
    """Claims from ``<claim num=…>`` elements; dependencies from ``claim-ref`` or from the wording."""
    claims: list[Claim] = []
    for pos, el in enumerate(claim_elements, start=1):
        num_attr = el.get("num") or ""
        try:
            number = int(num_attr) if num_attr.strip().isdigit() else pos
        except ValueError:
            number = pos
        body = block_text(el, ("claim-text",)) or text(el) or ""
        refs: set[int] = set()
        for ref in descendants(el, "claim-ref"):
            m = _CLAIM_ID_NUM.search(ref.get("idref") or "")
            if m and 0 < int(m[1]) < number:
                refs.add(int(m[1]))
        if not refs:
            refs.update(claim_references(body, number))
        claims.append(Claim(number=number, text=body, depends_on=sorted(refs)))
    return claims


_NUMBERED_CLAIM = re.compile(r"^\s*(\d+)\s*[.)]\s*")


def claims_from_texts(texts: Iterable[str]) -> list[Claim]:
    """Claims from plain texts that start with their number (``1. A fracturing system…``)."""
    claims: list[Claim] = []
    for pos, raw in enumerate(texts, start=1):
        body = _WS.sub(" ", raw).strip()
        if not body:
            continue
        m = _NUMBERED_CLAIM.match(body)
        number = int(m[1]) if m else pos
        claims.append(Claim(number=number, text=body, depends_on=claim_references(body, number)))
    return claims

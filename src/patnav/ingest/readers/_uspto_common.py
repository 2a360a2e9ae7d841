"""Helpers shared by the USPTO full-text readers: document splitting, safe parsing, dates, symbols, parties.

USPTO weekly files concatenate many XML documents, each with its own ``<?xml …?>`` declaration and
DOCTYPE. :func:`split_documents` cuts such a stream at the lines that start with ``<?xml`` while reading it
chunk by chunk, so a multi-GB file is never held in memory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from html.entities import name2codepoint
from typing import BinaryIO

import numpy as np
from lxml import etree

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, reason_of
from patnav.ingest.names import harmonize_name, party_kind
from patnav.ingest.xmlsafe import ENTITIES_REFUSED, UnsafeXMLError, parse_document
from patnav.model.dates import parse_date
from patnav.model.numbers import (
    PatentNumberError,
    normalize_application_number,
    normalize_publication_number,
)
from patnav.model.records import Party, PartyRole, Publication

_MARKER = b"\n<?xml version"
CHUNK_SIZE = 1 << 20


def split_documents(fh: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[int, int, bytes]]:
    """Yield ``(index, first_line, document_bytes)`` for each document of a concatenated XML stream.

    A new document starts at every line beginning with ``<?xml``; the first one starts at the top of the
    stream whatever it begins with. Blank remainders are dropped. ``index`` counts from 1.
    """
    for index, line, buf, start, end, _ in _scan(fh, chunk_size):
        with memoryview(buf) as view:  # one copy of the document, not two
            yield index, line, bytes(view[start:end])


def document_spans(fh: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(index, first_line, offset, length)`` of each document: the cuts of :func:`split_documents`,
    as byte ranges of the stream (for a loader whose worker processes read the documents from the file)."""
    for index, line, _, start, end, offset in _scan(fh, chunk_size):
        yield index, line, offset, end - start


_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")


def _newlines(buf: bytearray, start: int, end: int) -> int:
    """``buf.count(b"\\n", start, end)``, vectorised (about four times faster on documents of 40 KB)."""
    return int(np.count_nonzero(np.frombuffer(buf, np.uint8, end - start, start) == 10))


def _scan(fh: BinaryIO, chunk_size: int) -> Iterator[tuple[int, int, bytearray, int, int, int]]:
    """The documents of a concatenated stream as ``(index, first line, buffer, start, end, stream offset)``.

    The document is ``buffer[start:end]``, valid until the next item; nothing is copied here (the search for
    the cuts, the blank test and the line count all run in C over the buffer).
    """
    buf = bytearray()
    base = 0  # stream offset of buf[0]
    line = 1
    index = 0
    scanned = 1  # offset from which the buffer still has to be searched for the next marker
    while True:
        chunk = fh.read(chunk_size)
        if chunk:
            buf += chunk
        start = 0
        while True:
            cut = buf.find(_MARKER, max(scanned, start + 1))
            if cut < 0:
                break
            end = cut + 1
            if _NOT_BLANK.search(buf, start, end):
                index += 1
                yield index, line, buf, start, end, base + start
            line += _newlines(buf, start, end)
            start = end
            scanned = start + 1
        if not chunk:
            break
        del buf[:start]
        base += start
        scanned = max(1, scanned - start, len(buf) - len(_MARKER) + 1)
    if _NOT_BLANK.search(buf, start):
        index += 1
        yield index, line, buf, start, len(buf), base + start


def position(index: int, line: int) -> str:
    return f"document {index} at line {line}"


# --- safe parsing -------------------------------------------------------------------------------------

_PROLOG_TOKEN = re.compile(
    rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE\s+[^\[>]*(?:\[(?P<subset>.*?)\]\s*)?>",
    re.DOTALL | re.IGNORECASE,
)
_SUBSET_TOKEN = re.compile(
    rb"\s+|<!--.*?-->|<!ENTITY\s+[^\s%]+\s+SYSTEM\s+(?:\"[^\"]*\"|'[^']*')\s+NDATA\s+[\w.-]+\s*>"
    rb"|<!NOTATION[^>]*>|<!ELEMENT[^>]*>|<!ATTLIST[^>]*>",
    re.DOTALL,
)
_ENTITY_REF = re.compile(rb"&([A-Za-z][A-Za-z0-9.]*);")
_XML_BUILTIN = {b"amp", b"lt", b"gt", b"quot", b"apos"}

#: ISO 8879 entity names used by the USPTO SGML-era DTDs that HTML does not define (Greek ``*gr`` set etc.).
_ISO_EXTRA: dict[str, int] = {
    "agr": 0x3B1,
    "bgr": 0x3B2,
    "ggr": 0x3B3,
    "dgr": 0x3B4,
    "egr": 0x3B5,
    "zgr": 0x3B6,
    "eegr": 0x3B7,
    "thgr": 0x3B8,
    "igr": 0x3B9,
    "kgr": 0x3BA,
    "lgr": 0x3BB,
    "mgr": 0x3BC,
    "ngr": 0x3BD,
    "xgr": 0x3BE,
    "ogr": 0x3BF,
    "pgr": 0x3C0,
    "rgr": 0x3C1,
    "sgr": 0x3C3,
    "sfgr": 0x3C2,
    "tgr": 0x3C4,
    "ugr": 0x3C5,
    "phgr": 0x3C6,
    "khgr": 0x3C7,
    "psgr": 0x3C8,
    "ohgr": 0x3C9,
    "Agr": 0x391,
    "Bgr": 0x392,
    "Ggr": 0x393,
    "Dgr": 0x394,
    "Egr": 0x395,
    "Zgr": 0x396,
    "EEgr": 0x397,
    "THgr": 0x398,
    "Igr": 0x399,
    "Kgr": 0x39A,
    "Lgr": 0x39B,
    "Mgr": 0x39C,
    "Ngr": 0x39D,
    "Xgr": 0x39E,
    "Ogr": 0x39F,
    "Pgr": 0x3A0,
    "Rgr": 0x3A1,
    "Sgr": 0x3A3,
    "Tgr": 0x3A4,
    "Ugr": 0x3A5,
    "PHgr": 0x3A6,
    "KHgr": 0x3A7,
    "PSgr": 0x3A8,
    "OHgr": 0x3A9,
    "lsqb": 0x5B,
    "rsqb": 0x5D,
    "lcub": 0x7B,
    "rcub": 0x7D,
    "equals": 0x3D,
    "plus": 0x2B,
    "excl": 0x21,
    "num": 0x23,
    "dollar": 0x24,
    "percnt": 0x25,
    "ast": 0x2A,
    "comma": 0x2C,
    "hyphen": 0x2D,
    "period": 0x2E,
    "sol": 0x2F,
    "colon": 0x3A,
    "semi": 0x3B,
    "quest": 0x3F,
    "commat": 0x40,
    "bsol": 0x5C,
    "lowbar": 0x5F,
    "verbar": 0x7C,
    "horbar": 0x2015,
    "dash": 0x2010,
    "square": 0x25A1,
    "squ": 0x25A1,
    "bull": 0x2022,
    "thinsp": 0x2009,
    "hairsp": 0x200A,
    "emsp": 0x2003,
    "ensp": 0x2002,
    "numsp": 0x2007,
    "puncsp": 0x2008,
    "half": 0xBD,
    "frac13": 0x2153,
    "frac23": 0x2154,
    "frac18": 0x215B,
    "ohm": 0x2126,
    "angst": 0xC5,
    "dagger": 0x2020,
    "Dagger": 0x2021,
    "prime": 0x2032,
    "Prime": 0x2033,
    "le": 0x2264,
    "ge": 0x2265,
    "rarr": 0x2192,
    "larr": 0x2190,
    "harr": 0x2194,
    "uarr": 0x2191,
    "darr": 0x2193,
    "cir": 0x25CB,
}
_CHAR_ENTITIES: dict[bytes, bytes] = {
    name.encode(): f"&#{cp};".encode() for name, cp in {**name2codepoint, **_ISO_EXTRA}.items()
}


def _entity_sub(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name in _XML_BUILTIN:
        return match.group(0)
    repl = _CHAR_ENTITIES.get(name)
    if repl is not None:
        return repl
    return b"&amp;" + name + b";"  # an entity nobody defines: keep its name as visible text


def prepare_legacy(data: bytes) -> bytes:
    """Make a 2001–2004 USPTO document parseable without its DTD, refusing any dangerous declaration.

    The DOCTYPE may only declare unparsed image entities (``<!ENTITY x SYSTEM "x.TIF" NDATA TIF>``); any
    other entity declaration (internal text, external parsed entity) raises :class:`UnsafeXMLError`. The
    DOCTYPE is then dropped and the named character entities of the DTD are written as numeric references.
    """
    pos = 0
    n = len(data)
    out_prolog: list[bytes] = []
    while pos < n:
        m = _PROLOG_TOKEN.match(data, pos)
        if m is None:
            break
        token = m.group(0)
        if token.startswith((b"<!DOCTYPE", b"<!doctype")):
            subset = m.group("subset")
            if subset:
                _check_subset(subset)
        else:
            out_prolog.append(token)
        pos = m.end()
    if b"<!ENTITY" in data[pos : pos + 65536]:
        raise UnsafeXMLError(N_("the XML declares entities outside its prolog"))
    body = data[pos:]
    if b"&" in body:
        body = _ENTITY_REF.sub(_entity_sub, body)
    return b"".join(out_prolog) + body


def _check_subset(subset: bytes) -> None:
    pos = 0
    n = len(subset)
    while pos < n:
        m = _SUBSET_TOKEN.match(subset, pos)
        if m is None:
            raise UnsafeXMLError(ENTITIES_REFUSED)
        pos = m.end()


def sniff_root(head: bytes, doctype: bytes, root_re: re.Pattern[bytes]) -> float:
    """Confidence that ``head`` starts a file of one legacy USPTO format (its DOCTYPE, else its root element)."""
    if b"<!DOCTYPE " + doctype in head[:4096]:
        return 0.95
    return 0.9 if root_re.search(head) else 0.0


def read_legacy(
    source: Source, root_tag: str, extract: Callable[[etree._Element], Publication], number_field: str
) -> Iterator[ReadItem]:
    """The records of a file of concatenated legacy documents (PAP, SGML-style grants), one per document.

    Documents with another root are skipped; one whose number cannot be read is rejected under
    ``number_field`` and the next one is read.
    """
    with source.open() as fh:
        for index, line, data in split_documents(fh):
            pos = position(index, line)
            root = parse(data, pos, legacy=True)
            if isinstance(root, Rejected):
                yield root
                continue
            if root.tag != root_tag:
                continue
            try:
                pub = extract(root)
            except ValueError as exc:
                yield Rejected(pos, reason_of(exc), number_field, data[:300].decode("utf-8", "replace"))
                continue
            yield pub


def parse(data: bytes, pos: str, *, legacy: bool = False) -> etree._Element | Rejected:
    """Parse one document, or return the :class:`Rejected` that says why it could not be."""
    try:
        if legacy:
            data = prepare_legacy(data)
        return parse_document(data)
    except UnsafeXMLError as exc:
        return Rejected(pos, Reason(N_("refused: {problem}"), problem=reason_of(exc)), "xml", _raw_head(data))
    except etree.XMLSyntaxError as exc:
        return Rejected(pos, Reason(N_("malformed XML: {problem}"), problem=str(exc)), "xml", _raw_head(data))


def _raw_head(data: bytes, n: int = 300) -> str:
    return data[:n].decode("utf-8", "replace")


# --- values ---------------------------------------------------------------------------------------------


def ymd(text: str | None) -> dt.date | None:
    """A USPTO ``YYYYMMDD`` date; day ``00`` (month precision, common in citations) reads as the 1st."""
    if not text:
        return None
    return _ymd(text.strip())


@lru_cache(maxsize=8192)
def _ymd(t: str) -> dt.date | None:
    if len(t) == 8 and t.isdigit():
        y, m, d = int(t[:4]), int(t[4:6]), int(t[6:])
        if m == 0 or y < 1700:
            return None
        try:
            return dt.date(y, m, d or 1)
        except ValueError:
            return None
    try:
        return parse_date(t)
    except ValueError:
        return None


def clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def raw_text(el: etree._Element) -> str:
    """All text inside ``el`` as written (serialised in C: much faster than joining ``itertext()``)."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def text_of(el: etree._Element | None) -> str:
    """All text inside ``el`` with runs of whitespace collapsed."""
    if el is None:
        return ""
    return " ".join(etree.tostring(el, method="text", encoding=str, with_tail=False).split())


_KIND_RE = re.compile(r"^[A-Z]\d?$")
_US_SIMPLE = re.compile(r"^(D|PP|RE|H|T)?(\d+)$")


def pub_number(country: str | None, number: str | None, kind: str | None) -> str | None:
    """Canonical publication number, or None when the parts cannot be read as one."""
    if not number:
        return None
    return _pub_number(country, number, kind)


@lru_cache(maxsize=65536)
def _pub_number(country: str | None, number: str, kind: str | None) -> str | None:
    number = number.strip()
    k = (kind or "").strip()
    if not _KIND_RE.match(k):
        k = ""
    c = (country or "").strip().upper()
    if len(c) != 2 or not c.isalpha():
        c = ""
    if (c == "US" or not c) and number[:1].isalpha():
        number = number.replace(".", "").replace(" ", "")  # "D. 271298" (2001-2004 grants)
    if c == "US" or not c:
        # fast path for the common case, same result as the normaliser: grants without leading zeros and
        # with their series letters (D, PP, RE, H, T), pre-grant publications as year + 7 digits
        m = _US_SIMPLE.match(number)
        if m:
            series, digits = m.group(1) or "", m.group(2)
            if not series and len(digits) == 11:
                return f"US{digits}{k}"
            if len(digits) <= 8 and digits.lstrip("0"):
                return f"US{series}{digits.lstrip('0')}{k}"
    try:
        return normalize_publication_number(with_country(c or "US", number) + k)
    except PatentNumberError:
        return None


def with_country(country: str, number: str) -> str:
    """``number`` prefixed with ``country`` unless it already starts with it (``PP018398`` -> ``USPP018398``)."""
    return number if number[:2].upper() == country else country + number


def app_number(number: str | None, country: str | None = "US") -> str | None:
    if not number:
        return None
    try:
        return normalize_application_number(number.strip(), default_country=country or "US")
    except PatentNumberError:
        return None


def country_code(text: str | None) -> str | None:
    """A two-letter country code; APS writes three letters with a trailing X (``JPX``)."""
    if not text:
        return None
    t = text.strip().upper()
    if len(t) == 3 and t.endswith("X") and t[:2].isalpha():
        t = t[:2]
    return t if len(t) == 2 and t.isalpha() else None


def make_party(
    role: PartyRole,
    name: str,
    *,
    person: bool,
    country: str | None = None,
    address: str | None = None,
    sequence: int = 0,
) -> Party:
    kind = "individual" if person or role == "inventor" else party_kind(name)
    return Party(
        role=role,
        name=name,
        name_harmonized=harmonize_name(name),
        country=country,
        kind=kind,  # type: ignore[arg-type]
        address=address,
        sequence=sequence,
    )


def person_name(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (clean(first), clean(last)) if p)


def ipc_symbol(text: str | None) -> str | None:
    """``G06F 15/18`` from the fixed-width ``G06F 1518``/``A45F  504`` or ``A41B001/00`` forms."""
    if not text:
        return None
    t = text.strip()
    if len(t) < 4 or not t[0].isalpha():
        return None
    sub = t[:4].upper()
    rest = t[4:]
    if "/" in rest:
        group, _, subgroup = rest.partition("/")
        group, subgroup = group.strip(), subgroup.strip()
    else:
        rest = rest.rstrip()
        if rest.startswith(" ") or len(rest) >= 5:
            group, subgroup = rest[:3].strip(), rest[3:].strip()
        else:
            compact = rest.strip()
            group, subgroup = compact[:-2], compact[-2:]
    group = group.lstrip("0") or "0"
    if not group.isdigit() or not subgroup.isdigit():
        return f"{sub} {rest.strip()}".strip() if rest.strip() else sub
    return f"{sub} {group}/{subgroup.ljust(2, '0') if len(subgroup) < 2 else subgroup}"


def ipc_parts_symbol(section: str, klass: str, subclass: str, group: str, subgroup: str) -> str:
    g = group.strip().lstrip("0") or "0"
    s = subgroup.strip()
    if len(s) < 2:
        s = s.rjust(2, "0")
    return f"{section.strip()}{klass.strip().zfill(2)}{subclass.strip()} {g}/{s}"


def uspc_symbol(text: str | None) -> str | None:
    """``706/15`` from the USPTO fixed-width class/subclass form (``706 15``, ``4555751``, ``D14138``)."""
    if not text or not text.strip():
        return None
    raw = text.rstrip()
    if len(raw) <= 3:
        return raw.strip()
    klass = raw[:3].replace(" ", "").lstrip("0") or "0"
    rest = raw[3:]
    if "." in rest or "-" in rest:
        return f"{klass}/{rest.replace(' ', '')}"
    main = rest[:3].strip()
    tail = rest[3:].strip()
    if klass.endswith("DIG") and not main.startswith("DIG"):
        klass, main = klass[:-3], "DIG" + main
    main = main.lstrip("0") or ("0" if main else "")
    if main.startswith("DIG"):
        main = "DIG" + tail.replace(" ", "")
    elif tail.isdigit():
        main = f"{main}.{tail}"
    elif tail:
        main = f"{main}{tail.replace(' ', '')}"
    return f"{klass}/{main}" if main else klass


def locarno_symbol(text: str | None) -> str | None:
    """``14-02`` from ``1402``."""
    if not text:
        return None
    t = text.strip()
    if len(t) == 4 and t.isdigit():
        return f"{t[:2]}-{t[2:]}"
    return t or None


def version_date(text: str | None) -> str | None:
    """``2006.01`` from an IPC/CPC version indicator date ``20060101``."""
    if not text:
        return None
    t = text.strip()
    if len(t) == 8 and t.isdigit():
        return f"{t[:4]}.{t[4:6]}"
    return t or None


def origin_of(category: str | None) -> str:
    c = (category or "").lower()
    if "examiner" in c:
        return "examiner"
    if "applicant" in c:
        return "applicant"
    if "third" in c:
        return "third_party"
    return "unknown"


_CLAIM_REF_RE = re.compile(r"(\d+)\s*$")


def claim_ref_number(idref: str | None) -> int | None:
    if not idref:
        return None
    m = _CLAIM_REF_RE.search(idref)
    return int(m.group(1)) if m else None


_TEXT_CLAIM_REF = re.compile(r"\bclaims?\s+(\d+)(?:\s*(?:or|and|to|through|-)\s*(\d+))?", re.IGNORECASE)


def text_claim_refs(text: str, number: int) -> list[int]:
    """Claims a claim refers to in its wording (``… of claim 1``, ``claims 2 or 3``) when no markup says so."""
    out: list[int] = []
    for m in _TEXT_CLAIM_REF.finditer(text):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if last < first or last - first > 50:
            last = first
        for n in range(first, last + 1):
            if n < number and n not in out:
                out.append(n)
    return out

"""Patent publication and application numbers: parse every written form, produce one canonical key.

Every reader turns the number it finds (``US-7197497-B2``, ``CN 105389980 B``, ``特開2009-123456``,
``WO 99/12345``, ``ZL 2015 1 0756373.6`` ...) into one key, so that upserts keyed by publication number and
citation links across sources meet. The canonical key is the DOCDB-like ``country + serial + kind`` with the
serial in the form Google Patents and the office XML use:

- US grants without leading zeros (``US7197497B2``), series letters kept (``USD435854S1``, ``USRE12345E``,
  ``USPP12345P2``, ``USH1234H``); US pre-grant publications as 11 digits year + 7 (``US20160245070A1``).
- EP serials zero-padded to 7 digits (``EP0700000``); WO as 4-digit year + 6-digit serial (``WO1999012345``).
- JP with the Western year (``JP2009123456A``) or the DOCDB era form (``JPH11123456A``).
- Other offices: the digits as written, separators removed.

Application numbers: CN keeps its check digit after a dot (``CN201510756373.6``, computed when absent and
validated when present); other offices print no check digit (``EP13844704``, ``US14123456``); PCT
applications follow the EPO form ``WO2019CN123456`` (country ``WO``; :attr:`ApplicationNumber.pct_form`
gives ``PCT/CN2019/123456``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from patnav.i18n import N_
from patnav.model.reasons import Reason

__all__ = [
    "OFFICE_CODES",
    "ApplicationNumber",
    "PatentNumberError",
    "PublicationNumber",
    "cn_check_digit",
    "normalize_application_number",
    "normalize_publication_number",
    "parse_application_number",
    "parse_publication_number",
    "publication_number_variants",
]


#: The message of a :class:`PatentNumberError` for each kind of number (``what``), as a translatable template.
_NOT_A = {
    "patent number": N_("{text!r} is not a patent number: {reason}"),
    "application number": N_("{text!r} is not an application number: {reason}"),
    "CN application serial": N_("{text!r} is not a CN application serial: {reason}"),
}


class PatentNumberError(ValueError):
    """A text could not be read as a patent number; the message names the input and the reason.

    ``reason`` is an ``N_``-marked template (or a :class:`Reason` made from one), so ``message`` (a
    :class:`Reason`, the same English text as ``str(exc)``) can be shown in the reader's language.
    """

    def __init__(self, text: str, reason: str, *, what: str = "patent number") -> None:
        self.text = text
        self.reason = reason if isinstance(reason, Reason) else Reason(reason)
        if what in _NOT_A:
            self.message = Reason(_NOT_A[what], text=text, reason=self.reason)
        else:
            article = "an" if what[:1] in "aeiou" else "a"
            self.message = Reason(f"{{text!r}} is not {article} {what}: {{reason}}", text=text, reason=self.reason)
        super().__init__(str(self.message))


#: WIPO ST.3 codes of patent offices and organisations (plus historic codes still seen in citations:
#: DD East Germany, SU Soviet Union, CS Czechoslovakia, YU Yugoslavia).
_OFFICE_CODES_TEXT = """
    AD AE AF AG AI AL AM AO AP AR AT AU AW AZ BA BB BD BE BF BG BH BI BJ BM BN BO BQ BR BS BT BV BW BX BY BZ
    CA CD CF CG CH CI CK CL CM CN CO CR CS CU CV CW CY CZ DD DE DJ DK DM DO DZ EA EC EE EG EH EM EP ER ES ET
    FI FJ FK FO FR GA GB GC GD GE GG GH GI GL GM GN GQ GR GS GT GW GY HK HN HR HT HU IB ID IE IL IM IN IQ IR
    IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MG MK ML
    MM MN MO MP MR MS MT MU MV MW MX MY MZ NA NE NG NI NL NO NP NR NZ OA OM PA PE PG PH PK PL PT PW PY QA QZ
    RO RS RU RW SA SB SC SD SE SG SH SI SK SL SM SN SO SR ST SU SV SX SY SZ TC TD TG TH TJ TL TM TN TO TR TT
    TV TW TZ UA UG US UY UZ VA VC VE VG VN VU WO WS XN XU XV YE YU ZA ZM ZW
"""
OFFICE_CODES: frozenset[str] = frozenset(_OFFICE_CODES_TEXT.split())

# Letters allowed between the country code and the digits, per office.
_SERIES_PREFIXES: dict[str, frozenset[str]] = {
    "US": frozenset({"D", "PP", "RE", "H", "T", "X", "RX", "AI"}),  # design, plant, reissue, SIR, ...
    "JP": frozenset({"S", "H", "WO"}),  # Showa / Heisei era; 再表 (JP re-publication of a WO)
}

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe63"})
_SEP_RE = re.compile(r"[\s,./\-]+")
_YEAR_SPLIT_RE = re.compile(r"[-/]")
_LATIN_RE = re.compile(
    r"""^(?P<cc>[A-Z]{2})?[\s\-]*
        (?P<prefix>[A-Z]{1,2}(?=[\s\-]*\d))?[\s\-]*
        (?P<digits>\d(?:[\d\s,./\-]*\d)?)
        (?:[\s\-]*(?P<kind>[A-Z]\d?))?$""",
    re.X,
)
_KIND_RE = re.compile(r"^[A-Z]\d?$")
_US_PAT_RE = re.compile(r"^U\.?\s?S\.?\s*(?:PAT(?:ENT)?\.?\s*)?(?:NO\.?\s*)?(?=[A-Z]{0,2}[\s\-]*\d)")

# Japanese written forms: 特開2009-123456, 特開平11-123456, 特許第5475475号, 実開平5-12345, 実用新案登録第3123456号 ...
_ERA = {"昭": "S", "昭和": "S", "平": "H", "平成": "H"}
_JP_TEXT_RE = re.compile(
    r"""^(?:JP)?\s*(?P<type>特開|特表|特公|再表|再公表|実開|実公|実表|実登|特許|実用新案登録|登録実用新案)
        \s*(?:第)?\s*(?P<era>昭和|平成|昭|平)?\s*(?P<body>[\d\s\-/]+?)\s*(?:号)?\s*(?P<kind>[A-Z]\d?)?$""",
    re.X,
)
_JP_KIND = {
    "特開": "A",
    "特表": "A",
    "特公": "B2",
    "再表": "A1",
    "再公表": "A1",
    "実開": "U",
    "実表": "U",
    "実公": "Y2",
    "実登": "U",
    "登録実用新案": "U",
    "実用新案登録": "U",
    "特許": None,  # B1 or B2 cannot be told from 特許第…号; the lookup variants try without a kind
}


@dataclass(frozen=True, slots=True)
class PublicationNumber:
    """A canonical publication number: office, serial and kind code (``None`` when unknown)."""

    country: str
    number: str
    kind: str | None

    def __str__(self) -> str:
        return f"{self.country}{self.number}{self.kind or ''}"

    @property
    def without_kind(self) -> str:
        """The key without the kind code, e.g. ``US7197497`` (joins records whose source omits the kind)."""
        return f"{self.country}{self.number}"


@dataclass(frozen=True, slots=True)
class ApplicationNumber:
    """A canonical application number.

    ``check_digit`` is the office check digit when one was given or (for CN) computed. Only CN prints it
    (``CN201510756373.6``), because only CNIPA makes it part of the number people write and search for.
    PCT applications are ``country="WO"``, ``number="2019CN123456"`` (EPO form).
    """

    country: str
    number: str
    check_digit: str | None = None

    def __str__(self) -> str:
        if self.country == "CN" and self.check_digit:
            return f"CN{self.number}.{self.check_digit}"
        return f"{self.country}{self.number}"

    @property
    def pct_form(self) -> str | None:
        """``PCT/CN2019/123456`` for a PCT application, else ``None``."""
        m = _PCT_CANON_RE.match(self.number) if self.country == "WO" else None
        return f"PCT/{m[2]}{m[1]}/{m[3]}" if m else None


_PCT_CANON_RE = re.compile(r"^(\d{4})([A-Z]{2})(\d{6})$")


def _fold(text: str) -> str:
    """NFKC (full-width → half-width), unify dashes, upper-case, strip."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES).strip().upper()


def _digits(raw: str) -> str:
    return _SEP_RE.sub("", raw)


def _expand_2digit_year(yy: str) -> str:
    return ("19" if int(yy) >= 50 else "20") + yy


def _canonical_serial(text: str, country: str, prefix: str, raw: str) -> str:
    """The canonical serial for ``country`` from the prefix letters and the digits as written."""
    digits = _digits(raw)
    if country == "US":
        if prefix:
            return prefix + digits.lstrip("0")
        if "/" in raw:  # 2016/0245070
            year, _, serial = raw.partition("/")
            year, serial = _digits(year), _digits(serial)
            if len(year) != 4 or not 1 <= len(serial) <= 7:
                raise PatentNumberError(text, N_("a US publication written with '/' must be YYYY/NNNNNNN"))
            return year + serial.zfill(7)
        if len(digits) == 11 and digits[:2] in ("19", "20"):
            return digits
        if len(digits) == 10 and digits[:2] == "20":  # DOCDB form 2016245070 -> 20160245070
            return digits[:4] + "0" + digits[4:]
        serial = digits.lstrip("0")
        if not serial or len(serial) > 8:
            raise PatentNumberError(text, N_("a US grant has 1 to 8 digits, a pre-grant publication 11"))
        return serial
    if country == "WO":
        if "/" in raw:
            year, _, serial = raw.partition("/")
            year, serial = _digits(year), _digits(serial)
        elif len(digits) == 10 and digits[:2] in ("19", "20"):
            year, serial = digits[:4], digits[4:]
        elif len(digits) in (7, 8):  # WO9905487 (YY + 5) or WO03123456 (YY + 6)
            year, serial = digits[:2], digits[2:]
        else:
            raise PatentNumberError(text, N_("a WO number is a year and a serial, e.g. WO2019/123456"))
        if len(year) == 2:
            year = _expand_2digit_year(year)
        if len(year) != 4 or not 1 <= len(serial) <= 6:
            raise PatentNumberError(text, N_("a WO number is a year and a serial of up to 6 digits"))
        return year + serial.zfill(6)
    if country == "EP":
        if len(digits) > 7:
            raise PatentNumberError(text, N_("an EP publication number has at most 7 digits"))
        return digits.zfill(7)
    if country == "JP":
        if prefix in ("S", "H"):
            year, sep, serial = raw.partition("-")
            if sep:
                return prefix + _digits(year).zfill(2) + _digits(serial)
            return prefix + digits
        if prefix == "WO":
            return "WO" + _canonical_serial(text, "WO", "", raw)
        if "-" in raw or "/" in raw:  # 2009-123456
            year, serial = (_digits(part) for part in _YEAR_SPLIT_RE.split(raw, maxsplit=1))
            if len(year) == 4:
                return year + serial.zfill(6)
        return digits
    if country == "CN" and len(digits) > 9:
        raise PatentNumberError(text, N_("a CN publication number has at most 9 digits (is it an application number?)"))
    return digits


def _parse_japanese(text: str, m: re.Match[str]) -> PublicationNumber:
    kind = m["kind"] or _JP_KIND[m["type"]]
    body = m["body"].strip()
    era = _ERA.get(m["era"] or "", "")
    if m["type"] in ("再表", "再公表"):
        return PublicationNumber("JP", "WO" + _canonical_serial(text, "WO", "", body), kind)
    if m["type"] in ("特許", "実登", "実用新案登録", "登録実用新案"):
        serial = _digits(body).lstrip("0")
        if not serial:
            raise PatentNumberError(text, N_("no registration number"))
        return PublicationNumber("JP", serial, kind)
    parts = _YEAR_SPLIT_RE.split(body, maxsplit=1)
    if len(parts) == 1:
        return PublicationNumber("JP", era + _digits(body), kind)
    year, serial = _digits(parts[0]), _digits(parts[1])
    if era:
        return PublicationNumber("JP", era + year.zfill(2) + serial, kind)
    if len(year) != 4:
        raise PatentNumberError(text, N_("a Japanese publication needs a 4-digit year or an era (平/昭)"))
    return PublicationNumber("JP", year + serial.zfill(6), kind)


@lru_cache(maxsize=65536)
def parse_publication_number(text: str, *, default_country: str | None = None) -> PublicationNumber:
    """Parse any common written form of a publication number into its canonical parts.

    ``default_country`` is used when the text carries no office code (``7197497`` from a US-only source).
    Raises :class:`PatentNumberError` naming the input and the reason.
    """
    if not isinstance(text, str):
        raise PatentNumberError(repr(text), N_("not a string"))
    s = _fold(text)
    if not s:
        raise PatentNumberError(text, N_("it is empty"))
    jm = _JP_TEXT_RE.match(s)
    if jm:
        return _parse_japanese(text, jm)
    s = _US_PAT_RE.sub("US", s, count=1) if s.startswith("U") else s
    m = _LATIN_RE.match(s)
    if m is None:
        if not any(c.isdigit() for c in s):
            raise PatentNumberError(text, N_("it has no digits"))
        raise PatentNumberError(text, N_("expected a 2-letter office code, digits and an optional kind code"))
    cc, prefix, raw, kind = m["cc"], m["prefix"] or "", m["digits"], m["kind"]
    if cc is None:
        if default_country is None:
            raise PatentNumberError(text, N_("no office code and no default country"))
        cc = default_country.strip().upper()
    if cc not in OFFICE_CODES:
        raise PatentNumberError(text, Reason(N_("{code!r} is not a WIPO ST.3 office code"), code=cc))
    if prefix and prefix not in _SERIES_PREFIXES.get(cc, ()):
        raise PatentNumberError(
            text, Reason(N_("{prefix!r} is not a series prefix used by {office}"), prefix=prefix, office=cc)
        )
    if kind is not None and not _KIND_RE.match(kind):
        raise PatentNumberError(
            text, Reason(N_("{kind!r} is not a kind code (a letter and an optional digit)"), kind=kind)
        )
    return PublicationNumber(cc, _canonical_serial(text, cc, prefix, raw), kind)


def normalize_publication_number(text: str, *, default_country: str | None = None) -> str:
    """The canonical key of a publication number, e.g. ``'US 7,197,497 B2'`` → ``'US7197497B2'``."""
    return str(parse_publication_number(text, default_country=default_country))


def publication_number_variants(text: str) -> list[str]:
    """The canonical keys a lookup should try for ``text``: with kind, without kind, and office variants.

    For US pre-grant publications the DOCDB 10-digit form (``US2016245070A1``) is added; for US reissues
    both ``E`` and ``E1`` (Google writes ``USRE43255E1``). Order: most specific first, no duplicates.
    """
    p = parse_publication_number(text)
    out = [str(p), p.without_kind]
    if p.country == "US" and len(p.number) == 11 and p.number[:2] in ("19", "20"):
        docdb = f"US{p.number[:4]}{p.number[5:]}" if p.number[4] == "0" else None
        if docdb:
            out += [docdb + (p.kind or ""), docdb]
    if p.country == "US" and p.kind in ("E", "E1"):
        out.append(p.without_kind + ("E1" if p.kind == "E" else "E"))
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------- applications

_CN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9)
_CN_APP_RE = re.compile(r"^(?:CN|ZL)?[\s\-]*(?P<serial>\d[\d\s\-]*\d)(?:\s*\.\s*(?P<check>[\dX])|(?P<xcheck>X))?$")
_PCT_RE = re.compile(
    r"^(?:PCT|WO)[\s/\-]*(?P<cc>[A-Z]{2})[\s\-]*(?P<year>\d{2}|\d{4})[\s/\-]+(?P<serial>\d{1,6})$"
    r"|^(?:WO)?(?P<year2>\d{4})(?P<cc2>[A-Z]{2})(?P<serial2>\d{1,6})$"
)
_APP_RE = re.compile(
    r"^(?P<cc>[A-Z]{2})?[\s\-]*(?P<prefix>[A-Z]{1,2}(?=[\s\-]*\d))?[\s\-]*(?P<body>\d[\d\s,./\-]*[\dX]|\d)$"
)
_JP_APP_RE = re.compile(
    r"^(?:JP)?\s*(?:特願|実願|意願)\s*(?P<era>昭和|平成|昭|平)?\s*(?P<year>\d+)\s*[-/]\s*(?P<serial>\d+)\s*(?:号)?$"
)


def cn_check_digit(serial: str) -> str:
    """The CNIPA check digit of an 8- or 12-digit application serial ('0'-'9' or 'X').

    Weights 2..9 repeat over the digits; the sum mod 11 is the check digit, 10 is written 'X'
    (checked against CN201510756373.6 and the EPO record of CN201380062258.8).
    """
    if not serial.isascii() or not serial.isdigit() or len(serial) not in (8, 12):
        raise PatentNumberError(serial, N_("a CN application serial has 8 or 12 digits"), what="CN application serial")
    total = sum(int(d) * _CN_WEIGHTS[i % 8] for i, d in enumerate(serial))
    r = total % 11
    return "X" if r == 10 else str(r)


def _parse_cn_application(text: str, s: str) -> ApplicationNumber | None:
    m = _CN_APP_RE.match(s)
    if m is None:
        return None
    serial, check = _digits(m["serial"]), m["check"] or m["xcheck"]
    if check is None and len(serial) in (9, 13):  # check digit glued on (EPO epodoc form)
        serial, check = serial[:-1], serial[-1]
    if len(serial) not in (8, 12):
        raise PatentNumberError(text, N_("a CN application number has 8 or 12 digits"), what="application number")
    expected = cn_check_digit(serial)
    if check is not None and check != expected:
        raise PatentNumberError(
            text,
            Reason(
                N_("wrong check digit {check!r}, CNIPA's check digit for {serial} is {expected!r}"),
                check=check,
                serial=serial,
                expected=expected,
            ),
            what="application number",
        )
    return ApplicationNumber("CN", serial, expected)


@lru_cache(maxsize=65536)
def parse_application_number(text: str, *, default_country: str | None = None) -> ApplicationNumber:
    """Parse an application number (``CN201510756373.6``, ``ZL…``, ``US 14/123,456``, ``特願2009-123456``,
    ``PCT/CN2019/123456``, ``KR10-2015-0012345``, ``EP13844704.0`` …) into its canonical parts.

    A bare ``NNNNNNNN.N`` or ``NNNNNNNNNNNN.N`` without office code is read as CN (pass
    ``default_country`` for other offices). A CN check digit is validated when given and computed when
    absent. Raises :class:`PatentNumberError`.
    """
    if not isinstance(text, str):
        raise PatentNumberError(repr(text), N_("not a string"), what="application number")
    s = _fold(text)
    if not s:
        raise PatentNumberError(text, N_("it is empty"), what="application number")
    dc = default_country.strip().upper() if default_country else None
    if s.startswith(("CN", "ZL")) or (dc in (None, "CN") and s[:1].isdigit() and (dc == "CN" or "." in s)):
        app = _parse_cn_application(text, s)
        if app is not None:
            return app
        if not s.startswith(("CN", "ZL")) or s.startswith("ZL"):
            raise PatentNumberError(text, N_("not a CN application number"), what="application number")
    m = _PCT_RE.match(s)
    if m:
        cc = m["cc"] or m["cc2"]
        year = m["year"] or m["year2"]
        serial = m["serial"] or m["serial2"]
        if cc not in OFFICE_CODES:
            raise PatentNumberError(
                text, Reason(N_("{code!r} is not a WIPO ST.3 office code"), code=cc), what="application number"
            )
        if len(year) == 2:
            year = _expand_2digit_year(year)
        return ApplicationNumber("WO", f"{year}{cc}{serial.zfill(6)}")
    jm = _JP_APP_RE.match(s)
    if jm:
        era = _ERA.get(jm["era"] or "", "")
        year = jm["year"].zfill(2) if era else jm["year"]
        serial = jm["serial"] if era else jm["serial"].zfill(6)
        return ApplicationNumber("JP", era + year + serial)
    m = _APP_RE.match(s)
    if m is None:
        reason = N_("it has no digits") if not any(c.isdigit() for c in s) else N_("unexpected characters")
        raise PatentNumberError(text, reason, what="application number")
    cc = m["cc"] or dc
    if cc is None:
        raise PatentNumberError(text, N_("no office code and no default country"), what="application number")
    if cc not in OFFICE_CODES:
        raise PatentNumberError(
            text, Reason(N_("{code!r} is not a WIPO ST.3 office code"), code=cc), what="application number"
        )
    prefix, body = m["prefix"] or "", m["body"]
    if cc == "CN":
        app = _parse_cn_application(text, body)
        if app is None:
            raise PatentNumberError(text, N_("not a CN application number"), what="application number")
        return app
    check: str | None = None
    if "." in body and re.search(r"\.[\dX]$", body):  # EP13844704.0, DE10 2012 345 678.9
        body, check = body[:-2], body[-1]
    if "X" in body:
        raise PatentNumberError(text, N_("unexpected 'X'"), what="application number")
    digits = _digits(body)
    if cc == "EP" and len(digits) == 11 and digits[:2] in ("19", "20") and digits[4] == "0":
        digits = digits[2:4] + digits[5:]  # epodoc EP20130844704 -> EP13844704
    if cc == "JP" and prefix in ("S", "H"):
        year, sep, serial = body.partition("-")
        digits = _digits(year).zfill(2) + _digits(serial) if sep else digits
    elif cc == "JP" and "-" in body:
        year, _, serial = body.partition("-")
        if len(_digits(year)) == 4:
            digits = _digits(year) + _digits(serial).zfill(6)
    elif prefix:
        raise PatentNumberError(
            text,
            Reason(N_("{prefix!r} is not a series prefix used by {office}"), prefix=prefix, office=cc),
            what="application number",
        )
    return ApplicationNumber(cc, prefix + digits, check)


def normalize_application_number(text: str, *, default_country: str | None = None) -> str:
    """The canonical key of an application number, e.g. ``'ZL 2015 1 0756373.6'`` → ``'CN201510756373.6'``."""
    return str(parse_application_number(text, default_country=default_country))

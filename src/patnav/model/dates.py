"""Dates as patent sources write them, read into :class:`datetime.date`.

Sources write ``2015-11-09``, ``20151109``, ``2015年11月9日``, ``Nov 9, 2015``, ``1/8/2009`` (US exports) or
``09.11.2015`` (European exports). Slash and dot forms with a day-month order question are read only when
the order is given (``order="MDY"``/``"DMY"``, e.g. from :func:`detect_date_order` over a whole column) or
when a part above 12 settles it; otherwise :class:`AmbiguousDateError` names both readings, because a
silently swapped month would move a priority date by months without anyone noticing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

from patnav.i18n import N_
from patnav.model.reasons import Reason

__all__ = ["AmbiguousDateError", "DateOrder", "DateParseError", "detect_date_order", "parse_date"]

DateOrder = Literal["MDY", "DMY"]

MIN_YEAR = 1790  # the first US patent act
MAX_YEAR = 2100


class DateParseError(ValueError):
    """A text could not be read as a date; the message names the input and the reason.

    ``reason`` is an ``N_``-marked template (or a :class:`Reason` made from one), so ``message`` (a
    :class:`Reason`, the same English text as ``str(exc)``) can be shown in the reader's language.
    """

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason if isinstance(reason, Reason) else Reason(reason)
        self.message = Reason(N_("{text!r} is not a date: {reason}"), text=text, reason=self.reason)
        super().__init__(str(self.message))


class AmbiguousDateError(DateParseError):
    """A day/month date whose order cannot be told; the message gives both readings."""


_EMPTY = frozenset({"", "-", "--", "N/A", "NA", "NONE", "NULL", "NAN", "NAT", "/"})
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("JAN", "JANUARY"),
            ("FEB", "FEBRUARY"),
            ("MAR", "MARCH"),
            ("APR", "APRIL"),
            ("MAY",),
            ("JUN", "JUNE"),
            ("JUL", "JULY"),
            ("AUG", "AUGUST"),
            ("SEP", "SEPT", "SEPTEMBER"),
            ("OCT", "OCTOBER"),
            ("NOV", "NOVEMBER"),
            ("DEC", "DECEMBER"),
        ]
    )
    for m in names
}
_TIME_PART = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO_RE = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})" + _TIME_PART + "$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?\d{6})?$")
_CJK_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")
_PARTS_RE = re.compile(r"^(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})$")
_DMY_TEXT_RE = re.compile(r"^(\d{1,2})(?:ST|ND|RD|TH)?[\s\-]+([A-Z]{3,9})\.?,?[\s\-]+(\d{4})$")
_MDY_TEXT_RE = re.compile(r"^([A-Z]{3,9})\.?[\s\-]+(\d{1,2})(?:ST|ND|RD|TH)?,?[\s\-]+(\d{4})$")


def _make(text: str, y: int, m: int, d: int) -> dt.date:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise DateParseError(
            text, Reason(N_("year {year} is outside {first}-{last}"), year=y, first=MIN_YEAR, last=MAX_YEAR)
        )
    try:
        return dt.date(y, m, d)
    except ValueError as exc:
        raise DateParseError(text, Reason(N_("no such day ({problem})"), problem=str(exc))) from None


def _year(text: str, y: str) -> int:
    if len(y) == 4:
        return int(y)
    raise DateParseError(text, N_("a two-digit year is not accepted"))


@lru_cache(maxsize=65536)
def parse_date(text: str, *, order: DateOrder | None = None) -> dt.date | None:
    """Read a date; ``None`` for an empty cell (blank, ``-``, ``N/A``).

    ``order`` settles ``a/b/yyyy`` and ``a.b.yyyy`` forms (``"MDY"`` for US exports, ``"DMY"`` for
    European ones). Raises :class:`DateParseError` for an impossible date or a year outside 1790-2100 and
    :class:`AmbiguousDateError` for a day/month form that neither ``order`` nor its values settle.
    """
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", text).strip().upper()
    if s in _EMPTY:
        return None
    m = _ISO_RE.match(s) or _COMPACT_RE.match(s) or _CJK_RE.match(s)
    if m:
        return _make(text, int(m[1]), int(m[2]), int(m[3]))
    m = _PARTS_RE.match(s)
    if m:
        a, b, y = int(m[1]), int(m[3]), _year(text, m[4])
        if order is None:
            if a > 12 and b <= 12:
                order = "DMY"
            elif b > 12 and a <= 12:
                order = "MDY"
            elif a == b:
                order = "MDY"  # both readings are the same day
            elif a <= 12 and b <= 12:
                raise AmbiguousDateError(
                    text,
                    Reason(
                        N_("month/day order unknown: {mdy} (MDY) or {dmy} (DMY); pass order='MDY' or order='DMY'"),
                        mdy=f"{y:04d}-{a:02d}-{b:02d}",
                        dmy=f"{y:04d}-{b:02d}-{a:02d}",
                    ),
                )
            else:
                raise DateParseError(text, N_("neither part can be a month"))
        return _make(text, y, a, b) if order == "MDY" else _make(text, y, b, a)
    m = _DMY_TEXT_RE.match(s)
    if m and m[2] in _MONTHS:
        return _make(text, int(m[3]), _MONTHS[m[2]], int(m[1]))
    m = _MDY_TEXT_RE.match(s)
    if m and m[1] in _MONTHS:
        return _make(text, int(m[3]), _MONTHS[m[1]], int(m[2]))
    raise DateParseError(text, N_("unrecognised date form"))


def detect_date_order(values: Iterable[str]) -> DateOrder | None:
    """Tell the day/month order of a column of ``a/b/yyyy`` or ``a.b.yyyy`` dates.

    Any first part above 12 means DMY, any second part above 12 means MDY; both in one column raises
    :class:`DateParseError`; ``None`` when no value decides (or the column has no such dates).
    """
    dmy_seen: str | None = None
    mdy_seen: str | None = None
    for v in values:
        if not v:
            continue
        m = _PARTS_RE.match(unicodedata.normalize("NFKC", v).strip())
        if not m:
            continue
        a, b = int(m[1]), int(m[3])
        if a > 12 and dmy_seen is None:
            dmy_seen = v
        if b > 12 and mdy_seen is None:
            mdy_seen = v
        if dmy_seen is not None and mdy_seen is not None:
            raise DateParseError(
                dmy_seen,
                Reason(
                    N_("the column mixes day-first ({first!r}) and month-first ({second!r}) dates"),
                    first=dmy_seen,
                    second=mdy_seen,
                ),
            )
    if dmy_seen is not None:
        return "DMY"
    if mdy_seen is not None:
        return "MDY"
    return None

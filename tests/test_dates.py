"""Dates: every written form of a date reads back to it; ambiguous day/month forms never guess."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patnav.model.dates import AmbiguousDateError, DateParseError, detect_date_order, parse_date

D = dt.date(2015, 11, 9)


@pytest.mark.parametrize(
    "text",
    [
        "2015-11-09",
        "2015/11/09",
        "2015.11.09",
        "20151109",
        "2015年11月9日",
        "２０１５年１１月９日",
        "2015-11-09T00:00:00",
        "2015-11-09T10:20:30Z",
        "2015-11-09 00:00:00",
        " 2015-11-09 ",
        "9 Nov 2015",
        "9 November 2015",
        "Nov 9, 2015",
        "November 9, 2015",
    ],
)
def test_unambiguous_forms(text: str) -> None:
    assert parse_date(text) == D


@pytest.mark.parametrize("text", ["", "   ", "-", "N/A", "n/a", "None", "NULL", "nan"])
def test_empty_cells_are_none(text: str) -> None:
    assert parse_date(text) is None


def test_day_month_forms() -> None:
    assert parse_date("1/8/2009", order="MDY") == dt.date(2009, 1, 8)
    assert parse_date("1/8/2009", order="DMY") == dt.date(2009, 8, 1)
    assert parse_date("01/08/2009", order="MDY") == dt.date(2009, 1, 8)
    assert parse_date("13/8/2009") == dt.date(2009, 8, 13)  # a part above 12 settles it
    assert parse_date("8/13/2009") == dt.date(2009, 8, 13)
    assert parse_date("09.11.2015", order="DMY") == D
    assert parse_date("29.11.2015") == dt.date(2015, 11, 29)
    assert parse_date("5/5/2015") == dt.date(2015, 5, 5)  # both readings agree


def test_ambiguous_names_both_readings() -> None:
    with pytest.raises(AmbiguousDateError) as exc:
        parse_date("1/8/2009")
    msg = str(exc.value)
    assert "'1/8/2009'" in msg and "2009-01-08" in msg and "2009-08-01" in msg
    with pytest.raises(AmbiguousDateError):
        parse_date("09.11.2015")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2015-02-30", "no such day"),
        ("1700-01-01", "outside"),
        ("2200-01-01", "outside"),
        ("13/13/2015", "month"),
        ("1/8/09", "two-digit year"),
        ("yesterday", "unrecognised"),
        ("2015-13-01", "no such day"),
        ("8/31/2009x", "unrecognised"),
    ],
)
def test_errors_name_the_input(text: str, reason: str) -> None:
    with pytest.raises(DateParseError) as exc:
        parse_date(text)
    assert repr(text) in str(exc.value) and reason in str(exc.value)


def test_order_given_but_impossible() -> None:
    with pytest.raises(DateParseError, match="no such day"):
        parse_date("8/31/2009", order="DMY")


def test_detect_date_order() -> None:
    assert detect_date_order(["1/8/2009", "13/2/2009", ""]) == "DMY"
    assert detect_date_order(["1/8/2009", "2/13/2009"]) == "MDY"
    assert detect_date_order(["1/8/2009", "2/3/2009"]) is None
    assert detect_date_order(["2015-11-09", "N/A"]) is None
    assert detect_date_order(["29.11.2015", "01.02.2015"]) == "DMY"
    with pytest.raises(DateParseError, match="mixes"):
        detect_date_order(["13/2/2009", "2/13/2009"])


def test_real_google_export_dates(shared_data: Path) -> None:
    """All date cells of the real Google Patents exports parse (ISO dates or empty)."""
    n = 0
    for path in sorted((shared_data / "google-patents-export").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            next(fh)
            for row in csv.DictReader(fh):
                for col in ("priority date", "filing/creation date", "publication date", "grant date"):
                    value = parse_date(row[col])
                    assert value is None or value.isoformat() == row[col].strip()
                    n += value is not None
    assert n > 5000


_DATES = st.dates(min_value=dt.date(1790, 1, 1), max_value=dt.date(2100, 12, 31))
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@given(_DATES)
def test_every_written_form_reads_back(d: dt.date) -> None:
    forms = [
        d.isoformat(),
        f"{d.year}/{d.month:02d}/{d.day:02d}",
        f"{d.year}.{d.month}.{d.day}",
        f"{d.year}{d.month:02d}{d.day:02d}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}年{d.month}月{d.day}日".translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)}),
        f"{d.isoformat()}T00:00:00",
        f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
        f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
    ]
    for form in forms:
        assert parse_date(form) == d, form
    assert parse_date(f"{d.month}/{d.day}/{d.year}", order="MDY") == d
    assert parse_date(f"{d.day:02d}.{d.month:02d}.{d.year}", order="DMY") == d
    assert parse_date(f"{d.day}/{d.month}/{d.year}", order="DMY") == d


@given(_DATES)
def test_day_month_forms_never_guess(d: dt.date) -> None:
    text = f"{d.month}/{d.day}/{d.year}"
    if d.day <= 12 and d.day != d.month:
        with pytest.raises(AmbiguousDateError):
            parse_date(text)
    else:
        assert parse_date(text) == d


@given(st.text(max_size=25))
def test_parse_date_raises_only_date_errors(text: str) -> None:
    try:
        parse_date(text)
    except DateParseError as exc:
        assert repr(text) in str(exc)

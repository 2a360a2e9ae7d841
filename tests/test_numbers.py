"""Publication and application numbers: every written form meets one canonical key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patnav.model.numbers import (
    ApplicationNumber,
    PatentNumberError,
    PublicationNumber,
    cn_check_digit,
    normalize_application_number,
    normalize_publication_number,
    parse_application_number,
    parse_publication_number,
    publication_number_variants,
)

PUBLICATIONS = [
    # US grants
    ("US-7197497-B2", "US7197497B2"),
    ("US7197497B2", "US7197497B2"),
    ("US 7,197,497 B2", "US7197497B2"),
    ("US07197497B2", "US7197497B2"),
    ("US–7197497–B2", "US7197497B2"),
    ("U.S. Pat. No. 7,197,497", "US7197497"),
    ("USD435854S1", "USD435854S1"),
    ("US D435,854 S", "USD435854S"),
    ("USPP12345P2", "USPP12345P2"),
    ("USRE12345E", "USRE12345E"),
    ("US-RE43255-E", "USRE43255E"),
    ("USH1234H", "USH1234H"),
    # US pre-grant publications
    ("US20160245070A1", "US20160245070A1"),
    ("US2016245070A1", "US20160245070A1"),
    ("US 2016/0245070 A1", "US20160245070A1"),
    ("US-2015112182-A1", "US20150112182A1"),
    # CN
    ("CN105389980B", "CN105389980B"),
    ("CN 105389980 B", "CN105389980B"),
    ("CN105389980A", "CN105389980A"),
    ("CN2345678Y", "CN2345678Y"),
    ("CN303123456S", "CN303123456S"),
    ("CN-201918042-U", "CN201918042U"),
    ("ＣＮ１０５３８９９８０Ｂ", "CN105389980B"),
    # JP
    ("JP2009-123456A", "JP2009123456A"),
    ("JP2009123456A", "JP2009123456A"),
    ("特開2009-123456", "JP2009123456A"),
    ("特開２００９－１２３４５６", "JP2009123456A"),
    ("特許第5475475号", "JP5475475"),
    ("JP5475475B2", "JP5475475B2"),
    ("特開平11-123456", "JPH11123456A"),
    ("JPH11123456A", "JPH11123456A"),
    ("JP-H10111862-A", "JPH10111862A"),
    ("特開昭59-12345", "JPS5912345A"),
    ("実開平5-12345", "JPH0512345U"),
    ("実登3123456", "JP3123456U"),
    ("実用新案登録第3123456号", "JP3123456U"),
    ("特表2010-123456", "JP2010123456A"),
    ("再表2015/118619", "JPWO2015118619A1"),
    # WO
    ("WO2019/123456", "WO2019123456"),
    ("WO 2019/123456 A1", "WO2019123456A1"),
    ("WO2019123456A1", "WO2019123456A1"),
    ("WO99/12345", "WO1999012345"),
    ("WO-9905487-A1", "WO1999005487A1"),
    ("WO 03/123456", "WO2003123456"),
    # EP
    ("EP1000000B1", "EP1000000B1"),
    ("EP 1 000 000 A1", "EP1000000A1"),
    ("EP1000000", "EP1000000"),
    ("EP700000", "EP0700000"),
    ("EP-0568017-A2", "EP0568017A2"),
    # others
    ("KR101234567B1", "KR101234567B1"),
    ("KR-20060043333-A", "KR20060043333A"),
    ("DE102012345678A1", "DE102012345678A1"),
    ("DE 10 2012 345 678 A1", "DE102012345678A1"),
    ("GB-2236608-A", "GB2236608A"),
    ("FR-564019-A", "FR564019A"),
    ("RU-2406105-C2", "RU2406105C2"),
    ("CA2123456A1", "CA2123456A1"),
    ("AU2015123456A1", "AU2015123456A1"),
    ("TW201612345A", "TW201612345A"),
]


@pytest.mark.parametrize(("text", "canonical"), PUBLICATIONS)
def test_publication_forms(text: str, canonical: str) -> None:
    assert normalize_publication_number(text) == canonical


def test_publication_parts_and_default_country() -> None:
    p = parse_publication_number("US 7,197,497 B2")
    assert p == PublicationNumber("US", "7197497", "B2")
    assert p.without_kind == "US7197497"
    assert normalize_publication_number("7197497", default_country="US") == "US7197497"
    assert normalize_publication_number("7197497 B2", default_country="us") == "US7197497B2"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("US-12AB", "kind code"),
        ("patent", "no digits"),
        ("XX1234567", "ST.3"),
        ("7197497", "no office code"),
        ("CN201510756373.6", "application number"),
        ("EP123456789", "7 digits"),
        ("USQ1234567", "series prefix"),
        ("WO123", "WO number"),
    ],
)
def test_publication_errors_name_the_input(text: str, reason: str) -> None:
    with pytest.raises(PatentNumberError) as exc:
        parse_publication_number(text)
    assert repr(text) in str(exc.value)
    assert reason in str(exc.value)


def test_variants() -> None:
    assert publication_number_variants("US 2016/0245070 A1") == [
        "US20160245070A1",
        "US20160245070",
        "US2016245070A1",
        "US2016245070",
    ]
    assert publication_number_variants("US-RE43255-E") == ["USRE43255E", "USRE43255", "USRE43255E1"]
    assert publication_number_variants("CN105389980B") == ["CN105389980B", "CN105389980"]


# ------------------------------------------------------------------------------------------ applications

APPLICATIONS = [
    ("CN201510756373.6", "CN201510756373.6"),
    ("ZL201510756373.6", "CN201510756373.6"),
    ("201510756373.6", "CN201510756373.6"),
    ("ZL 2015 1 0756373.6", "CN201510756373.6"),
    ("CN201510756373", "CN201510756373.6"),  # check digit computed
    ("CN2013800622588", "CN201380062258.8"),  # EPO epodoc form, check digit glued on
    ("CN 201080063196.9", "CN201080063196.9"),
    ("CN01123456.3", "CN01123456.3"),
    ("01123456.3", "CN01123456.3"),
    ("US14123456", "US14123456"),
    ("US 14/123,456", "US14123456"),
    ("EP13844704", "EP13844704"),
    ("EP 13844704.0", "EP13844704"),
    ("EP20130844704", "EP13844704"),
    ("JP2009123456", "JP2009123456"),
    ("特願2009-123456", "JP2009123456"),
    ("JP2009-123456", "JP2009123456"),
    ("PCT/CN2019/123456", "WO2019CN123456"),
    ("PCT/JP02/02111", "WO2002JP002111"),
    ("PCTNL00/00518", "WO2000NL000518"),
    ("WO2014US71849", "WO2014US071849"),
    ("KR10-2015-0012345", "KR1020150012345"),
]


@pytest.mark.parametrize(("text", "canonical"), APPLICATIONS)
def test_application_forms(text: str, canonical: str) -> None:
    assert normalize_application_number(text) == canonical


def test_application_parts() -> None:
    assert parse_application_number("ZL 2015 1 0756373.6") == ApplicationNumber("CN", "201510756373", "6")
    assert parse_application_number("EP13844704.0") == ApplicationNumber("EP", "13844704", "0")
    pct = parse_application_number("PCT/CN2019/123456")
    assert (pct.country, pct.number, pct.pct_form) == ("WO", "2019CN123456", "PCT/CN2019/123456")
    assert normalize_application_number("61/713,164", default_country="US") == "US61713164"
    assert normalize_application_number("13844704.0", default_country="EP") == "EP13844704"


def test_cn_check_digit_on_real_numbers(shared_data: Path) -> None:
    """The EPO OPS record of CN104968889A carries its application number with CNIPA's check digit."""
    xml = (
        shared_data
        / "office-api-responses/legacy_4328348/epo/published-data_publication_docdb_CN.104968889.A_biblio.xml"
    ).read_text(encoding="utf-8")
    glued = re.findall(r"<doc-number>(20\d{11})</doc-number>", xml)
    assert glued, "expected the epodoc application number with its check digit"
    for number in glued:
        assert cn_check_digit(number[:12]) == number[12]
    assert cn_check_digit("201510756373") == "6"
    assert cn_check_digit("201080063196") == "9"


def test_cn_check_digit_x() -> None:
    serial = next(f"2015100{n:05d}" for n in range(100000) if cn_check_digit(f"2015100{n:05d}") == "X")
    assert normalize_application_number(f"CN{serial}.X") == f"CN{serial}.X"
    assert normalize_application_number(f"CN{serial}x") == f"CN{serial}.X"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("CN201510756373.5", "wrong check digit '5'"),
        ("ZL 2015 1 0756373.6 6", "application number"),
        ("CN2015107563", "8 or 12 digits"),
        ("", "empty"),
        ("patent", "no digits"),
        ("14123456", "no office code"),
        ("QQ123", "ST.3"),
        ("PCT/QQ2019/123456", "ST.3"),
    ],
)
def test_application_errors_name_the_input(text: str, reason: str) -> None:
    with pytest.raises(PatentNumberError) as exc:
        parse_application_number(text)
    assert repr(text) in str(exc.value)
    assert reason in str(exc.value)


def test_real_google_export_ids_parse(shared_data: Path) -> None:
    """Every id and result-link number in the real Google Patents exports parses; id and link agree."""
    import csv

    n = 0
    for path in sorted((shared_data / "google-patents-export").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            next(fh)
            for row in csv.DictReader(fh):
                link_number = row["result link"].rstrip("/").split("/")[-2]
                key = normalize_publication_number(row["id"])
                link = normalize_publication_number(link_number)
                assert key == link or (key + "1" == link and key.startswith("USRE")), (row["id"], link_number)
                n += 1
    assert n > 2000


# ------------------------------------------------------------------------------------------- properties

_KINDS = st.sampled_from([None, "A", "A1", "A2", "B", "B1", "B2", "U", "S", "Y", "C2"])


@st.composite
def canonical_publications(draw: st.DrawFn) -> PublicationNumber:
    office = draw(st.sampled_from(["US", "USPRE", "CN", "EP", "WO", "JP", "KR", "DE", "GB"]))
    kind = draw(_KINDS)
    if office == "US":
        return PublicationNumber("US", str(draw(st.integers(1, 12_999_999))), kind)
    if office == "USPRE":
        return PublicationNumber("US", f"{draw(st.integers(2001, 2030))}{draw(st.integers(1, 9_999_999)):07d}", kind)
    if office == "CN":
        return PublicationNumber("CN", str(draw(st.integers(1_000_000, 999_999_999))), kind)
    if office == "EP":
        return PublicationNumber("EP", f"{draw(st.integers(1, 9_999_999)):07d}", kind)
    if office in ("WO", "JP"):
        return PublicationNumber(office, f"{draw(st.integers(1978, 2030))}{draw(st.integers(1, 999_999)):06d}", kind)
    return PublicationNumber(office, str(draw(st.integers(1, 10**12))), kind)


def _written_forms(p: PublicationNumber) -> list[str]:
    kind = p.kind or ""
    forms = [
        str(p),
        f"{p.country}-{p.number}-{kind}".rstrip("-"),
        f"{p.country} {p.number} {kind}".strip(),
        str(p).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),  # full-width
        f"{p.country.lower()}{p.number}{kind.lower()}",
    ]
    if p.country in ("US", "WO", "JP") and len(p.number) in (10, 11):
        year, serial = p.number[:4], p.number[4:]
        forms.append(f"{p.country} {year}/{serial} {kind}".strip())
        forms.append(f"{p.country}{year}-{serial}{kind}")
    if p.country in ("US", "CN", "KR", "DE", "GB") and p.number.isdigit() and len(p.number) <= 9:
        forms.append(f"{p.country} {int(p.number):,} {kind}".strip())
    return forms


@given(canonical_publications())
def test_publication_round_trip(p: PublicationNumber) -> None:
    canonical = str(p)
    assert normalize_publication_number(canonical) == canonical
    for form in _written_forms(p):
        assert normalize_publication_number(form) == canonical, form


@given(st.text(max_size=30))
def test_publication_parser_never_crashes(text: str) -> None:
    try:
        p = parse_publication_number(text)
    except PatentNumberError as exc:
        assert repr(text) in str(exc)
    else:
        assert parse_publication_number(str(p)) == p


@given(st.integers(0, 10**12 - 1), st.booleans())
def test_cn_application_round_trip(n: int, old: bool) -> None:
    serial = f"{n % 10**8:08d}" if old else f"{n:012d}"
    canonical = f"CN{serial}.{cn_check_digit(serial)}"
    assert normalize_application_number(canonical) == canonical
    spaced = f"ZL {serial[:4]} {serial[4:]}.{cn_check_digit(serial)}"
    assert normalize_application_number(spaced) == canonical
    assert normalize_application_number(f"CN{serial}") == canonical
    wrong = str((int(cn_check_digit(serial).replace("X", "10")) + 1) % 10)
    with pytest.raises(PatentNumberError, match="wrong check digit"):
        parse_application_number(f"CN{serial}.{wrong}")

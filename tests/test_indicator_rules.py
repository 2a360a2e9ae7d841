"""The pieces under the indicators: statutory terms and legal status, cohort arithmetic, rule files, concordances."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from patnav.indicators import cohorts
from patnav.indicators.reference import compact_ipc, load_nace, load_wipo_fields, table_from_rule
from patnav.indicators.rules import RuleError, available_rules, load_rule, read_rule
from patnav.indicators.status import Event, add_years, legal_status, statutory_term

TERMS = load_rule("legal_term").param("terms")
AS_OF = dt.date(2025, 12, 31)


def _status(**kw: object) -> object:
    args: dict[str, object] = dict(
        as_of=AS_OF, country="CN", doc_type="invention", stage="grant", filing=dt.date(2010, 5, 1),
        grant=dt.date(2013, 1, 1), extension_days=None, events=(), terms=TERMS, max_pending_years=7,
    )  # fmt: skip
    args.update(kw)
    return legal_status(**args)  # type: ignore[arg-type]


# -- terms -----------------------------------------------------------------------------------------------------


def test_terms_by_office_and_era() -> None:
    """CN designs: 10 years before 2021-06-01 filings, 15 after; US pre-1995 inventions: the longer of 17 years
    from grant and 20 from filing; US designs 14 years from grant before 2015-05-13, 15 after; PTA days add."""
    d = dt.date
    assert statutory_term("CN", "design", d(2020, 1, 2), None, None, TERMS).expiry == d(2030, 1, 2)
    assert statutory_term("CN", "design", d(2021, 6, 1), None, None, TERMS).expiry == d(2036, 6, 1)
    old_us = statutory_term("US", "invention", d(1990, 1, 1), d(1994, 1, 1), None, TERMS)
    assert old_us.expiry == d(2011, 1, 1)  # 17 years from the 1994 grant beats 20 from the 1990 filing
    assert statutory_term("US", "design", d(2015, 5, 12), d(2016, 1, 1), None, TERMS).expiry == d(2030, 1, 1)
    assert statutory_term("US", "design", d(2015, 5, 13), d(2016, 1, 1), None, TERMS).expiry == d(2031, 1, 1)
    assert statutory_term("US", "invention", d(2005, 1, 1), d(2008, 1, 1), 100, TERMS).expiry == d(2025, 4, 11)
    assert statutory_term("CN", "utility_model", d(2016, 2, 29), None, None, TERMS).expiry == d(2026, 2, 28)


def test_unknown_filing_date_gives_an_upper_bound() -> None:
    term = statutory_term("US", "invention", None, dt.date(2010, 3, 2), None, TERMS)
    assert term.upper_bound and term.expiry == dt.date(2030, 3, 2)
    assert _status(country="US", filing=None, grant=dt.date(2000, 1, 4)).status == "expired"  # type: ignore[attr-defined]
    recent = _status(country="US", filing=None, grant=dt.date(2012, 1, 4))
    assert (recent.status, recent.expiry, recent.remaining_term_days) == ("in_force", None, None)  # type: ignore[attr-defined]


@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.integers(0, 50))
def test_add_years_keeps_month_and_day_where_it_can(day: dt.date, years: int) -> None:
    later = add_years(day, years)
    assert later.year == day.year + years and later.month == day.month
    assert later.day == day.day or (day.month, day.day, later.day) == (2, 29, 28)


# -- status ----------------------------------------------------------------------------------------------------


def test_status_from_events() -> None:
    d = dt.date
    lapse = Event(d(2016, 6, 1), "lapse", "CN", "C19", "TERMINATION OF PATENT RIGHT DUE TO NON-PAYMENT OF ANNUAL FEE")
    s = _status(events=[lapse])
    assert (s.status, s.status_date, s.estimated, s.renewal_years) == ("lapsed", d(2016, 6, 1), False, 6)  # type: ignore[attr-defined]
    back = Event(d(2017, 1, 1), "reinstatement", "CN", "C20", "RESTORATION OF RIGHT")
    assert _status(events=[lapse, back]).status == "in_force"  # type: ignore[attr-defined]
    later = Event(d(2026, 6, 1), "lapse", "CN", "C19", "LAPSE")
    assert _status(events=[later]).status == "in_force"  # type: ignore[attr-defined]  # after as_of: ignored
    national = Event(d(2011, 1, 1), "lapse", "EP", "PG25", "LAPSED IN A CONTRACTING STATE [GB]")
    assert _status(country="EP", events=[national]).status == "in_force"  # type: ignore[attr-defined]
    withdrawn = Event(d(2012, 1, 1), "withdrawal", "CN", "C02", "DEEMED WITHDRAWAL")
    app = _status(stage="application", grant=None, events=[withdrawn])
    assert (app.status, app.granted) == ("withdrawn", False)  # type: ignore[attr-defined]


def test_applications_are_pending_for_a_while_then_unknown() -> None:
    young = _status(stage="application", grant=None, filing=dt.date(2021, 1, 1))
    assert (young.status, young.estimated) == ("pending", True)  # type: ignore[attr-defined]
    old = _status(stage="application", grant=None, filing=dt.date(2010, 1, 1))
    assert old.status is None and "7 years" in old.reason  # type: ignore[attr-defined]


@given(
    filing=st.dates(dt.date(1980, 1, 1), dt.date(2025, 1, 1)),
    lag=st.integers(0, 3000),
    as_of=st.dates(dt.date(1990, 1, 1), dt.date(2060, 1, 1)),
)
def test_a_grant_is_in_force_exactly_until_its_term_ends(filing: dt.date, lag: int, as_of: dt.date) -> None:
    grant = filing + dt.timedelta(days=lag)
    if grant > as_of:
        return
    s = legal_status(
        as_of=as_of, country="CN", doc_type="invention", stage="grant", filing=filing, grant=grant,
        extension_days=None, events=(), terms=TERMS, max_pending_years=7,
    )  # fmt: skip
    expiry = add_years(filing, 20)
    assert s.status == ("expired" if as_of >= expiry else "in_force")
    assert s.estimated
    if s.status == "in_force":
        assert s.remaining_term_days == (expiry - as_of).days >= 0
        assert s.maintenance_years is not None and s.maintenance_years <= 20.01


# -- cohort arithmetic -----------------------------------------------------------------------------------------


def test_normalise_and_top_share_by_hand() -> None:
    cohort = np.array([1, 1, 1, 2, 2, -1])
    values = np.array([4.0, 2.0, 0.0, 0.0, 0.0, 9.0])
    valid = np.array([True, True, True, True, False, True])
    norm, ok = cohorts.normalise(cohort, values, valid)
    assert ok.tolist() == [True, True, True, True, False, False]
    assert norm[:4].tolist() == [1.0, 0.5, 0.0, 0.0]  # a cohort whose maximum is 0 normalises to 0
    assert cohorts.top_share(cohort, values, valid, 0.01).tolist() == [True, False, False, False, False, False]
    assert cohorts.cohort_size(cohort).tolist() == [3, 3, 3, 2, 2, 0]


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 50)), min_size=1, max_size=60))
def test_top_share_flags_each_cohorts_largest_positive_value(pairs: list[tuple[int, int]]) -> None:
    cohort = np.array([c for c, _ in pairs])
    values = np.array([float(v) for _, v in pairs])
    valid = np.ones(len(pairs), bool)
    flags = cohorts.top_share(cohort, values, valid, 0.01)
    norm, _ = cohorts.normalise(cohort, values, valid)
    assert ((norm >= 0) & (norm <= 1)).all()
    for c in set(cohort.tolist()):
        members = cohort == c
        top = values[members].max()
        assert flags[members].tolist() == [top > 0 and v == top for v in values[members]]


# -- rules and reference tables --------------------------------------------------------------------------------


def test_every_builtin_rule_is_complete() -> None:
    rules = available_rules()
    domains = {r.domain for r in rules}
    assert {"high_value", "legal_term", "oecd_quality", "kpi", "industry"} <= domains
    for domain in domains:
        assert sum(r.default for r in rules if r.domain == domain) == 1, domain
    for rule in rules:
        assert rule.source and rule.title
        if rule.domain == "industry" and "categories" in rule.params:
            for code, spec in rule.param("categories").items():
                assert set(spec["label"]) == {"zh", "ja", "en"}, (rule.version, code)
    placeholders = {r.version for r in rules if r.placeholder}
    assert placeholders == {"pii-2019-placeholder", "sei-2018-placeholder"}
    assert [c["id"] for c in load_rule("high_value", "15FYP-4cat").param("categories")] == [
        "sei", "overseas", "maintenance", "award",
    ]  # fmt: skip


def test_a_user_rule_file_replaces_the_builtin_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "kpi"
    folder.mkdir()
    (folder / "plan-2023-48.yaml").write_text(
        "domain: kpi\nversion: plan-2023-48\ndefault: true\ntitle: local copy\nsource: our reading\n"
        "effective_from: 2023-01-01\nverified: false\nparams: {target: 3.5}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PATNAV_RULES_DIR", str(tmp_path))
    rule = load_rule("kpi")
    assert (rule.title, rule.param("target"), rule.label) == ("local copy", 3.5, "kpi/plan-2023-48 (unverified)")


def test_malformed_rule_files_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text("domain: kpi\nversion: v\ntitle: t\nsource: s\nverified: yes-ish\neffective_from: 2020-13-01\n")
    with pytest.raises(RuleError, match=r"x\.yaml"):
        read_rule(bad)
    bad.write_text("domain: kpi\n")
    with pytest.raises(RuleError, match=r"x\.yaml: missing version"):
        read_rule(bad)
    with pytest.raises(RuleError, match="versions: plan-2023-48"):
        load_rule("kpi", "no-such-version")
    with pytest.raises(RuleError, match="no parameter"):
        load_rule("kpi").param("nothing.here")


@given(st.from_regex(r"[A-H][0-9]{2}[A-Z]", fullmatch=True), st.integers(1, 999), st.integers(0, 9999))
def test_compact_ipc_agrees_with_the_stored_form(subclass: str, group: int, subgroup: int) -> None:
    """The store writes ``G06N 3/08``; patterns come padded (``G06N   3/%``) or bare (``G06N   3``)."""
    stored = f"{subclass} {group}/{subgroup:02d}"
    assert compact_ipc(stored).startswith(compact_ipc(f"{subclass} {group:>3}/%"))
    assert compact_ipc(stored).startswith(compact_ipc(f"{subclass} {group:>3}"))
    assert compact_ipc(f"{subclass}%") == subclass


def test_real_concordances_load(shared_data: Path) -> None:
    wipo = load_wipo_fields(shared_data / "classification" / "ipc_technology_wipo35.csv")
    fields = set(wipo.table.column("code").to_pylist())
    assert fields == {str(i) for i in range(1, 36)}
    assert "H04N3/" in wipo.table.column("prefix").to_pylist()
    nace = load_nace(shared_data / "classification" / "ipc_nace2_eurostat.csv")
    rows = nace.table.to_pylist()
    assert any(r["not_with"] and r["unless_with"] for r in rows)  # the exclusion rules survive
    assert not any(r["prefix"] in ("A99Z", "B29K") for r in rows)  # rows that map to no industry are dropped
    pii = table_from_rule(load_rule("industry", "pii-2019-placeholder"))
    assert pii.placeholder and len(pii.labels) == 7


_OFFICES = st.sampled_from(["CN", "US", "EP", "JP", "KR", "DE", "FR", None])
_KINDS = st.sampled_from(["invention", "utility_model", "design", "plant", "other", None])
_STAGES = st.sampled_from(["grant", "application", "search_report", "other", None])
_DAYS = st.one_of(st.none(), st.dates(dt.date(1975, 1, 1), dt.date(2030, 12, 31)))


@given(st.lists(st.tuples(_OFFICES, _KINDS, _STAGES, _DAYS, _DAYS, st.one_of(st.none(), st.integers(0, 900))),
                min_size=1, max_size=40),
       st.dates(dt.date(1995, 1, 1), dt.date(2035, 12, 31)))  # fmt: skip
def test_vectorised_status_agrees_with_the_one_by_one_rules(rows: list[tuple], as_of: dt.date) -> None:
    """The bulk path (publications without legal events) gives exactly what legal_status gives, row by row."""
    from patnav.indicators.status import bulk_estimated_status

    epoch = dt.date(1970, 1, 1)

    def days(values: list[dt.date | None]) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([(v - epoch).days if v else 0 for v in values], np.int64),
                np.array([v is not None for v in values]))  # fmt: skip

    filing, has_filing = days([r[3] for r in rows])
    grant, has_grant = days([r[4] for r in rows])
    bulk = bulk_estimated_status(
        as_of=as_of, country=np.array([r[0] for r in rows], object), doc_type=np.array([r[1] for r in rows], object),
        stage=np.array([r[2] for r in rows], object), filing=filing, has_filing=has_filing, grant=grant,
        has_grant=has_grant, extension=np.array([r[5] or 0 for r in rows], np.int64), terms=TERMS, max_pending_years=7,
    )  # fmt: skip
    for i, (office, kind, stage, f, g, ext) in enumerate(rows):
        one = legal_status(as_of=as_of, country=office, doc_type=kind, stage=stage, filing=f, grant=g,
                           extension_days=ext, events=(), terms=TERMS, max_pending_years=7)  # fmt: skip
        if not bulk["handled"][i]:
            assert one.status is None and one.reason, (rows[i], as_of)  # left to the path that gives reasons
            continue
        assert bulk["status"][i] == one.status, (rows[i], as_of)
        to_date = lambda d, ok: epoch + dt.timedelta(days=int(d)) if ok else None  # noqa: E731
        assert to_date(bulk["status_date"][i], bulk["status_date_valid"][i]) == one.status_date
        assert to_date(bulk["expiry"][i], bulk["expiry_valid"][i]) == one.expiry
        assert (int(bulk["remaining"][i]) if bulk["remaining_valid"][i] else None) == one.remaining_term_days
        assert (float(bulk["maintenance"][i]) if bulk["maintenance_valid"][i] else None) == one.maintenance_years
        assert bool(bulk["upper_bound"][i]) == (one.basis == "term_upper_bound")

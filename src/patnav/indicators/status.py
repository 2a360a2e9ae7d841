"""Legal status and term of one publication: derived from its legal events where it has some, estimated from
its dates and the statutory term where not (and then marked as an estimate).

Pure functions over plain values, so they are easy to test by hand and behave the same whichever engine
fetched the rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STATUSES = ("pending", "in_force", "lapsed", "expired", "withdrawn", "revoked")

#: legal-event effects (see ``patnav.ingest.readers.epo_ops.status_effect``) that end an application or a right
TERMINAL = {"lapse": "lapsed", "expiry": "expired", "revocation": "revoked", "withdrawal": "withdrawn"}

#: EP events that concern one contracting state only ("GB: …", "LAPSED IN A CONTRACTING STATE", PG25)
_NATIONAL = re.compile(r"^[A-Z]{2}:|IN A CONTRACTING STATE|\[[A-Z]{2}\]")


@dataclass(frozen=True, slots=True)
class Event:
    """One legal event as the status derivation needs it."""

    date: dt.date | None
    effect: str | None
    authority: str | None = None
    code: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Term:
    """When protection ends by statute: ``expiry`` (None with ``reason`` when it cannot be worked out)."""

    expiry: dt.date | None
    basis: str | None = None
    reason: str | None = None
    upper_bound: bool = False


@dataclass(frozen=True, slots=True)
class Status:
    """The status on ``as_of`` and how it was found.

    ``estimated`` is true when the publication has no legal events before ``as_of``: the status then follows
    from its dates and the statutory term alone (a patent is assumed maintained). ``basis`` says what decided
    it: ``legal_events``, ``statutory_term``, ``term_upper_bound`` (the filing date is unknown, so the term
    counted from the grant bounds it), ``filing_date`` (an application within its pending years) or ``none``.
    ``status`` is None, with a ``reason``, when it cannot be known (an old application that never shows a
    grant or an outcome).
    """

    status: str | None
    estimated: bool
    status_date: dt.date | None
    basis: str
    reason: str | None
    expiry: dt.date | None
    remaining_term_days: int | None
    maintenance_years: float | None
    renewal_years: int | None
    granted: bool


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole years; 29 February lands on 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def statutory_term(
    country: str | None,
    doc_type: str | None,
    filing: dt.date | None,
    grant: dt.date | None,
    extension_days: int | None,
    terms: Mapping[str, Any],
) -> Term:
    """The statutory expiry from the ``legal_term`` rule's ``terms`` table (office → doc type → entries)."""
    kind = doc_type or "invention"
    office = terms.get(country or "", {}) if isinstance(terms.get(country or ""), Mapping) else {}
    entries: Sequence[Mapping[str, Any]] | None = office.get(kind) or terms.get("default", {}).get(kind)
    if not entries:
        return Term(None, reason=f"no term rule for {kind} at {country or 'an unknown office'}")
    if filing is None and grant is None:
        return Term(None, reason="no filing or grant date")
    eras = [(entry, _date(entry.get("until"))) for entry in entries]
    if filing is not None:
        chosen = [next((e for e, until in eras if until is None or filing < until), None)]
        if chosen[0] is None:
            return Term(None, reason=f"no term rule for {kind} at {country} filed {filing}")
    else:
        # without a filing date, an era ending after the grant is certain (filing precedes grant); otherwise
        # every later era is possible and the latest expiry among them is an upper bound
        assert grant is not None
        first = next((i for i, (_, until) in enumerate(eras) if until is None or grant < until), len(eras) - 1)
        chosen = [e for e, _ in eras[first:]]
    terms_found = [_expiry(entry, filing, grant, extension_days) for entry in chosen if entry is not None]
    best = max(terms_found, key=lambda t: (t.expiry is not None, t.expiry or dt.date.min))
    if len(terms_found) > 1 and best.expiry is not None:
        return Term(best.expiry, basis=f"{best.basis} (latest possible)", upper_bound=True)
    return best


def _expiry(
    chosen: Mapping[str, Any], filing: dt.date | None, grant: dt.date | None, extension_days: int | None
) -> Term:
    candidates: list[dt.date] = []
    basis = []
    upper_bound = False
    for years_key, from_key in (("years", "from"), ("or_years", "or_from")):
        if years_key not in chosen:
            continue
        start = filing if chosen[from_key] == "filing" else grant
        if start is None and chosen[from_key] == "filing" and grant is not None:
            # filing precedes grant, so counting from the grant gives a date the term cannot run past
            start, upper_bound = grant, True
            basis.append(f"at most {chosen[years_key]}y from grant (filing date unknown)")
        elif start is None:
            return Term(None, reason=f"the term runs from the {chosen[from_key]} date, which is unknown")
        else:
            basis.append(f"{chosen[years_key]}y from {chosen[from_key]}")
        candidates.append(add_years(start, int(chosen[years_key])))
    expiry = max(candidates)
    if extension_days:
        expiry += dt.timedelta(days=int(extension_days))
        basis.append(f"+{int(extension_days)}d extension")
    return Term(expiry, basis=" or ".join(basis), upper_bound=upper_bound)


def _national_only(event: Event) -> bool:
    return (event.authority or "") == "EP" and (
        (event.code or "") == "PG25" or bool(_NATIONAL.search((event.description or "").upper()))
    )


def legal_status(
    *,
    as_of: dt.date,
    country: str | None,
    doc_type: str | None,
    stage: str | None,
    filing: dt.date | None,
    grant: dt.date | None,
    extension_days: int | None,
    events: Iterable[Event],
    terms: Mapping[str, Any],
    max_pending_years: int,
) -> Status:
    """The status of one publication on ``as_of`` (events after it are ignored)."""
    grant = grant if grant is not None and grant <= as_of else None
    granted_by_event: dt.date | None = None
    terminal: tuple[str, dt.date] | None = None
    seen = 0
    for event in sorted((e for e in events if e.date is not None and e.date <= as_of), key=lambda e: e.date):
        seen += 1
        assert event.date is not None
        if event.effect == "grant":
            granted_by_event = granted_by_event or event.date
        elif event.effect in TERMINAL and not _national_only(event):
            terminal = (TERMINAL[event.effect], event.date)
        elif event.effect == "reinstatement":
            terminal = None
    granted = grant is not None or granted_by_event is not None or stage == "grant"
    term = statutory_term(country, doc_type, filing, grant or granted_by_event, extension_days, terms)
    expiry = term.expiry if not term.upper_bound else None
    estimated = seen == 0

    def result(status: str | None, date: dt.date | None, basis: str, reason: str | None = None) -> Status:
        in_force = status == "in_force"
        remaining = (expiry - as_of).days if in_force and expiry is not None else None
        end = as_of if in_force else date
        maintenance = None
        if granted and filing is not None and end is not None and status in ("in_force", "lapsed", "expired"):
            maintenance = round((end - filing).days / 365.25 * 10000) / 10000  # as np.rint in the bulk path
        renewal = int(maintenance) if maintenance is not None and not estimated else None
        return Status(status, estimated, date, basis, reason, expiry, remaining, maintenance, renewal, granted)

    if terminal is not None:
        status, date = terminal
        if status == "withdrawn" and granted:
            status = "lapsed"  # a right that is given up after grant has lapsed, not been withdrawn
        return result(status, date, "legal_events")
    if granted:
        if term.upper_bound and term.expiry is not None:
            if term.expiry <= as_of:
                return result("expired", None, "term_upper_bound")
            return result("in_force", None, "term_upper_bound")
        if expiry is None:
            return result(None, None, "none", f"granted, but the term cannot be worked out: {term.reason}")
        if expiry <= as_of:
            return result("expired", expiry, "statutory_term")
        return result("in_force", None, "legal_events" if not estimated else "statutory_term")
    if stage in ("application", "search_report", None) and filing is not None:
        if add_years(filing, max_pending_years) > as_of:
            return result("pending", None, "legal_events" if not estimated else "filing_date")
        return result(
            None,
            None,
            "none",
            f"an application with no grant and no outcome more than {max_pending_years} years after filing",
        )
    if filing is None:
        return result(None, None, "none", "no filing date and no legal events")
    return result(None, None, "none", f"neither granted nor an application (stage {stage}) and no legal events")


# -- many publications at once ---------------------------------------------------------------------------------

_EPOCH = dt.date(1970, 1, 1)


def add_years_days(days: Any, years: Any) -> Any:
    """:func:`add_years` over NumPy arrays of days since 1970-01-01 (``years`` a scalar or an array)."""
    import numpy as np

    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    day = (d - months.astype("datetime64[D]")).astype(np.int64)
    shifted = months + np.asarray(years, dtype=np.int64) * 12
    result = shifted.astype("datetime64[D]") + day
    rolled = result.astype("datetime64[M]") != shifted  # 29 February into a common year rolled into March
    result = np.where(rolled, shifted.astype("datetime64[D]") + 27, result)
    return result.astype(np.int64)


def _day(value: Any) -> int:
    return (_date(value) - _EPOCH).days  # type: ignore[operator]


def bulk_estimated_status(
    *,
    as_of: dt.date,
    country: Any,
    doc_type: Any,
    stage: Any,
    filing: Any,
    has_filing: Any,
    grant: Any,
    has_grant: Any,
    extension: Any,
    terms: Mapping[str, Any],
    max_pending_years: int,
) -> dict[str, Any]:
    """:func:`legal_status` for many publications that have no legal events, vectorised with NumPy.

    Dates are int64 days since 1970-01-01 with validity masks. Returns arrays ``status`` (object), ``status_date``,
    ``expiry``, ``remaining``, ``maintenance`` (with ``*_valid`` masks) and ``handled``: the rows it decided.
    Rows it leaves (a term it cannot work out, which needs a reason) go through :func:`legal_status`; the test
    suite checks both paths agree on random inputs.
    """
    import numpy as np

    n = len(country)
    as_of_days = (as_of - _EPOCH).days
    grant_ok = has_grant & (grant <= as_of_days)
    granted = grant_ok | (stage == "grant")
    expiry = np.zeros(n, np.int64)
    exp_ok = np.zeros(n, bool)
    upper = np.zeros(n, bool)
    kinds = np.where(doc_type == None, "invention", doc_type)  # noqa: E711 - elementwise test on an object array
    keys = np.char.add(np.char.add(np.asarray(country, dtype=str), "|"), np.asarray(kinds, dtype=str))
    for key in np.unique(keys):
        rows = np.flatnonzero(keys == key)
        office_name, kind = key.split("|", 1)
        office = terms.get(office_name) if isinstance(terms.get(office_name), Mapping) else {}
        entries = (office or {}).get(kind) or terms.get("default", {}).get(kind)
        if not entries:
            continue
        untils = [_date(e.get("until")) for e in entries]
        # with a filing date: the first era whose "until" lies after the filing
        fr = rows[has_filing[rows]]
        era = np.full(len(fr), -1)
        for idx in range(len(entries) - 1, -1, -1):
            fits = np.ones(len(fr), bool) if untils[idx] is None else filing[fr] < _day(untils[idx])
            era = np.where(fits, idx, era)
        for idx, entry in enumerate(entries):
            sel = fr[era == idx]
            if len(sel) == 0:
                continue
            value, ok, up = _entry_expiry(entry, filing[sel], np.ones(len(sel), bool), grant[sel], grant_ok[sel])
            expiry[sel], exp_ok[sel], upper[sel] = value, ok, up
        # without a filing date but with a grant: the eras that can still apply give an upper bound
        gr = rows[~has_filing[rows] & grant_ok[rows]]
        first = np.full(len(gr), len(entries) - 1)
        for idx in range(len(entries) - 1, -1, -1):
            fits = np.ones(len(gr), bool) if untils[idx] is None else grant[gr] < _day(untils[idx])
            first = np.where(fits, idx, first)
        for start in range(len(entries)):
            sel = gr[first == start]
            if len(sel) == 0:
                continue
            best = np.full(len(sel), np.iinfo(np.int64).min)
            best_up = np.zeros(len(sel), bool)
            for entry in entries[start:]:
                value, _ok, up = _entry_expiry(entry, np.zeros(len(sel), np.int64), np.zeros(len(sel), bool),
                                               grant[sel], np.ones(len(sel), bool))  # fmt: skip
                take = value > best
                best = np.where(take, value, best)
                best_up = np.where(take, up, best_up)
            expiry[sel], exp_ok[sel] = best, True
            upper[sel] = best_up | (len(entries) - start > 1)
    ext = np.asarray(extension, dtype=np.int64)
    expiry = np.where(exp_ok, expiry + ext, expiry)

    status = np.full(n, None, dtype=object)
    status_date = np.zeros(n, np.int64)
    date_ok = np.zeros(n, bool)
    handled = np.zeros(n, bool)
    g_up = granted & exp_ok & upper
    status[g_up & (expiry <= as_of_days)] = "expired"
    status[g_up & (expiry > as_of_days)] = "in_force"
    g_exact = granted & exp_ok & ~upper
    expired = g_exact & (expiry <= as_of_days)
    status[expired] = "expired"
    status_date[expired], date_ok[expired] = expiry[expired], True
    status[g_exact & (expiry > as_of_days)] = "in_force"
    handled |= granted & exp_ok
    app = ~granted & np.isin(stage, ["application", "search_report", None]) & has_filing
    pending = app & (add_years_days(filing, max_pending_years) > as_of_days)
    status[pending] = "pending"
    handled |= pending  # old applications and rows without dates need a reason: the scalar path gives it

    in_force = status == "in_force"
    remaining_ok = in_force & ~upper & exp_ok
    end = np.where(in_force, as_of_days, status_date)
    end_ok = in_force | date_ok
    maint_ok = granted & has_filing & end_ok & np.isin(status, ["in_force", "lapsed", "expired"])
    maintenance = np.rint((end - filing) / 365.25 * 10000) / 10000
    return {
        "handled": handled,
        "status": status,
        "status_date": status_date,
        "status_date_valid": date_ok,
        "expiry": expiry,
        "expiry_valid": exp_ok & ~upper,
        "remaining": expiry - as_of_days,
        "remaining_valid": remaining_ok,
        "maintenance": maintenance,
        "maintenance_valid": maint_ok,
        "granted": granted,
        "upper_bound": upper,
    }


def _entry_expiry(entry: Mapping[str, Any], filing: Any, has_filing: Any, grant: Any, has_grant: Any) -> Any:
    """One term entry over arrays: (expiry days, valid, counted from the grant in place of a filing date)."""
    import numpy as np

    n = len(filing)
    best = np.full(n, np.iinfo(np.int64).min)
    ok = np.ones(n, bool)
    upper = np.zeros(n, bool)
    for years_key, from_key in (("years", "from"), ("or_years", "or_from")):
        if years_key not in entry:
            continue
        if entry[from_key] == "filing":
            start = np.where(has_filing, filing, grant)
            upper |= ~has_filing & has_grant
            ok &= has_filing | has_grant
        else:
            start = grant
            ok &= has_grant
        best = np.maximum(best, add_years_days(start, int(entry[years_key])))
    return best, ok, upper

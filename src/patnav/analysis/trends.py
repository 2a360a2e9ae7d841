"""Filing trends and the technology life cycle of a patent set (GB/T 39551: "patent landscape: trends").

``trends(engine, patent_set, as_of=…)`` answers "how many filings per year, which recent years are not complete
yet, and where in its life cycle is this technology?":

* documents and families per year on four bases: priority year (earliest priority, else filing date), filing
  year, publication year and grant year. A family is counted once, in the first year any of its members in the
  set has (its first filing, first publication, first grant); documents are counted in their own year.
* truncation: applications are published about 18 months after their priority date, so the last priority and
  filing years before the cut-off ``as_of`` are still filling up; a chart must flag them (``truncated``) rather
  than show a false decline. Publication and grant years are complete once the calendar year is over.
* the life-cycle chart: per priority year, applications (families) against applicants (distinct harmonised
  names), and a stage code from the trend of both series (:func:`classify_stage` documents the rule).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, get_args

from patnav.analysis._sql import CORPUS_TABLE, YEAR_COLUMN, with_set
from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.engine.base import Engine

Basis = Literal["priority", "filing", "publication", "grant"]
BASES: tuple[Basis, ...] = get_args(Basis)

Direction = Literal["rising", "flat", "falling"]
Stage = Literal["emerging", "growth", "maturity", "decline", "undetermined"]

#: The usual delay, in months, between an application's priority date and its publication: most laws
#: (PCT Art. 21, EPC Art. 93, CN Patent Law Art. 34, 35 U.S.C. 122(b)) publish promptly after 18 months.
#: It is a convention used to flag incomplete years, not a standard: raise it (e.g. to 30 for the PCT national
#: phase) when a set counts many late-entering family members, lower it for sets of early publications.
PUBLICATION_DELAY_MONTHS = 18


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back by ``months`` calendar months (the day clamped to the month's length)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def last_complete_year(basis: Basis, as_of: dt.date, publication_delay_months: int = PUBLICATION_DELAY_MONTHS) -> int:
    """The last year whose counts on ``basis`` are complete as of ``as_of``.

    Priority and filing years: everything filed up to ``as_of`` minus the publication delay has been published,
    so a year is complete when its 31 December is on or before that date. Publication and grant years: a year is
    complete when its 31 December is on or before ``as_of``.
    """
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}; choose one of {', '.join(BASES)}")
    if publication_delay_months < 0:
        raise ValueError("publication_delay_months cannot be negative")
    cut = months_before(as_of, publication_delay_months) if basis in ("priority", "filing") else as_of
    return cut.year if (cut.month, cut.day) == (12, 31) else cut.year - 1


@dataclass(frozen=True, slots=True)
class YearCount:
    """Filings of one year: ``documents`` dated in it, ``families`` whose first member is dated in it, and
    whether the year is still ``truncated`` (incomplete as of the cut-off)."""

    year: int
    documents: int
    families: int
    truncated: bool


@dataclass(frozen=True, slots=True)
class YearSeries:
    """Documents and families per year on one ``basis``.

    ``years`` runs without gaps (a year with nothing filed is a zero, not a hole) from the first year in the data
    to the cut-off year (or the last year in the data, if later), ascending. ``undated_documents`` and
    ``undated_families`` have no date on this basis (for ``grant``: were not granted, or the grant date is
    unknown). ``last_complete_year`` is the last year not truncated.
    """

    basis: Basis
    years: tuple[YearCount, ...]
    undated_documents: int
    undated_families: int
    last_complete_year: int

    @property
    def documents(self) -> int:
        """Documents with a date on this basis."""
        return sum(y.documents for y in self.years)

    @property
    def families(self) -> int:
        """Families with a date on this basis."""
        return sum(y.families for y in self.years)


@dataclass(frozen=True, slots=True)
class LifeCycleRule:
    """The thresholds of :func:`classify_stage` (conventions of this project, not of a standard).

    The last ``window`` complete years are compared with the ``window`` years before them. A series is
    ``rising`` when the recent window holds at least ``1 + rise`` times the earlier one, ``falling`` when it
    holds at most ``1 - fall`` times it, else ``flat``. A technology is ``emerging`` while its recent window
    has at most ``emerging_max_applications`` applications and ``emerging_max_applicants`` applicants and the
    applications are not falling. Tune these to the size of the field.
    """

    window: int = 5
    rise: float = 0.10
    fall: float = 0.10
    emerging_max_applications: int = 30
    emerging_max_applicants: int = 10

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError("window must be 1 or more years")
        if self.rise < 0 or not 0 <= self.fall < 1:
            raise ValueError("rise must be ≥ 0 and fall in [0, 1)")


def direction(previous: int, recent: int, rise: float = 0.10, fall: float = 0.10) -> Direction:
    """Whether a count went up, down or stayed, from ``previous`` to ``recent`` (see :class:`LifeCycleRule`).

    From zero, anything is ``rising`` and zero stays ``flat``.
    """
    if previous == 0:
        return "rising" if recent > 0 else "flat"
    ratio = Fraction(recent, previous)  # exact: 11 / 10 is "rising" at rise = 0.10, whatever floats say
    if ratio >= 1 + _exact(rise):
        return "rising"
    if ratio <= 1 - _exact(fall):
        return "falling"
    return "flat"


def _exact(x: float) -> Fraction:
    """The decimal a user wrote (``0.1``), not the nearest binary float."""
    return Fraction(x).limit_denominator(1_000_000)


@dataclass(frozen=True, slots=True)
class LifeCyclePoint:
    """One year of the life-cycle chart: ``applications`` (families first filed that year) and ``applicants``
    (distinct harmonised names applying for them)."""

    year: int
    applications: int
    applicants: int
    truncated: bool


@dataclass(frozen=True, slots=True)
class Window:
    """A span of years (``first_year``…``last_year``, inclusive) with the ``applications`` (families) first filed
    in it and the distinct ``applicants`` behind them (each counted once in the window)."""

    first_year: int
    last_year: int
    applications: int
    applicants: int


def classify_stage(previous: Window, recent: Window, rule: LifeCycleRule = LifeCycleRule()) -> Stage:
    """The life-cycle stage from two consecutive windows, after the classic applications–applicants chart.

    In that chart (applications on one axis, applicants on the other, one point per year) a technology moves
    up and right while it grows, turns right or back while it matures, and falls back towards the origin as it
    declines. The rule, in order:

    1. no applications in either window → ``undetermined``;
    2. few of both in the recent window (at most ``rule.emerging_max_applications`` and
       ``rule.emerging_max_applicants``) and applications not falling → ``emerging``;
    3. applications falling and applicants not rising → ``decline`` (both falling is the classic case);
    4. applicants rising and applications not falling → ``growth`` (both rising is the classic case);
    5. applications rising or flat, applicants flat or falling → ``maturity`` (fewer players file more);
    6. applications falling while applicants rise → ``undetermined`` (the chart has no such stage).
    """
    if previous.applications == 0 and recent.applications == 0:
        return "undetermined"
    apps = direction(previous.applications, recent.applications, rule.rise, rule.fall)
    players = direction(previous.applicants, recent.applicants, rule.rise, rule.fall)
    if (
        apps != "falling"
        and recent.applications <= rule.emerging_max_applications
        and recent.applicants <= rule.emerging_max_applicants
    ):
        return "emerging"
    if apps == "falling":
        return "decline" if players != "rising" else "undetermined"
    return "growth" if players == "rising" else "maturity"


@dataclass(frozen=True, slots=True)
class LifeCycle:
    """The life-cycle chart of a set and its stage.

    ``points`` cover the same years as the ``basis`` series, ascending; ``recent`` is the last ``rule.window``
    complete years and ``previous`` the window before it (``None`` for both when no year is complete);
    ``applications_trend`` and ``applicants_trend`` are the :func:`direction` of each series between them.
    """

    basis: Basis
    points: tuple[LifeCyclePoint, ...]
    stage: Stage
    recent: Window | None
    previous: Window | None
    applications_trend: Direction | None
    applicants_trend: Direction | None
    rule: LifeCycleRule


@dataclass(frozen=True, slots=True)
class Trends:
    """Filing trends of a set as of a cut-off date: one :class:`YearSeries` per basis (in :data:`BASES` order)
    and the :class:`LifeCycle`."""

    as_of: dt.date
    publication_delay_months: int
    series: tuple[YearSeries, ...]
    life_cycle: LifeCycle

    def by(self, basis: Basis) -> YearSeries:
        """The series on ``basis``."""
        for s in self.series:
            if s.basis == basis:
                return s
        raise KeyError(basis)


# -- queries --------------------------------------------------------------------------------------------------


def default_as_of(engine: Engine, patent_set: PatentSet | None = None) -> dt.date:
    """The cut-off date to assume when none is given: the latest publication date in the set (today if none).

    Pass the date the data was retrieved instead when known: a set whose newest publication is old would
    otherwise look complete when it is not.
    """
    table = register_patent_set(engine, patent_set)
    where = "" if table == CORPUS_TABLE else f" WHERE publication_number IN (SELECT publication_number FROM {table})"
    ((latest,),) = engine.rows("SELECT max(publication_date) FROM publications" + where)
    return latest if isinstance(latest, dt.date) else dt.date.today()


def _union_by_basis(select: str) -> str:
    """``select`` (with ``{year}`` for the year column and ``{basis}`` for its name) once per basis, unioned."""
    return "\n        UNION ALL ".join(select.format(year=YEAR_COLUMN[b], basis=b) for b in BASES)


def year_series(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    as_of: dt.date | None = None,
    publication_delay_months: int = PUBLICATION_DELAY_MONTHS,
) -> tuple[YearSeries, ...]:
    """Documents and families per year on every basis (see :class:`YearSeries`), in :data:`BASES` order."""
    table = register_patent_set(engine, patent_set)
    as_of = as_of or default_as_of(engine, patent_set)
    dated = _union_by_basis("SELECT '{basis}' AS basis, {year} AS yr, publication_number, fam FROM pubs")
    rows = engine.rows(
        with_set(
            table,
            ("d", dated),
            ("f", "SELECT basis, fam, min(yr) AS yr FROM d GROUP BY basis, fam"),
        )
        + """
        SELECT 'documents' AS what, basis, yr, count(*) AS n FROM d GROUP BY basis, yr
        UNION ALL
        SELECT 'families' AS what, basis, yr, count(*) AS n FROM f GROUP BY basis, yr"""
    )
    counts: dict[tuple[str, str, int | None], int] = {(w, b, y): int(n) for w, b, y, n in rows}
    out = []
    for basis in BASES:
        years = sorted({y for w, b, y in counts if b == basis and y is not None})
        complete = last_complete_year(basis, as_of, publication_delay_months)
        span = range(years[0], max(years[-1], as_of.year) + 1) if years else range(0)
        out.append(
            YearSeries(
                basis=basis,
                years=tuple(
                    YearCount(
                        y,
                        counts.get(("documents", basis, y), 0),
                        counts.get(("families", basis, y), 0),
                        y > complete,
                    )
                    for y in span
                ),
                undated_documents=counts.get(("documents", basis, None), 0),
                undated_families=counts.get(("families", basis, None), 0),
                last_complete_year=complete,
            )
        )
    return tuple(out)


def life_cycle(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    as_of: dt.date | None = None,
    basis: Basis = "priority",
    publication_delay_months: int = PUBLICATION_DELAY_MONTHS,
    rule: LifeCycleRule = LifeCycleRule(),
) -> LifeCycle:
    """The applications–applicants chart on ``basis`` (priority year by default) and the stage it suggests.

    A family counts in the year of its first member (on ``basis``); its applicants are the harmonised names on
    any of its members in the set. Only complete years (see :func:`last_complete_year`) enter the stage.
    """
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}; choose one of {', '.join(BASES)}")
    table = register_patent_set(engine, patent_set)
    as_of = as_of or default_as_of(engine, patent_set)
    complete = last_complete_year(basis, as_of, publication_delay_months)
    ctes = (
        ("fy", f"SELECT fam, min({YEAR_COLUMN[basis]}) AS yr FROM pubs GROUP BY fam"),
        ("fa", "SELECT DISTINCT p.fam, a.name FROM pubs p JOIN app a ON a.publication_number = p.publication_number"),
        ("j", "SELECT fy.yr, fy.fam, fa.name FROM fy LEFT JOIN fa ON fa.fam = fy.fam WHERE fy.yr IS NOT NULL"),
    )
    w = rule.window
    bounds = {"r0": complete - w + 1, "r1": complete, "p0": complete - 2 * w + 1, "p1": complete - w}
    rows = engine.rows(
        with_set(table, *ctes)
        + """
        SELECT 'year' AS what, yr, count(DISTINCT fam) AS applications, count(DISTINCT name) AS applicants
        FROM j GROUP BY yr
        UNION ALL
        SELECT 'recent' AS what, CAST(NULL AS BIGINT) AS yr, count(DISTINCT fam) AS applications,
               count(DISTINCT name) AS applicants
        FROM j WHERE yr >= :r0 AND yr <= :r1
        UNION ALL
        SELECT 'previous' AS what, CAST(NULL AS BIGINT) AS yr, count(DISTINCT fam) AS applications,
               count(DISTINCT name) AS applicants
        FROM j WHERE yr >= :p0 AND yr <= :p1""",
        bounds,
    )
    per_year = {int(y): (int(n), int(a)) for what, y, n, a in rows if what == "year"}
    windows = {what: (int(n), int(a)) for what, _, n, a in rows if what != "year"}
    span = range(min(per_year), max(max(per_year), as_of.year) + 1) if per_year else range(0)
    points = tuple(LifeCyclePoint(y, *per_year.get(y, (0, 0)), y > complete) for y in span)
    if not per_year or min(per_year) > complete:
        return LifeCycle(basis, points, "undetermined", None, None, None, None, rule)
    recent = Window(bounds["r0"], bounds["r1"], *windows["recent"])
    previous = Window(bounds["p0"], bounds["p1"], *windows["previous"])
    return LifeCycle(
        basis=basis,
        points=points,
        stage=classify_stage(previous, recent, rule),
        recent=recent,
        previous=previous,
        applications_trend=direction(previous.applications, recent.applications, rule.rise, rule.fall),
        applicants_trend=direction(previous.applicants, recent.applicants, rule.rise, rule.fall),
        rule=rule,
    )


def trends(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    as_of: dt.date | None = None,
    publication_delay_months: int = PUBLICATION_DELAY_MONTHS,
    life_cycle_basis: Basis = "priority",
    rule: LifeCycleRule = LifeCycleRule(),
) -> Trends:
    """Year series on every basis and the life cycle of ``patent_set`` (default: the whole corpus).

    ``as_of`` is the cut-off date of the data (when it was retrieved); by default the latest publication date
    in the set (see :func:`default_as_of`).
    """
    as_of = as_of or default_as_of(engine, patent_set)
    return Trends(
        as_of=as_of,
        publication_delay_months=publication_delay_months,
        series=year_series(engine, patent_set, as_of=as_of, publication_delay_months=publication_delay_months),
        life_cycle=life_cycle(
            engine,
            patent_set,
            as_of=as_of,
            basis=life_cycle_basis,
            publication_delay_months=publication_delay_months,
            rule=rule,
        ),
    )

"""Who files: top applicants, new entrants, market concentration, co-applicants (GB/T 39551: "applicant ranking").

``players(engine, patent_set, as_of=…)`` ranks applicants by families, says what kind of party each is and
whether it is filing more or less than before, lists the newcomers, measures how concentrated the field is
(CR4, CR8, HHI, Gini; overall and per period) and gives the co-applicant network as an edge list.

Conventions:

* An applicant is a harmonised name of a party of role ``applicant``; a publication naming no applicant counts
  its assignees instead (the rule of ``corpus_stats(by="applicant")``). A family's applicants are the names on
  any of its members in the set.
* Ranking and shares count families (the domain's convention), whole: a family with two applicants counts once
  for each, so ``family_share`` values can add up to more than 1 when co-applications are common.
* Concentration needs shares that add up to 1, so there a family is split equally among its k applicants
  (1/k each: "fractional counting"); ``market_share`` is that share. The engine returns, per applicant and
  year, how many families it holds with k applicants in all; the fractions are exact here.
* Years are the family's first year on ``basis`` (priority year by default). The "recent" window is the last
  ``window`` complete years (see :func:`patnav.analysis.trends.last_complete_year`), "previous" the window
  before; a new entrant's first family falls in (or after) the recent window.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from patnav.analysis._sql import YEAR_COLUMN, with_set
from patnav.analysis.concentration import Concentration, concentration
from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.analysis.trends import (
    BASES,
    PUBLICATION_DELAY_MONTHS,
    Basis,
    Direction,
    default_as_of,
    direction,
    last_complete_year,
)
from patnav.engine.base import Engine


@dataclass(frozen=True, slots=True)
class Applicant:
    """One applicant of the set.

    ``kind``: the kind of party most often recorded for the name, a code of ``parties.kind`` (``company``,
    ``university``, ``institute``, ``individual``, ``government``, ``hospital``; ``unknown`` only when nothing
    else is recorded);
    ``documents`` and ``families`` it applied for; ``family_share``: its families over all families of the
    set; ``fractional_families`` and ``market_share``: its fractional count and its share of the families
    that name an applicant (these add up to 1 over all applicants); ``first_year``/``last_year`` of its
    families (``None`` when none is dated); ``recent``/``previous``: its families first filed in the recent
    and the previous window, and ``trend`` the :func:`~patnav.analysis.trends.direction` between them.
    """

    name: str
    kind: str
    documents: int
    families: int
    family_share: float
    fractional_families: float
    market_share: float
    first_year: int | None
    last_year: int | None
    recent: int
    previous: int
    trend: Direction


@dataclass(frozen=True, slots=True)
class PeriodConcentration:
    """Concentration of the families first filed in ``first_year``…``last_year`` (``truncated`` when the
    period reaches past the last complete year)."""

    first_year: int
    last_year: int
    truncated: bool
    concentration: Concentration


@dataclass(frozen=True, slots=True)
class CoApplicantEdge:
    """Two applicants named together: ``source`` < ``target`` (code-point order), with the ``documents`` they
    share and the ``families`` of those documents."""

    source: str
    target: str
    documents: int
    families: int


@dataclass(frozen=True, slots=True)
class NamedApplicant:
    """An applicant asked for by name (a client and its competitors, for benchmarking), whatever its rank:
    its :class:`Applicant` figures and ``years``, its families per first year (ascending; undated left out)."""

    applicant: Applicant
    years: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Players:
    """The players of a set.

    ``documents``/``families`` of the set; ``families_with_applicant`` name at least one applicant (the market
    the shares and concentration are about); ``applicants`` counts distinct names. ``recent_window`` and
    ``previous_window`` are ``(first_year, last_year)``. ``top`` holds the ``top`` largest applicants by
    families (then documents, then name); ``new_entrants`` the largest applicants whose first family falls in or
    after the recent window (at most ``top`` of them, ``new_entrant_count`` in all). ``concentration`` is over
    all families, ``by_period`` over calendar periods (e.g. 2010–2014), ascending. ``co_applicants`` is ordered
    by documents (desc), then families (desc), then names; ``co_applicant_nodes`` are the applicants named in
    ``co_applicants`` (the nodes of the co-applicant network, with their families and kind), ordered as ``top``.
    ``named``: the applicants asked for by name that hold a family of the set, in the order asked.
    """

    basis: Basis
    as_of: dt.date
    documents: int
    families: int
    families_with_applicant: int
    applicants: int
    recent_window: tuple[int, int]
    previous_window: tuple[int, int]
    top: tuple[Applicant, ...]
    new_entrants: tuple[Applicant, ...]
    new_entrant_count: int
    concentration: Concentration
    by_period: tuple[PeriodConcentration, ...]
    co_applicants: tuple[CoApplicantEdge, ...]
    co_applicant_nodes: tuple[Applicant, ...] = ()
    named: tuple[NamedApplicant, ...] = ()


# -- queries --------------------------------------------------------------------------------------------------

_FAMILY_APPLICANTS = (
    "fa",
    "SELECT DISTINCT p.fam, a.name FROM pubs p JOIN app a ON a.publication_number = p.publication_number",
)
_FAMILY_SIZES = ("fk", "SELECT fam, count(*) AS k FROM fa GROUP BY fam")


def _holdings(engine: Engine, table: str, basis: Basis) -> list[tuple[str, int | None, int, int]]:
    """Rows ``(name, year, k, families)``: the applicant's families first filed in ``year`` that name ``k``
    applicants in all."""
    rows = engine.rows(
        with_set(
            table,
            _FAMILY_APPLICANTS,
            _FAMILY_SIZES,
            ("fy", f"SELECT fam, min({YEAR_COLUMN[basis]}) AS yr FROM pubs GROUP BY fam"),
        )
        + """
        SELECT fa.name, fy.yr, fk.k, count(*) AS families
        FROM fa JOIN fk ON fk.fam = fa.fam JOIN fy ON fy.fam = fa.fam
        GROUP BY fa.name, fy.yr, fk.k"""
    )
    return [(str(n), None if y is None else int(y), int(k), int(f)) for n, y, k, f in rows]


def _documents_and_kinds(engine: Engine, table: str) -> dict[str, tuple[int, str]]:
    """Per applicant: its documents and its most frequent kind (``unknown`` only when no other is known)."""
    rows = engine.rows(
        with_set(
            table,
            ("d", "SELECT name, count(DISTINCT publication_number) AS documents FROM app GROUP BY name"),
            ("k", "SELECT name, kind, count(*) AS n FROM app GROUP BY name, kind"),
        )
        + " SELECT k.name, k.kind, k.n, d.documents FROM k JOIN d ON d.name = k.name"
    )
    documents: dict[str, int] = {}
    kinds: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for name, kind, n, docs in rows:
        documents[name] = int(docs)
        if kind != "unknown":
            kinds[name].append((-int(n), str(kind)))
    # the kind recorded most often wins, ties to the first alphabetically; unknown only when nothing else is known
    return {name: (docs, min(kinds[name])[1] if kinds[name] else "unknown") for name, docs in documents.items()}


def _totals(engine: Engine, table: str) -> tuple[int, int]:
    ((documents, families),) = engine.rows(with_set(table) + " SELECT count(*), count(DISTINCT fam) FROM pubs")
    return int(documents), int(families)


def co_applicants(
    engine: Engine, patent_set: PatentSet | None = None, *, min_documents: int = 1
) -> tuple[CoApplicantEdge, ...]:
    """Pairs of distinct applicants named on the same publication, with at least ``min_documents`` together."""
    table = register_patent_set(engine, patent_set)
    rows = engine.rows(
        with_set(
            table,
            (
                "pa",
                "SELECT DISTINCT a.publication_number, p.fam, a.name"
                " FROM app a JOIN pubs p ON p.publication_number = a.publication_number",
            ),
        )
        + """
        SELECT x.name AS source, y.name AS target,
               count(DISTINCT x.publication_number) AS documents, count(DISTINCT x.fam) AS families
        FROM pa x JOIN pa y ON y.publication_number = x.publication_number AND x.name < y.name
        GROUP BY x.name, y.name
        HAVING count(DISTINCT x.publication_number) >= :min_documents""",
        {"min_documents": int(min_documents)},
    )
    edges = [CoApplicantEdge(str(s), str(t), int(d), int(f)) for s, t, d, f in rows]
    edges.sort(key=lambda e: (-e.documents, -e.families, e.source, e.target))
    return tuple(edges)


# -- the analysis ---------------------------------------------------------------------------------------------


def period_of(year: int, period_years: int) -> tuple[int, int]:
    """The calendar period a year falls in: periods start at multiples of ``period_years`` (2010–2014, …)."""
    start = year - year % period_years
    return start, start + period_years - 1


def players(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    top: int = 20,
    as_of: dt.date | None = None,
    basis: Basis = "priority",
    window: int = 5,
    period_years: int = 5,
    publication_delay_months: int = PUBLICATION_DELAY_MONTHS,
    rise: float = 0.10,
    fall: float = 0.10,
    min_co_documents: int = 1,
    named: Sequence[str] = (),
) -> Players:
    """The applicants of ``patent_set`` (default: the whole corpus); see the module docstring for the rules.

    ``as_of`` is the data's cut-off date (default: the latest publication date in the set); ``window`` the
    length of the recent and previous windows in years; ``period_years`` the length of the concentration
    periods; ``rise``/``fall`` the thresholds of an applicant's ``trend``; ``min_co_documents`` the least
    documents a co-applicant pair must share to be an edge. ``named``: harmonised applicant names whose figures
    and families per year are wanted whatever their rank (:attr:`Players.named`), e.g. an enterprise's competitors.
    """
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}; choose one of {', '.join(BASES)}")
    if top < 0 or window < 1 or period_years < 1:
        raise ValueError("top must be ≥ 0, window and period_years ≥ 1")
    table = register_patent_set(engine, patent_set)
    as_of = as_of or default_as_of(engine, patent_set)
    complete = last_complete_year(basis, as_of, publication_delay_months)
    recent_window = (complete - window + 1, complete)
    previous_window = (complete - 2 * window + 1, complete - window)

    documents, families = _totals(engine, table)
    per_name = _documents_and_kinds(engine, table)
    fractional: dict[str, Fraction] = defaultdict(Fraction)
    whole: dict[str, int] = defaultdict(int)
    years: dict[str, list[int]] = defaultdict(list)
    recent: dict[str, int] = defaultdict(int)
    previous: dict[str, int] = defaultdict(int)
    by_period: dict[tuple[int, int], dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    wanted = list(dict.fromkeys(named))
    per_year: dict[str, dict[int, int]] = {name: defaultdict(int) for name in wanted}
    for name, year, k, n in _holdings(engine, table, basis):
        share = Fraction(n, k)
        fractional[name] += share
        whole[name] += n
        if year is None:
            continue
        years[name].append(year)
        if name in per_year:
            per_year[name][year] += n
        if recent_window[0] <= year <= recent_window[1]:
            recent[name] += n
        elif previous_window[0] <= year <= previous_window[1]:
            previous[name] += n
        by_period[period_of(year, period_years)][name] += share

    market = sum(fractional.values(), Fraction(0))  # = families naming an applicant (Σ k · 1/k per family)
    applicants = []
    for name, held in whole.items():
        docs, kind = per_name.get(name, (0, "unknown"))
        applicants.append(
            Applicant(
                name=name,
                kind=kind,
                documents=docs,
                families=held,
                family_share=held / families if families else 0.0,
                fractional_families=float(fractional[name]),
                market_share=float(fractional[name] / market) if market else 0.0,
                first_year=min(years[name]) if years[name] else None,
                last_year=max(years[name]) if years[name] else None,
                recent=recent[name],
                previous=previous[name],
                trend=direction(previous[name], recent[name], rise, fall),
            )
        )
    applicants.sort(key=lambda a: (-a.families, -a.documents, a.name))
    entrants = [a for a in applicants if a.first_year is not None and a.first_year >= recent_window[0]]
    co_edges = co_applicants(engine, patent_set, min_documents=min_co_documents)
    by_name = {a.name: a for a in applicants}
    in_network = {n for e in co_edges for n in (e.source, e.target)}
    return Players(
        basis=basis,
        as_of=as_of,
        documents=documents,
        families=families,
        families_with_applicant=int(market),
        applicants=len(applicants),
        recent_window=recent_window,
        previous_window=previous_window,
        top=tuple(applicants[:top]),
        new_entrants=tuple(entrants[:top]),
        new_entrant_count=len(entrants),
        concentration=concentration(fractional.values()),
        by_period=tuple(
            PeriodConcentration(first, last, last > complete, concentration(held.values()))
            for (first, last), held in sorted(by_period.items())
        ),
        co_applicants=co_edges,
        co_applicant_nodes=tuple(a for a in applicants if a.name in in_network),
        named=tuple(
            NamedApplicant(by_name[name], tuple(sorted(per_year[name].items()))) for name in wanted if name in by_name
        ),
    )

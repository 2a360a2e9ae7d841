"""Inventors and teams (GB/T 39551 part 6, talent navigation): key inventors, R&D teams, mobility.

``talent(engine, patent_set)`` answers "who invents in this field, in which teams, for whom, and who moved?":

* Key inventors: per inventor, the documents and families naming them, first and last year, the applicants of
  those families, their share of the set's families and, when an indicators run table is given, the mean of a
  per-publication indicator (forward citations by default) over their documents.
* Teams: the co-inventor network (an edge between two inventors named on one family, weighted by the families
  they share) split into communities by Louvain modularity optimisation (Blondel et al. 2008; networkx, with a
  fixed seed, on nodes and edges added in sorted order, so the split is the same on every run and engine).
  Each community of at least ``min_team_size`` inventors is a team: its members, families (naming any member),
  main applicant (the applicant of most of those families) and active years.
* Mobility: inventors whose families are filed by different applicants over time. Per inventor, the years with
  a family are taken in order, each with the set of applicants of that year's families; a *move* from A to B in
  year y is recorded when A was an applicant in the inventor's previous active year and is not in year y, and
  B is an applicant in year y and was not in the previous active year. A co-applicant joining or leaving is
  therefore no move; alternating between two applicants is reported as moves both ways, as the data shows.

Caveat on names: an inventor is a *name*, the harmonised name the store keeps (upper case, punctuation and
spacing folded, spelling variants grouped where the alias table says so). Names are **not disambiguated**
beyond that: two people with one name ("WANG WEI") count as one inventor, whose team and moves then mix two
careers, and one person written two ways ("BRETT VANSTEENWYK", "VANSTEENWYK BRETT") counts as two. Read teams
and moves of common names with care.

Conventions (as in :mod:`patnav.analysis.players`): families are ``coalesce(family_id, publication_number)``; a
family's inventors and applicants are those named on any of its members in the set (applicants: harmonised
names of role ``applicant``, else the assignees); a family's year is its first year on ``basis`` (priority year
by default) over its members in the set; counts are exact integers from the engine.

Applicants here are *organisations*: applicants whose kind of party is ``individual`` are left out unless
``include_individuals``. US applications before the AIA (and exports built from them) name the inventors
themselves as applicants; counting them would make every co-inventor an "employer" and every change of
co-inventors a "move". A family filed by individuals only has no applicant here (an independent inventor).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from itertools import pairwise

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc

from patnav.analysis._sql import YEAR_COLUMN, with_set
from patnav.analysis._tables import register_keys, register_table
from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.analysis.trends import BASES, Basis
from patnav.engine.base import Engine

#: the indicator :func:`key_inventors` averages by default (OECD forward citations within 5 years)
DEFAULT_VALUE_COLUMN = "fwd_cits5"


@dataclass(frozen=True, slots=True)
class Inventor:
    """One inventor (a harmonised name; see the module's caveat on names).

    ``documents``/``families`` naming them; ``family_share``: their families over all families of the set;
    ``first_year``/``last_year`` of their families (``None`` when none is dated); ``applicants``: the
    applicants of their families, most families first (then by name); ``co_inventors``: distinct names they
    share a family with; ``valued_documents``: their documents with a value in the indicators table and
    ``mean_value`` the mean of those values (both ``None`` when no table was given; the mean is ``None`` when no
    document has a value).
    """

    name: str
    documents: int
    families: int
    family_share: float
    first_year: int | None
    last_year: int | None
    applicants: tuple[str, ...]
    co_inventors: int
    valued_documents: int | None
    mean_value: float | None


@dataclass(frozen=True, slots=True)
class CoInventorEdge:
    """Two inventors named together: ``source`` < ``target`` (code-point order), sharing ``families``."""

    source: str
    target: str
    families: int


@dataclass(frozen=True, slots=True)
class CoInventor:
    """An inventor of the co-inventor network (named with at least one other inventor on a family) and the
    ``families`` of the set naming them."""

    name: str
    families: int


@dataclass(frozen=True, slots=True)
class Team:
    """A community of the co-inventor network.

    ``rank``: 1 for the team with most families (then most members, then first member's name); ``members`` by
    their families in the set (descending), then name; ``families`` naming any member; ``main_applicant`` the
    applicant of most of those families (ties to the first name; ``None`` when none names an applicant) and
    ``main_applicant_families`` how many; ``first_year``/``last_year`` of the team's families;
    ``internal_weight``: families shared summed over the edges inside the team.
    """

    rank: int
    members: tuple[str, ...]
    size: int
    families: int
    main_applicant: str | None
    main_applicant_families: int
    first_year: int | None
    last_year: int | None
    internal_weight: int


@dataclass(frozen=True, slots=True)
class Move:
    """``inventor`` moved from applicant ``from_applicant`` (last seen in ``from_year``) to ``to_applicant``
    (first seen after it in ``year``)."""

    inventor: str
    from_applicant: str
    to_applicant: str
    from_year: int
    year: int


@dataclass(frozen=True, slots=True)
class MobileInventor:
    """An inventor with at least one move: ``history`` lists each active year with the applicants of that year's
    families (sorted), oldest first; ``moves`` in year order."""

    inventor: str
    history: tuple[tuple[int, tuple[str, ...]], ...]
    moves: tuple[Move, ...]


@dataclass(frozen=True, slots=True)
class Teams:
    """The co-inventor network of a set and its teams.

    ``edges``: pairs sharing at least ``min_shared_families`` families (families descending, then names);
    ``inventors_in_network``: names with at least one such edge; ``modularity`` of the partition found (0.0 for
    an empty network); ``teams``: the largest ``top`` teams of at least ``min_size`` members, ``team_count`` in all;
    ``inventors``: the inventors of the network with their families (the nodes of the network: families
    descending, then name).
    """

    edges: tuple[CoInventorEdge, ...]
    inventors_in_network: int
    modularity: float
    teams: tuple[Team, ...]
    team_count: int
    inventors: tuple[CoInventor, ...] = ()


@dataclass(frozen=True, slots=True)
class Talent:
    """The inventors of a set.

    ``documents``/``families`` of the set; ``families_with_inventor`` name at least one inventor; ``inventors``
    counts distinct names; ``top``: the ``top`` inventors by families (then documents, then name);
    ``value_column``: the indicator averaged in ``Inventor.mean_value`` (``None`` without a table); ``teams``;
    ``mobile``: inventors with moves, most moves first (then by name).
    """

    basis: Basis
    documents: int
    families: int
    families_with_inventor: int
    inventors: int
    top: tuple[Inventor, ...]
    value_column: str | None
    teams: Teams
    mobile: tuple[MobileInventor, ...]

    @property
    def moves(self) -> tuple[Move, ...]:
        """Every move of every mobile inventor, by year, then inventor."""
        return tuple(sorted((m for i in self.mobile for m in i.moves), key=lambda m: (m.year, m.inventor)))


# -- SQL ----------------------------------------------------------------------------------------------------------

#: (publication, family, inventor) of the set: the harmonised name, else the name as written
_INVENTORS = (
    "inv",
    """SELECT DISTINCT i.publication_number, p.fam, i.name
    FROM (SELECT publication_number, coalesce(nullif(trim(name_harmonized), ''), nullif(trim(name), '')) AS name
          FROM parties
          WHERE role = 'inventor' AND publication_number IN (SELECT publication_number FROM pubs)) i
    JOIN pubs p ON p.publication_number = i.publication_number
    WHERE i.name IS NOT NULL""",
)
_FAMILY_INVENTORS = ("fi", "SELECT DISTINCT fam, name FROM inv")


def _family_applicants(include_individuals: bool) -> tuple[str, str]:
    """``fa(fam, name)``: the applicants of each family; organisations only unless ``include_individuals``."""
    where = "" if include_individuals else " WHERE a.kind <> 'individual'"
    return (
        "fa",
        "SELECT DISTINCT p.fam, a.name FROM pubs p JOIN app a ON a.publication_number = p.publication_number" + where,
    )


def _family_years(basis: Basis) -> tuple[str, str]:
    return ("fy", f"SELECT fam, min({YEAR_COLUMN[basis]}) AS yr FROM pubs GROUP BY fam")


def _check_basis(basis: Basis) -> None:
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}; choose one of {', '.join(BASES)}")


def _totals(engine: Engine, table: str) -> tuple[int, int, int, int]:
    ((documents, families, with_inventor, inventors),) = engine.rows(
        with_set(table, _INVENTORS)
        + """
        SELECT (SELECT count(*) FROM pubs), (SELECT count(DISTINCT fam) FROM pubs),
               (SELECT count(DISTINCT fam) FROM inv), (SELECT count(DISTINCT name) FROM inv)"""
    )
    return int(documents), int(families), int(with_inventor), int(inventors)


def _value_table(indicators: pa.Table, column: str) -> pa.Table:
    """``(publication_number, value)`` rows of ``indicators`` that have a value (NaN counts as none)."""
    names = set(indicators.column_names)
    if "publication_number" not in names or column not in names:
        raise ValueError(f"the indicators table needs the columns publication_number and {column}")
    values = indicators.column(column)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        raise ValueError(f"indicator column {column} is not numeric")
    keep = pc.is_valid(values)
    if pa.types.is_floating(values.type):
        keep = pc.and_(keep, pc.invert(pc.is_nan(values)))
    kept = indicators.filter(keep)
    value_type = pa.int64() if pa.types.is_integer(values.type) else pa.float64()
    return pa.table(
        {
            "publication_number": kept.column("publication_number").cast(pa.string()),
            "value": kept.column(column).cast(value_type),
        }
    )


def key_inventors(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    top: int = 20,
    basis: Basis = "priority",
    indicators: pa.Table | None = None,
    value_column: str = DEFAULT_VALUE_COLUMN,
    include_individuals: bool = False,
) -> tuple[Inventor, ...]:
    """The ``top`` inventors of ``patent_set`` (default: the whole corpus) by families, then documents, then name.

    ``indicators`` is an indicators run table (one row per publication: ``publication_number`` and
    ``value_column``, e.g. :attr:`patnav.indicators.compute.IndicatorRun.table`); when given, each inventor gets
    the mean of ``value_column`` over their documents that have a value. ``include_individuals`` counts
    applicants of kind ``individual`` too (see the module docstring).
    """
    _check_basis(basis)
    if top < 0:
        raise ValueError("top must be ≥ 0")
    table = register_patent_set(engine, patent_set)
    totals, rows = _ranked(engine, table, top, basis)
    return _key_inventors(engine, table, totals[1], rows, indicators, value_column, include_individuals)


def _ranked(
    engine: Engine, table: str, top: int, basis: Basis
) -> tuple[tuple[int, int, int, int], list[tuple[str, int, int, int | None, int | None]]]:
    """The set's totals ``(documents, families, families with an inventor, inventors)`` and the ``top``
    inventors as rows ``(name, documents, families, first year, last year)``, best first (one round trip when
    there is an inventor: the totals ride along on every row)."""
    rows = engine.rows(
        with_set(
            table,
            _INVENTORS,
            _family_years(basis),
            (
                "s",
                """SELECT i.name, count(DISTINCT i.publication_number) AS documents, count(DISTINCT i.fam) AS families,
                          min(fy.yr) AS first_year, max(fy.yr) AS last_year
                   FROM inv i JOIN fy ON fy.fam = i.fam GROUP BY i.name""",
            ),
            (
                "r",
                "SELECT s.*, row_number() OVER (ORDER BY families DESC, documents DESC, name) AS rn FROM s",
            ),
        )
        + """
        SELECT name, documents, families, first_year, last_year,
               (SELECT count(*) FROM pubs) AS t_documents,
               (SELECT count(DISTINCT fam) FROM pubs) AS t_families,
               (SELECT count(DISTINCT fam) FROM inv) AS t_with_inventor,
               (SELECT count(DISTINCT name) FROM inv) AS t_inventors
        FROM r WHERE rn <= :top ORDER BY rn""",
        {"top": int(top)},
    )
    if not rows:
        return _totals(engine, table), []
    totals = tuple(int(x) for x in rows[0][5:9])
    ranked = [
        (str(n), int(d), int(f), None if y0 is None else int(y0), None if y1 is None else int(y1))
        for n, d, f, y0, y1, *_ in rows
    ]
    return (totals[0], totals[1], totals[2], totals[3]), ranked


def _key_inventors(
    engine: Engine,
    table: str,
    families_total: int,
    rows: list[tuple[str, int, int, int | None, int | None]],
    indicators: pa.Table | None,
    value_column: str,
    include_individuals: bool,
) -> tuple[Inventor, ...]:
    """The :class:`Inventor` of each ranked row: applicants, co-inventors and indicator means in one round trip
    (rows of their own, told apart by the ``what`` column)."""
    values = _value_table(indicators, value_column) if indicators is not None else None
    if not rows:
        return ()
    names = register_keys(engine, "talent_names", [r[0] for r in rows], column="name")
    value_rows = ""
    if values is not None:
        vt = register_table(engine, "talent_values", values)
        value_rows = f"""
        UNION ALL
        SELECT 'value' AS what, i.name, CAST(NULL AS STRING), count(*), CAST(sum(v.value) AS DOUBLE)
        FROM (SELECT DISTINCT name, publication_number FROM inv WHERE name IN (SELECT name FROM {names})) i
        JOIN {vt} v ON v.publication_number = i.publication_number
        GROUP BY i.name"""
    applicants: dict[str, list[tuple[int, str]]] = defaultdict(list)
    co: dict[str, int] = {}
    valued: dict[str, tuple[float, int]] = {}
    for what, name, other, n, total in engine.rows(
        with_set(table, _INVENTORS, _FAMILY_INVENTORS, _family_applicants(include_individuals))
        + f"""
        SELECT 'applicant' AS what, i.name, fa.name AS other, count(*) AS n, CAST(NULL AS DOUBLE) AS total
        FROM fi i JOIN fa ON fa.fam = i.fam
        WHERE i.name IN (SELECT name FROM {names})
        GROUP BY i.name, fa.name
        UNION ALL
        SELECT 'co' AS what, x.name, CAST(NULL AS STRING), count(DISTINCT y.name), CAST(NULL AS DOUBLE)
        FROM fi x JOIN fi y ON y.fam = x.fam AND y.name <> x.name
        WHERE x.name IN (SELECT name FROM {names})
        GROUP BY x.name"""
        + value_rows
    ):
        if what == "applicant":
            applicants[str(name)].append((-int(n), str(other)))
        elif what == "co":
            co[str(name)] = int(n)
        else:
            valued[str(name)] = (float(total), int(n))
    result = []
    for name, documents, families, first, last in rows:
        total, n = valued.get(name, (0.0, 0))
        result.append(
            Inventor(
                name=name,
                documents=documents,
                families=families,
                family_share=families / families_total if families_total else 0.0,
                first_year=first,
                last_year=last,
                applicants=tuple(a for _, a in sorted(applicants[name])),
                co_inventors=co.get(name, 0),
                valued_documents=None if values is None else n,
                mean_value=None if values is None or n == 0 else total / n,
            )
        )
    return tuple(result)


def co_inventor_edges(
    engine: Engine, patent_set: PatentSet | None = None, *, min_shared_families: int = 1
) -> tuple[CoInventorEdge, ...]:
    """Pairs of inventors named on the same family, sharing at least ``min_shared_families`` families."""
    table = register_patent_set(engine, patent_set)
    rows = engine.rows(
        with_set(table, _INVENTORS, _FAMILY_INVENTORS)
        + """
        SELECT x.name AS source, y.name AS target, count(*) AS families
        FROM fi x JOIN fi y ON y.fam = x.fam AND x.name < y.name
        GROUP BY x.name, y.name
        HAVING count(*) >= :min_families""",
        {"min_families": int(min_shared_families)},
    )
    edges = [CoInventorEdge(str(s), str(t), int(f)) for s, t, f in rows]
    edges.sort(key=lambda e: (-e.families, e.source, e.target))
    return tuple(edges)


def _network_inventors(engine: Engine, table: str, names: list[str]) -> tuple[CoInventor, ...]:
    """The families of the set naming each of ``names`` (inventors), families descending, then name."""
    if not names:
        return ()
    keys = register_keys(engine, "talent_network", names, column="name")
    rows = engine.rows(
        with_set(table, _INVENTORS, _FAMILY_INVENTORS)
        + f" SELECT name, count(*) AS families FROM fi WHERE name IN (SELECT name FROM {keys}) GROUP BY name"
    )
    found = [CoInventor(str(n), int(f)) for n, f in rows]
    found.sort(key=lambda i: (-i.families, i.name))
    return tuple(found)


def teams(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    top: int = 20,
    basis: Basis = "priority",
    min_shared_families: int = 1,
    min_size: int = 2,
    resolution: float = 1.0,
    seed: int = 0,
    include_individuals: bool = False,
) -> Teams:
    """The co-inventor network of ``patent_set`` and its teams (Louvain communities; see the module docstring).

    ``min_shared_families``: the least families two inventors must share to be linked; ``min_size``: the least
    members a community needs to count as a team; ``resolution``: Louvain's resolution (above 1 favours smaller
    communities); ``seed``: the random seed Louvain uses (fixed, so the result is reproducible).
    """
    _check_basis(basis)
    if top < 0 or min_size < 1 or min_shared_families < 1:
        raise ValueError("top must be ≥ 0, min_size and min_shared_families ≥ 1")
    table = register_patent_set(engine, patent_set)
    edges = co_inventor_edges(engine, patent_set, min_shared_families=min_shared_families)
    g = nx.Graph()
    ordered = sorted(edges, key=lambda e: (e.source, e.target))
    g.add_nodes_from(sorted({n for e in edges for n in (e.source, e.target)}))
    g.add_weighted_edges_from((e.source, e.target, e.families) for e in ordered)
    inventors = _network_inventors(engine, table, list(g.nodes))
    if g.number_of_edges() == 0:
        return Teams(edges, g.number_of_nodes(), 0.0, (), 0, inventors)
    communities = nx.community.louvain_communities(g, weight="weight", resolution=resolution, seed=seed)
    modularity = float(nx.community.modularity(g, communities, weight="weight", resolution=resolution))
    groups = [sorted(c) for c in communities if len(c) >= min_size]
    groups.sort(key=lambda c: c[0])
    if not groups:
        return Teams(edges, g.number_of_nodes(), modularity, (), 0, inventors)
    membership = pa.table(
        {
            "name": pa.array([n for c in groups for n in c], pa.string()),
            "team": pa.array([i for i, c in enumerate(groups) for _ in c], pa.int64()),
        }
    )
    tm = register_table(engine, "talent_teams", membership)
    sql = with_set(
        table,
        _INVENTORS,
        _FAMILY_INVENTORS,
        _family_applicants(include_individuals),
        _family_years(basis),
        ("tf", f"SELECT DISTINCT t.team, i.fam, i.name FROM {tm} t JOIN fi i ON i.name = t.name"),
        ("tfam", "SELECT DISTINCT team, fam FROM tf"),
    )
    # one round trip: team totals, member families and applicant families, told apart by ``what``
    rows = engine.rows(
        sql
        + """
        SELECT 'team' AS what, t.team, CAST(NULL AS STRING) AS name, count(*) AS families,
               min(fy.yr) AS first_year, max(fy.yr) AS last_year
        FROM tfam t JOIN fy ON fy.fam = t.fam GROUP BY t.team
        UNION ALL
        SELECT 'member' AS what, team, name, count(DISTINCT fam), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
        FROM tf GROUP BY team, name
        UNION ALL
        SELECT 'applicant' AS what, t.team, fa.name, count(*), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
        FROM tfam t JOIN fa ON fa.fam = t.fam GROUP BY t.team, fa.name"""
    )
    totals: dict[int, tuple[int, int | None, int | None]] = {}
    member_families: dict[int, list[tuple[int, str]]] = defaultdict(list)
    applicant_families: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for what, team, name, n, first, last in rows:
        if what == "team":
            totals[int(team)] = (int(n), None if first is None else int(first), None if last is None else int(last))
        elif what == "member":
            member_families[int(team)].append((-int(n), str(name)))
        else:
            applicant_families[int(team)].append((-int(n), str(name)))
    built = []
    for i, members in enumerate(groups):
        families, first, last = totals.get(i, (0, None, None))
        main = min(applicant_families[i]) if applicant_families[i] else None
        built.append(
            Team(
                rank=0,
                members=tuple(n for _, n in sorted(member_families[i])),
                size=len(members),
                families=families,
                main_applicant=main[1] if main else None,
                main_applicant_families=-main[0] if main else 0,
                first_year=first,
                last_year=last,
                internal_weight=int(g.subgraph(members).size(weight="weight")),
            )
        )
    built.sort(key=lambda t: (-t.families, -t.size, t.members[0] if t.members else ""))
    ranked = tuple(replace(t, rank=i + 1) for i, t in enumerate(built))
    return Teams(edges, g.number_of_nodes(), modularity, ranked[:top], len(ranked), inventors)


def moves_of(inventor: str, history: list[tuple[int, set[str]]]) -> list[Move]:
    """The moves in one inventor's ``history`` (active years with their applicants; see the module docstring)."""
    ordered = sorted(history)
    found = []
    for (before, old), (year, new) in pairwise(ordered):
        for a in sorted(old - new):
            for b in sorted(new - old):
                found.append(Move(inventor, a, b, before, year))
    return found


def mobility(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    basis: Basis = "priority",
    top: int | None = None,
    include_individuals: bool = False,
) -> tuple[MobileInventor, ...]:
    """Inventors of ``patent_set`` who moved between applicants (see the module docstring), most moves first
    (then by name); at most ``top`` of them when given. Families without a year on ``basis`` are left out."""
    _check_basis(basis)
    table = register_patent_set(engine, patent_set)
    rows = engine.rows(
        with_set(
            table,
            _INVENTORS,
            _FAMILY_INVENTORS,
            _family_applicants(include_individuals),
            _family_years(basis),
            (
                "ia",
                """SELECT DISTINCT i.name, fy.yr, fa.name AS applicant
                FROM fi i JOIN fy ON fy.fam = i.fam JOIN fa ON fa.fam = i.fam
                WHERE fy.yr IS NOT NULL""",
            ),
            (
                "mv",
                "SELECT name FROM ia GROUP BY name HAVING count(DISTINCT applicant) >= 2 AND count(DISTINCT yr) >= 2",
            ),
        )
        + " SELECT name, yr, applicant FROM ia WHERE name IN (SELECT name FROM mv)"
    )
    years: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for name, year, applicant in rows:
        years[str(name)][int(year)].add(str(applicant))
    mobile = []
    for name, by_year in years.items():
        history = sorted(by_year.items())
        found = moves_of(name, history)
        if found:
            mobile.append(MobileInventor(name, tuple((y, tuple(sorted(a))) for y, a in history), tuple(found)))
    mobile.sort(key=lambda m: (-len(m.moves), m.inventor))
    return tuple(mobile if top is None else mobile[:top])


def talent(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    top: int = 20,
    top_teams: int = 20,
    top_mobile: int | None = 50,
    basis: Basis = "priority",
    indicators: pa.Table | None = None,
    value_column: str = DEFAULT_VALUE_COLUMN,
    min_shared_families: int = 1,
    min_team_size: int = 2,
    resolution: float = 1.0,
    seed: int = 0,
    include_individuals: bool = False,
) -> Talent:
    """Key inventors, teams and mobility of ``patent_set`` (default: the whole corpus) in one result; the
    parameters are those of :func:`key_inventors`, :func:`teams` and :func:`mobility`."""
    _check_basis(basis)
    if top < 0:
        raise ValueError("top must be ≥ 0")
    table = register_patent_set(engine, patent_set)
    (documents, families, with_inventor, inventors), ranked = _ranked(engine, table, top, basis)
    return Talent(
        basis=basis,
        documents=documents,
        families=families,
        families_with_inventor=with_inventor,
        inventors=inventors,
        top=_key_inventors(engine, table, families, ranked, indicators, value_column, include_individuals),
        value_column=value_column if indicators is not None else None,
        teams=teams(
            engine,
            patent_set,
            top=top_teams,
            basis=basis,
            min_shared_families=min_shared_families,
            min_size=min_team_size,
            resolution=resolution,
            seed=seed,
            include_individuals=include_individuals,
        ),
        mobile=mobility(engine, patent_set, basis=basis, top=top_mobile, include_individuals=include_individuals),
    )

"""What a set is about, by classification (GB/T 39551: "patent landscape: technology composition").

``technology(engine, patent_set, as_of=…)`` answers "which technologies does this set cover, which of them are
growing, and which go together?":

* IPC distribution at two levels, subclass (``G06N``) and main group (``G06N 3/00``), in documents and
  families, each code with its recent and previous window and the :func:`~patnav.analysis.trends.direction`
  between them; the same for CPC where the data has CPC (many offices' records carry only IPC);
* WIPO's 35 technology fields and their 5 sectors (Schmoch 2008), either computed here from a concordance
  passed in (:func:`patnav.indicators.reference.load_wipo_fields`) or taken from an indicators run's
  ``tech_field`` column (:func:`patnav.indicators.results.load_run`); both give a publication the field of its
  main IPC symbol (flagged main, else first listed; CPC stands in when a publication has no IPC; the longest
  concordance prefix wins), so the two sources agree;
* IPC co-occurrence: pairs of codes (subclasses by default) given to the same document, with the documents and
  families they share and the cosine (Salton) index of their families.

Conventions (those of :mod:`patnav.analysis.players`):

* Counting is whole: a document counts once for each distinct code among its symbols (a document classified in
  ``G06N 3/04`` and ``G06N 3/08`` counts once for ``G06N 3/00``), a family once for each code any of its
  members in the set has. So code counts add up to more than the set. Shares are of the documents and families
  that have a code in the scheme at all (``Distribution.documents``/``families``).
* A family's year is its first year on ``basis`` (priority year by default) over its members in the set; the
  recent window is the last ``window`` complete years (see :func:`patnav.analysis.trends.last_complete_year`),
  the previous window the ``window`` years before.
* A field counts a document under its main field only (so field counts add up to the classified documents),
  a family under each field any member's main field is.

Every count comes from the engine; shares and the cosine index are computed here from the exact integers, so
DuckDB and Spark give the same result to the last bit.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc

from patnav.analysis._sql import YEAR_COLUMN, with_set
from patnav.analysis._tables import register_table
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
from patnav.indicators.compute import IndicatorRun
from patnav.indicators.reference import ReferenceTable
from patnav.indicators.results import StoredRun

Scheme = Literal["IPC", "CPC"]
Level = Literal["subclass", "main_group"]
LEVELS: tuple[Level, ...] = get_args(Level)
FieldsSource = Literal["reference", "indicators", "none"]

#: WIPO's five sectors by field number (Schmoch 2008, as in WIPO's IPC–technology concordance): fields 1–8
#: electrical engineering, 9–13 instruments, 14–24 chemistry, 25–32 mechanical engineering, 33–35 other fields.
#: Used when no concordance labels are at hand (an indicators run saved without them).
WIPO_SECTORS: dict[int, str] = {
    **dict.fromkeys(range(1, 9), "electrical_engineering"),
    **dict.fromkeys(range(9, 14), "instruments"),
    **dict.fromkeys(range(14, 25), "chemistry"),
    **dict.fromkeys(range(25, 33), "mechanical_engineering"),
    **dict.fromkeys(range(33, 36), "other_fields"),
}


def sector_code(label: str) -> str:
    """A sector's English name as a code: ``"Electrical engineering"`` → ``"electrical_engineering"``."""
    return "_".join(label.lower().replace("-", " ").split())


@dataclass(frozen=True, slots=True)
class CodeCount:
    """One classification code of the set.

    ``documents`` and ``families`` with the code; ``document_share``/``family_share`` of those with any code in
    the scheme; ``recent``/``previous``: its families first filed in the recent and previous window, and
    ``trend`` the direction between them.
    """

    code: str
    documents: int
    families: int
    document_share: float
    family_share: float
    recent: int
    previous: int
    trend: Direction


@dataclass(frozen=True, slots=True)
class Distribution:
    """The codes of one ``scheme`` at one ``level``.

    ``documents``/``families`` of the set that have any code of the scheme (the base of the shares);
    ``codes``: distinct codes in all; ``top``: the ``top`` codes with most families (then documents, then code).
    """

    scheme: Scheme
    level: Level
    documents: int
    families: int
    codes: int
    top: tuple[CodeCount, ...]


@dataclass(frozen=True, slots=True)
class FieldCount:
    """One WIPO technology field (``field`` 1–35) of the set, in its ``sector``: documents whose main field it
    is, families with such a member, shares of the documents and families with a field, window counts, trend."""

    field: int
    sector: str
    documents: int
    families: int
    document_share: float
    family_share: float
    recent: int
    previous: int
    trend: Direction


@dataclass(frozen=True, slots=True)
class SectorCount:
    """One WIPO sector (``electrical_engineering``, ``instruments``, ``chemistry``, ``mechanical_engineering``,
    ``other_fields``), counted like :class:`FieldCount` (a document in the sector of its main field)."""

    sector: str
    documents: int
    families: int
    document_share: float
    family_share: float
    recent: int
    previous: int
    trend: Direction


@dataclass(frozen=True, slots=True)
class CodePair:
    """Two codes given to the same document: ``source`` < ``target`` (code-point order), the ``documents``
    carrying both, the ``families`` of those documents, and ``cosine`` = families / √(families of source ×
    families of target) (Salton's index: 1 when the two always go together, near 0 when rarely)."""

    source: str
    target: str
    documents: int
    families: int
    cosine: float


@dataclass(frozen=True, slots=True)
class Technology:
    """The technology composition of a set.

    ``documents``/``families`` of the set; ``unclassified_documents``: those with neither IPC nor CPC.
    ``ipc``/``cpc`` hold one :class:`Distribution` per level (subclass, main group), in :data:`LEVELS` order.
    ``fields``/``sectors`` are every field and sector present, most families first; ``fields_source`` says
    where the fields came from (``none``: no concordance and no run was given, so both are empty);
    ``field_documents``/``field_families`` have a field (the base of the field and sector shares).
    ``co_occurrence`` are the pairs of ``co_occurrence_level`` codes with at least ``min_pair_documents``
    documents, most families first (at most ``top_pairs``).
    """

    basis: Basis
    as_of: dt.date
    recent_window: tuple[int, int]
    previous_window: tuple[int, int]
    documents: int
    families: int
    unclassified_documents: int
    ipc: tuple[Distribution, ...]
    cpc: tuple[Distribution, ...]
    fields_source: FieldsSource
    field_documents: int
    field_families: int
    fields: tuple[FieldCount, ...]
    sectors: tuple[SectorCount, ...]
    co_occurrence_level: Level
    co_occurrence: tuple[CodePair, ...]

    def distribution(self, scheme: Scheme, level: Level) -> Distribution:
        """The distribution of ``scheme`` (``IPC``/``CPC``) at ``level``."""
        for d in self.ipc if scheme == "IPC" else self.cpc:
            if d.level == level:
                return d
        raise KeyError((scheme, level))


# -- registered helper tables ---------------------------------------------------------------------------------


# -- queries --------------------------------------------------------------------------------------------------

#: IPC and CPC symbols of the set's publications in compact form (``G06N3/08``)
_SYMBOLS = (
    "sym",
    """SELECT publication_number, upper(trim(scheme)) AS scheme, upper(replace(trim(symbol), ' ', '')) AS s,
              coalesce(is_main, false) AS is_main, coalesce(sequence, 0) AS seq
       FROM classifications
       WHERE upper(trim(scheme)) IN ('IPC', 'CPC') AND nullif(trim(symbol), '') IS NOT NULL
         AND publication_number IN (SELECT publication_number FROM pubs)""",
)

#: one row per (publication, scheme, level, code): subclass ``G06N``, main group ``G06N 3/00``, and level
#: ``any`` (code ``*``) for a publication with any code of the scheme (the base of the shares), and of either
#: scheme (scheme ``ANY``: the classified publications)
_CODES = (
    "codes",
    """SELECT DISTINCT publication_number, scheme, 'subclass' AS lvl, substr(s, 1, 4) AS code
       FROM sym WHERE length(s) >= 4
       UNION ALL
       SELECT DISTINCT publication_number, scheme, 'main_group' AS lvl,
              substr(s, 1, 4) || ' ' || regexp_replace(substr(s, 5, 100), '/.*$', '') || '/00' AS code
       FROM sym WHERE length(regexp_replace(substr(s, 5, 100), '/.*$', '')) > 0
       UNION ALL
       SELECT DISTINCT publication_number, scheme, 'any' AS lvl, '*' AS code FROM sym
       UNION ALL
       SELECT DISTINCT publication_number, 'ANY' AS scheme, 'any' AS lvl, '*' AS code FROM sym""",
)


def _family_years(basis: Basis) -> tuple[str, str]:
    return ("fy", f"SELECT fam, min({YEAR_COLUMN[basis]}) AS yr FROM pubs GROUP BY fam")


def _windowed(keys: str, source: str) -> str:
    """Counts per ``keys`` over ``source``, a relation with one row per (keys, publication) and the columns
    ``publication_number``, ``fam`` and ``yr`` (the family's first year): documents, families, and the families
    first filed in the recent (``:r0``–``:r1``) and previous (``:p0``–``:p1``) windows.

    Grouped per family first, then per key, so no ``count(DISTINCT …)`` is needed: Spark plans several distinct
    aggregates in one select as an expand and an extra shuffle each.
    """
    inner = f"{keys}, " if keys else ""
    group = f" GROUP BY {keys}" if keys else ""
    return f"""SELECT {inner}sum(docs) AS documents, count(*) AS families,
               sum(CASE WHEN yr >= :r0 AND yr <= :r1 THEN 1 ELSE 0 END) AS recent,
               sum(CASE WHEN yr >= :p0 AND yr <= :p1 THEN 1 ELSE 0 END) AS previous
        FROM (SELECT {inner}fam, max(yr) AS yr, count(*) AS docs FROM {source} GROUP BY {inner}fam) f{group}"""


def _code_counts(
    engine: Engine, table: str, basis: Basis, bounds: dict[str, int]
) -> tuple[list[tuple[str, str, str, int, int, int, int]], dict[str, tuple[int, int]], tuple[int, int, int]]:
    """Rows ``(scheme, level, code, documents, families, recent, previous)``, the documents and families with any
    code per scheme, and ``(documents, families, unclassified documents)`` of the set."""
    rows = engine.rows(
        with_set(
            table,
            _SYMBOLS,
            _CODES,
            _family_years(basis),
            (
                "x",
                "SELECT k.scheme, k.lvl, k.code, p.publication_number, p.fam, fy.yr"
                " FROM codes k JOIN pubs p ON p.publication_number = k.publication_number"
                " JOIN fy ON fy.fam = p.fam",
            ),
            ("c", _windowed("scheme, lvl, code", "x")),
        )
        + """
        SELECT 'code' AS what, scheme, lvl, code, documents, families, recent, previous FROM c
        UNION ALL
        SELECT 'set' AS what, CAST(NULL AS STRING) AS scheme, CAST(NULL AS STRING) AS lvl,
               CAST(NULL AS STRING) AS code, count(*) AS documents, count(DISTINCT fam) AS families,
               0 AS recent, 0 AS previous
        FROM pubs""",
        bounds,
    )
    codes: list[tuple[str, str, str, int, int, int, int]] = []
    schemes: dict[str, tuple[int, int]] = {}
    documents = families = 0
    for what, scheme, lvl, code, docs, fams, recent, previous in rows:
        if what == "code" and lvl == "any":
            schemes[str(scheme)] = (int(docs), int(fams))
        elif what == "code":
            codes.append((str(scheme), str(lvl), str(code), int(docs), int(fams), int(recent), int(previous)))
        else:
            documents, families = int(docs), int(fams)
    return codes, schemes, (documents, families, documents - schemes.pop("ANY", (0, 0))[0])


def co_occurrence(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    level: Level = "subclass",
    scheme: Scheme = "IPC",
    min_documents: int = 1,
    top: int | None = 100,
) -> tuple[CodePair, ...]:
    """Pairs of distinct ``scheme`` codes at ``level`` given to the same document (see :class:`CodePair`), with
    at least ``min_documents`` documents; most families first (then documents, then codes), at most ``top``."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    table = register_patent_set(engine, patent_set)
    rows = engine.rows(
        with_set(
            table,
            _SYMBOLS,
            _CODES,
            (
                "k",
                "SELECT c.publication_number, p.fam, c.code FROM codes c"
                " JOIN pubs p ON p.publication_number = c.publication_number"
                " WHERE c.scheme = :scheme AND c.lvl = :lvl",
            ),
            ("n", "SELECT code, count(*) AS families FROM (SELECT DISTINCT code, fam FROM k) d GROUP BY code"),
            (
                "pf",
                "SELECT x.code AS source, y.code AS target, x.fam, count(*) AS docs"
                " FROM k x JOIN k y ON y.publication_number = x.publication_number AND x.code < y.code"
                " GROUP BY x.code, y.code, x.fam",
            ),
            (
                "pr",
                "SELECT source, target, sum(docs) AS documents, count(*) AS families FROM pf"
                " GROUP BY source, target HAVING sum(docs) >= :min_documents",
            ),
        )
        + """
        SELECT pr.source, pr.target, pr.documents, pr.families, nx.families AS source_families,
               ny.families AS target_families
        FROM pr JOIN n nx ON nx.code = pr.source JOIN n ny ON ny.code = pr.target""",
        {"scheme": scheme, "lvl": level, "min_documents": int(min_documents)},
    )
    pairs = [
        CodePair(str(s), str(t), int(d), int(f), int(f) / math.sqrt(int(fs) * int(ft))) for s, t, d, f, fs, ft in rows
    ]
    pairs.sort(key=lambda p: (-p.families, -p.documents, p.source, p.target))
    return tuple(pairs if top is None else pairs[:top])


def classification_codes(
    engine: Engine, patent_set: PatentSet | None = None, *, level: Level = "main_group"
) -> dict[str, tuple[str, ...]]:
    """Each publication's distinct codes at ``level`` (sorted): its IPC codes, or its CPC codes when it has no
    IPC (the rule the WIPO fields use). Publications without either are left out. For analyses that need a
    technology axis per document (the technology–effect matrix)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    table = register_patent_set(engine, patent_set)
    rows = engine.rows(
        with_set(table, _SYMBOLS, _CODES)
        + """
        SELECT publication_number, code FROM codes
        WHERE lvl = :lvl AND (scheme = 'IPC' OR (scheme = 'CPC' AND publication_number NOT IN
              (SELECT publication_number FROM sym WHERE scheme = 'IPC')))""",
        {"lvl": level},
    )
    found: dict[str, set[str]] = {}
    for number, code in rows:
        found.setdefault(str(number), set()).add(str(code))
    return {number: tuple(sorted(codes)) for number, codes in sorted(found.items())}


#: the main symbol of each publication (flagged main, else first listed; CPC when it has no IPC) → WIPO field
#: by the longest prefix of the concordance registered as ``{ref}`` (the rule of the indicators' FIELDS step)
_FIELDS_FROM_REFERENCE = """
    SELECT r.publication_number, CAST(r.code AS BIGINT) AS field
    FROM (SELECT b.publication_number, b.code,
                 row_number() OVER (PARTITION BY b.publication_number ORDER BY b.not_main, b.seq, b.s) AS rn
          FROM (SELECT m.publication_number, m.s, m.not_main, m.seq, m.code
                FROM (SELECT c.publication_number, c.s, c.not_main, c.seq, r.code,
                             row_number() OVER (PARTITION BY c.publication_number, c.s
                                                ORDER BY length(r.prefix) DESC, r.code) AS rn
                      FROM (SELECT publication_number, s, min(CASE WHEN is_main THEN 0 ELSE 1 END) AS not_main,
                                   min(seq) AS seq
                            FROM sym
                            WHERE scheme = 'IPC' OR (scheme = 'CPC' AND publication_number NOT IN
                                  (SELECT publication_number FROM sym WHERE scheme = 'IPC'))
                            GROUP BY publication_number, s) c
                      JOIN {ref} r ON r.subclass = substr(c.s, 1, 4)
                                  AND substr(c.s, 1, length(r.prefix)) = r.prefix) m
                WHERE m.rn = 1) b) r
    WHERE r.rn = 1"""


def _field_counts(
    engine: Engine, table: str, basis: Basis, bounds: dict[str, int], pub_fields: str, sectors: str
) -> list[tuple[str, str, int, int, int, int]]:
    """Rows ``(what, key, documents, families, recent, previous)``: ``what`` is ``field`` (key: the number as
    text), ``sector`` or ``total``."""
    rows = engine.rows(
        with_set(
            table,
            _SYMBOLS,
            ("pf", pub_fields),
            _family_years(basis),
            (
                "x",
                "SELECT pf.field, s.sector, p.publication_number, p.fam, fy.yr"
                " FROM pf JOIN pubs p ON p.publication_number = pf.publication_number"
                f" JOIN fy ON fy.fam = p.fam JOIN {sectors} s ON s.field = pf.field",
            ),
        )
        + f"""
        SELECT 'field' AS what, CAST(field AS STRING) AS k, documents, families, recent, previous
        FROM ({_windowed("field", "x")}) a
        UNION ALL
        SELECT 'sector' AS what, sector AS k, documents, families, recent, previous
        FROM ({_windowed("sector", "x")}) b
        UNION ALL
        SELECT 'total' AS what, CAST(NULL AS STRING) AS k, documents, families, recent, previous
        FROM ({_windowed("", "x")}) c""",
        bounds,
    )
    return [(str(w), str(k), int(d or 0), int(f), int(r or 0), int(p or 0)) for w, k, d, f, r, p in rows]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# -- the analysis ---------------------------------------------------------------------------------------------


def technology(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    wipo: ReferenceTable | None = None,
    indicators: StoredRun | IndicatorRun | pa.Table | None = None,
    top: int = 30,
    as_of: dt.date | None = None,
    basis: Basis = "priority",
    window: int = 5,
    publication_delay_months: int = PUBLICATION_DELAY_MONTHS,
    rise: float = 0.10,
    fall: float = 0.10,
    co_occurrence_level: Level = "subclass",
    min_pair_documents: int = 1,
    top_pairs: int = 100,
) -> Technology:
    """The technology composition of ``patent_set`` (default: the whole corpus); see the module docstring.

    ``wipo`` is the WIPO concordance (:func:`~patnav.indicators.reference.load_wipo_fields`); without it,
    ``indicators`` gives the fields: a saved run (:func:`~patnav.indicators.results.load_run`), a fresh
    :class:`~patnav.indicators.compute.IndicatorRun`, or a table with ``publication_number`` and ``tech_field``;
    with neither there are no fields (``fields_source == "none"``). ``top`` caps each distribution's list;
    ``as_of`` is the data's cut-off (default: the latest publication date in the set); ``window`` the length of
    the recent and previous windows; ``rise``/``fall`` the trend thresholds;
    ``co_occurrence_level``, ``min_pair_documents`` and ``top_pairs`` shape the IPC co-occurrence list.
    """
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}; choose one of {', '.join(BASES)}")
    if top < 0 or window < 1:
        raise ValueError("top must be ≥ 0 and window ≥ 1")
    table = register_patent_set(engine, patent_set)
    as_of = as_of or default_as_of(engine, patent_set)
    complete = last_complete_year(basis, as_of, publication_delay_months)
    recent_window = (complete - window + 1, complete)
    previous_window = (complete - 2 * window + 1, complete - window)
    bounds = {"r0": recent_window[0], "r1": recent_window[1], "p0": previous_window[0], "p1": previous_window[1]}

    codes, schemes, (documents, families, unclassified) = _code_counts(engine, table, basis, bounds)
    distributions: dict[tuple[str, str], Distribution] = {}
    for scheme in ("IPC", "CPC"):
        base_docs, base_fams = schemes.get(scheme, (0, 0))
        for level in LEVELS:
            counts = [
                CodeCount(
                    code,
                    d,
                    f,
                    _share(d, base_docs),
                    _share(f, base_fams),
                    r,
                    p,
                    direction(p, r, rise, fall),
                )
                for s, lvl, code, d, f, r, p in codes
                if s == scheme and lvl == level
            ]
            counts.sort(key=lambda c: (-c.families, -c.documents, c.code))
            distributions[(scheme, level)] = Distribution(
                scheme,  # type: ignore[arg-type]
                level,
                base_docs,
                base_fams,
                len(counts),
                tuple(counts[:top]),
            )

    source, pub_fields, sector_of = _fields_source(engine, wipo, indicators)
    fields: list[FieldCount] = []
    sectors: list[SectorCount] = []
    field_docs = field_fams = 0
    if pub_fields is not None:
        sector_table = register_table(
            engine,
            "tech_sectors",
            pa.table(
                {
                    "field": pa.array(sorted(sector_of), pa.int64()),
                    "sector": pa.array([sector_of[f] for f in sorted(sector_of)], pa.string()),
                }
            ),
        )
        rows = _field_counts(engine, table, basis, bounds, pub_fields, sector_table)
        for what, _, d, f, _, _ in rows:
            if what == "total":
                field_docs, field_fams = d, f
        for what, key, d, f, r, p in rows:
            trend = direction(p, r, rise, fall)
            if what == "field":
                number = int(key)
                fields.append(
                    FieldCount(
                        number, sector_of[number], d, f, _share(d, field_docs), _share(f, field_fams), r, p, trend
                    )
                )
            elif what == "sector":
                sectors.append(SectorCount(key, d, f, _share(d, field_docs), _share(f, field_fams), r, p, trend))
        fields.sort(key=lambda c: (-c.families, -c.documents, c.field))
        sectors.sort(key=lambda c: (-c.families, -c.documents, c.sector))

    return Technology(
        basis=basis,
        as_of=as_of,
        recent_window=recent_window,
        previous_window=previous_window,
        documents=documents,
        families=families,
        unclassified_documents=unclassified,
        ipc=tuple(distributions[("IPC", level)] for level in LEVELS),
        cpc=tuple(distributions[("CPC", level)] for level in LEVELS),
        fields_source=source,
        field_documents=field_docs,
        field_families=field_fams,
        fields=tuple(fields),
        sectors=tuple(sectors),
        co_occurrence_level=co_occurrence_level,
        co_occurrence=co_occurrence(
            engine, patent_set, level=co_occurrence_level, min_documents=min_pair_documents, top=top_pairs
        ),
    )


def _fields_source(
    engine: Engine, wipo: ReferenceTable | None, indicators: StoredRun | IndicatorRun | pa.Table | None
) -> tuple[FieldsSource, str | None, dict[int, str]]:
    """Where fields come from: ``(source, SQL body of pf(publication_number, field), field → sector code)``."""
    if wipo is not None:
        sectors = dict(WIPO_SECTORS)
        for code, label in wipo.labels.items():
            if label.get("sector") and code.isdigit():
                sectors[int(code)] = sector_code(label["sector"])
        ref = register_table(engine, "tech_wipo", wipo.table.select(["code", "prefix", "subclass"]))
        return "reference", _FIELDS_FROM_REFERENCE.format(ref=ref), sectors
    if indicators is not None:
        sectors = dict(WIPO_SECTORS)
        if isinstance(indicators, StoredRun):
            labels = (indicators.manifest.get("labels") or {}).get("wipo35") or {}
            for code, label in labels.items():
                if isinstance(label, dict) and label.get("sector") and str(code).isdigit():
                    sectors[int(code)] = sector_code(str(label["sector"]))
            run_table = indicators.publications
        elif isinstance(indicators, IndicatorRun):
            for code, label in indicators.labels.get("wipo35", {}).items():
                if label.get("sector") and str(code).isdigit():
                    sectors[int(code)] = sector_code(label["sector"])
            run_table = indicators.table
        else:
            run_table = indicators
        if "tech_field" not in run_table.column_names:
            raise ValueError("the indicators table has no tech_field column")
        slim = run_table.select(["publication_number", "tech_field"])
        slim = slim.filter(pc.is_valid(slim.column("tech_field"))).sort_by("publication_number")
        slim = pa.table(
            {
                "publication_number": slim.column("publication_number").cast(pa.string()),
                "tech_field": slim.column("tech_field").cast(pa.int64()),
            }
        )
        ref = register_table(engine, "tech_run_fields", slim)
        return (
            "indicators",
            "SELECT publication_number, tech_field AS field FROM "
            f"{ref} WHERE publication_number IN (SELECT publication_number FROM pubs)",
            sectors,
        )
    return "none", None, {}

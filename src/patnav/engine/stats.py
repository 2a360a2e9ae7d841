"""Corpus statistics, written once against the engine layer: the same SQL runs on DuckDB and on Spark.

``corpus_stats(engine, by="country")`` answers "how many publications per country, and how big is the corpus?".
Counts are exact integers from the engine; shares are computed here from those integers, so two engines give
bit-identical results and can be compared with ``==``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from patnav.engine.base import Engine

By = Literal["country", "year", "kind", "doc_type", "applicant", "ipc", "ipc_subclass", "source"]
BY_VALUES: tuple[str, ...] = get_args(By)

_NAME = "coalesce(nullif(trim(name_harmonized), ''), nullif(trim(name), ''))"


def owner_rows(*, extra: Sequence[str] = (), within: str | None = None) -> str:
    """SQL giving ``(publication_number, name, *extra)``: who owns each publication, by one rule everywhere.

    The owners are the parties of role ``applicant``; a publication naming no applicant counts its assignees
    instead. ``name`` is the harmonised name, else the name as written; unnamed parties are left out. A
    publication may yield one name twice (two spellings harmonised together): count with ``DISTINCT``.
    ``extra``: further columns as expressions over ``parties`` with their alias (e.g. ``upper(country) AS
    country``); ``within``: a subquery of publication numbers the rows are restricted to.
    """
    columns = "".join(f", {e}" for e in extra)
    aliases = "".join(f", n.{e.rsplit(' AS ', 1)[-1].strip()}" for e in extra)
    restrict = f" AND publication_number IN ({within})" if within else ""
    return f"""
        SELECT n.publication_number, n.name{aliases}
        FROM (SELECT publication_number, role, {_NAME} AS name{columns}
              FROM parties WHERE role IN ('applicant', 'assignee'){restrict}) n
        LEFT JOIN (SELECT DISTINCT publication_number FROM parties
                   WHERE role = 'applicant' AND {_NAME} IS NOT NULL) a
          ON a.publication_number = n.publication_number
        WHERE n.name IS NOT NULL AND (n.role = 'applicant' OR a.publication_number IS NULL)"""


#: per dimension: a query giving ``(publication_number, key)`` rows; a publication may have several keys
#: (IPC) or none (then it is counted in ``StatsResult.missing``).
_KEYED: dict[str, str] = {
    "country": "SELECT publication_number, country AS key FROM publications",
    "year": "SELECT publication_number, CAST(year(publication_date) AS STRING) AS key FROM publications",
    "kind": "SELECT publication_number, kind AS key FROM publications",
    "doc_type": "SELECT publication_number, doc_type AS key FROM publications",
    "source": "SELECT publication_number, reader AS key FROM publications",
    # the harmonised applicant name; a publication naming no applicant counts its assignees instead
    "applicant": f"SELECT publication_number, name AS key FROM ({owner_rows()}) o",
    # the main IPC symbol: the one flagged main, else the first listed
    "ipc": """
        SELECT publication_number, symbol AS key FROM (
            SELECT publication_number, trim(symbol) AS symbol,
                   row_number() OVER (PARTITION BY publication_number
                                      ORDER BY CASE WHEN is_main THEN 0 ELSE 1 END, sequence, symbol) AS rn
            FROM classifications WHERE scheme = 'IPC' AND nullif(trim(symbol), '') IS NOT NULL) m
        WHERE rn = 1""",
}
_KEYED["ipc_subclass"] = f"SELECT publication_number, substr(key, 1, 4) AS key FROM ({_KEYED['ipc']}) i"

_TOTALS = """
SELECT
  (SELECT count(*) FROM publications) AS publications,
  (SELECT count(DISTINCT coalesce(family_id, publication_number)) FROM publications) AS families,
  (SELECT count(DISTINCT coalesce(nullif(trim(name_harmonized), ''), nullif(trim(name), ''))) FROM parties)
    AS parties,
  (SELECT count(*) FROM citations) AS citations,
  (SELECT count(*) FROM legal_events) AS legal_events,
  (SELECT count(*) FROM transactions) AS transactions,
  (SELECT count(*) FROM quarantine) AS quarantined
"""


@dataclass(frozen=True, slots=True)
class StatsRow:
    """One group: its key, how many publications have it, and their share of all publications."""

    key: str
    publications: int
    share: float


@dataclass(frozen=True, slots=True)
class CorpusTotals:
    """The size of a corpus.

    ``families`` counts distinct family ids (a publication whose family is unknown counts as its own family);
    ``parties`` counts distinct harmonised names of any role; the others count rows of their tables.
    """

    publications: int
    families: int
    parties: int
    citations: int
    legal_events: int
    transactions: int
    quarantined: int


@dataclass(frozen=True, slots=True)
class StatsResult:
    """Corpus totals and, when grouped, the top groups ordered by publications (desc) then key (asc).

    ``keys`` is how many distinct groups exist (``rows`` holds at most ``top`` of them); ``missing`` is how
    many publications have no value for the dimension (no date, no IPC, no applicant…). Shares are of all
    publications; they may add up to less than 1 (missing, truncated) or, for multi-valued dimensions, more.
    """

    by: By | None
    totals: CorpusTotals
    rows: tuple[StatsRow, ...] = field(default_factory=tuple)
    keys: int = 0
    missing: int = 0


def corpus_stats(engine: Engine, by: By | None = None, top: int = 50) -> StatsResult:
    """Totals of the corpus behind ``engine``, and publications per ``by`` (the ``top`` largest groups).

    ``by``: ``country``; ``year`` (of publication); ``kind`` (A1, B2…); ``doc_type`` (invention, utility_model…);
    ``applicant`` (harmonised name, role applicant, else assignee); ``ipc`` (main IPC symbol, full group as
    stored, e.g. ``G06N 3/08``); ``ipc_subclass`` (its first four characters, e.g. ``G06N``); ``source`` (the
    reader that supplied the publication's winning record).
    """
    if by is not None and by not in BY_VALUES:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(BY_VALUES)}")
    if top < 0:
        raise ValueError("top must be zero or more")
    (t,) = engine.rows(_TOTALS)
    totals = CorpusTotals(*(int(v or 0) for v in t))
    if by is None:
        return StatsResult(by=None, totals=totals)
    keyed = _KEYED[by]
    total = totals.publications
    if top == 0:  # LIMIT 0 would hide the group counts
        (row,) = engine.rows(
            f"SELECT count(DISTINCT key), count(DISTINCT CASE WHEN key IS NOT NULL THEN publication_number END)"
            f" FROM ({keyed}) k"
        )
        return StatsResult(by=by, totals=totals, keys=int(row[0]), missing=total - int(row[1]))
    grouped = engine.rows(
        f"""WITH k AS (SELECT publication_number, key FROM ({keyed}) q WHERE key IS NOT NULL),
                 grouped AS (SELECT key, count(DISTINCT publication_number) AS publications FROM k GROUP BY key)
            SELECT key, publications, count(*) OVER () AS keys,
                   (SELECT count(DISTINCT publication_number) FROM k) AS with_key
            FROM grouped ORDER BY publications DESC, key ASC LIMIT {int(top)}"""
    )
    rows = tuple(StatsRow(str(k), int(n), n / total if total else 0.0) for k, n, _, _ in grouped)
    keys, with_key = (int(grouped[0][2]), int(grouped[0][3])) if grouped else (0, 0)
    return StatsResult(by=by, totals=totals, rows=rows, keys=keys, missing=total - with_key)

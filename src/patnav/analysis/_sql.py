"""SQL fragments the analyses share: the publications of a patent set, and who applied for them.

Both are bodies of common table expressions in the engine's portable subset (see :mod:`patnav.engine.base`),
meant to be used as ``WITH pubs AS (<pubs_cte>), app AS (<APPLICANTS_CTE>) …``.
"""

from __future__ import annotations

import re

from patnav.engine.stats import owner_rows

#: the relation that stands for "the whole corpus" (it has a ``publication_number`` column like a set table)
CORPUS_TABLE = "publications"

_NAME = re.compile(r"[a-z_][a-z0-9_]*")

#: the year column of ``pubs`` per basis (see :func:`pubs_cte`)
YEAR_COLUMN: dict[str, str] = {
    "priority": "priority_year",
    "filing": "filing_year",
    "publication": "publication_year",
    "grant": "grant_year",
}


def pubs_cte(set_table: str) -> str:
    """One row per publication of the set (``set_table`` has a ``publication_number`` column).

    Columns: ``publication_number``; ``office`` (the publishing office, upper case); ``fam`` (the family:
    ``coalesce(family_id, publication_number)``, so a publication of unknown family is its own family); and the
    year of each basis: ``priority_year`` (earliest priority date, else the filing date: an application that
    claims no priority is its own first filing), ``filing_year``, ``publication_year``, ``grant_year``.
    """
    if not _NAME.fullmatch(set_table):
        raise ValueError(f"not a table name: {set_table!r}")
    where = (
        ""
        if set_table == CORPUS_TABLE
        else f"\n        WHERE publication_number IN (SELECT publication_number FROM {set_table})"
    )
    return f"""
        SELECT publication_number, upper(trim(country)) AS office,
               coalesce(family_id, publication_number) AS fam,
               year(coalesce(priority_date, filing_date)) AS priority_year,
               year(filing_date) AS filing_year,
               year(publication_date) AS publication_year,
               year(grant_date) AS grant_year
        FROM publications{where}"""


#: The applicants of the publications in ``pubs``: rows ``(publication_number, name, kind, country)``.
#: ``name`` is the harmonised name (else the name as written); parties of role ``applicant`` count, and a
#: publication naming no applicant counts its assignees instead (the same rule as ``corpus_stats(by="applicant")``).
#: ``kind`` is the kind of party (``unknown`` when not given); ``country`` is upper case, null when not given.
#: A publication may yield the same name twice (two spellings harmonised together): count with ``DISTINCT``.
APPLICANTS_CTE = owner_rows(
    extra=("coalesce(nullif(trim(kind), ''), 'unknown') AS kind", "upper(nullif(trim(country), '')) AS country"),
    within="SELECT publication_number FROM pubs",
)


def with_set(set_table: str, *ctes: tuple[str, str]) -> str:
    """``WITH pubs AS (…), app AS (…), <name> AS (<body>)…`` for a query over the set's publications."""
    parts = [f"pubs AS ({pubs_cte(set_table)})", f"app AS ({APPLICANTS_CTE})"]
    parts += [f"{name} AS ({body})" for name, body in ctes]
    return "WITH " + ",\n     ".join(parts)

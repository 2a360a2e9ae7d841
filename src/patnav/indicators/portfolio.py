"""Portfolio indicators: the patent-level indicators of a run summed up per applicant, country, industry,
technology field or filing year, through the engine (the same SQL on DuckDB and Spark).

Industries count fractionally (a patent in two industries adds ½ to each), so their counts may be fractions;
every other grouping counts whole publications. Means are over the publications where the indicator exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import pyarrow as pa

from patnav.engine.base import Engine
from patnav.engine.stats import owner_rows
from patnav.indicators.results import StoredRun

By = Literal["applicant", "country", "industry", "tech-field", "year"]
BY_VALUES: tuple[str, ...] = get_args(By)

_COLUMNS = (
    "publication_number",
    "status",
    "high_value",
    "breakthrough",
    "quality_index_4",
    "fwd_cits5",
    "filing_year",
    "tech_field",
    "country",
)

_KEYS: dict[str, str] = {
    "applicant": f"SELECT publication_number, name AS key, 1.0 AS weight FROM ({owner_rows()}) a",
    "country": "SELECT publication_number, country AS key, 1.0 AS weight FROM ind_pub",
    "tech-field": "SELECT publication_number, CAST(tech_field AS STRING) AS key, 1.0 AS weight FROM ind_pub",
    "year": "SELECT publication_number, CAST(filing_year AS STRING) AS key, 1.0 AS weight FROM ind_pub",
    "industry": "SELECT publication_number, code AS key, weight FROM ind_industry WHERE scheme = :scheme",
}


@dataclass(frozen=True, slots=True)
class PortfolioRow:
    """One group of a portfolio: its key, its label where one is known, and its figures."""

    key: str
    label: str | None
    publications: float
    in_force: float
    high_value: float
    breakthrough: float
    mean_quality_index_4: float | None
    mean_fwd_cits5: float | None

    @property
    def high_value_share(self) -> float | None:
        """High-value patents as a share of those in force (the CNIPA definition needs in force)."""
        return self.high_value / self.in_force if self.in_force else None


@dataclass(frozen=True, slots=True)
class Portfolio:
    """The ``top`` groups by publications (desc, then key); ``groups`` counts all of them; ``missing`` is how
    many publications have no key (no applicant, no technology field…)."""

    by: str
    scheme: str | None
    rows: tuple[PortfolioRow, ...]
    groups: int
    missing: float
    total: int


def portfolio(
    engine: Engine, run: StoredRun, by: str, *, top: int = 50, scheme: str = "nace2", lang: str = "en"
) -> Portfolio:
    """Indicators of ``run`` per ``by`` group (``scheme`` picks the industry classification for ``industry``)."""
    if by not in BY_VALUES:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(BY_VALUES)}")
    if top < 1:
        raise ValueError("top must be at least 1")
    engine.register("ind_pub", run.publications.select(list(_COLUMNS)))
    engine.register("ind_industry", run.industries)
    params = {"scheme": scheme} if by == "industry" else {}
    sql = f"""
WITH k AS (SELECT publication_number, key, weight FROM ({_KEYS[by]}) q WHERE key IS NOT NULL),
g AS (
  SELECT k.key,
         sum(k.weight) AS publications,
         sum(CASE WHEN i.status = 'in_force' THEN k.weight ELSE 0 END) AS in_force,
         sum(CASE WHEN i.high_value THEN k.weight ELSE 0 END) AS high_value,
         sum(CASE WHEN i.breakthrough THEN k.weight ELSE 0 END) AS breakthrough,
         sum(CASE WHEN i.quality_index_4 IS NOT NULL THEN k.weight * i.quality_index_4 END) AS qi4_sum,
         sum(CASE WHEN i.quality_index_4 IS NOT NULL THEN k.weight END) AS qi4_n,
         sum(CASE WHEN i.fwd_cits5 IS NOT NULL THEN k.weight * i.fwd_cits5 END) AS fwd_sum,
         sum(CASE WHEN i.fwd_cits5 IS NOT NULL THEN k.weight END) AS fwd_n
  FROM k JOIN ind_pub i ON i.publication_number = k.publication_number
  GROUP BY k.key
)
SELECT key, publications, in_force, high_value, breakthrough, qi4_sum, qi4_n, fwd_sum, fwd_n,
       count(*) OVER () AS groups, (SELECT sum(weight) FROM k) AS keyed
FROM g ORDER BY publications DESC, key ASC LIMIT {int(top)}
"""
    result = engine.query(sql, params)
    total = run.publications.num_rows
    labels = _labels(run, by, scheme, lang)
    rows = []
    for r in result.to_pylist():
        rows.append(
            PortfolioRow(
                key=str(r["key"]),
                label=labels.get(str(r["key"])),
                publications=float(r["publications"]),
                in_force=float(r["in_force"]),
                high_value=float(r["high_value"]),
                breakthrough=float(r["breakthrough"]),
                mean_quality_index_4=round(r["qi4_sum"] / r["qi4_n"], 6) if r["qi4_n"] else None,
                mean_fwd_cits5=round(r["fwd_sum"] / r["fwd_n"], 6) if r["fwd_n"] else None,
            )
        )
    groups = int(result.column("groups")[0].as_py()) if result.num_rows else 0
    keyed = _keyed_publications(engine, by, params) if result.num_rows else 0.0
    return Portfolio(by, scheme if by == "industry" else None, tuple(rows), groups, max(total - keyed, 0.0), total)


def _keyed_publications(engine: Engine, by: str, params: dict[str, str]) -> float:
    (row,) = engine.rows(
        f"SELECT count(DISTINCT publication_number) FROM ({_KEYS[by]}) q WHERE key IS NOT NULL", params
    )
    return float(row[0] or 0)


def _labels(run: StoredRun, by: str, scheme: str, lang: str) -> dict[str, str]:
    table = {"tech-field": "wipo35", "industry": scheme}.get(by)
    if table is None:
        return {}
    found = run.manifest.get("labels", {}).get(table, {})
    return {code: names.get(lang) or names.get("en") or "" for code, names in found.items()}


def portfolio_table(result: Portfolio) -> pa.Table:
    """The portfolio as an Arrow table (for XLSX/CSV export)."""
    return pa.Table.from_pylist(
        [
            {
                "key": r.key,
                "label": r.label,
                "publications": r.publications,
                "in_force": r.in_force,
                "high_value": r.high_value,
                "high_value_share": r.high_value_share,
                "breakthrough": r.breakthrough,
                "mean_quality_index_4": r.mean_quality_index_4,
                "mean_fwd_cits5": r.mean_fwd_cits5,
            }
            for r in result.rows
        ]
    )

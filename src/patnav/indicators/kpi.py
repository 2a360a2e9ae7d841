"""The action plan's headline KPI: high-value invention patents in force per 100 million yuan of revenue.

工信厅联科〔2023〕48号 sets, for 2027, "规模以上制造业重点领域企业每亿元营业收入高价值专利数接近4件" (domain.md §0; rule
``kpi/plan-2023-48``). :func:`compute_kpi` computes it for each enterprise of the user's financials table
(:mod:`patnav.indicators.financials`), next to the *Made in China 2025* style "valid invention patents per 100
million yuan", and aggregates it by industry, by region and over above-scale enterprises.

How it is counted, and why:

* Numerator: an enterprise's patents that are inventions, ``in_force`` and ``high_value`` in the saved indicator
  run. The owner is the applicant, else the assignee (the same rule as ``corpus_stats(by="applicant")``), matched
  on the harmonised name the corpus stores (``parties.name_harmonized``) against the enterprise's name harmonised
  the same way (:class:`patnav.ingest.names.NameHarmonizer`, so "IBM Corp." meets "International Business
  Machines Corporation"). The matching is a join in the engine (DuckDB or Spark), so it scales with the corpus.
* A patent is counted once per enterprise: the publications of one application (an A and a B document) are one
  patent. A patent co-owned by two listed enterprises counts for each of them, in their own figures and in any
  aggregate that includes both.
* KPI = numerator / (denominator in yuan / 100 million). The denominator is operating revenue by default, or
  operating profit (the switch): both are printed with every result. An enterprise with no, zero or a negative
  denominator has no KPI (None, with the reason) and stays out of the aggregates.
* Aggregates are the sum of the numerators over the sum of the denominators of the enterprises in the group (the
  ratio of totals, which is how a regional statistic is formed), not the mean of the enterprise ratios.
* The period end is 31 December of the year; the indicators say as of which date they were computed. When that
  differs, the result says so rather than recomputing anything.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc

from patnav.engine.base import Engine
from patnav.engine.stats import owner_rows
from patnav.indicators.financials import Enterprise
from patnav.indicators.rules import Rule, load_rule
from patnav.ingest.names import NameHarmonizer, harmonize_name

if TYPE_CHECKING:  # pragma: no cover
    from patnav.indicators.compute import IndicatorRun
    from patnav.indicators.results import StoredRun

__all__ = [
    "DEFAULT_DOC_TYPES",
    "Denominator",
    "EnterpriseKpi",
    "KpiAggregate",
    "KpiError",
    "KpiResult",
    "compute_kpi",
]

Denominator = Literal["operating_revenue", "operating_profit"]
DENOMINATORS: tuple[str, ...] = get_args(Denominator)
AggregateGroup = Literal["overall", "industry", "region", "above_scale"]

#: the document types the KPI counts when the rule names none (the plan counts invention patents)
DEFAULT_DOC_TYPES: tuple[str, ...] = ("invention",)

_LABELS = {"operating_revenue": "operating revenue", "operating_profit": "operating profit"}

#: the owner of each publication: the harmonised applicant, else (no applicant at all) the assignees, as in
#: ``patnav.engine.stats`` (``by="applicant"``)
_OWNERS = f"SELECT publication_number, name AS owner_key FROM ({owner_rows()}) o"

#: per enterprise: matched patents (publications of one application merged), in-force inventions, high-value
#: in-force inventions, those shared with another listed enterprise, and publications with no indicator row
_COUNTS = """
WITH owners AS ({owners}),
matched AS (
  SELECT DISTINCT e.enterprise_id, o.publication_number
  FROM kpi_enterprise_keys e JOIN owners o ON o.owner_key = e.name_key
),
pubs AS (
  SELECT m.enterprise_id, p.country AS office,
         coalesce(p.application_number, m.publication_number) AS patent,
         CASE WHEN i.publication_number IS NULL THEN 1 ELSE 0 END AS no_indicators,
         CASE WHEN i.status = 'in_force' AND i.doc_type IN ({doc_types}){offices} THEN 1 ELSE 0 END AS in_force,
         CASE WHEN i.status = 'in_force' AND i.doc_type IN ({doc_types}){offices} AND i.high_value
              THEN 1 ELSE 0 END AS high_value
  FROM matched m
  LEFT JOIN publications p ON p.publication_number = m.publication_number
  LEFT JOIN kpi_indicators i ON i.publication_number = m.publication_number
),
patents AS (
  SELECT enterprise_id, office, patent, max(in_force) AS in_force, max(high_value) AS high_value,
         max(no_indicators) AS no_indicators
  FROM pubs GROUP BY enterprise_id, office, patent
),
shared AS (
  SELECT enterprise_id, in_force, high_value, no_indicators,
         count(*) OVER (PARTITION BY office, patent) AS owners
  FROM patents
)
SELECT enterprise_id, count(*) AS patents, sum(in_force) AS in_force, sum(high_value) AS high_value,
       sum(CASE WHEN owners > 1 AND in_force = 1 THEN 1 ELSE 0 END) AS shared_in_force,
       sum(no_indicators) AS no_indicators
FROM shared GROUP BY enterprise_id ORDER BY enterprise_id
"""

_INDICATOR_COLUMNS = ("publication_number", "country", "doc_type", "status", "high_value")


class KpiError(ValueError):
    """The KPI cannot be computed as asked (no enterprise for the year, two rows naming one applicant, …)."""


@dataclass(frozen=True, slots=True)
class EnterpriseKpi:
    """One enterprise's KPI for the period.

    ``high_value``: high-value invention patents in force (the numerator); ``in_force_inventions``: all invention
    patents in force (the *Made in China 2025* "valid invention patents"); ``patents``: every matched patent of
    any type and status (0 means the name matched no applicant: the enterprise is listed as unmatched);
    ``shared``: in-force inventions co-owned with another listed enterprise (counted for each). ``kpi`` and
    ``in_force_per_unit`` are per ``unit_cny`` of the denominator; None with ``reason`` when the denominator is
    missing, zero or negative. ``name_keys`` are the harmonised names that were looked up.
    """

    name: str
    name_keys: tuple[str, ...]
    industry: str | None
    region: str | None
    above_scale: bool | None
    denominator_cny: float | None
    patents: int
    in_force_inventions: int
    high_value: int
    shared: int
    kpi: float | None
    in_force_per_unit: float | None
    reason: str | None
    row: str = ""

    @property
    def matched(self) -> bool:
        """Whether the name matched any applicant (or assignee) in the corpus."""
        return self.patents > 0


@dataclass(frozen=True, slots=True)
class KpiAggregate:
    """A group of enterprises: the ratio of its totals (not the mean of its members' ratios).

    ``enterprises`` counts the group's members, ``counted`` those with a usable denominator (only they enter
    the sums). ``distance_to_target`` is target − kpi (positive: short of the target), None when the
    denominator is not the one the target is defined on (operating revenue).
    """

    group: AggregateGroup
    key: str | None
    enterprises: int
    counted: int
    high_value: int
    in_force_inventions: int
    denominator_cny: float
    kpi: float | None
    in_force_per_unit: float | None
    distance_to_target: float | None


@dataclass(frozen=True, slots=True)
class KpiResult:
    """The KPI for a year: per enterprise (table order), aggregates, unmatched names, and what it rests on.

    ``rule_label`` and ``denominator`` belong next to every printed figure; ``caveats`` are short English
    sentences a reader must see (as-of date, co-ownership, unmatched names, placeholders).
    """

    year: int
    period_end: dt.date
    as_of: dt.date | None
    denominator: Denominator
    unit_cny: float
    target: float
    target_year: int
    rule_label: str
    doc_types: tuple[str, ...]
    offices: tuple[str, ...] | None
    enterprises: tuple[EnterpriseKpi, ...]
    overall: KpiAggregate
    by_industry: tuple[KpiAggregate, ...]
    by_region: tuple[KpiAggregate, ...]
    above_scale: KpiAggregate
    unmatched: tuple[str, ...]
    high_value_rule: str | None
    caveats: tuple[str, ...]


def _indicator_table(
    indicators: StoredRun | IndicatorRun | pa.Table,
) -> tuple[pa.Table, dt.date | None, Mapping[str, Any]]:
    """The indicators table, its as-of date and its manifest, from a saved run, a fresh run or a bare table."""
    if isinstance(indicators, pa.Table):
        return indicators, None, {}
    manifest = getattr(indicators, "manifest", None)
    if callable(manifest):  # a fresh IndicatorRun: manifest() is a method
        manifest = manifest()
    table = getattr(indicators, "publications", None)
    if table is None:
        table = getattr(indicators, "table", None)
    if not isinstance(table, pa.Table) or not isinstance(manifest, Mapping):
        raise TypeError("indicators must be a StoredRun (load_run), an IndicatorRun or a pyarrow Table")
    as_of = manifest.get("as_of")
    return table, dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of, manifest


def _ratio(count: int, denominator_cny: float, unit_cny: float) -> float:
    return count / (denominator_cny / unit_cny)


def _keys(name: str, harmonizer: NameHarmonizer) -> tuple[str, ...]:
    """The harmonised names an enterprise is looked up under: plain, and through the alias tables."""
    return tuple(sorted({harmonize_name(name), harmonizer.key(name)} - {""}))


def _aggregate(
    group: AggregateGroup,
    key: str | None,
    members: Sequence[EnterpriseKpi],
    unit_cny: float,
    target: float | None,
) -> KpiAggregate:
    counted = [e for e in members if e.kpi is not None and e.denominator_cny is not None]
    denominator = math.fsum(e.denominator_cny for e in counted if e.denominator_cny is not None)
    high_value = sum(e.high_value for e in counted)
    in_force = sum(e.in_force_inventions for e in counted)
    kpi = _ratio(high_value, denominator, unit_cny) if denominator > 0 else None
    return KpiAggregate(
        group=group,
        key=key,
        enterprises=len(members),
        counted=len(counted),
        high_value=high_value,
        in_force_inventions=in_force,
        denominator_cny=denominator,
        kpi=kpi,
        in_force_per_unit=_ratio(in_force, denominator, unit_cny) if denominator > 0 else None,
        distance_to_target=target - kpi if target is not None and kpi is not None else None,
    )


def _grouped(
    group: AggregateGroup,
    rows: Sequence[EnterpriseKpi],
    attr: str,
    unit_cny: float,
    target: float | None,
) -> tuple[KpiAggregate, ...]:
    keys = sorted({getattr(e, attr) for e in rows}, key=lambda k: (k is None, k or ""))
    return tuple(_aggregate(group, k, [e for e in rows if getattr(e, attr) == k], unit_cny, target) for k in keys)


def compute_kpi(
    engine: Engine,
    indicators: StoredRun | IndicatorRun | pa.Table,
    enterprises: Iterable[Enterprise],
    *,
    year: int,
    denominator: Denominator = "operating_revenue",
    rule: Rule | None = None,
    offices: Sequence[str] | None = None,
    harmonizer: NameHarmonizer | None = None,
    as_of: dt.date | None = None,
) -> KpiResult:
    """The action-plan KPI of each enterprise for ``year`` (period end 31 December), and its aggregates.

    ``engine``: the corpus the indicators were computed on (its ``parties`` and ``publications`` are joined).
    ``indicators``: a :class:`~patnav.indicators.results.StoredRun` (``load_run``), a fresh
    :class:`~patnav.indicators.compute.IndicatorRun`, or the bare per-publication table (then ``as_of`` says
    as of when it was computed, if known). ``enterprises``: rows of the financials table; those of other years
    are ignored (rows without a year count for any year). ``denominator``: ``operating_revenue`` (the plan's)
    or ``operating_profit`` (the switch). ``rule``: the KPI rule (default: ``load_rule("kpi")``) giving the unit
    (100 million yuan), the target and its year, the above-scale threshold. ``offices``: count only patents of
    these offices (``("CN",)`` for the national statistic); default every office. ``harmonizer``: name
    matching with the user's alias table (default: the built-in aliases, as the corpus was loaded with).

    Raises :class:`KpiError` when no enterprise has figures for ``year``, when two enterprises of the year
    harmonise to one applicant name (their patents would be counted twice), or for an unknown denominator.
    """
    rule = rule or load_rule("kpi")
    allowed = tuple(rule.params.get("denominators", DENOMINATORS))
    if denominator not in DENOMINATORS or denominator not in allowed:
        raise KpiError(f"unknown denominator {denominator!r}; choose one of {', '.join(allowed)}")
    unit_cny = float(rule.param("unit_cny"))
    target = float(rule.param("target"))
    target_year = int(rule.param("target_year"))
    above_scale_cny = float(rule.params.get("above_scale_revenue_cny", 0) or 0)
    doc_types = tuple(str(d) for d in rule.params.get("doc_types", DEFAULT_DOC_TYPES))
    offices_used = tuple(sorted({o.strip().upper() for o in offices if o.strip()})) if offices is not None else None
    harmonizer = harmonizer or NameHarmonizer()
    table, run_as_of, manifest = _indicator_table(indicators)
    run_as_of = run_as_of or as_of
    period_end = dt.date(year, 12, 31)

    all_rows = list(enterprises)
    rows = [e for e in all_rows if e.year is None or e.year == year]
    if not rows:
        years = sorted({e.year for e in all_rows if e.year is not None})
        raise KpiError(f"no enterprise has figures for {year}; years in the table: {', '.join(map(str, years))}")
    keys = [_keys(e.name, harmonizer) for e in rows]
    owner: dict[str, int] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            if k in owner:
                j = owner[k]
                raise KpiError(
                    f"{rows[j].name!r} ({rows[j].row or j + 1}) and {rows[i].name!r} ({rows[i].row or i + 1}) both"
                    f" harmonise to the applicant name {k!r} for {year}: keep one row, or their patents count twice"
                )
            owner[k] = i

    missing_cols = [c for c in _INDICATOR_COLUMNS if c not in table.column_names]
    if missing_cols:
        raise KpiError(f"the indicators table lacks {', '.join(missing_cols)}: recompute the indicators")
    engine.register("kpi_indicators", table.select(list(_INDICATOR_COLUMNS)))
    engine.register(
        "kpi_enterprise_keys",
        pa.table(
            {
                "enterprise_id": pa.array([i for i, ks in enumerate(keys) for _ in ks], pa.int64()),
                "name_key": pa.array([k for ks in keys for k in ks], pa.string()),
            }
        ),
    )
    params: dict[str, Any] = {f"doc_type_{i}": d for i, d in enumerate(doc_types)}
    office_sql = ""
    if offices_used is not None:
        params |= {f"office_{i}": o for i, o in enumerate(offices_used)}
        office_sql = f" AND i.country IN ({', '.join(f':office_{i}' for i in range(len(offices_used)))})"
        if not offices_used:
            office_sql = " AND 1 = 0"
    query = _COUNTS.format(
        owners=_OWNERS,
        doc_types=", ".join(f":doc_type_{i}" for i in range(len(doc_types))),
        offices=office_sql,
    )
    counts = {int(r[0]): tuple(int(v or 0) for v in r[1:]) for r in engine.rows(query, params)}

    results: list[EnterpriseKpi] = []
    derived_scale = 0
    for i, e in enumerate(rows):
        patents, in_force, high_value, shared, _ = counts.get(i, (0, 0, 0, 0, 0))
        value = e.operating_revenue_cny if denominator == "operating_revenue" else e.operating_profit_cny
        label = _LABELS[denominator]
        reason = None
        if value is None:
            reason = f"no {label} in the financials table"
        elif value == 0:
            reason = f"{label} is zero"
        elif value < 0:
            reason = f"{label} is negative"
        usable = reason is None and value is not None
        above = e.above_scale
        if above is None and e.operating_revenue_cny is not None and above_scale_cny > 0:
            above = e.operating_revenue_cny >= above_scale_cny
            derived_scale += 1
        results.append(
            EnterpriseKpi(
                name=e.name,
                name_keys=keys[i],
                industry=e.industry,
                region=e.region,
                above_scale=above,
                denominator_cny=value,
                patents=patents,
                in_force_inventions=in_force,
                high_value=high_value,
                shared=shared,
                kpi=_ratio(high_value, value, unit_cny) if usable and value is not None else None,
                in_force_per_unit=_ratio(in_force, value, unit_cny) if usable and value is not None else None,
                reason=reason,
                row=e.row,
            )
        )

    aim = target if denominator == "operating_revenue" else None
    unmatched = tuple(r.name for r in results if not r.matched)
    caveats = _caveats(
        results=results,
        counts=counts,
        table=table,
        doc_types=doc_types,
        manifest=manifest,
        run_as_of=run_as_of,
        period_end=period_end,
        denominator=denominator,
        offices=offices_used,
        unmatched=unmatched,
        derived_scale=derived_scale,
        above_scale_cny=above_scale_cny,
        no_year=any(e.year is None for e in rows),
        rule=rule,
    )
    return KpiResult(
        year=year,
        period_end=period_end,
        as_of=run_as_of,
        denominator=denominator,
        unit_cny=unit_cny,
        target=target,
        target_year=target_year,
        rule_label=rule.label,
        doc_types=doc_types,
        offices=offices_used,
        enterprises=tuple(results),
        overall=_aggregate("overall", None, results, unit_cny, aim),
        by_industry=_grouped("industry", results, "industry", unit_cny, aim),
        by_region=_grouped("region", results, "region", unit_cny, aim),
        above_scale=_aggregate("above_scale", None, [r for r in results if r.above_scale], unit_cny, aim),
        unmatched=unmatched,
        high_value_rule=(manifest.get("rules") or {}).get("high_value"),
        caveats=tuple(caveats),
    )


def _caveats(
    *,
    results: Sequence[EnterpriseKpi],
    counts: Mapping[int, tuple[int, ...]],
    table: pa.Table,
    doc_types: tuple[str, ...],
    manifest: Mapping[str, Any],
    run_as_of: dt.date | None,
    period_end: dt.date,
    denominator: str,
    offices: tuple[str, ...] | None,
    unmatched: tuple[str, ...],
    derived_scale: int,
    above_scale_cny: float,
    no_year: bool,
    rule: Rule,
) -> list[str]:
    """The sentences a reader must see next to the figures (English, short)."""
    out: list[str] = []
    if run_as_of is None:
        out.append(
            f"the indicators' as-of date is unknown: in-force status and high-value flags may not be those of the"
            f" period end {period_end.isoformat()}"
        )
    elif run_as_of != period_end:
        out.append(
            f"the indicators are as of {run_as_of.isoformat()}, not the period end {period_end.isoformat()}: in-force"
            f" status and high-value flags are those of {run_as_of.isoformat()} (recompute the indicators as of"
            f" {period_end.isoformat()} for the period's figures)"
        )
    if denominator != "operating_revenue":
        out.append(
            f"denominator: {_LABELS[denominator]} (switch); the plan's KPI and its target of {rule.param('target')}"
            f" by {rule.param('target_year')} are per 100 million yuan of operating revenue, so no distance to the"
            " target is given"
        )
    out.append(
        "aggregates are total patents over total denominator of the enterprises with a usable denominator, not the"
        " mean of the enterprise ratios"
    )
    shared = sum(r.shared for r in results)
    out.append(
        "a patent co-owned by several listed enterprises counts for each of them, also in aggregates"
        + (
            f" (here {shared} of the enterprises' in-force invention counts are shared ones)"
            if shared
            else " (none here)"
        )
    )
    if unmatched:
        out.append(
            f"{len(unmatched)} enterprise(s) matched no applicant or assignee in the corpus and count with 0 patents:"
            f" {', '.join(unmatched)}"
        )
    if offices is None:
        out.append("patents of every office in the corpus are counted; the national statistic counts CN patents only")
    if derived_scale:
        out.append(
            f"{derived_scale} enterprise(s) without an above-scale flag were classed by operating revenue ≥"
            f" {above_scale_cny:,.0f} yuan (rule {rule.label})"
        )
    if no_year:
        out.append(f"rows without a year were taken as figures for {period_end.year}")
    no_indicators = sum(c[4] for c in counts.values())
    if no_indicators:
        out.append(
            f"{no_indicators} matched patent(s) have no row in the indicators (computed before they were loaded?):"
            " they are not counted; recompute the indicators"
        )
    # a category that was not evaluated for some in-force inventions makes the high-value counts lower bounds
    eligible = pc.and_(
        pc.equal(table.column("status"), "in_force"), pc.is_in(table.column("doc_type"), pa.array(doc_types))
    )
    for name in sorted(c for c in table.column_names if c.startswith("hv_") and c != "hv_evidence"):
        unknown = pc.sum(pc.and_(pc.fill_null(eligible, False), pc.is_null(table.column(name)))).as_py() or 0
        if unknown:
            out.append(
                f"high-value category {name[3:]} was not evaluated for {unknown} in-force invention(s) (no table"
                " supplied): high-value counts are lower bounds"
            )
    placeholders = list(manifest.get("placeholders") or [])
    if placeholders:
        out.append(f"the indicators used placeholder tables: {', '.join(placeholders)}")
    out.append(
        "the plan's population is above-scale manufacturing enterprises in key fields; these figures cover the"
        " enterprises of the financials table"
    )
    return out

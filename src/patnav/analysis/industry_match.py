"""Patent–industry structure match of a region (GB/T 39551.2, regional planning: "competitiveness and match").

The region's patents are mapped to industries with the Eurostat IPC → NACE Rev.2 concordance the indicator run
applies (fractional weights per publication, :mod:`patnav.indicators.compute`), and compared with the region's
own industry structure, a table the user provides (value added, output or employment per NACE division: no such
table ships with patnav, and none is invented here).

* The region's patents: the families of the set with an applicant from the region (``parties.country``, the
  applicant rule of :mod:`patnav.analysis._sql`), as :mod:`patnav.analysis.geography` counts them.
* Both sides are compared at NACE Rev.2 **division** level (two digits): concordance codes such as ``28.3``
  and table codes such as ``C26`` or ``26.1`` are rolled up to ``28`` and ``26``.
* A family counts once, split over industries by the mean weights of its members that map to one; families
  whose members map to no industry are counted apart (``unmapped``), not spread over the rest.
* ``gap`` = patent share − industry share (percentage points as a fraction); ``similarity`` is the
  Finger–Kreinin overlap Σ min(patent share, industry share), 0 (nothing in common) to 1 (the same structure).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from patnav.analysis._sql import with_set
from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.engine.base import Engine

#: the columns of a region's industry table (CSV, UTF-8, header row): the NACE Rev.2 code, the measure, a label
INDUSTRY_COLUMNS = ("nace2", "value", "label")

_CODE = re.compile(r"^\s*([A-Ua-u])?\s*(\d{1,2})(?:\.\d+)*\s*$")


class IndustryTableError(ValueError):
    """A region's industry table cannot be read; the message names the file, the line and the column."""


def nace_division(code: str) -> str | None:
    """The NACE Rev.2 division (two digits) of a code: ``28.3`` → ``28``, ``C26`` → ``26``, ``1`` → ``01``;
    ``None`` for text that is no NACE code (a section letter alone, ``total``…)."""
    m = _CODE.match(code or "")
    return m.group(2).zfill(2) if m else None


@dataclass(frozen=True, slots=True)
class IndustryTable:
    """A region's industry structure: ``values`` per NACE division (summed over finer codes), ``labels`` as
    the table writes them, the ``path`` it came from and the ``skipped`` lines (code no NACE division)."""

    path: str
    values: Mapping[str, float]
    labels: Mapping[str, str]
    skipped: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return sum(self.values.values())


def read_industry_table(path: Path) -> IndustryTable:
    """Read a CSV with columns ``nace2,value[,label]`` (header row required, other columns ignored): one row per
    NACE Rev.2 code at division level or finer, ``value`` a non-negative number in any unit (shares are
    computed). Errors name the file, the line and the column."""
    if not path.is_file():
        raise IndustryTableError(f"{path}: no such file")
    values: dict[str, float] = defaultdict(float)
    labels: dict[str, str] = {}
    skipped: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in INDUSTRY_COLUMNS[:2] if c not in header]
        if missing:
            raise IndustryTableError(f"{path}: missing column(s) {', '.join(missing)}; want nace2,value[,label]")
        reader.fieldnames = header
        for line, row in enumerate(reader, start=2):
            code = (row.get("nace2") or "").strip()
            if not code:
                continue
            division = nace_division(code)
            if division is None:
                skipped.append(code)
                continue
            raw = (row.get("value") or "").strip().replace(",", "")
            try:
                value = float(raw)
            except ValueError:
                raise IndustryTableError(f"{path}, line {line}, value: {raw!r} is not a number") from None
            if value < 0:
                raise IndustryTableError(f"{path}, line {line}, value: {raw!r} is negative")
            values[division] += value
            label = (row.get("label") or "").strip()
            if label and (division not in labels or "." not in code):  # the division's own row names it
                labels[division] = label
    if not values:
        raise IndustryTableError(f"{path}: no row with a NACE code and a value")
    if sum(values.values()) <= 0:
        raise IndustryTableError(f"{path}: the values add up to 0")
    return IndustryTable(str(path), dict(values), labels, tuple(skipped))


def region_families(engine: Engine, patent_set: PatentSet | None, region: str) -> dict[str, tuple[str, ...]]:
    """The families of the set with an applicant from ``region`` (country code, any case), each with its
    publications in the set."""
    table = register_patent_set(engine, patent_set)
    rows = engine.rows(
        with_set(table)
        + """
        SELECT DISTINCT p.fam, p.publication_number FROM pubs p
        WHERE p.fam IN (SELECT DISTINCT q.fam FROM app a JOIN pubs q ON q.publication_number = a.publication_number
                        WHERE a.country = :region)""",
        {"region": region.strip().upper()},
    )
    out: dict[str, list[str]] = defaultdict(list)
    for fam, number in rows:
        out[str(fam)].append(str(number))
    return {fam: tuple(sorted(numbers)) for fam, numbers in out.items()}


@dataclass(frozen=True, slots=True)
class MatchRow:
    """One NACE division: the region's ``families`` in it (fractional) and their ``patent_share`` of the mapped
    families; the industry table's ``value`` and ``industry_share`` (``None`` without a table); ``gap`` =
    patent share − industry share."""

    division: str
    label: str
    families: float
    patent_share: float
    value: float | None
    industry_share: float | None

    @property
    def gap(self) -> float | None:
        return None if self.industry_share is None else self.patent_share - self.industry_share


@dataclass(frozen=True, slots=True)
class IndustryMatch:
    """The match of a region: ``families`` of the region in the set, those ``mapped`` to an industry (the rest
    ``unmapped``), ``rows`` per division (by patent share, then industry share, desc), the ``table`` compared
    against (``None``: patent side only) and the Finger–Kreinin ``similarity`` (``None`` without a table)."""

    region: str
    families: int
    mapped: int
    rows: tuple[MatchRow, ...]
    table: IndustryTable | None
    similarity: float | None

    @property
    def unmapped(self) -> int:
        return self.families - self.mapped


def industry_match(
    region: str,
    families: Mapping[str, Sequence[str]],
    industries: Iterable[tuple[str, str, float]],
    table: IndustryTable | None = None,
    labels: Mapping[str, str] | None = None,
) -> IndustryMatch:
    """Compare the region's ``families`` (family → publications, :func:`region_families`) mapped to NACE
    divisions through ``industries`` (``(publication_number, nace2 code, weight)`` rows of an indicator run)
    with the industry ``table``. ``labels`` name divisions the table does not (e.g. the concordance's)."""
    weights: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for number, code, weight in industries:
        division = nace_division(code)
        if division is not None and weight:
            weights[number][division] += float(weight)
    held: dict[str, float] = defaultdict(float)
    mapped = 0
    for numbers in families.values():
        members = [weights[n] for n in numbers if n in weights]
        if not members:
            continue
        mapped += 1
        for member in members:
            total = sum(member.values())
            for division, w in member.items():
                held[division] += w / total / len(members)
    industry = dict(table.values) if table else {}
    industry_total = sum(industry.values())
    names = dict(labels or {}) | dict(table.labels if table else {})
    rows = [
        MatchRow(
            division=d,
            label=names.get(d, ""),
            families=held.get(d, 0.0),
            patent_share=held.get(d, 0.0) / mapped if mapped else 0.0,
            value=industry.get(d, 0.0) if table else None,
            industry_share=industry.get(d, 0.0) / industry_total if table and industry_total else None,
        )
        for d in sorted(set(held) | set(industry))
    ]
    rows.sort(key=lambda r: (-r.patent_share, -(r.industry_share or 0.0), r.division))
    similarity = (
        sum(min(r.patent_share, r.industry_share or 0.0) for r in rows) if table is not None and mapped else None
    )
    return IndustryMatch(region.strip().upper(), len(families), mapped, tuple(rows), table, similarity)

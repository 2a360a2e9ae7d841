"""Patent intensity per industry: invention grants over a window of years per 10,000 employees, and which
industries are patent-intensive (domain.md §3.2: intensity above the employment-weighted mean AND grants above
the mean), when the user supplies employment figures per industry.

Grants count fractionally through the industry shares of an indicator run, so a patent in two industries adds
½ to each. The thresholds are those of the Chinese classification's method as far as it is known ([M]); the
official cut-offs are not published, so the flag is a screening aid, not the statistical classification.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from patnav.engine.base import Engine
from patnav.indicators.reference import ReferenceError
from patnav.indicators.results import StoredRun


@dataclass(frozen=True, slots=True)
class IndustryIntensity:
    """One industry: its grants in the window (fractional), employment, intensity and the two tests."""

    code: str
    label: str | None
    grants: float
    employment: float
    intensity: float | None
    above_intensity: bool
    above_grants: bool

    @property
    def patent_intensive(self) -> bool:
        return self.above_intensity and self.above_grants


@dataclass(frozen=True, slots=True)
class IntensityResult:
    scheme: str
    first_year: int
    last_year: int
    weighted_mean_intensity: float | None
    mean_grants: float
    rows: tuple[IndustryIntensity, ...]
    without_employment: tuple[str, ...]


def read_employment(path: Path) -> dict[str, float]:
    """Industry code → employment (persons) from a CSV/XLSX with columns ``industry`` and ``employment``."""
    from patnav.indicators.compute import read_user_table

    schema = pa.schema([("publication_number", pa.string()), ("employment", pa.float64())])
    # the user table reader keys rows by publication_number; here the key column is the industry code
    table = read_user_table(path, schema, what="employment", key="industry")
    out: dict[str, float] = {}
    for code, employment in zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True):
        if employment is None or employment < 0:
            raise ReferenceError(f"{path}: employment of industry {code} is missing or negative")
        out[str(code)] = float(employment)
    return out


def intensity(
    engine: Engine,
    run: StoredRun,
    employment: dict[str, float],
    *,
    scheme: str = "nace2",
    last_year: int,
    window: int = 5,
    lang: str = "en",
) -> IntensityResult:
    """Invention grants of ``last_year - window + 1 … last_year`` per 10,000 employees, per industry of ``scheme``."""
    if window < 1:
        raise ValueError("the window must be at least one year")
    first = last_year - window + 1
    engine.register("ind_industry", run.industries)
    rows = engine.rows(
        """SELECT s.code, sum(s.weight) AS grants
           FROM ind_industry s JOIN publications p ON p.publication_number = s.publication_number
           WHERE s.scheme = :scheme AND p.doc_type = 'invention' AND p.grant_date IS NOT NULL
             AND year(p.grant_date) BETWEEN :first AND :last
           GROUP BY s.code ORDER BY s.code""",
        {"scheme": scheme, "first": first, "last": last_year},
    )
    grants = {str(code): float(g) for code, g in rows}
    labels = run.manifest.get("labels", {}).get(scheme, {})
    codes = sorted(set(grants) | set(employment))
    with_emp = [c for c in codes if employment.get(c, 0) > 0]
    total_emp = sum(employment[c] for c in with_emp)
    weighted = sum(grants.get(c, 0.0) for c in with_emp) / (total_emp / 10_000) if total_emp else None
    mean_grants = sum(grants.get(c, 0.0) for c in with_emp) / len(with_emp) if with_emp else 0.0
    out = []
    for code in with_emp:
        g = grants.get(code, 0.0)
        value = g / (employment[code] / 10_000)
        names = labels.get(code, {})
        out.append(
            IndustryIntensity(
                code=code,
                label=names.get(lang) or names.get("en"),
                grants=g,
                employment=employment[code],
                intensity=value,
                above_intensity=weighted is not None and value > weighted,
                above_grants=g > mean_grants,
            )
        )
    out.sort(key=lambda r: (-(r.intensity or 0.0), r.code))
    missing = tuple(c for c in codes if c in grants and c not in with_emp)
    return IntensityResult(scheme, first, last_year, weighted, mean_grants, tuple(out), missing)

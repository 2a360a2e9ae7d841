"""The type-specific frame of a report (domain.md §4.4) and its conclusions: recommendations written from the
figures they rest on, each quoting them, so a reader can check every sentence against a chart or a table.

* industrial planning: direction – positioning – path;
* regional planning: competitiveness and match;
* business operation: benchmarking against named competitors;
* R&D: starting points and design-around candidates;
* talent: key inventors and teams.
"""

from __future__ import annotations

from typing import Any

from patnav.analysis.geography import Geography
from patnav.analysis.players import Players
from patnav.analysis.trends import Trends
from patnav.i18n import gettext
from patnav.navigation.project import Project
from patnav.navigation.sections import _pct
from patnav.report.model import Paragraph, Section, Table


def conclusions(
    project: Project,
    trends: Trends,
    players: Players,
    geo: Geography,
    quality: list[dict[str, Any]],
    lang: str,
    extra: dict[str, Any] | None = None,
) -> Section:
    """Conclusions and navigation recommendations for the project's type."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    extra = extra or {}
    lc = trends.life_cycle
    blocks: list[Any] = []
    rising = [a for a in players.top if a.trend == "rising"]
    high = sum(1 for r in quality if r.get("high_value"))
    in_force = sum(1 for r in quality if r.get("status") == "in_force")
    stage = g(lc.stage)
    growth = None
    if lc.recent and lc.previous and lc.previous.applications:
        growth = lc.recent.applications / lc.previous.applications - 1
    region = project.region
    mine = next((c for c in geo.applicant_countries if region and c.country == region), None)

    if project.type in ("industry", "regional"):
        head = g("Direction") if project.type == "industry" else g("Competitiveness")
        blocks.append(
            Paragraph(
                f"{head}: "
                + g(
                    "the technology is in its {stage} stage; applications changed by {growth} between the last two "
                    "five-year windows, and {n} of the top applicants are filing more than before."
                ).format(stage=stage, growth=_pct(growth), n=len(rising))
            )
        )
        if region:
            blocks.append(
                Paragraph(
                    (g("Positioning") if project.type == "industry" else g("Match"))
                    + ": "
                    + g(
                        "applicants from {region} hold {families} families ({share} of those naming a country)."
                    ).format(
                        region=region,
                        families=mine.families if mine else 0,
                        share=_pct(mine.family_share if mine else 0.0),
                    )
                )
            )
        leaders = ", ".join(a.name for a in players.top[:3])
        newcomers = ", ".join(a.name for a in players.new_entrants[:3]) or "—"
        blocks.append(
            Paragraph(
                g("Path")
                + ": "
                + g(
                    "cooperate with or attract the leading holders ({leaders}); watch the new entrants ({newcomers}); "
                    "build high-value portfolios ({high} of {in_force} patents in force in the set are high-value)."
                ).format(leaders=leaders, newcomers=newcomers, high=high, in_force=in_force)
            )
        )
    elif project.type == "enterprise":
        rows = extra.get("benchmark", [])
        if rows:
            blocks.append(
                Table(
                    [g("enterprise"), g("families"), g("share"), g("trend"), g("high-value (in force)")],
                    rows,
                    caption=g("Benchmark against the named competitors"),
                    source="patnav.analysis.players",
                )
            )
        blocks.append(
            Paragraph(
                g(
                    "Benchmark: the field is {level} (CR4 {cr4}); compare the client's families, trend and high-value "
                    "count with the competitors above before deciding where to file, license or acquire."
                ).format(
                    level=g("concentrated") if players.concentration.cr4 >= 0.4 else g("fragmented"),
                    cr4=_pct(players.concentration.cr4),
                )
            )
        )
    elif project.type == "rnd":
        starts = extra.get("starting_points", [])
        if starts:
            blocks.append(
                Table(
                    [g("publication"), g("title"), g("applicant"), g("similarity")],
                    starts,
                    caption=g("Nearest patents to the proposal (R&D starting points)"),
                    source="patnav.search.Searcher.similar",
                )
            )
        blocks.append(
            Paragraph(
                g(
                    "Start from the nearest patents above: read their claims for design-around room, and prefer "
                    "directions where applications are rising but few applicants file (stage: {stage})."
                ).format(stage=stage)
            )
        )
    elif project.type == "talent":
        inventors = extra.get("inventors", [])
        if inventors:
            blocks.append(
                Table(
                    [g("inventor"), g("families"), g("applicants"), g("years")],
                    inventors,
                    caption=g("Key inventors"),
                    source="parties (role inventor)",
                )
            )
        blocks.append(
            Paragraph(
                g(
                    "Evaluate candidates by their families in this field, how recent they are and whom they filed for; "
                    "inventor names are harmonised but not disambiguated, so check homonyms."
                )
            )
        )
    return Section("conclusions", g("Conclusions and recommendations"), blocks)

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
from patnav.navigation.type_sections import BenchmarkRow, StartingPlace, crowding_level, match_sentence
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
            match = extra.get("match")
            structure = ""
            if match is not None and match.table is not None and match.mapped:
                structure = " " + match_sentence(match, lang)
            elif project.type == "regional":
                structure = " " + g(
                    "The match with the region's industry structure needs an industry table (see above)."
                )
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
                    + (structure if project.type == "regional" else ""),
                    figures={"similarity": match.similarity} if match is not None else {},
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
        blocks += _benchmark_conclusions(extra.get("benchmark", []), players, lang)
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
        place = extra.get("starting_place")
        if place is not None:
            blocks.append(_place_conclusion(place, lang))
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


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _families(row: BenchmarkRow) -> int:
    return row.applicant.families if row.applicant else 0


def _benchmark_conclusions(rows: list[BenchmarkRow], players: Players, lang: str) -> list[Any]:
    """What the benchmark says, quoting its figures: each party's families, share, trend and quality, who leads
    on size and on citations, and where the enterprise trails."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    trend = {"rising": g("rising"), "flat": g("flat"), "falling": g("falling")}
    out: list[Any] = []
    found = [r for r in rows if r.applicant is not None]
    for r in found:
        a = r.applicant
        if a is None:
            continue
        out.append(
            Paragraph(
                g(
                    "{name}: {families} families ({share} of the field), {previous} → {recent} in the last two "
                    "windows ({trend}); mean forward citations {cits}, mean family size {family}, mean claims "
                    "{claims}; {hv} high-value patents ({hv_share} of those in force)."
                ).format(
                    name=r.name,
                    families=a.families,
                    share=_pct(a.market_share),
                    previous=a.previous,
                    recent=a.recent,
                    trend=trend.get(a.trend, a.trend),
                    cits=_mean(r.means.get("fwd_cits5")),
                    family=_mean(r.means.get("family_size")),
                    claims=_mean(r.means.get("claims")),
                    hv=r.high_value,
                    hv_share=_pct(r.high_value_share),
                ),
                figures={"families": a.families, "share": a.market_share, "fwd_cits5": r.means.get("fwd_cits5")},
            )
        )
    client = next((r for r in found if r.role == "client"), None)
    if len(found) >= 2:
        biggest = max(found, key=lambda r: (_families(r), r.name))
        cited = [r for r in found if (r.means.get("fwd_cits5") or 0.0) > 0]
        best = max(cited, key=lambda r: (r.means["fwd_cits5"] or 0.0, r.name)) if cited else None
        text = g("{name} leads on size ({families} families).").format(name=biggest.name, families=_families(biggest))
        if best is not None:
            text += " " + g("{name} leads on citations ({cits} forward citations per patent).").format(
                name=best.name, cits=_mean(best.means["fwd_cits5"])
            )
        if client is not None and client is not biggest:
            gap = _families(biggest) - _families(client)
            text += " " + g(
                "The enterprise trails the largest competitor by {gap} families: file where the competitors' "
                "families are rising and yours are not, or license and acquire there."
            ).format(gap=gap)
        out.append(Paragraph(g("Benchmark") + ": " + text))
    out.append(
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
    return out


def _place_conclusion(place: StartingPlace, lang: str) -> Paragraph:
    """The R&D recommendation from where the proposal lands on the map, quoting the topic and the crowding."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    start, crowd, land = place.start, place.crowd, place.landscape
    home = land.cluster(start.cluster)
    level = crowding_level(crowd)
    text = g(
        "On the landscape map the proposal falls in “{label}” ({applicants} applicants, {previous} → {recent} "
        "families in the last two windows); {within} patents lie around it against a usual {typical}: the area is "
        "{level}."
    ).format(
        label=home.label,
        applicants=home.applicants,
        previous=home.previous,
        recent=home.recent,
        within=crowd.within,
        typical=f"{crowd.typical:,.0f}",
        level=g(level),
    )
    if place.white_space_topics:
        text += " " + g("It touches white space (rising, few players): {topics}.").format(
            topics="; ".join(land.cluster(c).label for c in place.white_space_topics)
        )
    if level == "crowded":
        text += " " + g(
            "Read the claims of the nearest patents for design-around room before committing, and look at the "
            "neighbouring topics for a less crowded route."
        )
    elif level == "sparse":
        text += " " + g(
            "Few patents are near: there is room to file early, but check why the area is empty (feasibility, "
            "market) before committing."
        )
    return Paragraph(text, figures={"cluster": home.label, "within": crowd.within, "typical": crowd.typical})

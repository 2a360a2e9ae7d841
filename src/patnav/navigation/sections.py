"""Report sections built from the analyses: each function turns one analysis result into a titled section of
text (in the report's language, quoting its figures), tables and Vega-Lite charts with the data behind them.

Fixed text goes through ``gettext(…, lang)``; data (names, titles) stays as written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from patnav.analysis.geography import Geography
from patnav.analysis.networks import MAX_NODES, NetworkDrawing, network_drawing
from patnav.analysis.players import Players
from patnav.analysis.trends import Trends
from patnav.i18n import N_, gettext
from patnav.navigation.patent_set import SetBuild
from patnav.navigation.project import Project
from patnav.report.model import Chart, KeyFigures, Note, Paragraph, Section, Table

BASIS_LABEL = {
    "priority": "priority year",
    "filing": "filing year",
    "publication": "publication year",
    "grant": "grant year",
}


def families_per_year_spec(
    data: list[dict[str, Any]], series: str, tooltip: Sequence[str], lang: str, *, height: int
) -> dict[str, Any]:
    """A line per ``series`` value of families by year, dashed where the year is incomplete (``complete``)."""
    return {
        "data": {"values": data},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": gettext("year", lang)},
            "y": {"field": "families", "type": "quantitative", "title": gettext("families", lang)},
            "color": {"field": series, "type": "nominal", "title": ""},
            "strokeDash": {"field": "complete", "type": "nominal", "title": ""},
            "tooltip": [{"field": f} for f in tooltip],
        },
        "height": height,
    }


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def overview(project: Project, build: SetBuild, as_of: Any, lang: str) -> Section:
    """Project overview (GB/T 39551 workflow step 1): client, type, question, scope, cut-off."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    type_names = {
        "regional": gettext("Regional planning", lang),
        "industry": gettext("Industrial planning", lang),
        "enterprise": gettext("Business operation", lang),
        "rnd": gettext("R&D activities", lang),
        "talent": gettext("Talent management", lang),
    }
    rows = [
        [g("Navigation type"), f"{type_names[project.type]} (GB/T 39551)"],
        [g("Client"), project.client or "—"],
        [g("Decision question"), project.question or "—"],
        [g("Patent set"), project.query or g("seed patents")],
        [g("Region"), project.region or "—"],
        [g("Data cut-off"), str(as_of)],
    ]
    figures = KeyFigures(
        [
            (g("publications in the set"), f"{len(build.patent_set.numbers or ()):,}"),
            (g("recall (seeds found by the query)"), _pct(build.recall)),
            (g("precision (hand-checked sample)"), _pct(build.precision)),
        ]
    )
    return Section("overview", g("Project overview"), [Table([g("item"), g("value")], rows), figures])


def methods(project: Project, build: SetBuild, provenance: dict[str, Any], lang: str) -> Section:
    """Data and methods: how the set was built, what it holds, how sure the figures are."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    step_names = {
        "query": g("search query"),
        "seeds": g("seed patents added"),
        "family": g("expanded by family"),
        "citations": g("expanded by citations (one hop)"),
        "ipc": g("expanded by over-represented IPC groups"),
        "noise": g("semantic noise removed"),
    }
    blocks: list[Any] = [
        Paragraph(
            g(
                "The patent set was built in the steps below from the loaded corpus; every later figure counts "
                "this set. Families are counted where the domain counts inventions."
            )
        ),
        Table(
            [g("step"), g("publications after it")],
            [[step_names.get(s, s), n] for s, n in build.steps],
            caption=g("Building the patent set"),
            source=f"query: {project.query or '—'}; seeds: {len(project.seeds)}; "
            f"expand: {', '.join(project.expand) or '—'}",
        ),
    ]
    if build.over_represented:
        blocks.append(
            Paragraph(g("Over-represented IPC main groups among the seeds") + ": " + ", ".join(build.over_represented))
        )
    blocks += _noise_blocks(build, g)
    if build.recall is None:
        blocks.append(
            Note(g("Recall was not estimated: give seed patents known to be relevant together with the query."))
        )
    else:
        blocks.append(
            Paragraph(
                g("Recall estimate: the query retrieves {found} of {total} seed patents ({share}).").format(
                    found=round(build.recall * build.seeds_found), total=build.seeds_found, share=_pct(build.recall)
                )
            )
        )
    if build.precision is None:
        blocks.append(
            Note(g("Precision was not estimated: give a hand-checked sample file (publication_number,relevant)."))
        )
    else:
        blocks.append(
            Paragraph(
                g("Precision estimate from a hand-checked sample of {n}: {share}.").format(
                    n=build.precision_sample, share=_pct(build.precision)
                )
            )
        )
    if build.unparsed_seeds:
        blocks.append(Note(g("Seed numbers that could not be read") + ": " + ", ".join(build.unparsed_seeds)))
    rows = [[k, str(v)] for k, v in provenance.items()]
    blocks.append(Table([g("item"), g("value")], rows, caption=g("Data sources, rules and reference tables")))
    return Section("methods", g("Data and methods"), blocks)


def _noise_blocks(build: SetBuild, g: Any) -> list[Any]:
    """What semantic noise removal did (``denoise`` in the project), with the removed publications."""
    if build.noise_note:
        return [Note(g("Semantic noise removal could not run") + f": {build.noise_note}")]
    noise = build.noise
    if noise is None:
        return []
    space = g("stored embeddings ({model})").format(model=noise.model) if noise.space == "stored" else g("TF-IDF")
    text = g(
        "Semantic noise removal: {n} of {checked} publications were removed because their similarity to the centre "
        "of the set's core ({core} publications) was below {threshold} (the core's median {median} minus {k} robust "
        "deviations), in the space of {space}. Seed patents are never removed."
    ).format(
        n=len(noise.removed),
        checked=noise.checked,
        core=noise.core_size,
        threshold=f"{noise.threshold:.3f}",
        median=f"{noise.median:.3f}",
        k=f"{noise.k:g}",
        space=space,
    )
    blocks: list[Any] = [Paragraph(text)]
    if noise.removed:
        blocks.append(
            Table(
                [g("publication"), g("similarity to the core")],
                [[n, round(sim, 3)] for n, sim in noise.removed],
                caption=g("Publications removed as semantic noise"),
            )
        )
    return blocks


def trends_section(trends: Trends, lang: str) -> Section:
    """Filings per year by several dates, truncation marked, and the life-cycle stage."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    data = []
    for series in trends.series:
        for y in series.years:
            data.append(
                {
                    "year": y.year,
                    "basis": g(BASIS_LABEL[series.basis]),
                    "families": y.families,
                    "documents": y.documents,
                    "complete": g("incomplete") if y.truncated else g("complete"),
                }
            )
    chart = Chart(
        spec=families_per_year_spec(
            data, "basis", ("basis", "year", "families", "documents", "complete"), lang, height=260
        ),
        caption=g("Families per year by priority, filing, publication and grant year"),
        source="patnav.analysis.trends.year_series",
        data=data,
    )
    lc = trends.life_cycle
    points = [
        {"year": p.year, "applications": p.applications, "applicants": p.applicants, "complete": not p.truncated}
        for p in lc.points
        if p.applications or p.applicants
    ]
    life = Chart(
        spec={
            "data": {"values": points},
            "layer": [
                {
                    "mark": {"type": "line", "point": True},
                    "encoding": {
                        "x": {"field": "applicants", "type": "quantitative", "title": g("applicants")},
                        "y": {"field": "applications", "type": "quantitative", "title": g("applications")},
                        "order": {"field": "year"},
                        "tooltip": [{"field": "year"}, {"field": "applicants"}, {"field": "applications"}],
                    },
                },
                {
                    "mark": {"type": "text", "dx": 12, "dy": -6, "fontSize": 9},
                    "encoding": {
                        "x": {"field": "applicants", "type": "quantitative"},
                        "y": {"field": "applications", "type": "quantitative"},
                        "text": {"field": "year"},
                    },
                },
            ],
            "height": 260,
        },
        caption=g("Technology life cycle: applicants against applications per year"),
        source=f"patnav.analysis.trends.life_cycle (basis {lc.basis})",
        data=points,
    )
    stage_text = {
        "emerging": g("emerging"),
        "growth": g("growth"),
        "maturity": g("maturity"),
        "decline": g("decline"),
        "undetermined": g("undetermined"),
    }[lc.stage]
    blocks: list[Any] = [chart]
    if lc.recent and lc.previous:
        blocks.append(
            Paragraph(
                g(
                    "Life-cycle stage: {stage}. In {r0}–{r1} there were {ra} applications from {rp} applicants, "
                    "against {pa} from {pp} in {p0}–{p1}."
                ).format(
                    stage=stage_text,
                    r0=lc.recent.first_year,
                    r1=lc.recent.last_year,
                    ra=lc.recent.applications,
                    rp=lc.recent.applicants,
                    pa=lc.previous.applications,
                    pp=lc.previous.applicants,
                    p0=lc.previous.first_year,
                    p1=lc.previous.last_year,
                ),
                figures={"stage": lc.stage},
            )
        )
    blocks.append(life)
    last = {s.basis: s.last_complete_year for s in trends.series}
    blocks.append(
        Note(
            g(
                "Years after {year} (by priority date) are incomplete: applications publish about {months} months "
                "after their priority date, so recent counts will still grow."
            ).format(year=last.get("priority"), months=trends.publication_delay_months)
        )
    )
    return Section("trends", g("Trends and life cycle"), blocks)


def players_section(players: Players, lang: str, high_value: dict[str, int] | None = None) -> Section:
    """Top applicants, their kind and trend, concentration overall and by period, new entrants, and the
    co-applicant network drawn (its strongest part)."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    trend = {"rising": g("rising"), "flat": g("flat"), "falling": g("falling")}
    kind = lambda k: g(k)  # noqa: E731
    rows = []
    data = []
    for a in players.top:
        hv = (high_value or {}).get(a.name)
        rows.append(
            [
                a.name,
                kind(a.kind),
                a.families,
                a.documents,
                _pct(a.market_share),
                a.first_year,
                a.last_year,
                trend.get(a.trend, a.trend),
                hv if high_value is not None else "—",
            ]
        )
        data.append({"applicant": a.name, "kind": kind(a.kind), "families": a.families, "share": a.market_share})
    chart = Chart(
        spec={
            "data": {"values": data},
            "mark": "bar",
            "encoding": {
                "y": {"field": "applicant", "type": "nominal", "sort": "-x", "title": ""},
                "x": {"field": "families", "type": "quantitative", "title": g("families")},
                "color": {"field": "kind", "type": "nominal", "title": g("kind of party")},
                "tooltip": [{"field": "applicant"}, {"field": "families"}, {"field": "share", "format": ".1%"}],
            },
        },
        caption=g("Top applicants by families"),
        source=f"patnav.analysis.players.players (basis {players.basis})",
        data=data,
    )
    c = players.concentration
    table = Table(
        [
            g("applicant"),
            g("kind of party"),
            g("families"),
            g("documents"),
            g("share"),
            g("first year"),
            g("last year"),
            g("trend"),
            g("high-value (in force)"),
        ],
        rows,
        caption=g("Top applicants"),
        source="patnav.analysis.players.players",
    )
    period_rows = [
        [
            f"{p.first_year}–{p.last_year}" + (" *" if p.truncated else ""),
            p.concentration.holders,
            round(p.concentration.cr4, 3),
            round(p.concentration.cr8, 3),
            round(p.concentration.hhi_points),
            round(p.concentration.gini, 3),
        ]
        for p in players.by_period
    ]
    blocks: list[Any] = [
        KeyFigures(
            [
                (g("applicants"), f"{players.applicants:,}"),
                (g("families"), f"{players.families:,}"),
                ("CR4", _pct(c.cr4)),
                ("CR8", _pct(c.cr8)),
                ("HHI", f"{c.hhi_points:,.0f}"),
                ("Gini", f"{c.gini:.2f}"),
                (g("new entrants"), f"{players.new_entrant_count:,}"),
            ]
        ),
        chart,
        table,
        Paragraph(
            g(
                "The four largest applicants hold {cr4} of the families and the eight largest {cr8}; the HHI of "
                "{hhi:.0f} (0–10,000) means the field is {level}."
            ).format(cr4=_pct(c.cr4), cr8=_pct(c.cr8), hhi=c.hhi_points, level=_hhi_level(c.hhi_points, lang)),
            figures={"cr4": c.cr4, "cr8": c.cr8, "hhi": c.hhi_points},
        ),
        Table(
            [g("period"), g("applicants"), "CR4", "CR8", "HHI", "Gini"],
            period_rows,
            caption=g("Concentration by period (* incomplete)"),
            source="patnav.analysis.players.players by_period",
        ),
    ]
    if players.new_entrants:
        blocks.append(
            Table(
                [g("new entrant"), g("families"), g("first year")],
                [[a.name, a.families, a.first_year] for a in players.new_entrants[:15]],
                caption=g("New entrants (first family in {a}–{b})").format(
                    a=players.recent_window[0], b=players.recent_window[1]
                ),
            )
        )
    blocks += co_applicant_blocks(players, lang)
    return Section("players", g("Players"), blocks)


def _network_note(drawing: NetworkDrawing, whole: str, part: str) -> Note:
    """The chart's note: what part of the network it shows (``whole`` and ``part`` are translated templates)."""
    if drawing.whole:
        text = whole.format(nodes=f"{drawing.total_nodes:,}", links=f"{drawing.total_edges:,}")
    else:
        text = part.format(
            shown=f"{len(drawing.nodes):,}",
            total=f"{drawing.total_nodes:,}",
            links=f"{len(drawing.edges):,}",
            all_links=f"{drawing.total_edges:,}",
        )
    return Note(text)


@dataclass(frozen=True, slots=True)
class _NetworkWords:
    """The words of one kind of party network (msgids: the data columns are these English words, the chart's
    labels their translation), its caption, notes and source template."""

    name: str
    partner: str
    group: str
    degree: str
    strength: str
    empty: str
    caption: str
    whole: str
    part: str
    source: str


_NETWORKS = {
    "applicant": _NetworkWords(
        name=N_("applicant"),
        partner=N_("co-applicant"),
        group=N_("kind of party"),
        degree=N_("co-applicants"),
        strength=N_("families shared with co-applicants"),
        empty=N_("No two applicants of the set applied together: there is no co-applicant network."),
        caption=N_("Co-applicant network: applicants named together on one publication"),
        whole=N_(
            "The chart shows the whole co-applicant network: {nodes} applicants and {links} links. Circles are "
            "sized by families, lines by the families two applicants share; the largest applicants are labelled."
        ),
        part=N_(
            "The chart shows the strongest part of the co-applicant network: the {shown} of {total} applicants "
            "that share most families with co-applicants, and the {links} links among them ({all_links} links in "
            "all). Circles are sized by families, lines by the families two applicants share; the largest "
            "applicants are labelled."
        ),
        source="patnav.analysis.players.co_applicants (families shared per pair of applicants; the {shown} of "
        "{total} applicants with most families shared, and the links among them; networkx spring layout, seed "
        "{seed})",
    ),
    "inventor": _NetworkWords(
        name=N_("inventor"),
        partner=N_("co-inventor"),
        group=N_("team"),
        degree=N_("co-inventors"),
        strength=N_("families shared with co-inventors"),
        empty=N_("No two inventors of the set are named on one family: there is no co-inventor network."),
        caption=N_("Co-inventor network: inventors named together on one family, coloured by team"),
        whole=N_(
            "The chart shows the whole co-inventor network: {nodes} inventors and {links} links. Circles are sized "
            "by families and coloured by team (— : in no team listed), lines by the families two inventors share; "
            "the largest inventors are labelled."
        ),
        part=N_(
            "The chart shows the strongest part of the co-inventor network: the {shown} of {total} inventors that "
            "share most families with co-inventors, and the {links} links among them ({all_links} links in all). "
            "Circles are sized by families and coloured by team (— : in no team listed), lines by the families two "
            "inventors share; the largest inventors are labelled."
        ),
        source="patnav.analysis.talent.co_inventor_edges (families shared per pair of inventors; the {shown} of "
        "{total} inventors with most families shared, and the links among them; teams: Louvain communities; "
        "networkx spring layout, seed {seed})",
    ),
}


def network_blocks(
    kind: str,
    sizes: Mapping[str, int],
    edges: Sequence[tuple[str, str, int]],
    groups: Mapping[str, str],
    lang: str,
    *,
    group_order: Sequence[str] | None = None,
) -> list[Any]:
    """A network of parties (``kind``: ``applicant`` — co-applicants — or ``inventor`` — co-inventors) as a
    node-link chart: the strongest part, at most ``MAX_NODES`` nodes sized by families (``sizes``), coloured by
    ``groups`` (kind of party, team), lines as wide as the families two share (``edges``: ``(a, b, families)``);
    its note and its data; or one sentence when there is no edge. One builder for both networks, so they read
    and behave alike."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    words = _NETWORKS[kind]
    if not edges:
        return [Paragraph(g(words.empty))]
    drawing = network_drawing(
        sizes,
        edges,
        groups=groups,
        group_order=group_order,
        max_nodes=MAX_NODES,
        labels={
            "name": g(words.name),
            "size": g("families"),
            "strength": g(words.strength),
            "degree": g(words.degree),
            "group": g(words.group),
            "source": g(words.name),
            "target": g(words.partner),
            "weight": g("shared families"),
        },
    )
    data: list[dict[str, Any]] = [
        {words.name: n.name, words.group: n.group, "families": n.size, words.degree: n.degree,
         words.strength: n.strength}
        for n in drawing.nodes
    ]  # fmt: skip
    data += [{words.name: e.source, words.partner: e.target, "shared families": e.weight} for e in drawing.edges]
    chart = Chart(
        spec=drawing.spec,
        caption=g(words.caption),
        source=words.source.format(shown=len(drawing.nodes), total=drawing.total_nodes, seed=drawing.seed),
        data=data,
        height_hint=480,
    )
    return [chart, _network_note(drawing, g(words.whole), g(words.part))]


def co_applicant_blocks(players: Players, lang: str) -> list[Any]:
    """The co-applicant network of a :class:`Players` result (:func:`network_blocks`), coloured by kind of party."""
    nodes = players.co_applicant_nodes
    return network_blocks(
        "applicant",
        {a.name: a.families for a in nodes},
        [(e.source, e.target, e.families) for e in players.co_applicants],
        {a.name: gettext(a.kind, lang) for a in nodes},
        lang,
    )


def co_inventor_blocks(result: Any, lang: str) -> list[Any]:
    """The co-inventor network of a :class:`~patnav.analysis.talent.Talent` result (:func:`network_blocks`),
    coloured by team."""
    network = result.teams
    team = lambda t: gettext("team {rank}", lang).format(rank=t.rank)  # noqa: E731
    return network_blocks(
        "inventor",
        {i.name: i.families for i in network.inventors},
        [(e.source, e.target, e.families) for e in network.edges],
        {m: team(t) for t in network.teams for m in t.members},
        lang,
        group_order=[team(t) for t in network.teams],
    )


def _hhi_level(points: float, lang: str) -> str:
    # the US merger guidelines' bands (1,500 and 2,500), a common reading of HHI
    if points < 1500:
        return gettext("unconcentrated", lang)
    if points < 2500:
        return gettext("moderately concentrated", lang)
    return gettext("highly concentrated", lang)


def geography_section(geo: Geography, lang: str, region: str | None) -> Section:
    g = lambda m: gettext(m, lang)  # noqa: E731
    offices = [{"office": c.country, "families": c.families, "documents": c.documents} for c in geo.offices[:20]]
    origins = [{"country": c.country, "families": c.families} for c in geo.applicant_countries[:20]]
    flows = [{"from": f.applicant_country, "to": f.office, "families": f.families} for f in geo.flows[:80]]
    blocks: list[Any] = [
        Chart(
            spec={
                "data": {"values": offices},
                "mark": "bar",
                "encoding": {
                    "x": {"field": "office", "type": "nominal", "sort": "-y", "title": g("office")},
                    "y": {"field": "families", "type": "quantitative", "title": g("families")},
                    "tooltip": [{"field": "office"}, {"field": "families"}, {"field": "documents"}],
                },
                "height": 220,
            },
            caption=g("Families by patent office"),
            source="patnav.analysis.geography.geography offices",
            data=offices,
        )
    ]
    if flows:
        blocks.append(
            Chart(
                spec={
                    "data": {"values": flows},
                    "mark": "rect",
                    "encoding": {
                        "x": {"field": "to", "type": "nominal", "title": g("office")},
                        "y": {"field": "from", "type": "nominal", "title": g("applicant country")},
                        "color": {"field": "families", "type": "quantitative", "scale": {"scheme": "blues"}},
                        "tooltip": [{"field": "from"}, {"field": "to"}, {"field": "families"}],
                    },
                    "height": 240,
                },
                caption=g("Where applicants from each country file (families)"),
                source="patnav.analysis.geography.geography flows",
                data=flows,
            )
        )
    if origins:
        blocks.append(
            Table(
                [g("applicant country"), g("families"), g("share"), g("filed abroad")],
                [
                    [
                        c.country,
                        c.families,
                        _pct(c.family_share),
                        _pct(next((o.share_abroad for o in geo.overseas if o.country == c.country), None)),
                    ]
                    for c in geo.applicant_countries[:15]
                ],
                caption=g("Applicant countries and overseas layout"),
                source="patnav.analysis.geography.geography",
            )
        )
    known = geo.with_applicant_country_families
    if geo.families and known < geo.families:
        blocks.append(
            Note(
                g(
                    "Only {known} of {total} families name an applicant country; the rest are not counted by country."
                ).format(known=f"{known:,}", total=f"{geo.families:,}")
            )
        )
    if region:
        mine = next((c for c in geo.applicant_countries if c.country == region), None)
        rank = next((i for i, c in enumerate(geo.applicant_countries, 1) if c.country == region), None)
        blocks.append(
            Paragraph(
                g("{region}: {families} families, rank {rank} among applicant countries.").format(
                    region=region, families=mine.families if mine else 0, rank=rank or "—"
                )
            )
        )
    return Section("geography", g("Geography"), blocks)


def quality_section(rows: list[dict[str, Any]], manifest: dict[str, Any], lang: str, top: int) -> Section:
    """Legal status, OECD quality and CNIPA high-value patents of the set, from an indicator run."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    status = Counter(r["status"] or "unknown" for r in rows)
    status_data = [{"status": g(k), "publications": v} for k, v in status.most_common()]
    hv_cols = [c for c in ("hv_sei", "hv_overseas", "hv_maintenance", "hv_pledge", "hv_award") if rows and c in rows[0]]
    hv_names = {
        "hv_sei": g("strategic emerging industry"),
        "hv_overseas": g("granted family member abroad"),
        "hv_maintenance": g("maintained more than 10 years"),
        "hv_pledge": g("high pledge amount"),
        "hv_award": g("award"),
    }
    hv_data = [{"category": hv_names[c], "patents": sum(1 for r in rows if r.get(c))} for c in hv_cols]
    high = [r for r in rows if r.get("high_value")]
    with_qi = [r for r in rows if r.get("quality_index_4") is not None]
    blocks: list[Any] = [
        KeyFigures(
            [
                (g("in force"), f"{status.get('in_force', 0):,}"),
                (g("high-value invention patents (in force)"), f"{len(high):,}"),
                (g("with quality_index_4"), f"{len(with_qi):,}"),
                (g("status estimated from the term"), f"{sum(1 for r in rows if r.get('status_estimated')):,}"),
            ]
        ),
        Chart(
            spec={
                "data": {"values": status_data},
                "mark": "arc",
                "encoding": {
                    "theta": {"field": "publications", "type": "quantitative"},
                    "color": {"field": "status", "type": "nominal", "title": g("status")},
                    "tooltip": [{"field": "status"}, {"field": "publications"}],
                },
                "height": 220,
            },
            caption=g("Legal status on the cut-off date"),
            source="patnav.indicators (status)",
            data=status_data,
        ),
        Chart(
            spec={
                "data": {"values": hv_data},
                "mark": "bar",
                "encoding": {
                    "y": {"field": "category", "type": "nominal", "title": ""},
                    "x": {"field": "patents", "type": "quantitative", "title": g("patents")},
                    "tooltip": [{"field": "category"}, {"field": "patents"}],
                },
                "height": 150,
            },
            caption=g("High-value categories met (a patent may meet several)"),
            source="patnav.indicators (hv_*)",
            data=hv_data,
        ),
    ]
    ranked = sorted(
        high, key=lambda r: (-(r.get("quality_index_4") or 0), -(r.get("fwd_cits5") or 0), r["publication_number"])
    )
    if ranked:
        blocks.append(
            Table(
                [g("publication"), g("categories"), "quality_index_4", "fwd_cits5", g("family size"), g("status")],
                [
                    [
                        r["publication_number"],
                        ", ".join(hv_names[c] for c in hv_cols if r.get(c)),
                        r.get("quality_index_4"),
                        r.get("fwd_cits5"),
                        r.get("family_size"),
                        g(r["status"]) + (" *" if r.get("status_estimated") else ""),
                    ]
                    for r in ranked[:top]
                ],
                caption=g("High-value patents (* status estimated from the statutory term)"),
                source="patnav.indicators",
            )
        )
    rules = ", ".join(sorted(set(manifest.get("rules", {}).values())))
    blocks.append(Note(g("Rules used") + f": {rules}"))
    for label in manifest.get("placeholders", []):
        blocks.append(Note(g("Placeholder table used (replace it with the official table)") + f": {label}"))
    return Section("quality", g("Patent quality and high-value patents"), blocks)


def limitations(caveats: list[str], lang: str) -> Section:
    g = lambda m: gettext(m, lang)  # noqa: E731
    blocks: list[Any] = [
        Paragraph(
            g(
                "This report counts what the loaded data holds: patents outside it, later legal events and "
                "citations not yet made are not seen. Figures marked as estimates, placeholders or incomplete "
                "years must be read with that in mind. Infringement-related findings are screening, not a legal "
                "opinion."
            )
        )
    ]
    blocks += [Note(gettext(c, lang)) for c in dict.fromkeys(caveats)]
    return Section("limitations", g("Risks and limitations"), blocks)


def citations_section(network: Any, lang: str, top: int) -> Section:
    """Core patents (family-collapsed citation centrality within the set) and the main path of development."""
    from patnav.analysis.citations import main_path_spec

    g = lambda m: gettext(m, lang)  # noqa: E731
    graph = network.graph
    blocks: list[Any] = [
        KeyFigures(
            [
                (g("families"), f"{graph.families:,}"),
                (g("citation links within the set"), f"{len(graph.edges):,}"),
                (g("families on the main path"), f"{len(network.main_path.global_path):,}"),
            ]
        )
    ]
    if not graph.edges:
        blocks.append(Note(g("No patent of the set cites another patent of the set: no core patents or main path.")))
        return Section("citations", g("Citation network and core patents"), blocks)
    blocks.append(
        Table(
            [g("rank"), g("publication"), g("title"), g("applicant"), g("year"), g("cited by (families)"), "PageRank"],
            [[c.rank, c.representative, c.title, c.applicant, c.year, c.in_degree, round(c.pagerank, 4)]
             for c in network.core[:top]],
            caption=g("Core patents: most cited within the set (families)"),
            source="patnav.analysis.citations.core_patents (in-degree and PageRank on the family graph)",
        )
    )  # fmt: skip
    labels = {k: g(k) for k in ("year", "depth", "family", "representative", "title", "applicant", "cited", "citing")}
    spec = main_path_spec(graph, network.main_path, labels=labels)
    blocks.append(
        Chart(
            spec=spec,
            caption=g("Main path of technology development (key-route search path count)"),
            source="patnav.analysis.citations.main_path (SPC, Liu & Lu 2012)",
            data=[{"cited": e.cited, "citing": e.citing, "spc": e.spc} for e in network.main_path.key_route_edges],
        )
    )
    return Section("citations", g("Citation network and core patents"), blocks)


def talent_section(result: Any, lang: str, top: int) -> Section:
    """Key inventors, co-inventor teams and the co-inventor network drawn, and inventors who moved between
    applicants."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    blocks: list[Any] = [
        KeyFigures(
            [
                (g("inventors"), f"{result.inventors:,}"),
                (g("teams"), f"{result.teams.team_count:,}"),
                (g("inventors who moved"), f"{len(result.mobile):,}"),
            ]
        ),
        Table(
            [g("inventor"), g("families"), g("first year"), g("last year"), g("applicants"), g("co-inventors")],
            [[i.name, i.families, i.first_year, i.last_year, "; ".join(i.applicants[:3]), i.co_inventors]
             for i in result.top[:top]],
            caption=g("Key inventors"),
            source="patnav.analysis.talent.key_inventors",
        ),
    ]  # fmt: skip
    if result.teams.teams:
        blocks.append(
            Table(
                [g("team"), g("members"), g("families"), g("main applicant"), g("years")],
                [[t.rank, ", ".join(t.members[:6]) + (" …" if len(t.members) > 6 else ""), t.families,
                  t.main_applicant, f"{t.first_year}–{t.last_year}"] for t in result.teams.teams[:10]],
                caption=g("R&D teams (co-inventor communities)"),
                source="patnav.analysis.talent.teams (Louvain modularity communities)",
            )
        )  # fmt: skip
    blocks += co_inventor_blocks(result, lang)
    moves = result.moves[:15]
    if moves:
        blocks.append(
            Table(
                [g("inventor"), g("from"), g("to"), g("year")],
                [[m.inventor, m.from_applicant, m.to_applicant, m.year] for m in moves],
                caption=g("Inventor mobility between applicants"),
                source="patnav.analysis.talent.mobility",
            )
        )
    blocks.append(
        Note(g("Inventor names are harmonised but not disambiguated: two people with one name count as one."))
    )
    return Section("talent", g("Talent: inventors and teams"), blocks)


def technology_section(tech: Any, matrix: Any, lang: str, labels: dict[str, str]) -> Section:
    """Technology composition (IPC, WIPO fields, co-occurring classes) and the technology–effect matrix."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    trend = {"rising": g("rising"), "flat": g("flat"), "falling": g("falling")}
    blocks: list[Any] = []
    sub = next((d for d in tech.ipc if d.level == "subclass"), None)
    if sub and sub.top:
        data = [{"code": c.code, "families": c.families, "trend": trend.get(c.trend, c.trend)} for c in sub.top[:20]]
        blocks.append(
            Chart(
                spec={
                    "data": {"values": data},
                    "mark": "bar",
                    "encoding": {
                        "y": {"field": "code", "type": "nominal", "sort": "-x", "title": "IPC"},
                        "x": {"field": "families", "type": "quantitative", "title": g("families")},
                        "color": {"field": "trend", "type": "nominal", "title": g("trend")},
                        "tooltip": [{"field": "code"}, {"field": "families"}, {"field": "trend"}],
                    },
                },
                caption=g("IPC subclasses by families, with their trend"),
                source="patnav.analysis.technology.technology (IPC subclass)",
                data=data,
            )
        )
    if tech.fields:
        blocks.append(
            Table(
                [g("technology field"), g("sector"), g("families"), g("share"), g("trend")],
                [[f"{f.field} {labels.get(str(f.field), '')}".strip(), f.sector, f.families, _pct(f.family_share),
                  trend.get(f.trend, f.trend)] for f in tech.fields[:15]],
                caption=g("WIPO technology fields (main IPC symbol)"),
                source=f"patnav.analysis.technology.technology (fields from {tech.fields_source})",
            )
        )  # fmt: skip
    if tech.co_occurrence:
        blocks.append(
            Table(
                [g("class"), g("class"), g("families"), g("cosine")],
                [[p.source, p.target, p.families, round(p.cosine, 3)] for p in tech.co_occurrence[:12]],
                caption=g("IPC subclasses that occur together"),
                source="patnav.analysis.technology.co_occurrence",
            )
        )
    if tech.unclassified_documents:
        blocks.append(
            Note(
                g("{n} of {total} publications carry no IPC or CPC symbol and are not in the figures above.").format(
                    n=f"{tech.unclassified_documents:,}", total=f"{tech.documents:,}"
                )
            )
        )
    if matrix is not None and matrix.cells:
        cells = [{"technology": c.technology, "effect": g(c.effect), "families": c.families,
                  "evidence": "; ".join(e.phrase for e in c.evidence)} for c in matrix.cells]  # fmt: skip
        blocks.append(
            Chart(
                spec={
                    "data": {"values": cells},
                    "mark": "rect",
                    "encoding": {
                        "x": {"field": "effect", "type": "nominal", "title": g("effect")},
                        "y": {"field": "technology", "type": "nominal", "title": g("technology")},
                        "color": {"field": "families", "type": "quantitative", "scale": {"scheme": "greens"}},
                        "tooltip": [{"field": "technology"}, {"field": "effect"}, {"field": "families"},
                                    {"field": "evidence"}],
                    },
                },
                caption=g("Technology–effect matrix (families; effects as the abstracts state them)"),
                source=f"patnav.analysis.effects.effect_matrix (lexicon {matrix.lexicon})",
                data=cells,
            )
        )  # fmt: skip
        blocks.append(
            Paragraph(
                g("{n} of {total} families state an effect in their abstract or first claim.").format(
                    n=f"{matrix.families_with_effect:,}", total=f"{matrix.families:,}"
                )
            )
        )
        if matrix.white_space:
            blocks.append(
                Paragraph(
                    g("Empty cells in rows that state effects (possible white space)")
                    + ": "
                    + "; ".join(f"{t} × {g(e)}" for t, e in matrix.white_space[:12])
                )
            )
    return Section("technology", g("Technology composition and effects"), blocks)


def screening_section(result: Any, lang: str) -> Section:
    """Infringement-risk screening of the proposal: in-force patents of others closest to it, with the claims to
    read first. Screening only: the section says it is not a legal opinion."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    rows = []
    for h in result.hits:
        claims = "; ".join(f"{c.number}: {', '.join(c.matched_terms[:6])}" for c in h.claims)
        rows.append([h.rank, h.publication_number, h.title, ", ".join(h.applicants[:2]), round(h.similarity, 3),
                     g(h.status or "unknown") + (" *" if h.status_estimated else ""), claims])  # fmt: skip
    blocks: list[Any] = [
        Note(g("Screening, not a legal opinion: have a patent attorney read the claims before relying on it.")),
        Table(
            [g("rank"), g("publication"), g("title"), g("applicant"), g("similarity"), g("status"),
             g("claims to read (matched terms)")],
            rows,
            caption=g("Patents of others closest to the proposal (* status estimated)"),
            source="patnav.analysis.screening.screen",
        ),
    ]  # fmt: skip
    if not rows:
        blocks.append(Paragraph(g("No in-force patent of another party is close to the proposal in the loaded data.")))
    return Section("screening", g("Infringement-risk screening"), blocks)


def landscape_section(result: Any, gaps: Any, lang: str, proposal: Any = None) -> Section:
    """The landscape map (every patent of the set as a point on a semantic terrain, peaks labelled), its topic
    clusters and the white-space candidates; with ``proposal`` (an R&D project's
    :class:`~patnav.analysis.landscape.StartingPoint`) the proposal is marked on the map."""
    from patnav.analysis.landscape import landscape_chart

    g = lambda m: gettext(m, lang)  # noqa: E731
    trend = {"rising": g("rising"), "flat": g("flat"), "falling": g("falling")}
    words = {k: g(k) for k in ("applicant", "year", "cluster", "title")} | {
        "all": g("all"),
        "publication_number": g("publication"),
        "proposal": g("proposal"),
    }
    spec = landscape_chart(result, labels=words, proposal=proposal)
    blocks: list[Any] = [
        Chart(
            spec=spec,
            caption=g("Landscape map: each point a patent, terrain the density of patents, peaks labelled by topic")
            + (" " + g("The red diamond marks the proposal.") if proposal is not None else ""),
            source=f"patnav.analysis.landscape (vectors: {result.vectors.source}, {result.vectors.reason}; "
            f"UMAP; KDE terrain)",
            data=[{"publication_number": p.publication_number, "x": round(p.x, 4), "y": round(p.y, 4),
                   "cluster": p.cluster, "applicant": p.applicant, "year": p.year, "title": p.title}
                  for p in result.points],
            height_hint=560,
        ),
        Table(
            [g("topic"), g("documents"), g("families"), g("top applicants"), g("median year"), g("trend")],
            [[c.label, c.documents, c.families, ", ".join(a.name for a in c.top_applicants[:3]), c.median_year,
              trend.get(c.trend, c.trend)] for c in result.clusters],
            caption=g("Topic clusters (labels: the most distinctive words of each cluster, as written)"),
            source="patnav.analysis.landscape.landscape (k-means, class-based TF-IDF labels)",
        ),
    ]  # fmt: skip
    if result.vectors.source == "tfidf":
        blocks.append(
            Note(
                g(
                    "The map places patents by the words of their titles and abstracts (TF-IDF), because not every "
                    "patent of the set has an embedding yet; run `patnav index build` for a map by meaning."
                )
            )
        )
    if gaps is not None and (gaps.clusters or gaps.class_pairs):
        rows = [
            [g("topic"), c.label, c.previous, c.recent, round(c.growth, 2), c.applicants] for c in gaps.clusters[:8]
        ]
        rows += [[g("IPC combination"), f"{p.first} + {p.second}", p.previous, p.recent, round(p.growth, 2),
                  p.applicants] for p in gaps.class_pairs[:8]]  # fmt: skip
        blocks.append(
            Table(
                [g("kind"), g("where"), f"{gaps.previous_window[0]}–{gaps.previous_window[1]}",
                 f"{gaps.recent_window[0]}–{gaps.recent_window[1]}", g("growth"), g("applicants")],
                rows,
                caption=g("White space: rising activity with few players"),
                source=f"patnav.analysis.landscape.white_space (at most {gaps.max_players} applicants)",
            )
        )  # fmt: skip
    return Section("landscape", g("Landscape map, topics and white space"), blocks)

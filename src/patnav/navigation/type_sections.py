"""The type-specific core analysis of a report (GB/T 39551 report skeleton, item 4; domain.md §4.4), one section
per type that has one, built from analyses the runner has already made:

* ``rnd`` — where the proposal lands on the landscape map: the topics it falls in, how crowded the area is;
* ``enterprise`` — the enterprise against its named competitors: filings trend, share and quality;
* ``regional`` — the match of the region's patent structure (IPC → NACE industries) with its industry structure.

The figures are kept as plain data (:class:`BenchmarkRow`, :class:`~patnav.analysis.industry_match.IndustryMatch`,
:class:`StartingPlace`) so the conclusions can quote the same numbers the section shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from patnav.analysis.industry_match import IndustryMatch
from patnav.analysis.landscape import Crowding, Landscape, StartingPoint, WhiteSpace
from patnav.analysis.players import Applicant, Players
from patnav.analysis.screening import DesignAround
from patnav.i18n import N_, gettext
from patnav.navigation.sections import _pct, families_per_year_spec
from patnav.report.model import Chart, KeyFigures, Note, Paragraph, Section, Table

#: how the crowding ratio (patents around the proposal over the typical count) is read in words: a reading aid
#: for the report, not a rule of any standard (the figures themselves are always printed beside it)
CROWDED_RATIO = 1.5
SPARSE_RATIO = 1 / 1.5

#: the quality columns of an indicator run the benchmark averages (mean over the publications that have them)
QUALITY_COLUMNS = ("fwd_cits5", "family_size", "claims")


def crowding_level(crowd: Crowding) -> str:
    """``crowded``, ``as dense as usual`` or ``sparse`` (a msgid) from the crowding ratio."""
    ratio = crowd.ratio
    if ratio is not None and ratio >= CROWDED_RATIO:
        return N_("crowded")
    if ratio is not None and ratio <= SPARSE_RATIO:
        return N_("sparse")
    return N_("as dense as usual")


# -- R&D: the proposal on the map ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartingPlace:
    """A proposal placed on the project's landscape map: the :class:`StartingPoint`, its :class:`Crowding`, the
    map it is on and the map's white space (to say whether it lands in a rising topic with few players)."""

    start: StartingPoint
    crowd: Crowding
    landscape: Landscape
    gaps: WhiteSpace | None

    @property
    def white_space_topics(self) -> list[int]:
        """The clusters the proposal falls in that are white-space candidates."""
        rising = {c.cluster for c in (self.gaps.clusters if self.gaps else ())}
        return [m.cluster for m in self.start.clusters if m.cluster in rising]


def starting_point_section(place: StartingPlace, lang: str, *, show_neighbours: bool) -> Section:
    """Where the proposal lands on the map (it is marked on the landscape chart): the topics it falls in with
    their size, players and trend, and how many patents lie around it against the map's usual count.
    ``show_neighbours`` lists its nearest patents on the map (when no search by meaning could list them)."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    trend = {"rising": g("rising"), "flat": g("flat"), "falling": g("falling")}
    start, crowd, land = place.start, place.crowd, place.landscape
    home = land.cluster(start.cluster)
    level = g(crowding_level(crowd))
    ratio = crowd.ratio
    blocks: list[Any] = [
        KeyFigures(
            [
                (g("topic it falls in"), home.label),
                (g("terrain height there"), _pct(start.height)),
                (g("patents around it"), f"{crowd.within:,}"),
                (g("usual count around a patent of the set"), f"{crowd.typical:,.0f}"),
                (g("crowding"), f"{ratio:.2f}× ({level})" if ratio is not None else "—"),
            ]
        ),
        Paragraph(
            g(
                "The proposal lands in the topic “{label}” ({documents} patents, {applicants} applicants, trend "
                "{trend}). {within} patents of the set lie within the circle on the map that holds its {k} nearest "
                "patents, against a median of {typical} around the set's own patents ({ratio}×): the area is {level}."
            ).format(
                label=home.label,
                documents=f"{home.documents:,}",
                applicants=f"{home.applicants:,}",
                trend=trend.get(home.trend, home.trend),
                within=f"{crowd.within:,}",
                k=crowd.k,
                typical=f"{crowd.typical:,.0f}",
                ratio=f"{ratio:.2f}" if ratio is not None else "—",
                level=level,
            ),
            figures={"cluster": home.label, "within": crowd.within, "typical": crowd.typical, "ratio": ratio},
        ),
        Table(
            [g("topic"), g("similarity"), g("of its nearest patents"), g("documents"), g("applicants"),
             f"{land.previous_window[0]}–{land.previous_window[1]}", f"{land.recent_window[0]}–{land.recent_window[1]}",
             g("trend")],
            [[m.label, round(m.similarity, 3), f"{m.neighbours}/{len(start.neighbours)}",
              land.cluster(m.cluster).documents, land.cluster(m.cluster).applicants, land.cluster(m.cluster).previous,
              land.cluster(m.cluster).recent, trend.get(land.cluster(m.cluster).trend, "")]
             for m in start.clusters],
            caption=g("Topics the proposal falls in (similarity to the topic's centre; families per window)"),
            source=f"patnav.analysis.landscape.starting_point (k={len(start.neighbours)}, vectors: {start.source})",
        ),
    ]  # fmt: skip
    ws = [land.cluster(c).label for c in place.white_space_topics]
    if ws:
        blocks.append(
            Paragraph(g("White-space candidates among these topics (rising, few players)") + ": " + "; ".join(ws))
        )
    if show_neighbours and start.neighbours:
        names = {c.cluster: c.label for c in land.clusters}
        blocks.append(
            Table(
                [g("publication"), g("title"), g("applicant"), g("year"), g("topic"), g("similarity")],
                [[n.publication_number, n.title, n.applicant, n.year, names.get(n.cluster, ""),
                  round(n.similarity, 3)] for n in start.neighbours],
                caption=g("Nearest patents to the proposal on the map"),
                source="patnav.analysis.landscape.starting_point",
            )
        )  # fmt: skip
    blocks.append(
        Note(
            g(
                "The red diamond on the landscape map marks the proposal. Circle radius {radius} map units; the "
                "usual count is the median over {n} patents of the set."
            ).format(radius=f"{crowd.radius:.3f}", n=f"{crowd.sampled:,}")
        )
    )
    if start.source == "tfidf":
        blocks.append(Note(g("The proposal was placed by its words (TF-IDF), as the map was.")))
    return Section("starting_point", g("The proposal on the landscape map"), blocks)


# -- enterprise: benchmark against named competitors ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BenchmarkRow:
    """The enterprise (``role`` ``client``) or a named competitor (``competitor``): ``name`` as the project writes
    it, ``key`` its harmonised name, its :class:`Applicant` figures (``None``: no family in the set), families
    per first ``years``, and the quality of its ``publications`` in the set from the indicator run: how many
    have indicators, the means of :data:`QUALITY_COLUMNS` (``None`` when none has the value), those in force
    and high-value."""

    name: str
    key: str
    role: str
    applicant: Applicant | None
    years: tuple[tuple[int, int], ...]
    publications: int
    with_indicators: int
    means: Mapping[str, float | None]
    in_force: int
    high_value: int

    @property
    def high_value_share(self) -> float | None:
        """High-value patents over those in force (the CNIPA definition needs in force)."""
        return self.high_value / self.in_force if self.in_force else None


def benchmark_rows(
    entities: Sequence[tuple[str, str, str]],
    players: Players,
    publications: Mapping[str, Iterable[str]],
    quality: Iterable[Mapping[str, Any]],
) -> list[BenchmarkRow]:
    """One row per ``(name, harmonised key, role)``, with its figures from ``players.named`` and the indicator
    rows (``quality``) of its ``publications`` (harmonised key → publication numbers in the set)."""
    by_pub = {r["publication_number"]: r for r in quality}
    named = {n.applicant.name: n for n in players.named}
    rows = []
    for name, key, role in entities:
        found = named.get(key)
        pubs = sorted(set(publications.get(key, ())))
        ind = [by_pub[p] for p in pubs if p in by_pub]
        means = {}
        for col in QUALITY_COLUMNS:
            values = [float(r[col]) for r in ind if r.get(col) is not None]
            means[col] = fmean(values) if values else None
        rows.append(
            BenchmarkRow(
                name=name,
                key=key,
                role=role,
                applicant=found.applicant if found else None,
                years=found.years if found else (),
                publications=len(pubs),
                with_indicators=len(ind),
                means=means,
                in_force=sum(1 for r in ind if r.get("status") == "in_force"),
                high_value=sum(1 for r in ind if r.get("high_value")),
            )
        )
    return rows


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def benchmark_section(
    rows: list[BenchmarkRow], players: Players, lang: str, *, indicators: str, client_named: bool
) -> Section:
    """The enterprise against its named competitors: families, share, families in the previous and recent
    window and trend, quality (mean forward citations within five years, family size, claims; high-value
    patents and their share of those in force), and families per year as a chart. ``indicators`` says where the
    quality figures come from (``stored``, ``computed`` or ``none``)."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    trend = {"rising": g("rising"), "flat": g("flat"), "falling": g("falling")}
    role = {"client": g("enterprise"), "competitor": g("competitor")}
    pw, rw = players.previous_window, players.recent_window
    have_quality = indicators != "none"
    table_rows = []
    for r in rows:
        a = r.applicant
        table_rows.append(
            [
                r.name if not a or a.name == r.name else f"{r.name} ({a.name})",
                role[r.role],
                a.families if a else 0,
                _pct(a.market_share) if a else "—",
                a.previous if a else 0,
                a.recent if a else 0,
                trend.get(a.trend, a.trend) if a else "—",
                _mean(r.means["fwd_cits5"]) if have_quality else "—",
                _mean(r.means["family_size"]) if have_quality else "—",
                _mean(r.means["claims"]) if have_quality else "—",
                r.high_value if have_quality else "—",
                _pct(r.high_value_share) if have_quality else "—",
            ]
        )
    blocks: list[Any] = [
        Table(
            [g("enterprise"), g("role"), g("families"), g("share"), f"{pw[0]}–{pw[1]}", f"{rw[0]}–{rw[1]}",
             g("trend"), g("mean forward citations (5 years)"), g("mean family size"), g("mean claims"),
             g("high-value (in force)"), g("high-value share of in force")],
            table_rows,
            caption=g("Benchmark against the named competitors"),
            source="patnav.analysis.players (named applicants) + patnav.indicators (fwd_cits5, family_size, claims, "
            "status, high_value)",
        )
    ]  # fmt: skip
    last = players.recent_window[1]
    years = [y for r in rows for y, _n in r.years]
    span = range(min(years), max(years) + 1) if years else range(0)
    data = [  # every year of the span, zeros included, so a line never bridges years without a filing
        {"enterprise": r.name, "year": y, "families": held.get(y, 0),
         "complete": g("complete") if y <= last else g("incomplete")}
        for r in rows
        if r.years
        for held in [dict(r.years)]
        for y in span
    ]  # fmt: skip
    if data:
        blocks.append(
            Chart(
                spec=families_per_year_spec(data, "enterprise", ("enterprise", "year", "families"), lang, height=240),
                caption=g("Families per year: the enterprise and its competitors"),
                source=f"patnav.analysis.players named applicants (basis {players.basis})",
                data=data,
            )
        )
    if not client_named:
        blocks.append(Note(g("Name the enterprise as the project's client to put it in the benchmark.")))
    absent = [r.name for r in rows if r.applicant is None]
    if absent:
        blocks.append(
            Note(
                g("Not found as an applicant in the set (check the name as the records write it)")
                + ": "
                + ", ".join(absent)
            )
        )
    if indicators == "none":
        blocks.append(
            Note(
                g(
                    "Quality figures are missing: no indicators were computed for this corpus. Run `patnav "
                    "indicators compute` and run the project again."
                )
            )
        )
    elif indicators == "computed":
        blocks.append(
            Note(
                g(
                    "The corpus keeps no indicator run as of the cut-off date: the quality figures were computed "
                    "for this report (`patnav indicators compute` keeps them with the corpus)."
                )
            )
        )
    if have_quality:
        lacking = [(r.name, col) for r in rows if r.with_indicators for col in QUALITY_COLUMNS if r.means[col] is None]
        if lacking:
            what = {"fwd_cits5": g("forward citations"), "family_size": g("family size"), "claims": g("claims")}
            blocks.append(
                Note(
                    g("No value in the records for")
                    + ": "
                    + "; ".join(f"{name} – {what[col]}" for name, col in lacking)
                )
            )
    blocks.append(
        Note(
            g(
                "Share is the fractional share of the set's families (a family with k applicants counts 1/k for "
                "each); forward citations are counted within five years of publication; means are over the "
                "publications that have the value. Forward citations and family sizes count what the loaded "
                "corpus holds: lower bounds, to compare the parties with each other rather than with outside "
                "figures."
            )
        )
    )
    return Section("benchmark", g("Benchmarking against named competitors"), blocks)


# -- regional: patent–industry match --------------------------------------------------------------------------------


def match_section(match: IndustryMatch | None, lang: str, *, region: str | None, note: str | None = None) -> Section:
    """The region's patent structure by NACE Rev.2 division against its industry structure (the user's table),
    with the gap and the overlap; without a table, the patent side and what to provide."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    title = g("Patent–industry match of the region")
    what_to_give = g(
        "To compare with the region's industry structure, give a CSV file as the project's industry_file, with "
        "columns nace2 (a NACE Rev.2 code: a division such as 26 or C26, or finer such as 26.1), value (value "
        "added, output or employment of the region, any unit) and optionally label."
    )
    if not region:
        return Section(
            "match",
            title,
            [Note(g("Set the project's region (a country code) to match its patents with its industries."))],
        )
    if note:
        return Section("match", title, [Note(note)])
    if match is None or not match.families:
        return Section(
            "match",
            title,
            [Paragraph(g("No family of the set has an applicant from {region}.").format(region=region))],
        )
    blocks: list[Any] = []
    has_table = match.table is not None
    shown = [r for r in match.rows if r.patent_share > 0 or (r.industry_share or 0) > 0]
    rows = []
    for r in shown:
        row: list[Any] = [r.division, r.label, round(r.families, 1), _pct(r.patent_share)]
        if has_table:
            row += [_pct(r.industry_share), f"{100 * (r.gap or 0):+.1f}"]
        rows.append(row)
    columns = [g("NACE division"), g("industry"), g("families of the region"), g("patent share")]
    if has_table:
        columns += [g("industry share"), g("gap (points)")]
    blocks.append(
        KeyFigures(
            [
                (g("families of the region"), f"{match.families:,}"),
                (g("mapped to an industry"), f"{match.mapped:,}"),
                *([(g("structural overlap"), _pct(match.similarity))] if has_table else []),
            ]
        )
    )
    if has_table and match.mapped:
        top = sorted(shown, key=lambda r: -max(r.patent_share, r.industry_share or 0))[:15]
        data = [
            {"division": f"{r.division} {r.label}".strip(), "side": side, "share": round(value, 4)}
            for r in top
            for side, value in ((g("patent share"), r.patent_share), (g("industry share"), r.industry_share or 0.0))
        ]
        blocks.append(
            Chart(
                spec={
                    "data": {"values": data},
                    "mark": "bar",
                    "encoding": {
                        "y": {"field": "division", "type": "nominal", "title": "", "sort": None},
                        "yOffset": {"field": "side"},
                        "x": {"field": "share", "type": "quantitative", "title": g("share"), "axis": {"format": "%"}},
                        "color": {"field": "side", "type": "nominal", "title": ""},
                        "tooltip": [{"field": "division"}, {"field": "side"}, {"field": "share", "format": ".1%"}],
                    },
                },
                caption=g("Patent share against industry share by NACE division"),
                source="patnav.analysis.industry_match (IPC → NACE Rev.2, Eurostat; industry table: "
                f"{match.table.path if match.table else '—'})",
                data=data,
            )
        )
    blocks.append(
        Table(
            columns,
            rows,
            caption=g("Technology structure of the region's patents against its industry structure (NACE Rev.2)")
            if has_table
            else g("Technology structure of the region's patents (NACE Rev.2)"),
            source="patnav.analysis.industry_match (families split by the IPC → NACE Rev.2 weights)",
        )
    )
    if has_table and match.mapped:
        blocks.append(Paragraph(match_sentence(match, lang), figures={"similarity": match.similarity}))
    if not has_table:
        blocks.append(Note(what_to_give))
    if match.unmapped:
        blocks.append(
            Note(
                g(
                    "{n} of {total} families of the region map to no industry (no IPC symbol the concordance maps)."
                ).format(n=f"{match.unmapped:,}", total=f"{match.families:,}")
            )
        )
    if match.table is not None and match.table.skipped:
        blocks.append(
            Note(
                g("Rows of the industry table with no NACE division, left out") + ": " + ", ".join(match.table.skipped)
            )
        )
    return Section("match", title, blocks)


# -- R&D: design-around candidates ------------------------------------------------------------------------------

#: how much of an element the table shows (the whole claim is in the risk-screening section)
ELEMENT_CHARS = 160


def design_around_section(items: Sequence[DesignAround], lang: str) -> Section:
    """For each screened patent with claims: its most relevant independent claim's elements, and those the
    proposal does not mention (GB/T 39551's R&D frame: design-around candidates), with the all-elements caveat."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    title = g("Design-around candidates")
    if not items:
        return Section(
            "design_around",
            title,
            [Note(g("No screened patent has claims in the corpus: there are no claim elements to compare."))],
        )

    def cut(text: str) -> str:
        return text if len(text) <= ELEMENT_CHARS else text[: ELEMENT_CHARS - 1] + "…"

    with_absent = [d for d in items if d.absent]
    rows = [
        [d.publication_number, d.claim_number if d.claim_number is not None else "—", len(d.elements),
         len(d.absent), " | ".join(cut(e.text) for e in d.absent[:3]) + (" …" if len(d.absent) > 3 else "")]
        for d in items
    ]  # fmt: skip
    blocks: list[Any] = [
        Paragraph(
            g(
                "{n} of the {total} closest patents in force have claim elements the proposal does not mention: a "
                "design that leaves such an element out, or does it differently, may fall outside that claim."
            ).format(n=len(with_absent), total=len(items)),
            figures={"with_absent": len(with_absent), "patents": len(items)},
        ),
        Table(
            [
                g("publication"),
                g("claim"),
                g("elements"),
                g("not in the proposal"),
                g("elements the proposal does not mention"),
            ],
            rows,
            caption=g("Claim elements of the closest patents in force against the proposal"),
            source="patnav.analysis.screening.design_around (the best-ranked independent claim of each patent, cut "
            "at semicolons and colons; its preamble not counted; words compared after analysis)",
        ),
        Note(
            g(
                "Screening, not a legal opinion: a claim is infringed literally only by a product with all its "
                "elements, but an element done differently can still be an equivalent, and a shared word does not "
                "make an element present. Have a patent attorney read the claims."
            )
        ),
    ]
    return Section("design_around", title, blocks)


def match_sentence(match: IndustryMatch, lang: str) -> str:
    """One sentence quoting the overlap and the largest gaps either way (for the section and the conclusions)."""
    g = lambda m: gettext(m, lang)  # noqa: E731

    def named(rows: Iterable[Any]) -> str:
        return "; ".join(f"{r.division} {r.label} ({100 * r.gap:+.1f})".replace("  ", " ") for r in rows) or "—"

    ahead = sorted((r for r in match.rows if (r.gap or 0) > 0), key=lambda r: -(r.gap or 0))[:3]
    behind = sorted((r for r in match.rows if (r.gap or 0) < 0), key=lambda r: r.gap or 0)[:3]
    return g(
        "The region's patents and its industries overlap by {overlap} (Finger–Kreinin; 100% is the same structure). "
        "Patents lead the industry share in {ahead}; industries with less patenting than their weight: {behind} "
        "(gaps in percentage points)."
    ).format(overlap=_pct(match.similarity), ahead=named(ahead), behind=named(behind))

"""One patent's citation map as something to hand over: a report section (the map drawn, its publications in a
table, the caveats), and the map written as a self-contained HTML page (interactive, works offline: the report's
own HTML with the chart scripts inlined), a PNG or an SVG (vl-convert, the report's fonts).

The map itself is :func:`patnav.analysis.citations.citation_map`; this module only presents it, in the report's
language (fixed text through the catalogues; numbers, names and titles as written).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from patnav.analysis.citations import CitationMap, citation_map_spec
from patnav.i18n import gettext
from patnav.report.model import Chart, KeyFigures, Note, Report, Section, Table

#: the file types :func:`write_citation_map` writes, by suffix
OUT_FORMATS = ("html", "png", "svg")

#: the drawing's size: at least this, taller when a generation holds many publications (pixels per row: a
#: label above its circle clears the circle of the row above)
MIN_WIDTH, MIN_HEIGHT, ROW_HEIGHT, MAX_HEIGHT = 640, 360, 24, 4000


def map_labels(lang: str) -> dict[str, str]:
    """The words :func:`~patnav.analysis.citations.citation_map_spec` shows, in ``lang``."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    return {
        "generation": g("generation"),
        "publication_number": g("publication"),
        "title": g("title"),
        "applicant": g("applicant"),
        "year": g("year"),
        "citing": g("citing"),
        "cited": g("cited"),
        "direction": g("direction"),
        "back": g("cited by the patent (back)"),
        "root": g("the patent"),
        "forward": g("citing the patent (forward)"),
        "not_loaded": g("not in the corpus"),
    }


def map_spec(cmap: CitationMap, lang: str) -> dict[str, Any]:
    """The Vega-Lite spec of the map in ``lang``, tall enough that the largest generation's rows do not overlap."""
    per_generation = Counter(n.generation for n in cmap.nodes)
    rows = max(per_generation.values(), default=1)
    width = max(MIN_WIDTH, 160 * len(per_generation))
    height = min(MAX_HEIGHT, max(MIN_HEIGHT, ROW_HEIGHT * rows))
    return citation_map_spec(cmap, labels=map_labels(lang), width=width, height=height)


def node_rows(cmap: CitationMap) -> list[list[Any]]:
    """One row per publication of the map, by generation: generation, number, publication date, first-named
    applicant, title, and whether the corpus holds it (what the CLI and the report's table show)."""
    return [
        [n.generation, n.publication_number, n.date, n.applicant, n.title, n.loaded]
        for n in cmap.nodes
    ]  # fmt: skip


def node_columns(lang: str) -> list[str]:
    """The headings of :func:`node_rows`, in ``lang``."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    return [g("generation"), g("publication"), g("date"), g("applicant"), g("title"), g("in corpus")]


def map_notes(cmap: CitationMap, lang: str) -> list[str]:
    """What a reader of the map must know: where it stopped growing, and that unloaded cited numbers are leaves."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    notes = []
    if cmap.capped:
        notes.append(
            g(
                "The map stopped growing at {max} publications: {left} publications found in step {step} and "
                "everything beyond them were left out."
            ).format(max=cmap.max_nodes, left=cmap.left_out, step=cmap.capped_generation)
        )
    unloaded = sum(1 for n in cmap.nodes if not n.loaded)
    if unloaded:
        notes.append(
            g(
                "{n} cited publications are not in the corpus: they are drawn as leaves, because what they cite "
                "is unknown."
            ).format(n=unloaded)
        )
    return notes


def citation_map_section(cmap: CitationMap, lang: str) -> Section:
    """The map as a report section: key figures, the chart (with the citations behind it as its data), the
    notes and the table of its publications."""
    g = lambda m: gettext(m, lang)  # noqa: E731
    back = sum(1 for n in cmap.nodes if n.generation < 0)
    forward = sum(1 for n in cmap.nodes if n.generation > 0)
    blocks: list[Any] = [
        KeyFigures(
            [
                (g("publications on the map"), f"{len(cmap.nodes):,}"),
                (g("citations drawn"), f"{len(cmap.edges):,}"),
                (g("cited (generations back: {n})").format(n=cmap.back), f"{back:,}"),
                (g("citing (generations forward: {n})").format(n=cmap.forward), f"{forward:,}"),
            ]
        ),
        Chart(
            spec=map_spec(cmap, lang),
            caption=g("Citation map of {number}: what it cites (left) and what cites it (right)").format(
                number=cmap.root
            ),
            source=f"patnav.analysis.citations.citation_map (root {cmap.root}, back {cmap.back}, forward "
            f"{cmap.forward}, at most {cmap.max_nodes} publications; whole corpus, publication level)",
            data=[{"citing": e.citing, "cited": e.cited} for e in cmap.edges],
        ),
    ]
    blocks += [Note(text) for text in map_notes(cmap, lang)]
    blocks.append(
        Table(
            node_columns(lang),
            node_rows(cmap),
            caption=g("Publications on the map, by generation (negative: cited, positive: citing)"),
            source="patnav.analysis.citations.citation_map",
        )
    )
    return Section("citation-map", g("Citation map of {number}").format(number=cmap.root), blocks)


def citation_map_report(cmap: CitationMap, lang: str, provenance: Sequence[tuple[str, str]] = ()) -> Report:
    """A one-section report of the map (what the HTML output renders), titled by the patent."""
    root = next((n for n in cmap.nodes if n.generation == 0), None)
    return Report(
        title=gettext("Citation map of {number}", lang).format(number=cmap.root),
        lang=lang,
        subtitle=(root.title or "") if root else "",
        provenance=list(provenance),
        sections=[citation_map_section(cmap, lang)],
    )


def write_citation_map(cmap: CitationMap, path: Path, lang: str, provenance: Sequence[tuple[str, str]] = ()) -> Path:
    """Write the map at ``path``, in the format its suffix names: ``.html`` (the map as a self-contained report
    page with its table, interactive and offline), ``.png`` or ``.svg`` (the drawing alone)."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "htm":
        suffix = "html"
    if suffix not in OUT_FORMATS:
        raise ValueError(f"{path.name}: the map is written as .html, .png or .svg")
    if suffix == "html":
        from patnav.report.html import write_html

        return write_html(citation_map_report(cmap, lang, provenance), path)
    from patnav.report.charts import to_png, to_svg

    spec = map_spec(cmap, lang)
    if suffix == "png":
        path.write_bytes(to_png(spec))
    else:
        path.write_text(to_svg(spec), encoding="utf-8")
    return path

"""``patnav citations …``: one patent's citation map (generations back and forward), printed, and written as an
interactive offline HTML page, a PNG or an SVG."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from patnav.cli_common import CorpusOpt, EngineOpt, _corpus_path, _fail, _open_corpus, console, err
from patnav.i18n import _, current_lang

citations_app = typer.Typer(help=_("Citations: the citation map of any patent."), no_args_is_help=True)


@citations_app.command(
    "map", help=_("A patent's citation map: what it cites and what cites it, generation by generation.")
)
def map_cmd(
    number: Annotated[str, typer.Argument(help=_("Publication number in any common form, e.g. US7197497B2."))],
    back: Annotated[
        int, typer.Option("--back", min=0, help=_("Generations back: what it cites, what those cite, …"))
    ] = 2,
    forward: Annotated[
        int, typer.Option("--forward", min=0, help=_("Generations forward: what cites it, what cites those, …"))
    ] = 2,
    max_nodes: Annotated[
        int, typer.Option("--max-nodes", min=1, help=_("Stop growing the map at this many publications."))
    ] = 200,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=_("Also write the map: .html (interactive, works offline), .png or .svg.")),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print the map as JSON."))] = False,
    engine: EngineOpt = "duckdb",
    corpus: CorpusOpt = None,
) -> None:
    """A patent's citation map: what it cites and what cites it, generation by generation."""
    from patnav.analysis.citations import citation_map
    from patnav.engine import EngineError, get_engine
    from patnav.model.numbers import PatentNumberError, parse_publication_number
    from patnav.navigation.citation_map import OUT_FORMATS, map_notes, node_columns, node_rows, write_citation_map

    if out is not None and out.suffix.lower().lstrip(".") not in (*OUT_FORMATS, "htm"):
        raise _fail(_("--out must end in .html, .png or .svg"))
    try:
        parse_publication_number(number)
    except PatentNumberError as exc:
        raise _fail(str(exc)) from None
    store = _open_corpus(corpus, read_only=True)
    try:
        found = store.find_publication_number(number)
    finally:
        store.close()
    if found is None:
        raise _fail(_("{number} is not in the corpus").format(number=number), code=1)
    path = _corpus_path(corpus)
    try:
        with get_engine(engine, path) as eng:
            cmap = citation_map(eng, found, back=back, forward=forward, max_nodes=max_nodes)
    except (EngineError, ValueError) as exc:
        raise _fail(str(exc)) from None
    except LookupError:
        raise _fail(_("{number} is not in the corpus").format(number=number), code=1) from None

    lang = current_lang()
    if as_json:
        sys.stdout.write(json.dumps(dataclasses.asdict(cmap), default=str, ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(title=_("Citation map of {number}").format(number=cmap.root), title_justify="left")
        for col in node_columns(lang):
            table.add_column(col, overflow="fold")
        table.columns[0].justify = "right"
        for column in (table.columns[0], table.columns[1], table.columns[2], table.columns[5]):
            column.no_wrap = True
        for row in node_rows(cmap):
            generation, pub, day, applicant, title, loaded = row
            table.add_row(
                f"{generation:+d}" if generation else "0",
                pub,
                str(day or ""),
                applicant or "",
                _short(title),
                "✓" if loaded else "—",
            )
        console.print(table)
        console.print(
            _("{nodes} publications, {edges} citations ({back} generations back, {forward} forward)").format(
                nodes=len(cmap.nodes), edges=len(cmap.edges), back=cmap.back, forward=cmap.forward
            )
        )
        for note in map_notes(cmap, lang):
            console.print(f"[yellow]{_('note')}:[/yellow] {note}")
    if out is not None:
        from patnav import __version__

        provenance = [
            (_("corpus"), str(path)),
            (_("generated"), dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") + f" · patnav {__version__}"),
        ]
        write_citation_map(cmap, out, lang, provenance)
        (err if as_json else console).print(_("wrote {out}").format(out=out))


def _short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"

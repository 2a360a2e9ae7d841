"""The ``patnav`` command: a thin face over the library (parsing arguments, drawing progress, printing)."""

from __future__ import annotations

import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patnav.cli_app import admin_app, serve
from patnav.cli_citations import citations_app
from patnav.cli_common import CorpusOpt, _corpus_path, _fail, _open_corpus, console, err
from patnav.cli_indicators import indicators_app, kpi_cmd, rules_app
from patnav.cli_project import project_app
from patnav.i18n import _

app = typer.Typer(
    help=_("patnav: industrial patent navigation — load, search, analyse and report."), no_args_is_help=True
)
corpus_app = typer.Typer(help=_("Inspect the loaded corpus."), no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
app.add_typer(indicators_app, name="indicators")
app.add_typer(rules_app, name="rules")
app.add_typer(project_app, name="project")
app.add_typer(citations_app, name="citations")
app.add_typer(admin_app, name="admin")
app.command("serve", help=_("Start the web platform (pages, REST API at /api/v1, OpenAPI at /api/docs)."))(serve)
app.command("kpi", help=_("The action plan's KPI: high-value invention patents per 100 million yuan of revenue."))(
    kpi_cmd
)


@app.command(
    help=_("Load patent data files into the corpus (idempotent: loading the same files again changes nothing).")
)
def ingest(
    paths: Annotated[list[Path], typer.Argument(help=_("Files or folders; .gz, .zip and .tar are opened."))],
    format: Annotated[
        str | None, typer.Option("--format", help=_("Reader to use for every file (default: sniffed)."))
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping", help=_("Column mapping for CSV/XLSX exports: cnipa, incopat, patsnap, or a YAML file.")
        ),
    ] = None,
    corpus: CorpusOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=_("List every file."))] = False,
) -> None:
    """Load patent data files into the corpus (idempotent: loading the same files again changes nothing)."""
    from patnav.corpus.loader import load_paths
    from patnav.ingest.registry import UnknownFormatError

    for p in paths:
        if not p.exists():
            raise _fail(_("{path}: no such file or folder").format(path=p))
    store = _open_corpus(corpus, create=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(_("reading"), total=None)
        done_files = 0

        def progress(name: str, read: int, finished: bool) -> None:
            nonlocal done_files
            if finished:
                done_files += 1
            bar.update(task, description=f"{_('files')} {done_files} · {Path(name.split('!')[0]).name}", completed=read)

        try:
            forced = None
            if mapping is not None:
                from patnav.ingest.readers.tabular import reader_for_mapping

                try:
                    forced = reader_for_mapping(mapping)
                except (FileNotFoundError, ValueError) as exc:
                    raise _fail(str(exc)) from None
            report = load_paths(store, paths, format=format, reader=forced, progress=progress)
        except UnknownFormatError as exc:
            raise _fail(str(exc)) from None
    _print_load_report(report, verbose=verbose)
    store.close()


def _print_load_report(report: Any, *, verbose: bool = False) -> None:
    by_reader: dict[str, list[Any]] = {}
    for s in report.loaded:
        by_reader.setdefault(s.reader, []).append(s)
    table = Table(title=_("Load report"))
    for col in (_("reader"), _("files"), _("read"), _("new"), _("updated"), _("unchanged"), _("quarantined")):
        table.add_column(col, justify="left" if col == _("reader") else "right")
    for name, items in sorted(by_reader.items()):
        table.add_row(
            name,
            str(len(items)),
            *(
                f"{sum(x.read if f == 'read' else getattr(x.counts, f) for x in items):,}"
                for f in ("read", "new", "updated", "unchanged", "quarantined")
            ),
        )
    console.print(table)
    read, totals = report.totals()
    console.print(
        _("read {read} · new {new} · updated {updated} · unchanged {unchanged} · quarantined {q}").format(
            read=read, new=totals.new, updated=totals.updated, unchanged=totals.unchanged, q=totals.quarantined
        )
    )
    troubled = [s for s in report.loaded if s.status != "complete" or (verbose and s.counts.quarantined)]
    for s in troubled:
        console.print(f"  [yellow]{_(s.status)}[/yellow] {s.source}: {s.message or ''}")
    if report.skipped:
        groups: dict[str, int] = {}
        for s in report.skipped:
            groups[_skip_group(s.source)] = groups.get(_skip_group(s.source), 0) + 1
        console.print(_("{n} files not loaded (no reader recognises them):").format(n=len(report.skipped)))
        for i, (group, n) in enumerate(sorted(groups.items())):
            if i == 12 and not verbose:
                console.print("  · " + _("… and {n} more places").format(n=len(groups) - 12))
                break
            console.print(f"  · {group}" + (f" ({n})" if n > 1 else ""))


def _skip_group(name: str) -> str:
    """Files skipped inside one archive are reported as the archive."""
    return name.split("!", 1)[0]


def _short(name: str, width: int = 70) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]


class StatsBy(StrEnum):
    country = "country"
    year = "year"
    kind = "kind"
    doc_type = "doc_type"
    applicant = "applicant"
    ipc = "ipc"
    source = "source"


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@corpus_app.command("stats", help=_("Counts of what is loaded, overall or grouped."))
def corpus_stats(
    by: Annotated[StatsBy | None, typer.Option("--by", help=_("Group publications by this field."))] = None,
    top: Annotated[int, typer.Option("--top", help=_("Rows to show."))] = 30,
    engine: Annotated[EngineName, typer.Option("--engine", help=_("Compute engine."))] = EngineName.duckdb,
    corpus: CorpusOpt = None,
) -> None:
    """Counts of what is loaded, overall or grouped."""
    from patnav.engine import get_engine
    from patnav.engine.stats import corpus_stats as compute

    path = _corpus_path(corpus)
    _open_corpus(corpus, read_only=True).close()
    eng = get_engine(engine.value, path)
    try:
        result = compute(eng, by.value if by else None, top=top)
    finally:
        eng.close()
    totals = Table(title=_("Corpus {path}").format(path=path))
    totals.add_column(_("table"))
    totals.add_column(_("rows"), justify="right")
    import dataclasses

    for key, value in dataclasses.asdict(result.totals).items():
        totals.add_row(_(key), f"{value:,}")
    console.print(totals)
    if by is not None:
        table = Table(title=_("Publications by {by}").format(by=_(by.value)))
        table.add_column(_(by.value))
        table.add_column(_("publications"), justify="right")
        table.add_column(_("share"), justify="right")
        for row in result.rows:
            table.add_row(str(row.key), f"{row.publications:,}", f"{row.share:.1%}")
        console.print(table)
        console.print(
            _("{keys} groups in all; {missing} publications without a value").format(
                keys=result.keys, missing=result.missing
            )
        )


@corpus_app.command(
    "show", help=_("One record with every field, its parties, classes, citations, events, family and provenance.")
)
def corpus_show(
    number: Annotated[str, typer.Argument(help=_("Publication number in any common form, e.g. CN105389980B."))],
    as_json: Annotated[bool, typer.Option("--json", help=_("Print the record as JSON."))] = False,
    corpus: CorpusOpt = None,
) -> None:
    """One record with every field, its parties, classes, citations, events, family and provenance."""
    from patnav.model.numbers import PatentNumberError, parse_publication_number

    try:
        parse_publication_number(number)
    except PatentNumberError as exc:
        raise _fail(str(exc)) from None
    store = _open_corpus(corpus, read_only=True)
    found = store.find_publication_number(number)
    record = store.publication(found) if found else None
    store.close()
    if record is None:
        raise _fail(_("{number} is not in the corpus").format(number=number), code=1)
    if as_json:
        sys.stdout.write(json.dumps(record, default=str, ensure_ascii=False, indent=2) + "\n")
        return
    _print_record(record)


def _print_record(rec: dict[str, Any]) -> None:
    from patnav.corpus.store import RECORD_SECTIONS

    head = Table(show_header=False, title=rec["publication_number"], title_justify="left")
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    for key, value in rec.items():
        if key in RECORD_SECTIONS or value in (None, "", []):
            continue
        head.add_row(_(key), str(value))
    for t in rec.get("titles") or []:
        head.add_row(f"{_('title')} [{t['lang']}]", t["text"])
    if rec.get("description"):
        head.add_row(_("description"), rec["description"][:300] + ("…" if len(rec["description"]) > 300 else ""))
    console.print(head)
    sections = [
        ("parties", ("role", "name", "name_harmonized", "country", "kind")),
        ("classifications", ("scheme", "symbol", "is_main", "version")),
        ("priorities", ("country", "number", "date")),
        ("citations", ("cited_number", "cited_number_raw", "category", "origin", "npl_text")),
        ("legal_events", ("event_date", "authority", "code", "description", "class", "effect")),
        ("family", ("family_id", "family_type", "publication_number")),
        ("transactions", ("transaction_id", "kind", "recorded_date", "assignors", "assignees")),
        ("sources", ("source_file", "reader", "reader_version", "loaded_at")),
    ]
    for name, cols in sections:
        rows = rec.get(name) or []
        if not rows:
            continue
        table = Table(title=f"{_(name)} ({len(rows)})", title_justify="left")
        for c in cols:
            table.add_column(_(c), overflow="fold")
        for r in rows[:200]:
            table.add_row(*[_cell(r.get(c)) for c in cols])
        console.print(table)
    claims = rec.get("claims") or []
    if claims:
        console.print(
            f"[bold]{_('claims')}[/bold] ({len(claims)}; {_('independent')}: "
            f"{', '.join(str(c['number']) for c in claims if not c['depends_on'])})"
        )
        first = claims[0]["text"]
        console.print(f"  1. {first[:500]}{'…' if len(first) > 500 else ''}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


@corpus_app.command("quarantine", help=_("Records that were rejected, with file, position, field and reason."))
def corpus_quarantine(
    limit: Annotated[int, typer.Option("--limit", help=_("Rows to show."))] = 50,
    corpus: CorpusOpt = None,
) -> None:
    """Records that were rejected, with file, position, field and reason."""
    from patnav.corpus.quarantine import read_rows, reason_text
    from patnav.i18n import current_lang

    store = _open_corpus(corpus, read_only=True)
    rows = read_rows(store.con, order="source_file, position", limit=limit)
    total = store.con.execute("SELECT count(*) FROM quarantine").fetchone()[0]  # type: ignore[index]
    store.close()
    table = Table(title=_("Quarantine: {n} records").format(n=total))
    for col in (_("source"), _("position"), _("field"), _("reason")):
        table.add_column(col, overflow="fold")
    lang = current_lang()
    for row in rows:
        table.add_row(_short(row["source_file"], 50), row["position"] or "", row["field"] or "", reason_text(row, lang))
    console.print(table)


@app.command("formats", help=_("The readers patnav has, with what each reads."))
def formats() -> None:
    """The readers patnav has, with what each reads."""
    from patnav.ingest.registry import readers

    table = Table(title=_("Readers"))
    for col in (_("name"), _("version"), _("rank"), _("reads")):
        table.add_column(col, overflow="fold")
    for r in readers().values():
        table.add_row(r.name, r.version, str(r.rank), _(r.description))
    console.print(table)


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


@app.command("export", help=_("Write loaded publications (all, or those a query selects) to CSV, XLSX or Parquet."))
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help=_("File to write."))],
    format: Annotated[
        ExportFormat | None, typer.Option("--format", help=_("Output format (default: from --out)."))
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help=_("Search query selecting the publications."))
    ] = None,
    corpus: CorpusOpt = None,
) -> None:
    """Write loaded publications (all, or those a query selects) to CSV, XLSX or Parquet."""
    from patnav.corpus.export import ExportError, export_publications

    fmt = format.value if format else out.suffix.lstrip(".").lower()
    store = _open_corpus(corpus, read_only=True)
    numbers = None
    if query:
        numbers = _query_numbers(store, query)
    try:
        n = export_publications(store, out, fmt, numbers=numbers)
    except ExportError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    console.print(_("wrote {n} publications to {out}").format(n=n, out=out))


def _query_numbers(store: Any, query: str) -> list[str]:
    try:
        from patnav.search.api import SearchError, matching_numbers
    except ImportError:
        raise _fail(_("search is not available in this installation")) from None
    try:
        return matching_numbers(store, query)
    except SearchError as exc:
        raise _fail(str(exc)) from None


# -- search ------------------------------------------------------------------------------------------------

index_app = typer.Typer(help=_("Build and inspect the search indexes (full text and vectors)."), no_args_is_help=True)
app.add_typer(index_app, name="index")

ModelOpt = Annotated[str, typer.Option("--model", help=_("Embedding model: e5 (multilingual, default) or minilm."))]


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )


PROGRESS_FILE = "progress.json"


def _write_progress(path: Path, done: int, total: int, started: float, state: str) -> None:
    """A small progress record another process (``patnav index status``, the web UI) can read while embedding."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"done": done, "total": total, "started": started, "updated": time.time(), "state": state})
    )
    tmp.replace(path)


def _build_indexes(corpus: Path | None, *, text: bool, vectors: bool, model: str) -> None:
    from patnav.search.text_index import TextIndex

    store = _open_corpus(corpus, read_only=True)
    try:
        if text:
            index = TextIndex.for_corpus(store)
            with _bar() as bar:
                task = bar.add_task(_("full-text index"), total=None)

                def tprogress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                stats = index.update_from_corpus(store, progress=tprogress)
            console.print(
                _(
                    "full-text index: {added} added, {replaced} replaced, {deleted} deleted, {unchanged} unchanged "
                    "({rate:,.0f} documents/s)"
                ).format(
                    added=stats.added,
                    replaced=stats.replaced,
                    deleted=stats.deleted,
                    unchanged=stats.unchanged,
                    rate=stats.docs_per_second,
                )
            )
        if vectors:
            from patnav.search.embedder import get_embedder
            from patnav.search.vectors import embed_corpus, store_path

            embedder = get_embedder(model)
            with _bar() as bar:
                task = bar.add_task(_("embedding ({model})").format(model=embedder.name), total=None)

                progress_file = store_path(store.path, embedder.name) / PROGRESS_FILE
                started = time.time()

                def vprogress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)
                    _write_progress(progress_file, done, total, started, "running")

                vstats = embed_corpus(store, embedder, progress=vprogress)
                _write_progress(progress_file, vstats.embedded, vstats.embedded, started, "done")
            console.print(
                _("vectors ({model}): {embedded} embedded, {unchanged} unchanged, {removed} removed").format(
                    model=embedder.name,
                    embedded=vstats.embedded,
                    unchanged=vstats.unchanged,
                    removed=vstats.removed,
                )
            )
    finally:
        store.close()


@index_app.command(
    "build", help=_("Bring the indexes up to date with the corpus (incremental: only what changed is redone).")
)
def index_build(
    text: Annotated[bool, typer.Option("--text/--no-text", help=_("Build the full-text index."))] = True,
    vectors: Annotated[bool, typer.Option("--vectors/--no-vectors", help=_("Embed title and abstract."))] = True,
    model: ModelOpt = "e5",
    corpus: CorpusOpt = None,
) -> None:
    """Bring the indexes up to date with the corpus (incremental: only what changed is redone)."""
    _build_indexes(corpus, text=text, vectors=vectors, model=model)


@index_app.command(
    "update", help=_("The same as build: both are incremental; a rebuild is never needed for correctness.")
)
def index_update(
    text: Annotated[bool, typer.Option("--text/--no-text", help=_("Update the full-text index."))] = True,
    vectors: Annotated[bool, typer.Option("--vectors/--no-vectors", help=_("Update the vectors."))] = True,
    model: ModelOpt = "e5",
    corpus: CorpusOpt = None,
) -> None:
    """The same as build: both are incremental; a rebuild is never needed for correctness."""
    _build_indexes(corpus, text=text, vectors=vectors, model=model)


@index_app.command("status", help=_("How the indexes compare with the corpus: indexed, missing, stale, embedded."))
def index_status(model: ModelOpt = "e5", corpus: CorpusOpt = None) -> None:
    """How the indexes compare with the corpus: indexed, missing, stale, embedded."""
    from patnav.search.embedder import get_embedder
    from patnav.search.text_index import IndexMissingError, TextIndex
    from patnav.search.vectors import VectorStore, store_path

    store = _open_corpus(corpus, read_only=True)
    try:
        table = Table(title=_("Search indexes"))
        for col in (_("index"), _("in corpus"), _("indexed"), _("missing"), _("stale"), _("state")):
            table.add_column(col, justify="right")
        try:
            st = TextIndex.for_corpus(store).status(store)
            table.add_row(
                _("full text"),
                f"{st.in_corpus:,}",
                f"{st.indexed:,}",
                f"{st.missing:,}",
                f"{st.stale:,}",
                _("up to date") if st.up_to_date else _("needs `patnav index update`"),
            )
        except IndexMissingError:
            table.add_row(_("full text"), "", "", "", "", _("not built"))
        with_text = store.con.execute(
            "SELECT count(*) FROM publications WHERE coalesce(title, '') <> '' OR coalesce(abstract, '') <> ''"
        ).fetchone()[0]  # type: ignore[index]
        name = get_embedder(model).name
        progress_path = store_path(store.path, name) / PROGRESS_FILE
        if progress_path.exists():
            prog = json.loads(progress_path.read_text())
            if prog.get("state") == "running":
                rate = prog["done"] / max(prog["updated"] - prog["started"], 1e-9)
                eta = (prog["total"] - prog["done"]) / rate if rate > 0 else float("nan")
                console.print(
                    _("embedding in progress: {done:,} of {total:,} ({rate:.1f}/s, about {eta:.0f} min left)").format(
                        done=prog["done"], total=prog["total"], rate=rate, eta=eta / 60
                    )
                )
        if (store_path(store.path, name) / "meta.json").exists():
            n = len(VectorStore.for_corpus(store, get_embedder(model)))
            table.add_row(
                f"{_('vectors')} {name}",
                f"{with_text:,}",
                f"{n:,}",
                f"{max(with_text - n, 0):,}",
                "",
                _("up to date") if n >= with_text else _("embedding in progress or needed"),
            )
        else:
            table.add_row(f"{_('vectors')} {name}", f"{with_text:,}", "0", f"{with_text:,}", "", _("not built"))
        console.print(table)
    finally:
        store.close()


@app.command("search", help=_("Search the corpus by query language, by meaning, or both (hybrid)."))
def search_cmd(
    query: Annotated[
        str | None, typer.Argument(help=_("Query, e.g. 'ti:(neural network) AND pd:[2005 TO 2012]'."))
    ] = None,
    semantic: Annotated[str | None, typer.Option("--semantic", "-s", help=_("Free text searched by meaning."))] = None,
    mode: Annotated[str, typer.Option("--mode", help=_("auto, lexical, semantic or hybrid."))] = "auto",
    limit: Annotated[int, typer.Option("--limit", "-n", help=_("Results to show."))] = 20,
    family: Annotated[bool, typer.Option("--family", help=_("Collapse results by family."))] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print results as JSON."))] = False,
    model: ModelOpt = "e5",
    corpus: CorpusOpt = None,
) -> None:
    """Search the corpus by query language, by meaning, or both (hybrid)."""
    from patnav.search.api import Searcher, SearchError

    if mode not in ("auto", "lexical", "semantic", "hybrid"):
        raise _fail(_("unknown mode {mode!r}").format(mode=mode))
    try:
        with Searcher(_corpus_path(corpus), model=model) as s:
            res = s.search(query, semantic=semantic, mode=mode, limit=limit, collapse_family=family)  # type: ignore[arg-type]
    except SearchError as exc:
        raise _fail(str(exc)) from None
    _print_results(res, as_json=as_json)


@app.command(
    "similar",
    help=_("Nearest patents to a patent (prior-art mode) or to an idea's text (R&D starting points), with why."),
)
def similar_cmd(
    number: Annotated[str | None, typer.Argument(help=_("A publication in the corpus, e.g. US7197497B2."))] = None,
    text_file: Annotated[Path | None, typer.Option("--text-file", help=_("Find patents near this text."))] = None,
    before_priority: Annotated[
        bool, typer.Option("--before-priority", help=_("Prior art: only what was published before its priority date."))
    ] = False,
    query: Annotated[str | None, typer.Option("--filter", "-f", help=_("Restrict with the query language."))] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help=_("Results to show."))] = 20,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print results as JSON."))] = False,
    model: ModelOpt = "e5",
    corpus: CorpusOpt = None,
) -> None:
    """Nearest patents to a patent (prior-art mode) or to an idea's text (R&D starting points), with why."""
    from patnav.search.api import Searcher, SearchError

    if (number is None) == (text_file is None):
        raise _fail(_("give a publication number or --text-file, not both"))
    text = None
    if text_file is not None:
        if not text_file.exists():
            raise _fail(_("{path}: no such file or folder").format(path=text_file))
        text = text_file.read_text(encoding="utf-8")
    try:
        with Searcher(_corpus_path(corpus), model=model) as s:
            res = s.similar(number, text=text, before_priority=before_priority, query=query, limit=limit)
    except SearchError as exc:
        raise _fail(str(exc)) from None
    _print_results(res, as_json=as_json)


def _print_results(res: Any, *, as_json: bool) -> None:
    import dataclasses
    import re

    if as_json:
        sys.stdout.write(json.dumps(dataclasses.asdict(res), default=str, ensure_ascii=False, indent=2) + "\n")
        return
    for note in res.notes:
        err.print(f"[yellow]{_('note')}:[/yellow] {note}")
    head = _("{mode} · {n} shown").format(mode=_(res.mode), n=len(res.hits))
    if res.total is not None:
        head += " · " + _("{total} matches").format(total=res.total)
    head += f" · {res.took_ms:.0f} ms"
    table = Table(title=head, show_lines=True)
    for col in ("#", _("publication"), _("title"), _("applicant"), _("date"), _("score"), _("why")):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(res.hits, 1):
        snippet = re.sub(r"</?mark>", "", h.snippet or h.title or "")
        table.add_row(
            str(i),
            h.publication_number,
            _cell(snippet),
            _cell(h.applicant),
            str(h.date or ""),
            f"{h.score:.3f}",
            "; ".join(h.why),
        )
    console.print(table)
    if res.facets and res.facet_unit == "families":
        console.print(_("Counts are families, like the grouped list."))
    for name, counts in (res.facets or {}).items():
        if counts:
            console.print(f"[bold]{_(name)}[/bold]: " + ", ".join(f"{c.value} ({c.count})" for c in counts[:8]))


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

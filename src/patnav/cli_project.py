"""``patnav project …``: define, run, refresh and inspect navigation projects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from patnav.cli_common import CorpusOpt, _corpus_path, _fail, console, err
from patnav.i18n import _

project_app = typer.Typer(
    help=_("Navigation projects (GB/T 39551): define a patent set and a question, get a report."),
    no_args_is_help=True,
)

DirOpt = Annotated[
    Path | None, typer.Option("--dir", help=_("Folder of project files (default: $PATNAV_PROJECTS or var/projects)."))
]


def _folder(value: Path | None) -> Path:
    from patnav.navigation.project import projects_dir

    return value if value is not None else projects_dir()


@project_app.command("new", help=_("Create a project file you can read, edit and version."))
def new_cmd(
    name: Annotated[str, typer.Argument(help=_("Project name (letters, digits, . _ -)."))],
    type: Annotated[
        str, typer.Option("--type", help=_("regional, industry, enterprise, rnd or talent (GB/T 39551 parts 2–6)."))
    ] = "industry",
    query: Annotated[
        str | None, typer.Option("--query", help=_("The patent set, in the search query language."))
    ] = None,
    seed_file: Annotated[
        Path | None, typer.Option("--seed-file", help=_("A text file of seed publication numbers, one per line."))
    ] = None,
    expand: Annotated[
        list[str] | None, typer.Option("--expand", help=_("Grow the set from the seeds: family, citations, ipc."))
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help=_("Region (country code) to position, e.g. CN."))
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help=_("Report language: zh, ja or en."))] = "zh",
    title: Annotated[str, typer.Option("--title", help=_("Report title."))] = "",
    competitor: Annotated[
        list[str] | None, typer.Option("--competitor", help=_("A competitor to benchmark (repeatable)."))
    ] = None,
    proposal_file: Annotated[
        Path | None, typer.Option("--proposal-file", help=_("The idea text an R&D project starts from."))
    ] = None,
    client: Annotated[
        str, typer.Option("--client", help=_("The client; for an enterprise project, its applicant name."))
    ] = "",
    industry_file: Annotated[
        str | None,
        typer.Option(
            "--industry-file",
            help=_("Regional projects: CSV of the region's industry structure (columns nace2,value[,label])."),
        ),
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=_("Data cut-off date (YYYY-MM-DD)."))] = None,
    denoise: Annotated[
        float | None,
        typer.Option(
            "--denoise",
            help=_("Remove semantic noise: members more than this many robust deviations from the core (e.g. 3)."),
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite an existing project file."))] = False,
    folder: DirOpt = None,
) -> None:
    from patnav.navigation.project import Project, ProjectError, project_path, save_project

    langs = {"zh": "zh_CN", "zh_CN": "zh_CN", "zh-CN": "zh_CN", "ja": "ja", "en": "en"}
    seeds: list[str] = []
    if seed_file is not None:
        if not seed_file.is_file():
            raise _fail(_("no seed file {path}").format(path=seed_file))
        seeds = [ln.strip() for ln in seed_file.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
    if industry_file is not None and not Path(industry_file).is_file():
        raise _fail(_("no industry file {path}").format(path=industry_file))
    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise _fail(_("--as-of wants a date as YYYY-MM-DD, not {value!r}").format(value=as_of)) from None
    project = Project(
        name=name,
        type=type,
        title=title,
        query=query,
        seeds=seeds,
        expand=list(expand or []),
        region=region,
        lang=langs.get(lang, lang),
        as_of=day,
        competitors=list(competitor or []),
        proposal=proposal_file.read_text(encoding="utf-8") if proposal_file else None,
        denoise=denoise,
        client=client,
        industry_file=str(Path(industry_file).resolve()) if industry_file else None,  # the project file lives elsewhere
    )
    path = project_path(name, _folder(folder))
    if path.exists() and not force:
        raise _fail(_("{path} exists; use --force to overwrite it").format(path=path))
    try:
        save_project(project, path)
    except ProjectError as exc:
        raise _fail(str(exc)) from None
    console.print(_("Wrote {path}").format(path=path))


def _run(
    name: str, corpus: Path | None, out: Path | None, formats: list[str] | None, folder: Path | None, compare: bool
) -> None:
    from patnav.navigation.project import ProjectError, load_project, project_path
    from patnav.navigation.runner import FORMATS, run_project

    path = project_path(name, _folder(folder))
    try:
        project = load_project(path)
    except ProjectError as exc:
        raise _fail(str(exc)) from None
    wanted = list(formats or FORMATS)
    bad = [f for f in wanted if f not in FORMATS]
    if bad:
        raise _fail(_("unknown format(s) {bad}; choose from {choices}").format(bad=bad, choices=", ".join(FORMATS)))
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err)
    with progress:
        task = progress.add_task(_("Running the project"), total=None)
        try:
            result = run_project(
                project,
                _corpus_path(corpus),
                project_file=path,
                out_dir=out,
                runs_dir=path.parent / project.name,
                formats=wanted,
                progress=lambda step: progress.update(task, description=f"{_('Running the project')}: {step}"),
                compare=compare,
            )
        except ProjectError as exc:
            raise _fail(str(exc)) from None
    for line in result.changes:
        console.print(f"• {line}")
    for fmt, file in result.outputs.items():
        console.print(f"{fmt:5} {file}")
    console.print(
        _("{n} publications; {s:.1f} s").format(
            n=result.report.summary.get("publications"), s=sum(result.timings.values())
        )
    )


@project_app.command("run", help=_("Run a project: report.html, report.pdf, report.docx and data.xlsx."))
def run_cmd(
    name: Annotated[str, typer.Argument(help=_("Project name or file."))],
    out: Annotated[
        Path | None, typer.Option("--out", help=_("Folder for the outputs (default: the run folder)."))
    ] = None,
    format: Annotated[
        list[str] | None, typer.Option("--format", help=_("Only these formats: html, pdf, docx, xlsx (repeatable)."))
    ] = None,
    corpus: CorpusOpt = None,
    folder: DirOpt = None,
) -> None:
    _run(name, corpus, out, format, folder, compare=False)


@project_app.command("refresh", help=_("Run a project again and report what changed since its last run."))
def refresh_cmd(
    name: Annotated[str, typer.Argument(help=_("Project name or file."))],
    out: Annotated[
        Path | None, typer.Option("--out", help=_("Folder for the outputs (default: the run folder)."))
    ] = None,
    format: Annotated[
        list[str] | None, typer.Option("--format", help=_("Only these formats: html, pdf, docx, xlsx (repeatable)."))
    ] = None,
    corpus: CorpusOpt = None,
    folder: DirOpt = None,
) -> None:
    _run(name, corpus, out, format, folder, compare=True)


@project_app.command("show", help=_("A project's plan, data scope, cut-off, rule versions and last runs."))
def show_cmd(name: Annotated[str, typer.Argument(help=_("Project name or file."))], folder: DirOpt = None) -> None:
    from patnav.navigation.project import ProjectError, load_project, project_path
    from patnav.report.model import Report

    path = project_path(name, _folder(folder))
    try:
        project = load_project(path)
    except ProjectError as exc:
        raise _fail(str(exc)) from None
    console.print(f"[bold]{project.title or project.name}[/bold] ({path})")
    console.print(project.to_yaml())
    runs = sorted((path.parent / project.name / "runs").glob("*/report.json"))
    if not runs:
        console.print(_("Not run yet: patnav project run {name}").format(name=project.name))
        return
    table = Table(title=_("Runs"))
    for col in (_("run"), _("publications"), _("data cut-off"), _("stage"), _("high-value")):
        table.add_column(col)
    for file in runs[-10:]:
        summary = Report.from_json(file.read_text(encoding="utf-8")).summary
        table.add_row(
            file.parent.name,
            str(summary.get("publications")),
            str(summary.get("as_of")),
            str(summary.get("stage")),
            str(len(summary.get("high_value", []))),
        )
    console.print(table)
    latest = Report.from_json(runs[-1].read_text(encoding="utf-8"))
    for key, value in latest.provenance:
        console.print(f"[dim]{key}: {value}[/dim]")

"""``patnav indicators …`` and ``patnav rules …``: compute, explain and summarise indicators; show the rules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patnav.cli_common import CorpusOpt, EngineOpt, _corpus_path, _fail, console, err
from patnav.i18n import _, current_lang
from patnav.indicators.reference import reference_folder

indicators_app = typer.Typer(
    help=_("Patent indicators: legal status, OECD quality, CNIPA high-value, industries."), no_args_is_help=True
)
rules_app = typer.Typer(help=_("The versioned rules behind every indicator: sources, dates, verified or not."))

#: the steps of a run, in order, for the progress bar
_STEPS = (
    "reference",
    "publications",
    "classes",
    "citation_links",
    "forward_citations",
    "backward_citations",
    "generality_originality",
    "family",
    "legal_status",
    "high_value",
    "industries",
    "cohorts",
)


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(
            _("{option} wants a date as YYYY-MM-DD, not {value!r}").format(option=option, value=value)
        ) from None


@indicators_app.command("compute", help=_("Compute every indicator for every publication and save them."))
def compute_cmd(
    engine: EngineOpt = "duckdb",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help=_("Date the status and windows are judged at (default: today)."))
    ] = None,
    reference_dir: Annotated[
        Path | None,
        typer.Option("--reference-dir", help=_("Folder with the WIPO and NACE concordance files.")),
    ] = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help=_("A rule version to use, as domain=version (repeatable)."))
    ] = None,
    awards: Annotated[Path | None, typer.Option("--awards", help=_("CSV/XLSX of award-winning patents."))] = None,
    pledges: Annotated[
        Path | None, typer.Option("--pledges", help=_("CSV/XLSX of pledges with amounts in CNY."))
    ] = None,
    corpus: CorpusOpt = None,
) -> None:
    from patnav.engine import EngineError, EngineUnavailableError
    from patnav.indicators.compute import compute_indicators
    from patnav.indicators.reference import ReferenceError
    from patnav.indicators.results import save_run
    from patnav.indicators.rules import RuleError

    versions: dict[str, str] = {}
    for item in rule or []:
        domain, sep, version = item.partition("=")
        if not sep or not domain or not version:
            raise _fail(_("--rule wants domain=version, e.g. high_value=15FYP-4cat, not {item!r}").format(item=item))
        versions[domain.strip()] = version.strip()
    day = _parse_date(as_of, "--as-of")
    path = _corpus_path(corpus)
    folder = reference_folder(reference_dir)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
    with progress:
        task = progress.add_task(_("Computing indicators"), total=len(_STEPS))
        done: list[str] = []

        def step(name: str) -> None:
            if done:
                progress.advance(task)
            done.append(name)
            progress.update(task, description=f"{_('Computing indicators')}: {name}")

        try:
            run = compute_indicators(
                path,
                engine=engine,
                as_of=day,
                reference_dir=folder,
                rule_versions=versions,
                awards=awards,
                pledges=pledges,
                progress=step,
            )
        except (EngineUnavailableError, RuleError, ReferenceError, ValueError) as exc:
            raise _fail(str(exc)) from None
        except EngineError as exc:
            raise _fail(str(exc), 1) from None
        progress.update(task, completed=len(_STEPS))
    save_run(run, path)
    _print_run_summary(run)
    _carry_statuses_to_search(path)


def _carry_statuses_to_search(path: Path) -> None:
    """Re-index the publications whose legal status the run changed, when the corpus has a full-text index:
    search's status facet and ``status:`` filter read the derived status from there."""
    from patnav.search.text_index import update_if_indexed

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task(_("full-text index: legal status"), total=None, visible=False)
        stats = update_if_indexed(
            path, progress=lambda done, total: bar.update(task, completed=done, total=total, visible=True)
        )
    if stats is not None:
        console.print(
            _("full-text index: {n} publications re-indexed with their new legal status").format(n=stats.indexed)
        )


def _print_run_summary(run: Any) -> None:
    table = run.table
    statuses = table.group_by("status").aggregate([([], "count_all")]).to_pylist()
    summary = Table(title=_("Indicators as of {date} ({engine})").format(date=run.as_of, engine=run.engine))
    summary.add_column(_("figure"))
    summary.add_column(_("value"), justify="right")
    summary.add_row(_("publications"), f"{table.num_rows:,}")
    for row in sorted(statuses, key=lambda r: -r["count_all"]):
        summary.add_row(f"{_('status')}: {row['status'] or _('unknown')}", f"{row['count_all']:,}")
    high = sum(1 for v in table.column("high_value").to_pylist() if v)
    summary.add_row(_("high-value invention patents (in force)"), f"{high:,}")
    qi = table.column("quality_index_4")
    summary.add_row(_("with quality_index_4"), f"{table.num_rows - qi.null_count:,}")
    summary.add_row(_("seconds"), f"{sum(run.timings.values()):.1f}")
    console.print(summary)
    _print_provenance(run.manifest())


def _print_provenance(manifest: dict[str, Any]) -> None:
    console.print(f"[bold]{_('Rules')}:[/bold] " + ", ".join(sorted(set(manifest.get("rules", {}).values()))))
    for name, source in sorted(manifest.get("references", {}).items()):
        console.print(f"[bold]{_('Reference')}:[/bold] {name}: {source}")
    for label in manifest.get("placeholders", []):
        console.print(f"[yellow]{_('Placeholder table used')}:[/yellow] {label}")
    for caveat in manifest.get("caveats", []):
        console.print(f"[dim]{_('Note')}: {_(caveat)}[/dim]")


@indicators_app.command("show", help=_("Every indicator of one publication, with its inputs, cohort and rules."))
def show_cmd(
    number: Annotated[str, typer.Argument(help=_("Publication number, e.g. US7197497B2."))],
    as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON instead of tables."))] = False,
    corpus: CorpusOpt = None,
) -> None:
    import pyarrow.compute as pc

    from patnav.engine import get_engine
    from patnav.indicators.explain import definitions, inputs
    from patnav.indicators.results import NoIndicatorsError, load_run
    from patnav.model.numbers import PatentNumberError, parse_publication_number

    path = _corpus_path(corpus)
    try:
        run = load_run(path)
    except NoIndicatorsError as exc:
        raise _fail(str(exc)) from None
    keys = run.publications.column("publication_number")
    wanted = number.strip().upper().replace(" ", "")
    try:
        parsed = parse_publication_number(number)
        wanted = str(parsed)
    except PatentNumberError:
        parsed = None
    mask = pc.equal(keys, wanted)
    if not pc.any(mask).as_py() and parsed is not None:
        bare = f"{parsed.country}{parsed.number}"
        mask = pc.starts_with(keys, bare)
    rows = run.publications.filter(mask).to_pylist()
    if not rows:
        raise _fail(
            _("{number} has no indicators (not loaded, or loaded after the last compute)").format(number=number)
        )
    row = rows[-1]
    pub = row["publication_number"]
    reasons: dict[str, list[str]] = {}
    for r in run.missing.filter(pc.equal(run.missing.column("publication_number"), pub)).to_pylist():
        reasons.setdefault(r["indicator"], []).append(r["reason"])
    with get_engine("duckdb", path) as engine:
        raw = inputs(engine, pub)
    industries = run.industries.filter(pc.equal(run.industries.column("publication_number"), pub)).to_pylist()
    if as_json:
        out = {
            "indicators": row,
            "missing": reasons,
            "inputs": {"citing": raw.citing, "cited": raw.cited, "family": raw.family, "subclasses": raw.subclasses},
            "industries": industries,
            "run": {k: v for k, v in run.manifest.items() if k != "labels"},
        }
        console.print_json(json.dumps(out, default=str, ensure_ascii=False))
        return
    defs = definitions()
    table = Table(title=f"{pub} · {_('as of')} {run.manifest.get('as_of')}", show_lines=False)
    table.add_column(_("indicator"))
    table.add_column(_("value"), overflow="fold")
    table.add_column(_("meaning / why missing"), overflow="fold")
    for key, value in row.items():
        if key in ("publication_number",):
            continue
        if value is None:
            shown = "—"
            note = "; ".join(reasons.get(key, [])) or defs.get(key, "")
        else:
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            note = defs.get(key, "")
        if key == "tech_field" and value is not None:
            label = run.manifest.get("labels", {}).get("wipo35", {}).get(str(value), {}).get("en")
            shown = f"{value} ({label})" if label else shown
        if key == "hv_evidence" and value:
            shown = json.dumps(json.loads(value), ensure_ascii=False)
        table.add_row(key, shown, note)
    console.print(table)
    if industries:
        labels = run.manifest.get("labels", {})
        lang = current_lang().split("_")[0]
        parts = []
        for r in industries:
            names = labels.get(r["scheme"], {}).get(r["code"], {})
            parts.append(f"{r['scheme']}:{r['code']} {names.get(lang) or names.get('en') or ''} ×{r['weight']:.3g}")
        console.print(f"[bold]{_('Industries')}:[/bold] " + "; ".join(parts))
    console.print(f"[bold]{_('IPC subclasses')}:[/bold] {', '.join(raw.subclasses) or '—'}")
    console.print(f"[bold]{_('Family members')}:[/bold] {', '.join(raw.family) or '—'}")
    console.print(f"[bold]{_('Cited by (loaded)')}:[/bold] " + (", ".join(f"{n} ({d})" for n, d in raw.citing) or "—"))
    console.print(f"[bold]{_('Cites')}:[/bold] " + (", ".join(f"{n}" for n, _c in raw.cited) or "—"))
    _print_provenance(run.manifest)


@indicators_app.command("portfolio", help=_("Indicators summed per applicant, country, industry, field or year."))
def portfolio_cmd(
    by: Annotated[str, typer.Option("--by", help=_("applicant, country, industry, tech-field or year."))] = "applicant",
    top: Annotated[int, typer.Option("--top", help=_("Groups to show."))] = 50,
    scheme: Annotated[
        str, typer.Option("--scheme", help=_("Industry classification for --by industry: nace2 or pii."))
    ] = "nace2",
    out: Annotated[
        Path | None, typer.Option("--out", help=_("Also write the table to .xlsx, .csv or .parquet."))
    ] = None,
    engine: EngineOpt = "duckdb",
    corpus: CorpusOpt = None,
) -> None:
    from patnav.engine import EngineUnavailableError, get_engine
    from patnav.indicators.portfolio import BY_VALUES, portfolio, portfolio_table
    from patnav.indicators.results import NoIndicatorsError, load_run

    if by not in BY_VALUES:
        raise _fail(_("cannot group by {by!r}; choose one of {choices}").format(by=by, choices=", ".join(BY_VALUES)))
    path = _corpus_path(corpus)
    try:
        run = load_run(path)
        with get_engine(engine, path) as eng:
            result = portfolio(eng, run, by, top=top, scheme=scheme, lang=current_lang().split("_")[0])
    except (NoIndicatorsError, EngineUnavailableError, ValueError) as exc:
        raise _fail(str(exc)) from None
    table = Table(title=_("Portfolio by {by}").format(by=by) + f" · {result.groups:,} {_('groups')}")
    for name, justify in (
        (_("group"), "left"),
        (_("publications"), "right"),
        (_("in force"), "right"),
        (_("high-value"), "right"),
        (_("breakthrough"), "right"),
        (_("mean quality_index_4"), "right"),
        (_("mean fwd_cits5"), "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in result.rows:
        key = f"{r.key} {r.label}" if r.label else r.key
        table.add_row(
            key,
            _num(r.publications),
            _num(r.in_force),
            _num(r.high_value),
            _num(r.breakthrough),
            "—" if r.mean_quality_index_4 is None else f"{r.mean_quality_index_4:.3f}",
            "—" if r.mean_fwd_cits5 is None else f"{r.mean_fwd_cits5:.2f}",
        )
    console.print(table)
    if result.missing:
        console.print(_("{n} publications have no {by}").format(n=_num(result.missing), by=by))
    if by == "industry":
        console.print(f"[dim]{_('Industries count fractionally: a patent in n industries adds 1/n to each.')}[/dim]")
    _print_provenance(run.manifest)
    if out is not None:
        _write_table(portfolio_table(result), out, run.manifest)
        console.print(_("Wrote {path}").format(path=out))


def _ratio(value: float | None) -> str:
    """A KPI ratio: two decimals, or two significant digits when it is that small."""
    if value is None:
        return "—"
    return f"{value:.2f}" if value == 0 or abs(value) >= 0.01 else f"{value:.2g}"


def _num(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def _write_table(table: Any, out: Path, manifest: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "portfolio"
        sheet.append(table.column_names)
        for row in table.to_pylist():
            sheet.append([row[c] for c in table.column_names])
        about = book.create_sheet("about")
        for key in ("as_of", "engine", "computed_at"):
            about.append([key, str(manifest.get(key))])
        for domain, label in sorted(manifest.get("rules", {}).items()):
            about.append(["rule", domain, label])
        for label in manifest.get("placeholders", []):
            about.append(["placeholder", label])
        for caveat in manifest.get("caveats", []):
            about.append(["caveat", caveat])
        book.save(out)
    elif suffix == ".csv":
        pacsv.write_csv(table, out)
    elif suffix == ".parquet":
        pq.write_table(pa.table(table), out)
    else:
        raise _fail(_("--out must end in .xlsx, .csv or .parquet"))


@rules_app.command("list", help=_("Every rule version: domain, version, effective date, verified, placeholder."))
def rules_list(domain: Annotated[str | None, typer.Argument(help=_("Only this domain."))] = None) -> None:
    from patnav.indicators.rules import RuleError, available_rules

    try:
        rules = available_rules(domain)
    except RuleError as exc:
        raise _fail(str(exc)) from None
    table = Table()
    for name in (_("domain"), _("version"), _("effective from"), _("verified"), _("placeholder")):
        table.add_column(name, no_wrap=True)
    table.add_column(_("title"), overflow="fold")
    for r in rules:
        version = f"{r.version} *" if r.default else r.version
        table.add_row(
            r.domain,
            version,
            str(r.effective_from),
            _("yes") if r.verified else _("no"),
            _("yes") if r.placeholder else "",
            r.title,
        )
    console.print(table)
    console.print(f"[dim]{_('* = the default version of its domain')}[/dim]")


@rules_app.command("show", help=_("One rule: its source, notes and every parameter."))
def rules_show(
    domain: Annotated[str, typer.Argument(help=_("Rule domain, e.g. high_value."))],
    version: Annotated[str | None, typer.Argument(help=_("Version (default: the domain's default)."))] = None,
) -> None:
    import yaml

    from patnav.indicators.rules import RuleError, load_rule

    try:
        r = load_rule(domain, version)
    except RuleError as exc:
        raise _fail(str(exc)) from None
    console.print(f"[bold]{r.domain}/{r.version}[/bold] — {r.title}")
    console.print(f"{_('effective from')}: {r.effective_from}   {_('verified')}: {_('yes') if r.verified else _('no')}")
    if r.placeholder:
        console.print(f"[yellow]{_('Placeholder: replace with the official table before relying on it.')}[/yellow]")
    console.print(f"[bold]{_('Source')}:[/bold] {r.source}")
    if r.notes:
        console.print(f"[bold]{_('Notes')}:[/bold] {r.notes}")
    console.print(f"[bold]{_('File')}:[/bold] {r.path}")
    console.print(yaml.safe_dump(dict(r.params), allow_unicode=True, sort_keys=False))


@indicators_app.command(
    "intensity", help=_("Patent intensity per industry: invention grants per 10,000 employees, when you supply them.")
)
def intensity_cmd(
    employment: Annotated[
        Path, typer.Option("--employment", help=_("CSV/XLSX with columns industry and employment (persons)."))
    ],
    year: Annotated[int, typer.Option("--year", help=_("Last year of the grant window."))],
    window: Annotated[int, typer.Option("--window", help=_("Years of grants counted."))] = 5,
    scheme: Annotated[str, typer.Option("--scheme", help=_("Industry classification: nace2 or pii."))] = "nace2",
    engine: EngineOpt = "duckdb",
    corpus: CorpusOpt = None,
) -> None:
    from patnav.engine import EngineUnavailableError, get_engine
    from patnav.indicators.intensity import intensity, read_employment
    from patnav.indicators.reference import ReferenceError
    from patnav.indicators.results import NoIndicatorsError, load_run

    path = _corpus_path(corpus)
    try:
        run = load_run(path)
        figures = read_employment(employment)
        with get_engine(engine, path) as eng:
            result = intensity(
                eng, run, figures, scheme=scheme, last_year=year, window=window, lang=current_lang().split("_")[0]
            )
    except (NoIndicatorsError, EngineUnavailableError, ReferenceError, ValueError) as exc:
        raise _fail(str(exc)) from None
    title = _("Patent intensity {first}–{last} ({scheme})").format(
        first=result.first_year, last=result.last_year, scheme=scheme
    )
    table = Table(title=title)
    for name, justify in (
        (_("industry"), "left"),
        (_("invention grants"), "right"),
        (_("employment"), "right"),
        (_("grants per 10,000 employees"), "right"),
        (_("patent-intensive"), "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in result.rows:
        table.add_row(
            f"{r.code} {r.label or ''}".strip(),
            _num(r.grants),
            _num(r.employment),
            "—" if r.intensity is None else f"{r.intensity:.3f}",
            _("yes") if r.patent_intensive else "",
        )
    console.print(table)
    if result.weighted_mean_intensity is not None:
        console.print(
            _("Employment-weighted mean intensity {mean:.3f}; mean grants {grants:.2f}.").format(
                mean=result.weighted_mean_intensity, grants=result.mean_grants
            )
        )
    if result.without_employment:
        console.print(
            _("Industries with grants but no employment figure: {codes}").format(
                codes=", ".join(result.without_employment)
            )
        )
    _print_provenance(run.manifest)


def kpi_cmd(
    financials: Annotated[
        Path, typer.Option("--financials", help=_("CSV/XLSX of enterprises: name, year, operating revenue, profit…"))
    ],
    year: Annotated[int, typer.Option("--year", help=_("The year whose end the patents are counted at."))],
    denominator: Annotated[
        str, typer.Option("--denominator", help=_("operating_revenue (the plan's wording) or operating_profit."))
    ] = "operating_revenue",
    office: Annotated[
        list[str] | None, typer.Option("--office", help=_("Count only patents of this office (repeatable), e.g. CN."))
    ] = None,
    rule: Annotated[str | None, typer.Option("--rule", help=_("KPI rule version (default: the default)."))] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help=_("Also write the enterprise table to .xlsx or .csv."))
    ] = None,
    corpus: CorpusOpt = None,
) -> None:
    """High-value invention patents in force per 100 million yuan, per enterprise and overall."""
    from patnav.engine import get_engine
    from patnav.indicators.financials import FinancialsError, read_financials
    from patnav.indicators.kpi import KpiError, compute_kpi
    from patnav.indicators.results import NoIndicatorsError, load_run
    from patnav.indicators.rules import RuleError, load_rule

    if denominator not in ("operating_revenue", "operating_profit"):
        raise _fail(_("--denominator is operating_revenue or operating_profit"))
    path = _corpus_path(corpus)
    try:
        run = load_run(path)
    except NoIndicatorsError:
        message = _("no indicators computed yet: run `patnav indicators compute --as-of {year}-12-31` first")
        raise _fail(message.format(year=year)) from None
    try:
        enterprises = read_financials(financials)
        with get_engine("duckdb", path) as engine:
            result = compute_kpi(
                engine,
                run,
                enterprises,
                year=year,
                denominator=denominator,  # type: ignore[arg-type]
                rule=load_rule("kpi", rule),
                offices=office or None,
            )
    except (FinancialsError, KpiError, RuleError) as exc:
        raise _fail(str(exc)) from None
    unit = _("100 million yuan")
    per = _("high-value per {unit} of {denominator}").format(unit=unit, denominator=_(result.denominator))
    table = Table(title=_("Action-plan KPI, {year} ({per})").format(year=year, per=per))
    for name, justify in (
        (_("enterprise"), "left"),
        (_("industry"), "left"),
        (_("region"), "left"),
        (_(result.denominator) + f" ({unit})", "right"),
        (_("high-value"), "right"),
        (_("in-force inventions"), "right"),
        (_("KPI"), "right"),
        (_("note"), "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for e in result.enterprises:
        table.add_row(
            e.name,
            e.industry or "",
            e.region or "",
            "—" if e.denominator_cny is None else f"{e.denominator_cny / result.unit_cny:,.2f}",
            str(e.high_value),
            str(e.in_force_inventions),
            _ratio(e.kpi),
            e.reason or ("" if e.matched else _("no matching applicant")),
        )
    console.print(table)
    groups = Table(
        title=_("Aggregates (sum of patents ÷ sum of {denominator})").format(denominator=_(result.denominator))
    )
    for name in (_("group"), _("enterprises"), _("high-value"), _("KPI"), _("distance to target")):
        groups.add_column(name, overflow="fold")
    for agg in (result.overall, result.above_scale, *result.by_industry, *result.by_region):
        groups.add_row(
            f"{_(agg.group)}{': ' + agg.key if agg.key else ''}",
            str(agg.enterprises),
            str(agg.high_value),
            _ratio(agg.kpi),
            "—" if agg.distance_to_target is None else f"{agg.distance_to_target:+.2f}",
        )
    console.print(groups)
    console.print(
        _("Target: about {target} by {target_year} ({rule}); patents in force at {end}.").format(
            target=result.target, target_year=result.target_year, rule=result.rule_label, end=result.period_end
        )
    )
    if result.unmatched:
        console.print(_("Enterprises matching no applicant: {names}").format(names=", ".join(result.unmatched)))
    for caveat in result.caveats:
        console.print(f"[dim]{_('Note')}: {caveat}[/dim]")
    if out is not None:
        import pyarrow as pa

        rows = [
            {
                "enterprise": e.name, "industry": e.industry, "region": e.region, "denominator": result.denominator,
                "denominator_cny": e.denominator_cny, "high_value": e.high_value,
                "in_force_inventions": e.in_force_inventions, "kpi": e.kpi, "in_force_per_unit": e.in_force_per_unit,
                "matched": e.matched, "reason": e.reason,
            }
            for e in result.enterprises
        ]  # fmt: skip
        manifest = dict(run.manifest)
        manifest["caveats"] = [*manifest.get("caveats", []), *result.caveats, result.rule_label]
        _write_table(pa.Table.from_pylist(rows), out, manifest)
        console.print(_("Wrote {path}").format(path=out))

"""Compute every indicator for every publication of a corpus, on any engine, and keep the run's provenance.

The engine does the joins and counts (the same SQL on DuckDB and Spark, :mod:`patnav.indicators.sql`); this
module turns those exact counts into indicators with NumPy and pure functions, so the two engines give
identical results. A run records the date it is "as of", the engine, every rule version and reference table it
used (placeholders flagged), per-step timings and the caveats a reader must see.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from patnav.engine import Engine, get_engine
from patnav.i18n import N_
from patnav.indicators import cohorts, sql
from patnav.indicators.reference import (
    REFERENCE_SCHEMA,
    WIPO_FILE,
    ReferenceError,
    load_industry,
    load_wipo_fields,
    reference_dir,
    table_from_rule,
)
from patnav.indicators.rules import Rule, RuleError, load_rule
from patnav.indicators.status import Event, add_years_days, bulk_estimated_status, legal_status

#: the rule domains a run uses, and the industry concordances it applies by default
DOMAINS = ("legal_term", "oecd_quality", "high_value")
DEFAULT_INDUSTRIES = ("nace2-eurostat", "pii-2019-placeholder")

AWARDS_SCHEMA = pa.schema(
    [("publication_number", pa.string()), ("award", pa.string()), ("level", pa.string()), ("year", pa.int64())]
)
PLEDGES_SCHEMA = pa.schema([("publication_number", pa.string()), ("record", pa.string()), ("amount_cny", pa.float64())])


@dataclass
class IndicatorRun:
    """What ``compute_indicators`` returns: the tables and everything needed to explain them.

    ``table``: one row per publication (see :data:`COLUMNS` in the docs); ``industries``: fractional industry
    shares ``(publication_number, scheme, code, weight)``; ``missing``: why an indicator is NULL
    ``(publication_number, indicator, reason)``.
    """

    table: pa.Table
    industries: pa.Table
    missing: pa.Table
    as_of: dt.date
    engine: str
    rules: dict[str, str]
    references: dict[str, str]
    placeholders: list[str]
    caveats: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    computed_at: str = ""
    labels: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        """The run's provenance as plain JSON-able data (written beside the tables)."""
        return {
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "computed_at": self.computed_at,
            "publications": self.table.num_rows,
            "rules": self.rules,
            "references": self.references,
            "placeholders": self.placeholders,
            "caveats": self.caveats,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "labels": self.labels,
        }


class _Steps:
    """Times named steps and reports them to an optional progress callback."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


class _Columns:
    """Per-publication arrays aligned with the base table's row order, filled from step results by key."""

    def __init__(self, keys: pa.Array) -> None:
        self.keys = keys
        self.n = len(keys)
        self.values: dict[str, np.ndarray] = {}
        self.valid: dict[str, np.ndarray] = {}

    def positions(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        """Row positions of ``table``'s publications in the base table, and which of them are loaded at all."""
        idx = pc.index_in(table.column("publication_number"), value_set=self.keys)
        found = ~np.asarray(idx.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        return idx.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64), found

    def scatter(self, table: pa.Table, columns: Mapping[str, str], *, kind: str = "f") -> None:
        """Copy ``table[src]`` into the arrays named ``columns[src]`` at the rows of its publications."""
        pos, found = self.positions(table)
        for src, dst in columns.items():
            col = table.column(src)
            fill: Any = np.nan if kind == "f" else (0 if kind == "i" else None)
            values = np.full(self.n, fill, dtype=float if kind == "f" else (np.int64 if kind == "i" else object))
            valid = np.zeros(self.n, dtype=bool)
            present = found & ~np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            if kind == "o":
                data = np.array(col.to_pylist(), dtype=object)
            else:
                data = col.fill_null(0).to_numpy(zero_copy_only=False)
            values[pos[present]] = data[present]
            valid[pos[present]] = True
            self.values[dst], self.valid[dst] = values, valid

    def set(self, name: str, values: np.ndarray, valid: np.ndarray) -> None:
        self.values[name], self.valid[name] = values, valid


def _date_ints(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 and validity of a date column."""
    valid = ~np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    days = col.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    return days, valid


def _empty_ref(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def read_user_table(path: Path, schema: pa.Schema, *, what: str, key: str = "publication_number") -> pa.Table:
    """A user's CSV/TSV/XLSX table (awards, pledges) with the columns of ``schema`` (header names, any case).

    A bad cell raises :class:`ReferenceError` naming the file, the row and the column: these tables decide
    high-value flags, so a silently skipped row would change a figure. ``key`` names the column that must be
    filled in every row; it fills the schema's first column.
    """
    from patnav.ingest.base import Rejected, Source, SourceError
    from patnav.ingest.text_source import clean_header, iter_table

    if not path.is_file():
        raise ReferenceError(f"{path}: {what} table not found")
    source = Source(str(path), lambda: path.open("rb"), path.stat().st_size)
    out: dict[str, list[Any]] = {f.name: [] for f in schema}
    try:
        for row in iter_table(source):
            if isinstance(row, Rejected):
                raise ReferenceError(f"{path}, {row.position}: {row.reason} ({what} table)")
            cells = {clean_header(k): (v or "").strip() for k, v in row.as_dict().items()}
            where = f"{path}, {row.position}"
            if not cells.get(key):
                raise ReferenceError(f"{where}, {key}: empty ({what} table)")
            for i, f in enumerate(schema):
                text = cells.get(key if i == 0 else f.name, "")
                value: Any = text or None
                if value is not None and (pa.types.is_floating(f.type) or pa.types.is_integer(f.type)):
                    try:
                        number = float(text.replace(",", ""))
                    except ValueError as exc:
                        raise ReferenceError(f"{where}, {f.name}: {text!r} is not a number ({what} table)") from exc
                    value = number if pa.types.is_floating(f.type) else int(number)
                out[f.name].append(value)
    except SourceError as exc:
        raise ReferenceError(f"{path}: {exc}") from exc
    return pa.table(out, schema=schema)


def compute_indicators(
    corpus_path: Path | str,
    *,
    engine: str = "duckdb",
    as_of: dt.date | None = None,
    reference_dir: Path | str | None = None,
    rule_versions: Mapping[str, str] | None = None,
    industries: tuple[str, ...] = DEFAULT_INDUSTRIES,
    awards: Path | str | None = None,
    pledges: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
    engine_options: Mapping[str, Any] | None = None,
) -> IndicatorRun:
    """Every indicator for every publication of the corpus at ``corpus_path`` on ``engine`` (see :func:`compute`)."""
    with get_engine(engine, corpus_path, **dict(engine_options or {})) as eng:
        return compute(
            eng,
            as_of=as_of,
            reference_dir=reference_dir,
            rule_versions=rule_versions,
            industries=industries,
            awards=awards,
            pledges=pledges,
            progress=progress,
        )


def compute(
    engine: Engine,
    *,
    as_of: dt.date | None = None,
    reference_dir: Path | str | None = None,
    rule_versions: Mapping[str, str] | None = None,
    industries: tuple[str, ...] = DEFAULT_INDUSTRIES,
    awards: Path | str | None = None,
    pledges: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
) -> IndicatorRun:
    """Every indicator for every publication behind ``engine``, as of ``as_of`` (default: today).

    ``reference_dir`` holds the user's reference tables (the WIPO technology concordance, Eurostat's
    IPC → NACE table; default ``PATNAV_REFERENCE_DIR``); without the WIPO table there are no technology fields,
    hence no cohorts and no normalised indicators (each NULL with that reason). ``rule_versions`` picks rule
    versions per domain (default: each domain's default). ``awards`` and ``pledges`` are the user's CSV/XLSX
    tables for the high-value award and pledge categories.
    """
    as_of = as_of or dt.date.today()
    versions = dict(rule_versions or {})
    steps = _Steps(progress)
    caveats: list[str] = []
    with steps.step("reference"):
        rules: dict[str, Rule] = {d: load_rule(d, versions.get(d)) for d in DOMAINS}
        folder = reference_dir if reference_dir is not None else _default_reference_dir()
        folder = Path(folder) if folder is not None else None
        references: dict[str, str] = {}
        labels: dict[str, dict[str, dict[str, str]]] = {}
        placeholders: list[str] = [r.label for r in rules.values() if r.placeholder]
        wipo_path = folder / WIPO_FILE if folder else None
        if wipo_path is not None and wipo_path.is_file():
            wipo = load_wipo_fields(wipo_path)
            references["wipo35"] = wipo.source
            labels["wipo35"] = wipo.labels
            engine.register("ref_wipo", wipo.table)
        else:
            engine.register("ref_wipo", _empty_ref(REFERENCE_SCHEMA))
            caveats.append(
                N_(
                    "no WIPO technology concordance (ipc_technology_wipo35.csv) in the reference folder: no "
                    "technology fields, so no cohorts and no cohort-normalised indicators"
                )
            )
        hv = rules["high_value"]
        categories = [c["id"] for c in hv.param("categories")]
        sei_table = None
        if "sei" in categories:
            sei_rule = _sei_rule(next(c for c in hv.param("categories") if c["id"] == "sei").get("table", "sei-2018"))
            sei_table = table_from_rule(sei_rule)
            references["sei"] = sei_table.source
            if sei_table.placeholder:
                placeholders.append(sei_rule.label)
            engine.register("ref_sei", sei_table.table)
        granted = [(office, kind) for office, kinds in hv.param("granted_kinds").items() for kind in kinds]
        engine.register(
            "ref_granted_kinds",
            pa.table({"office": [o for o, _ in granted], "kind": [k for _, k in granted]}),
        )
        awards_table = read_user_table(Path(awards), AWARDS_SCHEMA, what="awards") if awards else None
        engine.register("ref_awards", awards_table if awards_table is not None else _empty_ref(AWARDS_SCHEMA))
        pledge_table = read_user_table(Path(pledges), PLEDGES_SCHEMA, what="pledges") if pledges else None
        engine.register("ref_pledges", pledge_table if pledge_table is not None else _empty_ref(PLEDGES_SCHEMA))
        if awards:
            references["awards"] = str(awards)
        elif "award" in categories:
            caveats.append(N_("no award table supplied: the award category was not evaluated (NULL)"))
        if pledges:
            references["pledges"] = str(pledges)
        industry_tables = []
        for version in industries:
            rule = load_rule("industry", version)
            try:
                ref = load_industry(rule, folder)
            except ReferenceError as exc:
                caveats.append(f"industry concordance {version} not applied: {exc}")
                continue
            industry_tables.append((rule, ref))
            references[ref.scheme] = ref.source
            labels[ref.scheme] = ref.labels
            if ref.placeholder:
                placeholders.append(rule.label)

    with steps.step("publications"):
        base = engine.query(sql.PUBLICATIONS).sort_by("publication_number")
    cols = _Columns(base.column("publication_number").combine_chunks())

    with steps.step("classes"):
        symbols = engine.query(sql.CLASSES)
        engine.register("ind_symbols", symbols)
        classes = symbols.group_by(["publication_number", "cls"]).aggregate([]).select(["publication_number", "cls"])
        counts = classes.group_by("publication_number").aggregate([([], "count_all")])
        counts = counts.rename_columns(["publication_number", "k"])
        engine.register("ind_class_counts", counts)
        engine.register("ind_classes", _with_class_weights(classes, counts))
        cols.scatter(engine.query(sql.SCOPE), {"patent_scope": "patent_scope"}, kind="i")
        cols.scatter(engine.query(sql.FIELDS), {"tech_field": "tech_field", "fields": "fields"}, kind="i")

    oecd = rules["oecd_quality"]
    windows = [int(w) for w in oecd.param("windows")]
    with steps.step("citation_links"):
        engine.register("ind_links", engine.query(sql.links(list(oecd.param("xy_categories")))))
    with steps.step("forward_citations"):
        fwd = engine.query(sql.forward(windows))
    fwd_names = ["fwd_cits"] + [f"fwd_cits{w}{x}" for w in windows for x in ("", "_xy")]
    cols.scatter(fwd, {c: c for c in fwd_names}, kind="i")
    with steps.step("backward_citations"):
        cols.scatter(engine.query(sql.BACKWARD), {"bwd_cits": "bwd_cits", "npl_cits": "npl_cits"}, kind="i")
    with steps.step("generality_originality"):
        gen = engine.query(sql.diversity("forward"))
        orig = engine.query(sql.diversity("backward"))
        rad = engine.query(sql.RADICALNESS)
    for name, table in (("gen", gen), ("orig", orig)):
        cols.scatter(table, {"sumsq": f"{name}_sumsq", "total": f"{name}_total", "patents": f"{name}_n"}, kind="i")
    cols.scatter(rad, {"assignments": "rad_assignments", "outside": "rad_outside"}, kind="i")
    with steps.step("family"):
        family = engine.query(sql.FAMILY)
        cols.scatter(family, {"family_size": "family_size"}, kind="i")
        cols.scatter(family, {"overseas_grant": "overseas_grant"}, kind="o")

    with steps.step("legal_status"):
        status_cols = _legal_status(engine, base, cols, rules["legal_term"], as_of)

    with steps.step("high_value"):
        pledge_rows = engine.query(sql.PLEDGES)
        cols.scatter(pledge_rows, {"pledges": "pledges", "pledge_cny": "pledge_cny"}, kind="f")
        cols.scatter(pledge_rows, {"pledge_record": "pledge_record"}, kind="o")
        cols.scatter(engine.query(sql.AWARDS), {"award": "award"}, kind="o")
        if sei_table is not None:
            cols.scatter(engine.query(sql.SEI), {"sei": "sei"}, kind="o")

    with steps.step("industries"):
        shares = [_industry_shares(engine, rule, ref) for rule, ref in industry_tables]
        industries_table = pa.concat_tables(shares) if shares else _empty_shares()

    with steps.step("cohorts"):
        table, missing = _assemble(base, cols, status_cols, rules, as_of, awards_table is not None, sei_table)

    return IndicatorRun(
        table=table,
        industries=industries_table,
        missing=missing,
        as_of=as_of,
        engine=getattr(engine, "name", "?"),
        rules={d: r.label for d, r in rules.items()} | {f"industry:{r.version}": r.label for r, _ in industry_tables},
        references=references,
        placeholders=sorted(set(placeholders)),
        caveats=[
            *caveats,
            N_(
                "citations, families and legal events are counted within the loaded corpus: forward citations "
                "and family sizes are lower bounds of their worldwide values"
            ),
        ],
        timings=steps.timings,
        computed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        labels=labels,
    )


def _with_class_weights(classes: pa.Table, counts: pa.Table) -> pa.Table:
    """``classes`` with ``w`` = CLASS_SCALE // (the publication's number of subclasses): exact integer shares."""
    joined = classes.join(counts, "publication_number")
    k = joined.column("k").to_numpy().astype(np.int64)
    return joined.drop_columns(["k"]).append_column("w", pa.array(sql.CLASS_SCALE // k, pa.int64()))


def _sei_rule(name: str) -> Rule:
    """The SEI concordance a high-value rule names: the official table when a user supplied one (an industry
    rule of that exact version), else the shipped placeholder of the same name."""
    from patnav.indicators.rules import available_rules

    versions = {r.version: r for r in available_rules("industry")}
    if name in versions:
        return versions[name]
    placeholder = versions.get(f"{name}-placeholder")
    if placeholder is None:
        raise RuleError(f"the high-value rule names SEI table {name!r}, which no industry rule provides")
    return placeholder


def _default_reference_dir() -> Path | None:
    return reference_dir(None)


def _empty_shares() -> pa.Table:
    return pa.table(
        {"publication_number": pa.array([], pa.string()), "scheme": pa.array([], pa.string()),
         "code": pa.array([], pa.string()), "weight": pa.array([], pa.float64())}
    )  # fmt: skip


def _industry_shares(engine: Engine, rule: Rule, ref: Any) -> pa.Table:
    name = f"ref_industry_{ref.scheme}"
    engine.register(name, ref.table)
    rows = engine.query(sql.INDUSTRIES.replace("ref_industry", name))
    weight = pc.divide(pa.array(np.ones(rows.num_rows)), pc.cast(rows.column("codes"), pa.float64()))
    return pa.table(
        {
            "publication_number": rows.column("publication_number"),
            "scheme": pa.array([ref.scheme] * rows.num_rows, pa.string()),
            "code": rows.column("code"),
            "weight": weight,
        }
    ).sort_by([("publication_number", "ascending"), ("code", "ascending")])


def _legal_status(engine: Engine, base: pa.Table, cols: _Columns, rule: Rule, as_of: dt.date) -> dict[str, list[Any]]:
    """Status, term and maintenance per publication: vectorised for those without decisive legal events (most of
    a corpus), one by one through :func:`legal_status` for the rest and for any row that needs a reason."""
    events: dict[str, list[Event]] = defaultdict(list)
    for number, date, effect, authority, code, description in engine.rows(sql.EVENTS):
        events[number].append(Event(date, effect, authority, code, description))
    counts = {number: int(c) for number, c in engine.rows(sql.EVENT_COUNTS)}
    terms = rule.param("terms")
    max_pending = int(rule.param("max_pending_years"))
    n = base.num_rows
    keys = base.column("publication_number").to_pylist()
    country = np.array(base.column("country").to_pylist(), dtype=object)
    doc_type = np.array(base.column("doc_type").to_pylist(), dtype=object)
    stage = np.array(base.column("stage").to_pylist(), dtype=object)
    filing, has_filing = _date_ints(base.column("filing_date"))
    grant, has_grant = _date_ints(base.column("grant_date"))
    ext_col = base.column("term_extension_days")
    extension = ext_col.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    bulk = bulk_estimated_status(
        as_of=as_of, country=country, doc_type=doc_type, stage=stage, filing=filing, has_filing=has_filing,
        grant=grant, has_grant=has_grant, extension=extension, terms=terms, max_pending_years=max_pending,
    )  # fmt: skip
    has_events = np.array([k in events for k in keys], dtype=bool) if events else np.zeros(n, bool)
    fast = bulk["handled"] & ~has_events
    any_events = np.array([counts.get(k, 0) > 0 for k in keys], dtype=bool) if counts else np.zeros(n, bool)

    def dates(days: np.ndarray, valid: np.ndarray) -> np.ndarray:
        out = days.astype("datetime64[D]").astype(object)
        out[~valid] = None
        return out

    status = bulk["status"].copy()
    basis = np.where(bulk["upper_bound"], "term_upper_bound", np.where(status == "pending", "filing_date",
                                                                       "statutory_term")).astype(object)  # fmt: skip
    out: dict[str, np.ndarray] = {
        "status": status,
        "status_estimated": np.where(status != None, ~any_events, None).astype(object),  # noqa: E711
        "status_basis": basis,
        "status_reason": np.full(n, None, dtype=object),
        "status_date": dates(bulk["status_date"], bulk["status_date_valid"]),
        "expiry_date": dates(bulk["expiry"], bulk["expiry_valid"]),
        "remaining_term_days": np.where(bulk["remaining_valid"], bulk["remaining"], None).astype(object),
        "maintenance_years": np.where(bulk["maintenance_valid"], bulk["maintenance"], None).astype(object),
        "renewal": np.full(n, None, dtype=object),
        "granted": bulk["granted"].astype(object),
    }
    slow = np.flatnonzero(~fast)
    filing_list = base.column("filing_date").to_pylist() if len(slow) else []
    grant_list = base.column("grant_date").to_pylist() if len(slow) else []
    ext_list = ext_col.to_pylist() if len(slow) else []
    for i in slow:
        number = keys[i]
        st = legal_status(
            as_of=as_of,
            country=country[i],
            doc_type=doc_type[i],
            stage=stage[i],
            filing=filing_list[i],
            grant=grant_list[i],
            extension_days=ext_list[i],
            events=events.get(number, ()),
            terms=terms,
            max_pending_years=max_pending,
        )
        estimated = st.estimated and counts.get(number, 0) == 0
        out["status"][i] = st.status
        out["status_estimated"][i] = estimated if st.status is not None else None
        out["status_basis"][i] = st.basis
        out["status_reason"][i] = st.reason
        out["status_date"][i] = st.status_date
        out["expiry_date"][i] = st.expiry
        out["remaining_term_days"][i] = st.remaining_term_days
        out["maintenance_years"][i] = st.maintenance_years
        out["renewal"][i] = st.renewal_years if not estimated else None
        out["granted"][i] = st.granted
    return {k: v.tolist() for k, v in out.items()}


def _assemble(
    base: pa.Table,
    cols: _Columns,
    status: dict[str, list[Any]],
    rules: Mapping[str, Rule],
    as_of: dt.date,
    have_awards: bool,
    sei_table: Any,
) -> tuple[pa.Table, pa.Table]:
    """The indicators table and the long table of reasons for NULLs."""
    n = cols.n
    v, ok = cols.values, cols.valid
    oecd, hv = rules["oecd_quality"], rules["high_value"]
    windows = [int(w) for w in oecd.param("windows")]
    missing: list[tuple[np.ndarray, str, str]] = []  # (mask of rows, indicator, reason)

    def out(name: str, values: np.ndarray, valid: np.ndarray, reason: str | None = None) -> None:
        cols.set(name, values, valid)
        if reason is not None:
            missing.append((~valid, name, reason))

    filing, has_filing = _date_ints(base.column("filing_date"))
    pub, has_pub = _date_ints(base.column("publication_date"))
    grant, has_grant = _date_ints(base.column("grant_date"))
    as_of_days = (as_of - dt.date(1970, 1, 1)).days
    filing_year = filing.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    out("filing_year", filing_year, has_filing, "no filing date")
    tech_ok = ok.get("tech_field", np.zeros(n, bool))
    out("tech_field", v.get("tech_field", np.zeros(n, np.int64)), tech_ok, "no IPC symbol maps to a WIPO field")
    fields = v.get("fields", np.zeros(n, np.int64))
    out("many_field", (fields > 1), tech_ok)
    cohort = np.where(has_filing & tech_ok, filing_year * 100 + v["tech_field"], -1)
    out("cohort_size", cohorts.cohort_size(cohort), cohort >= 0, "no cohort (filing year × technology field)")
    delay_days = round(int(oecd.param("publication_delay_months")) * 30.44)
    last_pub = _year_end_days(filing_year) + delay_days  # the latest a cohort member can be published
    out("cohort_truncated", add_years_days(last_pub, min(windows)) > as_of_days, cohort >= 0)

    # counts a loaded record either has or lacks
    out("patent_scope", v["patent_scope"], ok["patent_scope"], "no IPC or CPC symbol")
    claims_ok = ~np.asarray(base.column("claims_count").is_null().to_numpy(zero_copy_only=False), dtype=bool)
    claims = base.column("claims_count").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    out("claims", claims, claims_ok, "the source record has no claims")
    fam_ok = ok["family_size"]
    out("family_size", np.where(fam_ok, v["family_size"], 1), np.ones(n, bool))
    out("family_known", fam_ok, np.ones(n, bool))
    cited_rows = ok["bwd_cits"]
    out("bwd_cits", v["bwd_cits"], cited_rows, "no citations in the loaded record")
    out("npl_cits", v["npl_cits"], cited_rows, "no citations in the loaded record")
    lag = grant - filing
    lag_ok = has_grant & has_filing & (lag >= 0)
    out("grant_lag_days", lag, lag_ok, "not granted, or filing/grant date unknown")

    # forward citations: within windows after publication; 0 when none arrived, NULL when undatable
    for name in ["fwd_cits"] + [f"fwd_cits{w}{x}" for w in windows for x in ("", "_xy")]:
        out(name, np.where(ok[name], v[name], 0), has_pub, "no publication date")
    for w in windows:
        out(f"fwd_truncated{w}", add_years_days(pub, w) > as_of_days, has_pub)

    # diversity indices from exact integer sums
    correct = bool(oecd.param("small_count_correction"))
    for name, key, reason in (
        ("generality", "gen", "no forward citations from patents with IPC classes"),
        ("originality", "orig", "no backward citations to loaded patents with IPC classes"),
    ):
        good = ok[f"{key}_total"] & (v[f"{key}_total"] > 0)
        total = np.where(good, v[f"{key}_total"], 1).astype(float)
        h = 1.0 - v[f"{key}_sumsq"].astype(float) / (total * total)
        npat = v[f"{key}_n"].astype(float)
        if correct:
            h = np.where(npat > 1, h * npat / np.maximum(npat - 1, 1), h)
        out(name, np.clip(h, 0.0, 1.0), good, reason)
    rad_ok = ok["rad_assignments"] & (v["rad_assignments"] > 0)
    out(
        "radicalness",
        v["rad_outside"] / np.where(rad_ok, v["rad_assignments"], 1),
        rad_ok,
        "no IPC classes, or no backward citations to loaded patents with IPC classes",
    )

    # legal status, term and renewal (Python objects → arrays at the end)
    for name in ("maintenance_years",):
        arr = np.array([x if x is not None else np.nan for x in status[name]], dtype=float)
        out(name, arr, ~np.isnan(arr), "not granted, or no filing date")
    renewal = np.array([x if x is not None else -1 for x in status["renewal"]], dtype=np.int64)
    out("renewal", renewal, renewal >= 0, "no legal events to show the patent was kept in force")
    remaining = np.array([x if x is not None else -1 for x in status["remaining_term_days"]], dtype=np.int64)
    out("remaining_term_days", remaining, remaining >= 0, "not in force, or expiry date unknown")

    # cohort-normalised indicators
    share = float(oecd.param("breakthrough_top_share"))
    bt_ok = has_pub & (cohort >= 0)
    no_cohort = "no cohort (filing year × technology field), or no publication date"
    out("breakthrough", cohorts.top_share(cohort, v["fwd_cits5"], bt_ok, share), bt_ok, no_cohort)
    out("breakthrough_xy", cohorts.top_share(cohort, v["fwd_cits5_xy"], bt_ok, share), bt_ok, no_cohort)
    lag_max = cohorts.cohort_max(cohort, lag.astype(float), lag_ok)
    gli_ok = lag_ok & (cohort >= 0) & ~np.isnan(lag_max)
    gli = np.where(gli_ok & (lag_max > 0), 1.0 - lag / np.where(lag_max > 0, lag_max, 1), 0.0)
    out("grant_lag_index", gli, gli_ok, "no grant lag, or no cohort")
    norm: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for comp in ("fwd_cits5", "family_size", "claims", "generality", "bwd_cits"):
        norm[comp] = cohorts.normalise(cohort, v[comp].astype(float), ok[comp])
    if oecd.params.get("uncited_generality") == "zero":
        # a patent nobody cited has spread to no field: its generality component is 0, not unknown
        uncited = has_pub & (v["fwd_cits"] == 0) & (cohort >= 0) & ~norm["generality"][1]
        values, valid = norm["generality"]
        norm["generality"] = (np.where(uncited, 0.0, values), valid | uncited)
    norm["grant_lag_index"] = (gli, gli_ok)
    for index in ("quality_index_4", "quality_index_6"):
        comps = list(oecd.param(index))
        stack = np.vstack([norm[c][0] for c in comps])
        good = np.logical_and.reduce([norm[c][1] for c in comps])
        cols.set(index, np.where(good, np.nanmean(np.where(good, stack, 0.0), axis=0), np.nan), good)
        for c in comps:
            missing.append((~norm[c][1], index, f"component {c} missing (or no cohort)"))

    # CNIPA high-value categories
    evidence: list[dict[str, Any] | None] = [None] * n
    doc_types = set(hv.param("doc_types"))
    doc_type = np.array(base.column("doc_type").to_pylist(), dtype=object)
    st = np.array(status["status"], dtype=object)
    estimated = np.array([bool(x) for x in status["status_estimated"]])
    eligible = np.isin(doc_type, list(doc_types)) & (st == "in_force")
    if not hv.params.get("accept_estimated_status", True):
        eligible &= ~estimated
    flags: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    categories = {c["id"]: c for c in hv.param("categories")}
    if "sei" in categories:
        sei_ok = ok.get("sei", np.zeros(n, bool))
        flags["sei"] = (eligible & sei_ok, np.ones(n, bool))
    if "overseas" in categories:
        flags["overseas"] = (eligible & ok["overseas_grant"], np.ones(n, bool))
    if "maintenance" in categories:
        over = float(categories["maintenance"]["years_over"])
        flags["maintenance"] = (eligible & (v["maintenance_years"] > over), np.ones(n, bool))
    if "pledge" in categories:
        threshold = float(categories["pledge"]["amount_min_cny"])
        flags["pledge"] = (eligible & ok["pledge_cny"] & (v["pledge_cny"] >= threshold), np.ones(n, bool))
    if "award" in categories:
        award_ok = ok.get("award", np.zeros(n, bool))
        flags["award"] = (eligible & award_ok, np.full(n, have_awards) | ~eligible)
    any_true = np.zeros(n, bool)
    for cat, (flag, known) in flags.items():
        out(f"hv_{cat}", flag, known, f"category {cat} not evaluated (no table supplied)")
        any_true |= flag
    cols.set("high_value", any_true, np.ones(n, bool))
    # evidence for every patent that meets a category or has a pledge on record (the rest have nothing to show)
    none = np.zeros(n, bool)
    has_pledge, has_award = ok.get("pledges", none), ok.get("award", none)
    sei_flag = flags["sei"][0] if "sei" in flags else none
    overseas_flag = flags["overseas"][0] if "overseas" in flags else none
    maintained = flags["maintenance"][0] if "maintenance" in flags else none
    for i in np.flatnonzero(any_true | has_pledge):
        ev: dict[str, Any] = {}
        if eligible[i] and estimated[i]:
            ev["status"] = "in_force estimated from the statutory term (no legal events)"
        if sei_flag[i]:
            ev["sei"] = v["sei"][i]
        if overseas_flag[i]:
            ev["overseas"] = v["overseas_grant"][i]
        if maintained[i]:
            ev["maintenance_years"] = float(v["maintenance_years"][i])
        if has_pledge[i]:
            ev["pledge"] = {
                "records": int(v["pledges"][i]),
                "first_record": v["pledge_record"][i],
                "max_amount_cny": float(v["pledge_cny"][i]) if ok["pledge_cny"][i] else None,
            }
        if has_award[i]:
            ev["award"] = v["award"][i]
        evidence[i] = ev or None

    # build the Arrow table
    arrays: dict[str, pa.Array] = {
        "publication_number": base.column("publication_number").combine_chunks(),
        "country": base.column("country").combine_chunks(),
        "doc_type": base.column("doc_type").combine_chunks(),
        "stage": base.column("stage").combine_chunks(),
    }

    def arr(name: str, typ: pa.DataType) -> pa.Array:
        values, valid = cols.values[name], cols.valid[name]
        if pa.types.is_boolean(typ):
            values = values.astype(bool)
        return pa.array(values, type=typ, mask=~valid)

    int_cols = ["filing_year", "tech_field", "cohort_size", "patent_scope", "family_size", "grant_lag_days",
                "bwd_cits", "npl_cits", "claims", "renewal", "remaining_term_days", "fwd_cits"]  # fmt: skip
    int_cols += [f"fwd_cits{w}{x}" for w in windows for x in ("", "_xy")]
    bool_cols = ["many_field", "cohort_truncated", "family_known", "breakthrough", "breakthrough_xy", "high_value"]
    bool_cols += [f"fwd_truncated{w}" for w in windows] + [f"hv_{c}" for c in flags]
    float_cols = ["maintenance_years", "grant_lag_index", "generality", "originality", "radicalness",
                  "quality_index_4", "quality_index_6"]  # fmt: skip
    for name in ("filing_year", "tech_field", "many_field", "cohort_size", "cohort_truncated"):
        arrays[name] = arr(name, pa.bool_() if name in bool_cols else pa.int64())
    arrays["status"] = pa.array(status["status"], pa.string())
    arrays["status_estimated"] = pa.array(status["status_estimated"], pa.bool_())
    arrays["status_basis"] = pa.array(status["status_basis"], pa.string())
    arrays["status_date"] = pa.array(status["status_date"], pa.date32())
    arrays["expiry_date"] = pa.array(status["expiry_date"], pa.date32())
    for name in int_cols + float_cols + bool_cols:
        if name in arrays:
            continue
        typ = pa.int64() if name in int_cols else pa.float64() if name in float_cols else pa.bool_()
        arrays[name] = arr(name, typ)
    arrays["hv_evidence"] = pa.array(
        [json.dumps(e, ensure_ascii=False, sort_keys=True) if e else None for e in evidence], pa.string()
    )
    table = pa.table(arrays)

    # reasons for NULLs: one row per (publication, indicator)
    keys = base.column("publication_number").combine_chunks()
    parts = []
    status_reason = np.array([r is not None for r in status["status_reason"]])
    if status_reason.any():
        idx = np.flatnonzero(status_reason)
        parts.append(
            pa.table(
                {
                    "publication_number": keys.take(pa.array(idx)),
                    "indicator": pa.array(["status"] * len(idx), pa.string()),
                    "reason": pa.array([status["status_reason"][i] for i in idx], pa.string()),
                }
            )
        )
    seen: set[tuple[str, str]] = set()
    for mask, name, reason in missing:
        if (name, reason) in seen or not mask.any():
            continue
        seen.add((name, reason))
        idx = np.flatnonzero(mask)
        parts.append(
            pa.table(
                {
                    "publication_number": keys.take(pa.array(idx)),
                    "indicator": pa.array([name] * len(idx), pa.string()),
                    "reason": pa.array([reason] * len(idx), pa.string()),
                }
            )
        )
    missing_table = (
        pa.concat_tables(parts).sort_by([("publication_number", "ascending"), ("indicator", "ascending")])
        if parts
        else pa.table(
            {
                "publication_number": pa.array([], pa.string()),
                "indicator": pa.array([], pa.string()),
                "reason": pa.array([], pa.string()),
            }
        )
    )
    return table, missing_table


def _year_end_days(years: np.ndarray) -> np.ndarray:
    """Days since the epoch of 31 December of each year."""
    return ((years + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - 1).astype(np.int64)

"""Generic CSV/XLSX exports read through a column mapping (CNIPA, incoPat, PatSnap, or a user's own).

A mapping (YAML, see ``patnav/ingest/mappings/*.yaml``) names, for each canonical field, the column headers
that carry it; headers match after folding (BOM, spaces, full-width ``（）`` vs half-width ``()``, case), so
``申请（专利权）人`` and ``申请(专利权)人 `` are one header. Columns no field claims go to ``extras`` under their
header. The reader picks the built-in mapping whose headers match best (:meth:`TabularExportReader.sniff`), or
the user names one (:func:`reader_for_mapping`).

Mapping keys::

    name: cnipa                      # what --format tabular:<name> takes
    description: ...
    default_country: CN              # for numbers written without an office code
    lang: zh                         # language of text cells when the script does not tell
    date_order: null                 # MDY / DMY for a/b/yyyy dates; null = decide per column from the data
    date_formats: ["%Y.%m.%d"]       # strptime formats tried before the general date parser
    separators: [";", "；", "|", "\n"]   # multi-value separators for classifications, numbers, family
    sniff: {required: [公开号], distinctive: [主权项, 国省代码]}
    auto: true                       # false: never chosen by sniffing (a format with its own reader)
    fields:
      publication_number: [公开号, 公开(公告)号]
      ...

Fields: publication_number, country, kind, publication_date, application_number, filing_date, priority_date,
grant_date, title, abstract, first_claim, applicants, assignees, owners, inventors, agents, address,
main_ipc, ipc, cpc, uspc, priorities, family_members, legal_status, doc_type, plus ``extras_<key>`` for a
column kept in extras under a fixed key (e.g. ``extras_cited_by_count: [被引用专利数量]``).

This module also holds the row-to-record helpers the other tabular readers (Google, PatentsView, Lens,
PATENTSCOPE) share.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import yaml

from patnav.i18n import N_
from patnav.ingest.base import ReadItem, Reason, Rejected, Source, SourceError, reason_of
from patnav.ingest.names import harmonize_name, party_kind, split_names
from patnav.ingest.text_source import (
    SAMPLE_BYTES,
    TableRow,
    clean_header,
    detect_encoding,
    detect_lang,
    iter_table,
    sniff_delimiter,
)
from patnav.model.dates import DateParseError, detect_date_order, parse_date
from patnav.model.numbers import (
    PatentNumberError,
    normalize_application_number,
    normalize_publication_number,
    parse_application_number,
    parse_publication_number,
)
from patnav.model.records import (
    Claim,
    Classification,
    DocType,
    FamilyMember,
    LocalizedText,
    Party,
    PartyRole,
    Priority,
    Publication,
    Stage,
)

__all__ = [
    "FIELDS",
    "DateOrders",
    "Mapping",
    "RowError",
    "TabularExportReader",
    "builtin_mappings",
    "classifications",
    "doc_type_and_stage",
    "load_mapping",
    "parties",
    "read_date",
    "reader_for_mapping",
]

FIELDS: frozenset[str] = frozenset(
    [
        "publication_number",
        "country",
        "kind",
        "publication_date",
        "application_number",
        "filing_date",
        "priority_date",
        "grant_date",
        "title",
        "abstract",
        "first_claim",
        "applicants",
        "assignees",
        "owners",
        "inventors",
        "agents",
        "address",
        "main_ipc",
        "ipc",
        "cpc",
        "uspc",
        "priorities",
        "family_members",
        "legal_status",
        "doc_type",
    ]
)
DATE_FIELDS = ("publication_date", "filing_date", "priority_date", "grant_date")


# ------------------------------------------------------------------------------------------ shared helpers


class RowError(Exception):
    """One cell makes the row unusable; the reader turns it into a :class:`Rejected` naming the column."""

    def __init__(self, column: str | None, reason: str, raw: str | None = None) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.raw = raw


def _where(row: TableRow) -> Reason:
    """``row.position`` as a translatable message (the same English text)."""
    if row.sheet is not None:
        return Reason(N_("row {row} (sheet {sheet!r}, row {line})"), row=row.row, sheet=row.sheet, line=row.line)
    if row.end_line == row.line:
        return Reason(N_("row {row} (line {line})"), row=row.row, line=row.line)
    return Reason(N_("row {row} (lines {line}-{end})"), row=row.row, line=row.line, end=row.end_line)


def reject(row: TableRow, err: RowError) -> Rejected:
    """The rejection of ``row`` for ``err``: where (row, line, column) and why, translatable."""
    where = _where(row)
    if err.column:
        reason = Reason(
            N_("{position} column {column!r}: {reason}"), position=where, column=err.column, reason=err.reason
        )
    else:
        reason = Reason(N_("{position}: {reason}"), position=where, reason=err.reason)
    return Rejected(position=row.position, reason=reason, field=err.column, raw=err.raw)


def read_date(value: str, column: str, *, order: str | None = None, formats: Iterable[str] = ()) -> dt.date | None:
    """A date cell, or :class:`RowError` naming the column (an ambiguous day/month order is not guessed)."""
    value = value.strip()
    if not value:
        return None
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    try:
        return parse_date(value, order=order)  # type: ignore[arg-type]
    except DateParseError as exc:
        raise RowError(column, reason_of(exc), value) from None


class DateOrders:
    """The day/month order of each date column of one file, learned from its values as they stream past.

    Only values whose first or second part is above 12 decide; :func:`detect_date_order` judges them (and
    rejects a column that mixes both orders). When no column decided, the order found in another date
    column of the same file is used (one tool writes all its dates alike).
    """

    def __init__(self, columns: Iterable[str]) -> None:
        self._evidence: dict[str, list[str]] = {c: [] for c in columns}
        self._orders: dict[str, str | None] = {}
        self._mixed: set[str] = set()
        self._kinds: dict[str, set[str]] = {}

    _PARTS = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*\d{2,4}\s*$")

    def feed(self, column: str, value: str) -> None:
        ev = self._evidence.get(column)
        if ev is None or column in self._mixed or len(ev) >= 2:
            return
        m = self._PARTS.match(value)
        if not m:
            return
        a, b = int(m[1]), int(m[2])
        kind = "DMY" if a > 12 else "MDY" if b > 12 else None
        if kind is None or kind in self._kinds.setdefault(column, set()):
            return
        self._kinds[column].add(kind)
        ev.append(value)
        try:
            self._orders[column] = detect_date_order(ev)
        except DateParseError:
            self._mixed.add(column)
            self._orders[column] = None

    @property
    def decided(self) -> bool:
        return all(c in self._orders for c in self._evidence)

    def order(self, column: str) -> str | None:
        if column in self._mixed:
            return None
        if self._orders.get(column):
            return self._orders[column]
        others = {o for c, o in self._orders.items() if o and c not in self._mixed}
        return others.pop() if len(others) == 1 else None


def with_date_orders(
    items: Iterator[TableRow | Rejected], columns: list[str], lookahead: int = 5000, max_chars: int = 8 << 20
) -> Iterator[tuple[TableRow | Rejected, DateOrders]]:
    """Pair each row with the file's date orders, holding back rows until those are known.

    At most ``lookahead`` rows or ``max_chars`` characters of cells are held; rows after that are paired
    with whatever the file has shown so far (an ambiguous date then is rejected, never guessed).
    """
    orders = DateOrders(columns)
    if not columns:
        for item in items:
            yield item, orders
        return
    held: deque[TableRow | Rejected] = deque()
    held_chars = 0
    flushing = False
    for item in items:
        if isinstance(item, TableRow):
            if not flushing:
                held_chars += sum(len(v) for v in item.values)
            for col in columns:
                if col in item.header:
                    orders.feed(col, item.values[item.header.index(col)])
        if flushing:
            yield item, orders
            continue
        held.append(item)
        if orders.decided or len(held) >= lookahead or held_chars >= max_chars:
            flushing = True
            while held:
                yield held.popleft(), orders
    while held:
        yield held.popleft(), orders


_NAME_GUARD = "\ue000"


def parties(
    cell: str,
    role: PartyRole,
    *,
    separators: re.Pattern[str] | None = None,
    split_commas: bool = True,
    keep_fullwidth_commas: bool = False,
    start: int = 0,
) -> list[Party]:
    """The parties named in a multi-valued cell, with harmonised name and kind (inventors are individuals).

    ``separators`` (the export's own list separators) split first; then :func:`split_names` splits commas
    unless ``split_commas`` is false (PATENTSCOPE writes ``LI, Na;ZHOU, Jie``: one person per ``;``).
    """
    if not cell or not cell.strip():
        return []
    pieces = [p for p in separators.split(cell) if p.strip()] if separators is not None else [cell]
    names: list[str] = []
    for piece in pieces:
        if not split_commas:
            names.append(" ".join(piece.split()))
            continue
        if keep_fullwidth_commas:  # Google separates with ", "; "アンドレ，デービッド" is one person
            piece = piece.replace("，", _NAME_GUARD).replace("、", _NAME_GUARD + _NAME_GUARD)
        for name in split_names(piece):
            if keep_fullwidth_commas:
                name = name.replace(_NAME_GUARD + _NAME_GUARD, "、").replace(_NAME_GUARD, "，")
            names.append(name)
    out = []
    for i, name in enumerate(names):
        kind = "individual" if role == "inventor" else party_kind(name)
        out.append(Party(role=role, name=name, name_harmonized=harmonize_name(name), kind=kind, sequence=start + i))
    return out


_CLASS_RE = re.compile(r"^([A-HY]\d{2}[A-Z])\s*(\d{1,4})\s*/\s*(\d{1,6})\s*(?:\((\d{4}\.\d{2})\))?$")


def classifications(values: Iterable[str], scheme: str, *, main_first: bool = False) -> list[Classification]:
    """Classification symbols in normalised form (``G06N3/08`` → ``G06N 3/08``), duplicates dropped."""
    out: list[Classification] = []
    seen: set[str] = set()
    for raw in values:
        s = raw.strip().replace("\u3000", " ")
        if not s:
            continue
        s = s.translate(str.maketrans("（）／", "()/"))
        m = _CLASS_RE.match(s.upper()) if scheme in ("IPC", "CPC") else None
        symbol, version = (f"{m[1]} {m[2]}/{m[3]}", m[4]) if m else (re.sub(r"\s+", " ", s), None)
        if symbol in seen:
            continue
        seen.add(symbol)
        out.append(
            Classification(
                scheme=scheme,  # type: ignore[arg-type]
                symbol=symbol,
                is_main=main_first and not out,
                version=version,
                sequence=len(out),
            )
        )
    return out


def doc_type_and_stage(
    country: str, kind: str | None, *, granted: bool = False, number: str = ""
) -> tuple[DocType, Stage]:
    """Document type and stage from the office and kind code (``granted``: the source gives a grant date).

    Without a kind code: US serials of 11 digits (``20180336453``) are application publications, other US
    numbers grants (``D`` designs, ``PP`` plants); elsewhere a grant only when a grant date is given.
    """
    k = (kind or "").upper()
    letter = k[:1]
    if not k:
        if country == "US":
            series = number.rstrip("0123456789")
            if series == "D":
                return "design", "grant"
            if series == "PP":
                return "plant", "grant"
            if series in ("H", "T"):
                return "other", "grant"
            return "invention", "application" if len(number) == 11 and number.isdigit() else "grant"
        if country == "CN" and len(number) == 9 and number[:1] in "23":  # CN 2xxxxxxxx/3xxxxxxxx: UM/design
            return ("utility_model" if number[0] == "2" else "design"), "grant"
        return "invention", "grant" if granted else "application"
    if country == "US":
        if letter == "S":
            return "design", "grant"
        if letter == "P":
            return "plant", "application" if k in ("P1", "P4", "P9") else "grant"
        if letter == "H":
            return "other", "grant"  # statutory invention registration
        if k in ("A1", "A2", "A9"):
            return "invention", "application"
        if letter == "E" or letter == "B" or k == "A":  # reissue; grants; 'A' = grant before 2001
            return "invention", "grant"
    if letter == "S":
        return "design", "grant"
    if letter in ("U", "Y"):
        # CN U/Y are granted utility models; KR U, DE U1 and JP U are published (registered) utility models
        return "utility_model", "application" if country == "KR" and letter == "U" else "grant"
    if country == "CN" and letter == "D":
        return "design", "grant"
    if letter == "A":
        if k == "A3" and country in ("EP", "WO"):
            return "invention", "search_report"
        return "invention", "grant" if granted and country not in ("EP", "WO", "CN", "JP", "KR") else "application"
    if letter in ("B", "C"):
        return "invention", "correction" if k in ("B8", "B9", "C8", "C9") else "grant"
    if letter == "E":
        return "invention", "grant"
    return "other", "other"


def unwrap_quoted(text: str) -> str:
    """Undo a second layer of CSV quoting some exports carry: ``"a ""b"" c"`` becomes ``a "b" c``."""
    t = text.strip()
    if len(t) >= 2 and t[0] == '"' and t[-1] == '"':
        inner = t[1:-1]
        if '"' not in inner.replace('""', ""):
            return inner.replace('""', '"')
    return text


def text_entry(value: str, default_lang: str | None) -> list[LocalizedText]:
    value = value.strip()
    if not value:
        return []
    return [LocalizedText(detect_lang(value) or default_lang, value)]


# ------------------------------------------------------------------------------------------ mappings


@dataclass
class Mapping:
    """A column mapping: which headers carry which canonical field, and how to read their cells."""

    name: str
    description: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    default_country: str | None = None
    lang: str | None = None
    date_order: str | None = None
    date_formats: list[str] = field(default_factory=list)
    separators: list[str] = field(default_factory=lambda: [";;", ";", "；", "|", "\n"])
    required: list[str] = field(default_factory=list)
    distinctive: list[str] = field(default_factory=list)
    auto: bool = True
    name_separators: list[str] | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    path: str | None = None

    def __post_init__(self) -> None:
        unknown = [k for k in self.fields if k not in FIELDS and not k.startswith("extras_")]
        if unknown:
            raise ValueError(f"mapping {self.name!r}: unknown field(s) {', '.join(unknown)}; known: {sorted(FIELDS)}")
        if "publication_number" not in self.fields:
            raise ValueError(f"mapping {self.name!r}: a publication_number column is required")
        self._aliases = {f: {clean_header(h) for h in hs} for f, hs in self.fields.items()}
        self._split = _alternation(self.separators)
        #: names split on the export's separators first; with ``name_separators`` given, only on those
        self.name_split = _alternation(self.name_separators or self.separators)
        self.split_name_commas = self.name_separators is None

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: str | None = None) -> Mapping:
        sniff = data.get("sniff") or {}
        fields = {k: [v] if isinstance(v, str) else list(v) for k, v in (data.get("fields") or {}).items()}
        kwargs: dict[str, Any] = {
            "name": str(data["name"]),
            "description": str(data.get("description", "")),
            "fields": fields,
            "default_country": data.get("default_country"),
            "lang": data.get("lang"),
            "date_order": data.get("date_order"),
            "date_formats": list(data.get("date_formats") or []),
            "required": list(sniff.get("required") or []),
            "distinctive": list(sniff.get("distinctive") or []),
            "auto": bool(data.get("auto", True)),
            "values": {k: {str(a): str(b) for a, b in v.items()} for k, v in (data.get("values") or {}).items()},
            "path": path,
        }
        if data.get("name_separators"):
            kwargs["name_separators"] = [str(s) for s in data["name_separators"]]
        if data.get("separators"):
            kwargs["separators"] = [str(s) for s in data["separators"]]
        return cls(**kwargs)

    def split(self, cell: str) -> list[str]:
        return [p.strip() for p in self._split.split(cell) if p.strip()]

    def resolve(self, header: list[str]) -> dict[str, int]:
        """Field → column index for the columns of ``header`` this mapping knows (first alias found wins)."""
        folded = [clean_header(h) for h in header]
        found: dict[str, int] = {}
        for f, aliases in self._aliases.items():
            for i, h in enumerate(folded):
                if h in aliases and i not in found.values():
                    found[f] = i
                    break
        return found

    def score(self, header: list[str]) -> float:
        """How well ``header`` fits this mapping, in [0, 1]."""
        folded = {clean_header(h) for h in header if h.strip()}
        if not folded:
            return 0.0
        req = [clean_header(h) for h in self.required] or [clean_header(h) for h in self.fields["publication_number"]]
        if not any(r in folded for r in req):
            return 0.0
        claimed = {h for h in folded if any(h in a for a in self._aliases.values())}
        coverage = len(claimed) / len(folded)
        distinct = [clean_header(h) for h in self.distinctive]
        bonus = sum(1 for d in distinct if d in folded) / len(distinct) if distinct else 0.0
        return round(0.4 + 0.3 * coverage + 0.25 * bonus, 4)


def _alternation(separators: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(s) for s in sorted(separators, key=len, reverse=True)))


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A built-in mapping by name (``cnipa``, ``incopat``, ``patsnap``, ``generic``, ``lens``…) or a YAML file."""
    text = str(name_or_path)
    builtins = builtin_mappings()
    if text in builtins:
        return builtins[text]
    path = Path(text)
    if not path.is_file():
        raise FileNotFoundError(f"no mapping named {text!r} and no such file; built-in: {', '.join(sorted(builtins))}")
    with path.open(encoding="utf-8") as fh:
        return Mapping.from_dict(yaml.safe_load(fh), path=str(path))


@cache
def builtin_mappings() -> dict[str, Mapping]:
    out: dict[str, Mapping] = {}
    folder = resources.files("patnav.ingest") / "mappings"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith((".yaml", ".yml")):
            m = Mapping.from_dict(yaml.safe_load(entry.read_text(encoding="utf-8")), path=entry.name)
            out[m.name] = m
    return out


# ------------------------------------------------------------------------------------------ the reader


def _head_header(head: bytes, filename: str) -> list[str] | None:
    """The header cells of a CSV head (XLSX heads cannot be read from a prefix: None)."""
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return None
    try:
        enc = detect_encoding(head, filename, complete=len(head) < SAMPLE_BYTES)
    except SourceError:
        return None
    text = head.decode(enc, errors="replace").lstrip("\ufeff")
    delim = sniff_delimiter(text)
    for cells in csv.reader(io.StringIO(text[:65536]), delimiter=delim):
        if any(c.strip() for c in cells):
            return cells
    return None


class TabularExportReader:
    """CSV/TSV/XLSX exports of patent databases read through a column mapping."""

    name: ClassVar[str] = "tabular"
    version: ClassVar[str] = "1.0"
    rank: ClassVar[int] = 10
    description: ClassVar[str] = (
        "CSV/XLSX exports (CNIPA, incoPat, PatSnap, or any table) read through a YAML column mapping"
    )
    #: The best score a mapping-based guess may have: format-specific readers score above it.
    max_confidence: ClassVar[float] = 0.85

    def __init__(self, mapping: Mapping | None = None) -> None:
        self.mapping = mapping

    # ---- choosing a mapping

    def candidates(self) -> list[Mapping]:
        if self.mapping is not None:
            return [self.mapping]
        return [m for m in builtin_mappings().values() if m.auto]

    def best_mapping(self, header: list[str]) -> tuple[Mapping, float] | None:
        best: tuple[Mapping, float] | None = None
        for m in self.candidates():
            s = m.score(header)
            if s > 0 and (best is None or s > best[1]):
                best = (m, s)
        return best

    def sniff(self, head: bytes, filename: str) -> float:
        lower = filename.lower()
        if not lower.endswith((".csv", ".tsv", ".txt", ".xlsx", ".xlsm")):
            return 0.0
        if head.startswith(b"PK\x03\x04"):
            # the header sits inside the zipped sheet; an XLSX is a table this reader may well read
            return 0.35 if self.mapping is None else 0.5
        header = _head_header(head, filename)
        if not header:
            return 0.0
        found = self.best_mapping(header)
        return min(found[1], self.max_confidence) if found else 0.0

    # ---- reading

    def read(self, source: Source) -> Iterator[ReadItem]:
        mapping = self.mapping
        cols: dict[str, int] | None = None

        def header_ok(cells: list[str]) -> bool:
            if mapping is not None:
                return mapping.score(cells) > 0
            return self.best_mapping(cells) is not None

        rows = iter_table(source, is_header=header_ok)
        first = next(rows, None)
        if first is None:
            return
        header = first.header if isinstance(first, TableRow) else None
        if header is None:  # a rejected first row: find the header from the next good one
            yield first
            for item in rows:
                if isinstance(item, TableRow):
                    header, first = item.header, item
                    break
                yield item
            else:
                return
        if mapping is None:
            found = self.best_mapping(header)
            if found is None:  # pragma: no cover - header_ok guarantees one
                raise SourceError(f"{source.name}: no column mapping fits the header {header}")
            mapping = found[0]
        cols = mapping.resolve(header)
        date_cols = [header[cols[f]] for f in DATE_FIELDS if f in cols]
        items = _chain(first, rows)
        orders_fixed = mapping.date_order
        for item, orders in with_date_orders(items, [] if orders_fixed else date_cols):
            if isinstance(item, Rejected):
                yield item
                continue
            try:
                yield from self._convert(item, mapping, cols, orders)
            except RowError as err:
                yield reject(item, err)

    def _convert(self, row: TableRow, m: Mapping, cols: dict[str, int], orders: DateOrders) -> Iterator[ReadItem]:
        header, values = row.header, row.values

        def cell(f: str) -> str:
            i = cols.get(f)
            return values[i].strip() if i is not None else ""

        def date(f: str) -> dt.date | None:
            i = cols.get(f)
            if i is None:
                return None
            col = header[i]
            return read_date(values[i], col, order=m.date_order or orders.order(col), formats=m.date_formats)

        raw_number = cell("publication_number")
        col_pn = header[cols["publication_number"]]
        if not raw_number:
            raise RowError(col_pn, Reason(N_("no publication number")), "")
        country_cell = cell("country").upper()
        default_country = country_cell if re.fullmatch(r"[A-Z]{2}", country_cell) else m.default_country
        kind_cell = cell("kind")
        raw_number = _SLASHED_WO.sub(r"\1\2\3", raw_number)  # PATENTSCOPE writes WO/2019/123456
        try:
            pn = parse_publication_number(raw_number, default_country=default_country)
            if pn.kind is None and kind_cell:
                pn = parse_publication_number(f"{pn.country}{pn.number}{kind_cell.upper()}")
        except PatentNumberError as exc:
            raise RowError(col_pn, reason_of(exc), raw_number) from None

        app_number = None
        if cell("application_number"):
            app_number = _application_number(cell("application_number"), pn.country, header[cols["application_number"]])

        pub_date, filing, prio, grant = (date(f) for f in DATE_FIELDS)
        doc_type, stage = doc_type_and_stage(pn.country, pn.kind, granted=grant is not None, number=pn.number)
        if cell("doc_type"):
            doc_type, stage = _doc_type_from_text(cell("doc_type"), m, doc_type, stage)

        pub = Publication(
            publication_number=str(pn),
            country=pn.country,
            doc_number=pn.number,
            kind=pn.kind,
            doc_type=doc_type,
            stage=stage,
            application_number=app_number,
            priority_date=prio,
            filing_date=filing,
            publication_date=pub_date,
            grant_date=grant,
            titles=text_entry(cell("title"), m.lang),
            abstracts=text_entry(cell("abstract"), m.lang),
        )
        claim = cell("first_claim")
        if claim:
            pub.claims = [Claim(1, claim)]
            pub.claims_lang = detect_lang(claim) or m.lang
        seq = 0
        for f, role in (
            ("applicants", "applicant"),
            ("assignees", "assignee"),
            ("owners", "owner"),
            ("inventors", "inventor"),
            ("agents", "agent"),
        ):
            ps = parties(cell(f), role, separators=m.name_split, split_commas=m.split_name_commas, start=seq)  # type: ignore[arg-type]
            seq += len(ps)
            pub.parties.extend(ps)
        address = cell("address")
        if address:
            first_applicant = next((p for p in pub.parties if p.role == "applicant"), None)
            if first_applicant is not None:
                first_applicant.address = address
            else:
                pub.extras["address"] = address
        main_ipc = m.split(cell("main_ipc"))
        ipc_scheme = "LOCARNO" if doc_type == "design" and all(_LOCARNO.match(c) for c in main_ipc) else "IPC"
        ipc = classifications([*main_ipc, *m.split(cell("ipc"))], ipc_scheme, main_first=bool(main_ipc))
        pub.classifications = [
            *ipc,
            *classifications(m.split(cell("cpc")), "CPC"),
            *classifications(m.split(cell("uspc")), "USPC"),
        ]
        for i, raw in enumerate(m.split(cell("priorities"))):
            pub.priorities.append(_priority(raw, i, m))
        status = cell("legal_status")
        if status:
            pub.source_status = status
        claimed = set(cols.values())
        for f, i in cols.items():
            if f.startswith("extras_") and values[i].strip():
                pub.extras[f[len("extras_") :]] = values[i].strip()
        for i, (h, v) in enumerate(zip(header, values, strict=False)):
            if i not in claimed and v.strip() and h.strip():
                pub.extras[h] = v.strip()
        yield pub
        members = m.split(cell("family_members"))
        if members:
            yield from _family(pub.publication_number, members, m.name)


def _chain(first: TableRow | Rejected, rest: Iterator[TableRow | Rejected]) -> Iterator[TableRow | Rejected]:
    yield first
    yield from rest


_LOCARNO = re.compile(r"^\d{2}-\d{2}$")
_SLASHED_WO = re.compile(r"^([A-Z]{2})/(\d{4})/(\d+)$")
_KIND_SUFFIX = re.compile(r"\s+[A-Z]\d?$")


_LENS_PCT = re.compile(r"^([A-Z]{2})\s*(\d{4})/?0?(\d{6})\s+W$")


def _application_number(raw: str, country: str, column: str) -> str:
    pct = _LENS_PCT.match(raw.strip())
    if pct:  # Lens writes PCT applications as "US 2018/0033906 W"
        return f"WO{pct[2]}{pct[1]}{pct[3]}"
    try:
        return normalize_application_number(raw, default_country=country)
    except PatentNumberError as exc:
        stripped = _KIND_SUFFIX.sub("", raw.strip())  # Lens writes "CN 201510756373 A"
        if stripped != raw.strip():
            try:
                return normalize_application_number(stripped, default_country=country)
            except PatentNumberError:
                pass
        raise RowError(column, reason_of(exc), raw) from None


_PRIORITY_DATES = (
    re.compile(r"(?<![\d.])(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4}|\d{4}\.\d{1,2}\.\d{1,2})(?![\d.])"),
    re.compile(r"(?<=\s)((?:19|20)\d{6})(?=\s|$)"),
)


def _priority(raw: str, seq: int, m: Mapping) -> Priority:
    """A priority cell part such as ``CN201510756373.6 2015-11-09`` or ``201711392165.0 22.12.2017 CN``."""
    date = None
    text = raw
    dm = _PRIORITY_DATES[0].search(raw) or _PRIORITY_DATES[1].search(raw)
    if dm:
        try:
            date = parse_date(dm[1], order="DMY" if "." in dm[1] and dm[1][2:3] == "." else None)
            text = (raw[: dm.start()] + " " + raw[dm.end() :]).strip()
        except DateParseError:
            date = None
    country = None
    cm = re.search(r"(?:^|\s)([A-Z]{2})$", text)
    if cm and not re.match(r"^[A-Z]{2}", text):
        country = cm[1]
        text = text[: cm.start()].strip()
    try:
        an = parse_application_number(_KIND_SUFFIX.sub("", text), default_country=country or m.default_country)
        return Priority(an.country, str(an), date, seq)
    except PatentNumberError:
        cc = re.match(r"^([A-Z]{2})\s*", text)
        return Priority(country or (cc[1] if cc else None), text, date, seq)


def _family(own: str, members: list[str], source: str) -> Iterator[FamilyMember]:
    keys: list[str] = []
    for raw in members:
        try:
            keys.append(normalize_publication_number(raw))
        except PatentNumberError:
            continue
    if not keys:
        return
    family = sorted({own, *keys})
    if len(family) < 2:
        return
    family_id = f"{source}:{family[0]}"
    for key in family:
        yield FamilyMember(family_id=family_id, family_type="source", publication_number=key)


_DOC_TYPES: dict[str, tuple[DocType, Stage | None]] = {
    "发明": ("invention", None),
    "发明专利": ("invention", None),
    "发明申请": ("invention", "application"),
    "发明公开": ("invention", "application"),
    "发明授权": ("invention", "grant"),
    "实用新型": ("utility_model", "grant"),
    "外观设计": ("design", "grant"),
    "patent application": ("invention", "application"),
    "granted patent": ("invention", "grant"),
    "design right": ("design", "grant"),
    "utility model": ("utility_model", None),
    "plant patent": ("plant", "grant"),
    "search report": ("invention", "search_report"),
    "amended patent": ("invention", "correction"),
}


def _doc_type_from_text(text: str, m: Mapping, doc_type: DocType, stage: Stage) -> tuple[DocType, Stage]:
    key = m.values.get("doc_type", {}).get(text, text).strip().lower()
    found = _DOC_TYPES.get(key)
    if found is None:
        return doc_type, stage
    return found[0], found[1] or stage


def reader_for_mapping(name_or_path: str | Path) -> TabularExportReader:
    """A tabular reader fixed to one mapping: a built-in name (``cnipa``) or the path of a YAML file."""
    return TabularExportReader(load_mapping(name_or_path))

"""Reference tables the indicators join against: technology fields and industries by IPC prefix.

Tables from files the user supplies (the WIPO 35-field concordance, Eurostat's IPC → NACE Rev.2 concordance;
``make demo`` and the tests point at ``../shared/data/classification``) and tables shipped as rules (the
patent-intensive and strategic-emerging-industry placeholders) all become one Arrow layout the engine can join:
``(scheme, code, label, prefix, subclass, not_with, unless_with, weight)``, where ``prefix`` is an IPC symbol
prefix in compact form (``H04N``, ``H04N21/``, ``A61K8/``) and ``subclass`` its first four characters, so the
join is an equality on the subclass plus a prefix test on a few rows.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from patnav.indicators.rules import Rule, RuleError

WIPO_FILE = "ipc_technology_wipo35.csv"

REFERENCE_SCHEMA = pa.schema(
    [
        pa.field("scheme", pa.string()),
        pa.field("code", pa.string()),
        pa.field("label", pa.string()),
        pa.field("prefix", pa.string()),
        pa.field("subclass", pa.string()),
        pa.field("not_with", pa.string()),
        pa.field("unless_with", pa.string()),
        pa.field("weight", pa.float64()),
    ]
)


class ReferenceError(ValueError):
    """A reference table is missing or malformed; the message names the file, line and column."""


def compact_ipc(symbol: str) -> str:
    """An IPC/CPC symbol or pattern without spaces or SQL wildcards; a bare main group gets its ``/``.

    ``"H04N   3/%"`` → ``"H04N3/"``, ``"A61K   8"`` → ``"A61K8/"``, ``"G06N 3/08"`` → ``"G06N3/08"``,
    ``"H04N%"`` → ``"H04N"``. The store writes symbols as ``G06N 3/08``; the SQL side compacts them with
    ``replace(symbol, ' ', '')`` so both meet in this form.
    """
    s = symbol.replace("%", "").replace(" ", "").strip().upper()
    if len(s) > 4 and "/" not in s:
        s += "/"
    return s


def reference_dir(explicit: Path | str | None = None) -> Path | None:
    """The folder of user-supplied reference tables: ``explicit``, else ``PATNAV_REFERENCE_DIR``, else none."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("PATNAV_REFERENCE_DIR")
    return Path(env) if env else None


def reference_folder(explicit: Path | str | None = None) -> Path | None:
    """:func:`reference_dir`, else the ``classification`` folder of the demo data when it is there."""
    from patnav.config import demo_data

    found = reference_dir(explicit)
    if found is not None:
        return found
    demo = demo_data() / "classification"
    return demo if demo.is_dir() else None


@dataclass(frozen=True, slots=True)
class ReferenceTable:
    """One concordance as an Arrow table, with where it came from and whether it is a placeholder."""

    scheme: str
    table: pa.Table
    source: str
    placeholder: bool
    labels: dict[str, dict[str, str]] = field(default_factory=dict)


def _rows_to_table(rows: Iterable[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=REFERENCE_SCHEMA)


def load_wipo_fields(path: Path) -> ReferenceTable:
    """WIPO's IPC → 35 technology fields concordance (Schmoch 2008, updated) from its CSV."""
    if not path.is_file():
        raise ReferenceError(f"{path}: WIPO technology concordance not found")
    text = path.read_text(encoding="utf-8-sig")
    rows = []
    labels: dict[str, dict[str, str]] = {}
    for line, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            number = int(rec["Field_number"])
            pattern = rec["IPC_code"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ReferenceError(f"{path}, line {line}: Field_number/IPC_code: {exc}") from exc
        prefix = compact_ipc(pattern)
        if len(prefix) < 4:
            raise ReferenceError(f"{path}, line {line}, IPC_code: {pattern!r} is not an IPC prefix")
        code = str(number)
        labels[code] = {"en": rec.get("Field_en", ""), "sector": rec.get("Sector_en", "")}
        rows.append(
            {"scheme": "wipo35", "code": code, "label": rec.get("Field_en", ""), "prefix": prefix,
             "subclass": prefix[:4], "not_with": None, "unless_with": None, "weight": 1.0}
        )  # fmt: skip
    if not rows:
        raise ReferenceError(f"{path}: no rows")
    return ReferenceTable(
        "wipo35", _rows_to_table(rows), f"{path.name} (WIPO IPC–technology concordance)", False, labels
    )


def load_nace(path: Path) -> ReferenceTable:
    """Eurostat's IPC → NACE Rev.2 concordance in PATSTAT TLS902 layout (``;``-separated, exclusion rules)."""
    if not path.is_file():
        raise ReferenceError(f"{path}: IPC → NACE concordance not found")
    rows = []
    labels: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for line, rec in enumerate(csv.DictReader(fh, delimiter=";"), start=2):
            code = (rec.get("nace2_code") or "").strip()
            try:
                weight = float(rec.get("nace2_weight") or 0)
            except ValueError as exc:
                raise ReferenceError(f"{path}, line {line}, nace2_weight: {exc}") from exc
            if not code or weight <= 0:
                continue  # rows mapping to no industry (A99Z, B29K…)
            ipc = (rec.get("ipc") or "").strip()
            if len(compact_ipc(ipc)) < 4:
                raise ReferenceError(f"{path}, line {line}, ipc: {ipc!r} is not an IPC prefix")
            labels[code] = {"en": (rec.get("nace2_descr") or "").strip()}
            not_with = (rec.get("not_with_ipc") or "").strip()
            unless = (rec.get("unless_with_ipc") or "").strip()
            rows.append(
                {"scheme": "nace2", "code": code, "label": labels[code]["en"], "prefix": compact_ipc(ipc),
                 "subclass": compact_ipc(ipc)[:4], "not_with": compact_ipc(not_with) if not_with else None,
                 "unless_with": compact_ipc(unless) if unless else None, "weight": weight}
            )  # fmt: skip
    if not rows:
        raise ReferenceError(f"{path}: no rows")
    return ReferenceTable("nace2", _rows_to_table(rows), f"{path.name} (Eurostat IPC–NACE Rev.2)", False, labels)


def table_from_rule(rule: Rule) -> ReferenceTable:
    """A concordance shipped inside a rule file (``params.categories.<code>.ipc``)."""
    scheme = str(rule.param("scheme"))
    categories = rule.param("categories")
    if not isinstance(categories, dict):
        raise RuleError(f"rule {rule.domain}/{rule.version} ({rule.path}): categories must be a mapping")
    rows = []
    labels: dict[str, dict[str, str]] = {}
    for code, spec in categories.items():
        label = dict(spec.get("label") or {})
        labels[str(code)] = {k: str(v) for k, v in label.items()}
        for ipc in spec.get("ipc") or []:
            prefix = compact_ipc(str(ipc))
            rows.append(
                {"scheme": scheme, "code": str(code), "label": label.get("en", str(code)), "prefix": prefix,
                 "subclass": prefix[:4], "not_with": None, "unless_with": None, "weight": 1.0}
            )  # fmt: skip
    return ReferenceTable(scheme, _rows_to_table(rows), rule.label, rule.placeholder, labels)


def load_industry(rule: Rule, folder: Path | None) -> ReferenceTable:
    """The industry concordance a rule names: its own table, or the file it names in the reference folder."""
    if "file" in rule.params:
        if folder is None:
            raise ReferenceError(
                f"industry rule {rule.version} reads {rule.param('file')} from the reference folder: pass"
                " --reference-dir or set PATNAV_REFERENCE_DIR"
            )
        return load_nace(folder / str(rule.param("file")))
    return table_from_rule(rule)

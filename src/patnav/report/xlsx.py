"""The XLSX annex: the data behind every table and chart, one sheet each, and the report's provenance."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from patnav.i18n import gettext
from patnav.report.model import Report

_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(text: str, used: set[str]) -> str:
    base = _BAD.sub(" ", text).strip()[:28] or "sheet"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _value(v: Any) -> Any:
    if v is None or isinstance(v, int | float | str | bool):
        return v
    return json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, list | dict) else str(v)


#: the most characters an Excel cell holds
CELL_MAX = 32_767


def _cell_text(text: str) -> str:
    """``text`` as one cell holds it: cut, and said so, beyond Excel's limit (the HTML report has it whole)."""
    if len(text) <= CELL_MAX:
        return text
    tail = "\n-- … cut here (Excel's cell limit); the HTML report has the whole text"
    return text[: CELL_MAX - len(tail)] + tail


def write_xlsx(report: Report, path: Path) -> Path:
    """Write the data annex of ``report`` at ``path``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    about = book.active
    about.title = _sheet_name(gettext("About", report.lang), set())
    used = {about.title.lower()}
    about.append([report.title])
    about["A1"].font = Font(bold=True, size=14)
    for key, value in report.provenance:
        about.append([key, str(value)])
    about.append([])
    about.append(
        [
            gettext("Sheet", report.lang),
            gettext("Section", report.lang),
            gettext("What", report.lang),
            gettext("Query and data behind it", report.lang),
            "SQL",
        ]
    )
    for section in report.sections:
        for block in section.blocks:
            if block.kind == "table":
                name = _sheet_name(block.caption or section.title, used)
                sheet = book.create_sheet(name)
                sheet.append(list(block.columns))
                for row in block.rows:
                    sheet.append([_value(v) for v in row])
            elif block.kind == "chart" and block.data:
                name = _sheet_name(block.caption or section.title, used)
                sheet = book.create_sheet(name)
                columns = list(dict.fromkeys(k for row in block.data for k in row))
                sheet.append(columns)
                for row in block.data:
                    sheet.append([_value(row.get(c)) for c in columns])
            else:
                continue
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            about.append([name, section.title, block.caption, block.source, _cell_text(block.sql)])
    book.save(str(path))
    return path

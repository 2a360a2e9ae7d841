"""Writing what is loaded back out: one flat row per publication, as CSV, XLSX or Parquet.

The flat row is what analysts paste into a spreadsheet: the bibliographic fields, applicants and
inventors joined with "; ", IPC/CPC symbols, counts of claims and citations, and the source file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from patnav.corpus.store import Corpus

XLSX_MAX_ROWS = 1_048_575
FORMATS = ("csv", "xlsx", "parquet")

_FLAT_SQL = """
SELECT p.publication_number, p.country, p.kind, p.doc_type, p.stage, p.application_number, p.family_id,
       p.priority_date, p.filing_date, p.publication_date, p.grant_date, p.title, p.title_lang, p.abstract,
       (SELECT string_agg(x.name, '; ' ORDER BY x.sequence) FROM parties x
         WHERE x.publication_number = p.publication_number AND x.role IN ('applicant', 'assignee', 'owner'))
         AS applicants,
       (SELECT string_agg(DISTINCT x.name_harmonized, '; ') FROM parties x
         WHERE x.publication_number = p.publication_number AND x.role IN ('applicant', 'assignee', 'owner'))
         AS applicants_harmonized,
       (SELECT string_agg(x.name, '; ' ORDER BY x.sequence) FROM parties x
         WHERE x.publication_number = p.publication_number AND x.role = 'inventor') AS inventors,
       (SELECT string_agg(c.symbol, '; ' ORDER BY c.sequence) FROM classifications c
         WHERE c.publication_number = p.publication_number AND c.scheme = 'IPC') AS ipc,
       (SELECT string_agg(c.symbol, '; ' ORDER BY c.sequence) FROM classifications c
         WHERE c.publication_number = p.publication_number AND c.scheme = 'CPC') AS cpc,
       p.claims_count,
       (SELECT count(*) FROM citations c WHERE c.publication_number = p.publication_number) AS citations,
       p.source_status, p.source_file, p.reader
FROM publications p
{where}
ORDER BY p.publication_number
"""


class ExportError(ValueError):
    """The export cannot be written as asked (unknown format, too many rows for XLSX, …)."""


def flat_publications(corpus: Corpus, numbers: list[str] | None = None) -> pa.Table:
    """The flat table of publications (all, or the given numbers)."""
    where = ""
    if numbers is not None:
        wanted = pa.table({"publication_number": pa.array(numbers, pa.string())})
        corpus.con.register("wanted", wanted)
        where = "WHERE p.publication_number IN (SELECT publication_number FROM wanted)"
    return corpus.con.sql(_FLAT_SQL.format(where=where)).to_arrow_table()


def export_publications(corpus: Corpus, out: Path, fmt: str, numbers: list[str] | None = None) -> int:
    """Write the flat publications table to ``out``; returns the number of rows written."""
    if fmt not in FORMATS:
        raise ExportError(f"cannot export as {fmt!r}: choose one of {', '.join(FORMATS)}")
    table = flat_publications(corpus, numbers)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, out)
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        with out.open("wb") as fh:
            fh.write("\ufeff".encode())  # Excel opens UTF-8 with a BOM correctly, Chinese included
            pacsv.write_csv(table, fh)
    else:
        if table.num_rows > XLSX_MAX_ROWS:
            raise ExportError(
                f"{table.num_rows} rows do not fit in one XLSX sheet ({XLSX_MAX_ROWS} at most): export CSV or Parquet"
            )
        _write_xlsx(table, out)
    return table.num_rows


def _write_xlsx(table: pa.Table, out: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("publications")
    ws.append(table.column_names)
    for batch in table.to_batches(10_000):
        for row in batch.to_pylist():
            ws.append([_xlsx_value(v) for v in row.values()])
    wb.save(out)


_ILLEGAL_XLSX = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        value = value.translate(_ILLEGAL_XLSX)
        if len(value) > 32_000:
            return value[:32_000] + "…"
    return value

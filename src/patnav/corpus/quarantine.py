"""Reading a corpus's quarantine (the records a load rejected) with each reason in the reader's language.

Corpora written before reasons were stored as templates lack the ``reason_id``/``reason_params`` columns; a
read-only reader cannot add them, so it selects NULL in their place and shows the stored English ``reason``.
The web pages, the API and the CLI all read through here.
"""

from __future__ import annotations

from typing import Any

import duckdb

from patnav.model.reasons import render_stored
from patnav.model.schema import ADDED_COLUMNS

#: Columns every caller gets, in this order.
COLUMNS = ("source_file", "position", "field", "reason", "reason_id", "reason_params", "reader", "loaded_at")


def _present(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM pragma_table_info('quarantine')").fetchall()}


def select_list(con: duckdb.DuckDBPyConnection) -> str:
    """The SELECT list of :data:`COLUMNS` for this corpus: NULL for a column an old corpus does not have."""
    present = _present(con)
    added = set(ADDED_COLUMNS["quarantine"])
    return ", ".join(c if c in present or c not in added else f"NULL::VARCHAR AS {c}" for c in COLUMNS)


def read_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    where: str = "",
    params: list[Any] | None = None,
    order: str = "loaded_at DESC, source_file, position",
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Quarantine rows (dicts of :data:`COLUMNS`) matching ``where`` (an SQL condition with ``?`` parameters)."""
    condition = f"WHERE {where}" if where else ""
    sql = f"SELECT {select_list(con)} FROM quarantine {condition} ORDER BY {order} LIMIT ? OFFSET ?"
    rows = con.execute(sql, [*(params or []), limit, offset]).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def reason_text(row: dict[str, Any], lang: str) -> str:
    """The row's reason in ``lang`` (its stored English text where it has no template)."""
    return render_stored(row.get("reason"), row.get("reason_id"), row.get("reason_params"), lang)

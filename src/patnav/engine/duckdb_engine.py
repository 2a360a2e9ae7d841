"""DuckDB engine: the embedded default. Reads the corpus database read-only, or its Parquet mirror."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import duckdb
import pyarrow as pa

from patnav.corpus.store import DB_FILE, PARQUET_DIR
from patnav.engine.base import (
    EngineBase,
    EngineError,
    EngineUnavailableError,
    canonical_table,
    check_params,
    check_read_only,
    check_table_name,
)
from patnav.engine.base import rewrite_placeholders as _rewrite
from patnav.model.schema import TABLES

Source = Literal["database", "parquet"]


class DuckDBEngine(EngineBase):
    """Runs portable SQL on an in-memory DuckDB connection whose tables are the corpus tables.

    ``source="database"`` (the default) attaches ``corpus.duckdb`` read-only: always current, but DuckDB lets
    only one configuration open a file per process, so it fails while the same process holds the corpus open
    for writing (close the :class:`~patnav.corpus.store.Corpus` first). ``source="parquet"`` reads the Parquet
    mirror instead (what Spark reads; current as of the last ``export_parquet``) and never conflicts.
    """

    name: ClassVar[str] = "duckdb"

    def __init__(self, corpus_path: Path | str, *, source: Source = "database", threads: int | None = None) -> None:
        self.corpus_path = Path(corpus_path)
        self.source = source
        self._con = duckdb.connect(":memory:", config={"threads": threads} if threads else {})
        try:
            if source == "database":
                self._attach_database()
            elif source == "parquet":
                self._attach_parquet()
            else:
                raise ValueError(f"unknown source {source!r}: use 'database' or 'parquet'")
        except BaseException:
            self._con.close()
            raise

    def _attach_database(self) -> None:
        db = self.corpus_path / DB_FILE
        if not db.is_file():
            raise EngineUnavailableError(f"no corpus database at {db} (run `patnav ingest` first)")
        try:
            self._con.execute(f"ATTACH '{_sql_path(db)}' AS corpus (READ_ONLY)")
        except duckdb.Error as exc:
            raise EngineUnavailableError(
                f"cannot open {db} read-only ({exc}); if this process has the corpus open for writing, close it"
                " first, or use the Parquet mirror (source='parquet')"
            ) from exc
        self._con.execute("USE corpus")

    def _attach_parquet(self) -> None:
        folder = self.corpus_path / PARQUET_DIR
        missing = [name for name in TABLES if not (folder / f"{name}.parquet").is_file()]
        if missing:
            raise EngineUnavailableError(
                f"the Parquet mirror in {folder} lacks {', '.join(missing)} (run `patnav ingest`, which exports it,"
                " or Corpus.export_parquet())"
            )
        for name in TABLES:
            path = _sql_path(folder / f"{name}.parquet")
            self._con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        check_read_only(sql)
        bound = check_params(sql, params)
        try:
            rel = self._con.sql(_rewrite(sql, "$"), params=bound or None)
            if rel is None:
                raise EngineError("the statement returned no rows (engines run queries, not commands)")
            return canonical_table(rel.to_arrow_table())
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: {exc}") from exc

    def tables(self) -> list[str]:
        found = {r[0] for r in self._con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return [name for name in TABLES if name in found]

    def register(self, name: str, table: pa.Table) -> None:
        check_table_name(name)
        self._con.register(name, table)

    def close(self) -> None:
        self._con.close()


def _sql_path(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")

"""The compute-engine contract: the one interface analytics use to run queries over a corpus.

Analytics are written once, as SQL text in the *portable subset* that DuckDB and Spark SQL both run with the
same meaning, and handed to :meth:`Engine.query`. Which backend executes it is decided by
:func:`patnav.engine.get_engine`; nothing above this layer imports DuckDB or PySpark.

Why SQL text and not Ibis: ibis-framework 12 requires ``pyspark<4.1``, so installing it downgrades the Spark 4.3
this project runs; it also pulls in pandas and sqlglot and adds import time. One SQL text is easy to read, to log
next to a report figure (the design's "every figure can be traced back to the query"), and to run anywhere.

The portable subset (what every engine must run identically, and what the conformance tests check):

* ``SELECT … FROM … [LEFT] JOIN … WHERE … GROUP BY … HAVING … ORDER BY … LIMIT n``, ``WITH`` (CTEs),
  ``UNION ALL``, scalar sub-queries, ``[NOT] IN (subquery)``, ``[NOT] EXISTS``.
* ``count(*)``, ``count(DISTINCT x)``, ``sum``, ``min``, ``max``, ``avg``; ``row_number() OVER (PARTITION BY …
  ORDER BY …)`` and ``count(*) OVER ()``.
* ``sum(x) OVER (PARTITION BY …)``, ``max(x) OVER (PARTITION BY …)``, ``count(*) OVER (PARTITION BY …)``.
* ``coalesce``, ``nullif``, ``CASE WHEN``, ``trim``, ``upper``, ``lower``, ``substr(s, start, len)``,
  ``replace(s, from, to)``, ``length``, ``year(d)``, ``month(d)``, ``day(d)`` (date arithmetic differs between
  the engines: compare dates as ``year(d) * 10000 + month(d) * 100 + day(d)``), ``CAST(x AS BIGINT|DOUBLE|STRING|DATE)``
  (not ``VARCHAR``: Spark wants a length), ``x IS [NOT] NULL``.
* Always write ``NULLS FIRST``/``NULLS LAST`` when ordering a column that may be null (the engines' defaults
  differ), and order by enough columns to make the order total: results are compared row by row.
* Never quote identifiers (DuckDB quotes with ``"``, Spark with backticks) and never put a value into the SQL
  text: pass it as a named parameter ``:name`` in ``params`` (string literals differ too: Spark reads
  backslash escapes, DuckDB does not).
* Integer division: write ``CAST(a AS DOUBLE) / b``; better, compute ratios in Python from exact counts, so the
  two engines agree to the last bit.

Tables are the corpus tables of :data:`patnav.model.schema.TABLES`, by the same names and columns.

Results come back as a :class:`pyarrow.Table` with canonical column types, whatever the engine: integers as
``int64``, floating point as ``float64``, text as ``string``, dates as ``date32``, timestamps as
``timestamp[us, UTC]``, lists and structs of these. Column names are the ones the query gives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar, Protocol, runtime_checkable

import pyarrow as pa


class EngineError(RuntimeError):
    """Something went wrong running a query on an engine."""


class EngineUnavailableError(EngineError):
    """The engine cannot run here (a package or Java missing, or no corpus data it can read); says what to do."""


@runtime_checkable
class Engine(Protocol):
    """A compute backend that runs portable SQL over one corpus.

    Contract:

    * ``name`` is the key it is registered under in :data:`patnav.engine.ENGINES` (``"duckdb"``, ``"spark"``).
    * Opening is cheap; anything expensive (a JVM) starts on the first query and is reused within the process.
    * :meth:`query` runs one statement of the portable subset (see the module docstring) over the corpus
      tables, binding ``params`` to ``:name`` placeholders, and returns every result row as an Arrow table with
      canonical types. It never writes to the corpus.
    * The same query over the same corpus returns the same rows, in the same order when the query orders them
      totally, on every engine. That is what the conformance suite (``tests/test_engine.py``) checks.
    * :meth:`tables` lists the corpus tables the engine can see; :meth:`close` releases the engine's own
      resources (not a shared Spark session). Engines are context managers.
    * :meth:`register` makes an Arrow table (a reference table such as a concordance, or a user's list of
      awards) queryable under ``name`` for the rest of the engine's life, beside the corpus tables; it never
      writes to the corpus and may not shadow a corpus table.
    """

    name: ClassVar[str]

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table: ...

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]: ...

    def tables(self) -> list[str]: ...

    def register(self, name: str, table: pa.Table) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: object) -> None: ...


class EngineBase:
    """Shared plumbing of the built-in engines: ``rows`` on top of ``query``, context management."""

    name: ClassVar[str] = ""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:  # pragma: no cover
        raise NotImplementedError

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        table = self.query(sql, params)
        columns = [col.to_pylist() for col in table.columns]
        return list(zip(*columns, strict=True)) if columns else []

    def tables(self) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def register(self, name: str, table: pa.Table) -> None:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> EngineBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


# -- helpers the engines share ----------------------------------------------------------------------------------

#: a quoted string or identifier (skipped), or a ``:name`` placeholder not preceded by ``:`` or a word character
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|(?<![:\w]):([A-Za-z_]\w*)")


def placeholders(sql: str) -> list[str]:
    """The ``:name`` placeholders in ``sql`` (outside quoted text), in order of appearance."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(sql) if m.group(1)]


@lru_cache(maxsize=512)
def rewrite_placeholders(sql: str, prefix: str) -> str:
    """``sql`` with each ``:name`` placeholder written as ``<prefix>name`` (DuckDB wants ``$name``).

    Kept for the few hundred statements a process runs again and again (the patent page's, the indicators')."""
    return _PLACEHOLDER.sub(lambda m: f"{prefix}{m.group(1)}" if m.group(1) else m.group(0), sql)


_QUOTED_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|--[^\n]*|/\*.*?\*/", re.S)
_WRITES = re.compile(
    r"\b(INSERT|DELETE|UPDATE|MERGE|CREATE|DROP|ALTER|TRUNCATE|COPY|ATTACH|DETACH|INSTALL|LOAD|SET|RESET|CALL|"
    r"PRAGMA|EXPORT|IMPORT|USE|REFRESH|CACHE|UNCACHE|ADD|CHECKPOINT|VACUUM)\b",
    re.I,
)


def check_read_only(sql: str) -> None:
    """Raise unless ``sql`` is one read-only query (``SELECT …`` or ``WITH … SELECT …``).

    Checked before the engine sees it, because Spark runs commands as soon as they are parsed and DuckDB's
    ``COPY … TO`` writes files even on a read-only database.
    """
    bare = _QUOTED_OR_COMMENT.sub(" ", sql).strip().rstrip(";").strip()
    first = bare.split(None, 1)[0].upper() if bare else ""
    if first not in {"SELECT", "WITH", "("} or ";" in bare or _WRITES.search(bare):
        raise EngineError("engines run one read-only query (SELECT or WITH … SELECT), never a command")


_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def check_table_name(name: str) -> None:
    """Raise unless ``name`` can be registered: a plain lower-case identifier that is not a corpus table."""
    from patnav.model.schema import TABLES

    if not _NAME.fullmatch(name):
        raise EngineError(f"cannot register a table named {name!r}: use lower-case letters, digits and _")
    if name in TABLES:
        raise EngineError(f"cannot register {name!r}: a corpus table has that name")


def check_params(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters a query uses; raises when one is missing (extra ones are ignored)."""
    params = dict(params or {})
    used = placeholders(sql)
    missing = sorted(set(used) - set(params))
    if missing:
        raise EngineError(f"query parameter(s) not given: {', '.join(missing)}")
    return {k: v for k, v in params.items() if k in used}


def canonical_type(t: pa.DataType) -> pa.DataType:
    """The canonical Arrow type of a result column (see the module docstring)."""
    if pa.types.is_integer(t):
        return pa.int64()
    if pa.types.is_floating(t):
        return pa.float64()
    if pa.types.is_decimal(t):
        return pa.int64() if t.scale == 0 and t.precision <= 38 else pa.float64()
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_date(t):
        return pa.date32()
    if pa.types.is_timestamp(t):
        return pa.timestamp("us", tz="UTC" if t.tz else None)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return pa.list_(canonical_type(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, canonical_type(f.type)) for f in t])
    return t


def canonical_table(table: pa.Table) -> pa.Table:
    """``table`` cast to canonical column types (a no-op when it already has them)."""
    target = pa.schema([pa.field(f.name, canonical_type(f.type)) for f in table.schema])
    if target.equals(table.schema):
        return table
    return table.cast(target)

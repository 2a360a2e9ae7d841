"""The SQL behind each figure: an engine that notes every statement it runs and which analysis asked for it.

A report names, for each chart and table, the analysis function that made it (``patnav.analysis.trends.
year_series``). :class:`RecordingEngine` wraps any engine and files each statement under every function of the
``patnav.analysis`` and ``patnav.indicators`` packages on the call stack at that moment, so the report can
print the literal SQL (with its parameters) beside the figure, and a reader can run it again on the same data.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from patnav.engine.base import Engine

__all__ = ["QueryLog", "RecordingEngine"]

#: the packages whose functions a statement is filed under
_PACKAGES = ("patnav.analysis.", "patnav.indicators.")


class QueryLog:
    """Statements by caller (``module.function``), each once, in the order first run."""

    def __init__(self) -> None:
        self.by_caller: dict[str, list[str]] = {}

    def record(self, sql: str, params: Mapping[str, Any] | None, depth: int = 2) -> None:
        text = textwrap.dedent(sql).strip("\n").rstrip()
        if params:
            text += "\n-- parameters: " + ", ".join(f":{k} = {v!r}" for k, v in params.items())
        frame = sys._getframe(depth)
        callers: list[str] = []
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if module.startswith(_PACKAGES):
                callers.append(f"{module}.{frame.f_code.co_name}")
            frame = frame.f_back  # type: ignore[assignment]
        for caller in dict.fromkeys(callers):
            statements = self.by_caller.setdefault(caller, [])
            if text not in statements:
                statements.append(text)

    def for_source(self, source: str) -> list[str]:
        """The statements behind a figure whose ``source`` starts with the name of what made it: that function's;
        else, for a module or package (``patnav.analysis.landscape``, ``patnav.indicators``) or a function that
        ran none itself, every statement of that module."""
        name = source.split(" ", 1)[0].rstrip(",;:")
        if not name.startswith(("patnav.analysis", "patnav.indicators")):
            return []
        if name in self.by_caller:
            return list(self.by_caller[name])
        # a module or package named; or a function that ran no SQL itself (it shapes rows its module fetched)
        prefixes = [name] + ([name.rsplit(".", 1)[0]] if name.count(".") >= 3 else [])  # package.module.function
        for prefix in prefixes:
            out: list[str] = []
            for caller, statements in self.by_caller.items():
                if caller.startswith(prefix + "."):
                    out += [s for s in statements if s not in out]
            if out:
                return out
        return []


class RecordingEngine:
    """``engine`` with every statement noted in ``log``; everything else is the engine's own."""

    def __init__(self, engine: Engine, log: QueryLog) -> None:
        self._engine = engine
        self.log = log
        self.name = engine.name

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        self.log.record(sql, params)
        return self._engine.query(sql, params)

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self.log.record(sql, params)
        return self._engine.rows(sql, params)

    def tables(self) -> list[str]:
        return self._engine.tables()

    def register(self, name: str, table: pa.Table) -> None:
        self._engine.register(name, table)

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> RecordingEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:  # an engine's own extras (e.g. a Spark session) stay reachable
        if name == "_engine":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self._engine, name)

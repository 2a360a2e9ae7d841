"""The engine layer: the one place that knows which compute backend runs analytics.

Analytics ask for an engine by name and hand it portable SQL (see :mod:`patnav.engine.base`)::

    from patnav.engine import get_engine
    with get_engine("duckdb", "corpus/") as engine:      # or "spark"
        engine.rows("SELECT country, count(*) AS n FROM publications GROUP BY country")

DuckDB (embedded, the default) reads the corpus database; Spark reads its Parquet mirror, locally or on a
cluster. Neither is imported until asked for, so ``import patnav.engine`` never starts a JVM.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from patnav.engine.base import Engine, EngineError, EngineUnavailableError

#: engine name → "module:Class"; importing is deferred so a missing pyspark only matters when Spark is asked for.
ENGINES: dict[str, str] = {
    "duckdb": "patnav.engine.duckdb_engine:DuckDBEngine",
    "spark": "patnav.engine.spark_engine:SparkEngine",
}

DEFAULT_ENGINE = "duckdb"

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "Engine",
    "EngineError",
    "EngineUnavailableError",
    "get_engine",
]


def get_engine(name: str, corpus_path: Path | str, **options: Any) -> Engine:
    """An engine of kind ``name`` (a key of :data:`ENGINES`) over the corpus at ``corpus_path``.

    ``options`` go to the engine's constructor (DuckDB: ``source="parquet"``; Spark: ``master=``, ``conf=``).
    Raises :class:`EngineUnavailableError` when the engine cannot run here, saying what to install.
    """
    try:
        spec = ENGINES[name]
    except KeyError:
        raise ValueError(f"no engine named {name!r}; known engines: {', '.join(sorted(ENGINES))}") from None
    module_name, _, cls_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # pragma: no cover - the built-in engine modules import nothing optional
        raise EngineUnavailableError(f"engine {name!r} cannot be loaded: {exc}") from exc
    engine: Engine = getattr(module, cls_name)(corpus_path, **options)
    return engine

"""Spark engine: runs the same portable SQL on Apache Spark (PySpark) over the corpus's Parquet mirror.

Local mode by default (``local[2]``, two shuffle partitions, no UI, quiet logs), a cluster when
``PATNAV_SPARK_MASTER`` (or ``master=``) names one. The JVM starts on the first query, not on import or
construction, and one session is shared by every engine in the process; each engine works in its own
``newSession()`` so the temporary views of two corpora never collide.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from patnav.corpus.store import PARQUET_DIR
from patnav.engine.base import (
    EngineBase,
    EngineError,
    EngineUnavailableError,
    canonical_table,
    check_params,
    check_read_only,
    check_table_name,
)
from patnav.model.schema import TABLES

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[2]"

#: Spark settings for a small, quiet, deterministic local session; ``conf=`` adds to or overrides them.
DEFAULT_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.executorEnv.PYTHONHASHSEED": "0",
    "spark.log.structuredLogging.enabled": "false",
}


_lock = threading.Lock()
_session: SparkSession | None = None


def spark_available() -> str | None:
    """None when Spark can run here, else why not and what to install."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'patnav[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return None
    if shutil.which("java"):
        return None
    return (
        "no Java runtime found (Spark needs Java 17 or later): install one, e.g. Debian's"
        " `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME"
    )


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The process-wide Spark session, started on first use (later calls return it, ignoring arguments)."""
    global _session
    with _lock:
        if _session is not None:
            return _session
        problem = spark_available()
        if problem:
            raise EngineUnavailableError(f"the Spark engine cannot run here: {problem}")
        from pyspark.sql import SparkSession

        settings = dict(DEFAULT_CONF)
        settings.update(conf or {})
        builder = SparkSession.builder.master(master or os.environ.get("PATNAV_SPARK_MASTER") or DEFAULT_MASTER)
        builder = builder.appName("patnav")
        for key, value in settings.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # the JVM failed to start: report it as unavailable with the cause
            raise EngineUnavailableError(f"Spark failed to start: {exc}") from exc
        # The JVM prints two lines while starting (the log level it defaults to); after this, only errors.
        session.sparkContext.setLogLevel("ERROR")
        _session = session
        return session


def stop_spark_session() -> None:
    """Stop the process-wide session (tests and long-lived apps that want the JVM's memory back)."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None


class SparkEngine(EngineBase):
    """Runs portable SQL on Spark over ``<corpus>/parquet/<table>.parquet`` (exported after every ingest)."""

    name: ClassVar[str] = "spark"

    def __init__(
        self, corpus_path: Path | str, *, master: str | None = None, conf: Mapping[str, str] | None = None
    ) -> None:
        problem = spark_available()
        if problem:
            raise EngineUnavailableError(f"the Spark engine cannot run here: {problem}")
        self.corpus_path = Path(corpus_path)
        self.folder = self.corpus_path / PARQUET_DIR
        missing = [name for name in TABLES if not (self.folder / f"{name}.parquet").is_file()]
        if missing:
            raise EngineUnavailableError(
                f"the Parquet mirror in {self.folder} lacks {', '.join(missing)} (Spark reads the mirror:"
                " run `patnav ingest`, which exports it, or Corpus.export_parquet())"
            )
        self._master = master
        self._conf = dict(conf or {})
        self._spark: SparkSession | None = None
        self._registered: set[str] = set()

    @property
    def spark(self) -> SparkSession:
        """This engine's session (started on first use), with one temporary view per corpus table."""
        if self._spark is None:
            spark = spark_session(self._master, self._conf).newSession()
            for name in TABLES:
                spark.read.parquet(str((self.folder / f"{name}.parquet").resolve())).createOrReplaceTempView(name)
            self._spark = spark
        return self._spark

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        check_read_only(sql)
        bound = check_params(sql, params)
        try:
            df = self.spark.sql(sql, args=bound or None)
            return canonical_table(df.toArrow())
        except (PySparkException, Py4JJavaError) as exc:
            raise EngineError(f"spark: {exc}") from exc

    def tables(self) -> list[str]:
        found = {t.name for t in self.spark.catalog.listTables()}
        return [name for name in TABLES if name in found]

    def register(self, name: str, table: pa.Table) -> None:
        check_table_name(name)
        self.spark.createDataFrame(table).createOrReplaceTempView(name)
        self._registered.add(name)

    def close(self) -> None:
        if self._spark is not None:
            for name in (*TABLES, *self._registered):
                self._spark.catalog.dropTempView(name)
            self._registered.clear()
            self._spark = None

"""Shared fixtures: the real reference data lives in ../shared/data (read-only, never copied)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared_data() -> Path:
    env = os.environ.get("PATNAV_SHARED_DATA")
    return Path(env) if env else (ROOT.parent / "shared" / "data")


SHARED_DATA = _shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real patent data; tests that need it skip (or fail in CI) when it is absent."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"real data folder {SHARED_DATA} is missing in CI")
        pytest.skip(f"real data folder {SHARED_DATA} not found")
    return SHARED_DATA


@pytest.fixture(scope="session")
def spark_session() -> Any:
    """The process-wide Spark session, started once per test session.

    Skips with the reason on a machine without Java or pyspark; with ``PATNAV_REQUIRE_SPARK=1`` (set by
    ``.ci/run``) it fails instead, so CI cannot pass by skipping the Spark comparisons.
    """
    from patnav.engine import EngineUnavailableError
    from patnav.engine.spark_engine import spark_available
    from patnav.engine.spark_engine import spark_session as start

    required = os.environ.get("PATNAV_REQUIRE_SPARK") == "1"
    problem = spark_available()
    if problem is None:
        try:
            return start()
        except EngineUnavailableError as exc:
            problem = str(exc)
    if required:
        pytest.fail(f"PATNAV_REQUIRE_SPARK=1 but Spark cannot run: {problem}")
    pytest.skip(f"Spark cannot run here: {problem}")


#: the real-data folders the shared comparison corpus is loaded from (~9,000 publications, every table non-empty)
REAL_SOURCES = ("google-patents-export", "patentsview", "ep-publication-xml", "office-api-responses", "uspto-grant-xml")


@pytest.fixture(scope="session")
def real_corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus loaded once per session from the real data (with its Parquet mirror); tests must not write to it."""
    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import Corpus

    path = tmp_path_factory.mktemp("real") / "corpus"
    with Corpus(path) as corpus:
        report = load_paths(corpus, [shared_data / name for name in REAL_SOURCES])
        _, counts = report.totals()
    assert counts.new > 5000, "the readers loaded too little of the real data to compare engines on"
    return path

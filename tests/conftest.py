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

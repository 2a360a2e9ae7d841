"""Shared fixtures: the real reference data lives in ../shared/data (read-only, never copied)."""

from __future__ import annotations

import os
from pathlib import Path

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

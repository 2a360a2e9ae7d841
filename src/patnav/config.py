"""Where things live by default: the corpus folder and the demo data folder, overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

#: The corpus folder when ``--corpus`` is not given.
DEFAULT_CORPUS = Path(os.environ.get("PATNAV_CORPUS", "var/corpus"))


def default_corpus() -> Path:
    return Path(os.environ.get("PATNAV_CORPUS", str(DEFAULT_CORPUS)))


def demo_data() -> Path:
    """The folder ``make demo`` loads: ``PATNAV_DEMO_DATA``, else ``../shared/data`` beside the checkout."""
    env = os.environ.get("PATNAV_DEMO_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"

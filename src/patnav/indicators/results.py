"""Where a corpus keeps its computed indicators: ``<corpus>/indicators/`` with one Parquet file per table and
the run's manifest (as-of date, engine, rule versions, placeholders, caveats, timings) as ``run.json``.

Kept beside the corpus database rather than inside it, so reading indicators never takes the corpus lock and
a new run replaces the old one atomically (written to a temporary folder, then renamed).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from patnav.corpus.store import INDICATORS_DIR
from patnav.indicators.compute import IndicatorRun

FOLDER = INDICATORS_DIR
TABLES = ("publications", "industries", "missing")


class NoIndicatorsError(FileNotFoundError):
    """The corpus has no computed indicators yet (run ``patnav indicators compute``)."""


@dataclass(frozen=True)
class StoredRun:
    """A saved indicator run: its tables and its manifest."""

    publications: pa.Table
    industries: pa.Table
    missing: pa.Table
    manifest: dict[str, Any]

    @property
    def caveats_line(self) -> str:
        """Rule versions and placeholders in one line, for the foot of any table printed from this run."""
        rules = ", ".join(sorted(set(self.manifest.get("rules", {}).values())))
        return f"as of {self.manifest.get('as_of')} · {rules}"


def indicators_dir(corpus_path: Path | str) -> Path:
    return Path(corpus_path) / FOLDER


def save_run(run: IndicatorRun, corpus_path: Path | str) -> Path:
    """Write ``run`` under the corpus, replacing any earlier run; returns the folder."""
    final = indicators_dir(corpus_path)
    tmp = final.with_name(FOLDER + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name, table in (("publications", run.table), ("industries", run.industries), ("missing", run.missing)):
        pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
    (tmp / "run.json").write_text(json.dumps(run.manifest(), ensure_ascii=False, indent=2), encoding="utf-8")
    old = final.with_name(FOLDER + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)
    return final


def load_run(corpus_path: Path | str) -> StoredRun:
    """The saved run of the corpus; raises :class:`NoIndicatorsError` when there is none."""
    folder = indicators_dir(corpus_path)
    if not (folder / "run.json").is_file():
        raise NoIndicatorsError(f"no indicators computed for {corpus_path} (run `patnav indicators compute`)")
    tables = {name: pq.read_table(folder / f"{name}.parquet") for name in TABLES}
    manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    return StoredRun(tables["publications"], tables["industries"], tables["missing"], manifest)

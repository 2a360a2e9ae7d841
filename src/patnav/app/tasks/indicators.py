"""Indicator jobs: compute every indicator of a corpus and save the run beside it (``patnav indicators compute``
as a background job, started from the Dashboards page when a corpus has no indicator run yet)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from patnav.app.tasks import task

#: the named steps ``compute`` reports, for the progress fraction (patnav.cli_indicators lists the same twelve)
STEPS = 12


@task("indicators")
def compute_indicators_job(ctx: Any) -> dict[str, Any]:
    """``params``: corpus (path), as_of (YYYY-MM-DD, default today). Reads the corpus read-only; the run is
    written to ``<corpus>/indicators`` atomically, replacing any earlier one."""
    from patnav.indicators.compute import compute_indicators
    from patnav.indicators.reference import reference_folder
    from patnav.indicators.results import save_run

    path = Path(ctx.params["corpus"])
    as_of = dt.date.fromisoformat(ctx.params["as_of"]) if ctx.params.get("as_of") else None
    done: list[str] = []

    def step(name: str) -> None:
        ctx.progress(min(len(done) / STEPS, 0.95), f"indicators: {name}", force=True)
        done.append(name)

    run = compute_indicators(path, as_of=as_of, reference_dir=reference_folder(None), progress=step)
    ctx.progress(0.97, "indicators: saving", force=True)
    save_run(run, path)
    manifest = run.manifest()
    high = sum(1 for v in run.table.column("high_value").to_pylist() if v)
    return {
        "as_of": manifest["as_of"],
        "publications": manifest["publications"],
        "high_value": high,
        "rules": manifest["rules"],
        "placeholders": manifest["placeholders"],
    }

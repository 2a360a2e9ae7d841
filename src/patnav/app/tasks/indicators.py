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
    ctx.progress(0.95, "indicators: saving", force=True)
    save_run(run, path)
    reindexed = _carry_statuses_to_search(ctx, path)
    manifest = run.manifest()
    high = sum(1 for v in run.table.column("high_value").to_pylist() if v)
    return {
        "as_of": manifest["as_of"],
        "publications": manifest["publications"],
        "high_value": high,
        "rules": manifest["rules"],
        "placeholders": manifest["placeholders"],
        "reindexed": reindexed,
    }


def _carry_statuses_to_search(ctx: Any, path: Path) -> int:
    """Re-index the publications whose legal status changed (the search's status facet reads it from the
    full-text index); the searchers of the web processes reopen when the index changes on disk."""
    from patnav.search.text_index import update_if_indexed

    stats = update_if_indexed(
        path, progress=lambda done, total: ctx.progress(0.95 + 0.05 * done / max(total, 1), "full-text index")
    )
    return stats.indexed if stats is not None else 0

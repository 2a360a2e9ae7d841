"""Project jobs: run (or refresh) a navigation project in the background, exactly as ``patnav project run``
does, with the runner's steps shown as the job's progress."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from patnav.app.tasks import task
from patnav.i18n import N_, gettext

#: The runner's step names (``run_project``'s progress callback) → where the job stands when the step starts,
#: and the text shown for it. Analyses take about two thirds of a run, writing the four formats the rest.
STEPS: dict[str, tuple[float, str]] = {
    "patent set": (0.02, N_("Building the patent set")),
    "trends": (0.12, N_("Trends and life cycle")),
    "players": (0.20, N_("Players")),
    "geography": (0.27, N_("Geography")),
    "technology": (0.32, N_("Technology composition")),
    "landscape": (0.40, N_("Landscape map")),
    "citations": (0.50, N_("Citation network")),
    "talent": (0.56, N_("Inventors and teams")),
    "indicators": (0.62, N_("Patent indicators")),
    "report model": (0.66, N_("Drawing the conclusions")),
    "html": (0.70, N_("Writing the interactive report")),
    "pdf": (0.75, N_("Writing the PDF")),
    "docx": (0.88, N_("Writing the Word document")),
    "xlsx": (0.95, N_("Writing the data annex")),
}
#: How long a run waits for a load that is writing its corpus before it gives up (seconds).
WAIT_FOR_LOAD_S = 1800.0


def _wait_until_readable(ctx: Any, corpus: Path, lang: str) -> None:
    """A load holds DuckDB's write lock on the corpus: wait (cancellable) until it is done."""
    from patnav.app.corpora import is_writing

    deadline = time.monotonic() + WAIT_FOR_LOAD_S
    while is_writing(corpus):
        if time.monotonic() > deadline:
            raise RuntimeError(gettext("The corpus is still being updated by a load; run the project later.", lang))
        ctx.progress(0.0, gettext("Waiting for a load to finish", lang), force=True)
        time.sleep(2.0)


@task("project_run")
def run_navigation_project(ctx: Any) -> dict[str, Any]:
    """``params``: project_id (the app row), file (the project YAML), corpus (path), compare (bool: a refresh
    that reports what changed), lang (the language of the progress messages).

    Writes the run under ``<file's folder>/<name>/runs/<stamp>/`` and ``…/latest/`` (the CLI's layout), stamps
    the project row's ``last_run_at`` and returns the output paths, the per-step seconds and the set's size."""
    from patnav.app.database import session_scope
    from patnav.app.models import ProjectRecord, utcnow
    from patnav.navigation.project import load_project
    from patnav.navigation.runner import run_project

    params = ctx.params
    lang = str(params.get("lang") or "en")
    file = Path(params["file"])
    corpus = Path(params["corpus"])
    compare = bool(params.get("compare", False))
    project = load_project(file)
    _wait_until_readable(ctx, corpus, lang)

    reached = [0.0]

    def step(name: str) -> None:
        """An unknown step (a newer runner) keeps the fraction reached and shows its own name."""
        fraction, label = STEPS.get(name, (reached[0], name))
        reached[0] = fraction
        ctx.progress(fraction, gettext(label, lang), force=True)

    started = time.perf_counter()
    result = run_project(
        project,
        corpus,
        project_file=file,
        runs_dir=file.parent / project.name,
        progress=step,
        compare=compare,
    )
    seconds = time.perf_counter() - started
    ctx.progress(1.0, gettext("Report written", lang), force=True)
    project_id = params.get("project_id")
    if project_id is not None:
        with session_scope(ctx.settings.database_url) as db:
            row = db.get(ProjectRecord, int(project_id))
            if row is not None:  # the project may have been deleted while it ran
                row.last_run_at = utcnow()
    return {
        "project_id": project_id,
        "run": result.run_dir.name if result.run_dir else None,
        "outputs": {fmt: str(path) for fmt, path in result.outputs.items()},
        "timings": {name: round(s, 3) for name, s in result.timings.items()},
        "seconds": round(seconds, 3),
        "publications": result.report.summary.get("publications"),
        "changes": list(result.changes),
        "compare": compare,
    }

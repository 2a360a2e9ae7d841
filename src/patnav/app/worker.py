"""One background job, run in its own process: ``python -m patnav.app.worker JOB_ID``.

It reports progress into the job row, stops when a cancel is requested (the dispatcher also sends SIGTERM
to its process group), and leaves the row 'done' with a result or 'failed' with the error.
"""

from __future__ import annotations

import signal
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

from patnav.app.database import session_scope
from patnav.app.models import Job, JobStatus, utcnow
from patnav.app.settings import Settings, load_settings


class Cancelled(Exception):
    pass


@dataclass
class JobContext:
    """What a task sees: its parameters, the settings, and a way to report progress (which also checks for
    a cancel request and raises ``Cancelled``)."""

    job_id: int
    org_id: int
    user_id: int | None
    params: dict[str, Any]
    settings: Settings
    _last: float = 0.0

    def progress(self, fraction: float, message: str = "", *, force: bool = False) -> None:
        """Record progress (at most twice a second, so tight loops may call it freely)."""
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        with session_scope(self.settings.database_url) as db:
            job = db.get(Job, self.job_id)
            if job is None:
                raise Cancelled()
            job.progress = max(0.0, min(1.0, float(fraction)))
            if message:
                job.message = message[:2000]
            job.heartbeat_at = utcnow()
            if job.cancel_requested:
                raise Cancelled()


def _finish(
    settings: Settings, job_id: int, status: str, *, result: dict[str, Any] | None = None, error: str = ""
) -> None:
    with session_scope(settings.database_url) as db:
        job = db.get(Job, job_id)
        if job is None:
            return
        job.status = status
        job.finished_at = utcnow()
        if result is not None:
            job.result = result
            job.progress = 1.0
        job.error = error[:20000]


def run(job_id: int) -> int:
    from patnav.app.tasks import TASKS

    settings = load_settings()
    with session_scope(settings.database_url) as db:
        job = db.get(Job, job_id)
        if job is None or job.status != JobStatus.RUNNING.value:
            return 1
        ctx = JobContext(job.id, job.org_id, job.user_id, dict(job.params or {}), settings)
        kind = job.kind

    def _term(_signum: int, _frame: Any) -> None:
        raise Cancelled()

    signal.signal(signal.SIGTERM, _term)
    try:
        result = TASKS[kind](ctx)
    except Cancelled:
        _finish(settings, job_id, JobStatus.CANCELLED.value, error="cancelled")
        return 2
    except Exception as exc:
        traceback.print_exc()
        _finish(settings, job_id, JobStatus.FAILED.value, error=f"{type(exc).__name__}: {exc}")
        return 1
    _finish(settings, job_id, JobStatus.DONE.value, result=result or {})
    return 0


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1])))

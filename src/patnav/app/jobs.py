"""Background jobs: a table of what to do, and a dispatcher that runs at most N at once, each in its own
process (so a crash or a cancel never takes the server down), and picks up after a restart.

One dispatcher runs per data folder (an advisory file lock elects it among the server's worker processes).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from patnav.app.accounts import audit
from patnav.app.corpora import pid_alive
from patnav.app.database import session_scope
from patnav.app.errors import AppError
from patnav.app.models import Job, JobStatus, User, utcnow
from patnav.app.settings import Settings

log = logging.getLogger("patnav.jobs")

ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
FINISHED = (JobStatus.DONE.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value)
#: How many times a job interrupted by a crash is started again before it is marked failed.
MAX_ATTEMPTS = 3


def submit(db: Session, user: User, kind: str, params: dict[str, Any], org_id: int | None = None) -> Job:
    from patnav.app.tasks import TASKS

    if kind not in TASKS:
        raise AppError(422, "bad_kind", "Unknown job kind: {value}", value=kind[:40])
    job = Job(org_id=org_id if org_id is not None else user.org_id, user_id=user.id, kind=kind, params=params)
    db.add(job)
    db.flush()
    shown = {
        k: v for k, v in params.items() if isinstance(v, str | int) and k not in ("db", "user", "action", "target")
    }
    audit(db, user, f"job.{kind}", f"job:{job.id}", **shown)
    return job


def cancel(db: Session, user: User, job: Job) -> Job:
    if job.status == JobStatus.QUEUED.value:
        job.status = JobStatus.CANCELLED.value
        job.finished_at = utcnow()
    elif job.status == JobStatus.RUNNING.value:
        job.cancel_requested = True
    else:
        raise AppError(409, "job_finished", "This job has already finished.")
    audit(db, user, "job.cancel", f"job:{job.id}")
    return job


def retry(db: Session, user: User, job: Job) -> Job:
    if job.status not in (JobStatus.FAILED.value, JobStatus.CANCELLED.value):
        raise AppError(409, "job_not_retryable", "Only a failed or cancelled job can be retried.")
    job.status = JobStatus.QUEUED.value
    job.progress = 0.0
    job.error = ""
    job.message = ""
    job.cancel_requested = False
    job.attempts = 0
    job.started_at = job.finished_at = None
    audit(db, user, "job.retry", f"job:{job.id}")
    return job


def _alive(pid: int | None) -> bool:
    """The process lives (a zombie child of ours, ended but not yet reaped, counts as gone)."""
    if not pid or not pid_alive(pid):
        return False
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


class Dispatcher:
    """Starts queued jobs as ``python -m patnav.app.worker JOB`` processes and watches them."""

    def __init__(self, settings: Settings, poll_s: float = 0.5) -> None:
        self.settings = settings
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_fh: Any = None
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="patnav-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._lock_fh is not None:
            self._lock_fh.close()

    def _elected(self) -> bool:
        if self._lock_fh is not None:
            return True
        path = self.settings.data_dir / "jobs.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        self._lock_fh = fh
        self._recover()
        return True

    def _recover(self) -> None:
        """After a restart: a job left 'running' by a dead process runs again (up to MAX_ATTEMPTS times)."""
        with session_scope(self.settings.database_url) as db:
            for job in db.scalars(select(Job).where(Job.status == JobStatus.RUNNING.value)):
                if _alive(job.pid):
                    continue
                if job.attempts >= MAX_ATTEMPTS:
                    job.status = JobStatus.FAILED.value
                    job.error = job.error or "interrupted too many times"
                    job.finished_at = utcnow()
                else:
                    job.status = JobStatus.QUEUED.value
                    job.message = "restarted after an interruption"
                job.pid = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._elected():
                    self.tick()
            except Exception:  # the dispatcher must outlive one bad tick (a database hiccup)
                log.exception("job dispatcher tick failed")
            self._stop.wait(self.poll_s)

    def tick(self) -> None:
        with session_scope(self.settings.database_url) as db:
            running = list(db.scalars(select(Job).where(Job.status == JobStatus.RUNNING.value)))
            for job in running:
                if job.cancel_requested and _alive(job.pid):
                    self._kill(job.pid)
                if not _alive(job.pid):
                    self._children.pop(job.id, None)
                    db.refresh(job)
                    if job.status == JobStatus.RUNNING.value:  # the process ended without saying how
                        job.status = JobStatus.CANCELLED.value if job.cancel_requested else JobStatus.FAILED.value
                        job.error = job.error or ("cancelled" if job.cancel_requested else "the job process ended")
                        job.finished_at = utcnow()
            free = self.settings.max_jobs - sum(1 for j in running if j.status == JobStatus.RUNNING.value)
            if free <= 0:
                return
            queued = db.scalars(
                select(Job).where(Job.status == JobStatus.QUEUED.value).order_by(Job.id).limit(free)
            ).all()
            for job in queued:
                claimed = db.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.status == JobStatus.QUEUED.value)
                    .values(
                        status=JobStatus.RUNNING.value,
                        started_at=utcnow(),
                        heartbeat_at=utcnow(),
                        attempts=Job.attempts + 1,
                    )
                ).rowcount
                if not claimed:
                    continue
                proc = self._spawn(job.id)
                job.pid = proc.pid
                self._children[job.id] = proc

    def _spawn(self, job_id: int) -> subprocess.Popen[bytes]:
        log_dir = self.settings.data_dir / "jobs"
        log_dir.mkdir(parents=True, exist_ok=True)
        out = (log_dir / f"{job_id}.log").open("ab")
        env = dict(
            os.environ,
            PATNAV_DATABASE_URL=self.settings.database_url,
            PATNAV_DATA_DIR=str(self.settings.data_dir),
            PATNAV_CORPUS=str(self.settings.public_corpus),
        )
        return subprocess.Popen(
            [sys.executable, "-m", "patnav.app.worker", str(job_id)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    @staticmethod
    def _kill(pid: int | None) -> None:
        if not pid:
            return
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            return


def wait_for(url: str, job_id: int, timeout: float = 600.0, poll: float = 0.3) -> Job:
    """Block until the job finishes (tests and the CLI use this); returns the final row."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(url) as db:
            job = db.get(Job, job_id)
            if job is None:
                raise LookupError(job_id)
            if job.status in FINISHED:
                db.expunge(job)
                return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {job.status} after {timeout:.0f} s")
        time.sleep(poll)


def log_path(settings: Settings, job_id: int) -> Path:
    return settings.data_dir / "jobs" / f"{job_id}.log"


def age(moment: dt.datetime | None) -> float | None:
    return None if moment is None else (utcnow() - moment).total_seconds()

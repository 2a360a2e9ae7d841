"""Where the platform keeps its state and what limits it enforces, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from patnav.config import default_corpus


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True, slots=True)
class Settings:
    """The platform's configuration; every field has a ``PATNAV_…`` environment variable."""

    database_url: str
    data_dir: Path
    public_corpus: Path
    max_upload_bytes: int = 200 * 1024 * 1024
    max_unpacked_bytes: int = 2 * 1024 * 1024 * 1024
    max_jobs: int = 1
    secure_cookies: bool = False
    login_attempts: int = 5
    login_window_s: int = 300
    session_hours: int = 12
    #: Worker threads per server process for page handlers. Few: the work is CPU-bound under one GIL, and with
    #: 40 threads (the default of the thread pool) requests were served in random order, which stretched the
    #: slowest twentieth to three times the median under load.
    threads: int = 2
    #: Let FastAPI's OpenTelemetry instrumentation run (for a deployment that configures a provider itself).
    telemetry: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def org_dir(self, org_slug: str) -> Path:
        return self.data_dir / "orgs" / org_slug

    def org_corpus(self, org_slug: str) -> Path:
        return self.org_dir(org_slug) / "corpus"

    def org_projects(self, org_slug: str) -> Path:
        return self.org_dir(org_slug) / "projects"

    def uploads(self, org_slug: str) -> Path:
        return self.org_dir(org_slug) / "uploads"


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("PATNAV_DATA_DIR", "var/app")).resolve()
    url = os.environ.get("PATNAV_DATABASE_URL") or f"sqlite:///{data_dir / 'patnav.db'}"
    return Settings(
        database_url=url,
        data_dir=data_dir,
        public_corpus=default_corpus().resolve(),
        max_upload_bytes=_int("PATNAV_MAX_UPLOAD_MB", 200) * 1024 * 1024,
        max_unpacked_bytes=_int("PATNAV_MAX_UNPACKED_MB", 2048) * 1024 * 1024,
        max_jobs=_int("PATNAV_MAX_JOBS", 1),
        secure_cookies=os.environ.get("PATNAV_SECURE_COOKIES", "") in ("1", "true", "yes"),
        login_attempts=_int("PATNAV_LOGIN_ATTEMPTS", 5),
        login_window_s=_int("PATNAV_LOGIN_WINDOW_S", 300),
        session_hours=_int("PATNAV_SESSION_HOURS", 12),
        threads=max(1, _int("PATNAV_THREADS", 2)),
        telemetry=os.environ.get("PATNAV_TELEMETRY", "") in ("1", "true", "yes"),
    )

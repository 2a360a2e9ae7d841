"""Shared fixtures: the real reference data lives in ../shared/data (read-only, never copied)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


#: the real-data folders the shared comparison corpus is loaded from (~9,000 publications, every table non-empty)
REAL_SOURCES = ("google-patents-export", "patentsview", "ep-publication-xml", "office-api-responses", "uspto-grant-xml")


@pytest.fixture(scope="session")
def real_corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus loaded once per session from the real data (with its Parquet mirror); tests must not write to it."""
    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import Corpus

    path = tmp_path_factory.mktemp("real") / "corpus"
    with Corpus(path) as corpus:
        report = load_paths(corpus, [shared_data / name for name in REAL_SOURCES])
        _, counts = report.totals()
    assert counts.new > 5000, "the readers loaded too little of the real data to compare engines on"
    return path


# -- the web platform -----------------------------------------------------------------------------------------

#: The semantic model the web tests embed with (MiniLM: English, ~4x faster than e5 on two cores).
WEB_MODEL = "minilm"
ROLES = ("administrator", "analyst", "service_agency", "bank", "viewer")
ORGS = ("alpha", "beta")


@pytest.fixture(scope="session")
def web_corpus(real_corpus: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the real corpus with its full-text index and indicators: the public corpus of the platform
    under test (tests read it; the upload tests write their own corpora).

    Its MiniLM vectors cover the USPTO full-text grants only: they are embedded in a corpus of those files
    alone and the vector store is copied over (embedding all ~9,000 records costs minutes on two cores).
    Search by meaning therefore ranks those documents, and ``index status`` reports the rest as missing.
    """
    import shutil

    from patnav.corpus.loader import load_paths
    from patnav.corpus.store import Corpus
    from patnav.indicators.compute import compute_indicators
    from patnav.indicators.results import save_run
    from patnav.search.embedder import get_embedder
    from patnav.search.text_index import TextIndex
    from patnav.search.vectors import embed_corpus, store_path

    root = tmp_path_factory.mktemp("web")
    path = root / "public"
    shutil.copytree(real_corpus, path)
    save_run(compute_indicators(path), path)  # first, as make demo does: the index carries the legal status
    with Corpus(path, read_only=True) as corpus:
        TextIndex.for_corpus(corpus).update_from_corpus(corpus)
    small = root / "grants"
    with Corpus(small) as corpus:
        load_paths(corpus, [shared_data / "uspto-grant-xml"], export=False)
    with Corpus(small, read_only=True) as corpus:
        embed_corpus(corpus, get_embedder(WEB_MODEL))
    shutil.copytree(store_path(small, get_embedder(WEB_MODEL).name), store_path(path, get_embedder(WEB_MODEL).name))
    return path


def _postgres_admin_url() -> str | None:
    return os.environ.get("PATNAV_TEST_POSTGRES_URL")


@contextmanager
def new_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty app database: SQLite in ``folder``, or a fresh PostgreSQL database (dropped afterwards) on the
    server ``PATNAV_TEST_POSTGRES_URL`` names (``.ci/run`` starts one; without it the test skips, and with
    ``PATNAV_REQUIRE_POSTGRES=1`` it fails instead)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'app.db'}"
        return
    admin = _postgres_admin_url()
    if not admin:
        if os.environ.get("PATNAV_REQUIRE_POSTGRES") == "1":
            pytest.fail("PATNAV_REQUIRE_POSTGRES=1 but PATNAV_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server (set PATNAV_TEST_POSTGRES_URL)")
    import uuid

    import sqlalchemy as sa

    name = f"patnav_test_{uuid.uuid4().hex[:10]}"
    admin_engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        from patnav.app.database import engine_for

        engine_for(url).dispose()
        with admin_engine.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An empty app database, once on SQLite and once on PostgreSQL (see ``new_database``)."""
    with new_database(request.param, tmp_path) as url:
        yield url


class Platform:
    """A configured platform over the web corpus: organisations alpha and beta, one user per role in each
    (``alpha-analyst``…, password ``pw-<username>``), and signed-in test clients on demand."""

    def __init__(self, settings: Any, *, jobs: bool) -> None:
        from fastapi.testclient import TestClient

        from patnav.app import accounts
        from patnav.app.database import session_scope, upgrade
        from patnav.app.web import create_app

        self.settings = settings
        upgrade(settings.database_url)
        with session_scope(settings.database_url) as db:
            for slug in ORGS:
                org = accounts.create_org(db, slug, f"Org {slug.title()}")
                for role in ROLES:
                    accounts.create_user(db, org, f"{slug}-{role}", f"pw-{slug}-{role}", role)
        self.app = create_app(settings, jobs=jobs, migrate=False)
        self._clients: list[Any] = []
        self._anon = TestClient(self.app)
        self._anon.__enter__()

    def client(self, username: str | None = None) -> Any:
        """A client signed in as ``username`` through the login form (or anonymous), sending its CSRF header."""
        import re

        from fastapi.testclient import TestClient

        c = TestClient(self.app, follow_redirects=False)
        self._clients.append(c)
        if username is None:
            return c
        page = c.get("/login")
        pre = re.search(r'name="pre" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = c.post("/login", data={"username": username, "password": f"pw-{username}", "pre": pre})
        assert r.status_code == 303, (username, r.status_code, r.text[:300])
        home = c.get("/")
        c.headers["X-CSRF-Token"] = re.search(r'X-CSRF-Token": "([^"]+)"', home.text).group(1)  # type: ignore[union-attr]
        return c

    def close(self) -> None:
        for c in self._clients:
            c.close()
        self._anon.__exit__(None, None, None)


def make_settings(data_dir: Path, database_url: str, public_corpus: Path, **kw: Any) -> Any:
    from patnav.app.settings import Settings

    return Settings(database_url=database_url, data_dir=data_dir, public_corpus=public_corpus, **kw)  # fmt: skip


@pytest.fixture
def platform(tmp_path: Path, web_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The platform on SQLite, with the job dispatcher running (jobs run as real subprocesses)."""
    monkeypatch.setenv("PATNAV_SEARCH_MODEL", WEB_MODEL)
    p = Platform(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'app.db'}", web_corpus), jobs=True)
    yield p
    p.close()


@pytest.fixture(scope="module")
def browser() -> Any:
    """Debian's Chromium driven by Playwright; skips without it unless PATNAV_REQUIRE_BROWSER=1 (CI)."""
    import shutil

    exe = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(exe).exists():
        if os.environ.get("PATNAV_REQUIRE_BROWSER") == "1":
            pytest.fail("PATNAV_REQUIRE_BROWSER=1 but Debian's chromium is not installed")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=exe,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield b
        b.close()

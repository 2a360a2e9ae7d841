"""Accounts on the real app database (SQLite and PostgreSQL): migrations, sign-in, throttling, CSRF, API
tokens, the audit log, and background jobs run as real processes."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from conftest import Platform, make_settings
from patnav.app import accounts
from patnav.app.database import session_scope, upgrade
from patnav.app.models import AuditEntry, Job, JobStatus, User


@pytest.fixture
def plat(tmp_path: Path, database_url: str, web_corpus: Path) -> Any:
    """The platform on each database, jobs left to the test (no dispatcher thread)."""
    p = Platform(make_settings(tmp_path / "data", database_url, web_corpus, login_attempts=3), jobs=False)
    yield p
    p.close()


def _login(c: Any, username: str, password: str) -> Any:
    page = c.get("/login")
    pre = re.search(r'name="pre" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return c.post("/login", data={"username": username, "password": password, "pre": pre})


def test_migrations_are_idempotent_and_accounts_round_trip(plat: Platform) -> None:
    upgrade(plat.settings.database_url)  # a second upgrade changes nothing
    with session_scope(plat.settings.database_url) as db:
        user = accounts.find_user(db, "ALPHA-Analyst")  # names are matched without case
        assert user is not None and user.org.slug == "alpha" and user.role == "analyst"
        assert user.password_hash.startswith("$argon2")
        assert "pw-alpha-analyst" not in user.password_hash


def test_sign_in_out_and_wrong_password(plat: Platform) -> None:
    c = plat.client()
    assert c.get("/").status_code == 303  # to the sign-in page
    bad = _login(c, "alpha-analyst", "wrong-password")
    assert bad.status_code == 401 and "Wrong user name or password." in bad.text
    good = _login(c, "alpha-analyst", "pw-alpha-analyst")
    assert good.status_code == 303 and "patnav_session" in good.cookies
    home = c.get("/")
    assert home.status_code == 200 and "Org Alpha" in home.text
    assert (home.headers["x-frame-options"], home.headers["x-content-type-options"]) == ("SAMEORIGIN", "nosniff")
    csrf = re.search(r'X-CSRF-Token": "([^"]+)"', home.text).group(1)  # type: ignore[union-attr]
    assert c.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert c.get("/").status_code == 303


def test_sign_in_is_throttled_after_repeated_failures(plat: Platform) -> None:
    c = plat.client()
    for _ in range(3):
        assert _login(c, "beta-viewer", "nope-nope").status_code == 401
    locked = _login(c, "beta-viewer", "pw-beta-viewer")  # even the right password waits now
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text


def test_forms_without_the_csrf_token_are_refused(plat: Platform) -> None:
    c = plat.client("alpha-analyst")
    token = c.headers.pop("X-CSRF-Token")
    refused = c.post("/api/v1/tokens", json={"name": "x"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    assert c.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token}).status_code == 201


def test_login_form_needs_its_pre_session_token(plat: Platform) -> None:
    c = plat.client()
    r = c.post("/login", data={"username": "alpha-analyst", "password": "pw-alpha-analyst", "pre": "forged"})
    assert r.status_code == 403 and "patnav_session" not in r.cookies


def test_api_tokens_work_until_revoked_and_are_audited(plat: Platform) -> None:
    c = plat.client("alpha-bank")
    made = c.post("/api/v1/tokens", json={"name": "nightly export"}).json()
    script = plat.client()
    bearer = {"Authorization": f"Bearer {made['token']}"}
    me = script.get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.json()["role"] == "bank" and me.json()["organisation"]["slug"] == "alpha"
    assert "upload" not in me.json()["may"]
    listed = c.get("/api/v1/tokens").json()["items"]
    assert [t["name"] for t in listed] == ["nightly export"] and "token" not in listed[0]
    assert c.delete(f"/api/v1/tokens/{made['id']}").status_code == 200
    gone = script.get("/api/v1/me", headers=bearer)
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "bad_token"
    with session_scope(plat.settings.database_url) as db:
        actions = [a.action for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert [a for a in actions if a != "user.create"][-3:] == ["sign_in", "token.create", "token.revoke"]


def test_errors_are_json_with_a_code_and_speak_the_users_language(plat: Platform) -> None:
    c = plat.client()
    r = c.get("/api/v1/me", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "sign_in"
    assert r.json()["error"]["message"] == "请登录。"
    r = c.get("/api/v1/jobs?page=0", headers={"Authorization": "Bearer x"})
    assert r.status_code == 401


def test_account_changes_reach_open_sessions(plat: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deactivation made through this server applies to the user's open session at once; one written to the
    database behind its back (another server process, the shell) within accounts.SESSION_TRUST_S."""
    monkeypatch.setattr(accounts, "SESSION_TRUST_S", 0.5)
    viewer = plat.client("alpha-viewer")
    assert viewer.get("/api/v1/tokens").status_code == 200
    admin = plat.client("alpha-administrator")
    assert admin.patch("/api/v1/admin/users/alpha-viewer", json={"active": False}).status_code == 200
    assert viewer.get("/api/v1/tokens").status_code == 401

    analyst = plat.client("alpha-analyst")
    assert analyst.get("/api/v1/tokens").status_code == 200
    with session_scope(plat.settings.database_url) as db:
        db.execute(update(User).where(User.username == "alpha-analyst").values(is_active=False))
    time.sleep(0.6)
    assert analyst.get("/api/v1/tokens").status_code == 401


def test_only_administrators_manage_users_and_role_changes_are_audited(plat: Platform) -> None:
    analyst = plat.client("alpha-analyst")
    assert analyst.get("/api/v1/admin/users").status_code == 403
    admin = plat.client("alpha-administrator")
    r = admin.patch("/api/v1/admin/users/beta-viewer", json={"role": "analyst"})
    assert r.status_code == 200 and r.json()["role"] == "analyst"
    bad = admin.patch("/api/v1/admin/users/beta-viewer", json={"role": "emperor"})
    assert bad.status_code == 422
    log = admin.get("/api/v1/admin/audit").json()["items"]
    assert log[0]["action"] == "user.role" and log[0]["detail"] == {"before": "viewer", "after": "analyst"}


def test_an_index_job_runs_in_its_own_process_reports_progress_and_can_be_retried(plat: Platform) -> None:
    from patnav.app.jobs import Dispatcher, submit, wait_for

    with session_scope(plat.settings.database_url) as db:
        user = accounts.find_user(db, "alpha-analyst")
        job = submit(db, user, "index", {"corpus": str(plat.settings.public_corpus), "text": True})
        missing = submit(db, user, "index", {"corpus": str(plat.settings.data_dir / "no-such-corpus")})
        job_id, missing_id = job.id, missing.id
    dispatcher = Dispatcher(plat.settings, poll_s=0.2)
    dispatcher.start()
    try:
        done = wait_for(plat.settings.database_url, job_id, timeout=300)
        failed = wait_for(plat.settings.database_url, missing_id, timeout=300)
    finally:
        dispatcher.stop()
    assert done.status == JobStatus.DONE.value and done.progress == 1.0
    assert done.result["text"]["unchanged"] > 5000  # the index was already up to date: nothing redone
    assert failed.status == JobStatus.FAILED.value and "no-such-corpus" in failed.error
    c = plat.client("alpha-analyst")
    assert c.post(f"/api/v1/jobs/{missing_id}/retry").json()["status"] == "queued"
    other = plat.client("beta-analyst")
    assert other.get(f"/api/v1/jobs/{job_id}").status_code == 404  # another organisation's job


def test_a_job_left_running_by_a_crash_is_started_again(plat: Platform) -> None:
    from patnav.app.jobs import Dispatcher, wait_for

    with session_scope(plat.settings.database_url) as db:
        user = accounts.find_user(db, "alpha-analyst")
        job = Job(org_id=user.org_id, user_id=user.id, kind="index", status=JobStatus.RUNNING.value,
                  params={"corpus": str(plat.settings.public_corpus)}, pid=2**22 + 12345, attempts=1)  # fmt: skip
        db.add(job)
        db.flush()
        job_id = job.id
    dispatcher = Dispatcher(plat.settings, poll_s=0.2)
    dispatcher.start()
    try:
        final = wait_for(plat.settings.database_url, job_id, timeout=300)
    finally:
        dispatcher.stop()
    assert final.status == JobStatus.DONE.value and final.attempts == 2


def test_a_running_job_can_be_cancelled(plat: Platform) -> None:
    import shutil

    from patnav.app.jobs import Dispatcher, wait_for

    copy = plat.settings.data_dir / "copy"  # embedding writes vectors: not into the shared test corpus
    shutil.copytree(plat.settings.public_corpus, copy, ignore=shutil.ignore_patterns("search", "indicators"))
    with session_scope(plat.settings.database_url) as db:
        user = accounts.find_user(db, "alpha-analyst")
        # embedding the whole corpus with e5 takes minutes on two cores: long enough to cancel mid-way
        params = {"corpus": str(copy), "text": False, "vectors": True, "model": "e5"}
        job = Job(org_id=user.org_id, user_id=user.id, kind="index", params=params)
        db.add(job)
        db.flush()
        job_id = job.id
    dispatcher = Dispatcher(plat.settings, poll_s=0.2)
    dispatcher.start()
    c = plat.client("alpha-analyst")
    try:
        deadline = time.monotonic() + 120
        while c.get(f"/api/v1/jobs/{job_id}").json()["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.post(f"/api/v1/jobs/{job_id}/cancel").json()["cancel_requested"] is True
        final = wait_for(plat.settings.database_url, job_id, timeout=120)
    finally:
        dispatcher.stop()
    assert final.status == JobStatus.CANCELLED.value

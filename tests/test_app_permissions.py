"""Every endpoint × every role × own/other organisation: allowed or refused, as the role table and ownership say.

The platform has organisations alpha, beta and gamma. alpha owns a project that has run (so its report and
downloads exist), its run job, an upload and each user's own API token. Each alpha user calls every route on
alpha's things ("own") and each beta user on the same things ("other"). Expected:

- a role without the route's action gets 403 (or 404 where the thing is not theirs to know of);
- another organisation's thing that is not shared answers 404 — never 200 and never a 403 that confirms it
  exists;
- an allowed call on one's own things is not refused (no 401/403/404) and does not fail (no 5xx); a 409 or a
  422 on a request the state makes pointless (retrying a finished job) is an answer, not a refusal.

A new route fails ``test_every_route_is_in_the_matrix`` until it is given its row here.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import pytest

from conftest import ROLES, Platform, make_settings
from patnav.app.permissions import Action, allowed

ANON, SIGNED = "anon", "signed"
OWN_FIELD = {"project_id", "job_id", "upload_id", "token_id"}


# (method, path) -> (action or ANON/SIGNED, how to call it)
MATRIX: dict[tuple[str, str], tuple[Any, str]] = {
    ("GET", "/login"): (ANON, "get"),
    ("POST", "/login"): (ANON, "skip"),  # the accounts tests sign in, fail and get throttled
    ("POST", "/logout"): (SIGNED, "skip"),  # ends the client's session: covered by the accounts tests
    ("GET", "/lang/{code}"): (ANON, "get"),
    ("GET", "/"): (SIGNED, "get"),
    ("GET", "/api/v1/me"): (SIGNED, "get"),
    ("GET", "/api/v1/tokens"): (Action.API_TOKENS, "get"),
    ("POST", "/api/v1/tokens"): (Action.API_TOKENS, "json"),
    ("DELETE", "/api/v1/tokens/{token_id}"): (Action.API_TOKENS, "fresh-token"),
    ("GET", "/account"): (Action.API_TOKENS, "get"),
    ("POST", "/account/tokens"): (Action.API_TOKENS, "form"),
    ("POST", "/account/tokens/{token_id}/revoke"): (Action.API_TOKENS, "fresh-token"),
    ("GET", "/api/v1/admin/organisations"): (Action.MANAGE_ORGS, "get"),
    ("POST", "/api/v1/admin/organisations"): (Action.MANAGE_ORGS, "json"),
    ("GET", "/api/v1/admin/users"): (Action.MANAGE_USERS, "get"),
    ("POST", "/api/v1/admin/users"): (Action.MANAGE_USERS, "json"),
    ("PATCH", "/api/v1/admin/users/{username}"): (Action.MANAGE_USERS, "json"),
    ("GET", "/api/v1/admin/audit"): (Action.READ_AUDIT, "get"),
    ("GET", "/admin"): (Action.MANAGE_USERS, "get"),
    ("POST", "/admin/organisations"): (Action.MANAGE_ORGS, "form"),
    ("POST", "/admin/users"): (Action.MANAGE_USERS, "form"),
    ("POST", "/admin/users/{username}/role"): (Action.MANAGE_USERS, "form"),
    ("GET", "/api/v1/jobs"): (SIGNED, "get"),
    ("GET", "/api/v1/jobs/{job_id}"): (SIGNED, "get"),
    ("POST", "/api/v1/jobs/{job_id}/cancel"): (Action.MANAGE_JOBS, "json"),
    ("POST", "/api/v1/jobs/{job_id}/retry"): (Action.MANAGE_JOBS, "json"),
    ("GET", "/jobs"): (SIGNED, "get"),
    ("GET", "/jobs/{job_id}/progress"): (SIGNED, "get"),
    ("POST", "/jobs/{job_id}/cancel"): (Action.MANAGE_JOBS, "form"),
    ("POST", "/jobs/{job_id}/retry"): (Action.MANAGE_JOBS, "form"),
    ("GET", "/api/v1/search"): (Action.SEARCH, "get"),
    ("GET", "/search"): (Action.SEARCH, "get"),
    ("GET", "/api/v1/patents/{number}"): (Action.SEARCH, "get"),
    ("GET", "/patents/{number}"): (Action.SEARCH, "get"),
    ("GET", "/api/v1/patents/{number}/citation-map"): (Action.SEARCH, "get"),
    ("GET", "/patents/{number}/citation-map"): (Action.SEARCH, "get"),
    ("GET", "/api/v1/projects"): (Action.READ_PROJECTS, "get"),
    ("POST", "/api/v1/projects"): (Action.WRITE_PROJECTS, "json"),
    ("GET", "/api/v1/projects/{project_id}"): (Action.READ_PROJECTS, "get"),
    ("DELETE", "/api/v1/projects/{project_id}"): (Action.WRITE_PROJECTS, "fresh-project"),
    ("PUT", "/api/v1/projects/{project_id}"): (Action.WRITE_PROJECTS, "edit-project"),
    ("POST", "/api/v1/projects/{project_id}/run"): (Action.WRITE_PROJECTS, "json"),
    ("POST", "/api/v1/projects/{project_id}/refresh"): (Action.WRITE_PROJECTS, "json"),
    ("GET", "/api/v1/projects/{project_id}/report"): (Action.READ_PROJECTS, "get"),
    ("GET", "/api/v1/projects/{project_id}/download/{fmt}"): (Action.READ_PROJECTS, "get"),
    ("GET", "/api/v1/projects/{project_id}/shares"): (Action.READ_PROJECTS, "get"),
    ("POST", "/api/v1/projects/{project_id}/shares"): (Action.SHARE_PROJECTS, "json"),
    ("DELETE", "/api/v1/projects/{project_id}/shares/{slug}"): (Action.SHARE_PROJECTS, "json"),
    ("GET", "/projects"): (Action.READ_PROJECTS, "get"),
    ("GET", "/projects/new"): (Action.WRITE_PROJECTS, "get"),
    ("POST", "/projects"): (Action.WRITE_PROJECTS, "form"),
    ("GET", "/projects/{project_id}"): (Action.READ_PROJECTS, "get"),
    ("GET", "/projects/{project_id}/status"): (Action.READ_PROJECTS, "get"),
    ("POST", "/projects/{project_id}/run"): (Action.WRITE_PROJECTS, "form"),
    ("POST", "/projects/{project_id}/refresh"): (Action.WRITE_PROJECTS, "form"),
    ("POST", "/projects/{project_id}/delete"): (Action.WRITE_PROJECTS, "fresh-project"),
    ("POST", "/projects/{project_id}/edit"): (Action.WRITE_PROJECTS, "edit-project"),
    ("POST", "/projects/{project_id}/shares"): (Action.SHARE_PROJECTS, "form"),
    ("POST", "/projects/{project_id}/shares/{slug}/delete"): (Action.SHARE_PROJECTS, "form"),
    ("GET", "/projects/{project_id}/report"): (Action.READ_PROJECTS, "get"),
    ("GET", "/projects/{project_id}/download/{fmt}"): (Action.READ_PROJECTS, "get"),
    ("POST", "/api/v1/dashboards/indicators"): (Action.UPLOAD_PUBLIC, "json"),  # scope=public
    ("POST", "/dashboards/indicators"): (Action.UPLOAD_PUBLIC, "form"),
    ("GET", "/api/v1/dashboards/portfolio"): (Action.DASHBOARDS, "get"),
    ("GET", "/api/v1/dashboards/kpi"): (Action.DASHBOARDS, "get"),
    ("POST", "/api/v1/dashboards/kpi"): (Action.DASHBOARDS, "file"),
    ("GET", "/dashboards"): (Action.DASHBOARDS, "get"),
    ("POST", "/dashboards/kpi"): (Action.DASHBOARDS, "file"),
    ("GET", "/static-vega/vega-bundle.js"): (ANON, "get"),
    ("POST", "/api/v1/uploads"): (Action.UPLOAD, "file"),
    ("GET", "/api/v1/uploads"): (SIGNED, "get"),
    ("GET", "/api/v1/uploads/{upload_id}"): (SIGNED, "get"),
    ("DELETE", "/api/v1/uploads/{upload_id}"): (Action.UPLOAD, "fresh-upload"),
    ("GET", "/api/v1/quarantine"): (SIGNED, "get"),
    ("GET", "/data"): (SIGNED, "get"),
    ("POST", "/data/upload"): (Action.UPLOAD, "file"),
    ("POST", "/data/uploads/{upload_id}/delete"): (Action.UPLOAD, "fresh-upload"),
}

#: a real query that selects a small set (11 publications): a run takes seconds, not a minute
SMALL_SET = 'ti:"spiking neural network" AND pd:[2015 TO 2030]'
FINANCIALS = "enterprise,year,operating_revenue\nInternational Business Machines Corporation,2024,100000000\n"


def _routes() -> list[tuple[str, str]]:
    from patnav.app.views import ROUTERS

    return sorted((m, r.path) for router in ROUTERS for r in router.routes for m in r.methods if m != "HEAD")


def test_every_route_is_in_the_matrix() -> None:
    missing = [r for r in _routes() if r not in MATRIX]
    stale = [r for r in MATRIX if r not in set(_routes())]
    assert missing == [] and stale == [], {"add to MATRIX": missing, "gone": stale}


class World:
    """The things every call is made on, and a fresh one where a call would consume it."""

    def __init__(self, plat: Platform, sample: Path) -> None:
        from patnav.app.jobs import Dispatcher, wait_for

        self.plat = plat
        self.sample = sample
        self.clients = {f"{org}-{role}": plat.client(f"{org}-{role}") for org in ("alpha", "beta") for role in ROLES}
        owner = self.clients["alpha-analyst"]
        made = owner.post("/api/v1/projects", json={"name": "matrix", "type": "industry", "lang": "en",
                                                    "title": "Matrix", "query": SMALL_SET})  # fmt: skip
        assert made.status_code == 201, made.text
        self.project = made.json()["id"]
        job = owner.post(f"/api/v1/projects/{self.project}/run")
        assert job.status_code == 202, job.text
        self.job = job.json()["job"]["id"] if "job" in job.json() else job.json()["id"]
        dispatcher = Dispatcher(plat.settings, poll_s=0.2)
        dispatcher.start()
        try:
            assert wait_for(plat.settings.database_url, self.job, timeout=600).status == "done"
        finally:
            dispatcher.stop()
        up = owner.post("/api/v1/uploads", files={"file": ("sample.csv", sample.read_bytes(), "text/csv")})
        assert up.status_code == 202, up.text
        self.upload = up.json()["upload"]["id"] if "upload" in up.json() else up.json()["id"]
        self.number = "US7197497B2"
        self.counter = itertools.count()

    def token_of(self, username: str) -> int:
        c = self.clients[username]
        return c.post("/api/v1/tokens", json={"name": f"t{next(self.counter)}"}).json()["id"]

    def fresh_upload(self) -> int:
        """A new upload of alpha's (its load stays queued: this platform runs no jobs), for a call that deletes it."""
        n = next(self.counter)
        r = self.clients["alpha-analyst"].post(
            "/api/v1/uploads", files={"file": (f"fresh{n}.csv", self.sample.read_bytes(), "text/csv")}
        )
        assert r.status_code == 202, r.text
        return r.json()["upload"]["id"]

    def fresh_project(self) -> int:
        r = self.clients["alpha-analyst"].post(
            "/api/v1/projects", json={"name": f"tmp{next(self.counter)}", "query": "ti:robot", "lang": "en"}
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, web_corpus: Path, shared_data: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Any:  # fmt: skip
    import patnav.app.accounts as accounts
    from conftest import new_database
    from patnav.app.database import session_scope

    folder = tmp_path_factory.mktemp("matrix")
    with new_database(request.param, folder) as url:
        mp = pytest.MonkeyPatch()
        mp.setenv("PATNAV_SEARCH_MODEL", "minilm")
        plat = Platform(make_settings(folder / "data", url, web_corpus, login_attempts=1000), jobs=False)
        with session_scope(url) as db:
            accounts.create_org(db, "gamma", "Org Gamma")
        sample = folder / "sample.csv"
        lines = (shared_data / "google-patents-export" / "gp-search-deep-learning.csv").read_text().splitlines()
        sample.write_text("\n".join(lines[:8]) + "\n")
        yield World(plat, sample)
        plat.close()
        mp.undo()


def _call(w: World, username: str, method: str, path: str, how: str) -> Any:
    c = w.clients[username]
    n = next(w.counter)
    fields = {
        "project_id": w.project, "job_id": w.job, "upload_id": w.upload, "number": w.number, "fmt": "pdf",
        "slug": "gamma", "code": "ja", "username": "beta-viewer",
    }  # fmt: skip
    if how == "fresh-token":
        fields["token_id"] = w.token_of(username)
    if how == "fresh-project":
        fields["project_id"] = w.fresh_project()
    if how == "fresh-upload":
        fields["upload_id"] = w.fresh_upload()
    if how == "edit-project":  # the fresh project's own file with a new title: a valid edit
        fields["project_id"] = w.fresh_project()
        owner = w.clients["alpha-analyst"]
        edited = owner.get(f"/api/v1/projects/{fields['project_id']}").json()["yaml"] + f"title: edited {n}\n"
        url = path.format(**fields)
        if path.startswith("/api/"):
            return c.request(method, url, json={"yaml": edited})
        return c.request(method, url, data={"yaml": edited, "csrf_token": c.headers["X-CSRF-Token"]})
    url = path.format(**fields)
    params: dict[str, str] = {}
    if path == "/api/v1/search" or path == "/search":
        params = {"q": "ti:(neural network)"}
    if "dashboards/indicators" in path:
        params = {"scope": "public"}
    if method == "GET":
        return c.get(url, params=params)
    body: dict[str, Any] = {
        "/api/v1/tokens": {"name": f"m{n}"},
        "/api/v1/admin/organisations": {"slug": f"org{n}", "name": f"Org {n}"},
        "/api/v1/admin/users": {"username": f"user{n}", "password": "long-enough", "organisation": "gamma"},
        "/api/v1/admin/users/{username}": {"active": True},
        "/api/v1/projects": {"name": f"p{n}", "query": "ti:robot", "lang": "en"},
        "/api/v1/projects/{project_id}/shares": {"organisation": "gamma"},
    }.get(path, {})
    form: dict[str, str] = {
        "/account/tokens": {"name": f"f{n}"},
        "/admin/organisations": {"slug": f"form{n}", "name": f"Form {n}"},
        "/admin/users": {"username": f"form{n}", "password": "long-enough", "role": "viewer", "organisation": "gamma"},
        "/admin/users/{username}/role": {"role": "viewer"},
        "/projects": {"name": f"f{n}", "type": "industry", "query": "ti:robot", "lang": "en", "corpus": "public"},
        "/projects/{project_id}/shares": {"organisation": "gamma"},
        "/dashboards/indicators": {"scope": "public"},
    }.get(path, {})
    if how == "file":
        if "kpi" in path:
            files = {"file": ("financials.csv", FINANCIALS.encode(), "text/csv")}
        else:
            files = {"file": (f"sample{n}.csv", w.sample.read_bytes(), "text/csv")}
        return c.request(method, url, files=files, data={"csrf_token": c.headers["X-CSRF-Token"]}, params=params)
    if (
        how == "form"
        or (how in ("fresh-project", "fresh-upload") and not path.startswith("/api/"))
        or (how == "fresh-token" and not path.startswith("/api/"))
    ):
        return c.request(method, url, data={**form, "csrf_token": c.headers["X-CSRF-Token"]}, params=params)
    return c.request(method, url, json=body or None, params=params)


def _expect_ok(action: Any, role: str) -> bool:
    return action in (ANON, SIGNED) or allowed(role, action)


@pytest.mark.parametrize("role", ROLES)
def test_own_organisation(world: World, role: str) -> None:
    """alpha's users on alpha's things: allowed calls answer, refused calls are 403."""
    problems = []
    for (method, path), (action, how) in MATRIX.items():
        if how == "skip":
            continue
        r = _call(world, f"alpha-{role}", method, path, how)
        if _expect_ok(action, role):
            if r.status_code in (401, 403, 404) or r.status_code >= 500:
                problems.append((method, path, r.status_code, r.text[:160]))
        elif r.status_code not in (403, 404):
            problems.append((method, path, r.status_code, "expected 403"))
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
def test_other_organisation(world: World, role: str) -> None:
    """beta's users on alpha's things: every route that names one of alpha's things answers 404 (or 403 where
    the role may not do it at all); nothing answers 200."""
    problems = []
    for (method, path), (action, how) in MATRIX.items():
        if how == "skip" or not (OWN_FIELD & {f.strip("{}") for f in path.split("/") if f.startswith("{")}):
            continue
        if how == "fresh-token":  # alpha-analyst's token, revoked by a beta user
            token = world.token_of("alpha-analyst")
            url = path.replace("{token_id}", str(token))
            c = world.clients[f"beta-{role}"]
            r = c.request(method, url, data={"csrf_token": c.headers["X-CSRF-Token"]}) if not url.startswith(
                "/api/") else c.request(method, url)  # fmt: skip
        else:
            r = _call(world, f"beta-{role}", method, path, how)
        if r.status_code != 404 and not (r.status_code == 403 and not _expect_ok(action, role)):
            problems.append((method, path, r.status_code, r.text[:160]))
    assert problems == []


def test_signed_out_callers_get_401_or_the_sign_in_page(world: World) -> None:
    anon = world.plat.client()
    for (method, path), (action, how) in MATRIX.items():
        if action == ANON or how == "skip":
            continue
        url = path.format(project_id=world.project, job_id=world.job, upload_id=world.upload, token_id=1,
                          number=world.number, fmt="pdf", slug="gamma", code="ja", username="beta-viewer")  # fmt: skip
        r = anon.request(method, url, files={"file": ("x.csv", io.BytesIO(b"a"))} if how == "file" else None)
        expected = 401 if url.startswith("/api/") else 303
        assert r.status_code in (expected, 401), (method, path, r.status_code)

"""Navigation projects on the web platform, as an analyst and their partners use them: create a project from a
search, run it as a real background job, read the report, download PDF/DOCX/XLSX and the project file, refresh,
share read-only with another organisation; and what others may not do."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

from markupsafe import escape
from sqlalchemy import select

from patnav.app import jobs
from patnav.app.database import session_scope
from patnav.app.models import AuditEntry, ProjectRecord
from patnav.navigation.project import load_project

#: a narrow set (11 publications of the web corpus): a run takes ~10 s, too few for the landscape map (≥ 20)
QUERY = 'ti:"spiking neural network" AND pd:[2015 TO 2030]'
TITLE = "Neural network patents 神经网络"


def _create(client: Any, name: str = "nn", **extra: str) -> int:
    form = {"name": name, "title": TITLE, "type": "industry", "query": QUERY, "lang": "en", "corpus": "public"}
    form.update(extra)
    r = client.post("/projects", data=form)
    assert r.status_code == 303, r.text[:500]
    return int(r.headers["location"].rsplit("/", 1)[1])


def _run(platform: Any, client: Any, project_id: int, what: str = "run") -> dict[str, Any]:
    r = client.post(f"/api/v1/projects/{project_id}/{what}")
    assert r.status_code == 202, r.text
    job = jobs.wait_for(platform.settings.database_url, r.json()["job"]["id"], timeout=300)
    assert job.status == "done", (job.status, job.error)
    return job.result


def test_analyst_creates_runs_refreshes_and_shares_a_project(platform: Any, tmp_path: Path) -> None:
    alpha = platform.client("alpha-analyst")
    beta = platform.client("beta-analyst")

    # the search page links here: the form comes prefilled with the query and the corpus
    form = alpha.get("/projects/new", params={"q": QUERY, "scope": "public"})
    assert form.status_code == 200
    assert 'value="spiking-neural-network"' in form.text and f"{escape(QUERY)}</textarea>" in form.text

    pid = _create(alpha)
    page = alpha.get(f"/projects/{pid}")
    assert page.status_code == 200 and TITLE in page.text and "No report yet" in page.text
    assert alpha.get(f"/projects/{pid}/report").status_code == 404  # nothing to read before a run

    started = time.monotonic()
    result = _run(platform, alpha, pid)
    run_seconds = time.monotonic() - started
    print(f"\nproject run: {run_seconds:.1f} s wall, {result['seconds']:.1f} s in the runner, "
          f"{result['publications']} publications")  # fmt: skip
    assert result["publications"] > 0 and set(result["outputs"]) == {"html", "pdf", "docx", "xlsx"}

    # the row knows when it last ran; the page shows the run, its provenance and the report frame
    with session_scope(platform.settings.database_url) as db:
        assert db.get(ProjectRecord, pid).last_run_at is not None
    page = alpha.get(f"/projects/{pid}")
    assert f'<iframe class="report" src="/projects/{pid}/report"' in page.text
    assert str(result["publications"]) in page.text and 'id="refresh-button"' in page.text

    report = alpha.get(f"/projects/{pid}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert TITLE in report.text and "sandbox" in report.headers["content-security-policy"]

    pdf = alpha.get(f"/projects/{pid}/download/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert 'filename="nn.pdf"' in pdf.headers["content-disposition"]
    for fmt, member in (("docx", "word/document.xml"), ("xlsx", "xl/workbook.xml")):
        r = alpha.get(f"/api/v1/projects/{pid}/download/{fmt}")
        assert r.status_code == 200 and "openxmlformats" in r.headers["content-type"]
        assert f'filename="nn.{fmt}"' in r.headers["content-disposition"]
        assert member in zipfile.ZipFile(io.BytesIO(r.content)).namelist()

    # the project file re-runs with the CLI: it loads as a project with the same plan
    yaml_file = tmp_path / "nn.yaml"
    yaml_file.write_bytes(alpha.get(f"/projects/{pid}/download/yaml").content)
    loaded = load_project(yaml_file)
    assert (loaded.name, loaded.type, loaded.query, loaded.title, loaded.lang) == ("nn", "industry", QUERY, TITLE, "en")

    # beta cannot see it at all: 404 on every route, not in its list
    for url in (f"/projects/{pid}", f"/api/v1/projects/{pid}", f"/projects/{pid}/report",
                f"/projects/{pid}/download/pdf", f"/api/v1/projects/{pid}/download/yaml"):  # fmt: skip
        assert beta.get(url).status_code == 404, url
    assert beta.post(f"/api/v1/projects/{pid}/run").status_code == 404
    assert beta.delete(f"/api/v1/projects/{pid}").status_code == 404
    assert pid not in [p["id"] for p in beta.get("/api/v1/projects").json()["items"]]

    # shared read-only: beta reads and downloads, but may not run, delete or re-share
    r = alpha.post(f"/api/v1/projects/{pid}/shares", json={"organisation": "beta"})
    assert r.status_code == 201, r.text
    listed = {p["id"]: p for p in beta.get("/api/v1/projects").json()["items"]}
    assert listed[pid]["read_only"] and listed[pid]["organisation"]["slug"] == "alpha"
    listing = beta.get("/projects")
    assert TITLE in listing.text and "Org Alpha" in listing.text and "read-only" in listing.text
    page = beta.get(f"/projects/{pid}")
    assert page.status_code == 200 and 'id="read-only"' in page.text and 'id="run-button"' not in page.text
    assert TITLE in beta.get(f"/projects/{pid}/report").text
    assert beta.get(f"/projects/{pid}/download/pdf").content.startswith(b"%PDF")
    assert beta.post(f"/api/v1/projects/{pid}/run").status_code == 403
    assert beta.post(f"/projects/{pid}/refresh").status_code == 403
    assert beta.delete(f"/api/v1/projects/{pid}").status_code == 403
    assert beta.post(f"/api/v1/projects/{pid}/shares", json={"organisation": "beta"}).status_code == 403

    # refresh: a second run whose report opens with what changed
    result = _run(platform, alpha, pid, "refresh")
    assert result["compare"] is True
    assert "What changed since the last run" in alpha.get(f"/projects/{pid}/report").text
    assert len(alpha.get(f"/api/v1/projects/{pid}").json()["runs"]) == 2

    # unshared: beta is back to 404
    assert alpha.delete(f"/api/v1/projects/{pid}/shares/beta").status_code == 200
    assert beta.get(f"/projects/{pid}").status_code == 404

    # deleted: the row, the file and the runs go
    folder = platform.settings.org_projects("alpha")
    assert (folder / "nn.yaml").is_file() and (folder / "nn" / "latest" / "report.pdf").is_file()
    r = alpha.post(f"/projects/{pid}/delete")
    assert r.status_code == 303 and r.headers["location"] == "/projects"
    assert alpha.get(f"/projects/{pid}").status_code == 404
    assert not (folder / "nn.yaml").exists() and not (folder / "nn").exists()

    with session_scope(platform.settings.database_url) as db:
        actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.target == f"project:{pid}")))
    assert {"project.create", "project.run", "project.refresh", "project.share", "project.unshare",
            "project.delete"} <= actions  # fmt: skip


def test_viewer_reads_but_cannot_create(platform: Any) -> None:
    viewer = platform.client("alpha-viewer")
    assert viewer.get("/projects").status_code == 200
    assert 'id="new-project"' not in viewer.get("/projects").text
    assert viewer.get("/projects/new").status_code == 403
    body = {"name": "x", "type": "industry", "query": QUERY}
    assert viewer.post("/api/v1/projects", json=body).status_code == 403
    assert viewer.post("/projects", data=body).status_code == 403
    analyst = platform.client("alpha-analyst")
    pid = analyst.post("/api/v1/projects", json=body).json()["id"]
    assert viewer.get(f"/api/v1/projects/{pid}").status_code == 200  # reads its organisation's project
    assert viewer.post(f"/api/v1/projects/{pid}/run").status_code == 403
    assert viewer.delete(f"/api/v1/projects/{pid}").status_code == 403


def test_bad_projects_are_refused_in_the_users_language(platform: Any) -> None:
    analyst = platform.client("alpha-analyst")
    ok = {"name": "ok", "type": "industry", "query": QUERY, "lang": "ja"}
    r = analyst.post("/api/v1/projects", json=ok)
    assert r.status_code == 201 and r.json()["read_only"] is False
    assert analyst.post("/api/v1/projects", json=ok).json()["error"]["code"] == "exists"
    for bad, code in (
        ({"query": "tac:(neural"}, "bad_query"),
        ({"name": "no spaces"}, "bad_name"),
        ({"type": "planet"}, "bad_type"),
        ({"query": ""}, "no_query"),
        ({"type": "rnd"}, "no_proposal"),
        ({"corpus": "elsewhere"}, "bad_scope"),
        ({"title": "x" * 301}, "invalid"),
    ):
        r = analyst.post("/api/v1/projects", json={**ok, "name": "b", **bad})
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (bad, r.text)
    # the form answers in the reader's language and keeps what was typed
    analyst.cookies.set("patnav_lang", "zh_CN")
    r = analyst.post("/projects", data={"name": "b", "type": "industry", "query": "tac:(neural", "lang": "en"})
    assert r.status_code == 422 and "查询" in r.text and "tac:(neural</textarea>" in r.text
    with session_scope(platform.settings.database_url) as db:
        assert db.scalars(select(ProjectRecord.name)).all() == ["ok"]  # nothing half-written
    assert not (platform.settings.org_projects("alpha") / "b.yaml").exists()
    # a run over the organisation's corpus before any upload says what to do
    org = analyst.post("/api/v1/projects", json={**ok, "name": "mine", "corpus": "org"}).json()
    r = analyst.post(f"/api/v1/projects/{org['id']}/run")
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_corpus"


def test_a_run_over_an_empty_set_fails_with_the_reason(platform: Any) -> None:
    analyst = platform.client("alpha-analyst")
    body = {"name": "nothing", "type": "industry", "query": "ti:zzqxnotaword", "lang": "en"}
    pid = analyst.post("/api/v1/projects", json=body).json()["id"]
    job_id = analyst.post(f"/api/v1/projects/{pid}/run").json()["job"]["id"]
    job = jobs.wait_for(platform.settings.database_url, job_id, timeout=120)
    assert job.status == "failed" and "the patent set is empty" in job.error
    page = analyst.get(f"/projects/{pid}")
    assert "the patent set is empty" in page.text and 'id="run-button"' in page.text  # it can be run again
    assert analyst.get(f"/projects/{pid}/download/pdf").status_code == 404


def test_the_project_file_is_edited_in_the_browser_and_checked(platform: Any) -> None:
    """Seeds, expansion and competitors are fields of the YAML file: the page edits the file itself, a valid
    edit reaches the file, the row and the audit log; a broken one is refused with the reason, the text kept as
    typed and the file unchanged."""
    alpha = platform.client("alpha-analyst")
    pid = _create(alpha, name="editable")
    original = alpha.get(f"/api/v1/projects/{pid}").json()["yaml"]
    path = platform.settings.org_projects("alpha") / "editable.yaml"
    assert 'id="edit-button"' in alpha.get(f"/projects/{pid}").text

    edited = original.replace("type: industry", "type: enterprise") + (
        "seeds:\n- US7197497B2\nexpand:\n- citations\n- family\ncompetitors:\n- Google LLC\n- 清华大学\n"
    )
    r = alpha.post(f"/projects/{pid}/edit", data={"yaml": edited, "csrf_token": alpha.headers["X-CSRF-Token"]})
    assert r.status_code == 303
    saved = load_project(path)
    assert (saved.type, saved.seeds, saved.expand) == ("enterprise", ["US7197497B2"], ["citations", "family"])
    assert saved.competitors == ["Google LLC", "清华大学"]
    detail = alpha.get(f"/api/v1/projects/{pid}").json()
    assert detail["type"] == "enterprise" and detail["plan"]["competitors"] == ["Google LLC", "清华大学"]
    with session_scope(platform.settings.database_url) as db:
        assert db.scalar(select(ProjectRecord.type).where(ProjectRecord.id == pid)) == "enterprise"
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target == f"project:{pid}")).all()
    assert "project.edit" in actions

    before = path.read_text(encoding="utf-8")
    bad = alpha.post(
        f"/projects/{pid}/edit",
        data={"yaml": edited + "expand:\n- everything\n", "csrf_token": alpha.headers["X-CSRF-Token"]},
        cookies={"patnav_lang": "zh_CN"},
    )
    assert bad.status_code == 422 and "项目无效" in bad.text and "everything" in bad.text
    assert "- everything" in bad.text  # the text as typed, to correct
    assert path.read_text(encoding="utf-8") == before

    renamed = alpha.put(f"/api/v1/projects/{pid}", json={"yaml": edited.replace("name: editable", "name: other")})
    assert renamed.status_code == 422 and renamed.json()["error"]["code"] == "rename"
    sneaky = alpha.put(f"/api/v1/projects/{pid}", json={"yaml": edited + "sample_file: /etc/passwd\n"})
    assert sneaky.status_code == 422 and sneaky.json()["error"]["code"] == "sample_file"
    sneaky = alpha.put(f"/api/v1/projects/{pid}", json={"yaml": edited + "industry_file: /etc/passwd\n"})
    assert sneaky.status_code == 422 and sneaky.json()["error"]["code"] == "industry_file"
    broken = alpha.put(f"/api/v1/projects/{pid}", json={"yaml": "name: editable\ntype: [unclosed"})
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "bad_project"
    query = alpha.put(f"/api/v1/projects/{pid}", json={"yaml": edited.replace(QUERY, "ti:(neural")})
    assert query.status_code == 422 and query.json()["error"]["code"] == "bad_query"
    assert path.read_text(encoding="utf-8") == before

    viewer = platform.client("alpha-viewer")
    assert viewer.put(f"/api/v1/projects/{pid}", json={"yaml": edited}).status_code == 403
    assert 'id="edit-button"' not in viewer.get(f"/projects/{pid}").text

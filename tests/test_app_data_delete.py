"""Deleting an upload, and the quarantine read in the user's language, on the platform with real jobs.

The files are rows of the real Google Patents export in ../shared/data; where a record is broken on purpose it is
a hand-edited copy of a real row (its publication number replaced by ``US-NOTANUMBER-ZZ``), said so where made.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from conftest import Platform, make_settings
from patnav.app import jobs
from patnav.app.database import session_scope
from patnav.app.models import AuditEntry, Job, JobStatus
from patnav.corpus.store import Corpus
from patnav.model.numbers import normalize_publication_number

EXPORT = "google-patents-export/gp-search-deep-learning.csv"
BAD = "US-NOTANUMBER-ZZ"


def _export(shared_data: Path) -> tuple[list[str], list[str]]:
    lines = (shared_data / EXPORT).read_text(encoding="utf-8").splitlines()
    return lines[:2], lines[2:]


def _csv(head: list[str], rows: list[str]) -> bytes:
    return ("\n".join([*head, *rows]) + "\n").encode()


def _broken(row: str) -> str:
    """A hand-edited copy of a real row: its publication number replaced by one that cannot be read."""
    return row.replace(row.split(",", 1)[0], BAD, 1)


def _number(row: str) -> str:
    return normalize_publication_number(row.split(",", 1)[0])


def _upload(c: Any, name: str, data: bytes) -> Any:
    return c.post("/api/v1/uploads", files={"file": (name, data, "text/csv")}, data={"target": "org"})


def _run(platform: Platform, job_id: int) -> Job:
    job = jobs.wait_for(platform.settings.database_url, job_id, timeout=240)
    assert job.status == "done", (job.status, job.error, jobs.log_path(platform.settings, job_id).read_text()[-3000:])
    return job


def _settle(platform: Platform) -> None:
    """Wait for every job (the embedding jobs a load or a deletion queues included)."""
    with session_scope(platform.settings.database_url) as db:
        ids = [j.id for j in db.scalars(select(Job).where(Job.status.in_(jobs.ACTIVE)))]
    for job_id in ids:
        _run(platform, job_id)


def _numbers(corpus: Path) -> set[str]:
    with Corpus(corpus, create=False, read_only=True) as c:
        return {r[0] for r in c.con.execute("SELECT publication_number FROM publications").fetchall()}


def test_the_quarantine_reads_in_the_users_language(platform: Platform, shared_data: Path) -> None:
    head, rows = _export(shared_data)
    alpha = platform.client("alpha-analyst")
    up = _upload(alpha, "export with one bad row.csv", _csv(head, [*rows[:5], _broken(rows[5]), *rows[6:10]]))
    assert up.status_code == 202, up.text
    _run(platform, up.json()["job"]["id"])
    _settle(platform)

    english = alpha.get("/api/v1/quarantine", params={"scope": "org"}).json()["items"]
    assert len(english) == 1
    row = english[0]
    assert row["reason"] == (f"row 6 (line 8) column 'id': '{BAD}' is not a patent number: it has no digits")
    assert row["reason_text"] == row["reason"]

    zh = alpha.get("/api/v1/quarantine", params={"scope": "org"}, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    zh_row = zh.json()["items"][0]
    assert zh_row["reason"] == row["reason"]  # the stored English text is kept for scripts
    assert zh_row["reason_text"] == (f"第 6 条记录（第 8 行），'id' 列：'{BAD}' 不是专利号：其中没有数字")

    alpha.cookies.set("patnav_lang", "ja")  # the remembered choice wins over the browser's language
    one = alpha.get(f"/api/v1/uploads/{up.json()['upload']['id']}", headers={"Accept-Language": "zh-CN"}).json()
    ja_row = one["quarantine"]["items"][0]
    assert ja_row["reason_text"] == (
        f"6 件目（8 行目）、'id' 列：'{BAD}' は特許番号ではありません：数字が含まれていません"
    )
    page = alpha.get("/data")
    assert "は特許番号ではありません" in page.text and BAD in page.text

    # the command line speaks the language of its environment
    env = {**os.environ, "PATNAV_LANG": "zh_CN", "COLUMNS": "400"}
    corpus = platform.settings.org_corpus("alpha")
    cli = [sys.executable, "-m", "patnav.cli", "corpus", "quarantine", "--corpus", str(corpus)]
    out = subprocess.run(cli, capture_output=True, text=True, env=env, check=True)
    assert "不是专利号" in out.stdout and BAD in out.stdout


def test_an_upload_is_deleted_with_what_only_it_supplied(platform: Platform, shared_data: Path) -> None:
    head, rows = _export(shared_data)
    first = [*rows[:25], _broken(rows[25])]  # 25 real rows and a hand-broken copy of the 26th
    second = rows[20:30]  # overlaps the first file in rows 20-24, read identically
    alpha = platform.client("alpha-analyst")
    a = _upload(alpha, "first.csv", _csv(head, first))
    assert a.status_code == 202, a.text
    _run(platform, a.json()["job"]["id"])
    b = _upload(alpha, "second.csv", _csv(head, second))
    _run(platform, b.json()["job"]["id"])
    _settle(platform)
    upload_a, upload_b = a.json()["upload"]["id"], b.json()["upload"]["id"]
    corpus = platform.settings.org_corpus("alpha")
    assert _numbers(corpus) == {_number(r) for r in rows[:30]}
    only_a = _number(rows[3])
    hit = alpha.get("/api/v1/search", params={"scope": "org", "q": f"pn:{only_a}"})
    assert [h["publication_number"] for h in hit.json()["items"]] == [only_a]
    assert alpha.get("/api/v1/quarantine", params={"scope": "org"}).json()["total"] == 1

    # who may not: another organisation does not learn it exists, a viewer may not delete
    refused = platform.client("beta-analyst").delete(f"/api/v1/uploads/{upload_a}")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    viewer = platform.client("alpha-viewer").delete(f"/api/v1/uploads/{upload_a}")
    assert viewer.status_code == 403 and viewer.json()["error"]["code"] == "forbidden"
    assert 'action="/data/uploads/' not in platform.client("alpha-viewer").get("/data").text

    # the page offers it, with the rule in the confirmation, in the reader's language
    zh = platform.client("alpha-analyst")
    zh.cookies.set("patnav_lang", "zh_CN")
    page = zh.get("/data").text
    assert f'action="/data/uploads/{upload_a}/delete"' in page
    assert "删除 first.csv？" in page and "另一个文件也提供了的记录会保留" in page

    stored = Path(alpha.get(f"/api/v1/uploads/{upload_a}").json()["sha256"][:32])
    asked = alpha.delete(f"/api/v1/uploads/{upload_a}")
    assert asked.status_code == 202, asked.text
    assert asked.json()["job"]["kind"] == "delete_upload"
    again = alpha.delete(f"/api/v1/uploads/{upload_a}")  # asked twice before it ran
    assert again.status_code in (409, 404)  # running (or queued) still, or already done
    done = _run(platform, asked.json()["job"]["id"])
    removal = done.result["removal"]
    assert (removal["removed"], removal["rebuilt"], removal["kept"], removal["quarantine"]) == (20, 5, 0, 1)
    _settle(platform)

    # what only first.csv supplied is gone, from the corpus and the search; second.csv's rows all stay
    assert _numbers(corpus) == {_number(r) for r in second}
    gone = alpha.get("/api/v1/search", params={"scope": "org", "q": f"pn:{only_a}"})
    assert gone.status_code == 200 and gone.json()["items"] == []
    shared = _number(rows[22])
    assert [h["publication_number"] for h in alpha.get(
        "/api/v1/search", params={"scope": "org", "q": f"pn:{shared}"}).json()["items"]] == [shared]  # fmt: skip
    assert alpha.get("/api/v1/quarantine", params={"scope": "org"}).json()["total"] == 0
    assert alpha.get(f"/api/v1/uploads/{upload_a}").status_code == 404
    assert [u["id"] for u in alpha.get("/api/v1/uploads").json()["items"]] == [upload_b]
    uploads_dir = platform.settings.uploads("alpha")
    assert not (uploads_dir / stored).exists() and len(list(uploads_dir.glob("*/second.csv"))) == 1
    assert alpha.delete(f"/api/v1/uploads/{upload_a}").status_code == 404
    with session_scope(platform.settings.database_url) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "upload.delete")).one()
        assert entry.target == f"upload:{upload_a}" and entry.detail["filename"] == "first.csv"

    # the page's button: back to the data page, and second.csv goes too
    form = alpha.post(f"/data/uploads/{upload_b}/delete", data={"csrf_token": alpha.headers["X-CSRF-Token"]})
    assert form.status_code == 303 and form.headers["location"] == "/data"
    _settle(platform)
    assert _numbers(corpus) == set()
    assert "second.csv" not in alpha.get("/data").text


def test_a_running_load_is_refused_and_a_queued_one_cancelled(
    tmp_path: Path, web_corpus: Path, shared_data: Path
) -> None:
    """Without a dispatcher the load stays queued; marking it running is what the dispatcher's claim does."""
    head, rows = _export(shared_data)
    p = Platform(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'app.db'}", web_corpus), jobs=False)
    try:
        c = p.client("alpha-analyst")
        up = _upload(c, "queued.csv", _csv(head, rows[:5]))
        upload_id, load_id = up.json()["upload"]["id"], up.json()["job"]["id"]
        with session_scope(p.settings.database_url) as db:
            db.execute(update(Job).where(Job.id == load_id).values(status=JobStatus.RUNNING.value))
        c.cookies.set("patnav_lang", "zh_CN")
        busy = c.delete(f"/api/v1/uploads/{upload_id}")
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "upload_loading"
        assert busy.json()["error"]["message"] == "queued.csv 仍在加载中：请先取消加载或等待加载完成，再删除它。"
        with session_scope(p.settings.database_url) as db:
            db.execute(update(Job).where(Job.id == load_id).values(status=JobStatus.QUEUED.value))
        ok = c.delete(f"/api/v1/uploads/{upload_id}")
        assert ok.status_code == 202, ok.text
        assert c.get(f"/api/v1/jobs/{load_id}").json()["status"] == "cancelled"
        twice = c.delete(f"/api/v1/uploads/{upload_id}")
        assert twice.status_code == 409 and twice.json()["error"]["code"] == "upload_deleting"
        listed = c.get("/api/v1/uploads").json()["items"][0]
        assert listed["deletion"]["status"] == "queued" and listed["deletion"]["kind"] == "delete_upload"
    finally:
        p.close()


@pytest.mark.parametrize("lang", ["zh_CN", "ja"])
def test_a_corpus_written_before_reason_templates_shows_its_english_reason(
    tmp_path: Path, shared_data: Path, lang: str
) -> None:
    """An old corpus (quarantine without the template columns) opens read-only and shows the stored English
    reason; opened for writing it gains the columns, and what is loaded then is stored with its template."""
    from patnav.app.views.data import read_quarantine
    from patnav.corpus.loader import load_paths

    head, rows = _export(shared_data)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(head, [_broken(rows[0])]))
    with Corpus(tmp_path / "c") as corpus:
        load_paths(corpus, [bad], export=False)
        corpus.con.execute("ALTER TABLE quarantine DROP COLUMN reason_id")
        corpus.con.execute("ALTER TABLE quarantine DROP COLUMN reason_params")
    items, total = read_quarantine(tmp_path / "c", lang=lang)
    assert total == 1 and items[0]["reason_text"] == items[0]["reason"] and BAD in items[0]["reason"]
    with Corpus(tmp_path / "c") as corpus:
        load_paths(corpus, [bad], export=False)  # the same file again: its rejection is recorded afresh
    items, _ = read_quarantine(tmp_path / "c", lang=lang)
    assert items[0]["reason_text"] != items[0]["reason"] and BAD in items[0]["reason_text"]

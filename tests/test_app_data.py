"""Data uploads on the platform: real files from ../shared/data loaded into an organisation's private corpus by
a real ingest job (a subprocess), isolation between organisations, role checks, and the bad input an upload
form attracts (oversize files, zip and gzip bombs, XML entity bombs, wrong file types, hostile names)."""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import Platform, make_settings
from patnav.app import jobs
from patnav.app.database import session_scope
from patnav.app.models import AuditEntry, Job, Upload
from patnav.corpus.store import Corpus

GOOGLE_CSV = "google-patents-export/gp-search-deep-learning.csv"
#: Rows of the real export used (the two preamble lines plus this many records): enough to be real, quick to load.
ROWS = 25

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE ep-patent-document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ep-patent-document id="EP1000000B1" lang="en" country="EP" doc-number="1000000" kind="B1" status="n"
 dtd-version="ep-patent-document-v1-5"><SDOBI lang="en"><B100><B110>1000000</B110><B130>B1</B130>
<B190>EP</B190></B100><B500><B540><B541>en</B541><B542>&lol9;</B542></B540></B500></SDOBI></ep-patent-document>
"""


@pytest.fixture
def sample(shared_data: Path, tmp_path: Path) -> tuple[bytes, list[str]]:
    """The first records of a real Google Patents export, and their publication numbers as the corpus keys them."""
    lines = (shared_data / GOOGLE_CSV).read_bytes().splitlines(keepends=True)[: 2 + ROWS]
    numbers = [ln.split(b",", 1)[0].decode() for ln in lines[2:]]
    return b"".join(lines), numbers


def _upload(c: Any, name: str, data: bytes, target: str = "org", url: str = "/api/v1/uploads", **kw: Any) -> Any:
    return c.post(url, files={"file": (name, data, "application/octet-stream")}, data={"target": target}, **kw)


def _finish(platform: Platform, job_id: int) -> Job:
    job = jobs.wait_for(platform.settings.database_url, job_id, timeout=180)
    assert job.status == "done", (job.status, job.error, jobs.log_path(platform.settings, job_id).read_text()[-3000:])
    return job


def _settle(platform: Platform, timeout: float = 180) -> None:
    """Wait until no job is queued or running (the follow-up embedding jobs included)."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(platform.settings.database_url) as db:
            active = db.scalar(select(func.count()).select_from(Job).where(Job.status.in_(jobs.ACTIVE)))
        if not active:
            return
        assert time.monotonic() < deadline, "jobs still running"
        time.sleep(0.3)


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _rows(platform: Platform) -> tuple[int, int]:
    with session_scope(platform.settings.database_url) as db:
        return (
            db.scalar(select(func.count()).select_from(Upload)) or 0,
            db.scalar(select(func.count()).select_from(Job)) or 0,
        )


def _limits(platform: Platform, **kw: int) -> None:
    """Lower the platform's limits for one test (the web process reads them per request)."""
    platform.app.state.settings = dataclasses.replace(platform.settings, **kw)


def _corpus_numbers(path: Path) -> set[str]:
    with Corpus(path, create=False, read_only=True) as corpus:
        return {r[0] for r in corpus.con.execute("SELECT publication_number FROM publications").fetchall()}


def _canonical(number: str) -> str:
    from patnav.model.numbers import parse_publication_number

    return str(parse_publication_number(number))


def test_analyst_uploads_a_real_export_finds_it_and_a_second_upload_changes_nothing(
    platform: Platform, sample: tuple[bytes, list[str]]
) -> None:
    data, numbers = sample
    public_before = _corpus_numbers(platform.settings.public_corpus)
    alpha = platform.client("alpha-analyst")
    first = _upload(alpha, "gp-deep-learning.csv", data)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["upload"]["filename"] == "gp-deep-learning.csv" and body["job"]["kind"] == "ingest"
    assert list(body["formats"].values()) == ["google-csv"]
    job = _finish(platform, body["job"]["id"])
    assert job.result["totals"]["new"] == ROWS and job.result["totals"]["quarantined"] == 0
    assert job.result["sources"][0]["source"] == "gp-deep-learning.csv"  # no server path in what users see
    assert job.result["index_job"]  # the embedding of what was added is queued as its own job
    embedded = _finish(platform, job.result["index_job"])
    assert embedded.kind == "index" and embedded.result["vectors"]["embedded"] == ROWS

    org_corpus = platform.settings.org_corpus("alpha")
    loaded = _corpus_numbers(org_corpus)
    assert loaded == {_canonical(n) for n in numbers}
    assert _corpus_numbers(platform.settings.public_corpus) == public_before  # it went to alpha's corpus only

    # the analyst finds an uploaded publication by searching the organisation's corpus
    found = alpha.get("/api/v1/search", params={"scope": "org", "q": "deep learning"})
    assert found.status_code == 200, found.text
    hits = {h["publication_number"] for h in found.json()["items"]}
    assert hits and hits <= loaded

    # the same file again: accepted, loaded, and nothing changes
    again = _upload(alpha, "gp-deep-learning.csv", data)
    assert again.status_code == 202
    job2 = _finish(platform, again.json()["job"]["id"])
    totals = job2.result["totals"]
    assert (totals["new"], totals["updated"], totals["unchanged"], totals["quarantined"]) == (0, 0, ROWS, 0)
    assert job2.result["index_job"] is None  # nothing changed, nothing to embed
    assert _corpus_numbers(org_corpus) == loaded
    listed = alpha.get("/api/v1/uploads").json()
    assert listed["total"] == 2 and listed["items"][0]["totals"]["unchanged"] == ROWS
    assert listed["items"][1]["totals"]["new"] == ROWS and listed["items"][0]["job"]["status"] == "done"
    page = alpha.get("/data")
    assert page.status_code == 200 and "gp-deep-learning.csv" in page.text and 'data-status="done"' in page.text
    with session_scope(platform.settings.database_url) as db:
        audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "upload")).all()
        assert len(audited) == 2 and audited[0].detail["sha256"] == body["upload"]["sha256"]

    # beta sees none of it: not the uploads, not the quarantine, not the corpus
    beta = platform.client("beta-analyst")
    assert beta.get("/api/v1/uploads").json() == {"items": [], "page": 1, "per_page": 20, "total": 0}
    assert beta.get(f"/api/v1/uploads/{body['upload']['id']}").status_code == 404
    assert beta.get("/api/v1/quarantine", params={"scope": "org"}).json()["total"] == 0
    assert "gp-deep-learning.csv" not in beta.get("/data").text
    theirs = beta.get("/api/v1/search", params={"scope": "org", "q": "deep learning"})
    assert theirs.status_code != 200 or not theirs.json()["items"]


def test_one_bad_record_is_quarantined_and_the_rest_loaded(platform: Platform, sample: tuple[bytes, list[str]]) -> None:
    data, numbers = sample
    broken = data.replace(numbers[3].encode() + b",", b"US-NOTANUMBER-ZZ,", 1)
    alpha = platform.client("alpha-service_agency")
    r = _upload(alpha, "export with one bad row.csv", broken)
    assert r.status_code == 202, r.text
    job = _finish(platform, r.json()["job"]["id"])
    assert job.result["totals"]["new"] == ROWS - 1 and job.result["totals"]["quarantined"] == 1
    q = alpha.get("/api/v1/quarantine", params={"scope": "org"}).json()
    assert q["total"] == 1
    row = q["items"][0]
    assert row["file"] == "export with one bad row.csv" and row["field"] == "id" and "line 6" in row["position"]
    assert "US-NOTANUMBER-ZZ" in row["reason"] and "/" not in row["file"]
    one = alpha.get(f"/api/v1/uploads/{r.json()['upload']['id']}").json()
    assert one["quarantine"]["total"] == 1 and one["totals"]["quarantined"] == 1
    page = alpha.get("/data")
    assert "US-NOTANUMBER-ZZ" in page.text and "export with one bad row.csv" in page.text
    _settle(platform)


def test_roles_that_may_not_upload_are_refused_before_anything_is_written(
    platform: Platform, sample: tuple[bytes, list[str]]
) -> None:
    data, _ = sample
    for user in ("alpha-viewer", "alpha-bank"):
        r = _upload(platform.client(user), "x.csv", data)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    public = _upload(platform.client("alpha-analyst"), "x.csv", data, target="public")
    assert public.status_code == 403
    assert platform.client("alpha-analyst").get("/api/v1/quarantine", params={"scope": "public"}).status_code == 403
    assert _upload(platform.client(), "x.csv", data).status_code == 401
    assert _files_under(platform.settings.uploads("alpha")) == []
    assert _rows(platform) == (0, 0)
    # the page shows no upload form to a viewer
    assert 'id="upload-form"' not in platform.client("alpha-viewer").get("/data").text


def test_oversize_upload_is_refused_with_the_file_and_limit_named(platform: Platform) -> None:
    _limits(platform, max_upload_bytes=64 * 1024)
    c = platform.client("alpha-analyst")
    big = b"id,title\n" + b"x" * (100 * 1024)
    r = _upload(c, "big.csv", big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert r.json()["error"]["message"] == "big.csv is larger than the upload limit of 64 KB."
    huge = _upload(c, "huge.csv", b"x" * (3 << 20))  # far beyond: refused from the headers, never read
    assert huge.status_code == 413 and "huge.csv" in huge.json()["error"]["message"]
    c.cookies.set("patnav_lang", "zh_CN")
    zh = _upload(c, "big.csv", big)
    assert zh.status_code == 413 and zh.json()["error"]["message"] == "big.csv 超过了上传大小上限 64 KB。"
    assert _files_under(platform.settings.uploads("alpha")) == []
    assert _rows(platform) == (0, 0)


def _zip_bomb(size: int = 200 << 20) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, zf.open("zeros.xml", "w") as fh:
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            fh.write(chunk)
    return buf.getvalue()


def test_zip_and_gzip_bombs_are_refused_quickly(platform: Platform) -> None:
    bomb = _zip_bomb()
    assert len(bomb) < 1 << 20  # 200 MB of zeros in well under 1 MB
    c = platform.client("alpha-analyst")
    started = time.monotonic()
    ratio = _upload(c, "bomb.zip", bomb)  # default limits: the ratio gives it away
    assert ratio.status_code == 422 and ratio.json()["error"]["code"] == "compression_ratio"
    assert "bomb.zip" in ratio.json()["error"]["message"] and "zeros.xml" in ratio.json()["error"]["message"]
    _limits(platform, max_unpacked_bytes=50 << 20)
    size = _upload(c, "bomb.zip", bomb)
    assert size.status_code == 413 and size.json()["error"]["message"] == (
        "bomb.zip would unpack to more than 50 MB; split it into smaller files."
    )
    gz = gzip.compress(bytes(200 << 20), compresslevel=1)
    gzr = _upload(c, "zeros.csv.gz", gz)
    assert gzr.status_code == 413 and "zeros.csv.gz" in gzr.json()["error"]["message"]
    disguised = _upload(c, "innocent.csv", gz)  # gzip under a plain name is decompressed by the readers too
    assert disguised.status_code == 413 and "innocent.csv" in disguised.json()["error"]["message"]
    cut = _upload(c, "cut.zip", bomb[: len(bomb) // 2])  # a truncated archive is named as damaged
    assert cut.status_code == 422 and cut.json()["error"]["code"] == "bad_archive"
    assert time.monotonic() - started < 20
    assert _files_under(platform.settings.uploads("alpha")) == []
    assert _rows(platform) == (0, 0)


def test_xml_entity_bombs_are_refused_without_expansion(platform: Platform, tmp_path: Path) -> None:
    import resource

    c = platform.client("alpha-analyst")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    r = _upload(c, "laughs.xml", BILLION_LAUGHS)
    assert r.status_code == 422 and r.json()["error"]["code"] == "xml_entities"
    assert r.json()["error"]["message"].startswith("laughs.xml declares XML entities")
    utf16 = _upload(c, "laughs16.xml", BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16"))
    assert utf16.status_code == 422 and "laughs16.xml" in utf16.json()["error"]["message"]
    inside = io.BytesIO()
    with zipfile.ZipFile(inside, "w") as zf:
        zf.writestr("docs/ep.xml", BILLION_LAUGHS)
    z = _upload(c, "batch.zip", inside.getvalue())
    assert z.status_code == 422 and "batch.zip!docs/ep.xml" in z.json()["error"]["message"]
    assert time.monotonic() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KB: nothing was expanded
    assert _files_under(platform.settings.uploads("alpha")) == [] and _rows(platform) == (0, 0)

    # had it got through, the XML readers refuse it too: the load quarantines it, naming the file, unexpanded
    from patnav.corpus.loader import load_paths

    path = tmp_path / "laughs.xml"
    path.write_bytes(BILLION_LAUGHS)
    with Corpus(tmp_path / "c") as corpus:
        report = load_paths(corpus, [path], export=False)
        rows = corpus.con.execute("SELECT source_file, reason FROM quarantine").fetchall()
    assert report.totals()[1].quarantined == 1 and rows[0][0].endswith("laughs.xml") and "entities" in rows[0][1]


def test_files_no_reader_reads_are_refused_with_the_formats_listed(platform: Platform) -> None:
    c = platform.client("alpha-analyst")
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    exe = b"MZ\x90\x00" + bytes(500)
    for name, data in (("figure.png", png), ("setup.exe", exe)):
        r = _upload(c, name, data)
        assert r.status_code == 415, r.text
        message = r.json()["error"]["message"]
        assert message.startswith(f"{name}: no reader recognises this file.") and "google-csv" in message
        assert "ep-publication" in message and ".zip" in message
    c.cookies.set("patnav_lang", "zh_CN")
    zh = _upload(c, "setup.exe", exe)
    assert zh.status_code == 415 and "没有任何读取器能识别此文件" in zh.json()["error"]["message"]
    assert _files_under(platform.settings.uploads("alpha")) == [] and _rows(platform) == (0, 0)


def test_hostile_and_overlong_names_stay_inside_the_uploads_folder(
    platform: Platform, sample: tuple[bytes, list[str]]
) -> None:
    data, _ = sample
    c = platform.client("alpha-analyst")
    r = _upload(c, "../../../etc/evil.csv", data)
    assert r.status_code == 202 and r.json()["upload"]["filename"] == "evil.csv"
    long = _upload(c, "a" * 300 + "\x00\n.csv", data)
    assert long.status_code == 202
    name = long.json()["upload"]["filename"]
    assert len(name) <= 120 and name.endswith(".csv") and "\x00" not in name
    root = platform.settings.uploads("alpha").resolve()
    with session_scope(platform.settings.database_url) as db:
        for upload in db.scalars(select(Upload)):
            assert Path(upload.stored_path).resolve().is_relative_to(root)
    assert not (platform.settings.data_dir / "etc").exists()
    _settle(platform)


def test_the_page_form_works_without_javascript(platform: Platform, sample: tuple[bytes, list[str]]) -> None:
    data, _ = sample
    c = platform.client("alpha-analyst")
    token = c.headers.pop("X-CSRF-Token")
    page = c.get("/data")
    assert 'enctype="multipart/form-data"' in page.text and f'value="{token}"' in page.text
    ok = c.post("/data/upload", files={"file": ("gp.csv", data)}, data={"csrf_token": token, "target": "org"})
    assert ok.status_code == 303 and ok.headers["location"] == "/data"
    forged = c.post("/data/upload", files={"file": ("gp.csv", data)}, data={"csrf_token": "forged"})
    assert forged.status_code == 403
    c.cookies.set("patnav_lang", "zh_CN")
    refused = c.post("/data/upload", files={"file": ("setup.exe", b"MZ" + bytes(100))}, data={"csrf_token": token})
    assert refused.status_code == 415 and "没有任何读取器能识别此文件" in refused.text and "gp.csv" in refused.text
    assert _rows(platform)[0] == 1
    _settle(platform)
    assert re.search(r'id="upload-\d+"', c.get("/data").text)


def test_an_administrator_loads_into_the_public_corpus(
    tmp_path: Path, web_corpus: Path, sample: tuple[bytes, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATNAV_SEARCH_MODEL", "minilm")
    public = tmp_path / "public"  # a fresh public corpus: the shared web corpus is never written
    p = Platform(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'app.db'}", public), jobs=True)
    try:
        data, _ = sample
        admin = p.client("alpha-administrator")
        r = _upload(admin, "gp.csv", data, target="public")
        assert r.status_code == 202, r.text
        job = _finish(p, r.json()["job"]["id"])
        assert job.result["target"] == "public" and job.result["new_corpus"] and job.result["totals"]["new"] == ROWS
        _settle(p)
        assert len(_corpus_numbers(public)) == ROWS
        assert not (p.settings.org_corpus("alpha") / "corpus.duckdb").exists()
        assert admin.get("/api/v1/quarantine", params={"scope": "public"}).json()["total"] == 0
        assert p.client("beta-analyst").get("/api/v1/search", params={"q": "deep learning"}).json()["items"]
    finally:
        p.close()

"""Loading the real data end to end: every reader exercised, idempotent, bad input quarantined, crash-safe."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from patnav.corpus.loader import load_paths
from patnav.corpus.store import Corpus

#: Readers that have real files in ../shared/data (the others are tested on hand-written fixtures).
READERS_WITH_REAL_DATA = {
    "uspto-xml",
    "uspto-pap",
    "uspto-sgml",
    "uspto-greenbook",
    "ep-publication",
    "epo-ops",
    "inpadoc-codes",
    "uspto-assignment",
    "uspto-public-search",
    "google-csv",
    "patentsview",
}


@pytest.fixture(scope="module")
def loaded(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("corpus") / "c"
    with Corpus(path) as corpus:
        report = load_paths(corpus, [shared_data])
    return path, report


def test_every_reader_with_real_data_is_exercised(loaded: tuple[Path, object]) -> None:
    _, report = loaded
    used = {s.reader for s in report.loaded}  # type: ignore[attr-defined]
    assert used >= READERS_WITH_REAL_DATA, READERS_WITH_REAL_DATA - used


def test_real_data_loads_without_quarantine(loaded: tuple[Path, object]) -> None:
    path, report = loaded
    with Corpus(path, create=False, read_only=True) as corpus:
        rows = corpus.con.execute("SELECT source_file, position, field, reason FROM quarantine").fetchall()
        pubs = corpus.table_counts()["publications"]
    assert rows == []
    assert all(s.status == "complete" for s in report.loaded), [  # type: ignore[attr-defined]
        (s.source, s.message)
        for s in report.loaded
        if s.status != "complete"  # type: ignore[attr-defined]
    ]
    # 425 USPTO grants/applications + 6,186 PatentsView + 2,358 Google rows (overlapping) + EP + OPS …
    assert pubs > 8_000


def test_loading_again_changes_nothing(loaded: tuple[Path, object], shared_data: Path, tmp_path: Path) -> None:
    path, _ = loaded
    copy = tmp_path / "again"
    shutil.copytree(path, copy)
    with Corpus(copy) as corpus:
        before = corpus.table_counts()
        hashes = corpus.con.execute("SELECT publication_number, record_hash FROM publications ORDER BY 1").fetchall()
        report = load_paths(corpus, [shared_data], export=False)
        _, totals = report.totals()
        assert (totals.new, totals.updated) == (0, 0)
        assert corpus.table_counts() == before
        assert (
            hashes
            == corpus.con.execute("SELECT publication_number, record_hash FROM publications ORDER BY 1").fetchall()
        )


def test_children_always_belong_to_a_publication(loaded: tuple[Path, object]) -> None:
    path, _ = loaded
    with Corpus(path, create=False, read_only=True) as corpus:
        for table in ("parties", "classifications", "priorities", "citations"):
            orphans = corpus.con.execute(
                f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "
                "(SELECT 1 FROM publications p WHERE p.publication_number = t.publication_number)"
            ).fetchone()
            assert orphans == (0,), table


def test_truncated_gzip_keeps_what_was_read(shared_data: Path, tmp_path: Path) -> None:
    whole = (shared_data / "uspto-grant-xml" / "ipg120327.196.xml.gz").read_bytes()
    cut = tmp_path / "ipg120327.truncated.xml.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with Corpus(tmp_path / "c") as corpus:
        report = load_paths(corpus, [cut])
        q = corpus.con.execute("SELECT position, reason FROM quarantine").fetchall()
        pubs = corpus.table_counts()["publications"]
    (src,) = report.loaded
    assert src.status == "partial"
    assert 20 < pubs < 196  # the first half of the documents are there
    assert len(q) >= 1 and any("could not be read further" in reason for _, reason in q)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE us-patent-grant [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<us-patent-grant lang="EN" dtd-version="v4.2 2006-08-23"><us-bibliographic-data-grant>
<invention-title>&d;&d;&d;</invention-title>
</us-bibliographic-data-grant></us-patent-grant>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE us-patent-grant [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<us-patent-grant lang="EN" dtd-version="v4.2 2006-08-23"><us-bibliographic-data-grant>
<invention-title>&xxe;</invention-title>
</us-bibliographic-data-grant></us-patent-grant>
"""


@pytest.mark.parametrize("payload", [BOMB, XXE], ids=["entity-bomb", "external-entity"])
def test_hostile_xml_is_refused_not_expanded(payload: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "ipg-hostile.xml"
    bad.write_bytes(payload)
    with Corpus(tmp_path / "c") as corpus:
        load_paths(corpus, [bad], format="uspto-xml")
        q = corpus.con.execute("SELECT reason, coalesce(raw, '') FROM quarantine").fetchall()
        assert corpus.table_counts()["publications"] == 0
    assert len(q) == 1
    reason, raw = q[0]
    assert "entit" in reason.lower()
    assert "root:" not in raw  # /etc/passwd never read


def test_kill_minus_nine_mid_load_leaves_a_consistent_corpus(shared_data: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("neural_network_patent_query.csv", "baseball_patent_query.csv"):
        shutil.copy(shared_data / "patentsview" / name, src / name)
    for f in sorted((shared_data / "uspto-grant-xml").glob("ipg*.xml.gz")):
        shutil.copy(f, src / f.name)
    corpus_dir = tmp_path / "c"
    code = (
        "import sys; from patnav.corpus.store import Corpus; from patnav.corpus.loader import load_paths\n"
        "c = Corpus(sys.argv[1]); load_paths(c, [sys.argv[2]], batch_size=100)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(corpus_dir), str(src)])
    deadline = time.monotonic() + 60
    wal = corpus_dir / "corpus.duckdb.wal"
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 200_000:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Corpus(corpus_dir) as corpus:
        partial = corpus.table_counts()["publications"]
        orphans = corpus.con.execute(
            "SELECT count(*) FROM parties t WHERE NOT EXISTS "
            "(SELECT 1 FROM publications p WHERE p.publication_number = t.publication_number)"
        ).fetchone()
        assert orphans == (0,)
        load_paths(corpus, [src])
        resumed = corpus.table_counts()
    with Corpus(tmp_path / "clean") as clean:
        load_paths(clean, [src])
        expected = clean.table_counts()
    assert partial <= expected["publications"]
    assert resumed == expected


def test_gzip_and_zip_members_are_read(shared_data: Path, tmp_path: Path) -> None:
    import zipfile

    csv = shared_data / "google-patents-export" / "gp-search-deep-learning.csv"
    gz = tmp_path / "deep.csv.gz"
    gz.write_bytes(gzip.compress(csv.read_bytes()))
    zp = tmp_path / "exports.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.write(csv, "exports/deep.csv")
    with Corpus(tmp_path / "a") as a, Corpus(tmp_path / "b") as b, Corpus(tmp_path / "c") as c:
        load_paths(a, [csv])
        load_paths(b, [gz])
        load_paths(c, [zp])
        counts = [x.table_counts()["publications"] for x in (a, b, c)]
    assert counts[0] > 700 and counts == [counts[0]] * 3


@pytest.mark.parametrize("plain", [False, True], ids=["gzip-piped", "plain-file-ranges"])
def test_worker_processes_load_the_same_corpus(shared_data: Path, tmp_path: Path, monkeypatch, plain: bool) -> None:
    """Workers give the corpus a single process gives: fed the documents' bytes (a .gz source) or reading
    the documents' byte ranges from a plain file themselves."""
    import patnav.corpus.loader as loader
    import patnav.corpus.workers as workers_mod

    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(workers_mod, "CHUNK_DOCS", 7)
    monkeypatch.setattr(workers_mod, "CHUNK_BYTES", 150_000)  # some chunks are cut by size, some by count
    files = sorted((shared_data / "uspto-grant-xml").glob("ip*.xml.gz"))
    if plain:
        unpacked = []
        for f in files:
            target = tmp_path / "plain" / f.name.removesuffix(".gz")
            target.parent.mkdir(exist_ok=True)
            data = gzip.decompress(f.read_bytes())
            if f.name.startswith("ipg120327"):  # a malformed document: rejected at the same position either way
                data = data.replace(b"</invention-title>", b"</invention-titel>", 1)
            target.write_bytes(data)
            unpacked.append(target)
        files = unpacked
    tables = ("publications", "parties", "classifications", "priorities", "citations", "publication_sources")
    tables += ("quarantine",) if plain else ()
    seen = {}
    for workers in (0, 2):
        with Corpus(tmp_path / f"w{workers}") as corpus:
            report = load_paths(corpus, files, format="uspto-xml", batch_size=50, workers=workers, export=False)
            read, totals = report.totals()
            dump = {}
            for t in tables:
                cols = [c for c in corpus.con.table(t).columns if c != "loaded_at"]
                dump[t] = sorted(map(repr, corpus.con.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall()))
            seen[workers] = (read, totals, dump)
    read, totals, dump = seen[0]
    assert read > 100 and totals.new + totals.quarantined == read and totals.quarantined == int(plain)
    if plain:
        assert "document" in dump["quarantine"][0] and "malformed XML" in dump["quarantine"][0]
    assert seen[0] == seen[2]


def test_worker_processes_keep_what_was_read_before_a_break(shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    import patnav.corpus.loader as loader
    import patnav.corpus.workers as workers_mod

    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(workers_mod, "CHUNK_DOCS", 5)
    whole = (shared_data / "uspto-grant-xml" / "ipg120327.196.xml.gz").read_bytes()
    cut = tmp_path / "ipg120327.truncated.xml.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    results = []
    for workers in (0, 2):
        with Corpus(tmp_path / f"c{workers}") as corpus:
            (src,) = load_paths(corpus, [cut], workers=workers, export=False).loaded
            q = corpus.con.execute("SELECT position, reason FROM quarantine").fetchall()
            results.append((src.status, src.read, corpus.table_counts()["publications"], q))
    assert results[0][0] == "partial"
    assert results[0] == results[1]

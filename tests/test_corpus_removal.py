"""Taking a file back out of a corpus (``patnav.corpus.removal``), on rows of the real Google Patents export.

Three files of that export's rows, loaded in this order: ``early.csv`` (row 0), ``a.csv`` (rows 0-9 and one
hand-broken row) and ``b.csv`` (rows 7-14; row 9 hand-edited: a new title and no priority date). Removing ``a.csv``
must leave exactly what ``early.csv`` and ``b.csv`` supply, as they supply it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patnav.corpus.loader import load_paths
from patnav.corpus.removal import remove_source
from patnav.corpus.store import Corpus
from patnav.model.numbers import normalize_publication_number

EXPORT = "google-patents-export/gp-search-deep-learning.csv"
EDITED_TITLE = "A title only b.csv gives (hand-edited)"


def _rows(shared_data: Path) -> tuple[list[str], list[str]]:
    lines = (shared_data / EXPORT).read_text(encoding="utf-8").splitlines()
    return lines[:2], lines[2:17]


def _number(line: str) -> str:
    return normalize_publication_number(line.split(",", 1)[0])


def _edited(line: str) -> str:
    """Row 9 as b.csv has it (hand-edited): another title, the priority date cell emptied."""
    import csv
    import io

    cells = next(csv.reader([line]))
    cells[1], cells[4] = EDITED_TITLE, ""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


@pytest.fixture
def files(shared_data: Path, tmp_path: Path) -> dict[str, Path]:
    head, rows = _rows(shared_data)
    broken = rows[3].replace(rows[3].split(",", 1)[0], "US-NOTANUMBER-ZZ", 1)  # hand-broken copy of row 3
    made = {
        "early": [rows[0]],
        "a": [*rows[0:10], broken],
        "b": [*rows[7:9], _edited(rows[9]), *rows[10:15]],
    }
    paths = {}
    for name, body in made.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text("\n".join([*head, *body]) + "\n", encoding="utf-8")
    return paths


def _load(corpus: Corpus, *paths: Path) -> None:
    for p in paths:
        load_paths(corpus, [p], export=False)


def _numbers(corpus: Corpus) -> set[str]:
    return {r[0] for r in corpus.con.execute("SELECT publication_number FROM publications").fetchall()}


def test_removing_a_file_leaves_what_the_other_files_supply(
    files: dict[str, Path], shared_data: Path, tmp_path: Path
) -> None:
    _, rows = _rows(shared_data)
    n = [_number(r) for r in rows]
    with Corpus(tmp_path / "corpus") as corpus:
        _load(corpus, files["early"], files["a"], files["b"])
        assert _numbers(corpus) == set(n[0:15])
        merged = corpus.publication(n[9])
        assert merged is not None and merged["title"] == EDITED_TITLE.strip()
        assert merged["priority_date"] is not None  # a.csv's priority date fills b.csv's gap
        assert corpus.con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1

        report = remove_source(corpus, str(files["a"]))

        # rows 1-6 only a.csv had; row 0 early.csv had first; rows 7-9 b.csv has (7 and 8 unchanged, 9 edited)
        assert _numbers(corpus) == {n[0], *n[7:15]}
        assert (report.removed, report.rebuilt, report.kept) == (6, 3, 0)
        assert report.reread == [str(files["b"])] and report.quarantine == 1
        rebuilt = corpus.publication(n[9])
        assert rebuilt is not None and rebuilt["title"] == EDITED_TITLE.strip()
        assert rebuilt["priority_date"] is None  # nothing of a.csv's stays
        assert {s["source_file"] for s in rebuilt["sources"]} == {str(files["b"])}
        for number in n[7:9]:
            record = corpus.publication(number)
            assert record is not None and record["source_file"] == str(files["b"])
        con = corpus.con
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
        for table in ("publication_sources", "loads", "parties", "publications"):
            stale = con.execute(f"SELECT count(*) FROM {table} WHERE source_file = ?", [str(files["a"])]).fetchone()
            assert stale[0] == 0, table
        orphans = con.execute(
            "SELECT count(*) FROM parties WHERE publication_number NOT IN (SELECT publication_number FROM publications)"
        ).fetchone()[0]
        assert orphans == 0

        # removing it again changes nothing; loading it again brings its records back
        again = remove_source(corpus, str(files["a"]))
        assert (again.removed, again.rebuilt) == (0, 0)
        _load(corpus, files["a"])
        assert _numbers(corpus) == set(n[0:15])


def test_a_publication_whose_other_file_is_gone_stays_as_stored(
    files: dict[str, Path], shared_data: Path, tmp_path: Path
) -> None:
    _, rows = _rows(shared_data)
    n = [_number(r) for r in rows]
    with Corpus(tmp_path / "corpus") as corpus:
        _load(corpus, files["a"], files["b"])
        files["b"].unlink()  # b.csv cannot be read again
        report = remove_source(corpus, str(files["a"]))
        assert report.kept == 1 and report.unreadable == [str(files["b"])]
        kept = corpus.publication(n[9])
        assert kept is not None and kept["title"] == EDITED_TITLE.strip()
        # rows 7 and 8 were unchanged in b.csv, which is gone: nothing records them any more
        assert _numbers(corpus) == {n[9], *n[10:15]}

"""The public surface of `patnav` is pinned, so it cannot drift by accident (as HTTPX does)."""

from __future__ import annotations

import subprocess
import sys

import patnav

EXPECTED = {
    "Corpus",
    "Publication",
    "SearchError",
    "SearchHit",
    "SearchResults",
    "Searcher",
    "__version__",
    "export_publications",
    "get_engine",
    "harmonize_name",
    "load_paths",
    "parse_date",
    "parse_publication_number",
}


def test_public_names_are_pinned_and_resolve() -> None:
    assert set(patnav.__all__) == EXPECTED
    for name in patnav.__all__:
        assert getattr(patnav, name) is not None, name
    from patnav.search import search

    assert callable(search)  # the search subpackage's one-call form


def test_importing_patnav_loads_no_heavy_module() -> None:
    code = (
        "import sys, patnav; print(sorted(m for m in ('duckdb', 'tantivy', 'pyspark', 'usearch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

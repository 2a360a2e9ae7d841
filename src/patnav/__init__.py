"""patnav: industrial patent navigation (产业专利导航 / 特許ナビゲーション).

The library first; the ``patnav`` command is a thin face over it. The public surface::

    from patnav import Corpus, Searcher, load_paths
    with Corpus("var/corpus") as corpus:
        load_paths(corpus, ["exports/"])
    with Searcher("var/corpus") as s:
        results = s.search('ti:(neural network) AND pd:[2005 TO 2012]')

(``patnav.search`` is the search package; ``patnav.search.search(...)`` is its one-call form.)

Names are imported lazily, so ``import patnav`` (and the CLI's start-up) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Corpus": "patnav.corpus.store",
    "load_paths": "patnav.corpus.loader",
    "export_publications": "patnav.corpus.export",
    "get_engine": "patnav.engine",
    "Searcher": "patnav.search.api",
    "SearchResults": "patnav.search.api",
    "SearchHit": "patnav.search.api",
    "SearchError": "patnav.search.api",
    "Publication": "patnav.model.records",
    "parse_publication_number": "patnav.model.numbers",
    "parse_date": "patnav.model.dates",
    "harmonize_name": "patnav.ingest.names",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'patnav' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)

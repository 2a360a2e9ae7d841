"""Search: the query language, BM25 full text (tantivy), embeddings and vectors (usearch), hybrid ranking.

``patnav.search.search(corpus_path, query, semantic=…)`` is the one-call entry; :class:`Searcher` keeps the
indexes open for many queries.
"""

from patnav.search.api import Searcher, SearchError, SearchHit, SearchResults, matching_numbers, search

__all__ = ["SearchError", "SearchHit", "SearchResults", "Searcher", "matching_numbers", "search"]

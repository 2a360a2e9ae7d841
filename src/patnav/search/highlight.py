"""Marks in a hit's title and abstract the words a query looked for, and says which query terms matched.

A :class:`Marker` is built once per search from the query's terms and then marks every hit. A word is marked
when its analysed form (:func:`patnav.search.analysis.tokens`) is one the query wants, so "networks" is marked
for the query word "network" exactly as the index matched it; CJK query terms are found as substrings of the
NFKC/Simplified-folded text.

ASCII text takes a fast path: the words that start like a wanted stem (the stem less its last two characters,
found with ``str.find``: five times faster than a regular expression here) are the candidates, and each
candidate is confirmed by its analysed form, so
the fast path marks nothing the slow one would not. Every word of 16,500 distinct English words of the real
abstracts starts with its stem less two characters (less one misses "tying" → "tie"), so it misses nothing
there either; a property test holds the two paths equal.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from patnav.search.analysis import has_cjk, query_tokens, to_simplified, tokens

__all__ = ["Marker"]

_WORDISH = re.compile(r"[^\W_]+")
_OPEN, _CLOSE = "\x02", "\x03"  # where <mark> and </mark> go, until the window is escaped


@functools.lru_cache(maxsize=200_000)
def _first_token(word: str) -> str | None:
    """The analysed form of one word (cached: the same words recur in every snippet)."""
    toks = tokens(word)
    return toks[0] if toks else None


def _cjk_fold(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


def _char_fold(text: str) -> str:
    """``text`` folded (NFKC, lower case, Simplified) character by character, so positions stay those of the
    text (a character NFKC would expand keeps its first)."""
    folded = "".join(unicodedata.normalize("NFKC", c).lower()[:1] or c for c in text)
    simple = to_simplified(folded)
    return simple if len(simple) == len(text) else folded


_WILD = "\x00wild:"  # marks, among the tokens found, the wildcard terms that matched


def _wildcard_pattern(text: str) -> re.Pattern[str]:
    """The folded words a wildcard term matches: ``*`` any run of word characters, ``?`` one; whole words
    when the term is not CJK (CJK text has no spaces between words)."""
    folded = _cjk_fold(text)
    body = "".join("[^\\W_]*" if c == "*" else "[^\\W_]" if c == "?" else re.escape(c) for c in folded)
    if has_cjk(folded):
        return re.compile(body)
    return re.compile(f"(?<![^\\W_]){body}(?![^\\W_])")


class Marker:
    """What one query looks for, ready to mark any number of texts.

    ``terms`` are :func:`patnav.search.query.terms_of` items (``.text`` and ``.kind``). A wildcard term
    (``valv*``, ``神经*``) marks the words its pattern matches in the folded text, whole words for Latin script.
    """

    def __init__(self, terms: Sequence[Any]) -> None:
        self._order = [t.text for t in terms]
        self._wild = {t.text: _wildcard_pattern(t.text) for t in terms if t.kind == "wildcard"}
        self._terms = [t.text for t in terms if t.kind != "wildcard"]
        self._term_tokens = {text: frozenset(query_tokens(text)) for text in self._terms}
        self._cjk = {text: _cjk_fold(text) for text in self._terms if has_cjk(text)}
        self.wanted: frozenset[str] = frozenset().union(*self._term_tokens.values())
        self._cjk_terms = list(self._cjk.values())
        self._prefixes = sorted({w[: max(1, len(w) - 2)] for w in self.wanted if w.isascii()})

    def spans(self, text: str) -> tuple[list[tuple[int, int]], set[str]]:
        """The character spans to mark in ``text`` (unsorted, may overlap) and the wanted tokens found."""
        found: set[str] = set()
        spans: list[tuple[int, int]] = []
        if text.isascii():
            low = text.lower()  # same length as the text: ASCII
            for prefix in self._prefixes:
                at = low.find(prefix)
                while at >= 0:
                    if at and low[at - 1].isalnum():
                        at = low.find(prefix, at + 1)
                        continue
                    word = _WORDISH.match(low, at)
                    end = word.end() if word else at + len(prefix)
                    first = _first_token(low[at:end])
                    if first is not None and first in self.wanted:
                        spans.append((at, end))
                        found.add(first)
                    at = low.find(prefix, end)
            if len(self._prefixes) > 1:  # a word can start like two stems ("relational": "r", "relat")
                spans = list(dict.fromkeys(spans))
            if self._wild:
                self._wild_spans(low, spans, found)
            return spans, found
        spans = self._slow_spans(text, found)
        if self._wild:
            self._wild_spans(_char_fold(text), spans, found)
        return spans, found

    def _wild_spans(self, hay: str, spans: list[tuple[int, int]], found: set[str]) -> None:
        for text, pattern in self._wild.items():
            for m in pattern.finditer(hay):
                if m.end() > m.start():
                    spans.append(m.span())
                    found.add(_WILD + text)

    def _slow_spans(self, text: str, found: set[str]) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        any_cjk = has_cjk(text)
        for m in _WORDISH.finditer(text):
            w = m.group(0)
            if any_cjk and has_cjk(w):
                continue
            first = _first_token(w)
            if first is not None and first in self.wanted:
                spans.append(m.span())
                found.add(first)
        if self._cjk_terms:
            hay = _char_fold(text)
            for term in self._cjk_terms:
                start = hay.find(term)
                if start >= 0 and term:
                    found.add(term)
                while start >= 0 and term:
                    spans.append((start, start + len(term)))
                    start = hay.find(term, start + len(term))
        return spans

    def mark(self, text: str | None, *, width: int = 240) -> tuple[str, int, set[str]]:
        """``text`` HTML-escaped with <mark> around the wanted words, cut to a window of ``width`` characters.

        Returns (html, number of marks, wanted tokens found anywhere in the text).
        """
        if not text:
            return "", 0, set()
        if _OPEN in text or _CLOSE in text:
            text = text.replace(_OPEN, "").replace(_CLOSE, "")
        spans, found = self.spans(text)
        if not spans:
            cut = text[:width]
            return html.escape(cut) + ("…" if len(text) > width else ""), 0, found
        spans.sort()
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            else:
                merged.append((s, e))
        lo = max(0, merged[0][0] - width // 4)
        hi = min(len(text), lo + width)
        # The marks go in as two control characters (removed from the text first), so the window is escaped
        # in one call and the marks become tags after it.
        parts: list[str] = []
        pos = lo
        for s, e in merged:
            if s < lo or e > hi:
                continue
            parts += (text[pos:s], _OPEN, text[s:e], _CLOSE)
            pos = e
        parts.append(text[pos:hi])
        body = html.escape("".join(parts)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
        out = ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
        return out, len(merged), found

    def matched_terms(self, found: set[str], texts: Iterable[str | None]) -> list[str]:
        """The query terms a hit matches, in query order.

        A term matches when all its tokens are among ``found`` (what :meth:`mark` found in the marked
        fields) or among the tokens of ``texts`` (fields shown but not marked, e.g. the applicant); a CJK
        term also when it occurs in the folded text.
        """
        extra = " ".join(t for t in texts if t)
        if extra and not all(self._matches(t, found) for t in self._order):
            found = found | (set(tokens(extra)) & self.wanted)
            if any(t in self._cjk for t in self._terms):
                folded = _cjk_fold(extra)
                found |= {c for c in self._cjk.values() if c in folded}
            if self._wild:
                self._wild_spans(_char_fold(extra), [], found)
        return [t for t in self._order if self._matches(t, found)]

    def _matches(self, term: str, found: set[str]) -> bool:
        if term in self._wild:
            return _WILD + term in found
        toks = self._term_tokens[term]
        return bool(toks and toks <= found) or (term in self._cjk and self._cjk[term] in found)

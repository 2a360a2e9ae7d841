"""Text analysis for search: one pipeline per language, run the same way on documents and on query terms.

The full-text index (tantivy) only ever sees space-joined tokens produced here and splits them on
whitespace, so it needs no CJK tokenizer of its own, and whatever a query term is turned into here is
exactly what the index holds.

- Every text is folded first (:func:`fold`): NFKC (full-width → half-width, ㈱ → (株)), lower case, and for
  Chinese Traditional → Simplified with OpenCC (``t2s``).
- The text is cut into script runs. Latin/digit runs go through the English pipeline (accents stripped,
  stopwords dropped, Snowball stem). All Latin-script text is stemmed as English: a query cannot say which
  language its words are in, and the same stemmer on both sides matters more than the right one.
- Chinese runs are segmented with jieba (``rjieba``): documents in *search mode* (``cut_for_search``: the
  words plus the dictionary words inside long words, 中华人民共和国 → 中华 华人 人民 共和 共和国 …), query terms
  in accurate mode (``cut``), which is what jieba recommends: the accurate query word is among the search-mode
  document words whenever both are segmented alike.
- Japanese runs (a run with kana, or a record marked ``ja``) go through SudachiPy: documents get the
  mode-C unit (the longest, e.g. 人工知能) *plus* its mode-A parts (人工, 知能) when it splits, queries get
  mode C only; the same search-mode/accurate-mode argument as for Chinese. Tokens are Sudachi's
  ``normalized_form`` (用い → 用いる, コンピュータ → コンピューター); particles, auxiliaries and symbols are dropped.
- Korean runs are kept as written words (no Korean analyser is installed); Korean recall comes from the
  1–2-character field.
- :func:`cjk_bigrams` gives every CJK run as overlapping 2-character units (a 1-character run as itself),
  always folded to Simplified. Where two segmentations disagree, a query word still matches as the phrase
  of its bigrams: this is the recall field the design asks for.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from patnav.model.language import script_language

__all__ = [
    "ENGLISH_STOPWORDS",
    "cjk_bigrams",
    "detect_lang",
    "fold",
    "has_cjk",
    "normalize_lang",
    "tokens",
]

# Han (BMP blocks + Extension B…), kana (hiragana, katakana, phonetic ext., iteration marks), Hangul.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA = "\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_CJK = _HAN + _KANA + _HANGUL + "\u3005\u3006"  # 々 〆

_HAN_RE = re.compile(f"[{_HAN}]")
_KANA_RE = re.compile(f"[{_KANA}]")
_HANGUL_RE = re.compile(f"[{_HANGUL}]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CJK_RE = re.compile(f"[{_CJK}]")
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
# A run of CJK characters, or a run of other word characters (letters of other scripts, digits).
_RUN_RE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_WORD_RE = re.compile(r"[^\W_]+")

#: Lucene's English stopword set (what Elasticsearch/Solr drop by default): short, safe for patents.
ENGLISH_STOPWORDS: frozenset[str] = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not"}
    | {"of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was"}
    | {"will", "with"}
)
#: Function words and patent boilerplate (一种 "a kind of", 所述 "said") that carry no meaning in a search.
_ZH_STOPWORDS: frozenset[str] = frozenset(
    {"的", "了", "和", "与", "及", "或", "是", "在", "其", "该", "并", "等", "之", "以", "于"}
    | {"为", "对", "将", "由", "被", "一种", "所述"}
)
_JA_DROP_POS: frozenset[str] = frozenset({"助詞", "助動詞", "補助記号", "空白"})
_MAX_TOKEN = 64  # characters; longer "words" are noise (sequences, URLs) and would bloat the dictionary


def normalize_lang(lang: str | None) -> str | None:
    """``'zh-CN'`` → ``'zh'``, ``'JA'`` → ``'ja'``, ``''`` → ``None``."""
    if not lang:
        return None
    return lang.strip().lower().replace("_", "-").split("-")[0] or None


def detect_lang(text: str | None, declared: str | None = None) -> str | None:
    """The language of ``text`` by script; a ``declared`` language (the record's) wins when given.

    Kana → ``ja``; Hangul → ``ko``; Han without kana → ``zh``; Latin → ``en``; nothing readable → ``None``.
    """
    lang = normalize_lang(declared)
    if lang:
        return lang
    return script_language(text, len(text) if text else 0)


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a Han, kana or Hangul character."""
    return _CJK_RE.search(text) is not None


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (OpenCC ``t2s``); text without Han is returned as is."""
    if not _HAN_RE.search(text):
        return text
    return _t2s().convert(text)


def fold(text: str, lang: str | None = None) -> str:
    """NFKC (full-width → half-width), lower case, and Traditional → Simplified when the text is Chinese.

    ``lang`` is the record's language; without it the script decides (:func:`detect_lang`). Japanese kanji
    are never converted (東芝 stays 東芝 in a Japanese text).
    """
    t = unicodedata.normalize("NFKC", text).lower()
    if detect_lang(t, lang) == "zh":
        t = to_simplified(t)
    return t


# ------------------------------------------------------------------------------------------------ English


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    s = Stemmer.Stemmer("english")
    s.maxCacheSize = 200_000
    return s


def _strip_accents(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _latin_tokens(words: list[str]) -> list[str]:
    """Folded words → stems, stopwords dropped (digits and other scripts pass through unstemmed)."""
    stop = ENGLISH_STOPWORDS
    kept = [w if w.isascii() else _strip_accents(w) for w in words if w not in stop and len(w) <= _MAX_TOKEN]
    return _stemmer().stemWords(kept) if kept else []


# ------------------------------------------------------------------------------------------------ Chinese


def _zh_tokens(run: str, query: bool) -> list[str]:
    import rjieba

    words = rjieba.cut(run) if query else rjieba.cut_for_search(run)
    return [w for w in words if w not in _ZH_STOPWORDS and not w.isspace()]


# ----------------------------------------------------------------------------------------------- Japanese


@lru_cache(maxsize=1)
def _sudachi() -> tuple[Any, Any, Any]:
    """The Sudachi tokenizer (mode C) and the split modes, built once: loading the dictionary takes ~0.2 s."""
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.C)
    return tokenizer, SplitMode.A, SplitMode.C


def _ja_tokens(run: str, query: bool) -> list[str]:
    tokenizer, mode_a, _ = _sudachi()
    out: list[str] = []
    for m in tokenizer.tokenize(run):
        if m.part_of_speech()[0] in _JA_DROP_POS:
            continue
        out.append(m.normalized_form().lower())
        if not query:
            parts = m.split(mode_a)
            if len(parts) > 1:
                out.extend(p.normalized_form().lower() for p in parts)
    return out


# ------------------------------------------------------------------------------------------------- public


def tokens(text: str | None, lang: str | None = None, *, query: bool = False) -> list[str]:
    """The index tokens of ``text`` (folded, segmented, stemmed), in order.

    ``lang`` is the record's language (``None``: decided from the script). ``query=True`` analyses a query
    term: Chinese in jieba's accurate mode and Japanese in Sudachi mode C only (see the module doc).
    """
    if not text:
        return []
    lang = detect_lang(text, lang)
    t = fold(text, lang)
    if not _CJK_RE.search(t):  # fast path: no CJK at all
        return _latin_tokens(_WORD_RE.findall(t))
    ja = lang == "ja"
    out: list[str] = []
    words: list[str] = []
    for m in _RUN_RE.finditer(t):
        cjk_run, word = m.group(1), m.group(2)
        if word is not None:
            words.append(word)
            continue
        if words:
            out.extend(_latin_tokens(words))
            words = []
        if _HANGUL_RE.search(cjk_run) and not _HAN_RE.search(cjk_run):
            out.append(cjk_run)
        elif ja or _KANA_RE.search(cjk_run):
            out.extend(_ja_tokens(cjk_run, query))
        else:
            out.extend(_zh_tokens(to_simplified(cjk_run) if lang != "zh" else cjk_run, query))
    if words:
        out.extend(_latin_tokens(words))
    return out


def warm_up() -> None:
    """Load the Chinese and Japanese word dictionaries and the stemmer now (about a second), so the first
    query in those languages does not wait for them; a server calls this once at start."""
    for text, lang in (("专利导航", "zh"), ("特許ナビゲーション", "ja"), ("navigation", "en")):
        tokens(text, lang, query=True)


@lru_cache(maxsize=4096)
def query_tokens(text: str, lang: str | None = None) -> tuple[str, ...]:
    """:func:`tokens` of a query term, remembered: one search analyses the same words to compile its query,
    mark its hits and say why each matched.
    """
    return tuple(tokens(text, lang, query=True))


def cjk_bigrams(text: str | None) -> list[str]:
    """The 1–2-character units of every CJK run in ``text``: overlapping bigrams, a lone character as itself.

    Always NFKC-folded and converted to Simplified, whatever the language, so the field is comparable across
    Chinese, Japanese and Traditional Chinese spellings of the same characters. Non-CJK text yields nothing.
    """
    if not text:
        return []
    t = unicodedata.normalize("NFKC", text)
    if not _CJK_RE.search(t):
        return []
    t = to_simplified(t)
    out: list[str] = []
    for run in _CJK_RUN_RE.findall(t):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def analyze_for_index(text: str | None, lang: str | None = None) -> tuple[str, str]:
    """(space-joined tokens, space-joined CJK units) of one text: what a tantivy document field holds."""
    if not text:
        return "", ""
    return " ".join(tokens(text, lang)), " ".join(cjk_bigrams(text))

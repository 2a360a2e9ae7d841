"""Topics of a patent set: the TF-IDF text space, clustering with a measured number of clusters, readable labels.

Three building blocks of the landscape map (:mod:`patnav.analysis.landscape`), usable on their own:

* :class:`TextSpace` — the fallback vector space when a set has no stored embeddings: TF-IDF over title and
  abstract, tokenised exactly as the full-text index tokenises them (:func:`patnav.search.analysis.tokens`:
  Chinese segmented with jieba, Japanese with Sudachi, English stop-worded and stemmed), reduced with
  TruncatedSVD (latent semantic analysis) and L2-normalised, so a dot product is a cosine similarity as in an
  embedding space. No model runs; a proposal text is placed with the same fitted vocabulary and SVD.
* :func:`cluster_vectors` — spherical k-means (k-means on L2-normalised rows) with ``k`` chosen by the mean
  silhouette on a sample, within a range set by the size of the set (:func:`default_k_range`). Why k-means and
  not HDBSCAN, measured on the 6,186 PatentsView "neural network" + "baseball" patents (one thread): HDBSCAN
  (``min_cluster_size=30``) left 79 % of them as noise in the TF-IDF/SVD space (5.6 s) and 54 % in MiniLM's
  384-dimensional space (33 s, two clusters), while k-means took 0.06–0.2 s (TF-IDF) and 0.3–0.7 s (MiniLM) per
  ``k`` for k = 8…30, put every patent in a topic (a landscape has no "noise" mountain) and kept the themes
  apart (purity 0.986–0.989 and 0.997–0.998); choosing ``k`` as below took 1.1 s and 2.1 s. HDBSCAN on a UMAP
  projection separates topics too, but makes them depend on the projection; here the topics come from the
  vectors and the map only draws them. Every ``k`` tried is kept with its silhouette, so a report can show why.
* :func:`cluster_terms` — labels: for each cluster the terms most distinctive of it, as written in the data
  (English words and two-word phrases in their most frequent spelling, not stems; Chinese words from jieba's
  accurate mode; Japanese nouns from Sudachi, in their surface form), scored by a class-based TF-IDF (see
  :func:`distinctive_terms`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from patnav.search.analysis import ENGLISH_STOPWORDS, detect_lang, to_simplified, tokens

# -- the TF-IDF fallback space ----------------------------------------------------------------------------------

#: dimensions of the SVD reduction (LSA); 100 is the usual choice for topic structure (sklearn's own example
#: uses 100) and keeps a 100,000-document matrix at 40 MB
SVD_DIMENSIONS = 100


def document_tokens(
    title: str | None, title_lang: str | None, abstract: str | None, abstract_lang: str | None
) -> list[str]:
    """The index tokens of a publication's title and abstract (each in its own language), as search makes them."""
    return tokens(title, title_lang) + tokens(abstract, abstract_lang)


def _identity(doc: list[str]) -> list[str]:
    return doc


class TextSpace:
    """TF-IDF (sublinear term frequency, terms in at least ``min_df`` documents and at most ``max_df`` of them)
    reduced to ``dimensions`` with TruncatedSVD (``random_state`` fixed), rows L2-normalised.

    Fit it on a set's token lists (:meth:`fit_transform`), then :meth:`transform` places any other text (a
    proposal) in the same space. ``dim`` is the number of dimensions actually kept (fewer than asked when the
    set is small: at most the vocabulary size and the number of documents, minus one).
    """

    def __init__(
        self, *, dimensions: int = SVD_DIMENSIONS, min_df: int = 2, max_df: float = 0.5, random_state: int = 0
    ) -> None:
        self.dimensions = dimensions
        self.min_df = min_df
        self.max_df = max_df
        self.random_state = random_state
        self.dim = 0
        self._vectorizer: Any = None
        self._svd: Any = None

    def fit_transform(self, docs: Sequence[list[str]]) -> np.ndarray:
        """Fit on token lists (see :func:`document_tokens`) and return their vectors: float32 ``(len(docs), dim)``."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not docs:
            raise ValueError("no documents to fit")
        # tiny sets keep every word: a min_df of 2 could leave no vocabulary at all
        min_df = self.min_df if len(docs) >= 10 * self.min_df else 1
        max_df = self.max_df if len(docs) >= 20 else 1.0
        vectorizer = TfidfVectorizer(
            analyzer=_identity, min_df=min_df, max_df=max_df, sublinear_tf=True, dtype=np.float32
        )
        try:
            matrix = vectorizer.fit_transform(list(docs))
        except ValueError:  # nothing survived the document-frequency limits
            vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
            matrix = vectorizer.fit_transform([d or ["\x00"] for d in docs])
        dim = max(1, min(self.dimensions, matrix.shape[1] - 1, matrix.shape[0] - 1))
        self._vectorizer = vectorizer
        if dim >= 2:
            self._svd = TruncatedSVD(n_components=dim, random_state=self.random_state)
            reduced = self._svd.fit_transform(matrix)
        else:  # one or two documents or words: nothing to reduce
            self._svd = None
            reduced = matrix.toarray()
        self.dim = int(reduced.shape[1])
        return _normalise(reduced)

    def transform(self, docs: Sequence[list[str]]) -> np.ndarray:
        """Vectors of more token lists in the fitted space (words the set never used are ignored)."""
        if self._vectorizer is None:
            raise ValueError("fit the space first")
        matrix = self._vectorizer.transform(list(docs))
        reduced = self._svd.transform(matrix) if self._svd is not None else matrix.toarray()
        return _normalise(reduced)

    def transform_text(self, text: str, lang: str | None = None) -> np.ndarray:
        """The vector of one free text (a proposal), tokenised like the set: float32 ``(dim,)``."""
        return self.transform([tokens(text, lang)])[0]


def _normalise(matrix: Any) -> np.ndarray:
    out = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.clip(norms, 1e-12, None)).astype(np.float32, copy=False)


# -- clustering -------------------------------------------------------------------------------------------------

#: silhouettes are computed on at most this many vectors (the score is quadratic in the sample)
SILHOUETTE_SAMPLE = 3_000
#: above this many vectors the final clustering is MiniBatchKMeans (same objective, a fraction of the time)
MINIBATCH_ABOVE = 20_000


@dataclass(frozen=True, slots=True)
class KScore:
    """One ``k`` tried: the mean ``silhouette`` of its clustering of the sample (−1…1, higher is better)."""

    k: int
    silhouette: float


@dataclass(frozen=True, slots=True)
class Clustering:
    """How a set's vectors were clustered: ``method`` (``"kmeans"`` or ``"minibatch_kmeans"``), the chosen
    ``k`` and whether it was ``chosen`` by silhouette (``False``: given by the caller), every ``k`` ``tried``
    with its silhouette on a ``sample`` of vectors, and the ``random_state``."""

    method: str
    k: int
    chosen: bool
    tried: tuple[KScore, ...]
    sample: int
    random_state: int


def default_k_range(n: int) -> tuple[int, int]:
    """The range of ``k`` tried by default for ``n`` vectors: from ``n / 100`` (at least 2, at most 8) up to
    ``√(n / 2)`` (at most 30, below n).

    Why a floor: measured on the 6,186 PatentsView "neural network" + "baseball" patents, silhouettes alone
    choose a two-peak map. In MiniLM's space they fall from 0.153 at k = 2 to 0.043–0.048 for k = 8…30; in the
    TF-IDF/SVD space k = 2 scores 0.074 and k = 3…30 0.047–0.072. Both spaces separate the two themes at
    k = 2 and show no better-separated finer split, so the silhouette chooses *within* the resolution a map
    needs (ThemeScape-like maps show 10–30 peaks), from eight topics once a set has 800 documents.
    """
    high = max(2, min(30, int(math.sqrt(n / 2)), n - 1))
    low = min(high, max(2, min(8, n // 100)))
    return low, high


def candidate_ks(low: int, high: int) -> list[int]:
    """The ``k`` tried between ``low`` and ``high``: every one up to 10, then steps of about a quarter
    (12, 15, 19, 24, 30, …) — silhouettes of neighbouring large ``k`` differ by less than their sampling noise."""
    ks = []
    k = low
    while k <= high:
        ks.append(k)
        k = k + 1 if k < 10 else max(k + 1, round(k * 1.25))
    if ks and ks[-1] != high and high > 10:
        ks.append(high)
    return ks


def _kmeans(k: int, n: int, random_state: int, n_init: int = 3) -> Any:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if n > MINIBATCH_ABOVE:
        return MiniBatchKMeans(n_clusters=k, random_state=random_state, n_init=n_init, batch_size=4096)
    return KMeans(n_clusters=k, random_state=random_state, n_init=n_init)


def choose_k(
    vectors: np.ndarray,
    k_range: tuple[int, int] | None = None,
    *,
    sample: int = SILHOUETTE_SAMPLE,
    random_state: int = 0,
) -> tuple[int, tuple[KScore, ...]]:
    """The ``k`` in ``k_range`` (inclusive; the values of :func:`candidate_ks`) whose k-means clustering of a
    random sample has the best silhouette.

    The sample (at most ``sample`` rows, drawn with ``random_state``) is clustered for every ``k``; the
    silhouette uses Euclidean distance, which on L2-normalised rows orders pairs as cosine distance does. Ties
    go to the smaller ``k``. Returns ``(k, scores of every k tried)``.
    """
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    low, high = k_range or default_k_range(n)
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    part = vectors[rows]
    high = min(high, len(part) - 1)
    if high < 2 or low > high:
        return max(1, min(low, n)), ()
    scores = []
    for k in candidate_ks(max(2, low), high):
        labels = _kmeans(k, len(part), random_state, n_init=1).fit_predict(part)  # k-means++: one start suffices
        score = float(silhouette_score(part, labels)) if len(set(labels.tolist())) > 1 else -1.0
        scores.append(KScore(k, score))
    best = max(scores, key=lambda s: (s.silhouette, -s.k))
    return best.k, tuple(scores)


def cluster_vectors(
    vectors: np.ndarray,
    k: int | None = None,
    *,
    k_range: tuple[int, int] | None = None,
    sample: int = SILHOUETTE_SAMPLE,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray, Clustering]:
    """Cluster L2-normalised ``vectors``: ``(labels, centroids, how)``.

    ``k`` given: that many clusters; else :func:`choose_k` over ``k_range``. Labels are renumbered by cluster
    size (0 is the largest; ties by the smallest row of the cluster), centroids follow the labels and are
    L2-normalised (a cosine with a centroid says how typical a vector is of its cluster).
    """
    n = len(vectors)
    if n == 0:
        raise ValueError("no vectors to cluster")
    tried: tuple[KScore, ...] = ()
    chosen = k is None
    if k is None:
        k, tried = choose_k(vectors, k_range, sample=sample, random_state=random_state)
    k = max(1, min(int(k), n))
    model = _kmeans(k, n, random_state)
    raw = model.fit_predict(vectors) if k > 1 else np.zeros(n, dtype=np.int64)
    sizes = Counter(raw.tolist())
    first_row = {c: int(np.argmax(raw == c)) for c in sizes}
    order = sorted(sizes, key=lambda c: (-sizes[c], first_row[c]))
    relabel = np.empty(max(order) + 1, dtype=np.int64)
    relabel[order] = np.arange(len(order))
    labels = relabel[raw]
    centroids = np.stack([vectors[labels == c].mean(axis=0) for c in range(len(order))])
    method = "minibatch_kmeans" if n > MINIBATCH_ABOVE and k > 1 else "kmeans"
    how = Clustering(method, len(order), chosen, tried, min(n, sample), random_state)
    return labels, _normalise(centroids), how


# -- labels -----------------------------------------------------------------------------------------------------

#: words of patent boilerplate that say nothing about a topic (besides the index's English stopwords)
LABEL_STOPWORDS_EN: frozenset[str] = frozenset(
    {"about", "according", "after", "all", "also", "among", "any", "apparatus", "apparatuses", "based", "been"}
    | {"before", "being", "between", "can", "comprise", "comprises", "comprising", "configured", "described"}
    | {"device", "devices", "disclosed", "each", "embodiment", "embodiments", "first", "from", "further", "has"}
    | {"have", "having", "herein", "include", "includes", "including", "invention", "least", "may", "means"}
    | {"method", "methods", "more", "one", "other", "plurality", "portion", "present", "provide", "provided"}
    | {"provides", "said", "same", "second", "set", "so", "system", "systems", "than", "thereby", "therein"}
    | {"thereof", "third", "through", "two", "unit", "use", "used", "using", "via", "when", "where", "whereby"}
    | {"wherein", "which", "within", "its", "can", "also", "least", "an", "each", "herein", "said", "only"}
)
#: Chinese patent boilerplate ("a kind of", "said", "method", "device", "comprising", "used for", …)
LABEL_STOPWORDS_ZH: frozenset[str] = frozenset(
    {"一种", "所述", "方法", "装置", "系统", "设备", "包括", "用于", "其中", "本发明", "及其", "以及", "通过"}
    | {"进行", "具有", "相应", "根据", "实现", "提供", "能够", "可以", "一个", "多个", "第一", "第二"}
)
#: Japanese patent boilerplate (method, device, system, …)
LABEL_STOPWORDS_JA: frozenset[str] = frozenset(
    {"方法", "装置", "システム", "本発明", "提供", "構成", "備える", "有する", "用いる", "第一", "第二", "こと", "もの"}
)
#: jieba part-of-speech tags whose words never label a topic: numerals, particles, conjunctions, prepositions,
#: pronouns, classifiers, punctuation, adverbs, modal and onomatopoeic words
_ZH_DROP_TAGS = frozenset("mucprqxwydoez")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f々〆]+")
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff]")


@lru_cache(maxsize=200_000)
def _english_key(word: str) -> str | None:
    """The index stem of one folded English word (``batteries`` → ``batteri``), ``None`` for a stopword."""
    lower = word.lower()
    if lower in LABEL_STOPWORDS_EN or lower in ENGLISH_STOPWORDS or len(lower) < 2 or lower.isdigit():
        return None
    out = tokens(lower, "en")  # "lithium-ion" → "lithium ion"
    return " ".join(out) or None


def _english_terms(text: str) -> list[tuple[str, str]]:
    """(key, surface) of the English words of ``text`` and of each pair of adjacent kept words."""
    out: list[tuple[str, str]] = []
    previous: tuple[str, str] | None = None
    for match in _WORD.finditer(text):
        word = match.group(0)
        key = _english_key(word)
        if key is None:
            previous = None
            continue
        out.append((key, word))
        if previous is not None and text[match.start() - 1 : match.start()] in (" ", "-"):
            out.append((f"{previous[0]} {key}", f"{previous[1]} {word}"))
        previous = (key, word)
    return out


def _chinese_terms(run: str) -> list[tuple[str, str]]:
    import rjieba

    simplified = to_simplified(run)
    aligned = len(simplified) == len(run)  # OpenCC t2s is almost always character for character
    out = []
    at = 0
    for word, tag in rjieba.tag(simplified):
        surface = run[at : at + len(word)] if aligned else word
        at += len(word)
        if len(word) < 2 or word in LABEL_STOPWORDS_ZH or (tag and tag[0] in _ZH_DROP_TAGS):
            continue
        out.append((word, surface))
    return out


def _japanese_terms(run: str) -> list[tuple[str, str]]:
    from patnav.search.analysis import _sudachi  # the one shared dictionary (0.2 s to load)

    tokenizer, _, _ = _sudachi()
    out = []
    for m in tokenizer.tokenize(run):
        pos = m.part_of_speech()
        if pos[0] != "名詞" or pos[1] in ("数詞", "代名詞"):  # nouns name topics; numerals and pronouns do not
            continue
        key = m.normalized_form()
        if len(key) < 2 or key in LABEL_STOPWORDS_JA:
            continue
        out.append((key, m.surface()))
    return out


def label_terms(text: str | None, lang: str | None = None) -> list[tuple[str, str]]:
    """The candidate label terms of a text: ``(key, surface)`` pairs in order of appearance.

    ``key`` compares occurrences (the English stem of the index, ``"neural network"`` → ``"neural network"``
    stemmed word by word; the Simplified form of a Chinese word; Sudachi's normalised form of a Japanese
    word); ``surface`` is the term as written (NFKC-folded: full-width letters become half-width). English
    yields words and two-word phrases (adjacent words, no stopword between), Chinese jieba words (accurate mode,
    numerals, particles and one-character words dropped), Japanese Sudachi nouns.
    """
    if not text:
        return []
    folded = unicodedata.normalize("NFKC", text)
    lang = detect_lang(folded, lang)
    out: list[tuple[str, str]] = []
    at = 0
    for match in _CJK_RUN.finditer(folded):
        out += _english_terms(folded[at : match.start()])
        run = match.group(0)
        out += _japanese_terms(run) if lang == "ja" or _KANA.search(run) else _chinese_terms(run)
        at = match.end()
    out += _english_terms(folded[at:])
    return out


@dataclass(frozen=True, slots=True)
class Term:
    """A label term of a cluster: ``text`` as written most often in the cluster, its comparison ``key``, the
    ``documents`` of the cluster that use it, and its ``score`` (see :func:`distinctive_terms`)."""

    text: str
    key: str
    documents: int
    score: float


def _display_form(forms: Counter[str]) -> str:
    """The spelling to show: the most frequent one, but lower case whenever the data also writes it so
    (``Baseball`` at the start of titles is ``baseball``); capitals only where the data never lowers them
    (``LSTM``, ``Wi-Fi``); a form in capitals only when no other is written."""
    pool = (
        [f for f in forms if f == f.lower()]  # written in lower case somewhere: a common word
        or [f for f in forms if not f.isupper()]  # else its usual capitalisation (``Bluetooth``, not ``BLUETOOTH``)
        or list(forms)
    )
    return max(pool, key=lambda f: (forms[f], f))


def distinctive_terms(
    docs: Sequence[list[tuple[str, str]]],
    labels: Sequence[int] | np.ndarray,
    *,
    top: int = 8,
    min_documents: int = 2,
) -> dict[int, tuple[Term, ...]]:
    """The ``top`` most distinctive terms of each cluster (a class-based TF-IDF).

    ``docs`` are the :func:`label_terms` of each document, ``labels`` its cluster. For term t and cluster c,
    with p(t|c) the share of c's documents using t and p(t) the share of all documents using it::

        score(t, c) = p(t|c) · log2(p(t|c) / p(t))

    i.e. how common the term is in the cluster times how much more common than in the whole set (the class's
    term frequency times a class-level inverse document frequency). Terms no more common in the cluster than
    overall score ≤ 0 and are never labels; a term must be used by ``min_documents`` documents of the cluster
    (fewer for clusters smaller than four times that). A two-word phrase replaces an already chosen word of it
    when it scores at least 60 % as much (``neural`` → ``neural network``); other overlaps are skipped.
    """
    labels = np.asarray(labels)
    n = len(docs)
    cluster_docs: dict[int, int] = Counter(labels.tolist())
    df: Counter[str] = Counter()
    df_in: dict[int, Counter[str]] = defaultdict(Counter)
    forms: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for terms, c in zip(docs, labels.tolist(), strict=True):
        seen = set()
        for key, surface in terms:
            forms[c][key][surface] += 1
            if key not in seen:
                seen.add(key)
        df.update(seen)
        df_in[c].update(seen)
    out: dict[int, tuple[Term, ...]] = {}
    for c, size in cluster_docs.items():
        least = min_documents if size >= 4 * min_documents else 1
        scored = []
        for key, inside in df_in[c].items():
            if inside < least:
                continue
            p_c = inside / size
            p = df[key] / n
            score = p_c * math.log2(p_c / p)
            if score > 0:
                scored.append((score, inside, key))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
        chosen: list[Term] = []
        for score, inside, key in scored[: 5 * top]:  # a phrase may still replace words once the list is full
            words = set(key.split(" "))
            overlapping = [i for i, t in enumerate(chosen) if words & set(t.key.split(" "))]
            term = Term(_display_form(forms[c][key]), key, inside, score)
            if not overlapping:
                if len(chosen) < top:
                    chosen.append(term)
            elif (
                len(words) > 1
                and all(" " not in chosen[i].key for i in overlapping)
                and score >= 0.6 * max(chosen[i].score for i in overlapping)
            ):  # the phrase takes the place of the first of its words; the others make room
                first = overlapping[0]
                chosen = [term if i == first else t for i, t in enumerate(chosen) if i == first or i not in overlapping]
        out[c] = tuple(chosen)
    return out


def cluster_terms(
    texts: Iterable[tuple[str | None, str | None, str | None, str | None]],
    labels: Sequence[int] | np.ndarray,
    *,
    top: int = 8,
    min_documents: int = 2,
) -> dict[int, tuple[Term, ...]]:
    """Label terms per cluster from ``(title, title_lang, abstract, abstract_lang)`` of each document."""
    docs = [label_terms(t, tl) + label_terms(a, al) for t, tl, a, al in texts]
    return distinctive_terms(docs, labels, top=top, min_documents=min_documents)

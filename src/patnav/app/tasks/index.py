"""Index jobs: bring a corpus's full-text index and vectors up to date after a load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from patnav.app.tasks import task


@task("index")
def build_indexes(ctx: Any) -> dict[str, Any]:
    """``params``: corpus (path), text (bool, default true), vectors (bool, default false), model (e5/minilm)."""
    from patnav.corpus.store import Corpus
    from patnav.search.text_index import TextIndex

    path = Path(ctx.params["corpus"])
    result: dict[str, Any] = {}
    text, vectors = bool(ctx.params.get("text", True)), bool(ctx.params.get("vectors", False))
    share = 0.5 if (text and vectors) else 1.0
    with Corpus(path, create=False, read_only=True) as corpus:
        if text:
            ctx.progress(0.0, "full-text index")
            stats = TextIndex.for_corpus(corpus).update_from_corpus(
                corpus, progress=lambda done, total: ctx.progress(share * done / max(total, 1), "full-text index")
            )
            result["text"] = {
                "added": stats.added,
                "replaced": stats.replaced,
                "deleted": stats.deleted,
                "unchanged": stats.unchanged,
            }
        if vectors:
            from patnav.search.embedder import get_embedder
            from patnav.search.vectors import embed_corpus

            embedder = get_embedder(ctx.params.get("model", "e5"))
            start = 1.0 - share if text else 0.0
            ctx.progress(start, f"embedding ({embedder.name})")
            vstats = embed_corpus(
                corpus,
                embedder,
                progress=lambda d, t: ctx.progress(start + share * d / max(t, 1), f"embedding ({embedder.name})"),
            )
            result["vectors"] = {
                "model": embedder.name,
                "embedded": vstats.embedded,
                "unchanged": vstats.unchanged,
                "removed": vstats.removed,
            }
    return result

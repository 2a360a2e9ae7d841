"""Semantic noise removal on real data: publications about something else, mixed into a neural-network set, are
removed far more often than the set's own members; seeds are never removed; a project with ``denoise`` states
the step and what it removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from patnav.analysis.noise import MIN_CORE, semantic_noise
from patnav.corpus.store import Corpus
from patnav.engine import get_engine
from patnav.navigation.patent_set import build_set
from patnav.navigation.project import Project
from patnav.navigation.sections import methods
from patnav.report.model import Paragraph, Table

AI_WORDS = ("neural", "learning", "intelligen", "recognition", "network", "classif", "predict")


def _sets(corpus: Path) -> tuple[set[str], set[str]]:
    """Neural-network titles (the core), and USPTO weekly grants whose title and abstract use none of the AI
    words (shoes, gloves, napkin holders…: noise for this set). Both read with plain SQL, not with the code
    under test."""
    ai = " OR ".join(f"lower(coalesce(title, '') || ' ' || coalesce(abstract, '')) LIKE '%{w}%'" for w in AI_WORDS)
    with Corpus(corpus, create=False, read_only=True) as c:
        core = {
            r[0]
            for r in c.con.execute(
                "SELECT publication_number FROM publications WHERE lower(title) LIKE '%neural network%'"
            ).fetchall()
        }
        off = {
            r[0]
            for r in c.con.execute(
                f"""SELECT p.publication_number FROM publications p
                    WHERE p.publication_number IN (SELECT publication_number FROM publication_sources
                                                   WHERE reader = 'uspto-xml')
                      AND p.title IS NOT NULL AND NOT ({ai})"""
            ).fetchall()
        }
    return core, off - core


def test_unrelated_publications_are_removed_far_more_often_than_the_sets_own(real_corpus: Path) -> None:
    core, off = _sets(real_corpus)
    assert len(core) > 500 and len(off) > 100
    protected = set(sorted(off)[:3])
    with get_engine("duckdb", real_corpus) as engine:
        noise = semantic_noise(engine, core | off, core, protected=protected, k=3.0)
    removed = {n for n, _sim in noise.removed}
    off_share = len(removed & off) / len(off)
    core_share = len(removed & core) / len(core)
    print(f"\nnoise ({noise.space}): {off_share:.0%} of {len(off)} unrelated removed, {core_share:.1%} of {len(core)}")
    assert off_share >= 0.25 and core_share <= 0.02 and off_share > 10 * core_share
    assert not removed & protected  # seeds stay, however far
    sims = [s for _n, s in noise.removed]
    assert sims == sorted(sims) and all(s < noise.threshold for s in sims)
    assert noise.threshold == pytest.approx(noise.median - 3.0 * 1.4826 * noise.mad)

    with get_engine("duckdb", real_corpus) as engine:
        tight = semantic_noise(engine, core, core, k=3.0)
        with pytest.raises(ValueError, match="at least"):
            semantic_noise(engine, core, sorted(core)[: MIN_CORE - 1])
    assert len(tight.removed) <= 0.02 * len(core)  # a set of one subject loses (almost) nothing


def test_a_project_with_denoise_removes_noise_and_says_so(real_corpus: Path, tmp_path: Path) -> None:
    """Seed patents make the core; a noisy query's hits are measured against them."""
    core, off = _sets(real_corpus)
    hits = sorted(core | off)
    seeds = sorted(core)[::50][:20]
    project = Project(name="nn", type="industry", query='ti:"neural network"', seeds=seeds, denoise=3.0)
    with get_engine("duckdb", real_corpus) as engine:
        plain = build_set(engine, Project(name="nn", type="industry", query="x", seeds=seeds), hits, tmp_path)
        build = build_set(engine, project, hits, tmp_path)
    assert build.noise is not None and build.noise_note is None
    removed = {n for n, _sim in build.noise.removed}
    assert set(plain.patent_set.numbers or ()) - set(build.patent_set.numbers or ()) == removed
    assert build.steps[-1] == ("noise", len(hits) - len(removed))
    assert build.noise.core_size == len(seeds) and not removed & set(seeds)
    print(
        f"\nproject: {len(removed & off)} of {len(off)} unrelated and {len(removed & core)} of {len(core)} own removed"
    )
    off_share, own_share = len(removed & off) / len(off), len(removed & core) / len(core)
    assert off_share >= 0.25 and off_share > 4 * own_share

    section = methods(project, build, {}, "zh_CN")  # the report's data-and-methods section says what went
    steps = next(
        b for b in section.blocks if isinstance(b, Table) and b.rows and b.rows[-1][1] == len(hits) - len(removed)
    )
    assert steps.rows[-1][0] == "去除语义噪声"
    listed = next(b for b in section.blocks if isinstance(b, Table) and len(b.rows) == len(removed))
    assert {r[0] for r in listed.rows} == removed
    assert any(isinstance(b, Paragraph) and f"去除了 {len(removed)} 件" in b.text for b in section.blocks)

"""Citation analysis: answers worked by hand on a hand-written corpus, properties on real data, DuckDB == Spark."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import vl_convert as vlc

from patnav.analysis.citations import (
    VEGA_LITE_SCHEMA,
    CitationEdge,
    FamilyNode,
    MapEdge,
    SpcEdge,
    citation_graph,
    citation_map,
    citation_map_spec,
    citation_network,
    core_patents,
    layered_layout,
    main_path,
    main_path_spec,
    pagerank,
)
from patnav.analysis.patent_set import PatentSet
from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.indicators.sql import links
from patnav.model.numbers import parse_publication_number
from patnav.model.records import Citation, LocalizedText, Party, Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _pub(number: str, family: str, prio: int, cites: list[str], *, published: dt.date | None = None) -> Publication:
    parsed = parse_publication_number(number)
    return Publication(
        number,
        parsed.country,
        parsed.number,
        parsed.kind,
        family_id=family,
        priority_date=dt.date(prio, 6, 1),
        publication_date=published or dt.date(prio + 1, 6, 1),
        titles=[LocalizedText("en", f"Invention {family}")],
        parties=[
            Party("assignee", "Zeta Holdings", sequence=0),  # an assignee does not count beside an applicant
            Party("applicant", f"{family} Labs Inc.", kind="company", sequence=1),
            Party("inventor", "Ann Lee", sequence=2),
        ],
        citations=[Citation(False, cited_number=c, sequence=i) for i, c in enumerate(cites)]
        + [Citation(True, npl_text="A paper nobody can resolve", sequence=len(cites))],
    )


def _hand_written() -> list[Publication]:
    """Not real patents: 13 publications in 11 families (family ids A…H, X, Y, Z), citations chosen so that
    every figure below can be worked by hand.

    ======  =============================  ====  ==================================================
    family  publications                   prio  cites (as written)
    ======  =============================  ====  ==================================================
    A       US5000001A                     2000  US4000000A (not loaded), an NPL
    B       US5000002A                     2001  US5000001A
    C       US5000003A                     2003  US5000001 (no kind → A), US5000002A
    D       US5000004A                     2004  US5000003A
    E       US5000005A                     2005  US5000003A, US5000001B1 (wrong kind → A)
    F       US5000006A1 (pub. 2007),       2006  A1: US5000004A, US5000005A; B2: US5000004A
            US5000006B2 (pub. 2008)
    G       US5000007A                     2007  US5000004A
    H       US5000008A                     2008  US5000006 (no kind → the earliest, A1), US5000005A
    X       US5000009A, EP1000010A1        2009  EP: US5000011A (Y) and US5000009A (its own family)
    Y       US5000011A                     2009  US5000009A (X)
    Z       US5000012A                     2010  US5000008A (H) — Z is left out of the set ``SET``
    ======  =============================  ====  ==================================================

    The set (all but Z): 12 documents, 10 families, 15 publication pairs, one of them inside family X, so 13
    family edges (citing → cited): B→A, C→A, C→B, D→C, E→A, E→C, F→D (2 pairs), F→E, G→D, H→E, H→F, X→Y, Y→X.

    Main path. X→Y and Y→X close a cycle; in time order X (2009, key X) comes before Y (2009, key Y), so the
    citation "X cites Y" is dropped and "Y cites X" kept. Knowledge flows cited → citing:
    A→B, A→C, B→C, A→E, C→D, C→E, D→F, E→F, D→G, E→H, F→H, and X→Y. Sources (citing nothing): A, X; sinks
    (cited by nothing): G, H, Y.

    * N⁻ (paths from a source): A 1, B 1, C 2, D 2, E 3, F 5, G 2, H 8; X 1, Y 1.
    * N⁺ (paths to a sink): H 1, G 1, F 1, E 2, D 2, C 4, B 4, A 10; Y 1, X 1.
    * total source-to-sink paths: N⁺(A) + N⁺(X) = 11 (= N⁻(G) + N⁻(H) + N⁻(Y)).
    * SPC(u→v) = N⁻(u)·N⁺(v): A→B 4, A→C 4, B→C 4, C→D 4, C→E 4, A→E 2, D→F 2, E→F 3, D→G 2, E→H 3, F→H 5,
      X→Y 1. Flow is conserved at every inner node (C: in 4+4, out 4+4; E: in 4+2, out 3+3; F: in 2+3, out 5).
    * Global main path: A→B→C→E→F→H, SPC 4+4+4+3+5 = 20 (A→B→C→D→F→H makes 19, A→C→E→F→H 16).
    * Key-route, k = 1: the top edge F→H (5); backward from F the best predecessor edge is E→F (3 > 2), then
      C→E (4 > 2), then A→C and B→C tie at 4 (both kept), then A→B. Forward from H: nothing (a sink).
      Six edges: A→B, A→C, B→C, C→E, E→F, F→H.
    * Key-route, k = 2: the second edge has SPC 4 and ties with four others, so F→H and all five 4-edges are
      key routes; forward local search from C takes C→D and C→E (tie), from D both D→F and D→G (tie 2), from E
      both E→F and E→H (tie 3): every edge of the main component but A→E (10 edges); X→Y is not reached.

    Core patents. In-degree: A 3; C, D, E 2; B, F, X, Y 1; G, H 0. PageRank (citing → cited, the X→Y citation
    dropped as above, damping 0.85) orders A > C > B > D > E > X > F > G = H = Y: A collects from B, C and E; B
    is cited only by C, but C is well cited and gives B half of its weight. Competition ranks (in-degree,
    PageRank) and their sums: A (1, 1) 2, C (2, 2) 4, D (2, 4) 6, E (2, 5) 7, B (5, 3) 8, X (5, 6) 11,
    F (5, 7) 12, Y (5, 8) 13 — the core order A, C, D, E, B, X, F, Y.

    Citation map of US5000003A (C), two generations: back −1 A and B, −2 the unloaded US4000000A; forward +1
    D and E, +2 US5000006A1, US5000006B2, US5000007A, US5000008A; 13 edges, E→A among them (found among the
    nodes, not by expansion).
    """
    return [
        _pub("US5000001A", "A", 2000, ["US4000000A"]),
        _pub("US5000002A", "B", 2001, ["US5000001A"]),
        _pub("US5000003A", "C", 2003, ["US5000001", "US5000002A"]),
        _pub("US5000004A", "D", 2004, ["US5000003A"]),
        _pub("US5000005A", "E", 2005, ["US5000003A", "US5000001B1"]),
        _pub("US5000006A1", "F", 2006, ["US5000004A", "US5000005A"], published=dt.date(2007, 1, 1)),
        _pub("US5000006B2", "F", 2006, ["US5000004A"], published=dt.date(2008, 1, 1)),
        _pub("US5000007A", "G", 2007, ["US5000004A"]),
        _pub("US5000008A", "H", 2008, ["US5000006", "US5000005A"]),
        _pub("US5000009A", "X", 2009, []),
        _pub("EP1000010A1", "X", 2009, ["US5000011A", "US5000009A"]),
        _pub("US5000011A", "Y", 2009, ["US5000009A"]),
        _pub("US5000012A", "Z", 2010, ["US5000008A"]),
    ]


SET = PatentSet.of([p.publication_number for p in _hand_written() if p.family_id != "Z"], label="A to Y")


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("citations") / "corpus"
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(_hand_written())], prov)
        corpus.export_parquet()
    return path


@pytest.fixture(scope="module")
def hand_engine(hand_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", hand_corpus) as eng:
        yield eng


def _e(citing: str, cited: str, n: int = 1) -> CitationEdge:
    return CitationEdge(citing, cited, n)


FAMILY_EDGES = (
    _e("B", "A"),
    _e("C", "A"),
    _e("C", "B"),
    _e("D", "C"),
    _e("E", "A"),
    _e("E", "C"),
    _e("F", "D", 2),
    _e("F", "E"),
    _e("G", "D"),
    _e("H", "E"),
    _e("H", "F"),
    _e("X", "Y"),
    _e("Y", "X"),
)

SPC = {
    ("A", "B"): 4,
    ("A", "C"): 4,
    ("B", "C"): 4,
    ("C", "D"): 4,
    ("C", "E"): 4,
    ("A", "E"): 2,
    ("D", "F"): 2,
    ("E", "F"): 3,
    ("D", "G"): 2,
    ("E", "H"): 3,
    ("F", "H"): 5,
    ("X", "Y"): 1,
}


def test_family_collapsed_graph(hand_engine: Engine) -> None:
    graph = citation_graph(hand_engine, SET)
    assert (graph.documents, graph.families, graph.links, graph.self_family_links) == (12, 10, 15, 1)
    assert graph.edges == FAMILY_EDGES
    assert [n.family for n in graph.nodes] == list("ABCDEFGHXY")
    # the representative is the earliest publication; the applicant wins over the assignee named before it
    assert graph.node("F") == FamilyNode("F", "US5000006A1", "Invention F", "F LABS", 2006, 2)
    # X's two members were published the same day: the number decides
    assert graph.node("X") == FamilyNode("X", "EP1000010A1", "Invention X", "X LABS", 2009, 2)
    whole = citation_graph(hand_engine)  # Z joins: Z cites H
    assert (whole.documents, whole.families, whole.links) == (13, 11, 16)
    assert set(whole.edges) - set(graph.edges) == {_e("Z", "H")}


def test_resolution_matches_indicator_links(hand_engine: Engine) -> None:
    """The graph resolves cited numbers exactly as the indicators' citation links do."""
    table = hand_engine.query(links(["X", "Y"]))
    fam = dict(hand_engine.rows("SELECT publication_number, coalesce(family_id, publication_number) FROM publications"))
    pairs = set(zip(table.column("citing").to_pylist(), table.column("cited").to_pylist(), strict=True))
    whole = citation_graph(hand_engine)
    assert whole.links == len(pairs) == 16
    expected = {(fam[a], fam[b]) for a, b in pairs if fam[a] != fam[b]}
    assert {(e.citing, e.cited) for e in whole.edges} == expected


def _pagerank_by_hand(nodes: list[str], edges: list[tuple[str, str]], damping: float = 0.85) -> dict[str, float]:
    """PageRank solved as a linear system (dangling nodes spread their weight evenly), independent of networkx."""
    n = len(nodes)
    index = {v: i for i, v in enumerate(nodes)}
    out = {v: [b for a, b in edges if a == v] for v in nodes}
    m = np.zeros((n, n))
    for v, targets in out.items():
        for t in targets:
            m[index[t], index[v]] = 1 / len(targets)
        if not targets:
            m[:, index[v]] = 1 / n
    x = np.linalg.solve(np.eye(n) - damping * m, np.full(n, (1 - damping) / n))
    return {v: float(x[index[v]]) for v in nodes}


def test_core_patents(hand_engine: Engine) -> None:
    graph = citation_graph(hand_engine, SET)
    core = core_patents(graph, top=10)
    assert [c.family for c in core] == ["A", "C", "D", "E", "B", "X", "F", "Y"]
    assert [(c.in_degree, c.in_degree_rank, c.pagerank_rank) for c in core] == [
        (3, 1, 1),
        (2, 2, 2),
        (2, 2, 4),
        (2, 2, 5),
        (1, 5, 3),
        (1, 5, 6),
        (1, 5, 7),
        (1, 5, 8),
    ]
    assert [c.rank for c in core] == list(range(1, 9))
    d = core[2]
    assert (d.representative, d.citing_links, d.out_degree, d.year) == ("US5000004A", 3, 1, 2004)
    acyclic = [(e.citing, e.cited) for e in graph.edges if (e.citing, e.cited) != ("X", "Y")]
    expected = _pagerank_by_hand([n.family for n in graph.nodes], acyclic)
    assert pagerank(graph) == pytest.approx(expected, abs=1e-9)
    assert sum(pagerank(graph).values()) == pytest.approx(1.0)
    assert [c.family for c in core_patents(graph, top=3)] == ["A", "C", "D"]
    assert [c.family for c in core_patents(graph, min_in_degree=2)] == ["A", "C", "D", "E"]
    assert core_patents(citation_graph(hand_engine, PatentSet.of(["US5000001A"]))) == ()
    with pytest.raises(ValueError):
        core_patents(graph, damping=1.0)


def test_main_path(hand_engine: Engine) -> None:
    graph = citation_graph(hand_engine, SET)
    mp = main_path(graph)
    assert {(e.cited, e.citing): e.spc for e in mp.edges} == SPC
    assert [e.spc for e in mp.edges] == sorted(SPC.values(), reverse=True)
    assert mp.dropped == (_e("X", "Y"),)
    assert (mp.sources, mp.sinks, mp.total_paths) == (2, 3, 11)
    assert mp.global_path == ("A", "B", "C", "E", "F", "H")
    assert mp.global_spc == 20
    assert [e.spc for e in mp.global_edges] == [4, 4, 4, 3, 5]
    k1 = {(e.cited, e.citing) for e in mp.key_route_edges}
    assert k1 == {("A", "B"), ("A", "C"), ("B", "C"), ("C", "E"), ("E", "F"), ("F", "H")}
    assert mp.key_route_families == ("A", "B", "C", "E", "F", "H")
    k2 = {(e.cited, e.citing) for e in main_path(graph, key_routes=2).key_route_edges}
    assert k2 == set(SPC) - {("A", "E"), ("X", "Y")}
    assert main_path(graph, key_routes=100).key_route_edges == mp.edges
    assert SpcEdge("F", "H", 5) == mp.edges[0]
    with pytest.raises(ValueError):
        main_path(graph, key_routes=0)


def test_citation_map(hand_engine: Engine) -> None:
    cmap = citation_map(hand_engine, "US5000003A", generations=2)
    by_generation = {g: [n.publication_number for n in cmap.generation(g)] for g in range(-2, 3)}
    assert by_generation == {
        -2: ["US4000000A"],
        -1: ["US5000001A", "US5000002A"],
        0: ["US5000003A"],
        1: ["US5000004A", "US5000005A"],
        2: ["US5000006A1", "US5000006B2", "US5000007A", "US5000008A"],  # by year, then number
    }
    assert [n.loaded for n in cmap.generation(-2)] == [False]
    assert cmap.generation(-2)[0].title is None
    assert cmap.generation(0)[0].applicant == "C LABS" and cmap.generation(0)[0].year == 2003
    assert cmap.generation(0)[0].date == dt.date(2004, 6, 1) and cmap.generation(-2)[0].date is None
    assert (cmap.generations, cmap.back, cmap.forward) == (2, 2, 2)
    assert len(cmap.edges) == 13
    assert MapEdge("US5000005A", "US5000001A") in cmap.edges  # E cites A: both on the map
    assert MapEdge("US5000008A", "US5000006A1") in cmap.edges  # "US5000006" resolves to the earliest
    assert (cmap.capped, cmap.notes) == (False, ())

    capped = citation_map(hand_engine, "US5000003A", generations=2, max_nodes=6)
    assert (capped.capped, capped.capped_generation, capped.left_out, capped.notes) == (True, 2, 4, ("capped",))
    assert len(capped.nodes) == 6 and capped.generation(-2)[0].publication_number == "US4000000A"

    loaded_only = citation_map(hand_engine, "US5000003A", generations=2, include_unloaded=False)
    assert all(n.loaded for n in loaded_only.nodes) and len(loaded_only.nodes) == 9

    # generations each way: one back and two forward, none back and one forward
    lopsided = citation_map(hand_engine, "US5000003A", back=1, forward=2)
    assert {n.generation for n in lopsided.nodes} == {-1, 0, 1, 2}
    assert [n.publication_number for n in lopsided.generation(2)] == by_generation[2]
    assert (lopsided.generations, lopsided.back, lopsided.forward) == (2, 1, 2)
    ahead = citation_map(hand_engine, "US5000003A", back=0, forward=1)
    assert [(n.publication_number, n.generation) for n in ahead.nodes] == [
        ("US5000003A", 0), ("US5000004A", 1), ("US5000005A", 1),
    ]  # fmt: skip
    assert set(ahead.edges) == {MapEdge("US5000004A", "US5000003A"), MapEdge("US5000005A", "US5000003A")}
    with pytest.raises(ValueError):
        citation_map(hand_engine, "US5000003A", back=-1)

    # the whole corpus, not a set: Z (left out of SET) cites H; the root is found without its kind code
    h = citation_map(hand_engine, "US 5,000,006 B1", generations=1)
    assert (h.root, h.notes) == ("US5000006A1", ("root_without_kind",))
    assert [n.publication_number for n in h.generation(1)] == ["US5000008A"]
    assert citation_map(hand_engine, "US5000008A", generations=1).generation(1)[0].publication_number == "US5000012A"
    assert citation_map(hand_engine, "US5000003A", generations=0).nodes[0].generation == 0
    with pytest.raises(LookupError):
        citation_map(hand_engine, "US9999999B2")


def test_vega_lite_specs_render(hand_engine: Engine) -> None:
    network = citation_network(hand_engine, SET)
    spec = main_path_spec(network.graph, network.main_path, labels={"year": "Priority year"})
    assert spec["$schema"] == VEGA_LITE_SCHEMA
    edges, nodes, _ = (layer["data"]["values"] for layer in spec["layer"])
    assert [n["family"] for n in nodes] == ["A", "B", "C", "E", "F", "H"]
    assert [n["x"] for n in nodes] == [2000, 2001, 2003, 2005, 2006, 2008]  # year on x
    assert {e["spc"] for e in edges} == {3, 4, 5}
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Priority year"
    assert "<svg" in vlc.vegalite_to_svg(spec)
    assert "<svg" in vlc.vegalite_to_svg(main_path_spec(network.graph, network.main_path, route="global"))
    cmap = citation_map(hand_engine, "US5000003A", generations=2)
    map_spec = citation_map_spec(cmap)
    map_nodes = map_spec["layer"][1]["data"]["values"]
    assert {n["x"] for n in map_nodes} == {-2, -1, 0, 1, 2}
    assert {n["direction"] for n in map_nodes} == {"not_loaded", "back", "root", "forward"}
    assert "<svg" in vlc.vegalite_to_svg(map_spec)
    assert layered_layout([("b", 1), ("a", 1), ("c", 2)]) == {"a": (1.0, -0.5), "b": (1.0, 0.5), "c": (2.0, 0.0)}
    assert citation_map_spec(cmap) == map_spec  # deterministic


# -- real data ------------------------------------------------------------------------------------------------

#: a 2010 US grant from the USPTO full-text XML with examiner and applicant citations; one of its citations
#: (US6213934B1) is a loaded PatentsView grant written without kind code (US6213934)
REAL_GRANT = "US7783348B2"


@pytest.fixture(scope="module")
def real_engine(real_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", real_corpus) as eng:
        yield eng


def test_real_core_patents_and_main_path(real_engine: Engine) -> None:
    network = citation_network(real_engine, top=10)
    graph, core, mp = network.graph, network.core, network.main_path
    assert graph.edges and core
    citing_of = {(e.citing, e.cited) for e in graph.edges}
    for c in core:  # a core patent is cited by another family of the set
        assert any(cited == c.family and citing != c.family for citing, cited in citing_of)
        assert c.in_degree >= 1 and c.representative and c.title
    assert [c.rank for c in core] == list(range(1, len(core) + 1))
    table = real_engine.query(links(["X", "Y"]))
    assert graph.links == table.num_rows  # the same resolution as the indicators
    assert len(mp.edges) + len(mp.dropped) == len(graph.edges)
    assert len(mp.global_path) >= 2 and mp.global_spc >= 1
    # along the global path every family cites the one before it
    for older, newer in zip(mp.global_path, mp.global_path[1:], strict=False):
        assert (newer, older) in citing_of
    assert "<svg" in vlc.vegalite_to_svg(main_path_spec(graph, mp))


def test_real_citation_map_of_a_us_grant(real_engine: Engine) -> None:
    cited = real_engine.rows(
        "SELECT DISTINCT cited_number, origin FROM citations WHERE publication_number = :n AND NOT is_npl",
        {"n": REAL_GRANT},
    )
    assert {o for _, o in cited} >= {"examiner"}
    cmap = citation_map(real_engine, REAL_GRANT, generations=2)
    back = {e.cited for e in cmap.edges if e.citing == REAL_GRANT}
    numbers = {n for n, _ in cited}
    # every loaded citation is a generation −1 edge: by its exact number, or resolved without its kind code
    assert "US6213934" in back and "US6213934B1" not in back
    assert back == (numbers - {"US6213934B1"}) | {"US6213934"}
    assert {n.publication_number for n in cmap.generation(-1)} == back
    loaded = [n for n in cmap.generation(-1) if n.loaded]
    assert [n.publication_number for n in loaded] == ["US6213934"]
    assert loaded[0].title and "bone" in loaded[0].title.lower()
    # forward from the cited grant: it is cited by the root
    forward = citation_map(real_engine, "US6213934", generations=2)
    assert [n.publication_number for n in forward.generation(1)] == [REAL_GRANT]
    assert "<svg" in vlc.vegalite_to_svg(citation_map_spec(cmap))


@pytest.mark.spark
def test_spark_matches_duckdb(
    spark_session: Any, real_corpus: Path, real_engine: Engine, hand_corpus: Path, hand_engine: Engine
) -> None:
    """The hand-written map covers every query of a citation map; the real corpus every query of a network."""
    expected_hand = (citation_network(hand_engine, SET), citation_map(hand_engine, "US5000003A", generations=2))
    expected_real = citation_network(real_engine, top=50)
    started = time.perf_counter()
    with get_engine("spark", hand_corpus) as spark:
        assert (citation_network(spark, SET), citation_map(spark, "US5000003A", generations=2)) == expected_hand
    with get_engine("spark", real_corpus) as spark:
        assert citation_network(spark, top=50) == expected_real
    print(f"spark: citation networks and maps in {time.perf_counter() - started:.1f}s")

"""Citation analysis (GB/T 39551 R&D and enterprise navigation): core patents, main paths, citation maps.

``citation_network(engine, patent_set)`` answers "which inventions does this field build on, and along which
line did the technology develop?"; ``citation_map(engine, number)`` draws one patent's ancestry and descendants.

The citation graph of a set
    Nodes are *families* (``coalesce(family_id, publication_number)``: a publication of unknown family is its
    own family), because one invention filed in five offices is one invention, and its members cite and are
    cited under different numbers. There is an edge from family A to family B when a publication of A in the
    set cites a publication of B in the set; parallel edges are merged (``links`` counts the publication pairs
    behind one edge) and a family citing itself (a continuation citing its parent) is dropped and counted.
    A cited number is resolved to a loaded publication by the rule of :mod:`patnav.indicators.sql`: its exact
    key, else the same country + number without the kind code (the earliest such publication). The resolution
    looks at the whole corpus; the graph keeps the pairs whose both ends are in the set.

Core patents
    Per family: its in-degree (families of the set citing it) and its PageRank on the graph with edges from
    citing to cited (Brin & Page 1998; networkx, damping 0.85; cycles broken as for the main path, below), so a
    family cited by well-cited families ranks above one cited as often by leaves. The two ranks (competition
    ranking: 1 + the number of families strictly better) are added; the smaller sum ranks first, then the
    larger in-degree, the larger PageRank, the key. Only families cited by at least ``min_in_degree`` families
    of the set are ranked.

Main path (Hummon & Doreian 1989; Batagelj 2003; Liu & Lu 2012)
    The graph is read in the direction knowledge flows, from the cited (older) family to the citing one. Citation
    graphs are acyclic in principle; collapsing families or a data error can close a cycle, so inside each
    strongly connected component the families are put in time order (year, then key) and only the edges from
    an earlier to a later family are kept (the others are returned in ``dropped``), which leaves a DAG. Main
    path analysis itself goes back to Hummon, N.P. & Doreian, P. 1989, "Connectivity in a citation network: the
    development of DNA theory", Social Networks 11(1), 39–63; Verspagen 2007 (Advances in Complex Systems
    10(1), 93–115) applied it to patent citations.

    * Search path count (SPC, Batagelj 2003, "Efficient algorithms for citation network analysis",
      arXiv:cs/0309023): the number of source-to-sink paths through an edge, ``SPC(u→v) = N⁻(u) · N⁺(v)``,
      where ``N⁻(u)`` counts the paths from any source (a family citing nothing in the set) to ``u`` (1 for a
      source) and ``N⁺(v)`` the paths from ``v`` to any sink (a family nobody in the set cites; 1 for a sink).
      Counts are exact Python integers.
    * Global main path (Liu & Lu 2012): the source-to-sink path with the largest sum of SPC; among equal sums,
      the path whose sequence of family keys comes first.
    * Key-route main path (Liu, J.S. & Lu, L.Y.Y. 2012, "An integrated approach for main path analysis:
      Development of the Hirsch index as an example", JASIST 63(3), 528–542): the ``key_routes`` edges of
      highest SPC (every edge tied with the last one too) are kept, and each is extended by local search
      forward from its citing end (to the successor edge of highest SPC, all ties kept) until a sink, and
      backward from its cited end (to the predecessor edge of highest SPC, all ties kept) until a source.

Citation map of one patent
    Generations back (what it cites, what those cite, …) and forward (who cites it, who cites those, …), over
    the whole corpus, at the publication level, as many generations each way as asked (``back``, ``forward``).
    Generation numbers are signed: ``-1`` cited by the patent, ``+1`` citing it, ``0`` the patent. A node is
    placed at the first generation it is found in; the map stops growing at ``max_nodes`` (``capped``, with the
    generation and how many nodes were left out). Cited numbers not loaded in the corpus appear as leaves
    (``loaded`` false) when ``include_unloaded``.

Every function returns plain frozen dataclasses; :func:`main_path_spec` and :func:`citation_map_spec` turn them
into Vega-Lite v5 specifications with a layout computed here (deterministic: the same data draws the same
picture on every engine), drawn by the node-link spec every network of the package shares
(:func:`patnav.analysis.networks.node_link_spec`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import pyarrow as pa

from patnav.analysis._sql import with_set
from patnav.analysis._tables import register_keys, register_table
from patnav.analysis.networks import VEGA_LITE_SCHEMA as VEGA_LITE_SCHEMA  # re-exported: specs name their schema
from patnav.analysis.networks import node_link_spec
from patnav.analysis.patent_set import PatentSet, register_patent_set
from patnav.engine.base import Engine
from patnav.indicators.sql import KIND_SUFFIX
from patnav.model.numbers import PatentNumberError, normalize_publication_number

# -- SQL --------------------------------------------------------------------------------------------------------


def resolution_ctes(cited_body: str) -> list[tuple[str, str]]:
    """CTEs that resolve cited numbers to loaded publications: ``resolved(cited_number, target)``.

    ``cited_body`` selects the distinct ``cited_number`` values to resolve (a CTE named ``cited``). The rule is the
    one of :mod:`patnav.indicators.sql` (``_LINKS``): the exact key, else the publication with the same country +
    number once the kind code is stripped, the earliest by publication date (then by number) when several match.
    Written as one ranking over both kinds of candidate (exact ones first) rather than "exact, else the rest":
    the same answer, without the anti-join Spark runs slowly.
    """
    return [
        ("cited", cited_body),
        (
            "cand",
            f"""SELECT c.cited_number, p.publication_number AS target, 0 AS inexact, p.publication_date
            FROM cited c JOIN publications p ON p.publication_number = c.cited_number
            UNION ALL
            SELECT c.cited_number, p.publication_number AS target, 1 AS inexact, p.publication_date
            FROM cited c JOIN publications p
              ON p.country || p.doc_number = regexp_replace(c.cited_number, '{KIND_SUFFIX}', '')""",
        ),
        (
            "resolved",
            """SELECT cited_number, target FROM (
              SELECT cited_number, target,
                     row_number() OVER (PARTITION BY cited_number
                                        ORDER BY inexact, publication_date NULLS LAST, target) AS rn
              FROM cand) r
            WHERE rn = 1""",
        ),
    ]


#: the first-named applicant of each publication in ``reps`` (harmonised name; assignees only when the
#: publication names no applicant, as in :data:`patnav.analysis._sql.APPLICANTS_CTE`)
_FIRST_APPLICANT = """
    SELECT publication_number, name FROM (
      SELECT publication_number, name,
             row_number() OVER (
               PARTITION BY publication_number
               ORDER BY CASE WHEN role = 'applicant' THEN 0 ELSE 1 END, sequence NULLS LAST, name) AS rn
      FROM (SELECT publication_number, role, sequence,
                   coalesce(nullif(trim(name_harmonized), ''), nullif(trim(name), '')) AS name
            FROM parties
            WHERE role IN ('applicant', 'assignee')
              AND publication_number IN (SELECT publication_number FROM reps)) n
      WHERE name IS NOT NULL) x
    WHERE rn = 1"""

#: the year a node is drawn at: earliest priority, else filing, else publication year
_YEAR = "coalesce(p.priority_year, p.filing_year, p.publication_year)"


def _ctes(*parts: tuple[str, str]) -> str:
    return "WITH " + ",\n     ".join(f"{name} AS ({body})" for name, body in parts)


# -- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FamilyNode:
    """A family of the set that takes part in at least one citation edge.

    ``representative``: its earliest publication in the set (by publication date, then number), whose
    ``title`` and first-named ``applicant`` (harmonised) describe it; ``year``: the family's earliest priority
    year (else filing, else publication year) over its members in the set; ``documents``: its members in the set.
    """

    family: str
    representative: str
    title: str | None
    applicant: str | None
    year: int | None
    documents: int


@dataclass(frozen=True, slots=True)
class CitationEdge:
    """Family ``citing`` cites family ``cited``; ``links`` publication pairs of the set stand behind it."""

    citing: str
    cited: str
    links: int


@dataclass(frozen=True, slots=True)
class CitationGraph:
    """The family-collapsed citation graph of a set.

    ``documents``/``families`` of the set; ``links``: distinct (citing, cited) publication pairs inside the set,
    of which ``self_family_links`` join two members of one family (dropped from the graph). ``nodes`` are the
    families with at least one edge, by key; ``edges`` by (citing, cited).
    """

    documents: int
    families: int
    links: int
    self_family_links: int
    nodes: tuple[FamilyNode, ...]
    edges: tuple[CitationEdge, ...]

    def node(self, family: str) -> FamilyNode:
        """The node of ``family`` (raises ``KeyError``)."""
        for n in self.nodes:
            if n.family == family:
                return n
        raise KeyError(family)


@dataclass(frozen=True, slots=True)
class CorePatent:
    """A family ranked by how the set cites it (see the module docstring).

    ``in_degree``: families of the set citing it; ``citing_links``: publication pairs behind those citations;
    ``out_degree``: families of the set it cites; ``pagerank`` its score (the scores of all nodes add up to 1);
    ``in_degree_rank``/``pagerank_rank``: competition ranks among the families considered; ``rank``: the
    combined position (1 = most central).
    """

    rank: int
    family: str
    representative: str
    title: str | None
    applicant: str | None
    year: int | None
    in_degree: int
    citing_links: int
    out_degree: int
    pagerank: float
    in_degree_rank: int
    pagerank_rank: int


@dataclass(frozen=True, slots=True)
class SpcEdge:
    """An edge in the direction knowledge flows: from the ``cited`` (older) family to the ``citing`` one, with
    its search path count."""

    cited: str
    citing: str
    spc: int


@dataclass(frozen=True, slots=True)
class MainPath:
    """The main-path analysis of a citation graph (see the module docstring for the method).

    ``edges``: every edge of the acyclic graph with its SPC (SPC descending, then keys); ``dropped``: edges
    removed to break cycles; ``sources``/``sinks``: families citing nothing / cited by nothing (among families
    with an edge); ``total_paths``: source-to-sink paths. ``global_path``: families from the oldest to the
    newest, ``global_spc`` the sum of SPC along it. ``key_routes``: how many top edges were asked for;
    ``key_route_edges``: the edges of the key-route main path (SPC descending, then keys).
    """

    edges: tuple[SpcEdge, ...]
    dropped: tuple[CitationEdge, ...]
    sources: int
    sinks: int
    total_paths: int
    global_path: tuple[str, ...]
    global_spc: int
    key_routes: int
    key_route_edges: tuple[SpcEdge, ...]

    @property
    def global_edges(self) -> tuple[SpcEdge, ...]:
        """The edges along the global main path, oldest first."""
        spc = {(e.cited, e.citing): e for e in self.edges}
        return tuple(spc[(a, b)] for a, b in zip(self.global_path, self.global_path[1:], strict=False))

    @property
    def key_route_families(self) -> tuple[str, ...]:
        """The families on the key-route main path, by key."""
        return tuple(sorted({f for e in self.key_route_edges for f in (e.cited, e.citing)}))


@dataclass(frozen=True, slots=True)
class CitationNetwork:
    """A set's citation graph, its core patents (best first) and its main paths."""

    graph: CitationGraph
    core: tuple[CorePatent, ...]
    main_path: MainPath


@dataclass(frozen=True, slots=True)
class MapNode:
    """A publication in a citation map.

    ``generation``: 0 for the patent itself, ``-k`` for the k-th generation back (cited), ``+k`` forward
    (citing). ``loaded``: whether the corpus holds it (an unloaded cited number is a leaf: what it cites is
    unknown); ``family``, ``title``, first-named ``applicant``, ``year`` (earliest priority, else filing, else
    publication year) and publication ``date`` are ``None`` for an unloaded node.
    """

    publication_number: str
    generation: int
    loaded: bool
    family: str | None
    title: str | None
    applicant: str | None
    year: int | None
    date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class MapEdge:
    """Publication ``citing`` cites ``cited`` (both nodes of the map)."""

    citing: str
    cited: str


@dataclass(frozen=True, slots=True)
class CitationMap:
    """The citation map of ``root``: ``back`` generations of what it cites and ``forward`` generations of what
    cites it (``generations`` is the larger of the two).

    ``nodes`` are ordered by generation, then year (unknown last), then number; ``edges`` by (citing, cited) and
    include every citation among loaded nodes. ``capped``: the map reached ``max_nodes`` at
    ``capped_generation`` and ``left_out`` nodes of that generation were not added (nor anything beyond it).
    ``notes`` are codes: ``capped``; ``root_without_kind`` (the number asked for was matched by country + number).
    """

    root: str
    generations: int
    back: int
    forward: int
    max_nodes: int
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]
    capped: bool
    capped_generation: int | None
    left_out: int
    notes: tuple[str, ...]

    def generation(self, g: int) -> tuple[MapNode, ...]:
        """The nodes of generation ``g``."""
        return tuple(n for n in self.nodes if n.generation == g)


# -- the graph --------------------------------------------------------------------------------------------------


def _graph_rows(engine: Engine, table: str) -> tuple[int, int, list[tuple[str, str, int]]]:
    """The set's documents and families, and rows ``(citing family, cited family, publication pairs)``,
    self-family pairs included: one round trip, the totals riding along as rows of their own (``what``).

    The family nodes are a second query (:func:`_family_nodes`): Spark does not materialise a CTE used twice,
    so asking for them here would resolve the citations once per use.
    """
    sql = with_set(
        table,
        *resolution_ctes(
            "SELECT DISTINCT cited_number FROM citations WHERE NOT is_npl AND cited_number IS NOT NULL"
            " AND publication_number IN (SELECT publication_number FROM pubs)"
        ),
        (
            "pairs",
            """SELECT DISTINCT c.publication_number AS citing, r.target AS cited
            FROM citations c JOIN resolved r ON r.cited_number = c.cited_number
            WHERE NOT c.is_npl AND c.publication_number IN (SELECT publication_number FROM pubs)
              AND c.publication_number <> r.target""",
        ),
    )
    none = "CAST(NULL AS STRING)"
    rows = engine.rows(
        sql
        + f"""
        SELECT 'pair' AS what, a.fam AS citing, b.fam AS cited, count(*) AS n
        FROM pairs x JOIN pubs a ON a.publication_number = x.citing JOIN pubs b ON b.publication_number = x.cited
        GROUP BY a.fam, b.fam
        UNION ALL
        SELECT 'documents' AS what, {none}, {none}, count(*) FROM pubs
        UNION ALL
        SELECT 'families' AS what, {none}, {none}, count(DISTINCT fam) FROM pubs"""
    )
    totals = {str(w): int(n) for w, _, _, n in rows if w != "pair"}
    pairs = sorted((str(x), str(y), int(n)) for w, x, y, n in rows if w == "pair")
    return totals["documents"], totals["families"], pairs


def _family_nodes(engine: Engine, table: str, families: list[str]) -> dict[str, FamilyNode]:
    """The :class:`FamilyNode` of each of ``families`` (keys of families of the set)."""
    if not families:
        return {}
    keys = register_keys(engine, "citation_families", families)
    sql = with_set(
        table,
        (
            "m",
            f"""SELECT p.fam, p.publication_number, q.title, q.publication_date, {_YEAR} AS yr
            FROM pubs p JOIN publications q ON q.publication_number = p.publication_number
            WHERE p.fam IN (SELECT key FROM {keys})""",
        ),
        (
            "r",
            """SELECT fam, publication_number, title,
                   row_number() OVER (PARTITION BY fam ORDER BY publication_date NULLS LAST, publication_number) AS rn
            FROM m""",
        ),
        ("reps", "SELECT fam, publication_number, title FROM r WHERE rn = 1"),
        ("y", "SELECT fam, min(yr) AS yr, count(*) AS documents FROM m GROUP BY fam"),
        ("fa", _FIRST_APPLICANT),
    )
    rows = engine.rows(
        sql
        + """
        SELECT reps.fam, reps.publication_number, reps.title, fa.name, y.yr, y.documents
        FROM reps JOIN y ON y.fam = reps.fam LEFT JOIN fa ON fa.publication_number = reps.publication_number"""
    )
    return {
        str(f): FamilyNode(str(f), str(rep), title, name, None if yr is None else int(yr), int(docs))
        for f, rep, title, name, yr, docs in rows
    }


def citation_graph(engine: Engine, patent_set: PatentSet | None = None) -> CitationGraph:
    """The family-collapsed citation graph of ``patent_set`` (default: the whole corpus)."""
    table = register_patent_set(engine, patent_set)
    documents, families, rows = _graph_rows(engine, table)
    edges = tuple(CitationEdge(a, b, n) for a, b, n in rows if a != b)
    self_links = sum(n for a, b, n in rows if a == b)
    touched = sorted({f for e in edges for f in (e.citing, e.cited)})
    meta = _family_nodes(engine, table, touched)
    return CitationGraph(
        documents=int(documents),
        families=int(families),
        links=sum(n for _, _, n in rows),
        self_family_links=self_links,
        nodes=tuple(meta[f] for f in touched),
        edges=edges,
    )


# -- core patents -------------------------------------------------------------------------------------------------


def _competition_ranks(values: Mapping[str, float]) -> dict[str, int]:
    """1 + the number of keys with a strictly larger value (ties share a rank: 1, 2, 2, 4)."""
    ordered = sorted(values.values(), reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(ordered):
        first.setdefault(v, i + 1)
    return {k: first[v] for k, v in values.items()}


def pagerank(graph: CitationGraph, damping: float = 0.85) -> dict[str, float]:
    """PageRank of every node on the edges from citing to cited, cycles broken as for the main path (so that a
    mutual citation, usually an artifact of collapsing families, cannot trap the random walk). Nodes and edges
    are added in sorted order, so the result does not depend on the engine's row order."""
    flow, _ = _acyclic(graph)
    g = nx.DiGraph()
    g.add_nodes_from(n.family for n in graph.nodes)
    g.add_edges_from(sorted((b, a) for a, b in flow.edges))
    if g.number_of_nodes() == 0:
        return {}
    return {str(k): float(v) for k, v in nx.pagerank(g, alpha=damping, tol=1e-12, max_iter=1000).items()}


def core_patents(
    graph: CitationGraph, *, top: int = 20, damping: float = 0.85, min_in_degree: int = 1
) -> tuple[CorePatent, ...]:
    """The ``top`` most central families of ``graph`` among those cited by at least ``min_in_degree`` families of
    the set (the module docstring gives the ranking)."""
    if top < 0 or min_in_degree < 0 or not 0 < damping < 1:
        raise ValueError("top and min_in_degree must be ≥ 0 and damping in (0, 1)")
    in_deg: dict[str, int] = defaultdict(int)
    out_deg: dict[str, int] = defaultdict(int)
    links: dict[str, int] = defaultdict(int)
    for e in graph.edges:
        in_deg[e.cited] += 1
        out_deg[e.citing] += 1
        links[e.cited] += e.links
    pr = pagerank(graph, damping)
    eligible = [n for n in graph.nodes if in_deg[n.family] >= min_in_degree]
    # rounded so that scores equal in exact arithmetic rank equal whatever the last bits of the iteration
    score = {n.family: round(pr[n.family], 12) for n in eligible}
    by_in = _competition_ranks({n.family: float(in_deg[n.family]) for n in eligible})
    by_pr = _competition_ranks(score)
    eligible.sort(key=lambda n: (by_in[n.family] + by_pr[n.family], -in_deg[n.family], -score[n.family], n.family))
    return tuple(
        CorePatent(
            rank=i + 1,
            family=n.family,
            representative=n.representative,
            title=n.title,
            applicant=n.applicant,
            year=n.year,
            in_degree=in_deg[n.family],
            citing_links=links[n.family],
            out_degree=out_deg[n.family],
            pagerank=pr[n.family],
            in_degree_rank=by_in[n.family],
            pagerank_rank=by_pr[n.family],
        )
        for i, n in enumerate(eligible[:top])
    )


# -- main path ----------------------------------------------------------------------------------------------------


def _acyclic(graph: CitationGraph) -> tuple[nx.DiGraph, list[CitationEdge]]:
    """The flow graph (cited → citing) with cycles broken inside each strongly connected component."""
    year = {n.family: n.year for n in graph.nodes}
    g = nx.DiGraph()
    for e in graph.edges:
        g.add_edge(e.cited, e.citing)
    component: dict[str, int] = {}
    order: dict[str, tuple[bool, int, str]] = {}
    for i, members in enumerate(nx.strongly_connected_components(g)):
        if len(members) > 1:
            for f in members:
                y = year.get(f)
                component[f], order[f] = i, (y is None, y or 0, f)
    # inside a cycle, keep the edges whose cited family comes before the citing one in time order
    dropped = [
        e
        for e in graph.edges
        if e.cited in component and component.get(e.citing) == component[e.cited] and order[e.cited] > order[e.citing]
    ]
    flow = nx.DiGraph()
    kept = {(e.cited, e.citing) for e in graph.edges} - {(e.cited, e.citing) for e in dropped}
    for a, b in sorted(kept):
        flow.add_edge(a, b)
    return flow, dropped


def _path_counts(flow: nx.DiGraph) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """``N⁻`` (paths from sources), ``N⁺`` (paths to sinks) and a deterministic topological order."""
    topo = list(nx.lexicographical_topological_sort(flow))
    into: dict[str, int] = {}
    for v in topo:
        preds = list(flow.predecessors(v))
        into[v] = sum(into[u] for u in preds) if preds else 1
    out: dict[str, int] = {}
    for v in reversed(topo):
        succs = list(flow.successors(v))
        out[v] = sum(out[w] for w in succs) if succs else 1
    return into, out, topo


def _local_search(
    flow: nx.DiGraph, spc: Mapping[tuple[str, str], int], start: str, forward: bool
) -> set[tuple[str, str]]:
    """Edges reached from ``start`` by following the edge(s) of highest SPC until a sink (or back to a source)."""
    found: set[tuple[str, str]] = set()
    frontier, seen = [start], {start}
    while frontier:
        nxt = []
        for v in frontier:
            steps = [(v, w) for w in flow.successors(v)] if forward else [(u, v) for u in flow.predecessors(v)]
            if not steps:
                continue
            best = max(spc[s] for s in steps)
            for s in steps:
                if spc[s] == best:
                    found.add(s)
                    w = s[1] if forward else s[0]
                    if w not in seen:
                        seen.add(w)
                        nxt.append(w)
        frontier = sorted(nxt)
    return found


def main_path(graph: CitationGraph, *, key_routes: int = 1) -> MainPath:
    """Search path counts, the global main path and the key-route main path of ``graph`` (see the module
    docstring for the method and its sources)."""
    if key_routes < 1:
        raise ValueError("key_routes must be ≥ 1")
    flow, dropped = _acyclic(graph)
    into, out, topo = _path_counts(flow)
    spc = {(u, v): into[u] * out[v] for u, v in flow.edges}
    edges = tuple(sorted((SpcEdge(u, v, s) for (u, v), s in spc.items()), key=lambda e: (-e.spc, e.cited, e.citing)))
    sources = [v for v in topo if flow.in_degree(v) == 0]
    sinks = [v for v in topo if flow.out_degree(v) == 0]

    # global main path: the largest SPC sum from a source to a sink; ties to the path with the smallest keys
    best: dict[str, tuple[int, tuple[str, ...]]] = {}
    for v in topo:
        preds = list(flow.predecessors(v))
        if not preds:
            best[v] = (0, (v,))
            continue
        candidates = [(best[u][0] + spc[(u, v)], best[u][1] + (v,)) for u in preds]
        top_sum = max(c[0] for c in candidates)
        best[v] = (top_sum, min(c[1] for c in candidates if c[0] == top_sum))
    if sinks:
        global_spc = max(best[s][0] for s in sinks)
        global_path = min(best[s][1] for s in sinks if best[s][0] == global_spc)
    else:
        global_spc, global_path = 0, ()

    key_edges: set[tuple[str, str]] = set()
    if edges:
        threshold = edges[min(key_routes, len(edges)) - 1].spc
        for e in edges:
            if e.spc < threshold:
                break
            key_edges.add((e.cited, e.citing))
            key_edges |= _local_search(flow, spc, e.citing, forward=True)
            key_edges |= _local_search(flow, spc, e.cited, forward=False)
    return MainPath(
        edges=edges,
        dropped=tuple(dropped),
        sources=len(sources),
        sinks=len(sinks),
        total_paths=sum(out[s] for s in sources),
        global_path=global_path,
        global_spc=global_spc,
        key_routes=key_routes,
        key_route_edges=tuple(e for e in edges if (e.cited, e.citing) in key_edges),
    )


def citation_network(
    engine: Engine,
    patent_set: PatentSet | None = None,
    *,
    top: int = 20,
    damping: float = 0.85,
    min_in_degree: int = 1,
    key_routes: int = 1,
) -> CitationNetwork:
    """The citation graph of ``patent_set`` (default: the whole corpus), its ``top`` core patents and main paths."""
    graph = citation_graph(engine, patent_set)
    return CitationNetwork(
        graph=graph,
        core=core_patents(graph, top=top, damping=damping, min_in_degree=min_in_degree),
        main_path=main_path(graph, key_routes=key_routes),
    )


# -- citation map -------------------------------------------------------------------------------------------------


def _expand(
    engine: Engine, back: list[str], forward: list[str]
) -> tuple[list[tuple[str, str, bool]], list[tuple[str, str]]]:
    """One generation of a citation map, in one round trip.

    Returns the citations *of* the ``back`` frontier as rows ``(citing, cited, loaded)`` (resolved where
    possible, else the cited number as written) and the citations *to* the ``forward`` frontier as rows
    ``(citing, cited)``.
    """
    frontier = pa.table(
        {
            "publication_number": pa.array(back + forward, pa.string()),
            "way": pa.array(["back"] * len(back) + ["forward"] * len(forward), pa.string()),
        }
    )
    table = register_table(engine, "citation_frontier", frontier)
    fb = f"SELECT publication_number FROM {table} WHERE way = 'back'"
    ff = f"SELECT publication_number FROM {table} WHERE way = 'forward'"
    cited = f"""SELECT DISTINCT cited_number FROM citations
        WHERE NOT is_npl AND cited_number IS NOT NULL
          AND (publication_number IN ({fb})
               OR cited_number IN ({ff})
               OR regexp_replace(cited_number, '{KIND_SUFFIX}', '') IN (
                    SELECT country || doc_number FROM publications WHERE publication_number IN ({ff})))"""
    rows = engine.rows(
        _ctes(*resolution_ctes(cited))
        + f"""
        SELECT DISTINCT 'back' AS way, c.publication_number AS citing, coalesce(r.target, c.cited_number) AS cited,
               CASE WHEN r.target IS NULL THEN 0 ELSE 1 END AS loaded
        FROM citations c LEFT JOIN resolved r ON r.cited_number = c.cited_number
        WHERE NOT c.is_npl AND c.cited_number IS NOT NULL AND c.publication_number IN ({fb})
          AND (r.target IS NULL OR r.target <> c.publication_number)
        UNION ALL
        SELECT DISTINCT 'forward' AS way, c.publication_number AS citing, r.target AS cited, 1 AS loaded
        FROM citations c JOIN resolved r ON r.cited_number = c.cited_number
        WHERE NOT c.is_npl AND r.target IN ({ff}) AND c.publication_number <> r.target"""
    )
    backward = sorted((str(a), str(b), bool(x)) for w, a, b, x in rows if w == "back")
    forward_rows = sorted((str(a), str(b)) for w, a, b, _ in rows if w == "forward")
    return backward, forward_rows


def _among(
    engine: Engine, numbers: list[str]
) -> tuple[list[tuple[str, str]], dict[str, tuple[str, str | None, str | None, int | None, dt.date | None]]]:
    """Every resolved citation between two of ``numbers``, and per publication ``(family, title, first
    applicant, year, publication date)``: one round trip (edges and nodes are rows of their own)."""
    table = register_patent_set(engine, PatentSet.of(numbers, normalize=False))
    sql = with_set(
        table,
        *resolution_ctes(
            "SELECT DISTINCT cited_number FROM citations WHERE NOT is_npl AND cited_number IS NOT NULL"
            " AND publication_number IN (SELECT publication_number FROM pubs)"
        ),
        ("reps", "SELECT publication_number FROM pubs"),
        ("fa", _FIRST_APPLICANT),
    )
    rows = engine.rows(
        sql
        + f"""
        SELECT DISTINCT 'edge' AS what, c.publication_number AS a, r.target AS b, CAST(NULL AS STRING) AS title,
               CAST(NULL AS STRING) AS applicant, CAST(NULL AS BIGINT) AS yr, CAST(NULL AS DATE) AS pd
        FROM citations c JOIN resolved r ON r.cited_number = c.cited_number
        WHERE NOT c.is_npl AND c.publication_number IN (SELECT publication_number FROM pubs)
          AND r.target IN (SELECT publication_number FROM pubs) AND c.publication_number <> r.target
        UNION ALL
        SELECT 'node' AS what, p.publication_number, p.fam, q.title, fa.name, CAST({_YEAR} AS BIGINT),
               q.publication_date
        FROM pubs p JOIN publications q ON q.publication_number = p.publication_number
        LEFT JOIN fa ON fa.publication_number = p.publication_number"""
    )
    edges = sorted((str(a), str(b)) for w, a, b, *_ in rows if w == "edge")
    meta = {
        str(a): (str(b), title, applicant, None if yr is None else int(yr), day)
        for w, a, b, title, applicant, yr, day in rows
        if w == "node"
    }
    return edges, meta


def _resolve_root(engine: Engine, number: str) -> tuple[str, bool]:
    """The loaded publication ``number`` means (exact key, else country + number without kind, earliest)."""
    try:
        wanted = normalize_publication_number(number)
    except PatentNumberError:
        wanted = number.strip()
    bare = re.sub(KIND_SUFFIX, "", wanted)
    rows = engine.rows(
        """SELECT publication_number, CASE WHEN publication_number = :wanted THEN 0 ELSE 1 END AS inexact
        FROM publications WHERE publication_number = :wanted OR country || doc_number = :bare
        ORDER BY inexact, publication_date NULLS LAST, publication_number""",
        {"wanted": wanted, "bare": bare},
    )
    if not rows:
        raise LookupError(f"{number!r} is not a loaded publication")
    return str(rows[0][0]), bool(rows[0][1])


def _interleave(a: list[str], b: list[str]) -> list[str]:
    out: list[str] = []
    for i in range(max(len(a), len(b))):
        out += a[i : i + 1] + b[i : i + 1]
    return out


def citation_map(
    engine: Engine,
    number: str,
    *,
    generations: int = 2,
    back: int | None = None,
    forward: int | None = None,
    max_nodes: int = 200,
    include_unloaded: bool = True,
) -> CitationMap:
    """The citation map of publication ``number`` over the whole corpus (see the module docstring).

    ``number`` may be written in any form :func:`~patnav.model.numbers.normalize_publication_number` reads,
    with or without a kind code; raises ``LookupError`` when no loaded publication matches. ``back`` and
    ``forward`` are the generations drawn each way (both ``generations`` unless given). Generation by
    generation, new nodes are added backward and forward alternately (each side ordered loaded first, then by
    number) until ``max_nodes`` is reached.
    """
    back_generations = generations if back is None else back
    forward_generations = generations if forward is None else forward
    if min(generations, back_generations, forward_generations) < 0 or max_nodes < 1:
        raise ValueError("generations, back and forward must be ≥ 0 and max_nodes ≥ 1")
    root, inexact = _resolve_root(engine, number)
    generation: dict[str, int] = {root: 0}
    loaded: dict[str, bool] = {root: True}
    edges: set[tuple[str, str]] = set()
    back_frontier = [root] if back_generations else []
    forward_frontier = [root] if forward_generations else []
    capped_generation: int | None = None
    left_out = 0
    for k in range(1, max(back_generations, forward_generations) + 1):
        if not back_frontier and not forward_frontier:
            break
        back_rows, forward_rows = _expand(engine, back_frontier, forward_frontier)
        found_back: dict[str, bool] = {}
        for citing, cited, is_loaded in back_rows:
            if not is_loaded and not include_unloaded:
                continue
            edges.add((citing, cited))
            if cited not in generation:
                found_back[cited] = is_loaded
        found_forward: set[str] = set()
        for citing, cited in forward_rows:
            edges.add((citing, cited))
            if citing not in generation and citing not in found_back:
                found_forward.add(citing)
        new_back = sorted(found_back, key=lambda n: (not found_back[n], n))
        new_forward = sorted(found_forward)
        ordered = _interleave(new_back, new_forward)
        room = max_nodes - len(generation)
        if len(ordered) > room:
            capped_generation, left_out = k, len(ordered) - room
            ordered = ordered[:room]
        for n in ordered:
            if n in found_back:
                generation[n], loaded[n] = -k, found_back[n]
            else:
                generation[n], loaded[n] = k, True
        if capped_generation is not None:
            break
        back_frontier = [n for n in new_back if found_back[n]] if k < back_generations else []
        forward_frontier = new_forward if k < forward_generations else []

    among, meta = _among(engine, sorted(n for n, ok in loaded.items() if ok))
    edges |= set(among)
    nodes = []
    for n, g in generation.items():
        fam, title, applicant, year, day = meta.get(n, (None,) * 5) if loaded[n] else (None,) * 5
        nodes.append(MapNode(n, g, loaded[n], fam, title, applicant, year, day))
    nodes.sort(key=lambda m: (m.generation, m.year is None, m.year or 0, m.publication_number))
    notes = (("capped",) if capped_generation is not None else ()) + (("root_without_kind",) if inexact else ())
    return CitationMap(
        root=root,
        generations=max(back_generations, forward_generations),
        back=back_generations,
        forward=forward_generations,
        max_nodes=max_nodes,
        nodes=tuple(nodes),
        edges=tuple(MapEdge(a, b) for a, b in sorted(edges) if a in generation and b in generation),
        capped=capped_generation is not None,
        capped_generation=capped_generation,
        left_out=left_out,
        notes=notes,
    )


# -- drawing ------------------------------------------------------------------------------------------------------


def layered_layout(items: Sequence[tuple[str, int]]) -> dict[str, tuple[float, float]]:
    """Positions ``(x, y)`` for ``(key, layer)`` items: x is the layer, and the items of one layer are stacked
    at y = 0, ±1, … centred on 0, in key order. Deterministic: the same items give the same picture."""
    by_layer: dict[int, list[str]] = defaultdict(list)
    for key, layer in items:
        by_layer[layer].append(key)
    pos: dict[str, tuple[float, float]] = {}
    for layer, keys in by_layer.items():
        keys.sort()
        middle = (len(keys) - 1) / 2
        for i, key in enumerate(keys):
            pos[key] = (float(layer), float(i - middle))
    return pos


def _depths(edges: Iterable[tuple[str, str]], nodes: Iterable[str]) -> dict[str, int]:
    """Longest-path depth of each node from the sources of a DAG given as (from, to) edges."""
    g = nx.DiGraph()
    g.add_nodes_from(sorted(nodes))
    g.add_edges_from(sorted(edges))
    depth: dict[str, int] = {}
    for v in nx.lexicographical_topological_sort(g):
        depth[v] = max((depth[u] + 1 for u in g.predecessors(v)), default=0)
    return depth


def _label(labels: Mapping[str, str] | None, code: str) -> str:
    return (labels or {}).get(code, code)


def main_path_spec(
    graph: CitationGraph,
    path: MainPath,
    *,
    route: Literal["key_route", "global"] = "key_route",
    labels: Mapping[str, str] | None = None,
    width: int = 640,
    height: int = 320,
) -> dict[str, Any]:
    """A Vega-Lite v5 spec drawing the key-route (or global) main path: families at their year on x (at their
    depth along the path when a family has no year), stacked per year on y, edges as rules as wide as their SPC.

    ``labels`` maps the codes used as titles (``year``, ``depth``, ``family``, ``representative``, ``title``,
    ``applicant``, ``spc``, ``cited``, ``citing``, ``on_global_path``) to the report's words.
    """
    if route == "global":
        chosen = list(path.global_edges)
    elif route == "key_route":
        chosen = list(path.key_route_edges)
    else:
        raise ValueError(f"unknown route {route!r}")
    families = sorted({f for e in chosen for f in (e.cited, e.citing)} or set(path.global_path))
    meta = {n.family: n for n in graph.nodes}
    years = {f: meta[f].year if f in meta else None for f in families}
    if all(y is not None for y in years.values()):
        layer = {f: int(y) for f, y in years.items() if y is not None}
        x_code = "year"
    else:
        layer = _depths(((e.cited, e.citing) for e in chosen), families)
        x_code = "depth"
    pos = layered_layout([(f, layer[f]) for f in families])
    on_global = set(path.global_path)
    nodes = []
    for f in families:
        node = meta.get(f)
        nodes.append(
            {
                "family": f,
                "x": pos[f][0],
                "y": pos[f][1],
                "label": node.representative if node else f,
                "representative": node.representative if node else f,
                "title": node.title if node else None,
                "applicant": node.applicant if node else None,
                "year": node.year if node else None,
                "on_global_path": f in on_global,
            }
        )
    edges = [
        {
            "x": pos[e.cited][0],
            "y": pos[e.cited][1],
            "x2": pos[e.citing][0],
            "y2": pos[e.citing][1],
            "weight": e.spc,
            "cited": meta[e.cited].representative if e.cited in meta else e.cited,
            "citing": meta[e.citing].representative if e.citing in meta else e.citing,
            "spc": e.spc,
        }
        for e in chosen
    ]
    return node_link_spec(
        nodes,
        edges,
        x_title=_label(labels, x_code),
        node_tooltip=[
            ("representative", "nominal", _label(labels, "representative")),
            ("title", "nominal", _label(labels, "title")),
            ("applicant", "nominal", _label(labels, "applicant")),
            ("year", "quantitative", _label(labels, "year")),
            ("family", "nominal", _label(labels, "family")),
        ],
        edge_tooltip=[
            ("cited", "nominal", _label(labels, "cited")),
            ("citing", "nominal", _label(labels, "citing")),
            ("spc", "quantitative", _label(labels, "spc")),
        ],
        color_field="on_global_path",
        color_title=_label(labels, "on_global_path"),
        width=width,
        height=height,
    )


def citation_map_spec(
    cmap: CitationMap,
    *,
    labels: Mapping[str, str] | None = None,
    width: int = 640,
    height: int = 360,
) -> dict[str, Any]:
    """A Vega-Lite v5 spec drawing a citation map: generation on x (back to the left, forward to the right),
    the nodes of a generation stacked on y in number order, coloured by direction (``back``, ``root``,
    ``forward``, and ``not_loaded`` for cited numbers the corpus lacks).

    ``labels`` maps the codes used as titles and colours (``generation``, ``publication_number``, ``title``,
    ``applicant``, ``year``, ``citing``, ``cited``, ``direction`` and the four direction codes).
    """
    pos = layered_layout([(n.publication_number, n.generation) for n in cmap.nodes])

    def direction(n: MapNode) -> str:
        if not n.loaded:
            return _label(labels, "not_loaded")
        code = "root" if n.generation == 0 else "back" if n.generation < 0 else "forward"
        return _label(labels, code)

    nodes = [
        {
            "x": pos[n.publication_number][0],
            "y": pos[n.publication_number][1],
            "label": n.publication_number,
            "publication_number": n.publication_number,
            "title": n.title,
            "applicant": n.applicant,
            "year": n.year,
            "generation": n.generation,
            "direction": direction(n),
        }
        for n in cmap.nodes
    ]
    edges = [
        {
            "x": pos[e.cited][0],
            "y": pos[e.cited][1],
            "x2": pos[e.citing][0],
            "y2": pos[e.citing][1],
            "weight": 1,
            "citing": e.citing,
            "cited": e.cited,
        }
        for e in cmap.edges
    ]
    return node_link_spec(
        nodes,
        edges,
        x_title=_label(labels, "generation"),
        node_tooltip=[
            ("publication_number", "nominal", _label(labels, "publication_number")),
            ("title", "nominal", _label(labels, "title")),
            ("applicant", "nominal", _label(labels, "applicant")),
            ("year", "quantitative", _label(labels, "year")),
            ("generation", "quantitative", _label(labels, "generation")),
        ],
        edge_tooltip=[
            ("citing", "nominal", _label(labels, "citing")),
            ("cited", "nominal", _label(labels, "cited")),
        ],
        color_field="direction",
        color_title=_label(labels, "direction"),
        width=width,
        height=height,
    )

"""Node-link drawings of networks, shared by every analysis that draws one: citation maps and main paths
(:mod:`patnav.analysis.citations`), co-applicant networks (:mod:`patnav.analysis.players`) and co-inventor
networks (:mod:`patnav.analysis.talent`).

One Vega-Lite spec draws them all (:func:`node_link_spec`): edges as rules as wide as their weight, nodes as
circles (optionally sized and coloured by a field), a text label beside each node that has one. Where a node
stands is decided before: by layer (generation, year) for citations, by a force-directed layout for the
undirected networks of who works with whom (:func:`network_drawing`).

The strongest part of an undirected network
    A report cannot show thousands of names legibly, so :func:`network_drawing` keeps at most ``max_nodes``
    nodes: those with the largest *strength* (the sum of the weights of their edges, Barrat et al. 2004, "The
    architecture of complex weighted networks", PNAS 101(11), 3747–3752), ties to the larger node size, then to
    the name; and every edge of the network between two kept nodes. A kept node whose partners were all left out
    is drawn without a line. The layout is networkx's spring layout (Fruchterman & Reingold 1991) with a fixed
    seed, per connected component, the components packed side by side (:func:`spring_positions`), on nodes and
    edges added in sorted order, so the same network draws the same picture on every run and engine. The
    ``labelled`` largest nodes (by size, then strength, then name) carry their name.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

#: the most nodes a drawn network keeps (the strongest part; see the module docstring)
MAX_NODES = 40
#: how many of the drawn nodes carry a label (the largest)
LABELLED = 12
#: a layered x axis gets one tick per layer when it spans fewer layers than this
MAX_TICKS = 25
#: longest label before it is shortened with an ellipsis (the tooltip has the whole name)
LABEL_CHARS = 24


def node_link_spec(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    *,
    node_tooltip: list[tuple[str, str, str]],
    edge_tooltip: list[tuple[str, str, str]],
    color_field: str,
    color_title: str,
    width: int,
    height: int,
    x_title: str | None = None,
    size_field: str | None = None,
    size_title: str | None = None,
    color_sort: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A Vega-Lite v5 layer chart of a network laid out beforehand.

    ``nodes`` carry ``x``, ``y`` and ``label`` (empty: no label) plus the fields the tooltip, colour and size
    name; ``edges`` carry ``x``, ``y``, ``x2``, ``y2`` and ``weight`` (the line's width). ``node_tooltip`` and
    ``edge_tooltip`` are ``(field, Vega-Lite type, title)``. With ``x_title`` the x axis is shown as whole
    numbers (a layer such as a year or a generation; one tick per layer when they are few); without it neither
    axis is drawn (a free layout).
    ``size_field`` sizes the circles by a quantitative field (else they are all one size); ``color_sort`` orders
    the colour legend (else alphabetical).
    """
    if x_title is None:
        x: dict[str, Any] = {"field": "x", "type": "quantitative", "axis": None, "scale": {"zero": False}}
    else:
        x = {"field": "x", "type": "quantitative", "title": x_title, "scale": {"zero": False, "nice": False}}
        x["axis"] = {"format": "d", "tickMinStep": 1}
        layers = sorted({float(n["x"]) for n in nodes})
        if layers and all(v.is_integer() for v in layers) and layers[-1] - layers[0] < MAX_TICKS:
            # one tick per layer: left to Vega, a narrow range gets ticks between layers (-1, -0.5, 0)
            x["axis"]["values"] = list(range(int(layers[0]), int(layers[-1]) + 1))
    y = {"field": "y", "type": "quantitative", "axis": None, "scale": {"zero": False}}
    circles: dict[str, Any] = {
        "x": x,
        "y": y,
        "color": {"field": color_field, "type": "nominal", "title": color_title},
        "tooltip": [{"field": f, "type": t, "title": title} for f, t, title in node_tooltip],
    }
    if color_sort is not None:
        circles["color"]["sort"] = list(color_sort)
    mark: dict[str, Any] = {"type": "circle", "size": 140, "opacity": 1}
    if size_field is not None:
        mark = {"type": "circle", "opacity": 0.9, "stroke": "#ffffff", "strokeWidth": 0.5}
        circles["size"] = {
            "field": size_field,
            "type": "quantitative",
            "title": size_title or size_field,
            "scale": {"range": [40, 900]},
        }
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": width,
        "height": height,
        "layer": [
            {
                "data": {"values": edges},
                "mark": {"type": "rule", "color": "#9aa5b1", "opacity": 0.8},
                "encoding": {
                    "x": x,
                    "y": y,
                    "x2": {"field": "x2"},
                    "y2": {"field": "y2"},
                    "strokeWidth": {
                        "field": "weight",
                        "type": "quantitative",
                        "scale": {"range": [1, 6]},
                        "legend": None,
                    },
                    "tooltip": [{"field": f, "type": t, "title": title} for f, t, title in edge_tooltip],
                },
            },
            {"data": {"values": nodes}, "mark": mark, "encoding": circles},
            {
                "data": {"values": nodes},
                "mark": {"type": "text", "dy": -12, "fontSize": 9},
                "encoding": {"x": x, "y": y, "text": {"field": "label", "type": "nominal"}},
            },
        ],
    }


@dataclass(frozen=True, slots=True)
class DrawnNode:
    """A node of a drawn network: its ``size`` (e.g. families), ``strength`` (the sum of the weights of its edges in
    the whole network), ``degree`` (its partners in the whole network), ``group`` (the colour) and position."""

    name: str
    size: int
    strength: int
    degree: int
    group: str
    x: float
    y: float
    labelled: bool


@dataclass(frozen=True, slots=True)
class DrawnEdge:
    """An edge between two drawn nodes (``source`` < ``target``) with its ``weight``."""

    source: str
    target: str
    weight: int


@dataclass(frozen=True, slots=True)
class NetworkDrawing:
    """The strongest part of a network, laid out, and the Vega-Lite spec that draws it.

    ``nodes`` by strength (descending), then size (descending), then name; ``edges`` by weight (descending),
    then names. ``total_nodes``/``total_edges``: the whole network's; ``seed``: the layout's random seed.
    """

    nodes: tuple[DrawnNode, ...]
    edges: tuple[DrawnEdge, ...]
    total_nodes: int
    total_edges: int
    seed: int
    spec: dict[str, Any]

    @property
    def whole(self) -> bool:
        """Whether every node of the network is drawn."""
        return len(self.nodes) == self.total_nodes


def strengths(edges: Iterable[tuple[str, str, int]]) -> tuple[dict[str, int], dict[str, int]]:
    """Per node: its strength (the sum of the weights of its edges) and its degree (its partners)."""
    strength: dict[str, int] = defaultdict(int)
    degree: dict[str, int] = defaultdict(int)
    for a, b, w in edges:
        for n in (a, b):
            strength[n] += int(w)
            degree[n] += 1
    return dict(strength), dict(degree)


def strongest_part(
    sizes: Mapping[str, int], edges: Sequence[tuple[str, str, int]], *, max_nodes: int = MAX_NODES
) -> tuple[list[str], list[tuple[str, str, int]]]:
    """The ``max_nodes`` nodes of the network ``edges`` with the largest strength (ties to the larger size in
    ``sizes``, then the name), and the edges between two of them (see the module docstring)."""
    if max_nodes < 1:
        raise ValueError("max_nodes must be ≥ 1")
    strength, _ = strengths(edges)
    ranked = sorted(strength, key=lambda n: (-strength[n], -sizes.get(n, 0), n))
    kept = ranked[:max_nodes]
    chosen = set(kept)
    inside = [(a, b, int(w)) for a, b, w in edges if a in chosen and b in chosen]
    return kept, inside


def spring_positions(
    nodes: Iterable[str], edges: Iterable[tuple[str, str, int]], *, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """Force-directed positions: each connected component laid out on its own (networkx spring layout weighted
    by the edges, fixed ``seed``), in a square whose side grows with the square root of its size, and the squares
    packed in rows, largest component first (then by first name).

    One spring layout of a disconnected network pushes the components to the edges and squeezes each into a
    knot; packing them keeps every component readable. Nodes and edges are added in sorted order, so the result
    does not depend on the order they come in.
    """
    g = nx.Graph()
    g.add_nodes_from(sorted(nodes))
    g.add_weighted_edges_from(sorted((min(a, b), max(a, b), w) for a, b, w in edges))
    components = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c[0]))
    sides = [math.sqrt(len(c)) for c in components]
    row_width = max([*sides, 1.2 * math.sqrt(sum(s * s for s in sides))]) if sides else 0.0
    pos: dict[str, tuple[float, float]] = {}
    left = top = row_height = 0.0
    for members, side in zip(components, sides, strict=True):
        if left > 0 and left + side > row_width + 1e-9:
            left, top, row_height = 0.0, top + row_height, 0.0
        if len(members) == 1:
            local = {members[0]: (0.0, 0.0)}
        else:
            sub = g.subgraph(members)
            local = {
                str(n): (float(p[0]), float(p[1])) for n, p in nx.spring_layout(sub, weight="weight", seed=seed).items()
            }
        for n, (px, py) in local.items():
            # the spring layout spans [-1, 1]: 0.4 of the side each way leaves a margin to the next square
            pos[n] = (round(left + side / 2 + 0.4 * side * px, 4), round(-(top + side / 2 + 0.4 * side * py), 4))
        left += side
        row_height = max(row_height, side)
    return pos


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def network_drawing(
    sizes: Mapping[str, int],
    edges: Sequence[tuple[str, str, int]],
    *,
    groups: Mapping[str, str] | None = None,
    group_order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    max_nodes: int = MAX_NODES,
    labelled: int = LABELLED,
    seed: int = 0,
    width: int = 640,
    height: int = 440,
) -> NetworkDrawing:
    """The strongest part of the undirected, weighted network ``edges`` (``(a, b, weight)``), laid out and drawn.

    ``sizes`` gives each node's size (its circle; e.g. its families), ``groups`` its colour (a category; nodes
    without one are ``—``), listed in the legend in ``group_order`` when given (the groups drawn, in that order,
    then ``—``). ``labels`` maps the codes used as titles (``name``, ``size``, ``strength``,
    ``degree``, ``group``, ``weight``, ``source``, ``target``) to the report's words.
    """
    words = labels or {}
    strength, degree = strengths(edges)
    kept, inside = strongest_part(sizes, edges, max_nodes=max_nodes)
    pos = spring_positions(kept, inside, seed=seed)
    biggest = set(sorted(kept, key=lambda n: (-sizes.get(n, 0), -strength[n], n))[:labelled])
    nodes = tuple(
        DrawnNode(
            name=n,
            size=int(sizes.get(n, 0)),
            strength=strength[n],
            degree=degree[n],
            group=(groups or {}).get(n) or "—",
            x=pos[n][0],
            y=pos[n][1],
            labelled=n in biggest,
        )
        for n in kept
    )
    drawn_edges = tuple(
        sorted(
            (DrawnEdge(min(a, b), max(a, b), w) for a, b, w in inside), key=lambda e: (-e.weight, e.source, e.target)
        )
    )
    node_rows = [
        {
            "name": n.name,
            "label": _short(n.name) if n.labelled else "",
            "x": n.x,
            "y": n.y,
            "size": n.size,
            "strength": n.strength,
            "degree": n.degree,
            "group": n.group,
        }
        for n in nodes
    ]
    edge_rows = [
        {
            "x": pos[e.source][0],
            "y": pos[e.source][1],
            "x2": pos[e.target][0],
            "y2": pos[e.target][1],
            "weight": e.weight,
            "source": e.source,
            "target": e.target,
        }
        for e in drawn_edges
    ]
    drawn_groups = {n.group for n in nodes}
    legend = None
    if group_order is not None:
        legend = [x for x in dict.fromkeys(group_order) if x in drawn_groups]
        legend += sorted(drawn_groups - set(legend) - {"—"}) + (["—"] if "—" in drawn_groups else [])
    spec = node_link_spec(
        node_rows,
        edge_rows,
        node_tooltip=[
            ("name", "nominal", words.get("name", "name")),
            ("size", "quantitative", words.get("size", "size")),
            ("strength", "quantitative", words.get("strength", "strength")),
            ("degree", "quantitative", words.get("degree", "degree")),
            ("group", "nominal", words.get("group", "group")),
        ],
        edge_tooltip=[
            ("source", "nominal", words.get("source", "source")),
            ("target", "nominal", words.get("target", "target")),
            ("weight", "quantitative", words.get("weight", "weight")),
        ],
        color_field="group",
        color_title=words.get("group", "group"),
        size_field="size",
        size_title=words.get("size", "size"),
        color_sort=legend,
        width=width,
        height=height,
    )
    return NetworkDrawing(
        nodes=nodes,
        edges=drawn_edges,
        total_nodes=len(strength),
        total_edges=len(edges),
        seed=seed,
        spec=spec,
    )

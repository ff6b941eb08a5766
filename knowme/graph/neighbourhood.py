"""A person's neighbourhood in the knowledge graph, laid out for a small picture.

The neighbours of an entity are (1) the entities a fact links it to, in either direction ("Rosa is your mother",
"Tom works at Acme"), labelled with the predicate and marked ``current=False`` once the fact has ended, and (2) the
entities that appear in the same records (a shared thread, an event both attended), weighted by how many of its
most recent ``window`` records they share. Fact links come first; co-mentions fill the rest up to ``limit``.

The layout is computed here, not in the browser: the entity in the middle of a ``WIDTH`` x ``HEIGHT`` box and the
neighbours on a circle around it (fact links from the top, clockwise), so any client can draw it with a few lines
(the web page draws it as SVG). An unknown or ambiguous name raises :class:`~knowme.errors.ConfigError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowme.graph.views import find_entity
from knowme.store.base import Store

WIDTH = 480
HEIGHT = 320
RADIUS = 120


@dataclass(frozen=True)
class GraphNode:
    id: str
    name: str
    type: str  # person, org, place, topic...
    x: float
    y: float
    center: bool = False


@dataclass(frozen=True)
class GraphEdge:
    source: str  # entity ids; for a fact, source is the subject
    target: str
    label: str  # the predicate, or "3 shared records"
    weight: int  # supporting records
    current: bool = True  # False for a fact whose validity has ended


@dataclass(frozen=True)
class Neighbourhood:
    center: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    width: int = WIDTH
    height: int = HEIGHT


def neighbourhood(store: Store, name: str, *, limit: int = 12, window: int = 200) -> Neighbourhood:
    """The entity called ``name`` and up to ``limit`` neighbours, with positions for a picture."""
    graph = store.graph()
    entity = find_entity(store, name)
    edges: dict[str, GraphEdge] = {}  # by neighbour id: one edge per neighbour keeps the picture readable
    facts = graph.facts(subject_id=entity.id) + [f for f in graph.facts(object_id=entity.id)]
    for fact in facts:
        other = fact.object_id if fact.subject_id == entity.id else fact.subject_id
        if not other or other == entity.id or other in edges:
            continue
        support = len(graph.sources("fact", fact.id))
        edges[other] = GraphEdge(fact.subject_id, fact.object_id or "", fact.predicate, support, fact.valid_to is None)
        if len(edges) >= limit:
            break
    sources = graph.sources("entity", entity.id)[-window:]
    shared = graph.supported_by("entity", [s.record_id for s in sources]) if sources else {}
    ranked = sorted(
        ((len(rids), other) for other, rids in shared.items() if other != entity.id and other not in edges),
        key=lambda pair: (-pair[0], pair[1]),
    )
    for count, other in ranked[: max(0, limit - len(edges))]:
        label = f"{count} shared record" + ("s" if count != 1 else "")
        edges[other] = GraphEdge(entity.id, other, label, count)

    cx, cy = WIDTH / 2, HEIGHT / 2
    nodes = [GraphNode(entity.id, entity.name, entity.type, cx, cy, center=True)]
    for i, other in enumerate(edges):
        neighbour = graph.get_entity(other)
        if neighbour is None:
            continue
        angle = -math.pi / 2 + 2 * math.pi * i / len(edges)
        x, y = cx + RADIUS * 1.5 * math.cos(angle), cy + RADIUS * math.sin(angle)
        nodes.append(GraphNode(neighbour.id, neighbour.name, neighbour.type, round(x, 1), round(y, 1)))
    present = {n.id for n in nodes}
    kept = tuple(e for e in edges.values() if e.source in present and e.target in present)
    return Neighbourhood(entity.id, tuple(nodes), kept)

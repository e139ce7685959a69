"""Provenance and impact queries: plain functions over a :class:`LineageGraph`, networkx style.

Nodes are addressed by artifact reference (``project/name:vN``) or run path (``project/run_id``).
Traversal is breadth-first over ``logged`` and ``used`` edges only, loading each frontier's edges
from the graph's source in batches, so a query touches the neighbourhood it needs and no more.
Cycles (a run that uses a version and logs it again) are visited once.

>>> g = LineageGraph()
>>> for e in [
...     LineageEvent(1, "logged", True, "ingest", "p", "d0", "p", "data", "dataset", 0),
...     LineageEvent(2, "used", False, "train", "p", "d0", "p", "data", "dataset", 0),
...     LineageEvent(3, "logged", True, "train", "p", "m0", "p", "model", "model", 0),
... ]:
...     g.apply(e)
>>> upstream(g, "p/model:v0").artifacts
['p/data:v0']
>>> downstream(g, "p/data:v0").runs
['p/train']
>>> path(g, "p/data:v0", "p/model:v0")
['p/data:v0', 'p/train', 'p/model:v0']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .graph import LineageEvent, LineageGraph, add_nodes  # noqa: F401 - LineageEvent is used by the doctest
from .walk import reach

_FLOW = ("logged", "used")


@dataclass(frozen=True)
class LineageResult:
    """A query's answer: the subgraph reached, plus convenience lists (nearest first).

    ``graph`` holds the reached nodes (the start included) with their attributes and the
    ``logged``/``used`` edges between them; ``artifacts`` and ``runs`` exclude the start node.
    """

    root: str
    graph: nx.DiGraph
    artifacts: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    depth: dict[str, int] = field(default_factory=dict)

    def __contains__(self, address: object) -> bool:
        return address in self.artifacts or address in self.runs or address == self.root

    def __len__(self) -> int:
        return len(self.artifacts) + len(self.runs)


def label(graph: nx.DiGraph, node: str) -> str:
    """How a node is addressed: ``project/name:vN`` for versions, ``project/run_id`` for runs."""
    return _label(node, graph.nodes[node])


def _label(node: str, data: dict[str, Any]) -> str:
    if data.get("kind") == "artifact":
        return str(data["ref"])
    if data.get("kind") == "run":
        return str(data.get("path") or f"{data.get('project')}/{data['id']}")
    return node


def _walk(g: LineageGraph, start: str, *, up: bool, depth: int | None) -> LineageResult:
    if depth is not None and depth < 0:
        raise ValueError("depth must be None or a non-negative number of hops.")
    g.sync()
    root = g.node(start)
    seen = reach(g, root, "in" if up else "out", depth)
    return _result(g, root, seen)


def _result(g: LineageGraph, root: str, seen: dict[str, int]) -> LineageResult:
    with g.lock:
        nodes = g.graph.nodes
        data = {n: nodes[n] for n in seen}
        # g.graph.subgraph(seen) is avoided: its views are slow, and so are the per-node
        # ``succ[u]`` views (out_edges(nbunch) reads the dicts); add_nodes copies the attributes
        sub = nx.DiGraph()
        add_nodes(sub, data)
        sub.add_edges_from(
            (u, v, d) for u, v, d in g.graph.out_edges(seen, data=True) if v in seen and d["kind"] in _FLOW
        )
        labels = {n: _label(n, d) for n, d in data.items()}
        order = sorted(seen, key=lambda n: (seen[n], labels[n]))
        artifacts = [labels[n] for n in order if n != root and data[n]["kind"] == "artifact"]
        runs = [labels[n] for n in order if n != root and data[n]["kind"] == "run"]
        depth = {labels[n]: d for n, d in seen.items()}
    return LineageResult(labels[root], sub, artifacts, runs, depth)


def upstream(g: LineageGraph, node: str, depth: int | None = None) -> LineageResult:
    """Everything ``node`` descends from, up to ``depth`` hops (a hop is version↔run)."""
    return _walk(g, node, up=True, depth=depth)


def downstream(g: LineageGraph, node: str, depth: int | None = None) -> LineageResult:
    """Everything that descends from ``node``, up to ``depth`` hops."""
    return _walk(g, node, up=False, depth=depth)


def provenance(g: LineageGraph, artifact: str) -> LineageResult:
    """Every input version and producing run behind ``artifact``, back to its sources."""
    return upstream(g, artifact)


def impact(g: LineageGraph, artifact: str) -> LineageResult:
    """Every run and version downstream of ``artifact``: what a bad ``artifact`` affects."""
    return downstream(g, artifact)


def path(g: LineageGraph, source: str, target: str) -> list[str]:
    """A shortest lineage path from ``source`` down to ``target`` (addresses, ends included).

    Raises ``networkx.NetworkXNoPath`` if ``target`` does not descend from ``source``.
    """
    g.sync()
    a, b = g.node(source), g.node(target)
    parent: dict[str, str | None] = {a: None}
    frontier = [a]
    while frontier and b not in parent:
        g.expand(frontier, "out")
        nxt: list[str] = []
        with g.lock:
            for n in frontier:
                for _, v, kind in g.graph.out_edges(n, data="kind"):
                    if kind in _FLOW and v not in parent:
                        parent[v] = n
                        nxt.append(v)
        frontier = nxt
    if b not in parent:
        raise nx.NetworkXNoPath(f"{target} does not descend from {source}.")
    chain: list[str] = []
    cur: str | None = b
    while cur is not None:
        chain.append(cur)
        cur = parent[cur]
    with g.lock:
        return [label(g.graph, n) for n in reversed(chain)]


def collisions(g: LineageGraph, project: str | None = None) -> dict[tuple[str, str], list[str]]:
    """Names used with more than one type, per project: ``{(project, name): [types…]}``.

    Names are compared case-insensitively (the key holds the lower-cased name). artiflow refuses
    an exact-name clash when logging, so in a store it wrote this finds the confusing near-misses
    (``Cats`` as a model beside ``cats`` as a dataset); in a store assembled from elsewhere, any.
    """
    if g.source is not None:
        return g.source.collisions(project)
    found: dict[tuple[str, str], dict[str, None]] = {}
    with g.lock:
        nodes: Iterable[dict[str, str]] = (d for _, d in g.graph.nodes(data=True))
        for data in nodes:
            if data.get("kind") == "artifact" and (project is None or data["project"] == project):
                found.setdefault((data["project"], data["name"].lower()), {})[data["type"]] = None
    return {k: list(v) for k, v in sorted(found.items()) if len(v) > 1}

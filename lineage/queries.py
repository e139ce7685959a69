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

from collections.abc import Callable, Iterable

import networkx as nx

from .graph import Direction, LineageEvent, LineageGraph, _label, add_nodes  # noqa: F401 - LineageEvent: doctest
from .walk import reach

_FLOW = ("logged", "used")


class LineageResult:
    """A query's answer: the reached nodes, nearest first, and the subgraph among them.

    ``artifacts`` and ``runs`` are addresses (``project/name:vN``, ``project/run_id``) excluding
    the start node; ``depth`` maps every reached address (the start included) to its hops.
    ``graph`` holds the reached nodes with their attributes and the ``logged``/``used`` edges
    between them; it is built the first time it is read, as most callers only want the lists.
    """

    def __init__(
        self,
        root: str,
        graph: nx.DiGraph | Callable[[], nx.DiGraph],
        artifacts: list[str] | None = None,
        runs: list[str] | None = None,
        depth: dict[str, int] | None = None,
    ) -> None:
        self.root = root
        self._graph = graph
        self.artifacts = artifacts if artifacts is not None else []
        self.runs = runs if runs is not None else []
        self.depth = depth if depth is not None else {}

    @property
    def graph(self) -> nx.DiGraph:
        if not isinstance(self._graph, nx.DiGraph):
            self._graph = self._graph()
        return self._graph

    def __contains__(self, address: object) -> bool:
        return address in self.depth or address in self.artifacts or address in self.runs or address == self.root

    def __len__(self) -> int:
        return len(self.artifacts) + len(self.runs)

    def __repr__(self) -> str:
        return f"LineageResult(root={self.root!r}, artifacts={len(self.artifacts)}, runs={len(self.runs)})"


def label(graph: nx.DiGraph, node: str) -> str:
    """How a node is addressed: ``project/name:vN`` for versions, ``project/run_id`` for runs."""
    return _label(node, graph.nodes[node])


def _walk(g: LineageGraph, start: str, *, up: bool, depth: int | None) -> LineageResult:
    if depth is not None and depth < 0:
        raise ValueError("depth must be None or a non-negative number of hops.")
    g.sync()
    root = g.node(start)
    direction: Direction = "in" if up else "out"
    seen = reach(g, root, direction, depth)
    with g.lock:
        labels = g.describe(())
        rings: list[list[str]] = []
        for n, d in seen.items():  # a walk reaches nodes ring by ring
            if d == len(rings):
                rings.append([])
            if n in labels:  # not: a record whose version or run is gone
                rings[d].append(n)
        order = [n for ring in rings[1:] for n in sorted(ring, key=labels.__getitem__)]
        artifacts = [labels[n] for n in order if n.startswith("artifact:")]
        runs = [labels[n] for n in order if n.startswith("run:")]
        seen = {n: seen[n] for ring in rings for n in ring}
        by_label = {labels[n]: d for n, d in seen.items()}
    return LineageResult(labels[root], lambda: _subgraph(g, seen, direction), artifacts, runs, by_label)


def _subgraph(g: LineageGraph, seen: dict[str, int], direction: Direction) -> nx.DiGraph:
    """The reached nodes with their attributes and the flow edges among them."""
    with g.lock:
        nodes = g.graph.nodes
        flow = g.flow(list(seen), direction)
        sub = nx.DiGraph()
        add_nodes(sub, {n: nodes[n] for n in seen})
        up = direction == "in"
        edges = []
        for n in seen:
            # going up, a version's side holds its logs and a run's its uses; going down the reverse
            kind = "logged" if n.startswith("artifact:") == up else "used"
            for o, seq in flow[n].items():
                if o in seen:
                    edges.append((o, n, {"kind": kind, "seq": seq}) if up else (n, o, {"kind": kind, "seq": seq}))
        sub.add_edges_from(edges)
    return sub


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

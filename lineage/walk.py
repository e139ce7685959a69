"""Breadth-first reach over ``logged``/``used`` edges, reading bare edge records from the source.

A walk over a lazy :class:`LineageGraph` must not pay networkx (nor SQL joins) for every edge it
crosses: it reads the edges table alone, keeps what it reached in plain dicts, and hands what it read
to :meth:`LineageGraph.absorb` once at the end, which fetches the new nodes' attributes in bulk.
Nodes whose side was loaded before are walked in the cached graph.
"""

from __future__ import annotations

from .graph import Direction, FlowRow, LineageGraph, artifact_node, run_node

_FLOW = ("logged", "used")


def reach(g: LineageGraph, root: str, direction: Direction, depth: int | None) -> dict[str, int]:
    """Hops from ``root`` to every node within ``depth`` (``None``: all) along ``direction``
    (``in``: upstream). The edges among the reached nodes end up in ``g.graph``, as do the
    edges from the last ring to nodes already loaded, and no node beyond the last ring."""
    with g.lock:
        seen = {root: 0}
        frontier = [root]
        rows: list[FlowRow] = []
        fetched: list[str] = []
        hops = 0
        adjacent = g.graph.pred if direction == "in" else g.graph.succ
        while frontier and (depth is None or hops < depth):
            hops += 1
            nxt: list[str] = []
            cached, lazy = _split(g, frontier, direction)
            ring = [o for n in cached for o, d in adjacent[n].items() if d["kind"] in _FLOW]
            found = _fetch(g, lazy, direction)
            ring += [other for other, _ in found]
            rows += [row for _, row in found]
            fetched += lazy
            for other in ring:
                if other not in seen:
                    seen[other] = hops
                    nxt.append(other)
            frontier = nxt
        if frontier:  # stopped by the depth: the edges among the reached nodes, and no further
            _, lazy = _split(g, frontier, direction)
            rows += [row for other, row in _fetch(g, lazy, direction) if other in seen or other in g.graph]
        if g.source is not None and (rows or fetched):
            g.absorb(rows, fetched, direction)
    return seen


def _split(g: LineageGraph, nodes: list[str], direction: Direction) -> tuple[list[str], list[str]]:
    """The nodes whose ``direction`` side is in the graph already, and those to read."""
    if g.source is None:
        return [n for n in nodes if n in g.graph], []
    done = g.loaded[direction]
    cached = [n for n in nodes if n in done]
    return [n for n in cached if n in g.graph], [n for n in nodes if n not in done]


def _fetch(g: LineageGraph, nodes: list[str], direction: Direction) -> list[tuple[str, FlowRow]]:
    """``(other end, record)`` for every record on the ``direction`` side of these nodes."""
    if g.source is None or not nodes:
        return []
    versions = [n[9:] for n in nodes if n.startswith("artifact:")]
    runs = [n[4:] for n in nodes if n.startswith("run:")]
    rows = g.source.flow_of(version_ids=versions, run_ids=runs, direction=direction)
    # the records read for versions are their logs going in, their uses going out; the rest
    # were read for runs
    of_version = "logged" if direction == "in" else "used"
    return [(run_node(row[3]) if row[1] == of_version else artifact_node(row[4]), row) for row in rows]

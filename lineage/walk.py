"""Breadth-first reach over ``logged``/``used`` edges, in plain dicts.

A walk over a lazy :class:`LineageGraph` must not pay networkx (nor SQL joins) for every edge it
crosses: it asks the graph for each ring's neighbours in one batch (:meth:`LineageGraph.flow`,
which reads bare edge records for the sides it does not know yet), keeps what it reached in a
dict, and has the reached nodes described in bulk at the end. Placing what was read in the
networkx graph waits until someone reads ``graph``.
"""

from __future__ import annotations

from .graph import Direction, LineageGraph


def reach(g: LineageGraph, root: str, direction: Direction, depth: int | None) -> dict[str, int]:
    """Hops from ``root`` to every node within ``depth`` (``None``: all) along ``direction``
    (``in``: upstream). Afterwards the ``direction`` side of every reached node is in
    ``g.flow`` and every reached node is described; no node beyond the last ring is."""
    with g.lock:
        seen = {root: 0}
        frontier = [root]
        inner: list[str] = []
        hops = 0
        while frontier and (depth is None or hops < depth):
            hops += 1
            flow = g.flow(frontier, direction)
            nxt: list[str] = []
            for n in frontier:
                for other in flow[n]:
                    if other not in seen:
                        seen[other] = hops
                        nxt.append(other)
            inner += frontier
            frontier = nxt
        if frontier:  # stopped by the depth: the last ring's edges, for those among the reached nodes
            g.flow(frontier, direction)
        g.describe(seen)
        g.mark_loaded(inner, direction)
    return seen

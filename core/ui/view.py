"""The lineage view: the part of the graph worth drawing around one focus node.

The server does the heavy graph work so that the browser draws a few hundred nodes at most:

1. walk ``up`` hops upstream and ``down`` hops downstream of the focus (``artiflow.lineage``),
   plus one hop around each node the user expanded;
2. cut it readable (:mod:`artiflow.lineage.readable`, which ``artiflow lineage`` draws too): fold
   identical re-runs into one node whose edges carry the count, cluster 5 or more similar siblings
   (the user can open a cluster), box runs by group (a Prefect flow run, a Dagster run);
3. past ``limit`` drawn nodes, answer with the counts only (the "too large" guard).

>>> view = lineage_view(store, ViewRequest("demo/model:v0"))     # doctest: +SKIP
>>> view["counts"]                                              # doctest: +SKIP
{'nodes': 5, 'edges': 4, 'versions': 3, 'runs': 2, 'clusters': 0, 'merged': 0}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import networkx as nx
from artiflow.lineage import downstream, label, upstream
from artiflow.lineage.readable import Readable, RunLike, node_labels, readable

from ..store import Store
from . import queries

MAX_DEPTH = 50
WALK_LIMIT = 10_000
"""Nodes reached past which the view answers with counts before clustering them (a hub version used
by 50,000 runs costs seconds per 10,000 nodes to look up and fold)."""
GROUP_MEMBERS = 500
"""Runs of a group shown around the run that heads it."""
_FLOW = ("logged", "used")
_MEMBERS_SHOWN = 200


@dataclass(frozen=True, slots=True)
class ViewRequest:
    """What to draw: the focus (a version ref, a run path or a node key) and how far around it."""

    focus: str
    up: int = 2
    down: int = 2
    expand: tuple[str, ...] = ()
    open: tuple[str, ...] = ()
    limit: int = 2000
    force: bool = False


def href(base: str, data: dict[str, Any]) -> str:
    """The page of a lineage node (version or run)."""
    if data.get("kind") == "artifact":
        return f"{base}/p/{quote(data['project'])}/a/{quote(data['name'])}/v{data['version_index']}"
    return f"{base}/p/{quote(str(data.get('project')))}/r/{quote(str(data['id']), safe='')}"


def lineage_view(store: Store, req: ViewRequest, *, base: str = "") -> dict[str, Any]:
    """The JSON the lineage page draws; raises ``LookupError`` for an unknown focus."""
    g = store.lineage()
    root = g.node(req.focus)
    up, down = max(0, min(req.up, MAX_DEPTH)), max(0, min(req.down, MAX_DEPTH))
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], str] = {}

    def merge(result: Any) -> None:
        nodes.update((n, dict(d)) for n, d in result.graph.nodes(data=True))
        edges.update(((u, v), d["kind"]) for u, v, d in result.graph.edges(data=True))

    up_result, down_result = upstream(g, root, up), downstream(g, root, down)
    merge(up_result)
    merge(down_result)
    if len(nodes) > WALK_LIMIT and not req.force:
        return _too_many(nodes, edges, up_result.depth | down_result.depth, req, root, up, down)
    # a run that heads a group (a Prefect flow run: its tasks' group is its id) shows its members,
    # one hop around each, though no edge links them to it
    members_of_root: list[str] = []
    if root.startswith("run:"):
        for member in queries.group_members(store.metadata, root[4:], limit=GROUP_MEMBERS):
            key = f"run:{member}"
            members_of_root.append(key)
            merge(upstream(g, key, min(up, 1)))
            merge(downstream(g, key, min(down, 1)))
    expanded = [x for x in dict.fromkeys(req.expand) if x in nodes and x != root]
    for x in expanded:
        merge(upstream(g, x, 1))
        merge(downstream(g, x, 1))
    with g.lock:  # edges among visible nodes that neither walk crossed (an ancestor's shortcut)
        succ = g.graph.succ
        for u in nodes:
            for v, d in succ[u].items() if u in succ else ():
                if v in nodes and d["kind"] in _FLOW:
                    edges.setdefault((u, v), d["kind"])

    view = shape(store, nodes, edges, root, keep=expanded, links=members_of_root, opened=req.open,
                 limit=None if req.force else req.limit)
    md = store.metadata
    runs = view.runs
    degree = queries.degrees(md, [d["id"] for d in nodes.values() if d["kind"] == "artifact"],
                             [d["id"] for d in nodes.values() if d["kind"] == "run"])
    ins: dict[str, set[str]] = defaultdict(set)
    outs: dict[str, set[str]] = defaultdict(set)
    for u, v in edges:
        outs[u].add(v)
        ins[v].add(u)
    hidden = {
        n: (max(0, degree.get(n, (0, 0))[0] - len(ins[n])), max(0, degree.get(n, (0, 0))[1] - len(outs[n])))
        for n in nodes
    }
    versions_n = sum(1 for n in nodes if nodes[n]["kind"] == "artifact")
    runs_n = len(nodes) - versions_n - sum(1 for n in nodes if nodes[n]["kind"] == "collection")
    counts = {
        "nodes": len(view.shown), "edges": len(view.edges), "versions": versions_n, "runs": runs_n,
        "clusters": len(view.clusters), "merged": view.merged,
    }
    payload: dict[str, Any] = {
        "focus": root, "focus_label": node_labels(nodes[root], runs)[0],
        "up": up, "down": down, "expand": expanded, "open": sorted(set(req.open)), "limit": req.limit,
        "counts": counts, "too_large": None, "nodes": [], "edges": [], "groups": [],
    }
    if view.too_large:
        per_hop: dict[int, int] = defaultdict(int)
        for n in view.shown:
            per_hop[view.dist.get(n, 0)] += 1
        fits, total = 0, 0
        for hop in sorted(per_hop):
            total += per_hop[hop]
            if total > req.limit:
                break
            fits = hop
        payload["too_large"] = {"nodes": len(view.shown), "edges": len(view.edges), "limit": req.limit, "fits": fits}
        return payload

    payload["groups"] = [{"id": f"group:{grp}", "label": view.group_labels[grp]} for grp in view.boxes]
    for n in view.shown:
        box = view.box(n)
        label, sub = view.label(n)
        item: dict[str, Any] = {"id": n, "parent": f"group:{box}" if box else None, "dist": view.dist.get(n, 0),
                                "via": view.via.get(n), "focus": n == root, "label": label, "sub": sub,
                                "count": view.count(n)}
        if n in view.clusters:
            inner = view.inner(n)
            item |= {"kind": "cluster", "of": nodes[inner[0]]["kind"],
                     "members": [_member(nodes[m], runs, base) for m in inner[:_MEMBERS_SHOWN]],
                     "hidden_up": 0, "hidden_down": 0}
        else:
            d = nodes[n]
            item |= {"kind": d["kind"], "href": href(base, d), "state": d.get("state"), "type": d.get("type"),
                     "hidden_up": hidden[n][0], "hidden_down": hidden[n][1]}
            if item["count"] > 1:
                item["members"] = [_member(nodes[m], runs, base) for m in view.members[n][:_MEMBERS_SHOWN]]
            group = runs[d["id"]].group if d["kind"] == "run" and d["id"] in runs else None
            if group and not box:
                item["group"] = group
        payload["nodes"].append(item)
    payload["nodes"].sort(key=lambda i: (i["dist"], i["kind"] != "artifact", i["label"]))
    payload["edges"] = sorted(({"source": e.source, "target": e.target, "kind": e.kind, "count": e.count}
                               for e in view.edges.values()), key=lambda e: (e["source"], e["target"]))
    return payload


def shape(store: Store, nodes: dict[str, dict[str, Any]], edges: dict[tuple[str, str], str], root: str, *,
          keep: Collection[str] = (), links: Iterable[str] = (), opened: Collection[str] = (),
          limit: int | None = None) -> Readable:
    """The readable cut (:func:`artiflow.lineage.readable.readable`) of walked nodes, with what the
    store knows of their runs; the CLI's text, DOT and Mermaid draw the same cut."""
    md = store.metadata
    runs = queries.runs_by_ids(md, [d["id"] for d in nodes.values() if d["kind"] == "run"])
    keep = {root, *keep}
    full = queries.run_neighbours(md, [d["id"] for n, d in nodes.items() if d["kind"] == "run" and n not in keep])
    return readable(nodes, edges, root, runs=runs, neighbours=full, keep=keep, links=links, opened=opened,
                    limit=limit, heads=lambda ids: queries.runs_by_ids(md, ids))


def _too_many(nodes: dict[str, dict[str, Any]], edges: dict[tuple[str, str], str], depth: dict[str, int],
              req: ViewRequest, root: str, up: int, down: int) -> dict[str, Any]:
    """The guard's answer straight after the walk: what lies within reach, and the hops that fit."""
    per_hop: dict[int, int] = defaultdict(int)
    for hop in depth.values():
        per_hop[hop] += 1
    fits, total = 0, 0
    for hop in sorted(per_hop):
        total += per_hop[hop]
        if total > WALK_LIMIT:
            break
        fits = hop
    versions = sum(1 for d in nodes.values() if d["kind"] == "artifact")
    runs = sum(1 for d in nodes.values() if d["kind"] == "run")
    focus = nx.DiGraph()
    focus.add_node(root, **nodes[root])
    return {
        "focus": root, "focus_label": label(focus, root), "up": up, "down": down, "expand": [], "open": [],
        "limit": req.limit, "too_large": {"nodes": len(nodes), "edges": len(edges), "limit": req.limit, "fits": fits,
                                          "before_clustering": True},
        "counts": {"nodes": len(nodes), "edges": len(edges), "versions": versions, "runs": runs, "clusters": 0,
                   "merged": 0},
        "nodes": [], "edges": [], "groups": [],
    }


def _member(d: dict[str, Any], runs: Mapping[str, RunLike], base: str) -> dict[str, str]:
    label, sub = node_labels(d, runs)
    return {"id": f"{d['kind']}:{d['id']}", "label": label, "sub": sub, "href": href(base, d)}

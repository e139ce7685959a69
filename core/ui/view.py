"""The lineage view: the part of the graph worth drawing around one focus node.

The server does the heavy graph work so that the browser draws a few hundred nodes at most:

1. walk ``up`` hops upstream and ``down`` hops downstream of the focus (``artiflow.lineage``),
   plus one hop around each node the user expanded;
2. merge runs whose whole neighbourhood is identical (the same job re-run, re-logging the same
   version from the same inputs) into one node whose edges carry the count;
3. cluster 5 or more siblings of the same kind (same collection, or same job type) hanging off the
   same nodes on the way to the focus, W&B style; the user can open a cluster;
4. put runs into a box per group (a Prefect flow run, a Dagster run) when it holds two or more;
5. past ``limit`` drawn nodes, answer with the counts only (the "too large" guard).

>>> view = lineage_view(store, ViewRequest("demo/model:v0"))     # doctest: +SKIP
>>> view["counts"]                                              # doctest: +SKIP
{'nodes': 5, 'edges': 4, 'versions': 3, 'runs': 2, 'clusters': 0, 'merged': 0}
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import networkx as nx
from artiflow.lineage import downstream, label, upstream

from ..metadata import RunRecord
from ..store import Store
from . import queries

CLUSTER_MIN = 5
"""Siblings needed to make a cluster."""

MAX_DEPTH = 50
WALK_LIMIT = 10_000
"""Nodes reached past which the view answers with counts before clustering them (a hub version used
by 50,000 runs costs seconds per 10,000 nodes to look up and fold)."""
GROUP_MEMBERS = 500
"""Runs of a group shown around the run that heads it."""
_DAGSTER_JOBS = {"asset", "multi_asset", "asset_check", "op"}
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

    md = store.metadata
    run_ids = [d["id"] for d in nodes.values() if d["kind"] == "run"]
    version_ids = [d["id"] for d in nodes.values() if d["kind"] == "artifact"]
    runs = queries.runs_by_ids(md, run_ids)
    degree = queries.degrees(md, version_ids, run_ids)
    ins: dict[str, set[str]] = defaultdict(set)
    outs: dict[str, set[str]] = defaultdict(set)
    for u, v in edges:
        outs[u].add(v)
        ins[v].add(u)
    hidden = {
        n: (max(0, degree.get(n, (0, 0))[0] - len(ins[n])), max(0, degree.get(n, (0, 0))[1] - len(outs[n])))
        for n in nodes
    }
    keep = {root, *expanded}

    # 2. identical re-runs: same job type, same complete neighbourhood
    rep: dict[str, str] = {n: n for n in nodes}
    members: dict[str, list[str]] = {n: [n] for n in nodes}
    by_sig: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    candidates = [n for n, d in nodes.items() if d["kind"] == "run" and n not in keep]
    full = queries.run_neighbours(md, [nodes[n]["id"] for n in candidates])
    for n in candidates:
        d = nodes[n]
        if d["id"] in full:  # the whole neighbourhood, shown or not: only true repeats merge
            job = runs[d["id"]].job_type if d["id"] in runs else None
            by_sig[(job, *full[d["id"]])].append(n)
    merged = 0
    for same in by_sig.values():
        if len(same) < 2:
            continue
        producer = {nodes[a].get("producer") for o in same for a in outs[o]}
        same.sort(key=lambda n: (nodes[n]["id"] not in producer, _created(runs, nodes[n]["id"]), n))
        head = same[0]
        for other in same[1:]:
            rep[other] = head
        members[head] = same
        merged += len(same) - 1

    # 3. clusters of siblings, ring by ring away from the focus
    view_adj: dict[str, set[str]] = defaultdict(set)
    rep_dir: set[tuple[str, str]] = set()
    for u, v in edges:
        ru, rv = rep[u], rep[v]
        if ru != rv:
            view_adj[ru].add(rv)
            view_adj[rv].add(ru)
            rep_dir.add((ru, rv))
    for m in members_of_root:
        if m in rep and rep[m] != root:
            view_adj[root].add(rep[m])
            view_adj[rep[m]].add(root)
    dist, via = _bfs(view_adj, root)
    cluster_of: dict[str, str] = {}
    clusters: dict[str, list[str]] = {}
    opened = set(req.open)
    rings: dict[int, list[str]] = defaultdict(list)
    for n, k in dist.items():
        rings[k].append(n)
    for k in sorted(rings):
        if k == 0:
            continue
        groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for n in rings[k]:
            if n in keep:
                continue
            d = nodes[n]
            kind_key = (d["project"], d["name"]) if d["kind"] == "artifact" else _job(runs, d)
            toward = frozenset(
                (cluster_of.get(p, p), (p, n) in rep_dir)
                for p in view_adj[n] if dist.get(p) == k - 1
            )
            groups[(d["kind"], kind_key, toward)].append(n)
        for same in groups.values():
            if sum(len(members[n]) for n in same) < CLUSTER_MIN or len(same) < 2:
                continue
            cid = "cluster:" + hashlib.sha1(repr(sorted(same)).encode()).hexdigest()[:12]
            if cid in opened:
                continue
            clusters[cid] = sorted(same, key=lambda n: _sort_key(nodes[n]))
            for n in same:
                cluster_of[n] = cid

    def final(n: str) -> str:
        r = rep[n]
        return cluster_of.get(r, r)

    out_edges: dict[tuple[str, str], dict[str, Any]] = {}
    for (u, v), kind in edges.items():
        fu, fv = final(u), final(v)
        if fu == fv:
            continue
        e = out_edges.setdefault((fu, fv), {"source": fu, "target": fv, "kind": kind, "count": 0})
        e["count"] += 1

    shown = [n for n in dict.fromkeys(final(n) for n in nodes)]
    versions_n = sum(1 for n in nodes if nodes[n]["kind"] == "artifact")
    runs_n = len(nodes) - versions_n - sum(1 for n in nodes if nodes[n]["kind"] == "collection")
    counts = {
        "nodes": len(shown), "edges": len(out_edges), "versions": versions_n, "runs": runs_n,
        "clusters": len(clusters), "merged": merged,
    }
    payload: dict[str, Any] = {
        "focus": root, "focus_label": _labels(nodes[root], runs)[0], "up": up, "down": down,
        "expand": expanded, "open": sorted(opened), "limit": req.limit, "counts": counts,
        "too_large": None, "nodes": [], "edges": [], "groups": [],
    }
    if len(shown) > req.limit and not req.force:
        per_hop: dict[int, int] = defaultdict(int)
        for n in shown:
            per_hop[dist.get(clusters[n][0] if n in clusters else n, 0)] += 1
        fits, total = 0, 0
        for hop in sorted(per_hop):
            total += per_hop[hop]
            if total > req.limit:
                break
            fits = hop
        payload["too_large"] = {"nodes": len(shown), "edges": len(out_edges), "limit": req.limit, "fits": fits}
        return payload

    group_of: dict[str, str | None] = {}
    for n in shown:
        ids = clusters.get(n, [n])
        gs = {runs[nodes[m]["id"]].group for i in ids for m in members[i]
              if nodes[m]["kind"] == "run" and nodes[m]["id"] in runs}
        group_of[n] = next(iter(gs)) if len(gs) == 1 and nodes[ids[0]]["kind"] == "run" else None
    # a version sits in the box of the run that logged it (an asset of a Dagster run, a task's output)
    producers: dict[str, set[str | None]] = defaultdict(set)
    for e in out_edges.values():
        if e["kind"] == "logged":
            producers[e["target"]].add(group_of.get(e["source"]))
    for n in shown:
        if group_of.get(n) is None and len(producers.get(n, ())) == 1:
            group_of[n] = next(iter(producers[n]))
    sizes: dict[str, int] = defaultdict(int)
    for n, grp in group_of.items():
        if grp:
            sizes[grp] += 1
    boxes = sorted(grp for grp, k in sizes.items() if k >= 2)
    heads = queries.runs_by_ids(md, boxes)
    payload["groups"] = [{"id": f"group:{grp}", "label": _group_label(grp, heads.get(grp), runs, nodes)}
                         for grp in boxes]
    for n in shown:
        grp = group_of.get(n)
        parent = f"group:{grp}" if grp in sizes and sizes[grp] >= 2 else None
        via_n = via.get(n)
        item: dict[str, Any] = {"id": n, "parent": parent, "dist": dist.get(n, 0),
                                "via": final(via_n) if via_n else None, "focus": n == root}
        if n in clusters:
            inner = [m for c in clusters[n] for m in members[c]]
            first = nodes[inner[0]]
            total = len(inner)
            if first["kind"] == "artifact":
                label, sub = f"{total} × {first['name']}", f"{first['type']} versions"
            else:
                label, sub = f"{total} × {_job(runs, first) or 'run'}", "runs"
            item |= {"kind": "cluster", "of": first["kind"], "label": label, "sub": sub, "count": total,
                     "members": [_member(nodes[m], runs, base) for m in inner[:_MEMBERS_SHOWN]],
                     "hidden_up": 0, "hidden_down": 0}
        else:
            d = nodes[n]
            label, sub = _labels(d, runs)
            count = len(members[n])
            if count > 1:
                sub = f"{sub} · ×{count} runs" if sub else f"×{count} runs"
            item |= {"kind": d["kind"], "label": label, "sub": sub, "count": count, "href": href(base, d),
                     "state": d.get("state"), "type": d.get("type"),
                     "hidden_up": hidden[n][0], "hidden_down": hidden[n][1]}
            if count > 1:
                item["members"] = [_member(nodes[m], runs, base) for m in members[n][:_MEMBERS_SHOWN]]
            if d["kind"] == "run" and d["id"] in runs and runs[d["id"]].group and not parent:
                item["group"] = runs[d["id"]].group
        payload["nodes"].append(item)
    payload["nodes"].sort(key=lambda i: (i["dist"], i["kind"] != "artifact", i["label"]))
    payload["edges"] = sorted(out_edges.values(), key=lambda e: (e["source"], e["target"]))
    return payload


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


def _bfs(adj: dict[str, set[str]], root: str) -> tuple[dict[str, int], dict[str, str]]:
    dist, via = {root: 0}, {}
    frontier = [root]
    while frontier:
        nxt = []
        for n in frontier:
            for m in sorted(adj[n]):
                if m not in dist:
                    dist[m] = dist[n] + 1
                    via[m] = n
                    nxt.append(m)
        frontier = nxt
    return dist, via


def _created(runs: dict[str, RunRecord], run_id: str) -> str:
    r = runs.get(run_id)
    return r.created_at.isoformat() if r else ""


def _job(runs: dict[str, RunRecord], d: dict[str, Any]) -> str | None:
    r = runs.get(d["id"])
    return r.job_type if r else None


def _sort_key(d: dict[str, Any]) -> tuple[Any, ...]:
    return (d.get("project", ""), d.get("name", ""), d.get("version_index", 0), d.get("id", ""))


def _labels(d: dict[str, Any], runs: dict[str, RunRecord]) -> tuple[str, str]:
    """The two lines of a node card: ``name:vN`` and the type, or the run's name and job type."""
    if d["kind"] == "artifact":
        sub = str(d.get("type") or "")
        if d.get("state") == "DELETED":
            sub += " · deleted"
        return f"{d['name']}:v{d['version_index']}", sub
    r = runs.get(d["id"])
    if r is None:
        return str(d["id"]), "run"
    return r.name or r.id, r.job_type or "run"


def _member(d: dict[str, Any], runs: dict[str, RunRecord], base: str) -> dict[str, str]:
    label, sub = _labels(d, runs)
    return {"id": f"{d['kind']}:{d['id']}", "label": label, "sub": sub, "href": href(base, d)}


def _group_label(group: str, head: RunRecord | None, runs: dict[str, RunRecord],
                 nodes: dict[str, dict[str, Any]]) -> str:
    """A Prefect flow run is a run itself (the group is its id); a Dagster run is named by its id."""
    if head is not None:
        job = head.job_type or ""
        return f"{job.removeprefix('flow:')} · {head.name}" if job.startswith("flow:") else f"{head.name}"
    jobs = {r.job_type for r in runs.values() if r.group == group}
    kind = "Dagster run" if jobs & _DAGSTER_JOBS else "group"
    return f"{kind} {group[:8]}"

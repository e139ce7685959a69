"""A readable cut of a lineage graph: identical re-runs folded, similar siblings clustered, runs boxed.

The web UI's lineage view and ``artiflow lineage`` (text, DOT, Mermaid) draw the same cut of the
nodes a walk reached around one focus:

1. runs whose whole neighbourhood is identical (the same job re-run, re-logging the same versions
   from the same inputs) fold into one node, the creator first, whose edges carry the count;
2. 5 or more siblings of one kind (versions of one collection, runs of one job type) hanging off the
   same nodes on the way to the focus make a cluster, W&B style, unless the caller opened it;
3. runs sit in a box per group (a Prefect flow run, a Dagster run) that holds two or more drawn
   nodes; a version sits in the box of the run that logged it.

Pure: the caller hands in what it walked, what it knows of the runs (anything shaped like
:class:`RunInfo`), each run's complete neighbourhood and a lookup for the runs heading groups.

>>> from datetime import datetime
>>> v = {"kind": "artifact", "id": "a", "project": "p", "name": "raw", "type": "dataset",
...      "version_index": 0, "producer": "r0"}
>>> nodes = {"artifact:a": v} | {f"run:r{i}": {"kind": "run", "id": f"r{i}", "project": "p"} for i in range(3)}
>>> runs = {f"r{i}": RunInfo(f"r{i}", f"ingest-{i}", "ingest", f"flow{i}", datetime(2026, 1, 1, i)) for i in range(3)}
>>> view = readable(nodes, {(f"run:r{i}", "artifact:a"): "logged" for i in range(3)}, "artifact:a",
...                 runs=runs, neighbours={f"r{i}": (frozenset(), frozenset({"a"})) for i in range(3)})
>>> view.shown, view.merged, [(e.source, e.target, e.count) for e in view.edges.values()]
(['artifact:a', 'run:r0'], 2, [('run:r0', 'artifact:a', 3)])
>>> view.label("run:r0"), view.label("artifact:a", qualified=True)
(('ingest-0', 'ingest · ×3 runs'), ('p/raw:v0', 'dataset'))
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

CLUSTER_MIN = 5
"""Siblings needed to make a cluster."""

_DAGSTER_JOBS = {"asset", "multi_asset", "asset_check", "op"}


class RunLike(Protocol):
    """What the cut needs to know of a run (the store's run records have it)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def job_type(self) -> str | None: ...
    @property
    def group(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A plain :class:`RunLike`."""

    id: str
    name: str | None
    job_type: str | None
    group: str | None
    created_at: datetime


@dataclass(slots=True)
class Edge:
    """A drawn edge: ``count`` recorded edges folded into it (re-runs, cluster members)."""

    source: str
    target: str
    kind: str
    count: int = 0


Neighbours = Mapping[str, tuple[frozenset[str], frozenset[str]]]
"""Per run id: the ids of the versions it used and of those it logged, shown or not."""


@dataclass
class Readable:
    """The cut: ``shown`` are the drawn nodes (walked nodes, folded-run heads, clusters), nearest first."""

    root: str
    nodes: dict[str, dict[str, Any]]
    runs: Mapping[str, RunLike]
    shown: list[str]
    edges: dict[tuple[str, str], Edge]
    members: dict[str, list[str]]
    """A walked node's folded runs (head first; itself alone if nothing folded into it)."""
    clusters: dict[str, list[str]]
    """A cluster's nodes (each a head of its ``members``)."""
    dist: dict[str, int]
    via: dict[str, str]
    """The next drawn node on the way to the focus."""
    merged: int
    too_large: bool = False
    group_of: dict[str, str | None] = field(default_factory=dict)
    boxes: list[str] = field(default_factory=list)
    """Groups holding two or more drawn nodes."""
    group_labels: dict[str, str] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    """Drawn nodes next to the root with no edge to it (the task runs of a flow run in focus)."""
    rep: dict[str, str] = field(default_factory=dict)
    cluster_of: dict[str, str] = field(default_factory=dict)

    def final(self, node: str) -> str:
        """The drawn node a walked node is part of."""
        r = self.rep.get(node, node)
        return self.cluster_of.get(r, r)

    def inner(self, node: str) -> list[str]:
        """Every walked node behind a drawn one."""
        return [m for c in self.clusters.get(node, [node]) for m in self.members.get(c, [c])]

    def count(self, node: str) -> int:
        return len(self.inner(node))

    def box(self, node: str) -> str | None:
        """The group whose box a drawn node sits in."""
        g = self.group_of.get(node)
        return g if g is not None and g in self.boxes else None

    def label(self, node: str, *, qualified: bool = False) -> tuple[str, str]:
        """The two lines of a node's card: ``name:vN`` and the type, or the run's name and job type.

        ``qualified`` names versions ``project/name:vN`` and unnamed runs ``project/run_id``.
        """
        if node in self.clusters:
            inner = self.inner(node)
            first = self.nodes[inner[0]]
            if first["kind"] == "artifact":
                name = f"{first['project']}/{first['name']}" if qualified else first["name"]
                return f"{len(inner)} × {name}", f"{first['type']} versions"
            return f"{len(inner)} × {_job(self.runs, first) or 'run'}", "runs"
        label, sub = node_labels(self.nodes[node], self.runs, qualified=qualified)
        n = len(self.members.get(node, [node]))
        if n > 1:
            sub = f"{sub} · ×{n} runs" if sub else f"×{n} runs"
        return label, sub


def node_labels(d: Mapping[str, Any], runs: Mapping[str, RunLike], *, qualified: bool = False) -> tuple[str, str]:
    """The two lines of one walked node's card (see :meth:`Readable.label`)."""
    if d["kind"] == "artifact":
        sub = str(d.get("type") or "")
        if d.get("state") == "DELETED":
            sub += " · deleted"
        name = f"{d['project']}/{d['name']}" if qualified else d["name"]
        return f"{name}:v{d['version_index']}", sub
    r = runs.get(d["id"])
    path = f"{d.get('project')}/{d['id']}" if qualified else str(d["id"])
    if r is None:
        return path, "run"
    return (r.name if r.name and r.name != r.id else path), r.job_type or "run"


def readable(
    nodes: Mapping[str, dict[str, Any]],
    edges: Mapping[tuple[str, str], str],
    root: str,
    *,
    runs: Mapping[str, RunLike],
    neighbours: Neighbours,
    heads: Callable[[Sequence[str]], Mapping[str, RunLike]] | None = None,
    keep: Collection[str] = (),
    links: Iterable[str] = (),
    opened: Collection[str] = (),
    limit: int | None = None,
) -> Readable:
    """Fold, cluster and box the walked ``nodes`` and ``edges`` (``(u, v) -> kind``) around ``root``.

    ``keep`` are nodes never folded nor clustered (the root always is); ``links`` are nodes drawn as
    next to the root though no edge joins them (the task runs of a flow run in focus); ``opened``
    are cluster ids not to form; past ``limit`` drawn nodes the cut stops before boxing
    (``too_large``). ``heads(group_ids)`` finds the runs heading groups, to label their boxes.
    """
    nodes = dict(nodes)
    keep = {root, *keep}
    links = [m for m in links if m in nodes and m != root]
    outs: dict[str, set[str]] = defaultdict(set)
    for u, v in edges:
        outs[u].add(v)

    # 1. identical re-runs: same job type, same complete neighbourhood
    rep: dict[str, str] = {n: n for n in nodes}
    members: dict[str, list[str]] = {n: [n] for n in nodes}
    by_sig: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for n, d in nodes.items():
        if d["kind"] == "run" and n not in keep and d["id"] in neighbours:
            by_sig[(_job(runs, d), *neighbours[d["id"]])].append(n)
    merged = 0
    for same in by_sig.values():
        if len(same) < 2:
            continue
        producer = {nodes[a].get("producer") for o in same for a in outs[o]}
        same.sort(key=lambda n: (nodes[n]["id"] not in producer, _created(runs, nodes[n]["id"]), n))
        for other in same[1:]:
            rep[other] = same[0]
        members[same[0]] = same
        merged += len(same) - 1

    # 2. clusters of siblings, ring by ring away from the focus
    adj: dict[str, set[str]] = defaultdict(set)
    directed: set[tuple[str, str]] = set()
    for u, v in edges:
        ru, rv = rep[u], rep[v]
        if ru != rv:
            adj[ru].add(rv)
            adj[rv].add(ru)
            directed.add((ru, rv))
    for m in links:
        if rep[m] != root:
            adj[root].add(rep[m])
            adj[rep[m]].add(root)
    dist, via = _bfs(adj, root)
    cluster_of: dict[str, str] = {}
    clusters: dict[str, list[str]] = {}
    rings: dict[int, list[str]] = defaultdict(list)
    for n, k in dist.items():
        rings[k].append(n)
    for k in sorted(rings):
        if k == 0:
            continue
        siblings: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for n in rings[k]:
            if n in keep:
                continue
            d = nodes[n]
            kind_key = (d["project"], d["name"]) if d["kind"] == "artifact" else _job(runs, d)
            toward = frozenset((cluster_of.get(p, p), (p, n) in directed) for p in adj[n] if dist.get(p) == k - 1)
            siblings[(d["kind"], kind_key, toward)].append(n)
        for same in siblings.values():
            if sum(len(members[n]) for n in same) < CLUSTER_MIN or len(same) < 2:
                continue
            cid = "cluster:" + hashlib.sha1(repr(sorted(same)).encode()).hexdigest()[:12]
            if cid in opened:
                continue
            clusters[cid] = sorted(same, key=lambda n: _sort_key(nodes[n]))
            for n in same:
                cluster_of[n] = cid

    view = Readable(root=root, nodes=nodes, runs=runs, shown=[], edges={}, members=members, clusters=clusters,
                    dist=dist, via={}, merged=merged, rep=rep, cluster_of=cluster_of)
    for (u, v), kind in edges.items():
        fu, fv = view.final(u), view.final(v)
        if fu != fv:
            view.edges.setdefault((fu, fv), Edge(fu, fv, kind)).count += 1
    view.shown = list(dict.fromkeys(view.final(n) for n in nodes))
    view.links = [f for f in dict.fromkeys(view.final(m) for m in links) if f != root]
    view.via = {n: view.final(via[n]) for n in view.shown if n in via}
    for cid, inside in clusters.items():
        view.dist[cid] = dist.get(inside[0], 0)
        if inside[0] in via:
            view.via[cid] = view.final(via[inside[0]])
    view.shown.sort(key=lambda n: (view.dist.get(n, 0), _kind(view, n) != "artifact", view.label(n)[0]))
    if limit is not None and len(view.shown) > limit:
        view.too_large = True
        return view
    _box(view, heads)
    return view


def _box(view: Readable, heads: Callable[[Sequence[str]], Mapping[str, RunLike]] | None) -> None:
    """3. a box per group of two or more drawn nodes; a version goes in the box of the run that logged it."""
    runs, nodes = view.runs, view.nodes
    for n in view.shown:
        inner = view.inner(n)
        gs = {runs[nodes[m]["id"]].group for m in inner if nodes[m]["kind"] == "run" and nodes[m]["id"] in runs}
        view.group_of[n] = next(iter(gs)) if len(gs) == 1 and nodes[inner[0]]["kind"] == "run" else None
    producers: dict[str, set[str | None]] = defaultdict(set)
    for e in view.edges.values():
        if e.kind == "logged":
            producers[e.target].add(view.group_of.get(e.source))
    for n in view.shown:
        if view.group_of.get(n) is None and len(producers.get(n, ())) == 1:
            view.group_of[n] = next(iter(producers[n]))
    sizes: dict[str, int] = defaultdict(int)
    for grp in view.group_of.values():
        if grp:
            sizes[grp] += 1
    view.boxes = sorted(grp for grp, k in sizes.items() if k >= 2)
    found = heads(sorted(sizes)) if heads is not None else {}
    view.group_labels = {grp: group_label(grp, found.get(grp), runs) for grp in sorted(sizes)}


def group_label(group: str, head: RunLike | None, runs: Mapping[str, RunLike]) -> str:
    """A Prefect flow run is a run itself (the group is its id); a Dagster run is named by its id.

    >>> from datetime import datetime
    >>> group_label("f1", RunInfo("f1", "etl-run-4", "flow:etl", "f1", datetime(2026, 1, 1)), {})
    'etl · etl-run-4'
    """
    if head is not None:
        job = head.job_type or ""
        return f"{job.removeprefix('flow:')} · {head.name}" if job.startswith("flow:") else f"{head.name}"
    jobs = {r.job_type for r in runs.values() if r.group == group}
    kind = "Dagster run" if jobs & _DAGSTER_JOBS else "group"
    return f"{kind} {group[:8]}"


def _kind(view: Readable, node: str) -> str:
    return "cluster" if node in view.clusters else str(view.nodes[node]["kind"])


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


def _created(runs: Mapping[str, RunLike], run_id: str) -> str:
    r = runs.get(run_id)
    return r.created_at.isoformat() if r else ""


def _job(runs: Mapping[str, RunLike], d: Mapping[str, Any]) -> str | None:
    r = runs.get(d["id"])
    return r.job_type if r else None


def _sort_key(d: Mapping[str, Any]) -> tuple[Any, ...]:
    return (d.get("project", ""), d.get("name", ""), d.get("version_index", 0), d.get("id", ""))

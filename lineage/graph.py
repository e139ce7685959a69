"""The lineage graph: runs, artifact versions and collections in a networkx ``DiGraph``.

Node keys are strings: ``run:<run id>``, ``artifact:<version id>`` and
``collection:<project>/<name>``. Edges carry a ``kind``: ``logged`` (run → artifact),
``used`` (artifact → run) and ``version_of`` (artifact → collection).

>>> g = LineageGraph()
>>> g.apply(LineageEvent(1, "logged", True, "r1", "p", "v1", "p", "cats", "dataset", 0))
>>> g.apply(LineageEvent(2, "used", False, "r2", "p", "v1", "p", "cats", "dataset", 0))
>>> g.logged_by("v1"), g.used_by("v1"), g.collection_type("p", "cats")
('r1', ['r2'], 'dataset')
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import networkx as nx


class EdgeLike(Protocol):
    """What one stored log/use record must offer to be placed in the graph."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def created(self) -> bool: ...
    @property
    def run_id(self) -> str: ...
    @property
    def run_project(self) -> str: ...
    @property
    def version_id(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def version_index(self) -> int: ...


@dataclass(frozen=True, slots=True)
class LineageEvent:
    """A plain :class:`EdgeLike`, handy for tests and for feeding events by hand."""

    id: int
    kind: str
    created: bool
    run_id: str
    run_project: str
    version_id: str
    project: str
    name: str
    type: str
    version_index: int
    state: str = "COMMITTED"


def run_node(run_id: str) -> str:
    return f"run:{run_id}"


def artifact_node(version_id: str) -> str:
    return f"artifact:{version_id}"


def collection_node(project: str, name: str) -> str:
    return f"collection:{project}/{name}"


_FLOW = ("logged", "used")
_OTHER = {"logged": "used", "used": "logged"}


def _label(node: str, data: dict[str, Any]) -> str:
    if data.get("kind") == "artifact":
        return str(data["ref"])
    if data.get("kind") == "run":
        return str(data.get("path") or f"{data.get('project')}/{data['id']}")
    return node


def add_nodes(graph: nx.DiGraph, nodes: dict[str, dict[str, object]]) -> None:
    """``graph.add_nodes_from(nodes.items())``, faster: networkx pays an exception for every
    ``(node, attributes)`` pair, so the nodes go in bare and their attributes after."""
    graph.add_nodes_from(nodes)
    into = graph.nodes
    for node, data in nodes.items():
        into[node].update(data)


Direction = Literal["in", "out"]
"""Which edges of a node: ``in`` (a version's logs, a run's uses) or ``out`` (a version's uses, a run's logs)."""


FlowRow = tuple[int, str, int, int, bool]
"""A bare edge record seen from one end: ``(key, other node, other key, record id, created)``.
Nodes are named as :func:`run_node` and :func:`artifact_node` name them; keys are the source's
integer keys of versions and runs (see ``LineageSource.describe``)."""

VersionRow = tuple[str, str, int, str, str, str, str, int, str]
"""What the graph keeps of a version: ``(node, ref, key, id, project, name, type, version_index, state)``."""

RunRow = tuple[str, str, int, str, str]
"""What the graph keeps of a run: ``(node, path, key, id, project)``."""


class LineageSource(Protocol):
    """Where a graph loads records from on demand (the metadata database, in a store)."""

    def latest_edge_id(self) -> int: ...
    def edges_since(self, cursor: int) -> Sequence[EdgeLike]: ...
    def edges_of(
        self, *, version_ids: Sequence[str], run_ids: Sequence[str], direction: Direction | None = None
    ) -> Sequence[EdgeLike]: ...
    def flow_of(
        self, *, version_keys: Sequence[int], run_keys: Sequence[int], direction: Direction
    ) -> tuple[Sequence[FlowRow], Sequence[FlowRow]]:
        """The records on one side of these versions and of these runs (two lists)."""
        ...
    def describe(
        self,
        *,
        version_ids: Sequence[str] = (),
        run_ids: Sequence[str] = (),
        version_keys: Sequence[int] = (),
        run_keys: Sequence[int] = (),
    ) -> tuple[Sequence[VersionRow], Sequence[RunRow]]:
        """Versions and runs by id or by integer key (which numbers them in creation order)."""
        ...
    def resolve_artifact(self, ref: str) -> str | None: ...
    def run_exists(self, run_id: str) -> bool: ...
    def collection_type(self, project: str, name: str) -> str | None: ...
    def collisions(self, project: str | None) -> dict[tuple[str, str], list[str]]: ...


class LineageGraph:
    """A lineage graph kept in step with the stored edge records.

    Without a ``source`` the graph is whatever was applied to it. With one, it is a window onto
    the database: a node's edges are loaded the first time a query reaches it (``expand``), and
    ``sync`` applies records written since (by any process), so a store with millions of nodes is
    never loaded whole. ``cursor`` is the id of the last record ``sync`` saw.
    """

    def __init__(self, source: LineageSource | None = None) -> None:
        self._nx: nx.DiGraph = nx.DiGraph()
        self.source = source
        self.cursor = 0
        self.lock = threading.RLock()
        self._loaded: dict[Direction, set[str]] = {"in": set(), "out": set()}
        self._synced = False
        self._by_ref: dict[str, str] = {}
        # What walks read, in plain dicts (networkx costs microseconds per node and edge): per
        # side, the ``logged``/``used`` neighbours of each node whose side is known completely,
        # with the id of the first record between them; and the label of every described node.
        self._flow: dict[Direction, dict[str, dict[str, int]]] = {"in": {}, "out": {}}
        self._labels: dict[str, str] = {}
        self._keys: dict[str, int] = {}  # the source's integer key of a node (see ``flow``)
        # Read by walks but not yet placed in the networkx graph: placed when ``graph`` is read.
        self._pending_nodes: dict[str, VersionRow | RunRow] = {}
        self._unplaced: dict[Direction, list[str]] = {"in": [], "out": []}  # sides to copy from _flow
        self._created_by: dict[str, str] = {}  # version node -> id of the run that created it

    @property
    def graph(self) -> nx.DiGraph:
        """The loaded part of the lineage as a networkx ``DiGraph`` (what walks read since the
        last access is placed in it first)."""
        with self.lock:
            if self._pending_nodes or self._unplaced["in"] or self._unplaced["out"]:
                self._flush()
            return self._nx

    @property
    def loaded(self) -> dict[Direction, set[str]]:
        """The nodes whose edges are loaded, per side (read-only: see :meth:`expand`)."""
        return self._loaded

    def _known(self, node: str) -> bool:
        return node in self._nx or node in self._pending_nodes

    # -- feeding -------------------------------------------------------------------------------

    def apply(self, edge: EdgeLike) -> None:
        """Apply one record in order; records at or before ``cursor`` are skipped."""
        with self.lock:
            if edge.id <= self.cursor:
                return
            self._place(edge)
            self.cursor = edge.id

    def _place(self, edge: EdgeLike) -> None:
        if edge.kind not in ("logged", "used"):  # checked first: a bad record must not add nodes
            raise ValueError(f"Unknown lineage edge kind {edge.kind!r}.")
        g = self.graph
        a, r = artifact_node(edge.version_id), run_node(edge.run_id)
        if a not in g:
            c = collection_node(edge.project, edge.name)
            if c not in g:
                g.add_node(c, kind="collection", project=edge.project, name=edge.name, type=edge.type)
            ref = f"{edge.project}/{edge.name}:v{edge.version_index}"
            g.add_node(
                a, kind="artifact", id=edge.version_id, project=edge.project, name=edge.name,
                type=edge.type, version_index=edge.version_index, ref=ref, producer=None,
                state=getattr(edge, "state", "COMMITTED"),
            )
            g.add_edge(a, c, kind="version_of", seq=0)
            self._by_ref[ref] = edge.version_id
        if r not in g:
            g.add_node(r, kind="run", id=edge.run_id, project=edge.run_project,
                       path=f"{edge.run_project}/{edge.run_id}")
        if edge.kind == "logged":
            # With a source, only the creating edge names the producer: the first logger a lazy
            # walk happens to load may be a run that merely re-logged the same content.
            if edge.created or (g.nodes[a]["producer"] is None and self.source is None):
                g.nodes[a]["producer"] = edge.run_id
            u, v = r, a
        else:
            u, v = a, r
        if not g.has_edge(u, v):
            g.add_edge(u, v, kind=edge.kind, seq=edge.id)
        elif edge.id < g.edges[u, v]["seq"]:
            g.edges[u, v]["seq"] = edge.id
        for near, side, other in ((u, "out", v), (v, "in", u)):
            known = self._flow[side].get(near)  # type: ignore[index]
            if known is not None and edge.id < known.get(other, edge.id + 1):
                known[other] = edge.id

    def sync(self) -> None:
        """Apply what the source recorded since the last sync (the first sync only sets the cursor)."""
        if self.source is None:
            return
        with self.lock:
            if not self._synced:
                self.cursor = self.source.latest_edge_id()
                self._synced = True
                return
            for edge in self.source.edges_since(self.cursor):
                self._place(edge)
                self.cursor = max(self.cursor, edge.id)

    def expand(self, nodes: Iterable[str], direction: Direction | None = None) -> None:
        """Make sure the edges of these nodes are loaded from the source: those pointing into them
        (``direction="in"``), out of them (``"out"``), or all of them (``None``).

        A walk loads only the side it follows: going upstream through a version that thousands of
        runs used must not load those thousands.
        """
        if self.source is None:
            return
        sides: tuple[Direction, ...] = ("in", "out") if direction is None else (direction,)
        with self.lock:
            todo = [n for n in dict.fromkeys(nodes) if any(n not in self._loaded[d] for d in sides)]
            if not todo:
                return
            if not self._synced:  # set the cursor first, so records written meanwhile are not lost
                self.sync()
            versions = [n[9:] for n in todo if n.startswith("artifact:")]
            runs = [n[4:] for n in todo if n.startswith("run:")]
            for edge in self.source.edges_of(version_ids=versions, run_ids=runs, direction=direction):
                self._place(edge)
            for d in sides:
                self._loaded[d].update(todo)

    def flow(self, nodes: Sequence[str], direction: Direction) -> dict[str, dict[str, int]]:
        """The ``direction`` side's ``logged``/``used`` neighbours of every node, complete: ``{node:
        {neighbour: id of the first record between them}}`` (more nodes may be in it). Sides not
        known yet are read from the source in one batch of bare edge records (:func:`.walk.reach`).

        The neighbours read this way are not described (see :meth:`describe`) nor placed in
        ``graph`` until a walk reaches them.
        """
        with self.lock:
            flow = self._flow[direction]
            missing = [n for n in nodes if n not in flow]
            if not missing:
                return flow
            lazy: list[str] = []
            for n in missing:
                if self.source is None or n in self._loaded[direction]:
                    adjacent = self.graph.pred if direction == "in" else self.graph.succ
                    flow[n] = {o: d["seq"] for o, d in adjacent[n].items() if d["kind"] in _FLOW} if n in self._nx else {}
                else:
                    lazy.append(n)
            if lazy:
                assert self.source is not None
                if not self._synced:  # set the cursor first, so records written meanwhile are not lost
                    self.sync()
                keys = self._keys
                if unkeyed := [n for n in lazy if n not in keys]:
                    self._learn(*self.source.describe(version_ids=[n[9:] for n in unkeyed if n[0] == "a"],
                                                      run_ids=[n[4:] for n in unkeyed if n[0] == "r"]))
                versions: dict[int, str] = {}
                runs: dict[int, str] = {}
                for n in lazy:
                    flow[n] = {}
                    if n in keys:
                        (versions if n[0] == "a" else runs)[keys[n]] = n
                by_version, by_run = self.source.flow_of(version_keys=list(versions), run_keys=list(runs),
                                                         direction=direction)
                # a version's records going in are its logs (which name its creator), going out its
                # uses; a run's going out are its logs
                created_by, graph = self._created_by, self._nx.nodes
                for near, rows, logs in ((versions, by_version, direction == "in"), (runs, by_run, direction == "out")):
                    for key, other, other_key, eid, created in rows:
                        node = near[key]
                        known = flow[node]
                        if eid < known.get(other, eid + 1):
                            known[other] = eid
                        keys[other] = other_key
                        if created and logs:
                            a, rid = (node, other[4:]) if node[0] == "a" else (other, node[4:])
                            created_by[a] = rid
                            if a in graph:
                                graph[a]["producer"] = rid
            return flow

    def describe(self, nodes: Iterable[str]) -> dict[str, str]:
        """Make sure these nodes' attributes are loaded; returns the labels (``project/name:vN``,
        ``project/run_id``) of every described node. Nodes the source does not know are left out."""
        with self.lock:
            labels = self._labels
            todo = [n for n in nodes if n not in labels]
            if not todo:
                return labels
            graph = self._nx.nodes
            if self.source is not None:
                keys = self._keys
                fresh = [n for n in todo if n not in graph and n not in self._pending_nodes]
                by_id = [n for n in fresh if n not in keys]
                by_key = [n for n in fresh if n in keys]
                self._learn(*self.source.describe(
                    version_ids=[n[9:] for n in by_id if n[0] == "a"],
                    run_ids=[n[4:] for n in by_id if n[0] == "r"],
                    version_keys=[keys[n] for n in by_key if n[0] == "a"],
                    run_keys=[keys[n] for n in by_key if n[0] == "r"],
                ))
            for n in todo:
                if n not in labels:
                    if n in graph:
                        labels[n] = _label(n, graph[n])
                    elif n in self._pending_nodes:
                        labels[n] = self._pending_nodes[n][1]
            return labels

    def _learn(self, versions: Sequence[VersionRow], runs: Sequence[RunRow]) -> None:
        pending, labels, keys, by_ref = self._pending_nodes, self._labels, self._keys, self._by_ref
        for row in versions:
            pending[row[0]] = row
            labels[row[0]] = row[1]
            keys[row[0]] = row[2]
            by_ref[row[1]] = row[3]
        for run in runs:
            pending[run[0]] = run
            labels[run[0]] = run[1]
            keys[run[0]] = run[2]

    def _flush(self) -> None:
        """Place what walks read in the networkx graph, in bulk: the graph ``_place`` would build."""
        g = self._nx
        pending, self._pending_nodes = self._pending_nodes, {}
        fresh: dict[str, dict[str, object]] = {}
        links: list[tuple[str, str, dict[str, object]]] = []
        for key, row in pending.items():
            if key in g:
                continue
            if len(row) == 9:
                _, ref, _, vid, p, n, t, i, st = row  # type: ignore[misc]
                c = collection_node(p, n)
                fresh.setdefault(c, {"kind": "collection", "project": p, "name": n, "type": t})
                fresh[key] = {"kind": "artifact", "id": vid, "project": p, "name": n, "type": t,
                              "version_index": i, "ref": ref, "producer": self._created_by.get(key), "state": st}
                links.append((key, c, {"kind": "version_of", "seq": 0}))
            else:
                _, path, _, rid, p = row  # type: ignore[misc]
                fresh[key] = {"kind": "run", "id": rid, "project": p, "path": path}
        add_nodes(g, {k: d for k, d in fresh.items() if k not in g})
        g.add_edges_from(links)
        new: dict[tuple[str, str], dict[str, object]] = {}
        for side in ("in", "out"):
            nodes, self._unplaced[side] = self._unplaced[side], []  # type: ignore[index]
            flow = self._flow[side]  # type: ignore[index]
            for n in nodes:
                # going in, a version's neighbours are its loggers and a run's the versions it used
                kind = "logged" if (n[0] == "a") == (side == "in") else "used"
                for o, seq in flow[n].items():
                    if o not in g:
                        continue  # not described: only a side whose every neighbour is gets here
                    uv = (o, n) if side == "in" else (n, o)
                    if (old := new.get(uv) or g.get_edge_data(*uv)) is None:
                        new[uv] = {"kind": kind, "seq": seq}
                    elif seq < old["seq"]:  # type: ignore[operator]
                        old["seq"] = seq
        g.add_edges_from((u, v, d) for (u, v), d in new.items())

    def mark_loaded(self, nodes: Iterable[str], direction: Direction) -> None:
        """Record that ``graph`` holds these nodes' ``direction`` side completely (once flushed):
        a walk read it, and described every neighbour on it."""
        with self.lock:
            nodes = [n for n in nodes if n not in self._loaded[direction]]
            self._loaded[direction].update(nodes)
            self._unplaced[direction] += nodes

    def set_state(self, version_id: str, state: str) -> None:
        """Record a loaded version's new state: a deletion writes no edge, so ``sync`` cannot see it."""
        with self.lock:
            key = artifact_node(version_id)
            row = self._pending_nodes.get(key)
            if row is not None:
                self._pending_nodes[key] = (*row[:8], state)  # type: ignore[assignment]
            node = self._nx.nodes.get(key)
            if node is not None:
                node["state"] = state

    # -- addressing ----------------------------------------------------------------------------

    def node(self, address: str) -> str:
        """The node key for ``project/name:vN``, a run path ``project/run_id``, or a node key."""
        if address.startswith(("artifact:", "run:", "collection:")):
            key = address
        elif ":" in address:
            with self.lock:
                version_id = self._by_ref.get(address)
            if version_id is None and self.source is not None:
                version_id = self.source.resolve_artifact(address)
            if version_id is None:
                raise LookupError(f"No artifact version {address!r} in the lineage graph.")
            key = artifact_node(version_id)
        else:
            key = run_node(address.rsplit("/", 1)[-1])
        with self.lock:
            if not self._known(key) and self.source is not None and not key.startswith("collection:"):
                self.describe([key])
            if not self._known(key):
                raise LookupError(f"{address!r} is not in the lineage graph.")
        return key

    # -- one-hop answers -----------------------------------------------------------------------

    def _neighbours(self, node: str, *, out: bool, kind: str, want: str) -> list[str]:
        self.sync()
        self.expand([node], "out" if out else "in")
        with self.lock:
            if node not in self.graph:
                return []
            g = self.graph
            edges = g.out_edges(node, data=True) if out else g.in_edges(node, data=True)
            hits = sorted(
                (d["seq"], g.nodes[v if out else u]["id"])
                for u, v, d in edges
                if d["kind"] == kind and g.nodes[v if out else u]["kind"] == want
            )
            return [node_id for _, node_id in hits]

    def logged_by(self, version_id: str) -> str | None:
        """The run that created the version (not one that merely re-logged the same content)."""
        a = artifact_node(version_id)
        self.sync()
        self.expand([a], "in")
        with self.lock:
            return self.graph.nodes[a]["producer"] if a in self.graph else None

    def loggers(self, version_id: str) -> list[str]:
        """Every run that logged this content, the creator first."""
        return self._neighbours(artifact_node(version_id), out=False, kind="logged", want="run")

    def used_by(self, version_id: str) -> list[str]:
        return self._neighbours(artifact_node(version_id), out=True, kind="used", want="run")

    def logged_artifacts(self, run_id: str) -> list[str]:
        return self._neighbours(run_node(run_id), out=True, kind="logged", want="artifact")

    def used_artifacts(self, run_id: str) -> list[str]:
        return self._neighbours(run_node(run_id), out=False, kind="used", want="artifact")

    def collection_type(self, project: str, name: str) -> str | None:
        with self.lock:
            node = self.graph.nodes.get(collection_node(project, name))
        if node is not None:
            return str(node["type"])
        return self.source.collection_type(project, name) if self.source is not None else None

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
from typing import Literal, Protocol

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


def add_nodes(graph: nx.DiGraph, nodes: dict[str, dict[str, object]]) -> None:
    """``graph.add_nodes_from(nodes.items())``, faster: networkx pays an exception for every
    ``(node, attributes)`` pair, so the nodes go in bare and their attributes after."""
    graph.add_nodes_from(nodes)
    into = graph.nodes
    for node, data in nodes.items():
        into[node].update(data)


Direction = Literal["in", "out"]
"""Which edges of a node: ``in`` (a version's logs, a run's uses) or ``out`` (a version's uses, a run's logs)."""


FlowRow = tuple[int, str, bool, str, str]
"""A bare edge record: ``(id, kind, created, run_id, version_id)``."""

VersionInfo = tuple[str, str, str, int, str]
"""What the graph keeps of a version: ``(project, name, type, version_index, state)``."""


class LineageSource(Protocol):
    """Where a graph loads records from on demand (the metadata database, in a store)."""

    def latest_edge_id(self) -> int: ...
    def edges_since(self, cursor: int) -> Sequence[EdgeLike]: ...
    def edges_of(
        self, *, version_ids: Sequence[str], run_ids: Sequence[str], direction: Direction | None = None
    ) -> Sequence[EdgeLike]: ...
    def flow_of(
        self, *, version_ids: Sequence[str], run_ids: Sequence[str], direction: Direction
    ) -> Sequence[FlowRow]: ...
    def describe(
        self, *, version_ids: Sequence[str], run_ids: Sequence[str]
    ) -> tuple[dict[str, VersionInfo], dict[str, str]]: ...
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
        self.graph: nx.DiGraph = nx.DiGraph()
        self.source = source
        self.cursor = 0
        self.lock = threading.RLock()
        self._loaded: dict[Direction, set[str]] = {"in": set(), "out": set()}
        self._synced = False
        self._by_ref: dict[str, str] = {}

    @property
    def loaded(self) -> dict[Direction, set[str]]:
        """The nodes whose edges are loaded, per side (read-only: see :meth:`expand`)."""
        return self._loaded

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

    def absorb(self, rows: Iterable[FlowRow], loaded: Iterable[str], direction: Direction) -> None:
        """Place bare edge records a walk read from the source (:func:`.walk.reach`), in bulk:
        the graph ``_place`` would build, with the new nodes' attributes fetched in one go.
        ``loaded`` are the nodes whose ``direction`` side the rows hold completely."""
        assert self.source is not None
        with self.lock:
            g = self.graph
            rows = sorted(rows)  # oldest first: the first record of a pair sets its ``seq``
            versions, runs = self.source.describe(
                version_ids=list({v for *_, v in rows if artifact_node(v) not in g}),
                run_ids=list({r for *_, r, _ in rows if run_node(r) not in g}),
            )
            fresh: dict[str, dict[str, object]] = {}
            for vid, (p, n, t, i, st) in versions.items():
                fresh.setdefault(collection_node(p, n), {"kind": "collection", "project": p, "name": n, "type": t})
                fresh[artifact_node(vid)] = {"kind": "artifact", "id": vid, "project": p, "name": n, "type": t,
                                             "version_index": i, "ref": f"{p}/{n}:v{i}", "producer": None, "state": st}
                self._by_ref[f"{p}/{n}:v{i}"] = vid
            for rid, p in runs.items():
                fresh[run_node(rid)] = {"kind": "run", "id": rid, "project": p, "path": f"{p}/{rid}"}
            add_nodes(g, {k: d for k, d in fresh.items() if k not in g})
            g.add_edges_from((artifact_node(vid), collection_node(p, n), {"kind": "version_of", "seq": 0})
                             for vid, (p, n, *_) in versions.items())
            nodes, new = g.nodes, dict[tuple[str, str], dict[str, object]]()
            for eid, kind, created, rid, vid in rows:
                a, r = artifact_node(vid), run_node(rid)
                if a not in g or r not in g:
                    continue  # a record whose version or run is gone: the joined query skipped it too
                if kind == "logged" and created:
                    nodes[a]["producer"] = rid
                uv = (r, a) if kind == "logged" else (a, r)
                if uv in new:
                    continue
                if (old := g.get_edge_data(*uv)) is None:
                    new[uv] = {"kind": kind, "seq": eid}
                elif eid < old["seq"]:
                    old["seq"] = eid
            g.add_edges_from((u, v, d) for (u, v), d in new.items())
            self._loaded[direction].update(loaded)

    def set_state(self, version_id: str, state: str) -> None:
        """Record a loaded version's new state: a deletion writes no edge, so ``sync`` cannot see it."""
        with self.lock:
            node = self.graph.nodes.get(artifact_node(version_id))
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
        self.expand([key], "in" if key.startswith("artifact:") else None)  # every version has its log
        with self.lock:
            if key not in self.graph:
                if key.startswith("run:") and self.source is not None and self.source.run_exists(key[4:]):
                    self.graph.add_node(key, kind="run", id=key[4:], project=address.rsplit("/", 1)[0],
                                        path=address)
                    return key
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

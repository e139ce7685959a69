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
from dataclasses import dataclass
from typing import Protocol

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


def run_node(run_id: str) -> str:
    return f"run:{run_id}"


def artifact_node(version_id: str) -> str:
    return f"artifact:{version_id}"


def collection_node(project: str, name: str) -> str:
    return f"collection:{project}/{name}"


class LineageGraph:
    """A lineage graph kept in step with the stored edge records.

    ``cursor`` is the id of the last record applied, so a store can feed it only what is new.
    """

    def __init__(self) -> None:
        self.graph: nx.DiGraph = nx.DiGraph()
        self.cursor = 0
        self.lock = threading.RLock()

    def apply(self, edge: EdgeLike) -> None:
        with self.lock:
            if edge.id <= self.cursor:
                return
            if edge.kind not in ("logged", "used"):  # checked first: a bad record must not add nodes
                raise ValueError(f"Unknown lineage edge kind {edge.kind!r}.")
            g = self.graph
            a, r = artifact_node(edge.version_id), run_node(edge.run_id)
            c = collection_node(edge.project, edge.name)
            if c not in g:
                g.add_node(c, kind="collection", project=edge.project, name=edge.name, type=edge.type)
            if a not in g:
                g.add_node(
                    a, kind="artifact", id=edge.version_id, project=edge.project, name=edge.name,
                    type=edge.type, version_index=edge.version_index,
                    ref=f"{edge.project}/{edge.name}:v{edge.version_index}", producer=None,
                )
                g.add_edge(a, c, kind="version_of")
            if r not in g:
                g.add_node(r, kind="run", id=edge.run_id, project=edge.run_project)
            if edge.kind == "logged":
                if edge.created or g.nodes[a]["producer"] is None:
                    g.nodes[a]["producer"] = edge.run_id
                if not g.has_edge(r, a):
                    g.add_edge(r, a, kind="logged")
            elif not g.has_edge(a, r):
                g.add_edge(a, r, kind="used")
            self.cursor = edge.id

    def _neighbours(self, node: str, *, out: bool, kind: str, want: str) -> list[str]:
        with self.lock:
            if node not in self.graph:
                return []
            edges = self.graph.out_edges(node, data="kind") if out else self.graph.in_edges(node, data="kind")
            return [
                self.graph.nodes[v if out else u]["id"]
                for u, v, k in edges
                if k == kind and self.graph.nodes[v if out else u]["kind"] == want
            ]

    def logged_by(self, version_id: str) -> str | None:
        """The run that created the version (not one that merely re-logged the same content)."""
        with self.lock:
            a = artifact_node(version_id)
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
            return None if node is None else str(node["type"])

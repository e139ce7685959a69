"""Exports of any query result (or graph): node-link JSON, DOT, Mermaid and GraphML.

DOT and Mermaid also draw a readable cut (:class:`~artiflow.lineage.readable.Readable`): folded
re-runs as one node whose edges say ``×N``, runs by name and job type, a box per group.

>>> g = nx.DiGraph()
>>> g.add_node("run:r", kind="run", id="r", project="p", path="p/r")
>>> g.add_node("artifact:a", kind="artifact", ref="p/data:v0", type="dataset")
>>> g.add_edge("run:r", "artifact:a", kind="logged")
>>> print(to_mermaid(g))
flowchart LR
  n0(["p/r"])
  n1[/"p/data:v0 (dataset)"/]
  n0 -- logged --> n1
"""

from __future__ import annotations

import io
import json
from typing import Any

import networkx as nx

from .queries import LineageResult, label
from .readable import Readable


def _graph(obj: LineageResult | nx.DiGraph) -> nx.DiGraph:
    return obj.graph if isinstance(obj, LineageResult) else obj


def _text(graph: nx.DiGraph, node: str) -> str:
    data = graph.nodes[node]
    text = label(graph, node)
    if data.get("kind") == "artifact" and data.get("type"):
        text += f" ({data['type']})"
    if data.get("state") == "DELETED":
        text += " [deleted]"
    return text


_ID_NAMES = {"artifact": "version_id", "run": "run_id"}


def to_json(obj: LineageResult | nx.DiGraph) -> str:
    """networkx node-link JSON, with ``label`` added to every node.

    Node-link's ``id`` is the node key, so a node's own ``id`` attribute is written as
    ``version_id`` (versions) or ``run_id`` (runs) rather than lost. Read it back with
    ``nx.node_link_graph(json.loads(text), edges="links")``.
    """
    graph = _graph(obj)
    renamed = nx.DiGraph()
    for node, data in graph.nodes(data=True):
        attrs = dict(data)
        if "id" in attrs:
            attrs[_ID_NAMES.get(str(attrs.get("kind")), "node_id")] = attrs.pop("id")
        attrs["label"] = label(graph, node)
        renamed.add_node(node, **attrs)
    renamed.add_edges_from(graph.edges(data=True))
    data = nx.node_link_data(renamed, edges="links")
    return json.dumps(data, indent=1, sort_keys=True, default=str)


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _card(view: Readable, node: str) -> str:
    label_, sub = view.label(node, qualified=True)
    return f"{label_}\n{sub}" if sub else label_


def _edge_text(kind: str, count: int) -> str:
    return f"{kind} ×{count}" if count > 1 else kind


def _readable_dot(view: Readable) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;"]

    def node_line(node: str, indent: str) -> str:
        kind = "cluster" if node in view.clusters else view.nodes[node]["kind"]
        of = view.nodes[view.inner(node)[0]]["kind"]
        shape = "box" if of == "artifact" else "ellipse"
        extra = ", peripheries=2" if kind == "cluster" else ""
        return f"{indent}{_dot_quote(node)} [label={_dot_quote(_card(view, node))}, shape={shape}{extra}];"

    for i, group in enumerate(view.boxes):
        lines += [f'  subgraph "cluster_{i}" {{', f"    label={_dot_quote(view.group_labels[group])};",
                  '    style="rounded,dashed";']
        lines += [node_line(n, "    ") for n in view.shown if view.box(n) == group]
        lines.append("  }")
    lines += [node_line(n, "  ") for n in view.shown if view.box(n) is None]
    for e in view.edges.values():
        lines.append(f"  {_dot_quote(e.source)} -> {_dot_quote(e.target)} [label={_dot_quote(_edge_text(e.kind, e.count))}];")
    lines.append("}")
    return "\n".join(lines)


def _readable_mermaid(view: Readable) -> str:
    ids = {node: f"n{i}" for i, node in enumerate(view.shown)}
    lines = ["flowchart LR"]

    def node_line(node: str, indent: str) -> str:
        text = _card(view, node).replace('"', "#quot;").replace("\n", "<br/>")
        if view.nodes[view.inner(node)[0]]["kind"] == "artifact":
            return f'{indent}{ids[node]}[/"{text}"/]'
        return f'{indent}{ids[node]}(["{text}"])'

    for i, group in enumerate(view.boxes):
        lines.append(f'  subgraph g{i}["{view.group_labels[group].replace(chr(34), "#quot;")}"]')
        lines += [node_line(n, "    ") for n in view.shown if view.box(n) == group]
        lines.append("  end")
    lines += [node_line(n, "  ") for n in view.shown if view.box(n) is None]
    for e in view.edges.values():
        lines.append(f"  {ids[e.source]} -- {_edge_text(e.kind, e.count)} --> {ids[e.target]}")
    return "\n".join(lines)


def to_dot(obj: LineageResult | nx.DiGraph | Readable) -> str:
    """Graphviz DOT: runs are ellipses, versions are boxes; a readable cut boxes each group
    (``subgraph cluster_N``) and labels folded edges ``logged ×5``."""
    if isinstance(obj, Readable):
        return _readable_dot(obj)
    graph = _graph(obj)
    lines = ["digraph lineage {", "  rankdir=LR;"]
    for node, data in graph.nodes(data=True):
        shape = "box" if data.get("kind") == "artifact" else "ellipse"
        lines.append(f"  {_dot_quote(node)} [label={_dot_quote(_text(graph, node))}, shape={shape}];")
    for u, v, data in graph.edges(data=True):
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)} [label={_dot_quote(str(data.get('kind', '')))}];")
    lines.append("}")
    return "\n".join(lines)


def to_mermaid(obj: LineageResult | nx.DiGraph | Readable) -> str:
    """A Mermaid flowchart: runs are stadiums, versions are parallelograms; a readable cut draws a
    ``subgraph`` per group and labels folded edges ``logged ×5``."""
    if isinstance(obj, Readable):
        return _readable_mermaid(obj)
    graph = _graph(obj)
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for node, data in graph.nodes(data=True):
        text = _text(graph, node).replace('"', "#quot;")
        if data.get("kind") == "artifact":
            lines.append(f'  {ids[node]}[/"{text}"/]')
        else:
            lines.append(f'  {ids[node]}(["{text}"])')
    for u, v, data in graph.edges(data=True):
        lines.append(f"  {ids[u]} -- {data.get('kind', '')} --> {ids[v]}")
    return "\n".join(lines)


def _scalar(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def to_graphml(obj: LineageResult | nx.DiGraph) -> str:
    """GraphML (attributes kept; ``None`` written as an empty string, as GraphML has no null)."""
    graph = _graph(obj)
    clean = nx.DiGraph()
    clean.add_nodes_from((n, {k: _scalar(v) for k, v in d.items()} | {"label": label(graph, n)})
                         for n, d in graph.nodes(data=True))
    clean.add_edges_from((u, v, {k: _scalar(x) for k, x in d.items()}) for u, v, d in graph.edges(data=True))
    buf = io.BytesIO()
    nx.write_graphml(clean, buf, encoding="utf-8")
    return buf.getvalue().decode("utf-8")

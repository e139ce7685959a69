"""Exports of query results: node-link JSON, GraphML, DOT and Mermaid, each read back or checked."""

from __future__ import annotations

import io
import json
import re

import networkx as nx
import pytest
from lineage_scenarios import DELETED, DIAMOND, MakeTree, Scenario, events, play

from artiflow import Store
from artiflow.lineage import (
    LineageGraph,
    LineageResult,
    label,
    to_dot,
    to_graphml,
    to_json,
    to_mermaid,
    upstream,
)


def graph_of(scenario: Scenario) -> LineageGraph:
    g = LineageGraph()
    for e in events(scenario):
        g.apply(e)
    return g


@pytest.fixture
def result() -> LineageResult:
    """The diamond's model plus a deleted input: every node kind, edge kind and state."""
    g = graph_of(DIAMOND)
    return upstream(g, "p/model:v0")


@pytest.fixture
def deleted() -> LineageResult:
    return upstream(graph_of(DELETED), "p/model:v0")


def texts(result: LineageResult) -> dict[str, str]:
    """What each node should be shown as: its address, the type of a version, a deleted marker."""
    g = result.graph
    out = {}
    for n, d in g.nodes(data=True):
        text = label(g, n) + (f" ({d['type']})" if d["kind"] == "artifact" else "")
        out[n] = text + (" [deleted]" if d.get("state") == "DELETED" else "")
    return out


def test_json_round_trips_through_node_link_graph(result: LineageResult) -> None:
    data = json.loads(to_json(result))
    back = nx.node_link_graph(data, edges="links")
    assert back.is_directed()
    assert set(back.nodes) == set(result.graph.nodes)
    assert set(back.edges) == set(result.graph.edges)
    for n, d in result.graph.nodes(data=True):
        own_id = {"artifact": "version_id", "run": "run_id"}[d["kind"]]  # node-link's "id" is the key
        want = {k: v for k, v in d.items() if k != "id"} | {own_id: d["id"], "label": label(result.graph, n)}
        assert back.nodes[n] == want
    for u, v, d in result.graph.edges(data=True):
        assert back.edges[u, v] == d


def test_json_of_a_store_result(store: Store, make_tree: MakeTree) -> None:
    play(DIAMOND, store, make_tree)
    res = upstream(store.lineage(), "p/model:v0")
    back = nx.node_link_graph(json.loads(to_json(res)), edges="links")
    assert sorted(back.nodes[n]["label"] for n in back) == sorted(
        ["p/model:v0", "p/fit", "p/raw:v0", "p/train:v0", "p/test:v0", "p/split", "p/ingest"]
    )
    assert back.number_of_edges() == 8


def test_graphml_parses_back(result: LineageResult, deleted: LineageResult) -> None:
    for res in (result, deleted):
        back = nx.read_graphml(io.BytesIO(to_graphml(res).encode("utf-8")))
        assert isinstance(back, nx.DiGraph)
        assert set(back.nodes) == set(res.graph.nodes)
        assert set(back.edges) == set(res.graph.edges)
        for n, d in res.graph.nodes(data=True):
            got = back.nodes[n]
            assert got["label"] == label(res.graph, n)
            assert (got["kind"], got["id"]) == (d["kind"], d["id"])
            if d["kind"] == "artifact":
                assert (got["version_index"], got["type"], got["state"]) == (
                    d["version_index"], d["type"], d["state"]
                )
        assert {(u, v): k for u, v, k in back.edges(data="kind")} == {
            (u, v): k for u, v, k in res.graph.edges(data="kind")
        }


def test_graphml_writes_none_as_empty() -> None:
    g = nx.DiGraph()
    g.add_node("artifact:a", kind="artifact", ref="p/a:v0", producer=None)
    back = nx.read_graphml(io.BytesIO(to_graphml(g).encode("utf-8")))
    assert back.nodes["artifact:a"]["producer"] == ""


def test_dot_holds_every_node_and_edge(result: LineageResult, deleted: LineageResult) -> None:
    for res in (result, deleted):
        dot = to_dot(res)
        assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
        nodes = dict(re.findall(r'^  "([^"]+)" \[label="([^"]+)", shape=\w+\];$', dot, re.M))
        assert nodes == texts(res)
        edges = set(re.findall(r'^  "([^"]+)" -> "([^"]+)" \[label="(\w+)"\];$', dot, re.M))
        assert edges == {(u, v, k) for u, v, k in res.graph.edges(data="kind")}
    assert "p/raw:v0 (dataset) [deleted]" in to_dot(deleted)


def test_mermaid_holds_every_node_and_edge(result: LineageResult, deleted: LineageResult) -> None:
    for res in (result, deleted):
        text = to_mermaid(res)
        assert text.splitlines()[0] == "flowchart LR"
        shapes = re.findall(r'^  (n\d+)(?:\[/"(.+)"/\]|\(\["(.+)"\]\))$', text, re.M)
        ids = {i: version or run for i, version, run in shapes}
        assert len(ids) == res.graph.number_of_nodes()
        assert sorted(ids.values()) == sorted(texts(res).values())
        runs = {run for _, _, run in shapes if run}  # runs are stadiums, versions parallelograms
        assert runs == {t for n, t in texts(res).items() if res.graph.nodes[n]["kind"] == "run"}
        edges = {(ids[a], k, ids[b]) for a, k, b in re.findall(r"^  (n\d+) -- (\w+) --> (n\d+)$", text, re.M)}
        want = texts(res)
        assert edges == {(want[u], k, want[v]) for u, v, k in res.graph.edges(data="kind")}
        assert text.count(" --> ") == res.graph.number_of_edges()


def test_exports_take_a_whole_graph_too() -> None:
    """Any ``DiGraph`` exports, collections and ``version_of`` edges included."""
    g = graph_of(DIAMOND).graph
    assert "version_of" in to_dot(g) and "version_of" in to_mermaid(g)
    back = nx.node_link_graph(json.loads(to_json(g)), edges="links")
    assert back.number_of_nodes() == g.number_of_nodes()
    assert nx.read_graphml(io.BytesIO(to_graphml(g).encode("utf-8"))).number_of_edges() == g.number_of_edges()

"""Provenance and impact queries on hand-built graphs whose answers are known.

Every scenario is answered three ways and must give the same answers: from events applied to a
``LineageGraph()`` with no source, from the graph of the store that wrote the records (kept in
step by ``sync``), and from a fresh ``Store`` on the same home, which loads lazily from SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import networkx as nx
import pytest
from lineage_scenarios import CYCLE, DEDUP, DELETED, DIAMOND, Log, MakeTree, Scenario, Use, chain, events, play, run

import artiflow
import artiflow.lineage.export
import artiflow.lineage.graph
import artiflow.lineage.queries
from artiflow import Api, Artifact, Store, TypeCollisionError
from artiflow.lineage import (
    LineageEvent,
    LineageGraph,
    LineageResult,
    collisions,
    downstream,
    impact,
    label,
    path,
    provenance,
    upstream,
)

Build = Callable[[Scenario], LineageGraph]


def from_events(scenario: Scenario) -> LineageGraph:
    g = LineageGraph()
    for e in events(scenario):
        g.apply(e)
    return g


@pytest.fixture(params=["events", "store", "fresh"])
def build(request: pytest.FixtureRequest, backend: Any, make_tree: MakeTree) -> Iterator[Build]:
    """Turn a scenario into a graph: from events, through ``store``, or through a fresh Store."""
    if request.param == "events" and backend.remote:
        pytest.skip("events need no backend: run once, with the local one")
    opened: list[Store] = []

    def make(scenario: Scenario) -> LineageGraph:
        if request.param == "events":
            return from_events(scenario)
        store: Store = request.getfixturevalue("store")
        play(scenario, store, make_tree)
        if request.param == "store":
            return store.lineage()
        fresh = backend.open()
        opened.append(fresh)
        return fresh.lineage()

    yield make
    for s in opened:
        s.close()


def version_id(g: LineageGraph, ref: str) -> str:
    return g.node(ref).split(":", 1)[1]


def flow(result: LineageResult) -> set[tuple[str, str, str]]:
    """The result's edges as (from, kind, to) addresses."""
    g = result.graph
    return {(label(g, u), k, label(g, v)) for u, v, k in g.edges(data="kind")}


def same(a: LineageResult, b: LineageResult) -> bool:
    return (a.root, a.artifacts, a.runs, a.depth, flow(a)) == (b.root, b.artifacts, b.runs, b.depth, flow(b))


def state(result: LineageResult, address: str) -> str:
    g = result.graph
    return str(next(d["state"] for n, d in g.nodes(data=True) if label(g, n) == address))


# -- diamonds ------------------------------------------------------------------------------------


def test_diamond_upstream_counts_the_shared_ancestor_once_at_its_shortest_depth(build: Build) -> None:
    g = build(DIAMOND)
    up = upstream(g, "p/model:v0")
    assert up.root == "p/model:v0"
    assert up.artifacts == ["p/raw:v0", "p/test:v0", "p/train:v0"]
    assert up.runs == ["p/fit", "p/ingest", "p/split"]
    assert up.depth == {
        "p/model:v0": 0, "p/fit": 1, "p/raw:v0": 2, "p/test:v0": 2, "p/train:v0": 2, "p/ingest": 3, "p/split": 3,
    }  # raw:v0 is also 4 hops away through split; it counts once, at 2
    assert len(up) == 6 and "p/raw:v0" in up and "p/model:v0" in up and "p/other:v0" not in up
    assert same(provenance(g, "p/model:v0"), up)


def test_diamond_downstream(build: Build) -> None:
    g = build(DIAMOND)
    down = downstream(g, "p/raw:v0")
    assert down.runs == ["p/fit", "p/split"]
    assert down.artifacts == ["p/model:v0", "p/test:v0", "p/train:v0"]
    assert down.depth["p/fit"] == 1 and down.depth["p/model:v0"] == 2  # not 3 and 4 through split
    assert same(impact(g, "p/raw:v0"), down)


def test_diamond_from_a_run(build: Build) -> None:
    """split's two outputs both lead to fit: it is reached twice at the same depth, listed once."""
    g = build(DIAMOND)
    down = downstream(g, "p/split")
    assert down.root == "p/split"
    assert down.artifacts == ["p/test:v0", "p/train:v0", "p/model:v0"]
    assert down.runs == ["p/fit"]
    assert down.depth["p/fit"] == 2
    up = upstream(g, "p/fit")
    assert up.artifacts == ["p/raw:v0", "p/test:v0", "p/train:v0"]
    assert up.runs == ["p/ingest", "p/split"]


def test_result_graph_holds_exactly_the_flow_between_reached_nodes(build: Build) -> None:
    up = upstream(build(DIAMOND), "p/model:v0")
    assert flow(up) == {
        ("p/ingest", "logged", "p/raw:v0"),
        ("p/raw:v0", "used", "p/split"),
        ("p/split", "logged", "p/train:v0"),
        ("p/split", "logged", "p/test:v0"),
        ("p/raw:v0", "used", "p/fit"),
        ("p/train:v0", "used", "p/fit"),
        ("p/test:v0", "used", "p/fit"),
        ("p/fit", "logged", "p/model:v0"),
    }  # no collection nodes, no version_of edges
    kinds = {d["kind"] for _, d in up.graph.nodes(data=True)}
    assert kinds == {"artifact", "run"}
    types = {label(up.graph, n): d.get("type") for n, d in up.graph.nodes(data=True) if d["kind"] == "artifact"}
    assert types == {"p/model:v0": "model", "p/raw:v0": "dataset", "p/train:v0": "dataset", "p/test:v0": "dataset"}


@pytest.mark.parametrize(
    ("depth", "artifacts", "runs"),
    [
        (0, [], []),
        (1, [], ["p/fit"]),
        (2, ["p/raw:v0", "p/test:v0", "p/train:v0"], ["p/fit"]),
        (3, ["p/raw:v0", "p/test:v0", "p/train:v0"], ["p/fit", "p/ingest", "p/split"]),
        (None, ["p/raw:v0", "p/test:v0", "p/train:v0"], ["p/fit", "p/ingest", "p/split"]),
    ],
)
def test_depth_limits(build: Build, depth: int | None, artifacts: list[str], runs: list[str]) -> None:
    g = build(DIAMOND)
    up = upstream(g, "p/model:v0", depth=depth)
    assert (up.artifacts, up.runs) == (artifacts, runs)
    assert {label(up.graph, n) for n in up.graph} == {"p/model:v0", *artifacts, *runs}
    assert max(up.depth.values()) <= (depth if depth is not None else 99)
    down = downstream(g, "p/raw:v0", depth=depth)
    assert len(down) == {0: 0, 1: 2, 2: 5, 3: 5, None: 5}[depth]


def test_depth_zero_is_the_node_alone(build: Build) -> None:
    up = upstream(build(DIAMOND), "p/fit", depth=0)
    assert up.root == "p/fit" and len(up) == 0 and up.depth == {"p/fit": 0}
    assert up.graph.number_of_nodes() == 1 and up.graph.number_of_edges() == 0


def test_negative_depth_is_refused() -> None:
    with pytest.raises(ValueError, match="depth"):
        upstream(from_events(DIAMOND), "p/model:v0", depth=-1)


# -- a cycle: a run uses a version and logs it again ---------------------------------------------


def test_cycle_is_survived(build: Build) -> None:
    g = build(CYCLE)
    up = upstream(g, "p/raw:v0")
    assert up.runs == ["p/clean", "p/ingest"] and up.artifacts == []  # the start is never listed
    down = downstream(g, "p/raw:v0")
    assert down.runs == ["p/clean"] and down.artifacts == ["p/feat:v0"]
    assert set(nx.find_cycle(down.graph)) <= {(u, v) for u, v in down.graph.edges}
    assert ("p/clean", "logged", "p/raw:v0") in flow(down) and ("p/raw:v0", "used", "p/clean") in flow(down)
    feat = upstream(g, "p/feat:v0")
    assert feat.runs == ["p/clean", "p/ingest"] and feat.artifacts == ["p/raw:v0"]
    assert feat.depth == {"p/feat:v0": 0, "p/clean": 1, "p/raw:v0": 2, "p/ingest": 3}
    raw = version_id(g, "p/raw:v0")
    assert g.logged_by(raw) == "ingest" and g.loggers(raw) == ["ingest", "clean"]


# -- a dedup hit: the same content logged by a second run -----------------------------------------


def test_dedup_relogger_is_downstream_and_a_logger_but_not_the_producer(build: Build) -> None:
    g = build(DEDUP)
    down = downstream(g, "p/raw:v0")
    assert down.runs == ["p/trainA", "p/trainB"]
    assert down.artifacts == ["p/model:v0"]  # one version: the dedup hit made no model:v1
    up = upstream(g, "p/model:v0")
    assert up.runs == ["p/trainA", "p/trainB", "p/ingest"] and up.artifacts == ["p/raw:v0"]
    model = version_id(g, "p/model:v0")
    assert g.logged_by(model) == "trainA"
    assert g.loggers(model) == ["trainA", "trainB"]
    assert up.graph.nodes[f"artifact:{model}"]["producer"] == "trainA"
    with pytest.raises(LookupError):
        upstream(g, "p/model:v1")


# -- deleted versions -----------------------------------------------------------------------------


def test_deleted_version_stays_in_provenance_marked_deleted(build: Build) -> None:
    g = build(DELETED)
    up = upstream(g, "p/model:v0")
    assert up.artifacts == ["p/raw:v0"] and up.runs == ["p/train", "p/ingest1"]
    assert state(up, "p/raw:v0") == "DELETED"
    assert state(up, "p/model:v0") == "COMMITTED"
    down = downstream(g, "p/raw:v0")  # a deleted version can still be the start of a query
    assert down.runs == ["p/train"] and down.artifacts == ["p/model:v0"]
    assert state(down, "p/raw:v0") == "DELETED"
    assert downstream(g, "p/raw:v1").artifacts == [] and state(upstream(g, "p/raw:v1"), "p/raw:v1") == "COMMITTED"


def test_deleting_a_version_already_in_the_graph_marks_it(store: Store, make_tree: MakeTree) -> None:
    play(Scenario(DELETED.runs), store, make_tree)
    g = store.lineage()
    assert state(upstream(g, "p/model:v0"), "p/raw:v0") == "COMMITTED"
    Api(store=store).artifact("p/raw:v0").delete(delete_aliases=True)
    assert state(upstream(g, "p/model:v0"), "p/raw:v0") == "DELETED"


# -- path -----------------------------------------------------------------------------------------


def test_path_is_a_shortest_path_down(build: Build) -> None:
    g = build(DIAMOND)
    assert path(g, "p/raw:v0", "p/model:v0") == ["p/raw:v0", "p/fit", "p/model:v0"]  # not through split
    assert path(g, "p/ingest", "p/train:v0") == ["p/ingest", "p/raw:v0", "p/split", "p/train:v0"]
    assert path(g, "p/split", "p/split") == ["p/split"]


def test_no_path_raises_networkx_no_path(build: Build) -> None:
    g = build(DIAMOND)
    with pytest.raises(nx.NetworkXNoPath):
        path(g, "p/model:v0", "p/raw:v0")  # lineage runs one way
    with pytest.raises(nx.NetworkXNoPath):
        path(g, "p/train:v0", "p/test:v0")  # siblings


def test_path_through_a_cycle(build: Build) -> None:
    g = build(CYCLE)
    assert path(g, "p/raw:v0", "p/feat:v0") == ["p/raw:v0", "p/clean", "p/feat:v0"]
    assert path(g, "p/clean", "p/raw:v0") == ["p/clean", "p/raw:v0"]
    with pytest.raises(nx.NetworkXNoPath):
        path(g, "p/feat:v0", "p/raw:v0")


def test_unknown_addresses_raise_lookup_error(build: Build) -> None:
    g = build(DIAMOND)
    for address in ("p/nope:v0", "p/raw:v7", "p/ghost", "q/raw:v0"):
        with pytest.raises(LookupError):
            upstream(g, address)
    with pytest.raises(LookupError):
        path(g, "p/raw:v0", "p/nope:v0")


# -- collisions -----------------------------------------------------------------------------------


def test_collisions_on_a_hand_built_graph() -> None:
    g = LineageGraph()
    for i, (project, name, type_) in enumerate([
        ("p", "Cats", "model"), ("p", "cats", "dataset"), ("p", "dogs", "dataset"),
        ("q", "cats", "model"), ("q", "birds", "dataset"), ("q", "BIRDS", "dataset"),
    ], start=1):
        g.apply(LineageEvent(i, "logged", True, f"r{i}", project, f"v{i}", project, name, type_, 0))
    found = {k: sorted(v) for k, v in collisions(g).items()}
    assert found == {("p", "cats"): ["dataset", "model"]}  # names compared case-insensitively
    assert {k: sorted(v) for k, v in collisions(g, "p").items()} == found
    assert collisions(g, "q") == {}  # same name, same type: no collision
    assert collisions(LineageGraph()) == {}


def test_collisions_on_a_store_are_none_because_logging_refuses_them(store: Store, make_tree: MakeTree) -> None:
    play(DIAMOND, store, make_tree)
    with pytest.raises(TypeCollisionError):
        play(Scenario([run("clash", Log("raw", "model", "x"))]), store, make_tree)
    assert collisions(store.lineage()) == {}
    assert collisions(store.lineage(), "p") == {}


# -- the same answers, however the graph was built ------------------------------------------------


@pytest.mark.parametrize("scenario", [DIAMOND, CYCLE, DEDUP, DELETED], ids=["diamond", "cycle", "dedup", "deleted"])
def test_store_answers_every_query_like_the_events(
    scenario: Scenario, backend: Any, make_tree: MakeTree
) -> None:
    expected = from_events(scenario)
    writer = backend.open()
    play(scenario, writer, make_tree)
    writer.close()
    fresh = backend.open()
    try:
        addresses = [label(expected.graph, n) for n, k in expected.graph.nodes(data="kind") if k != "collection"]
        for a in addresses:
            for query in (upstream, downstream):
                for depth in (1, None):
                    want, got = query(expected, a, depth), query(fresh.lineage(), a, depth)
                    assert (got.artifacts, got.runs, got.depth) == (want.artifacts, want.runs, want.depth), a
                    assert flow(got) == flow(want)
                    assert {label(got.graph, n): d.get("state") for n, d in got.graph.nodes(data=True)} == {
                        label(want.graph, n): d.get("state") for n, d in want.graph.nodes(data=True)
                    }
            for b in addresses:
                try:
                    want_path: list[str] | None = path(expected, a, b)
                except nx.NetworkXNoPath:
                    want_path = None
                if want_path is None:
                    with pytest.raises(nx.NetworkXNoPath):
                        path(fresh.lineage(), a, b)
                else:
                    assert len(path(fresh.lineage(), a, b)) == len(want_path)
    finally:
        fresh.close()


def test_artifact_and_run_methods_wrap_the_queries(store: Store, make_tree: MakeTree) -> None:
    play(DIAMOND, store, make_tree)
    api = Api(store=store)
    model = api.artifact("p/model:latest")
    assert model.upstream().artifacts == ["p/raw:v0", "p/test:v0", "p/train:v0"]
    assert model.upstream(depth=1).runs == ["p/fit"]
    assert api.artifact("p/raw:v0").downstream(depth=1).runs == ["p/fit", "p/split"]
    assert api.run("p/split").downstream().artifacts == ["p/test:v0", "p/train:v0", "p/model:v0"]
    assert api.run("p/fit").upstream(depth=1).artifacts == ["p/raw:v0", "p/test:v0", "p/train:v0"]


# -- laziness: a query loads the neighbourhood it reaches -----------------------------------------


def test_fresh_store_loads_only_what_a_query_reaches(store: Store, make_tree: MakeTree, backend: Any) -> None:
    play(chain(8, unrelated=10), store, make_tree)
    whole = len(store.lineage().graph)
    fresh = backend.open()
    try:
        g = fresh.lineage()
        assert len(g.graph) == 0  # opening loads nothing
        one = upstream(g, "p/d7:v0", depth=1)
        assert one.runs == ["p/s7"]
        loaded = len(g.graph)
        assert loaded <= 3  # d7, its collection, s7
        assert upstream(g, "p/d7:v0", depth=2).artifacts == ["p/d6:v0"]
        assert len(g.graph) <= loaded + 2  # d6 and its collection
        everything = upstream(g, "p/d7:v0")
        assert everything.artifacts == [f"p/d{i}:v0" for i in range(6, -1, -1)]
        names = {d.get("name") for _, d in g.graph.nodes(data=True)}
        assert not any(str(n).startswith("x") for n in names)  # the unrelated runs were never loaded
        assert len(g.graph) == 8 * 3 < whole == 8 * 3 + 10 * 3
    finally:
        fresh.close()


def test_wide_frontiers_load_in_batches(
    store: Store, make_tree: MakeTree, backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("artiflow.metadata.lineage.SqlLineageSource.batch_size", 2)
    fan = Scenario([
        run("ingest", Log("raw", "dataset", "r")),
        *[run(f"use{i}", Use("raw:v0"), Log(f"out{i}", "dataset", str(i))) for i in range(5)],
    ])
    play(fan, store, make_tree)
    fresh = backend.open()
    try:
        down = downstream(fresh.lineage(), "p/raw:v0")
        assert down.runs == [f"p/use{i}" for i in range(5)]
        assert down.artifacts == [f"p/out{i}:v0" for i in range(5)]
        want = downstream(from_events(fan), "p/raw:v0")
        assert (down.depth, flow(down)) == (want.depth, flow(want))
    finally:
        fresh.close()


def test_a_loaded_graph_sees_records_written_later(store: Store, make_tree: MakeTree, backend: Any) -> None:
    play(DEDUP, store, make_tree)
    reader = backend.open()
    try:
        g = reader.lineage()
        assert downstream(g, "p/raw:v0").runs == ["p/trainA", "p/trainB"]
        play(Scenario([run("late", Use("raw:v0"), Log("report", "report", "x"))]), store, make_tree)
        down = downstream(g, "p/raw:v0")
        assert down.runs == ["p/late", "p/trainA", "p/trainB"]
        assert down.artifacts == ["p/model:v0", "p/report:v0"]
        assert path(g, "p/ingest", "p/report:v0") == ["p/ingest", "p/raw:v0", "p/late", "p/report:v0"]
    finally:
        reader.close()


def test_a_run_without_edges_is_its_own_lineage(store: Store) -> None:
    with artiflow.init(project="p", id="idle", store=store) as r:
        pass
    up = r.upstream()
    assert up.root == "p/idle" and len(up) == 0
    art = Artifact("raw", "dataset")
    with pytest.raises(artiflow.ArtifactNotLoggedError):
        art.upstream()

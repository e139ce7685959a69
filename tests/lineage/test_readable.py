"""The readable cut of a walked lineage graph: re-runs folded, siblings clustered, runs boxed by group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from artiflow.lineage import LineageEvent, LineageGraph, downstream, readable, to_dot, to_mermaid, upstream
from artiflow.lineage.readable import Readable, RunInfo

T0 = datetime(2026, 1, 1)


class Story:
    """Events and runs by hand: ``log``/``use`` record an edge, ``runs`` what is known of each run."""

    def __init__(self) -> None:
        self.g = LineageGraph()
        self.runs: dict[str, RunInfo] = {}
        self.index: dict[str, int] = {}
        self.neighbours: dict[str, tuple[set[str], set[str]]] = {}
        self.seq = 0

    def run(self, run_id: str, job: str, group: str | None = None, name: str | None = None) -> None:
        self.runs[run_id] = RunInfo(run_id, name or run_id, job, group, T0 + timedelta(seconds=len(self.runs)))

    def _edge(self, kind: str, run_id: str, version: str, created: bool = False) -> None:
        name, _, v = version.partition(":")
        self.seq += 1
        self.g.apply(LineageEvent(self.seq, kind, created, run_id, "p", f"{name}{v}", "p", name, "dataset", int(v)))
        used, logged = self.neighbours.setdefault(run_id, (set(), set()))
        (logged if kind == "logged" else used).add(f"{name}{v}")

    def log(self, run_id: str, version: str, *, created: bool = False) -> None:
        self._edge("logged", run_id, version, created)

    def use(self, run_id: str, version: str) -> None:
        self._edge("used", run_id, version)

    def cut(self, ref: str, *, up: bool = True, heads: dict[str, RunInfo] | None = None, **kw: Any) -> Readable:
        result = (upstream if up else downstream)(self.g, ref)
        graph = result.graph
        root = self.g.node(ref)
        found = heads or {}

        def lookup(ids: Sequence[str]) -> dict[str, RunInfo]:
            return {i: found[i] for i in ids if i in found}

        return readable(
            {n: dict(d) for n, d in graph.nodes(data=True)},
            {(u, v): d["kind"] for u, v, d in graph.edges(data=True)}, root,
            runs=self.runs, neighbours={r: (frozenset(u), frozenset(lg)) for r, (u, lg) in self.neighbours.items()},
            heads=lookup, **kw,
        )


def test_identical_reruns_fold_into_the_creator_with_counted_edges() -> None:
    s = Story()
    for i in range(5):
        s.run(f"ingest{i}", "ingest", group=f"flow{i}", name=f"ingest-{i}")
        s.log(f"ingest{i}", "raw:0", created=i == 0)
        s.run(f"train{i}", "train", group=f"flow{i}", name=f"train-{i}")
        s.use(f"train{i}", "raw:0")
        s.log(f"train{i}", "model:0", created=i == 0)
    s.run("odd", "tune", name="odd")  # other job, other inputs: not a re-run (another train run would
    # make 6 train runs next to model:v0: a cluster)
    s.log("odd", "model:0")
    view = s.cut("p/model:v0")
    assert view.merged == 8
    assert [view.label(n) for n in view.shown] == [
        ("model:v0", "dataset"), ("odd", "tune"), ("train-0", "train · ×5 runs"), ("raw:v0", "dataset"),
        ("ingest-0", "ingest · ×5 runs"),
    ]
    assert sorted((e.kind, e.count) for e in view.edges.values()) == [("logged", 1), ("logged", 5), ("logged", 5),
                                                                      ("used", 5)]
    assert view.members["run:train0"] == [f"run:train{i}" for i in range(5)]
    assert view.boxes == []  # the folded runs belong to five groups, so to none
    assert "logged ×5" in to_dot(view) and "-- used ×5 -->" in to_mermaid(view)


def test_five_similar_siblings_cluster_unless_opened() -> None:
    s = Story()
    s.run("daily", "asset", group="dr1")
    for p in range(6):
        s.log("daily", f"daily:{p}", created=True)
    s.run("report", "asset", group="dr1")
    for p in range(6):
        s.use("report", f"daily:{p}")
    s.log("report", "report:0", created=True)
    view = s.cut("p/report:v0", heads={})
    (cid,) = view.clusters
    assert view.label(cid) == ("6 × daily", "dataset versions") and view.count(cid) == 6
    assert view.label(cid, qualified=True)[0] == "6 × p/daily"
    assert sorted((view.final(e.source), e.kind, e.count) for e in view.edges.values()) == [
        (cid, "used", 6), ("run:daily", "logged", 6), ("run:report", "logged", 1),
    ]
    assert view.dist[cid] == 2 and view.via[cid] == "run:report"
    # every node belongs to one Dagster run's box; versions go with the run that logged them
    assert view.boxes == ["dr1"] and view.group_labels == {"dr1": "Dagster run dr1"}
    assert {view.box(n) for n in view.shown} == {"dr1"}
    opened = s.cut("p/report:v0", opened={cid})
    assert opened.clusters == {} and len(opened.shown) == 9
    assert s.cut("p/report:v0", limit=3).too_large and s.cut("p/report:v0", limit=3).boxes == []


def test_a_flow_run_heads_its_box_and_links_its_task_runs() -> None:
    s = Story()
    s.run("flow", "flow:etl", group="flow", name="etl-run-0")
    s.run("ingest", "ingest", group="flow", name="ingest-0")
    s.log("ingest", "raw:0", created=True)
    s.run("train", "train", group="flow", name="train-0")
    s.use("train", "raw:0")
    s.log("train", "model:0", created=True)
    view = s.cut("p/model:v0", heads={"flow": s.runs["flow"]})
    assert view.boxes == ["flow"] and view.group_labels["flow"] == "etl · etl-run-0"
    assert 'subgraph "cluster_0" {' in to_dot(view) and '  subgraph g0["etl · etl-run-0"]' in to_mermaid(view)
    # a node kept (the root, an expanded one) is never folded
    s.run("train-again", "train", group="flow2")
    s.use("train-again", "raw:0")
    s.log("train-again", "model:0")
    assert s.cut("p/model:v0").merged == 1
    assert s.cut("p/model:v0", keep={"run:train"}).merged == 0

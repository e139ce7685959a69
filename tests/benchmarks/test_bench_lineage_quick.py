"""The lineage benchmark at a small size: the synthetic store is a real one, the answers are right,
and the report has every figure. No speed is asserted."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import artiflow
from artiflow.lineage import downstream, upstream

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import bench_lineage as bench  # noqa: E402
import lineage_gen as gen  # noqa: E402

PARAMS = gen.Params(nodes=10_000)
L = PARAMS.chain_length


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lineage-bench")
    gen.ensure(PARAMS, root)
    return root


@pytest.fixture
def store(root: Path) -> Iterator[artiflow.Store]:
    s = artiflow.Store.open(home=root / PARAMS.key)
    yield s
    s.close()


def run_path(name: str) -> str:
    return f"{gen.PROJECT}/{gen.run_id(PARAMS, name)}"


def test_the_store_holds_what_artiflow_writes(root: Path, store: artiflow.Store) -> None:
    plan = json.loads((root / PARAMS.key / gen.PLAN).read_text())
    assert abs(plan["nodes"] - PARAMS.nodes) < PARAMS.nodes / 100
    assert 1.8 < plan["edges"] / plan["nodes"] < 2.3
    db = sqlite3.connect(root / PARAMS.key / "artiflow.db")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # every version was created by exactly one log, by the run the version names
    assert db.execute(
        "SELECT count(*) FROM versions v JOIN edges e ON e.version_id = v.id AND e.kind = 'logged' "
        "AND e.created AND e.run_id = v.run_id"
    ).fetchone() == (plan["versions"],)

    api = artiflow.Api(store=store)
    latest = api.artifact(f"{gen.PROJECT}/chain-0:latest")
    assert (latest.version, latest.type, latest.aliases) == (f"v{L - 1}", "model", ["latest"])
    assert latest.files() == [] and latest.id == gen.version_id(PARAMS, "chain-0", L - 1)
    assert len(api.runs(gen.PROJECT)) == plan["runs"]
    assert api.artifact(f"{gen.PROJECT}/raw:v0").type == "dataset"


def test_one_hop_answers_on_the_chain(store: artiflow.Store) -> None:
    api = artiflow.Api(store=store)
    for i in (1, L // 2, L - 1):
        art = api.artifact(f"{gen.PROJECT}/chain-0:v{i}")
        producer = art.logged_by()
        assert producer is not None and producer.id == gen.run_id(PARAMS, f"chain-0/{i}")
        assert [a.version for a in producer.used_artifacts()] == [f"v{i - 1}"]
        if i < L - 1:
            assert gen.run_id(PARAMS, f"chain-0/{i + 1}") in [r.id for r in art.used_by()]
    hub = gen.version_id(PARAMS, "raw", 0)
    assert len(store.lineage().used_by(hub)) > PARAMS.nodes // 50  # the fan-out is wide


@pytest.mark.parametrize("k", [1, 3, 10])
def test_upstream_of_a_chain_node_is_exactly_the_chain_above_it(store: artiflow.Store, k: int) -> None:
    n = L - 5
    up = upstream(store.lineage(), gen.chain_ref(0, n), depth=2 * k)
    assert up.artifacts == [f"{gen.PROJECT}/chain-0:v{n - j}" for j in range(1, k + 1)]
    assert up.runs == [run_path(f"chain-0/{n - j}") for j in range(k)]


def test_lazy_answers_match_the_full_graph(root: Path) -> None:
    full = bench.full_graph(root / PARAMS.key / "artiflow.db")
    cases = [
        (gen.chain_ref(1, L - 10), True, 20),
        (gen.chain_ref(1, 10), False, 20),
        (gen.chain_ref(2, L // 2), True, 7),
        (f"{gen.PROJECT}/raw:v0", False, 3),
        (f"{gen.PROJECT}/features-3:v5", False, 20),
    ]
    for ref, up, depth in cases:
        store = artiflow.Store.open(home=root / PARAMS.key)  # an empty graph for every query
        try:
            g = store.lineage()
            key = g.node(ref)
            got = (upstream if up else downstream)(g, ref, depth)
            want = bench.within(full, key, depth, up=up)
            assert set(got.graph.nodes) - {key} == want, ref
            assert set(got.graph.edges) == set(full.subgraph(want | {key}).edges), ref
            assert len(g.graph) < full.number_of_nodes()  # only a neighbourhood was loaded
        finally:
            store.close()


@pytest.mark.slow
def test_benchmark_reports_every_figure(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "lineage.json"
    argv = ["--nodes", str(PARAMS.nodes), "--repeat", "1", "--root", str(root), "--out", str(out)]
    assert bench.main(argv) == 0
    report = json.loads(out.read_text())
    assert report["store"]["reused"] is True and report["store"]["key"] == PARAMS.key
    assert report["baseline_full_graph_ms"] > 0
    figures = report["figures_ms"]
    want = {
        "open_store", "open_first_logged_by", "open_first_used_by", "open_first_upstream",
        "logged_by_new_node", "used_by_new_node", "logged_by_warm", "used_by_warm",
        "upstream_deep_cold", "upstream_deep_warm", "downstream_early_cold", "downstream_early_warm",
        "full_graph_upstream", "full_graph_downstream",
    }
    assert want <= set(figures) and all(v > 0 for v in figures.values())
    assert set(report["ratios"]) == set(figures)
    assert set(report["meets_target"]) == set(report["targets_ms"]) <= set(figures)
    assert all(report["answers_match_full_graph"].values())
    for side in ("lazy", "full"):
        mem = report["memory"][side]
        assert mem["tracemalloc_peak_mib"] > 0 and mem["peak_rss_mib"] > 0 and mem["graph_nodes"] > 0
    assert report["memory"]["lazy"]["graph_nodes"] < report["memory"]["full"]["graph_nodes"]
    assert report["sizes"]["upstream_deep_answer"] > 0 and report["sizes"]["downstream_early_answer"] > 0

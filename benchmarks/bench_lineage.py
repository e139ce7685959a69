"""Lineage benchmark: one-hop and depth-20 queries on a synthetic store of a million nodes.

Every figure is in milliseconds and as a ratio to the baseline measured in the same run:
building the full networkx ``DiGraph`` from the same edge records, read from the same SQLite
file (what a lineage store that is not lazy does at every process start). Nothing asserts a
speed: targets are reported, not enforced.

    uv run python benchmarks/bench_lineage.py [--nodes 1000000] [--repeat 5] [--out FILE]

The store comes from ``lineage_gen.py`` and is reused when one with the same parameters exists
(``benchmarks/.work/lineage-n…``). Timings are medians over ``--repeat`` runs on a warm page
cache; "cold" means a fresh ``Store`` (an empty in-memory graph), "warm" the same query again.
Peak memory is measured in child processes, so one figure cannot inflate another.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx

import artiflow
from artiflow.lineage import downstream, upstream

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lineage_gen as gen  # noqa: E402

DEPTH = 20
ONE_HOP_MS = 5.0
DEPTH_MS = 150.0
# figure -> target in ms (figures without one are reported for context)
TARGETS: dict[str, float] = {
    "logged_by_warm": ONE_HOP_MS,
    "used_by_warm": ONE_HOP_MS,
    "logged_by_new_node": ONE_HOP_MS,
    "used_by_new_node": ONE_HOP_MS,
    "upstream_deep_cold": DEPTH_MS,
    "downstream_early_cold": DEPTH_MS,
}


# -- measuring --------------------------------------------------------------------------------


def median_ms(fn: Callable[[int], object], repeat: int, setup: Callable[[int], object] | None = None) -> float:
    """Median wall time of ``fn(i)`` over ``repeat`` runs, ``setup(i)`` untimed before each."""
    samples = []
    for i in range(repeat):
        if setup is not None:
            setup(i)
        gc.collect()
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _status_mib(field: str) -> float | None:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith(field + ":")), None)


def rss_mib() -> float:
    return _status_mib("VmRSS") or 0.0


def peak_rss_mib() -> float:
    """This process's peak RSS. ``VmHWM``, not ``ru_maxrss``: a child inherits its parent's
    ``ru_maxrss`` across fork and exec, so a probe started by a big parent would report the parent."""
    hwm = _status_mib("VmHWM")
    if hwm is not None:
        return hwm
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / (1 << 20)


# -- the two ways to answer ---------------------------------------------------------------------


def full_graph(db: Path) -> nx.DiGraph:
    """The baseline: every edge record into one networkx graph (logged: run→version, used: version→run)."""
    g = nx.DiGraph()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT run_id, version_id, kind FROM edges ORDER BY id")
        g.add_edges_from(
            (f"run:{r}", f"artifact:{v}", {"kind": k}) if k == "logged" else (f"artifact:{v}", f"run:{r}", {"kind": k})
            for r, v, k in rows
        )
    finally:
        conn.close()
    return g


def within(g: nx.DiGraph, node: str, depth: int, *, up: bool) -> set[str]:
    """What a depth-limited upstream/downstream query reaches on the full graph (start excluded)."""
    view = g.reverse(copy=False) if up else g
    return set(nx.single_source_shortest_path_length(view, node, cutoff=depth)) - {node}


def _root_key(result: Any) -> str:
    g = result.graph
    for n, data in g.nodes(data=True):
        label = data.get("ref") if data.get("kind") == "artifact" else data.get("path")
        if label == result.root:
            return str(n)
    raise LookupError(result.root)


# -- probes: one child process each, for peak memory -----------------------------------------


def probe(mode: str, home: Path, deep: str, vid: str, trace: bool) -> dict[str, Any]:
    """Open + first queries (``lazy``) or the full build (``full``), in this (fresh) process."""
    base = rss_mib()
    if trace:
        tracemalloc.start()
    if mode == "lazy":
        store = artiflow.Store.open(home=home)
        g = store.lineage()
        g.logged_by(vid)
        g.used_by(vid)
        result = upstream(g, deep, DEPTH)
        out: dict[str, Any] = {"graph_nodes": g.graph.number_of_nodes(), "result_nodes": len(result)}
    else:
        full = full_graph(home / "artiflow.db")
        out = {"graph_nodes": full.number_of_nodes()}
    if trace:
        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / (1 << 20)
        tracemalloc.stop()
    else:
        out["rss_before_mib"] = base
        out["peak_rss_mib"] = peak_rss_mib()
        out["peak_rss_delta_mib"] = peak_rss_mib() - base
    return out


def run_probe(mode: str, home: Path, deep: str, vid: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for trace in (False, True):
        cmd = [sys.executable, __file__, "--probe", mode, "--home", str(home), "--deep", deep, "--vid", vid]
        done = subprocess.run(cmd + (["--trace"] if trace else []), check=True, capture_output=True, text=True)
        out.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


# -- the benchmark ----------------------------------------------------------------------------


def bench(params: gen.Params, root: Path, repeat: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    home, plan, reused = gen.ensure(params, root)
    L = plan["chain_length"]
    deep, early = gen.chain_ref(1, L - 10), gen.chain_ref(1, 10)
    mid_vid = gen.version_id(params, "chain-1", L // 2)
    hub_vid = gen.version_id(params, "raw", 0)
    db = home / "artiflow.db"
    figures: dict[str, float] = {}
    sizes: dict[str, int] = {}
    stores: list[artiflow.Store] = []

    def fresh(_: int = 0) -> artiflow.Store:
        if stores:
            stores.pop().close()
        stores.append(artiflow.Store.open(home=home))
        return stores[-1]

    def current() -> artiflow.Store:
        return stores[-1]

    # baseline: the full graph, and what it answers once built
    full_ms = []
    for _ in range(repeat if params.nodes <= 100_000 else min(repeat, 3)):
        gc.collect()
        t = time.perf_counter()
        full = full_graph(db)
        full_ms.append((time.perf_counter() - t) * 1000)
        del full
    baseline = statistics.median(full_ms)
    full = full_graph(db)
    probe_store = fresh()
    deep_key, early_key = probe_store.lineage().node(deep), probe_store.lineage().node(early)
    want_up, want_down = within(full, deep_key, DEPTH, up=True), within(full, early_key, DEPTH, up=False)
    figures["full_graph_upstream"] = median_ms(lambda _: within(full, deep_key, DEPTH, up=True), repeat)
    figures["full_graph_downstream"] = median_ms(lambda _: within(full, early_key, DEPTH, up=False), repeat)
    sizes.update(full_graph_nodes=full.number_of_nodes(), full_graph_edges=full.number_of_edges())
    del full
    gc.collect()

    # opening the store and answering the first query
    figures["open_store"] = median_ms(lambda i: fresh(i).lineage(), repeat)
    figures["open_first_logged_by"] = median_ms(lambda i: fresh(i).lineage().logged_by(mid_vid), repeat)
    figures["open_first_used_by"] = median_ms(lambda i: fresh(i).lineage().used_by(mid_vid), repeat)
    figures["open_first_upstream"] = median_ms(lambda i: upstream(fresh(i).lineage(), deep, DEPTH), repeat)

    # one hop: a node the graph has not loaded yet (a different one each time), then the same again
    hops = max(repeat, min(50, L // 3))
    new_vids = [gen.version_id(params, "chain-2", L // 3 + i) for i in range(hops)]
    fresh()
    current().lineage().logged_by(gen.version_id(params, "chain-2", 0))  # the first query, timed above
    figures["logged_by_new_node"] = median_ms(lambda i: current().lineage().logged_by(new_vids[i]), hops)
    new_vids = [gen.version_id(params, "chain-3", L // 3 + i) for i in range(hops)]
    figures["used_by_new_node"] = median_ms(lambda i: current().lineage().used_by(new_vids[i]), hops)
    g = current().lineage()
    g.logged_by(mid_vid)
    calls = 200
    figures["logged_by_warm"] = median_ms(lambda _: [g.logged_by(mid_vid) for _ in range(calls)], repeat) / calls
    figures["used_by_warm"] = median_ms(lambda _: [g.used_by(mid_vid) for _ in range(calls)], repeat) / calls
    sizes["used_by_answer"] = len(g.used_by(mid_vid))
    figures["used_by_hub_new_node"] = median_ms(lambda _: fresh().lineage().used_by(hub_vid), repeat)
    sizes["used_by_hub_answer"] = len(current().lineage().used_by(hub_vid))

    # depth 20 on a fresh (empty) graph, then again on the loaded one
    results: dict[str, Any] = {}

    def query(name: str, ref: str, up: bool) -> None:
        fn = upstream if up else downstream
        figures[f"{name}_cold"] = median_ms(lambda _: fn(current().lineage(), ref, DEPTH), repeat, fresh)
        figures[f"{name}_warm"] = median_ms(lambda _: fn(current().lineage(), ref, DEPTH), repeat)
        results[name] = fn(current().lineage(), ref, DEPTH)
        sizes[f"{name}_answer"] = len(results[name])
        sizes[f"{name}_graph_nodes_loaded"] = current().lineage().graph.number_of_nodes()

    query("upstream_deep", deep, True)
    query("downstream_early", early, False)
    answers_match = {
        "upstream_deep": _reached(results["upstream_deep"]) == want_up,
        "downstream_early": _reached(results["downstream_early"]) == want_down,
    }
    while stores:
        stores.pop().close()

    memory = {"lazy": run_probe("lazy", home, deep, mid_vid), "full": run_probe("full", home, deep, mid_vid)}
    return {
        "benchmark": "lineage",
        "started": datetime.now(timezone.utc).isoformat(),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "sqlite": sqlite3.sqlite_version, "networkx": nx.__version__,
                    "load_average": [load_before, os.getloadavg()[0]]},
        "store": {**plan, "home": str(home), "reused": reused},
        "queries": {"depth": DEPTH, "deep": deep, "early": early, "one_hop": gen.chain_ref(1, L // 2),
                    "hub": f"{gen.PROJECT}/raw:v0"},
        "repeat": repeat,
        "baseline_full_graph_ms": baseline,
        "figures_ms": figures,
        "ratios": {k: v / baseline for k, v in figures.items()},
        "targets_ms": TARGETS,
        "meets_target": {k: figures[k] <= t for k, t in TARGETS.items()},
        "sizes": sizes,
        "answers_match_full_graph": answers_match,
        "memory": memory,
        "memory_ratio": memory["lazy"]["tracemalloc_peak_mib"] / memory["full"]["tracemalloc_peak_mib"],
    }


def _reached(result: Any) -> set[str]:
    return set(result.graph.nodes) - {_root_key(result)}


# -- reporting --------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    base = report["baseline_full_graph_ms"]
    head = f"{'figure':<24} {'ms':>10} {'÷ full build':>13} {'target ms':>10}"
    lines = [head, "-" * (len(head) + 6), f"{'full_graph_build':<24} {base:>10.1f} {1:>13.2e}"]
    for name, ms in report["figures_ms"].items():
        target = report["targets_ms"].get(name)
        mark = "" if target is None else f"{target:>10.0f}  {'ok' if ms <= target else 'MISS'}"
        lines.append(f"{name:<24} {ms:>10.3f} {ms / base:>13.2e} {mark}")
    mem = report["memory"]
    lines.append("")
    lines.append(
        f"memory, open + first queries: peak RSS +{mem['lazy']['peak_rss_delta_mib']:.0f} MiB, tracemalloc "
        f"{mem['lazy']['tracemalloc_peak_mib']:.1f} MiB, graph holds {mem['lazy']['graph_nodes']:,} nodes"
    )
    lines.append(
        f"memory, full graph build:     peak RSS +{mem['full']['peak_rss_delta_mib']:.0f} MiB, tracemalloc "
        f"{mem['full']['tracemalloc_peak_mib']:.1f} MiB, graph holds {mem['full']['graph_nodes']:,} nodes "
        f"(ratio {report['memory_ratio']:.2e})"
    )
    sizes = report["sizes"]
    lines.append(
        f"depth-{DEPTH} answers: upstream {sizes['upstream_deep_answer']:,} nodes "
        f"({report['figures_ms']['upstream_deep_cold'] * 1000 / sizes['upstream_deep_answer']:.0f} µs/node cold), "
        f"downstream {sizes['downstream_early_answer']:,} nodes "
        f"({report['figures_ms']['downstream_early_cold'] * 1000 / sizes['downstream_early_answer']:.0f} µs/node cold)"
    )
    lines.append(f"answer sizes: {sizes}")
    lines.append(f"load average before/after: {report['machine']['load_average']}")
    lines.append(f"answers match the full graph: {report['answers_match_full_graph']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=gen.Params.nodes)
    ap.add_argument("--chains", type=int, default=gen.Params.chains)
    ap.add_argument("--seed", type=int, default=gen.Params.seed)
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure; the median counts")
    ap.add_argument("--root", type=Path, default=gen.DEFAULT_HOME, help="where generated stores are kept")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_lineage.json", help="JSON results file")
    ap.add_argument("--probe", choices=("lazy", "full"), help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--deep", help=argparse.SUPPRESS)
    ap.add_argument("--vid", help=argparse.SUPPRESS)
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.home, args.deep, args.vid, args.trace)))
        return 0
    report = bench(gen.Params(args.nodes, args.chains, args.seed), args.root, args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(table(report))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Dagster adapter benchmark: materializing small assets with ArtiflowIOManager vs FilesystemIOManager.

Both IO managers materialize the same graph in the same process, alternating, on the same
ephemeral Dagster instance; the figure that matters is the ratio of their times (target: at most
1.5). Nothing here asserts a speed.

    uv run python benchmarks/bench_dagster.py [--assets 20] [--repeat 7] [--out results.json]

The graph: ``--assets`` small assets, half of them sources returning a small dict and half loading
one source each (so both ``handle_output`` and ``load_input`` are measured). Every artiflow
materialization logs new content (a counter in the values), so no round is a pure dedup hit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import dagster as dg

from artiflow.adapters.dagster import ArtiflowIOManager, ArtiflowResource

ROUND = {"n": 0}
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}  # no per-event console output


def build_assets(count: int) -> list[dg.AssetsDefinition]:
    assets: list[dg.AssetsDefinition] = []
    for i in range(count // 2):

        @dg.asset(name=f"source_{i}", key_prefix=["bench"])
        def source() -> dict[str, Any]:
            return {"round": ROUND["n"], "rows": list(range(20))}

        src_in = {"src": dg.AssetIn(key=["bench", f"source_{i}"])}

        @dg.asset(name=f"derived_{i}", key_prefix=["bench"], ins=src_in)
        def derived(src: dict[str, Any]) -> dict[str, Any]:
            return {"round": src["round"], "total": sum(src["rows"])}

        assets += [source, derived]
    return assets


def materialize(
    assets: list[dg.AssetsDefinition], io_manager: Any, instance: dg.DagsterInstance
) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one materialization of every asset."""
    ROUND["n"] += 1
    wall, cpu = time.perf_counter(), time.process_time()
    result = dg.materialize(assets, resources={"io_manager": io_manager}, instance=instance, run_config=QUIET)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.success
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="dagster")

    work = Path(tempfile.mkdtemp(prefix="artiflow-bench-dagster-"))
    try:
        assets = build_assets(args.assets)
        managers = {
            "filesystem": dg.FilesystemIOManager(base_dir=str(work / "fs")),
            "artiflow": ArtiflowIOManager(artiflow=ArtiflowResource(project="bench", home=str(work / "store"))),
        }
        instance = dg.DagsterInstance.ephemeral()
        for manager in managers.values():  # warm-up: imports, first store open, schema creation
            materialize(assets, manager, instance)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in managers}
        for _ in range(args.repeat):  # interleaved, so load from other processes hits both sides
            for name, manager in managers.items():
                times[name].append(materialize(assets, manager, instance))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    seconds = {
        name: {
            "wall_median": statistics.median(w for w, _ in t),
            "wall_best": min(w for w, _ in t),
            "cpu_median": statistics.median(c for _, c in t),
            "all": t,
        }
        for name, t in times.items()
    }
    ratio = {
        stat: seconds["artiflow"][stat] / seconds["filesystem"][stat]
        for stat in ("wall_median", "wall_best", "cpu_median")
    }
    report = {
        "benchmark": "dagster_materialize",
        "assets": args.assets,
        "repeat": args.repeat,
        "seconds": seconds,
        "ratio": ratio,
        "target": 1.5,
        "python": platform.python_version(),
        "dagster": dg.__version__,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    print(f"{args.assets} assets, {args.repeat} materializations each (load average {os.getloadavg()[0]:.1f}):")
    print(f"  {'':<10} {'wall median':>12} {'wall best':>10} {'cpu median':>11}")
    for name, s in seconds.items():
        wall, best, cpu = (s[k] * 1000 for k in ("wall_median", "wall_best", "cpu_median"))
        print(f"  {name:<10} {wall:9.0f} ms {best:7.0f} ms {cpu:8.0f} ms")
    print(
        f"  {'ratio':<10} {ratio['wall_median']:11.2f}x {ratio['wall_best']:9.2f}x {ratio['cpu_median']:10.2f}x"
        "   (target <= 1.5x)"
    )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Prefect adapter benchmark: the same 20-task flow with plain ``@task`` and with ``@artifact_task``.

All flows run in the same process, alternating, against one Prefect test server (heartbeats
off); each flow times its own body, i.e. its task runs, and not the creation of the flow run. The
figure that matters is the adapter's added time per task run (target: at most 50 ms on a 2-core
machine), also given as the ratio of the flows' times. A plain task that creates the same Prefect
card and link artifact through Prefect's own API separates what those requests cost from the
adapter's own work. Nothing here asserts a speed.

    uv run python benchmarks/bench_prefect.py [--tasks 20] [--repeat 7] [--out results.json]

The flow: a chain of ``--tasks`` tasks; each reads its predecessor's small file (a few hundred
bytes) and writes a new one. The plain tasks pass paths; the artifact tasks pass artifacts, so
each run opens a Run, uses one version, logs one and finishes the Run, and (with the Prefect UI on,
the default) creates a version card and a link artifact in Prefect. Every round writes new
content, so no round is a pure dedup hit. Hashing a few hundred bytes is negligible.

A second pair maps one task over ``--tasks`` items on the thread pool: plain tasks each write a
file; the artifact task's mapped runs each upsert a part of one collaborative version, which its
``-finish`` task then commits (a Run, a merge, a commit, a version card). The figure is again the
added time per mapped run.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # one log line per task run would dominate

import prefect.settings  # noqa: E402
from prefect import flow, task, unmapped  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

import artiflow  # noqa: E402
from artiflow import Artifact  # noqa: E402
from artiflow.adapters.prefect import ArtifactRef, artifact_task  # noqa: E402

HERE = Path(__file__).resolve().parent
PAYLOAD = 300  # bytes per step


def _content(previous: str, step: int, round_: int) -> str:
    return (f"round {round_} step {step} after {len(previous)} bytes\n" * 16)[:PAYLOAD]


@task
def plain_step(previous: Path, step: int, round_: int, out_dir: Path) -> Path:
    out = out_dir / f"step-{step}.txt"
    out.write_text(_content(previous.read_text(), step, round_))
    return out


@task
def plain_step_with_ui(previous: Path, step: int, round_: int, out_dir: Path) -> Path:
    """The plain task plus what the adapter shows in the Prefect UI: one card, one link."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact

    out = plain_step.fn(previous, step, round_, out_dir)
    create_link_artifact(link=f"file://{previous}", link_text=previous.name)
    create_markdown_artifact(markdown=f"### step-{step}\n\n| file | `{out.name}` |\n", key=f"bench-step-{step}")
    return out


@artifact_task(project="bench")
def artifact_step(previous: Artifact, step: int, round_: int) -> Artifact:
    art = Artifact(f"step-{step}", type="dataset")
    with art.new_file("data.txt", mode="w") as f:
        f.write(_content(Path(previous.file()).read_text(), step, round_))
    return art


@task
def plain_part(i: int, round_: int, out_dir: Path) -> Path:
    out = out_dir / f"part-{i}.txt"
    out.write_text(_content("", i, round_))
    return out


@artifact_task(project="bench")
def artifact_part(i: int, round_: int) -> Artifact:
    art = Artifact("parts", type="dataset")
    with art.new_file("data.txt", mode="w") as f:
        f.write(_content("", i, round_))
    return art


def build_maps(tasks: int) -> tuple[Callable[..., float], Callable[..., float]]:
    """The two mapped flows; each returns how long its mapped runs (and the finish) took."""

    @flow
    def plain_map(round_: int, out_dir: Path) -> float:
        start = time.perf_counter()
        plain_part.map(range(tasks), round_=unmapped(round_), out_dir=unmapped(out_dir)).wait()
        return time.perf_counter() - start

    @flow
    def artifact_map(round_: int) -> float:
        start = time.perf_counter()
        artifact_part.map(range(tasks), round_=unmapped(round_)).artifact()
        return time.perf_counter() - start

    return plain_map, artifact_map


def build(tasks: int, *, ui: bool) -> tuple[Callable[..., float], Callable[..., float]]:
    """The two flows; each returns how long its chain of task runs took.

    Timing inside the flow leaves out creating the flow run, which on a busy Prefect server
    includes the client's retry back-off (seconds) and would drown the difference measured.
    """
    step = artifact_step if ui else artifact_step.with_options(ui=False)

    plain_task = plain_step_with_ui if ui else plain_step

    @flow
    def plain_chain(first: Path, round_: int, out_dir: Path) -> float:
        start = time.perf_counter()
        current = first
        for i in range(tasks):
            current = plain_task(current, i, round_, out_dir)
        return time.perf_counter() - start

    @flow
    def artifact_chain(first: ArtifactRef, round_: int) -> float:
        start = time.perf_counter()
        current: Any = first
        for i in range(tasks):
            current = step(current, i, round_)
        return time.perf_counter() - start

    return plain_chain, artifact_chain


def seed(store: artiflow.Store, work: Path) -> tuple[Path, ArtifactRef]:
    first = work / "seed.txt"
    first.write_text("seed\n" * 20)
    with artiflow.init(project="bench", store=store) as run:
        art = Artifact("seed", type="dataset")
        art.add_file(first)
        run.log_artifact(art)
    return first, ArtifactRef.of(art)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=20, help="tasks in the chain (default 20)")
    parser.add_argument("--repeat", type=int, default=7, help="rounds per flow (default 7); medians count")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between flows (default 1)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "bench_prefect.json", help="JSON results file")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="artiflow-bench-prefect-"))
    os.environ["ARTIFLOW_HOME"] = str(work / "store")
    updates: dict[Any, Any] = {prefect.settings.PREFECT_HOME: str(work / "prefect")}
    heartbeat = getattr(prefect.settings, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", None)
    if heartbeat is not None:
        updates[heartbeat] = None
    samples: dict[str, list[float]] = {
        "plain": [], "plain_ui": [], "artiflow": [], "artiflow_no_ui": [], "plain_map": [], "artiflow_map": [],
    }
    started = time.time()
    try:
        with prefect.settings.temporary_settings(updates=updates), prefect_test_harness(server_startup_timeout=180):
            store = artiflow.Store.open()
            first, first_ref = seed(store, work)
            plain_ui, with_ui = build(args.tasks, ui=True)
            plain, without_ui = build(args.tasks, ui=False)
            plain_map, artifact_map = build_maps(args.tasks)
            sides: dict[str, Callable[[int], float]] = {
                "plain": lambda r: plain(first, r, work),
                "plain_ui": lambda r: plain_ui(first, r, work),
                "artiflow": lambda r: with_ui(first_ref, r),
                "artiflow_no_ui": lambda r: without_ui(first_ref, 10_000 + r),
                "plain_map": lambda r: plain_map(r, work),
                "artiflow_map": lambda r: artifact_map(r),
            }
            for r in range(-1, args.repeat):  # round -1 warms up imports, clients and caches
                for name, side in sides.items():
                    time.sleep(args.pause)  # let the server flush the previous flow's events first
                    elapsed = side(r)
                    if r >= 0:
                        samples[name].append(elapsed)
            api = artiflow.Api(store=store)
            versions = len(api.artifacts("dataset", "bench/step-0"))
            map_versions = len(api.artifacts("dataset", "bench/parts"))
            store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = {k: statistics.median(v) for k, v in samples.items()}
    per_task_ms = {k: 1000 * (median[k] - median["plain"]) / args.tasks for k in ("artiflow", "artiflow_no_ui")}
    per_task_ms["artiflow_map"] = 1000 * (median["artiflow_map"] - median["plain_map"]) / args.tasks
    # Beyond what Prefect's own artifact API costs a plain task that shows the same card and link.
    per_task_ms["artiflow_beyond_prefect_ui"] = 1000 * (median["artiflow"] - median["plain_ui"]) / args.tasks
    report = {
        "meta": {
            "tasks": args.tasks, "repeat": args.repeat, "statistic": "median time of the flow body (its task runs)",
            "seconds": round(time.time() - started, 1), "prefect": prefect.__version__,
            "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "versions_of_step_0": versions, "versions_of_parts": map_versions,
        },
        "flow_seconds": {k: {"median": median[k], "samples": v} for k, v in samples.items()},
        "added_ms_per_task_run": per_task_ms,
        "ratio": {
            **{k: median[k] / median["plain"] for k in ("artiflow", "artiflow_no_ui")},
            "artiflow_map": median["artiflow_map"] / median["plain_map"],
        },
        "target_ms_per_task_run": 50,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{args.tasks}-task flow, median of {args.repeat} rounds (prefect {prefect.__version__}, {os.cpu_count()} CPUs)")
    print(f"  plain @task                 {median['plain']:7.3f} s")
    print(f"  plain @task + card + link   {median['plain_ui']:7.3f} s   (Prefect's own artifact API, same UI)")
    for k, label in (("artiflow", "@artifact_task (UI on)"), ("artiflow_no_ui", "@artifact_task (ui=False)")):
        print(
            f"  {label:27} {median[k]:7.3f} s   +{per_task_ms[k]:5.1f} ms per task run   "
            f"ratio {report['ratio'][k]:.2f}"
        )
    print(f"  UI on, beyond the plain task with the same card and link: "
          f"+{per_task_ms['artiflow_beyond_prefect_ui']:5.1f} ms per task run")
    print(f"{args.tasks} mapped runs of one task, median of {args.repeat} rounds")
    print(f"  plain @task .map            {median['plain_map']:7.3f} s")
    print(
        f"  @artifact_task .map         {median['artiflow_map']:7.3f} s   +{per_task_ms['artiflow_map']:5.1f} ms per "
        f"mapped run   ratio {report['ratio']['artiflow_map']:.2f}   (one version, committed by its -finish task)"
    )
    print(f"target: at most 50 ms per task run; results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

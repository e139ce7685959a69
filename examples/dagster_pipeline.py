"""Dagster assets versioned by artiflow: raw → clean → model, with step-level lineage.

Run it with ``uv run python examples/dagster_pipeline.py``. It keeps its store in
``.artiflow-dagster/`` next to this script unless ARTIFLOW_HOME says otherwise, starts from scratch
each time, and uses a throw-away in-memory Dagster instance.

The story: the first materialization logs v0 of every asset; materializing again with the same
data creates no new version; new raw data creates v1 all the way down; lineage then says which
Dagster step logged and which used every version.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import dagster as dg

import artiflow
from artiflow.adapters.dagster import ArtiflowIOManager, ArtiflowResource

PROJECT = "dagster-demo"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
SOURCE = Path(tempfile.mkdtemp(prefix="artiflow-dagster-")) / "pets.csv"


@dg.asset(key_prefix=["pets"], description="The raw export, as a file.")
def raw() -> Path:
    return SOURCE  # a Path: the file itself is versioned


@dg.asset(key_prefix=["pets"], ins={"raw": dg.AssetIn(key=["pets", "raw"])})
def clean(raw: Path) -> list[dict[str, Any]]:
    with raw.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["weight"]]
    return [{"name": r["name"], "weight": float(r["weight"])} for r in rows]


@dg.asset(
    key_prefix=["pets"],
    ins={"clean": dg.AssetIn(key=["pets", "clean"])},
    metadata={"artiflow/type": "model", "artiflow/aliases": ["candidate"]},
)
def model(clean: list[dict[str, Any]]) -> dict[str, Any]:
    weights = [r["weight"] for r in clean]
    return {"mean_weight": sum(weights) / len(weights), "trained_on": len(weights)}


store = ArtiflowResource(project=PROJECT, home=dg.EnvVar("ARTIFLOW_HOME"))
defs = dg.Definitions(
    assets=[raw, clean, model],
    resources={
        "artiflow": store,
        # File values (raw) are downloaded for the steps that load them: keep those copies out of ./artifacts.
        "io_manager": ArtiflowIOManager(artiflow=store, download_dir=str(SOURCE.parent / "downloads")),
    },
)


def materialize(instance: dg.DagsterInstance, label: str) -> str:
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, run_config=QUIET)
    refs = []
    for node in ("pets__raw", "pets__clean", "pets__model"):
        event = result.asset_materializations_for_node(node)[0]
        refs.append(str(event.metadata["artiflow/ref"].value).split("/", 1)[1])
    print(f"{label:<10} dagster run {result.run_id[:8]}: {', '.join(refs)}")
    return result.run_id


def write_source(rows: list[tuple[str, str]]) -> None:
    with SOURCE.open("w", newline="") as f:
        csv.writer(f).writerows([("name", "weight"), *rows])


def lineage(api: artiflow.Api, ref: str, depth: int = 0) -> None:
    """Walk upstream: the step that logged a version, and what that step used."""
    art = api.artifact(ref)
    run = art.logged_by()
    step = f"logged by step {run.name!r} of dagster run {run.group[:8]}" if run and run.group else "logged"
    print(f"  {'  ' * depth}{art.name:<15} {step}")
    for used in run.used_artifacts() if run else []:
        lineage(api, used.qualified_name, depth + 1)


def main() -> None:
    home = Path(os.environ.setdefault("ARTIFLOW_HOME", str(Path(__file__).parent / ".artiflow-dagster")))
    shutil.rmtree(home, ignore_errors=True)
    instance = dg.DagsterInstance.ephemeral()

    write_source([("rex", "30.5"), ("tom", "4.2"), ("kit", "")])
    materialize(instance, "first")
    materialize(instance, "unchanged")  # same content: every asset stays at v0
    write_source([("rex", "30.5"), ("tom", "4.2"), ("kit", "3.9")])
    last = materialize(instance, "new data")

    api = artiflow.Api(store=artiflow.Store.open(home=home))
    print("\nlineage of the newest model")
    lineage(api, f"{PROJECT}/pets.model:latest")

    print("\nruns of the last dagster run (one per step)")
    for run in api.runs(PROJECT):
        if run.group == last:
            used = [a.name for a in run.used_artifacts()]
            logged = [a.name for a in run.logged_artifacts()]
            print(f"  {run.name:<12} used {used} logged {logged}")

    model_v1 = api.artifact(f"{PROJECT}/pets.model:latest")
    print(f"\nmodel {model_v1.name} aliases={sorted(model_v1.aliases)} value={model_v1.get('value')}")
    print(f"versions of pets.raw: {[a.version for a in api.artifacts('dataset', f'{PROJECT}/pets.raw')]}")
    shutil.rmtree(SOURCE.parent, ignore_errors=True)


if __name__ == "__main__":
    main()

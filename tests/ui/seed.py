"""Seeded stores for the UI tests: a Prefect-like and a Dagster-like lineage, written through the API.

- ``flows`` (Prefect-like): 5 runs of flow ``etl``; each flow run is a Run (job type ``flow:etl``,
  its own group) and each task run one more (job types ``ingest``, ``clean``, ``train``, grouped by
  the flow run). The first four runs produce the same bytes, so they re-log ``raw:v0``,
  ``clean:v0`` and ``model:v0``; the fifth changes the data, giving ``v1`` of each.
- ``assets`` (Dagster-like): two Dagster runs (groups); a step per asset (job type ``asset``);
  ``events`` feeds a partitioned ``daily`` asset whose one step logs 7 partition versions, and a
  ``report`` step uses all of them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import artiflow


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def prefect_like(store: artiflow.Store, work: Path, *, flow_runs: int = 5) -> dict[str, str]:
    """Returns the refs the tests look at."""
    for i in range(flow_runs):
        changed = i == flow_runs - 1
        flow_id = uuid.uuid4().hex
        with artiflow.init(project="flows", name=f"etl-run-{i}", job_type="flow:etl", group=flow_id,
                           id=flow_id, store=store):
            with artiflow.init(project="flows", name=f"ingest-{i}", job_type="ingest", group=flow_id,
                               store=store, config={"source": "s3://bucket/raw", "rows": 100 + 50 * changed}) as run:
                art = artiflow.Artifact("raw", type="dataset", metadata={"rows": 100 + 50 * changed})
                art.add_dir(str(_write(work / f"raw{i}", {"part-0.csv": "a,b\n1,2\n" + ("3,4\n" if changed else ""),
                                                           "part-1.csv": "a,b\n5,6\n"})))
                run.log_artifact(art)
            with artiflow.init(project="flows", name=f"clean-{i}", job_type="clean", group=flow_id, store=store) as run:
                run.use_artifact("raw:latest")
                art = artiflow.Artifact("clean", type="dataset", metadata={"dropped": 1 + changed})
                art.add_dir(str(_write(work / f"clean{i}", {"clean.csv": "a,b\n1,2\n" + ("3,4\n" if changed else "")})))
                run.log_artifact(art)
            with artiflow.init(project="flows", name=f"train-{i}", job_type="train", group=flow_id, store=store,
                               config={"lr": 0.01, "epochs": 3}) as run:
                run.use_artifact("clean:latest")
                art = artiflow.Artifact("model", type="model",
                                        metadata={"accuracy": 0.9 + 0.05 * changed, "params": {"layers": 2}})
                art.add_dir(str(_write(work / f"model{i}", {"model.json": json.dumps({"w": [1, 2, 3 + changed]}),
                                                             "README.md": "a model\n"})))
                run.log_artifact(art, aliases=["production"] if not changed else ["candidate"])
    return {"model": "flows/model:v0", "raw": "flows/raw:v0"}


def dagster_like(store: artiflow.Store, work: Path, *, partitions: int = 7) -> dict[str, str]:
    for d in range(2):
        dagster_run = f"dr{d:02d}" + uuid.uuid4().hex[:12]
        with artiflow.init(project="assets", name="events", job_type="asset", group=dagster_run, store=store) as run:
            art = artiflow.Artifact("events", type="dataset")
            art.add_file(str(_write(work / f"ev{d}", {"events.jsonl": f'{{"day": {d}}}\n'}) / "events.jsonl"))
            run.log_artifact(art)
        with artiflow.init(project="assets", name="daily", job_type="asset", group=dagster_run, store=store) as run:
            run.use_artifact("events:latest")
            for p in range(partitions):
                art = artiflow.Artifact("daily", type="dataset", metadata={"partition": f"2026-01-{p + 1:02d}"})
                art.add_file(str(_write(work / f"daily{d}-{p}", {"part.csv": f"{d},{p}\n"}) / "part.csv"))
                run.log_artifact(art)
        with artiflow.init(project="assets", name="report", job_type="asset", group=dagster_run, store=store) as run:
            for v in store.metadata.list_versions("assets", "daily")[-partitions:]:
                run.use_artifact(f"daily:{v.version}")
            art = artiflow.Artifact("report", type="report")
            art.add_file(str(_write(work / f"rep{d}", {"report.md": f"# report {d}\n"}) / "report.md"))
            run.log_artifact(art)
    return {"report": "assets/report:v1", "events": "assets/events:v1"}


def big_version(store: artiflow.Store, work: Path, *, files: int = 2000) -> str:
    """One version with many files in nested directories."""
    root = work / "big"
    for i in range(files):
        p = root / f"d{i % 10}" / f"s{i % 7}" / f"f{i:06d}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(str(i))
    with artiflow.init(project="flows", name="bulk", job_type="bulk", store=store) as run:
        art = artiflow.Artifact("bulk", type="dataset")
        art.add_dir(str(root))
        run.log_artifact(art)
    return "flows/bulk:v0"

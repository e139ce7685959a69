"""A Prefect flow whose tasks version their data with artiflow: ingest → clean → train.

Run it with ``uv run python examples/prefect_pipeline.py`` (Prefect comes with the ``prefect``
extra: ``pip install "artiflow[prefect]"``). With no Prefect server configured, Prefect starts a
temporary local one (the first start takes 15-30 s while it creates its database). The artiflow
store lives in ``.artiflow-prefect-example/`` next to this script unless ARTIFLOW_HOME says
otherwise, and starts from scratch each time.

The story: each task run becomes an artiflow Run (id = task run id, grouped by flow run). ingest
is mapped over two regions, and its mapped runs build *one* version of the raw data together
(each region's file under ``part-0000i/``, committed by the ``ingest-finish`` task); clean uses
*exactly* that version and logs a cleaned dataset, train uses that and logs a model. Running the flow again with the same data creates no new versions. Every new
version also appears in the Prefect UI as a keyed markdown artifact (``artiflow-<project>--<name>``).

Two Prefect settings get defaults here, through their documented environment variables, and only
if you have not set them: ``PREFECT_SERVER_ANALYTICS_ENABLED=false`` (the temporary server would
otherwise try to send telemetry) and ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120`` (a
cold first start can exceed the default 20 s).
"""

from __future__ import annotations

import csv
import os
import random
import shutil
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import artiflow  # noqa: E402
from artiflow import Artifact  # noqa: E402
from artiflow.adapters.prefect import ArtifactRef, Output, artifact_flow, artifact_task  # noqa: E402
from artiflow.adapters.prefect.ui import card_key  # noqa: E402

PROJECT = "prefect-demo"


@artifact_task
def ingest(region: str, rows: int, seed: int) -> Artifact:
    """Fetch one region's raw sales (here: generated); mapped, each region is one part of 'sales-raw'."""
    rng = random.Random(f"{region}-{seed}")
    raw = Artifact("sales-raw", type="dataset", description="daily sales, as received")
    with raw.new_file("sales.csv", mode="w") as f:
        out = csv.writer(f)
        out.writerow(["day", "ads", "sales"])
        for day in range(rows):
            ads = rng.randint(0, 100)
            sales = "" if rng.random() < 0.1 else 3 * ads + rng.randint(-5, 5)  # some days are missing
            out.writerow([day, ads, sales])
    return raw


@artifact_task(outputs=Output("sales-clean", type="dataset", aliases=("staging",)))
def clean(raw: Artifact) -> Path:
    """Drop incomplete rows; the returned directory becomes the artifact 'sales-clean'."""
    rows = []
    for part in sorted(Path(raw.download()).glob("part-*/sales.csv")):  # one file per region
        with open(part, newline="") as f:
            rows += [r for r in csv.DictReader(f) if r["sales"]]
    out = Path(f"clean-{raw.version}")
    out.mkdir(exist_ok=True)
    with open(out / "sales.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["day", "ads", "sales"])
        writer.writeheader()
        writer.writerows(rows)
    return out


@artifact_task
def train(data: Artifact) -> Artifact:
    """Fit sales ≈ slope · ads + intercept by least squares; log the model with its metrics."""
    with open(Path(data.download()) / "sales.csv", newline="") as f:
        points = [(float(r["ads"]), float(r["sales"])) for r in csv.DictReader(f)]
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    intercept = my - slope * mx
    model = Artifact("sales-model", type="model", metadata={"rows": n, "slope": round(slope, 3)})
    model.add({"slope": slope, "intercept": intercept}, "weights")
    return model


def main() -> None:
    home = Path(os.environ.get("ARTIFLOW_HOME", Path(__file__).parent / ".artiflow-prefect-example"))
    shutil.rmtree(home, ignore_errors=True)
    work = home / "work"
    work.mkdir(parents=True)
    os.chdir(work)  # clean() writes its output directory here

    @artifact_flow(project=PROJECT, settings=artiflow.Settings(home=home))
    def sales_pipeline(rows: int = 60, seed: int = 7) -> ArtifactRef:
        raw = ingest.map(["north", "south"], rows=rows, seed=seed)  # one version, a part per region
        return train(clean(raw))

    print(f"artiflow store: {home}\n")
    first = sales_pipeline()
    print(f"run 1 produced {first}")
    again = sales_pipeline()
    print(f"run 2 (same data) produced {again}: {'no new versions' if again == first else 'new versions'}")

    store = artiflow.Store.open(home=home)
    api = artiflow.Api(store=store)
    print("\nversions")
    for coll in api.artifact_collections(PROJECT):
        print(f"  {coll.name:12} {coll.type:8} {[a.version for a in coll.versions()]}")

    print("\nlineage of the model, back to the raw data")
    artifact: Artifact | None = api.artifact(first.qualified_name)
    while artifact is not None:
        producer = artifact.logged_by()
        users = sorted({r.job_type or "?" for r in artifact.used_by()})
        print(f"  {artifact.qualified_name:28} digest={artifact.digest[:12]}  used by {users or '-'}")
        if producer is None:
            break
        print(f"    <- logged by task '{producer.job_type}' (run {producer.id}, flow run {producer.group})")
        inputs = producer.used_artifacts()
        artifact = inputs[0] if inputs else None

    print("\nruns, grouped by flow run")
    groups: dict[str | None, list[artiflow.Run]] = {}
    for run in api.runs(PROJECT):
        groups.setdefault(run.group, []).append(run)
    for group, runs in groups.items():
        print(f"  flow run {group}: " + ", ".join(f"{r.job_type} ({r.state})" for r in runs))
    model = api.artifact(f"{PROJECT}/sales-model:latest")
    print(f"\nmodel weights: {model.get('weights')}")
    keys = ", ".join(card_key(PROJECT, n) for n in ("sales-raw", "sales-clean", "sales-model"))
    print(f"In the Prefect UI (Artifacts), each version has a card under the keys {keys}.")
    store.close()


if __name__ == "__main__":
    main()

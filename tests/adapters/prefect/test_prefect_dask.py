"""A flow on prefect-dask's ``DaskTaskRunner`` over a ``distributed.LocalCluster`` of worker
processes, against PostgreSQL + S3: every worker reaches the shared store through the
``ARTIFLOW_*`` environment it inherits, and the store ends with exactly the versions and lineage
edges the flow implies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from prefect_helpers import task_runs, wait_for

import artiflow
from artiflow import Artifact
from artiflow.adapters.prefect import ArtifactRef, artifact_flow, artifact_task

pytest.importorskip("prefect_dask")
distributed = pytest.importorskip("distributed")

pytestmark = [
    pytest.mark.usefixtures("prefect_server"),
    pytest.mark.slow,
    pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True),
]


@artifact_task(project="dask")
def ingest(n: int) -> Artifact:
    raw = Artifact("raw", type="dataset", metadata={"pid": os.getpid()})
    raw.add({"rows": list(range(n))}, "rows")
    return raw


@artifact_task(project="dask")
def shard(i: int, raw: Artifact) -> Artifact:
    part = Artifact("shards", type="dataset", metadata={f"pid-{i}": os.getpid()})
    part.add({"i": i, "rows": raw.get("rows")["rows"][i::3]}, "rows")
    return part


@artifact_task(project="dask")
def train(data: Artifact) -> Artifact:
    model = Artifact("model", type="model", metadata={"pid": os.getpid()})
    model.add({"parts": sorted(e.path for e in data.manifest)}, "summary")
    return model


@pytest.fixture
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None, silence_logs=40
    ) as c:
        yield c


def test_a_dask_flow_with_a_map_ends_with_exactly_the_expected_versions_and_lineage(
    backend: Any, cluster: Any
) -> None:
    from prefect import unmapped
    from prefect_dask import DaskTaskRunner

    @artifact_flow(project="dask", task_runner=DaskTaskRunner(address=cluster.scheduler_address))
    def pipeline(n: int) -> tuple[ArtifactRef, ArtifactRef]:
        raw = ingest.submit(n)
        shards = shard.map(range(3), raw=unmapped(raw))
        return shards.artifact(), train.submit(shards).result()

    state = pipeline(9, return_state=True)
    assert state.is_completed(), state
    shards_ref, model_ref = state.result()
    api = artiflow.Api()
    assert backend.remote and api.store.settings.storage_url.startswith("s3://")

    # Exactly one version of each artifact: the map made one collaborative version.
    for type_, name in (("dataset", "raw"), ("dataset", "shards"), ("model", "model")):
        assert [a.version for a in api.artifacts(type_, f"dask/{name}")] == ["v0"]
    raw, shards, model = (api.artifact(f"dask/{n}:v0") for n in ("raw", "shards", "model"))
    assert (shards_ref.qualified_name, model_ref.qualified_name) == ("dask/shards:v0", "dask/model:v0")
    assert [e.path for e in shards.manifest] == [f"part-{i:05d}/rows.json" for i in range(3)]
    assert shards.get("part-00001/rows") == {"i": 1, "rows": [1, 4, 7]}
    assert model.get("summary") == {"parts": [f"part-{i:05d}/rows.json" for i in range(3)]}

    # Every task ran in a Dask worker process, none in this one.
    workers = {w.pid for w in cluster.scheduler.workers.values()} if hasattr(cluster, "scheduler") else None
    pids = {raw.metadata["pid"], model.metadata["pid"], *(shards.metadata[f"pid-{i}"] for i in range(3))}
    assert os.getpid() not in pids
    if workers:
        assert pids <= workers

    # Lineage: ingest -> raw -> 3 mapped shard runs -> shards (committed by shard-finish) -> train -> model.
    flow_run_id = str(state.state_details.flow_run_id)
    wait_for(lambda: len(task_runs(flow_run_id)) == 6)  # ingest, 3 parts, shard-finish, train
    runs = {r.job_type: r for r in api.runs("dask") if r.job_type != "shard"}
    mapped = [r for r in api.runs("dask") if r.job_type == "shard"]
    assert {"ingest", "shard-finish", "train"} <= set(runs) <= {"ingest", "shard-finish", "train", "pipeline"}
    assert len(mapped) == 3 and all(r.state == "finished" and r.group == flow_run_id for r in mapped)
    assert raw.logged_by() == runs["ingest"]
    assert sorted(r.id for r in raw.used_by()) == sorted(r.id for r in mapped)
    assert shards.logged_by() == runs["shard-finish"]
    assert set(api.store.lineage().loggers(shards.id)) == {r.id for r in mapped} | {runs["shard-finish"].id}
    assert [a.qualified_name for a in runs["train"].used_artifacts()] == ["dask/shards:v0"]
    assert shards.used_by() == [runs["train"]]
    assert model.logged_by() == runs["train"] and model.used_by() == []
    assert set(model.upstream().artifacts) >= {"dask/raw:v0", "dask/shards:v0"}

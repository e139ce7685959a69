"""Prefect's cache never hands back a result built from another version than the inputs name.

A cache key sees artifact inputs as the content they resolve to when the task run starts: a
path such as ``"features:latest"`` by the digest ``latest`` points at, a mapped result by the
committed version's digest, and always together with the store they live in.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from prefect import flow, task
from prefect.cache_policies import INPUTS, TASK_SOURCE

import artiflow
from artiflow import Artifact
from artiflow.adapters.prefect import ARTIFACT_INPUTS, ArtifactRef, artifact_flow, artifact_task

pytestmark = pytest.mark.usefixtures("prefect_server")

CALLS: list[str] = []


def log_features(text: str) -> None:
    """Log a new version of shop/features (or reuse it, for identical text) and move ``latest``."""
    with artiflow.init(project="shop", job_type="ingest") as run:
        art = Artifact("features", type="dataset")
        with art.new_file("features.csv", mode="w") as f:
            f.write(text)
        run.log_artifact(art)


@artifact_task(project="shop", inputs=["features"], cache_policy=INPUTS + TASK_SOURCE)
def summarize(features: Artifact) -> Artifact:
    CALLS.append(features.version)
    report = Artifact("summary", type="report")
    report.add({"rows": Path(features.file()).read_text().count("\n")}, "summary")
    return report


@artifact_flow(project="shop")
def report_flow() -> ArtifactRef:
    return summarize("features:latest")


def test_moving_latest_reruns_a_cached_task_and_identical_content_hits() -> None:
    CALLS.clear()
    log_features("a\n")
    first = report_flow()
    assert CALLS == ["v0"]

    log_features("a\n")  # identical content: latest still names v0
    again = report_flow()
    assert CALLS == ["v0"] and again == first  # a cache hit, the same summary version

    log_features("a\nb\n")  # latest moves to v1
    moved = report_flow()
    assert CALLS == ["v0", "v1"]  # the stale cached summary of v0 is not reused
    assert moved != first
    summary = artiflow.Api().artifact(moved.qualified_name)
    assert summary.get("summary") == {"rows": 2}


def test_a_cache_hit_records_a_use_of_the_cached_version_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    CALLS.clear()
    log_features("c\n")
    first = report_flow()
    with caplog.at_level(logging.INFO, logger="prefect.task_runs"):
        again = report_flow()
    assert CALLS == ["v0"] and again == first  # a hit: the function did not run
    api = artiflow.Api()
    summary = api.artifact(first.qualified_name)
    [producer] = [r for r in api.runs("shop") if r.job_type == "summarize" and r.logged_artifacts()]
    [reuser] = summary.used_by()  # the cached task run: its own Run, which used the cached version
    assert reuser.job_type == "summarize" and reuser.id != producer.id and reuser.state == "finished"
    assert reuser.logged_artifacts() == []
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("artiflow: cached")]
    assert lines == [f"artiflow: cached {first.qualified_name} (an earlier run's result, reused and recorded as used)"]


@artifact_task(project="shop")
def shard(i: int) -> Artifact:
    part = Artifact("shards", type="dataset")
    with part.new_file("rows.csv", mode="w") as f:
        f.write(f"{i}\n")
    return part


@artifact_task(project="shop", cache_policy=INPUTS + TASK_SOURCE)
def count(shards: Artifact) -> Artifact:
    CALLS.append(shards.version)
    out = Artifact("shard-count", type="report")
    out.add({"files": len(shards.manifest.contents)}, "count")
    return out


@artifact_flow(project="shop")
def sharded(n: int) -> ArtifactRef:
    return count(shard.map(range(n)))


def test_a_consumer_of_a_map_hits_the_cache_when_the_parts_are_identical() -> None:
    CALLS.clear()
    first = sharded(2)
    again = sharded(2)  # new mapped runs, the same committed version shards:v0
    assert CALLS == ["v0"] and again == first
    sharded(3)  # a new part: shards:v1
    assert CALLS == ["v0", "v1"]


@task(cache_policy=ARTIFACT_INPUTS + TASK_SOURCE)
def peek(ref: ArtifactRef, label: str) -> str:
    CALLS.append(label)
    return ref.version


def test_artifact_inputs_on_a_plain_task_keys_refs_by_content() -> None:
    log_features("x\n")
    ref = report_flow()
    CALLS.clear()

    @flow
    def peeking(label: str) -> str:
        return peek(ref, label)

    peeking("a")
    peeking("a")
    peeking("b")
    assert CALLS == ["a", "b"]

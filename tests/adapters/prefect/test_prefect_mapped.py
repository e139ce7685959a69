"""``.map`` of an artifact task builds one collaborative version: a part per mapped run, one
finishing task that commits them, consumers that receive exactly that version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_helpers import prefect_artifacts, task_runs, wait_for

import artiflow
from artiflow import Artifact
from artiflow.adapters.prefect import ArtifactRef, Output, artifact_flow, artifact_task, get_run

pytestmark = pytest.mark.usefixtures("prefect_server")


@artifact_task(project="maps")
def source(i: int) -> Artifact:
    art = Artifact(f"source-{i}", type="raw")
    art.add({"rows": list(range(i + 1))}, "rows")
    return art


@artifact_task(project="maps")
def shard(raw: Artifact) -> Artifact:
    rows = raw.get("rows")["rows"]
    part = Artifact("shards", type="dataset", metadata={f"rows-{len(rows)}": len(rows)})
    with part.new_file("data.json", mode="w") as f:  # the same path in every part
        json.dump(rows, f)
    return part


@artifact_task(project="maps")
def train(data: Artifact) -> Artifact:
    model = Artifact("model", type="model")
    model.add({"files": sorted(e.path for e in data.manifest)}, "summary")
    return model


@artifact_flow(project="maps", task_runner=ThreadPoolTaskRunner(max_workers=4))  # type: ignore[arg-type]
def build(n: int) -> tuple[Any, ArtifactRef]:
    shards = shard.map([source(i) for i in range(n)])
    return shards.artifact(), train(shards)


def test_a_map_builds_one_version_that_consumers_receive() -> None:
    state = build(4, return_state=True)
    assert state.is_completed(), state
    shards_ref, model_ref = state.result()
    flow_run_id = state.state_details.flow_run_id
    api = artiflow.Api()

    [shards] = api.artifacts("dataset", "maps/shards")
    assert shards_ref == ArtifactRef.of(shards) and shards.version == "v0"
    assert [e.path for e in shards.manifest] == [f"part-{i:05d}/data.json" for i in range(4)]
    assert json.loads(Path(shards.get_entry("part-00003/data.json").download()).read_text()) == [0, 1, 2, 3]
    assert shards.metadata == {f"rows-{i}": i for i in range(1, 5)}  # every part's metadata

    wait_for(lambda: len(task_runs(flow_run_id)) == 10)  # 4 sources, 4 parts, shard-finish, train
    runs = {str(tr.id): tr for tr in task_runs(flow_run_id)}
    mapped = {i for i, tr in runs.items() if tr.task_key.startswith("shard") and tr.name.startswith("shard-")
              and not tr.name.endswith("finish")}
    [finisher] = [i for i, tr in runs.items() if tr.name.startswith("shard-finish")]
    assert len(mapped) == 4
    producer = shards.logged_by()
    assert producer is not None and producer.id == finisher and producer.job_type == "shard-finish"
    assert set(api.store.lineage().loggers(shards.id)) == mapped | {finisher}  # every part's run logged it
    for run_id in mapped:
        run = api.run(f"maps/{run_id}")
        assert run.state == "finished" and run.group == str(flow_run_id)
        assert [a.qualified_name for a in run.logged_artifacts()] == ["maps/shards:v0"]
        assert len(run.used_artifacts()) == 1  # its own source, not a sibling's

    model = api.artifact(model_ref.qualified_name)
    assert model.get("summary") == {"files": [f"part-{i:05d}/data.json" for i in range(4)]}
    trainer = model.logged_by()
    assert trainer is not None
    assert [a.qualified_name for a in trainer.used_artifacts()] == ["maps/shards:v0"]  # one Artifact, not a list
    upstream = model.upstream()
    assert {f"maps/source-{i}:v0" for i in range(4)} <= set(upstream.artifacts)  # every part's input

    cards = [a for a in prefect_artifacts(flow_run_id) if a.key == "artiflow-maps--shards"]
    assert len(cards) == 1 and str(cards[0].task_run_id) == finisher  # one version, one card
    assert "| parts | 4, one per mapped run" in cards[0].data
    assert "| aliases (as logged) | `latest`; they may move later: `artiflow show maps/shards:v0`" in cards[0].data


def test_the_same_parts_again_make_no_new_version() -> None:
    first = build(3, return_state=True)
    again = build(3, return_state=True)
    assert first.is_completed() and again.is_completed(), (first, again)
    assert first.result()[0] == again.result()[0]
    api = artiflow.Api()
    assert [a.version for a in api.artifacts("dataset", "maps/shards")] == ["v0"]
    assert [a.version for a in api.artifacts("model", "maps/model")] == ["v0"]
    assert build(2)[0].version == "v1"  # other parts: the next version


@artifact_task(project="objs", outputs=[Output("stats", type="report", aliases=("nightly",)), Output("sizes")])
def measure(word: str) -> dict[str, Any]:
    return {"stats": {"word": word, "length": len(word)}, "sizes": [len(word)]}


@task
def peek(refs: list[Any]) -> list[str]:  # a plain Prefect task sees the parts as they are
    return [str(r["stats"]) for r in refs]


@artifact_flow(project="objs")
def measure_all(words: list[str]) -> Any:
    futures = measure.map(words)
    return futures.artifact(), peek(futures), futures.result()


def test_declared_outputs_of_mapped_runs_become_one_version_each() -> None:
    refs, peeked, results = measure_all(["ab", "cde"])
    assert [r["stats"].index for r in results] == [0, 1]  # each mapped run's own parts, in order
    assert {r["sizes"].distributed_id for r in results} == {results[0]["stats"].distributed_id}
    assert set(refs) == {"stats", "sizes"}
    api = artiflow.Api()
    stats = api.artifact(refs["stats"].qualified_name)
    assert sorted(stats.aliases) == ["latest", "nightly"]
    assert stats.get("part-00000/value") == {"word": "ab", "length": 2}
    assert stats.get("part-00001/value") == {"word": "cde", "length": 3}
    assert api.artifact(refs["sizes"].qualified_name).get("part-00001/value") == [3]
    assert [p.split(" of map")[0] for p in peeked] == ["objs/stats (part 0", "objs/stats (part 1"]


@artifact_task(project="attempts", retries=1, retry_delay_seconds=0,
               outputs=[Output("first"), Output("second")])
def two_outputs(i: int, missing: str) -> dict[str, Any]:
    attempt = get_run().config["prefect"]["run_count"]
    # "first" is upserted before "second" fails on the first attempt: the retry upserts it again
    # with other content, and only the retry's part may count.
    return {"first": {"i": i, "attempt": attempt}, "second": missing if attempt == 1 else {"i": i}}


@artifact_flow(project="attempts")
def retried(n: int) -> Any:
    return two_outputs.map(range(n), missing="/no/such/file").artifact()


def test_a_retried_part_counts_once() -> None:
    state = retried(2, return_state=True)
    assert state.is_completed(), state
    first = artiflow.Api().artifact(state.result()["first"].qualified_name)
    assert [first.get(f"part-{i:05d}/value") for i in range(2)] == [{"i": 0, "attempt": 2}, {"i": 1, "attempt": 2}]
    assert first.version == "v0"


@artifact_task(project="broken")
def maybe(i: int) -> Artifact:
    if i == 2:
        raise ValueError("part 2 is corrupt")
    art = Artifact("parts", type="dataset")
    art.add({"i": i}, "part")
    return art


@artifact_task(project="broken")
def use_all(parts: Artifact) -> str:
    return parts.qualified_name


@artifact_flow(project="broken")
def with_a_bad_part() -> str:
    parts = maybe.map(range(4))
    parts.wait()  # else the flow ends, and Prefect cancels the parts still running, once use_all gives up
    return use_all(parts)


def test_a_failed_part_commits_nothing() -> None:
    state = with_a_bad_part(return_state=True)
    api = artiflow.Api()
    with pytest.raises(artiflow.errors.ArtifactNotFoundError):  # the draft stays uncommitted
        api.artifacts("dataset", "broken/parts")
    runs = api.runs("broken")
    assert {r.job_type for r in runs} == {"maybe"}  # the finisher and the consumer never ran
    assert sorted(r.state for r in runs) == ["failed", "finished", "finished", "finished"]

    def not_ready() -> list[str]:  # Prefect records task run states from events, a moment later
        trs = task_runs(state.state_details.flow_run_id)
        return sorted(tr.name.split("-")[0] for tr in trs if tr.state and tr.state.name == "NotReady")

    wait_for(lambda: not_ready() == ["maybe", "use_all"])  # maybe-finish, and the consumer


@artifact_task(project="flat", part_prefix="")
def flat(name: str) -> Artifact:
    art = Artifact("flat", type="dataset")
    with art.new_file(f"{name}.txt", mode="w") as f:
        f.write(name)
    return art


@artifact_flow(project="flat")
def flat_files(names: list[str]) -> Any:
    return flat.map(names).artifact()


def test_part_prefix_can_keep_the_paths_as_returned() -> None:
    ref = flat_files(["train", "test"])
    assert [e.path for e in artiflow.Api().artifact(ref.qualified_name).manifest] == ["test.txt", "train.txt"]
    state = flat_files(["same", "same"], return_state=True)  # identical content at one path: merged
    assert state.is_completed(), state


@artifact_task(project="flat", part_prefix="")
def clash(i: int) -> Artifact:
    art = Artifact("clash", type="dataset")
    with art.new_file("data.txt", mode="w") as f:
        f.write(str(i))
    return art


@artifact_flow(project="flat")
def clashing() -> Any:
    return clash.map(range(2)).artifact()


def test_two_parts_writing_one_path_fail_the_finishing_task_and_commit_nothing() -> None:
    state = clashing(return_state=True)
    assert state.is_failed()
    with pytest.raises(artiflow.errors.EntryConflictError, match="'data.txt' was written with different content"):
        state.result()
    with pytest.raises(artiflow.errors.ArtifactNotFoundError):
        artiflow.Api().artifacts("dataset", "flat/clash")


def test_not_collaborative_logs_one_version_per_mapped_run() -> None:
    @flow
    def separately() -> list[Any]:
        return shard.with_options(collaborative=False).map([source(i) for i in range(2)]).result()

    refs = separately()
    assert sorted(r.version for r in refs) == ["v0", "v1"]
    assert all(isinstance(r, ArtifactRef) for r in refs)


@pytest.mark.slow
def test_the_process_pool_runs_parts_in_other_processes() -> None:
    from prefect.task_runners import ProcessPoolTaskRunner

    @artifact_flow(project="maps", task_runner=ProcessPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
    def in_processes() -> Any:
        return shard.map([source(i) for i in range(3)]).artifact()

    state = in_processes(return_state=True)
    assert state.is_completed(), state
    shards = artiflow.Api().artifact(state.result().qualified_name)
    assert [e.path for e in shards.manifest] == [f"part-{i:05d}/data.json" for i in range(3)]


def test_part_prefix_is_checked() -> None:
    with pytest.raises(ValueError, match="format string of 'index'"):
        artifact_task(part_prefix="{part}/")(lambda: None)
    with pytest.raises(ValueError, match="relative directory"):
        artifact_task(part_prefix="../{index}")(lambda: None)
    assert artifact_task(part_prefix="p{index}")(lambda: None).artiflow.part_prefix == "p{index}/"


# Two workers: at the end of the body most parts are still queued, and Prefect's thread pool would
# cancel them on exit.
@artifact_flow(project="maps", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def fire_and_forget(n: int) -> None:
    shard.map([source(i) for i in range(n)])  # never waited for: the @artifact_flow waits


def test_an_artifact_flow_waits_for_the_maps_its_body_started() -> None:
    state = fire_and_forget(6, return_state=True)
    assert state.is_completed(), state
    [shards] = artiflow.Api().artifacts("dataset", "maps/shards")
    assert len(shards.manifest) == 6


@artifact_task(project="aio-maps")
async def fetch_page(i: int) -> Artifact:
    art = Artifact("pages", type="dataset")
    art.add({"page": i}, "page")
    return art


@artifact_flow(project="aio-maps")
async def crawl_pages(n: int) -> Any:
    return fetch_page.map(range(n)).artifact()


# Prefect's own async client leaves one loopback socket to the garbage collector under asyncio.run.
@pytest.mark.filterwarnings("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning")
def test_async_tasks_map_into_one_version_too() -> None:
    import asyncio
    import gc

    ref = asyncio.run(crawl_pages(3))
    pages = artiflow.Api().artifact(ref.qualified_name)
    assert [pages.get(f"part-{i:05d}/page") for i in range(3)] == [{"page": i} for i in range(3)]
    gc.collect()

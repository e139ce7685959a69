"""Tasks running at once — mapped on the thread pool, in worker processes, on an event loop — each
log under their own Run; nothing is shared through a process-global "current run"."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path

import pytest
from prefect import flow, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_helpers import task_runs

import artiflow
from artiflow import Artifact
from artiflow.adapters.prefect import ArtifactRef, artifact_flow, artifact_task, get_run

pytestmark = pytest.mark.usefixtures("prefect_server")


class Rendezvous:
    """Lets mapped tasks prove they overlapped: each waits until all have started."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=20)


# A Barrier argument cannot be hashed; collaborative=False: one version per mapped run.
@artifact_task(project="par", cache_policy=NO_CACHE, collaborative=False)
def shard(i: int, gate: Rendezvous) -> Artifact:
    gate.barrier.wait()  # all shards are inside their task runs at the same time
    art = Artifact("shards", type="dataset", metadata={"part": i})
    with art.new_file(f"part-{i}.txt", mode="w") as f:
        f.write(f"part {i}\n")
    assert get_run().logged_artifacts() == []  # this task's own Run, not a sibling's
    return art


@artifact_task(project="par")
def merge(parts: list[Artifact]) -> Artifact:
    merged = Artifact("merged", type="dataset")
    for p in parts:
        merged.add_file(p.file(), name=Path(p.file()).name)
    return merged


@flow(task_runner=ThreadPoolTaskRunner(max_workers=4))  # type: ignore[arg-type]
def fan_out(n: int) -> ArtifactRef:
    parts = shard.map(range(n), gate=unmapped(Rendezvous(n)))
    return merge(parts)


def test_concurrent_mapped_runs_each_log_their_own_version() -> None:
    state = fan_out(4, return_state=True)
    assert state.is_completed(), state
    merged_ref = state.result()
    flow_run_id = state.state_details.flow_run_id

    api = artiflow.Api()
    versions = api.artifacts("dataset", "par/shards")
    assert sorted(a.version for a in versions) == ["v0", "v1", "v2", "v3"]  # one version per mapped run
    mapped = {str(tr.id) for tr in task_runs(flow_run_id) if tr.name.startswith("shard")}
    producers = {a.metadata["part"]: a.logged_by() for a in versions}
    assert {r.id for r in producers.values() if r} == mapped  # each version attributed to its own run
    for part, run in producers.items():
        assert run is not None
        assert [a.metadata["part"] for a in run.logged_artifacts()] == [part]
        assert run.group == str(flow_run_id) and run.state == "finished"
    merged = api.artifact(merged_ref.qualified_name)
    merge_run = merged.logged_by()
    assert merge_run is not None
    assert sorted(a.qualified_name for a in merge_run.used_artifacts()) == [a.qualified_name for a in versions]
    assert sorted(e.path for e in merged.manifest) == [f"part-{i}.txt" for i in range(4)]


@artifact_task(project="proc")
def produce(text: str) -> Artifact:
    import os

    art = Artifact("produced", type="dataset", metadata={"pid": os.getpid()})
    with art.new_file("data.txt", mode="w") as f:
        f.write(text)
    return art


@artifact_task(project="proc")
def consume(data: Artifact) -> Artifact:
    import os

    report = Artifact("report", type="report", metadata={"pid": os.getpid()})
    report.add({"chars": len(Path(data.file()).read_text())}, "summary")
    return report


@pytest.mark.slow
def test_process_pool_workers_log_to_the_same_store() -> None:
    from prefect.task_runners import ProcessPoolTaskRunner

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
    def in_processes() -> ArtifactRef:
        first = produce.submit("hello")
        return consume.submit(first).result()

    import os

    state = in_processes(return_state=True)
    assert state.is_completed(), state
    report = artiflow.Api().artifact(state.result().qualified_name)
    assert report.get("summary") == {"chars": 5}
    consumer = report.logged_by()
    assert consumer is not None and consumer.id in {str(tr.id) for tr in task_runs(state.state_details.flow_run_id)}
    [used] = consumer.used_artifacts()
    assert used.qualified_name == "proc/produced:v0"
    assert used.metadata["pid"] != os.getpid() and report.metadata["pid"] != os.getpid()
    assert used.logged_by() is not None and used.logged_by().group == consumer.group


class Counter:
    """A plain object (Prefect copies lists and dicts it finds in task arguments)."""

    def __init__(self) -> None:
        self.started = 0


@artifact_task(project="aio")
async def fetch(i: int, counter: Counter) -> Artifact:
    counter.started += 1
    for _ in range(2000):  # every fetch is awaiting here at once, on one event loop
        if counter.started == 3:
            break
        await asyncio.sleep(0.01)
    assert counter.started == 3
    art = Artifact(f"page-{i}", type="dataset")
    art.add({"page": i}, "page")
    assert [a.collection_name for a in get_run().logged_artifacts()] == []
    return art


@artifact_flow(project="aio")
async def crawl() -> list[ArtifactRef]:
    counter = Counter()
    return list(await asyncio.gather(*(fetch(i, counter) for i in range(3))))


# Prefect's own async client leaves one loopback socket to the garbage collector when an async
# flow runs under asyncio.run (a plain @flow/@task pair does the same).
@pytest.mark.filterwarnings("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning")
def test_async_tasks_on_one_loop_keep_their_runs_apart() -> None:
    refs = asyncio.run(crawl())
    assert [r.qualified_name for r in refs] == ["aio/page-0:v0", "aio/page-1:v0", "aio/page-2:v0"]
    api = artiflow.Api()
    runs = {r.id: r for r in api.runs("aio")}
    assert len(runs) == 3 and {r.job_type for r in runs.values()} == {"fetch"}
    for i, ref in enumerate(refs):
        run = api.artifact(ref.qualified_name).logged_by()
        assert run is not None and run.state == "finished"
        assert [a.qualified_name for a in run.logged_artifacts()] == [f"aio/page-{i}:v0"]
    gc.collect()  # collect that socket now, while this test's filter applies


@artifact_task(project="collab")
def write_part(i: int) -> None:
    part = Artifact("corpus", type="dataset")
    with part.new_file(f"part-{i}.txt", mode="w") as f:
        f.write(f"text {i}\n")
    get_run().upsert_artifact(part)  # distributed_id defaults to the group: the flow run id


@artifact_flow(project="collab")
def build_corpus(n: int) -> ArtifactRef:
    write_part.map(range(n)).wait()
    return ArtifactRef.of(get_run().finish_artifact(Artifact("corpus", type="dataset")))


def test_mapped_runs_can_write_one_collaborative_version() -> None:
    state = build_corpus(3, return_state=True)
    assert state.is_completed(), state
    ref = state.result()
    api = artiflow.Api()
    [corpus] = api.artifacts("dataset", "collab/corpus")
    assert ref.version == corpus.version == "v0"
    assert sorted(e.path for e in corpus.manifest) == ["part-0.txt", "part-1.txt", "part-2.txt"]
    flow_run = corpus.logged_by()
    assert flow_run is not None and flow_run.id == str(state.state_details.flow_run_id)
    assert flow_run.job_type == "flow:build-corpus" and flow_run.state == "finished"
    writers = {r.id for r in api.runs("collab") if r.job_type == "write_part"}
    assert len(writers) == 3 and {r.group for r in api.runs("collab")} == {flow_run.id}
    assert writers <= set(api.store.lineage().loggers(corpus.id))  # every mapped run contributed to it

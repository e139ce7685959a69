"""Many processes writing one store at once: no version lost, duplicated or half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import artiflow
from artiflow import Api, Store
from artiflow.blobs import blob_key
from artiflow.digests import md5_file

# Each worker waits for the go file, then opens the store (all at once, on a fresh home, to race
# the schema creation too) and logs `count` versions to p/shared, printing one JSON line each.
WORKER = r"""
import json, os, sys, time
import artiflow

go, work, idx, count, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
while not os.path.exists(go):
    time.sleep(0.005)
store = artiflow.Store.open()
with artiflow.init(project="p", job_type=f"worker-{idx}", store=store) as run:
    for j in range(count):
        d = os.path.join(work, f"w{idx}-{j}")
        os.makedirs(d)
        text = "same content\n" if mode == "same" else f"writer {idx} item {j}\n" * (j + 1)
        with open(os.path.join(d, "data.txt"), "w") as f:
            f.write(text)
        with open(os.path.join(d, "common.txt"), "w") as f:
            f.write("shared by every version\n")
        art = artiflow.Artifact("shared", "dataset", metadata={"writer": idx, "item": j})
        art.add_dir(d)
        run.log_artifact(art)
        print(json.dumps({"run": run.id, "version": art.version, "digest": art.digest, "text": text}), flush=True)
store.close()
"""


def run_workers(tmp_path: Path, n: int, count: int, mode: str) -> list[list[dict[str, str]]]:
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFLOW_")}
    env["ARTIFLOW_HOME"] = str(tmp_path / "home")
    procs = []
    for i in range(n):
        work = tmp_path / f"src{i}"
        work.mkdir()
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(go), str(work), str(i), str(count), mode],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
        )
    time.sleep(0.2)  # let the interpreters start; the imports overlap the wait either way
    go.touch()
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        out.append([json.loads(line) for line in stdout.splitlines()])
    return out


@pytest.mark.slow
def test_processes_logging_distinct_content(tmp_path: Path) -> None:
    n, count = 6, 10
    results = run_workers(tmp_path, n, count, "distinct")
    total = n * count
    store = Store.open(home=tmp_path / "home")
    try:
        versions = Api(store=store).artifacts("dataset", "p/shared")
        # contiguous v0..vN-1, none lost or duplicated
        assert [v.version for v in versions] == [f"v{i}" for i in range(total)]
        reported = [r for per_proc in results for r in per_proc]
        assert len(reported) == total
        assert sorted(r["version"] for r in reported) == sorted(v.version for v in versions)
        assert len({v.digest for v in versions}) == total
        by_version = {v.version: v for v in versions}
        for per_proc in results:
            indices = [int(r["version"][1:]) for r in per_proc]
            assert indices == sorted(indices)  # one writer's versions are in its own order
            assert len({r["run"] for r in per_proc}) == 1
        # latest is the highest version, and nothing else carries it
        assert Api(store=store).artifact("p/shared:latest").version == f"v{total - 1}"
        assert [v.version for v in versions if "latest" in v.aliases] == [f"v{total - 1}"]
        # every version's manifest is readable and its files are whole
        for r in reported:
            v = by_version[r["version"]]
            assert v.digest == r["digest"]
            assert v.manifest.digest() == v.digest
            assert sorted(v.manifest.contents) == ["common.txt", "data.txt"]
            for e in v.manifest:
                blob = store.local_blob_path(e.digest)
                assert blob is not None and md5_file(blob) == e.digest
            assert Path(store.local_blob_path(v.manifest.contents["data.txt"].digest) or "").read_text() == r["text"]
            logger = v.logged_by()
            assert logger is not None and logger.id == r["run"]
            assert v.metadata["item"] == int(r["text"].count("\n")) - 1
        # the shared file is one blob; the store holds exactly the blobs the versions need
        common = {v.manifest.contents["common.txt"].digest for v in versions}
        assert len(common) == 1
        needed = {blob_key(e.digest) for v in versions for e in v.manifest}
        needed |= {blob_key(v._record.manifest_digest) for v in versions if v._record}
        assert set(store.blobs.keys()) == needed
        assert sorted(r.state for r in Api(store=store).runs("p")) == ["finished"] * n
    finally:
        store.close()


@pytest.mark.slow
def test_processes_logging_identical_content(tmp_path: Path) -> None:
    n = 5
    results = run_workers(tmp_path, n, 1, "same")
    store = Store.open(home=tmp_path / "home")
    try:
        versions = Api(store=store).artifacts("dataset", "p/shared")
        assert [v.version for v in versions] == ["v0"]
        assert {r[0]["version"] for r in results} == {"v0"}
        only = versions[0]
        assert "latest" in only.aliases
        loggers = store.lineage().loggers(only.id)
        assert sorted(loggers) == sorted(r[0]["run"] for r in results)
        creator = only.logged_by()
        assert creator is not None and loggers[0] == creator.id
        for r in results:
            logged = Api(store=store).run(f"p/{r[0]['run']}").logged_artifacts()
            assert logged == [only]
    finally:
        store.close()


def test_threads_and_a_fresh_home(tmp_path: Path) -> None:
    """Opening a brand-new store from several threads at once creates it exactly once."""
    import threading

    home = tmp_path / "fresh"
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def open_and_log(i: int) -> None:
        try:
            barrier.wait()
            s = Store.open(home=home)
            try:
                src = tmp_path / f"f{i}.txt"
                src.write_text(f"{i}\n")
                with artiflow.init(project="p", store=s) as run:
                    run.log_artifact(src, name="t", type="dataset")
            finally:
                s.close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=open_and_log, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    s = Store.open(home=home)
    try:
        assert [v.version for v in Api(store=s).artifacts("dataset", "p/t")] == [f"v{i}" for i in range(6)]
    finally:
        s.close()

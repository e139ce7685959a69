"""Many writers and crashes, on every backend: versions are never lost, duplicated or half-made."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import artiflow
from artiflow import Api
from artiflow.cli import app
from artiflow.gc import collect_garbage

WRITER = textwrap.dedent(
    """
    import os, sys, tempfile, artiflow
    worker, count = int(sys.argv[1]), int(sys.argv[2])
    tmp = tempfile.mkdtemp()
    with artiflow.init(project="p", job_type="writer") as run:
        for i in range(count):
            path = os.path.join(tmp, "data.txt")
            with open(path, "w") as f:
                f.write(f"worker {worker} version {i}\\n")
            art = artiflow.Artifact("shared", "dataset")
            art.add_file(path)
            run.log_artifact(art)
    """
)


def _spawn(code: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env={**os.environ, **env}, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
def test_sixteen_processes_twenty_versions_each(backend) -> None:  # type: ignore[no-untyped-def]
    procs = [_spawn(WRITER, str(w), "20", env=backend.env) for w in range(16)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    store = backend.open()
    versions = Api(store=store).artifacts("dataset", "p/shared")
    assert [v.version for v in versions] == [f"v{i}" for i in range(320)]
    assert len({v.digest for v in versions}) == 320
    assert versions[-1].aliases == ["latest"]
    assert all("latest" not in v.aliases for v in versions[:-1])
    runs = Api(store=store).runs("p")
    assert len(runs) == 16 and all(len(r.logged_artifacts()) == 20 for r in runs)
    store.close()


CRASHER = textwrap.dedent(
    """
    import os, signal, sys, artiflow, artiflow.store
    from artiflow.metadata import MetadataStore
    where, path = sys.argv[1], sys.argv[2]
    artiflow.store.LEASE_SECONDS = 1.0  # a crashed log's leases lapse in a second, not in hours
    if where == "in-transaction":
        original = MetadataStore.commit_in
        def commit_in(self, conn, new, now):
            original(self, conn, new, now)          # the version row is written, not committed
            os.kill(os.getpid(), signal.SIGKILL)
        MetadataStore.commit_in = commit_in
    elif where == "before-commit":
        def commit_version(self, new, lease=None):  # blobs and manifest uploaded, nothing recorded
            os.kill(os.getpid(), signal.SIGKILL)
        MetadataStore.commit_version = commit_version
    with artiflow.init(project="p", id="crasher") as run:
        art = artiflow.Artifact("data", "dataset")
        art.add_file(path)
        run.log_artifact(art)
    """
)


def _crash_then_retry(backend, tmp_path: Path, where: str) -> artiflow.Store:  # type: ignore[no-untyped-def]
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(300_000))
    proc = _spawn(CRASHER, where, str(src), env=backend.env)
    proc.communicate(timeout=120)
    assert proc.returncode == -9  # killed, as planned
    store = backend.open()
    assert not Api(store=store).artifact_exists("p/data")  # no trace of a half-made version
    with artiflow.init(project="p", id="crasher", store=store) as run:  # the retry succeeds
        art = artiflow.Artifact("data", "dataset")
        art.add_file(src)
        run.log_artifact(art)
    assert art.version == "v0"
    assert Path(art.download(tmp_path / "out")).joinpath("payload.bin").read_bytes() == src.read_bytes()
    return store


@pytest.mark.slow
def test_sigkill_inside_the_commit_transaction_leaves_nothing(backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _crash_then_retry(backend, tmp_path, "in-transaction").close()


@pytest.mark.slow
def test_crash_between_upload_and_commit_leaves_orphans_that_gc_finds(backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A crash after the upload: the blobs are there but referenced by nothing.
    src = tmp_path / "lost.bin"
    src.write_bytes(os.urandom(200_000))
    proc = _spawn(CRASHER, "before-commit", str(src), env=backend.env)
    proc.communicate(timeout=120)
    assert proc.returncode == -9
    store = backend.open()
    assert not Api(store=store).artifact_exists("p/data")
    # The dead log's leases keep its blobs until they lapse (hours by default, a second here).
    deadline = time.monotonic() + 30
    while (report := collect_garbage(store, dry_run=True, grace_seconds=0)).leased and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(report.orphans) == 2 and not report.leased  # the file and its manifest
    assert report.orphan_bytes > 200_000

    # A later, successful log: its blobs are live, the crash's remain orphans, never referenced.
    kept = _crash_then_retry(backend, tmp_path, "in-transaction")
    report = collect_garbage(kept, dry_run=True, grace_seconds=0)
    assert len(report.orphans) == 2 and report.live == 2
    live_manifest = Api(store=kept).artifact("p/data:v0").manifest
    assert not {e.digest for e in live_manifest} & set(report.orphans)

    # The CLI says the same in --dry-run, and gc removes exactly the orphans.
    result = CliRunner().invoke(app, ["gc", "--dry-run", "--grace", "0"], env=backend.env)
    assert result.exit_code == 0, result.output
    assert "would remove 2 orphaned blobs" in result.output
    after = collect_garbage(kept, dry_run=False, grace_seconds=0)
    assert after.deleted and len(after.orphans) == 2
    assert collect_garbage(kept, dry_run=True, grace_seconds=0).orphans == []
    art = Api(store=kept).artifact("p/data:v0")
    assert Path(art.download(tmp_path / "again")).joinpath("payload.bin").exists()
    kept.close()
    store.close()


def test_recent_orphans_are_kept_by_the_grace_period(store: artiflow.Store, tmp_path: Path) -> None:
    src = tmp_path / "x.bin"
    src.write_bytes(b"in flight")
    store.blobs.put_file(str(src))  # uploaded, not yet committed
    report = collect_garbage(store, dry_run=False)  # default grace: an hour
    assert report.orphans == [] and len(report.young) == 1
    assert len(list(store.blobs.keys())) == 1

"""Durability of the embedded store: a committed version survives a power loss.

A power loss cannot be staged in a test, so these record the system calls that decide it: every
blob a version names has its bytes synced before it gets its address, every directory that got
a new name is synced, and all of that happens before the metadata commit that publishes the
version (and SQLite syncs its log at that commit). A scratch store (``durable=False``,
``ARTIFLOW_DURABLE=0``) makes none of these calls, and blobs a log reuses are not synced again.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import artiflow
from artiflow import Api, Artifact
from artiflow.blobs import LocalBlobStore

Log = Callable[..., artiflow.Artifact]

pytestmark = pytest.mark.local_only


@dataclass
class Calls:
    """The syncs, renames and commits of a log, in the order they happened."""

    events: list[tuple[str, Any]] = field(default_factory=list)

    def of(self, kind: str) -> list[Any]:
        return [what for k, what in self.events if k == kind]

    def index(self, kind: str, what: Any, *, after: int = -1) -> int:
        """Where the first ``(kind, what)`` after position ``after`` is; -1 if none."""
        for i in range(after + 1, len(self.events)):
            if self.events[i] == (kind, what):
                return i
        return -1

    def first(self, kind: str) -> int:
        return next(i for i, (k, _) in enumerate(self.events) if k == kind)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """Record (without changing) every file and directory sync, every rename and every commit."""
    rec = Calls()
    real_fsync, real_fdatasync, real_replace = os.fsync, os.fdatasync, os.replace
    real_commit = artiflow.metadata.MetadataStore.commit_version
    real_add_part, real_commit_collab = artiflow.collab.add_part, artiflow.collab.commit_collab

    def kind_of(fd: int) -> tuple[str, int]:
        st = os.fstat(fd)
        return ("dir-sync" if stat.S_ISDIR(st.st_mode) else "data-sync"), st.st_ino

    def fsync(fd: int) -> None:
        real_fsync(fd)
        rec.events.append(kind_of(fd))  # recorded once done: what follows comes after it

    def fdatasync(fd: int) -> None:
        real_fdatasync(fd)
        rec.events.append(kind_of(fd))

    def replace(src: Any, dst: Any, **kw: Any) -> None:
        ino = os.lstat(src).st_ino
        real_replace(src, dst, **kw)
        rec.events.append(("rename", (ino, os.path.dirname(os.fspath(dst)))))

    def commit_version(self: Any, *args: Any, **kw: Any) -> Any:
        rec.events.append(("commit", None))
        return real_commit(self, *args, **kw)

    def add_part(*args: Any, **kw: Any) -> Any:
        rec.events.append(("commit", None))
        return real_add_part(*args, **kw)

    def commit_collab(*args: Any, **kw: Any) -> Any:
        rec.events.append(("commit", None))
        return real_commit_collab(*args, **kw)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(artiflow.metadata.MetadataStore, "commit_version", commit_version)
    monkeypatch.setattr(artiflow.collab, "add_part", add_part)
    monkeypatch.setattr(artiflow.collab, "commit_collab", commit_collab)
    yield rec


def _blob_files(store: artiflow.Store) -> dict[int, str]:
    """Every stored blob (file contents and manifests): inode -> path."""
    assert isinstance(store.blobs, LocalBlobStore)
    paths = [os.path.join(store.blobs.root, k) for k in store.blobs.keys()]
    return {os.stat(p).st_ino: p for p in paths}


def _assert_published_durably(store: artiflow.Store, calls: Calls, blobs: dict[int, str]) -> None:
    """Each of ``blobs`` was synced, then renamed into place, then its directory synced, and
    only then came the commit."""
    commit = calls.first("commit")
    for ino, path in blobs.items():
        synced = calls.index("data-sync", ino)
        renamed = next(
            i for i, (k, w) in enumerate(calls.events) if k == "rename" and w[0] == ino
        )
        dir_synced = calls.index("dir-sync", os.stat(os.path.dirname(path)).st_ino, after=renamed)
        assert -1 < synced < renamed, f"{path}: its bytes were not synced before it got its address"
        assert renamed < dir_synced < commit, f"{path}: its directory was not synced before the commit"


def test_a_new_version_is_on_stable_storage_before_it_is_committed(
    local_store: artiflow.Store, log: Log, calls: Calls
) -> None:
    art = log(local_store, "cats", {"a.txt": "a\n", "sub/b.txt": "b\n", "c.bin": os.urandom(70_000)})

    blobs = _blob_files(local_store)
    assert len(blobs) == 4  # three files and the manifest
    _assert_published_durably(local_store, calls, blobs)
    assert len(calls.of("commit")) == 1 and art.version == "v0"
    # Directories the log created are recorded in their parents before the commit as well.
    root = Path(local_store.blobs.root)  # type: ignore[attr-defined]
    commit = calls.first("commit")
    for made in {root, root / "md5", root / "tmp", *{Path(p).parent for p in blobs.values()}}:
        parent_synced = calls.index("dir-sync", os.stat(made.parent).st_ino)
        assert -1 < parent_synced < commit, f"{made} may vanish from {made.parent} after a power loss"
    # Directories are synced once per commit, however many blobs they got.
    dir_syncs = calls.of("dir-sync")
    assert len(dir_syncs) == len(set(dir_syncs))


def test_reused_blobs_are_not_synced_again(
    local_store: artiflow.Store, log: Log, make_tree: Callable[..., Path], calls: Calls
) -> None:
    tree = make_tree({f"f{i}.txt": f"{i}\n" for i in range(20)})
    log(local_store, "cats", tree)
    before = set(_blob_files(local_store))
    calls.events.clear()

    log(local_store, "cats", tree)  # unchanged: the same version, nothing new to store
    assert calls.of("data-sync") == [] and calls.of("dir-sync") == []

    make_tree({"new.txt": "new\n"}, root=tree)
    calls.events.clear()
    v1 = log(local_store, "cats", tree)

    assert v1.version == "v1"
    new = {ino: p for ino, p in _blob_files(local_store).items() if ino not in before}
    assert len(new) == 2  # new.txt and v1's manifest
    assert sorted(calls.of("data-sync")) == sorted(new)  # the 20 reused blobs are not synced again
    _assert_published_durably(local_store, calls, new)


def test_parts_of_a_collaborative_version_are_durable_before_they_are_recorded(
    local_store: artiflow.Store, calls: Calls
) -> None:
    with artiflow.init(project="p", store=local_store) as run:
        for i in range(2):
            part = Artifact("shards", "dataset")
            with part.new_file(f"part-{i}.txt", mode="w") as f:
                f.write(f"{i}\n")
            before = set(_blob_files(local_store))
            calls.events.clear()
            run.upsert_artifact(part, distributed_id="job")
            new = {ino: p for ino, p in _blob_files(local_store).items() if ino not in before}
            assert len(new) == 2  # the part's file and its manifest
            _assert_published_durably(local_store, calls, new)

        before = set(_blob_files(local_store))
        calls.events.clear()
        final = run.finish_artifact(Artifact("shards", "dataset"), distributed_id="job")

    assert final.version == "v0"
    merged = {ino: p for ino, p in _blob_files(local_store).items() if ino not in before}
    assert len(merged) == 1  # the merged manifest
    _assert_published_durably(local_store, calls, merged)


def test_a_failed_sync_commits_nothing(
    local_store: artiflow.Store, log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def failing(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output error"):
        log(local_store, "cats", {"a.txt": "a\n"})
    with pytest.raises(artiflow.ArtifactNotFoundError):
        Api(store=local_store).artifact("p/cats:latest")

    monkeypatch.setattr(os, "fsync", real_fsync)  # the disk recovers: the next log publishes it
    assert log(local_store, "cats", {"a.txt": "a\n"}).version == "v0"


def _synchronous(store: artiflow.Store) -> int:
    with store.metadata.engine.connect() as conn:
        return int(conn.execute(sa.text("PRAGMA synchronous")).scalar_one())


def test_sqlite_syncs_its_log_at_every_commit(local_store: artiflow.Store) -> None:
    assert local_store.settings.durable is True
    assert _synchronous(local_store) == 2  # FULL: a commit is on disk before it returns


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_a_scratch_store_makes_no_syncs(
    how: str, tmp_path: Path, log: Log, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    if how == "environment":
        monkeypatch.setenv("ARTIFLOW_DURABLE", "0")
        store = artiflow.Store.open(home=tmp_path / "scratch")
    else:
        store = artiflow.Store.open(home=tmp_path / "scratch", durable=False)
    try:
        art = log(store, "cats", {"a.txt": "a\n", "sub/b.txt": "b\n"})

        assert art.version == "v0" and art.get_entry("sub/b.txt").digest
        assert calls.of("data-sync") == [] and calls.of("dir-sync") == []
        assert len(calls.of("commit")) == 1
        assert _synchronous(store) == 1  # NORMAL: survives a crash of the process, not of the machine
        assert Path(Api(store=store).artifact("p/cats:v0").download("out"), "sub/b.txt").read_text() == "b\n"
    finally:
        store.close()


def test_a_blob_gc_puts_back_for_a_log_that_reuses_it_is_synced_in_place(
    local_store: artiflow.Store, calls: Calls
) -> None:
    blobs = local_store.blobs
    assert isinstance(blobs, LocalBlobStore)
    digest = blobs.put_bytes(b"reused by a log while gc looks at it\n")
    blobs.sync()
    key = next(k for k in blobs.keys())
    calls.events.clear()

    assert blobs.delete_if_stale(key, cutoff=blobs.now() - 3600) is False  # younger than the cutoff
    assert blobs.has(digest)
    put_back = calls.index("rename", (os.stat(blobs.path(digest)).st_ino, os.path.dirname(blobs.path(digest))))
    assert -1 < put_back < calls.index("dir-sync", os.stat(os.path.dirname(blobs.path(digest))).st_ino)

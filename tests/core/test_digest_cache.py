"""The digest cache: a re-log of unchanged files reads none of them; an edited file is re-read.

The cache is looked up in batches of inodes, and keeps rows for a file's older contents; enough
files here (more than one batch) that a wrong lookup would give some file a wrong digest.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from artiflow import Artifact, Store
from artiflow.digests import b64_to_hex

MakeTree = Callable[..., Path]
Log = Callable[..., Artifact]  # the ``log`` fixture
FILES = 1_200
# The cache is machine-local SQLite whatever the backend: on PostgreSQL + S3 these tests would
# only upload 1,200 files more (two minutes) and check nothing else.
pytestmark = pytest.mark.local_only


def _tree(make_tree: MakeTree) -> Path:
    return make_tree({f"{i % 7}/f{i:04d}.txt": f"file {i}\n" for i in range(FILES)})


def test_unchanged_relog_reads_no_file(store: Store, make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch, log: Log) -> None:
    root = _tree(make_tree)
    first = log(store, "d", root)
    stored: list[str] = []
    put_file = store.blobs.put_file

    def spy(src: str, expected: str | None = None) -> tuple[str, int]:
        stored.append(src)
        return put_file(src, expected)

    monkeypatch.setattr(store.blobs, "put_file", spy)
    again = log(store, "d", root)
    assert (again.version, again.digest) == (first.version, first.digest)
    assert stored == []


def test_a_file_edited_in_place_is_hashed_again(store: Store, make_tree: MakeTree, log: Log) -> None:
    root = _tree(make_tree)
    first = log(store, "d", root)
    edited = root / "3" / "f0500.txt"
    inode = os.stat(edited).st_ino
    before = os.stat(edited).st_mtime_ns
    edited.write_text("file 500, edited\n")
    os.utime(edited, ns=(before, before + 10_000_000))  # a later edit, even within one clock tick
    assert os.stat(edited).st_ino == inode  # same inode: only the times tell the cache it changed

    second = log(store, "d", root)
    assert second.version == "v1" and second.digest != first.digest
    for entry in second.manifest:
        local = (root / entry.path).read_bytes()
        assert b64_to_hex(entry.digest) == hashlib.md5(local).hexdigest(), entry.path
    changed = {p for p, e in second.manifest.contents.items() if first.manifest.contents[p].digest != e.digest}
    assert changed == {"3/f0500.txt"}

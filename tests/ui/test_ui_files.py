"""A version's file tree: one directory at a time out of a sorted manifest, paged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import artiflow
from artiflow.errors import StoreError
from artiflow.manifest import Manifest, ManifestEntry
from artiflow.ui.files import FileTree, TreeCache


def tree(paths: dict[str, int]) -> FileTree:
    return FileTree.of(Manifest.from_entries([ManifestEntry(path=p, digest=f"d-{p}", size=n) for p, n in paths.items()]))


def test_directories_first_by_name_with_their_totals() -> None:
    t = tree({"a/x": 1, "a/y/z": 2, "a-b/q": 4, "a.txt": 8, "b": 16, "a/w": 32})
    assert [(n.name, n.is_dir, n.size, n.files) for n in t.children("")] == [
        ("a", True, 35, 3), ("a-b", True, 4, 1), ("a.txt", False, 8, 1), ("b", False, 16, 1),
    ]
    assert [(n.name, n.path, n.is_dir) for n in t.children("a/")] == [
        ("y", "a/y", True), ("w", "a/w", False), ("x", "a/x", False),
    ]
    assert t.children("a/y")[0].digest == "d-a/y/z"
    assert t.exists("") and t.exists("a/y") and not t.exists("a/x") and not t.exists("c")
    assert t.children("c") == [] and len(t) == 6


def test_pages_cross_from_directories_to_files() -> None:
    t = tree({f"d/s{i}/f": 1 for i in range(3)} | {f"d/f{i:03d}": 2 for i in range(250)})
    first, total = t.page("d", 0, 200)
    assert total == 253 and [n.name for n in first[:4]] == ["s0", "s1", "s2", "f000"] and len(first) == 200
    second, _ = t.page("d", 200, 200)
    assert [n.name for n in second] == [f"f{i:03d}" for i in range(197, 250)]
    assert t.page("d", 400, 200) == ([], 253)


def test_an_unsorted_or_damaged_manifest() -> None:
    raw = json.dumps({"contents": {"z": {"digest": "1", "size": 1}, "a/b": {"digest": "2"}}}).encode()
    t = FileTree.from_json(raw)
    assert [(n.name, n.size) for n in t.children("")] == [("a", 0), ("z", 1)]
    for bad in (b"{", b'{"contents": []}', b'{"contents": {"a": 3}}', b"[]"):
        with pytest.raises(StoreError, match="Corrupt manifest"):
            FileTree.from_json(bad)


def test_the_cache_keeps_recent_trees_within_its_bounds(local_store: artiflow.Store, tmp_path: Path) -> None:
    with artiflow.init(project="p", store=local_store) as run:
        for i in range(3):
            root = tmp_path / f"v{i}"
            for j in range(3):
                (root / f"f{j}.txt").parent.mkdir(parents=True, exist_ok=True)
                (root / f"f{j}.txt").write_text(f"{i}-{j}")
            art = artiflow.Artifact("files", "dataset")
            art.add_dir(str(root))
            run.log_artifact(art)
    recs = [local_store.metadata.find_version("p", "files", f"v{i}") for i in range(3)]
    cache = TreeCache(size=8, entries=7)  # 3 files each: two trees fit
    trees = [cache.get(local_store, r) for r in recs]
    assert cache.get(local_store, recs[2]) is trees[2] and cache.get(local_store, recs[1]) is trees[1]
    again = cache.get(local_store, recs[0])  # it was dropped: read (and checked) again
    assert again is not trees[0] and [n.name for n in again.children("")] == ["f0.txt", "f1.txt", "f2.txt"]

"""Adding content to a draft: files, directories, new files, references, removal and conflicts."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import artiflow
from artiflow import (
    Artifact,
    DigestMismatchError,
    EntryConflictError,
    EntryNotFoundError,
    FileChangedError,
    InvalidNameError,
    TooManyObjectsError,
)
from artiflow.blobs import blob_key
from artiflow.digests import b64_md5, b64_to_hex, md5_file

Log = Callable[..., Artifact]  # the ``log`` fixture

HELLO = "sZRqySSS0jR8YjW00mERhA=="
WORLD = "WReFt5RgHiErJg4lklY2/Q=="
EMPTY = "1B2M2Y8AsgTpgAmY7PhCfg=="


def contents(art: Artifact) -> dict[str, str]:
    return {e.path: e.digest for e in art.manifest}


def blob_count(store: artiflow.Store) -> int:
    return len(list(store.blobs.keys()))


# -- add_file ----------------------------------------------------------------------------------


def test_add_file_defaults_to_the_basename(store, make_tree, log: Log) -> None:
    root = make_tree({"deep/dir/a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    entry = art.add_file(root / "deep" / "dir" / "a.txt")
    assert entry.path == "a.txt"
    assert (entry.digest, entry.size) == (HELLO, 6)
    log(store, art)
    assert contents(art) == {"a.txt": HELLO}


def test_add_file_with_a_name_nests_it(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_file(str(root / "a.txt"), name="x/y/renamed.txt")
    log(store, art)
    assert contents(art) == {"x/y/renamed.txt": HELLO}
    out = Path(art.download())
    assert (out / "x" / "y" / "renamed.txt").read_text() == "hello\n"


def test_add_file_refuses_missing_files_and_directories(make_tree) -> None:
    root = make_tree({"sub/a.txt": "x"})
    art = Artifact("d", "dataset")
    with pytest.raises(FileNotFoundError):
        art.add_file(root / "missing.txt")
    with pytest.raises(FileNotFoundError):
        art.add_file(root / "sub")
    assert art.files() == []


@pytest.mark.local_only
def test_files_are_copied_into_the_store_at_log_time(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_file(root / "a.txt")
    assert not store.blobs.has(HELLO)  # nothing is copied while drafting
    log(store, art)
    blob = Path(store.settings.storage) / blob_key(HELLO)
    assert blob.read_bytes() == b"hello\n"
    (root / "a.txt").unlink()  # the version no longer depends on the source file
    assert (Path(art.download()) / "a.txt").read_text() == "hello\n"


def test_identical_content_is_stored_once(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n", "b/a-copy.txt": "hello\n", "c.txt": "world\n"})
    art = Artifact("d", "dataset")
    art.add_dir(root)
    log(store, art)
    # two file blobs plus the manifest blob
    assert blob_count(store) == 3
    assert art.file_count == 3


# -- add_dir -----------------------------------------------------------------------------------


def test_add_dir_at_the_root_and_under_a_name(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n", "sub/b.txt": "world\n", "sub/deeper/empty.bin": b""})
    art = Artifact("d", "dataset")
    art.add_dir(root)
    art.add_dir(str(root / "sub"), name="copy")
    log(store, art)
    assert contents(art) == {
        "a.txt": HELLO,
        "sub/b.txt": WORLD,
        "sub/deeper/empty.bin": EMPTY,
        "copy/b.txt": WORLD,
        "copy/deeper/empty.bin": EMPTY,
    }


def test_add_dir_follows_symlinked_files(store, make_tree, tmp_path: Path, log: Log) -> None:
    outside = make_tree({"target.txt": "world\n"})
    root = make_tree({"a.txt": "hello\n"})
    (root / "link.txt").symlink_to(outside / "target.txt")
    art = Artifact("d", "dataset")
    with pytest.raises(InvalidNameError, match="link.txt"):  # it leaves the tree: refused by default
        art.add_dir(root)
    art.add_dir(root, follow_symlinks=True)
    log(store, art)
    assert contents(art) == {"a.txt": HELLO, "link.txt": WORLD}


def test_add_dir_refuses_a_file(make_tree) -> None:
    root = make_tree({"a.txt": "x"})
    with pytest.raises(NotADirectoryError):
        Artifact("d", "dataset").add_dir(root / "a.txt")


def test_add_dir_rejects_a_bad_name(make_tree) -> None:
    root = make_tree({"a.txt": "x"})
    art = Artifact("d", "dataset")
    with pytest.raises(InvalidNameError):
        art.add_dir(root, name="../up")
    assert art.files() == []


# -- new_file ----------------------------------------------------------------------------------


def test_new_file_text_and_binary(store, log: Log) -> None:
    art = Artifact("d", "dataset")
    with art.new_file("notes/hello.txt", mode="w", encoding="utf-8") as f:
        f.write("hello\n")
    with art.new_file("raw.bin", mode="xb") as f:
        f.write(b"")
    assert [e.path for e in art.files()] == ["notes/hello.txt", "raw.bin"]
    log(store, art)
    assert contents(art) == {"notes/hello.txt": HELLO, "raw.bin": EMPTY}


def test_new_file_exclusive_mode_refuses_an_existing_path(make_tree) -> None:
    root = make_tree({"a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_file(root / "a.txt")
    with pytest.raises(EntryConflictError):
        with art.new_file("a.txt") as f:
            f.write("other")
    with art.new_file("b.txt") as f:
        f.write("one")
    with pytest.raises(EntryConflictError):
        with art.new_file("b.txt") as f:
            f.write("two")
    assert art.get_entry("a.txt").digest == HELLO
    assert art.get_entry("b.txt").digest == b64_md5(b"one")


def test_new_file_write_mode_replaces(store, log: Log) -> None:
    art = Artifact("d", "dataset")
    with art.new_file("a.txt") as f:
        f.write("first")
    with art.new_file("a.txt", mode="w") as f:
        f.write("hello\n")
    log(store, art)
    assert contents(art) == {"a.txt": HELLO}


def test_new_file_with_an_escaping_name_creates_nothing(tmp_path: Path) -> None:
    art = Artifact("d", "dataset")
    with pytest.raises(InvalidNameError):
        with art.new_file("../../escaped.txt") as f:
            f.write("x")
    assert art.files() == []
    assert not list(tmp_path.rglob("escaped.txt"))


def test_new_file_block_that_raises_adds_nothing() -> None:
    art = Artifact("d", "dataset")
    with pytest.raises(RuntimeError):
        with art.new_file("a.txt") as f:
            f.write("partial")
            raise RuntimeError("boom")
    assert art.files() == []


# -- add_reference (file://) -------------------------------------------------------------------


def test_reference_to_a_file_is_checksummed_not_copied(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n"})
    uri = (root / "a.txt").resolve().as_uri()
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(uri)
    assert (entry.path, entry.digest, entry.size, entry.ref) == ("a.txt", HELLO, 6, uri)
    assert entry.ref_target() == uri
    log(store, art)
    assert not store.blobs.has(HELLO)  # references are tracked, not stored
    assert art.manifest.to_dict()["contents"] == {"a.txt": {"digest": HELLO, "size": 6, "ref": uri}}
    out = Path(art.download())
    assert (out / "a.txt").read_text() == "hello\n"


def test_reference_to_a_directory_walks_it(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n", "sub/b.txt": "world\n"})
    art = Artifact("d", "dataset")
    entries = art.add_reference(root.resolve().as_uri(), name="ext")
    assert sorted(e.path for e in entries) == ["ext/a.txt", "ext/sub/b.txt"]
    log(store, art)
    assert contents(art) == {"ext/a.txt": HELLO, "ext/sub/b.txt": WORLD}
    refs = {e.path: e.ref for e in art.manifest}
    assert refs["ext/sub/b.txt"] == (root / "sub" / "b.txt").resolve().as_uri()
    out = Path(art.download())
    assert (out / "ext" / "sub" / "b.txt").read_text() == "world\n"


def test_reference_without_checksum_hashes_the_uri(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n"})
    target = (root / "a.txt").resolve()
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(target.as_uri(), checksum=False)
    # W&B: b64 MD5 of Path(p).resolve().as_uri(), not of the content.
    assert entry.digest == b64_md5(target.as_uri().encode())
    assert entry.digest != HELLO
    log(store, art)
    # Nothing to compare the bytes with, so the download takes whatever is there now.
    target.write_text("changed\n")
    assert (Path(art.download()) / "a.txt").read_text() == "changed\n"


def test_reference_to_a_directory_without_checksum_lists_every_file(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n", "sub/b.txt": "world\n"}).resolve()
    art = Artifact("d", "dataset")
    entries = art.add_reference(root.as_uri(), checksum=False)
    got = {e.path: (e.digest, e.size) for e in entries}
    assert got == {
        "a.txt": (b64_md5((root / "a.txt").as_uri().encode()), 6),
        "sub/b.txt": (b64_md5((root / "sub" / "b.txt").as_uri().encode()), 6),
    }
    log(store, art)
    out = Path(art.download())
    assert (out / "sub" / "b.txt").read_text() == "world\n"


def test_reference_without_checksum_through_a_symlink_downloads(store, make_tree, tmp_path: Path, log: Log) -> None:
    real = make_tree({"a.txt": "hello\n"}).resolve()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(f"file://{link}/a.txt", checksum=False)
    assert entry.digest == b64_md5((real / "a.txt").as_uri().encode())  # the resolved location
    log(store, art)
    assert (Path(art.download()) / "a.txt").read_text() == "hello\n"


def test_reference_max_objects(make_tree) -> None:
    root = make_tree({f"f{i}.txt": str(i) for i in range(5)})
    uri = root.resolve().as_uri()
    assert len(Artifact("a", "dataset").add_reference(uri, max_objects=5)) == 5
    art = Artifact("b", "dataset")
    with pytest.raises(TooManyObjectsError, match="max_objects"):
        art.add_reference(uri, max_objects=4)
    assert art.files() == []
    with pytest.raises(ValueError):  # TooManyObjectsError is a ValueError, as in W&B
        Artifact("c", "dataset").add_reference(uri, max_objects=1)


def test_reference_needs_a_uri_and_other_schemes_are_tracked_by_a_hash(make_tree) -> None:
    root = make_tree({"a.txt": "x"})
    art = Artifact("d", "dataset")
    with pytest.raises(InvalidNameError, match="References must be URIs"):
        art.add_reference(str(root / "a.txt"))
    with pytest.raises(FileNotFoundError):
        art.add_reference((root / "missing").as_uri())
    assert art.files() == []
    for i, uri in enumerate(["ftp://example.com/x.csv", "hdfs://namenode/key", "az://container/key"]):
        (entry,) = art.add_reference(uri, name=f"x{i}.csv")
        assert (entry.ref, entry.digest) == (uri, b64_md5(uri.encode()))
    assert art.add_reference("ftp://example.com/data/y.csv")[0].path == "y.csv"



def test_changed_reference_target_fails_download(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_reference((root / "a.txt").resolve().as_uri())
    log(store, art)
    (root / "a.txt").write_text("tampered\n")
    dest = Path("out")
    with pytest.raises(DigestMismatchError):
        art.download(dest)
    assert not (dest / "a.txt").exists()


def test_missing_reference_target(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n", "b.txt": "world\n"})
    art = Artifact("d", "dataset")
    art.add_reference((root / "a.txt").resolve().as_uri())
    art.add_file(root / "b.txt")
    log(store, art)
    (root / "a.txt").unlink()
    with pytest.raises(FileNotFoundError):
        art.download("out1")
    out = Path(art.download("out2", allow_missing_references=True))
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]


# -- remove ------------------------------------------------------------------------------------


def test_remove_a_file_a_directory_or_an_entry(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n", "sub/b.txt": "world\n", "sub/c.txt": "c", "subway.txt": "s"})
    art = Artifact("d", "dataset")
    art.add_dir(root)
    art.remove("sub")
    assert sorted(e.path for e in art.files()) == ["a.txt", "subway.txt"]
    art.remove(art.get_entry("subway.txt"))
    log(store, art)
    assert contents(art) == {"a.txt": HELLO}


def test_remove_a_reference(make_tree) -> None:
    root = make_tree({"a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_reference(root.resolve().as_uri(), name="ext")
    art.remove("ext/a.txt")
    assert art.files() == []


def test_remove_unknown_path(make_tree) -> None:
    root = make_tree({"a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_file(root / "a.txt")
    with pytest.raises(EntryNotFoundError):
        art.remove("b.txt")
    with pytest.raises(KeyError):  # EntryNotFoundError is a KeyError
        art.remove("a")
    assert [e.path for e in art.files()] == ["a.txt"]


# -- conflicts ---------------------------------------------------------------------------------


def test_same_path_same_content_is_a_no_op(make_tree) -> None:
    root = make_tree({"a.txt": "hello\n", "copy/a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_file(root / "a.txt")
    art.add_file(root / "copy" / "a.txt")
    assert [e.path for e in art.files()] == ["a.txt"]


def test_same_path_other_content_needs_overwrite(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "hello\n", "other/a.txt": "world\n"})
    art = Artifact("d", "dataset")
    art.add_file(root / "a.txt")
    with pytest.raises(EntryConflictError, match="Cannot add the same path twice"):
        art.add_file(root / "other" / "a.txt")
    assert art.get_entry("a.txt").digest == HELLO
    art.add_file(root / "other" / "a.txt", overwrite=True)
    log(store, art)
    assert contents(art) == {"a.txt": WORLD}


def test_add_dir_twice_needs_merge(store, make_tree, log: Log) -> None:
    v1 = make_tree({"a.txt": "hello\n", "b.txt": "b"})
    v2 = make_tree({"a.txt": "world\n", "c.txt": "c"})
    art = Artifact("d", "dataset")
    art.add_dir(v1)
    with pytest.raises(EntryConflictError):
        art.add_dir(v2)
    art.add_dir(v2, merge=True)
    log(store, art)
    assert contents(art) == {"a.txt": WORLD, "b.txt": b64_md5(b"b"), "c.txt": b64_md5(b"c")}


def test_reference_conflicting_with_a_file(make_tree) -> None:
    root = make_tree({"a.txt": "hello\n", "ref/a.txt": "world\n", "same/a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_file(root / "a.txt")
    with pytest.raises(EntryConflictError):
        art.add_reference((root / "ref" / "a.txt").resolve().as_uri())
    assert art.get_entry("a.txt").ref is None
    # Same digest: the reference replaces the file silently, as in W&B.
    art.add_reference((root / "same" / "a.txt").resolve().as_uri())
    assert art.get_entry("a.txt").digest == HELLO


def test_add_object_conflict_needs_overwrite(store, log: Log) -> None:
    art = Artifact("d", "dataset")
    art.add({"a": 1}, "cfg")
    with pytest.raises(EntryConflictError):
        art.add({"a": 2}, "cfg")
    art.add({"a": 2}, "cfg", overwrite=True)
    log(store, art)
    assert art.get("cfg") == {"a": 2}


# -- is_tmp ------------------------------------------------------------------------------------


def test_is_tmp_renames_by_content_hash(store, make_tree, log: Log) -> None:
    root = make_tree({"t.table.json": "hello\n", "plain": "hello\n"})
    art = Artifact("d", "dataset")
    entry = art.add_file(root / "t.table.json", name="media/tables/t.table.json", is_tmp=True)
    hex20 = b64_to_hex(HELLO)[:20]
    assert hex20 == "b1946ac92492d2347c62"
    assert entry.path == f"media/tables/{hex20}.table.json"
    assert art.add_file(root / "plain", is_tmp=True).path == hex20
    log(store, art)
    assert sorted(contents(art)) == [hex20, f"media/tables/{hex20}.table.json"]


# -- files changing between add and log --------------------------------------------------------


def _edit_and_log(store, make_tree, edit: Callable[[Path], None]) -> None:
    root = make_tree({"a.txt": "hello\n", "b.txt": "world\n"})
    art = Artifact("d", "dataset")
    art.add_dir(root)
    edit(root / "a.txt")
    with pytest.raises(FileChangedError, match="a.txt"):
        with artiflow.init(project="p", store=store) as run:
            run.log_artifact(art)
    assert art.is_draft()
    assert not artiflow.Api(store=store).artifact_exists("p/d")
    assert run.state == "failed"
    assert store.metadata.list_collections("p") == []


def test_file_edited_between_add_and_log(store, make_tree) -> None:
    _edit_and_log(store, make_tree, lambda p: p.write_text("hello, edited\n"))


def test_same_size_edit_is_caught(store, make_tree) -> None:
    def edit(p: Path) -> None:
        before = os.stat(p).st_mtime_ns
        p.write_text("HELLO\n")
        # An edit a moment later; within one filesystem clock tick a same-size edit is invisible to stat.
        os.utime(p, ns=(before, before + 10_000_000))

    _edit_and_log(store, make_tree, edit)


def test_a_moved_ctime_counts_as_a_change(store, make_tree, log: Log) -> None:
    # ctime is the one time a user cannot set back (cp -p and rsync -t restore the mtime), so a
    # file whose ctime moved since add_file is refused, even if only its mode changed: add it again.
    root = make_tree({"a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_file(root / "a.txt")
    os.chmod(root / "a.txt", 0o600)  # moves ctime, not the content
    with artiflow.init(project="p", store=store) as run, pytest.raises(FileChangedError):
        run.log_artifact(art)
    art.add_file(root / "a.txt", overwrite=True)
    log(store, art)
    assert contents(art) == {"a.txt": HELLO}


def test_file_deleted_between_add_and_log(store, make_tree) -> None:
    _edit_and_log(store, make_tree, lambda p: p.unlink())


def test_re_adding_a_changed_file_is_accepted(store, make_tree, log: Log) -> None:
    root = make_tree({"a.txt": "first\n"})
    art = Artifact("d", "dataset")
    art.add_file(root / "a.txt")
    (root / "a.txt").write_text("hello\n")
    art.add_file(root / "a.txt", overwrite=True)
    log(store, art)
    assert contents(art) == {"a.txt": HELLO}
    assert md5_file(root / "a.txt") == HELLO

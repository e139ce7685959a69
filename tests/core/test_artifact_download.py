"""Reading a logged version: download, checkout, verify, file(s), entries, and path safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import artiflow
from artiflow import (
    Artifact,
    DigestMismatchError,
    EntryNotFoundError,
    InvalidNameError,
    Manifest,
    ManifestEntry,
)
from artiflow.blobs import blob_key

HELLO = "sZRqySSS0jR8YjW00mERhA=="
WORLD = "WReFt5RgHiErJg4lklY2/Q=="

FILES = {"a.txt": "hello\n", "sub/b.txt": "world\n", "sub/deep/c.txt": "c\n", "top.bin": b"\x00\x01"}


@pytest.fixture
def logged(store, make_tree) -> Artifact:
    data = make_tree(FILES)
    art = Artifact("d", "dataset")
    art.add_dir(data)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    return art


def tree(root: str | Path) -> dict[str, bytes]:
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def expected() -> dict[str, bytes]:
    return {k: v if isinstance(v, bytes) else v.encode() for k, v in FILES.items()}


# -- download ----------------------------------------------------------------------------------


def test_download_to_the_default_root(logged: Artifact) -> None:
    out = logged.download()
    assert out == os.path.abspath(os.path.join("artifacts", "d:v0"))
    assert tree(out) == expected()


def test_download_to_an_explicit_root(logged: Artifact, tmp_path: Path) -> None:
    out = logged.download(tmp_path / "x" / "y")
    assert out == str(tmp_path / "x" / "y")
    assert tree(out) == expected()


def test_download_from_a_fresh_api_handle(logged: Artifact, store) -> None:
    art = artiflow.Api(store=store).artifact("p/d:latest")
    assert tree(art.download("fresh")) == expected()


def test_download_leaves_other_files_alone(logged: Artifact, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "mine.txt").write_text("keep me")
    logged.download(root)
    assert (root / "mine.txt").read_text() == "keep me"


def test_download_repairs_an_edited_file(logged: Artifact) -> None:
    out = Path(logged.download())
    (out / "a.txt").write_text("edited\n")
    (out / "sub" / "b.txt").unlink()
    logged.download()
    assert tree(out) == expected()


@pytest.mark.local_only  # the local blob store's copy is what is interrupted
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names the file being written through /proc")
def test_an_interrupted_download_leaves_no_partial_file_and_is_completed_by_the_next(
    logged: Artifact, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from artiflow import localcopy

    real = localcopy._write_all

    def dies_on_b(fd: int, data: bytes | memoryview) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith("b.txt"):
            os.write(fd, data[: len(data) // 2])  # half the bytes, then the disk fills up
            raise OSError(28, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(localcopy, "_write_all", dies_on_b)
    with pytest.raises(OSError, match="No space left"):
        logged.download(tmp_path / "out")
    assert not (tmp_path / "out" / "sub" / "b.txt").exists()  # no truncated file left behind
    assert not [p for p in (tmp_path / "out" / "sub").iterdir() if p.name.startswith("b.txt")]
    monkeypatch.setattr(localcopy, "_write_all", real)
    (tmp_path / "out" / "sub" / "b.txt").write_text("wor")  # or one a killed process left
    logged.download(tmp_path / "out")
    assert tree(tmp_path / "out") == expected()


def test_download_with_path_prefix(logged: Artifact, tmp_path: Path) -> None:
    out = logged.download(tmp_path / "o", path_prefix="sub/")
    assert tree(out) == {"sub/b.txt": b"world\n", "sub/deep/c.txt": b"c\n"}
    out2 = logged.download(tmp_path / "o2", path_prefix="nothing-matches")
    assert tree(out2) == {}


def test_download_reports_progress(logged: Artifact, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    logged.download(tmp_path / "o", progress=lambda done, total: seen.append((done, total)))
    total = sum(len(v) for v in expected().values())
    assert seen and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.local_only
def test_download_hardlink_shares_the_store_blob(logged: Artifact, store, tmp_path: Path) -> None:
    out = Path(logged.download(tmp_path / "o", hardlink=True))
    blob = Path(store.settings.storage) / blob_key(HELLO)
    assert os.path.samefile(out / "a.txt", blob)
    copied = Path(logged.download(tmp_path / "c"))
    assert not os.path.samefile(copied / "a.txt", blob)


def test_entry_download(logged: Artifact, tmp_path: Path) -> None:
    path = logged.get_entry("sub/b.txt").download(tmp_path / "one")
    assert path == str(tmp_path / "one" / "sub" / "b.txt")
    assert tree(tmp_path / "one") == {"sub/b.txt": b"world\n"}


# -- checkout ----------------------------------------------------------------------------------


def test_checkout_makes_the_root_match_exactly(logged: Artifact, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "sub").mkdir(parents=True)
    (root / "stray.txt").write_text("x")
    (root / "sub" / "stray.txt").write_text("x")
    (root / "a.txt").write_text("stale\n")
    assert logged.checkout(root) == str(root)
    assert tree(root) == expected()
    logged.verify(root)


def test_checkout_default_root_has_no_version(logged: Artifact) -> None:
    out = logged.checkout()
    assert out == os.path.abspath(os.path.join("artifacts", "d"))
    assert tree(out) == expected()


# -- verify ------------------------------------------------------------------------------------


def test_verify_accepts_a_fresh_download(logged: Artifact, tmp_path: Path) -> None:
    logged.verify(logged.download(tmp_path / "o"))
    logged.download()
    logged.verify()  # default root


def test_verify_catches_an_edited_file(logged: Artifact, tmp_path: Path) -> None:
    out = Path(logged.download(tmp_path / "o"))
    (out / "sub" / "b.txt").write_text("WORLD\n")  # same size
    with pytest.raises(DigestMismatchError, match="sub/b.txt"):
        logged.verify(out)


def test_verify_catches_an_extra_file(logged: Artifact, tmp_path: Path) -> None:
    out = Path(logged.download(tmp_path / "o"))
    (out / "sub" / "extra.txt").write_text("x")
    with pytest.raises(DigestMismatchError, match="not a member"):
        logged.verify(out)


def test_verify_catches_a_missing_file(logged: Artifact, tmp_path: Path) -> None:
    out = Path(logged.download(tmp_path / "o"))
    (out / "top.bin").unlink()
    with pytest.raises(FileNotFoundError, match="top.bin"):
        logged.verify(out)


def test_verify_is_a_value_error(logged: Artifact, tmp_path: Path) -> None:
    out = Path(logged.download(tmp_path / "o"))
    (out / "a.txt").write_text("x")
    with pytest.raises(ValueError):  # as in W&B
        logged.verify(out)


@pytest.mark.local_only
def test_corrupted_blob_is_caught(logged: Artifact, store, tmp_path: Path) -> None:
    blob = Path(store.settings.storage) / blob_key(WORLD)
    assert blob.read_bytes() == b"world\n"
    os.chmod(blob, 0o644)
    blob.write_bytes(b"w0rld\n")  # bit rot: same size, other bytes
    assert store.check_blobs(logged.manifest.contents) == ["sub/b.txt"]
    fresh = artiflow.Api(store=store).artifact("p/d:v0")
    with pytest.raises(DigestMismatchError):
        out = fresh.download(tmp_path / "o")
        fresh.verify(out)


def test_verify_skips_references(store, make_tree, tmp_path: Path) -> None:
    data = make_tree({"r.txt": "hello\n", "f.txt": "world\n"})
    art = Artifact("r", "dataset")
    art.add_reference((data / "r.txt").resolve().as_uri())
    art.add_file(data / "f.txt")
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    out = Path(art.download(tmp_path / "o"))
    assert tree(out) == {"r.txt": b"hello\n", "f.txt": b"world\n"}
    (out / "r.txt").write_text("not checked\n")
    art.verify(out)


# -- file, files, get_entry, get_path ----------------------------------------------------------


def test_file_of_a_single_file_artifact(store, make_tree, tmp_path: Path) -> None:
    data = make_tree({"model.bin": b"\x01\x02"})
    art = Artifact("m", "model")
    art.add_file(data / "model.bin", name="weights/model.bin")
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    path = art.file(tmp_path / "o")
    assert path == str(tmp_path / "o" / "weights" / "model.bin")
    assert Path(path).read_bytes() == b"\x01\x02"
    default = art.file()
    assert default == os.path.abspath(os.path.join("artifacts", "m:v0", "weights", "model.bin"))
    assert Path(default).read_bytes() == b"\x01\x02"


def test_file_refuses_a_multi_file_artifact(logged: Artifact, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="4 files"):
        logged.file(tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_files_lists_entries_sorted_and_filtered(logged: Artifact) -> None:
    files = logged.files()
    assert [f.path for f in files] == sorted(FILES)
    assert {f.name: f.size for f in files}["top.bin"] == 2
    picked = logged.files(names=["sub/b.txt", "a.txt", "missing"])
    assert [f.path for f in picked] == ["a.txt", "sub/b.txt"]
    assert picked[1].digest == WORLD


def test_get_entry(logged: Artifact) -> None:
    entry = logged.get_entry("./sub//b.txt")  # normalised like every entry path
    assert (entry.path, entry.digest, entry.size, entry.ref) == ("sub/b.txt", WORLD, 6, None)
    assert entry == logged.get_entry("sub/b.txt")
    with pytest.raises(ValueError, match="not a reference"):
        entry.ref_target()
    with pytest.raises(EntryNotFoundError):
        logged.get_entry("sub")  # a directory is not an entry
    with pytest.raises(KeyError):
        logged.get_entry("nope.txt")


def test_get_path_is_deprecated(logged: Artifact) -> None:
    with pytest.warns(DeprecationWarning, match="get_entry"):
        entry = logged.get_path("a.txt")
    assert entry.digest == HELLO


# -- nothing escapes the download root ---------------------------------------------------------


def _forge(store, logged: Artifact, path: str) -> Artifact:
    """Commit a version whose manifest holds ``path`` (bypassing every add-time check)."""
    bad = ManifestEntry.model_construct(path=path, digest=HELLO, size=6, ref=None, birth_artifact_id=None, extra={})
    manifest = Manifest.from_entries([*logged.manifest, bad])
    with artiflow.init(project="p", store=store) as run:
        res = store.commit(
            project="p", name="forged", type_="dataset", manifest=manifest, run_id=run.id,
            description=None, metadata={}, aliases=[], tags=[],
        )
    return artiflow.Api(store=store).artifact(f"p/forged:{res.version.version}")


@pytest.mark.parametrize("bad", ["../escaped.txt", "sub/../../escaped.txt", "ABSOLUTE"])
def test_escaping_entry_paths_are_refused(bad: str, logged: Artifact, store, tmp_path: Path) -> None:
    victim = tmp_path / "escaped.txt"
    if bad == "ABSOLUTE":
        bad = str(victim)
    root = tmp_path / "dl" / "root"
    forged = _forge(store, logged, bad)
    with pytest.raises(InvalidNameError):
        forged.download(root)
    with pytest.raises(InvalidNameError):
        forged.checkout(root)
    assert not victim.exists()
    assert not (tmp_path / "dl" / "escaped.txt").exists()
    # A store that reads the manifest back from storage refuses it outright.
    other = artiflow.Store.open(home=Path(store.settings.home))
    try:
        with pytest.raises(InvalidNameError):
            artiflow.Api(store=other).artifact("p/forged:v0").download(root)
    finally:
        other.close()
    assert not victim.exists()


def test_symlinked_directory_inside_the_root_is_not_followed(logged: Artifact, tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidNameError, match="outside the download root"):
        logged.download(root)
    assert list(outside.iterdir()) == []
    with pytest.raises(InvalidNameError):
        logged.get_entry("sub/b.txt").download(root)
    assert list(outside.iterdir()) == []


def test_verify_does_not_read_through_a_symlinked_directory(logged: Artifact, tmp_path: Path) -> None:
    good = Path(logged.download(tmp_path / "good"))
    root = tmp_path / "root"
    root.mkdir()
    for name in ["a.txt", "top.bin"]:
        (root / name).write_bytes((good / name).read_bytes())
    (root / "sub").symlink_to(good / "sub", target_is_directory=True)  # correct bytes, but elsewhere
    with pytest.raises(InvalidNameError):
        logged.verify(root)


def test_symlinked_file_in_the_root_is_replaced_not_written_through(logged: Artifact, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("do not touch\n")
    (root / "a.txt").symlink_to(target)
    logged.download(root)
    assert target.read_text() == "do not touch\n"
    assert not (root / "a.txt").is_symlink()
    assert (root / "a.txt").read_text() == "hello\n"

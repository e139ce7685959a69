"""Integrity, on every backend: nothing wrong is ever served, and gc never races a commit.

Each test damages the store the way a disk, a bucket or a careless user would (a byte flipped,
a file truncated, a manifest rewritten, an object edited during its upload, gc running while
logs reuse old blobs) and checks what a user would see: a clear ``DigestMismatchError`` naming
version, entry and blob, no file under the entry's final name, and a store that repairs itself
when the genuine content is logged again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import artiflow
from artiflow import Api, DigestMismatchError, localblobs
from artiflow.blobs import LocalBlobStore, blob_key
from artiflow.cli import app
from artiflow.digests import MD5, XXH128, b64_digest, b64_md5, b64_to_hex
from artiflow.errors import ArtifactNotFoundError, FileChangedError, StoreError
from artiflow.gc import collect_garbage
from artiflow.metadata import schema

Log = Callable[..., artiflow.Artifact]


# -- helpers: damage the store as a disk or a bucket would ---------------------------------------


def _rewrite(store: artiflow.Store, digest: str, data: bytes) -> None:
    """Replace the bytes stored at ``digest``'s address (not through artiflow)."""
    blobs = store.blobs
    if isinstance(blobs, LocalBlobStore):
        path = blobs.path(digest)
        os.chmod(path, 0o644)
        Path(path).write_bytes(data)
    else:
        blobs.fs.pipe_file(f"{blobs.base}/{blob_key(digest)}", data)  # type: ignore[attr-defined]


def _flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 0x01]) + data[1:]


def _damage(store: artiflow.Store, digest: str, how: str) -> None:
    data = store.blobs.read_bytes(digest)
    _rewrite(store, digest, _flip(data) if how == "flipped" else data[: len(data) // 2])


def _every_key_hashes_to_its_name(store: artiflow.Store) -> None:
    for key in store.blobs.keys():
        prefix, rest = key.split("/", 1)
        digest = rest.replace("/", "")
        stored = store.blobs.fs.cat_file(f"{store.blobs.base}/{key}") if not isinstance(  # type: ignore[attr-defined]
            store.blobs, LocalBlobStore
        ) else Path(store.blobs.root, key).read_bytes()
        alg = XXH128 if prefix == "xxh128" else MD5
        assert b64_to_hex(b64_digest(stored, alg)) == digest, f"{key} holds other bytes"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# -- 1. verified reads ----------------------------------------------------------------------------


def test_a_rewritten_manifest_is_refused_on_every_read(
    backend: Any, store: artiflow.Store, log: Log, tmp_path: Path
) -> None:
    # Rewriting one manifest would swap two versions' contents: every load checks it.
    cats = log(store, "cats", {"a.txt": "cats\n"})
    dogs = log(store, "dogs", {"a.txt": "dogs\n"})
    cats_rec, dogs_rec = cats.record, dogs.record
    assert cats_rec is not None and dogs_rec is not None
    _rewrite(store, cats_rec.manifest_digest, store.blobs.read_bytes(dogs_rec.manifest_digest))

    fresh = backend.open()  # no manifest cached in memory
    art = Api(store=fresh).artifact("p/cats:v0")
    with pytest.raises(DigestMismatchError, match=r"manifest of p/cats:v0") as err:
        art.download(tmp_path / "out")
    assert cats_rec.manifest_digest in str(err.value) or b64_to_hex(cats_rec.manifest_digest) in str(err.value)
    assert not (tmp_path / "out" / "a.txt").exists()
    result = CliRunner().invoke(app, ["verify", "p/cats:v0"], env=backend.env)
    assert result.exit_code != 0 and "manifest" in result.output
    fresh.close()


@pytest.mark.parametrize("how", ["flipped", "truncated"])
def test_a_damaged_blob_is_never_served_by_download(
    backend: Any, store: artiflow.Store, log: Log, tmp_path: Path, how: str
) -> None:
    payload = os.urandom(300_000)
    art = log(store, "data", {"good.bin": b"fine\n", "sub/bad.bin": payload})
    bad = art.manifest.contents["sub/bad.bin"].digest
    _damage(store, bad, how)

    fresh = backend.open()
    version = Api(store=fresh).artifact("p/data:v0")
    with pytest.raises(DigestMismatchError) as err:
        version.download(tmp_path / "out")
    message = str(err.value)
    assert "p/data:v0" in message and "sub/bad.bin" in message and blob_key(bad) in message
    assert not (tmp_path / "out" / "sub" / "bad.bin").exists()  # nothing under the final name
    assert not [p for p in (tmp_path / "out").rglob("*bad.bin*") if p.is_file()]  # nor a temp file
    assert not fresh.blobs.has(bad)  # quarantined: the next log of the genuine file re-uploads it
    with pytest.raises((StoreError, OSError, LookupError)):  # the blob is now missing, not served
        version.checkout(tmp_path / "co")
    assert not (tmp_path / "co" / "sub" / "bad.bin").exists()

    # The genuine content logged again repairs the store; the old version reads back whole.
    repaired = log(fresh, "data", {"good.bin": b"fine\n", "sub/bad.bin": payload})
    assert repaired.version == "v0"  # the same content: the same version
    out = Path(Api(store=fresh).artifact("p/data:v0").download(tmp_path / "again"))
    assert (out / "sub" / "bad.bin").read_bytes() == payload
    fresh.close()


@pytest.mark.parametrize("how", ["flipped", "truncated", "longer"])
def test_one_damaged_blob_among_many_small_files_is_never_served(
    backend: Any, store: artiflow.Store, log: Log, tmp_path: Path, how: str
) -> None:
    # Enough files for the transfer pool to copy them in parallel batches; one blob is damaged.
    files = {f"d{i // 50}/f{i:03d}.bin": os.urandom(1000 + i) for i in range(300)}
    art = log(store, "many", files)
    bad = art.manifest.contents["d3/f170.bin"].digest
    data = store.blobs.read_bytes(bad)
    _rewrite(store, bad, data + b"more" if how == "longer" else _flip(data) if how == "flipped" else data[:500])

    fresh = backend.open()
    seen: list[tuple[int, int]] = []
    with pytest.raises(DigestMismatchError, match="d3/f170.bin") as err:
        Api(store=fresh).artifact("p/many:v0").download(tmp_path / "out", progress=lambda d, t: seen.append((d, t)))
    assert "p/many:v0" in str(err.value) and blob_key(bad) in str(err.value)
    out = tmp_path / "out"
    assert not [p for p in out.rglob("*f170.bin*")]  # nothing under its name, nor a temp file
    assert all(files[rel] == got for rel, got in _files(out).items())  # what was written is genuine
    assert not fresh.blobs.has(bad)  # quarantined
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    log(fresh, "many", files)  # the genuine file logged again repairs the store
    total = sum(len(v) for v in files.values())
    seen.clear()
    version = Api(store=fresh).artifact("p/many:v0")
    again = Path(version.download(tmp_path / "again", progress=lambda d, t: seen.append((d, t))))
    assert _files(again) == files and seen[-1] == (total, total)
    fresh.close()


def test_a_large_blob_damaged_in_the_middle_is_never_served(
    backend: Any, store: artiflow.Store, log: Log, tmp_path: Path
) -> None:
    payload = os.urandom(9 << 20)  # large: copied through a temporary file, hashed on a second thread
    art = log(store, "big", {"big.bin": payload})
    digest = art.manifest.contents["big.bin"].digest
    middle = len(payload) // 2
    _rewrite(store, digest, payload[:middle] + bytes([payload[middle] ^ 0x80]) + payload[middle + 1 :])
    fresh = backend.open()
    version = Api(store=fresh).artifact("p/big:v0")
    with pytest.raises(DigestMismatchError, match="big.bin"):
        version.download(tmp_path / "out")
    assert not [p for p in (tmp_path / "out").rglob("*big.bin*")]
    log(fresh, "big", {"big.bin": payload})
    assert (Path(version.download(tmp_path / "again")) / "big.bin").read_bytes() == payload
    fresh.close()


def test_artiflow_get_refuses_a_flipped_blob(backend: Any, store: artiflow.Store, log: Log, tmp_path: Path) -> None:
    art = log(store, "data", {"a.bin": os.urandom(5000)})
    _damage(store, art.manifest.contents["a.bin"].digest, "flipped")
    result = CliRunner().invoke(app, ["get", "p/data:v0", "--root", str(tmp_path / "got")], env=backend.env)
    assert result.exit_code != 0
    assert "a.bin" in result.output and "p/data:v0" in result.output
    assert not (tmp_path / "got" / "a.bin").exists()


def test_get_of_an_object_checks_its_bytes(backend: Any, store: artiflow.Store) -> None:
    art = artiflow.Artifact("obj", "result")
    art.add({"answer": 1}, "value")
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    entry = next(iter(art.manifest))
    _rewrite(store, entry.digest, store.blobs.read_bytes(entry.digest).replace(b"1", b"2"))
    fresh = backend.open()
    with pytest.raises(DigestMismatchError, match="p/obj:v0"):
        Api(store=fresh).artifact("p/obj:v0").get("value")
    fresh.close()


def test_download_without_verification_is_an_explicit_choice(
    backend: Any, store: artiflow.Store, log: Log, tmp_path: Path
) -> None:
    art = log(store, "data", {"a.bin": b"abcdef"})
    _damage(store, art.manifest.contents["a.bin"].digest, "flipped")
    fresh = backend.open()
    out = Path(Api(store=fresh).artifact("p/data:v0").download(tmp_path / "raw", verify=False))
    assert (out / "a.bin").read_bytes() == _flip(b"abcdef")  # what the caller asked for
    fresh.close()


def test_an_unverified_copy_is_not_taken_for_a_checked_one(
    backend: Any, store: artiflow.Store, log: Log, tmp_path: Path
) -> None:
    art = log(store, "data", {"a.bin": b"abcdef"})
    _damage(store, art.manifest.contents["a.bin"].digest, "flipped")
    fresh = backend.open()
    version = Api(store=fresh).artifact("p/data:v0")
    out = Path(version.download(tmp_path / "raw", verify=False))
    assert (out / "a.bin").read_bytes() == _flip(b"abcdef")
    with pytest.raises(DigestMismatchError, match="a.bin"):  # the damaged copy is not kept as if checked
        version.download(out)
    copy = log(fresh, "copy", out)  # nor are its bytes logged under the genuine digest
    assert copy.manifest.contents["a.bin"].digest == b64_digest(_flip(b"abcdef"), MD5)
    fresh.close()


def test_a_corrupt_blob_is_not_reused_by_a_later_log(
    backend: Any, store: artiflow.Store, make_tree: Callable[..., Path], tmp_path: Path
) -> None:
    # The digest cache knows the file; the blob behind it was damaged since. The read that finds
    # the damage quarantines the blob, so the next log of the same file stores it again.
    tree = make_tree({"weights.bin": os.urandom(100_000)})
    first = artiflow.Artifact("model", "model")
    first.add_dir(tree)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(first)
    digest = first.manifest.contents["weights.bin"].digest
    _damage(store, digest, "flipped")
    with pytest.raises(DigestMismatchError):
        first.download(tmp_path / "d0")

    again = artiflow.Artifact("model2", "model")
    again.add_dir(tree)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(again)
    out = Path(again.download(tmp_path / "d1"))
    assert (out / "weights.bin").read_bytes() == (tree / "weights.bin").read_bytes()
    _every_key_hashes_to_its_name(store)


def test_a_truncated_blob_is_stored_again_by_the_next_log(
    store: artiflow.Store, make_tree: Callable[..., Path], tmp_path: Path
) -> None:
    # A blob whose size no longer matches is caught when a log would reuse it, before any read.
    tree = make_tree({"weights.bin": os.urandom(100_000)})
    first = artiflow.Artifact("model", "model")
    first.add_dir(tree)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(first)
    _damage(store, first.manifest.contents["weights.bin"].digest, "truncated")
    again = artiflow.Artifact("model2", "model")
    again.add_dir(tree)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(again)
    out = Path(again.download(tmp_path / "d1"))
    assert (out / "weights.bin").read_bytes() == (tree / "weights.bin").read_bytes()


# -- 2. no upload leaves wrong bytes at a content address ----------------------------------------


def test_a_file_edited_during_its_upload_leaves_no_wrong_key(
    backend: Any, store: artiflow.Store, tmp_path: Path
) -> None:
    # An edit that keeps size and mtime (rsync -t, cp -p, tar): only the bytes themselves tell.
    src = tmp_path / "big.bin"
    original = os.urandom(6 << 20)
    src.write_bytes(original)
    st = os.stat(src)
    edited = False

    def edit_midway(done: int, total: int) -> None:
        nonlocal edited
        if not edited and 0 < done < total:
            edited = True
            with open(src, "r+b") as f:
                f.seek(len(original) - 10)
                f.write(b"X" * 10)
            os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))

    art = artiflow.Artifact("big", "dataset")
    art.add_file(str(src))
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises((DigestMismatchError, FileChangedError)):
            run.log_artifact(art, progress=edit_midway)
    assert edited
    assert not Api(store=store).artifact_exists("p/big")
    _every_key_hashes_to_its_name(store)

    # The retry the error suggests stores exactly what the file holds now.
    retry = artiflow.Artifact("big", "dataset")
    retry.add_file(str(src))
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(retry)
    out = Path(retry.download(tmp_path / "out"))
    assert (out / "big.bin").read_bytes() == src.read_bytes()
    _every_key_hashes_to_its_name(store)


def test_a_file_edited_after_add_keeping_size_and_mtime_is_refused(
    store: artiflow.Store, tmp_path: Path
) -> None:
    src = tmp_path / "a.txt"
    src.write_text("first\n")
    art = artiflow.Artifact("a", "dataset")
    art.add_file(str(src))
    st = os.stat(src)
    src.write_text("other\n")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(FileChangedError):
            run.log_artifact(art)


# -- 3. gc and commits cannot race ----------------------------------------------------------------


GRACE = 3.0  # seconds; tests age blobs by sleeping past it. Object stores keep whole seconds, so a
# freshened blob is safe for GRACE - 1 s: the time a log has between freshening and committing.


def _orphan(store: artiflow.Store, log: Log, files: dict[str, bytes] | Path) -> None:
    """Log ``files`` and delete the version again: their blobs are orphans, soon older than GRACE."""
    art = log(store, "gone", files)
    art.delete(delete_aliases=True)


@pytest.mark.parametrize("cache", ["digest cache", "no digest cache"])
def test_gc_during_a_log_that_reuses_aged_orphans(
    store: artiflow.Store, log: Log, make_tree: Callable[..., Path], tmp_path: Path, cache: str
) -> None:
    if cache == "no digest cache":
        store.digest_cache = None
    tree = make_tree({"old.bin": os.urandom(50_000)})
    _orphan(store, log, tree)  # the same files are logged again below: digest cache hits
    time.sleep(GRACE + 1.1)
    (tree / "new.bin").write_bytes(os.urandom(6 << 20))
    ran: list[int] = []

    def gc_midway(done: int, total: int) -> None:  # gc runs while the log is still uploading
        if not ran:
            ran.append(len(collect_garbage(store, dry_run=False, grace_seconds=GRACE).orphans))

    art = artiflow.Artifact("kept", "dataset")
    art.add_dir(tree)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art, progress=gc_midway)
    assert ran
    out = Path(Api(store=store).artifact("p/kept:latest").download(tmp_path / "out"))
    assert _files(out) == _files(tree)


def test_gc_looping_while_logs_reuse_aged_orphans(
    store: artiflow.Store, log: Log, make_tree: Callable[..., Path], tmp_path: Path
) -> None:
    contents = [make_tree({f"f{i}.bin": os.urandom(20_000)}) for i in range(6)]
    for tree in contents:
        _orphan(store, log, tree)
    time.sleep(GRACE + 1.1)
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop() -> None:
        try:
            while not stop.is_set():
                collect_garbage(store, dry_run=False, grace_seconds=GRACE)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    gc = threading.Thread(target=loop)
    gc.start()
    try:
        for i, tree in enumerate(contents):
            log(store, f"reuse{i}", tree)
    finally:
        stop.set()
        gc.join()
    assert not errors
    for i, tree in enumerate(contents):
        out = Path(Api(store=store).artifact(f"p/reuse{i}:v0").download(tmp_path / f"o{i}"))
        assert _files(out) == _files(tree)


def _just_before_gc_removes(
    store: artiflow.Store, monkeypatch: pytest.MonkeyPatch, keys: set[str], fn: Callable[[], None]
) -> list[str]:
    """Call ``fn`` once, at the moment gc has decided the first of ``keys`` is an aged orphan (its
    age checked for the last time) and is about to remove its bytes: on S3 the DELETE, on a disk the
    unlink (of the blob it renamed aside)."""
    fired: list[str] = []
    if isinstance(store.blobs, LocalBlobStore):
        real_unlink = localblobs.unlink_quietly

        def unlink(path: str) -> None:
            if not fired and os.path.basename(path).startswith("gc-"):  # the blob, renamed aside
                fired.append(path)
                fn()
            real_unlink(path)

        monkeypatch.setattr(localblobs, "unlink_quietly", unlink)
    else:
        real_rm, base = store.blobs._rm_quietly, store.blobs.base  # type: ignore[attr-defined]

        def rm(path: str) -> None:
            if not fired and path[len(base) + 1 :] in keys:
                fired.append(path)
                fn()
            real_rm(path)

        monkeypatch.setattr(store.blobs, "_rm_quietly", rm)
    return fired


@pytest.mark.parametrize("reuse", ["a staged file", "a new_draft() entry"])
def test_gc_removing_an_orphan_while_a_log_reuses_it_never_breaks_the_version(
    store: artiflow.Store, log: Log, make_tree: Callable[..., Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, reuse: str,
) -> None:
    # The interleaving the looping test only meets by chance, forced: gc has listed the blob as an
    # aged orphan and checked its age; then a log decides to reuse it (digest cache hit, or an
    # entry inherited from a deleted parent), looks it up and commits; only then does gc delete it.
    payload = {"kept.bin": os.urandom(20_000), "shared.bin": os.urandom(30_000)}
    tree = make_tree(payload)
    parent = log(store, "parent", tree)
    child = parent.new_draft()
    parent.delete(delete_aliases=True)  # its blobs are orphans now
    rec = parent.record
    assert rec is not None
    blobs = {blob_key(e.digest) for e in parent.manifest} | {blob_key(rec.manifest_digest)}
    time.sleep(GRACE + 1.1)
    outcome: dict[str, Any] = {}

    def concurrent_log() -> None:
        try:
            outcome["art"] = log(store, "reuse", tree) if reuse == "a staged file" else log(store, child)
        except BaseException as exc:  # noqa: BLE001 - judged below
            outcome["error"] = exc

    def log_now() -> None:  # the log runs to its end unless it has to wait for this gc
        thread = threading.Thread(target=concurrent_log)
        outcome["thread"] = thread
        thread.start()
        thread.join(timeout=1.5)

    fired = _just_before_gc_removes(store, monkeypatch, blobs, log_now)
    collect_garbage(store, dry_run=False, grace_seconds=GRACE)
    assert fired
    outcome["thread"].join()
    name = "reuse" if reuse == "a staged file" else "parent"
    if "error" in outcome:  # refusing is allowed (the inherited blob is gone), publishing a broken version is not
        assert isinstance(outcome["error"], ArtifactNotFoundError), outcome["error"]
        assert reuse == "a new_draft() entry"
        assert [v.version for v in Api(store=store).artifacts("dataset", f"p/{name}")] == []
        return
    art = outcome["art"]
    out = Path(Api(store=store).artifact(f"p/{name}:{art.version}").download(tmp_path / "out"))
    assert _files(out) == _files(tree)


def test_gc_keeps_a_leased_blob_whatever_its_age(store: artiflow.Store, log: Log) -> None:
    _orphan(store, log, {"junk.txt": b"junk\n"})
    junk = b64_md5(b"junk\n")
    with store.lease() as lease:  # what a log in flight holds for the blobs it is about to publish
        lease.take([junk])
        report = collect_garbage(store, dry_run=False, grace_seconds=0, now=time.time() + 7200)
        assert report.leased == [blob_key(junk)] and store.blobs.has(junk)
        assert len(report.orphans) == 1  # the deleted version's manifest, which nothing leases
    report = collect_garbage(store, dry_run=False, grace_seconds=0, now=time.time() + 7200)
    assert report.orphans == [blob_key(junk)] and not store.blobs.has(junk)


def test_the_leases_of_a_crashed_log_lapse_and_gc_clears_them(store: artiflow.Store, log: Log) -> None:
    _orphan(store, log, {"junk.txt": b"junk\n"})
    junk = b64_md5(b"junk\n")
    store.lease_seconds = 0.5
    store.lease().take([junk])  # never committed nor released: the process died
    assert collect_garbage(store, dry_run=False, grace_seconds=0, now=time.time() + 7200).leased
    time.sleep(0.7)
    report = collect_garbage(store, dry_run=False, grace_seconds=0, now=time.time() + 7200)
    assert blob_key(junk) in report.orphans and not report.leased
    with store.metadata.engine.connect() as conn:  # only the marks commits leave (see metadata.leases)
        left = conn.execute(sa.select(schema.blob_leases.c.key).where(schema.blob_leases.c.key != "#commit")).all()
    assert left == []


def test_gc_keeps_what_a_version_committed_after_its_first_look_names(
    store: artiflow.Store, log: Log, make_tree: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gc reads the live manifests, lists the blobs, and only then deletes: a log that commits in
    # between (reusing an orphan, its leases dropped by the commit) makes those blobs live. Even a
    # gc that treats every blob as old (as --grace 0 --force would) must see that before deleting.
    tree = make_tree({"a.bin": os.urandom(20_000), "b.bin": os.urandom(20_000)})
    _orphan(store, log, tree)
    committed: list[artiflow.Artifact] = []
    real_temp_keys = store.blobs.temp_keys

    def temp_keys() -> Any:  # called after gc listed the blobs, before its first delete batch
        if not committed:
            committed.append(log(store, "during", tree))
        return real_temp_keys()

    monkeypatch.setattr(store.blobs, "temp_keys", temp_keys)
    report = collect_garbage(store, dry_run=False, grace_seconds=0, now=time.time() + 7200)
    assert committed and report.orphans == []  # the one orphan, the deleted version's manifest, is the same bytes again
    out = Path(Api(store=store).artifact("p/during:v0").download(tmp_path / "out"))
    assert _files(out) == _files(tree)


def test_a_log_slower_than_its_leases_still_commits_when_nothing_was_collected(
    store: artiflow.Store, log: Log, make_tree: Callable[..., Path], tmp_path: Path
) -> None:
    tree = make_tree({"old.bin": os.urandom(20_000)})
    _orphan(store, log, tree)
    (tree / "new.bin").write_bytes(os.urandom(3 << 20))
    store.lease_seconds = 0.3
    slept: list[bool] = []

    def slow(done: int, total: int) -> None:
        if not slept:
            slept.append(True)
            time.sleep(0.5)  # every lease lapses; the commit leases again and looks again

    art = artiflow.Artifact("slow", "dataset")
    art.add_dir(tree)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art, progress=slow)
    assert slept
    out = Path(Api(store=store).artifact("p/slow:v0").download(tmp_path / "out"))
    assert _files(out) == _files(tree)


def test_a_log_whose_leases_lapsed_looks_its_blobs_up_again(
    store: artiflow.Store, log: Log, make_tree: Callable[..., Path], tmp_path: Path
) -> None:
    # A log slower than its leases: gc collects a reused blob meanwhile. The commit notices the
    # lapsed lease, leases again, looks again, and refuses rather than publish a version without it.
    tree = make_tree({"old.bin": os.urandom(20_000)})
    _orphan(store, log, tree)
    (tree / "new.bin").write_bytes(os.urandom(3 << 20))
    store.lease_seconds = 0.3
    ran: list[int] = []

    def slow_then_gc(done: int, total: int) -> None:
        if not ran:
            time.sleep(0.5)  # the leases lapse
            ran.append(len(collect_garbage(store, dry_run=False, grace_seconds=0, now=time.time() + 7200).orphans))

    art = artiflow.Artifact("slow", "dataset")
    art.add_dir(tree)
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(ArtifactNotFoundError, match="old.bin"):
            run.log_artifact(art, progress=slow_then_gc)
    assert ran and ran[0] >= 1
    assert not Api(store=store).artifact_exists("p/slow")
    store.lease_seconds = 3600
    again = artiflow.Artifact("slow", "dataset")
    again.add_dir(tree)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(again)  # the retry stores the collected file again
    out = Path(Api(store=store).artifact("p/slow:v0").download(tmp_path / "out"))
    assert _files(out) == _files(tree)


def test_a_new_draft_whose_parent_was_collected_is_not_committed(
    store: artiflow.Store, log: Log
) -> None:
    parent = log(store, "base", {"a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n"})
    child = parent.new_draft()
    parent.delete(delete_aliases=True)
    time.sleep(GRACE + 1.1)
    collect_garbage(store, dry_run=False, grace_seconds=GRACE)
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(ArtifactNotFoundError, match="a.txt"):
            run.log_artifact(child)
    assert [v.version for v in Api(store=store).artifacts("dataset", "p/base")] == []


def test_gc_deletes_nothing_while_a_live_manifest_is_unreadable(store: artiflow.Store, log: Log) -> None:
    live = log(store, "live", {"a.txt": "a\n"})
    _orphan(store, log, {"junk.txt": b"junk\n"})
    rec = live.record
    assert rec is not None
    store.blobs.delete(rec.manifest_digest)
    before = sorted(store.blobs.keys())
    with pytest.raises(StoreError, match="p/live:v0|manifest"):
        collect_garbage(store, dry_run=False, grace_seconds=0, now=time.time() + 7200)
    assert sorted(store.blobs.keys()) == before


def test_gc_with_a_short_grace_needs_force(backend: Any, store: artiflow.Store, log: Log) -> None:
    _orphan(store, log, {"junk.txt": b"junk\n"})
    result = CliRunner().invoke(app, ["gc", "--grace", "60"], env=backend.env)
    assert result.exit_code != 0 and "--force" in result.output
    assert len(list(store.blobs.keys())) == 2
    result = CliRunner().invoke(app, ["gc", "--grace", "0", "--force"], env=backend.env)
    assert result.exit_code == 0, result.output
    assert list(store.blobs.keys()) == []


def test_gc_aborts_stale_multipart_uploads(backend: Any, store: artiflow.Store) -> None:
    if not backend.remote:
        pytest.skip("multipart uploads exist on object stores only")
    fs, base = store.blobs.fs, store.blobs.base  # type: ignore[attr-defined]
    bucket, prefix = base.split("/", 1)
    fs.call_s3("create_multipart_upload", Bucket=bucket, Key=f"{prefix}/tmp/crashed")
    report = collect_garbage(store, dry_run=False, now=time.time() + 7200)
    assert report.uploads == ["tmp/crashed"]
    left = fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=prefix).get("Uploads", [])
    assert left == []


# -- 7. the digest cache is a hint ----------------------------------------------------------------


def test_a_garbage_digest_cache_is_rebuilt_with_a_warning(
    backend: Any, log: Log, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = backend.open()
    cache_file = store.settings.cache / "digests.db"
    store.close()
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_bytes(b"this is not a database" * 100)

    store = backend.open()
    art = artiflow.Artifact("obj", "result")
    art.add({"k": 1}, "value")
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    store.close()
    cache_file.write_bytes(b"garbage again" * 100)
    garbage = cache_file.read_bytes()

    reader = backend.open()  # a read-only get() does not touch the cache at all
    assert Api(store=reader).artifact("p/obj:v0").get("value") == {"k": 1}
    reader.close()
    assert cache_file.read_bytes() == garbage

    with caplog.at_level(logging.WARNING, logger="artiflow"):
        writer = backend.open()
        logged = log(writer, "files", {"a.txt": "a\n"})
        out = Path(logged.download(tmp_path / "out"))
        writer.close()
    assert (out / "a.txt").read_text() == "a\n"
    assert any("digests.db" in r.getMessage() for r in caplog.records)

"""XXH128 digests (``Artifact(..., digest_algorithm="XXH128")``): byte for byte what the W&B SDK writes,
stored beside MD5 blobs without ever meeting them, and checked with the entry's own algorithm on
every read."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import artiflow
from artiflow import Api, Artifact, DigestMismatchError, InvalidNameError, MissingDependencyError
from artiflow.blobs import LocalBlobStore, blob_key
from artiflow.cli import app
from artiflow.digests import XXH128, blob_id
from artiflow.gc import collect_garbage, live_keys

MakeTree = Callable[..., Path]
Log = Callable[..., Artifact]

FILES: dict[str, str | bytes] = {
    "a.txt": "hello\n",
    "empty.bin": b"",
    "sub/deep/r.bin": os.urandom(3 * (1 << 20) + 17),  # more than one 1 MiB chunk, not a multiple
    "sub/ünïcode name.txt": "text\n",
}


def _wandb_manifest(wandb: Any, root: Path, alg: str, reference: str | None = None) -> tuple[dict[str, Any], str]:
    art = wandb.Artifact("data", "dataset", digest_algorithm=alg)
    art.add_dir(str(root))
    art.add_file(str(root / "a.txt"), name="named/copy.txt")
    art.add_file(str(root / "a.txt"), name="tmp/x.txt", is_tmp=True)
    if reference is not None:
        art.add_reference(reference, name="ref.txt")
    return art.manifest.to_manifest_json()["contents"], art.digest


def _ours(root: Path, alg: str, reference: str | None = None) -> Artifact:
    art = Artifact("data", "dataset", digest_algorithm=alg)
    art.add_dir(root)
    art.add_file(root / "a.txt", name="named/copy.txt")
    art.add_file(root / "a.txt", name="tmp/x.txt", is_tmp=True)
    if reference is not None:
        art.add_reference(reference, name="ref.txt")
    return art


@pytest.mark.local_only
@pytest.mark.parametrize("alg", ["XXH128", "MD5"])
def test_entries_and_artifact_digest_are_the_wandb_sdks(
    wandb_sdk: Any, backend: Any, store: artiflow.Store, make_tree: MakeTree, log: Log, tmp_path: Path, alg: str
) -> None:
    root = make_tree(FILES)
    outside = tmp_path / "outside.txt"
    outside.write_text("referenced\n")
    theirs, their_digest = _wandb_manifest(wandb_sdk, root, alg, outside.as_uri())

    draft = _ours(root, alg, outside.as_uri())
    assert draft.manifest.to_dict()["contents"] == theirs  # a draft's manifest already is theirs
    logged = log(store, draft)
    fresh = backend.open()
    reread = Api(store=fresh).artifact("p/data:v0")

    assert logged.manifest.to_dict()["contents"] == theirs  # digest, size, extra.alg, ref: all of it
    assert reread.manifest.to_dict()["contents"] == theirs
    assert (logged.digest, reread.digest, reread.manifest.digest()) == (their_digest,) * 3
    tagged = {p: e.get("extra") for p, e in theirs.items()}
    if alg == "XXH128":
        assert tagged["ref.txt"] is None  # references keep their MD5/ETag digests, untagged
        assert all(t == {"alg": "XXH128"} for p, t in tagged.items() if p != "ref.txt")
        assert reread.digest_algorithm == "MANIFEST_XXH128"
    else:
        assert set(tagged.values()) == {None}
        assert reread.digest_algorithm == "MANIFEST_MD5"
    fresh.close()


@pytest.mark.local_only
def test_an_xxh128_artifact_of_references_only_reads_back_as_xxh128(
    wandb_sdk: Any, backend: Any, store: artiflow.Store, log: Log, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("referenced\n")
    theirs = wandb_sdk.Artifact("refs", "dataset", digest_algorithm="XXH128")
    theirs.add_reference(outside.as_uri(), name="ref.txt")
    ours = Artifact("refs", "dataset", digest_algorithm="XXH128")
    ours.add_reference(outside.as_uri(), name="ref.txt")
    log(store, ours)

    fresh = backend.open()  # another process: the manifest comes from storage, not memory
    reread = Api(store=fresh).artifact("p/refs:v0")  # no entry says XXH128: the recorded digest does
    assert reread.digest == theirs.digest == ours.digest
    assert reread.digest_algorithm == "MANIFEST_XXH128"
    assert reread.manifest.digest() == theirs.digest
    fresh.close()


def test_one_store_holds_both_kinds_and_each_reads_back_verified(
    store: artiflow.Store, make_tree: MakeTree, log: Log, tmp_path: Path
) -> None:
    root = make_tree(FILES)
    md5 = log(store, Artifact("data", "dataset"), root)
    xxh = log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), root)
    assert (md5.version, xxh.version) == ("v0", "v1")  # other digests, so another version
    assert md5.digest != xxh.digest

    keys = set(store.blobs.keys())
    for entry in xxh.manifest:
        assert blob_key(entry.blob).startswith("xxh128/") and blob_key(entry.blob) in keys
    for entry in md5.manifest:
        assert blob_key(entry.blob).startswith("md5/") and blob_key(entry.blob) in keys
    assert live_keys(store) >= keys - {k for k in keys if k.startswith("tmp/")}
    assert collect_garbage(store, dry_run=True, now=store.blobs.now() + 7200).orphans == []

    for version in ("v0", "v1"):
        out = Path(Api(store=store).artifact(f"p/data:{version}").download(tmp_path / version))
        assert {p: (out / p).read_bytes() for p in FILES} == {
            p: c if isinstance(c, bytes) else c.encode() for p, c in FILES.items()
        }
        Api(store=store).artifact(f"p/data:{version}").verify(out)


def test_an_unchanged_xxh128_relog_is_the_same_version_and_reads_no_file(
    store: artiflow.Store, make_tree: MakeTree, log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(FILES)
    log(store, Artifact("data", "dataset"), root)  # MD5 rows in the digest cache must not leak into XXH128
    first = log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), root)
    assert all(e.extra == {"alg": "XXH128"} for e in first.manifest)
    stored: list[str] = []
    put_file = store.blobs.put_file

    def spy(src: str, expected: str | None = None, **kw: Any) -> tuple[str, int]:
        stored.append(src)
        return put_file(src, expected, **kw)

    monkeypatch.setattr(store.blobs, "put_file", spy)
    again = log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), root)
    assert (again.version, again.digest) == (first.version, first.digest)
    assert stored == []  # every file's XXH128 digest came from the cache


def test_new_draft_keeps_the_algorithm(store: artiflow.Store, make_tree: MakeTree, log: Log) -> None:
    first = log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), make_tree({"a.txt": "1\n"}))
    draft = Api(store=store).artifact("p/data:v0").new_draft()
    assert draft.digest_algorithm == "MANIFEST_XXH128"
    draft.add_file(make_tree({"b.txt": "2\n"}) / "b.txt")
    second = log(store, draft)
    assert second.version == "v1" and second.digest_algorithm == "MANIFEST_XXH128"
    assert {e.path: e.extra for e in second.manifest} == {"a.txt": {"alg": "XXH128"}, "b.txt": {"alg": "XXH128"}}
    assert second.manifest.contents["a.txt"].digest == first.manifest.contents["a.txt"].digest


def _rewrite(store: artiflow.Store, blob: str, data: bytes) -> None:
    blobs = store.blobs
    if isinstance(blobs, LocalBlobStore):
        path = blobs.path(blob)
        os.chmod(path, 0o644)
        Path(path).write_bytes(data)
    else:
        blobs.fs.pipe_file(f"{blobs.base}/{blob_key(blob)}", data)  # type: ignore[attr-defined]


def test_a_damaged_xxh128_blob_is_refused_quarantined_and_repaired_by_a_relog(
    backend: Any, store: artiflow.Store, log: Log, tmp_path: Path
) -> None:
    payload = os.urandom(300_000)
    art = log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), {"bad.bin": payload})
    blob = art.manifest.contents["bad.bin"].blob
    _rewrite(store, blob, bytes([payload[0] ^ 1]) + payload[1:])

    fresh = backend.open()
    version = Api(store=fresh).artifact("p/data:v0")
    with pytest.raises(DigestMismatchError) as err:
        version.download(tmp_path / "out")
    assert "bad.bin" in str(err.value) and blob_key(blob) in str(err.value)
    assert not (tmp_path / "out" / "bad.bin").exists()
    assert not fresh.blobs.has(blob)  # quarantined

    log(fresh, Artifact("data", "dataset", digest_algorithm="XXH128"), {"bad.bin": payload})
    out = Path(Api(store=fresh).artifact("p/data:v0").download(tmp_path / "again"))
    assert (out / "bad.bin").read_bytes() == payload
    fresh.close()


def test_artiflow_verify_checks_xxh128_files_and_blobs(
    backend: Any, store: artiflow.Store, log: Log, tmp_path: Path
) -> None:
    art = log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), {"a.txt": "one\n", "b.bin": b"\x00" * 999})
    out = Path(Api(store=store).artifact("p/data:v0").download(tmp_path / "out"))
    runner = CliRunner()
    ok = runner.invoke(app, ["verify", "p/data:v0", str(out)], env=backend.env)
    assert ok.exit_code == 0, ok.output
    assert runner.invoke(app, ["verify", "p/data:v0"], env=backend.env).exit_code == 0

    (out / "a.txt").write_text("two\n")
    changed = runner.invoke(app, ["verify", "p/data:v0", str(out)], env=backend.env)
    assert changed.exit_code == 1 and "a.txt" in changed.output
    _rewrite(store, art.manifest.contents["b.bin"].blob, b"\x01" * 999)
    corrupt = runner.invoke(app, ["verify", "p/data:v0", "--json"], env=backend.env)
    assert corrupt.exit_code == 1 and '"corrupt": [\n    "b.bin"' in corrupt.output


def test_without_xxhash_the_error_names_the_extra(
    store: artiflow.Store, log: Log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), {"a.txt": "one\n"})
    monkeypatch.setitem(sys.modules, "xxhash", None)  # import xxhash now raises ImportError

    with pytest.raises(MissingDependencyError, match=r"artiflow\[xxhash\]"):
        Artifact("data", "dataset", digest_algorithm="XXH128")
    with pytest.raises(MissingDependencyError, match=r"artiflow\[xxhash\]"):
        Api(store=store).artifact("p/data:v0").download(tmp_path / "out")
    assert log(store, "plain", {"a.txt": "one\n"}).digest_algorithm == "MANIFEST_MD5"  # MD5 needs nothing


def test_an_unknown_algorithm_is_refused() -> None:
    for name in ("SHA1", "xxh128", ""):  # the SDK would quietly use MD5 for any of these
        with pytest.raises(InvalidNameError, match="'MD5'.*'XXH128'"):
            Artifact("data", "dataset", digest_algorithm=name)
    assert Artifact("data", "dataset", digest_algorithm="XXH128").digest_algorithm == "MANIFEST_XXH128"
    assert Artifact("data", "dataset").digest_algorithm == "MANIFEST_MD5"
    assert blob_id("abc=", XXH128) == "xxh128:abc="


@pytest.mark.local_only
def test_cache_cleanup_knows_xxh128_downloads_are_unchanged(store: artiflow.Store, log: Log, tmp_path: Path) -> None:
    log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), {"a.txt": "one\n", "b.txt": "two\n"})
    runner = CliRunner()
    assert runner.invoke(app, ["get", "p/data:v0"]).exit_code == 0
    info = runner.invoke(app, ["cache", "info", "--json"])
    assert '"entries": 4' in info.output  # the two files logged, and the two downloaded: XXH128 rows
    dry = runner.invoke(app, ["cache", "cleanup", "--dry-run"])
    assert dry.exit_code == 0 and "remove" in dry.output and "changed since" not in dry.output


@pytest.mark.local_only
def test_artiflow_put_logs_with_the_digest_algorithm_asked_for(store: artiflow.Store, make_tree: MakeTree) -> None:
    root = make_tree({"a.txt": "one\n"})
    runner = CliRunner()
    put = runner.invoke(app, ["put", str(root), "--name", "d", "--digest-algorithm", "XXH128", "-q"])
    assert put.exit_code == 0, put.output
    logged = Api(store=store).artifact("uncategorized/d:v0")
    assert logged.digest_algorithm == "MANIFEST_XXH128" and logged.files()[0].extra == {"alg": "XXH128"}
    bad = runner.invoke(app, ["put", str(root), "--name", "d", "--digest-algorithm", "SHA256"])
    assert bad.exit_code == 1 and "'MD5' (the default) or 'XXH128'" in bad.output


def test_gc_frees_an_xxh128_blob_only_its_deleted_version_used(
    store: artiflow.Store, log: Log, tmp_path: Path
) -> None:
    def xxh(files: dict[str, str | bytes]) -> Artifact:
        return log(store, Artifact("data", "dataset", digest_algorithm="XXH128"), files)

    v0 = xxh({"a.txt": "shared\n", "b.txt": "only v0\n"})
    v1 = xxh({"a.txt": "shared\n", "c.txt": "only v1\n"})
    Api(store=store).artifact("p/data:v0").delete()
    report = collect_garbage(store, dry_run=False, now=time.time() + 7200)

    only_v0 = blob_key(v0.manifest.contents["b.txt"].blob)
    assert only_v0 in report.orphans and only_v0.startswith("xxh128/")
    assert not store.blobs.has(v0.manifest.contents["b.txt"].blob)
    out = Path(Api(store=store).artifact("p/data:v1").download(tmp_path / "v1"))
    assert (out / "a.txt").read_text() == "shared\n" and (out / "c.txt").read_text() == "only v1\n"
    assert all(store.blobs.has(e.blob) for e in v1.manifest)

"""One contract, every ``BlobStore``: what the store relies on, checked against each implementation.

The same tests run on the local disk store (the embedded default), on fsspec's in-memory
filesystem (an object store that publishes a write atomically, so no server is needed), on fsspec's
local filesystem (the path that writes a temporary key and then moves it into place) and, when
``ARTIFLOW_TEST_S3_ENDPOINT`` names an S3-compatible server, on S3.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from artiflow import DigestMismatchError
from artiflow.blobs import BlobStore, FsspecBlobStore, LocalBlobStore, blob_key, open_blob_store
from artiflow.digests import XXH128, b64_digest, b64_md5, b64_to_hex, blob_id

S3_ENDPOINT = os.environ.get("ARTIFLOW_TEST_S3_ENDPOINT")  # read before the per-test isolation
S3_BUCKET = "artiflow-tests"
EMPTY = "1B2M2Y8AsgTpgAmY7PhCfg=="  # W&B's digest of zero bytes
HELLO = "sZRqySSS0jR8YjW00mERhA=="  # ... and of b"hello\n"


@pytest.fixture(params=["local", "memory", "fsspec-file", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BlobStore]:
    kind = request.param
    if kind == "local":
        yield open_blob_store(str(tmp_path / "blobs"))
    elif kind == "memory":
        url = f"memory://artiflow-conformance/{uuid.uuid4().hex}"
        store = open_blob_store(url)
        yield store
        fs, path = fsspec.core.url_to_fs(url)
        if fs.exists(path):
            fs.rm(path, recursive=True)
    elif kind == "fsspec-file":
        root = tmp_path / "blobs"
        yield FsspecBlobStore(f"file://{root}", fsspec.filesystem("file"), str(root))
    else:
        if not S3_ENDPOINT:
            pytest.skip("no S3-compatible server: set ARTIFLOW_TEST_S3_ENDPOINT (.ci/run starts one)")
        for key, default in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                             ("AWS_DEFAULT_REGION", "us-east-1")):
            if not os.environ.get(key):
                monkeypatch.setenv(key, default)
        options = {"client_kwargs": {"endpoint_url": S3_ENDPOINT}}
        fs = fsspec.filesystem("s3", **options)
        if not fs.exists(S3_BUCKET):
            fs.mkdir(S3_BUCKET)
        prefix = f"{S3_BUCKET}/conformance-{uuid.uuid4().hex}"
        yield open_blob_store(f"s3://{prefix}", options)
        if fs.exists(prefix):
            fs.rm(prefix, recursive=True)


def write(tmp_path: Path, data: bytes, name: str = "src.bin") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_implementations_are_the_ones_named(blobs: BlobStore, request: pytest.FixtureRequest) -> None:
    kind = request.node.callspec.params["blobs"]
    assert isinstance(blobs, LocalBlobStore if kind == "local" else FsspecBlobStore)
    assert blobs.url


# -- writing and reading ------------------------------------------------------------------------


def test_bytes_are_stored_under_their_wandb_digest(blobs: BlobStore) -> None:
    assert not blobs.has(HELLO)
    assert blobs.put_bytes(b"hello\n") == HELLO
    assert blobs.has(HELLO)
    assert blobs.read_bytes(HELLO) == b"hello\n"
    with blobs.open(HELLO) as f:
        assert f.read() == b"hello\n"
    assert list(blobs.keys()) == [blob_key(HELLO)]
    assert blob_key(HELLO) == f"md5/{b64_to_hex(HELLO)[:2]}/{b64_to_hex(HELLO)[2:]}"


def test_a_file_is_stored_by_content_with_its_size(blobs: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)  # several read chunks, not a multiple of any of them
    digest, size = blobs.put_file(write(tmp_path, data))
    assert size == len(data)
    assert b64_to_hex(digest) == hashlib.md5(data).hexdigest()
    assert blobs.read_bytes(digest) == data


def test_empty_content_is_a_blob_like_any_other(blobs: BlobStore, tmp_path: Path) -> None:
    assert blobs.put_file(write(tmp_path, b"")) == (EMPTY, 0)
    assert blobs.put_bytes(b"") == EMPTY
    assert blobs.read_bytes(EMPTY) == b""
    assert list(blobs.keys()) == [blob_key(EMPTY)]


def test_writing_the_same_content_twice_keeps_one_blob(blobs: BlobStore, tmp_path: Path) -> None:
    first = blobs.put_bytes(b"hello\n")
    again, size = blobs.put_file(write(tmp_path, b"hello\n"))
    assert (again, size) == (first, 6)
    assert blobs.put_bytes(b"hello\n") == first
    assert list(blobs.keys()) == [blob_key(first)]
    assert list(blobs.temp_keys()) == []


def test_keys_list_every_blob_in_order(blobs: BlobStore) -> None:
    assert list(blobs.keys()) == []  # nothing written yet: no error either
    digests = [blobs.put_bytes(f"blob {i}\n".encode()) for i in range(12)]
    assert list(blobs.keys()) == sorted(blob_key(d) for d in digests)


def test_an_expected_digest_that_does_not_match_stores_nothing(blobs: BlobStore, tmp_path: Path) -> None:
    src = write(tmp_path, b"hello\n")
    with pytest.raises(DigestMismatchError, match="expected"):
        blobs.put_file(src, expected=b64_md5(b"something else"))
    assert not blobs.has(HELLO)
    assert list(blobs.keys()) == []
    assert list(blobs.temp_keys()) == []
    assert blobs.put_file(src, expected=HELLO) == (HELLO, 6)


def test_a_missing_blob_reads_as_file_not_found(blobs: BlobStore) -> None:
    with pytest.raises(FileNotFoundError):
        blobs.read_bytes(HELLO)
    with pytest.raises(FileNotFoundError):
        blobs.open(HELLO)


def test_threads_storing_the_same_content_agree(blobs: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(256 << 10)
    sources = [write(tmp_path, data, f"src{i}.bin") for i in range(6)]
    results: list[tuple[str, int]] = []
    errors: list[BaseException] = []

    def put(src: str) -> None:
        try:
            results.append(blobs.put_file(src))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put, args=(s,)) for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    digest = results[0][0]
    assert blobs.read_bytes(digest) == data
    assert list(blobs.keys()) == [blob_key(digest)]
    assert list(blobs.temp_keys()) == []


def test_md5_and_xxh128_blobs_of_the_same_bytes_live_apart(blobs: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    src = write(tmp_path, data)
    md5, _ = blobs.put_file(src)
    xxh, size = blobs.put_file(src, alg=XXH128)
    assert (xxh, size) == (b64_digest(data, XXH128), len(data))
    blob = blob_id(xxh, XXH128)
    assert not blobs.has(xxh)  # a bare digest names an MD5 blob: never this one
    assert list(blobs.keys()) == [blob_key(md5), blob_key(blob)]
    assert blob_key(blob) == f"xxh128/{b64_to_hex(xxh)[:2]}/{b64_to_hex(xxh)[2:]}"
    assert blobs.read_bytes(blob) == data == blobs.read_bytes(md5)
    dest = tmp_path / "out.bin"
    blobs.copy_to(blob, str(dest))  # verified with XXH128, the algorithm of its address
    assert dest.read_bytes() == data
    with pytest.raises(DigestMismatchError, match="expected"):
        blobs.put_file(src, expected=md5, alg=XXH128)
    blobs.delete(md5)
    assert list(blobs.keys()) == [blob_key(blob)] and blobs.has(blob)
    assert blobs.quarantine(blob) is not None and not blobs.has(blob)
    assert list(blobs.keys()) == []


# -- materialising ------------------------------------------------------------------------------


@pytest.mark.parametrize("hardlink", [False, True], ids=["copy", "hardlink"])
def test_copy_to_writes_the_content_at_a_new_path(blobs: BlobStore, tmp_path: Path, hardlink: bool) -> None:
    digest = blobs.put_bytes(b"hello\n")
    dest = tmp_path / "out" / "hello.txt"
    dest.parent.mkdir()
    blobs.copy_to(digest, str(dest), hardlink=hardlink)
    assert dest.read_bytes() == b"hello\n"
    assert sorted(os.listdir(dest.parent)) == ["hello.txt"]  # no temporary file left beside it


def test_copy_to_replaces_an_existing_file(blobs: BlobStore, tmp_path: Path) -> None:
    digest = blobs.put_bytes(b"hello\n")
    dest = tmp_path / "hello.txt"
    dest.write_bytes(b"an older, longer version of the file\n")
    blobs.copy_to(digest, str(dest))
    assert dest.read_bytes() == b"hello\n"
    assert blobs.read_bytes(digest) == b"hello\n"  # the blob itself is untouched


def test_a_copy_is_independent_of_the_blob(blobs: BlobStore, tmp_path: Path) -> None:
    digest = blobs.put_bytes(b"hello\n")
    dest = tmp_path / "hello.txt"
    blobs.copy_to(digest, str(dest))
    dest.chmod(0o644)
    dest.write_bytes(b"edited by the user\n")
    assert blobs.read_bytes(digest) == b"hello\n"


def test_copy_to_of_a_missing_blob_fails_and_leaves_nothing(blobs: BlobStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FileNotFoundError):
        blobs.copy_to(HELLO, str(out / "hello.txt"))
    assert os.listdir(out) == []


# -- what garbage collection uses ---------------------------------------------------------------


def test_key_info_gives_size_and_a_recent_modification_time(blobs: BlobStore) -> None:
    before = time.time()
    digest = blobs.put_bytes(b"x" * 1000)
    size, modified = blobs.key_info(blob_key(digest))
    assert size == 1000
    assert before - 120 < modified < time.time() + 120  # clocks of a server may differ a little


def test_deleting_removes_a_blob_and_only_that_blob(blobs: BlobStore) -> None:
    keep = blobs.put_bytes(b"keep\n")
    gone = blobs.put_bytes(b"hello\n")
    blobs.delete(gone)
    assert not blobs.has(gone) and blobs.has(keep)
    assert list(blobs.keys()) == [blob_key(keep)]
    blobs.delete_key(blob_key(keep))
    assert list(blobs.keys()) == []
    assert blobs.put_bytes(b"hello\n") == gone  # and it can be stored again
    assert blobs.read_bytes(gone) == b"hello\n"

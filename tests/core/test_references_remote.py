"""References to remote objects: ``s3://`` on the loopback S3 server, ``http(s)://`` on a loopback
HTTP server, and ``gs://`` entry building and checks on a fake fsspec filesystem (no GCS server here).

W&B records an S3 object by its ETag with the quotes stripped: for a single-part upload that is the
hex MD5 of the content, so ``hello\\n`` gives ``b1946ac92492d2347c6235b4d2611184``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fsspec.implementations.memory import MemoryFileSystem

import artiflow
from artiflow import (
    Artifact,
    DigestMismatchError,
    InvalidNameError,
    MissingDependencyError,
    Settings,
    TooManyObjectsError,
)
from artiflow.manifest import ManifestEntry
from artiflow.references import cloud, filesystem_options, reference_entries

Log = Callable[..., Artifact]  # the ``log`` fixture

S3_ENDPOINT = os.environ.get("ARTIFLOW_TEST_S3_ENDPOINT")  # read before the per-test isolation

HELLO_ETAG = "b1946ac92492d2347c6235b4d2611184"  # hex MD5 of "hello\n"
WORLD_ETAG = "591785b794601e212b260e25925636fd"  # hex MD5 of "world\n"
SKIP_S3 = (
    "S3 server not configured: set ARTIFLOW_TEST_S3_ENDPOINT to an S3-compatible server, e.g. "
    "http://127.0.0.1:5555 (moto_server -H 127.0.0.1 -p 5555); .ci/run starts it."
)


def entries(art: Artifact) -> dict[str, tuple[str, int | None, dict[str, Any]]]:
    return {e.path: (e.digest, e.size, e.extra) for e in art.manifest}


# -- s3:// on the loopback server ----------------------------------------------------------------


@dataclass
class S3:
    fs: Any  # s3fs.S3FileSystem, version-aware
    bucket: str  # plain
    versioned: str  # versioning enabled
    prefix: str  # this test's own keys

    def key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}"

    def put(self, rel: str, data: bytes, bucket: str | None = None) -> dict[str, Any]:
        path = f"{bucket or self.bucket}/{self.key(rel)}"
        self.fs.pipe_file(path, data)
        return dict(self.fs.info(path))

    def uri(self, rel: str, bucket: str | None = None) -> str:
        return f"s3://{bucket or self.bucket}/{self.key(rel)}"


@pytest.fixture(scope="session")
def _s3_buckets() -> Iterator[tuple[Any, str, str]]:
    if not S3_ENDPOINT:
        pytest.skip(SKIP_S3)
    import s3fs

    fs = s3fs.S3FileSystem(
        key="testing", secret="testing", client_kwargs={"endpoint_url": S3_ENDPOINT},
        version_aware=True, use_listings_cache=False, skip_instance_cache=True,
    )
    run = uuid.uuid4().hex[:8]
    plain, versioned = f"artiflow-refs-{run}", f"artiflow-refs-v-{run}"
    fs.mkdir(plain)
    fs.mkdir(versioned)
    fs.make_bucket_versioned(versioned)
    yield fs, plain, versioned
    for bucket in fs.ls("", refresh=True):  # ours and the per-test ones, every version
        if bucket.startswith("artiflow-refs-") and bucket.endswith(run):
            listing = fs.call_s3("list_object_versions", Bucket=bucket)
            for v in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
                fs.call_s3("delete_object", Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
            fs.call_s3("delete_bucket", Bucket=bucket)


@pytest.fixture
def s3(_s3_buckets: tuple[Any, str, str], store: artiflow.Store, monkeypatch: pytest.MonkeyPatch) -> S3:
    """Buckets on the loopback server; the store reaches them through its settings or the environment."""
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(key, value)
    if store.settings.storage.startswith("s3://"):
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # must come from storage_options
    else:
        assert S3_ENDPOINT is not None
        monkeypatch.setenv("AWS_ENDPOINT_URL", S3_ENDPOINT)  # what botocore reads without options
    fs, plain, versioned = _s3_buckets
    return S3(fs, plain, versioned, uuid.uuid4().hex[:12])


def test_s3_object_is_recorded_by_etag_and_downloads(store: artiflow.Store, s3: S3, log: Log) -> None:
    s3.put("data/a.txt", b"hello\n")
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(s3.uri("data/a.txt"))
    assert (entry.path, entry.digest, entry.size, entry.ref) == ("a.txt", HELLO_ETAG, 6, s3.uri("data/a.txt"))
    assert entry.extra == {"etag": f'"{HELLO_ETAG}"'}  # an unversioned bucket: no versionID
    log(store, art)
    assert not store.blobs.has(base64.b64encode(bytes.fromhex(HELLO_ETAG)).decode())  # not copied
    assert (Path(art.download()) / "a.txt").read_text() == "hello\n"


def test_s3_seed_examples(s3: S3) -> None:
    # The table in the W&B docs: an object keeps its file name, a prefix expands under name/.
    for rel in ("model.h5", "checkpoints/model.h5", "images/cat.png", "images/dog.png"):
        s3.put(rel, rel.encode())
    art = Artifact("d", "dataset")
    assert [e.path for e in art.add_reference(s3.uri("model.h5"))] == ["model.h5"]
    assert [e.path for e in Artifact("e", "dataset").add_reference(s3.uri("checkpoints/model.h5"))] == ["model.h5"]
    assert [e.path for e in art.add_reference(s3.uri("model.h5"), name="models/mymodel.h5")] == ["models/mymodel.h5"]
    assert [e.path for e in art.add_reference(s3.uri("images"))] == ["cat.png", "dog.png"]
    assert [e.path for e in art.add_reference(s3.uri("images"), name="images")] == ["images/cat.png", "images/dog.png"]
    assert art.get_entry("images/dog.png").ref == s3.uri("images/dog.png")


def test_s3_prefix_lists_objects_under_it(store: artiflow.Store, s3: S3, log: Log) -> None:
    s3.put("d/a.txt", b"hello\n")
    s3.put("d/sub/b.txt", b"world\n")
    s3.put("d/empty.txt", b"")
    s3.put("d/folder/", b"")  # a console's zero-size "directory" object
    s3.put("dd/other.txt", b"not under d/")
    art = Artifact("d", "dataset")
    added = art.add_reference(s3.uri("d"), name="ext")
    assert [e.path for e in added] == ["ext/a.txt", "ext/empty.txt", "ext/sub/b.txt"]
    assert art.get_entry("ext/sub/b.txt").digest == WORLD_ETAG
    assert [e.path for e in Artifact("t", "dataset").add_reference(s3.uri("d/"))] == ["a.txt", "empty.txt", "sub/b.txt"]
    log(store, art)
    out = Path(art.download())
    assert (out / "ext" / "sub" / "b.txt").read_text() == "world\n"
    assert (out / "ext" / "empty.txt").read_bytes() == b""


def test_s3_prefix_beyond_max_objects_is_refused(s3: S3) -> None:
    for i in range(3):
        s3.put(f"many/f{i}.txt", str(i).encode())
    assert len(Artifact("a", "dataset").add_reference(s3.uri("many"), max_objects=3)) == 3
    art = Artifact("b", "dataset")
    with pytest.raises(TooManyObjectsError, match="Exceeded 2 objects tracked .* max_objects"):
        art.add_reference(s3.uri("many"), max_objects=2)
    assert art.files() == []


def test_s3_nothing_at_the_uri(s3: S3) -> None:
    with pytest.raises(FileNotFoundError, match="points at nothing"):
        Artifact("d", "dataset").add_reference(s3.uri("absent"))


def test_s3_versioned_bucket_records_and_fetches_the_version(store: artiflow.Store, s3: S3, log: Log) -> None:
    v1 = s3.put("a.txt", b"hello\n", bucket=s3.versioned)["VersionId"]
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(s3.uri("a.txt", bucket=s3.versioned))
    assert entry.extra == {"etag": f'"{HELLO_ETAG}"', "versionID": v1}
    log(store, art)
    s3.put("a.txt", b"world\n", bucket=s3.versioned)  # a new current version
    assert (Path(art.download()) / "a.txt").read_text() == "hello\n"  # the logged one
    # An explicit ?versionId= pins an older version too.
    [old] = Artifact("e", "dataset").add_reference(f"{s3.uri('a.txt', bucket=s3.versioned)}?versionId={v1}")
    assert (old.digest, old.extra["versionID"], old.ref) == (HELLO_ETAG, v1, s3.uri("a.txt", bucket=s3.versioned))


def test_s3_changed_unversioned_object_fails_download(store: artiflow.Store, s3: S3, log: Log) -> None:
    s3.put("a.txt", b"hello\n")
    art = Artifact("d", "dataset")
    art.add_reference(s3.uri("a.txt"))
    log(store, art)
    s3.put("a.txt", b"tampered\n")
    with pytest.raises(DigestMismatchError, match="changed since it was logged"):
        art.download("out")
    assert not Path("out", "a.txt").exists()


def test_s3_without_version_finds_the_version_with_the_logged_etag(store: artiflow.Store, s3: S3, log: Log) -> None:
    # Logged while the bucket kept no versions; versioning was turned on and the object replaced.
    bucket = f"artiflow-refs-late-{uuid.uuid4().hex[:8]}-{s3.bucket.rsplit('-', 1)[1]}"  # dropped with the others
    s3.fs.mkdir(bucket)
    s3.put("a.txt", b"hello\n", bucket=bucket)
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(s3.uri("a.txt", bucket=bucket))
    assert "versionID" not in entry.extra
    log(store, art)
    s3.fs.make_bucket_versioned(bucket)
    s3.put("a.txt", b"world\n", bucket=bucket)
    assert (Path(art.download()) / "a.txt").read_text() == "hello\n"


def test_s3_missing_object(store: artiflow.Store, s3: S3, caplog: pytest.LogCaptureFixture, log: Log) -> None:
    s3.put("a.txt", b"hello\n")
    s3.put("b.txt", b"world\n")
    art = Artifact("d", "dataset")
    art.add_reference(s3.uri("a.txt"))
    art.add_reference(s3.uri("b.txt"))
    log(store, art)
    s3.fs.rm(f"{s3.bucket}/{s3.key('a.txt')}")
    with pytest.raises(FileNotFoundError, match=f"{s3.uri('a.txt')} does not exist"):
        art.download("out1")
    with caplog.at_level(logging.WARNING, logger="artiflow.references"):
        out = Path(art.download("out2", allow_missing_references=True))
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]
    assert f"Reference {s3.uri('a.txt')} is missing" in caplog.text


def test_s3_without_checksum_records_the_uri_and_takes_the_current_object(store: artiflow.Store, s3: S3, log: Log) -> None:
    s3.put("dir/x.csv", b"a,b\n")
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(s3.uri("dir/x.csv"), checksum=False)
    # As W&B: no request, the digest is the URI, and the entry is named by the whole key.
    assert (entry.path, entry.digest, entry.ref, entry.size) == (s3.key("dir/x.csv"), s3.uri("dir/x.csv"),
                                                                 s3.uri("dir/x.csv"), None)
    [prefix] = Artifact("e", "dataset").add_reference(s3.uri("dir"), checksum=False)  # no listing
    assert prefix.digest == s3.uri("dir")
    log(store, art)
    s3.put("dir/x.csv", b"c,d\n")  # nothing to check it against
    assert (Path(art.download()) / s3.key("dir/x.csv")).read_text() == "c,d\n"


def test_s3_explicit_storage_options(local_store: artiflow.Store, _s3_buckets: tuple[Any, str, str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fs, plain, _ = _s3_buckets
    key = f"{uuid.uuid4().hex[:12]}/a.txt"
    fs.pipe_file(f"{plain}/{key}", b"hello\n")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    options = {"key": "testing", "secret": "testing", "client_kwargs": {"endpoint_url": S3_ENDPOINT}}
    [entry] = Artifact("d", "dataset").add_reference(f"s3://{plain}/{key}", storage_options=options)
    assert entry.digest == HELLO_ETAG


def test_filesystem_options_come_from_a_store_on_the_same_scheme() -> None:
    options = {"client_kwargs": {"endpoint_url": "http://127.0.0.1:9"}}
    on_s3 = Settings(storage_url="s3://bucket/prefix", storage_options=options)
    assert filesystem_options("s3", on_s3) == options
    assert filesystem_options("gs", on_s3) == {}  # another scheme: the backend's own environment
    assert filesystem_options("s3", Settings(home="/tmp/x", storage_options=options)) == {}


# -- gs:// on a fake fsspec filesystem -------------------------------------------------------------


class FakeGCS(MemoryFileSystem):  # type: ignore[misc]  # fsspec ships no type hints
    """Just enough of gcsfs: info and listings carry ``etag`` and ``generation``, and
    ``bucket/key#generation`` reads that generation (older ones are kept, as with GCS versioning)."""

    protocol = ("gs",)
    cachable = False

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[str, Any] = {}  # this instance's own, not MemoryFileSystem's shared one
        self.pseudo_dirs = [""]
        self.generations: dict[str, list[bytes]] = {}

    def upload(self, path: str, data: bytes) -> str:
        self.pipe_file(path, data)
        gens = self.generations.setdefault(self._strip_protocol(path), [])
        gens.append(data)
        return str(len(gens))

    def _details(self, path: str, generation: str) -> dict[str, Any]:
        data = self.generations[path][int(generation) - 1]
        etag = "C" + base64.b64encode(hashlib.sha1(data + generation.encode()).digest()[:9]).decode()
        return {"name": path, "size": len(data), "type": "file", "etag": etag, "generation": generation}

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path, _, generation = self._strip_protocol(path).partition("#")
        if generation:
            if path not in self.generations or len(self.generations[path]) < int(generation):
                raise FileNotFoundError(path)
            return self._details(path, generation)
        return self._decorate(dict(super().info(path, **kwargs)))

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> Any:
        out = super().ls(path, detail=True, **kwargs)
        return [self._decorate(dict(i)) for i in out] if detail else [i["name"] for i in out]

    def find(self, path: str, maxdepth: int | None = None, withdirs: bool = False, detail: bool = False,
             **kwargs: Any) -> Any:
        out = super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=True, **kwargs)
        return {k: self._decorate(dict(v)) for k, v in out.items()} if detail else sorted(out)

    def _decorate(self, info: dict[str, Any]) -> dict[str, Any]:
        gens = self.generations.get(info["name"])
        return self._details(info["name"], str(len(gens))) if info["type"] == "file" and gens else info

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        path, _, generation = path.partition("#")
        if generation:
            return io.BytesIO(self.generations[path][int(generation) - 1])
        return super()._open(path, mode, **kwargs)


GS = cloud.DIALECTS["gs"]


def gs_entries(fake: FakeGCS, uri: str, name: str | None = None, limit: int = 100) -> list[ManifestEntry]:
    found: list[ManifestEntry] = cloud.entries(uri, name, limit=limit, fs=fake, dialect=GS)
    return found


def test_gs_object_and_prefix_entries() -> None:
    fake = FakeGCS()
    gen = fake.upload("bkt/data/a.txt", b"hello\n")
    fake.upload("bkt/data/sub/b.txt", b"world\n")
    [single] = gs_entries(fake, "gs://bkt/data/a.txt")
    etag = fake.info("bkt/data/a.txt")["etag"]
    assert single == ManifestEntry(
        path="a.txt", digest=etag, size=6, ref="gs://bkt/data/a.txt", extra={"etag": etag, "versionID": gen}
    )
    listed = gs_entries(fake, "gs://bkt/data", name="ext")
    assert [(e.path, e.ref) for e in listed] == [
        ("ext/a.txt", "gs://bkt/data/a.txt"), ("ext/sub/b.txt", "gs://bkt/data/sub/b.txt")
    ]
    assert all(e.extra["versionID"] == "1" for e in listed)
    with pytest.raises(TooManyObjectsError):
        gs_entries(fake, "gs://bkt/data", limit=1)
    with pytest.raises(FileNotFoundError):
        gs_entries(fake, "gs://bkt/nothing")


def test_gs_generation_in_the_uri_pins_it() -> None:
    fake = FakeGCS()
    first = fake.upload("bkt/a.txt", b"hello\n")
    fake.upload("bkt/a.txt", b"world\n")
    [entry] = gs_entries(fake, f"gs://bkt/a.txt#{first}")
    assert (entry.size, entry.extra["versionID"], entry.ref) == (6, first, "gs://bkt/a.txt")


def test_gs_fetch_reads_the_logged_generation_and_checks_its_etag(tmp_path: Path) -> None:
    fake = FakeGCS()
    fake.upload("bkt/a.txt", b"hello\n")
    [entry] = gs_entries(fake, "gs://bkt/a.txt")
    fake.upload("bkt/a.txt", b"world\n")
    cloud.fetch(entry, str(tmp_path / "a.txt"), fs=fake, dialect=GS)
    assert (tmp_path / "a.txt").read_bytes() == b"hello\n"
    forged = entry.model_copy(update={"digest": "CAE="})
    with pytest.raises(DigestMismatchError, match="with version 1"):
        cloud.fetch(forged, str(tmp_path / "b.txt"), fs=fake, dialect=GS)
    gone = entry.model_copy(update={"extra": {"versionID": "9"}})
    with pytest.raises(FileNotFoundError, match="version 9 of gs://bkt/a.txt"):
        cloud.fetch(gone, str(tmp_path / "c.txt"), fs=fake, dialect=GS)


def test_gs_without_checksum_needs_no_backend() -> None:
    [entry] = Artifact("d", "dataset").add_reference("gs://bkt/dir/x.csv", checksum=False)
    assert (entry.path, entry.digest, entry.ref) == ("dir/x.csv", "gs://bkt/dir/x.csv", "gs://bkt/dir/x.csv")


def test_gs_without_gcsfs_names_the_extra() -> None:
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("gcsfs is installed: this checks the error users get without it")
    with pytest.raises(MissingDependencyError, match=r"artiflow\[gcs\]"):
        Artifact("d", "dataset").add_reference("gs://bkt/x.csv")


# -- http(s):// on a loopback server ---------------------------------------------------------------


@dataclass
class Site:
    url: str
    files: dict[str, tuple[bytes, str | None]]  # path -> (body, ETag header or None)


@pytest.fixture
def site() -> Iterator[Site]:
    files: dict[str, tuple[bytes, str | None]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path not in files:
                self.send_error(404)
                return
            body, etag = files[self.path]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            if etag is not None:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", files)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_reference_with_an_etag(store: artiflow.Store, site: Site, log: Log) -> None:
    site.files["/data/train.csv"] = (b"a,b\n", '"abc123"')
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(f"{site.url}/data/train.csv")
    assert (entry.path, entry.digest, entry.size, entry.extra) == ("train.csv", "abc123", 4, {"etag": '"abc123"'})
    log(store, art)
    assert (Path(art.download()) / "train.csv").read_bytes() == b"a,b\n"


def test_http_reference_without_an_etag_is_its_url(store: artiflow.Store, site: Site, log: Log) -> None:
    site.files["/x.csv"] = (b"1,2\n", None)
    url = f"{site.url}/x.csv"
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(url, name="tables/x.csv")
    assert (entry.path, entry.digest, entry.size, entry.extra) == ("tables/x.csv", url, 4, {})
    log(store, art)
    site.files["/x.csv"] = (b"3,4\n", None)  # nothing to compare with: the current body is taken
    assert (Path(art.download()) / "tables" / "x.csv").read_bytes() == b"3,4\n"


def test_http_changed_object_fails_download(store: artiflow.Store, site: Site, log: Log) -> None:
    site.files["/a.txt"] = (b"hello\n", '"v1"')
    art = Artifact("d", "dataset")
    art.add_reference(f"{site.url}/a.txt")
    log(store, art)
    site.files["/a.txt"] = (b"tampered\n", '"v2"')
    with pytest.raises(DigestMismatchError, match="ETag \"v2\", expected v1"):
        art.download("out")
    assert not Path("out", "a.txt").exists()


def test_http_without_checksum_takes_the_current_body(store: artiflow.Store, site: Site, log: Log) -> None:
    site.files["/a.txt"] = (b"hello\n", '"v1"')
    art = Artifact("d", "dataset")
    [entry] = art.add_reference(f"{site.url}/a.txt", checksum=False)
    assert (entry.digest, entry.size) == (f"{site.url}/a.txt", None)
    log(store, art)
    site.files["/a.txt"] = (b"world\n", '"v2"')
    assert (Path(art.download()) / "a.txt").read_bytes() == b"world\n"


def test_http_missing_object(store: artiflow.Store, site: Site, caplog: pytest.LogCaptureFixture, log: Log) -> None:
    with pytest.raises(FileNotFoundError, match="HTTP 404"):
        Artifact("x", "dataset").add_reference(f"{site.url}/nope.txt")
    site.files["/a.txt"] = (b"hello\n", '"v1"')
    site.files["/b.txt"] = (b"world\n", '"w1"')
    art = Artifact("d", "dataset")
    art.add_reference(f"{site.url}/a.txt")
    art.add_reference(f"{site.url}/b.txt")
    log(store, art)
    del site.files["/a.txt"]
    with pytest.raises(FileNotFoundError, match="HTTP 404"):
        art.download("out1")
    with caplog.at_level(logging.WARNING, logger="artiflow.references"):
        out = Path(art.download("out2", allow_missing_references=True))
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]
    assert "is missing; skipped a.txt" in caplog.text


def test_http_url_without_a_file_name_needs_a_name(site: Site) -> None:
    site.files["/"] = (b"index", None)
    with pytest.raises(InvalidNameError, match="pass name="):
        Artifact("d", "dataset").add_reference(f"{site.url}/")
    [entry] = Artifact("d", "dataset").add_reference(f"{site.url}/", name="index.html")
    assert entry.path == "index.html"


def test_worked_example_https_reference_without_checksum() -> None:
    # The W&B worked example's reference: checksum=False, so no request is made.
    [entry] = reference_entries("https://example.com/x.csv", "ext/x.csv", checksum=False)
    assert entry.to_json_dict() == {"digest": "https://example.com/x.csv", "ref": "https://example.com/x.csv"}

"""Setup for the seed samples: the files a sample expects, S3 buckets on the loopback server, and
an HTTP server for ``http://`` examples. Every test runs in its own working directory and store
(``tests/conftest.py`` points ``ARTIFLOW_HOME`` and the cwd at ``tmp_path``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

S3_ENDPOINT = os.environ.get("ARTIFLOW_TEST_S3_ENDPOINT")  # read before the per-test isolation


@pytest.fixture
def files() -> Callable[..., None]:
    """Create files (relative to the working directory) a sample reads."""

    def make(*paths: str, content: str | None = None) -> None:
        for p in paths:
            Path(p).parent.mkdir(parents=True, exist_ok=True)
            Path(p).write_text(content if content is not None else f"contents of {p}\n")

    return make


@pytest.fixture
def s3_buckets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """``make(bucket)`` creates a bucket on the loopback S3 server; the samples reach it through the environment."""
    if not S3_ENDPOINT:
        pytest.skip("S3 server not configured: set ARTIFLOW_TEST_S3_ENDPOINT (source /work/test-env.sh).")
    import s3fs

    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ENDPOINT_URL", S3_ENDPOINT)):
        monkeypatch.setenv(key, value)
    fs = s3fs.S3FileSystem(
        key="testing", secret="testing", client_kwargs={"endpoint_url": S3_ENDPOINT}, skip_instance_cache=True,
        use_listings_cache=False,
    )
    import boto3

    client = boto3.client(
        "s3", endpoint_url=S3_ENDPOINT, aws_access_key_id="testing", aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    made: list[str] = []
    # Samples name their buckets (``mybucket``), so tests on one S3 server take turns with them:
    # an exclusive lock per server, held for the test, whichever xdist worker (or run) holds it.
    lock_path = Path(tempfile.gettempdir()) / f"artiflow-seed-s3-{hashlib.md5(S3_ENDPOINT.encode()).hexdigest()[:12]}.lock"
    lock = open(lock_path, "a")  # noqa: SIM115 - held until the fixture ends
    fcntl.flock(lock, fcntl.LOCK_EX)

    def empty(bucket: str) -> None:
        """Every object, object version and unfinished upload gone: a bucket can be reused as new."""
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                client.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])

    def make(bucket: str) -> Any:
        try:
            client.create_bucket(Bucket=bucket)
        except (client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
            empty(bucket)
        made.append(bucket)
        fs.invalidate_cache()
        return fs

    try:
        yield make
        for bucket in made:
            empty(bucket)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = f"served {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"' + hashlib.md5(body).hexdigest() + '"')
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_host() -> Iterator[str]:
    """Route every ``http://`` URL (``myserver.com`` in the samples) to a loopback server, as an HTTP proxy would.

    The server answers any path with its own text, a Content-Length and an ETag.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy})))
    try:
        yield proxy
    finally:
        urllib.request.install_opener(None)  # type: ignore[arg-type]
        server.shutdown()
        server.server_close()
        thread.join()

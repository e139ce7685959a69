"""Setup for the seed samples: the files a sample expects, S3 buckets on the loopback server, and
an HTTP server for ``http://`` examples. Every test runs in its own working directory and store
(``tests/conftest.py`` points ``ARTIFLOW_HOME`` and the cwd at ``tmp_path``).
"""

from __future__ import annotations

import hashlib
import os
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Samples name their buckets (``mybucket``): under pytest-xdist, one worker runs all that use them."""
    for item in items:
        if "s3_buckets" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("seed-s3-buckets"))


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
    made: list[str] = []

    def make(bucket: str) -> Any:
        if fs.exists(bucket):
            fs.rm(bucket, recursive=True)
        fs.mkdir(bucket)
        made.append(bucket)
        return fs

    yield make
    for bucket in made:
        fs.rm(bucket, recursive=True)


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

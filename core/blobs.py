"""Content-addressed blob storage: ``md5/<hex[:2]>/<hex[2:]>`` under any fsspec URL.

Blobs are written under a temporary key and then moved into place, so a crash never leaves a
blob that looks valid. Keys are content addresses, so writing the same blob twice is harmless.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from .digests import b64_md5, b64_to_hex, copy_and_hash
from .errors import DigestMismatchError, MissingDependencyError

_FICLONE = 0x40049409  # linux/fs.h: share extents (reflink) instead of copying bytes
_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure"}


def blob_key(b64_digest: str) -> str:
    hexd = b64_to_hex(b64_digest)
    return f"md5/{hexd[:2]}/{hexd[2:]}"


class BlobStore(Protocol):
    url: str

    def has(self, digest: str) -> bool: ...
    def put_file(self, src: str, expected: str | None = None) -> tuple[str, int]: ...
    def put_bytes(self, data: bytes) -> str: ...
    def read_bytes(self, digest: str) -> bytes: ...
    def open(self, digest: str) -> IO[bytes]: ...
    def copy_to(self, digest: str, dest: str, *, hardlink: bool = False) -> None: ...
    def keys(self) -> Iterator[str]: ...
    def delete(self, digest: str) -> None: ...


def open_blob_store(url: str, options: dict[str, Any] | None = None) -> BlobStore:
    """A blob store for ``url``: a local directory, ``file://`` URL or any fsspec URL.

    ``options`` go to the fsspec filesystem (e.g. ``{"client_kwargs": {"endpoint_url": …}}`` for
    an S3-compatible server).
    """
    protocol = url.split("://", 1)[0] if "://" in url else "file"
    if protocol in ("file", "local"):
        return LocalBlobStore(url.split("://", 1)[-1] if "://" in url else url)
    try:
        import fsspec

        fs, path = fsspec.core.url_to_fs(url, **(options or {}))
    except ImportError as exc:
        extra = _EXTRAS.get(protocol, protocol)
        raise MissingDependencyError(
            f"Storage URL {url!r} needs an fsspec backend for {protocol!r}; "
            f'install it with pip install "artiflow[{extra}]".'
        ) from exc
    return FsspecBlobStore(url, fs, path)


class LocalBlobStore:
    """Blobs on the local disk, through plain ``os`` calls (the hot path of the embedded default)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        self.url = str(self.root)
        self._tmp = os.path.join(self.url, "tmp")  # paths are plain strings: these run once per file
        self._made: set[str] = set()
        self._lock = threading.Lock()
        self._reflink_ok = True

    def path(self, digest: str) -> str:
        return os.path.join(self.url, blob_key(digest))

    def has(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    def _ensure_dir(self, d: str) -> None:
        if d not in self._made:
            os.makedirs(d, exist_ok=True)
            with self._lock:
                self._made.add(d)

    def _tmp_file(self) -> tuple[str, int]:
        self._ensure_dir(self._tmp)
        tmp = os.path.join(self._tmp, uuid.uuid4().hex)
        return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)

    def _publish(self, tmp: str, digest: str) -> None:
        final = self.path(digest)
        self._ensure_dir(os.path.dirname(final))
        os.replace(tmp, final)

    def put_file(self, src: str, expected: str | None = None) -> tuple[str, int]:
        tmp, fd = self._tmp_file()
        try:
            with open(src, "rb", buffering=0) as fin, open(fd, "wb", buffering=0) as fout:
                digest, size = copy_and_hash(fin, fout)
            if expected is not None and digest != expected:
                raise DigestMismatchError(
                    f"{src} hashed to {digest}, expected {expected}; it changed while being stored."
                )
            self._publish(tmp, digest)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return digest, size

    def put_bytes(self, data: bytes) -> str:
        digest = b64_md5(data)
        if self.has(digest):
            return digest
        tmp, fd = self._tmp_file()
        try:
            with open(fd, "wb") as fout:
                fout.write(data)
            self._publish(tmp, digest)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return digest

    def read_bytes(self, digest: str) -> bytes:
        with self.open(digest) as f:
            return f.read()

    def open(self, digest: str) -> IO[bytes]:
        return open(self.path(digest), "rb")

    def copy_to(self, digest: str, dest: str, *, hardlink: bool = False) -> None:
        """Materialise a blob at ``dest`` atomically: reflink where possible, else a plain copy."""
        src = self.path(digest)
        tmp = f"{dest}.artiflow-{uuid.uuid4().hex[:8]}.tmp"
        try:
            if hardlink:
                os.link(src, tmp)
            elif not self._reflink(src, tmp):
                shutil.copyfile(src, tmp)
                os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def _reflink(self, src: str, dst: str) -> bool:
        if not self._reflink_ok:
            return False
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            try:
                fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
                return True
            except OSError as exc:
                if exc.errno in (errno.EOPNOTSUPP, errno.ENOTTY, errno.EINVAL, errno.EXDEV, errno.ENOSYS):
                    self._reflink_ok = exc.errno == errno.EXDEV  # another device may still work
                    return False
                raise

    def keys(self) -> Iterator[str]:
        base = self.root / "md5"
        if not base.exists():
            return
        for prefix in sorted(os.listdir(base)):
            for rest in sorted(os.listdir(base / prefix)):
                yield f"md5/{prefix}/{rest}"

    def delete(self, digest: str) -> None:
        _unlink_quietly(self.path(digest))


class FsspecBlobStore:
    """Blobs on any fsspec filesystem (S3, GCS, memory…), written to a temp key then moved."""

    def __init__(self, url: str, fs: object, path: str) -> None:
        self.url = url
        self.fs = fs
        self.base = path.rstrip("/")

    def _key(self, digest: str) -> str:
        return f"{self.base}/{blob_key(digest)}"

    def has(self, digest: str) -> bool:
        return bool(self.fs.exists(self._key(digest)))  # type: ignore[attr-defined]

    def put_file(self, src: str, expected: str | None = None) -> tuple[str, int]:
        tmp = f"{self.base}/tmp/{uuid.uuid4().hex}"
        with open(src, "rb") as fin, self.fs.open(tmp, "wb") as fout:  # type: ignore[attr-defined]
            digest, size = copy_and_hash(fin, fout)
        if expected is not None and digest != expected:
            self.fs.rm(tmp)  # type: ignore[attr-defined]
            raise DigestMismatchError(f"{src} hashed to {digest}, expected {expected}.")
        self.fs.mv(tmp, self._key(digest))  # type: ignore[attr-defined]
        return digest, size

    def put_bytes(self, data: bytes) -> str:
        digest = b64_md5(data)
        if not self.has(digest):
            tmp = f"{self.base}/tmp/{uuid.uuid4().hex}"
            self.fs.pipe_file(tmp, data)  # type: ignore[attr-defined]
            self.fs.mv(tmp, self._key(digest))  # type: ignore[attr-defined]
        return digest

    def read_bytes(self, digest: str) -> bytes:
        return bytes(self.fs.cat_file(self._key(digest)))  # type: ignore[attr-defined]

    def open(self, digest: str) -> IO[bytes]:
        return self.fs.open(self._key(digest), "rb")  # type: ignore[attr-defined,no-any-return]

    def copy_to(self, digest: str, dest: str, *, hardlink: bool = False) -> None:
        tmp = f"{dest}.artiflow-{uuid.uuid4().hex[:8]}.tmp"
        try:
            self.fs.get_file(self._key(digest), tmp)  # type: ignore[attr-defined]
            os.replace(tmp, dest)
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def keys(self) -> Iterator[str]:
        for p in self.fs.find(f"{self.base}/md5"):  # type: ignore[attr-defined]
            yield p[len(self.base) + 1 :]

    def delete(self, digest: str) -> None:
        self.fs.rm(self._key(digest))  # type: ignore[attr-defined]


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

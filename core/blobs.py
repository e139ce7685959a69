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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from .digests import b64_md5, b64_to_hex, copy_and_hash
from .errors import DigestMismatchError, MissingDependencyError

_FICLONE = 0x40049409  # linux/fs.h: share extents (reflink) instead of copying bytes
_SENDFILE_MAX = 1 << 30  # bytes per sendfile call; Linux caps one call just under 2 GiB anyway
_SENDFILE_STEP = 16 << 20  # bytes per call when someone watches the progress
_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure"}


def blob_key(b64_digest: str) -> str:
    hexd = b64_to_hex(b64_digest)
    return f"md5/{hexd[:2]}/{hexd[2:]}"


class BlobStore(Protocol):
    url: str

    def has(self, digest: str) -> bool: ...
    def put_file(
        self, src: str, expected: str | None = None, *, on_chunk: Callable[[int], None] | None = None
    ) -> tuple[str, int]: ...
    def put_bytes(self, data: bytes) -> str: ...
    def read_bytes(self, digest: str) -> bytes: ...
    def open(self, digest: str) -> IO[bytes]: ...
    def copy_to(
        self, digest: str, dest: str, *, hardlink: bool = False, on_chunk: Callable[[int], None] | None = None
    ) -> None: ...
    def keys(self) -> Iterator[str]: ...
    def delete(self, digest: str) -> None: ...
    def key_info(self, key: str) -> tuple[int, float]: ...
    def delete_key(self, key: str) -> None: ...
    def temp_keys(self) -> Iterator[str]: ...


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
        self._prefix = os.path.join(self.url, "")
        self._made: set[str] = set()
        self._lock = threading.Lock()
        self._reflink_ok = True

    def path(self, digest: str) -> str:
        return f"{self._prefix}{blob_key(digest)}"  # not os.path.join: this runs once per file

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

    def put_file(
        self, src: str, expected: str | None = None, *, on_chunk: Callable[[int], None] | None = None
    ) -> tuple[str, int]:
        tmp, fd = self._tmp_file()
        try:
            with open(src, "rb", buffering=0) as fin, open(fd, "wb", buffering=0) as fout:
                digest, size = copy_and_hash(fin, fout, on_chunk=on_chunk)
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

    def copy_to(
        self, digest: str, dest: str, *, hardlink: bool = False, on_chunk: Callable[[int], None] | None = None
    ) -> None:
        """Materialise a blob at ``dest``: reflink where possible, else a kernel copy.

        ``on_chunk(n)`` hears the bytes of a kernel copy as they go (a reflink is reported whole).

        A file already at ``dest`` is replaced atomically (a temporary file, then a rename), so
        it is never seen half overwritten. A new file is written in place, which saves the rename
        (a third of the time of a small file): if the process dies mid-write the partial file's
        size and time match no digest the cache knows, so the next download replaces it.
        """
        src = self.path(digest)
        try:
            self._write(src, dest, hardlink, exclusive=True, on_chunk=on_chunk)
            return
        except FileExistsError:
            pass
        tmp = f"{dest}.artiflow-{uuid.uuid4().hex[:8]}.tmp"
        try:
            self._write(src, tmp, hardlink, exclusive=False, on_chunk=on_chunk)
            os.replace(tmp, dest)
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def _write(
        self, src: str, dest: str, hardlink: bool, *, exclusive: bool, on_chunk: Callable[[int], None] | None = None
    ) -> None:
        if hardlink:
            os.link(src, dest)  # fails with FileExistsError by itself
            return
        with open(src, "rb") as fin, open(dest, "xb" if exclusive else "wb") as fout:
            try:
                if not self._reflink(fin, fout):
                    if on_chunk is None:
                        _copy_data(fin, fout)
                    else:
                        _copy_data(fin, fout, on_chunk)
                    os.fchmod(fout.fileno(), 0o644)
            except BaseException:
                _unlink_quietly(dest)  # ours: created just now
                raise

    def _reflink(self, fin: IO[bytes], fout: IO[bytes]) -> bool:
        if not self._reflink_ok:
            return False
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

    def key_info(self, key: str) -> tuple[int, float]:
        """``(size, modification time)`` of a stored key."""
        st = os.stat(os.path.join(self.root, key))
        return st.st_size, st.st_mtime

    def delete_key(self, key: str) -> None:
        _unlink_quietly(os.path.join(self.root, key))

    def temp_keys(self) -> Iterator[str]:
        """Temporary files of writes in flight, or of writers that crashed."""
        if os.path.isdir(self._tmp):
            for name in sorted(os.listdir(self._tmp)):
                yield f"tmp/{name}"


# Object stores publish a PUT (or a completed multipart upload) atomically: a crashed upload
# never leaves a visible object, so blobs can go straight to their content address.
_ATOMIC_PUT = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"}


class FsspecBlobStore:
    """Blobs on any fsspec filesystem (S3, GCS, Azure, memory…).

    On object stores a blob is hashed first, then uploaded straight to its content address,
    only if it is not there already (an atomic PUT: nothing partial is ever visible). Elsewhere
    it is written under a temporary key and moved into place.
    """

    def __init__(self, url: str, fs: Any, path: str) -> None:
        self.url = url
        self.fs = fs
        self.base = path.rstrip("/")
        protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
        self._atomic = bool(set(protocols) & _ATOMIC_PUT)
        self._made: set[str] = set()

    def _parent_made(self, key: str) -> str:
        """``key``, once its directory exists: filesystems with directories (local, SFTP…) need it."""
        parent = key.rsplit("/", 1)[0]
        if parent not in self._made:
            self.fs.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return key

    def _key(self, digest: str) -> str:
        return f"{self.base}/{blob_key(digest)}"

    def has(self, digest: str) -> bool:
        return bool(self.fs.exists(self._key(digest)))

    def put_file(
        self, src: str, expected: str | None = None, *, on_chunk: Callable[[int], None] | None = None
    ) -> tuple[str, int]:
        if not self._atomic:
            return self._put_via_temp(src, expected, on_chunk)
        before = os.stat(src)
        # Progress: the hashing read and the upload each count for half of the file's bytes.
        half = (lambda n: on_chunk(n // 2)) if on_chunk is not None else None
        with open(src, "rb") as fin:
            digest, size = copy_and_hash(fin, on_chunk=half)
        if expected is not None and digest != expected:
            raise DigestMismatchError(f"{src} hashed to {digest}, expected {expected}.")
        if self.has(digest):  # blob-level dedup: another version (or machine) stored it already
            return digest, size
        key = self._key(digest)
        self.fs.put_file(src, key, **_callback(half))
        after = os.stat(src)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            self.fs.rm(key)  # what was uploaded may not be what was hashed
            raise DigestMismatchError(f"{src} changed while it was being stored; log again.")
        return digest, size

    def _put_via_temp(
        self, src: str, expected: str | None, on_chunk: Callable[[int], None] | None = None
    ) -> tuple[str, int]:
        tmp = self._parent_made(f"{self.base}/tmp/{uuid.uuid4().hex}")
        with open(src, "rb") as fin, self.fs.open(tmp, "wb") as fout:
            digest, size = copy_and_hash(fin, fout, on_chunk=on_chunk)
        if expected is not None and digest != expected:
            self.fs.rm(tmp)
            raise DigestMismatchError(f"{src} hashed to {digest}, expected {expected}.")
        self.fs.mv(tmp, self._parent_made(self._key(digest)))
        return digest, size

    def put_bytes(self, data: bytes) -> str:
        digest = b64_md5(data)
        if self.has(digest):
            return digest
        if self._atomic:
            self.fs.pipe_file(self._key(digest), data)
        else:
            tmp = self._parent_made(f"{self.base}/tmp/{uuid.uuid4().hex}")
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, self._parent_made(self._key(digest)))
        return digest

    def read_bytes(self, digest: str) -> bytes:
        return bytes(self.fs.cat_file(self._key(digest)))

    def open(self, digest: str) -> IO[bytes]:
        handle: IO[bytes] = self.fs.open(self._key(digest), "rb")
        return handle

    def copy_to(
        self, digest: str, dest: str, *, hardlink: bool = False, on_chunk: Callable[[int], None] | None = None
    ) -> None:
        tmp = f"{dest}.artiflow-{uuid.uuid4().hex[:8]}.tmp"
        try:
            self.fs.get_file(self._key(digest), tmp, **_callback(on_chunk))
            os.replace(tmp, dest)
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def keys(self) -> Iterator[str]:
        for p in self.fs.find(f"{self.base}/md5"):
            yield p[len(self.base) + 1 :]

    def delete(self, digest: str) -> None:
        self.fs.rm(self._key(digest))

    def key_info(self, key: str) -> tuple[int, float]:
        info = self.fs.info(f"{self.base}/{key}")
        modified = info.get("LastModified") or info.get("mtime") or info.get("created") or 0
        stamp = modified.timestamp() if hasattr(modified, "timestamp") else float(modified)
        return int(info.get("size") or 0), stamp

    def delete_key(self, key: str) -> None:
        self.fs.rm(f"{self.base}/{key}")

    def temp_keys(self) -> Iterator[str]:
        try:
            found = self.fs.find(f"{self.base}/tmp")
        except FileNotFoundError:
            return
        for p in found:
            yield p[len(self.base) + 1 :]


def _copy_data(fin: IO[bytes], fout: IO[bytes], on_chunk: Callable[[int], None] | None = None) -> None:
    """Copy between two open files inside the kernel (``sendfile``), through Python where it can't.

    ``shutil.copyfile`` does the same from paths, at the price of four more ``stat`` calls per
    file: that counts when a download is 10,000 small files.
    """
    offset = 0
    step = _SENDFILE_MAX if on_chunk is None else _SENDFILE_STEP
    try:
        while sent := os.sendfile(fout.fileno(), fin.fileno(), offset, step):
            offset += sent
            if on_chunk is not None:
                on_chunk(sent)
    except OSError as exc:  # e.g. ENOTSOCK where sendfile only writes to sockets (macOS)
        if offset or exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK, errno.EOPNOTSUPP):
            raise
        shutil.copyfileobj(fin, fout, 1 << 20)


def _callback(on_chunk: Callable[[int], None] | None) -> dict[str, Any]:
    """fsspec's ``callback=`` argument that forwards each transferred chunk to ``on_chunk``."""
    if on_chunk is None:
        return {}
    forward: Callable[[int], None] = on_chunk  # the nested class does not see the narrowing
    from fsspec.callbacks import Callback

    class _Chunks(Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.seen = 0  # set here: Callback answers any unknown attribute with a no-op method

        def call(self, *args: Any, **kwargs: Any) -> None:
            if isinstance(self.value, int) and self.value > self.seen:
                forward(self.value - self.seen)
                self.seen = self.value

    return {"callback": _Chunks()}


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

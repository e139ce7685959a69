"""Blobs on the local disk, through plain ``os`` calls (the hot path of the embedded default).

Every blob is written under ``tmp/`` and renamed to its content address, so a crash never leaves
a blob that looks valid. Reads hash what they copy and refuse bytes that do not match the address.

Durability (``durable=True``, the default): a blob's bytes reach stable storage (``fdatasync``)
before it is renamed to its address, so a name always holds its bytes, even after a power loss;
the directories that received new names are synced by :meth:`LocalBlobStore.sync`, once per
directory, which the store calls before the metadata commit that publishes them. Each file is
synced by the transfer thread that wrote it, so the waits overlap. One ``syncfs`` after the
writes was faster for 10,000 small files on the machine we measured (benchmarks/README.md), but
it flushes every other writer's dirty data on the filesystem too (a commit could wait for an
unrelated 10 GB copy), needs a second call to keep bytes ahead of names, and has no
portable Python binding; per-file syncs cost only what this store wrote.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from . import localcopy
from .blobkey import KEY_PREFIXES, blob_key, mismatch, quarantine_key, unlink_quietly
from .digests import MD5, Algorithm, b64_md5, blob_id, copy_and_hash, split_blob_id
from .errors import DigestMismatchError
from .writeback import Writeback



class LocalBlobStore:
    """Blobs under a local directory: ``md5/<hex[:2]>/<hex[2:]>`` (``xxh128/…`` for XXH128 digests),
    plus ``tmp/`` and ``quarantine/``. Every method but :meth:`put_file` names a blob by its
    :func:`~artiflow.digests.blob_id`."""

    def __init__(self, root: str | os.PathLike[str], *, durable: bool = True) -> None:
        self.root = Path(root).expanduser().absolute()
        self.durable = durable
        self.url = str(self.root)
        self._tmp = os.path.join(self.url, "tmp")  # paths are plain strings: these run once per file
        self._prefix = os.path.join(self.url, "")
        self._made: set[str] = set()
        self._lock = threading.Lock()
        self._unsynced: set[str] = set()  # directories given new entries since the last sync()
        self._sync_lock = threading.Lock()
        self._reflinks = localcopy.Reflinks()

    def path(self, digest: str) -> str:
        return f"{self._prefix}{blob_key(digest)}"  # not os.path.join: this runs once per file

    def has(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    def freshen(self, digest: str, size: int | None = None) -> bool:
        """Mark a blob a log reuses as just written (gc's grace counts from its mtime).

        False if it is missing, not ours to touch, or of another ``size`` (then it is quarantined):
        the caller stores it again.
        """
        path = self.path(digest)
        try:
            if size is not None and os.stat(path).st_size != size:
                self.quarantine(digest)
                return False
            os.utime(path)
        except (FileNotFoundError, PermissionError):
            return False
        return True

    def quarantine(self, digest: str) -> str | None:
        """Move a damaged blob out of its address; return where it went (None: already gone)."""
        key = quarantine_key(digest)
        dest = os.path.join(self.url, key)
        self._ensure_dir(os.path.dirname(dest))
        try:
            os.replace(self.path(digest), dest)
        except FileNotFoundError:
            return None
        return key

    def _ensure_dir(self, d: str) -> None:
        if d in self._made:
            return
        made = _makedirs(d)
        with self._lock:
            self._made.add(d)
            if self.durable:
                # The entries of new directories, and of ones another process may have just made
                # and not yet synced: once per directory and process, so a few syncs per store.
                self._unsynced.update(os.path.dirname(m) for m in made)
                self._unsynced.update(_ancestors(d, self.url))

    def sync(self) -> None:
        """Make every blob written so far durable: sync each directory that got new entries, once.

        Returns once they are on stable storage; the metadata commit that publishes the blobs
        comes after. A no-op for a store opened with ``durable=False``.

        >>> blobs = LocalBlobStore(tmp)
        >>> digest = blobs.put_bytes(b"hello\\n")
        >>> blobs.sync()
        """
        with self._sync_lock:  # a concurrent sync() returns only once the directories it took are synced
            with self._lock:
                pending, self._unsynced = self._unsynced, set()
            try:
                if len(pending) > 4:  # the waits overlap, as the transfer pool's do
                    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="artiflow-sync") as pool:
                        list(pool.map(fsync_dir, sorted(pending)))
                else:
                    for d in sorted(pending):
                        fsync_dir(d)
            except BaseException:
                with self._lock:
                    self._unsynced |= pending  # the next sync tries them again
                raise

    def _tmp_file(self) -> tuple[str, int]:
        self._ensure_dir(self._tmp)
        tmp = os.path.join(self._tmp, uuid.uuid4().hex)
        return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)

    def _publish(self, tmp: str, digest: str) -> None:
        final = self.path(digest)
        parent = os.path.dirname(final)
        self._ensure_dir(parent)
        os.replace(tmp, final)
        if self.durable:
            with self._lock:
                self._unsynced.add(parent)

    def put_file(
        self, src: str, expected: str | None = None, *, alg: Algorithm = MD5,
        on_chunk: Callable[[int], None] | None = None,
    ) -> tuple[str, int]:
        """Store ``src`` hashed with ``alg``; return its digest (not the blob id) and size."""
        tmp, fd = self._tmp_file()
        try:
            with open(src, "rb", buffering=0) as fin, open(fd, "wb", buffering=0) as fout:
                chunks = Writeback(fout.fileno(), on_chunk) if self.durable else on_chunk  # the sync overlaps the copy
                digest, size = copy_and_hash(fin, fout, alg=alg, on_chunk=chunks)
                if expected is not None and digest != expected:
                    raise DigestMismatchError(
                        f"{src} hashed to {digest}, expected {expected}; it changed while being stored."
                    )
                if self.durable:
                    sync_data(fout.fileno())  # the bytes are on disk before their address exists
            self._publish(tmp, blob_id(digest, alg))  # the address of exactly the bytes written
        except BaseException:
            unlink_quietly(tmp)
            raise
        return digest, size

    def put_bytes(self, data: bytes) -> str:
        digest = b64_md5(data)
        if self.freshen(digest, len(data)):
            return digest
        tmp, fd = self._tmp_file()
        try:
            with open(fd, "wb", buffering=0) as fout:
                fout.write(data)
                if self.durable:
                    sync_data(fout.fileno())
            self._publish(tmp, digest)
        except BaseException:
            unlink_quietly(tmp)
            raise
        return digest

    def read_bytes(self, digest: str) -> bytes:
        with self.open(digest) as f:
            return f.read()

    def open(self, digest: str) -> IO[bytes]:
        return open(self.path(digest), "rb")

    def copy_to(
        self,
        digest: str,
        dest: str,
        *,
        hardlink: bool = False,
        verify: bool = True,
        on_chunk: Callable[[int], None] | None = None,
        size: int | None = None,
    ) -> os.stat_result:
        """Materialise a blob at ``dest``: reflink where possible, else a copy; return ``dest``'s stat.

        With ``verify`` (the default) the bytes are hashed as they are copied (a reflinked or
        hardlinked file is hashed after linking) and land under ``dest`` only if they match
        ``digest``; else :class:`DigestMismatchError`. ``on_chunk(n)`` hears the bytes as they go
        (a reflink is reported whole). ``size``, the entry's, saves a ``stat`` of the blob.

        ``verify=False`` copies inside the kernel; a new file is then written in place (a
        third of the time of a small file): if the process dies mid-write, the partial file's
        size and time match no digest the cache knows, so the next download replaces it.
        See :mod:`artiflow.localcopy` for how each kind of copy is made.
        """
        src = self.path(digest)
        alg, expected = split_blob_id(digest)

        def on_mismatch(got: str) -> BaseException:
            return mismatch(self.url, digest, got)

        if hardlink:
            return localcopy.link(
                src, dest, expected if verify else None, alg, on_chunk=on_chunk, on_mismatch=on_mismatch
            )
        if not verify:
            return localcopy.copy_unverified(src, dest, reflinks=self._reflinks, on_chunk=on_chunk)
        return localcopy.copy_verified(
            src, dest, expected, alg, size=size, reflinks=self._reflinks, on_chunk=on_chunk,
            on_mismatch=on_mismatch,
        )

    def keys(self) -> Iterator[str]:
        for top in KEY_PREFIXES:
            base = self.root / top
            if not base.exists():
                continue
            for prefix in sorted(os.listdir(base)):
                for rest in sorted(os.listdir(base / prefix)):
                    yield f"{top}/{prefix}/{rest}"

    def delete(self, digest: str) -> None:
        unlink_quietly(self.path(digest))

    def key_info(self, key: str) -> tuple[int, float]:
        """``(size, modification time)`` of a stored key."""
        st = os.stat(os.path.join(self.root, key))
        return st.st_size, st.st_mtime

    def delete_key(self, key: str) -> None:
        unlink_quietly(os.path.join(self.root, key))

    def now(self) -> float:
        """The clock blob ages are measured against (this machine's)."""
        return time.time()

    def delete_if_stale(self, key: str, cutoff: float) -> bool:
        """Delete ``key`` unless it was written or freshened after ``cutoff``; True if deleted.

        The blob is first renamed away, so a log that freshens it from then on misses it and
        stores it again; one that freshened it before the rename left an mtime after ``cutoff``,
        and the blob is put back.
        """
        path = os.path.join(self.root, key)
        aside = os.path.join(self._tmp, f"gc-{uuid.uuid4().hex}")
        self._ensure_dir(self._tmp)
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            return False
        if os.stat(aside).st_mtime > cutoff:
            os.replace(aside, path)  # a log reuses it: back in place
            if self.durable:  # and it stays there after a power loss: the log's commit counts on it
                fsync_dir(os.path.dirname(path))
                fsync_dir(self._tmp)
            return False
        unlink_quietly(aside)
        return True

    def temp_keys(self) -> Iterator[str]:
        """Temporary files of writes in flight, or of writers that crashed."""
        if os.path.isdir(self._tmp):
            for name in sorted(os.listdir(self._tmp)):
                yield f"tmp/{name}"

    def abort_stale_uploads(self, cutoff: float, *, dry_run: bool = True) -> list[str]:
        """A local disk has no multipart uploads: a crashed write is a temp file (see temp_keys)."""
        return []


def sync_data(fd: int) -> None:
    """Flush a file's bytes to stable storage (``fdatasync``; on macOS ``F_FULLFSYNC``, as its
    ``fsync`` leaves them in the drive's cache)."""
    if hasattr(fcntl, "F_FULLFSYNC"):
        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
    elif hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:
        os.fsync(fd)


def fsync_dir(path: str) -> None:
    """Flush a directory's entries (names renamed or created in it) to stable storage."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        if hasattr(fcntl, "F_FULLFSYNC"):
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
        else:
            os.fsync(fd)
    finally:
        os.close(fd)


def _makedirs(d: str) -> list[str]:
    """``os.makedirs(d, exist_ok=True)`` that returns the directories it created, outermost first.

    One another process or thread made at the same moment counts as made here, so that its
    parent gets synced by this store too.
    """
    missing: list[str] = []
    head = d
    while not os.path.isdir(head):
        missing.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    for m in reversed(missing):
        try:
            os.mkdir(m)
        except FileExistsError:
            if not os.path.isdir(m):
                raise
    return missing[::-1]


def _ancestors(d: str, root: str) -> list[str]:
    """The directories from ``d``'s parent up to ``root`` (``d`` inside ``root``; else none)."""
    out: list[str] = []
    head = os.path.dirname(d)
    while len(head) >= len(root) and head.startswith(root):
        out.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    return out


__all__ = ["LocalBlobStore"]

"""Copying one blob out of a local store to a file, with as few system calls as the kernel allows.

A download of 10,000 small files costs what each file costs, so everything here works on raw file
descriptors (a buffered file object costs an ``fstat``, an ``ioctl`` and an ``lseek`` more) and
returns the finished file's ``stat`` read from its open descriptor, for the digest cache (no second
lookup by name).

- **Verified, small** (at most :data:`SMALL` bytes): the blob is read whole and hashed in memory;
  only bytes that match are written, with one ``write``, under the final name, created
  exclusively. A blob that does not match never creates a file. A crash in the middle of that
  write leaves a short file whose size and times no digest-cache row knows, so the next download
  replaces it (an existing file is replaced through a temporary name, as below).
- **Verified, large**: the bytes go to a temporary file next to the destination, hashed as they
  are copied (from :data:`PIPELINE` bytes on, on a second thread, so hashing a chunk overlaps
  writing it and reading the next), and the file is renamed into place only if they match. A
  reflink or a hard link shares the blob's extents; it is hashed after linking, so what is
  checked is what the destination holds.
- **Unverified**: a reflink where the filesystem has them, else a copy inside the kernel
  (``sendfile``), written in place; an existing file is replaced through a temporary name.

>>> from pathlib import Path
>>> blob, out = f"{tmp}/blob", f"{tmp}/out"
>>> _ = Path(blob).write_bytes(b"hello\\n")
>>> st = copy_verified(blob, out, "sZRqySSS0jR8YjW00mERhA==", "MD5", size=6, reflinks=Reflinks(),
...                    on_chunk=None, on_mismatch=ValueError)
>>> st.st_size, Path(out).read_bytes()
(6, b'hello\\n')
"""

from __future__ import annotations

import base64
import errno
import fcntl
import os
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from .digests import CHUNK, Algorithm, Hasher, hasher

SMALL = 1 << 20
"""Blobs up to this size are verified in memory and written with one ``write``."""

PIPELINE = 8 << 20
"""Blobs at least this large are hashed on a second thread while they are copied."""

_FICLONE = 0x40049409  # linux/fs.h: share extents (reflink) instead of copying bytes
_SENDFILE_MAX = 1 << 30  # bytes per sendfile call; Linux caps one call just under 2 GiB anyway
_SENDFILE_STEP = 16 << 20  # bytes per call when someone watches the progress
_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_CREATE_RW = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_MODE = 0o666  # what open() creates files with: the umask decides

OnChunk = Callable[[int], None] | None
OnMismatch = Callable[[str], BaseException]


class Reflinks:
    """Whether reflinks (``FICLONE``) are worth trying: learned from the first refusal.

    One per blob store; a filesystem that cannot reflink says so once, not once per file.
    """

    __slots__ = ("ok",)

    def __init__(self) -> None:
        self.ok = True

    def clone(self, fd_in: int, fd_out: int) -> bool:
        """Make ``fd_out`` share ``fd_in``'s extents; False where this filesystem cannot."""
        if not self.ok:
            return False
        try:
            fcntl.ioctl(fd_out, _FICLONE, fd_in)
            return True
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.ENOTTY, errno.EINVAL, errno.EXDEV, errno.ENOSYS):
                self.ok = exc.errno == errno.EXDEV  # another device may still work
                return False
            raise


def copy_verified(
    src: str, dest: str, expected: str, alg: Algorithm, *, size: int | None, reflinks: Reflinks,
    on_chunk: OnChunk, on_mismatch: OnMismatch,
) -> os.stat_result:
    """Copy ``src`` to ``dest`` if its bytes hash (with ``alg``) to ``expected``; else raise
    ``on_mismatch(got)`` and leave ``dest`` as it was. ``size`` is what the blob should hold (a
    hint: the bytes decide). Returns ``dest``'s stat."""
    fin = os.open(src, _READ)
    try:
        if size is None:
            size = os.fstat(fin).st_size
        if size <= SMALL:
            data = _read_whole(fin, size)
            if data is not None:
                got = _b64(hasher(alg), data)
                if got != expected:
                    raise on_mismatch(got)
                st = _write_new(dest, data)
                if on_chunk is not None:
                    on_chunk(len(data))
                return st
            os.lseek(fin, 0, os.SEEK_SET)  # longer than it should be: hash it all, as a large one
        return _verified_via_tmp(fin, dest, expected, alg, size, reflinks, on_chunk, on_mismatch)
    finally:
        os.close(fin)


def copy_unverified(src: str, dest: str, *, reflinks: Reflinks, on_chunk: OnChunk) -> os.stat_result:
    """Copy ``src`` to ``dest`` without hashing (a reflink where possible). Returns ``dest``'s stat."""
    fin = os.open(src, _READ)
    try:
        tmp = None
        try:
            fout = os.open(dest, _CREATE, _MODE)
        except FileExistsError:
            tmp = tmp_name(dest)
            fout = os.open(tmp, _CREATE, _MODE)
        try:
            if not reflinks.clone(fin, fout):
                _send(fin, fout, on_chunk)
            if tmp is not None:
                os.replace(tmp, dest)
            return os.fstat(fout)  # after the rename, which changes the ctime
        except BaseException:
            _unlink_quietly(tmp if tmp is not None else dest)  # ours: created just now
            raise
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def link(
    src: str, dest: str, expected: str | None, alg: Algorithm, *, on_chunk: OnChunk, on_mismatch: OnMismatch
) -> os.stat_result:
    """Hard-link ``src`` at ``dest``; with ``expected``, only if the linked bytes hash to it."""
    if expected is None:
        try:
            os.link(src, dest)
            return os.stat(dest)
        except FileExistsError:
            pass
    tmp = tmp_name(dest)
    os.link(src, tmp)
    try:
        if expected is not None:
            fd = os.open(tmp, _READ)
            try:
                got = _hash_fd(fd, alg, on_chunk)
            finally:
                os.close(fd)
            if got != expected:
                raise on_mismatch(got)
        os.replace(tmp, dest)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return os.stat(dest)


def tmp_name(dest: str) -> str:
    """A fresh temporary name next to ``dest`` (same directory: the rename stays atomic)."""
    return f"{dest}.artiflow-{uuid.uuid4().hex[:8]}.tmp"


def _verified_via_tmp(
    fin: int, dest: str, expected: str, alg: Algorithm, size: int, reflinks: Reflinks,
    on_chunk: OnChunk, on_mismatch: OnMismatch,
) -> os.stat_result:
    tmp = tmp_name(dest)
    fout = os.open(tmp, _CREATE_RW, _MODE)
    try:
        if reflinks.clone(fin, fout):
            got = _hash_fd(fout, alg, on_chunk)  # the extents dest now shares, read back
        elif size >= PIPELINE:
            got = _copy_hashed_pipelined(fin, fout, alg, on_chunk)
        else:
            got = _copy_hashed(fin, fout, alg, on_chunk)
        if got != expected:
            raise on_mismatch(got)
        os.replace(tmp, dest)
        return os.fstat(fout)  # after the rename, which changes the ctime
    except BaseException:
        _unlink_quietly(tmp)
        raise
    finally:
        os.close(fout)


def _read_whole(fd: int, size: int) -> bytes | None:
    """All of ``fd`` if it holds at most ``size`` bytes; None (part read) if it holds more."""
    data = os.read(fd, size + 1)
    while len(data) <= size:
        more = os.read(fd, size + 1 - len(data))
        if not more:
            return data
        data += more
    return None


def _write_new(dest: str, data: bytes) -> os.stat_result:
    try:
        fd = os.open(dest, _CREATE, _MODE)
    except FileExistsError:
        return _replace(dest, data)
    try:
        _write_all(fd, data)
        return os.fstat(fd)
    except BaseException:
        _unlink_quietly(dest)  # ours: created just now
        raise
    finally:
        os.close(fd)


def _replace(dest: str, data: bytes) -> os.stat_result:
    tmp = tmp_name(dest)
    fd = os.open(tmp, _CREATE, _MODE)
    try:
        _write_all(fd, data)
        os.replace(tmp, dest)
        return os.fstat(fd)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    written = os.write(fd, data)
    while written < len(data):  # a write may take less than asked: finish it
        written += os.write(fd, data[written:])


def _b64(h: Hasher, data: bytes) -> str:
    h.update(data)
    return base64.b64encode(h.digest()).decode()


def _hash_fd(fd: int, alg: Algorithm, on_chunk: OnChunk) -> str:
    """Hash ``fd`` from its start (``pread``: its offset does not matter)."""
    return _copy_hashed(fd, None, alg, on_chunk, pread=True)


def _copy_hashed(fin: int, fout: int | None, alg: Algorithm, on_chunk: OnChunk, *, pread: bool = False) -> str:
    h = hasher(alg)
    buf = bytearray(CHUNK)  # one buffer per file, not a new bytes object per chunk
    view = memoryview(buf)
    offset = 0
    while n := (os.preadv(fin, [buf], offset) if pread else os.readv(fin, [buf])):
        part = view[:n]
        h.update(part)
        if fout is not None:
            _write_all(fout, part)
        offset += n
        if on_chunk is not None:
            on_chunk(n)
    return base64.b64encode(h.digest()).decode()


def _copy_hashed_pipelined(fin: int, fout: int, alg: Algorithm, on_chunk: OnChunk) -> str:
    """:func:`_copy_hashed` with the hashing on a second thread, two buffers taking turns.

    Chunk ``k`` is hashed while it is written and chunk ``k + 1`` read; a buffer is refilled
    only once its hash is done. One hashing thread runs the updates in order. Hash functions
    release the GIL on large buffers, so the two threads run at once.
    """
    h = hasher(alg)
    bufs = (bytearray(CHUNK), bytearray(CHUNK))
    hashed: list[Future[None] | None] = [None, None]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="artiflow-hash") as pool:
        try:
            k = 0
            while True:
                turn = k & 1
                prev = hashed[turn]
                if prev is not None:
                    prev.result()  # this buffer's bytes are hashed: it may be refilled
                n = os.readv(fin, [bufs[turn]])
                if not n:
                    break
                part = memoryview(bufs[turn])[:n]
                hashed[turn] = pool.submit(h.update, part)
                _write_all(fout, part)
                if on_chunk is not None:
                    on_chunk(n)
                k += 1
        except BaseException:
            for fut in hashed:
                if fut is not None:
                    fut.cancel()  # a running one finishes as the pool shuts down
            raise
        for fut in hashed:
            if fut is not None:
                fut.result()
    return base64.b64encode(h.digest()).decode()


def _send(fin: int, fout: int, on_chunk: OnChunk) -> None:
    """Copy inside the kernel (``sendfile``), through Python where it can't."""
    offset = 0
    step = _SENDFILE_MAX if on_chunk is None else _SENDFILE_STEP
    try:
        while sent := os.sendfile(fout, fin, offset, step):
            offset += sent
            if on_chunk is not None:
                on_chunk(sent)
    except OSError as exc:  # e.g. ENOTSOCK where sendfile only writes to sockets (macOS)
        if offset or exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK, errno.EOPNOTSUPP):
            raise
        with open(fin, "rb", closefd=False) as r, open(fout, "wb", closefd=False) as w:
            shutil.copyfileobj(r, w, CHUNK)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


__all__ = ["PIPELINE", "SMALL", "Reflinks", "copy_unverified", "copy_verified", "link", "tmp_name"]

"""Start writing a new file to disk while it is still being written, so its ``fdatasync`` is short.

A durable blob store syncs each blob before renaming it into place. Synced only at the end, a 1 GiB
blob makes the log wait for the whole gigabyte to reach the disk after the copy; the kernel also
throttles a writer that has piled up that much dirty memory. Asking the kernel every 32 MiB to
start writing out what was just written (Linux ``sync_file_range(SYNC_FILE_RANGE_WRITE)``, which
does not wait) overlaps the disk's work with the copy; the final ``fdatasync`` then finds little
left, and remains the guarantee. Elsewhere (no ``sync_file_range``) this does nothing.

>>> seen = []
>>> chunks = Writeback(-1, seen.append)   # a bad descriptor: the request fails, quietly (a hint)
>>> chunks(STEP); seen == [STEP]
True
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable
from typing import Any

STEP = 32 << 20  # bytes written between two write-out requests
_SYNC_FILE_RANGE_WRITE = 2  # linux/fs.h: start write-out of dirty pages in the range, do not wait


@functools.cache
def _sync_file_range() -> Any | None:
    """libc's ``sync_file_range`` (Linux), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


class Writeback:
    """An ``on_chunk`` callback for writes to ``fd``: counts the bytes, asks for write-out every
    :data:`STEP` bytes, and passes each count on to ``forward`` (a progress meter), if any."""

    def __init__(self, fd: int, forward: Callable[[int], None] | None = None) -> None:
        self._fd = fd
        self._forward = forward
        self._fn = _sync_file_range()
        self._done = 0
        self._started = 0

    def __call__(self, n: int) -> None:
        self._done += n
        if self._fn is not None and self._done - self._started >= STEP:
            self._fn(self._fd, self._started, self._done - self._started, _SYNC_FILE_RANGE_WRITE)  # a hint: errors ignored
            self._started = self._done
        if self._forward is not None:
            self._forward(n)


__all__ = ["STEP", "Writeback"]

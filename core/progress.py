"""How ``Store.ingest`` and ``Store.materialize`` report progress to a caller's callback.

A callback is called as ``progress(done_bytes, total_bytes)``: after every file, and within a
large file as its bytes go by. If it also has a method ``files(done_files, total_files)``, that
is called just before each of those calls. Calls come from the store's worker threads, one at a
time.

>>> seen = []
>>> meter = Meter(lambda done, total: seen.append((done, total)), total_bytes=16 << 20, total_files=2)
>>> on_chunk = meter.file(8 << 20)
>>> on_chunk(4 << 20); meter.finish(on_chunk, 8 << 20); meter.finish(meter.file(8 << 20), 8 << 20)
>>> [d >> 20 for d, _ in seen]
[4, 8, 16]
"""

from __future__ import annotations

import threading
from collections.abc import Callable

IN_FILE = 4 << 20
"""Files at least this large are reported chunk by chunk as they are copied."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done_bytes, total_bytes)`` while files are hashed or copied."""


class _FileChunks:
    """The bytes of one file in flight: reported as they go, never more than the file's size."""

    __slots__ = ("meter", "seen", "limit")

    def __init__(self, meter: Meter, limit: int | None) -> None:
        self.meter = meter
        self.seen = 0
        self.limit = limit

    def __call__(self, n: int) -> None:
        if self.limit is not None:
            n = max(0, min(n, self.limit - self.seen))
        if n:
            self.seen += n
            self.meter._add(n, 0)


class Meter:
    """Sums bytes and files across threads for one ``progress`` callback (see the module docstring)."""

    def __init__(self, progress: Progress, *, total_bytes: int, total_files: int) -> None:
        self._progress = progress
        self._files_cb: Callable[[int, int], None] | None = getattr(progress, "files", None)
        self._total_bytes = total_bytes
        self._total_files = total_files
        self._bytes = 0
        self._files = 0
        self._lock = threading.Lock()

    def file(self, size: int | None) -> _FileChunks | None:
        """A per-chunk callback for one file of ``size`` bytes, to pass to the copy; ``None`` for a
        small file, which is reported once, when done."""
        return _FileChunks(self, size) if size is not None and size >= IN_FILE else None

    def finish(self, chunks: _FileChunks | None, size: int) -> None:
        """The file is done: count the rest of its ``size`` bytes and one more file."""
        self._add(max(0, size - (chunks.seen if chunks is not None else 0)), 1)

    def _add(self, n: int, files: int) -> None:
        with self._lock:
            self._bytes += n
            self._files += files
            if self._files_cb is not None:
                self._files_cb(self._files, self._total_files)
            elif not n:
                return  # nothing new for a callback that counts bytes only
            self._progress(self._bytes, self._total_bytes)

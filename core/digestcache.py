"""A machine-local cache of file digests, keyed by ``(device, inode, size, mtime_ns, ctime_ns)``.

Any write to a file changes its mtime or ctime, so a hit means the content is unchanged and need
not be read again. The cache is an optimisation only: losing it costs a re-hash, never correctness.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from .batches import batched

StatKey = tuple[int, int, int, int, int]


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class DigestCache:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(directory / "digests.db"), check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS digests (dev INTEGER, ino INTEGER, size INTEGER,"
                " mtime_ns INTEGER, ctime_ns INTEGER, digest TEXT NOT NULL,"
                " PRIMARY KEY (dev, ino, size, mtime_ns, ctime_ns)) WITHOUT ROWID"
            )
            self._db.commit()

    def get_many(self, keys: Iterable[StatKey]) -> dict[StatKey, str]:
        """The digests of the keys found: one query per device and batch of inodes, not per key."""
        wanted = set(keys)
        inodes: dict[int, set[int]] = {}
        for key in wanted:
            inodes.setdefault(key[0], set()).add(key[1])
        out: dict[StatKey, str] = {}
        with self._lock:
            for dev, inos in inodes.items():
                for chunk in batched(sorted(inos)):
                    rows = self._db.execute(
                        "SELECT dev, ino, size, mtime_ns, ctime_ns, digest FROM digests"
                        f" WHERE dev=? AND ino IN ({','.join('?' * len(chunk))})",
                        (dev, *chunk),
                    )
                    for row_dev, ino, size, mtime_ns, ctime_ns, digest in rows:
                        key = (row_dev, ino, size, mtime_ns, ctime_ns)
                        if key in wanted:  # an inode may also have rows for its older contents
                            out[key] = digest
        return out

    def put_many(self, items: Iterable[tuple[StatKey, str]]) -> None:
        rows = [(*k, d) for k, d in items]
        if not rows:
            return
        try:
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO digests VALUES (?,?,?,?,?,?)", rows)
                self._db.commit()
        except sqlite3.OperationalError:
            pass  # a busy cache only costs a re-hash next time

    def close(self) -> None:
        with self._lock:
            self._db.close()

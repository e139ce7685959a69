"""A machine-local cache of file digests, keyed by ``(device, inode, size, mtime_ns, ctime_ns)``.

Any write to a file changes its mtime or ctime, so a hit means the content is unchanged and need
not be read again. Each digest algorithm has its own table (a file logged with MD5 and with XXH128
has a row in each). The cache is a hint only: losing it costs a re-hash, never correctness. It is
opened on first use (a store that only reads objects never touches it), and a file that is not a
readable cache (a crash mid-write on a bad disk, garbage) is set aside and rebuilt, with a warning.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from .batches import batched
from .digests import ALGORITHMS, MD5, Algorithm, key_prefix

log = logging.getLogger(__name__)

StatKey = tuple[int, int, int, int, int]
# MD5's table keeps its first name, so caches written before XXH128 existed stay warm.
_TABLES: dict[str, str] = {a: "digests" if a == MD5 else f"digests_{key_prefix(a)}" for a in ALGORITHMS}


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class DigestCache:
    """Digests of local files by stat key, one table per algorithm (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "digests.db"
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        """The open cache (call with the lock held), set aside and rebuilt if unreadable."""
        if self._db is None:
            try:
                self._db = self._connect()
            except sqlite3.OperationalError:
                raise  # busy, locked or not writable: not damage, leave the file alone
            except sqlite3.DatabaseError as exc:
                log.warning("The digest cache %s is unreadable (%s); rebuilding it: files are hashed again once.",
                            self.path, exc)
                self._set_aside()
                self._db = self._connect()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            for table in _TABLES.values():
                db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (dev INTEGER, ino INTEGER, size INTEGER,"
                    " mtime_ns INTEGER, ctime_ns INTEGER, digest TEXT NOT NULL,"
                    " PRIMARY KEY (dev, ino, size, mtime_ns, ctime_ns)) WITHOUT ROWID"
                )
                db.execute(f"SELECT dev, ino, size, mtime_ns, ctime_ns, digest FROM {table} LIMIT 1").fetchall()
            db.commit()
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(f"{self.path}{suffix}", f"{self.path}.corrupt{suffix}")
            except FileNotFoundError:
                pass

    def _reset(self, exc: sqlite3.DatabaseError) -> None:
        """A cache found damaged after opening: forget it (call with the lock held)."""
        log.warning("The digest cache %s is damaged (%s); rebuilding it: files are hashed again once.",
                    self.path, exc)
        if self._db is not None:
            self._db.close()
            self._db = None
        self._set_aside()

    def get_many(self, keys: Iterable[StatKey], alg: Algorithm = MD5) -> dict[StatKey, str]:
        """The ``alg`` digests of the keys found: one query per device and batch of inodes, not per key."""
        table = _TABLES[alg]
        wanted = set(keys)
        inodes: dict[int, set[int]] = {}
        for key in wanted:
            inodes.setdefault(key[0], set()).add(key[1])
        out: dict[StatKey, str] = {}
        if not wanted:
            return out
        with self._lock:
            try:
                db = self._conn()
                for dev, inos in inodes.items():
                    for chunk in batched(sorted(inos)):
                        rows = db.execute(
                            f"SELECT dev, ino, size, mtime_ns, ctime_ns, digest FROM {table}"
                            f" WHERE dev=? AND ino IN ({','.join('?' * len(chunk))})",
                            (dev, *chunk),
                        )
                        for row_dev, ino, size, mtime_ns, ctime_ns, digest in rows:
                            key = (row_dev, ino, size, mtime_ns, ctime_ns)
                            if key in wanted and isinstance(digest, str):  # older contents have rows too
                                out[key] = digest
            except (sqlite3.OperationalError, OSError):
                return {}  # busy, locked or unwritable: only costs a re-hash
            except sqlite3.DatabaseError as exc:
                self._reset(exc)
                return {}
        return out

    def put_many(self, items: Iterable[tuple[StatKey, str]], alg: Algorithm = MD5) -> None:
        """Remember ``(key, digest)`` pairs, the digests made with ``alg``."""
        table = _TABLES[alg]
        rows = [(*k, d) for k, d in items]
        if not rows:
            return
        with self._lock:
            try:
                db = self._conn()
                db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?,?,?,?,?,?)", rows)
                db.commit()
            except (sqlite3.OperationalError, OSError):
                pass  # a busy cache only costs a re-hash next time
            except sqlite3.DatabaseError as exc:
                self._reset(exc)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

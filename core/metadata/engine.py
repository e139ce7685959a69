"""Engine-level helpers of the metadata store: which errors a write retries, and SQLite's setup."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


def disconnected(exc: Exception) -> bool:
    """True when the database connection was lost (not a query or constraint failure)."""
    if getattr(exc, "connection_invalidated", False):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return any(
        m in text for m in ("server closed the connection", "terminating connection", "connection reset",
                            "connection is closed", "ssl syscall error", "consuming input failed")
    )


def retryable(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, sa.exc.IntegrityError):
        return "unique" in text or "duplicate" in text
    return "locked" in text or "busy" in text or "deadlock" in text or "serializ" in text


def sqlite_setup(engine: Engine, *, durable: bool = True) -> None:
    # WAL with synchronous=FULL syncs the log at every commit, so a committed version survives a
    # power loss; NORMAL (scratch stores) survives a crash of the process but may lose the last
    # commits when the machine goes down.
    synchronous = "FULL" if durable else "NORMAL"

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, see _begin
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        if durable:
            cur.execute("PRAGMA fullfsync=ON")  # macOS: past the drive's cache too (no-op elsewhere)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the lock up front, so two never deadlock upgrading from a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("artiflow_write") else "BEGIN")

"""SQL for blob leases, and the lock that keeps gc's deletes apart from logs.

A log leases the blobs it will publish (:func:`take`) *before* it looks them up in the blob
store, and the transaction that commits its version checks that every lease is still held and
drops them (:func:`settle`). gc deletes blobs only inside :func:`gc_transaction`, where it reads
the leases (:func:`held`) and skips every blob one names. Lease takers and commits hold the gc
lock shared, gc holds it exclusively: on PostgreSQL a transaction-level advisory lock, on SQLite
the database write lock every write transaction takes (``BEGIN IMMEDIATE``). A commit also leaves
a mark (:data:`COMMIT_MARK`, kept :data:`MARK_SECONDS`), so gc knows when to read the live
manifests again instead of reading them for every batch.

Times are seconds since the epoch on the database's clock (PostgreSQL's ``clock_timestamp()``,
read after the lock is held; SQLite lives on the machine that opens it), so the clocks of the
machines running logs and gc never meet.

>>> take(store.metadata, "holder-1", ["md5/ab/cdef"], seconds=60)
>>> sorted(held(store.metadata, ["md5/ab/cdef", "md5/12/3456"]))
['md5/ab/cdef']
>>> release(store.metadata, "holder-1")
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from ..batches import batched
from . import schema as s

if TYPE_CHECKING:
    from .store import MetadataStore

T = TypeVar("T")

# pg_advisory_xact_lock's key for "gc is deleting blobs": b"artiflow" read as a big-endian int64.
GC_LOCK_KEY = int.from_bytes(b"artiflow", "big")

Held = tuple[str, Collection[str]]  # (holder, blob keys) a commit publishes under

COMMIT_MARK = "#commit"  # the key of the row a commit leaves behind (no blob key starts with "#")
MARK_SECONDS = 600.0  # how long it stays: gc reads the live manifests again at least twice as often


class LeaseLapsed(Exception):
    """Raised inside a commit whose leases on ``keys`` expired (or were never taken): renew, look again."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"{len(keys)} blob lease(s) lapsed before the commit")
        self.keys = keys


def lock_shared(conn: Connection) -> None:
    """Hold the gc lock shared until this transaction ends (lease takers and commits)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": GC_LOCK_KEY})


def lock_exclusive(conn: Connection) -> None:
    """Hold the gc lock exclusively until this transaction ends (a gc delete batch)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": GC_LOCK_KEY})


def db_now(conn: Connection) -> float:
    """The database's time, in seconds since the epoch (read it after taking the lock)."""
    if conn.dialect.name == "postgresql":
        return float(conn.execute(sa.text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())
    return time.time()


def take(md: MetadataStore, holder: str, keys: Iterable[str], *, seconds: float) -> None:
    """Lease ``keys`` for ``holder`` until ``seconds`` from now (a lease held already is extended).

    Its own short transaction, committed before the caller looks the blobs up: a gc batch that
    ran first has finished deleting, one that runs later sees the leases.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return
    t = s.blob_leases

    def tx(conn: Connection) -> None:
        lock_shared(conn)
        until = db_now(conn) + seconds
        insert = pg_insert(t) if conn.dialect.name == "postgresql" else sqlite_insert(t)
        stmt = insert.on_conflict_do_update(
            index_elements=[t.c.holder, t.c.key], set_={"expires_at": insert.excluded.expires_at}
        )
        for chunk in batched(wanted, 5000):
            conn.execute(stmt, [{"key": k, "holder": holder, "expires_at": until} for k in chunk])

    md.write(tx)


def settle(conn: Connection, held_: Held | None) -> None:
    """Inside a commit's transaction: check ``holder`` still leases every key, then drop its leases.

    Raises :class:`LeaseLapsed` (naming the keys) if one expired or is gone: gc may have deleted
    that blob since, so the caller renews the lease, looks the blob up again and retries. Every
    commit (``None``: one without leases) also leaves a mark gc finds (:func:`committed_since`).
    """
    holder, keys = held_ if held_ is not None else (uuid.uuid4().hex, ())
    lock_shared(conn)
    t = s.blob_leases
    now = db_now(conn)
    dropped = conn.execute(sa.delete(t).where(t.c.holder == holder).returning(t.c.key, t.c.expires_at)).all()
    valid = {k for k, until in dropped if until > now}
    lapsed = sorted(k for k in keys if k not in valid)
    if lapsed:
        raise LeaseLapsed(lapsed)  # the transaction rolls back: the leases are still there to renew
    conn.execute(sa.insert(t).values(holder=holder, key=COMMIT_MARK, expires_at=now + MARK_SECONDS))


def committed_since(conn: Connection, since: float) -> bool:
    """Whether a version (or collaborative part) was committed after ``since`` (database time).

    Exact for ``since`` read under the gc lock no longer than ``MARK_SECONDS`` ago: a commit holds
    the lock shared, so it committed wholly before that moment or marked itself after it.
    """
    t = s.blob_leases
    return conn.execute(
        sa.select(t.c.holder).where(t.c.key == COMMIT_MARK, t.c.expires_at > since + MARK_SECONDS).limit(1)
    ).first() is not None


def release(md: MetadataStore, holder: str) -> None:
    """Drop ``holder``'s leases (a log that failed; a committed one dropped them already)."""
    md.write(lambda conn: conn.execute(sa.delete(s.blob_leases).where(s.blob_leases.c.holder == holder)))


def held_in(conn: Connection, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` an unexpired lease names (inside a transaction holding the gc lock).

    The table holds only the leases of logs in flight (a commit drops its own), so it is read whole:
    that keeps a log's lease writes to one B-tree, ordered by holder.
    """
    t = s.blob_leases
    now = db_now(conn)
    wanted = set(keys)
    return {k for k in conn.execute(sa.select(t.c.key).where(t.c.expires_at > now)).scalars() if k in wanted}


def held(md: MetadataStore, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` an unexpired lease names now (a report: gc re-reads them before deleting)."""
    with md.engine.connect() as conn:
        return held_in(conn, keys)


def gc_transaction(md: MetadataStore, fn: Callable[[Connection], T]) -> T:
    """Run ``fn`` in a write transaction holding the gc lock exclusively: no lease is taken and no
    version committed meanwhile, so what ``fn`` reads stays true while it deletes."""

    def tx(conn: Connection) -> T:
        lock_exclusive(conn)
        return fn(conn)

    return md.write(tx)


def drop_expired(md: MetadataStore) -> int:
    """Delete leases that have lapsed (logs that crashed); returns how many."""

    def tx(conn: Connection) -> int:
        now = db_now(conn)
        result = conn.execute(sa.delete(s.blob_leases).where(s.blob_leases.c.expires_at <= now))
        return int(result.rowcount or 0)

    return md.write(tx)

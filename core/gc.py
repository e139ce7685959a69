"""Garbage collection: find (and remove) blobs no live version references.

Blobs become garbage when a commit never happened (a crash between upload and commit, a draft
that was never logged) or when versions are deleted. A blob is live if a committed version's
manifest, or a part of an open collaborative version, refers to it. Blobs younger than the grace
period are left alone even when unreferenced: they may belong to a commit still in flight.

Why a commit in flight never loses a blob: a log leases every blob it will publish before it
looks the blob up (or after writing it, and then looks again), in a transaction of its own, and
its commit checks the leases are still held and drops them in the version's own transaction
(:mod:`artiflow.leases`). gc deletes only in batches, each in a transaction holding the gc lock
exclusively (lease takers and commits hold it shared: a PostgreSQL advisory lock, SQLite's write
lock); inside it gc reads the leases and the manifests that became live since its last look
(every commit leaves a mark that says so), and skips every blob either names. A lease taken
before a batch is seen by it; one taken after it comes before the log's look-up, which then
finds the blob gone and stores it again; and a commit before a batch makes its blobs live. Age still matters too (the grace, checked again just
before each delete), and a live manifest that cannot be read stops gc before anything is deleted:
without it gc cannot know which blobs that version needs.

>>> digest = store.blobs.put_bytes(b"never logged")       # a blob no version refers to
>>> collect_garbage(store).orphans                         # within the grace period: kept
[]
>>> report = collect_garbage(store, dry_run=True, now=time.time() + 2 * 3600)
>>> report.orphans, report.orphan_bytes
(['md5/...'], 12)
"""

from __future__ import annotations

import importlib
import time
from datetime import UTC, datetime
from dataclasses import dataclass, field
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from .batches import batched
from .blobs import blob_key
from .errors import ArtifactNotFoundError, DigestMismatchError, StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .store import Store

DEFAULT_GRACE_SECONDS = 3600.0
MIN_GRACE_SECONDS = 600.0  # below this, gc may delete blobs a log has written but not leased yet
DELETE_BATCH = 100  # orphans deleted per transaction holding the gc lock (logs wait for it meanwhile)


@dataclass(frozen=True)
class GcReport:
    live: int
    orphans: list[str] = field(default_factory=list)
    orphan_bytes: int = 0
    young: list[str] = field(default_factory=list)
    leased: list[str] = field(default_factory=list)  # unreferenced, but a log in flight is about to publish them
    temp: list[str] = field(default_factory=list)
    deleted: bool = False
    uploads: list[str] = field(default_factory=list)  # incomplete multipart uploads (object stores)


def live_keys(store: Store, manifests: set[str] | None = None) -> set[str]:
    """Every blob a live manifest names (or one of ``manifests``); :class:`StoreError` if one cannot be read."""
    keys: set[str] = set()
    unreadable: list[str] = []
    for manifest_digest in sorted(store.metadata.live_manifest_digests() if manifests is None else manifests):
        keys.add(blob_key(manifest_digest))
        try:
            manifest = store.read_manifest(manifest_digest, f"manifest {blob_key(manifest_digest)}")
        except (ArtifactNotFoundError, DigestMismatchError):
            unreadable.append(blob_key(manifest_digest))
            continue
        keys.update(blob_key(e.blob) for e in manifest if e.ref is None)
    if unreadable:
        raise StoreError(
            f"gc deleted nothing{' more' if manifests is not None else ''}: {len(unreadable)} live manifest(s) "
            f"are missing or damaged ({', '.join(unreadable[:3])}), so the blobs they need are unknown; "
            "`artiflow verify` the versions and restore those manifests first."
        )
    return keys


def collect_garbage(
    store: Store, *, dry_run: bool = True, grace_seconds: float = DEFAULT_GRACE_SECONDS, now: float | None = None
) -> GcReport:
    """Report unreferenced blobs and stale temp files; delete them unless ``dry_run``.

    Ages are measured on the blob store's own clock; ``now`` (a time on this machine's clock)
    pretends the present is elsewhere, e.g. ``time.time() + 7200`` to treat every blob as two hours older.
    Blobs a log in flight has leased are kept whatever their age (``leased``).
    """
    leases = _leases()
    seen = _Seen.now(store, leases, locked=not dry_run)
    live = seen.keys
    offset = 0.0 if now is None else now - time.time()
    cutoff = store.blobs.now() + offset - grace_seconds
    candidates: list[tuple[str, int]] = []
    young: list[str] = []
    for key in store.blobs.keys():
        if key in live:
            continue
        try:
            nbytes, modified = store.blobs.key_info(key)
        except FileNotFoundError:  # deleted meanwhile (another gc, a quarantine)
            continue
        if modified > cutoff:
            young.append(key)
            continue
        candidates.append((key, nbytes))
    temp = [k for k in store.blobs.temp_keys() if _older(store, k, cutoff)]
    if dry_run:
        held = leases.held(store.metadata, [k for k, _ in candidates])
        orphans = [(k, n) for k, n in candidates if k not in held]
    else:
        orphans, held = [], set()
        for batch in batched(candidates, DELETE_BATCH):
            gone, kept = leases.gc_transaction(store.metadata, _deleter(store, leases, batch, seen, cutoff))
            orphans += gone
            held |= kept
        for key in temp:
            store.blobs.delete_key(key)
        leases.drop_expired(store.metadata)
    uploads = store.blobs.abort_stale_uploads(cutoff, dry_run=dry_run)
    return GcReport(
        len(live), [k for k, _ in orphans], sum(n for _, n in orphans), young, sorted(held), temp,
        deleted=not dry_run, uploads=uploads,
    )


@dataclass
class _Seen:
    """What gc knows is live: the live manifests, the blobs they name, and when (database time,
    under the gc lock) the manifests were read."""

    manifests: set[str]
    keys: set[str]
    read_at: float

    @classmethod
    def now(cls, store: Store, leases: ModuleType, *, locked: bool) -> _Seen:
        md = store.metadata
        if locked:  # read under the lock: every commit is then wholly before it, or marked after it
            read_at, manifests = leases.gc_transaction(
                md, lambda conn: (leases.db_now(conn), md.live_manifest_digests(conn))
            )
        else:
            read_at, manifests = 0.0, md.live_manifest_digests()
        return cls(manifests, live_keys(store, manifests), read_at)

    def refresh(self, store: Store, leases: ModuleType, conn: Connection) -> None:
        """Inside a delete batch: read the live manifests again if anything was committed since they
        were read (a commit's mark), or if that is half a mark's lifetime ago (before marks lapse)."""
        at = leases.db_now(conn)
        if at < self.read_at + leases.MARK_SECONDS / 2 and not leases.committed_since(conn, self.read_at):
            return
        new = store.metadata.live_manifest_digests(conn) - self.manifests
        if new:  # their blobs are live now
            self.keys.update(live_keys(store, new))
            self.manifests.update(new)
        self.read_at = at


def _deleter(
    store: Store, leases: ModuleType, batch: list[tuple[str, int]], seen: _Seen, cutoff: float
) -> Callable[[Connection], tuple[list[tuple[str, int]], set[str]]]:
    """One delete batch, run holding the gc lock: what is leased or became live since is kept."""

    def tx(conn: Connection) -> tuple[list[tuple[str, int]], set[str]]:
        seen.refresh(store, leases, conn)
        live = seen.keys
        held: set[str] = leases.held_in(conn, [k for k, _ in batch if k not in live])
        gone = [(k, n) for k, n in batch if k not in live and k not in held and store.blobs.delete_if_stale(k, cutoff)]
        return gone, held

    return tx


def expire_versions(store: Store, *, dry_run: bool = True, now: datetime | None = None) -> list[str]:
    """Soft-delete (unless ``dry_run``) the committed versions whose ``ttl`` has passed; returns their refs.

    Their aliases go with them; the blobs only they used are then orphans for :func:`collect_garbage`.
    """
    refs: list[str] = []
    # loaded on use: the command line imports this module for its help text, without the database stack
    versioninfo = importlib.import_module("artiflow.metadata.versioninfo")
    for vid in versioninfo.expired(store.metadata, now or datetime.now(UTC)):
        if dry_run:
            refs.append(store.metadata.get_version(vid).ref)
            continue
        rec = store.metadata.delete_version(vid, delete_aliases=True)
        store.lineage().set_state(rec.id, rec.state)
        refs.append(rec.ref)
    return refs


def _leases() -> ModuleType:
    # loaded on use: the command line imports this module for its help text, without the database stack
    return importlib.import_module("artiflow.metadata.leases")


def _older(store: Store, key: str, cutoff: float) -> bool:
    try:
        return store.blobs.key_info(key)[1] <= cutoff
    except FileNotFoundError:  # finished (or collected) meanwhile
        return False

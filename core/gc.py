"""Garbage collection: find (and remove) blobs no live version references.

Blobs become garbage when a commit never happened (a crash between upload and commit, a draft
that was never logged) or when versions are deleted. A blob is live if a committed version's
manifest, or a part of an open collaborative version, refers to it. Blobs younger than the grace
period are left alone even when unreferenced: they may belong to a commit still in flight.

Why a commit in flight never loses a blob: a log that reuses a stored blob instead of writing it
freshens it first (a new mtime, or an S3 copy onto itself), and the commit checks that every blob
its manifest names still exists. gc looks at each blob's age again just before deleting it (on a
local disk it renames the blob away first, so a log freshening it from then on misses and stores
it again). A live manifest that cannot be read stops gc before anything is deleted: without it gc
cannot know which blobs that version needs.

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
from typing import TYPE_CHECKING

from .blobs import blob_key
from .errors import ArtifactNotFoundError, DigestMismatchError, StoreError

if TYPE_CHECKING:
    from .store import Store

DEFAULT_GRACE_SECONDS = 3600.0
MIN_GRACE_SECONDS = 600.0  # below this, gc may delete a blob a slow commit is still about to publish


@dataclass(frozen=True)
class GcReport:
    live: int
    orphans: list[str] = field(default_factory=list)
    orphan_bytes: int = 0
    young: list[str] = field(default_factory=list)
    temp: list[str] = field(default_factory=list)
    deleted: bool = False
    uploads: list[str] = field(default_factory=list)  # incomplete multipart uploads (object stores)


def live_keys(store: Store) -> set[str]:
    """Every blob a live manifest names; :class:`StoreError` if a live manifest cannot be read."""
    keys: set[str] = set()
    unreadable: list[str] = []
    for manifest_digest in sorted(store.metadata.live_manifest_digests()):
        keys.add(blob_key(manifest_digest))
        try:
            manifest = store.read_manifest(manifest_digest, f"manifest {blob_key(manifest_digest)}")
        except (ArtifactNotFoundError, DigestMismatchError):
            unreadable.append(blob_key(manifest_digest))
            continue
        keys.update(blob_key(e.blob) for e in manifest if e.ref is None)
    if unreadable:
        raise StoreError(
            f"gc deleted nothing: {len(unreadable)} live manifest(s) are missing or damaged "
            f"({', '.join(unreadable[:3])}), so the blobs they need are unknown; "
            "`artiflow verify` the versions and restore those manifests first."
        )
    return keys


def collect_garbage(
    store: Store, *, dry_run: bool = True, grace_seconds: float = DEFAULT_GRACE_SECONDS, now: float | None = None
) -> GcReport:
    """Report unreferenced blobs and stale temp files; delete them unless ``dry_run``.

    Ages are measured on the blob store's own clock; ``now`` (a time on this machine's clock)
    pretends the present is elsewhere, e.g. ``time.time() + 7200`` to treat every blob as two hours older.
    """
    live = live_keys(store)
    offset = 0.0 if now is None else now - time.time()
    cutoff = store.blobs.now() + offset - grace_seconds
    orphans: list[str] = []
    sizes: list[int] = []
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
        orphans.append(key)
        sizes.append(nbytes)
    size = sum(sizes)
    temp = [k for k in store.blobs.temp_keys() if _older(store, k, cutoff)]
    if not dry_run:
        deleted = [k for k in orphans if store.blobs.delete_if_stale(k, cutoff)]  # age checked again
        if len(deleted) < len(orphans):
            size = sum(n for k, n in zip(orphans, sizes, strict=True) if k in set(deleted))
            orphans = deleted
        for key in temp:
            store.blobs.delete_key(key)
    uploads = store.blobs.abort_stale_uploads(cutoff, dry_run=dry_run)
    return GcReport(len(live), orphans, size, young, temp, deleted=not dry_run, uploads=uploads)


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


def _older(store: Store, key: str, cutoff: float) -> bool:
    try:
        return store.blobs.key_info(key)[1] <= cutoff
    except FileNotFoundError:  # finished (or collected) meanwhile
        return False

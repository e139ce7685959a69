"""Garbage collection: find (and remove) blobs no live version references.

Blobs become garbage when a commit never happened (a crash between upload and commit, a draft
that was never logged) or when versions are deleted. A blob is live if a committed version's
manifest, or a part of an open collaborative version, refers to it. Blobs younger than the grace
period are left alone even when unreferenced: they may belong to a commit still in flight.

>>> digest = store.blobs.put_bytes(b"never logged")       # a blob no version refers to
>>> collect_garbage(store).orphans                         # within the grace period: kept
[]
>>> report = collect_garbage(store, dry_run=True, now=time.time() + 2 * 3600)
>>> report.orphans, report.orphan_bytes
(['md5/...'], 12)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .blobs import blob_key

if TYPE_CHECKING:
    from .store import Store

DEFAULT_GRACE_SECONDS = 3600.0


@dataclass(frozen=True)
class GcReport:
    live: int
    orphans: list[str] = field(default_factory=list)
    orphan_bytes: int = 0
    young: list[str] = field(default_factory=list)
    temp: list[str] = field(default_factory=list)
    deleted: bool = False


def live_keys(store: Store) -> set[str]:
    from .manifest import Manifest  # pydantic: loaded by a collection, not by ``artiflow --help``

    keys: set[str] = set()
    for manifest_digest in store.metadata.live_manifest_digests():
        keys.add(blob_key(manifest_digest))
        try:
            manifest = Manifest.from_json(store.blobs.read_bytes(manifest_digest))
        except FileNotFoundError:
            continue
        keys.update(blob_key(e.digest) for e in manifest if e.ref is None)
    return keys


def collect_garbage(
    store: Store, *, dry_run: bool = True, grace_seconds: float = DEFAULT_GRACE_SECONDS, now: float | None = None
) -> GcReport:
    """Report unreferenced blobs and stale temp files; delete them unless ``dry_run``."""
    live = live_keys(store)
    cutoff = (time.time() if now is None else now) - grace_seconds
    orphans: list[str] = []
    young: list[str] = []
    size = 0
    for key in store.blobs.keys():
        if key in live:
            continue
        nbytes, modified = store.blobs.key_info(key)
        if modified > cutoff:
            young.append(key)
            continue
        orphans.append(key)
        size += nbytes
    temp = [k for k in store.blobs.temp_keys() if store.blobs.key_info(k)[1] <= cutoff]
    if not dry_run:
        for key in [*orphans, *temp]:
            store.blobs.delete_key(key)
    return GcReport(len(live), orphans, size, young, temp, deleted=not dry_run)

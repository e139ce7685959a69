"""A log's leases on the blobs it is about to publish, so that gc leaves them alone until the commit.

Every blob a version names is leased, then looked up (or written) in the blob store, then
committed; gc deletes only under a lock that excludes the first and the last step, and skips
leased blobs (``metadata.leases`` has the SQL, ``gc`` the other side). A blob is *checked* once
it was found (or written) after its lease was committed: only then does its existence count.

>>> with store.lease() as lease:
...     lease.take(["1B2M2Y8AsgTpgAmY7PhCfg=="])   # the empty blob's digest
...     lease.keys()
['md5/d4/1d8cd98f00b204e9800998ecf8427e']
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn, TypeVar

from .blobkey import blob_key
from .digests import b64_md5
from .errors import ArtifactNotFoundError
from .manifest import Manifest, ManifestEntry
from .metadata import leases
from .metadata.leases import Held, LeaseLapsed

if TYPE_CHECKING:
    from .blobs import BlobStore
    from .metadata import MetadataStore

T = TypeVar("T")

LEASE_SECONDS = 6 * 3600.0
"""How long a lease lasts: a log whose commit comes later renews it and looks its blobs up again;
a log that crashed holds its blobs from gc this long."""


class Lease:
    """The leases of one log (one version, or one part of a collaborative version)."""

    def __init__(self, metadata: MetadataStore, seconds: float = LEASE_SECONDS) -> None:
        self.holder = uuid.uuid4().hex
        self.seconds = seconds
        self._metadata = metadata
        self._lock = threading.Lock()
        self._taken: dict[str, str] = {}  # blob id -> blob key
        self._checked: set[str] = set()  # blob ids found in the blob store after their lease

    def take(self, blobs: Iterable[str]) -> None:
        """Lease (in one transaction) those of ``blobs`` (blob ids) not leased yet; do it before looking them up."""
        with self._lock:
            new = {b: blob_key(b) for b in blobs if b not in self._taken}
        if new:
            leases.take(self._metadata, self.holder, new.values(), seconds=self.seconds)
            with self._lock:
                self._taken.update(new)

    def renew(self, keys: Iterable[str]) -> list[str]:
        """Lease ``keys`` again (they lapsed); returns their blob ids, which must now be looked up again."""
        lapsed = set(keys)
        with self._lock:
            blobs = [b for b, k in self._taken.items() if k in lapsed]
            self._checked.difference_update(blobs)
        leases.take(self._metadata, self.holder, (blob_key(b) for b in blobs), seconds=self.seconds)
        return blobs

    def found(self, blobs: Iterable[str]) -> None:
        """Record that these leased blobs were found (or written) after their lease was taken."""
        with self._lock:
            self._checked.update(b for b in blobs if b in self._taken)

    def unchecked(self, blobs: Iterable[str]) -> list[str]:
        """Those of ``blobs`` not found since they were leased (in order, once each)."""
        with self._lock:
            return [b for b in dict.fromkeys(blobs) if b not in self._checked]

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._taken.values())

    def held(self) -> leases.Held:
        """What a commit checks and drops in its transaction: this holder and every key it leased."""
        return self.holder, self.keys()

    def settled(self) -> None:
        """The commit dropped the leases in its transaction: nothing is left to release."""
        with self._lock:
            self._taken = {}
            self._checked.clear()

    def release(self) -> None:
        """Drop the leases (a commit already dropped them; then this costs one small statement)."""
        with self._lock:
            taken, self._taken = self._taken, {}
            self._checked.clear()
        if taken:
            leases.release(self._metadata, self.holder)

    def __enter__(self) -> Lease:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class LeasedWrites:
    """The :class:`~artiflow.store.Store`'s side of leasing: look blobs up under a lease, commit under it."""

    blobs: BlobStore
    metadata: MetadataStore
    lease_seconds: float

    def _each(self, fn: Callable[[int], None], n: int) -> None:  # provided by Store
        raise NotImplementedError

    def lease(self) -> Lease:
        """Leases for one log's blobs: gc deletes none of them until the commit (``with`` releases them)."""
        return Lease(self.metadata, self.lease_seconds)

    def freshen(self, entries: Iterable[ManifestEntry], *, lease: Lease) -> None:
        """Lease, then refresh, the stored blobs of entries a log reuses without writing them
        (``new_draft()``'s); a missing one is left for :meth:`require_blobs` to report."""
        wanted = [e for e in entries if e.ref is None]
        lease.take(e.blob for e in wanted)
        ok: list[str] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            if self.blobs.freshen(wanted[i].blob, wanted[i].size):
                with lock:
                    ok.append(wanted[i].blob)

        self._each(one, len(wanted))
        lease.found(ok)

    def missing_blobs(self, blobs: Iterable[str]) -> list[str]:
        """Those of ``blobs`` (blob ids) the blob store lacks (looked up in parallel on object stores)."""
        check = list(dict.fromkeys(blobs))
        missing: list[str] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            if not self.blobs.has(check[i]):
                with lock:
                    missing.append(check[i])

        self._each(one, len(check))
        return missing

    def require_blobs(self, manifest: Manifest, label: str, *, lease: Lease) -> None:
        """Refuse to publish ``manifest`` if a blob it names is missing from the store.

        Each blob is leased, and looked up unless it was found since its lease was taken:
        from then on gc leaves it alone, so what this finds stays true until the commit.
        """
        stored = [e for e in manifest if e.ref is None]
        blobs = [e.blob for e in stored]
        lease.take(blobs)
        gone = set(self.missing_blobs(lease.unchecked(blobs)))
        lease.found(b for b in blobs if b not in gone)
        if gone:
            self._missing([e for e, b in zip(stored, blobs, strict=True) if b in gone], label)

    def _missing(self, missing: list[ManifestEntry], label: str) -> NoReturn:
        first = sorted(missing, key=lambda e: e.path)[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ArtifactNotFoundError(
            f"{first.path}{more} of {label} is missing from {self.blobs.url} (blob {blob_key(first.blob)}, "
            "deleted with its version and collected by gc); add the file again, then log."
        )

    def put_manifest(self, manifest: Manifest, *, lease: Lease) -> str:
        """Store ``manifest``'s JSON (leased first, like every blob a commit publishes); its digest."""
        data = manifest.to_json()
        digest = b64_md5(data)
        lease.take([digest])
        self.blobs.put_bytes(data)
        lease.found([digest])
        return digest

    def settle(self, lease: Lease, commit: Callable[[Held], T], manifest: Manifest, label: str) -> T:
        """Run ``commit`` (a transaction that checks and drops the leases); renew lapsed leases and retry.

        A lease lapses when a log takes longer than :data:`~artiflow.leases.LEASE_SECONDS`: gc
        may then have deleted the blob, so it is leased again and looked up before the retry.
        """
        for _ in range(3):
            try:
                result = commit(lease.held())
            except LeaseLapsed as exc:
                again = lease.renew(exc.keys)
                gone = set(self.missing_blobs(again))
                lease.found(d for d in again if d not in gone)
                if lost := [e for e in manifest if e.ref is None and e.blob in gone]:
                    self._missing(lost, label)
                if gone:  # the manifest blob itself: store it again (after its new lease)
                    self.put_manifest(manifest, lease=lease)
                    self.blobs.sync()
                continue
            lease.settled()
            return result
        raise ArtifactNotFoundError(f"The blob leases of {label} kept lapsing before its commit; log again.")


__all__ = ["LEASE_SECONDS", "Lease", "LeasedWrites"]

"""The Store: blobs (fsspec), metadata (SQL) and the lineage graph, behind one object.

>>> store = Store.open(home=tmp)
>>> store.metadata.list_projects()
[]
>>> store.close()
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from . import names
from .batches import by_size, striped
from .blobs import BlobStore, LocalBlobStore, blob_key, open_blob_store
from .digestcache import DigestCache, stat_key
from .digests import MD5, Algorithm, b64_md5, blob_id, copy_and_hash
from .errors import ArtifactNotFoundError, DigestMismatchError, TypeCollisionError
from .leases import LEASE_SECONDS, Lease, LeasedWrites
from .manifest import Manifest, ManifestEntry, stored_entry
from . import openlineage
from .metadata import MetadataStore, NewVersion, RunRecord, VersionRecord
from .metadata.lineage import SqlLineageSource
from .metadata.store import type_collision_message
from .progress import IN_FILE, Meter, Progress
from .references import ARTIFACT_SCHEME, fetch_reference
from .settings import Settings
from .staging import StagedFile
from artiflow.lineage import LineageGraph

log = logging.getLogger(__name__)


class RunListener(Protocol):
    """Told when a run starts and finishes (the OpenLineage exporter is one)."""

    def run_started(self, store: Store, run: RunRecord) -> None: ...

    def run_finished(self, store: Store, run: RunRecord, error: BaseException | None) -> None: ...


@dataclass(frozen=True, slots=True)
class CommitResult:
    version: VersionRecord
    manifest: Manifest
    created: bool


class Store(LeasedWrites):
    """Everything artiflow keeps: build one with :meth:`open`, share it between runs and threads."""

    def __init__(
        self,
        *,
        settings: Settings,
        metadata: MetadataStore,
        blobs: BlobStore,
        digest_cache: DigestCache | None,
        listeners: Iterable[RunListener] = (),
    ) -> None:
        self.settings = settings
        self.listeners: list[RunListener] = list(listeners)
        self.metadata = metadata
        self.blobs = blobs
        self.digest_cache = digest_cache
        self._lineage = LineageGraph(source=SqlLineageSource(metadata))
        self._manifests: OrderedDict[str, Manifest] = OrderedDict()
        self._manifest_lock = threading.Lock()
        self.lease_seconds = LEASE_SECONDS

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        home: str | os.PathLike[str] | None = None,
        database_url: str | None = None,
        storage_url: str | None = None,
        durable: bool | None = None,
    ) -> Store:
        """Open (creating if needed) the store the settings describe; explicit arguments win.

        ``durable=False`` opens a scratch store: faster commits, which a power loss may undo
        (see ``Settings.durable``).
        """
        overrides: dict[str, Any] = {}
        if home is not None:
            overrides["home"] = Path(home)  # model_copy does not validate: a str would stay a str
        if database_url is not None:
            overrides["database_url"] = database_url
        if storage_url is not None:
            overrides["storage_url"] = storage_url
        if durable is not None:
            overrides["durable"] = durable
        settings = settings or Settings()
        if overrides:
            settings = settings.model_copy(update=overrides)
        return cls(
            settings=settings,
            metadata=MetadataStore(
                settings.database, busy_timeout=settings.sqlite_busy_timeout,
                heartbeat_timeout=settings.heartbeat_timeout, durable=settings.durable,
            ),
            blobs=open_blob_store(settings.storage, settings.storage_options, durable=settings.durable),
            digest_cache=DigestCache(settings.cache),
            listeners=[openlineage.Exporter(settings)] if openlineage.enabled(settings) else [],
        )

    def close(self) -> None:
        self.metadata.close()
        if self.digest_cache is not None:
            self.digest_cache.close()

    def __repr__(self) -> str:
        return f"Store(database={self.metadata.display_url!r}, storage={self.blobs.url!r})"

    # -- runs ----------------------------------------------------------------------------------

    def start_run(
        self, *, run_id: str, project: str, name: str, group: str | None, job_type: str | None,
        config: dict[str, Any], details: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Record a new (or resumed) run and tell the listeners (``details``: W&B fields, host, pid)."""
        record = self.metadata.create_run(
            run_id=run_id, project=project, name=name, group=group, job_type=job_type, config=config,
            details=details,
        )
        for listener in self.listeners:
            listener.run_started(self, record)
        return record

    def finish_run(self, run_id: str, *, exit_code: int | None, error: BaseException | None = None) -> RunRecord:
        """Mark a run finished (``exit_code`` 0 or None) or failed, and tell the listeners."""
        state = "finished" if not exit_code else "failed"
        record = self.metadata.finish_run(run_id, state=state, exit_code=exit_code)
        for listener in self.listeners:
            listener.run_finished(self, record, error)
        return record

    # -- lineage -------------------------------------------------------------------------------

    def lineage(self) -> LineageGraph:
        """The lineage graph, in step with records any process wrote.

        It loads lazily: a node's edges come from the database the first time a query reaches it.
        """
        self._lineage.sync()
        return self._lineage

    def check_type(self, project: str, name: str, type_: str) -> None:
        existing = self.lineage().collection_type(project, name)
        if existing is not None and existing != type_:
            raise TypeCollisionError(type_collision_message(name, existing, type_))

    # -- writing -------------------------------------------------------------------------------

    def ingest(
        self, files: Iterable[StagedFile], progress: Progress | None = None, alg: Algorithm = MD5, *, lease: Lease
    ) -> list[ManifestEntry]:
        """Hash (with ``alg``) and store local files, reading each byte once; unchanged files are not re-read.

        Every blob is leased before it is looked up (a reused one) or after it is written (then
        it is looked up once more), so gc cannot delete it between that look-up and the commit.
        """
        staged = list(files)
        keys = [f.check_unchanged() for f in staged]
        cached = self.digest_cache.get_many(keys, alg) if self.digest_cache else {}
        lease.take(blob_id(d, alg) for d in cached.values())
        entries: list[ManifestEntry | None] = [None] * len(staged)
        todo: list[int] = []
        reused: list[str] = []
        for i, (f, key) in enumerate(zip(staged, keys, strict=True)):
            digest = cached.get(key)
            # Reusing a blob refreshes it (a gc without leases counts its grace from now); it was
            # leased first, so finding it here means gc leaves it alone until the commit.
            if digest is not None and self.blobs.freshen(blob_id(digest, alg), f.size):
                entries[i] = _entry(f, digest, alg)
                reused.append(blob_id(digest, alg))
            else:
                todo.append(i)
        lease.found(reused)
        total = sum(staged[i].size for i in todo)
        lock = threading.Lock()
        learned: list[tuple[tuple[int, int, int, int, int], str]] = []
        meter = Meter(progress, total_bytes=total, total_files=len(todo)) if progress is not None else None

        def store_one(i: int) -> None:
            f = staged[i]
            chunks = meter.file(f.size) if meter is not None else None
            digest, size = self.blobs.put_file(f.local_path, cached.get(keys[i]), alg=alg, on_chunk=chunks)
            if size != f.size or stat_key(os.stat(f.local_path)) != keys[i]:
                raise DigestMismatchError(f"{f.local_path} changed while it was being stored; log again.")
            entries[i] = _entry(f, digest, alg)
            with lock:
                learned.append((keys[i], digest))
            if meter is not None:
                meter.finish(chunks, size)

        if todo:
            self._parallel(store_one, todo, total)
            # Written (or found by put_file) before their lease: look them up once more, and store
            # again any a gc removed meanwhile (those writes come after the lease, so they count).
            written = [e.blob for e in (entries[i] for i in todo) if e is not None]
            lease.take(written)
            missing = set(self.missing_blobs(lease.unchecked(written)))
            again = [i for i in todo if (e := entries[i]) is not None and e.blob in missing]
            if again:
                self._parallel(store_one, again, sum(staged[i].size for i in again))
            lease.found(written)
        if self.digest_cache is not None:
            self.digest_cache.put_many(learned, alg)
        return [e for e in entries if e is not None]

    def _each(self, fn: Callable[[int], None], n: int) -> None:
        """``fn(i)`` for ``i < n``: a metadata call per blob, in parallel only where it is a round trip."""
        if isinstance(self.blobs, LocalBlobStore):
            for i in range(n):
                fn(i)
        else:
            self._parallel(fn, list(range(n)), 1 << 20)

    def _parallel(
        self, fn: Callable[[int], None], items: list[int], total_bytes: int, *,
        sizes: list[int] | None = None, workers: int | None = None,
    ) -> None:
        """``fn(i)`` for every item, on the transfer pool (``workers`` threads, default the settings').

        With ``sizes`` (a download's files), batches are :func:`~artiflow.batches.by_size`, else striped
        (big and small files shared out evenly).
        """
        workers = max(1, min(workers or self.settings.transfer_workers, len(items)))
        if workers == 1 or total_bytes < (1 << 20) and len(items) < 64:
            for i in items:
                fn(i)
            return
        # A task per batch of items, not per item: with small files the pool's own cost per task
        # (a future, a lock, a queue hop) is as large as the work. Four batches per worker keep
        # every worker busy to the end.
        batches = striped(items, workers * 4) if sizes is None else by_size(items, sizes, workers * 4, IN_FILE)

        def run(batch: list[int]) -> None:
            for i in batch:
                fn(i)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="artiflow-io") as pool:
            for fut in [pool.submit(run, b) for b in batches]:
                fut.result()

    def commit(
        self,
        *,
        project: str,
        name: str,
        type_: str,
        manifest: Manifest,
        run_id: str,
        description: str | None,
        metadata: dict[str, Any],
        aliases: Iterable[str],
        tags: Iterable[str],
        distributed_id: str | None = None,
        lease: Lease | None = None,
    ) -> CommitResult:
        """Publish a version: its blobs must already be stored. All or nothing.

        ``lease`` holds the blobs the log stored or reused (without one, they are leased here).
        """
        if lease is None:
            with self.lease() as own:
                return self.commit(
                    project=project, name=name, type_=type_, manifest=manifest, run_id=run_id,
                    description=description, metadata=metadata, aliases=aliases, tags=tags,
                    distributed_id=distributed_id, lease=own,
                )
        label = f"{project}/{name}"
        self.check_type(project, name, type_)
        self.require_blobs(manifest, label, lease=lease)
        manifest_digest = self.put_manifest(manifest, lease=lease)
        self.blobs.sync()  # every blob it names is on stable storage before the version exists
        new = NewVersion(
            project=project, name=name, type=type_, digest=manifest.digest(),
            manifest_digest=manifest_digest, size=manifest.size, file_count=len(manifest),
            run_id=run_id, description=description, metadata=metadata, aliases=tuple(aliases),
            tags=tuple(tags), distributed_id=distributed_id,
        )
        record, created = self.settle(lease, lambda held: self.metadata.commit_version(new, held), manifest, label)
        if record.manifest_digest == manifest_digest:  # new, or a dedup hit with the very same bytes
            self._remember(manifest_digest, manifest)
        if not created:
            log.info("%s already exists with the same content; no new version was created.", record.ref)
        self.lineage()
        return CommitResult(record, self.manifest(record), created)

    def record_use(self, run_id: str, version: VersionRecord, use_as: str | None = None) -> None:
        self.metadata.record_use(run_id, version.id, use_as)
        self.lineage()

    # -- reading -------------------------------------------------------------------------------

    def manifest(self, version: VersionRecord) -> Manifest:
        """``version``'s manifest, checked against its address and the digest the version records."""
        with self._manifest_lock:
            hit = self._manifests.get(version.manifest_digest)
            if hit is not None:
                self._manifests.move_to_end(version.manifest_digest)
                return hit
        manifest = self.read_manifest(version.manifest_digest, version.ref).as_recorded(version.digest)
        if manifest.digest() != version.digest:
            raise DigestMismatchError(
                f"The manifest of {version.ref} (blob {blob_key(version.manifest_digest)}) describes content "
                f"{manifest.digest()}, but the version records {version.digest}; the database row or the "
                "manifest was edited: restore the store from a backup."
            )
        self._remember(version.manifest_digest, manifest)
        return manifest

    def read_manifest(self, digest: str, label: str) -> Manifest:
        """The manifest stored at ``digest``, checked against that address (quarantined if it fails)."""
        try:
            raw = self.blobs.read_bytes(digest)
        except FileNotFoundError as exc:
            raise ArtifactNotFoundError(
                f"The manifest of {label} (blob {blob_key(digest)}) is missing from {self.blobs.url}; "
                "the store is damaged: restore it from a backup, or log the version again."
            ) from exc
        got = b64_md5(raw)
        if got != digest:
            moved = self.blobs.quarantine(digest)
            raise DigestMismatchError(
                f"The manifest of {label} (blob {blob_key(digest)}) hashes to {got}, not {digest}: it was "
                f"changed in storage{f' and moved to {moved}' if moved else ''}; log the version again, "
                "or restore the store from a backup."
            )
        return Manifest.from_json(raw)

    def _remember(self, key: str, manifest: Manifest) -> None:
        with self._manifest_lock:
            self._manifests[key] = manifest
            while len(self._manifests) > 64:
                self._manifests.popitem(last=False)

    def materialize(
        self,
        entries: Iterable[ManifestEntry],
        root: str,
        *,
        allow_missing_references: bool = False,
        hardlink: bool = False,
        progress: Progress | None = None,
        label: str = "the artifact",
        verify: bool = True,
        use_cache: bool = True,
    ) -> list[str]:
        """Write entries under ``root``; files already there with the right digest are kept.

        Each blob is hashed as it is copied and lands under its final name only if it matches
        (``verify=False`` opts out); a blob that does not is quarantined and
        :class:`DigestMismatchError` names ``label`` (the version), the entry and the blob.
        ``use_cache=False`` neither reads nor writes the digest cache; only files whose bytes were
        checked are written to it (not ``verify=False`` copies, nor references). Returns each
        entry's local path, in order.
        """
        todo: list[tuple[ManifestEntry, str]] = []
        parents: dict[str, tuple[str, bool]] = {}  # an entry's directory -> where it goes, made just now?
        look: list[tuple[ManifestEntry, str]] = []  # entries that may be there already: none in a new directory
        for e in entries:
            rel = names.entry_path(e.path)
            head, _, name = rel.rpartition("/")
            known = parents.get(head)
            if known is None:  # contained() resolves symlinks, so once per directory, not per file
                parent = os.path.dirname(names.contained(root, rel))
                made = not os.path.isdir(parent)
                if made:
                    os.makedirs(parent, exist_ok=True)
                known = parents[head] = (parent, made)
            todo.append((e, os.path.join(known[0], name)))
            if not known[1]:
                look.append(todo[-1])
        existing: dict[str, str] = {}
        if use_cache:
            for alg in {e.algorithm for e, _ in look}:
                existing.update(self._known_digests([d for e, d in look if e.algorithm == alg], alg))
        pending = [i for i, (e, d) in enumerate(todo) if existing.get(d) != e.digest]
        total = sum(todo[i][0].size or 0 for i in pending)
        learned: list[tuple[Algorithm, tuple[int, int, int, int, int], str]] = []
        meter = Meter(progress, total_bytes=total, total_files=len(pending)) if progress is not None else None

        def fetch(i: int) -> None:
            e, dest = todo[i]
            chunks = meter.file(e.size) if meter is not None else None
            if e.ref is not None:
                if not self._fetch_reference(e, dest, allow_missing_references):
                    return
            else:
                st = self._copy_blob(e, dest, label, hardlink=hardlink, verify=verify, on_chunk=chunks)
                if verify:  # only checked bytes are known to hold the digest (a reference's may be an ETag)
                    learned.append((e.algorithm, stat_key(st or os.stat(dest)), e.digest))  # list.append is atomic
            if meter is not None:
                meter.finish(chunks, e.size or 0)

        # A local copy is work for a core, not a wait: more threads than cores only trade the GIL
        # (10,000 small files: 400,000 futex calls with 8 threads on 2 cores, 300 with 2).
        local = isinstance(self.blobs, LocalBlobStore)
        self._parallel(
            fetch, pending, total, sizes=[todo[i][0].size or 0 for i in pending],
            workers=min(self.settings.transfer_workers, _cores()) if local else None,
        )
        if self.digest_cache is not None and use_cache:
            for alg in {a for a, _, _ in learned}:
                self.digest_cache.put_many([(k, d) for a, k, d in learned if a == alg], alg)
        return [dest for _, dest in todo]

    def _copy_blob(
        self, e: ManifestEntry, dest: str, label: str, *, hardlink: bool, verify: bool,
        on_chunk: Callable[[int], None] | None,
    ) -> os.stat_result | None:
        try:
            return self.blobs.copy_to(e.blob, dest, hardlink=hardlink, verify=verify, on_chunk=on_chunk, size=e.size)
        except DigestMismatchError as exc:
            moved = self.blobs.quarantine(e.blob)
            raise DigestMismatchError(
                f"{e.path} of {label} does not match its digest: {exc} "
                f"{f'It was moved to {moved}; log' if moved else 'Log'} the genuine file again to repair the store "
                "(download with verify=False to get the damaged bytes)."
            ) from exc

    def _known_digests(self, paths: list[str], alg: Algorithm) -> dict[str, str]:
        keys: dict[str, tuple[int, int, int, int, int]] = {}
        for p in paths:
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            if not stat.S_ISLNK(st.st_mode):
                keys[p] = stat_key(st)
        if not keys or self.digest_cache is None:
            return {}
        found = self.digest_cache.get_many(keys.values(), alg)
        return {p: found[k] for p, k in keys.items() if k in found}

    def _fetch_reference(self, e: ManifestEntry, dest: str, allow_missing: bool) -> bool:
        assert e.ref is not None
        if e.ref.startswith(f"{ARTIFACT_SCHEME}://"):  # another version's entry: fetch what it holds
            target = self.artifact_entry(e.ref)
            if target.ref is not None:
                return self._fetch_reference(target, dest, allow_missing)
            self._copy_blob(target, dest, e.ref, hardlink=False, verify=True, on_chunk=None)
            return True
        return fetch_reference(e, dest, allow_missing=allow_missing, settings=self.settings)

    def artifact_entry(self, uri: str) -> ManifestEntry:
        """The entry ``wandb-artifact://<version id>/<path>`` names, in this store."""
        version_id, _, path = uri.split("://", 1)[1].partition("/")
        rec = self.metadata.get_version(version_id)
        entry = self.read_manifest(rec.manifest_digest, rec.ref).contents.get(path)
        if entry is None:
            raise FileNotFoundError(f"{rec.ref} has no entry {path!r} (referenced as {uri}).")
        return entry

    def local_blob_path(self, blob: str) -> str | None:
        """Where a blob (by :func:`~artiflow.digests.blob_id`, or an MD5 digest) is on this disk, if it is."""
        return self.blobs.path(blob) if isinstance(self.blobs, LocalBlobStore) else None

    def check_blobs(self, entries: Mapping[str, ManifestEntry]) -> list[str]:
        """Re-hash stored blobs; return the paths whose blob is missing or corrupt."""
        bad = []
        for path, e in entries.items():
            if e.ref is not None:
                continue
            try:
                with self.blobs.open(e.blob) as f:
                    digest, _ = copy_and_hash(f, alg=e.algorithm)
            except FileNotFoundError:
                bad.append(path)
                continue
            if digest != e.digest:
                bad.append(path)
        return bad


def _cores() -> int:
    """The CPUs this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _entry(f: StagedFile, digest: str, alg: Algorithm) -> ManifestEntry:
    return stored_entry(f.path, digest, f.size, dict(f.extra), alg)


__all__ = ["CommitResult", "Progress", "Store"]

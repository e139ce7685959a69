"""Collaborative versions: many writers build one version (W&B's ``upsert_artifact`` /
``finish_artifact``).

This is the one internal module the engine adapters may use besides the public ``artiflow``
namespace (a mapped task's writers upsert parts and a finishing task commits them); it is not part
of the W&B API and not in ``artiflow.__all__``.

Each writer stores its files and records a *part* (a patch manifest) in the open collaborative version of
``(collection, distributed_id)``. ``finish`` merges every part, refuses a path that two parts
give different content (naming it), and commits the merged version in the same transaction that
closes it; the next upsert with the same id starts a new version. Every contributing
run is recorded as having logged the version.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING

from . import names
from .errors import ArtifactNotFoundError, EntryConflictError
from .manifest import Manifest, ManifestEntry
from .metadata import NewVersion, VersionRecord
from .metadata.collab import (
    CollabChanged,
    PendingCollab,
    add_part,
    commit_collab,
    finished_version_id,
    open_collab,
)

if TYPE_CHECKING:
    from .artifact import Artifact
    from .store import Progress, Store

_MERGE_ATTEMPTS = 20


def upsert(
    store: Store,
    artifact: Artifact,
    *,
    project: str,
    run_id: str,
    distributed_id: str,
    progress: Progress | None,
    prefix: str = "",
    aliases: Collection[str] = (),
) -> str:
    """Store ``artifact``'s files and add them as one part of the open collaborative version.

    ``prefix`` (``"part-00003/"``) puts this part's files under a directory of their own.
    ``aliases`` are kept with the part and applied when the version is finished.
    Returns the part's manifest digest, which :func:`finish` can select parts by.
    """
    store.check_type(project, artifact.collection_name, artifact.type)
    label = f"a part of {project}/{artifact.collection_name} ({distributed_id!r})"
    with store.lease() as lease:  # gc keeps the part's blobs until the part is recorded (then it is live)
        part = artifact.final_manifest(store, progress, lease)
        if prefix:
            part = Manifest.from_entries(
                (e.model_copy(update={"path": names.entry_path(prefix + e.path)}) for e in part),
                part.digest_algorithm,
            )
        store.require_blobs(part, label, lease=lease)
        digest = store.put_manifest(part, lease=lease)
        store.blobs.sync()  # another process may finish the version from this part: its blobs come first
        store.settle(lease, lambda held: add_part(
            store.metadata, project=project, name=artifact.collection_name, type_=artifact.type,
            distributed_id=distributed_id, run_id=run_id, manifest_digest=digest,
            aliases=tuple(aliases), lease=held,
        ), part, label)
    return digest


def merge(store: Store, pending: PendingCollab) -> Manifest:
    merged: dict[str, ManifestEntry] = {}
    owner: dict[str, str] = {}
    for part in pending.parts:
        label = f"a part of {pending.project}/{pending.name} ({pending.distributed_id!r}) from run {part.run_id!r}"
        manifest = store.read_manifest(part.manifest_digest, label)
        for path, entry in manifest.contents.items():
            have = merged.get(path)
            if have is not None and have.digest != entry.digest:
                raise EntryConflictError(
                    f"Conflict in collaborative version {pending.project}/{pending.name} "
                    f"({pending.distributed_id!r}): {path!r} was written with different content by runs "
                    f"{owner[path]!r} and {part.run_id!r}; give each writer its own paths."
                )
            merged[path] = entry
            owner.setdefault(path, part.run_id)
    return Manifest.from_entries(merged[p] for p in sorted(merged))


def finish(
    store: Store,
    *,
    project: str,
    name: str,
    distributed_id: str,
    run_id: str,
    description: str | None,
    metadata: dict[str, object],
    aliases: list[str],
    tags: list[str],
    parts: Collection[str] | None = None,
) -> tuple[VersionRecord, Manifest, bool]:
    """Merge every part of the open collaborative version and commit it as one version.

    ``parts`` (manifest digests, as :func:`upsert` returns them) keeps only those parts: an
    engine passes the parts its writers finally reported, so an attempt that upserted and then
    failed and was retried does not count twice. A selected part missing from it
    raises, rather than committing a version without it. The committed version gets
    ``aliases`` plus those its parts' writers gave :func:`upsert`.
    """
    for _ in range(_MERGE_ATTEMPTS):
        pending = open_collab(store.metadata, project, names.artifact_name(name), distributed_id)
        chosen = pending if parts is None else _select(pending, parts)
        manifest = merge(store, chosen)
        label = f"{project}/{name} ({distributed_id!r})"
        with store.lease() as lease:
            store.require_blobs(manifest, label, lease=lease)
            new = NewVersion(
                project=project, name=name, type=pending.type, digest=manifest.digest(),
                manifest_digest=store.put_manifest(manifest, lease=lease), size=manifest.size,
                file_count=len(manifest), run_id=run_id, description=description, metadata=dict(metadata),
                aliases=tuple(dict.fromkeys([*(a for p in chosen.parts for a in p.aliases), *aliases])),
                tags=tuple(tags), distributed_id=distributed_id,
            )
            store.blobs.sync()
            try:
                record, created = store.settle(
                    lease,
                    lambda held: commit_collab(store.metadata, pending, new, contributors=chosen.parts, lease=held),
                    manifest, label,
                )
            except CollabChanged:
                continue  # a late part arrived while merging: merge again, it must not be lost
        store.lineage()
        return record, manifest, created
    raise EntryConflictError(
        f"Collaborative version {project}/{name} ({distributed_id!r}) kept changing while it was being "
        "finished; finish it once every writer is done."
    )


def _select(pending: PendingCollab, digests: Collection[str]) -> PendingCollab:
    wanted = set(digests)
    have = {p.manifest_digest for p in pending.parts}
    if missing := wanted - have:
        raise ArtifactNotFoundError(
            f"Collaborative version {pending.project}/{pending.name} ({pending.distributed_id!r}) has no "
            f"part with manifest {sorted(missing)[0]}; {len(missing)} selected part(s) were never upserted."
        )
    return replace(pending, parts=tuple(p for p in pending.parts if p.manifest_digest in wanted))


def finished_version(store: Store, project: str, name: str, distributed_id: str) -> str | None:
    """The id of the version the collaborative version ``distributed_id`` committed, if it has."""
    return finished_version_id(store.metadata, project, name, distributed_id)

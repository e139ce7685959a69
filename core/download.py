"""Downloading: writing a logged version's files to a local directory, and checking one.

Plain functions over a store, a version's manifest and a root directory; ``Artifact.download``,
``checkout``, ``verify`` and ``file`` are thin wrappers over them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import names
from .digests import b64_to_hex, file_digest
from .errors import DigestMismatchError, InvalidNameError, StoreError
from .manifest import Manifest, ManifestEntry

if TYPE_CHECKING:
    from .store import Progress, Store


def default_root(store: Store, dirname: str) -> str:
    """``<artifact_dir>/<dirname>``: ``./artifacts/cats:v3`` unless the settings say otherwise.

    ``dirname`` comes from the database, so it is checked again here: a collection name edited to
    ``../..`` is refused rather than letting a download or checkout write or delete outside.
    """
    collection, _, version = dirname.partition(":")
    names.artifact_name(collection)
    if version and names.version_index(version) is None:
        raise InvalidNameError(f"Invalid version {version!r} in download directory name {dirname!r}.")
    base = os.path.abspath(store.settings.artifact_dir)
    root = os.path.abspath(os.path.join(base, dirname))
    if os.path.dirname(root) != base:
        raise InvalidNameError(f"Download directory {dirname!r} would leave the artifact directory {base}.")
    return root


def entries(
    store: Store,
    selected: Sequence[ManifestEntry],
    root: str | os.PathLike[str],
    *,
    allow_missing_references: bool = False,
    hardlink: bool = False,
    progress: Progress | None = None,
    label: str = "the artifact",
    verify: bool = True,
) -> list[str]:
    """Write ``selected`` entries under ``root``; return each one's local path, in order.

    Every blob is hashed as it is copied and written under its final name only if it matches
    its digest (``verify=False`` opts out); else :class:`DigestMismatchError` names ``label``.
    A blob missing from the store raises :class:`StoreError` naming ``label`` (the version) and
    the entry, not the blob's internal path alone.
    """
    dest = os.path.abspath(root)
    os.makedirs(dest, exist_ok=True)
    try:
        return store.materialize(
            selected, dest, allow_missing_references=allow_missing_references, hardlink=hardlink,
            progress=progress, label=label, verify=verify,
        )
    except FileNotFoundError as exc:
        missing = str(exc.filename or exc)
        for e in selected:
            if e.ref is None and b64_to_hex(e.digest) in missing.replace("/", ""):
                raise StoreError(
                    f"{label}: the stored content of {e.path!r} (blob {b64_to_hex(e.digest)}) is missing "
                    "from the store; re-log the original file, or delete the version."
                ) from exc
        raise


def checkout(
    store: Store, manifest: Manifest, root: str, label: str = "the artifact", *, verify: bool = True
) -> None:
    """Make ``root`` hold exactly ``manifest``'s files: delete any other file, then download."""
    keep = set(manifest.contents)
    for path in keep:  # every path is re-checked before anything under root is deleted
        names.contained(root, path)
    if os.path.isdir(root):
        for dirpath, _dirs, filenames in os.walk(root):  # os.walk does not follow directory links
            for fn in filenames:
                full = os.path.join(dirpath, fn)
                if os.path.relpath(full, root).replace(os.sep, "/") not in keep:
                    os.remove(full)
    entries(store, list(manifest), root, label=label, verify=verify)


def verify(manifest: Manifest, root: str, label: str) -> None:
    """Check that ``root`` holds exactly ``manifest``'s files, re-hashing every one.

    Each file is hashed with its entry's algorithm (MD5, or XXH128 where ``extra`` says so);
    references are skipped. Raises :class:`DigestMismatchError` on any difference.
    """
    for dirpath, _dirs, filenames in os.walk(root):
        for fn in filenames:
            rel = os.path.relpath(os.path.join(dirpath, fn), root).replace(os.sep, "/")
            if rel not in manifest.contents:
                raise DigestMismatchError(f"Found file {rel} which is not a member of artifact {label}.")
    for entry in manifest:
        if entry.ref is not None:
            continue
        local = names.contained(root, entry.path)
        if not os.path.isfile(local):
            raise FileNotFoundError(f"{entry.path} of {label} is missing from {root}.")
        if file_digest(local, entry.algorithm) != entry.digest:
            raise DigestMismatchError(f"Digest mismatch for file: {entry.path} (artifact {label}).")


def local_copy(store: Store, entry: ManifestEntry, scratch: str, label: str) -> str:
    """A private, verified copy of ``entry``'s bytes under ``scratch`` (what ``get()`` loads).

    Never the blob itself: bytes checked and then loaded from a file anyone with write access to
    the store could swap would let them run code through a pickle. The digest cache is not
    touched (a read-only ``get`` writes nothing outside ``scratch``).
    """
    dest = os.path.join(scratch, "verified")
    os.makedirs(dest, exist_ok=True)
    return store.materialize([entry], dest, label=label, use_cache=False)[0]

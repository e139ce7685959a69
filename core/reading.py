"""Reading a version's contents: entries, objects (``get``), and downloads to a local directory.

``Reading`` is the part of :class:`~artiflow.Artifact` that reads; the work itself is in
:mod:`artiflow.download` (plain functions over a store, a manifest and a root) and the serializers.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import download, names
from .attributes import Attributes
from .drafting import Draft
from .entry import ArtifactEntry
from .errors import EntryNotFoundError
from .manifest import Manifest, ManifestEntry
from .names import entry_path
from .serializers import EXTRA_KEY, Serializer, SerializerRegistry

if TYPE_CHECKING:
    from .store import Progress


class Reading(Attributes):
    """Entries, objects and downloads of a draft or logged version (a base of ``Artifact``)."""

    _contents: Draft
    _serializers: SerializerRegistry

    # -- reading content -----------------------------------------------------------------------

    def entry(self, path: str) -> ManifestEntry:
        """The manifest entry at ``path`` (internal: ``ArtifactEntry`` reads through it)."""
        if self._record is None:
            return self._contents.entry(path, self._name)
        entry = self.manifest.contents.get(path)
        if entry is None:
            raise EntryNotFoundError(f"Path {path!r} is not contained in artifact {self.name!r}.")
        return entry

    @property
    def manifest(self) -> Manifest:
        """The manifest; on a draft, files are hashed to build it."""
        if self._record is None:
            return self._contents.manifest(self._name)
        assert self._store is not None
        return self._store.manifest(self._record)

    def _paths(self) -> set[str] | dict[str, ManifestEntry]:
        return self._contents.paths() if self._record is None else self.manifest.contents

    def get_entry(self, name: str) -> ArtifactEntry:
        path = names.entry_path(name)
        if path not in self._paths():
            raise EntryNotFoundError(f"Path {path!r} is not contained in artifact {self.name!r}.")
        return ArtifactEntry(self, path)

    def get_path(self, name: str) -> ArtifactEntry:
        """Deprecated (as in W&B): ``get_entry``. Only on a logged version (a draft raises, as the W&B reference says)."""
        warnings.warn("Artifact.get_path is deprecated; use get_entry.", DeprecationWarning, stacklevel=2)
        self._logged("get_path")
        return self.get_entry(name)

    def files(self, names: Sequence[str] | None = None, per_page: int = 50) -> list[ArtifactEntry]:  # noqa: F811
        """The entries (all, or those at ``names``), sorted by path; ``per_page`` is accepted for W&B (one local read)."""
        paths = sorted(self._paths())
        if names is not None:
            wanted = {entry_path(n) for n in names}
            paths = [p for p in paths if p in wanted]
        return [ArtifactEntry(self, p) for p in paths]

    def get(self, name: str, *, allow_pickle: bool = False) -> Any:
        """Load an object added with ``add``; ``None`` if the artifact has no such object.

        Only a logged version can be read (a draft raises :class:`ArtifactNotLoggedError`, as in W&B).
        """
        self._logged("get")
        for ser in self._serializers:
            path = ser.filename(name)
            try:
                entry = self.entry(names.entry_path(path))
            except EntryNotFoundError:
                continue
            return self._load(entry, self._serializers.get(entry.extra.get(EXTRA_KEY, ser.name)), allow_pickle)
        for path, entry in self._objects(name):  # written by a serializer of the caller's own
            ser = self._serializers.get(entry.extra[EXTRA_KEY])
            if ser.filename(name) == path:
                return self._load(entry, ser, allow_pickle)
        return None

    def _objects(self, name: str) -> list[tuple[str, ManifestEntry]]:
        prefix = names.entry_path(name) + "."
        contents = self.manifest.contents if self._record is not None else {}
        return sorted((p, e) for p, e in contents.items() if p.startswith(prefix) and EXTRA_KEY in e.extra)

    def _load(self, entry: ManifestEntry, ser: Serializer, allow_pickle: bool) -> Any:
        if not ser.trusted and not allow_pickle:
            raise PermissionError(
                f"{entry.path!r} was stored with {ser.name}, which can run arbitrary code when loaded; "
                "pass allow_pickle=True only if you trust whoever logged it."
            )
        return ser.read(Path(self._local_copy(entry)), lambda other: Path(self._local_copy(self.entry(names.entry_path(other)))))

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def _local_copy(self, entry: ManifestEntry) -> str:
        if self._record is None:
            return self._contents.local_copy(entry, self._name)
        assert self._store is not None
        return download.local_copy(self._store, entry, self._contents.scratch(), self.qualified_name)

    # -- downloading (see download.py) ---------------------------------------------------------

    def _root(self, root: str | os.PathLike[str] | None, *, versioned: bool = True) -> str:
        if root is not None:
            return os.path.abspath(root)
        store = self._logged_store("download")
        return download.default_root(store, self.name if versioned else self.collection_name)

    def download_entries(
        self, entries: Sequence[ManifestEntry], root: str | os.PathLike[str] | None = None
    ) -> list[str]:
        """Write some of this version's entries under ``root`` (internal: ``ArtifactEntry.download``)."""
        return download.entries(self._logged_store("download"), entries, self._root(root), label=self.qualified_name)

    def download(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        recursive: bool = False,
        allow_missing_references: bool = False,
        skip_cache: bool | None = None,
        path_prefix: str | None = None,
        multipart: bool | None = None,
        hardlink: bool = False,
        progress: Progress | None = None,
        verify: bool = True,
    ) -> str:
        """Write the artifact's files under ``root`` (default ``./artifacts/<name>:vN``); return it.

        Files are reflinked where the filesystem supports it, else copied. ``hardlink=True``
        links to the store instead: fast, but an in-place edit of a downloaded file would then
        corrupt the store, so it is opt-in. Every option after ``root`` is a keyword (the W&B seed's
        ``recursive`` and the SDK's ``allow_missing_references`` once shared a position). ``recursive``
        is accepted: artiflow has no references between artifacts to fetch, so it changes nothing.

        Every file is hashed as it is copied and appears under its name only if it matches its
        digest; a damaged blob raises :class:`DigestMismatchError` (naming version, file and
        blob) and is quarantined, so logging the genuine file again repairs the store.
        ``verify=False`` skips the hashing (a kernel copy, nothing checked).
        """
        store = self._logged_store("download")
        dest = self._root(root)
        selected = [e for e in self.manifest if path_prefix is None or e.path.startswith(path_prefix)]
        download.entries(
            store, selected, dest, allow_missing_references=allow_missing_references, hardlink=hardlink,
            progress=progress, label=self.qualified_name, verify=verify,
        )
        return dest

    def checkout(self, root: str | os.PathLike[str] | None = None, *, verify: bool = True) -> str:
        """Make ``root`` hold exactly this version: delete other files, then download (verified)."""
        store = self._logged_store("checkout")  # before deleting anything
        dest = self._root(root, versioned=False)
        download.checkout(store, self.manifest, dest, label=self.qualified_name, verify=verify)
        return dest

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Check that ``root`` holds exactly this version's files, re-hashing every one.

        With no ``root`` the version is downloaded to its default directory first. References are
        skipped. Raises :class:`DigestMismatchError` on any difference.
        """
        self._logged("verify")
        if root is None:
            self.download()
        download.verify(self.manifest, self._root(root), self.name)

    def file(self, root: str | os.PathLike[str] | None = None) -> str:
        """Download a single-file artifact and return the file's path."""
        store = self._logged_store("file")
        entries = list(self.manifest)
        if len(entries) != 1:
            raise ValueError(f"Artifact {self.name} has {len(entries)} files; file() needs exactly one.")
        return download.entries(store, entries, self._root(root), label=self.qualified_name)[0]

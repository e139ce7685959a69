"""Drafting: the contents of an artifact that has not been logged yet.

A :class:`Draft` holds two kinds of entries: *staged* local files (hashed and copied into the store
only when the artifact is logged) and finished manifest *entries* (references, and the files a
``new_draft()`` inherits from its parent version). ``Artifact``'s ``add_*`` methods are thin wrappers
over this class; :meth:`Draft.final_manifest` turns it into the manifest a version commits.

>>> from artiflow.serializers import default_registry
>>> draft = Draft(default_registry())
>>> draft.add_file("data/cats/tabby.txt", None, is_tmp=False, overwrite=False, owner="cats")
'tabby.txt'
>>> sorted(draft.paths())
['tabby.txt']
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import names
from .digests import MD5, Algorithm, b64_to_hex, file_digest
from .errors import ArtifactNotLoggedError, EntryConflictError, EntryNotFoundError, InvalidNameError
from .manifest import Manifest, ManifestEntry, stored_entry
from .media import MediaFiles
from .references import reference_entries
from .serializers import EXTRA_KEY, Serializer, SerializerRegistry
from .staging import StagedFile

if TYPE_CHECKING:
    from .leases import Lease
    from .store import Progress, Store


class Draft:
    """The files, references and objects added to an artifact before it is logged."""

    def __init__(self, serializers: SerializerRegistry, algorithm: Algorithm = MD5) -> None:
        self.serializers = serializers
        self.algorithm = algorithm  # what staged files are hashed with (W&B's ``digest_algorithm``)
        self.entries: dict[str, ManifestEntry] = {}
        self.staged: dict[str, StagedFile] = {}
        self.origin: Store | None = None  # where entries inherited by new_draft() are stored
        self._dirs: set[str] | None = None  # every directory the paths imply; None: rebuild when needed
        self._tmpdir: tuple[str, Callable[[], Any]] | None = None  # (path, remove it)

    # -- what is in it -------------------------------------------------------------------------

    def paths(self) -> set[str]:
        return set(self.entries) | set(self.staged)

    def has(self, path: str) -> bool:
        return path in self.entries or path in self.staged  # not paths(): add_dir calls this per file

    def entry(self, path: str, owner: str) -> ManifestEntry:
        """The manifest entry ``path`` will have (a staged file is hashed to know its digest)."""
        if path in self.staged:
            st = self.staged[path]
            digest = file_digest(st.local_path, self.algorithm)
            return stored_entry(path, digest, st.size, dict(st.extra), self.algorithm)
        entry = self.entries.get(path)
        if entry is None:
            raise EntryNotFoundError(f"Path {path!r} is not contained in artifact {owner!r}.")
        return entry

    def manifest(self, owner: str) -> Manifest:
        return Manifest.from_entries((self.entry(p, owner) for p in sorted(self.paths())), self.algorithm)

    # -- adding --------------------------------------------------------------------------------

    def claim(self, path: str) -> None:
        """Refuse ``path`` if it would be a file and a directory at once (``a`` and ``a/b``)."""
        if self._dirs is None:
            self._dirs = {d for p in self.paths() for d in _parents(p)}
        if path in self._dirs:
            raise EntryConflictError(
                f"Cannot add file {path!r}: the artifact already has a directory at that path."
            )
        parents = _parents(path)
        for d in parents:
            if self.has(d):
                raise EntryConflictError(
                    f"Cannot add {path!r}: the artifact already has a file at {d!r}, so it cannot be a directory."
                )
        self._dirs.update(parents)

    def put_staged(self, staged: StagedFile, *, overwrite: bool, owner: str) -> None:
        path = staged.path
        self.claim(path)
        if self.has(path) and not overwrite:
            if self.entry(path, owner).digest != file_digest(staged.local_path, self.algorithm):
                raise EntryConflictError(
                    f"Cannot add the same path twice: {path!r}; pass overwrite=True to replace it."
                )
            return
        self.entries.pop(path, None)
        self.staged[path] = staged

    def add_file(self, local: str, name: str | None, *, is_tmp: bool, overwrite: bool, owner: str) -> str:
        if not os.path.isfile(local):
            raise FileNotFoundError(f"Path is not a file: {local!r}.")
        path = names.entry_path(name if name is not None else os.path.basename(local))
        if is_tmp:  # W&B's rule: the stem becomes the first 20 hex digits of the file's digest
            head, tail = posixpath.split(path)
            parts = tail.split(".")
            parts[0] = b64_to_hex(file_digest(local, self.algorithm))[:20]
            path = posixpath.join(head, ".".join(parts)) if head else ".".join(parts)
        self.put_staged(StagedFile.of(path, local), overwrite=overwrite, owner=owner)
        return path

    def add_dir(
        self, root: str, name: str | None, *, merge: bool, owner: str, follow_symlinks: bool | None = None
    ) -> None:
        if not os.path.isdir(root):
            raise NotADirectoryError(f"Path is not a directory: {root!r}.")
        prefix = names.entry_path(name) if name else ""
        found = list(_walk(os.path.abspath(root), prefix, follow_symlinks))
        # All or nothing: a conflict found halfway must not leave the draft half-changed.
        saved = (dict(self.entries), dict(self.staged))
        try:
            for staged in found:
                self.put_staged(staged, overwrite=merge, owner=owner)
        except BaseException:
            self.entries, self.staged = saved
            self._dirs = None
            raise

    @contextmanager
    def new_file(self, name: str, mode: str, encoding: str | None, owner: str) -> Iterator[IO[Any]]:
        path = names.entry_path(name)
        if "x" in mode and path in self.paths():
            raise EntryConflictError(f"File with name {path!r} already exists in artifact {owner!r}.")
        if not self.has(path):
            self.claim(path)  # refused before the caller writes anything
        local = os.path.join(self.scratch(), "new", *path.split("/"))
        os.makedirs(os.path.dirname(local), exist_ok=True)
        file_mode = mode.replace("x", "w") if os.path.exists(local) else mode
        with open(local, file_mode, encoding=encoding) as f:
            yield f
        self.add_file(local, path, is_tmp=False, overwrite=True, owner=owner)

    def add_reference(
        self, uri: str, name: str | None, *, checksum: bool, max_objects: int | None,
        storage_options: dict[str, Any] | None, owner: str,
    ) -> list[str]:
        return self.add_entries(reference_entries(
            uri, name, checksum=checksum, max_objects=max_objects, storage_options=storage_options
        ), owner=owner)

    def add_entries(self, entries: Iterable[ManifestEntry], *, owner: str) -> list[str]:
        """Add reference entries as they are (a path already there with other content is refused)."""
        added = []
        for entry in entries:
            if self.has(entry.path) and self.entry(entry.path, owner).digest != entry.digest:
                raise EntryConflictError(f"Cannot add the same path twice: {entry.path!r}.")
            self.claim(entry.path)
            self.staged.pop(entry.path, None)
            self.entries[entry.path] = entry
            added.append(entry.path)
        return added

    def add_object(
        self, obj: Any, name: str, *, serializer: str | Serializer | None, overwrite: bool, owner: str = ""
    ) -> str:
        """Write ``obj`` as ``name`` + the serializer's suffix, plus any media entries it writes beside it."""
        ser = self.serializers.resolve(serializer, obj)
        path = names.entry_path(ser.filename(name))
        if path in self.paths() and not overwrite:
            raise EntryConflictError(f"Cannot add the same path twice: {path!r}; pass overwrite=True.")
        self.claim(path)
        local = Path(self.scratch(), "objects", *path.split("/"))
        local.parent.mkdir(parents=True, exist_ok=True)
        media = MediaFiles(Path(tempfile.mkdtemp(prefix="media-", dir=self.scratch())))
        ser.write(obj, local, media)
        # All or nothing: media named by their content are shared, another file at their path is refused.
        saved = (dict(self.entries), dict(self.staged))
        try:
            for media_path, media_local in sorted(media.files.items()):
                self.put_staged(StagedFile.of(names.entry_path(media_path), str(media_local)),
                                overwrite=False, owner=owner)
        except BaseException:
            self.entries, self.staged = saved
            self._dirs = None
            raise
        self.entries.pop(path, None)
        self.staged[path] = StagedFile.of(path, str(local), {EXTRA_KEY: ser.name})
        return path

    def remove(self, path: str, owner: str) -> None:
        doomed = [p for p in self.paths() if p == path or p.startswith(path + "/")]
        if not doomed:
            raise EntryNotFoundError(f"Artifact {owner!r} has no file or directory {path!r}.")
        for p in doomed:
            self.entries.pop(p, None)
            self.staged.pop(p, None)
        self._dirs = None

    def inherit(self, origin: Store, entries: Iterable[ManifestEntry], parent_id: str) -> None:
        """Start from a logged version's entries (``new_draft()``), remembering where their blobs are."""
        self.entries = {
            e.path: e if e.birth_artifact_id else e.model_copy(update={"birth_artifact_id": parent_id})
            for e in entries
        }
        self.origin = origin
        self._dirs = None

    # -- reading -------------------------------------------------------------------------------

    def local_copy(self, entry: ManifestEntry, owner: str) -> str:
        """A local file holding ``entry``'s bytes: the staged file, or an inherited blob fetched."""
        if entry.path in self.staged:
            return self.staged[entry.path].local_path
        if self.origin is None:  # a reference added to this draft
            raise ArtifactNotLoggedError(f"Log {owner!r} before reading reference {entry.path!r}.")
        inherited = os.path.join(self.scratch(), "inherited")  # apart from new_file()'s files
        os.makedirs(inherited, exist_ok=True)
        self.origin.materialize([entry], inherited, label=owner, use_cache=False)
        return names.contained(inherited, entry.path)

    def scratch(self) -> str:
        if self._tmpdir is None:
            # Removed on logging, or silently when a draft is dropped (TemporaryDirectory would
            # raise a ResourceWarning for every draft that is never logged).
            path = tempfile.mkdtemp(prefix="artiflow-draft-")
            self._tmpdir = (path, weakref.finalize(self, shutil.rmtree, path, ignore_errors=True))
        return self._tmpdir[0]

    # -- logging -------------------------------------------------------------------------------

    def final_manifest(self, store: Store, progress: Progress | None, lease: Lease) -> Manifest:
        """Store every staged file (and inherited blobs another store holds); return the manifest.

        Every blob is leased (``lease``) before it is looked up, so gc keeps it until the commit.
        """
        inherited = [e for e in self.entries.values() if e.ref is None]
        if inherited and self.origin is not None and self.origin is not store:
            _copy_blobs(self.origin, store, inherited, lease)
        elif inherited:
            store.freshen(inherited, lease=lease)  # reused, not written: leased, then looked up
        stored = store.ingest(self.staged.values(), progress, self.algorithm, lease=lease)
        entries = {**self.entries, **{e.path: e for e in stored}}
        return Manifest.from_entries((entries[p] for p in sorted(entries)), self.algorithm)

    def clear(self) -> None:
        """Forget the contents once logged (the scratch directory is removed)."""
        self.entries.clear()
        self.staged.clear()
        self._dirs = None
        if self._tmpdir is not None:
            self._tmpdir[1]()
            self._tmpdir = None


def _parents(path: str) -> list[str]:
    """``a/b/c`` -> ``['a', 'a/b']``."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _walk(top: str, prefix: str, follow: bool | None) -> Iterator[StagedFile]:
    """Every file under ``top``, with the symlink policy of ``Artifact.add_dir`` (``follow``)."""
    real_top = os.path.realpath(top)
    seen: set[str] = set()

    def resolve(link: str) -> str | None:
        """Where ``link`` points, if it is to be followed; None to skip it; raises if refused."""
        target = os.path.realpath(link)
        if not os.path.exists(target):
            raise InvalidNameError(f"Symbolic link {link!r} is dangling (it points to {os.readlink(link)!r}).")
        if follow is None and os.path.commonpath([real_top, target]) != real_top:
            raise InvalidNameError(
                f"Symbolic link {link!r} points outside the directory being added (to {target!r}); "
                "pass follow_symlinks=True to follow it, or follow_symlinks=False to skip links."
            )
        return target

    for dirpath, dirnames, filenames in os.walk(top, followlinks=follow is not False):
        real_dir = os.path.realpath(dirpath)
        if real_dir in seen:  # a link back to a directory already walked: a loop, or a second copy
            raise InvalidNameError(f"Directory {dirpath!r} is reached twice through symbolic links (a loop?).")
        seen.add(real_dir)
        kept = []
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if os.path.islink(full) and (follow is False or resolve(full) is None):
                continue
            kept.append(d)
        dirnames[:] = sorted(kept)
        # Once per directory, not per file: 10,000 os.path.join calls cost as much as the stats.
        rel_dir = os.path.relpath(dirpath, top).replace(os.sep, "/")
        base = "/".join(p for p in (prefix, rel_dir) if p and p != ".")
        local_dir = os.path.join(dirpath, "")
        for fn in sorted(filenames):
            if os.path.islink(local_dir + fn):
                if follow is False:
                    continue
                resolve(local_dir + fn)
            rel = f"{base}/{fn}" if base else fn
            yield StagedFile.at(names.entry_path(rel), local_dir + fn)


def _copy_blobs(origin: Store, target: Store, entries: Sequence[ManifestEntry], lease: Lease) -> None:
    lease.take(e.blob for e in entries)  # before the look-ups: from then on gc leaves them alone
    for e in entries:
        if not target.blobs.freshen(e.blob, e.size):
            with tempfile.TemporaryDirectory(prefix="artiflow-copy-") as tmp:
                local = os.path.join(tmp, "blob")
                origin.blobs.copy_to(e.blob, local)
                target.blobs.put_file(local, e.digest, alg=e.algorithm)
    lease.found(e.blob for e in entries)

"""``Artifact``: a versioned set of files, following the W&B Artifacts API.

An artifact starts as a *draft*: add files, directories, references and objects to it, then log
it with ``run.log_artifact``. Logging turns the same object into a committed version
(``name`` becomes ``collection:vN``); its contents are then fixed, while its description,
metadata, aliases and tags stay editable and are persisted by ``save()``.

>>> import artiflow
>>> art = artiflow.Artifact("cats", type="dataset")           # doctest: +SKIP
>>> art.add_file("cats.csv")                                  # doctest: +SKIP
>>> with artiflow.init(project="demo") as run:                # doctest: +SKIP
...     run.log_artifact(art, aliases=["best"])
>>> art.name, art.version, art.aliases                        # doctest: +SKIP
('cats:v0', 'v0', ['best', 'latest'])
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import names, userdata
from .digests import md5_file
from .entry import ArtifactEntry
from .errors import (
    ArtifactFinalizedError,
    ArtifactNotLoggedError,
    DigestMismatchError,
    EntryConflictError,
    EntryNotFoundError,
)
from .manifest import Manifest, ManifestEntry
from .metadata import VersionRecord
from .references import reference_entries
from .serializers import EXTRA_KEY, SerializerRegistry, default_registry
from .staging import StagedFile

if TYPE_CHECKING:
    from artiflow.lineage import LineageResult

    from .runs import Run
    from .store import Progress, Store

PENDING = "PENDING"


class Artifact:
    """A draft or logged artifact version (see the module docstring)."""

    def __init__(
        self,
        name: str,
        type: str,  # noqa: A002 - the W&B API's parameter name
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        serializers: SerializerRegistry | None = None,
    ) -> None:
        names.artifact_name(name)
        names.artifact_type(type)
        names.reserved_combination(name, type)
        self._init(name, type, description, metadata, serializers)

    def _init(
        self,
        name: str,
        type_: str,
        description: str | None,
        metadata: dict[str, Any] | None,
        serializers: SerializerRegistry | None,
    ) -> None:
        self._name = name
        self._type = type_
        self._description = description
        self._metadata: dict[str, Any] = dict(userdata.metadata(metadata))
        self._aliases: list[str] = []
        self._tags: list[str] = []
        self._entries: dict[str, ManifestEntry] = {}
        self._staged: dict[str, StagedFile] = {}
        self._tmpdir: tuple[str, Callable[[], Any]] | None = None  # (path, remove it)
        self._origin: Store | None = None  # where entries inherited by new_draft() are stored
        self._base_id: str | None = None
        self._store: Store | None = None
        self._record: VersionRecord | None = None
        self._serializers = serializers or default_registry()

    # -- identity ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<Artifact {self.qualified_name if self._record else self._name + ' (draft)'}>"

    def _logged(self, what: str) -> VersionRecord:
        if self._record is None:
            raise ArtifactNotLoggedError(
                f"'Artifact.{what}' used prior to logging artifact {self._name!r}; "
                "log it with run.log_artifact() (or save()) first."
            )
        return self._record

    def _draft(self) -> None:
        if self._record is not None:
            raise ArtifactFinalizedError(
                f"Can't modify finalized artifact {self.name!r}; call new_draft() to start a new version."
            )

    @property
    def name(self) -> str:
        """``collection:vN`` once logged; the collection name while a draft."""
        return f"{self._record.name}:v{self._record.version_index}" if self._record else self._name

    @property
    def source_name(self) -> str:
        return self.name

    @property
    def collection_name(self) -> str:
        return self._record.name if self._record else self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def id(self) -> str:
        return self._logged("id").id

    @property
    def version(self) -> str:
        return self._logged("version").version

    @property
    def source_version(self) -> str:
        return self._logged("source_version").version

    @property
    def project(self) -> str:
        return self._logged("project").project

    @property
    def qualified_name(self) -> str:
        rec = self._logged("qualified_name")
        return f"{rec.project}/{rec.name}:v{rec.version_index}"

    @property
    def digest(self) -> str:
        return self._logged("digest").digest

    @property
    def size(self) -> int:
        return self._logged("size").size

    @property
    def file_count(self) -> int:
        return self._logged("file_count").file_count

    @property
    def state(self) -> str:
        return self._record.state if self._record else PENDING

    @property
    def created_at(self) -> datetime:
        return self._logged("created_at").created_at

    @property
    def updated_at(self) -> datetime:
        return self._logged("updated_at").updated_at

    @property
    def commit_hash(self) -> str:
        """The content address of the stored manifest (hex, 12 characters)."""
        from .digests import b64_to_hex

        return b64_to_hex(self._logged("commit_hash").manifest_digest)[:12]

    def is_draft(self) -> bool:
        return self._record is None

    # -- editable attributes -------------------------------------------------------------------

    @property
    def description(self) -> str | None:
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = value

    @property
    def metadata(self) -> dict[str, Any]:
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self._metadata = dict(userdata.metadata(value))

    @property
    def aliases(self) -> list[str]:
        """Aliases of this version (``latest`` included once logged); edit, then ``save()``."""
        return self._aliases

    @aliases.setter
    def aliases(self, value: Sequence[str]) -> None:
        self._aliases = list(value)

    @property
    def tags(self) -> list[str]:
        return self._tags

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._tags = names.tags(value)

    # -- adding content ------------------------------------------------------------------------

    def _paths(self) -> set[str]:
        return set(self._entries) | set(self._staged)

    def _has(self, path: str) -> bool:
        return path in self._entries or path in self._staged  # not _paths(): add_dir calls this per file

    def _put_staged(self, staged: StagedFile, *, overwrite: bool) -> None:
        path = staged.path
        if self._has(path) and not overwrite:
            if self._resolved_entry(path).digest != md5_file(staged.local_path):
                raise EntryConflictError(
                    f"Cannot add the same path twice: {path!r}; pass overwrite=True to replace it."
                )
            return
        self._entries.pop(path, None)
        self._staged[path] = staged

    def add_file(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        is_tmp: bool = False,
        skip_cache: bool = False,
        policy: str = "mutable",
        overwrite: bool = False,
    ) -> ArtifactEntry:
        """Add one local file, as ``name`` (default: its file name).

        The file is hashed and copied into the store once, when the artifact is logged; a file
        that changes before then is refused. ``skip_cache`` and ``policy`` are accepted for W&B
        compatibility: artiflow never stages a second copy.
        """
        self._draft()
        local = os.fspath(local_path)
        if not os.path.isfile(local):
            raise FileNotFoundError(f"Path is not a file: {local!r}.")
        path = names.entry_path(name if name is not None else os.path.basename(local))
        if is_tmp:
            head, tail = posixpath.split(path)
            parts = tail.split(".")
            from .digests import b64_to_hex

            parts[0] = b64_to_hex(md5_file(local))[:20]
            path = posixpath.join(head, ".".join(parts)) if head else ".".join(parts)
        self._put_staged(StagedFile.of(path, local), overwrite=overwrite)
        return ArtifactEntry(self, path)

    def add_dir(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        skip_cache: bool = False,
        policy: str = "mutable",
        merge: bool = False,
    ) -> None:
        """Add every file under a directory, at the root or under ``name/``."""
        self._draft()
        root = os.fspath(local_path)
        if not os.path.isdir(root):
            raise NotADirectoryError(f"Path is not a directory: {root!r}.")
        prefix = names.entry_path(name) if name else ""
        found: list[StagedFile] = []
        top = os.path.abspath(root)
        for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
            dirnames.sort()
            # Once per directory, not per file: 10,000 os.path.join calls cost as much as the stats.
            rel_dir = os.path.relpath(dirpath, top).replace(os.sep, "/")
            base = "/".join(p for p in (prefix, rel_dir) if p and p != ".")
            local_dir = os.path.join(dirpath, "")
            for fn in sorted(filenames):
                rel = f"{base}/{fn}" if base else fn
                found.append(StagedFile.at(names.entry_path(rel), local_dir + fn))
        # All or nothing: a conflict found halfway must not leave the draft half-changed.
        saved = (dict(self._entries), dict(self._staged))
        try:
            for staged in found:
                self._put_staged(staged, overwrite=merge)
        except BaseException:
            self._entries, self._staged = saved
            raise

    @contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: str | None = None) -> Iterator[IO[Any]]:
        """Open a new file to write into the artifact; it is added when the block ends.

        >>> with art.new_file("notes.txt", mode="w") as f:   # doctest: +SKIP
        ...     f.write("hello")
        """
        self._draft()
        path = names.entry_path(name)
        if "x" in mode and path in self._paths():
            raise EntryConflictError(f"File with name {path!r} already exists in artifact {self._name!r}.")
        local = os.path.join(self._scratch(), "new", *path.split("/"))
        os.makedirs(os.path.dirname(local), exist_ok=True)
        file_mode = mode.replace("x", "w") if os.path.exists(local) else mode
        with open(local, file_mode, encoding=encoding) as f:
            yield f
        self.add_file(local, name=path, overwrite=True)

    def add_reference(
        self,
        uri: str,
        name: str | None = None,
        checksum: bool = True,
        max_objects: int | None = None,
        *,
        storage_options: dict[str, Any] | None = None,
    ) -> list[ArtifactEntry]:
        """Track data outside the store by URI, without copying it; return the entries added.

        ``file://``, ``s3://``, ``gs://``, ``http://`` and ``https://`` are tracked as in W&B: a
        checksum (ETag or MD5) and, for versioned buckets, the object version; a directory or
        bucket prefix expands to up to ``max_objects`` entries. ``checksum=False`` records the URI
        only, so ``download()`` can then check nothing. ``storage_options`` are fsspec options for
        ``s3://``/``gs://`` (endpoint, credentials); by default the settings' ``storage_options``
        when the store is on the same scheme, else the environment (``AWS_ENDPOINT_URL``…).

        >>> art.add_reference("s3://my-bucket/images", name="images")   # doctest: +SKIP
        [ArtifactEntry('images/cat.png', ...), ArtifactEntry('images/dog.png', ...)]
        """
        self._draft()
        added = []
        found = reference_entries(
            uri, name, checksum=checksum, max_objects=max_objects, storage_options=storage_options
        )
        for entry in found:
            if self._has(entry.path) and self._resolved_entry(entry.path).digest != entry.digest:
                raise EntryConflictError(f"Cannot add the same path twice: {entry.path!r}.")
            self._staged.pop(entry.path, None)
            self._entries[entry.path] = entry
            added.append(ArtifactEntry(self, entry.path))
        return added

    def add(self, obj: Any, name: str, *, serializer: str | None = None, overwrite: bool = False) -> ArtifactEntry:
        """Add a Python object (JSON-able dict/list, numpy array, pandas DataFrame).

        Pickle is used only with ``serializer="pickle"``, and read back only with ``allow_pickle=True``.
        """
        self._draft()
        ser = self._serializers.get(serializer) if serializer else self._serializers.for_object(obj)
        path = names.entry_path(ser.filename(name))
        if path in self._paths() and not overwrite:
            raise EntryConflictError(f"Cannot add the same path twice: {path!r}; pass overwrite=True.")
        local = Path(self._scratch(), "objects", *path.split("/"))
        local.parent.mkdir(parents=True, exist_ok=True)
        ser.dump(obj, local)
        self._entries.pop(path, None)
        self._staged[path] = StagedFile.of(path, str(local), {EXTRA_KEY: ser.name})
        return ArtifactEntry(self, path)

    def __setitem__(self, name: str, obj: Any) -> None:
        self.add(obj, name)

    def remove(self, item: str | ArtifactEntry) -> None:
        """Remove an entry, or every entry under a directory path."""
        self._draft()
        path = names.entry_path(item.path if isinstance(item, ArtifactEntry) else item)
        doomed = [p for p in self._paths() if p == path or p.startswith(path + "/")]
        if not doomed:
            raise EntryNotFoundError(f"Artifact {self._name!r} has no file or directory {path!r}.")
        for p in doomed:
            self._entries.pop(p, None)
            self._staged.pop(p, None)

    def _scratch(self) -> str:
        if self._tmpdir is None:
            # Removed on logging, or silently when a draft is dropped (TemporaryDirectory would
            # raise a ResourceWarning for every draft that is never logged).
            path = tempfile.mkdtemp(prefix="artiflow-draft-")
            self._tmpdir = (path, weakref.finalize(self, shutil.rmtree, path, ignore_errors=True))
        return self._tmpdir[0]

    # -- reading content -----------------------------------------------------------------------

    def _resolved_entry(self, path: str) -> ManifestEntry:
        if self._record is not None:
            entry = self.manifest.contents.get(path)
        elif path in self._staged:
            st = self._staged[path]
            entry = ManifestEntry(
                path=path, digest=md5_file(st.local_path), size=st.size, extra=dict(st.extra)
            )
        else:
            entry = self._entries.get(path)
        if entry is None:
            raise EntryNotFoundError(f"Path {path!r} is not contained in artifact {self.name!r}.")
        return entry

    @property
    def manifest(self) -> Manifest:
        """The manifest; on a draft, files are hashed to build it."""
        if self._record is not None:
            assert self._store is not None
            return self._store.manifest(self._record)
        paths = sorted(self._paths())
        return Manifest.from_entries(self._resolved_entry(p) for p in paths)

    def get_entry(self, name: str) -> ArtifactEntry:
        path = names.entry_path(name)
        known = self.manifest.contents if self._record is not None else self._paths()
        if path not in known:
            raise EntryNotFoundError(f"Path {path!r} is not contained in artifact {self.name!r}.")
        return ArtifactEntry(self, path)

    def get_path(self, name: str) -> ArtifactEntry:
        warnings.warn("Artifact.get_path is deprecated; use get_entry.", DeprecationWarning, stacklevel=2)
        return self.get_entry(name)

    def files(self, names: Sequence[str] | None = None) -> list[ArtifactEntry]:
        paths = sorted(self.manifest.contents) if self._record else sorted(self._paths())
        if names is not None:
            wanted = {names.entry_path(n) for n in names}
            paths = [p for p in paths if p in wanted]
        return [ArtifactEntry(self, p) for p in paths]

    def get(self, name: str, *, allow_pickle: bool = False) -> Any:
        """Load an object added with ``add``; ``None`` if the artifact has no such object."""
        for ser in self._serializers:
            path = ser.filename(name)
            try:
                entry = self._resolved_entry(names.entry_path(path))
            except EntryNotFoundError:
                continue
            ser = self._serializers.get(entry.extra.get(EXTRA_KEY, ser.name))
            if not ser.trusted and not allow_pickle:
                raise PermissionError(
                    f"{path!r} was stored with {ser.name}, which can run arbitrary code when loaded; "
                    "pass allow_pickle=True only if you trust whoever logged it."
                )
            return ser.load(Path(self._local_copy(entry)))
        return None

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def _local_copy(self, entry: ManifestEntry) -> str:
        if self._record is None:
            if entry.path in self._staged:
                return self._staged[entry.path].local_path
            if self._origin is None:  # a reference added to this draft
                raise ArtifactNotLoggedError(f"Log {self._name!r} before reading reference {entry.path!r}.")
            inherited = os.path.join(self._scratch(), "inherited")  # apart from new_file()'s files
            os.makedirs(inherited, exist_ok=True)
            self._origin.materialize([entry], inherited)  # an entry new_draft() inherited
            return names.contained(inherited, entry.path)
        assert self._store is not None
        direct = self._store.local_blob_path(entry.digest) if entry.ref is None else None
        if direct is not None:
            return direct
        return self._download_entries([entry], self._scratch())[0]

    # -- downloading ---------------------------------------------------------------------------

    def _default_root(self, versioned: bool = True) -> str:
        rec = self._logged("download")
        assert self._store is not None
        base = self._store.settings.artifact_dir
        return os.path.abspath(base / (self.name if versioned else rec.name))

    def _download_entries(
        self,
        entries: Sequence[ManifestEntry],
        root: str | os.PathLike[str] | None,
        *,
        allow_missing_references: bool = False,
        hardlink: bool = False,
        progress: Progress | None = None,
    ) -> list[str]:
        self._logged("download")
        assert self._store is not None
        dest = os.path.abspath(root) if root is not None else self._default_root()
        os.makedirs(dest, exist_ok=True)
        return self._store.materialize(
            entries, dest, allow_missing_references=allow_missing_references, hardlink=hardlink,
            progress=progress,
        )

    def download(
        self,
        root: str | os.PathLike[str] | None = None,
        allow_missing_references: bool = False,
        skip_cache: bool | None = None,
        path_prefix: str | None = None,
        multipart: bool | None = None,
        *,
        hardlink: bool = False,
        progress: Progress | None = None,
    ) -> str:
        """Write the artifact's files under ``root`` (default ``./artifacts/<name>:vN``); return it.

        Files are reflinked where the filesystem supports it, else copied. ``hardlink=True``
        links to the store instead: fast, but an in-place edit of a downloaded file would then
        corrupt the store, so it is opt-in.
        """
        self._logged("download")
        entries = [e for e in self.manifest if path_prefix is None or e.path.startswith(path_prefix)]
        dest = os.path.abspath(root) if root is not None else self._default_root()
        self._download_entries(
            entries, dest, allow_missing_references=allow_missing_references, hardlink=hardlink,
            progress=progress,
        )
        return dest

    def checkout(self, root: str | os.PathLike[str] | None = None) -> str:
        """Make ``root`` hold exactly this version: delete other files, then download."""
        self._logged("checkout")  # before deleting anything
        dest = os.path.abspath(root) if root is not None else self._default_root(versioned=False)
        keep = set(self.manifest.contents)
        if os.path.isdir(dest):
            for dirpath, _dirs, filenames in os.walk(dest):
                for fn in filenames:
                    full = os.path.join(dirpath, fn)
                    if os.path.relpath(full, dest).replace(os.sep, "/") not in keep:
                        os.remove(full)
        return self.download(dest)

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Check that ``root`` holds exactly this version's files, re-hashing every one.

        References are skipped. Raises :class:`DigestMismatchError` on any difference.
        """
        self._logged("verify")
        dest = os.path.abspath(root) if root is not None else self._default_root()
        manifest = self.manifest
        for dirpath, _dirs, filenames in os.walk(dest):
            for fn in filenames:
                rel = os.path.relpath(os.path.join(dirpath, fn), dest).replace(os.sep, "/")
                if rel not in manifest.contents:
                    raise DigestMismatchError(f"Found file {rel} which is not a member of artifact {self.name}.")
        for entry in manifest:
            if entry.ref is not None:
                continue
            local = names.contained(dest, entry.path)
            if not os.path.isfile(local):
                raise FileNotFoundError(f"{entry.path} of {self.name} is missing from {dest}.")
            if md5_file(local) != entry.digest:
                raise DigestMismatchError(f"Digest mismatch for file: {entry.path} (artifact {self.name}).")

    def file(self, root: str | os.PathLike[str] | None = None) -> str:
        """Download a single-file artifact and return the file's path."""
        self._logged("file")
        entries = list(self.manifest)
        if len(entries) != 1:
            raise ValueError(f"Artifact {self.name} has {len(entries)} files; file() needs exactly one.")
        return self._download_entries(entries, root if root is not None else self._default_root())[0]

    # -- persistence ---------------------------------------------------------------------------

    def save(self, project: str | None = None, *, store: Store | None = None) -> Artifact:
        """Log a draft (through a short-lived run), or persist edits to a logged version."""
        if self._record is None:
            from .runs import init

            with init(project=project, job_type="auto", store=store) as run:
                run.log_artifact(self)
            return self
        assert self._store is not None
        aliases = names.aliases(self._aliases)
        rec = self._store.metadata.update_version(
            self._record.id, description=self._description, metadata=dict(self._metadata),
            aliases=aliases, tags=names.tags(self._tags),
        )
        self._set_record(rec)
        return self

    def wait(self, timeout: float | None = None) -> Artifact:
        """Logging is synchronous in artiflow: returns the logged artifact, refreshed."""
        rec = self._logged("wait")
        assert self._store is not None
        self._set_record(self._store.metadata.get_version(rec.id))
        return self

    def delete(self, delete_aliases: bool = False) -> None:
        """Soft-delete this version; refused while it holds user aliases unless ``delete_aliases``."""
        rec = self._logged("delete")
        assert self._store is not None
        deleted = self._store.metadata.delete_version(rec.id, delete_aliases=delete_aliases)
        self._set_record(deleted)
        self._store.lineage().set_state(deleted.id, deleted.state)

    def new_draft(self) -> Artifact:
        """A draft of the next version, starting from this version's files."""
        rec = self._logged("new_draft")
        draft = Artifact(rec.name, self._type, self._description, dict(self._metadata), serializers=self._serializers)
        draft._entries = {
            p: e if e.birth_artifact_id else e.model_copy(update={"birth_artifact_id": rec.id})
            for p, e in self.manifest.contents.items()
        }
        draft._origin = self._store
        draft._base_id = rec.id
        return draft

    # -- lineage -------------------------------------------------------------------------------

    def logged_by(self) -> Run | None:
        """The run that created this version."""
        from .runs import Run

        rec = self._logged("logged_by")
        assert self._store is not None
        run_id = self._store.lineage().logged_by(rec.id)
        return Run._attach(self._store, run_id) if run_id else None

    def used_by(self) -> list[Run]:
        """Every run that used this version, oldest first."""
        from .runs import Run

        rec = self._logged("used_by")
        assert self._store is not None
        return [Run._attach(self._store, rid) for rid in self._store.lineage().used_by(rec.id)]

    def upstream(self, depth: int | None = None) -> LineageResult:
        """What this version descends from (inputs and producing runs), up to ``depth`` hops."""
        from artiflow.lineage import upstream

        self._logged("upstream")
        assert self._store is not None
        return upstream(self._store.lineage(), self.qualified_name, depth)

    def downstream(self, depth: int | None = None) -> LineageResult:
        """The runs and versions that descend from this version, up to ``depth`` hops."""
        from artiflow.lineage import downstream

        self._logged("downstream")
        assert self._store is not None
        return downstream(self._store.lineage(), self.qualified_name, depth)

    # -- logging (called by Run) ---------------------------------------------------------------

    def _final_manifest(self, store: Store, progress: Progress | None) -> Manifest:
        if self._record is not None:
            return self.manifest
        inherited = [e for e in self._entries.values() if e.ref is None]
        if inherited and self._origin is not None and self._origin is not store:
            _copy_blobs(self._origin, store, inherited)
        stored = store.ingest(self._staged.values(), progress)
        entries = {**self._entries, **{e.path: e for e in stored}}
        return Manifest.from_entries(entries[p] for p in sorted(entries))

    def _set_record(self, rec: VersionRecord) -> None:
        self._record = rec
        self._type = rec.type
        self._description = rec.description
        self._metadata = dict(rec.metadata)
        self._aliases = list(rec.aliases)
        self._tags = list(rec.tags)

    def _attach(self, store: Store, rec: VersionRecord) -> Artifact:
        self._store = store
        self._set_record(rec)
        self._entries.clear()
        self._staged.clear()
        if self._tmpdir is not None:
            self._tmpdir[1]()
            self._tmpdir = None
        return self

    @classmethod
    def _from_record(cls, store: Store, rec: VersionRecord) -> Artifact:
        art = cls.__new__(cls)
        art._init(rec.name, rec.type, rec.description, rec.metadata, None)
        return art._attach(store, rec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Artifact):
            return NotImplemented
        if self._record is None or other._record is None:
            return self is other
        return self._record.id == other._record.id

    def __hash__(self) -> int:
        return hash(self._record.id) if self._record else id(self)


def _copy_blobs(origin: Store, target: Store, entries: Sequence[ManifestEntry]) -> None:
    for e in entries:
        if not target.blobs.has(e.digest):
            with tempfile.TemporaryDirectory(prefix="artiflow-copy-") as tmp:
                local = os.path.join(tmp, "blob")
                origin.blobs.copy_to(e.digest, local)
                target.blobs.put_file(local, e.digest)


def add_path(artifact: Artifact, path: str) -> None:
    """Add whatever ``path`` is: a URI as a reference, a directory, or a file."""
    if "://" in path:
        artifact.add_reference(path)
    elif os.path.isdir(path):
        artifact.add_dir(path)
    elif os.path.isfile(path):
        artifact.add_file(path)
    else:
        raise FileNotFoundError(f"Nothing to log at {path!r}: not a file, directory or URI.")

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
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from . import editing, names, registry, userdata
from .digests import MD5, Algorithm, DigestAlgorithm, algorithm, hasher
from .drafting import Draft
from .entry import ArtifactEntry, entry_reference
from .errors import ArtiflowError
from .identity import runs_module
from .manifest import Manifest
from .metadata import CollectionRecord, VersionEdit, VersionRecord
from .reading import Reading
from .references import ARTIFACT_SCHEME
from .serializers import Serializer, SerializerRegistry, default_registry

if TYPE_CHECKING:
    from .leases import Lease
    from .store import Progress, Store

class Artifact(Reading):
    """A draft or logged artifact version (see the module docstring)."""

    def __init__(
        self,
        name: str,
        type: str,  # noqa: A002 - the W&B API's parameter name
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        incremental: bool = False,
        use_as: str | None = None,
        storage_region: str | None = None,
        digest_algorithm: str = MD5,
        *,
        serializers: SerializerRegistry | None = None,
    ) -> None:
        """``digest_algorithm="XXH128"`` hashes files with XXH128 (W&B's opt-in, SDK 0.29+; needs
        ``artiflow[xxhash]``) instead of MD5; ``storage_region`` is accepted for W&B and ignored."""
        names.artifact_name(name)
        names.artifact_type(type)
        names.reserved_combination(name, type)
        alg = algorithm(digest_algorithm)
        if alg != MD5:
            hasher(alg)  # a missing xxhash is reported now, not when the artifact is logged
        self._init(name, type, description, metadata, serializers, alg)
        self._use_as = use_as  # ``incremental`` changes nothing: a new version is always one commit

    def _init(
        self,
        name: str,
        type_: str,
        description: str | None,
        metadata: dict[str, Any] | None,
        serializers: SerializerRegistry | None,
        digest_algorithm: Algorithm = MD5,
    ) -> None:
        self._name = name
        self._type = type_
        self._description = description
        self._metadata: dict[str, Any] = dict(userdata.metadata(metadata))
        self._aliases: list[str] = []
        self._tags: list[str] = []
        self._serializers = serializers or default_registry()
        self._contents = Draft(self._serializers, digest_algorithm)
        self._store: Store | None = None
        self._record: VersionRecord | None = None
        self._created: bool | None = None

    # -- adding content (see drafting.py) -----------------------------------------------------

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
        path = self._contents.add_file(
            os.fspath(local_path), name, is_tmp=is_tmp, overwrite=overwrite, owner=self._name
        )
        return ArtifactEntry(self, path)

    def add_dir(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        skip_cache: bool = False,
        policy: str = "mutable",
        merge: bool = False,
        *,
        follow_symlinks: bool | None = None,
    ) -> None:
        """Add every file under a directory, at the root or under ``name/``.

        Symbolic links: by default a link to a file or directory inside the tree is followed (its
        content is added at the link's path); a link that leads outside the tree, or a dangling one,
        raises an error naming it. ``follow_symlinks=True`` follows every link, ``False`` skips them.
        File names that are not UTF-8 are refused, naming the file, before anything is uploaded.

        >>> art.add_dir("data/", name="images")                      # doctest: +SKIP
        """
        self._draft()
        self._contents.add_dir(
            os.fspath(local_path), name, merge=merge, owner=self._name, follow_symlinks=follow_symlinks
        )

    def new_file(
        self, name: str, mode: str | None = None, encoding: str | None = None
    ) -> AbstractContextManager[IO[Any]]:
        """Open a new file to write into the artifact; it is added when the block ends.

        ``mode`` defaults to ``"x"`` (text, the file must be new); ``"xb"`` or ``"wb"`` write bytes.

        >>> with art.new_file("notes.txt", mode="w") as f:   # doctest: +SKIP
        ...     f.write("hello")
        """
        self._draft()
        return self._contents.new_file(name, mode or "x", encoding, owner=self._name)

    def add_reference(
        self,
        uri: str | ArtifactEntry,
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

        Another artifact's entry (``other.get_entry("x.csv")``, or ``wandb-artifact://<id>/<path>``
        in the default store) is referenced by its digest; downloading fetches that entry's content.
        A URI of any other scheme is tracked by a hash of the URI and not downloaded.

        >>> art.add_reference("s3://my-bucket/images", name="images")   # doctest: +SKIP
        [ArtifactEntry('images/cat.png', ...), ArtifactEntry('images/dog.png', ...)]
        """
        self._draft()
        if isinstance(uri, ArtifactEntry) or uri.startswith(f"{ARTIFACT_SCHEME}://"):
            entry = entry_reference(uri, name)
            self._contents.add_entries([entry], owner=self._name)
            return [ArtifactEntry(self, entry.path)]
        paths = self._contents.add_reference(
            uri, name, checksum=checksum, max_objects=max_objects, storage_options=storage_options,
            owner=self._name,
        )
        return [ArtifactEntry(self, p) for p in paths]

    def add(
        self, obj: Any, name: str, *, serializer: str | Serializer | None = None, overwrite: bool = False
    ) -> ArtifactEntry:
        """Add a Python object (W&B ``Table``/``PartitionedTable``/``Image``, JSON-able dict/list, numpy
        array, pandas DataFrame) as ``name.<suffix>``.

        An ``Image`` is written as W&B writes it: ``name.image-file.json`` and the picture under
        ``media/images/`` (Images in a ``Table``'s cells too).

        A DataFrame is written as Parquet when pyarrow is installed, else as pandas JSON
        (``serializer="pandas"`` forces JSON); ``get(name)`` reads either. ``serializer`` is a
        built-in name (``json``, ``numpy``, ``parquet``, ``pandas``, ``pickle``…), a
        :class:`~artiflow.serializers.Serializer`, or the import path of one
        (``"mypkg.formats:CSV"``, see :mod:`artiflow.serializers`). Pickle is used only with
        ``serializer="pickle"``, and read back only with ``allow_pickle=True``.
        """
        self._draft()
        path = self._contents.add_object(obj, name, serializer=serializer, overwrite=overwrite, owner=self._name)
        return ArtifactEntry(self, path)

    def __setitem__(self, name: str, obj: Any) -> None:
        self.add(obj, name)

    def remove(self, item: str | ArtifactEntry) -> None:
        """Remove an entry, or every entry under a directory path."""
        self._draft()
        path = names.entry_path(item.path if isinstance(item, ArtifactEntry) else item)
        self._contents.remove(path, owner=self._name)

    @property
    def digest_algorithm(self) -> DigestAlgorithm:
        """What the files' digests (and the artifact digest) are hashed with: ``MANIFEST_MD5`` or
        ``MANIFEST_XXH128``, as W&B's ``ArtifactDigestAlgorithm`` (a ``str``).

        >>> artiflow.Artifact("big", "dataset", digest_algorithm="XXH128").digest_algorithm == "MANIFEST_XXH128"
        True
        """
        alg = self._contents.algorithm if self._record is None else self.manifest.digest_algorithm
        return DigestAlgorithm.of(alg)

    # -- persistence ---------------------------------------------------------------------------

    def save(self, project: str | None = None, *, store: Store | None = None) -> Artifact:
        """Log a draft (through a short-lived run), or persist edits to a logged version.

        On a logged version only what this object changed since it was loaded (or last saved) is
        sent: added and removed aliases and tags, the description if changed, and the metadata keys
        set or removed. Edits that other processes saved meanwhile are kept, and the object then
        reads the version as the store holds it. ``latest`` is not editable here: it moves only when
        a version is logged (adding it raises; replacing the alias list keeps it).

        >>> best = api.artifact("cats:v3")        # doctest: +SKIP
        >>> best.aliases.append("best")           # doctest: +SKIP
        >>> best.save()                           # doctest: +SKIP
        """
        if self._record is None:
            with runs_module().init(project=project, job_type="auto", store=store) as run:
                run.log_artifact(self)
            return self
        assert self._store is not None
        edit = self.pending_edit()
        meta = self._store.metadata
        if self._source is not None:  # aliases go to the link, the rest to the source version
            rest = replace(edit, add_aliases=(), remove_aliases=())
            source = meta.edit_version(self._source.id, rest) if rest else meta.get_version(self._source.id)
            seen = registry.edit_aliases(self._store, source, self._record, add=edit.add_aliases,
                                         remove=edit.remove_aliases)
            self._source = source
            self._set_record(seen)
            return self
        rec = meta.edit_version(self._record.id, edit) if edit else meta.get_version(self._record.id)
        self.save_ttl()
        self._set_record(rec)
        return self

    def pending_edit(self) -> VersionEdit:
        """What this logged object changed since it was loaded, checked (internal: ``save()`` sends it)."""
        return editing.pending_edit(self._logged("save"), self)

    @property
    def collection(self) -> ArtifactCollection:
        """The collection this version was fetched from: for a linked version, the registry collection.

        >>> with artiflow.init(project="demo") as run:
        ...     model = artiflow.Artifact("cat-model", type="model")
        ...     _ = model.add_file("cats.csv")
        ...     _ = run.log_artifact(model)
        ...     _ = model.link("model-registry/cats", aliases=["production"])
        >>> linked = artiflow.Api().artifact("model-registry/cats:production")
        >>> linked.collection.name, linked.collection.is_sequence(), model.collection.name
        ('cats', False, 'cat-model')
        """
        rec = self._logged("collection")
        store = self._logged_store("collection")
        found = store.metadata.get_collection(rec.project, rec.name)
        if found is None:
            raise ArtiflowError(f"Collection '{rec.project}/{rec.name}' of {self.name} no longer exists.")
        return ArtifactCollection.of(store, found)

    def new_draft(self) -> Artifact:
        """A draft of the next version, starting from this version's files."""
        rec = self._logged("new_draft")
        assert self._store is not None
        draft = Artifact(rec.name, self._type, self._description, dict(self._metadata),
                         digest_algorithm=self.manifest.digest_algorithm, serializers=self._serializers)
        draft._contents.inherit(self._store, self.manifest, rec.id)
        return draft

    # -- the package's internal interface (not W&B API, not in ``__all__``) --------------------

    def draft_paths(self) -> set[str]:
        """The paths a draft holds (empty once logged)."""
        return self._contents.paths() if self._record is None else set()

    def final_manifest(self, store: Store, progress: Progress | None, lease: Lease) -> Manifest:
        """Store the draft's files under ``lease``; return the manifest a commit publishes (a logged one's own)."""
        if self._record is not None:
            return self.manifest
        return self._contents.final_manifest(store, progress, lease)

    def attach(self, store: Store, rec: VersionRecord, *, created: bool | None = None) -> Artifact:
        """Turn this object into the logged version ``rec`` of ``store``.

        The record's names are checked again: they come from a database someone may have edited,
        and they name local directories (the default download root).
        """
        names.project_name(rec.project)
        names.artifact_name(rec.name)
        self._store = store
        self._set_record(rec)
        self._created = created
        self._contents.clear()
        return self

    @classmethod
    def reserved(cls, name: str, type_: str) -> Artifact:
        """A draft whose name its type reserves (``source-…`` for ``run.log_code``)."""
        art = cls.__new__(cls)
        art._init(names.artifact_name(name), names.artifact_type(type_), None, None, None)
        return art

    @classmethod
    def from_record(cls, store: Store, rec: VersionRecord) -> Artifact:
        """The Artifact object of a stored version."""
        art = cls.__new__(cls)
        art._init(names.artifact_name(rec.name), rec.type, rec.description, None, None)
        return art.attach(store, rec)


@dataclass(frozen=True)
class ArtifactCollection:
    """A named sequence of versions of one type in a project, or a registry collection of links.

    >>> with artiflow.init(project="demo") as run:
    ...     cats = artiflow.Artifact("cats", type="dataset")
    ...     _ = cats.add_file("data/cats/tabby.txt")
    ...     _ = run.log_artifact(cats, aliases=["best"])
    >>> coll = artiflow.Api().artifact("demo/cats:best").collection
    >>> coll.name, coll.type, coll.aliases, [a.name for a in coll.versions()]
    ('cats', 'dataset', ['best', 'latest'], ['cats:v0'])
    """

    project: str
    name: str
    type: str
    created_at: datetime
    _store: Store = field(repr=False, compare=False)

    @classmethod
    def of(cls, store: Store, rec: CollectionRecord) -> ArtifactCollection:
        return cls(rec.project, rec.name, rec.type, rec.created_at, store)

    def is_sequence(self) -> bool:
        """True for a collection of logged versions, False for a registry collection of links."""
        return not registry.is_portfolio(self._store, self.project, self.name)

    def versions(self) -> list[Artifact]:
        """Its versions, oldest first (for a registry collection: its links, by index)."""
        if not self.is_sequence():
            return [Artifact.from_link(self._store, v) for v in registry.members(self._store, self.project, self.name)]
        return [
            Artifact.from_record(self._store, r) for r in self._store.metadata.list_versions(self.project, self.name)
        ]

    def artifacts(self) -> list[Artifact]:
        """The same as :meth:`versions` (W&B's name)."""
        return self.versions()

    @property
    def aliases(self) -> list[str]:
        return sorted({a for v in self.versions() for a in v.aliases})


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

"""Identity, editable attributes and lineage of an artifact version: what ``Artifact`` reads off its record.

``VersionView`` holds the name, type and (once logged) the version record; its properties raise
:class:`ArtifactNotLoggedError` on a draft where W&B does. The editable attributes (description,
metadata, aliases, tags) are plain state here; ``Artifact.save()`` persists them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self

from artiflow.lineage import LineageResult, downstream, upstream

from . import names, userdata
from .digests import b64_to_hex
from .errors import ArtifactFinalizedError, ArtifactNotLoggedError
from .metadata import VersionRecord

if TYPE_CHECKING:
    from .runs import Run
    from .store import Store

PENDING = "PENDING"


class VersionView:
    """The identity of a draft or logged version (the base of :class:`~artiflow.Artifact`)."""

    _name: str
    _type: str
    _description: str | None
    _metadata: dict[str, Any]
    _aliases: list[str]
    _tags: list[str]
    _record: VersionRecord | None
    _store: Store | None
    _created: bool | None
    _source: VersionRecord | None = None  # set on a version seen through a registry link
    _finalized = False  # finalize(): a draft that takes no more content

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
        if self._record is not None or self._finalized:
            raise ArtifactFinalizedError(
                f"Can't modify finalized artifact {self.name!r}; call new_draft() to start a new version."
            )

    @property
    def name(self) -> str:
        """``collection:vN`` once logged; the collection name while a draft."""
        return f"{self._record.name}:v{self._record.version_index}" if self._record else self._name

    @property
    def source_name(self) -> str:
        """``collection:vN`` of the version the files were logged as (differs from ``name`` through a link)."""
        src = self._source or self._record
        return f"{src.name}:v{src.version_index}" if src else self._name

    @property
    def source_project(self) -> str:
        return (self._source or self._logged("source_project")).project

    @property
    def source_collection(self) -> str:
        src = self._source or self._record
        return src.name if src else self._name

    @property
    def source_qualified_name(self) -> str:
        src = self._source or self._logged("source_qualified_name")
        return f"{src.project}/{src.name}:v{src.version_index}"

    @property
    def is_link(self) -> bool:
        """True for a version seen through a registry link (``Api().artifact("<registry>/<name>:…")``)."""
        return self._source is not None

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
        return (self._source or self._logged("source_version")).version

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

    def _set_record(self, rec: VersionRecord) -> None:
        self._record = rec
        self._type = rec.type
        self._description = rec.description
        self._metadata = dict(rec.metadata)
        self._aliases = list(rec.aliases)
        self._tags = list(rec.tags)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VersionView):
            return NotImplemented
        if self._record is None or other._record is None:
            return self is other
        return self._record.id == other._record.id

    def __hash__(self) -> int:
        return hash(self._record.id) if self._record else id(self)

    def _logged_store(self, what: str) -> Store:
        self._logged(what)
        assert self._store is not None
        return self._store

    def wait(self, timeout: float | None = None) -> Self:
        """Logging is synchronous in artiflow: returns the logged artifact, refreshed."""
        rec = self._logged("wait")
        assert self._store is not None
        self._set_record(self._store.metadata.get_version(rec.id))
        return self

    def delete(self, delete_aliases: bool = False) -> None:
        """Soft-delete this version; refused while it holds user aliases unless ``delete_aliases``."""
        store = self._logged_store("delete")
        assert self._record is not None
        deleted = store.metadata.delete_version(self._record.id, delete_aliases=delete_aliases)
        self._set_record(deleted)
        store.lineage().set_state(deleted.id, deleted.state)

    # -- lineage -------------------------------------------------------------------------------

    def logged_by(self) -> Run | None:
        """The run that created this version."""
        store = self._logged_store("logged_by")
        assert self._record is not None
        run_id = store.lineage().logged_by(self._record.id)
        return runs_module().Run.attach(store, run_id) if run_id else None

    def used_by(self) -> list[Run]:
        """Every run that used this version, oldest first."""
        store = self._logged_store("used_by")
        assert self._record is not None
        return [runs_module().Run.attach(store, rid) for rid in store.lineage().used_by(self._record.id)]

    def upstream(self, depth: int | None = None) -> LineageResult:
        """What this version descends from (inputs and producing runs), up to ``depth`` hops."""
        store = self._logged_store("upstream")
        return upstream(store.lineage(), self.qualified_name, depth)

    def downstream(self, depth: int | None = None) -> LineageResult:
        """The runs and versions that descend from this version, up to ``depth`` hops."""
        store = self._logged_store("downstream")
        return downstream(store.lineage(), self.qualified_name, depth)

    # -- the package's internal interface (not W&B API, not in ``__all__``) --------------------

    @property
    def record(self) -> VersionRecord | None:
        """The version's database record; None while a draft."""
        return self._record

    @property
    def store(self) -> Store | None:
        """The store this version lives in; None while a draft."""
        return self._store

    @property
    def created(self) -> bool | None:
        """After a log: True if it created a new version, False if identical content was re-logged.

        None for a draft, or for a version loaded rather than logged by this object.
        """
        return self._created


def runs_module() -> ModuleType:
    """``artiflow.runs``, imported on first use: the one place an artifact reaches up to ``Run``.

    ``runs`` imports this module (a run logs artifacts); an artifact needs ``Run`` only to answer
    ``logged_by``/``used_by`` and to log a draft through ``save()``.
    """
    return importlib.import_module("artiflow.runs")

"""The W&B ``Artifact`` members beyond identity and contents: ``ttl``, ``entity``, ``url``,
``history_step``, ``use_as``, ``json_encode``, ``expected_type``, ``from_id``, ``finalize`` and
``get_added_local_path_name``.

``Attributes`` is a base of :class:`~artiflow.Artifact`. A version's ``ttl`` is kept in the
metadata database; once it has passed, ``artiflow gc`` soft-deletes the version (and says so).

>>> art = artiflow.Artifact("scratch", "dataset")
>>> art.ttl = timedelta(days=7)
>>> art.ttl
datetime.timedelta(days=7)
"""

from __future__ import annotations

import os
import urllib.parse
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self

from . import download
from .errors import ArtifactNotFoundError, ArtiflowError
from .linked import Linked
from .metadata.versioninfo import get_ttl, history_step, set_ttl
from .store import Store

if TYPE_CHECKING:
    from .drafting import Draft


class Attributes(Linked):
    """TTL, entity, URL and the other W&B members that read the store or the draft."""

    _ttl: timedelta | None = None
    _ttl_changed = False
    _use_as: str | None = None
    _contents: Draft

    # -- time to live --------------------------------------------------------------------------

    @property
    def ttl(self) -> timedelta | None:
        """How long this version lives after it was created (None: for ever); ``artiflow gc`` soft-deletes
        it once that has passed. Set it on a draft, or on a logged version and ``save()``."""
        if self._ttl_changed or self._record is None:
            return self._ttl
        assert self._store is not None
        seconds = get_ttl(self._store.metadata, self._record.id)
        return None if seconds is None else timedelta(seconds=seconds)

    @ttl.setter
    def ttl(self, value: timedelta | None) -> None:
        if value is not None and (not isinstance(value, timedelta) or value.total_seconds() <= 0):
            raise ValueError(f"ttl must be a positive timedelta or None, not {value!r}.")
        if self.is_link:
            raise ArtiflowError(f"{self.name} is seen through a registry link; set ttl on its source version.")
        self._ttl, self._ttl_changed = value, True

    def save_ttl(self) -> None:
        """Store a ttl set since the version was loaded (internal: logging and ``save()`` call it)."""
        if self._ttl_changed and self._record is not None and self._store is not None:
            set_ttl(self._store.metadata, self._record.id, None if self._ttl is None else int(self._ttl.total_seconds()))
            self._ttl_changed = False

    # -- names and places ----------------------------------------------------------------------

    @property
    def entity(self) -> str | None:
        """The entity of the run that logged this version (``init(entity=...)``), or None."""
        rec = self._logged("entity")
        if rec.run_id is None or self._store is None:
            return None
        try:
            return self._store.metadata.get_run(rec.run_id).entity
        except ArtifactNotFoundError:
            return None

    @property
    def url(self) -> str:
        """The version's page in ``artiflow ui`` when ``ARTIFLOW_UI_URL`` is set, else a ``file://`` URL of
        its default download directory."""
        rec = self._logged("url")
        assert self._store is not None
        ui = self._store.settings.ui_url
        if ui:
            q = urllib.parse.quote
            return f"{ui.rstrip('/')}/p/{q(rec.project)}/a/{q(rec.name)}/{rec.version}"
        return "file://" + urllib.parse.quote(download.default_root(self._store, self.name))

    @property
    def history_step(self) -> int | None:
        """The last history step the logging run had logged when this version was logged (None if none)."""
        rec = self._logged("history_step")
        if rec.run_id is None or self._store is None:
            return None
        return history_step(self._store.metadata, rec.run_id, rec.created_at)

    @property
    def use_as(self) -> str | None:
        """Deprecated in W&B: the ``use_as`` given to the constructor."""
        return self._use_as

    def json_encode(self) -> dict[str, Any]:
        """W&B's JSON reference to this version (``{"_type": "artifactVersion", ...}``)."""
        rec = self.source_record
        return {"_type": "artifactVersion", "_version": "v0", "id": rec.id, "version": rec.version,
                "sequenceName": rec.name, "usedAs": self._use_as}

    @staticmethod
    def expected_type(client: Store | None, name: str, entity_name: str | None, project_name: str) -> str | None:
        """The type of ``project_name/name:latest`` in ``client`` (the default store if None), or None."""
        del entity_name  # artiflow has no entities
        store = client or Store.open()
        try:
            return store.metadata.find_version(project_name, name.split(":", 1)[0], "latest").type
        except ArtifactNotFoundError:
            return None

    @classmethod
    def from_id(cls, artifact_id: str, client: Store | None = None) -> Self:
        """The version with id ``artifact_id`` in ``client`` (the default store if None)."""
        store = client or Store.open()
        return cls.from_record(store, store.metadata.get_version(artifact_id))

    # -- drafts --------------------------------------------------------------------------------

    def finalize(self) -> None:
        """Make a draft read-only: adding to it raises ``ArtifactFinalizedError``; it can still be logged."""
        self._finalized = True

    def get_added_local_path_name(self, local_path: str | os.PathLike[str]) -> str | None:
        """The artifact path a local file was added under (``add_file``/``add_dir``), or None."""
        local = os.path.abspath(os.fspath(local_path))
        return next((p for p, st in self._contents.staged.items() if st.local_path == local), None)

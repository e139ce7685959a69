"""A version seen through a registry link, and the registry methods of ``Artifact`` (see registry.py).

``Linked`` is the base of :class:`~artiflow.Artifact` between its identity (``VersionView``) and
its contents: ``link``/``unlink``, ``linked_artifacts``/``source_artifact``, and ``lookup``,
which resolves a path to a logged version or through a registry link.

>>> Artifact.lookup(store, "model-registry", "cats", "production").source_name   # doctest: +SKIP
'cat-model:v0'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from . import registry
from .errors import ArtifactNotFoundError
from .identity import VersionView
from .metadata import VersionRecord

if TYPE_CHECKING:
    from .store import Store


class Linked(VersionView):
    """Registry links of an artifact version."""

    if TYPE_CHECKING:
        @classmethod
        def from_record(cls, store: Store, rec: VersionRecord) -> Self: ...
        def save(self, project: str | None = None, *, store: Store | None = None) -> Self: ...

    def link(self, target_path: str, aliases: list[str] | None = None) -> Self:
        """Link this version into a registry collection (``[project/]portfolio``) with ``aliases``.

        A draft is logged first. Returns the version as seen through the link; ``latest`` there
        moves to it.

        >>> model.link("model-registry/cats", aliases=["production"])   # doctest: +SKIP
        <Artifact model-registry/cats:v0>
        """
        if self._record is None:
            self.save()
        store = self._logged_store("link")
        return type(self).from_link(store, registry.link(store, self.source_record, target_path, aliases))

    def unlink(self) -> None:
        """Remove this link from its registry collection (the source version stays)."""
        if self._source is None:
            raise ValueError(f"Artifact {self.qualified_name} is not a linked artifact and cannot be unlinked; "
                             "fetch it through its registry path first.")
        registry.unlink(self._logged_store("unlink"), self._logged("unlink"))

    @property
    def linked_artifacts(self) -> list[Self]:
        """This version as seen through each registry link to it, oldest first."""
        store = self._logged_store("linked_artifacts")
        return [type(self).from_link(store, v) for v in registry.links(store, self.source_record)]

    @property
    def source_artifact(self) -> Self:
        """The version a link points at (the artifact itself when it is not a link)."""
        return type(self).from_record(self._logged_store("source_artifact"), self.source_record)

    @property
    def source_record(self) -> VersionRecord:
        """The record of the version as logged (internal)."""
        return self._source or self._logged("source_record")

    @classmethod
    def lookup(cls, store: Store, project: str, name: str, selector: str) -> Self:
        """The version ``project/name:selector`` names: a logged one, or one seen through a registry link."""
        try:
            return cls.from_record(store, store.metadata.find_version(project, name, selector))
        except ArtifactNotFoundError:
            found = registry.find(store, project, name, selector)
            if found is None:
                raise
            return cls.from_link(store, found[0])

    @classmethod
    def from_link(cls, store: Store, link_view: VersionRecord) -> Self:
        """The Artifact object of a version seen through a registry link (``registry.view``)."""
        art = cls.from_record(store, link_view)
        art._source = store.metadata.get_version(link_view.id)
        return art


"""``ArtifactEntry``: one file of an artifact, as ``get_entry`` and ``files`` return it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .manifest import ManifestEntry
from .names import entry_path
from .references import ARTIFACT_SCHEME
from .store import Store

if TYPE_CHECKING:
    from .reading import Reading


class ArtifactEntry:
    """A view of one manifest entry bound to its artifact.

    >>> artifact = artiflow.Artifact("cats", type="dataset")
    >>> _ = artifact.add_file("data/cats/tabby.txt", name="data/tabby.txt")
    >>> with artiflow.init(project="demo") as run:
    ...     _ = run.log_artifact(artifact)
    >>> entry = artifact.get_entry("data/tabby.txt")
    >>> entry.digest, entry.size
    ('bKD7nGtJl75hRHlycYEcbg==', 6)
    >>> entry.download(tmp)
    '.../data/tabby.txt'
    """

    def __init__(self, artifact: Reading, path: str) -> None:
        self._artifact = artifact
        self.path = path

    @property
    def _entry(self) -> ManifestEntry:
        return self._artifact.entry(self.path)

    @property
    def name(self) -> str:
        return self.path

    @property
    def digest(self) -> str:
        return self._entry.digest

    @property
    def size(self) -> int | None:
        return self._entry.size

    @property
    def ref(self) -> str | None:
        return self._entry.ref

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self._entry.extra)

    @property
    def birth_artifact_id(self) -> str | None:
        return self._entry.birth_artifact_id

    def ref_target(self) -> str:
        """The URI a reference points at."""
        if self.ref is None:
            raise ValueError(f"Entry {self.path!r} is not a reference.")
        return self.ref

    def download(self, root: str | os.PathLike[str] | None = None) -> str:
        """Download this one file under ``root`` (default: the artifact's download root)."""
        return self._artifact.download_entries([self._entry], root)[0]

    def __repr__(self) -> str:
        return f"ArtifactEntry({self.path!r}, artifact={self._artifact.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArtifactEntry) and (other._artifact, other.path) == (self._artifact, self.path)

    def __hash__(self) -> int:
        return hash((id(self._artifact), self.path))


def entry_reference(ref: str | ArtifactEntry, name: str | None) -> ManifestEntry:
    """The entry referencing another version's entry: ``other.get_entry(path)``, or
    ``wandb-artifact://<version id>/<path>`` looked up in the default store. It records the target's
    digest, and a download fetches the target's content."""
    if isinstance(ref, str):
        store, uri = Store.open(), ref
    else:
        owner = ref._artifact
        store, uri = owner._logged_store("add_reference"), f"{ARTIFACT_SCHEME}://{owner.id}/{ref.path}"
    target = store.artifact_entry(uri)
    path = entry_path(name or (ref.path if isinstance(ref, ArtifactEntry) else uri.split("/", 3)[3]))
    return ManifestEntry(path=path, digest=target.digest, size=target.size, ref=uri)

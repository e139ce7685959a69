"""The W&B manifest v1: ``{path: {digest, size, ref?, birthArtifactID?, extra?}}``.

>>> m = Manifest.from_entries([ManifestEntry(path="a.txt", digest="sZRqySSS0jR8YjW00mERhA==", size=6)])
>>> m.digest()
'df2baf4982f9ccdd99de4a5a8b016e45'
>>> Manifest.from_json(m.to_json()) == m
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from . import names
from .digests import manifest_digest
from .errors import StoreError

STORAGE_POLICY = "wandb-storage-policy-v1"


class ManifestEntry(BaseModel):
    """One file (or reference) of an artifact version. Immutable."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    path: str
    digest: str
    size: int | None = None
    ref: str | None = None
    birth_artifact_id: str | None = Field(default=None, alias="birthArtifactID")
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_reference(self) -> bool:
        return self.ref is not None

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"digest": self.digest}
        if self.size is not None:
            out["size"] = self.size
        if self.ref is not None:
            out["ref"] = self.ref
        if self.birth_artifact_id is not None:
            out["birthArtifactID"] = self.birth_artifact_id
        if self.extra:
            out["extra"] = self.extra
        return out


class Manifest(BaseModel):
    """A frozen manifest; ``digest()`` is the artifact digest (the dedup key)."""

    model_config = ConfigDict(frozen=True)

    contents: dict[str, ManifestEntry] = Field(default_factory=dict)
    storage_policy: str = STORAGE_POLICY
    storage_policy_config: dict[str, Any] = Field(default_factory=lambda: {"storageLayout": "V2"})

    @classmethod
    def from_entries(cls, entries: Iterable[ManifestEntry]) -> Manifest:
        return cls.model_construct(
            contents={e.path: e for e in entries},
            storage_policy=STORAGE_POLICY,
            storage_policy_config={"storageLayout": "V2"},
        )

    def __iter__(self) -> Iterator[ManifestEntry]:  # type: ignore[override]
        return iter(self.contents.values())

    def __len__(self) -> int:
        return len(self.contents)

    def __contains__(self, path: object) -> bool:
        return path in self.contents

    def digest(self) -> str:
        return manifest_digest({p: e.digest for p, e in self.contents.items()})

    @property
    def size(self) -> int:
        return sum(e.size or 0 for e in self.contents.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "contents": {p: self.contents[p].to_json_dict() for p in sorted(self.contents)},
            "storagePolicy": self.storage_policy,
            "storagePolicyConfig": self.storage_policy_config,
            "version": 1,
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        if data.get("version") != 1:
            raise StoreError(f"Unsupported manifest version {data.get('version')!r}; only v1 exists.")
        contents = {  # a manifest from storage is foreign input: no path may escape a root
            path: ManifestEntry.model_validate({**entry, "path": names.entry_path(path)})
            for path, entry in dict(data.get("contents", {})).items()
        }
        return cls(
            contents=contents,
            storage_policy=data.get("storagePolicy", STORAGE_POLICY),
            storage_policy_config=dict(data.get("storagePolicyConfig", {"storageLayout": "V2"})),
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Manifest:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise StoreError(f"Corrupt manifest: {exc}; restore the blob or delete the version.") from exc
        return cls.from_dict(data)

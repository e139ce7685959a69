"""The W&B manifest v1: ``{path: {digest, size, ref?, birthArtifactID?, extra?}}``.

>>> m = Manifest.from_entries([ManifestEntry(path="a.txt", digest="sZRqySSS0jR8YjW00mERhA==", size=6)])
>>> m.digest()
'df2baf4982f9ccdd99de4a5a8b016e45'
>>> Manifest.from_json(m.to_json()) == m
True

An XXH128 manifest (``Artifact(..., digest_algorithm="XXH128")``) tags each stored file
``extra={"alg": "XXH128"}`` and hashes its digest lines with XXH128, as W&B does; the JSON does not
name the algorithm otherwise, so a manifest read back is XXH128 if any entry says so.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from . import names
from .digests import ALG_KEY, MD5, XXH128, Algorithm, blob_id, entry_algorithm, manifest_digest
from .errors import MissingDependencyError, StoreError

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

    @property
    def algorithm(self) -> Algorithm:
        """What ``digest`` was hashed with: ``"XXH128"`` if ``extra`` says so, else ``"MD5"`` (W&B's rule)."""
        return entry_algorithm(self.extra)

    @property
    def blob(self) -> str:
        """The blob id of this entry's stored bytes (:func:`~artiflow.digests.blob_id`)."""
        return blob_id(self.digest, entry_algorithm(self.extra))

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
    digest_algorithm: Algorithm = MD5  # what digest() hashes with; not part of the JSON (as in W&B)

    @classmethod
    def from_entries(cls, entries: Iterable[ManifestEntry], digest_algorithm: Algorithm | None = None) -> Manifest:
        """A manifest of ``entries``; ``digest_algorithm`` defaults to XXH128 if an entry says so, else MD5."""
        contents = {e.path: e for e in entries}
        return cls.model_construct(
            contents=contents,
            storage_policy=STORAGE_POLICY,
            storage_policy_config={"storageLayout": "V2"},
            digest_algorithm=digest_algorithm or _infer(contents.values()),
        )

    def with_algorithm(self, digest_algorithm: Algorithm) -> Manifest:
        """The same entries, digested with ``digest_algorithm`` (for a manifest whose entries do not say)."""
        return self.model_copy(update={"digest_algorithm": digest_algorithm})

    def as_recorded(self, digest: str) -> Manifest:
        """This manifest with the algorithm its version's ``digest`` was made with.

        An XXH128 artifact holding only references (or nothing) has no entry that says XXH128, so its
        JSON reads back as MD5: the digest the database records tells the two apart.
        """
        if self.digest_algorithm == MD5 and self.digest() != digest:
            try:
                other = self.with_algorithm(XXH128)
                if other.digest() == digest:
                    return other
            except MissingDependencyError:
                pass  # without xxhash it cannot be checked as XXH128: the caller reports the mismatch
        return self

    def __iter__(self) -> Iterator[ManifestEntry]:  # type: ignore[override]
        return iter(self.contents.values())

    def __len__(self) -> int:
        return len(self.contents)

    def __contains__(self, path: object) -> bool:
        return path in self.contents

    def digest(self) -> str:
        return manifest_digest({p: e.digest for p, e in self.contents.items()}, self.digest_algorithm)

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
        raw = dict(data.get("contents", {}))
        entries = _entry_list().validate_python(  # one call for all entries, not one per entry
            [{**entry, "path": names.entry_path(path)} for path, entry in raw.items()]  # no path may escape a root
        )
        contents = dict(zip(raw, entries))
        return cls(
            contents=contents,
            storage_policy=data.get("storagePolicy", STORAGE_POLICY),
            storage_policy_config=dict(data.get("storagePolicyConfig", {"storageLayout": "V2"})),
            digest_algorithm=_infer(contents.values()),
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Manifest:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise StoreError(f"Corrupt manifest: {exc}; restore the blob or delete the version.") from exc
        return cls.from_dict(data)


def stored_entry(path: str, digest: str, size: int, extra: dict[str, Any], alg: Algorithm) -> ManifestEntry:
    """The entry of a file stored with digest ``digest`` made by ``alg`` (tagged as W&B tags it)."""
    if alg != MD5:  # W&B tags only non-MD5 entries; an untagged entry is MD5
        extra = {**extra, ALG_KEY: alg}
    return ManifestEntry.model_construct(
        path=path, digest=digest, size=size, ref=None, birth_artifact_id=None, extra=extra
    )


@functools.cache
def _entry_list() -> TypeAdapter[list[ManifestEntry]]:
    return TypeAdapter(list[ManifestEntry])


def _infer(entries: Iterable[ManifestEntry]) -> Algorithm:
    """XXH128 if any entry was hashed with it (W&B tags only those), else MD5."""
    return XXH128 if any(entry_algorithm(e.extra) == XXH128 for e in entries) else MD5

"""``ArtifactRef``: the small, picklable pointer to one exact version that flows between tasks.

A task that returns an :class:`~artiflow.Artifact` hands downstream tasks an ``ArtifactRef``
instead: Prefect results stay tiny, and the consumer binds to exactly the version the producer
logged, never to whatever ``latest`` points at by then.

>>> ref = ArtifactRef(project="demo", name="clean", version="v3", digest="0" * 32, type="dataset")
>>> str(ref)
'demo/clean:v3'
>>> ArtifactRef.model_validate_json(ref.model_dump_json()) == ref
True
"""

from __future__ import annotations

from artiflow import Artifact, DigestMismatchError, Store
from pydantic import BaseModel, ConfigDict


class ArtifactRef(BaseModel):
    """One logged version: ``project/name:vN`` plus the digest it must still have."""

    model_config = ConfigDict(frozen=True)

    project: str
    name: str
    version: str
    digest: str
    type: str

    @classmethod
    def of(cls, artifact: Artifact) -> ArtifactRef:
        """The reference of a logged artifact (a draft has no version yet: log it first)."""
        return cls(
            project=artifact.project, name=artifact.collection_name, version=artifact.version,
            digest=artifact.digest, type=artifact.type,
        )

    @property
    def qualified_name(self) -> str:
        """``project/name:vN``, accepted by ``Api().artifact()`` and ``run.use_artifact()``."""
        return f"{self.project}/{self.name}:{self.version}"

    def __str__(self) -> str:
        return self.qualified_name

    def resolve(self, store: Store) -> Artifact:
        """The exact version in ``store``; raises if it is gone or its content differs."""
        rec = store.metadata.find_version(self.project, self.name, self.version)
        if rec.digest != self.digest:
            raise DigestMismatchError(
                f"{self.qualified_name} has digest {rec.digest} in {store}, not {self.digest}; "
                "the reference comes from another store."
            )
        return Artifact.from_record(store, rec)

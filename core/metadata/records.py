"""Immutable records the metadata store hands out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: str
    project: str
    name: str
    group: str | None
    job_type: str | None
    config: dict[str, Any]
    state: str
    exit_code: int | None
    created_at: datetime
    finished_at: datetime | None
    entity: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    host: str | None = None
    pid: int | None = None
    heartbeat_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CollectionRecord:
    id: int
    project: str
    name: str
    type: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class VersionRecord:
    id: str
    project: str
    name: str
    type: str
    version_index: int
    digest: str
    manifest_digest: str
    state: str
    description: str | None
    metadata: dict[str, Any]
    size: int
    file_count: int
    run_id: str | None
    distributed_id: str | None
    created_at: datetime
    updated_at: datetime
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return f"v{self.version_index}"

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.name}:v{self.version_index}"


@dataclass(frozen=True, slots=True)
class NewVersion:
    """What a commit asks the metadata store to record."""

    project: str
    name: str
    type: str
    digest: str
    manifest_digest: str
    size: int
    file_count: int
    run_id: str
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    distributed_id: str | None = None


@dataclass(frozen=True, slots=True)
class EdgeRecord:
    """One log or use of a version by a run, with what lineage needs to place it."""

    id: int
    kind: str
    created: bool
    run_id: str
    run_project: str
    version_id: str
    project: str
    name: str
    type: str
    version_index: int
    state: str = "COMMITTED"


@dataclass(frozen=True, slots=True)
class VersionEdit:
    """What one object changed on a version since it was loaded: applied as a delta, never a snapshot.

    ``description`` is set only when ``set_description`` is true; ``metadata`` keys are set (or, in
    ``drop_metadata``, removed) one by one, so edits to other keys made meanwhile are kept.
    """

    add_aliases: tuple[str, ...] = ()
    remove_aliases: tuple[str, ...] = ()
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    set_description: bool = False
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    drop_metadata: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.add_aliases or self.remove_aliases or self.add_tags or self.remove_tags
            or self.set_description or self.metadata or self.drop_metadata
        )

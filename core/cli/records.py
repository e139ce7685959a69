"""The objects ``--json`` prints: one builder per kind, so every command uses the same keys.

The keys are part of the command line's interface (documented in the README): new keys may be
added, existing ones keep their name and meaning.

- version: ``ref name project type version aliases tags digest size file_count state description
  metadata created_at``
- collection (``ls``): ``name project type versions created_at latest`` (a version, or null)
- run: ``path id project name group job_type state created_at``
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .render import iso

if TYPE_CHECKING:
    from artiflow import Artifact, ArtifactCollection, Run


def version_record(art: Artifact) -> dict[str, Any]:
    return {
        "ref": art.qualified_name,
        "name": art.collection_name,
        "project": art.project,
        "type": art.type,
        "version": art.version,
        "aliases": sorted(art.aliases),
        "tags": sorted(art.tags),
        "digest": art.digest,
        "size": art.size,
        "file_count": art.file_count,
        "state": art.state,
        "description": art.description,
        "metadata": art.metadata,
        "created_at": iso(art.created_at),
    }


def collection_record(coll: ArtifactCollection, versions: list[Artifact], latest: Artifact | None) -> dict[str, Any]:
    return {
        "name": coll.name,
        "project": coll.project,
        "type": coll.type,
        "versions": len(versions),
        "created_at": iso(coll.created_at),
        "latest": version_record(latest) if latest is not None else None,
    }


def run_record(run: Run) -> dict[str, Any]:
    return {
        "path": run.path,
        "id": run.id,
        "project": run.project,
        "name": run.name,
        "group": run.group,
        "job_type": run.job_type,
        "state": run.state,
        "created_at": iso(run.created_at),
    }


def run_summary(run: Run) -> dict[str, Any] | None:
    """A run's summary (the last value logged for each key); ``None`` when it has none."""
    summary = getattr(run, "summary", None)  # a Mapping; absent from runs of older artiflow objects
    if isinstance(summary, Mapping) and summary:
        return dict(summary)
    return None


def latest_of(versions: list[Artifact]) -> Artifact | None:
    """The version holding ``latest`` (the most recently logged content), else the newest."""
    return next((v for v in versions if "latest" in v.aliases), versions[-1] if versions else None)

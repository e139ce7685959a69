"""SQL for collaborative versions: the open one per distributed id, its parts, and the commit that closes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import ArtifactNotFoundError, TypeCollisionError
from . import leases
from . import schema as s
from .records import NewVersion, VersionRecord
from .store import MetadataStore, type_collision_message


@dataclass(frozen=True, slots=True)
class Part:
    id: int
    run_id: str
    manifest_digest: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PendingCollab:
    id: str
    project: str
    name: str
    type: str
    distributed_id: str
    parts: tuple[Part, ...]


class CollabChanged(Exception):
    """A part arrived while the collaborative version was being merged: merge again."""


def add_part(
    md: MetadataStore, *, project: str, name: str, type_: str, distributed_id: str, run_id: str, manifest_digest: str,
    aliases: tuple[str, ...] = (), lease: leases.Held | None = None,
) -> str:
    """Add one writer's part to the open collaborative version, opening one if there is none; returns its id.

    ``lease``: the part's blob leases, checked and dropped in the same transaction (see ``commit_version``).
    """
    now = md.now()

    def tx(conn: Connection) -> str:
        leases.settle(conn, lease)
        row = _open_row(conn, project, name, distributed_id)
        if row is None:
            sid = uuid.uuid4().hex
            conn.execute(
                sa.insert(s.collab_versions).values(
                    id=sid, project=project, name=name, type=type_, distributed_id=distributed_id, is_open=1,
                    created_at=now,
                )
            )
        else:
            sid = row.id
            if row.type != type_:
                raise TypeCollisionError(type_collision_message(name, row.type, type_))
        conn.execute(
            sa.insert(s.collab_parts).values(
                collab_id=sid, run_id=run_id, manifest_digest=manifest_digest, created_at=now,
                aliases=list(aliases) or None,
            )
        )
        return sid

    return md.write(tx)


def open_collab(md: MetadataStore, project: str, name: str, distributed_id: str) -> PendingCollab:
    with md.engine.connect() as conn:
        row = _open_row(conn, project, name, distributed_id)
        if row is None:
            raise ArtifactNotFoundError(
                f"No collaborative version of '{project}/{name}' is open for distributed_id "
                f"{distributed_id!r}; upsert_artifact at least one part first."
            )
        parts = conn.execute(
            sa.select(
                s.collab_parts.c.id, s.collab_parts.c.run_id, s.collab_parts.c.manifest_digest,
                s.collab_parts.c.aliases,
            )
            .where(s.collab_parts.c.collab_id == row.id)
            .order_by(s.collab_parts.c.id)
        ).all()
    return PendingCollab(
        row.id, project, name, row.type, distributed_id,
        tuple(Part(p.id, p.run_id, p.manifest_digest, tuple(p.aliases or ())) for p in parts),
    )


def commit_collab(
    md: MetadataStore, collab: PendingCollab, new: NewVersion, *, contributors: tuple[Part, ...] | None = None,
    lease: leases.Held | None = None,
) -> tuple[VersionRecord, bool]:
    """Close the collaborative version and commit its merged version, in one transaction.

    The runs of ``contributors`` (default: every part) are recorded as having logged it.
    Raises :class:`CollabChanged` if a part arrived since ``collab`` was read.
    """
    now = md.now()

    def tx(conn: Connection) -> tuple[VersionRecord, bool]:
        leases.settle(conn, lease)
        current = conn.execute(
            sa.select(s.collab_parts.c.id).where(s.collab_parts.c.collab_id == collab.id)
        ).scalars().all()
        still_open = conn.execute(
            sa.select(s.collab_versions.c.is_open).where(s.collab_versions.c.id == collab.id)
        ).scalar()
        if still_open != 1 or sorted(current) != sorted(p.id for p in collab.parts):
            raise CollabChanged()
        record, created = md.commit_in(conn, new, now)
        for run_id in dict.fromkeys(p.run_id for p in (collab.parts if contributors is None else contributors)):
            if run_id != new.run_id:
                md.add_edge(conn, run_id, record.id, kind="logged", created=False, now=now)
        conn.execute(
            sa.update(s.collab_versions)
            .where(s.collab_versions.c.id == collab.id)
            .values(is_open=None, version_id=record.id, finished_at=now)
        )
        return record, created

    return md.write(tx)


def _open_row(conn: Connection, project: str, name: str, distributed_id: str) -> Any:  # a Row or None
    u = s.collab_versions
    return conn.execute(
        sa.select(u.c.id, u.c.type).where(
            u.c.project == project, u.c.name == name, u.c.distributed_id == distributed_id, u.c.is_open == 1
        )
    ).first()


def finished_version_id(md: MetadataStore, project: str, name: str, distributed_id: str) -> str | None:
    """The id of the version the newest finished collaborative version of ``distributed_id`` committed, if any."""
    u = s.collab_versions
    with md.engine.connect() as conn:
        return conn.execute(
            sa.select(u.c.version_id)
            .where(u.c.project == project, u.c.name == name, u.c.distributed_id == distributed_id,
                   u.c.is_open.is_(None), u.c.version_id.is_not(None))
            .order_by(u.c.finished_at.desc())
            .limit(1)
        ).scalar()

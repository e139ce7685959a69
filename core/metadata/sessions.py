"""SQL for collaborative versions: open sessions, their parts, and the commit that closes one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import ArtifactNotFoundError, TypeCollisionError
from . import schema as s
from .records import NewVersion, VersionRecord
from .store import MetadataStore, type_collision_message


@dataclass(frozen=True, slots=True)
class Part:
    id: int
    run_id: str
    manifest_digest: str


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    project: str
    name: str
    type: str
    distributed_id: str
    parts: tuple[Part, ...]


class SessionChanged(Exception):
    """A part arrived while the session was being merged: merge again."""


def add_part(
    md: MetadataStore, *, project: str, name: str, type_: str, distributed_id: str, run_id: str, manifest_digest: str
) -> str:
    """Add one writer's part to the open session, opening one if there is none; returns its id."""
    now = md.now()

    def tx(conn: Connection) -> str:
        row = _open_row(conn, project, name, distributed_id)
        if row is None:
            sid = uuid.uuid4().hex
            conn.execute(
                sa.insert(s.upload_sessions).values(
                    id=sid, project=project, name=name, type=type_, distributed_id=distributed_id, is_open=1,
                    created_at=now,
                )
            )
        else:
            sid = row.id
            if row.type != type_:
                raise TypeCollisionError(type_collision_message(name, row.type, type_))
        conn.execute(
            sa.insert(s.session_parts).values(
                session_id=sid, run_id=run_id, manifest_digest=manifest_digest, created_at=now
            )
        )
        return sid

    return md.write(tx)


def open_session(md: MetadataStore, project: str, name: str, distributed_id: str) -> Session:
    with md.engine.connect() as conn:
        row = _open_row(conn, project, name, distributed_id)
        if row is None:
            raise ArtifactNotFoundError(
                f"No collaborative version of '{project}/{name}' is open for distributed_id "
                f"{distributed_id!r}; upsert_artifact at least one part first."
            )
        parts = conn.execute(
            sa.select(s.session_parts.c.id, s.session_parts.c.run_id, s.session_parts.c.manifest_digest)
            .where(s.session_parts.c.session_id == row.id)
            .order_by(s.session_parts.c.id)
        ).all()
    return Session(row.id, project, name, row.type, distributed_id, tuple(Part(*p) for p in parts))


def commit_session(
    md: MetadataStore, session: Session, new: NewVersion, *, contributors: tuple[Part, ...] | None = None
) -> tuple[VersionRecord, bool]:
    """Close the session and commit its merged version, in one transaction.

    The runs of ``contributors`` (default: every part) are recorded as having logged it.
    Raises :class:`SessionChanged` if a part arrived since ``session`` was read.
    """
    now = md.now()

    def tx(conn: Connection) -> tuple[VersionRecord, bool]:
        current = conn.execute(
            sa.select(s.session_parts.c.id).where(s.session_parts.c.session_id == session.id)
        ).scalars().all()
        still_open = conn.execute(
            sa.select(s.upload_sessions.c.is_open).where(s.upload_sessions.c.id == session.id)
        ).scalar()
        if still_open != 1 or sorted(current) != sorted(p.id for p in session.parts):
            raise SessionChanged()
        record, created = md.commit_in(conn, new, now)
        for run_id in dict.fromkeys(p.run_id for p in (session.parts if contributors is None else contributors)):
            if run_id != new.run_id:
                md.add_edge(conn, run_id, record.id, kind="logged", created=False, now=now)
        conn.execute(
            sa.update(s.upload_sessions)
            .where(s.upload_sessions.c.id == session.id)
            .values(is_open=None, version_id=record.id, finished_at=now)
        )
        return record, created

    return md.write(tx)


def _open_row(conn: Connection, project: str, name: str, distributed_id: str) -> Any:  # a Row or None
    u = s.upload_sessions
    return conn.execute(
        sa.select(u.c.id, u.c.type).where(
            u.c.project == project, u.c.name == name, u.c.distributed_id == distributed_id, u.c.is_open == 1
        )
    ).first()


def finished_version_id(md: MetadataStore, project: str, name: str, distributed_id: str) -> str | None:
    """The id of the version the newest finished session of ``distributed_id`` committed, if any."""
    u = s.upload_sessions
    with md.engine.connect() as conn:
        return conn.execute(
            sa.select(u.c.version_id)
            .where(u.c.project == project, u.c.name == name, u.c.distributed_id == distributed_id,
                   u.c.is_open.is_(None), u.c.version_id.is_not(None))
            .order_by(u.c.finished_at.desc())
            .limit(1)
        ).scalar()

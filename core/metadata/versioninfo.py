"""SQL for what a version has besides its record: its time to live, and the step its run was at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema as s
from .store import MetadataStore


def set_ttl(md: MetadataStore, version_id: str, seconds: int | None) -> None:
    """Give ``version_id`` a time to live (``None``: none)."""
    t = s.version_ttl

    def tx(conn: Connection) -> None:
        conn.execute(sa.delete(t).where(t.c.version_id == version_id))
        if seconds is not None:
            conn.execute(sa.insert(t).values(version_id=version_id, ttl_seconds=seconds))

    md.write(tx)


def get_ttl(md: MetadataStore, version_id: str) -> int | None:
    t = s.version_ttl
    with md.engine.connect() as conn:
        value = conn.execute(sa.select(t.c.ttl_seconds).where(t.c.version_id == version_id)).scalar()
    return None if value is None else int(value)


def expired(md: MetadataStore, now: datetime) -> list[str]:
    """The ids of committed versions whose time to live has passed, oldest first."""
    t, v = s.version_ttl, s.versions
    with md.engine.connect() as conn:
        rows = conn.execute(
            sa.select(v.c.id, v.c.created_at, t.c.ttl_seconds).join(t, t.c.version_id == v.c.id)
            .where(v.c.state == "COMMITTED").order_by(v.c.created_at)
        ).all()
    return [r.id for r in rows if _aware(r.created_at) + timedelta(seconds=int(r.ttl_seconds)) <= now]


def history_step(md: MetadataStore, run_id: str, at: datetime) -> int | None:
    """The last step ``run_id`` had logged by ``at`` (None if it logged none)."""
    h = s.run_history
    with md.engine.connect() as conn:
        value = conn.execute(
            sa.select(sa.func.max(h.c.step)).where(h.c.run_id == run_id, h.c.created_at <= at)
        ).scalar()
    return None if value is None else int(value)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)  # SQLite returns naive UTC

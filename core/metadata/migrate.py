"""Bring a metadata database to the current schema: create it, or upgrade it with Alembic.

A new database gets the current schema in one go and is stamped at the newest revision; an
existing one is upgraded through every revision it lacks (``migrations/versions``). A database
stamped with a revision this artiflow does not know was written by a newer artiflow: refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from ..errors import StoreError
from . import schema as s

HEAD = "0009"
_SCRIPTS = Path(__file__).parent / "migrations"


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(_SCRIPTS), version_locations=[str(_SCRIPTS / "versions")])


def ensure_schema(conn: Connection) -> None:
    """Run inside a write transaction; cheap when the schema is already current."""
    ctx = MigrationContext.configure(conn)
    current = ctx.get_current_revision()
    if current == HEAD:
        return
    if current is None and not sa.inspect(conn).has_table("collections"):
        s.metadata.create_all(conn)
        ctx.stamp(_scripts(), HEAD)
        return
    scripts = _scripts()
    if current is not None:
        try:
            scripts.get_revision(current)
        except Exception as exc:  # alembic raises its own error for an unknown revision
            raise StoreError(
                f"The store's schema revision {current!r} is newer than this artiflow understands; upgrade artiflow."
            ) from exc
    if current is None:  # created by create_all before migrations existed
        ctx.stamp(scripts, "0001")

    def upgrade(rev: Any, _context: Any) -> Any:
        return scripts._upgrade_revs(HEAD, rev)

    migrate_ctx = MigrationContext.configure(conn, opts={"fn": upgrade})
    with Operations.context(migrate_ctx):
        migrate_ctx.run_migrations()

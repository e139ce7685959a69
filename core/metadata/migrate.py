"""Bring a metadata database to the current schema: create it, or upgrade it with Alembic.

A new database gets the current schema in one go and is stamped at the newest revision; an
existing one is upgraded through every revision it lacks (``migrations/versions``). A database
stamped with a revision this artiflow does not know was written by a newer artiflow: refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import StoreError
from . import schema as s

HEAD = "0010"
_SCRIPTS = Path(__file__).parent / "migrations"


if TYPE_CHECKING:
    from alembic.script import ScriptDirectory


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(_SCRIPTS), version_locations=[str(_SCRIPTS / "versions")])


def current_revision(conn: Connection) -> str | None:
    """The revision the database is stamped with (None: not stamped), read without Alembic."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(conn: Connection) -> None:
    """Run inside a write transaction; cheap when the schema is already current.

    Alembic (and the template engine it brings) is imported only when there is something to do:
    opening a current store is every process's first step, and the import is most of its cost.
    """
    if current_revision(conn) == HEAD:
        return
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

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

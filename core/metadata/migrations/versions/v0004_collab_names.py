"""Collaborative versions under one name: ``upload_sessions`` and ``session_parts`` become
``collab_versions`` and ``collab_parts`` (column ``session_id`` becomes ``collab_id``).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _rename(old_table: str, new_table: str, old_col: str, new_col: str, old_ix: str, new_ix: str) -> None:
    op.rename_table(old_table, new_table)
    op.execute(f"ALTER TABLE {new_table} RENAME COLUMN {old_col} TO {new_col}")
    # An index keeps its name through a table rename: give it the new one (SQLite cannot rename one).
    op.drop_index(old_ix, table_name=new_table, if_exists=True)
    op.create_index(new_ix, new_table, [new_col])


def upgrade() -> None:
    op.rename_table("upload_sessions", "collab_versions")
    _rename("session_parts", "collab_parts", "session_id", "collab_id", "ix_session_parts_session_id",
            "ix_collab_parts_collab_id")


def downgrade() -> None:
    _rename("collab_parts", "session_parts", "collab_id", "session_id", "ix_collab_parts_collab_id",
            "ix_session_parts_session_id")
    op.rename_table("collab_versions", "upload_sessions")

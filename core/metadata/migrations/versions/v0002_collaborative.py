"""Collaborative versions (upload sessions and their parts); drop the pre-Alembic info table.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("distributed_id", sa.String(256), nullable=False),
        sa.Column("is_open", sa.Integer, nullable=True),
        sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("project", "name", "distributed_id", "is_open", name="uq_one_open_session"),
    )
    op.create_table(
        "session_parts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(32), sa.ForeignKey("upload_sessions.id"), nullable=False),
        sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("manifest_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_session_parts_session_id", "session_parts", ["session_id"])
    op.drop_table("artiflow_info")


def downgrade() -> None:
    op.create_table(
        "artiflow_info",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.drop_table("session_parts")
    op.drop_table("upload_sessions")

"""W&B's run fields (entity, tags, notes, summary), liveness (host, pid, heartbeat) and run history.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # Only what is missing: a store made by create_all before migrations existed is stamped 0001
    # and upgraded from there, whatever columns the artiflow that made it declared.
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("runs")}
    new: list[sa.Column[Any]] = [
        sa.Column("entity", sa.String(128), nullable=True),
        sa.Column("tags", _JSON, nullable=True),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("summary", _JSON, nullable=True),
        sa.Column("host", sa.String(256), nullable=True),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    ]
    for column in new:
        if column.name not in have:
            op.add_column("runs", column)
    if inspector.has_table("run_history"):
        return
    op.create_table(
        "run_history",
        sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("step", sa.Integer, primary_key=True),
        sa.Column("data", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_history")
    with op.batch_alter_table("runs") as batch:
        for column in ("heartbeat_at", "pid", "host", "summary", "notes", "tags", "entity"):
            batch.drop_column(column)

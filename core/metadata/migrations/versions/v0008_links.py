"""Registry links: a portfolio collection's links to versions of other collections.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("links"):
        return
    op.create_table(
        "links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), nullable=False),
        sa.Column("version_index", sa.Integer, nullable=False),
        sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("collection_id", "version_index", name="uq_link_index"),
        sa.UniqueConstraint("collection_id", "version_id", name="uq_link_version"),
    )


def downgrade() -> None:
    op.drop_table("links")

"""A version's time to live (``Artifact.ttl``).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("version_ttl"):
        return
    op.create_table(
        "version_ttl",
        sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), primary_key=True),
        sa.Column("ttl_seconds", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("version_ttl")

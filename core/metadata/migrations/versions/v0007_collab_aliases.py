"""The aliases a writer gives ``upsert_artifact``, kept with its part until the version is finished.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("collab_parts")}
    if "aliases" not in have:
        op.add_column("collab_parts", sa.Column("aliases", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collab_parts") as batch:
        batch.drop_column("aliases")

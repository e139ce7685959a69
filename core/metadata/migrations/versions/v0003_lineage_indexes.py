"""Lineage edges indexed by (version, kind) and (run, kind), replacing the one-column indexes.

A walk loads one side of a node: a version's logs going upstream, its uses going downstream.
With the kind in the index, a version that thousands of runs used answers "who logged you" from
one index entry instead of reading every use.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF (NOT) EXISTS: a store made by create_all before migrations existed is stamped 0001 and
    # upgraded from there, whatever indexes the artiflow that made it declared.
    op.create_index("ix_edges_version_kind", "edges", ["version_id", "kind"], if_not_exists=True)
    op.create_index("ix_edges_run_kind", "edges", ["run_id", "kind"], if_not_exists=True)
    op.drop_index("ix_edges_version_id", table_name="edges", if_exists=True)
    op.drop_index("ix_edges_run_id", table_name="edges", if_exists=True)


def downgrade() -> None:
    op.create_index("ix_edges_run_id", "edges", ["run_id"])
    op.create_index("ix_edges_version_id", "edges", ["version_id"])
    op.drop_index("ix_edges_run_kind", table_name="edges")
    op.drop_index("ix_edges_version_kind", table_name="edges")

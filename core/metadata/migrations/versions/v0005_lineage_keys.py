"""Integer node keys for lineage walks: ``versions.key``, ``runs.key`` and both on every edge.

A depth-20 walk on a store of a million nodes makes tens of thousands of index lookups. By text id
(random uuid hex) each lands on a different page of a large index; by keys numbered in creation
order, the versions and runs one walk reaches (made at about the same time) sit side by side, and
the covering indexes answer without reading the tables. Existing rows are numbered in the order
they were written (SQLite's rowid; PostgreSQL's creation times).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    # A store made by create_all before migrations existed is stamped 0001 and upgraded from there,
    # with whatever columns and indexes the artiflow that made it declared: add only what is missing.
    inspector = sa.inspect(bind)
    has = {t: {c["name"] for c in inspector.get_columns(t)} for t in ("versions", "runs", "edges")}
    if "key" in has["versions"] and "version_key" in has["edges"]:
        return
    for table in ("versions", "runs"):
        if postgres:
            op.execute(sa.schema.CreateSequence(sa.Sequence(f"{table}_key_seq"), if_not_exists=True))
        op.add_column(table, sa.Column("key", sa.BigInteger, nullable=True))
        if postgres:
            op.execute(
                f"UPDATE {table} t SET key = o.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n "
                f"FROM {table}) o WHERE t.id = o.id"
            )
            op.execute(f"SELECT setval('{table}_key_seq', COALESCE((SELECT max(key) FROM {table}), 0) + 1, false)")
        else:
            op.execute(f"UPDATE {table} SET key = rowid")
    op.add_column("edges", sa.Column("version_key", sa.BigInteger, nullable=True))
    op.add_column("edges", sa.Column("run_key", sa.BigInteger, nullable=True))
    op.execute(
        "UPDATE edges SET version_key = (SELECT key FROM versions WHERE versions.id = edges.version_id), "
        "run_key = (SELECT key FROM runs WHERE runs.id = edges.run_id)"
    )
    op.create_index("ix_versions_lineage", "versions", ["key", "id", "collection_id", "version_index", "state"])
    op.create_index("ix_runs_lineage", "runs", ["key", "id", "project"])
    op.create_index("ix_edges_version_flow", "edges", ["version_key", "kind", "run_key", "run_id", "created", "id"])
    op.create_index("ix_edges_run_flow", "edges", ["run_key", "kind", "version_key", "version_id", "created", "id"])


def downgrade() -> None:
    op.drop_index("ix_edges_run_flow", table_name="edges")
    op.drop_index("ix_edges_version_flow", table_name="edges")
    op.drop_index("ix_runs_lineage", table_name="runs")
    op.drop_index("ix_versions_lineage", table_name="versions")
    op.drop_column("edges", "run_key")
    op.drop_column("edges", "version_key")
    for table in ("runs", "versions"):
        op.drop_column(table, "key")
        if op.get_bind().dialect.name == "postgresql":
            op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_key_seq")))

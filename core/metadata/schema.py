"""The metadata schema (SQLAlchemy Core). Portable between SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

metadata = sa.MetaData()

collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(128), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("type", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, server_default="sequence"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("project", "name", name="uq_collection_project_name"),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), nullable=False),
    sa.Column("version_index", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("manifest_digest", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("metadata", JSONType, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("file_count", sa.Integer, nullable=False),
    sa.Column("run_id", sa.String(128), nullable=True),
    sa.Column("distributed_id", sa.String(128), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("collection_id", "version_index", name="uq_version_index"),
    sa.Index("ix_versions_digest", "collection_id", "digest"),
)

aliases = sa.Table(
    "aliases",
    metadata,
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), primary_key=True),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), nullable=False, index=True),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), primary_key=True),
    sa.Column("tag", sa.String(128), primary_key=True),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("project", sa.String(128), nullable=False, index=True),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("group", sa.String(256), nullable=True),
    sa.Column("job_type", sa.String(128), nullable=True),
    sa.Column("config", JSONType, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
)

# The durable truth of lineage: one row per log or use of a version by a run.
edges = sa.Table(
    "edges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # "logged" | "used"
    sa.Column("created", sa.Boolean, nullable=False),  # True on the log that created the version
    sa.Column("use_as", sa.String(128), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # A lineage walk loads one side of a node (a version's logs, or its uses): the kind is in the
    # index so that a version used by thousands of runs finds its one log without reading them.
    sa.Index("ix_edges_version_kind", "version_id", "kind"),
    sa.Index("ix_edges_run_kind", "run_id", "kind"),
)

# Collaborative versions: one open collaborative version per (collection, distributed id) collects the parts
# that many writers upsert; finishing merges them into one committed version. ``is_open`` is 1
# while open and NULL once finished, so the unique constraint allows one open one at a time
# (NULLs never collide) and any number of finished ones.
collab_versions = sa.Table(
    "collab_versions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("project", sa.String(128), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("type", sa.String(128), nullable=False),
    sa.Column("distributed_id", sa.String(256), nullable=False),
    sa.Column("is_open", sa.Integer, nullable=True),
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("project", "name", "distributed_id", "is_open", name="uq_one_open_collab"),
)

collab_parts = sa.Table(
    "collab_parts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("collab_id", sa.String(32), sa.ForeignKey("collab_versions.id"), nullable=False, index=True),
    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("manifest_digest", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

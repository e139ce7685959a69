"""The metadata schema (SQLAlchemy Core). Portable between SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

metadata = sa.MetaData()

# Integer node keys for lineage walks, numbered in creation order (a PostgreSQL sequence; on
# SQLite the writer takes the next number inside its write lock, see ``next_key``). A walk looks
# nodes up by these: what one run used and logged was created at about the same time, so their
# keys sit side by side in the indexes and each lookup finds its pages already read, where text
# ids (random uuid hex) scatter every lookup over the whole index.
versions_key_seq = sa.Sequence("versions_key_seq")
runs_key_seq = sa.Sequence("runs_key_seq")

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
    sa.Column("key", sa.BigInteger, versions_key_seq, nullable=True),
    sa.UniqueConstraint("collection_id", "version_index", name="uq_version_index"),
    sa.Index("ix_versions_digest", "collection_id", "digest"),
    # covering: a lineage walk describes the versions it reached from this index alone
    sa.Index("ix_versions_lineage", "key", "id", "collection_id", "version_index", "state"),
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
    sa.Column("key", sa.BigInteger, runs_key_seq, nullable=True),
    sa.Index("ix_runs_lineage", "key", "id", "project"),  # covering, for a lineage walk
    # W&B's run fields (revision 0006): free-form, recorded as given.
    sa.Column("entity", sa.String(128), nullable=True),
    sa.Column("tags", JSONType, nullable=True),
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("summary", JSONType, nullable=True),
    # Liveness (revision 0006): a running run whose process is gone reads as "crashed".
    sa.Column("host", sa.String(256), nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
)

# ``run.log()`` rows: one per committed step, scalar values only (numbers, strings, bools).
run_history = sa.Table(
    "run_history",
    metadata,
    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("step", sa.Integer, primary_key=True),
    sa.Column("data", JSONType, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
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
    sa.Column("version_key", sa.BigInteger, nullable=True),  # versions.key and runs.key, for walks
    sa.Column("run_key", sa.BigInteger, nullable=True),
    # A lineage walk loads one side of a node (a version's logs, or its uses): the kind is in the
    # index so that a version used by thousands of runs finds its one log without reading them.
    sa.Index("ix_edges_version_kind", "version_id", "kind"),
    sa.Index("ix_edges_run_kind", "run_id", "kind"),
    # The same by integer key, covering every column a walk reads (it never visits the table).
    sa.Index("ix_edges_version_flow", "version_key", "kind", "run_key", "run_id", "created", "id"),
    sa.Index("ix_edges_run_flow", "run_key", "kind", "version_key", "version_id", "created", "id"),
)

# Registry links (revision 0008): a portfolio collection (``collections.kind == "portfolio"``) holds no
# versions of its own, only links to versions of other collections, numbered in the order they were
# linked. Its aliases are rows of ``aliases`` under the portfolio's collection id.
links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id"), nullable=False),
    sa.Column("version_index", sa.Integer, nullable=False),
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("collection_id", "version_index", name="uq_link_index"),
    sa.UniqueConstraint("collection_id", "version_id", name="uq_link_version"),
)

# Time to live (revision 0009): a version older than ``ttl_seconds`` is soft-deleted by ``artiflow gc``.
version_ttl = sa.Table(
    "version_ttl",
    metadata,
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id"), primary_key=True),
    sa.Column("ttl_seconds", sa.BigInteger, nullable=False),
)

# Blob leases (revision 0010): a log leases the blobs it is about to publish before it looks them up,
# and its commit drops the leases; gc deletes no blob a lease names (see ``metadata.leases``). A lease
# whose log crashed lapses at ``expires_at`` (seconds since the epoch, on the database's clock).
blob_leases = sa.Table(
    "blob_leases",
    metadata,
    sa.Column("holder", sa.String(32), primary_key=True),  # one id per log
    sa.Column("key", sa.String(200), primary_key=True),  # the blob key, md5/<hex[:2]>/<hex[2:]>
    sa.Column("expires_at", sa.Float, nullable=False),
    sqlite_with_rowid=False,  # the primary key is the table: one B-tree to write per lease
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
    # the aliases its writer gave upsert_artifact; they apply when the version is finished
    sa.Column("aliases", JSONType, nullable=True),
)


def next_key(conn: sa.Connection, table: sa.Table) -> sa.ColumnElement[int] | None:
    """The ``key`` to insert a new version or run with: ``None`` on PostgreSQL (its sequence
    numbers it), else one more than the largest (the writer holds SQLite's write lock)."""
    if conn.dialect.name == "postgresql":
        return None
    return sa.select(sa.func.coalesce(sa.func.max(table.c.key), 0) + 1).scalar_subquery()


def node_keys(run_id: str, version_id: str) -> dict[str, sa.ColumnElement[int]]:
    """``version_key`` and ``run_key`` for a new edge record, looked up from its two ends."""
    return {
        "version_key": sa.select(versions.c.key).where(versions.c.id == version_id).scalar_subquery(),
        "run_key": sa.select(runs.c.key).where(runs.c.id == run_id).scalar_subquery(),
    }

"""The lineage graph's window onto the database: load only the neighbourhood a query needs.

The edge records are the durable truth; :class:`SqlLineageSource` answers the graph's
``LineageSource`` protocol with indexed lookups (edges by version id or run id, in batches), so a
store of millions of nodes is never loaded whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..batches import SQL_BATCH, batched
from ..names import version_index
from . import schema as s
from .records import EdgeRecord

if TYPE_CHECKING:
    from artiflow.lineage.graph import Direction, FlowRow, RunRow, VersionRow

    from .store import MetadataStore


def edge_query() -> sa.Select[Any]:
    """Edge records with what the graph needs to place them, in :class:`EdgeRecord`'s field order."""
    e, v, c, r = s.edges, s.versions, s.collections, s.runs
    return (
        sa.select(
            e.c.id, e.c.kind, e.c.created, e.c.run_id, r.c.project.label("run_project"), e.c.version_id,
            c.c.project, c.c.name, c.c.type, v.c.version_index, v.c.state,
        )
        .join(v, v.c.id == e.c.version_id)
        .join(c, c.c.id == v.c.collection_id)
        .join(r, r.c.id == e.c.run_id)
        .order_by(e.c.id)
    )


def _raw(
    conn: sa.Connection, sql: str, ids: Sequence[Any], params: tuple[Any, ...] = (), batch: int = SQL_BATCH
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` for ``ids`` in batches, on the driver's own cursor.

    A walk makes a few dozen of these queries per depth-20 question, each returning hundreds of
    rows: SQLAlchemy's statement compilation and row objects would cost as much as SQLite's
    work. ``{p}`` in ``sql`` is one placeholder (for ``params``, which come first) and ``{ps}``
    the batch's placeholders.
    """
    if not ids:
        return []
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    out: list[tuple[Any, ...]] = []
    try:
        for part in batched(ids, batch):
            cursor.execute(sql.format(p=mark, ps=", ".join([mark] * len(part))), (*params, *part))
            out.extend(cursor.fetchall())
    finally:
        cursor.close()
    return out


class SqlLineageSource:
    """``LineageSource`` over a :class:`MetadataStore`."""

    batch_size = SQL_BATCH  # ids per IN (...) query

    def __init__(self, metadata: MetadataStore) -> None:
        self._md = metadata

    def latest_edge_id(self) -> int:
        with self._md.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(s.edges.c.id), 0))).scalar_one())

    def edges_since(self, cursor: int) -> list[EdgeRecord]:
        return self._md.edges_since(cursor)

    def edges_of(
        self, *, version_ids: Sequence[str], run_ids: Sequence[str], direction: Direction | None = None
    ) -> list[EdgeRecord]:
        """The edges of these versions and runs, oldest first: pointing into them (``in``: a
        version's logs, a run's uses), out of them (``out``), or all (``None``)."""
        e = s.edges
        kinds = {"in": ("logged", "used"), "out": ("used", "logged")}.get(direction or "", (None, None))
        rows: dict[int, EdgeRecord] = {}
        with self._md.engine.connect() as conn:
            for column, ids, kind in ((e.c.version_id, version_ids, kinds[0]), (e.c.run_id, run_ids, kinds[1])):
                for batch in batched(list(ids), self.batch_size):
                    q = edge_query().where(column.in_(batch))
                    if kind is not None:
                        q = q.where(e.c.kind == kind)
                    for row in conn.execute(q).all():  # columns in EdgeRecord's order, see edge_query
                        rows[row[0]] = EdgeRecord(*row)
        return [rows[k] for k in sorted(rows)]

    def flow_of(
        self, *, version_keys: Sequence[int], run_keys: Sequence[int], direction: Direction
    ) -> tuple[list[FlowRow], list[FlowRow]]:
        """The records on one side (``in``: a version's logs, a run's uses; ``out``: the reverse)
        of these versions, and of these runs (by key), as bare ``(key, other node, other key, id,
        created)`` rows in no order: read from the edges table's covering indexes alone."""
        kinds = ("logged", "used") if direction == "in" else ("used", "logged")
        with self._md.engine.connect() as conn:
            by_version = _raw(
                conn,
                "SELECT version_key, 'run:' || run_id, run_key, id, created FROM edges "
                "WHERE kind = {p} AND version_key IN ({ps})",
                version_keys,
                (kinds[0],),
                self.batch_size,
            )
            by_run = _raw(
                conn,
                "SELECT run_key, 'artifact:' || version_id, version_key, id, created FROM edges "
                "WHERE kind = {p} AND run_key IN ({ps})",
                run_keys,
                (kinds[1],),
                self.batch_size,
            )
        return by_version, by_run  # type: ignore[return-value]

    def describe(
        self,
        *,
        version_ids: Sequence[str] = (),
        run_ids: Sequence[str] = (),
        version_keys: Sequence[int] = (),
        run_keys: Sequence[int] = (),
    ) -> tuple[list[VersionRow], list[RunRow]]:
        """What the graph keeps of these versions and runs, by id or by key (node keys and labels
        included), in batches; by key from covering indexes alone."""
        version = (
            "SELECT 'artifact:' || v.id, c.project || '/' || c.name || ':v' || CAST(v.version_index AS TEXT), "
            "v.key, v.id, c.project, c.name, c.type, v.version_index, v.state FROM versions v{by} "
            "JOIN collections c ON c.id = v.collection_id WHERE v.{col} IN ({{ps}})"
        )
        run = "SELECT 'run:' || id, project || '/' || id, key, id, project FROM runs{by} WHERE {col} IN ({{ps}})"
        with self._md.engine.connect() as conn:
            # SQLite's planner may prefer the primary key's own index, which does not cover
            sqlite = conn.dialect.name == "sqlite"
            by_v, by_r = (" INDEXED BY ix_versions_lineage", " INDEXED BY ix_runs_lineage") if sqlite else ("", "")
            n = self.batch_size
            versions = _raw(conn, version.format(by="", col="id"), version_ids, batch=n)
            versions += _raw(conn, version.format(by=by_v, col="key"), version_keys, batch=n)
            runs = _raw(conn, run.format(by="", col="id"), run_ids, batch=n)
            runs += _raw(conn, run.format(by=by_r, col="key"), run_keys, batch=n)
        return versions, runs  # type: ignore[return-value]

    def resolve_artifact(self, ref: str) -> str | None:
        """The version id of ``project/name:vN`` (deleted versions included), or None."""
        coll, _, selector = ref.rpartition(":")
        project, _, name = coll.rpartition("/")
        index = version_index(selector)
        if not (project and name) or index is None:
            return None
        v, c = s.versions, s.collections
        q = (
            sa.select(v.c.id)
            .join(c, c.c.id == v.c.collection_id)
            .where(c.c.project == project, c.c.name == name, v.c.version_index == index)
        )
        with self._md.engine.connect() as conn:
            return conn.execute(q).scalar()

    def run_exists(self, run_id: str) -> bool:
        with self._md.engine.connect() as conn:
            return conn.execute(sa.select(s.runs.c.id).where(s.runs.c.id == run_id)).first() is not None

    def collection_type(self, project: str, name: str) -> str | None:
        coll = self._md.get_collection(project, name)
        return coll.type if coll else None

    def collisions(self, project: str | None) -> dict[tuple[str, str], list[str]]:
        """Names used with more than one type in a project (case-insensitively, as a migrated
        store may hold ``Cats`` as a model and ``cats`` as a dataset)."""
        c = s.collections
        q = sa.select(c.c.project, c.c.name, c.c.type).order_by(c.c.project, c.c.name)
        if project is not None:
            q = q.where(c.c.project == project)
        seen: dict[tuple[str, str], dict[str, None]] = {}
        with self._md.engine.connect() as conn:
            for proj, name, type_ in conn.execute(q):
                seen.setdefault((proj, name.lower()), {})[type_] = None
        return {k: list(types) for k, types in seen.items() if len(types) > 1}

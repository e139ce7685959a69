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
    from artiflow.lineage.graph import Direction, FlowRow, VersionInfo

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
        self, *, version_ids: Sequence[str], run_ids: Sequence[str], direction: Direction
    ) -> list[FlowRow]:
        """The bare edge rows ``(id, kind, created, run_id, version_id)`` on one side of these
        versions and runs, in no order: the edges table alone, no join (see :meth:`describe`)."""
        e = s.edges
        kinds = ("logged", "used") if direction == "in" else ("used", "logged")
        cols = (e.c.id, e.c.kind, e.c.created, e.c.run_id, e.c.version_id)
        rows: list[FlowRow] = []
        with self._md.engine.connect() as conn:
            for column, ids, kind in ((e.c.version_id, version_ids, kinds[0]), (e.c.run_id, run_ids, kinds[1])):
                for batch in batched(list(ids), self.batch_size):
                    q = sa.select(*cols).where(column.in_(batch), e.c.kind == kind)
                    rows.extend((i, k, bool(c), r, v) for i, k, c, r, v in conn.execute(q).all())
        return rows

    def describe(
        self, *, version_ids: Sequence[str], run_ids: Sequence[str]
    ) -> tuple[dict[str, VersionInfo], dict[str, str]]:
        """What the graph keeps of these versions (``project, name, type, version_index, state``)
        and runs (their project), looked up by primary key in batches."""
        v, c, r = s.versions, s.collections, s.runs
        versions: dict[str, VersionInfo] = {}
        runs: dict[str, str] = {}
        vq = sa.select(v.c.id, c.c.project, c.c.name, c.c.type, v.c.version_index, v.c.state).join(
            c, c.c.id == v.c.collection_id
        )
        with self._md.engine.connect() as conn:
            for batch in batched(list(version_ids), self.batch_size):
                for vid, project, name, type_, index, state in conn.execute(vq.where(v.c.id.in_(batch))).all():
                    versions[vid] = (project, name, type_, int(index), state)
            rq = sa.select(r.c.id, r.c.project)
            for batch in batched(list(run_ids), self.batch_size):
                runs.update((rid, project) for rid, project in conn.execute(rq.where(r.c.id.in_(batch))).all())
        return versions, runs

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

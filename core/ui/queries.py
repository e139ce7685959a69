"""The reads behind the pages: keyset-paginated SQL over the metadata schema.

Every list is one indexed query with a ``LIMIT`` and a cursor (the last key shown), never a full
scan handed to Python: a collection of 10,000 versions costs the same per page as one of ten.

>>> page = collections(store.metadata, "demo", limit=50)     # doctest: +SKIP
>>> [c.name for c in page.items], page.next                   # doctest: +SKIP
(['cats', 'dogs'], None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from ..metadata import MetadataStore, RunRecord, VersionRecord, runinfo
from ..metadata import schema as s

T = TypeVar("T")
COMMITTED = "COMMITTED"
_BATCH = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next one (``None`` on the last page)."""

    items: list[T]
    next: str | None


@dataclass(frozen=True, slots=True)
class ProjectRow:
    name: str
    collections: int
    runs: int


@dataclass(frozen=True, slots=True)
class CollectionRow:
    project: str
    name: str
    type: str
    versions: int
    latest: str | None
    aliases: tuple[str, ...]
    size: int | None


def _like(q: str) -> str:
    """A ``LIKE`` pattern matching ``q`` anywhere, its own wildcards taken literally."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def projects(md: MetadataStore) -> list[ProjectRow]:
    """Every project with its number of collections and runs."""
    c, r = s.collections, s.runs
    with md.engine.connect() as conn:
        colls: dict[str, int] = dict(conn.execute(sa.select(c.c.project, sa.func.count()).group_by(c.c.project)).all())
        runs: dict[str, int] = dict(conn.execute(sa.select(r.c.project, sa.func.count()).group_by(r.c.project)).all())
    return [ProjectRow(p, int(colls.get(p, 0)), int(runs.get(p, 0))) for p in sorted(set(colls) | set(runs))]


def collections(
    md: MetadataStore, project: str | None, *, q: str = "", after: str | None = None, limit: int = 50
) -> Page[CollectionRow]:
    """Collections of a project (or of all, ``project=None``) by name, ``q`` filtering by substring.

    The cursor is ``project/name`` of the last row shown.
    """
    c, v, a = s.collections, s.versions, s.aliases
    query = sa.select(c.c.id, c.c.project, c.c.name, c.c.type).order_by(c.c.project, c.c.name).limit(limit + 1)
    if project is not None:
        query = query.where(c.c.project == project)
    if q:
        query = query.where(c.c.name.like(_like(q), escape="\\"))
    if after:
        ap, _, an = after.partition("/")
        query = query.where(sa.tuple_(c.c.project, c.c.name) > sa.tuple_(sa.literal(ap), sa.literal(an)))
    with md.engine.connect() as conn:
        rows = conn.execute(query).all()
        more = len(rows) > limit
        rows = rows[:limit]
        ids = [r[0] for r in rows]
        counts: dict[int, tuple[int, int | None]] = {}
        aliases: dict[int, list[str]] = {i: [] for i in ids}
        latest: dict[int, tuple[str, int]] = {}
        if ids:
            for cid, n, top in conn.execute(
                sa.select(v.c.collection_id, sa.func.count(), sa.func.max(v.c.version_index))
                .where(v.c.collection_id.in_(ids), v.c.state == COMMITTED)
                .group_by(v.c.collection_id)
            ):
                counts[cid] = (int(n), top)
            for cid, alias, index, size in conn.execute(
                sa.select(a.c.collection_id, a.c.alias, v.c.version_index, v.c.size)
                .join(v, v.c.id == a.c.version_id)
                .where(a.c.collection_id.in_(ids))
                .order_by(a.c.alias)
            ):
                aliases[cid].append(alias)
                if alias == "latest":
                    latest[cid] = (f"v{index}", int(size))
    items = [
        CollectionRow(
            project=p, name=n, type=t, versions=counts.get(cid, (0, None))[0],
            latest=latest[cid][0] if cid in latest else None, aliases=tuple(aliases[cid]),
            size=latest[cid][1] if cid in latest else None,
        )
        for cid, p, n, t in rows
    ]
    return Page(items, f"{rows[-1][1]}/{rows[-1][2]}" if more and rows else None)


def versions(
    md: MetadataStore, project: str, name: str, *, before: int | None = None, limit: int = 50
) -> Page[VersionRecord]:
    """Committed versions of a collection, newest first; the cursor is the last version index shown."""
    c, v = s.collections, s.versions
    query = (
        sa.select(v.c.id, v.c.version_index)
        .join(c, c.c.id == v.c.collection_id)
        .where(c.c.project == project, c.c.name == name, v.c.state == COMMITTED)
        .order_by(v.c.version_index.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(v.c.version_index < before)
    with md.engine.connect() as conn:
        rows = conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    records = md.versions_by_ids([r[0] for r in rows])
    return Page(records, str(rows[-1][1]) if more and rows else None)


def _run_record(row: Any, md: MetadataStore | None = None) -> RunRecord:
    timeout = md.heartbeat_timeout if md is not None else runinfo.DEFAULT_HEARTBEAT_TIMEOUT
    return runinfo.run_record(row._mapping, timeout=timeout)


def runs(
    md: MetadataStore, project: str, *, q: str = "", before: str | None = None, limit: int = 50
) -> Page[RunRecord]:
    """Runs of a project, newest first, ``q`` matching the name, id, job type or group.

    The cursor is ``<created_at isoformat>|<id>`` of the last run shown.
    """
    r = s.runs
    query = sa.select(r).where(r.c.project == project).order_by(r.c.created_at.desc(), r.c.id.desc()).limit(limit + 1)
    if q:
        pattern = _like(q)
        query = query.where(
            sa.or_(*(col.like(pattern, escape="\\") for col in (r.c.name, r.c.id, r.c.job_type, r.c.group)))
        )
    if before:
        stamp, _, rid = before.partition("|")
        at = datetime.fromisoformat(stamp)
        if md.is_sqlite:
            at = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
        query = query.where(sa.tuple_(r.c.created_at, r.c.id) < sa.tuple_(sa.literal(at), sa.literal(rid)))
    with md.engine.connect() as conn:
        rows = conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_run_record(row, md) for row in rows]
    cursor = f"{rows[-1].created_at.isoformat()}|{rows[-1].id}" if more and rows else None
    return Page(items, cursor)


def runs_by_ids(md: MetadataStore, ids: Sequence[str]) -> dict[str, RunRecord]:
    """The runs with these ids (missing ones left out), in batches."""
    r = s.runs
    out: dict[str, RunRecord] = {}
    unique = list(dict.fromkeys(ids))
    with md.engine.connect() as conn:
        for i in range(0, len(unique), _BATCH):
            for row in conn.execute(sa.select(r).where(r.c.id.in_(unique[i : i + _BATCH]))):
                out[row.id] = _run_record(row, md)
    return out


@dataclass(frozen=True, slots=True)
class Linked(Generic[T]):
    """The first ``items`` linked to something, and how many there are in all."""

    items: list[T]
    total: int


def version_runs(md: MetadataStore, version_id: str, kind: str, *, limit: int = 50) -> Linked[RunRecord]:
    """Runs that logged (``kind="logged"``, the creator first) or used a version, oldest first."""
    e = s.edges
    where = sa.and_(e.c.version_id == version_id, e.c.kind == kind)
    with md.engine.connect() as conn:
        total = int(conn.execute(sa.select(sa.func.count(sa.distinct(e.c.run_id))).where(where)).scalar_one())
        ids = list(
            conn.execute(
                sa.select(e.c.run_id).where(where).group_by(e.c.run_id)
                .order_by(sa.func.max(sa.case((e.c.created, 1), else_=0)).desc(), sa.func.min(e.c.id))
                .limit(limit)
            ).scalars()
        )
    found = runs_by_ids(md, ids)
    return Linked([found[i] for i in ids if i in found], total)


def run_versions(md: MetadataStore, run_id: str, kind: str, *, limit: int = 200) -> Linked[VersionRecord]:
    """Versions a run used (``kind="used"``) or logged, in the order it did so."""
    e = s.edges
    where = sa.and_(e.c.run_id == run_id, e.c.kind == kind)
    with md.engine.connect() as conn:
        total = int(conn.execute(sa.select(sa.func.count(sa.distinct(e.c.version_id))).where(where)).scalar_one())
        ids = list(
            conn.execute(
                sa.select(e.c.version_id).where(where).group_by(e.c.version_id)
                .order_by(sa.func.min(e.c.id)).limit(limit)
            ).scalars()
        )
    return Linked(md.versions_by_ids(ids), total)


def degrees(
    md: MetadataStore, version_ids: Sequence[str], run_ids: Sequence[str], *, exact_below: int = 1000
) -> dict[str, tuple[int, int]]:
    """``(upstream, downstream)`` neighbour counts of lineage nodes, keyed ``artifact:<id>`` / ``run:<id>``.

    A version's upstream neighbours are the runs that logged it, its downstream ones the runs that
    used it; a run's are the versions it used and those it logged. Counts come from the
    ``(id, kind)`` indexes alone; a run that used one version twice is counted once only where the
    count is below ``exact_below`` (a hub used by 50,000 runs is not worth reading row by row).
    """
    e = s.edges
    out: dict[str, list[int]] = {}
    with md.engine.connect() as conn:
        for column, other, ids, prefix, up_kind in (
            (e.c.version_id, e.c.run_id, version_ids, "artifact:", "logged"),
            (e.c.run_id, e.c.version_id, run_ids, "run:", "used"),
        ):
            unique = list(dict.fromkeys(ids))
            small: list[str] = []
            for i in range(0, len(unique), _BATCH):
                q = (
                    sa.select(column, e.c.kind, sa.func.count())
                    .where(column.in_(unique[i : i + _BATCH]))
                    .group_by(column, e.c.kind)
                )
                for key, kind, n in conn.execute(q):
                    slot = out.setdefault(prefix + key, [0, 0])
                    slot[0 if kind == up_kind else 1] = int(n)
                    if 1 < n < exact_below:
                        small.append(key)
            small = list(dict.fromkeys(small))
            for i in range(0, len(small), _BATCH):
                q = (
                    sa.select(column, e.c.kind, sa.func.count(sa.distinct(other)))
                    .where(column.in_(small[i : i + _BATCH]))
                    .group_by(column, e.c.kind)
                )
                for key, kind, n in conn.execute(q):
                    out[prefix + key][0 if kind == up_kind else 1] = int(n)
    return {k: (v[0], v[1]) for k, v in out.items()}


def search(md: MetadataStore, q: str, *, limit: int = 50) -> tuple[list[CollectionRow], list[RunRecord]]:
    """Collections (in every project) and runs whose name contains ``q``."""
    found = collections(md, None, q=q, limit=limit).items
    r = s.runs
    pattern = _like(q)
    query = (
        sa.select(r)
        .where(sa.or_(r.c.name.like(pattern, escape="\\"), r.c.id.like(pattern, escape="\\")))
        .order_by(r.c.created_at.desc())
        .limit(limit)
    )
    with md.engine.connect() as conn:
        runs_ = [_run_record(row, md) for row in conn.execute(query)]
    return found, runs_


def run_neighbours(md: MetadataStore, run_ids: Sequence[str]) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """``(versions used, versions logged)`` of each run, whether or not a view shows them."""
    e = s.edges
    found: dict[str, tuple[set[str], set[str]]] = {}
    unique = list(dict.fromkeys(run_ids))
    with md.engine.connect() as conn:
        for i in range(0, len(unique), _BATCH):
            q = sa.select(e.c.run_id, e.c.version_id, e.c.kind).where(e.c.run_id.in_(unique[i : i + _BATCH]))
            for rid, vid, kind in conn.execute(q):
                used, logged = found.setdefault(rid, (set(), set()))
                (used if kind == "used" else logged).add(vid)
    return {rid: (frozenset(u), frozenset(lg)) for rid, (u, lg) in found.items()}


def group_members(md: MetadataStore, run_id: str, *, limit: int = 500) -> list[str]:
    """The other runs whose group is ``run_id`` (the task runs of a Prefect flow run), oldest first.

    Only a run whose own group is its id heads a group; for any other run this reads one row.
    """
    r = s.runs
    with md.engine.connect() as conn:
        if conn.execute(sa.select(r.c.group).where(r.c.id == run_id)).scalar() != run_id:
            return []
        q = sa.select(r.c.id).where(r.c.group == run_id, r.c.id != run_id).order_by(r.c.created_at).limit(limit)
        return list(conn.execute(q).scalars())

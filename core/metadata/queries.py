"""Reading versions, collections and projects: the query half of :class:`MetadataStore`."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..batches import batched
from ..errors import ArtifactNotFoundError
from ..names import is_digest, version_index
from . import schema as s
from .lineage import edge_query
from .records import CollectionRecord, EdgeRecord, VersionRecord

COMMITTED = "COMMITTED"
DELETED = "DELETED"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


class VersionQueries:
    """The read-only version, collection and project queries of ``MetadataStore`` (mixed in)."""

    def _read(self) -> AbstractContextManager[Connection]:  # provided by MetadataStore
        raise NotImplementedError

    def _version_query(self) -> sa.Select[Any]:
        v, c = s.versions, s.collections
        return sa.select(v, c.c.project, c.c.name, c.c.type).join(c, c.c.id == v.c.collection_id)

    def _version(self, conn: Connection, version_id: str) -> VersionRecord:
        row = conn.execute(self._version_query().where(s.versions.c.id == version_id)).mappings().first()
        if row is None:
            raise ArtifactNotFoundError(f"Artifact version {version_id!r} does not exist.")
        return self._with_labels(conn, [row])[0]

    def _with_labels(self, conn: Connection, rows: Sequence[Any]) -> list[VersionRecord]:
        ids = [r["id"] for r in rows]
        alias_map: dict[str, list[str]] = {i: [] for i in ids}
        tag_map: dict[str, list[str]] = {i: [] for i in ids}
        for chunk in batched(ids):
            for vid, alias in conn.execute(
                sa.select(s.aliases.c.version_id, s.aliases.c.alias)
                .join(s.versions, s.versions.c.id == s.aliases.c.version_id)
                .where(s.aliases.c.version_id.in_(chunk), s.aliases.c.collection_id == s.versions.c.collection_id)
                .order_by(s.aliases.c.alias)
            ):
                alias_map[vid].append(alias)
            for vid, tag in conn.execute(
                sa.select(s.tags.c.version_id, s.tags.c.tag).where(s.tags.c.version_id.in_(chunk))
            ):
                tag_map[vid].append(tag)
        return [_version_record(r, alias_map[r["id"]], tag_map[r["id"]]) for r in rows]

    def get_version(self, version_id: str) -> VersionRecord:
        with self._read() as conn:
            return self._version(conn, version_id)

    def find_version(self, project: str, name: str, selector: str) -> VersionRecord:
        """Resolve ``selector`` (``vN``, an alias, or a digest) to a committed version of a collection."""
        v, c = s.versions, s.collections
        base = self._version_query().where(c.c.project == project, c.c.name == name, v.c.state == COMMITTED)
        with self._read() as conn:
            index = version_index(selector)
            row = None
            if is_digest(selector):  # a digest pin wins over any alias row of the same text
                row = conn.execute(
                    base.where(v.c.digest == selector.lower()).order_by(v.c.version_index.desc())
                ).mappings().first()
            if row is not None:
                return self._with_labels(conn, [row])[0]
            if index is not None:
                q = base.where(v.c.version_index == index)
            else:
                alias_vid = (
                    sa.select(s.aliases.c.version_id)
                    .join(c, c.c.id == s.aliases.c.collection_id)
                    .where(c.c.project == project, c.c.name == name, s.aliases.c.alias == selector)
                    .scalar_subquery()
                )
                q = base.where(v.c.id == alias_vid)
            row = conn.execute(q).mappings().first()
            if row is None:
                raise ArtifactNotFoundError(
                    f"Artifact '{project}/{name}:{selector}' does not exist; "
                    f"check the name, or list the versions with `artiflow ls {project} --versions`."
                )
            return self._with_labels(conn, [row])[0]

    def list_versions(
        self, project: str, name: str, *, include_deleted: bool = False
    ) -> list[VersionRecord]:
        v, c = s.versions, s.collections
        q = self._version_query().where(c.c.project == project, c.c.name == name).order_by(v.c.version_index)
        if not include_deleted:
            q = q.where(v.c.state == COMMITTED)
        with self._read() as conn:
            return self._with_labels(conn, list(conn.execute(q).mappings()))

    def versions_by_ids(self, ids: Sequence[str]) -> list[VersionRecord]:
        out: dict[str, VersionRecord] = {}
        with self._read() as conn:
            for chunk in batched(list(ids)):
                rows = list(conn.execute(self._version_query().where(s.versions.c.id.in_(chunk))).mappings())
                for rec in self._with_labels(conn, rows):
                    out[rec.id] = rec
        return [out[i] for i in ids if i in out]

    def get_collection(self, project: str, name: str) -> CollectionRecord | None:
        c = s.collections
        with self._read() as conn:
            row = conn.execute(sa.select(c).where(c.c.project == project, c.c.name == name)).mappings().first()
        return None if row is None else _collection_record(row)

    def list_collections(self, project: str | None = None, type_: str | None = None) -> list[CollectionRecord]:
        c = s.collections
        q = sa.select(c).order_by(c.c.project, c.c.name)
        if project is not None:
            q = q.where(c.c.project == project)
        if type_ is not None:
            q = q.where(c.c.type == type_)
        with self._read() as conn:
            return [_collection_record(r) for r in conn.execute(q).mappings()]

    def list_projects(self) -> list[str]:
        with self._read() as conn:
            q = sa.union(sa.select(s.collections.c.project), sa.select(s.runs.c.project))
            return sorted(r[0] for r in conn.execute(q))

    def edges_since(self, cursor: int) -> list[EdgeRecord]:
        with self._read() as conn:
            return [EdgeRecord(**dict(row)) for row in conn.execute(edge_query().where(s.edges.c.id > cursor)).mappings()]

    def manifest_digests(self) -> set[str]:
        with self._read() as conn:
            return set(conn.execute(sa.select(s.versions.c.manifest_digest)).scalars())

    def live_manifest_digests(self, conn: Connection | None = None) -> set[str]:
        """Manifests whose blobs must be kept: committed versions and parts of open collaborative versions.

        ``conn``: read inside that transaction (gc's delete batches), else in a read of its own.
        """
        if conn is None:
            with self._read() as own:
                return self.live_manifest_digests(own)
        u, p = s.collab_versions, s.collab_parts
        live = set(
            conn.execute(sa.select(s.versions.c.manifest_digest).where(s.versions.c.state == COMMITTED)).scalars()
        )
        live |= set(
            conn.execute(
                sa.select(p.c.manifest_digest).join(u, u.c.id == p.c.collab_id).where(u.c.is_open == 1)
            ).scalars()
        )
        return live


def _collection_record(row: Any) -> CollectionRecord:
    return CollectionRecord(
        id=row["id"], project=row["project"], name=row["name"], type=row["type"],
        created_at=_aware(row["created_at"]) or _utcnow(),
    )


def _version_record(row: Any, aliases: list[str], tags: list[str]) -> VersionRecord:
    return VersionRecord(
        id=row["id"], project=row["project"], name=row["name"], type=row["type"],
        version_index=row["version_index"], digest=row["digest"], manifest_digest=row["manifest_digest"],
        state=row["state"], description=row["description"], metadata=dict(row["metadata"] or {}),
        size=row["size"], file_count=row["file_count"], run_id=row["run_id"],
        distributed_id=row["distributed_id"], created_at=_aware(row["created_at"]) or _utcnow(),
        updated_at=_aware(row["updated_at"]) or _utcnow(), aliases=tuple(aliases), tags=tuple(tags),
    )

"""SQL metadata through SQLAlchemy 2: SQLite by default, PostgreSQL for teams.

Every write is one transaction. Version numbers and alias moves are decided inside it, so
concurrent writers never lose or duplicate a version: on SQLite the transaction takes the write
lock up front (``BEGIN IMMEDIATE``, WAL, busy timeout); everywhere, unique constraints catch a race
and the transaction is retried.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import ArtifactNotFoundError, StoreError, TypeCollisionError
from . import leases, runinfo
from . import schema as s
from .engine import disconnected, retryable, sqlite_setup
from .migrate import ensure_schema
from .queries import COMMITTED, DELETED, VersionQueries, _collection_record, _utcnow
from .records import CollectionRecord, NewVersion, RunRecord, VersionEdit, VersionRecord

log = logging.getLogger(__name__)
T = TypeVar("T")
Clock = Callable[[], datetime]

_RETRIES = 30
_RECONNECTS = 3


def type_collision_message(name: str, existing: str, wanted: str) -> str:
    return (
        f"Artifact '{name}' already exists with type '{existing}'; cannot create another with type "
        f"'{wanted}'. Use another name, or log it as type '{existing}'."
    )


class MetadataStore(runinfo.RunFields, VersionQueries):
    """Collections, versions, aliases, tags, runs and log/use edges in one SQL database."""

    def __init__(
        self, url: str, *, busy_timeout: float = 60.0, clock: Clock = _utcnow,
        heartbeat_timeout: float = runinfo.DEFAULT_HEARTBEAT_TIMEOUT, durable: bool = True,
    ) -> None:
        self.url = url
        self.heartbeat_timeout = heartbeat_timeout
        self._clock = clock
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = sa.create_engine(
                url, connect_args={"timeout": busy_timeout, "check_same_thread": False}
            )
            sqlite_setup(self.engine, durable=durable)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        # A store dropped without close() still closes its pooled connections (a server-side
        # session each, on PostgreSQL) instead of leaving them to the garbage collector.
        self._finalizer = weakref.finalize(self, self.engine.dispose)
        self._create_schema()

    @property
    def display_url(self) -> str:
        """The database URL with any password replaced by ``***``, for messages and ``repr``."""
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self._finalizer()  # dispose of the engine's connections, once

    # -- transactions -------------------------------------------------------------------------

    def _create_schema(self) -> None:
        self._write(ensure_schema)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def now(self) -> datetime:
        return self._clock()

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one write transaction (retried on contention); for sibling modules."""
        return self._write(fn)

    def _write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one write transaction, retrying on lock contention and unique races."""
        delay = 0.005
        disconnects = 0
        for attempt in range(_RETRIES):
            try:
                with self.engine.connect() as conn:
                    conn.execution_options(artiflow_write=True)
                    with conn.begin():
                        return fn(conn)
            except (sa.exc.IntegrityError, sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                # A dropped connection (server restart, idle timeout) re-runs the whole transaction on
                # a fresh one, a few times; the pool's pre-ping catches most before they are used.
                lost = disconnected(exc)
                disconnects += lost
                if (not lost and not retryable(exc)) or disconnects > _RECONNECTS or attempt == _RETRIES - 1:
                    if isinstance(exc, sa.exc.OperationalError) and "locked" in str(exc):
                        raise StoreError(
                            f"The metadata database {self.display_url} stayed locked; another process holds it. "
                            "Retry, or raise ARTIFLOW_SQLITE_BUSY_TIMEOUT."
                        ) from exc
                    raise
                log.debug("retrying write after %s (attempt %d)", type(exc).__name__, attempt + 1)
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)
        raise AssertionError("unreachable")

    # -- runs ----------------------------------------------------------------------------------

    def create_run(
        self, *, run_id: str, project: str, name: str, group: str | None, job_type: str | None,
        config: dict[str, Any], details: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Record a new run, or resume one; ``details`` sets W&B fields and liveness (host, pid)."""
        now = self._clock()
        extra = {k: v for k, v in (details or {}).items() if v is not None}
        if "pid" in extra:
            extra.setdefault("heartbeat_at", now)

        def tx(conn: Connection) -> RunRecord:
            existing = conn.execute(sa.select(s.runs).where(s.runs.c.id == run_id)).first()
            if existing is not None:  # a resumed run (e.g. an engine retry) keeps its identity
                conn.execute(
                    sa.update(s.runs)
                    .where(s.runs.c.id == run_id)
                    .values(state="running", finished_at=None, exit_code=None, config=config, **extra)
                )
            else:
                key = {} if (k := s.next_key(conn, s.runs)) is None else {"key": k}
                conn.execute(
                    sa.insert(s.runs).values(
                        id=run_id, project=project, name=name, group=group, job_type=job_type,
                        config=config, state="running", exit_code=None, created_at=now, finished_at=None, **key, **extra,
                    )
                )
            return self._run(conn, run_id)

        return self._write(tx)

    def finish_run(self, run_id: str, *, state: str, exit_code: int | None) -> RunRecord:
        now = self._clock()

        def tx(conn: Connection) -> RunRecord:
            conn.execute(
                sa.update(s.runs)
                .where(s.runs.c.id == run_id)
                .values(state=state, exit_code=exit_code, finished_at=now)
            )
            return self._run(conn, run_id)

        return self._write(tx)

    def get_run(self, run_id: str) -> RunRecord:
        with self._read() as conn:
            return self._run(conn, run_id)

    def list_runs(self, project: str | None = None) -> list[RunRecord]:
        q = sa.select(s.runs).order_by(s.runs.c.created_at, s.runs.c.id)
        if project is not None:
            q = q.where(s.runs.c.project == project)
        with self._read() as conn:
            return [runinfo.run_record(r, timeout=self.heartbeat_timeout) for r in conn.execute(q).mappings()]

    def _run(self, conn: Connection, run_id: str) -> RunRecord:
        row = conn.execute(sa.select(s.runs).where(s.runs.c.id == run_id)).mappings().first()
        if row is None:
            raise ArtifactNotFoundError(f"Run {run_id!r} does not exist.")
        return runinfo.run_record(row, timeout=self.heartbeat_timeout)

    # -- versions ------------------------------------------------------------------------------

    def commit_version(self, new: NewVersion, lease: leases.Held | None = None) -> tuple[VersionRecord, bool]:
        """Record a logged version; returns ``(version, created)``.

        If a committed version of the collection already has the same digest, no version is
        created: the aliases move onto it and the log edge is still recorded for this run.
        ``lease`` (holder, blob keys): the blobs' leases must still be held; they are dropped in the
        same transaction, else :class:`~artiflow.metadata.leases.LeaseLapsed`.
        """
        now = self._clock()

        def tx(conn: Connection) -> tuple[VersionRecord, bool]:
            leases.settle(conn, lease)
            return self.commit_in(conn, new, now)

        return self._write(tx)

    def commit_in(self, conn: Connection, new: NewVersion, now: datetime) -> tuple[VersionRecord, bool]:
        """The body of :meth:`commit_version`, inside a write transaction the caller holds."""
        coll = self._get_or_create_collection(conn, new.project, new.name, new.type, now)
        existing = conn.execute(
            sa.select(s.versions.c.id)
            .where(
                s.versions.c.collection_id == coll.id,
                s.versions.c.digest == new.digest,
                s.versions.c.state == COMMITTED,
            )
            .order_by(s.versions.c.version_index.desc())
            .limit(1)
        ).first()
        if existing is not None:
            vid, created = existing[0], False
            if new.tags:
                self._add_tags(conn, vid, new.tags)
        else:
            created = True
            vid = uuid.uuid4().hex
            top = conn.execute(
                sa.select(sa.func.max(s.versions.c.version_index)).where(s.versions.c.collection_id == coll.id)
            ).scalar()
            key = {} if (k := s.next_key(conn, s.versions)) is None else {"key": k}
            conn.execute(
                sa.insert(s.versions).values(
                    id=vid, collection_id=coll.id, version_index=0 if top is None else top + 1,
                    digest=new.digest, manifest_digest=new.manifest_digest, state=COMMITTED,
                    description=new.description, metadata=new.metadata, size=new.size,
                    file_count=new.file_count, run_id=new.run_id, distributed_id=new.distributed_id,
                    created_at=now, updated_at=now, **key,
                )
            )
            self._add_tags(conn, vid, new.tags)
        self._move_aliases(conn, coll.id, vid, (*new.aliases, "latest"))
        self.add_edge(conn, new.run_id, vid, kind="logged", created=created, now=now)
        return self._version(conn, vid), created

    def add_edge(
        self, conn: Connection, run_id: str, version_id: str, *, kind: str, created: bool, now: datetime,
        use_as: str | None = None,
    ) -> None:
        conn.execute(
            sa.insert(s.edges).values(
                run_id=run_id, version_id=version_id, kind=kind, created=created, use_as=use_as, created_at=now,
                **s.node_keys(run_id, version_id),
            )
        )

    def record_use(self, run_id: str, version_id: str, use_as: str | None = None) -> None:
        now = self._clock()

        def tx(conn: Connection) -> None:
            conn.execute(
                sa.insert(s.edges).values(
                    run_id=run_id, version_id=version_id, kind="used", created=False, use_as=use_as,
                    created_at=now, **s.node_keys(run_id, version_id),
                )
            )

        self._write(tx)

    def _get_or_create_collection(
        self, conn: Connection, project: str, name: str, type_: str, now: datetime
    ) -> CollectionRecord:
        # FOR UPDATE (PostgreSQL; SQLite already holds its write lock) serializes the writers of one
        # collection, so version numbers and alias moves never race within it.
        row = conn.execute(
            sa.select(s.collections)
            .where(s.collections.c.project == project, s.collections.c.name == name)
            .with_for_update()
        ).mappings().first()
        if row is None:
            conn.execute(
                sa.insert(s.collections).values(project=project, name=name, type=type_, created_at=now)
            )
            row = conn.execute(
                sa.select(s.collections).where(
                    s.collections.c.project == project, s.collections.c.name == name
                )
            ).mappings().one()
        if row["kind"] == "portfolio":
            raise TypeCollisionError(
                f"'{project}/{name}' is a registry collection of links; log to another name and link() it there."
            )
        if row["type"] != type_:
            raise TypeCollisionError(type_collision_message(name, row["type"], type_))
        return _collection_record(row)

    def _move_aliases(self, conn: Connection, collection_id: int, version_id: str, names: Sequence[str]) -> None:
        for alias in dict.fromkeys(names):
            conn.execute(
                sa.delete(s.aliases).where(
                    s.aliases.c.collection_id == collection_id, s.aliases.c.alias == alias
                )
            )
            conn.execute(
                sa.insert(s.aliases).values(collection_id=collection_id, alias=alias, version_id=version_id)
            )

    def _add_tags(self, conn: Connection, version_id: str, tags: Sequence[str]) -> None:
        have = set(conn.execute(sa.select(s.tags.c.tag).where(s.tags.c.version_id == version_id)).scalars())
        for tag in tags:
            if tag not in have:
                conn.execute(sa.insert(s.tags).values(version_id=version_id, tag=tag))
                have.add(tag)

    def edit_version(self, version_id: str, edit: VersionEdit) -> VersionRecord:
        """Apply one object's changes to a version, inside the collection lock; return the result.

        Only what ``edit`` names changes: aliases and tags others added meanwhile are kept, an alias
        another writer moved away is not pulled back, and ``latest`` is never touched here (it
        moves only when a version is logged). An added alias held by another version moves here.

        >>> store.edit_version(vid, VersionEdit(add_aliases=("best",)))   # doctest: +SKIP
        """
        now = self._clock()
        if "latest" in edit.add_aliases or "latest" in edit.remove_aliases:
            raise StoreError(
                "Alias 'latest' moves only when a version is logged; re-log that version's content "
                "with run.log_artifact() to make it latest."
            )

        def tx(conn: Connection) -> VersionRecord:
            coll_id = self._collection_id(conn, version_id)
            self._lock_collection(conn, coll_id)
            rec = self._version(conn, version_id)
            if edit.add_aliases and rec.state != COMMITTED:
                raise StoreError(f"{rec.ref} was deleted; aliases can only be added to a live version.")
            values: dict[str, Any] = {"updated_at": now}
            if edit.set_description:
                values["description"] = edit.description
            if edit.metadata or edit.drop_metadata:
                merged = {k: v for k, v in rec.metadata.items() if k not in edit.drop_metadata}
                merged.update(edit.metadata)
                values["metadata"] = merged
            conn.execute(sa.update(s.versions).where(s.versions.c.id == version_id).values(**values))
            if edit.remove_aliases:
                conn.execute(
                    sa.delete(s.aliases).where(s.aliases.c.collection_id == coll_id, s.aliases.c.version_id == version_id,
                                               s.aliases.c.alias.in_(edit.remove_aliases))
                )
            self._move_aliases(conn, coll_id, version_id, edit.add_aliases)
            if edit.remove_tags:
                conn.execute(
                    sa.delete(s.tags).where(s.tags.c.version_id == version_id, s.tags.c.tag.in_(edit.remove_tags))
                )
            self._add_tags(conn, version_id, edit.add_tags)
            return self._version(conn, version_id)

        return self._write(tx)

    def _lock_collection(self, conn: Connection, collection_id: int) -> None:
        """Serialize this transaction with every other writer of the collection (a row lock on PostgreSQL;
        SQLite's ``BEGIN IMMEDIATE`` already holds the database write lock)."""
        conn.execute(
            sa.select(s.collections.c.id).where(s.collections.c.id == collection_id).with_for_update()
        ).scalar_one()

    def delete_version(self, version_id: str, *, delete_aliases: bool) -> VersionRecord:
        now = self._clock()

        def tx(conn: Connection) -> VersionRecord:
            # Lock first: a dedup re-log moving `latest` onto this version either commits before
            # (and we move `latest` off again) or waits and then sees the version deleted.
            self._lock_collection(conn, self._collection_id(conn, version_id))
            rec = self._version(conn, version_id)
            user_aliases = [a for a in rec.aliases if a != "latest"]
            if user_aliases and not delete_aliases:
                raise StoreError(
                    f"{rec.ref} still has aliases {user_aliases}; remove them first or call "
                    "delete(delete_aliases=True)."
                )
            coll_id = self._collection_id(conn, version_id)
            conn.execute(sa.delete(s.aliases).where(s.aliases.c.version_id == version_id))
            conn.execute(
                sa.update(s.versions).where(s.versions.c.id == version_id).values(state=DELETED, updated_at=now)
            )
            if "latest" in rec.aliases:  # `latest` falls back to the newest version still alive
                newest = conn.execute(
                    sa.select(s.versions.c.id)
                    .where(s.versions.c.collection_id == coll_id, s.versions.c.state == COMMITTED)
                    .order_by(s.versions.c.version_index.desc())
                    .limit(1)
                ).scalar()
                if newest is not None:
                    self._move_aliases(conn, coll_id, newest, ["latest"])
            return self._version(conn, version_id)

        return self._write(tx)

    def _collection_id(self, conn: Connection, version_id: str) -> int:
        return int(
            conn.execute(sa.select(s.versions.c.collection_id).where(s.versions.c.id == version_id)).scalar_one()
        )

    # -- lookups -------------------------------------------------------------------------------

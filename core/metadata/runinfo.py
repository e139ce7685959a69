"""Runs' W&B fields, liveness and ``log()`` history in the metadata database.

A run records the host and process that opened it, and that process refreshes ``heartbeat_at``
while the run is open. A ``running`` run reads as ``crashed`` (W&B's word) when its process is
gone: at once on the same host (the pid no longer exists), and elsewhere once the heartbeat is
older than the timeout.

>>> from datetime import UTC, datetime
>>> observed_state("running", host="elsewhere", pid=1, heartbeat_at=datetime(2000, 1, 1, tzinfo=UTC),
...                now=datetime(2000, 1, 2, tzinfo=UTC), timeout=300)
'crashed'
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema as s
from .records import RunRecord

DEFAULT_HEARTBEAT_TIMEOUT = 300.0
T = TypeVar("T")


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:  # no /proc (macOS): kill(0) is all we know
        return True


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def observed_state(
    state: str, *, host: str | None, pid: int | None, heartbeat_at: datetime | None, now: datetime,
    timeout: float,
) -> str:
    """The state a reader should see: ``running`` becomes ``crashed`` once the run's process is gone."""
    if state != "running" or pid is None:
        return state  # finished/failed, or a run recorded before liveness existed
    if host == this_host():
        return state if pid_alive(pid) else "crashed"
    beat = _aware(heartbeat_at)
    if beat is not None and now - beat > timedelta(seconds=timeout):
        return "crashed"
    return state


def run_record(row: Any, *, timeout: float = DEFAULT_HEARTBEAT_TIMEOUT) -> RunRecord:
    """A RunRecord from a ``runs`` row (a mapping), with its observed state."""
    now = datetime.now(UTC)
    state = observed_state(
        row["state"], host=row.get("host"), pid=row.get("pid"), heartbeat_at=row.get("heartbeat_at"), now=now,
        timeout=timeout,
    )
    return RunRecord(
        id=row["id"], project=row["project"], name=row["name"], group=row["group"], job_type=row["job_type"],
        config=dict(row["config"] or {}), state=state, exit_code=row["exit_code"],
        created_at=_aware(row["created_at"]) or now, finished_at=_aware(row["finished_at"]),
        entity=row.get("entity"), tags=tuple(row.get("tags") or ()), notes=row.get("notes"),
        summary=dict(row.get("summary") or {}), host=row.get("host"), pid=row.get("pid"),
        heartbeat_at=_aware(row.get("heartbeat_at")),
    )


def update_run(conn: Connection, run_id: str, values: Mapping[str, Any]) -> None:
    """Set W&B fields (``entity``, ``tags``, ``notes``, ``config``, ``summary``) of one run."""
    allowed = {"entity", "tags", "notes", "config", "summary", "name"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"Run fields {sorted(unknown)} cannot be set; settable fields are {sorted(allowed)}.")
    conn.execute(sa.update(s.runs).where(s.runs.c.id == run_id).values(**dict(values)))


def heartbeat(conn: Connection, run_ids: Sequence[str], now: datetime) -> None:
    """Refresh the heartbeat of the given runs that are still running."""
    conn.execute(
        sa.update(s.runs)
        .where(s.runs.c.id.in_(list(run_ids)), s.runs.c.state == "running")
        .values(heartbeat_at=now)
    )


def append_history(conn: Connection, run_id: str, step: int, data: Mapping[str, Any], now: datetime) -> None:
    """Write (or merge into) the history row of ``step``."""
    t = s.run_history
    row = conn.execute(sa.select(t.c.data).where(t.c.run_id == run_id, t.c.step == step)).first()
    if row is None:
        conn.execute(sa.insert(t).values(run_id=run_id, step=step, data=dict(data), created_at=now))
    else:
        merged = {**dict(row[0] or {}), **dict(data)}
        conn.execute(sa.update(t).where(t.c.run_id == run_id, t.c.step == step).values(data=merged))


def history(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """Every history row of a run, oldest step first, each with its ``_step``."""
    t = s.run_history
    rows = conn.execute(sa.select(t.c.step, t.c.data).where(t.c.run_id == run_id).order_by(t.c.step))
    return [{**dict(data or {}), "_step": step} for step, data in rows]


def last_step(conn: Connection, run_id: str) -> int | None:
    t = s.run_history
    value = conn.execute(sa.select(sa.func.max(t.c.step)).where(t.c.run_id == run_id)).scalar()
    return int(value) if value is not None else None


class RunFields:
    """The run-detail methods of ``MetadataStore`` (mixed in; they use its transactions)."""

    heartbeat_timeout: float

    def _write(self, fn: Callable[[Connection], T]) -> T:  # provided by MetadataStore
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Connection]:  # provided by MetadataStore
        raise NotImplementedError

    def _run(self, conn: Connection, run_id: str) -> RunRecord:  # provided by MetadataStore
        raise NotImplementedError

    def now(self) -> datetime:  # provided by MetadataStore
        raise NotImplementedError

    def update_run(self, run_id: str, **values: Any) -> RunRecord:
        """Set W&B fields of a run (``entity``, ``tags``, ``notes``, ``config``, ``summary``)."""

        def tx(conn: Connection) -> RunRecord:
            update_run(conn, run_id, values)
            return self._run(conn, run_id)

        return self._write(tx)

    def heartbeat(self, run_ids: Sequence[str]) -> None:
        now = self.now()
        self._write(lambda conn: heartbeat(conn, run_ids, now))

    def log_history(self, run_id: str, step: int, data: dict[str, Any]) -> None:
        now = self.now()
        self._write(lambda conn: append_history(conn, run_id, step, data, now))

    def history(self, run_id: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            return history(conn, run_id)

    def last_step(self, run_id: str) -> int | None:
        with self._read() as conn:
            return last_step(conn, run_id)

"""One artiflow Run per Prefect task run (and, on demand, per flow run), with no global state.

A :class:`Scope` is the artiflow side of one task run or flow run: its run identity, the store
and project it writes to, and what it used and logged (for the Prefect UI). The wrapper that
executes the task sets the scope in a ``ContextVar`` for the duration of the call, so concurrent
tasks in threads, in worker processes or on one event loop each see their own, and
:func:`get_run` finds it without any process-global "current run".

Run identity:

=============  ==============================  ==========================  =====================
scope          ``Run.id``                      ``Run.group``               ``Run.job_type``
=============  ==============================  ==========================  =====================
task run       the task run id (retries reuse)  the flow run id            the task name
flow run       the flow run id                 the flow run id             ``flow:<flow name>``
=============  ==============================  ==========================  =====================
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import artiflow
from artiflow import Artifact, ArtifactNotFoundError, Run, Store, collab, names

from .parts import Part, PartRef
from .refs import ArtifactRef
from .say import logged_line, say

if TYPE_CHECKING:
    from artiflow import Progress
    from prefect.context import EngineContext, TaskRunContext
    from prefect.futures import PrefectFutureList

log = logging.getLogger(__name__)

_current: ContextVar[Scope | None] = ContextVar("artiflow_prefect_scope", default=None)


@dataclass(frozen=True)
class Identity:
    """Who the Run is: derived from the Prefect run it stands for."""

    run_id: str | None  # None: let artiflow pick one (a task function called outside Prefect)
    name: str | None
    group: str | None
    job_type: str
    config: dict[str, Any]
    prefect_run_id: str | None  # the task run or flow run this scope belongs to
    kind: str  # "task" | "flow"
    task_run_id: str | None = None
    flow_run_id: str | None = None

    @classmethod
    def of_task_run(cls, ctx: TaskRunContext | None, task_name: str, parameters: dict[str, Any]) -> Identity:
        if ctx is None:  # the function was called directly, e.g. ``my_task.fn(...)`` in a unit test
            return cls(None, None, None, task_name, {"parameters": _jsonable(parameters)}, None, "task")
        return cls.of_prefect_task_run(ctx.task_run, task_name, parameters)

    @classmethod
    def of_prefect_task_run(cls, tr: Any, task_name: str, parameters: dict[str, Any]) -> Identity:
        """The identity of task run ``tr`` (a Prefect ``TaskRun``), e.g. in a state hook."""
        flow_run_id = str(tr.flow_run_id) if tr.flow_run_id else None
        prefect = {
            "task_run_id": str(tr.id), "task_run_name": tr.name, "task_key": tr.task_key,
            "flow_run_id": flow_run_id, "run_count": tr.run_count, "tags": sorted(tr.tags),
        }
        return cls(
            run_id=str(tr.id), name=tr.name, group=flow_run_id or str(tr.id), job_type=task_name,
            config={"prefect": prefect, "parameters": _jsonable(parameters)},
            prefect_run_id=str(tr.id), kind="task", task_run_id=str(tr.id), flow_run_id=flow_run_id,
        )

    @classmethod
    def of_flow_run(cls, ctx: EngineContext | None, flow_name: str) -> Identity:
        if ctx is None or ctx.flow_run is None:
            return cls(None, None, None, f"flow:{flow_name}", {}, None, "flow")
        fr = ctx.flow_run
        prefect = {
            "flow_run_id": str(fr.id), "flow_run_name": fr.name,
            "parent_task_run_id": str(fr.parent_task_run_id) if fr.parent_task_run_id else None,
        }
        return cls(
            run_id=str(fr.id), name=fr.name, group=str(fr.id), job_type=f"flow:{flow_name}",
            config={"prefect": prefect, "parameters": _jsonable(ctx.parameters or {})},
            prefect_run_id=str(fr.id), kind="flow", flow_run_id=str(fr.id),
        )


@dataclass
class Logged:
    """A version this scope logged; ``created`` is False when identical content already existed."""

    artifact: Artifact
    created: bool
    parts: int = 0  # for a collaborative version: how many mapped runs' parts it merged


@dataclass
class Scope:
    """The artiflow side of one Prefect task run or flow run (see the module docstring)."""

    identity: Identity
    project: str
    store: Store
    ui: bool = True
    used: list[Artifact] = field(default_factory=list)
    logged: list[Logged] = field(default_factory=list)
    announced_uses: int = 0  # how many of ``used`` the Prefect UI has been told about
    part: Part | None = None  # set in a mapped run of a collaborative ``.map``: it upserts parts
    part_prefix: str = ""  # where that part's files go, e.g. ``part-00003/``
    maps: list[PrefectFutureList[Any]] = field(default_factory=list)  # a flow's collaborative maps
    _run: TrackedRun | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> TrackedRun:
        """The Run, created (or resumed, on a retry) on first use."""
        with self._lock:
            if self._run is None:
                i = self.identity
                base = artiflow.Run.start(
                    project=self.project, name=i.name, job_type=i.job_type, group=i.group, config=i.config,
                    id=i.run_id, store=self.store,
                )
                self._run = TrackedRun(base, self)
            return self._run

    def finish(self, *, failed: bool) -> None:
        """Finish the Run, if there is one, with the task's or flow's outcome.

        When the body failed, a failure to record that is logged, not raised: it must not hide
        the body's own exception.
        """
        if self._run is None:
            return
        if not failed:
            self._run.finish(exit_code=0)
            return
        try:
            self._run.finish(exit_code=1)
        except Exception:
            log.exception("Could not mark artiflow run %s failed.", self._run.path)

    def activate(self) -> Token[Scope | None]:
        return _current.set(self)

    @staticmethod
    def deactivate(token: Token[Scope | None]) -> None:
        _current.reset(token)


class TrackedRun(Run):
    """A :class:`~artiflow.Run` that also tells its scope what it used and logged (for the UI)."""

    def __init__(self, base: Run, scope: Scope) -> None:
        super().__init__(base.store, base.record, dir=base.dir)
        self._scope = scope

    def log_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,  # noqa: A002 - the W&B API's parameter name
        aliases: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        *,
        progress: Progress | None = None,
    ) -> Artifact:
        artifact = super().log_artifact(artifact_or_path, name, type, aliases, tags, progress=progress)
        self._scope.logged.append(Logged(artifact, bool(artifact.created)))
        say(logged_line(artifact.qualified_name, created=bool(artifact.created), size=artifact.size))
        return artifact

    def finish_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,  # noqa: A002
        aliases: Sequence[str] | None = None,
        distributed_id: str | None = None,
        *,
        progress: Progress | None = None,
    ) -> Artifact:
        artifact = super().finish_artifact(
            artifact_or_path, name, type, aliases, distributed_id, progress=progress
        )
        self._scope.logged.append(Logged(artifact, bool(artifact.created)))
        say(logged_line(artifact.qualified_name, created=bool(artifact.created), size=artifact.size))
        return artifact

    def upsert_part(self, artifact: Artifact, aliases: Sequence[str] = (), tags: Sequence[str] = ()) -> PartRef:
        """Add ``artifact``'s files, under the part prefix, to this mapped run's collaborative version."""
        part = self._scope.part
        if part is None:
            raise RuntimeError("upsert_part is only for mapped runs of a collaborative .map.")
        digest = collab.upsert(
            self.store, artifact, project=self.project, run_id=self.id, distributed_id=part.distributed_id,
            progress=None, prefix=self._scope.part_prefix,
        )
        return PartRef(
            project=self.project, name=artifact.collection_name, type=artifact.type,
            distributed_id=part.distributed_id, index=part.index, run_id=self.id, manifest=digest,
            description=artifact.description, metadata=dict(artifact.metadata),
            aliases=tuple(names.aliases([*(a for a in artifact.aliases if a != "latest"), *aliases])),
            tags=tuple(names.tags([*artifact.tags, *tags])),
        )

    def finish_parts(self, parts: Sequence[PartRef]) -> Artifact:
        """Commit the parts of one collaborative version (all of one map, one name) as one version."""
        first = parts[0]
        metadata: dict[str, Any] = {}
        for p in parts:
            metadata.update(p.metadata)
        try:
            record, _manifest, created = collab.finish(
                self.store, project=first.project, name=first.name, distributed_id=first.distributed_id,
                run_id=self.id, description=next((p.description for p in parts if p.description), None),
                metadata=metadata, aliases=list(dict.fromkeys(a for p in parts for a in p.aliases)),
                tags=list(dict.fromkeys(t for p in parts for t in p.tags)), parts=[p.manifest for p in parts],
            )
        except ArtifactNotFoundError:
            if collab.finished_version(self.store, *first.key) is None:
                raise
            return first.resolve(self.store)  # a retried finishing task: committed the first time
        artifact = Artifact.from_record(self.store, record)
        self._scope.logged.append(Logged(artifact, created, parts=len(parts)))
        say(logged_line(artifact.qualified_name, created=created, size=artifact.size, parts=len(parts)))
        return artifact

    def use_artifact(
        self,
        artifact_or_name: Artifact | str,
        type: str | None = None,  # noqa: A002
        aliases: Sequence[str] | None = None,
        use_as: str | None = None,
    ) -> Artifact:
        artifact = super().use_artifact(artifact_or_name, type, aliases, use_as)
        if all(a != artifact for a in self._scope.used):
            self._scope.used.append(artifact)
            say(f"artiflow: used {artifact.qualified_name}")
        return artifact


def current_scope() -> Scope | None:
    """The scope of the task run or flow run executing here, if it is an artiflow one."""
    scope = _current.get()
    if scope is None:
        return None
    # Threads started by a flow inherit its context: a plain @task must not see the flow's scope.
    from prefect.context import FlowRunContext, TaskRunContext

    task_ctx = TaskRunContext.get()
    if task_ctx is not None:
        here: str | None = str(task_ctx.task_run.id)
    else:
        flow_ctx = FlowRunContext.get()
        here = str(flow_ctx.flow_run.id) if flow_ctx is not None and flow_ctx.flow_run is not None else None
    if scope.identity.prefect_run_id is not None and here != scope.identity.prefect_run_id:
        return None
    return scope


def get_run() -> Run:
    """The artiflow Run of the current ``@artifact_task`` run or ``@artifact_flow`` run.

    Like ``get_run_logger()``: call it inside the task or flow body for imperative
    ``use_artifact``/``log_artifact`` calls. Versions logged this way show up in the Prefect UI
    too.

    >>> @artifact_task(project="demo")          # doctest: +SKIP
    ... def train(data: Artifact) -> None:
    ...     get_run().log_artifact("model.pt", name="model", type="model")
    """
    scope = current_scope()
    if scope is None:
        raise RuntimeError(
            "get_run() works only inside an @artifact_task or @artifact_flow run; "
            "decorate the task or flow with it, or call artiflow.init() yourself."
        )
    return scope.run()


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the Run's config: plain values kept, artifacts by name, the rest by repr."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if v is None or isinstance(v, bool | int | float | str):
            out[k] = v if not isinstance(v, str) or len(v) <= 200 else v[:200] + "…"
        elif isinstance(v, ArtifactRef):
            out[k] = v.qualified_name
        elif isinstance(v, Artifact):
            out[k] = v.name if v.is_draft() else v.qualified_name
        elif isinstance(v, os.PathLike):
            out[k] = os.fspath(v)
        else:
            text = repr(v)
            out[k] = text if len(text) <= 200 else text[:200] + "…"
    return out

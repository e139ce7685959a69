"""Mapped artifact tasks build one collaborative version: each mapped run upserts a part.

>>> @artifact_task(project="demo", outputs=Output("shards", type="dataset"))   # doctest: +SKIP
... def make_shard(rows: list[dict]) -> pd.DataFrame: ...
>>> @artifact_flow                                                            # doctest: +SKIP
... def build(batches):
...     shards = make_shard.map(batches)       # one version of "shards", part i under part-0000i/
...     train(shards)                          # receives that one version, exactly
...     return shards.artifact()               # ArtifactRef("demo/shards:vN")

How it works, so that it holds on threads and process pools alike:

- ``ArtifactTask.map`` expands the mapped arguments as ``Task.map`` does, and submits each mapped
  run as a copy of the task that carries its :class:`Part` (index, and the map's distributed id,
  new for every ``.map`` call). The part travels inside the task, which every task runner ships
  to where the run executes. (Not as a Prefect tag: each tag costs a concurrency-limit round trip
  to the Prefect server per task run, seconds under load.)
- A mapped run with a part *upserts* each artifact it returns (its files under ``part_prefix``,
  by default ``part-{index:05d}/``) and returns a :class:`PartRef`.
- After the map, a finishing task (``<task>-finish``) takes every mapped run's result, waits for
  all of them (Prefect's own dependency handling: if one failed, it does not run and nothing
  is committed) and commits each artifact's parts as one version with ``finish_artifact``,
  selecting exactly the parts the mapped runs reported, so a retried part counts once. Its Run
  is the version's producer; every mapped run is recorded as having logged it too.
- ``.map`` returns :class:`MappedArtifacts`: the usual list of futures, except that each one
  completes only once the version is committed. A task that receives the list (or one of its
  futures) therefore sees the committed version; an artifact task receives it as one
  ``Artifact``.

Mapped parts never come from Prefect's cache: a cached part would belong to an earlier map.
Identical content still makes no new version: the merged digest is deduplicated as usual.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from artiflow import Artifact, ArtifactNotFoundError, Store, collab
from prefect.futures import PrefectFuture, PrefectFutureList, PrefectTaskRunFuture
from pydantic import BaseModel, ConfigDict, Field

from .refs import ArtifactRef

if TYPE_CHECKING:
    from prefect import Task
    from prefect.client.schemas.objects import State
    from prefect.task_runners import TaskRunner

DEFAULT_PREFIX = "part-{index:05d}/"


@dataclass(frozen=True)
class Part:
    """Which part of which map a mapped run builds."""

    index: int
    distributed_id: str


class PartRef(BaseModel):
    """One mapped run's part of a collaborative version: what a mapped artifact task returns.

    ``manifest`` is the digest of the part's own manifest. A task that receives a ``PartRef``
    gets the committed version it is part of (see :meth:`resolve`).
    """

    model_config = ConfigDict(frozen=True)

    project: str
    name: str
    type: str
    distributed_id: str
    index: int
    run_id: str
    manifest: str
    description: str | None = None
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        """The version this part belongs to: ``(project, name, distributed id)``."""
        return self.project, self.name, self.distributed_id

    def __str__(self) -> str:
        return f"{self.project}/{self.name} (part {self.index} of map {self.distributed_id[:8]})"

    def resolve(self, store: Store) -> Artifact:
        """The version this part was committed in; raises if the map was never finished."""
        version_id = collab.finished_version(store, self.project, self.name, self.distributed_id)
        if version_id is None:
            raise ArtifactNotFoundError(
                f"{self} is not committed: its map's finishing task did not run (a mapped run failed?) "
                "or has not finished yet."
            )
        return Artifact.from_record(store, store.metadata.get_version(version_id))


def part_refs(value: Any) -> list[PartRef]:
    """Every ``PartRef`` in a task result (also inside lists, tuples and dicts)."""
    if isinstance(value, PartRef):
        return [value]
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [p for v in value for p in part_refs(v)]
    return []


def group(parts: Iterable[PartRef]) -> dict[tuple[str, str, str], list[PartRef]]:
    """Parts by the version they belong to, each group in part order."""
    out: dict[tuple[str, str, str], list[PartRef]] = {}
    for p in sorted(parts, key=lambda p: p.index):
        out.setdefault(p.key, []).append(p)
    return out


# -- the flow side -------------------------------------------------------------------------------


class PartFuture(PrefectTaskRunFuture[Any]):
    """A mapped run's future that completes only once the map's version is committed.

    Its result is the mapped run's own (its ``PartRef``); its state is the mapped run's, unless
    that completed and the finishing task did not, in which case it is the finishing task's.
    """

    def __init__(self, part: PrefectFuture[Any], finisher: PrefectFuture[Any]) -> None:
        super().__init__(part.task_run_id)
        self.part = part
        self.finisher = finisher

    def wait(self, timeout: float | None = None) -> None:
        self.part.wait(timeout)
        if self.part.state.is_completed():
            self.finisher.wait(timeout)

    @property
    def state(self) -> State[Any]:
        own = self.part.state
        if not own.is_completed():
            return own
        fin = self.finisher.state
        return own if fin.is_completed() else fin

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> Any:
        value = self.part.result(timeout, raise_on_failure)
        if raise_on_failure:
            self.finisher.result(timeout, raise_on_failure)  # raises why the version was not committed
        return value

    def add_done_callback(self, fn: Callable[[PrefectFuture[Any]], None]) -> None:
        self.finisher.add_done_callback(lambda _: fn(self))


class MappedArtifacts(PrefectFutureList[Any]):
    """What a collaborative ``.map`` returns: one future per mapped run, plus the version.

    ``artifact()`` waits and returns the committed version's :class:`ArtifactRef` (a dict by
    name if the mapped runs returned several artifacts; None if they returned none).
    ``finisher`` is the finishing task's future, for ``wait_for=``.
    """

    def __init__(self, futures: Iterable[PrefectFuture[Any]] = (), finisher: PrefectFuture[Any] | None = None):
        super().__init__(futures)
        self.finisher = finisher

    def artifact(self, timeout: float | None = None) -> ArtifactRef | dict[str, ArtifactRef] | None:
        if self.finisher is None:
            return None
        result: ArtifactRef | dict[str, ArtifactRef] | None = self.finisher.result(timeout)
        return result


class _PartRunner:
    """The flow's task runner, as ``TaskRunner.map`` sees it: each submit sends one part's task.

    ``TaskRunner.map`` expands the mapped parameters exactly as a plain ``.map`` would (and
    resolves futures among them); only ``submit`` differs.
    """

    def __init__(self, runner: TaskRunner[Any], part_task: Callable[[Part], Task[Any, Any]]) -> None:
        self._runner = runner
        self._started = True
        self._part_task = part_task
        self._did = uuid.uuid4().hex
        self._index = 0

    def submit(self, task: Task[Any, Any], parameters: dict[str, Any], wait_for: Any = None,
               dependencies: Any = None) -> PrefectFuture[Any]:
        part = Part(self._index, self._did)
        self._index += 1
        future: PrefectFuture[Any] = self._runner.submit(self._part_task(part), parameters, wait_for, dependencies)
        return future

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)


def unwrap_parts(value: Any, finishers: list[PrefectFuture[Any]]) -> Any:
    """``value`` with every :class:`PartFuture` replaced by its mapped run's own future (and a
    :class:`MappedArtifacts` by the list of them); each finishing future is added to ``finishers``.

    A task runner then sees only its own futures, which it knows how to ship (prefect-dask turns
    them into Dask futures; a ``PartFuture`` pickled to a worker would lose its result), and the
    submitted task waits for the finishers, so it receives the committed version.
    """
    if isinstance(value, PartFuture):
        finishers.append(value.finisher)
        return value.part
    if isinstance(value, MappedArtifacts):
        if value.finisher is not None:
            finishers.append(value.finisher)
        return [unwrap_parts(f, finishers) for f in value]
    if isinstance(value, list | tuple) and any(isinstance(v, PartFuture | MappedArtifacts) for v in value):
        return type(value)(unwrap_parts(v, finishers) for v in value) if isinstance(value, list) else tuple(
            unwrap_parts(v, finishers) for v in value
        )
    if isinstance(value, dict) and any(isinstance(v, PartFuture | MappedArtifacts) for v in value.values()):
        return {k: unwrap_parts(v, finishers) for k, v in value.items()}
    return value


def map_parts(
    task: Task[Any, Any], part_task: Callable[[Part], Task[Any, Any]], finisher: Task[Any, Any],
    runner: TaskRunner[Any], parameters: dict[str, Any], wait_for: Any,
) -> MappedArtifacts:
    """Submit one ``part_task(part)`` per mapped item (parts of new collaborative versions), then
    ``finisher`` on all their results."""
    from prefect.task_runners import TaskRunner

    submitter = _PartRunner(runner, part_task)
    parts = TaskRunner.map(submitter, task, parameters, wait_for)  # type: ignore[arg-type]
    done = finisher.submit(list(parts))
    # PrefectFutureList subclasses Iterator without defining __next__; Prefect instantiates it too.
    return MappedArtifacts((PartFuture(p, done) for p in parts), done)  # type: ignore[abstract]

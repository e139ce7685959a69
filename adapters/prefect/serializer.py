"""``ArtifactSerializer``: any task's return value stored as an artiflow artifact version.

Prefect's result record then holds only a small JSON pointer (an :class:`~.refs.ArtifactRef`); the
value itself is versioned, deduplicated by content and has lineage like any other artifact.

>>> from prefect import task
>>> @task(result_serializer=ArtifactSerializer(project="demo"), persist_result=True)   # doctest: +SKIP
... def features(day: str) -> dict[str, float]:
...     return {"mean": 1.5}           # logged as demo/features-result:vN by this task run's Run

The value is stored with artiflow's typed serializers (JSON-able dicts and lists, numpy arrays,
pandas frames); anything else is pickled, unless ``allow_pickle=False``. Results of an
``@artifact_task`` are already ``ArtifactRef`` objects and are stored as the pointer itself.
Prefect calls ``dumps`` inside the task run, after the function returned, so the task run's Run
(``id`` = task run id) is resumed to log the value. It needs no Prefect block or server-side
registration; a process that reads the result back needs artiflow installed (Prefect reports an
unknown serializer otherwise).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from artiflow import Artifact, names
from prefect.serializers import Serializer
from pydantic import Field

from .flow import target
from .refs import ArtifactRef
from .runs import Identity, Scope
from .stores import StoreHandle

VALUE = names.VALUE_ENTRY  # the object's name inside the artifact, as in every adapter

if TYPE_CHECKING:
    _Base = Serializer[Any]
else:  # Serializer[Any] would register a pydantic subclass without a dispatch key in Prefect's registry
    _Base = Serializer


class ArtifactSerializer(_Base):
    """A Prefect result serializer that logs each result as an artifact (see the module docstring)."""

    type: str = Field(default="artiflow", frozen=True)
    project: str | None = None
    name: str | None = None  # default: "<task name>-result"
    artifact_type: str = "result"
    allow_pickle: bool = True

    def dumps(self, obj: Any) -> bytes:
        if isinstance(obj, ArtifactRef):
            return _pointer(obj)
        from prefect.context import TaskRunContext

        ctx = TaskRunContext.get()
        if ctx is None:
            raise RuntimeError("ArtifactSerializer stores task results: use it as a task's result_serializer.")
        store, project = target(StoreHandle(), self.project)
        name = self.name or names.sanitize(f"{ctx.task.name}-result", replacement="-")
        artifact = Artifact(name, self.artifact_type)
        try:
            artifact.add(obj, VALUE)
        except TypeError:
            if not self.allow_pickle:
                raise
            artifact.add(obj, VALUE, serializer="pickle")
        scope = Scope(Identity.of_task_run(ctx, ctx.task.name, dict(ctx.parameters)), project, store, ui=False)
        failed = True
        try:
            scope.run().log_artifact(artifact)
            failed = False
        finally:
            scope.finish(failed=failed)
        return _pointer(ArtifactRef.of(artifact))

    def loads(self, blob: bytes) -> Any:
        ref = ArtifactRef.model_validate(json.loads(blob)["artiflow"])
        store, _ = target(StoreHandle(), self.project)
        artifact = ref.resolve(store)
        if not any(e.path.startswith(f"{VALUE}.") for e in artifact.manifest):
            return ref  # a pointer to an artifact an @artifact_task logged
        return artifact.get(VALUE, allow_pickle=self.allow_pickle)


def _pointer(ref: ArtifactRef) -> bytes:
    return json.dumps({"artiflow": ref.model_dump()}).encode()

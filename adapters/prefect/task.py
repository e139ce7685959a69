"""``@artifact_task``: a Prefect task whose artifact inputs and outputs become a Run's lineage.

>>> from artiflow import Artifact
>>> from artiflow.adapters.prefect import artifact_task, Output
>>> @artifact_task(project="demo", retries=2)                      # doctest: +SKIP
... def clean(raw: Artifact) -> Artifact:
...     out = Artifact("clean", type="dataset")
...     out.add_file(transform(raw.download()))
...     return out                                  # logged; downstream gets an ArtifactRef
>>> @artifact_task(project="demo", inputs=["raw"], outputs=Output("stats", type="report"))  # doctest: +SKIP
... def stats(raw: Artifact) -> dict[str, int]:
...     return {"rows": count(raw)}                  # stored as the artifact 'stats'
>>> clean("raw-data:latest")                          # doctest: +SKIP

The task function runs inside a wrapper that, in the same task run (so retries, timeouts and
failures apply to it): opens the Run, uses every input version, calls the function, logs its
outputs and finishes the Run with the task's outcome. ``task_key``, the cache key's
``TASK_SOURCE`` and ``inspect.signature`` all still see the user's function.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast, overload

from artiflow import Settings, Store
from prefect import Task
from prefect.cache_policies import NO_CACHE

from . import ui
from .binding import (
    Output,
    OutputSpec,
    artifact_parameters,
    bind_inputs,
    check_declared,
    log_outputs,
    normalize_outputs,
    parameters_of,
)
from .caching import artifact_aware, register_cache_transform
from .flow import project_is_default, running, target
from .parts import DEFAULT_PREFIX, Part, group, map_parts, part_refs, unwrap_parts
from .refs import ArtifactRef
from .runs import Identity, Scope, current_scope
from .say import say
from .stores import StoreHandle

if TYPE_CHECKING:
    from prefect.context import TaskRunContext
    from prefect.tasks import TaskOptions
    from typing_extensions import Unpack

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger(__name__)

# Task.__init__ parameters whose value lives under another attribute name.
_ATTRIBUTE_OF = {
    "on_completion": "on_completion_hooks",
    "on_failure": "on_failure_hooks",
    "on_running": "on_running_hooks",
    "on_rollback": "on_rollback_hooks",
    "on_commit": "on_commit_hooks",
    "persist_result": "_user_persist_result",
    "cache_policy": "_user_cache_policy",
}


@dataclass(frozen=True)
class TaskSpec:
    """What ``@artifact_task`` was asked to do; pickled along with the task."""

    name: str
    project: str | None
    inputs: tuple[str, ...]
    paths: frozenset[str]  # parameters whose string values are artifact paths
    outputs: tuple[Output, ...]
    several: bool
    handle: StoreHandle
    ui: bool
    collaborative: bool = True
    part_prefix: str = DEFAULT_PREFIX
    part: Part | None = None  # set on the copy that runs one part of a collaborative .map


class ArtifactTask(Task[P, R]):
    """A ``prefect.Task`` whose runs are artiflow Runs (see the module docstring).

    Takes every ``@task`` option, plus:

    - ``project``: the artiflow project (default: the flow's, else ``ARTIFLOW_PROJECT``);
    - ``inputs``: parameters that take artifact paths (``"name:alias"``), resolved to one exact
      version when the task runs; parameters annotated as ``Artifact`` take them too;
    - ``outputs``: an :class:`Output` (or its name), or several, that the return value becomes;
    - ``store`` / ``settings``: where to log (default: the flow's, else ``ARTIFLOW_*``);
    - ``ui``: show versions in the Prefect UI (default True);
    - ``collaborative``: ``.map`` builds one version of each artifact from all mapped runs
      (default True; see :mod:`.parts`); False logs one version per mapped run;
    - ``part_prefix``: where each mapped run's files go in that version, a format string of
      ``index`` (default ``"part-{index:05d}/"``); ``""`` keeps the paths as returned, and two
      parts that give one path different content then fail the finishing task.

    Cache keys see artifact inputs as the version they resolve to when the run starts (see
    :mod:`.caching`): Prefect's default policy and ``INPUTS`` in ``cache_policy=`` become
    :data:`~.caching.ARTIFACT_INPUTS`, so a moved alias misses and identical content hits. A
    cache hit (state ``Cached``) does not call the function; its result is still the
    ``ArtifactRef`` of the exact version the cached run logged, and an ``on_completion`` hook
    (:func:`record_cached_use`) opens a Run for the cached task run that uses that version, with
    a log line ``artiflow: cached …``.
    """

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        project: str | None = None,
        inputs: Sequence[str] = (),
        outputs: OutputSpec | None = None,
        store: Store | StoreHandle | None = None,
        settings: Settings | None = None,
        ui: bool = True,
        collaborative: bool = True,
        part_prefix: str = DEFAULT_PREFIX,
        **task_kwargs: Unpack[TaskOptions],
    ) -> None:
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError("@artifact_task does not support generator functions; return the artifact instead.")
        super().__init__(fn=fn, **task_kwargs)
        # Prefect's default policy and an explicit INPUTS hash artifact inputs by what they resolve to.
        self.cache_policy = artifact_aware(self.cache_policy)
        user_fn = self.fn
        outs, several = normalize_outputs(outputs)
        handle = store if isinstance(store, StoreHandle) else StoreHandle(store, settings)
        self.artiflow = TaskSpec(
            name=self.name, project=project, inputs=tuple(inputs),
            paths=check_declared(user_fn, inputs) | artifact_parameters(user_fn), outputs=outs, several=several,
            handle=handle, ui=ui, collaborative=collaborative, part_prefix=_check_prefix(part_prefix),
        )
        self._artiflow_outputs = outputs
        self._artiflow_fn = user_fn
        self.fn = cast(Callable[P, R], _wrap(user_fn, self.artiflow))
        if record_cached_use not in self.on_completion_hooks:  # with_options copies the hooks
            self.on_completion_hooks = [*self.on_completion_hooks, record_cached_use]

    def with_options(  # type: ignore[override]
        self,
        *,
        project: str | None = None,
        inputs: Sequence[str] | None = None,
        outputs: OutputSpec | None = None,
        store: Store | None = None,
        settings: Settings | None = None,
        ui: bool | None = None,
        collaborative: bool | None = None,
        part_prefix: str | None = None,
        **task_kwargs: Unpack[TaskOptions],
    ) -> ArtifactTask[P, R]:
        """A copy with some options changed: every ``@task`` option, and the artiflow ones.

        Unlike ``Task.with_options``, this keeps the artifact behaviour (it returns an
        ``ArtifactTask``).
        """
        init_kwargs: dict[str, Any] = {}
        for param in inspect.signature(Task.__init__).parameters:
            if param in ("self", "fn"):
                continue
            attr = _ATTRIBUTE_OF.get(param, param)
            if hasattr(self, attr):
                value = getattr(self, attr)
                init_kwargs[param] = list(value) if attr.endswith("_hooks") else value
        init_kwargs.update(task_kwargs)
        spec = self.artiflow
        return ArtifactTask(
            self._artiflow_fn,
            project=project if project is not None else spec.project,
            inputs=inputs if inputs is not None else spec.inputs,
            outputs=outputs if outputs is not None else self._artiflow_outputs,
            store=StoreHandle(store, settings) if store is not None or settings is not None else spec.handle,
            ui=ui if ui is not None else spec.ui,
            collaborative=collaborative if collaborative is not None else spec.collaborative,
            part_prefix=part_prefix if part_prefix is not None else spec.part_prefix,
            **init_kwargs,
        )

    def _for_part(self, part: Part) -> ArtifactTask[P, R]:
        """A copy of this task whose run builds ``part`` (cheap: one per mapped run)."""
        clone = copy.copy(self)
        clone.artiflow = replace(self.artiflow, part=part)
        clone.fn = cast(Callable[P, R], _wrap(self._artiflow_fn, clone.artiflow))
        return clone

    def submit(self, *args: Any, wait_for: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """``Task.submit``; a collaborative ``.map`` result among the arguments is passed as its
        mapped runs' own futures, and the task waits for the map's version to be committed."""
        finishers: list[Any] = []
        args = tuple(unwrap_parts(a, finishers) for a in args)
        kwargs = {k: unwrap_parts(v, finishers) for k, v in kwargs.items()}
        if finishers:
            wait_for = [*(wait_for or []), *{id(f): f for f in finishers}.values()]
        return super().submit(*args, wait_for=wait_for, **kwargs)

    def map(  # type: ignore[override]
        self,
        *args: Any,
        return_state: bool = False,
        wait_for: Any = None,
        deferred: bool = False,
        **kwargs: Any,
    ) -> Any:
        """``Task.map``; with ``collaborative`` (the default) the mapped runs build one version.

        Returns :class:`~.parts.MappedArtifacts`, the usual list of futures, whose
        ``artifact()`` is the committed version (see :mod:`.parts`).
        """
        from prefect.context import FlowRunContext

        runner = getattr(FlowRunContext.get(), "task_runner", None)
        if not self.artiflow.collaborative or deferred or runner is None:
            return super().map(*args, return_state=return_state, wait_for=wait_for, deferred=deferred, **kwargs)
        from prefect.utilities.callables import get_call_parameters

        parameters = get_call_parameters(self.fn, args, kwargs, apply_defaults=False)
        uncached = self.with_options(cache_policy=NO_CACHE, cache_key_fn=None)
        futures = map_parts(uncached, uncached._for_part, _finisher(self), runner, parameters, wait_for)
        flow_scope = current_scope()
        if flow_scope is not None and flow_scope.identity.kind == "flow":
            flow_scope.maps.append(futures)  # an @artifact_flow waits for it to be committed
        if return_state:
            futures.wait()
            return [f.state for f in futures]
        return futures


@overload
def artifact_task(fn: Callable[P, R], /) -> ArtifactTask[P, R]: ...


@overload
def artifact_task(
    *,
    project: str | None = None,
    inputs: Sequence[str] = (),
    outputs: OutputSpec | None = None,
    store: Store | None = None,
    settings: Settings | None = None,
    ui: bool = True,
    collaborative: bool = True,
    part_prefix: str = DEFAULT_PREFIX,
    **task_kwargs: Unpack[TaskOptions],
) -> _Decorator: ...


def artifact_task(
    fn: Callable[P, R] | None = None,
    /,
    *,
    project: str | None = None,
    inputs: Sequence[str] = (),
    outputs: OutputSpec | None = None,
    store: Store | None = None,
    settings: Settings | None = None,
    ui: bool = True,
    collaborative: bool = True,
    part_prefix: str = DEFAULT_PREFIX,
    **task_kwargs: Unpack[TaskOptions],
) -> ArtifactTask[P, R] | _Decorator:
    """Make a function an :class:`ArtifactTask`; use bare (``@artifact_task``) or with options."""
    handle = StoreHandle(store, settings)

    def decorate(f: Callable[P, R]) -> ArtifactTask[P, R]:
        return ArtifactTask(
            f, project=project, inputs=inputs, outputs=outputs, store=handle, ui=ui, collaborative=collaborative,
            part_prefix=part_prefix, **task_kwargs
        )

    if fn is not None:
        return decorate(fn)
    return _Decorator(decorate)


class _Decorator:
    """What ``artifact_task(...)`` returns: apply it to a function."""

    def __init__(self, decorate: Callable[[Callable[..., Any]], ArtifactTask[Any, Any]]) -> None:
        self._decorate = decorate

    def __call__(self, fn: Callable[P, R]) -> ArtifactTask[P, R]:
        return cast(ArtifactTask[P, R], self._decorate(fn))


# -- the wrapper ---------------------------------------------------------------------------------


def _wrap(fn: Callable[..., Any], spec: TaskSpec) -> Callable[..., Any]:
    # Only module-level functions are referenced here: Prefect pickles the wrapper by value for
    # process pools, and a module global such as a ContextVar would not pickle.
    wrapper: Callable[..., Any]
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await run_task_async(spec, fn, args, kwargs)

        wrapper = async_wrapper
    else:

        @functools.wraps(fn)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            return run_task(spec, fn, args, kwargs)

        wrapper = sync_wrapper
    # Prefect's cache keys hash the code of the task's source function: keep it the user's.
    setattr(wrapper, "__prefect_task_source__", fn)  # noqa: B010
    return wrapper


def record_cached_use(task: Task[Any, Any], task_run: Any, state: Any) -> None:
    """An ``on_completion`` hook: a cache hit (state ``Cached``) calls no function, so it opens a Run
    here that uses every version the cached result names, and says so in the task run's log."""
    spec = getattr(task, "artiflow", None)
    if state.name != "Cached" or not isinstance(spec, TaskSpec):
        return
    try:
        refs = cached_refs(state.result(raise_on_failure=False))
        if not refs:
            return
        from prefect.context import TaskRunContext
        from prefect.logging.loggers import task_run_logger

        ctx = TaskRunContext.get()
        store, project = target(spec.handle, spec.project)
        params = dict(ctx.parameters) if ctx is not None else {}
        scope = Scope(Identity.of_prefect_task_run(task_run, task.name, params), project, store, ui=False)
        failed = True
        try:
            for ref in refs:
                used = scope.run().use_artifact(ref.resolve(store), use_as="cached")
                task_run_logger(task_run, task=task).info(
                    f"artiflow: cached {used.qualified_name} (an earlier run's result, reused and recorded as used)"
                )
            failed = False
        finally:
            scope.finish(failed=failed)
    except Exception:  # noqa: BLE001 - recording lineage must never fail a cached task
        logging.getLogger(__name__).exception("artiflow could not record the use of a cached result.")


def cached_refs(value: Any) -> list[ArtifactRef]:
    """Every ``ArtifactRef`` in a task result (also inside lists, tuples and dicts), once each."""
    if isinstance(value, ArtifactRef):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return list(dict.fromkeys(r for v in value for r in cached_refs(v)))
    return []


def open_scope(
    spec: TaskSpec, ctx: TaskRunContext | None, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Scope:
    """The Run of this task run, created, or resumed on a retry (same task run id)."""
    store, project = target(spec.handle, spec.project)
    if spec.project is None and project_is_default(store, project):
        say(
            f"artiflow: task {spec.name!r} logs to the default project {project!r}; pass project= to "
            "@artifact_task or @artifact_flow, or set ARTIFLOW_PROJECT.", logging.WARNING,
        )
    params = dict(ctx.parameters) if ctx is not None else parameters_of(fn, args, kwargs)
    identity = Identity.of_task_run(ctx, ctx.task.name if ctx is not None else spec.name, params)
    scope = Scope(identity, project, store, ui=spec.ui and ctx is not None)
    if spec.part is not None:
        scope.part, scope.part_prefix = spec.part, spec.part_prefix.format(index=spec.part.index)
    scope.run()
    return scope


def run_task(spec: TaskSpec, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Execute one sync task run: inputs, the function, outputs, finish; then the UI."""
    from prefect.context import TaskRunContext

    scope = open_scope(spec, TaskRunContext.get(), fn, args, kwargs)
    token = scope.activate()
    failed = True
    early = None
    try:
        args, kwargs = bind_inputs(fn, args, kwargs, spec.paths, scope)
        early = ui.publish_uses(scope)  # linked while the function runs
        result = log_outputs(fn(*args, **kwargs), spec.outputs, spec.several, scope)
        failed = False
        return result
    finally:
        try:
            scope.finish(failed=failed)
        finally:
            scope.deactivate(token)
            ui.publish(scope, early)


async def run_task_async(
    spec: TaskSpec, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """:func:`run_task` for ``async def`` tasks; store work runs in a thread, off the event loop."""
    from prefect.context import TaskRunContext

    scope = await asyncio.to_thread(open_scope, spec, TaskRunContext.get(), fn, args, kwargs)
    token = scope.activate()
    failed = True
    try:
        args, kwargs = await asyncio.to_thread(bind_inputs, fn, args, kwargs, spec.paths, scope)
        value = await fn(*args, **kwargs)
        result = await asyncio.to_thread(log_outputs, value, spec.outputs, spec.several, scope)
        failed = False
        return result
    finally:
        try:
            await asyncio.to_thread(functools.partial(scope.finish, failed=failed))
        finally:
            scope.deactivate(token)
            await ui.apublish(scope)


def _check_prefix(prefix: str) -> str:
    try:
        made = prefix.format(index=0)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"part_prefix {prefix!r} must be a format string of 'index' only, e.g. 'part-{{index:05d}}/'.") from exc
    if made and (made.startswith("/") or ".." in made.split("/")):
        raise ValueError(f"part_prefix {prefix!r} must be a relative directory, e.g. 'part-{{index:05d}}/'.")
    return prefix if not made or made.endswith("/") else prefix + "/"


# -- the finishing task of a collaborative map ---------------------------------------------------


def _finisher(task: ArtifactTask[Any, Any]) -> Task[..., Any]:
    """The task that commits a collaborative map's parts: ``<task name>-finish``."""
    spec, name = task.artiflow, f"{task.name}-finish"

    def finish(parts: list[Any]) -> Any:
        return finish_map(spec, parts)

    return Task(fn=finish, name=name, cache_policy=NO_CACHE, retries=task.retries,
                retry_delay_seconds=task.retry_delay_seconds)


def finish_map(spec: TaskSpec, parts: list[Any]) -> ArtifactRef | dict[str, ArtifactRef] | None:
    """Commit every artifact the mapped runs upserted, each as one version; their refs by name."""
    from prefect.context import TaskRunContext

    groups = group(part_refs(parts))
    if not groups:
        return None
    with running(open_scope(spec, TaskRunContext.get(), finish_map, (spec, parts), {})) as scope:
        refs = {key[1]: ArtifactRef.of(scope.run().finish_parts(g)) for key, g in groups.items()}
    return next(iter(refs.values())) if len(refs) == 1 else refs


register_cache_transform()

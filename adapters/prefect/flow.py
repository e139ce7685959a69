"""``@artifact_flow``: a Prefect flow that gives its artifact tasks a store and a project.

>>> from artiflow.adapters.prefect import artifact_flow, get_run
>>> @artifact_flow(project="demo", settings=artiflow.Settings(home="/data/store"))  # doctest: +SKIP
... def pipeline() -> None:
...     raw = ingest()              # @artifact_task: logs into /data/store, project "demo"
...     clean(raw)
...     get_run().use_artifact("reference-data:v2")   # the flow run's own Run, created on demand

Before the flow run ends, it waits for every collaborative ``.map`` its body started, so that
their versions are committed even if the body never waited for them.

Tasks read the flow's settings from Prefect's flow run context, which Prefect ships to worker
threads and processes alike; a task's own ``project``/``store`` still win. The flow's own Run
(``id`` = flow run id, ``job_type`` = ``flow:<name>``) exists only if the flow body calls
:func:`~.runs.get_run`, and is finished with the flow's outcome.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from artiflow import Settings, Store

from . import ui
from .runs import Identity, Scope
from .stores import StoreHandle

if TYPE_CHECKING:
    from prefect import Flow

P = ParamSpec("P")
R = TypeVar("R")

_SPEC_ATTRIBUTE = "__artiflow_flow__"


@dataclass(frozen=True)
class FlowSpec:
    """Defaults an ``@artifact_flow`` gives the artifact tasks it runs; pickled with the flow."""

    project: str | None
    handle: StoreHandle
    ui: bool


def flow_defaults() -> FlowSpec | None:
    """The :class:`FlowSpec` of the flow run executing here, if it is an ``@artifact_flow``."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    flow = ctx.flow if ctx is not None else None
    spec = getattr(getattr(flow, "fn", None), _SPEC_ATTRIBUTE, None)
    return spec if isinstance(spec, FlowSpec) else None


def target(handle: StoreHandle, project: str | None) -> tuple[Store, str]:
    """The store and project a task logs to: its own if set, else its flow's, else ``ARTIFLOW_*``."""
    flow = flow_defaults()
    if not handle.explicit and flow is not None and flow.handle.explicit:
        handle = flow.handle
    store = handle.get()
    return store, project or (flow.project if flow is not None else None) or store.settings.project


def project_is_default(store: Store, project: str) -> bool:
    """True when ``project`` is the store's built-in default: nobody chose it (no ARTIFLOW_PROJECT)."""
    flow = flow_defaults()
    return (flow is None or flow.project is None) and "project" not in store.settings.model_fields_set and (
        project == store.settings.project
    )


@overload
def artifact_flow(fn: Callable[P, R], /) -> Flow[P, R]: ...


@overload
def artifact_flow(
    *,
    project: str | None = None,
    store: Store | None = None,
    settings: Settings | None = None,
    ui: bool = True,
    **flow_kwargs: Any,
) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def artifact_flow(
    fn: Callable[P, R] | None = None,
    /,
    *,
    project: str | None = None,
    store: Store | None = None,
    settings: Settings | None = None,
    ui: bool = True,
    **flow_kwargs: Any,
) -> Flow[P, R] | Callable[[Callable[P, R]], Flow[P, R]]:
    """A ``prefect.flow`` (taking every ``@flow`` option) whose tasks log to ``store``/``project``."""
    spec = FlowSpec(project=project, handle=StoreHandle(store, settings), ui=ui)

    def decorate(f: Callable[P, R]) -> Flow[P, R]:
        from prefect import flow

        if inspect.isgeneratorfunction(f) or inspect.isasyncgenfunction(f):
            raise TypeError("@artifact_flow does not support generator functions.")
        made: Flow[P, R] = flow(f, **flow_kwargs) if flow_kwargs else flow(f)
        # Everything Prefect derived from the function (name, parameters, source, entrypoint) is
        # already set from the user's function; only the call goes through the wrapper. The spec
        # rides on the wrapper, so it survives ``with_options`` and pickling to workers.
        made.fn = _wrap(made.fn, spec)
        return made

    return decorate(fn) if fn is not None else decorate


def _wrap(fn: Callable[P, R], spec: FlowSpec) -> Callable[P, R]:
    wrapper: Any
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await run_flow_async(spec, fn, args, kwargs)

        wrapper = async_wrapper
    else:

        @functools.wraps(fn)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            return run_flow(spec, fn, args, kwargs)

        wrapper = sync_wrapper
    setattr(wrapper, _SPEC_ATTRIBUTE, spec)
    result: Callable[P, R] = wrapper
    return result


def _open(spec: FlowSpec, name: str) -> Scope:
    from prefect.context import FlowRunContext

    store = spec.handle.get()
    identity = Identity.of_flow_run(FlowRunContext.get(), name)
    return Scope(identity, spec.project or store.settings.project, store, ui=spec.ui)


def _flow_name() -> str:
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    return ctx.flow.name if ctx is not None and ctx.flow is not None else "flow"


@contextmanager
def running(scope: Scope) -> Iterator[Scope]:
    """Make ``scope`` current for a sync body; finish its Run with the outcome, then show it in the UI."""
    token = scope.activate()
    failed = True
    try:
        yield scope
        failed = False
    finally:
        try:
            scope.finish(failed=failed)
        finally:
            scope.deactivate(token)
            ui.publish(scope)


def run_flow(spec: FlowSpec, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    with running(_open(spec, _flow_name())) as scope:
        result = fn(*args, **kwargs)
        for mapped in scope.maps:  # a collaborative .map the body did not wait for is still committed
            mapped.wait()
        return result


async def run_flow_async(
    spec: FlowSpec, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    scope = await asyncio.to_thread(_open, spec, _flow_name())
    token = scope.activate()
    failed = True
    try:
        result = await fn(*args, **kwargs)
        for mapped in scope.maps:
            await asyncio.to_thread(mapped.wait)
        failed = False
        return result
    finally:
        try:
            await asyncio.to_thread(functools.partial(scope.finish, failed=failed))
        finally:
            scope.deactivate(token)
            await ui.apublish(scope)

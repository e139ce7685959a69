"""W&B's module-level run API: ``artiflow.init``, ``artiflow.run``, ``log``, ``log_artifact``, ``finish``…

``import artiflow as wandb`` then runs W&B scripts as written::

    wandb.init(project="demo", config={"lr": 0.1})
    wandb.log({"loss": 0.5})
    wandb.log_artifact(artifact)
    wandb.finish()

The process has at most one *current* run (``artiflow.run``), as in W&B. ``init`` makes its run
current when no current run is open; artiflow differs from W&B in that a second ``init`` while one
is open still starts a new run (engines run many at once in threads) without replacing the current
one. ``reinit`` chooses otherwise: ``"return_previous"`` (or ``False``) returns the open current
run, ``"finish_previous"`` (or ``True``) finishes it first, ``"create_new"`` never touches it.
``mode="disabled"`` returns a run that records nothing.

>>> SESSION.run is None
True
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import names
from .artifact import Artifact
from .errors import ArtiflowError, ArtifactNotFoundError
from .runs import Run
from .runs import init as start_run
from .settings import Settings
from .store import Store

MODES = ("online", "offline", "shared", "disabled")
REINIT = ("default", "return_previous", "finish_previous", "create_new")
RESUME = ("allow", "must", "never", "auto")
# W&B keywords that change nothing here (cloud sync, code capture, integrations).
IGNORED = frozenset({
    "anonymous", "allow_val_change", "force", "save_code", "sync_tensorboard", "tensorboard", "monitor_gym",
    "magic", "config_exclude_keys", "config_include_keys", "fork_from", "resume_from", "sweep_id",
})


class DisabledRun:
    """``mode="disabled"``: every method is accepted and nothing is recorded (W&B's ``RunDisabled``)."""

    def __init__(
        self, project: str | None, name: str | None, config: dict[str, Any] | None,
        on_finish: Callable[[DisabledRun], None] | None = None,
    ) -> None:
        self._on_finish = on_finish
        self.id = "disabled"
        self.name = name or "disabled"
        self.project = project or "disabled"
        self.entity = None
        self.config: dict[str, Any] = dict(config or {})
        self.summary: dict[str, Any] = {}
        self.tags: tuple[str, ...] = ()
        self.notes = None
        self.disabled = True
        self.url = None
        self.path = f"{self.project}/{self.id}"
        self.state = "disabled"
        self.step = 0

    def log_artifact(self, artifact_or_path: Any, *args: Any, **kwargs: Any) -> Any:
        return artifact_or_path

    use_artifact = upsert_artifact = finish_artifact = log_artifact

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        if self._on_finish is not None:
            self._on_finish(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None

    def __enter__(self) -> DisabledRun:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.finish()

    def __repr__(self) -> str:
        return "<Run disabled>"


class Session:
    """The process's current run (one per process: :data:`SESSION`)."""

    def __init__(self) -> None:
        self._run: Run | DisabledRun | None = None
        self._lock = threading.RLock()

    @property
    def run(self) -> Run | DisabledRun | None:
        return self._run

    def _forget(self, run: Run | DisabledRun) -> None:
        with self._lock:
            if self._run is run:
                self._run = None

    def init(
        self,
        project: str | None = None,
        entity: str | None = None,
        config: dict[str, Any] | Any | None = None,
        name: str | None = None,
        job_type: str | None = None,
        group: str | None = None,
        tags: Sequence[str] | None = None,
        notes: str | None = None,
        dir: str | os.PathLike[str] | None = None,  # noqa: A002 - W&B's name
        *,
        id: str | None = None,  # noqa: A002
        resume: bool | str | None = None,
        reinit: bool | str | None = None,
        mode: str | None = None,
        store: Store | None = None,
        settings: Settings | Any | None = None,
        **ignored: Any,
    ) -> Run | DisabledRun:
        """Start a run (W&B's ``wandb.init`` keywords); it becomes ``artiflow.run`` if none is current."""
        unknown = set(ignored) - IGNORED
        if unknown:
            raise TypeError(f"init() got unexpected keyword arguments {sorted(unknown)}.")
        mode = mode or os.environ.get("ARTIFLOW_MODE") or os.environ.get("WANDB_MODE") or "online"
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}.")
        policy = _reinit_policy(reinit)
        config_ = _as_dict(config)
        if not isinstance(settings, Settings):
            settings = None  # a wandb.Settings-like object: nothing in it applies here
        with self._lock:
            current = self._run
            if current is not None and policy == "return_previous":
                return current
            if current is not None and policy == "finish_previous":
                current.finish()
            if mode == "disabled":
                disabled = DisabledRun(project, name, config_, on_finish=self._forget)
                if policy != "create_new" and self._run is None:
                    self._run = disabled
                return disabled
            store = store or Store.open(settings)
            config_, existed = _resume_config(store, id, resume, config_)
            run = start_run(
                project=project, name=name, job_type=job_type, group=group, config=config_, dir=dir, id=id,
                store=store, entity=entity, tags=tags, notes=notes,
            )
            run.resumed = existed
            if policy != "create_new" and self._run is None:
                self._run = run
                run.on_finish.append(self._forget)
            return run

    def current(self, verb: str) -> Run | DisabledRun:
        run = self._run
        if run is None:
            raise ArtiflowError(f"You must call artiflow.init() before artiflow.{verb}().")
        return run


def _reinit_policy(reinit: bool | str | None) -> str:
    if reinit is None or reinit == "default":
        return "default"
    if reinit is True:
        return "finish_previous"
    if reinit is False:
        return "return_previous"
    if reinit not in REINIT:
        raise ValueError(f"reinit must be a bool or one of {', '.join(REINIT)}; got {reinit!r}.")
    return str(reinit)


def _as_dict(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, dict):
        return dict(config)
    if hasattr(config, "items"):
        return dict(config.items())
    return {k: v for k, v in vars(config).items() if not k.startswith("_")}  # argparse.Namespace


def _resume_config(
    store: Store, run_id: str | None, resume: bool | str | None, config: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Check ``resume`` against the store; a resumed run keeps its config, updated with the new keys."""
    if resume not in (None, True, False) and resume not in RESUME:
        raise ValueError(f"resume must be a bool or one of {', '.join(RESUME)}; got {resume!r}.")
    if run_id is None:
        if resume == "must":
            raise ValueError("resume='must' needs the id of the run to resume: init(id=..., resume='must').")
        return config, False
    try:
        old = store.metadata.get_run(names.run_id(run_id))
    except ArtifactNotFoundError:
        if resume == "must":
            raise ArtifactNotFoundError(f"resume='must' but run {run_id!r} does not exist; check the id.") from None
        return config, False
    if resume == "never":
        raise ArtiflowError(f"resume='never' but run {run_id!r} already exists; pick another id.")
    return {**old.config, **config}, True


SESSION = Session()


# -- the module-level functions artiflow exports -----------------------------------------------


def init(*args: Any, **kwargs: Any) -> Run | DisabledRun:
    return SESSION.init(*args, **kwargs)


init.__doc__ = Session.init.__doc__


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run (no-op without one)."""
    run = SESSION.run
    if run is not None:
        run.finish(exit_code)


def log(data: dict[str, Any], step: int | None = None, commit: bool | None = None, sync: bool | None = None) -> None:
    """``run.log`` on the current run."""
    SESSION.current("log").log(data, step=step, commit=commit)


def save(glob_str: str | os.PathLike[str] | None = None, base_path: str | os.PathLike[str] | None = None,
         policy: str = "live") -> Any:
    """``run.save`` on the current run."""
    return SESSION.current("save").save(glob_str, base_path=base_path, policy=policy)


def log_artifact(artifact_or_path: Any, name: str | None = None, type: str | None = None,  # noqa: A002
                 aliases: Sequence[str] | None = None, tags: Sequence[str] | None = None) -> Any:
    """``run.log_artifact`` on the current run; without one, through a short run of its own (as ``Artifact.save``)."""
    run = SESSION.run
    if run is not None:
        return run.log_artifact(artifact_or_path, name=name, type=type, aliases=aliases, tags=tags)
    with start_run(job_type="auto") as own:
        return own.log_artifact(artifact_or_path, name=name, type=type, aliases=aliases, tags=tags)


def use_artifact(artifact_or_name: Artifact | str, type: str | None = None,  # noqa: A002
                 aliases: Sequence[str] | None = None, use_as: str | None = None) -> Any:
    """``run.use_artifact`` on the current run; without one, through a short run of its own."""
    run = SESSION.run
    if run is not None:
        return run.use_artifact(artifact_or_name, type=type, aliases=aliases, use_as=use_as)
    with start_run(job_type="auto") as own:
        return own.use_artifact(artifact_or_name, type=type, aliases=aliases, use_as=use_as)

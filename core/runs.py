"""``Run``: the unit of work that logs and uses artifacts.

``init`` here returns a Run object, and any number of them may be open at once in threads or
processes; the W&B-style process-wide current run (``artiflow.run``) lives in :mod:`artiflow.session`.
A run left open is finished when the interpreter exits (failed after an uncaught exception), and
reads as ``crashed`` if its process dies without that (:mod:`artiflow.liveness`).

>>> import artiflow
>>> with artiflow.init(project="demo", job_type="train") as run:     # doctest: +SKIP
...     data = run.use_artifact("cats:latest")
...     run.log_artifact("model.pt", name="cat-model", type="model")
"""

from __future__ import annotations

import logging
import os
import urllib.parse
import secrets
import string
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from artiflow.lineage import LineageResult, downstream, upstream

from . import names, userdata
from .artifact import Artifact, add_path
from .errors import ArtiflowError, TypeMismatchError
from .liveness import OPEN_RUNS
from .runextras import RunExtras
from .metadata import RunRecord
from .metadata.runinfo import this_host
from .runstate import Config, History, Summary
from .names import ArtifactPath
from .settings import Settings
from .store import Progress, Store

log = logging.getLogger(__name__)
_ID_ALPHABET = string.ascii_lowercase + string.digits


def _new_run_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def _same_store(a: Store | None, b: Store) -> bool:
    """Two Store objects opened on the same database and storage (e.g. by Api() and init()) are one store."""
    return a is b or (a is not None and a.metadata.url == b.metadata.url and a.blobs.url == b.blobs.url)


def init(
    project: str | None = None,
    name: str | None = None,
    job_type: str | None = None,
    group: str | None = None,
    config: dict[str, Any] | None = None,
    dir: str | os.PathLike[str] | None = None,  # noqa: A002 - the W&B API's parameter name
    *,
    id: str | None = None,  # noqa: A002
    store: Store | None = None,
    settings: Settings | None = None,
    entity: str | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
) -> Run:
    """Start a run. Use it as a context manager to finish it (failed if the block raised).

    ``id`` resumes or names a run explicitly (engines derive it from their own run ids, so a
    retry reuses the same Run). ``store`` defaults to the one the settings describe. ``entity``,
    ``tags`` and ``notes`` are recorded as given (W&B's fields; artiflow has no accounts).
    """
    store = store or Store.open(settings)
    project = names.project_name(project or store.settings.project)
    run_id = names.run_id(id or _new_run_id())
    details: dict[str, Any] = {"entity": entity, "notes": notes, "host": this_host(), "pid": os.getpid()}
    if tags is not None:
        details["tags"] = [str(t) for t in tags]
    record = store.start_run(
        run_id=run_id, project=project, name=name or run_id, group=group, job_type=job_type,
        config=dict(config or {}), details=details,
    )
    run = Run(store, record, dir=os.fspath(dir) if dir is not None else None)
    run.opened()
    return run


class Run(RunExtras):
    """A run: ``log_artifact``, ``use_artifact``, ``logged_artifacts``, ``used_artifacts``, ``finish``."""

    def __init__(self, store: Store, record: RunRecord, *, dir: str | None = None) -> None:  # noqa: A002
        self._store = store
        self._record = record
        self._dir = dir
        self._error: BaseException | None = None
        self._config = Config(store, record.id, record.config)
        self._summary = Summary(store, record.id, record.summary)
        self._history: History | None = None
        self.on_finish: list[Callable[[Run], None]] = []  # called once, before the run is marked finished
        self._saved: dict[str, str] = {}
        self._saved_live = False
        self.resumed = False

    @classmethod
    def start(cls, **kwargs: Any) -> Run:
        """An explicit run, never the process's current ``artiflow.run``: for engines and threads.

        Takes ``init``'s arguments (``project``, ``name``, ``job_type``, ``group``, ``config``,
        ``dir``, ``id``, ``store``, ``settings``, ``entity``, ``tags``, ``notes``).
        """
        return init(**kwargs)

    def opened(self) -> None:
        """This process opened the run (internal): heartbeat it, and finish it at exit if still open."""
        OPEN_RUNS.register(id(self), self._store, self.id, lambda code: self.finish(exit_code=code))

    @classmethod
    def attach(cls, store: Store, run_id: str) -> Run:
        """The Run object of a recorded run (internal: used by ``Api`` and ``Artifact``)."""
        return cls(store, store.metadata.get_run(run_id))

    def __repr__(self) -> str:
        return f"<Run {self.path} ({self.state})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other._record.id == self._record.id

    def __hash__(self) -> int:
        return hash(self._record.id)

    # -- attributes ----------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def project(self) -> str:
        return self._record.project

    @property
    def group(self) -> str | None:
        return self._record.group

    @property
    def job_type(self) -> str | None:
        return self._record.job_type

    @property
    def config(self) -> Config:
        """The run's configuration: a mapping whose writes (``[k] = v``, ``update``) are saved at once."""
        return self._config

    @property
    def summary(self) -> Summary:
        """The last value logged for each key (or set by hand): a mapping saved as it changes."""
        return self._summary

    @property
    def entity(self) -> str | None:
        return self._record.entity

    @property
    def tags(self) -> tuple[str, ...]:
        return self._record.tags

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._record = self._store.metadata.update_run(self.id, tags=[str(t) for t in value])

    @property
    def notes(self) -> str | None:
        return self._record.notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._record = self._store.metadata.update_run(self.id, notes=value)

    @property
    def dir(self) -> str:
        """Where the run's files go: the ``dir`` given to ``init``, else ``<home>/runs/<project>/<id>/files``."""
        if self._dir is None:
            self._dir = str(self._store.settings.home.expanduser().absolute() / "runs" / self.project / self.id / "files")
        return self._dir

    @dir.setter
    def dir(self, value: str | None) -> None:
        self._dir = value

    @property
    def url(self) -> str:
        """The run's page in ``artiflow ui`` when ``ARTIFLOW_UI_URL`` is set, else a ``file://`` URL of its directory."""
        ui = self._store.settings.ui_url
        if ui:
            return f"{ui.rstrip('/')}/p/{urllib.parse.quote(self.project)}/r/{urllib.parse.quote(self.id)}"
        return "file://" + urllib.parse.quote(self.dir)

    def get_url(self) -> str:
        return self.url

    def get_project_url(self) -> str | None:
        """The project's page in ``artiflow ui`` when ``ARTIFLOW_UI_URL`` is set, else None."""
        ui = self._store.settings.ui_url
        return f"{ui.rstrip('/')}/p/{urllib.parse.quote(self.project)}" if ui else None

    def get_sweep_url(self) -> None:
        return None  # artiflow has no sweeps

    def project_name(self) -> str:
        return self.project

    @property
    def sweep_id(self) -> None:
        return None

    @property
    def settings(self) -> Settings:
        """The settings of the run's store (frozen)."""
        return self._store.settings

    @property
    def start_time(self) -> float:
        """When the run started, as a Unix timestamp in seconds."""
        return self._record.created_at.timestamp()

    @property
    def host(self) -> str | None:
        return self._record.host

    @property
    def pid(self) -> int | None:
        return self._record.pid

    # -- history -------------------------------------------------------------------------------

    def _hist(self) -> History:
        if self._history is None:
            last = self._store.metadata.last_step(self.id)
            self._history = History(self._store, self.id, self._summary, start=0 if last is None else last + 1)
        return self._history

    @property
    def step(self) -> int:
        """The step the next ``log()`` writes to."""
        return self._hist().step

    @property
    def starting_step(self) -> int:
        """The first step of this process's part of the run (after the rows of a resumed run)."""
        return self._hist().start

    def log(self, data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        """Record a row of scalar metrics (numbers, strings, bools) in the run's history; updates ``summary``.

        Each call commits a step, unless ``commit=False`` (the next call adds to the same step) or
        an explicit ``step`` is given (rows with one step merge; a step below the current one is ignored).
        """
        self._hist().log(data, step=step, commit=commit)

    def history(self) -> list[dict[str, Any]]:
        """Every committed history row, oldest first, each with its ``_step``."""
        return self._hist().rows() if self._history is not None else self._store.metadata.history(self.id)

    @property
    def path(self) -> str:
        """``entity/project/run_id`` (``project/run_id`` without an entity), accepted by ``Api().run()``."""
        rec = self._record
        return f"{rec.entity}/{rec.project}/{rec.id}" if rec.entity else f"{rec.project}/{rec.id}"

    @property
    def state(self) -> str:
        return self._record.state

    @property
    def created_at(self) -> datetime:
        return self._record.created_at

    @property
    def store(self) -> Store:
        return self._store

    @property
    def record(self) -> RunRecord:
        """The run's database record (internal: not part of the W&B API)."""
        return self._record

    # -- lifecycle -----------------------------------------------------------------------------

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """Mark the run finished (``exit_code`` 0 or None) or failed (anything else)."""
        OPEN_RUNS.unregister(id(self))
        if self._history is not None:
            self._history.flush()
        callbacks, self.on_finish = self.on_finish, []
        for callback in callbacks:
            callback(self)
        self._record = self._store.finish_run(self.id, exit_code=exit_code, error=self._error)
        self._error = None  # do not keep the block's traceback (and its frames) alive

    def join(self, exit_code: int | None = None) -> None:
        """Deprecated W&B alias of :meth:`finish`."""
        self.finish(exit_code)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._error = exc
        self.finish(exit_code=1 if exc_type is not None else 0)

    # -- logging -------------------------------------------------------------------------------

    def log_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,  # noqa: A002
        aliases: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        *,
        progress: Progress | None = None,
    ) -> Artifact:
        """Log an artifact (or a file, directory or ``file://`` URI) as a new version.

        Content whose digest equals a committed version of the collection creates no new
        version: that version is returned, the aliases move onto it, and this run is still
        recorded as having logged it.
        """
        artifact = self._as_artifact(artifact_or_path, name, type)
        aliases_ = names.aliases(aliases)
        tags_ = names.tags([*artifact.tags, *(tags or [])])
        if not artifact.is_draft() and not _same_store(artifact.store, self._store):
            raise ArtiflowError(f"{artifact.qualified_name} belongs to another store; use new_draft() to copy it.")
        pending = names.aliases(a for a in artifact.aliases if a != "latest") if artifact.is_draft() else []
        userdata.metadata(artifact.metadata)  # edited in place since it was set: check before uploading
        with self._store.lease() as lease:  # gc keeps every blob this log stores or reuses
            manifest = artifact.final_manifest(self._store, progress, lease)
            result = self._store.commit(
                project=self.project, name=artifact.collection_name, type_=artifact.type, manifest=manifest,
                run_id=self.id, description=artifact.description, metadata=dict(artifact.metadata),
                aliases=[*pending, *aliases_],
                tags=tags_, lease=lease,
            )
        artifact.attach(self._store, result.version, created=result.created)
        artifact.save_ttl()
        return artifact

    def _as_artifact(
        self, obj: Artifact | str | os.PathLike[str], name: str | None, type_: str | None
    ) -> Artifact:
        if isinstance(obj, Artifact):
            if type_ is not None and type_ != obj.type:
                raise TypeMismatchError(f"Supplied type {type_!r} does not match type {obj.type!r} of {obj.name}.")
            return obj
        path = os.fspath(obj)
        base = os.path.basename(path.rstrip("/")) or "artifact"
        default = names.sanitize(f"run-{self.id}-{base}")
        artifact = Artifact(name or default, type_ or "unspecified")
        add_path(artifact, path)
        return artifact

    def use_artifact(
        self,
        artifact_or_name: Artifact | str,
        type: str | None = None,  # noqa: A002
        aliases: Sequence[str] | None = None,
        use_as: str | None = None,
    ) -> Artifact:
        """Record that this run uses an exact version, and return it.

        A name resolves within the run's project (``name``, ``name:alias``, ``name:vN``,
        ``project/name:alias``, or a digest after the colon). A draft is logged first.
        """
        if isinstance(artifact_or_name, str):
            ref = ArtifactPath.parse(artifact_or_name, default_project=self.project)
            artifact = Artifact.lookup(self._store, ref.project, ref.name, ref.selector)
        elif artifact_or_name.is_draft():
            artifact = self.log_artifact(artifact_or_name, aliases=aliases)
            aliases = None
        else:
            artifact = artifact_or_name
            if not _same_store(artifact.store, self._store):
                raise ArtiflowError(
                    f"{artifact.qualified_name} belongs to another store; use it by name from this run's "
                    "store, or log a copy made with new_draft()."
                )
        if type is not None and artifact.type != type:
            raise TypeMismatchError(
                f"Supplied type {type!r} does not match type {artifact.type!r} of artifact {artifact.name}."
            )
        if aliases:
            artifact.aliases = [*artifact.aliases, *(a for a in names.aliases(aliases) if a not in artifact.aliases)]
            artifact.save()
        assert artifact.record is not None
        self._store.record_use(self.id, artifact.record, use_as)
        return artifact

    def logged_artifacts(self) -> list[Artifact]:
        """Every version this run logged (including dedup hits), oldest first."""
        return self._artifacts(self._store.lineage().logged_artifacts(self.id))

    def used_artifacts(self) -> list[Artifact]:
        """Every version this run used, oldest first."""
        return self._artifacts(self._store.lineage().used_artifacts(self.id))

    def _artifacts(self, ids: list[str]) -> list[Artifact]:
        return [Artifact.from_record(self._store, rec) for rec in self._store.metadata.versions_by_ids(ids)]

    def upstream(self, depth: int | None = None) -> LineageResult:
        """The versions (and their producers…) this run descends from, up to ``depth`` hops."""
        return upstream(self._store.lineage(), f"{self.project}/{self.id}", depth)

    def downstream(self, depth: int | None = None) -> LineageResult:
        """What this run's outputs led to, up to ``depth`` hops."""
        return downstream(self._store.lineage(), f"{self.project}/{self.id}", depth)


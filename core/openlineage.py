"""OpenLineage: each run can be sent as RunEvents to Marquez or any other OpenLineage consumer.

Off by default. Set ``ARTIFLOW_OPENLINEAGE_TRANSPORT`` to ``console``, ``file`` or ``http`` (see
:class:`~artiflow.Settings`) and install ``artiflow[openlineage]``; then ``init`` sends ``START`` and
``finish`` (or leaving the ``with`` block) sends ``COMPLETE``, or ``FAIL`` if the run failed. The
:class:`Exporter` is a run listener: ``Store.open`` subscribes it when emission is on, and the store
notifies it when a run starts and finishes (no run or artifact object calls it).

- job: namespace = the run's project, name = its ``job_type`` (its name when it has none); facet ``jobType``
- run: ``runId`` = UUID5 of ``<dataset namespace>/<project>/runs/<run id>``, so sending a run again gives
  the same id; facet ``artiflow_run`` (the artiflow run id and path); ``errorMessage`` on ``FAIL``
- inputs = the versions the run used, outputs = the versions it logged (dedup hits included), each as the
  dataset ``<project>/<collection>`` in namespace ``artiflow://<database location>`` (or
  ``ARTIFLOW_OPENLINEAGE_NAMESPACE``), with the ``version`` facet (``datasetVersion`` = ``vN``) and the
  custom facet ``artiflow_artifact`` (digest, manifest digest, type, size, file count, aliases, tags;
  schema in ``artiflow/schemas/``). The collection, not the version, is the dataset: consumers such as
  Marquez version datasets themselves, and a name per version would split the lineage.

``START`` carries what the run had used and logged when it started (nothing, unless it was resumed);
the terminal event carries everything. Sending never fails a run: an error is logged as a warning.
:func:`emit_run` sends a run's events on demand (to backfill runs finished before emission was on)
and raises instead.

>>> with artiflow.init(project="demo", job_type="train", store=store) as run:   # doctest: +SKIP
...     run.use_artifact("cats:v3")
>>> [e["eventType"] for e in run_events(run)]                                   # doctest: +SKIP
['START', 'COMPLETE']
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import make_url

from ._version import __version__
from .errors import ArtiflowError, MissingDependencyError
from .metadata import RunRecord
from .settings import Settings

if TYPE_CHECKING:
    from openlineage.client.event_v2 import RunEvent

    from .store import Store


class RunLike(Protocol):
    """What the public functions need of a run: ``artiflow.Run`` has both."""

    @property
    def store(self) -> Store: ...

    @property
    def record(self) -> RunRecord: ...

log = logging.getLogger(__name__)


def enabled(settings: Settings) -> bool:
    """Whether runs opened with these settings emit OpenLineage events."""
    return settings.openlineage_transport != "none"


def dataset_namespace(settings: Settings) -> str:
    """``ARTIFLOW_OPENLINEAGE_NAMESPACE``, or ``artiflow://`` + where the metadata database lives.

    Credentials never appear in it.

    >>> dataset_namespace(Settings(database_url="postgresql+psycopg://u:secret@db.internal:5432/meta"))
    'artiflow://db.internal:5432/meta'
    >>> dataset_namespace(Settings(home="/srv/store"))
    'artiflow://localhost/srv/store/artiflow.db'
    """
    if settings.openlineage_namespace:
        return settings.openlineage_namespace
    url = make_url(settings.database)
    if url.host:
        authority = f"{url.host}:{url.port}" if url.port else url.host
        return f"artiflow://{authority}/{url.database or ''}".rstrip("/")
    if not url.database or url.database == ":memory:":
        return "artiflow://localhost/memory"
    return f"artiflow://localhost{Path(url.database).absolute().as_posix()}"


def run_uuid(namespace: str, project: str, run_id: str) -> str:
    """The OpenLineage ``runId`` of an artiflow run: a UUID5, the same every time it is derived.

    >>> run_uuid("artiflow://localhost/srv/store/artiflow.db", "demo", "a1b2c3d4")
    'c2e10851-33a8-52df-b17a-3039a29464dc'
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}/{project}/runs/{run_id}"))


def _producer() -> str:
    return f"https://artiflow.dev/artiflow/{__version__}"


def _terminal(run: RunRecord) -> list[str]:
    return {"finished": ["COMPLETE"], "failed": ["FAIL"]}.get(run.state, [])


def _events(
    store: Store, run: RunRecord, kinds: Sequence[str], error: BaseException | None, settings: Settings
) -> list[RunEvent]:
    olc = _client()
    graph = store.lineage()
    used = store.metadata.versions_by_ids(graph.used_artifacts(run.id))
    logged = store.metadata.versions_by_ids(graph.logged_artifacts(run.id))
    namespace = dataset_namespace(settings)
    return [
        olc.build_event(
            kind, run, used, logged, run_id=run_uuid(namespace, run.project, run.id), namespace=namespace,
            job_name=run.job_type or run.name, producer=_producer(), error=error,
        )
        for kind in kinds
    ]


def run_events(
    run: RunLike, *, error: BaseException | None = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """The run's ``START`` and, once it has finished, ``COMPLETE`` or ``FAIL`` event, as the JSON sent.

    ``error`` fills the ``FAIL`` event's ``errorMessage`` facet (else it names the exit code).
    ``settings`` default to the run's store's (they only matter for the dataset namespace).
    """
    rec = run.record
    events = _events(run.store, rec, ["START", *_terminal(rec)], error, settings or run.store.settings)
    return [_client().to_dict(e) for e in events]


def emit_run(run: RunLike, *, error: BaseException | None = None, settings: Settings | None = None) -> None:
    """Send :func:`run_events` through the configured transport now; errors are raised, not logged.

    For runs that finished before emission was switched on (``settings`` may name a transport the
    store's settings do not).
    """
    settings = settings or run.store.settings
    if not enabled(settings):
        raise ArtiflowError("OpenLineage is off: set ARTIFLOW_OPENLINEAGE_TRANSPORT (or pass settings) to emit.")
    rec = run.record
    _client().emit(_events(run.store, rec, ["START", *_terminal(rec)], error, settings), settings)


class Exporter:
    """A run listener that sends each run's events as it starts and finishes; it never fails a run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def run_started(self, store: Store, run: RunRecord) -> None:
        self._send(store, run, ["START"], None)

    def run_finished(self, store: Store, run: RunRecord, error: BaseException | None) -> None:
        self._send(store, run, _terminal(run), error)

    def _send(self, store: Store, run: RunRecord, kinds: Sequence[str], error: BaseException | None) -> None:
        if not kinds:
            return
        try:
            _client().emit(_events(store, run, kinds, error, self.settings), self.settings)
        except Exception as exc:  # noqa: BLE001 - lineage export must never fail the user's run
            log.warning(
                "OpenLineage %s event for run %s/%s was not emitted: %s", "/".join(kinds), run.project, run.id, exc
            )
            log.debug("OpenLineage emission failed", exc_info=True)


def _client() -> Any:
    """The module that talks to openlineage-python, imported on first use (an optional extra)."""
    try:
        return importlib.import_module("artiflow._openlineage_client")
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] != "openlineage":
            raise
        raise MissingDependencyError(
            'Emitting OpenLineage events needs openlineage-python; install it with pip install "artiflow[openlineage]".'
        ) from exc

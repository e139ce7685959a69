"""The part of :mod:`artiflow.openlineage` that needs ``openlineage-python``; imported only when enabled.

Events are built from the client's typed model (``openlineage.client.event_v2``), so the client's
own validators check them, and sent with ``OpenLineageClient`` over the transport the settings name.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Sequence
from typing import Any, ClassVar

import attr
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    JobFacet,
    RunFacet,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
)
from openlineage.client.serde import Serde
from openlineage.client.transport import Transport
from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport

from .errors import ArtiflowError
from .metadata import RunRecord, VersionRecord
from .settings import Settings

FACET_SCHEMA_BASE = "https://artiflow.dev/spec/facets/1-0-0"
"""Where artiflow's custom facet schemas are published; the files ship in ``artiflow/schemas/``."""


@attr.define
class ArtiflowArtifactDatasetFacet(DatasetFacet):
    """``artiflow_artifact``: the artifact version behind a dataset (digest, type, size, aliases…)."""

    reference: str
    type: str
    digest: str
    size: int
    fileCount: int  # noqa: N815 - OpenLineage facets use camelCase
    versionId: str | None = attr.field(default=None)  # noqa: N815
    manifestDigest: str | None = attr.field(default=None)  # noqa: N815
    aliases: list[str] = attr.field(factory=list)
    tags: list[str] = attr.field(factory=list)
    _additional_skip_redact: ClassVar[list[str]] = ["reference", "type", "digest", "manifestDigest", "versionId"]

    @staticmethod
    def _get_schema() -> str:
        return f"{FACET_SCHEMA_BASE}/ArtiflowArtifactDatasetFacet.json#/$defs/ArtiflowArtifactDatasetFacet"


@attr.define
class ArtiflowRunRunFacet(RunFacet):
    """``artiflow_run``: the artiflow run an OpenLineage run stands for."""

    id: str
    path: str
    state: str
    name: str | None = attr.field(default=None)
    group: str | None = attr.field(default=None)
    jobType: str | None = attr.field(default=None)  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return f"{FACET_SCHEMA_BASE}/ArtiflowRunRunFacet.json#/$defs/ArtiflowRunRunFacet"


_STATES = {"START": RunState.START, "COMPLETE": RunState.COMPLETE, "FAIL": RunState.FAIL}


def _dataset_facets(rec: VersionRecord, producer: str) -> dict[str, DatasetFacet]:
    return {
        "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=rec.version, producer=producer),
        "artiflow_artifact": ArtiflowArtifactDatasetFacet(
            reference=rec.ref, type=rec.type, digest=rec.digest, size=rec.size, fileCount=rec.file_count,
            versionId=rec.id, manifestDigest=rec.manifest_digest, aliases=list(rec.aliases), tags=list(rec.tags),
            producer=producer,
        ),
    }


def build_event(
    event_type: str,
    run: RunRecord,
    used: Sequence[VersionRecord],
    logged: Sequence[VersionRecord],
    *,
    run_id: str,
    namespace: str,
    job_name: str,
    producer: str,
    error: BaseException | None = None,
) -> RunEvent:
    """One RunEvent (``START``, ``COMPLETE`` or ``FAIL``) for ``run``, its used and logged versions."""
    when = run.created_at if event_type == "START" or run.finished_at is None else run.finished_at
    run_facets: dict[str, RunFacet] = {
        "artiflow_run": ArtiflowRunRunFacet(
            id=run.id, path=f"{run.project}/{run.id}", state=run.state, name=run.name, group=run.group,
            jobType=run.job_type, producer=producer,
        )
    }
    if event_type == "FAIL":
        if error is not None:
            message = f"{type(error).__name__}: {error}"
            stack: str | None = "".join(traceback.format_exception(error))
        else:
            message, stack = f"run {run.project}/{run.id} finished with exit code {run.exit_code}", None
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=message, programmingLanguage="PYTHON", stackTrace=stack, producer=producer
        )
    job_facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="ARTIFLOW", jobType=run.job_type, producer=producer
        )
    }
    return RunEvent(
        eventType=_STATES[event_type],
        eventTime=when.isoformat(),
        run=Run(runId=run_id, facets=run_facets),
        job=Job(namespace=run.project, name=job_name, facets=job_facets),
        inputs=[
            InputDataset(namespace=namespace, name=f"{v.project}/{v.name}", facets=_dataset_facets(v, producer))
            for v in used
        ],
        outputs=[
            OutputDataset(namespace=namespace, name=f"{v.project}/{v.name}", facets=_dataset_facets(v, producer))
            for v in logged
        ],
        producer=producer,
    )


def to_dict(event: RunEvent) -> dict[str, Any]:
    """The event as the JSON object the transports send."""
    return Serde.to_dict(event)


def transport(settings: Settings) -> Transport:
    """The client transport ``settings.openlineage_transport`` names."""
    kind = settings.openlineage_transport
    if kind == "console":
        return ConsoleTransport(ConsoleConfig())
    if kind == "file":
        path = settings.openlineage_file or settings.home / "openlineage.jsonl"
        path = path.expanduser().absolute()
        os.makedirs(path.parent, exist_ok=True)
        return FileTransport(FileConfig(log_file_path=str(path), append=True))
    if kind == "http":
        if not settings.openlineage_url:
            raise ArtiflowError("ARTIFLOW_OPENLINEAGE_TRANSPORT=http needs ARTIFLOW_OPENLINEAGE_URL.")
        config: dict[str, Any] = {
            "url": settings.openlineage_url,
            "endpoint": settings.openlineage_endpoint,
            "timeout": settings.openlineage_timeout,
        }
        if settings.openlineage_api_key is not None:
            config["auth"] = {"type": "api_key", "apiKey": settings.openlineage_api_key.get_secret_value()}
        return HttpTransport(HttpConfig.from_dict(config))
    raise ArtiflowError(f"Unknown OpenLineage transport {kind!r}.")


def emit(events: Sequence[RunEvent], settings: Settings) -> None:
    """Send ``events`` in order through one client, then close it."""
    client = OpenLineageClient(transport=transport(settings))
    try:
        for event in events:
            client.emit(event)
    finally:
        client.close()

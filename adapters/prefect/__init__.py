"""Prefect 3 adapter: task inputs and outputs become ``use_artifact`` and ``log_artifact``.

Install with ``pip install "artiflow[prefect]"``.

>>> from artiflow import Artifact
>>> from artiflow.adapters.prefect import artifact_flow, artifact_task
>>> @artifact_task(project="demo")                                    # doctest: +SKIP
... def ingest() -> Artifact:
...     raw = Artifact("raw", type="dataset")
...     raw.add_file("raw.csv")
...     return raw                         # logged as raw:vN; downstream receives an ArtifactRef
>>> @artifact_task(project="demo", inputs=["raw"])                    # doctest: +SKIP
... def clean(raw: Artifact) -> Artifact:  # raw is exactly the version ingest logged
...     ...
>>> @artifact_flow                                                    # doctest: +SKIP
... def pipeline() -> None:
...     clean(ingest())

Every task run is one artiflow Run (``id`` = task run id, so retries resume it; ``group`` = flow
run id; ``job_type`` = task name), and every new version appears in the Prefect UI as a keyed
markdown artifact.

Mapped tasks (``.map``) that return artifacts log one version per mapped run. To build *one*
version from many mapped runs, use artiflow's collaborative versions by hand: each mapped run calls
``get_run().upsert_artifact(part)`` and the ``@artifact_flow`` body, after the map, calls
``get_run().finish_artifact(Artifact(name, type))``; both default ``distributed_id`` to the
Runs' group, the flow run id. (Automatic collaborative mapping is not built yet.)

``ArtifactSerializer`` stores any task's return value as an artifact version (as its
``result_serializer``); Prefect's result record then holds only the pointer.
"""

from __future__ import annotations

from artiflow.errors import MissingDependencyError

try:
    import prefect  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError(
        'artiflow.adapters.prefect needs Prefect 3; install it with pip install "artiflow[prefect]".'
    ) from exc

from .binding import Output
from .flow import artifact_flow
from .refs import ArtifactRef
from .runs import get_run
from .serializer import ArtifactSerializer
from .task import ArtifactTask, artifact_task

__all__ = [
    "ArtifactRef",
    "ArtifactSerializer",
    "ArtifactTask",
    "Output",
    "artifact_flow",
    "artifact_task",
    "get_run",
]

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

``.map`` builds one collaborative version of each artifact the mapped runs return: a part per
mapped run, committed by a ``<task>-finish`` task once all of them completed (see
:mod:`.parts`); ``collaborative=False`` logs one version per mapped run instead.

Caching is keyed on content: ``cache_policy=INPUTS + TASK_SOURCE`` on an artifact task (or
``ARTIFACT_INPUTS`` on any task) hashes ``"features:latest"`` as the version ``latest`` names when
the run starts, and a ``.map`` result as the version it committed (see :mod:`.caching`).

``ArtifactSerializer`` stores any task's return value as an artifact version (as its
``result_serializer``); Prefect's result record then holds only the pointer.
"""

from __future__ import annotations

from artiflow import MissingDependencyError

try:
    import prefect  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError(
        'artiflow.adapters.prefect needs Prefect 3; install it with pip install "artiflow[prefect]".'
    ) from exc

from .binding import Output
from .caching import ARTIFACT_INPUTS, ArtifactInputs
from .flow import artifact_flow
from .parts import MappedArtifacts, PartRef
from .refs import ArtifactRef
from .runs import get_run
from .serializer import ArtifactSerializer
from .task import ArtifactTask, artifact_task

__all__ = [
    "ARTIFACT_INPUTS",
    "ArtifactInputs",
    "ArtifactRef",
    "ArtifactSerializer",
    "ArtifactTask",
    "MappedArtifacts",
    "Output",
    "PartRef",
    "artifact_flow",
    "artifact_task",
    "get_run",
]

"""artiflow: versioned, content-addressed artifacts with lineage, following the W&B Artifacts API.

>>> import artiflow
>>> with artiflow.init(project="demo") as run:                 # doctest: +SKIP
...     art = artiflow.Artifact("cats", type="dataset")
...     art.add_dir("data/cats")
...     run.log_artifact(art, aliases=["raw"])
>>> artiflow.Api().artifact("demo/cats:latest").logged_by()   # doctest: +SKIP

Importing artiflow does no I/O: the store opens on first use.

Architecture: a one-way tower, each layer importing only the layers below it (checked by
``tests/test_layers.py``)::

    cli, ui              artiflow.cli, artiflow.ui: command line and web UI
    adapters             artiflow.adapters.prefect / .dagster: only the public namespace + collab
    artiflow             this facade (``__all__``)
    api, runs, artifact  Api; Run and init; Artifact, a facade over identity (name, version,
                         aliases, lineage), drafting (adding content) and download (reading it)
    collab, gc           collaborative versions; garbage collection
    store                Store: blobs + metadata + lineage graph; notifies run listeners
    openlineage          a run listener the Store subscribes when OpenLineage export is on
    metadata, blobs,     the SQL metadata store; content-addressed blob stores; references
    references, manifest (s3/gs/http/file); W&B manifests; serializers; staged local files
    names, digests,      every naming rule and the path grammar; W&B digests; the exception
    errors, settings     tree; the settings model; batching; artiflow.lineage (pure graph logic)

The one upward reach is lazy and named: ``identity.runs_module()``, so that
``Artifact.logged_by()`` can return ``Run`` objects.
"""

from __future__ import annotations

import typing as _typing

from .api import Api, ArtifactCollection, ArtifactType
from .artifact import Artifact
from .entry import ArtifactEntry
from .errors import (
    ArtifactFinalizedError,
    ArtifactNotFoundError,
    ArtifactNotLoggedError,
    ArtiflowError,
    DigestMismatchError,
    DistributedIdError,
    EntryConflictError,
    EntryNotFoundError,
    FileChangedError,
    InvalidNameError,
    MissingDependencyError,
    StoreError,
    TooManyObjectsError,
    TypeCollisionError,
    TypeMismatchError,
    UnsupportedSchemeError,
)
from . import data_types, names
from .data_types import Table
from .manifest import Manifest, ManifestEntry
from .runs import Run
from . import session as _session
from .session import finish, init, log, log_artifact, save, use_artifact
from .settings import Settings
from .store import Progress, Store

from ._version import __version__


def __getattr__(name: str) -> _typing.Any:
    """``artiflow.run`` (the current run or None), ``artiflow.config`` and ``artiflow.summary``, read live."""
    if name == "run":
        return _session.SESSION.run
    if name in ("config", "summary"):
        return getattr(_session.SESSION.current(name), name)
    raise AttributeError(f"module 'artiflow' has no attribute {name!r}")

__all__ = [
    "Api",
    "Artifact",
    "ArtifactCollection",
    "ArtifactEntry",
    "ArtifactFinalizedError",
    "ArtifactNotFoundError",
    "ArtifactNotLoggedError",
    "ArtifactType",
    "ArtiflowError",
    "DigestMismatchError",
    "DistributedIdError",
    "EntryConflictError",
    "EntryNotFoundError",
    "FileChangedError",
    "InvalidNameError",
    "Manifest",
    "ManifestEntry",
    "MissingDependencyError",
    "Progress",
    "Run",
    "Settings",
    "Store",
    "StoreError",
    "TooManyObjectsError",
    "TypeCollisionError",
    "TypeMismatchError",
    "UnsupportedSchemeError",
    "Table",
    "__version__",
    "data_types",
    "finish",
    "init",
    "log",
    "log_artifact",
    "names",
    "save",
    "use_artifact",
]

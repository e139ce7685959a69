"""artiflow: versioned, content-addressed artifacts with lineage, following the W&B Artifacts API.

>>> import artiflow
>>> with artiflow.init(project="demo") as run:                 # doctest: +SKIP
...     art = artiflow.Artifact("cats", type="dataset")
...     art.add_dir("data/cats")
...     run.log_artifact(art, aliases=["raw"])
>>> artiflow.Api().artifact("demo/cats:latest").logged_by()   # doctest: +SKIP

Importing artiflow does no I/O and loads little: the store opens, and the modules behind each name
load, on first use.

Architecture: a one-way tower, each layer importing only the layers below it (checked by
``tests/test_layers.py``)::

    cli, ui              artiflow.cli, artiflow.ui: command line and web UI
    adapters             artiflow.adapters.prefect / .dagster: only the public namespace + collab
    artiflow             this facade (``__all__``)
    api, runs, artifact  Api; Run and init (runextras: collaborative, registry, model and file
                         methods); Artifact, a facade over identity (name, version, aliases,
                         lineage), linked (registry links), attributes (W&B's extra fields),
                         reading (entries, get, downloads, over download.py), drafting (adding
                         content) and editing (save() as a delta); registry (link collections)
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

import importlib
import typing

from . import data_types, names
from ._version import __version__
from .data_types import Image, Table
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

if typing.TYPE_CHECKING:
    from .api import Api, ArtifactType
    from .artifact import Artifact, ArtifactCollection
    from .entry import ArtifactEntry
    from .manifest import Manifest, ManifestEntry
    from .runs import Run
    from .session import finish, init, log, log_artifact, save, use_artifact
    from .settings import Settings
    from .store import Progress, Store

# Name -> the module defining it, imported on first use: ``import artiflow`` loads the errors and the
# naming rules only, so a process that never opens a store never pays for SQLAlchemy, Alembic,
# networkx or pydantic-settings (nor a CLI for typer and rich). Submodules (``artiflow.lineage``…)
# load the same way.
_LAZY = {
    "Api": "api",
    "ArtifactCollection": "artifact",
    "ArtifactType": "api",
    "Artifact": "artifact",
    "ArtifactEntry": "entry",
    "Manifest": "manifest",
    "ManifestEntry": "manifest",
    "Run": "runs",
    "finish": "session",
    "init": "session",
    "log": "session",
    "log_artifact": "session",
    "save": "session",
    "use_artifact": "session",
    "Settings": "settings",
    "Progress": "store",
    "Store": "store",
}


def __getattr__(name: str) -> typing.Any:
    """The names above on first use; ``artiflow.run`` (the current run or None), ``artiflow.config``
    and ``artiflow.summary``, read live; and submodules."""
    if name in ("run", "config", "summary"):
        session = importlib.import_module(".session", __name__).SESSION
        return session.run if name == "run" else getattr(session.current(name), name)
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    if not name.startswith("__"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
    "Image",
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

"""artiflow: versioned, content-addressed artifacts with lineage, following the W&B Artifacts API.

>>> import artiflow
>>> with artiflow.init(project="demo") as run:                 # doctest: +SKIP
...     art = artiflow.Artifact("cats", type="dataset")
...     art.add_dir("data/cats")
...     run.log_artifact(art, aliases=["raw"])
>>> artiflow.Api().artifact("demo/cats:latest").logged_by()   # doctest: +SKIP

Importing artiflow does no I/O: the store opens on first use.
"""

from __future__ import annotations

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
from .manifest import Manifest, ManifestEntry
from .runs import Run, init
from .settings import Settings
from .store import Store

from ._version import __version__

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
    "Run",
    "Settings",
    "Store",
    "StoreError",
    "TooManyObjectsError",
    "TypeCollisionError",
    "TypeMismatchError",
    "UnsupportedSchemeError",
    "__version__",
    "init",
]

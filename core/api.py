"""``Api``: read and query the store, as ``wandb.Api()`` does for W&B.

>>> with artiflow.init(project="demo") as run:
...     for coat in ("tabby", "siamese"):
...         cats = artiflow.Artifact("cats", type="dataset")
...         _ = cats.add_file(f"data/cats/{coat}.txt")
...         _ = run.log_artifact(cats)
>>> api = artiflow.Api()
>>> api.artifact("demo/cats:latest").version
'v1'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import names
from .artifact import Artifact, ArtifactCollection
from .errors import ArtifactNotFoundError, TypeMismatchError
from .names import ArtifactPath
from .runs import Run
from .settings import Settings
from .store import Store


@dataclass(frozen=True)
class ArtifactType:
    project: str
    name: str
    _store: Store = field(repr=False, compare=False)

    def collections(self) -> list[ArtifactCollection]:
        return Api(store=self._store).artifact_collections(self.project, self.name)


class Api:
    """Query artifacts, collections, types and runs of a store."""

    def __init__(self, *, store: Store | None = None, settings: Settings | None = None) -> None:
        self.store = store or Store.open(settings)

    @property
    def default_project(self) -> str:
        return self.store.settings.project

    def _path(self, name: str) -> ArtifactPath:
        return ArtifactPath.parse(name, default_project=self.default_project)

    def artifact(self, name: str, type: str | None = None) -> Artifact:  # noqa: A002
        """One version by path: ``[project/]name[:latest|:vN|:alias|:digest]``."""
        ref = self._path(name)
        art = Artifact.lookup(self.store, ref.project, ref.name, ref.selector)
        if type is not None and art.type != type:
            raise TypeMismatchError(f"type {type!r} specified but this artifact is of type {art.type!r}.")
        return art

    def artifact_exists(self, name: str, type: str | None = None) -> bool:  # noqa: A002
        try:
            self.artifact(name, type=type)
        except (ArtifactNotFoundError, TypeMismatchError):
            return False
        return True

    def artifacts(self, type_name: str, name: str, *, include_deleted: bool = False) -> list[Artifact]:
        """Every version of a collection (``[project/]name``), oldest first."""
        ref = self._path(name.split(":", 1)[0])
        coll = self.store.metadata.get_collection(ref.project, ref.name)
        if coll is None or coll.type != type_name:
            raise ArtifactNotFoundError(f"No {type_name!r} artifact named '{ref.project}/{ref.name}'.")
        recs = self.store.metadata.list_versions(ref.project, ref.name, include_deleted=include_deleted)
        return [Artifact.from_record(self.store, r) for r in recs]

    def artifact_collections(self, project: str | None = None, type_name: str | None = None) -> list[ArtifactCollection]:
        project = names.project_name(project or self.default_project)
        return [
            ArtifactCollection.of(self.store, c)
            for c in self.store.metadata.list_collections(project, type_name)
        ]

    def artifact_collection(self, type_name: str, name: str) -> ArtifactCollection:
        ref = self._path(name.split(":", 1)[0])
        coll = self.store.metadata.get_collection(ref.project, ref.name)
        if coll is None or coll.type != type_name:
            raise ArtifactNotFoundError(f"No {type_name!r} collection named '{ref.project}/{ref.name}'.")
        return ArtifactCollection.of(self.store, coll)

    def artifact_types(self, project: str | None = None) -> list[ArtifactType]:
        project = names.project_name(project or self.default_project)
        types = sorted({c.type for c in self.store.metadata.list_collections(project)})
        return [ArtifactType(project, n, self.store) for n in types]

    def projects(self) -> list[str]:
        return self.store.metadata.list_projects()

    def runs(
        self, path: str | None = None, filters: dict[str, Any] | None = None, order: str = "+created_at",
        per_page: int = 50,
    ) -> list[Run]:
        """The runs of a project (``[entity/]project``), oldest first (``order="-created_at"``: newest).

        ``filters`` matches fields exactly (``{"state": "finished", "config.lr": 0.1}``), or with
        ``{"$in": [...]}``; ``tags`` match when the run has the tag.
        """
        project = names.project_name((path or self.default_project).rstrip("/").rsplit("/", 1)[-1])
        found = [Run(self.store, r) for r in self.store.metadata.list_runs(project)]
        found = [r for r in found if _matches(r, filters or {})]
        return found[::-1] if order.startswith("-") else found

    def run(self, path: str) -> Run:
        """A run by ``project/run_id`` (or just ``run_id``)."""
        run_id = path.rsplit("/", 1)[-1]
        run = Run.attach(self.store, run_id)
        if "/" in path and path.split("/")[-2] != run.project:
            raise ArtifactNotFoundError(f"Run {path!r} does not exist (it is in project {run.project!r}).")
        return run


def _field(run: Run, key: str) -> Any:
    if key.startswith("config."):
        return run.config.get(key.removeprefix("config."))
    if key.startswith("summary."):
        return run.summary.get(key.removeprefix("summary."))
    return getattr(run, {"display_name": "name", "jobType": "job_type"}.get(key, key), None)


def _matches(run: Run, filters: dict[str, Any]) -> bool:
    for key, want in filters.items():
        have = _field(run, key)
        options = want["$in"] if isinstance(want, dict) and "$in" in want else [want]
        if key == "tags":
            if not any(o in (have or ()) for o in options):
                return False
        elif have not in options:
            return False
    return True

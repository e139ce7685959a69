"""The W&B artifact path grammar: ``[[entity/]project/]name[:alias|:vN|:digest]``.

>>> ArtifactPath.parse("proj/cats:v3", default_project="p")
ArtifactPath(project='proj', name='cats', selector='v3')
>>> ArtifactPath.parse("cats", default_project="p")
ArtifactPath(project='p', name='cats', selector='latest')
"""

from __future__ import annotations

from dataclasses import dataclass

from . import validate
from .errors import InvalidNameError


@dataclass(frozen=True, slots=True)
class ArtifactPath:
    project: str
    name: str
    selector: str

    @classmethod
    def parse(cls, path: str, *, default_project: str) -> ArtifactPath:
        """Split on the first ``:`` (the selector may contain ``/``), then the rest on ``/``.

        artiflow has no entities: a leading ``entity/`` is accepted and ignored.
        """
        if not isinstance(path, str) or not path:
            raise InvalidNameError("An artifact path must be a non-empty string like 'project/name:alias'.")
        coll, sep, selector = path.partition(":")
        if sep and not selector:
            raise InvalidNameError(f"Invalid artifact path {path!r}: nothing after ':'.")
        parts = coll.split("/")
        if len(parts) > 3 or any(not p for p in parts):
            raise InvalidNameError(
                f"Invalid artifact path {path!r}; expected 'name', 'project/name' or "
                "'entity/project/name', optionally followed by ':alias'."
            )
        name = validate.artifact_name(parts[-1])
        project = validate.project_name(parts[-2]) if len(parts) >= 2 else default_project
        return cls(project, name, selector or "latest")

    def __str__(self) -> str:
        return f"{self.project}/{self.name}:{self.selector}"

"""Prefect cache keys that see artifact inputs as the content they resolve to.

Prefect's ``INPUTS`` policy hashes task arguments as they are: ``"features:latest"`` is the same
string after ``latest`` moved, so a cached task keeps returning what it built from the old
version; a mapped result carries per-run ids, so a consumer of ``.map`` never hits. The
:class:`ArtifactInputs` policy (``ARTIFACT_INPUTS``) keys every artifact input on the version it
resolves to when the task run starts, and on the store it lives in:

- a path (``"features:latest"``) given to an artifact parameter: the version it names *now*;
- an :class:`~artiflow.Artifact` or :class:`~.refs.ArtifactRef`: that version;
- a mapped run's :class:`~.parts.PartRef` (or the list ``.map`` returned): the version the map
  committed, so identical parts give an identical key;

each as ``(project, name, digest)``, so new content always means a new key and identical content
the same one. Every other argument is hashed as ``INPUTS`` does.

``@artifact_task`` uses it wherever its cache policy hashes inputs: Prefect's default policy
(``INPUTS + TASK_SOURCE + RUN_ID``) and an explicit ``INPUTS`` (alone or combined) become
artifact-aware when the task is made, so ``cache_policy=INPUTS + TASK_SOURCE`` caches across flow
runs correctly. On a plain ``@task``, use ``ARTIFACT_INPUTS`` directly:

>>> from prefect.cache_policies import TASK_SOURCE
>>> policy = ARTIFACT_INPUTS + TASK_SOURCE            # cross-run cache, keyed on content
>>> (ARTIFACT_INPUTS - "seed").exclude                 # subtract before combining
['seed']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from artiflow import Artifact, Store, names
from prefect.cache_policies import (
    STABLE_TRANSFORMS,
    CachePolicy,
    CompoundCachePolicy,
    Inputs,
)
from prefect.utilities.hashing import hash_objects

from .flow import target
from .parts import PartRef
from .refs import ArtifactRef
from .stores import StoreHandle

if TYPE_CHECKING:
    from prefect.context import TaskRunContext


@dataclass
class ArtifactInputs(CachePolicy):
    """``INPUTS``, with artifact inputs keyed on the version they resolve to (module docstring)."""

    exclude: list[str] = field(default_factory=list)

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        if not inputs:
            return None
        keyer = _Keyer(task_ctx)
        hashed = {k: keyer.key(v, path=k in keyer.paths) for k, v in inputs.items() if k not in self.exclude}
        return hash_objects(hashed, raise_on_failure=True)

    def __sub__(self, other: str) -> CachePolicy:
        if not isinstance(other, str):
            raise TypeError("Can only subtract strings from key policies.")
        return replace(self, exclude=[*self.exclude, other])


ARTIFACT_INPUTS = ArtifactInputs()


def artifact_aware(policy: Any) -> Any:
    """``policy`` with every Prefect ``Inputs`` part replaced by :class:`ArtifactInputs`."""
    if isinstance(policy, Inputs):
        return ArtifactInputs(
            exclude=list(policy.exclude), key_storage=policy.key_storage, isolation_level=policy.isolation_level,
            lock_manager=policy.lock_manager,
        )
    if isinstance(policy, CompoundCachePolicy):
        return replace(policy, policies=[artifact_aware(p) for p in policy.policies])
    return policy


class _Keyer:
    """Turns one task run's arguments into cache-key material; opens the store only if needed."""

    def __init__(self, task_ctx: TaskRunContext | None) -> None:
        spec = getattr(getattr(task_ctx, "task", None), "artiflow", None)
        self.paths: frozenset[str] = getattr(spec, "paths", frozenset())
        self._handle: StoreHandle = getattr(spec, "handle", None) or StoreHandle()
        self._project: str | None = getattr(spec, "project", None)
        self._target: tuple[Store, str] | None = None

    def target(self) -> tuple[Store, str]:
        if self._target is None:
            self._target = target(self._handle, self._project)
        return self._target

    def key(self, value: Any, *, path: bool) -> Any:
        if isinstance(value, PartRef):
            return self._version(value.resolve(self.target()[0]))
        if _one_map(value):
            return self._version(value[0].resolve(self.target()[0]))
        if isinstance(value, ArtifactRef):
            return ("artiflow", _store_key(self.target()[0]), value.project, value.name, value.digest)
        if isinstance(value, Artifact):
            if value.is_draft():
                return ("artiflow-draft", value.name, value.manifest.digest())
            return self._version(value)
        if path and isinstance(value, str):
            store, project = self.target()
            ref = names.ArtifactPath.parse(value, default_project=project)
            rec = store.metadata.find_version(ref.project, ref.name, ref.selector)
            return self._version(Artifact.from_record(store, rec))
        if isinstance(value, list | tuple):
            return [self.key(v, path=path) for v in value]
        if isinstance(value, Mapping):
            return {k: self.key(v, path=path) for k, v in value.items()}
        transform = STABLE_TRANSFORMS.get(type(value))
        return transform(value) if transform else value

    @staticmethod
    def _version(artifact: Artifact) -> tuple[str, ...]:
        return ("artiflow", _store_key(artifact.store), artifact.project, artifact.collection_name, artifact.digest)


def _one_map(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and _all_parts(value) and len({v.key for v in value}) == 1


def _all_parts(values: Iterable[Any]) -> bool:
    return all(isinstance(v, PartRef) for v in values)


def _store_key(store: Store | None) -> str:
    """Which store a version lives in: a cached result from one store is no answer in another."""
    if store is None:
        return ""
    return hash_objects(store.settings.database, store.settings.storage, raise_on_failure=True) or ""


def _cache_key_of(artifact: Artifact) -> tuple[str, ...]:
    """How Prefect's plain ``INPUTS`` sees an Artifact argument: by content, not pickle."""
    if artifact.is_draft():
        return ("artiflow-draft", artifact.name, artifact.manifest.digest())
    return ("artiflow", artifact.qualified_name, artifact.digest)


def register_cache_transform() -> None:
    """Let plain ``INPUTS`` (on any ``@task``) hash an Artifact argument by its content."""
    STABLE_TRANSFORMS.setdefault(Artifact, _cache_key_of)

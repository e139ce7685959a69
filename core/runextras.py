"""The ``Run`` methods beyond logging and using artifacts: collaborative versions, the registry,
models, code and saved files (W&B's ``upsert_artifact``/``finish_artifact``, ``link_artifact``,
``link_model``, ``log_model``/``use_model``, ``log_code``, ``save``).

``RunExtras`` is a base class of :class:`~artiflow.runs.Run`; it works through the run's own
``log_artifact``/``use_artifact``.

>>> run.link_model("model.pt", registered_model_name="cats", aliases=["staging"])   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import collab, names, runfiles
from .artifact import Artifact
from .errors import ArtifactFinalizedError, ArtifactNotFoundError, DistributedIdError, TypeMismatchError
from .registry import MODEL_REGISTRY

if TYPE_CHECKING:
    from .store import Progress, Store

log = logging.getLogger(__name__)


class RunExtras:
    """Collaborative versions, registry links, models, code and saved files of a run."""

    _store: Store
    _saved: dict[str, str]
    _saved_live: bool
    on_finish: list[Any]

    if TYPE_CHECKING:
        @property
        def id(self) -> str: ...
        @property
        def project(self) -> str: ...
        @property
        def name(self) -> str: ...
        @property
        def group(self) -> str | None: ...
        @property
        def dir(self) -> str: ...
        def log_artifact(
            self, artifact_or_path: Artifact | str | os.PathLike[str], name: str | None = None,
            type: str | None = None, aliases: Sequence[str] | None = None,  # noqa: A002
            tags: Sequence[str] | None = None, *, progress: Progress | None = None,
        ) -> Artifact: ...
        def use_artifact(
            self, artifact_or_name: Artifact | str, type: str | None = None,  # noqa: A002
            aliases: Sequence[str] | None = None, use_as: str | None = None,
        ) -> Artifact: ...
        def _as_artifact(self, obj: Artifact | str | os.PathLike[str], name: str | None, type_: str | None) -> Artifact: ...

    # -- collaborative versions ----------------------------------------------------------------

    def _distributed_id(self, given: str | None, verb: str) -> str:
        did = given or self.group
        if not did:
            raise DistributedIdError(
                f"Cannot {verb} artifact unless the run is in a group or distributed_id is provided."
            )
        return did

    def upsert_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,  # noqa: A002
        aliases: Sequence[str] | None = None,
        distributed_id: str | None = None,
        *,
        progress: Progress | None = None,
    ) -> Artifact:
        """Add this writer's files to the one pending collaborative version of ``distributed_id``.

        ``distributed_id`` defaults to the run's group. Nothing is visible until
        :meth:`finish_artifact` commits the merged version; ``aliases`` (and the draft's own)
        are kept with this part and given to that version.
        """
        did = self._distributed_id(distributed_id, "upsert")
        artifact = self._as_artifact(artifact_or_path, name, type)
        if not artifact.is_draft():
            raise ArtifactFinalizedError(f"{artifact.name} is already committed; upsert a new draft instead.")
        keep = names.aliases([*(a for a in artifact.aliases if a != "latest"), *(aliases or [])])
        collab.upsert(self._store, artifact, project=self.project, run_id=self.id, distributed_id=did,
                      progress=progress, aliases=keep)
        return artifact

    def finish_artifact(
        self,
        artifact_or_path: Artifact | str | os.PathLike[str],
        name: str | None = None,
        type: str | None = None,  # noqa: A002
        aliases: Sequence[str] | None = None,
        distributed_id: str | None = None,
        *,
        progress: Progress | None = None,
    ) -> Artifact:
        """Commit the collaborative version: every upserted part, plus this artifact's own files.

        Two parts that give one path different content raise :class:`EntryConflictError` naming
        it, and nothing is committed. The next upsert with the same id starts a new version.
        """
        did = self._distributed_id(distributed_id, "finish")
        artifact = self._as_artifact(artifact_or_path, name, type)
        if not artifact.is_draft():
            raise ArtifactFinalizedError(f"{artifact.name} is already committed.")
        if artifact.draft_paths():
            collab.upsert(self._store, artifact, project=self.project, run_id=self.id, distributed_id=did,
                          progress=progress)
        pending = names.aliases(a for a in artifact.aliases if a != "latest")
        record, _manifest, created = collab.finish(
            self._store, project=self.project, name=artifact.collection_name, distributed_id=did, run_id=self.id,
            description=artifact.description, metadata=dict(artifact.metadata),
            aliases=[*pending, *names.aliases(aliases)], tags=names.tags(artifact.tags),
        )
        artifact.attach(self._store, record, created=created)
        artifact.save_ttl()
        return artifact

    # -- registry ------------------------------------------------------------------------------

    def link_artifact(self, artifact: Artifact, target_path: str, aliases: Sequence[str] | None = None) -> Artifact:
        """Link ``artifact`` (a draft is logged first) into the registry collection ``target_path``.

        ``target_path`` is ``portfolio``, ``project/portfolio`` or ``entity/project/portfolio``
        (the run's project by default); ``aliases`` apply only there, and ``latest`` there moves to it.
        Returns the version as seen through the link (W&B returns None).
        """
        if artifact.is_draft():
            artifact = self.log_artifact(artifact)
        return artifact.link(target_path, list(aliases or []))

    def link_model(
        self, path: str | os.PathLike[str], registered_model_name: str, name: str | None = None,
        aliases: Sequence[str] | None = None,
    ) -> Artifact:
        """Log the model at ``path`` (or reuse the version of ``name`` with that content) and link it
        to ``model-registry/<registered_model_name>`` with ``aliases``.

        A registered model name with ``/`` in it raises ``AssertionError``, an invalid ``name`` (such as
        ``entity/project/name``) ``ValueError``, and an existing ``name`` that is not a model ``AssertionError``, as documented.
        """
        if "/" in registered_model_name:
            raise AssertionError(
                "Please provide only the name of the registered model; do not append the entity or project name."
            )
        type_ = "model"
        if name is not None:
            try:
                type_ = self._store.metadata.find_version(self.project, names.artifact_name(name), "latest").type
            except ArtifactNotFoundError:
                pass
            if "model" not in type_.lower():
                raise AssertionError(f"You can only use this method for 'model' artifacts; {name} is of type {type_!r}.")
        artifact = self.log_artifact(path, name=name, type=type_)
        return self.link_artifact(artifact, f"{MODEL_REGISTRY}/{registered_model_name}", aliases)

    # -- models, code and files ----------------------------------------------------------------

    def log_model(
        self, path: str | os.PathLike[str], name: str | None = None, aliases: Sequence[str] | None = None
    ) -> Artifact:
        """Log a model file or directory as an artifact of type ``model``."""
        return self.log_artifact(path, name=name, type="model", aliases=aliases)

    def use_model(self, name: str) -> str:
        """Use a model artifact and download it; return the file (if only one) or the directory."""
        artifact = self.use_artifact(name)
        if "model" not in artifact.type.lower():
            raise TypeMismatchError(
                f"use_model only works on 'model' artifacts; {artifact.name} is of type {artifact.type!r}."
            )
        root = artifact.download()
        entries = list(artifact.manifest)
        return os.path.join(root, *entries[0].path.split("/")) if len(entries) == 1 else root

    def log_code(
        self,
        root: str | os.PathLike[str] = ".",
        name: str | None = None,
        include_fn: runfiles.Filter = runfiles.default_include,
        exclude_fn: runfiles.Filter = runfiles.default_exclude,
    ) -> Artifact | None:
        """Log source files under ``root`` (``*.py`` by default) as a ``code`` artifact.

        ``include_fn`` and ``exclude_fn`` are called as ``fn(path, root)``, or ``fn(path)`` if
        they take one argument.
        """
        default = names.sanitize(f"source-{self.project}-{self.name}")
        artifact = runfiles.code_artifact(os.fspath(root), name or default, include_fn, exclude_fn)
        return self.log_artifact(artifact) if artifact is not None else None

    def save(
        self, glob_str: str | os.PathLike[str] | None = None, base_path: str | os.PathLike[str] | None = None,
        policy: str = "live",
    ) -> list[str]:
        """Keep files with the run (W&B's ``run.save``): they become its ``run-<id>-files`` artifact.

        The glob is expanded now; names are relative to ``base_path`` (default: the working
        directory, or for an absolute glob its directory's parent). ``"live"`` and ``"end"`` log
        the files again when the run finishes. Returns the paths linked into ``run.dir``.
        """
        if glob_str is None:
            raise ValueError("save() needs a path or glob, e.g. run.save('model.h5').")
        found = runfiles.expand(os.fspath(glob_str), os.fspath(base_path) if base_path is not None else None, policy)
        if not found:
            log.warning("save(%r) matched no files.", os.fspath(glob_str))
            return []
        if not self._saved and not self._saved_live:
            self.on_finish.append(lambda run: run._log_saved() if run._saved_live else None)
        self._saved.update(found)
        self._saved_live = self._saved_live or policy != "now"
        made = runfiles.link_into(self.dir, found)
        if policy != "end":
            self._log_saved()
        return made

    def _log_saved(self) -> None:
        self.log_artifact(runfiles.files_artifact(self.id, self._saved))

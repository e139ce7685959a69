"""Which artifact version an input loads.

In order:

1. **The version the upstream step logged**, when Dagster says the value comes from a step of this
   run or of the parent run (re-execution): that step's Run (its id is derived from the Dagster run
   id and step key) is looked up in the store, and the newest version it logged of the asset's
   artifact is taken. Concurrent runs moving ``latest`` cannot change what is loaded.
2. **The version or alias named in the input's metadata** (``artiflow/version``,
   ``artiflow/alias``), or in the upstream definition's (an :func:`artifact_source_asset` sets its
   alias there).
3. **``latest``.**
"""

from __future__ import annotations

from dataclasses import dataclass

from artiflow import Api, Artifact, ArtifactNotFoundError, Store

from .naming import step_run_id

EPHEMERAL_RUN_ID = "__EPHEMERAL_RUN_ID"  # Dagster's run id for values that come from outside the run


def producer_run_id(upstream_run_id: str | None, upstream_step_key: str | None) -> str | None:
    """The artiflow Run of the step that produced an input in this run or its parent, if any."""
    if not upstream_run_id or upstream_run_id == EPHEMERAL_RUN_ID or upstream_step_key in (None, "none"):
        return None
    return step_run_id(upstream_run_id, upstream_step_key)


def _index(art: Artifact) -> int:
    return int(art.version[1:])


@dataclass
class Resolver:
    store: Store

    def logged_by_step(
        self, run_id: str, *, project: str, name: str, asset_key: str | None, partition: str | None
    ) -> Artifact | None:
        """The newest version of ``name`` the step's Run logged; None if that Run logged none.

        An asset may return an ``Artifact`` with a name of its own: then the version is found by
        the asset key and partition recorded in its metadata.
        """
        try:
            run = Api(store=self.store).run(run_id)
        except ArtifactNotFoundError:
            return None
        logged = run.logged_artifacts()
        hits = [a for a in logged if a.collection_name == name and a.project == project]
        if not hits:
            hits = [
                a for a in logged
                if a.metadata.get("dagster/asset_key") == asset_key
                and a.metadata.get("dagster/partition_key") == partition
            ]
        return max(hits, key=_index) if hits else None

    def find(self, project: str, name: str, selector: str) -> Artifact:
        return Api(store=self.store).artifact(f"{project}/{name}:{selector}")

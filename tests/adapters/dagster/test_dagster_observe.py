"""An artiflow artifact as an observable source asset: its digest is Dagster's data version."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.

from typing import Any

import dagster as dg
from dagster_helpers import PROJECT, names, runs_of

import artiflow
from artiflow.adapters.dagster import ArtiflowIOManager, ArtiflowResource, artifact_source_asset


def log_labels(store: artiflow.Store, labels: dict[str, Any], aliases: list[str]) -> artiflow.Artifact:
    with artiflow.init(project=PROJECT, job_type="labelling", store=store) as run:
        art = artiflow.Artifact("labels", type="dataset")
        art.add(labels, "value")
        return run.log_artifact(art, aliases=aliases)


def observed_version(instance: dg.DagsterInstance, key: str) -> tuple[str, str]:
    record = instance.fetch_observations(dg.AssetKey(key), limit=1).records[0]
    observation = record.asset_observation
    assert observation is not None
    return observation.tags["dagster/data_version"], observation.metadata["artiflow/ref"].value


def test_source_asset_reports_the_digest_and_feeds_lineage(instance: dg.DagsterInstance, api: artiflow.Api) -> None:
    approved = log_labels(api.store, {"cat": 0}, aliases=["approved"])
    log_labels(api.store, {"cat": 0, "dog": 1}, aliases=[])  # v1: latest, not approved

    labels = artifact_source_asset("labels", alias="approved")

    @dg.asset
    def train(labels: dict[str, Any]) -> dict[str, Any]:
        return {"classes": sorted(labels)}

    @dg.asset(deps=[labels])
    def audit() -> list[str]:
        return ["ok"]

    store = ArtiflowResource(project=PROJECT)
    defs = dg.Definitions(
        assets=[labels, train, audit],
        resources={"artiflow": store, "io_manager": ArtiflowIOManager(artiflow=store)},
        jobs=[dg.define_asset_job("observe", selection=[labels])],
    )
    observe = defs.resolve_job_def("observe")
    assert observe.execute_in_process(instance=instance).success
    assert observed_version(instance, "labels") == (approved.digest, f"{PROJECT}/labels:v0")

    result = dg.materialize(
        [labels, train, audit], selection=[train, audit], resources=defs.resources, instance=instance
    )
    assert result.output_for_node("train") == {"classes": ["cat"]}
    runs = runs_of(api, result.run_id)
    assert names(runs["train"].used_artifacts()) == ["labels:v0"]
    assert names(runs["audit"].used_artifacts()) == ["labels:v0"]  # deps=[labels], via the observation

    newer = api.artifact(f"{PROJECT}/labels:v1")
    newer.aliases.append("approved")
    newer.save()
    assert observe.execute_in_process(instance=instance).success
    assert observed_version(instance, "labels") == (newer.digest, f"{PROJECT}/labels:v1")
    assert newer.digest != approved.digest

"""Partitions: one version per partition key, ranges in one run, loads of one or many partitions."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.

from typing import Any

import dagster as dg
from dagster_helpers import PROJECT, names, runs_of, versions

import artiflow
from artiflow.adapters.dagster import ArtiflowIOManager, artifact_name, parse_artifact_name

COLORS = dg.StaticPartitionsDefinition(["red", "green", "blue"])
RANGE = {"dagster/asset_partition_range_start": "red", "dagster/asset_partition_range_end": "blue"}


@dg.asset(partitions_def=COLORS)
def paint(context: dg.AssetExecutionContext) -> Any:
    if context.has_partition_key:
        return {"color": context.partition_key}
    return {key: {"color": key} for key in context.partition_keys}  # a range: one value per key


@dg.asset(partitions_def=COLORS)
def palette(context: dg.AssetExecutionContext) -> list[str]:
    return ["same", "for", "every", "partition"]  # a range gets one value for all its keys


@dg.asset(partitions_def=COLORS, ins={"paint": dg.AssetIn()})
def dried(paint: dict[str, Any]) -> dict[str, Any]:
    return {"dry": paint["color"]}


@dg.asset(ins={"paint": dg.AssetIn()})
def mural(paint: dict[str, Any]) -> list[str]:
    return sorted(v["color"] for v in paint.values())


def test_one_version_per_partition_key(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    resources = {"io_manager": io_manager}
    red = dg.materialize([paint, dried], partition_key="red", resources=resources, instance=instance)
    dg.materialize([paint], partition_key="green", resources=resources, instance=instance)
    again = dg.materialize([paint], partition_key="red", resources=resources, instance=instance)

    assert versions(api, "paint..red") == versions(api, "paint..green") == ["v0"]  # the re-run added nothing
    assert api.artifact(f"{PROJECT}/paint..green:v0").get("value") == {"color": "green"}
    red_runs = runs_of(api, red.run_id)
    assert red_runs["paint"].config["partition_key"] == "red"
    assert names(red_runs["dried"].used_artifacts()) == ["paint..red:v0"]  # its own partition only
    assert api.artifact(f"{PROJECT}/dried..red:v0").get("value") == {"dry": "red"}
    assert names(runs_of(api, again.run_id)["paint"].logged_artifacts()) == ["paint..red:v0"]
    md = again.asset_materializations_for_node("paint")[0].metadata
    assert md["artiflow/ref"].value == f"{PROJECT}/paint..red:v0"
    assert api.artifact(f"{PROJECT}/paint..red:v0").metadata["dagster/partition_key"] == "red"


def test_a_single_run_range_is_split_by_partition(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    resources = {"io_manager": io_manager}
    result = dg.materialize([paint], tags=RANGE, resources=resources, instance=instance)
    assert result.success
    for color in ("red", "green", "blue"):
        assert api.artifact(f"{PROJECT}/paint..{color}:v0").get("value") == {"color": color}
    events = result.asset_materializations_for_node("paint")
    assert sorted(e.partition or "" for e in events) == ["blue", "green", "red"]
    refs = events[0].metadata["artiflow/refs"].value
    assert {p: r["ref"] for p, r in refs.items()} == {c: f"{PROJECT}/paint..{c}:v0" for c in ("red", "green", "blue")}
    run = runs_of(api, result.run_id)["paint"]
    assert run.config["partition_range"] == ["red", "blue"]
    assert len(run.logged_artifacts()) == 3

    whole = dg.materialize([paint, mural], selection=[mural], resources=resources, instance=instance)
    assert whole.output_for_node("mural") == ["blue", "green", "red"]  # every partition, as a dict
    assert names(runs_of(api, whole.run_id)["mural"].used_artifacts()) == [
        "paint..blue:v0", "paint..green:v0", "paint..red:v0",
    ]


def test_a_range_value_that_is_not_split_is_logged_for_every_partition(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    result = dg.materialize([palette], tags=RANGE, resources={"io_manager": io_manager}, instance=instance)
    assert result.success
    arts = [api.artifact(f"{PROJECT}/palette..{c}:v0") for c in ("red", "green", "blue")]
    assert len({a.digest for a in arts}) == 1
    assert all(a.metadata["dagster/partition_range"] == ["red", "blue"] for a in arts)
    assert arts[0].get("value") == ["same", "for", "every", "partition"]


def test_multi_partition_keys_map_to_reversible_names(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    grid = dg.MultiPartitionsDefinition(
        {"color": dg.StaticPartitionsDefinition(["red"]), "day": dg.StaticPartitionsDefinition(["2024-01-01"])}
    )

    @dg.asset(partitions_def=grid)
    def tile(context: dg.AssetExecutionContext) -> dict[str, str]:
        return {"key": context.partition_key}

    key = dg.MultiPartitionKey({"color": "red", "day": "2024-01-01"})
    dg.materialize([tile], partition_key=key, resources={"io_manager": io_manager}, instance=instance)
    name = artifact_name(["tile"], str(key))
    assert name == "tile..red.7C2024-01-01"
    assert parse_artifact_name(name) == (["tile"], "red|2024-01-01")
    assert api.artifact(f"{PROJECT}/{name}:v0").get("value") == {"key": "red|2024-01-01"}


@dg.asset(deps=[paint])
def catalogue() -> int:
    return 1


@dg.asset(deps=[dg.AssetDep(paint, partition_mapping=dg.LastPartitionMapping())])
def newest_color() -> int:
    return 2


def test_deps_on_a_partitioned_upstream_record_the_partitions_used(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    resources = {"io_manager": io_manager}
    for color in ("red", "green", "blue"):
        dg.materialize([paint], partition_key=color, resources=resources, instance=instance)
    result = dg.materialize(
        [paint, catalogue, newest_color], selection=[catalogue, newest_color], resources=resources, instance=instance
    )
    assert result.success
    runs = runs_of(api, result.run_id)
    assert names(runs["catalogue"].used_artifacts()) == ["paint..blue:v0", "paint..green:v0", "paint..red:v0"]
    assert names(runs["newest_color"].used_artifacts()) == ["paint..blue:v0"]  # LastPartitionMapping

"""Dagster's data version of every materialization is the artifact digest: unchanged content is not stale.

Staleness is read with Dagster's own resolver (what the UI shows), which has no public entry point.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.

from typing import Any

import dagster as dg
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from artiflow.adapters.dagster import ArtiflowIOManager

CONTENT: dict[str, Any] = {"rows": [1, 2, 3]}


@dg.asset
def prices() -> dict[str, Any]:
    return dict(CONTENT)


@dg.asset
def report(prices: dict[str, Any]) -> int:
    return sum(prices["rows"])


def _status(instance: dg.DagsterInstance, key: str) -> StaleStatus:
    graph = dg.Definitions(assets=[prices, report]).resolve_asset_graph()
    return CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance)).get_status(dg.AssetKey(key))


def _data_version(instance: dg.DagsterInstance, key: str) -> str | None:
    event = instance.get_latest_materialization_event(dg.AssetKey(key))
    assert event is not None and event.asset_materialization is not None
    mat = event.asset_materialization
    return (mat.tags or {}).get("dagster/data_version")


def test_rematerializing_identical_content_keeps_downstream_fresh(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance
) -> None:
    resources = {"io_manager": io_manager}
    CONTENT["rows"] = [1, 2, 3]
    assert dg.materialize([prices, report], resources=resources, instance=instance).success
    first = instance.get_latest_materialization_event(dg.AssetKey("prices"))
    assert first is not None and first.asset_materialization is not None
    digest = first.asset_materialization.metadata["artiflow/digest"].value
    assert _data_version(instance, "prices") == digest

    assert dg.materialize([prices], resources=resources, instance=instance).success  # same content
    assert _data_version(instance, "prices") == digest
    assert _status(instance, "report") == StaleStatus.FRESH

    CONTENT["rows"] = [1, 2, 3, 4]  # new content: a new digest, and report is stale
    assert dg.materialize([prices], resources=resources, instance=instance).success
    assert _data_version(instance, "prices") != digest
    assert _status(instance, "report") == StaleStatus.STALE


def test_the_dagster_run_log_says_new_reused_and_used(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance
) -> None:
    CONTENT["rows"] = [5]
    resources = {"io_manager": io_manager}
    first = dg.materialize([prices, report], resources=resources, instance=instance)
    second = dg.materialize([prices], resources=resources, instance=instance)

    def lines(run_id: str) -> list[str]:
        return [e.user_message for e in instance.all_logs(run_id) if e.user_message.startswith("artiflow:")]

    logged = lines(first.run_id)
    assert logged[0].startswith("artiflow: logged dg/prices:v0 (new, ") and logged[0].endswith(" B)")
    assert logged[1:] == ["artiflow: used dg/prices:v0", logged[2]]
    assert logged[2].startswith("artiflow: logged dg/report:v0 (new, ")
    assert lines(second.run_id) == ["artiflow: reused dg/prices:v0 (identical content)"]

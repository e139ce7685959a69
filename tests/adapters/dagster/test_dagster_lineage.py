"""Real ``dg.materialize`` runs: one Run per step, exact edges, idempotent versions, metadata."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.

from typing import Any

import dagster as dg
import dagster_defs
import pytest
from dagster_helpers import PROJECT, names, runs_of, versions

import artiflow
from artiflow.adapters.dagster import ArtiflowIOManager, step_run_id


@dg.asset(ins={"clean": dg.AssetIn(key=["ml", "clean"])}, metadata={"artiflow/type": "model"})
def model(clean: dict[str, Any]) -> dict[str, Any]:
    return {"weights": sum(clean["rows"])}


@dg.asset
def unrelated() -> list[int]:
    return [42]


@dg.asset(deps=[unrelated, dagster_defs.raw])
def summary() -> int:
    return 1


PIPELINE = [dagster_defs.raw, dagster_defs.clean, model, unrelated, summary]


def test_one_run_per_step_with_exact_edges(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, backend_api: artiflow.Api
) -> None:
    api = backend_api
    result = dg.materialize(PIPELINE, resources={"io_manager": io_manager}, instance=instance)
    assert result.success
    runs = runs_of(api, result.run_id)
    assert set(runs) == {"ml__raw", "ml__clean", "model", "unrelated", "summary"}
    for step, run in runs.items():
        assert run.id == step_run_id(result.run_id, step)
        assert run.state == "finished"
        assert run.config["dagster_run_id"] == result.run_id
        assert run.config["attempt"] == 0
    assert runs["ml__clean"].config["asset_keys"] == ["ml/clean"]
    assert runs["ml__clean"].job_type == "ml/clean"  # the asset key, so lineage names the asset

    expected = {  # step: (logged, used)
        "ml__raw": (["ml.raw:v0"], []),
        "ml__clean": (["ml.clean:v0"], ["ml.raw:v0"]),
        "model": (["model:v0"], ["ml.clean:v0"]),
        "unrelated": (["unrelated:v0"], []),
        "summary": (["summary:v0"], ["ml.raw:v0", "unrelated:v0"]),  # deps=[...], never loaded
    }
    for step, (logged, used) in expected.items():
        assert names(runs[step].logged_artifacts()) == logged, step
        assert names(runs[step].used_artifacts()) == used, step

    raw = api.artifact(f"{PROJECT}/ml.raw:v0")
    logged_by = raw.logged_by()
    assert logged_by is not None and logged_by.id == runs["ml__raw"].id
    assert sorted(r.name for r in raw.used_by()) == ["ml__clean", "summary"]
    assert api.artifact(f"{PROJECT}/model:v0").type == "model"
    assert api.artifact(f"{PROJECT}/ml.clean:v0").get("value") == {"rows": [2, 4, 6]}


def test_output_metadata_reaches_the_dagster_event(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    result = dg.materialize(
        [dagster_defs.raw, dagster_defs.clean], resources={"io_manager": io_manager}, instance=instance
    )
    art = api.artifact(f"{PROJECT}/ml.clean:latest")
    event = instance.get_latest_materialization_event(dg.AssetKey(["ml", "clean"]))
    assert event is not None and event.asset_materialization is not None
    for md in (result.asset_materializations_for_node("ml__clean")[0].metadata, event.asset_materialization.metadata):
        assert md["artiflow/ref"].value == f"{PROJECT}/ml.clean:v0" == art.qualified_name
        assert md["artiflow/digest"].value == art.digest
        assert md["artiflow/size"].value == art.size > 0
        assert md["artiflow/file_count"].value == 1
        assert md["artiflow/version"] == dg.MetadataValue.int(0)  # Dagster types, so its UI can sort and link
        assert md["artiflow/aliases"].value == "latest"
        assert md["artiflow/store"] == dg.MetadataValue.path(api.store.settings.storage)
        assert md["artiflow/run"].value == f"{PROJECT}/{step_run_id(result.run_id, 'ml__clean')}"


def test_rematerializing_identical_content_creates_no_version(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = [dagster_defs.raw, dagster_defs.clean]
    first = dg.materialize(assets, resources={"io_manager": io_manager}, instance=instance)
    second = dg.materialize(assets, resources={"io_manager": io_manager}, instance=instance)
    assert versions(api, "ml.raw") == versions(api, "ml.clean") == ["v0"]
    raw = api.artifact(f"{PROJECT}/ml.raw:v0")
    logged_by = raw.logged_by()
    assert logged_by is not None and logged_by.group == first.run_id  # the creator stays the producer
    assert names(runs_of(api, second.run_id)["ml__raw"].logged_artifacts()) == ["ml.raw:v0"]

    monkeypatch.setenv(dagster_defs.ROWS_VAR, "5,6")
    third = dg.materialize(assets, resources={"io_manager": io_manager}, instance=instance)
    assert versions(api, "ml.raw") == ["v0", "v1"]
    assert names(runs_of(api, third.run_id)["ml__clean"].used_artifacts()) == ["ml.raw:v1"]
    assert api.artifact(f"{PROJECT}/ml.raw:latest").version == "v1"


def test_a_retried_step_keeps_its_run_and_logs_no_duplicate(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    result = dg.materialize([dagster_defs.flaky], resources={"io_manager": io_manager}, instance=instance)
    assert result.success
    assert len(result.asset_materializations_for_node("flaky")) == 3  # Dagster: m1 twice, m2 once
    runs = runs_of(api, result.run_id)
    assert list(runs) == ["flaky"]
    run = runs["flaky"]
    assert run.state == "finished"
    assert run.job_type == "m1,m2"
    assert run.config["attempt"] == 1
    assert run.config["asset_keys"] == ["m1", "m2"]
    assert versions(api, "m1") == versions(api, "m2") == ["v0"]
    assert names(run.logged_artifacts()) == ["m1:v0", "m2:v0"]


def test_prefixed_keys_never_share_an_artifact(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    @dg.asset(key_prefix=["ml"], name="raw")
    def ml_raw() -> list[str]:
        return ["ml/raw"]

    @dg.asset(key_prefix=["ml"], name="feat")
    def ml_feat() -> list[str]:
        return ["ml/feat"]

    @dg.asset(name="ml__raw")  # Dagster's step name for ml/raw: run separately, it cannot join that job
    def flat() -> list[str]:
        return ["ml__raw"]

    dg.materialize([ml_raw, ml_feat], resources={"io_manager": io_manager}, instance=instance)
    dg.materialize([flat], resources={"io_manager": io_manager}, instance=instance)
    for name, value in [("ml.raw", "ml/raw"), ("ml.feat", "ml/feat"), ("ml__raw", "ml__raw")]:
        art = api.artifact(f"{PROJECT}/{name}:latest")
        assert art.get("value") == [value]
        assert art.metadata["dagster/asset_key"] == value
        assert art.version == "v0"


def test_a_failed_step_leaves_a_failed_run_with_its_uses(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    @dg.asset(ins={"raw": dg.AssetIn(key=["ml", "raw"])})
    def broken(raw: dict[str, Any]) -> int:
        raise ValueError("bad data")

    result = dg.materialize(
        [dagster_defs.raw, broken], resources={"io_manager": io_manager}, instance=instance, raise_on_error=False
    )
    assert not result.success
    runs = runs_of(api, result.run_id)
    assert runs["broken"].state == "failed"
    assert runs["ml__raw"].state == "finished"
    assert names(runs["broken"].used_artifacts()) == ["ml.raw:v0"]
    assert runs["broken"].logged_artifacts() == []


def test_inputs_pin_versions_from_metadata_else_latest(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    @dg.asset(ins={"raw": dg.AssetIn(key=["ml", "raw"], metadata={"artiflow/version": "v0"})})
    def pinned(raw: dict[str, Any]) -> dict[str, Any]:
        return raw

    @dg.asset(ins={"raw": dg.AssetIn(key=["ml", "raw"], metadata={"artiflow/alias": "golden"})})
    def golden(raw: dict[str, Any]) -> dict[str, Any]:
        return raw

    @dg.asset(ins={"raw": dg.AssetIn(key=["ml", "raw"])})
    def newest(raw: dict[str, Any]) -> dict[str, Any]:
        return raw

    resources = {"io_manager": io_manager}
    dg.materialize([dagster_defs.raw], resources=resources, instance=instance)  # v0: 1,2,3
    monkeypatch.setenv(dagster_defs.ROWS_VAR, "7")
    dg.materialize([dagster_defs.raw], resources=resources, instance=instance)  # v1: 7
    monkeypatch.setenv(dagster_defs.ROWS_VAR, "8")
    dg.materialize([dagster_defs.raw], resources=resources, instance=instance)  # v2: 8
    v1 = api.artifact(f"{PROJECT}/ml.raw:v1")
    v1.aliases.append("golden")
    v1.save()

    assets = [dagster_defs.raw, pinned, golden, newest]
    result = dg.materialize(assets, selection=[pinned, golden, newest], resources=resources, instance=instance)
    assert result.output_for_node("pinned") == {"rows": [1, 2, 3]}
    assert result.output_for_node("golden") == {"rows": [7]}
    assert result.output_for_node("newest") == {"rows": [8]}
    runs = runs_of(api, result.run_id)
    assert names(runs["pinned"].used_artifacts()) == ["ml.raw:v0"]
    assert names(runs["golden"].used_artifacts()) == ["ml.raw:v1"]
    assert names(runs["newest"].used_artifacts()) == ["ml.raw:v2"]


def test_a_pin_that_conflicts_with_an_upstream_of_the_same_run_is_an_error(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    @dg.asset(ins={"raw": dg.AssetIn(key=["ml", "raw"], metadata={"artiflow/version": "v0"})})
    def pinned(raw: dict[str, Any]) -> dict[str, Any]:
        return raw

    resources = {"io_manager": io_manager}
    assert dg.materialize([dagster_defs.raw, pinned], resources=resources, instance=instance).success  # agree
    monkeypatch.setenv(dagster_defs.ROWS_VAR, "7")
    result = dg.materialize(
        [dagster_defs.raw, pinned], resources=resources, instance=instance, raise_on_error=False
    )  # this run makes ml.raw:v1 upstream, the input pins v0
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "pins dg/ml.raw:v0" in str(failure.step_failure_data.error)
    assert "materialized dg/ml.raw:v1" in str(failure.step_failure_data.error)
    assert versions(api, "pinned") == ["v0"]


def test_reexecution_loads_the_version_the_parent_run_logged(instance: dg.DagsterInstance, api: artiflow.Api) -> None:
    store = api.store
    job = dg.reconstructable(dagster_defs.in_process_job)
    with dg.execute_job(job, instance=instance) as parent:
        assert parent.success
        parent_id = parent.run_id
    with artiflow.init(project=PROJECT, store=store) as other:  # someone moves `latest` meanwhile
        newer = artiflow.Artifact("ml.raw", type="dataset")
        newer.add({"rows": [100]}, "value")
        other.log_artifact(newer)
    assert newer.version == "v1"

    options = dg.ReexecutionOptions(parent_run_id=parent_id, step_selection=["ml__clean"])
    with dg.execute_job(job, instance=instance, reexecution_options=options) as child:
        assert child.success
        assert child.output_for_node("ml__clean") == {"rows": [2, 4, 6]}
        child_id = child.run_id
    clean = runs_of(api, child_id)
    assert list(clean) == ["ml__clean"]
    assert names(clean["ml__clean"].used_artifacts()) == ["ml.raw:v0"]
    assert clean["ml__clean"].config["parent_run_id"] == parent_id


def test_definition_metadata_sets_the_version_and_is_never_mutated(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    metadata = {
        "artiflow/type": "table",
        "artiflow/aliases": ["prod"],
        "artiflow/tags": ["nightly"],
        "artiflow/description": "all the rows",
    }

    @dg.asset(metadata=metadata)
    def rows() -> list[int]:
        return [1, 2]

    for _ in range(3):
        dg.materialize([rows], resources={"io_manager": io_manager}, instance=instance)
    assert rows.specs_by_key[dg.AssetKey("rows")].metadata["artiflow/aliases"] == ["prod"]
    assert metadata["artiflow/aliases"] == ["prod"]
    art = api.artifact(f"{PROJECT}/rows:latest")
    assert (art.version, art.type, art.description) == ("v0", "table", "all the rows")
    assert sorted(art.aliases) == ["latest", "prod"]
    assert art.tags == ["nightly"]


def test_an_asset_check_is_a_run_that_uses_the_checked_version(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api
) -> None:
    @dg.asset_check(asset=dagster_defs.clean)
    def clean_not_empty(clean: dict[str, Any]) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=bool(clean["rows"]))

    result = dg.materialize(
        [dagster_defs.raw, dagster_defs.clean, clean_not_empty], resources={"io_manager": io_manager}, instance=instance
    )
    assert result.success
    assert [e.passed for e in result.get_asset_check_evaluations()] == [True]
    check = runs_of(api, result.run_id)["ml__clean_clean_not_empty"]
    assert check.job_type == "asset_check"
    assert names(check.used_artifacts()) == ["ml.clean:v0"]
    assert check.logged_artifacts() == []


SEEN_CURRENT: list[object] = []


@dg.asset(ins={"clean": dg.AssetIn(key=["ml", "clean"])})
def peeks(clean: dict[str, Any]) -> int:
    SEEN_CURRENT.append(artiflow.run)  # the step's Run is open here (it loaded ``clean``)
    return len(clean["rows"])


def test_step_runs_are_explicit_not_the_process_current_run(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance
) -> None:
    """A step's Run never becomes ``artiflow.run``: threads and other steps must not write into it."""
    SEEN_CURRENT.clear()
    result = dg.materialize(
        [dagster_defs.raw, dagster_defs.clean, peeks], resources={"io_manager": io_manager}, instance=instance
    )
    assert result.success
    assert SEEN_CURRENT == [None]


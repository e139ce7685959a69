"""The multiprocess executor: every step in its own process, a retry in yet another one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import dagster_defs
from dagster_helpers import names, runs_of, versions

import artiflow
from artiflow.adapters.dagster import step_run_id


@pytest.mark.slow
def test_steps_in_separate_processes_share_one_store(
    persistent_instance: dg.DagsterInstance, api: artiflow.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Step processes import dagster_defs by name from the working directory the job records.
    monkeypatch.chdir(Path(dagster_defs.__file__).parent)
    job = dg.reconstructable(dagster_defs.multiprocess_job)
    with dg.execute_job(job, instance=persistent_instance) as result:
        assert result.success
        run_id = result.run_id
    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_RESTARTED}
    starts = persistent_instance.all_logs(run_id, of_type=kinds)
    pids = [e.dagster_event.pid for e in starts if e.dagster_event is not None]
    assert len(pids) == len(set(pids)) == 5  # four steps, and flaky's retry, each in its own process

    _assert_versions_and_lineage(api, run_id)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_step_processes_share_a_postgres_and_s3_store(
    backend: Any, persistent_instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every step process reaches the store through the ARTIFLOW_* environment it inherits.
    monkeypatch.chdir(Path(dagster_defs.__file__).parent)
    with dg.execute_job(dg.reconstructable(dagster_defs.spawn_job), instance=persistent_instance) as result:
        assert result.success
        run_id = result.run_id
    api = artiflow.Api()
    assert api.store.settings.storage_url is not None and api.store.settings.storage_url.startswith("s3://")
    starts = persistent_instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START})
    assert os.getpid() not in {e.dagster_event.pid for e in starts if e.dagster_event is not None}
    _assert_versions_and_lineage(api, run_id)


def _assert_versions_and_lineage(api: artiflow.Api, run_id: str) -> None:
    runs = runs_of(api, run_id)
    assert set(runs) == {"ml__raw", "ml__clean", "report", "flaky"}
    assert all(r.state == "finished" and r.id == step_run_id(run_id, s) for s, r in runs.items())
    assert names(runs["ml__raw"].logged_artifacts()) == ["ml.raw:v0"]
    assert names(runs["ml__clean"].used_artifacts()) == ["ml.raw:v0"]
    assert names(runs["ml__clean"].logged_artifacts()) == ["ml.clean:v0"]
    assert names(runs["report"].used_artifacts()) == ["ml.raw:v0"]  # deps only, no IO call
    assert runs["report"].logged_artifacts() == []
    assert runs["flaky"].config["attempt"] == 1  # the retry, in a new process, resumed the same Run
    assert versions(api, "m1") == versions(api, "m2") == ["v0"]
    assert sorted(r.name for r in api.artifact("dg/ml.raw:v0").used_by()) == ["ml__clean", "report"]
    assert api.artifact("dg/ml.clean:v0").used_by() == []

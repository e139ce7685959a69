"""Prefect's own run log says what artiflow did: which versions were used, logged new, or reused."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from prefect_helpers import wait_for

from artiflow import Artifact
from artiflow.adapters.prefect import ArtifactRef, artifact_flow, artifact_task

pytestmark = pytest.mark.usefixtures("prefect_server")


@artifact_task(project="sales")
def make_model() -> Artifact:
    model = Artifact("model", type="model")
    model.add({"weights": [1, 2, 3]}, "weights")
    return model


@artifact_task(project="sales")
def evaluate(model: Artifact) -> None:
    return None


@artifact_flow(project="sales")
def train() -> ArtifactRef:
    ref = make_model()
    evaluate(ref)
    return ref


@artifact_task
def orphan() -> Artifact:
    art = Artifact("notes", type="report")
    art.add({"text": "hi"}, "notes")
    return art


def _lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.getMessage().startswith("artiflow:")]


def test_every_log_and_use_is_one_line_in_the_task_run_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="prefect.task_runs"):
        train()
        train()
    lines = _lines(caplog, "prefect.task_runs")
    assert lines[0].startswith("artiflow: logged sales/model:v0 (new, ") and lines[0].endswith(" B)")
    assert lines[1:] == [
        "artiflow: used sales/model:v0",
        "artiflow: reused sales/model:v0 (identical content)",
        "artiflow: used sales/model:v0",
    ]


def test_a_task_without_a_project_warns_that_it_uses_the_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="prefect.task_runs"):
        artifact_flow(orphan)()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "default project" in r.getMessage()]
    assert [r.name for r in warnings] == ["prefect.task_runs"]
    assert "'uncategorized'" in warnings[0].getMessage() and "ARTIFLOW_PROJECT" in warnings[0].getMessage()


def _asset_events(flow_run_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter

    related = EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"])
    with get_client(sync_client=True) as client:
        page = client.read_events(filter=EventFilter(event=EventNameFilter(prefix=["prefect.asset."]), related=related), limit=50)
    return list(page.events)


def test_every_version_logged_and_used_is_a_prefect_asset_event() -> None:
    from prefect import flow

    @artifact_task(project="assets")
    def make() -> Artifact:
        art = Artifact("raw", type="dataset")
        art.add({"rows": [1, 2]}, "rows")
        return art

    @artifact_task(project="assets")
    def refine(raw: Artifact) -> Artifact:
        out = Artifact("clean", type="dataset")
        out.add({"rows": raw.get("rows")["rows"][:1]}, "rows")
        return out

    @flow
    def assets_flow() -> Any:
        return refine(make())

    state = assets_flow(return_state=True)
    assert state.is_completed(), state
    flow_run_id = state.state_details.flow_run_id
    wait_for(lambda: len(_asset_events(flow_run_id)) == 3, timeout=30)  # Prefect persists events a moment later
    events = sorted((e.event, e.resource.id, e.resource.get("artiflow.version")) for e in _asset_events(flow_run_id))
    assert events == [
        ("prefect.asset.materialization.succeeded", "artiflow://assets/clean", "v0"),
        ("prefect.asset.materialization.succeeded", "artiflow://assets/raw", "v0"),
        ("prefect.asset.referenced", "artiflow://assets/raw", "v0"),
    ]
    [clean] = [e for e in _asset_events(flow_run_id) if e.resource.id == "artiflow://assets/clean"]
    assert [r.id for r in clean.related if r.role == "asset"] == ["artiflow://assets/raw"]
    assert clean.payload["artiflow/ref"] == "assets/clean:v0" and clean.payload["artiflow/new"] is True

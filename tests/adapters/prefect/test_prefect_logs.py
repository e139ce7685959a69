"""Prefect's own run log says what artiflow did: which versions were used, logged new, or reused."""

from __future__ import annotations

import logging

import pytest

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

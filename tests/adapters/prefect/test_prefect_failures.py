"""Failures, retries and a broken Prefect UI: what ends up in the store is still exactly right."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect_helpers import prefect_artifacts, task_runs

import artiflow
from artiflow import Artifact
from artiflow.adapters.prefect import ArtifactRef, Output, artifact_task, get_run

pytestmark = pytest.mark.usefixtures("prefect_server")


@artifact_task(project="fail")
def half_done(source: Artifact) -> Artifact:
    out = Artifact("half", type="dataset")
    with out.new_file("part-1.txt", mode="w") as f:
        f.write("written before the crash\n")
    raise RuntimeError("disk full")


@artifact_task(project="fail")
def seed() -> Artifact:
    art = Artifact("seed", type="dataset")
    art.add({"ok": True}, "seed")
    return art


def test_a_failing_task_is_a_failed_run_with_nothing_half_logged() -> None:
    @flow
    def doomed() -> tuple[bool, Any]:
        state = half_done(seed(), return_state=True)
        return state.is_failed(), state.state_details.task_run_id

    failed_state, task_run_id = doomed()
    assert failed_state
    api = artiflow.Api()
    assert not api.artifact_exists("fail/half")
    failed = [r for r in api.runs("fail") if r.job_type == "half_done"]
    assert len(failed) == 1 and failed[0].state == "failed"
    assert failed[0].id == str(task_run_id)
    assert [a.qualified_name for a in failed[0].used_artifacts()] == ["fail/seed:v0"]  # the use is kept
    assert failed[0].logged_artifacts() == []


def _flaky_output(text: str) -> Artifact:
    art = Artifact("flaky-out", type="dataset")
    with art.new_file("out.txt", mode="w") as f:
        f.write(text)
    return art


@artifact_task(project="retry", retries=2, retry_delay_seconds=0)
def flaky(text: str) -> Artifact:
    run = get_run()
    run.log_artifact(_flaky_output(text))  # every attempt logs the same bytes before failing
    attempt = run.config["prefect"]["run_count"]
    if attempt < 3:
        raise ConnectionError(f"attempt {attempt} lost the network")
    return _flaky_output(text)


def test_retries_resume_one_run_and_log_no_duplicate_version() -> None:
    @flow
    def with_retries() -> ArtifactRef:
        return flaky("same bytes every time")

    state = with_retries(return_state=True)
    assert state.is_completed(), state
    api = artiflow.Api()
    assert [a.version for a in api.artifacts("dataset", "retry/flaky-out")] == ["v0"]
    [tr] = task_runs(state.state_details.flow_run_id)
    assert tr.run_count == 3
    [run] = api.runs("retry")
    assert run.id == str(tr.id) and run.state == "finished"
    assert run.config["prefect"]["run_count"] == 3
    v0 = api.artifact("retry/flaky-out:v0")
    assert v0.logged_by() == run
    assert state.result() == ArtifactRef.of(v0)
    # One version, so one card, even though three attempts logged it.
    assert len([a for a in prefect_artifacts(state.state_details.flow_run_id) if a.key]) == 1


def test_a_failing_prefect_ui_never_fails_the_task(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from prefect.client.orchestration import SyncPrefectClient

    def refuse(self: Any, artifact: Any) -> Any:
        raise OSError("prefect api is down")

    monkeypatch.setattr(SyncPrefectClient, "create_artifact", refuse)

    @flow
    def ui_down() -> ArtifactRef:
        return seed()

    with caplog.at_level(logging.WARNING, logger="artiflow.adapters.prefect.ui"):
        state = ui_down(return_state=True)
    assert state.is_completed(), state
    assert artiflow.Api().artifact("fail/seed:v0").logged_by() is not None
    assert "Could not show artiflow versions in the Prefect UI" in caplog.text
    assert prefect_artifacts(state.state_details.flow_run_id) == []


def test_with_options_keeps_the_artifact_behaviour() -> None:
    renamed = seed.with_options(name="seed-nightly", retries=1, project="nightly", tags=["nightly"])
    assert type(renamed) is type(seed) and renamed.retries == 1 and renamed.tags == {"nightly"}
    assert renamed.task_key == seed.task_key  # the cache and task key still see the user's function

    @flow
    def nightly() -> ArtifactRef:
        return renamed()

    ref = nightly()
    assert ref.qualified_name == "nightly/seed:v0"
    run = artiflow.Api().artifact(ref.qualified_name).logged_by()
    assert run is not None and run.job_type == "seed-nightly"


def test_declared_outputs_take_paths_and_objects() -> None:
    @artifact_task(project="outs", outputs=[Output("table", type="dataset"), Output("stats", type="report")])
    def split(n: int) -> dict[str, Any]:
        Path("table.csv").write_text("".join(f"{i}\n" for i in range(n)))
        return {"table": Path("table.csv"), "stats": {"rows": n}}

    @flow
    def outs() -> dict[str, ArtifactRef]:
        return split(3)

    refs = outs()
    api = artiflow.Api()
    assert set(refs) == {"table", "stats"}
    assert Path(api.artifact(refs["table"].qualified_name).file()).read_text() == "0\n1\n2\n"
    assert api.artifact(refs["stats"].qualified_name).get("value") == {"rows": 3}
    assert api.artifact("outs/stats:latest").type == "report"


def test_declared_outputs_store_objects_as_value_through_the_serializer_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    (tmp_path / "prefect_tsv_formats.py").write_text(
        "import pandas as pd\n"
        "from artiflow.serializers import Serializer\n"
        "TSV = Serializer('prefect_tsv_formats:TSV', '.tsv', handles=lambda o: False,\n"
        "                 dump=lambda f, p: f.to_csv(p, sep='\\t', index=False), load=lambda p: pd.read_csv(p, sep='\\t'))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    frame = pd.DataFrame({"id": [1, 2, 3], "amount": [9.5, 3.0, 1.25]})
    outputs = [Output("fast"), Output("plain", serializer="pandas"), Output("mine", serializer="prefect_tsv_formats:TSV")]

    @artifact_task(project="fmt", outputs=outputs)
    def tables() -> tuple[Any, Any, Any]:
        return frame, frame, frame

    @flow
    def formats() -> tuple[ArtifactRef, ...]:
        return tables()

    refs = formats()
    api = artiflow.Api()
    stored = [api.artifact(r.qualified_name) for r in refs]
    assert [[e.path for e in a.files()] for a in stored] == [["value.parquet"], ["value.pandas.json"], ["value.tsv"]]
    for art in stored:
        pd.testing.assert_frame_equal(art.get("value"), frame)


def test_the_result_serializer_versions_any_return_value() -> None:
    from prefect import task
    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    from artiflow.adapters.prefect import ArtifactSerializer

    @task(result_serializer=ArtifactSerializer(project="ser"), persist_result=True)
    def summary(n: int, attempt: int) -> dict[str, int]:
        return {"n": n}  # the same value from two task runs

    @task(result_serializer=ArtifactSerializer(project="ser", name="answer"), persist_result=True)
    def answer() -> int:
        return 42  # no typed serializer for an int: pickled

    @flow
    def results() -> tuple[dict[str, int], dict[str, int], Any]:
        return summary(3, 1), summary(3, 2), answer(return_state=True)

    first, second, answer_state = results()
    assert first == second == {"n": 3}
    api = artiflow.Api()
    [v0] = api.artifacts("result", "ser/summary-result")  # the identical second result is the same version
    assert v0.get("value") == {"n": 3}
    producer = v0.logged_by()
    assert producer is not None and producer.job_type == "summary" and producer.state == "finished"
    assert len([r for r in api.runs("ser") if r.job_type == "summary"]) == 2  # one Run per task run
    assert api.artifact("ser/answer:v0").get("value", allow_pickle=True) == 42

    # Prefect's result record holds only a pointer; reading it back loads the artifact.
    key = answer_state.data.metadata.storage_key
    folder = PREFECT_LOCAL_STORAGE_PATH.value()  # get_default_result_storage() would leak a client socket
    raw = Path(folder, key).read_text()
    assert "ser/answer" not in raw and '\\"artiflow\\"' in raw and '\\"version\\": \\"v0\\"' in raw
    record = ResultStore(result_storage=LocalFileSystem(basepath=str(folder))).read(key)
    assert record.result == 42 and record.metadata.serializer.type == "artiflow"


def test_a_path_naming_no_version_fails_listing_the_versions_and_aliases() -> None:
    with artiflow.init(project="nf", job_type="ingest") as run:
        art = Artifact("features", type="dataset")
        art.add({"a": 1}, "value")
        run.log_artifact(art, aliases=["prod"])

    @artifact_task(project="nf", inputs=["features"])
    def consume(features: Artifact) -> str:
        return features.qualified_name

    @flow
    def reader() -> str:
        return consume("features:staging")

    state = reader(return_state=True)
    assert state.is_failed()
    with pytest.raises(artiflow.ArtifactNotFoundError) as err:
        state.result()
    assert str(err.value) == (
        "Parameter 'features': Artifact 'nf/features' has no alias or digest 'staging'; it has versions v0 and "
        "aliases latest, prod; pass one of those, or log that version first."
    )

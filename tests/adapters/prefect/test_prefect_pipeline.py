"""A real ingest → clean → train flow: Runs, exact versions, lineage and the Prefect UI artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prefect_helpers import artifacts_with_key, prefect_artifacts, task_runs

import artiflow
from artiflow import Artifact
from artiflow.adapters.prefect import ArtifactRef, Output, artifact_flow, artifact_task, get_run
from artiflow.adapters.prefect.ui import card_key

pytestmark = pytest.mark.usefixtures("prefect_server")


@artifact_task(project="shop")
def ingest(rows: int) -> Artifact:
    raw = Artifact("orders", type="dataset", metadata={"rows": rows})
    with raw.new_file("orders.csv", mode="w") as f:
        f.write("id,amount\n" + "".join(f"{i},{i * 10}\n" for i in range(rows)))
    return raw


@artifact_task(project="shop", outputs=Output("orders-clean", type="dataset", aliases=("staging",)))
def clean(orders: Artifact) -> Path:
    lines = Path(orders.file()).read_text().splitlines()
    out = Path("clean") / orders.version
    out.mkdir(parents=True, exist_ok=True)
    (out / "orders.csv").write_text("\n".join(line for line in lines if not line.endswith(",0")) + "\n")
    (out / "schema.json").write_text(json.dumps({"columns": ["id", "amount"]}))
    return out


@artifact_task(project="shop")
def train(data: Artifact, lr: float = 0.1) -> Artifact:
    rows = (Path(data.download()) / "orders.csv").read_text().count("\n") - 1
    model = Artifact("revenue-model", type="model")
    model.add({"lr": lr, "rows": rows}, "weights")
    return model


@artifact_flow(project="shop")
def pipeline(rows: int = 3) -> ArtifactRef:
    return train(clean(ingest(rows)))


def _flow_run(rows: int = 3) -> tuple[Any, ArtifactRef]:
    state = pipeline(rows, return_state=True)
    assert state.is_completed(), state
    return state.state_details.flow_run_id, state.result()


def test_every_task_run_is_one_run_grouped_by_its_flow_run() -> None:
    flow_run_id, model_ref = _flow_run()

    api = artiflow.Api()
    runs = {r.id: r for r in api.runs("shop")}
    prefect_runs = {str(tr.id): tr for tr in task_runs(flow_run_id)}
    assert set(runs) == set(prefect_runs)  # one Run per task run, id = task run id; no flow Run (unused)
    assert {r.group for r in runs.values()} == {str(flow_run_id)}
    assert sorted(r.job_type or "" for r in runs.values()) == ["clean", "ingest", "train"]
    assert {r.state for r in runs.values()} == {"finished"}
    assert all(r.name == prefect_runs[r.id].name for r in runs.values())
    assert model_ref == ArtifactRef(
        project="shop", name="revenue-model", version="v0", digest=model_ref.digest, type="model"
    )


def test_lineage_binds_the_exact_versions_across_the_pipeline() -> None:
    _flow_run(3)
    api = artiflow.Api()
    orders = api.artifact("shop/orders:v0")
    clean_v0 = api.artifact("shop/orders-clean:v0")
    model = api.artifact("shop/revenue-model:v0")

    ingest_run, clean_run, train_run = orders.logged_by(), clean_v0.logged_by(), model.logged_by()
    assert ingest_run is not None and ingest_run.job_type == "ingest"
    assert clean_run is not None and clean_run.job_type == "clean"
    assert train_run is not None and train_run.job_type == "train"
    assert orders.used_by() == [clean_run]
    assert clean_v0.used_by() == [train_run]
    assert [a.qualified_name for a in clean_run.used_artifacts()] == ["shop/orders:v0"]
    assert [a.qualified_name for a in train_run.used_artifacts()] == ["shop/orders-clean:v0"]
    assert [a.qualified_name for a in train_run.logged_artifacts()] == ["shop/revenue-model:v0"]
    # Declared output: a directory became the named artifact, with its aliases.
    assert sorted(e.path for e in clean_v0.manifest) == ["orders.csv", "schema.json"]
    assert clean_v0.aliases == ["latest", "staging"]
    assert model.get("weights") == {"lr": 0.1, "rows": 2}  # the row with amount 0 was cleaned away
    assert clean_run.config["parameters"] == {"orders": "shop/orders:v0"}
    assert clean_run.config["prefect"]["task_run_id"] == clean_run.id


def test_identical_rerun_creates_no_new_versions_and_new_content_does() -> None:
    first_flow, first = _flow_run(3)
    second_flow, second = _flow_run(3)
    api = artiflow.Api()
    assert first == second
    for name, type_ in [("orders", "dataset"), ("orders-clean", "dataset"), ("revenue-model", "model")]:
        assert [a.version for a in api.artifacts(type_, f"shop/{name}")] == ["v0"]
    # The second flow run's tasks are still recorded as having logged (and used) those versions.
    second_runs = [r for r in api.runs("shop") if r.group == str(second_flow)]
    assert len(second_runs) == 3
    orders = api.artifact("shop/orders:v0")
    assert {r.group for r in orders.used_by()} == {str(first_flow), str(second_flow)}

    _, third = _flow_run(4)
    assert third.version == "v1"
    assert [a.version for a in api.artifacts("dataset", "shop/orders")] == ["v0", "v1"]
    v1 = api.artifact("shop/orders-clean:v1")
    assert v1.logged_by() is not None and v1.logged_by().used_artifacts()[0].qualified_name == "shop/orders:v1"


def test_new_versions_get_a_keyed_card_and_uses_a_link_in_the_prefect_ui() -> None:
    flow_run_id, _ = _flow_run(3)
    by_task = {str(tr.id): tr.name for tr in task_runs(flow_run_id)}
    found = prefect_artifacts(flow_run_id)
    cards = {a.key: a for a in found if a.key}
    assert set(cards) == {card_key("shop", n) for n in ("orders", "orders-clean", "revenue-model")}
    card = cards[card_key("shop", "orders-clean")]
    assert card.type == "markdown"
    assert card.metadata_["artiflow.version"] == "v0"
    assert "### orders-clean:v0" in card.data and "`shop/orders:v0`" in card.data  # its input version
    assert "`staging`" in card.data and "schema.json" in card.data
    assert by_task[str(card.task_run_id)].startswith("clean")

    links = [a for a in found if not a.key]
    used = sorted((by_task[str(a.task_run_id)].split("-")[0], a.metadata_["artiflow.name"]) for a in links)
    assert used == [("clean", "orders"), ("train", "orders-clean")]
    assert all(a.data.startswith("[uses shop/") for a in links)

    # An identical re-run logs no version, so the key's history (Prefect's "versions") does not grow.
    history = len(artifacts_with_key(card_key("shop", "orders")))  # the server outlives each test's store
    second_flow, _ = _flow_run(3)
    assert len(artifacts_with_key(card_key("shop", "orders"))) == history
    assert not [a for a in prefect_artifacts(second_flow) if a.key]
    assert len([a for a in prefect_artifacts(second_flow) if not a.key]) == 2  # uses are still linked


def test_declared_path_inputs_resolve_once_to_one_version() -> None:
    @artifact_task(inputs=["data"])  # the project comes from the flow
    def count(data: Artifact) -> int:
        return data.file_count

    @artifact_flow(project="shop")
    def by_name() -> int:
        get_run().log_artifact(str(Path("notes.txt")), name="notes", type="text")
        return count("shop/notes:latest")

    Path("notes.txt").write_text("v0\n")
    assert by_name() == 1
    notes = artiflow.Api().artifact("shop/notes:v0")
    users = notes.used_by()
    assert [r.job_type for r in users] == ["count"]
    # The flow body's own Run logged it: id = flow run id, job_type flow:<name>.
    producer = notes.logged_by()
    assert producer is not None and producer.job_type == "flow:by-name" and producer.state == "finished"
    assert users[0].group == producer.id

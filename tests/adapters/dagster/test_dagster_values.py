"""What an asset returns is stored faithfully and comes back as the same kind of value."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.

from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from dagster_helpers import PROJECT, names, runs_of

import artiflow
from artiflow.adapters.dagster import ArtiflowIOManager, ArtiflowResource


class Opaque:
    """Not JSON, numpy or pandas: only pickle can store it."""

    def __init__(self, n: int) -> None:
        self.n = n


def test_values_round_trip_by_kind(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "sub" / "b.txt").write_text("beta\n")

    @dg.asset
    def count() -> int:
        return 3

    @dg.asset
    def matrix() -> Any:
        return np.arange(6, dtype=np.int32).reshape(2, 3)

    @dg.asset
    def frame() -> Any:
        return pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})

    @dg.asset
    def report() -> Path:
        return src / "a.txt"

    @dg.asset
    def folder() -> Path:
        return src

    @dg.asset
    def bundle() -> artiflow.Artifact:
        art = artiflow.Artifact("bundle", type="model", metadata={"owner": "me"})
        art.add_file(src / "a.txt", name="weights.txt")
        return art

    @dg.asset
    def check(
        count: int, matrix: Any, frame: Any, report: Path, folder: Path, bundle: artiflow.Artifact
    ) -> dict[str, Any]:
        return {
            "count": count,
            "matrix": matrix.tolist(),
            "dtype": str(matrix.dtype),
            "frame": frame.to_dict("list"),
            "report": (report.name, report.read_text()),
            "folder": sorted(str(p.relative_to(folder)) for p in folder.rglob("*.txt")),
            "bundle": (bundle.name, bundle.type, bundle.metadata["owner"], sorted(e.path for e in bundle.files())),
        }

    result = dg.materialize(
        [count, matrix, frame, report, folder, bundle, check], resources={"io_manager": io_manager}, instance=instance
    )
    assert result.output_for_node("check") == {
        "count": 3,
        "matrix": [[0, 1, 2], [3, 4, 5]],
        "dtype": "int32",
        "frame": {"x": [1, 2], "y": ["a", "b"]},
        "report": ("a.txt", "alpha\n"),
        "folder": ["a.txt", "sub/b.txt"],
        "bundle": ("bundle:v0", "model", "me", ["weights.txt"]),
    }
    assert api.artifact(f"{PROJECT}/folder:v0").file_count == 2
    assert api.artifact(f"{PROJECT}/bundle:v0").metadata["artiflow/value"] == "artifact"
    used = names(runs_of(api, result.run_id)["check"].used_artifacts())
    assert used == ["bundle:v0", "count:v0", "folder:v0", "frame:v0", "matrix:v0", "report:v0"]


def test_a_dataframe_gets_dagsters_row_count_and_column_schema(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance
) -> None:
    @dg.asset
    def orders() -> Any:
        return pd.DataFrame({"id": [1, 2, 3], "amount": [9.5, 3.0, 1.25]})

    result = dg.materialize([orders], resources={"io_manager": io_manager}, instance=instance)
    md = result.asset_materializations_for_node("orders")[0].metadata
    assert md["dagster/row_count"] == dg.MetadataValue.int(3)
    schema = md["dagster/column_schema"].value
    assert [(c.name, c.type) for c in schema.columns] == [("id", "int64"), ("amount", "float64")]


_CSV_MODULE = """
import pandas as pd
from artiflow.serializers import Serializer

CSV = Serializer(
    "dagster_csv_formats:CSV", ".csv", handles=lambda obj: isinstance(obj, pd.DataFrame),
    dump=lambda frame, path: frame.to_csv(path, index=False),
    load=lambda path: pd.read_csv(path),
)
"""


def test_frames_are_parquet_and_metadata_names_a_serializer_of_ones_own(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "dagster_csv_formats.py").write_text(_CSV_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))

    @dg.asset
    def orders() -> Any:
        return pd.DataFrame({"id": [1, 2, 3]})

    @dg.asset(metadata={"artiflow/serializer": "dagster_csv_formats:CSV"})
    def as_csv() -> Any:
        return pd.DataFrame({"id": [4, 5]})

    @dg.asset
    def total(orders: Any, as_csv: Any) -> int:
        return int(orders["id"].sum() + as_csv["id"].sum())

    result = dg.materialize([orders, as_csv, total], resources={"io_manager": io_manager}, instance=instance)
    assert result.output_for_node("total") == 15
    assert [e.path for e in api.artifact(f"{PROJECT}/orders:v0").files()] == ["value.parquet"]
    stored = api.artifact(f"{PROJECT}/as_csv:v0")
    assert [e.path for e in stored.files()] == ["value.csv"]
    assert stored.get("value")["id"].tolist() == [4, 5]


def test_a_version_without_the_value_it_claims_fails_the_step_naming_its_entries(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api, tmp_path: Path
) -> None:
    @dg.asset
    def counts() -> dict[str, int]:
        return {"a": 1}

    @dg.asset
    def reader(counts: dict[str, int]) -> int:
        return len(counts)

    dg.materialize([counts], resources={"io_manager": io_manager}, instance=instance)
    # A later version, built from the Dagster one by hand, keeps its metadata but drops the value.
    (tmp_path / "notes.txt").write_text("moved to notes\n")
    draft = api.artifact(f"{PROJECT}/counts:v0").new_draft()
    draft.remove("value.json")
    draft.add_file(tmp_path / "notes.txt")
    with artiflow.init(project=PROJECT, store=api.store) as run:
        run.log_artifact(draft)
    result = dg.materialize(
        [counts.to_source_asset(), reader], resources={"io_manager": io_manager}, instance=instance,
        raise_on_error=False,
    )
    failure = result.failure_data_for_node("reader")
    assert failure is not None
    assert "holds no object 'value' (its entries: notes.txt)" in str(failure.error)


def test_a_pin_naming_no_version_fails_listing_the_versions_and_aliases(
    io_manager: ArtiflowIOManager, instance: dg.DagsterInstance
) -> None:
    @dg.asset
    def labels() -> dict[str, int]:
        return {"cat": 1}

    @dg.asset(ins={"labels": dg.AssetIn(metadata={"artiflow/version": "v5"})})
    def pinned(labels: dict[str, int]) -> int:
        return len(labels)

    dg.materialize([labels], resources={"io_manager": io_manager}, instance=instance)
    result = dg.materialize(
        [labels.to_source_asset(), pinned], resources={"io_manager": io_manager}, instance=instance,
        raise_on_error=False,
    )
    failure = result.failure_data_for_node("pinned")
    assert failure is not None
    assert f"labels: Artifact '{PROJECT}/labels' has no version 'v5'; it has versions v0 and aliases latest;" in str(
        failure.error
    )


def test_pickle_only_when_configured(instance: dg.DagsterInstance, api: artiflow.Api) -> None:
    @dg.asset
    def opaque() -> Opaque:
        return Opaque(7)

    @dg.asset(metadata={"artiflow/serializer": "pickle"})
    def trusted() -> Opaque:
        return Opaque(8)

    @dg.asset
    def reader(trusted: Opaque) -> int:
        return trusted.n

    safe = {"io_manager": ArtiflowIOManager(artiflow=ArtiflowResource(project=PROJECT))}
    refused = dg.materialize([opaque], resources=safe, instance=instance, raise_on_error=False)
    assert not refused.success
    failure = refused.failure_data_for_node("opaque")
    assert failure is not None and "artiflow/serializer" in str(failure.error)
    assert not api.artifact_exists(f"{PROJECT}/opaque:latest")

    ok = dg.materialize([trusted, reader], resources=safe, instance=instance)
    assert ok.output_for_node("reader") == 8

    allowed = {"io_manager": ArtiflowIOManager(artiflow=ArtiflowResource(project=PROJECT), allow_pickle=True)}
    assert dg.materialize([opaque], resources=allowed, instance=instance).success
    with pytest.raises(PermissionError):  # and nobody unpickles it by accident
        api.artifact(f"{PROJECT}/opaque:v0").get("value")


def test_none_logs_no_version(io_manager: ArtiflowIOManager, instance: dg.DagsterInstance, api: artiflow.Api) -> None:
    @dg.asset
    def nothing():  # type: ignore[no-untyped-def]
        return None

    result = dg.materialize([nothing], resources={"io_manager": io_manager}, instance=instance)
    assert result.success
    assert not api.artifact_exists(f"{PROJECT}/nothing:latest")
    assert "artiflow/ref" not in result.asset_materializations_for_node("nothing")[0].metadata


def test_op_outputs_need_an_artifact_name(io_manager: ArtiflowIOManager, api: artiflow.Api) -> None:
    @dg.op(out=dg.Out(metadata={"artiflow/name": "numbers"}))
    def numbers() -> list[int]:
        return [1, 2, 3]

    @dg.op(out=dg.Out(metadata={"artiflow/name": "total"}))
    def total(numbers: list[int]) -> int:
        return sum(numbers)

    @dg.op
    def unnamed() -> list[int]:
        return [4]

    @dg.job(resource_defs={"io_manager": io_manager})
    def ops() -> None:
        total(numbers())

    result = ops.execute_in_process()
    assert result.success
    runs = runs_of(api, result.run_id)
    assert runs["numbers"].job_type == runs["total"].job_type == "op"
    assert names(runs["numbers"].logged_artifacts()) == ["numbers:v0"]
    assert names(runs["total"].used_artifacts()) == ["numbers:v0"]
    assert api.artifact(f"{PROJECT}/total:v0").get("value") == 6

    @dg.job(resource_defs={"io_manager": io_manager})
    def nameless() -> None:
        unnamed()

    failed = nameless.execute_in_process(raise_on_error=False)
    failure = failed.failure_data_for_node("unnamed")
    assert failure is not None and "artiflow/name" in str(failure.error)


def test_hand_built_contexts_work_without_a_step(io_manager: ArtiflowIOManager, api: artiflow.Api) -> None:
    out = dg.build_output_context(asset_key="numbers", definition_metadata={"artiflow/aliases": ["golden"]})
    io_manager.handle_output(out, [4, 5])
    assert out.get_logged_metadata()["artiflow/ref"].value == f"{PROJECT}/numbers:v0"
    loaded = io_manager.load_input(
        dg.build_input_context(asset_key=dg.AssetKey("numbers"), definition_metadata={"artiflow/alias": "golden"})
    )
    assert loaded == [4, 5]
    run = api.artifact(f"{PROJECT}/numbers:v0").logged_by()
    assert run is not None and run.state == "finished" and run.job_type == "dagster"

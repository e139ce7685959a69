"""Asset keys and partitions map to artifact names reversibly, and never onto each other."""

from __future__ import annotations

import subprocess
import sys

import pytest

from artiflow import names
from artiflow.adapters.dagster import artifact_name, parse_artifact_name, step_run_id

CASES: list[tuple[list[str], str | None]] = [
    (["raw"], None),
    (["ml", "raw"], None),
    (["ml__raw"], None),
    (["ml", "feat"], None),
    (["ml", "raw"], "2024-01-01"),
    (["ml", "raw"], "red|d1"),
    (["ml.raw"], None),
    (["ml", "raw.."], None),
    (["a-b"], "a/b:c d"),
    (["ml", ""], ".."),
    (["ümlaut"], "ü"),
    (["ml", "raw"], ""),
    (["2024"], "-2D"),
]


@pytest.mark.parametrize(("key", "partition"), CASES)
def test_names_are_valid_and_reversible(key: list[str], partition: str | None) -> None:
    name = artifact_name(key, partition)
    assert names.artifact_name(name) == name
    assert parse_artifact_name(name) == (key, partition)


def test_distinct_keys_and_partitions_never_share_a_name() -> None:
    made = [artifact_name(k, p) for k, p in CASES]
    assert len(set(made)) == len(made)
    assert artifact_name(["ml", "raw"]) == "ml.raw"
    assert artifact_name(["ml__raw"]) == "ml__raw"  # Dagster's own step name for ml/raw
    assert artifact_name(["ml"], "raw") != artifact_name(["ml", "raw"])


def test_overlong_names_are_cut_with_a_hash() -> None:
    long_a, long_b = ["x" * 200, "a"], ["x" * 200, "b"]
    a, b = artifact_name(long_a), artifact_name(long_b)
    assert len(a) == len(b) == 128
    assert a != b
    assert names.artifact_name(a) == a


def test_step_run_ids_are_stable_valid_and_distinct() -> None:
    run = "0f3b2c1a-aaaa-bbbb-cccc-123456789abc"
    a = step_run_id(run, "ml__raw")
    assert a == step_run_id(run, "ml__raw")
    assert a != step_run_id(run, "ml__feat")
    assert a != step_run_id("0f3b2c1a-aaaa-bbbb-cccc-000000000000", "ml__raw")  # same 8-char prefix
    odd = step_run_id(run, "fan_out[key:with/odd chars]" + "x" * 200)
    assert len(odd) <= 128 and odd.replace("-", "").replace("_", "").replace(".", "").isalnum()


def test_missing_dagster_names_the_extra() -> None:
    code = "import sys; sys.modules['dagster'] = None\nimport artiflow.adapters.dagster"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "MissingDependencyError" in proc.stderr
    assert "artiflow[dagster]" in proc.stderr

"""The lineage view of a real Prefect flow (examples/prefect_pipeline.py, run twice on the same data):
the second flow run's task runs re-log identical versions, and the view folds each pair into one node."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import artiflow
from artiflow.ui import create_app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prefect_pipeline.py"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ui-prefect")]


def test_two_identical_prefect_flow_runs_fold_into_counted_edges(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ARTIFLOW_")},
           "ARTIFLOW_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
    done = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=400)
    assert done.returncode == 0, done.stderr[-2000:]
    store = artiflow.Store.open(home=tmp_path / "home")
    try:
        client = TestClient(create_app(store))
        data = client.get("/api/lineage", params={"focus": "prefect-demo/sales-model:v0", "up": 6, "down": 0}).json()
        cards = sorted((n["sub"], n["count"]) for n in data["nodes"] if n["kind"] == "run")
        assert cards == [("clean · ×2 runs", 2), ("ingest · ×4 runs", 4), ("ingest-finish · ×2 runs", 2),
                         ("train · ×2 runs", 2)]
        assert sorted(n["label"] for n in data["nodes"] if n["kind"] == "artifact") == [
            "sales-clean:v0", "sales-model:v0", "sales-raw:v0",
        ]
        assert data["counts"]["runs"] == 10 and len(data["edges"]) == 6
        assert sorted(e["count"] for e in data["edges"]) == [2, 2, 2, 2, 2, 4]
        page = client.get("/p/prefect-demo/a/sales-model/v0").text
        assert "re-logged by 1 more run" in page
    finally:
        store.close()

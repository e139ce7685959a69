"""The UI's queries on every backend: the embedded default and PostgreSQL + S3."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import artiflow
from artiflow.ui import create_app

import seed

pytestmark = pytest.mark.xdist_group("ui-backends")


def test_pages_and_lineage_on_this_backend(store: artiflow.Store, tmp_path: Path) -> None:
    seed.prefect_like(store, tmp_path / "work", flow_runs=3)
    c = TestClient(create_app(store))
    assert re.search(r"model</a></td><td>model</td>\s*<td class=\"num\">2</td>", c.get("/p/flows").text)
    assert c.get("/p/flows?q=mo").text.count('class="collection"') == 1
    assert "v1" in c.get("/p/flows/a/model").text and "v0" in c.get("/p/flows/a/model?before=1").text
    page = c.get("/p/flows/a/model/production").text
    assert "re-logged by 1 more run" in page and "accuracy" in page and "model.json" in page
    runs = c.get("/p/flows/runs").text
    assert runs.count('class="run"') == 12
    first = c.get("/p/flows/runs", params={"before": _cursor(store)}).text
    assert first.count('class="run"') == 11  # keyset cursor on (created_at, id)
    data = c.get("/api/lineage", params={"focus": "flows/model:v0", "up": 5}).json()
    assert sorted(n["sub"] for n in data["nodes"] if n["kind"] == "run") == [
        "clean · ×2 runs", "ingest · ×2 runs", "train · ×2 runs",
    ]
    assert "0 added, 0 removed, 1 changed" in c.get("/p/flows/a/model/v1/diff").text


def _cursor(store: artiflow.Store) -> str:
    """The cursor of the newest run, as the runs page writes it."""
    from artiflow.ui import queries

    newest = queries.runs(store.metadata, "flows", limit=1)
    assert newest.next is not None
    return newest.next

"""A ``Table`` written by artiflow loads in the W&B SDK's own Table JSON reader (``wandb`` in the dev group, offline)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import artiflow
from artiflow import Api, Artifact


def test_table_written_by_artiflow_loads_in_the_wandb_sdk(wandb_sdk, store: artiflow.Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    table = artiflow.Table(columns=["id", "label", "score", "ok"], data=[[1, "cat", 0.5, True], [2, "dog", None, False]])
    table.add_data(3, "bird", 0.25, True)
    art = Artifact("preds", "dataset")
    art.add(table, "predictions")
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    root = Api(store=store).artifact("p/preds:latest").download(tmp_path / "out")
    with open(os.path.join(root, "predictions.table.json")) as f:
        obj = json.load(f)

    theirs = wandb_sdk.Table.from_json(obj, None)

    assert isinstance(theirs, wandb_sdk.Table)
    assert theirs.columns == ["id", "label", "score", "ok"]
    assert theirs.data == [[1, "cat", 0.5, True], [2, "dog", None, False], [3, "bird", 0.25, True]]
    assert list(theirs.get_column("label")) == ["cat", "dog", "bird"]

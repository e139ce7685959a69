"""W&B Artifact members: ttl (and gc expiring it), entity, url, history_step, use_as, json_encode,
expected_type, from_id, finalize, get_added_local_path_name; Run.path with an entity."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import artiflow
from artiflow import Api, Artifact
from artiflow.cli import app
from artiflow.gc import expire_versions


def draft(tmp_path: Path, text: str = "x") -> Artifact:
    f = tmp_path / f"{text}.txt"
    f.write_text(text)
    art = Artifact("d", "dataset", use_as="training")
    art.add_file(str(f))
    return art


def test_ttl_is_kept_and_gc_soft_deletes_expired_versions(store: artiflow.Store, tmp_path: Path) -> None:
    art = draft(tmp_path, "old")
    art.ttl = timedelta(days=1)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art, aliases=["best"])
        keep = run.log_artifact(draft(tmp_path, "new"))
    got = Api(store=store).artifact("p/d:v0")
    assert got.ttl == timedelta(days=1) and keep.ttl is None
    with pytest.raises(ValueError, match="positive timedelta"):
        got.ttl = timedelta(0)
    assert expire_versions(store, now=datetime.now(UTC)) == []
    later = datetime.now(UTC) + timedelta(days=2)
    assert expire_versions(store, dry_run=True, now=later) == ["p/d:v0"]
    assert Api(store=store).artifact("p/d:v0").state == "COMMITTED"
    assert expire_versions(store, dry_run=False, now=later) == ["p/d:v0"]
    with pytest.raises(artiflow.ArtifactNotFoundError):
        Api(store=store).artifact("p/d:best")
    assert Api(store=store).artifact("p/d:v1").state == "COMMITTED"

    keep.ttl = None  # a logged version's ttl changes on save()
    keep.ttl = timedelta(seconds=1)
    keep.save()
    assert Api(store=store).artifact("p/d:v1").ttl == timedelta(seconds=1)


def test_gc_cli_names_the_versions_it_expires(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = artiflow.Store.open(home=home)
    art = draft(tmp_path)
    art.ttl = timedelta(seconds=1)
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    store.close()
    time.sleep(1.2)
    result = CliRunner().invoke(app, ["--home", str(home), "gc", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["expired"] == ["p/d:v0"]
    store = artiflow.Store.open(home=home)
    assert Api(store=store).artifacts("dataset", "p/d") == []
    store.close()


def test_entity_url_history_step_and_json_encode(store: artiflow.Store, tmp_path: Path) -> None:
    with artiflow.init(project="p", entity="team", store=store) as run:
        run.log({"loss": 1.0})
        run.log({"loss": 0.5})
        art = run.log_artifact(draft(tmp_path))
    assert run.path == f"team/p/{run.id}"
    assert Api(store=store).run(run.path).id == run.id
    assert art.entity == "team"
    assert art.url.startswith("file://")
    assert art.history_step == 1
    assert art.use_as == "training"
    assert art.json_encode() == {"_type": "artifactVersion", "_version": "v0", "id": art.id, "version": "v0",
                                 "sequenceName": "d", "usedAs": "training"}
    assert Artifact.expected_type(store, "d", None, "p") == "dataset"
    assert Artifact.expected_type(store, "nope", None, "p") is None
    assert Artifact.from_id(art.id, store).qualified_name == "p/d:v0"


def test_finalize_and_get_added_local_path_name(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("a")
    art = Artifact("d", "dataset")
    art.add_file(str(f), name="data/a.txt")
    assert art.get_added_local_path_name(str(f)) == "data/a.txt"
    assert art.get_added_local_path_name(str(tmp_path / "other")) is None
    art.finalize()
    with pytest.raises(artiflow.ArtifactFinalizedError):
        art.add_file(str(f), name="b.txt")

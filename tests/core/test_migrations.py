"""The metadata schema is versioned: old stores are upgraded in place, newer ones refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import artiflow
from artiflow.metadata.migrate import HEAD


def _log_one(store: artiflow.Store, make_tree) -> str:  # type: ignore[no-untyped-def]
    with artiflow.init(project="p", store=store) as run:
        art = artiflow.Artifact("d", "dataset")
        art.add_dir(make_tree({"a.txt": "hello\n"}))
        run.log_artifact(art)
    return art.digest


def test_new_store_is_stamped_at_head(tmp_path: Path) -> None:
    artiflow.Store.open(home=tmp_path / "h").close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    assert db.execute("select version_num from alembic_version").fetchall() == [(HEAD,)]


def test_store_from_before_migrations_is_upgraded_and_keeps_its_data(tmp_path: Path, make_tree) -> None:  # type: ignore[no-untyped-def]
    store = artiflow.Store.open(home=tmp_path / "h")
    digest = _log_one(store, make_tree)
    store.close()
    # Turn it back into the first released layout: no alembic_version, no collaborative versions, an info table.
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    db.executescript(
        "DROP TABLE alembic_version; DROP TABLE collab_parts; DROP TABLE collab_versions;"
        "CREATE TABLE artiflow_info (key VARCHAR(64) PRIMARY KEY, value VARCHAR(256) NOT NULL);"
        "INSERT INTO artiflow_info VALUES ('schema_version', '1');"
    )
    db.commit()
    db.close()

    store = artiflow.Store.open(home=tmp_path / "h")
    assert artiflow.Api(store=store).artifact("p/d:v0").digest == digest
    with artiflow.init(project="p", group="g", store=store) as run:  # the new tables work
        part = artiflow.Artifact("shards", "dataset")
        part.add_dir(make_tree({"x.txt": "x\n"}))
        run.upsert_artifact(part)
        assert run.finish_artifact(artiflow.Artifact("shards", "dataset")).version == "v0"
    store.close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    assert db.execute("select version_num from alembic_version").fetchall() == [(HEAD,)]
    tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
    assert "artiflow_info" not in tables and "collab_versions" in tables


def test_store_from_a_newer_artiflow_is_refused(tmp_path: Path) -> None:
    artiflow.Store.open(home=tmp_path / "h").close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    db.execute("update alembic_version set version_num='9999'")
    db.commit()
    db.close()
    with pytest.raises(artiflow.StoreError, match="newer than this artiflow"):
        artiflow.Store.open(home=tmp_path / "h")

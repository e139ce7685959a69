"""The metadata schema is versioned: old stores are upgraded in place, newer ones refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import artiflow
from artiflow.gc import collect_garbage
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


def test_store_from_before_lineage_keys_is_numbered_and_walks_the_same(tmp_path: Path, make_tree) -> None:  # type: ignore[no-untyped-def]
    store = artiflow.Store.open(home=tmp_path / "h")
    _log_one(store, make_tree)
    with artiflow.init(project="p", id="train", store=store) as run:
        run.use_artifact("p/d:v0")
        model = artiflow.Artifact("m", "model")
        model.add_dir(make_tree({"w.bin": "w\n"}))
        run.log_artifact(model)
    store.close()
    # Back to revision 0004: no integer node keys, nor their indexes.
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    db.executescript(
        "DROP INDEX ix_edges_version_flow; DROP INDEX ix_edges_run_flow; DROP INDEX ix_versions_lineage;"
        "DROP INDEX ix_runs_lineage; ALTER TABLE edges DROP COLUMN version_key; ALTER TABLE edges DROP COLUMN run_key;"
        "ALTER TABLE versions DROP COLUMN key; ALTER TABLE runs DROP COLUMN key;"
        "UPDATE alembic_version SET version_num = '0004';"
    )
    db.commit()
    db.close()

    store = artiflow.Store.open(home=tmp_path / "h")
    try:
        up = artiflow.lineage.upstream(store.lineage(), "p/m:v0")
        assert up.runs[0] == "p/train" and up.artifacts == ["p/d:v0"]
        with artiflow.init(project="p", id="eval", store=store) as run:  # new records get keys too
            run.use_artifact("p/m:v0")
        assert artiflow.lineage.downstream(store.lineage(), "p/d:v0").runs[-1] == "p/eval"
    finally:
        store.close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    assert db.execute("select count(*) from edges where version_key is null or run_key is null").fetchone() == (0,)
    assert [r[0] for r in db.execute("select key from runs order by key")] == [1, 2, 3]


def test_store_at_revision_0005_gains_the_run_fields_and_keeps_its_runs(tmp_path: Path, make_tree) -> None:  # type: ignore[no-untyped-def]
    store = artiflow.Store.open(home=tmp_path / "h")
    _log_one(store, make_tree)
    store.close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")  # back to 0005's runs table
    db.executescript(
        "DROP TABLE run_history;"
        + "".join(f"ALTER TABLE runs DROP COLUMN {c};" for c in ("entity", "tags", "notes", "summary", "host", "pid", "heartbeat_at"))
        + "UPDATE alembic_version SET version_num='0005';"
    )
    db.commit()
    db.close()

    store = artiflow.Store.open(home=tmp_path / "h")
    (old,) = artiflow.Api(store=store).runs("p")
    assert old.state == "finished" and old.tags == () and old.entity is None
    with artiflow.init(project="p", entity="team", tags=["a"], store=store) as run:
        run.log({"loss": 0.5})
    again = artiflow.Api(store=store).run(run.path)
    assert (again.entity, again.tags, again.summary) == ("team", ("a",), {"loss": 0.5})
    store.close()


def test_store_at_revision_0006_gains_the_part_aliases(tmp_path: Path, make_tree) -> None:  # type: ignore[no-untyped-def]
    store = artiflow.Store.open(home=tmp_path / "h")
    _log_one(store, make_tree)
    store.close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")  # back to 0006's collab_parts table
    db.executescript("ALTER TABLE collab_parts DROP COLUMN aliases; UPDATE alembic_version SET version_num='0006';")
    db.commit()
    db.close()

    store = artiflow.Store.open(home=tmp_path / "h")
    run = artiflow.init(project="p", group="g", store=store)
    draft = artiflow.Artifact("parts", "dataset")
    draft.add_file(str(make_tree({"x.txt": "x"}) / "x.txt"))
    run.upsert_artifact(draft, aliases=["kept"])
    final = run.finish_artifact(artiflow.Artifact("parts", "dataset"))
    run.finish()
    assert "kept" in final.aliases
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    assert db.execute("select version_num from alembic_version").fetchall() == [(HEAD,)]
    store.close()


def test_store_at_revision_0007_gains_registry_links(tmp_path: Path, make_tree) -> None:  # type: ignore[no-untyped-def]
    store = artiflow.Store.open(home=tmp_path / "h")
    _log_one(store, make_tree)
    store.close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    db.executescript("DROP TABLE links; UPDATE alembic_version SET version_num='0007';")
    db.commit()
    db.close()

    store = artiflow.Store.open(home=tmp_path / "h")
    api = artiflow.Api(store=store)
    api.artifact("p/d:v0").link("reg/d", aliases=["prod"])
    assert api.artifact("reg/d:prod").source_qualified_name == "p/d:v0"
    store.close()


def test_store_at_revision_0009_gains_blob_leases(tmp_path: Path, make_tree) -> None:  # type: ignore[no-untyped-def]
    store = artiflow.Store.open(home=tmp_path / "h")
    _log_one(store, make_tree)
    store.close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    db.executescript("DROP TABLE blob_leases; UPDATE alembic_version SET version_num='0009';")
    db.commit()
    db.close()

    store = artiflow.Store.open(home=tmp_path / "h")
    art = artiflow.Api(store=store).artifact("p/d:v0")
    with artiflow.init(project="p", store=store) as run:  # a log leases its blobs, its commit drops them
        run.log_artifact(art.new_draft())
    assert collect_garbage(store, dry_run=True).leased == []
    store.close()
    db = sqlite3.connect(tmp_path / "h" / "artiflow.db")
    assert db.execute("select version_num from alembic_version").fetchall() == [(HEAD,)]
    assert db.execute("select count(*) from blob_leases where key != '#commit'").fetchone() == (0,)

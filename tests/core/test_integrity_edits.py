"""Edits and concurrency: alias/tag/metadata edits are deltas, races never lose them, bad input is refused.

Each scenario runs on both backends (SQLite + local disk, PostgreSQL + S3) through the ``store`` and
``backend`` fixtures; the races use real processes.
"""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

import artiflow
from artiflow import Api, Artifact, EntryConflictError, InvalidNameError, Store, download, names
from artiflow.metadata import schema

from typing import Any

Backend = Any  # the conftest `backend` fixture (name, env)

Log = Callable[..., Artifact]


def _env(backend: Backend) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFLOW_")}
    env.update(backend.env)
    return env


def _version(store: Store, ref: str) -> Artifact:
    return Api(store=store).artifact(ref)


# -- 4. edits are deltas ------------------------------------------------------------------------


def test_saving_a_stale_version_keeps_latest_on_the_newest(store: Store, log: Log) -> None:
    v0 = log(store, "cats", {"a.txt": "0"})
    log(store, "cats", {"a.txt": "1"})  # another writer logs v1 meanwhile
    v0.aliases.append("best")
    v0.save()
    assert _version(store, "p/cats:latest").version == "v1"
    assert _version(store, "p/cats:best").version == "v0"
    assert sorted(v0.aliases) == ["best"]  # the saved object now reads what the store holds


def test_a_stale_save_keeps_the_aliases_and_tags_others_added(store: Store, log: Log) -> None:
    log(store, "cats", {"a.txt": "0"})
    mine = _version(store, "p/cats:v0")
    theirs = _version(store, "p/cats:v0")
    theirs.aliases.append("prod")
    theirs.tags.append("theirs")
    theirs.metadata["acc"] = 0.9
    theirs.save()
    mine.aliases.append("best")
    mine.tags = [*mine.tags, "mine"]
    mine.metadata["loss"] = 0.1
    mine.save()
    now = _version(store, "p/cats:v0")
    assert sorted(now.aliases) == ["best", "latest", "prod"]
    assert sorted(now.tags) == ["mine", "theirs"]
    assert now.metadata == {"acc": 0.9, "loss": 0.1}


def test_removing_an_alias_removes_only_that_alias(store: Store, log: Log) -> None:
    log(store, "cats", {"a.txt": "0"}, aliases=["best", "old"])
    mine = _version(store, "p/cats:v0")
    other = _version(store, "p/cats:v0")
    other.aliases.append("prod")
    other.save()
    mine.aliases.remove("old")
    mine.save()
    assert sorted(_version(store, "p/cats:v0").aliases) == ["best", "latest", "prod"]


def test_an_alias_another_process_moved_away_is_not_pulled_back(store: Store, log: Log) -> None:
    log(store, "cats", {"a.txt": "0"}, aliases=["best"])
    stale = _version(store, "p/cats:v0")
    v1 = log(store, "cats", {"a.txt": "1"})
    v1.aliases.append("best")
    v1.save()
    stale.description = "the first one"
    stale.save()
    assert _version(store, "p/cats:best").version == "v1"
    assert _version(store, "p/cats:v0").description == "the first one"


def test_latest_cannot_be_added_or_dropped_by_save(store: Store, log: Log) -> None:
    log(store, "cats", {"a.txt": "0"})
    log(store, "cats", {"a.txt": "1"})
    v0 = _version(store, "p/cats:v0")
    v0.aliases.append("latest")
    with pytest.raises(artiflow.ArtiflowError, match="latest"):
        v0.save()
    v1 = _version(store, "p/cats:v1")
    v1.aliases = ["prod"]  # replacing the list keeps `latest`: it moves only by logging
    v1.save()
    assert sorted(_version(store, "p/cats:latest").aliases) == ["latest", "prod"]


def test_use_artifact_with_aliases_on_a_stale_object_keeps_latest(store: Store, log: Log) -> None:
    v0 = log(store, "cats", {"a.txt": "0"})
    log(store, "cats", {"a.txt": "1"})
    with artiflow.init(project="p", store=store) as run:
        run.use_artifact(v0, aliases=["used"])
    assert _version(store, "p/cats:latest").version == "v1"
    assert _version(store, "p/cats:used").version == "v0"
    with artiflow.init(project="p", store=store) as run, pytest.raises(artiflow.ArtiflowError, match="latest"):
        run.use_artifact(v0, aliases=["latest"])


def test_aliases_shaped_like_digests_are_refused_and_a_digest_pin_wins(store: Store, log: Log) -> None:
    v0 = log(store, "cats", {"a.txt": "0"})
    v1 = log(store, "cats", {"a.txt": "1"})
    with pytest.raises(InvalidNameError, match="digest"):
        v1.aliases.append(v0.digest)
        v1.save()
    with pytest.raises(InvalidNameError, match="digest"):
        log(store, "cats", {"a.txt": "2"}, aliases=["0123456789abcdef0123456789ABCDEF"])
    # An alias row shaped like a digest (written before this rule) never shadows the pin.
    with store.metadata.engine.begin() as conn:
        coll_id = conn.execute(sa.select(schema.collections.c.id)).scalar_one()
        conn.execute(sa.insert(schema.aliases).values(collection_id=coll_id, alias=v0.digest, version_id=v1.id))
    assert _version(store, f"p/cats:{v0.digest}").version == "v0"


EDITOR = r"""
import sys, time, artiflow
who, n = sys.argv[1], int(sys.argv[2])
store = artiflow.Store.open()
api = artiflow.Api(store=store)
for i in range(n):
    art = api.artifact("p/cats:v0")
    time.sleep(0.02)  # the other editor saves meanwhile: this object is stale when saved
    art.tags = [*art.tags, f"{who}-{i}"]
    art.metadata[f"{who}-{i}"] = i
    art.aliases.append(f"{who}-{i}")
    art.save()
store.close()
"""


@pytest.mark.slow
def test_two_processes_editing_one_version_both_keep_their_edits(
    store: Store, log: Log, backend: Backend
) -> None:
    log(store, "cats", {"a.txt": "0"})
    n = 8
    procs = [
        subprocess.Popen([sys.executable, "-c", EDITOR, who, str(n)], env=_env(backend),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for who in ("a", "b")
    ]
    for p in procs:
        _out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    v0 = _version(store, "p/cats:v0")
    want = sorted(f"{who}-{i}" for who in "ab" for i in range(n))
    assert sorted(v0.tags) == want
    assert sorted(v0.metadata) == want
    assert sorted(v0.aliases) == sorted([*want, "latest"])


LOGGER = r"""
import os, sys, artiflow
work, n = sys.argv[1], int(sys.argv[2])
store = artiflow.Store.open()
with artiflow.init(project="p", store=store) as run:
    for i in range(n):
        path = os.path.join(work, f"v{i}.txt")
        with open(path, "w") as f:
            f.write(f"version {i}\n")
        art = artiflow.Artifact("model", "model")
        art.add_file(path, name="model.txt")
        run.log_artifact(art)
open(os.path.join(work, "logger-done"), "w").close()
store.close()
"""

PROMOTER = r"""
import os, sys, artiflow
work, who = sys.argv[1], sys.argv[2]
store = artiflow.Store.open()
api = artiflow.Api(store=store)
done = os.path.join(work, "logger-done")
while True:
    finished = os.path.exists(done)
    try:
        art = api.artifact("p/model:latest")
    except artiflow.ArtifactNotFoundError:
        continue
    art.aliases.append(f"best-{who}")   # the README's promotion idiom, on an object that goes stale
    art.save()
    if finished:
        break
store.close()
"""


@pytest.mark.slow
def test_promotion_loop_ends_with_latest_on_the_newest_version(
    store: Store, backend: Backend, tmp_path: Path
) -> None:
    n = 25
    env = _env(backend)
    procs = [subprocess.Popen([sys.executable, "-c", LOGGER, str(tmp_path), str(n)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    procs += [
        subprocess.Popen([sys.executable, "-c", PROMOTER, str(tmp_path), who], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for who in ("x", "y")
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    versions = Api(store=store).artifacts("model", "p/model")
    assert len(versions) == n
    assert [v.version for v in versions if "latest" in v.aliases] == [f"v{n - 1}"]
    assert _version(store, "p/model:latest").version == f"v{n - 1}"


# -- 5. PostgreSQL races --------------------------------------------------------------------------

def test_a_dedup_relog_racing_delete_never_leaves_latest_on_a_deleted_version(
    store: Store, log: Log, backend: Backend
) -> None:
    """The interleaving that lost it on PostgreSQL: the re-log has seen the version alive and waits to
    move `latest` onto it while `delete()` runs; both then finish. (SQLite serializes whole writes.)"""
    if not backend.remote:
        pytest.skip("PostgreSQL row locks")
    v = log(store, "cats", {"a.txt": "same"})
    blocker = store.metadata.engine.connect()
    tx = blocker.begin()
    blocker.execute(sa.select(schema.aliases).where(schema.aliases.c.alias == "latest").with_for_update()).all()
    errors: list[BaseException] = []

    def run(fn: Callable[[], object]) -> threading.Thread:
        def body() -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        t = threading.Thread(target=body)
        t.start()
        return t

    relog = run(lambda: log(store, "cats", {"a.txt": "same"}))  # a dedup hit on v
    time.sleep(1.0)  # it now waits on the `latest` row, having seen v alive
    delete = run(v.delete)
    time.sleep(1.0)
    tx.rollback()
    blocker.close()
    relog.join(60)
    delete.join(60)
    assert errors == []
    holders = [r for r in store.metadata.list_versions("p", "cats", include_deleted=True) if "latest" in r.aliases]
    assert all(r.state == "COMMITTED" for r in holders), holders


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # the killed sessions' sockets, collected below
def test_a_dropped_connection_is_retried(store: Store, log: Log, backend: Backend) -> None:
    if not backend.remote:
        pytest.skip("PostgreSQL connection loss")
    log(store, "cats", {"a.txt": "0"})
    engine = store.metadata.engine
    with engine.connect() as conn:  # kill every pooled session, as a server restart would
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))
    v0 = _version(store, "p/cats:v0")
    v0.aliases.append("after-restart")
    v0.save()
    assert "after-restart" in _version(store, "p/cats:v0").aliases
    # Collect the terminated connections here, not in whichever test happens to run next.
    engine.dispose()
    gc.collect()


# -- 8. the database and manifests are re-validated before touching the filesystem --------------


def test_a_collection_name_edited_to_escape_cannot_write_or_delete_outside(
    store: Store, log: Log, tmp_path: Path
) -> None:
    v = log(store, "cats", {"a.txt": "0"})
    with store.metadata.engine.begin() as conn:
        conn.execute(sa.update(schema.collections).values(name="../.."))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    with pytest.raises(InvalidNameError, match=r"\.\./\.\."):
        Artifact.from_record(store, store.metadata.get_version(v.id))  # every lookup goes through it
    run = v.logged_by()
    assert run is not None
    with pytest.raises(InvalidNameError):
        run.logged_artifacts()
    for dirname in ("../..", "../..:v0", "cats/../../..:v0"):
        with pytest.raises(InvalidNameError):
            download.default_root(store, dirname)
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["victim.txt"]


# -- 9. bad input is refused up front ---------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {1: "x"},
        {"x": math.nan},
        {"x": {"y": math.inf}},
        {"x": "a\x00b"},
        {"x\x00": 1},
        {"x": "\ud800"},
        {"x": object()},
        {1: "a", "1": "b"},
        {"x": [1, {2: 3}]},
    ],
)
def test_metadata_that_is_not_json_is_refused_when_set(store: Store, bad: dict[object, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        Artifact("cats", "dataset", metadata=bad)  # type: ignore[arg-type]
    art = Artifact("cats", "dataset")
    with pytest.raises((TypeError, ValueError)):
        art.metadata = bad  # type: ignore[assignment]


def test_metadata_edited_in_place_is_checked_before_any_upload(store: Store, tmp_path: Path) -> None:
    art = Artifact("cats", "dataset")
    (tmp_path / "a.txt").write_text("a")
    art.add_file(str(tmp_path / "a.txt"))
    art.metadata["bad"] = math.nan
    with artiflow.init(project="p", store=store) as run, pytest.raises(ValueError, match="bad"):
        run.log_artifact(art)
    assert list(store.blobs.keys()) == []
    assert store.metadata.list_collections("p") == []


def test_metadata_round_trips_the_same_on_both_backends(store: Store, log: Log) -> None:
    meta = {"acc": 0.5, "nested": {"list": [1, 2.5, "x", None, True]}, "ünï": "✓"}
    art = Artifact("cats", "dataset", metadata=meta)
    v = log(store, art, {"a.txt": "0"})
    assert _version(store, "p/cats:v0").metadata == meta
    v.metadata["bad"] = math.inf
    with pytest.raises(ValueError, match="bad"):
        v.save()
    assert _version(store, "p/cats:v0").metadata == meta


@pytest.mark.parametrize("bad", ["be\nst", "tab\there", "nul\x00", "del\x7f", "esc\x1b[31m"])
def test_names_and_aliases_refuse_control_characters(store: Store, log: Log, bad: str) -> None:
    with pytest.raises(InvalidNameError):
        names.artifact_type(f"type{bad}")
    v = log(store, "cats", {"a.txt": "0"})
    v.aliases.append(bad)
    with pytest.raises(InvalidNameError):
        v.save()
    with pytest.raises(InvalidNameError):
        artiflow.init(project=f"p{bad}", store=store)
    assert _version(store, "p/cats:v0").aliases == ["latest"]


def test_entry_paths_refuse_long_components_and_file_directory_clashes(tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    art = Artifact("cats", "dataset")
    with pytest.raises(InvalidNameError, match="255"):
        art.add_file(str(f), name="d/" + "é" * 128)  # 256 bytes in UTF-8
    art.add_file(str(f), name="a/b.txt")
    with pytest.raises(EntryConflictError, match="directory"):
        art.add_file(str(f), name="a")
    with pytest.raises(EntryConflictError, match="a file at 'a/b.txt'"):
        art.add_file(str(f), name="a/b.txt/c")
    with pytest.raises(EntryConflictError), art.new_file("a", mode="w") as out:
        out.write("never added")
    with pytest.raises(EntryConflictError):
        art.add({"x": 1}, name="a/b.txt/obj")
    art.remove("a")
    art.add_file(str(f), name="a")  # the directory is gone: a file may take its place
    assert sorted(e.path for e in art.manifest) == ["a"]


def test_add_dir_follows_links_inside_the_tree_and_refuses_others(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "real.txt").write_text("real")
    (tree / "inside.txt").symlink_to(tree / "sub" / "real.txt")
    art = Artifact("cats", "dataset")
    art.add_dir(str(tree))
    assert sorted(e.path for e in art.manifest) == ["inside.txt", "sub/real.txt"]

    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (tree / "leaves.txt").symlink_to(outside)
    with pytest.raises(ValueError, match="leaves.txt"):
        Artifact("cats", "dataset").add_dir(str(tree))
    art = Artifact("cats", "dataset")
    art.add_dir(str(tree), follow_symlinks=True)
    assert "leaves.txt" in {e.path for e in art.manifest}
    art = Artifact("cats", "dataset")
    art.add_dir(str(tree), follow_symlinks=False)
    assert "leaves.txt" not in {e.path for e in art.manifest}
    (tree / "leaves.txt").unlink()
    (tree / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    with pytest.raises(ValueError, match="dangling.txt"):
        Artifact("cats", "dataset").add_dir(str(tree), follow_symlinks=True)

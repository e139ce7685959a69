"""Draft → logged → edited → new draft → deleted, and the W&B digest examples end to end."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

import artiflow
from artiflow import (
    Artifact,
    ArtifactFinalizedError,
    ArtifactNotFoundError,
    ArtifactNotLoggedError,
    ArtiflowError,
    InvalidNameError,
    Manifest,
    ManifestEntry,
)
from artiflow.blobs import blob_key
from artiflow.references import reference_entries

Log = Callable[..., Artifact]  # the ``log`` fixture

HELLO = "sZRqySSS0jR8YjW00mERhA=="
WORLD = "WReFt5RgHiErJg4lklY2/Q=="
EMPTY = "1B2M2Y8AsgTpgAmY7PhCfg=="


def api(store) -> artiflow.Api:
    return artiflow.Api(store=store)


@pytest.fixture
def fresh_api(store):
    """An Api on a second Store object over the same home: nothing is shared in memory."""
    opened: list[artiflow.Store] = []

    def make() -> artiflow.Api:
        other = artiflow.Store.open(home=Path(store.settings.home))
        opened.append(other)
        return artiflow.Api(store=other)

    yield make
    for s in opened:
        s.close()


def draft_with(make_tree, files: dict[str, str | bytes], name: str = "d") -> Artifact:
    art = Artifact(name, "dataset")
    art.add_dir(make_tree(files))
    return art


# -- drafts ------------------------------------------------------------------------------------

READ_SIDE = [
    "id", "version", "source_version", "project", "qualified_name", "digest", "size", "file_count",
    "created_at", "updated_at", "commit_hash",
]


@pytest.mark.parametrize("attr", READ_SIDE)
def test_draft_read_side_attributes_raise(attr: str, make_tree) -> None:
    art = draft_with(make_tree, {"a.txt": "hello\n"})
    with pytest.raises(ArtifactNotLoggedError, match=f"Artifact.{attr}"):
        getattr(art, attr)
    with pytest.raises(AttributeError):  # hasattr() and getattr(default) keep working
        getattr(art, attr)
    assert getattr(art, attr, "fallback") == "fallback"


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.download("out"),
        lambda a: a.checkout("out"),
        lambda a: a.verify("out"),
        lambda a: a.file("out"),
        lambda a: a.wait(),
        lambda a: a.delete(),
        lambda a: a.new_draft(),
        lambda a: a.logged_by(),
        lambda a: a.used_by(),
        lambda a: a.get_entry("a.txt").download("out"),
    ],
    ids=["download", "checkout", "verify", "file", "wait", "delete", "new_draft", "logged_by", "used_by", "entry"],
)
def test_draft_read_side_methods_raise(call, make_tree, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    art = draft_with(make_tree, {"a.txt": "hello\n"})
    with pytest.raises(ArtifactNotLoggedError):
        call(art)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]  # nothing written or deleted


def test_draft_identity(make_tree) -> None:
    art = Artifact("d", "dataset", description="desc", metadata={"k": 1})
    assert art.is_draft()
    assert art.state == "PENDING"
    assert (art.name, art.collection_name, art.type) == ("d", "d", "dataset")
    assert (art.description, art.metadata, art.aliases, art.tags) == ("desc", {"k": 1}, [], [])
    assert "draft" in repr(art)


# -- logged: identity and contents -------------------------------------------------------------


def test_logged_attributes(store, make_tree) -> None:
    art = draft_with(make_tree, {"a.txt": "hello\n", "b.txt": "world\n", "sub/empty.bin": b""})
    with artiflow.init(project="proj", store=store) as run:
        out = run.log_artifact(art, aliases=["best"], tags=["raw"])
    assert out is art
    assert not art.is_draft()
    assert art.state == "COMMITTED"
    assert (art.name, art.collection_name, art.version, art.source_version) == ("d:v0", "d", "v0", "v0")
    assert (art.project, art.qualified_name) == ("proj", "proj/d:v0")
    assert art.aliases == ["best", "latest"]
    assert art.tags == ["raw"]
    assert (art.size, art.file_count) == (12, 3)
    assert isinstance(art.created_at, datetime) and art.updated_at >= art.created_at
    assert re.fullmatch(r"[0-9a-f]{12}", art.commit_hash)
    assert re.fullmatch(r"[0-9a-f]{32}", art.digest)
    assert art.logged_by() == run
    got = api(store).artifact("proj/d:best")
    assert got == art and got.id == art.id
    assert api(store).artifact(f"proj/d:{art.digest}") == art


def test_size_and_file_count_include_references(store, make_tree, log: Log) -> None:
    data = make_tree({"a.txt": "hello\n", "ext/big.txt": "x" * 100})
    art = Artifact("d", "dataset")
    art.add_file(data / "a.txt")
    art.add_reference((data / "ext" / "big.txt").resolve().as_uri())
    log(store, art)
    assert (art.size, art.file_count) == (106, 2)


def test_single_file_digest_example(store, make_tree, log: Log) -> None:
    art = draft_with(make_tree, {"a.txt": "hello\n"})
    log(store, art)
    assert art.digest == "df2baf4982f9ccdd99de4a5a8b016e45"
    assert art.manifest.to_dict() == {
        "contents": {"a.txt": {"digest": HELLO, "size": 6}},
        "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2"},
        "version": 1,
    }


WORKED_EXAMPLE = {
    "contents": {
        "a.txt": {"digest": HELLO, "size": 6},
        "b.txt": {"digest": WORLD, "size": 6},
        "ext/x.csv": {"digest": "https://example.com/x.csv", "ref": "https://example.com/x.csv"},
        "sub/empty.bin": {"digest": EMPTY, "size": 0},
    },
    "storagePolicy": "wandb-storage-policy-v1",
    "storagePolicyConfig": {"storageLayout": "V2"},
    "version": 1,
}


@pytest.mark.local_only
def test_worked_example_with_an_unchecksummed_https_reference(store, make_tree, fresh_api, log: Log) -> None:
    # add_dir("data") as W&B would, plus an https reference (checksum=False: digest = the URI).
    art = draft_with(make_tree, {"a.txt": "hello\n", "b.txt": "world\n", "sub/empty.bin": b""})
    log(store, art)
    ref = ManifestEntry(path="ext/x.csv", digest="https://example.com/x.csv", ref="https://example.com/x.csv")
    assert reference_entries("https://example.com/x.csv", "ext/x.csv", checksum=False) == [ref]
    manifest = Manifest.from_entries([*art.manifest, ref])
    assert manifest.digest() == "74ee1c90ad2b8ee37dde04abe881c669"
    assert manifest.to_dict() == WORKED_EXAMPLE
    with artiflow.init(project="p", store=store) as run:
        res = store.commit(
            project="p", name="worked", type_="dataset", manifest=manifest, run_id=run.id,
            description=None, metadata={}, aliases=[], tags=[],
        )
    stored = json.loads((Path(store.settings.storage) / blob_key(res.version.manifest_digest)).read_bytes())
    assert stored == WORKED_EXAMPLE
    got = fresh_api().artifact("p/worked:latest")
    assert got.digest == "74ee1c90ad2b8ee37dde04abe881c669"
    assert (got.size, got.file_count) == (12, 4)
    assert got.get_entry("ext/x.csv").ref_target() == "https://example.com/x.csv"
    # The stored files download as usual (fetching the https reference would need the network;
    # test_references_remote.py fetches them from a loopback server).
    out = Path(got.download("part", path_prefix="sub/"))
    assert (out / "sub" / "empty.bin").read_bytes() == b""


# -- logged: contents are frozen ---------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda a, f: a.add_file(f),
        lambda a, f: a.add_dir(f.parent),
        lambda a, f: a.add_reference(f.resolve().as_uri()),
        lambda a, f: a.add({"x": 1}, "x"),
        lambda a, f: a.__setitem__("x", {"x": 1}),
        lambda a, f: a.remove("a.txt"),
        lambda a, f: a.new_file("n.txt").__enter__(),
    ],
    ids=["add_file", "add_dir", "add_reference", "add", "setitem", "remove", "new_file"],
)
def test_logged_contents_are_frozen(call, store, make_tree, log: Log) -> None:
    data = make_tree({"a.txt": "hello\n"})
    art = Artifact("d", "dataset")
    art.add_file(data / "a.txt")
    log(store, art)
    other = make_tree({"other.txt": "world\n"}) / "other.txt"
    with pytest.raises(ArtifactFinalizedError, match="new_draft"):
        call(art, other)
    assert [e.path for e in art.files()] == ["a.txt"]
    assert api(store).artifact("p/d:latest").file_count == 1


# -- editing a logged version ------------------------------------------------------------------


def test_edits_persist_with_save(store, make_tree, fresh_api, log: Log) -> None:
    art = draft_with(make_tree, {"a.txt": "hello\n"})
    log(store, art, aliases=["raw"])
    art.description = "cleaned"
    art.metadata["rows"] = 3
    art.aliases.append("best")
    art.aliases.remove("raw")
    art.tags = ["gold", "v2 ready"]
    assert art.save() is art
    got = fresh_api().artifact("p/d:v0")
    assert got.description == "cleaned"
    assert got.metadata == {"rows": 3}
    assert sorted(got.aliases) == ["best", "latest"]
    assert sorted(got.tags) == ["gold", "v2 ready"]
    assert got.updated_at >= got.created_at
    with pytest.raises(ArtifactNotFoundError):
        fresh_api().artifact("p/d:raw")
    # Replacing everything works too.
    art.metadata = {"new": True}
    art.aliases = ["only"]
    art.save()
    again = fresh_api().artifact("p/d:only")
    assert again.metadata == {"new": True}
    assert again.aliases == ["latest", "only"]  # `latest` moves only by logging, never by save()


def test_save_moves_an_alias_between_versions(store, make_tree, log: Log) -> None:
    v0 = log(store, draft_with(make_tree, {"a.txt": "one"}), aliases=["prod"])
    v1 = log(store, draft_with(make_tree, {"a.txt": "two"}))
    v1.aliases.append("prod")
    v1.save()
    assert api(store).artifact("p/d:prod").version == "v1"
    assert "prod" not in v0.wait().aliases


def test_version_aliases_are_rejected(store, make_tree, log: Log) -> None:
    art = draft_with(make_tree, {"a.txt": "hello\n"})
    with pytest.raises(InvalidNameError, match="reserved"):
        log(store, art, aliases=["v1"])
    assert not api(store).artifact_exists("p/d")
    assert art.is_draft()
    art.aliases = ["v0"]
    with pytest.raises(InvalidNameError):
        log(store, art)
    art.aliases = []
    log(store, art)
    art.aliases = [*art.aliases, "v7"]
    with pytest.raises(InvalidNameError):
        art.save()
    assert api(store).artifact("p/d:v0").aliases == ["latest"]
    with pytest.raises(ArtifactNotFoundError):
        api(store).artifact("p/d:v7")


def test_draft_aliases_are_applied_when_logged(store, make_tree, log: Log) -> None:
    art = draft_with(make_tree, {"a.txt": "hello\n"})
    art.aliases = ["candidate"]
    art.tags = ["t1"]
    log(store, art, aliases=["best"], tags=["t2"])
    assert art.aliases == ["best", "candidate", "latest"]
    assert sorted(api(store).artifact("p/d:candidate").tags) == ["t1", "t2"]


def test_save_logs_a_draft_through_an_auto_run(store, make_tree) -> None:
    art = draft_with(make_tree, {"a.txt": "hello\n"})
    art.save(project="auto-proj", store=store)
    assert art.qualified_name == "auto-proj/d:v0"
    run = art.logged_by()
    assert run is not None and run.job_type == "auto" and run.state == "finished"


def test_wait_refreshes_from_the_store(store, make_tree, log: Log) -> None:
    art = log(store, draft_with(make_tree, {"a.txt": "hello\n"}))
    other = api(store).artifact("p/d:v0")
    other.description = "from elsewhere"
    other.save()
    assert art.description is None
    assert art.wait() is art
    assert art.description == "from elsewhere"


# -- new_draft ---------------------------------------------------------------------------------


def test_new_draft_inherits_and_produces_the_next_version(store, make_tree, tmp_path: Path, log: Log) -> None:
    v0 = draft_with(make_tree, {"a.txt": "hello\n", "b.txt": "world\n"})
    v0.description = "base"
    v0.metadata = {"k": 1}
    log(store, v0)
    draft = v0.new_draft()
    assert draft.is_draft() and draft.state == "PENDING"
    assert (draft.name, draft.type, draft.description, draft.metadata) == ("d", "dataset", "base", {"k": 1})
    assert [e.path for e in draft.files()] == ["a.txt", "b.txt"]
    draft.remove("b.txt")
    draft.add_file(make_tree({"c.txt": "c\n"}) / "c.txt")
    log(store, draft)
    assert draft.name == "d:v1"
    assert [e.path for e in draft.files()] == ["a.txt", "c.txt"]
    m = draft.manifest.contents
    assert m["a.txt"].birth_artifact_id == v0.id  # inherited: not stored again
    assert m["c.txt"].birth_artifact_id is None
    out = Path(draft.download(tmp_path / "o"))
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "c.txt"]
    assert (out / "a.txt").read_text() == "hello\n"
    assert api(store).artifact("p/d:latest").version == "v1"
    assert [e.path for e in v0.files()] == ["a.txt", "b.txt"]  # v0 is untouched


def test_unchanged_new_draft_dedups_to_the_same_version(store, make_tree, log: Log) -> None:
    v0 = log(store, draft_with(make_tree, {"a.txt": "hello\n"}))
    same = log(store, v0.new_draft())
    assert same.name == "d:v0"
    assert same.id == v0.id
    assert [a.version for a in api(store).artifacts("dataset", "p/d")] == ["v0"]


def test_new_draft_objects_are_read_once_logged(store, log: Log) -> None:
    art = Artifact("d", "dataset")
    art.add({"lr": 0.1}, "cfg")
    log(store, art)
    draft = art.new_draft()
    with pytest.raises(artiflow.ArtifactNotLoggedError):  # W&B's get() reads logged versions only
        draft.get("cfg")
    draft.add({"lr": 0.2}, "cfg", overwrite=True)
    log(store, draft)
    assert (draft.version, draft.get("cfg")) == ("v1", {"lr": 0.2})


@pytest.mark.local_only
def test_new_draft_into_another_store(store, make_tree, tmp_path: Path, log: Log) -> None:
    v0 = log(store, draft_with(make_tree, {"a.txt": "hello\n"}))
    other = artiflow.Store.open(home=tmp_path / "other-home")
    try:
        with pytest.raises(ArtiflowError, match="another store"):
            with artiflow.init(project="p", store=other) as run:
                run.log_artifact(v0)
        copy = v0.new_draft()
        with artiflow.init(project="p", store=other) as run:
            run.log_artifact(copy)
        assert copy.digest == v0.digest
        assert other.blobs.has(HELLO)
        out = Path(copy.download(tmp_path / "o"))
        assert (out / "a.txt").read_text() == "hello\n"
    finally:
        other.close()


# -- delete ------------------------------------------------------------------------------------


def test_delete_refuses_while_user_aliases_exist(store, make_tree, log: Log) -> None:
    v0 = log(store, draft_with(make_tree, {"a.txt": "one"}))
    v1 = log(store, draft_with(make_tree, {"a.txt": "two"}), aliases=["best"])
    with pytest.raises(ArtiflowError, match="delete_aliases=True"):
        v1.delete()
    assert v1.state == "COMMITTED"
    assert api(store).artifact("p/d:best").version == "v1"
    v1.delete(delete_aliases=True)
    assert v1.state == "DELETED"
    latest = api(store).artifact("p/d:latest")
    assert latest.version == "v0" and latest.id == v0.id
    with pytest.raises(ArtifactNotFoundError):
        api(store).artifact("p/d:best")
    assert [a.version for a in api(store).artifacts("dataset", "p/d")] == ["v0"]
    # Version numbers are never reused, even for the same content.
    again = log(store, draft_with(make_tree, {"a.txt": "two"}))
    assert again.version == "v2"


def test_delete_without_aliases(store, make_tree, log: Log) -> None:
    v0 = log(store, draft_with(make_tree, {"a.txt": "one"}))
    log(store, draft_with(make_tree, {"a.txt": "two"}))
    v0.delete()
    assert v0.state == "DELETED"
    assert api(store).artifact("p/d:latest").version == "v1"
    assert [a.version for a in api(store).artifacts("dataset", "p/d")] == ["v1"]


def test_state_values(store, make_tree, log: Log) -> None:
    art = draft_with(make_tree, {"a.txt": "hello\n"})
    states = [art.state]
    log(store, art)
    states.append(art.state)
    art.delete()
    states.append(art.state)
    assert states == ["PENDING", "COMMITTED", "DELETED"]

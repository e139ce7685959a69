"""``--json``: every listing prints JSON with the documented, stable keys (README, "JSON output")."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import artiflow
from artiflow.cli import app

VERSION = {"ref", "name", "project", "type", "version", "aliases", "tags", "digest", "size", "file_count", "state",
           "description", "metadata", "created_at"}
COLLECTION = {"name", "project", "type", "versions", "created_at", "latest"}
RUN = {"path", "id", "project", "name", "group", "job_type", "state", "created_at"}
PROJECT = {"name", "artifacts", "versions", "size", "runs"}


def as_json(*args: str | Path, code: int = 0) -> Any:
    import json

    result = CliRunner().invoke(app, [*map(str, args), "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


def check_version(v: dict[str, Any]) -> None:
    assert set(v) == VERSION
    assert isinstance(v["aliases"], list) and isinstance(v["tags"], list) and isinstance(v["metadata"], dict)
    assert isinstance(v["size"], int) and isinstance(v["file_count"], int)
    assert v["ref"] == f"{v['project']}/{v['name']}:{v['version']}"
    assert datetime.fromisoformat(v["created_at"]).utcoffset() is not None  # ISO 8601 with its zone


def check_run(r: dict[str, Any]) -> None:
    assert set(r) == RUN
    assert r["path"] == f"{r['project']}/{r['id']}"
    datetime.fromisoformat(r["created_at"])


@pytest.fixture
def story(make_tree: Any) -> artiflow.Run:
    """cats v0 (staging) and v1 (latest, prod, tag 'good', metadata); a train run used v0, logged a model."""
    root = make_tree({"a.txt": "hello\n", "sub/b.txt": "x\n"})
    CliRunner().invoke(app, ["put", str(root), "-n", "cats", "-a", "staging"])
    (root / "c.txt").write_text("more\n")
    CliRunner().invoke(app, ["put", str(root), "-n", "cats", "-a", "prod"])
    v1 = artiflow.Api().artifact("cats:v1")
    v1.tags, v1.metadata = ["good"], {"rows": 3}
    v1.save()
    model = make_tree({"m.bin": b"\0" * 10}) / "m.bin"
    with artiflow.init(job_type="train", config={"lr": 0.1}) as run:
        run.use_artifact("cats:v0")
        run.log_artifact(str(model), name="net", type="model")
        run.summary["acc"] = 0.9
    return run


def test_ls(story: artiflow.Run) -> None:
    colls = as_json("ls")
    assert [c["name"] for c in colls] == ["cats", "net"]
    for c in colls:
        assert set(c) == COLLECTION
        check_version(c["latest"])
    cats = colls[0]
    assert (cats["type"], cats["versions"]) == ("dataset", 2)
    assert cats["latest"]["version"] == "v1" and cats["latest"]["aliases"] == ["latest", "prod"]
    assert (cats["latest"]["tags"], cats["latest"]["metadata"]) == (["good"], {"rows": 3})
    assert as_json("ls", "--type", "model")[0]["name"] == "net"
    assert as_json("ls", "--type", "nothing") == []


def test_ls_versions(story: artiflow.Run) -> None:
    versions = as_json("ls", "--versions")
    for v in versions:
        check_version(v)
    assert [(v["ref"], v["aliases"]) for v in versions] == [
        ("uncategorized/cats:v0", ["staging"]),
        ("uncategorized/cats:v1", ["latest", "prod"]),
        ("uncategorized/net:v0", ["latest"]),
    ]


def test_show(story: artiflow.Run) -> None:
    shown = as_json("show", "cats:v0")
    assert set(shown) == VERSION | {"logged_by", "used_by", "versions", "files"}
    check_run(shown["logged_by"])
    assert [r["id"] for r in shown["used_by"]] == [story.id]
    assert [v["version"] for v in shown["versions"]] == ["v0", "v1"]
    assert shown["files"] == [
        {"path": "a.txt", "size": 6, "digest": "sZRqySSS0jR8YjW00mERhA==", "ref": None},
        {"path": "sub/b.txt", "size": 2, "digest": shown["files"][1]["digest"], "ref": None},
    ]


def test_projects_and_runs(story: artiflow.Run) -> None:
    projects = as_json("projects")
    assert projects == [{"name": "uncategorized", "artifacts": 2, "versions": 3, "size": 6 + 2 + 5 + 8 + 10,
                         "runs": 3}]
    assert set(projects[0]) == PROJECT
    runs = as_json("runs")
    for r in runs:
        check_run(r)
    assert [r["job_type"] for r in runs] == ["cli-put", "cli-put", "train"]


def test_run_show(story: artiflow.Run) -> None:
    shown = as_json("run", "show", story.path)
    assert set(shown) == RUN | {"config", "summary", "used", "logged"}
    assert (shown["config"], shown["summary"], shown["state"]) == ({"lr": 0.1}, {"acc": 0.9}, "finished")
    assert as_json("run", "show", as_json("runs")[0]["path"])["summary"] is None  # none recorded
    assert [v["ref"] for v in shown["used"]] == ["uncategorized/cats:v0"]
    assert [v["ref"] for v in shown["logged"]] == ["uncategorized/net:v0"]
    for v in shown["used"] + shown["logged"]:
        check_version(v)


def test_diff(story: artiflow.Run) -> None:
    d = as_json("diff", "cats:v0", "cats:v1")
    assert d == {
        "a": "uncategorized/cats:v0",
        "b": "uncategorized/cats:v1",
        "added": [{"path": "c.txt", "size": 5, "digest": d["added"][0]["digest"]}],
        "removed": [],
        "changed": [],
        "unchanged": 2,
        "metadata": {"added": {"rows": 3}, "removed": {}, "changed": {}},
    }


def test_verify(story: artiflow.Run, tmp_path: Path) -> None:
    CliRunner().invoke(app, ["get", "cats:v0", "--root", str(tmp_path / "o")])
    good = as_json("verify", "cats:v0", tmp_path / "o")
    assert good == {"ref": "uncategorized/cats:v0", "directory": str(tmp_path / "o"), "ok": True,
                    "missing": [], "changed": [], "extra": []}
    (tmp_path / "o" / "a.txt").unlink()
    bad = as_json("verify", "cats:v0", tmp_path / "o", code=1)
    assert (bad["ok"], bad["missing"]) == (False, ["a.txt"])
    stored = as_json("verify", "cats:v1")
    assert set(stored) == {"ref", "storage", "ok", "checked", "skipped", "missing", "corrupt"}
    assert (stored["ok"], stored["checked"], stored["skipped"]) == (True, 3, 0)


def test_put_and_get(make_tree: Any, tmp_path: Path) -> None:
    f = make_tree({"x.txt": "x\n"}) / "x.txt"
    put = as_json("put", f, "--name", "x")
    assert set(put) == VERSION | {"created"} and put["created"] is True
    assert as_json("put", f, "--name", "x")["created"] is False
    got = as_json("get", "x", "--root", tmp_path / "o")
    assert set(got) == VERSION | {"directory"} and got["directory"] == str(tmp_path / "o")


def test_cache_info(story: artiflow.Run) -> None:
    CliRunner().invoke(app, ["get", "cats"])
    info = as_json("cache", "info")
    assert set(info) == {"cache_dir", "downloads", "digest_cache", "temp"}
    assert set(info["downloads"]) == {"dir", "files", "bytes", "versions"}
    assert [(v["name"], v["files"], v["bytes"]) for v in info["downloads"]["versions"]] == [("cats:v1", 3, 13)]
    assert set(info["downloads"]["versions"][0]) == {"path", "name", "files", "bytes", "last_used"}
    assert set(info["digest_cache"]) == {"path", "bytes", "entries"} and info["digest_cache"]["entries"] > 0
    assert set(info["temp"]) == {"dirs", "bytes"}


def test_gc_and_lineage(story: artiflow.Run) -> None:
    gc = as_json("gc", "--dry-run")
    assert set(gc) == {"dry_run", "live", "orphans", "orphan_bytes", "temp", "young", "leased", "uploads", "expired"}
    assert gc["dry_run"] is True and gc["live"] > 0 and gc["orphans"] == []
    graph = as_json("lineage", "cats:v0", "--downstream")
    assert graph == as_json("lineage", "cats:v0", "--downstream", "--format", "json")  # --json is that format

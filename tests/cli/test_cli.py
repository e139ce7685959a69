"""The ``artiflow`` command line, driven as a user would: real files, a real store, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import artiflow
from artiflow.cli import app

HELLO_DIGEST = "df2baf4982f9ccdd99de4a5a8b016e45"  # one file a.txt = "hello\n" (DESIGN.md §2)


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "\x1b[" not in result.output  # no colour codes or cursor moves when not on a terminal
    return result


def fails(result: Result, *fragments: str) -> str:
    """Exit code 1 from a handled error: one 'Error:' line on stderr naming every fragment."""
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not an unhandled crash
    err = result.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err, err
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in err, (f, err)
    return err


def row(output: str, first: str) -> list[str]:
    """The whitespace-split cells of the table row whose first cell is ``first``."""
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in:\n{output}")


@pytest.fixture
def cats(make_tree: Callable[..., Path]) -> Path:
    return make_tree({"a.txt": "hello\n", "sub/b.txt": "x\n"})


# -- put ---------------------------------------------------------------------------------------


def test_put_creates_a_version_then_reuses_identical_content(make_tree: Callable[..., Path]) -> None:
    f = make_tree({"a.txt": "hello\n"}) / "a.txt"
    first = ok(cli("put", f, "--name", "greeting"))
    assert "Created new version uncategorized/greeting:v0 (dataset)" in first.stdout
    assert f"digest:  {HELLO_DIGEST}" in first.stdout

    again = ok(cli("put", f, "--name", "greeting", "--alias", "prod"))
    assert "Reused existing version uncategorized/greeting:v0" in again.stdout
    assert "no new version was created" in again.stdout
    assert "aliases: latest, prod" in again.stdout

    f.write_text("hello again\n")
    changed = ok(cli("put", f, "--name", "greeting"))
    assert "Created new version uncategorized/greeting:v1" in changed.stdout

    api = artiflow.Api()
    assert [a.version for a in api.artifacts("dataset", "greeting")] == ["v0", "v1"]
    producer = api.artifact("greeting:v0").logged_by()
    assert producer is not None and producer.job_type == "cli-put" and producer.state == "finished"


def test_put_directory_with_project_aliases_and_description(cats: Path) -> None:
    out = ok(cli("put", cats, "-n", "cats", "-t", "images", "-p", "zoo", "-a", "raw", "-a", "best",
                 "-d", "two files")).stdout
    assert "Created new version zoo/cats:v0 (images)" in out
    assert "files:   2 (8 B)" in out
    assert "aliases: best, latest, raw" in out
    art = artiflow.Api().artifact("zoo/cats:best")
    assert (art.type, art.description, art.file_count) == ("images", "two files", 2)
    assert sorted(e.path for e in art.files()) == ["a.txt", "sub/b.txt"]


def test_put_defaults_name_to_the_path_and_type_to_dataset(make_tree: Callable[..., Path]) -> None:
    root = make_tree({"my data/x.csv": "a,b\n"})
    out = ok(cli("put", root / "my data")).stdout
    assert "Created new version uncategorized/my_data:v0 (dataset)" in out


def test_put_file_uri_logs_a_reference(make_tree: Callable[..., Path]) -> None:
    f = make_tree({"a.txt": "hello\n"}) / "a.txt"
    out = ok(cli("put", f.as_uri(), "--name", "ref")).stdout
    assert "Created new version uncategorized/ref:v0" in out
    assert f"-> {f.as_uri()}" in ok(cli("show", "ref")).stdout


def test_put_missing_path_fails_before_opening_a_run(tmp_path: Path, store: artiflow.Store) -> None:
    fails(cli("put", tmp_path / "nope", "--name", "x"), "Nothing to log at", "nope")
    assert store.metadata.list_runs() == []
    ok(cli("put", "ftp://host/key", "--name", "x"))  # another scheme is tracked by its URI, as in W&B
    assert artiflow.Api(store=store).artifact("uncategorized/x:latest").manifest.contents["key"].ref == "ftp://host/key"


def test_put_type_collision_is_refused_and_changes_nothing(cats: Path, store: artiflow.Store) -> None:
    ok(cli("put", cats, "--name", "cats"))
    fails(cli("put", cats / "a.txt", "--name", "cats", "--type", "model"),
          "'cats' already exists with type 'dataset'", "'model'")
    assert [v.version for v in store.metadata.list_versions("uncategorized", "cats")] == ["v0"]
    assert len(store.metadata.list_runs()) == 1  # no failed run left behind


def test_put_rejects_bad_names_and_reserved_aliases(cats: Path) -> None:
    fails(cli("put", cats, "--name", "bad/name"), "Invalid name: 'bad/name'")
    fails(cli("put", cats, "--name", "cats", "--alias", "v3"), "'v3'")


# -- get ---------------------------------------------------------------------------------------


def test_get_downloads_into_root_and_prints_the_path(cats: Path, tmp_path: Path) -> None:
    ok(cli("put", cats, "--name", "cats"))
    result = ok(cli("get", "cats:v0", "--root", tmp_path / "out"))
    assert result.stdout == f"{tmp_path / 'out'}\n"  # stdout is just the path, for scripts
    assert "Downloaded uncategorized/cats:v0 (2 files, 8 B)" in result.stderr
    assert (tmp_path / "out" / "a.txt").read_text() == "hello\n"
    assert (tmp_path / "out" / "sub" / "b.txt").read_text() == "x\n"


def test_get_defaults_to_artifacts_dir_in_cwd(cats: Path) -> None:
    ok(cli("put", cats, "--name", "cats"))
    where = Path(ok(cli("get", "cats")).stdout.strip())
    assert where == Path.cwd() / "artifacts" / "cats:v0"
    assert (where / "a.txt").read_text() == "hello\n"


def test_bad_refs_say_what_is_missing(cats: Path) -> None:
    ok(cli("put", cats, "--name", "cats", "--alias", "raw"))
    fails(cli("get", "nope:v9"), "No artifact named 'nope' in project 'uncategorized'", "it has cats")
    fails(cli("get", "cats:v9"), "'uncategorized/cats' has no version 'v9'", "versions v0", "aliases latest, raw")
    fails(cli("show", "cats:prod"), "has no alias or digest 'prod'")
    fails(cli("verify", "elsewhere/cats"), "project 'elsewhere' has no artifacts", "known projects: uncategorized")
    fails(cli("get", "cats:"), "nothing after ':'")


def test_read_commands_refuse_a_store_that_does_not_exist(tmp_path: Path) -> None:
    for args in (["ls"], ["get", "cats"], ["show", "cats"], ["verify", "cats"]):
        fails(cli(*args), "No artiflow store at", str(tmp_path / "home"))
    assert not (tmp_path / "home").exists()


def test_home_option_selects_the_store(cats: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-store"
    ok(cli("--home", other, "put", cats, "--name", "cats"))
    assert (other / "artiflow.db").exists()
    assert not (tmp_path / "home").exists()  # ARTIFLOW_HOME was not touched
    assert row(ok(cli("--home", other, "ls")).stdout, "cats")[:2] == ["cats", "dataset"]
    fails(cli("ls"), "No artiflow store")


# -- ls ----------------------------------------------------------------------------------------


def test_ls_lists_collections_with_versions_latest_aliases_and_size(
    cats: Path, make_tree: Callable[..., Path]
) -> None:
    ok(cli("put", cats, "--name", "cats", "--alias", "raw"))
    (cats / "c.txt").write_text("more\n")
    ok(cli("put", cats, "--name", "cats"))
    ok(cli("put", make_tree({"m.bin": b"\0" * 2048}) / "m.bin", "--name", "net", "--type", "model"))

    out = ok(cli("ls")).stdout
    assert out.splitlines()[0] == "name\ttype\tversions\tlatest\taliases\tsize"  # piped: no title, no padding
    assert row(out, "name") == ["name", "type", "versions", "latest", "aliases", "size"]
    assert row(out, "cats") == ["cats", "dataset", "2", "v1", "latest", "13", "B"]
    assert row(out, "net") == ["net", "model", "1", "v0", "latest", "2.0", "KiB"]

    only_models = ok(cli("ls", "--type", "model")).stdout
    assert "net" in only_models and "cats" not in only_models


def test_ls_shows_the_aliases_of_the_latest_version_only(cats: Path) -> None:
    """An alias on an older version must not read as if it were on the latest one."""
    ok(cli("put", cats, "--name", "cats", "--alias", "staging"))
    (cats / "c.txt").write_text("more\n")
    ok(cli("put", cats, "--name", "cats", "--alias", "prod"))
    assert row(ok(cli("ls")).stdout, "cats")[3:6] == ["v1", "latest,", "prod"]


def test_ls_of_empty_or_unknown_project(cats: Path) -> None:
    ok(cli("put", cats, "--name", "cats", "--project", "zoo"))
    assert ok(cli("ls", "zoo", "--type", "model")).stdout == "No artifacts of type 'model' in project 'zoo'.\n"
    assert ok(cli("ls")).stdout == "No artifacts in project 'uncategorized'.\n"
    fails(cli("ls", "zooo"), "Project 'zooo' does not exist; known projects: zoo")


# -- show --------------------------------------------------------------------------------------


def test_show_versions_files_and_lineage(cats: Path) -> None:
    ok(cli("put", cats, "--name", "cats", "--alias", "raw", "-d", "cat pictures"))
    (cats / "c.txt").write_text("more\n")
    ok(cli("put", cats, "--name", "cats"))
    with artiflow.init(job_type="train") as run:
        run.use_artifact("cats:raw")

    out = ok(cli("show", "cats:raw")).stdout
    assert out.startswith("uncategorized/cats:v0 (dataset)\n")
    assert "description: cat pictures" in out
    v0, v1 = row(out, "*"), row(out, "v1")
    assert v0[:3] == ["*", "v0", "raw"] and v0[4:7] == ["8", "B", "2"]
    assert v1[:2] == ["v1", "latest"] and v1[3:6] == ["13", "B", "3"]
    assert "Files of v0 (2)" in out
    assert row(out, "a.txt") == ["a.txt", "6", "B", "sZRqySSS0jR8YjW00mERhA=="]
    assert "c.txt" not in out  # only the files of the version asked for
    assert "Logged by: uncategorized/" in out and "(cli-put, finished," in out
    assert f"Used by:\n  uncategorized/{run.id} (train, finished," in out

    latest = ok(cli("show", "cats")).stdout
    assert latest.startswith("uncategorized/cats:v1 (dataset)\n")
    assert "Used by:   none" in latest


def test_show_caps_long_file_lists(make_tree: Callable[..., Path]) -> None:
    root = make_tree({f"f{i:02}.txt": f"{i}\n" for i in range(30)})
    ok(cli("put", root, "--name", "many"))
    out = ok(cli("show", "many", "--max-files", "5")).stdout
    assert "Files of v0 (30)" in out
    assert [f"f{i:02}.txt" for i in range(5)] == [row(out, f"f{i:02}.txt")[0] for i in range(5)]
    assert "f05.txt" not in out
    assert "… 25 more" in out


# -- verify ------------------------------------------------------------------------------------


def test_verify_directory_lists_every_missing_changed_and_extra_file(cats: Path, tmp_path: Path) -> None:
    ok(cli("put", cats, "--name", "cats"))
    out = tmp_path / "out"
    ok(cli("get", "cats", "--root", out))
    assert "matches uncategorized/cats:v0 (2 files)" in ok(cli("verify", "cats", out)).stdout

    (out / "sub" / "b.txt").write_text("tampered\n")
    (out / "a.txt").unlink()
    (out / "stray.txt").write_text("?\n")
    (out / "sub" / "also.txt").write_text("?\n")
    result = cli("verify", "cats", out)
    fails(result, "does not match uncategorized/cats:v0: 1 missing, 1 changed, 2 extra")
    assert result.stdout.splitlines() == [
        "missing  a.txt", "changed  sub/b.txt", "extra    stray.txt", "extra    sub/also.txt",
    ]

    ok(cli("get", "cats", "--root", out))  # restores the missing and changed files
    (out / "stray.txt").unlink()
    (out / "sub" / "also.txt").unlink()
    assert "matches" in ok(cli("verify", "cats", out)).stdout
    fails(cli("verify", "cats", tmp_path / "absent"), "absent is not a directory")


@pytest.mark.local_only
def test_verify_store_reports_corrupt_and_missing_blobs(cats: Path, store: artiflow.Store) -> None:
    ok(cli("put", cats, "--name", "cats"))
    assert "OK: 2 stored files of uncategorized/cats:v0 match" in ok(cli("verify", "cats")).stdout

    manifest = artiflow.Api(store=store).artifact("cats").manifest
    blob_a = Path(store.local_blob_path(manifest.contents["a.txt"].digest) or "")
    blob_a.chmod(0o644)
    blob_a.write_text("rotten\n")
    result = cli("verify", "cats")
    fails(result, "1 of 2 stored files of uncategorized/cats:v0 are missing or corrupt")
    assert result.stdout == "corrupt  a.txt\n"

    Path(store.local_blob_path(manifest.contents["sub/b.txt"].digest) or "").unlink()
    result = cli("verify", "cats")
    fails(result, "2 of 2 stored files")
    assert result.stdout == "corrupt  a.txt\nmissing  sub/b.txt\n"


# -- help, progress, the real executable ------------------------------------------------------


def test_help_lists_commands_and_usage_errors_exit_2() -> None:
    out = ok(cli("--help")).stdout
    for command in ("put", "get", "ls", "show", "verify", "--home"):
        assert command in out
    assert "[project/]name[:vN|:alias|:digest]" in ok(cli("get", "--help")).stdout
    assert cli("put").exit_code == 2
    assert ok(cli("--version")).stdout == f"artiflow {artiflow.__version__}\n"


@pytest.mark.slow
def test_python_dash_m_runs_the_real_cli(cats: Path, tmp_path: Path) -> None:
    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "artiflow.cli", "--home", str(tmp_path / "h"), *map(str, args)]
        env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)

    put = run("put", cats, "--name", "cats")
    assert put.returncode == 0, put.stderr
    assert "Created new version uncategorized/cats:v0" in put.stdout
    got = run("get", "cats", "--root", tmp_path / "out")
    assert got.returncode == 0 and got.stdout == f"{tmp_path / 'out'}\n"
    assert (tmp_path / "out" / "a.txt").read_text() == "hello\n"
    bad = run("get", "nope:v9")
    assert bad.returncode == 1
    assert bad.stderr.startswith("Error: No artifact named 'nope'") and "Traceback" not in bad.stderr
    assert "Usage: artiflow " in run("--help").stdout

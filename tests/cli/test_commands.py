"""The commands that reach every object of a store: projects, runs, aliases, tags, delete, diff, cache."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import artiflow
from artiflow.cli import app

MakeTree = Callable[..., Path]


def cli(*args: str | Path, input: str | None = None) -> Result:  # noqa: A002
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "\x1b[" not in result.output
    return result.stdout


def fails(result: Result, *fragments: str) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    err = result.stderr.strip().splitlines()[-1]
    assert err.startswith("Error: "), result.stderr
    for f in fragments:
        assert f in err, (f, err)
    return err


def lines(out: str) -> list[list[str]]:
    """Piped output: one list of tab-separated cells per line."""
    return [line.split("\t") for line in out.splitlines()]


@pytest.fixture
def cats(make_tree: MakeTree) -> Path:
    return make_tree({"a.txt": "hello\n", "sub/b.txt": "x\n"})


@pytest.fixture
def two_versions(cats: Path) -> Path:
    """cats:v0 (alias staging) and cats:v1 (aliases latest, prod): b.txt changed, c.txt added."""
    ok(cli("put", cats, "--name", "cats", "--alias", "staging"))
    (cats / "sub" / "b.txt").write_text("xyz\n")
    (cats / "c.txt").write_text("more\n")
    ok(cli("put", cats, "--name", "cats", "--alias", "prod"))
    return cats


# -- ls --versions -----------------------------------------------------------------------------


def test_ls_versions_lists_each_version_with_its_own_aliases(two_versions: Path) -> None:
    out = lines(ok(cli("ls", "--versions")))
    assert out[0] == ["name", "version", "type", "aliases", "size", "files", "created"]
    assert [r[:6] for r in out[1:]] == [
        ["cats", "v0", "dataset", "staging", "8 B", "2"],
        ["cats", "v1", "dataset", "latest, prod", "15 B", "3"],
    ]


# -- projects and runs -------------------------------------------------------------------------


def test_projects_lists_every_project_with_counts(cats: Path) -> None:
    ok(cli("put", cats, "--name", "cats", "--project", "zoo"))
    ok(cli("put", cats / "a.txt", "--name", "greeting"))
    with artiflow.init(project="zoo", job_type="train") as run:
        run.use_artifact("cats")
    out = lines(ok(cli("projects")))
    assert out == [
        ["project", "artifacts", "versions", "size", "runs"],
        ["uncategorized", "1", "1", "6 B", "1"],
        ["zoo", "1", "1", "8 B", "2"],
    ]


def test_projects_of_an_empty_store(store: artiflow.Store) -> None:
    assert ok(cli("projects")) == "No projects yet; log an artifact with `artiflow put`.\n"


def test_runs_lists_the_runs_of_a_project(cats: Path) -> None:
    ok(cli("put", cats, "--name", "cats"))
    with artiflow.init(job_type="train", group="exp-1", name="first") as run:
        run.use_artifact("cats")
    out = lines(ok(cli("runs")))
    assert out[0] == ["run", "name", "job_type", "group", "state", "started"]
    assert out[1][2:5] == ["cli-put", "", "finished"]
    assert out[2][:5] == [run.id, "first", "train", "exp-1", "finished"]
    assert ok(cli("runs", "uncategorized")) == ok(cli("runs"))
    fails(cli("runs", "nowhere"), "Project 'nowhere' does not exist; known projects: uncategorized")


def test_run_show_config_state_and_versions(two_versions: Path, make_tree: MakeTree) -> None:
    model = make_tree({"m.bin": b"\0" * 2048}) / "m.bin"
    with artiflow.init(job_type="train", config={"lr": 0.1, "layers": [2, 3]}) as run:
        run.use_artifact("cats:staging")
        run.log_artifact(str(model), name="net", type="model")
        run.log({"loss": 0.5})
        run.log({"loss": 0.25, "acc": 0.9})
    out = ok(cli("run", "show", run.path))
    assert out.startswith(f"{run.path} (finished)\n")
    assert "  job type: train\n" in out
    assert 'Config:\n  layers: [2, 3]\n  lr: 0.1\n' in out
    assert 'Summary:\n  acc: 0.9\n  loss: 0.25\n' in out  # the last value logged for each key
    assert "Used (1 version)\nversion\ttype\taliases\tsize\tfiles\nuncategorized/cats:v0\tdataset\tstaging\t8 B\t2\n" in out
    assert "Logged (1 version)\n" in out and "uncategorized/net:v0\tmodel\tlatest\t2.0 KiB\t1" in out
    assert ok(cli("run", "show", run.id)) == out  # the project may be left out

    bare = ok(cli("run", "show", artiflow.Api().runs()[0].path))
    assert "Config: none\nUsed: none\n" in bare and "Summary" not in bare  # no summary: no section
    fails(cli("run", "show", "uncategorized/nope"), "No run 'uncategorized/nope'", "artiflow runs uncategorized")


# -- alias and tag -----------------------------------------------------------------------------


def test_alias_add_moves_an_alias_and_rm_removes_it(two_versions: Path) -> None:
    assert ok(cli("alias", "add", "cats:v0", "prod")) == (
        "Added alias 'prod' to uncategorized/cats:v0 (moved from v1).\n"
    )
    api = artiflow.Api()
    assert api.artifact("cats:prod").version == "v0"
    assert sorted(api.artifact("cats:v1").aliases) == ["latest"]
    assert ok(cli("alias", "add", "cats:v0", "prod")) == "uncategorized/cats:v0 already has alias 'prod'.\n"
    assert ok(cli("alias", "add", "cats:v1", "best")) == "Added alias 'best' to uncategorized/cats:v1.\n"

    assert ok(cli("alias", "rm", "cats:prod", "prod")) == "Removed alias 'prod' from uncategorized/cats:v0.\n"
    assert sorted(artiflow.Api().artifact("cats:v0").aliases) == ["staging"]
    fails(cli("alias", "rm", "cats:v0", "prod"), "uncategorized/cats:v0 has no alias 'prod'; its aliases: staging")
    fails(cli("alias", "rm", "cats", "latest"), "'latest'", "cannot be removed")
    fails(cli("alias", "add", "cats", "v7"), "reserved")
    fails(cli("alias", "add", "dogs", "x"), "No artifact named 'dogs'")


def test_tag_add_and_rm(two_versions: Path) -> None:
    assert ok(cli("tag", "add", "cats:v0", "reviewed")) == "Added tag 'reviewed' to uncategorized/cats:v0.\n"
    ok(cli("tag", "add", "cats:v1", "reviewed"))  # a tag, unlike an alias, may be on many versions
    assert ok(cli("tag", "add", "cats:v1", "reviewed")) == "uncategorized/cats:v1 already has tag 'reviewed'.\n"
    api = artiflow.Api()
    assert api.artifact("cats:v0").tags == ["reviewed"] and api.artifact("cats:v1").tags == ["reviewed"]
    assert ok(cli("tag", "rm", "cats:v0", "reviewed")) == "Removed tag 'reviewed' from uncategorized/cats:v0.\n"
    assert artiflow.Api().artifact("cats:v0").tags == []
    fails(cli("tag", "rm", "cats:v0", "reviewed"), "has no tag 'reviewed'; its tags: none")
    fails(cli("tag", "add", "cats", "bad/tag"), "Invalid tag")


# -- delete ------------------------------------------------------------------------------------


def test_delete_asks_first_and_refuses_held_aliases(two_versions: Path) -> None:
    fails(cli("delete", "cats:v0"), "still has aliases staging", "--delete-aliases")
    no = cli("delete", "cats:v0", "--delete-aliases", input="n\n")
    fails(no, "Nothing deleted", "pass --yes")
    assert "Delete uncategorized/cats:v0 (2 files, 8 B) with aliases staging? [y/N]" in no.stderr
    fails(cli("delete", "cats:v0", "--delete-aliases"), "Nothing deleted")  # no answer at all
    assert artiflow.Api().artifact("cats:staging").version == "v0"

    yes = cli("delete", "cats:v0", "--delete-aliases", input="y\n")
    assert ok(yes).startswith("Deleted uncategorized/cats:v0;")
    assert [r[1] for r in lines(ok(cli("ls", "--versions")))[1:]] == ["v1"]
    fails(cli("get", "cats:staging"), "has no alias or digest 'staging'")


def test_delete_yes_skips_the_question_and_latest_falls_back(two_versions: Path) -> None:
    ok(cli("alias", "rm", "cats:v1", "prod"))
    out = ok(cli("delete", "cats:v1", "--yes"))
    assert out.startswith("Deleted uncategorized/cats:v1;")
    assert artiflow.Api().artifact("cats:latest").version == "v0"
    assert "[deleted]" in ok(cli("lineage", "cats:v1", "--downstream"))  # lineage still knows it


# -- diff --------------------------------------------------------------------------------------


def test_diff_lists_files_and_metadata_changes(two_versions: Path) -> None:
    v0 = artiflow.Api().artifact("cats:v0")
    v0.metadata = {"rows": 2, "source": "camera"}
    v0.save()
    v1 = artiflow.Api().artifact("cats:v1")
    v1.metadata = {"rows": 3, "split": "train"}
    v1.save()
    (two_versions / "a.txt").unlink()
    ok(cli("put", two_versions, "--name", "cats"))  # v2: a.txt removed

    out = ok(cli("diff", "cats:v0", "cats:v1"))
    assert out.splitlines() == [
        "--- uncategorized/cats:v0",
        "+++ uncategorized/cats:v1",
        "change\tpath\tsize",
        "+\tc.txt\t5 B",
        "~\tsub/b.txt\t2 B -> 4 B",
        'metadata ~ rows: 2 -> 3',
        'metadata - source: "camera"',
        'metadata + split: "train"',
        "1 file added, 0 removed, 1 changed, 1 unchanged; size +7 B.",
    ]
    removed = ok(cli("diff", "cats:v1", ":v2"))  # a bare :selector means the same artifact
    assert "-\ta.txt\t6 B" in removed.splitlines()
    assert removed.splitlines()[-1] == "0 files added, 1 removed, 0 changed, 2 unchanged; size -6 B."

    assert ok(cli("diff", "cats:v2", "cats:latest", "--exit-code")).endswith("No differences (2 files identical).\n")
    assert cli("diff", "cats:v0", "cats:v1", "--exit-code").exit_code == 1
    fails(cli("diff", "cats:v0", "cats:v9"), "has no version 'v9'")


# -- cache -------------------------------------------------------------------------------------


def test_cache_info_and_cleanup_of_downloaded_versions(two_versions: Path) -> None:
    ok(cli("get", "cats:v0"))
    time.sleep(0.05)
    ok(cli("get", "cats:v1"))
    work = Path.cwd() / "artifacts"
    info = ok(cli("cache", "info"))
    assert f"Downloads:    {work}: 2 versions, 23 B\n" in info
    assert "Digest cache: " in info and "cache/digests.db" in info
    assert "Downloaded versions\nversion\tfiles\tsize\tlast used\ncats:v1\t3\t15 B\t" in info

    (work / "cats:v1" / "notes.txt").write_text("mine\n")  # an edited download is no copy of the store
    dry = ok(cli("cache", "cleanup", "--dry-run"))
    assert f"remove   {work / 'cats:v0'} (8 B)" in dry
    assert f"kept     {work / 'cats:v1'} (changed since it was downloaded)" in dry
    assert (work / "cats:v0").is_dir()

    assert ok(cli("cache", "cleanup", "1GiB")).endswith("Removed 0 downloaded versions (0 B); 28 B of downloads left.\n")
    out = ok(cli("cache", "cleanup"))
    assert out.endswith("Removed 1 downloaded version (8 B); 20 B of downloads left, 1 changed kept.\n")
    assert not (work / "cats:v0").exists() and (work / "cats:v1" / "notes.txt").exists()
    assert cli("cache", "cleanup", "lots").exit_code == 2  # a usage error, like any bad argument


def test_cache_cleanup_keeps_the_most_recently_used_within_the_target(two_versions: Path) -> None:
    ok(cli("get", "cats:v0"))
    time.sleep(0.05)
    ok(cli("get", "cats:v1"))  # used later than v0
    work = Path.cwd() / "artifacts"
    out = ok(cli("cache", "cleanup", "20B"))
    assert out.splitlines()[0] == f"removed  {work / 'cats:v0'} (8 B)"
    assert (work / "cats:v1").is_dir()


def test_cache_cleanup_remove_temp_takes_only_old_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cats: Path
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    stale, fresh = scratch / "artiflow-draft-old", scratch / "artiflow-draft-new"
    for d in (stale, fresh):
        (d / "objects").mkdir(parents=True)
        (d / "objects" / "x.json").write_text("{}")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert "Scratch:      2 directories, 4 B (artiflow cache cleanup --remove-temp)" in ok(cli("cache", "info"))
    out = ok(cli("cache", "cleanup", "--remove-temp"))
    assert out.endswith("; removed 1 scratch directory (2 B).\n")
    assert not stale.exists() and fresh.exists()


# -- put and get: --quiet ----------------------------------------------------------------------


def test_quiet_put_and_get_print_only_the_result(cats: Path, tmp_path: Path) -> None:
    put = cli("put", cats, "--name", "cats", "-q")
    assert ok(put) == "uncategorized/cats:v0\n" and put.stderr == ""
    got = cli("get", "cats", "--root", tmp_path / "o", "--quiet")
    assert ok(got) == f"{tmp_path / 'o'}\n" and got.stderr == ""


# -- completion --------------------------------------------------------------------------------


def test_shell_completion_installs_and_completes(tmp_path: Path) -> None:
    # Name the shell instead of letting shellingham find it in the process tree, which holds no
    # shell when the tests run under an agent or a service manager rather than a terminal.
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/bash", "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    cmd = [sys.executable, "-m", "artiflow.cli"]
    done = subprocess.run([*cmd, "--install-completion", "bash"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "bash completion installed" in done.stdout
    script = (tmp_path / ".bash_completions" / "artiflow.sh").read_text()
    assert "_ARTIFLOW_COMPLETE=complete_bash" in script
    assert "artiflow.sh" in (tmp_path / ".bashrc").read_text()

    words = CliRunner(env={"_ARTIFLOW_COMPLETE": "complete_bash", "COMP_WORDS": "artiflow ca", "COMP_CWORD": "1"})
    assert words.invoke(app, [], prog_name="artiflow").output.split() == ["cache"]
    sub = CliRunner(env={"_ARTIFLOW_COMPLETE": "complete_bash", "COMP_WORDS": "artiflow alias ", "COMP_CWORD": "2"})
    assert sub.invoke(app, [], prog_name="artiflow").output.split() == ["add", "rm"]


def test_refs_complete_from_the_store(two_versions: Path) -> None:
    def complete(line: str) -> list[str]:
        words = line.split(" ")
        env = {"_ARTIFLOW_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
        return CliRunner(env=env).invoke(app, [], prog_name="artiflow").output.split()

    ok(cli("put", two_versions / "c.txt", "--name", "cells"))
    assert complete("artiflow show ca") == ["cats"]
    assert complete("artiflow get c") == ["cats", "cells"]
    assert complete("artiflow diff cats:v0 uncategorized/ce") == ["uncategorized/cells"]
    assert complete("artiflow alias add cats:") == ["cats:v0", "cats:v1", "cats:latest", "cats:prod", "cats:staging"]
    assert complete("artiflow verify cats:s") == ["cats:staging"]
    assert complete("artiflow --home /nowhere show ca") == []  # no store: nothing, and none created
    assert not Path("/nowhere").exists()


def test_help_lists_every_command() -> None:
    out = ok(cli("--help"))
    for command in ("put", "get", "ls", "show", "diff", "verify", "alias", "tag", "delete", "projects", "runs",
                    "run", "lineage", "gc", "cache", "--install-completion", "--version"):
        assert command in out, command


def test_a_missing_version_names_a_command_that_lists_the_versions(local_store: artiflow.Store, log) -> None:  # type: ignore[no-untyped-def]
    log(local_store, "cats", {"f.txt": "1"})
    log(local_store, "cats", {"f.txt": "2"})
    with pytest.raises(artiflow.ArtifactNotFoundError) as missing:
        artiflow.Api().artifact("p/cats:v7")
    hint = re.search(r"`artiflow ([^`]+)`", str(missing.value))
    assert hint is not None, str(missing.value)
    listed = ok(cli(*hint.group(1).split()))
    assert {"v0", "v1"} <= {row.split("\t")[1] for row in listed.splitlines()[1:]}

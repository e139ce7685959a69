"""Naming rules as W&B enforces them, checked directly and through the public API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import artiflow
from artiflow import InvalidNameError
from artiflow import names, userdata


# -- artifact names, types, projects ---------------------------------------------------------


@pytest.mark.parametrize("name", ["cats", "my-data_v2.0", "A" * 128, "a.b", "..a"])
def test_valid_artifact_names(name: str) -> None:
    assert names.artifact_name(name) == name
    assert artiflow.Artifact(name, "dataset").name == name


@pytest.mark.parametrize("name", ["", "a:b", "a/b", "a b", "x" * 129, ".", "..", "naïve", "a\n"])
def test_invalid_artifact_names(name: str) -> None:
    with pytest.raises(InvalidNameError):
        artiflow.Artifact(name, "dataset")


def test_invalid_name_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="alphanumeric characters, dashes, underscores"):
        artiflow.Artifact("a:b", "dataset")
    with pytest.raises(ValueError, match="longer than 128"):
        artiflow.Artifact("x" * 129, "dataset")


@pytest.mark.parametrize("type_", ["job", "wandb-history", "a/b", "a:b", "", "t" * 129])
def test_invalid_or_reserved_types(type_: str) -> None:
    with pytest.raises(InvalidNameError):
        artiflow.Artifact("x", type_)


def test_reserved_type_message_matches_wandb() -> None:
    with pytest.raises(InvalidNameError, match="reserved for internal use. Please use a different type."):
        artiflow.Artifact("x", "job")


def test_internal_types_allowed_when_internal() -> None:
    assert names.artifact_type("wandb-history", internal=True) == "wandb-history"


@pytest.mark.parametrize(("name", "type_"), [("source-abc", "code"), ("run-abc-table", "run_table")])
def test_reserved_name_type_combinations(name: str, type_: str) -> None:
    with pytest.raises(InvalidNameError):
        artiflow.Artifact(name, type_)
    # The same names are fine with other types, and other names are fine with these types.
    assert artiflow.Artifact(name, "dataset").type == "dataset"
    assert artiflow.Artifact("abc", type_).type == type_


@pytest.mark.parametrize("project", ["a/b", "a\\b", "a#b", "a?b", "a%b", "a:b", "a\nb", "p" * 129, ".."])
def test_invalid_project_names(project: str, store) -> None:
    with pytest.raises(InvalidNameError):
        artiflow.init(project=project, store=store)
    assert store.metadata.list_runs() == []


def test_project_names_allow_spaces_and_dots() -> None:
    assert names.project_name("my project.v2") == "my project.v2"


# -- aliases and tags ------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["v0", "v7", "v123"])
def test_version_aliases_are_reserved(alias: str) -> None:
    assert names.is_version(alias)
    with pytest.raises(InvalidNameError, match="reserved"):
        names.alias(alias)


@pytest.mark.parametrize("alias", ["v", "vv1", "v1a", "V1", "best", "latest", "prod-2024"])
def test_ordinary_aliases(alias: str) -> None:
    assert not names.is_version(alias)
    assert names.alias(alias) == alias


@pytest.mark.parametrize("alias", ["", "a/b", "a:b", "x" * 129])
def test_malformed_aliases(alias: str) -> None:
    with pytest.raises(InvalidNameError):
        names.alias(alias)


def test_aliases_dedupe_keep_order_and_accept_a_string() -> None:
    assert names.aliases(["b", "a", "b"]) == ["b", "a"]
    assert names.aliases("best") == ["best"]
    assert names.aliases(None) == []


def test_tags() -> None:
    assert names.tags(["a", "two words", "x-y_z", "a"]) == ["a", "two words", "x-y_z"]
    assert names.tags("solo") == ["solo"]
    for bad in ["", " lead", "trail ", "semi;colon", "slash/", "nl\n"]:
        with pytest.raises(InvalidNameError):
            names.tags([bad])


def test_bad_tag_rejected_on_a_draft() -> None:
    art = artiflow.Artifact("x", "dataset")
    with pytest.raises(InvalidNameError):
        art.tags = ["no!"]
    art.tags = ["ok", "ok"]
    assert art.tags == ["ok"]


# -- entry paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("a.txt", "a.txt"), ("dir/a.txt", "dir/a.txt"), ("./a/./b", "a/b"), ("a//b/", "a/b"), ("..a/b..", "..a/b..")],
)
def test_entry_paths_normalise(raw: str, norm: str) -> None:
    assert names.entry_path(raw) == norm


@pytest.mark.parametrize(
    "raw", ["", ".", "./", "/abs", "/", "..", "../x", "a/../b", "a/..", "C:\\x", "C:x", "\\\\srv\\share\\x", "..\\x", "a\x00b"]
)
def test_entry_paths_that_could_escape_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidNameError):
        names.entry_path(raw)


def test_entry_path_accepts_pathlike() -> None:
    assert names.entry_path(Path("a") / "b.txt") == "a/b.txt"


def test_bad_entry_names_rejected_by_add_file(make_tree) -> None:
    root = make_tree({"a.txt": "hello\n"})
    art = artiflow.Artifact("x", "dataset")
    for bad in ["../a.txt", "/tmp/a.txt", "sub/../../a.txt"]:
        with pytest.raises(InvalidNameError):
            art.add_file(root / "a.txt", name=bad)
    assert art.files() == []


# -- metadata --------------------------------------------------------------------------------


def test_metadata_limits() -> None:
    assert userdata.metadata(None) == {}
    ok = {f"k{i}": i for i in range(100)}
    assert artiflow.Artifact("x", "dataset", metadata=ok).metadata == ok
    with pytest.raises(InvalidNameError, match="at most 100"):
        artiflow.Artifact("x", "dataset", metadata={f"k{i}": i for i in range(101)})
    with pytest.raises(TypeError):
        artiflow.Artifact("x", "dataset", metadata=[("a", 1)])  # type: ignore[arg-type]


# -- containment under a root ----------------------------------------------------------------


def test_contained_joins_under_the_real_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    assert names.contained(str(root), "a/b.txt") == os.path.join(os.path.realpath(root), "a", "b.txt")


def test_contained_rejects_symlinked_dirs_pointing_outside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidNameError, match="outside the download root"):
        names.contained(str(root), "link/x.txt")


def test_contained_allows_symlinks_that_stay_inside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    assert names.contained(str(root), "alias/x.txt").endswith(os.path.join("alias", "x.txt"))


def test_contained_through_a_symlinked_root(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert names.contained(str(link), "x.txt") == os.path.join(os.path.realpath(real), "x.txt")


def test_contained_rejects_dotdot(tmp_path: Path) -> None:
    with pytest.raises(InvalidNameError):
        names.contained(str(tmp_path), "../x.txt")

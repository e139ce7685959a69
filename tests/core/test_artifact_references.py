"""References to another artifact's entries (get_entry/get_path, wandb-artifact://), tracked URIs of
other schemes, and verify() with no root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import artiflow
from artiflow import Api, Artifact


def test_reference_to_another_artifacts_entry_downloads_its_content(store: artiflow.Store, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with artiflow.init(project="p", store=store) as run:
        source = Artifact("raw", "dataset")
        source.add_file(str(tmp_path / "x.csv"))
        run.log_artifact(source)
        derived = Artifact("derived", "dataset")
        (entry,) = derived.add_reference(source.get_entry("x.csv"))
        with pytest.warns(DeprecationWarning):
            derived.add_reference(source.get_path("x.csv"), name="copy/x.csv")
        run.log_artifact(derived)
    got = Api(store=store).artifact("p/derived:latest")
    assert got.manifest.contents["x.csv"].ref == f"wandb-artifact://{source.id}/x.csv"
    assert got.manifest.contents["x.csv"].digest == source.manifest.contents["x.csv"].digest
    root = Path(got.download(tmp_path / "out"))
    assert (root / "x.csv").read_text() == (root / "copy" / "x.csv").read_text() == "a,b\n1,2\n"
    got.verify(root)
    assert entry.path == "x.csv"


def test_wandb_artifact_uri_resolves_in_the_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTIFLOW_HOME", str(tmp_path / "home"))
    (tmp_path / "x.txt").write_text("hello")
    with artiflow.init(project="p") as run:
        source = run.log_artifact(str(tmp_path / "x.txt"), name="raw", type="dataset")
        derived = Artifact("derived", "dataset")
        derived.add_reference(f"wandb-artifact://{source.id}/x.txt", name="y.txt")
        run.log_artifact(derived)
    assert Path(derived.download(tmp_path / "out"), "y.txt").read_text() == "hello"
    with pytest.raises(FileNotFoundError, match="no entry"):
        Artifact("d", "dataset").add_reference(f"wandb-artifact://{source.id}/missing.txt")


def test_a_tracked_uri_is_kept_and_not_downloaded(store: artiflow.Store, tmp_path: Path) -> None:
    art = Artifact("d", "dataset")
    art.add_reference("ftp://example.com/data/y.csv")
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    root = Path(Api(store=store).artifact("p/d:latest").download(tmp_path / "out"))
    assert not (root / "y.csv").exists()


def test_verify_with_no_root_downloads_first(store: artiflow.Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("hello")
    with artiflow.init(project="p", store=store) as run:
        art = run.log_artifact(str(tmp_path / "x.txt"), name="raw", type="dataset")
    got = Api(store=store).artifact("p/raw:latest")
    got.verify()  # nothing downloaded yet: verify fetches, then checks
    assert os.path.isfile(os.path.join(got._root(None), "x.txt")) and art.digest == got.digest


def test_a_missing_file_reference_names_the_entry_and_the_way_to_skip_it(store: artiflow.Store, tmp_path: Path) -> None:
    target = tmp_path / "shared" / "labels.csv"
    target.parent.mkdir()
    target.write_text("cat,dog\n")
    art = Artifact("refs", "dataset")
    art.add_reference(target.as_uri())
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    target.unlink()
    with pytest.raises(FileNotFoundError) as missing:
        art.download(root=tmp_path / "out")
    message = str(missing.value)
    assert "'labels.csv'" in message and str(target) in message and "allow_missing_references=True" in message
    assert not (tmp_path / "out" / "labels.csv").exists()

"""Seeds 002 (W&B's ``Artifact`` reference, English) and 000 (the same page in Japanese).

Each test runs one code sample of the page as written after ``import artiflow as wandb``, with only
setup around it (the artifact or files the sample expects). Samples that appear in both pages are
one test, parametrized by seed. Where a sample names a value it never defines (``i``, ``run``), the
setup defines it. Edits are named in the test; the samples not run here are listed in
``docs/wandb-compat.md`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import artiflow as wandb

BOTH = pytest.mark.parametrize("seed", ["000", "002"])


@pytest.fixture
def logged(files: Callable[..., None]) -> wandb.Run:
    """``project/artifact`` logged with the alias ``alias``; returns the run that logged it."""
    files("src/a.txt", "src/b/c.txt")
    with wandb.init(project="project") as run:
        art = wandb.Artifact("artifact", "dataset")
        art.add_dir("src")
        run.log_artifact(art, aliases=["alias"])
    return run


@BOTH
def test_basic_usage(seed: str, logged: wandb.Run) -> None:
    api = wandb.Api()
    artifact = api.artifact('project/artifact:alias')

    # Get information about the artifact...
    artifact.digest
    artifact.aliases

    assert sorted(artifact.aliases) == ["alias", "latest"] and len(artifact.digest) == 32


@BOTH
def test_updating_an_artifact(seed: str, logged: wandb.Run) -> None:
    api = wandb.Api()
    artifact = api.artifact('project/artifact:alias')

    # Update the description
    artifact.description = 'My new description'

    # Selectively update metadata keys
    artifact.metadata["oldKey"] = "new value"

    # Replace the metadata entirely
    artifact.metadata = {"newKey": "new value"}

    # Add an alias
    artifact.aliases.append('best')

    # Remove an alias
    artifact.aliases.remove('latest')

    # Completely replace the aliases
    artifact.aliases = ['replaced']

    # Persist all artifact modifications
    artifact.save()

    again = wandb.Api().artifact("project/artifact:v0")
    assert again.description == "My new description"
    assert again.metadata == {"newKey": "new value"}
    assert "replaced" in again.aliases and "alias" not in again.aliases


@BOTH
def test_artifact_graph_traversal(seed: str, logged: wandb.Run) -> None:
    api = wandb.Api()
    with wandb.init(project="project") as consumer:
        consumer.use_artifact("artifact:alias")
    run = logged  # setup: the sample walks from "run", the run that logged the artifact
    artifact = api.artifact('project/artifact:alias')

    # Walk up and down the graph from an artifact:
    producer_run = artifact.logged_by()
    consumer_runs = artifact.used_by()

    # Walk up and down the graph from a run:
    logged_artifacts = run.logged_artifacts()
    used_artifacts = run.used_artifacts()

    assert producer_run == logged and consumer_runs == [consumer]
    assert [a.name for a in logged_artifacts] == ["artifact:v0"] and used_artifacts == []


@BOTH
def test_deleting_an_artifact_with_aliases_raises_as_documented(seed: str, logged: wandb.Run) -> None:
    # delete(delete_aliases=False) "raises an exception if the artifact has existing aliases", and
    # a version fetched by an alias has one: the sample raises, as the reference says it does.
    with pytest.raises(wandb.StoreError, match="delete_aliases=True"):
        artifact = wandb.Api().artifact('project/artifact:alias')
        artifact.delete()


@BOTH
def test_delete_every_model_a_run_logged(seed: str, files: Callable[..., None]) -> None:
    files("model.pt")
    with wandb.init(project="my_project", entity="my_entity") as r:
        r.log_model("model.pt", name="net")
        r.log_artifact(wandb.Artifact("data", "dataset"))
    api = wandb.Api()

    runs = api.runs(path="my_entity/my_project")
    for run in runs:
        for artifact in run.logged_artifacts():
            if artifact.type == "model":
                artifact.delete(delete_aliases=True)

    assert not api.artifact_exists("my_project/net:v0")
    assert api.artifact_exists("my_project/data:v0")


def _table_sample_setup() -> int:
    return 3  # the sample's rows use an ``i`` it never defines


@BOTH
def test_add_basic_usage_and_retrieve(seed: str) -> None:
    i = _table_sample_setup()
    artifact = wandb.Artifact('my_table', 'dataset')
    table = wandb.Table(columns=["a", "b", "c"], data=[[i, i*2, 2**i]])
    artifact.add(table, "my_table")

    wandb.log_artifact(artifact)

    # Retrieve an object:
    artifact = wandb.use_artifact('my_table:latest')
    table = artifact.get("my_table")

    assert table.columns == ["a", "b", "c"] and table.data == [[3, 6, 8]]
    assert [f.path for f in artifact.files()] == ["my_table.table.json"]


@BOTH
def test_add_dir(seed: str, files: Callable[..., None]) -> None:
    files("my_dir/a.txt", "my_dir/sub/b.txt")
    artifact = wandb.Artifact("d", "dataset")
    # All files in `my_dir/` are added at the root of the artifact.
    artifact.add_dir('my_dir/')
    other = artifact
    artifact = wandb.Artifact("e", "dataset")
    # All files in `my_dir/` are added under `destination/`.
    artifact.add_dir('my_dir/', name='destination')

    with wandb.init() as run:
        assert sorted(run.log_artifact(other).manifest.contents) == ["a.txt", "sub/b.txt"]
        assert sorted(run.log_artifact(artifact).manifest.contents) == ["destination/a.txt", "destination/sub/b.txt"]


@BOTH
def test_add_file(seed: str, files: Callable[..., None]) -> None:
    files("path/to/file.txt")
    artifact = wandb.Artifact("d", "dataset")
    # Add as `file.txt'
    artifact.add_file('path/to/file.txt')
    other = artifact
    artifact = wandb.Artifact("e", "dataset")
    # Add as 'new/path/file.txt'
    artifact.add_file('path/to/file.txt', name='new/path/file.txt')

    with wandb.init() as run:
        assert list(run.log_artifact(other).manifest.contents) == ["file.txt"]
        assert list(run.log_artifact(artifact).manifest.contents) == ["new/path/file.txt"]


@BOTH
def test_add_reference_http(seed: str, http_host: str) -> None:
    artifact = wandb.Artifact("web", "dataset")
    # Adds `file.txt` to the root of the artifact as a reference.
    artifact.add_reference("http://myserver.com/file.txt")

    with wandb.init() as run:
        run.log_artifact(artifact)
    (entry,) = artifact.manifest
    assert (entry.path, entry.ref, entry.size) == ("file.txt", "http://myserver.com/file.txt", 36)
    assert Path(artifact.download(), "file.txt").read_text() == "served http://myserver.com/file.txt\n"


@BOTH
def test_add_reference_s3_prefix(seed: str, s3_buckets: Callable[[str], object]) -> None:
    fs = s3_buckets("mybucket")
    for key in ("prefix/a.txt", "prefix/deep/b.txt", "other/c.txt"):
        fs.pipe(f"mybucket/{key}", key.encode())  # type: ignore[attr-defined]
    artifact = wandb.Artifact("bucket", "dataset")
    # All objects under `prefix/` will be added at the root of the artifact.
    artifact.add_reference("s3://mybucket/prefix")

    with wandb.init() as run:
        run.log_artifact(artifact)
    assert sorted(artifact.manifest.contents) == ["a.txt", "deep/b.txt"]
    assert Path(artifact.download(), "deep/b.txt").read_text() == "prefix/deep/b.txt"


def test_get_basic_usage_seed_000() -> None:
    """Seed 000's version of the sample (seed 002's calls ``r.get``, which no W&B Run has)."""
    i = _table_sample_setup()
    # アーティファクトをログするrun
    with wandb.init() as r:
        artifact = wandb.Artifact('my_dataset', type='dataset')
        table = wandb.Table(columns=["a", "b", "c"], data=[[i, i*2, 2**i]])
        artifact.add(table, "my_table")
        wandb.log_artifact(artifact)

    # アーティファクトを使用するrun
    with wandb.init() as r:
        artifact = r.use_artifact('my_dataset:latest')
        table = artifact.get('my_table')

    assert table == wandb.Table(columns=["a", "b", "c"], data=[[3, 6, 8]])


@BOTH
def test_get_path_basic_usage(seed: str, files: Callable[..., None]) -> None:
    files("path/to/file.txt")
    # Run logging the artifact
    with wandb.init() as r:
        artifact = wandb.Artifact('my_dataset', type='dataset')
        artifact.add_file('path/to/file.txt')
        wandb.log_artifact(artifact)

    # Run using the artifact
    with wandb.init() as r:
        artifact = r.use_artifact('my_dataset:latest')
        with pytest.warns(DeprecationWarning, match="get_entry"):  # deprecated, as in the W&B SDK
            path = artifact.get_path('file.txt')

        # Can now download 'file.txt' directly:
        path.download()

    assert Path("artifacts/my_dataset:v0/file.txt").read_text() == "contents of path/to/file.txt\n"


@BOTH
def test_get_and_get_path_on_a_draft_raise(seed: str, files: Callable[..., None]) -> None:
    # "Raises ArtifactNotLoggedError if the artifact isn't logged"
    files("file.txt")
    artifact = wandb.Artifact('my_dataset', type='dataset')
    artifact.add_file("file.txt")
    artifact.add({"a": 1}, "obj")
    with pytest.raises(wandb.ArtifactNotLoggedError):
        artifact.get("obj")
    with pytest.raises(wandb.ArtifactNotLoggedError), pytest.warns(DeprecationWarning):
        artifact.get_path("file.txt")


@BOTH
def test_new_file(seed: str) -> None:
    artifact = wandb.Artifact('my_data', type='dataset')
    with artifact.new_file('hello.txt') as f:
        f.write('hello!')
    wandb.log_artifact(artifact)

    assert Path(wandb.use_artifact("my_data:latest").download(), "hello.txt").read_text() == "hello!"


@BOTH
def test_getitem_basic_usage(seed: str) -> None:
    i = _table_sample_setup()
    artifact = wandb.Artifact('my_table', 'dataset')
    table = wandb.Table(columns=["a", "b", "c"], data=[[i, i*2, 2**i]])
    artifact["my_table"] = table

    wandb.log_artifact(artifact)

    # Retrieving an object:
    artifact = wandb.use_artifact('my_table:latest')
    table = artifact["my_table"]

    assert table.get_column("c") == [8]


@BOTH
def test_signatures_follow_the_reference(seed: str, files: Callable[..., None]) -> None:
    """``download(root=None, recursive=False)``, ``files(names=None, per_page=50)``, ``new_file(name, mode=None)``."""
    files("d/a.txt", "d/b.txt")
    artifact = wandb.Artifact("sig", "dataset")
    artifact.add_dir("d")
    with artifact.new_file("n.txt", mode=None) as f:
        f.write("n")
    wandb.log_artifact(artifact)
    got = wandb.use_artifact("sig:latest")
    assert [f.path for f in got.files(names=["b.txt"], per_page=50)] == ["b.txt"]
    root = got.download(root="out", recursive=True)
    assert sorted(p.name for p in Path(root).iterdir()) == ["a.txt", "b.txt", "n.txt"]
    with pytest.raises(TypeError):  # no option after root is positional: True never silently means something
        got.download("out", True)  # type: ignore[misc]

"""``Api``: the artifact path grammar, listing collections, types and runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import artiflow
from artiflow import Api, Artifact, ArtifactNotFoundError, InvalidNameError, Store, TypeMismatchError

Log = Callable[..., Artifact]  # the ``log`` fixture


@pytest.fixture
def populated(store: Store, log: Log) -> dict[str, Artifact]:
    """``p/cats`` v0 (alias best), v1 (latest); ``p/dogs`` model v0; ``q/cats`` model v0."""
    return {
        "cats0": log(store, "cats", {"f.txt": "0"}, aliases=["best"]),
        "cats1": log(store, "cats", {"f.txt": "1"}),
        "dogs0": log(store, "dogs", {"f.txt": "d"}, type="model"),
        "qcats0": log(store, "cats", {"f.txt": "q"}, type="model", project="q"),
    }


# -- the path grammar ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("p/cats", "cats1"),
        ("p/cats:latest", "cats1"),
        ("p/cats:v0", "cats0"),
        ("p/cats:v1", "cats1"),
        ("p/cats:best", "cats0"),
        ("entity/p/cats:best", "cats0"),
        ("entity/p/cats", "cats1"),
        ("q/cats", "qcats0"),
        ("p/dogs:v0", "dogs0"),
    ],
)
def test_artifact_paths(store: Store, populated: dict[str, Artifact], path: str, key: str) -> None:
    got = Api(store=store).artifact(path)
    want = populated[key]
    assert got == want
    assert (got.qualified_name, got.digest, got.type) == (want.qualified_name, want.digest, want.type)


def test_artifact_by_digest(store: Store, populated: dict[str, Artifact]) -> None:
    cats0 = populated["cats0"]
    assert len(cats0.digest) == 32
    assert Api(store=store).artifact(f"p/cats:{cats0.digest}") == cats0
    with pytest.raises(ArtifactNotFoundError):  # digests are per collection
        Api(store=store).artifact(f"q/cats:{cats0.digest}")


def test_name_without_project_uses_the_default_project(
    store: Store, populated: dict[str, Artifact], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ArtifactNotFoundError, match="uncategorized/cats"):
        Api(store=store).artifact("cats")
    settings = artiflow.Settings(home=store.settings.home, project="p")
    api = Api(settings=settings)
    try:
        assert api.artifact("cats:v0") == populated["cats0"]
        assert api.artifact("cats").version == "v1"
    finally:
        api.store.close()
    monkeypatch.setenv("ARTIFLOW_PROJECT", "q")
    api = Api(settings=artiflow.Settings(home=store.settings.home))
    try:
        assert api.artifact("cats").type == "model"
    finally:
        api.store.close()


def test_api_reads_the_environment_home(populated: dict[str, Artifact]) -> None:
    """``Api()`` with no arguments opens the store ARTIFLOW_HOME points at (set by conftest)."""
    api = Api()
    try:
        assert api.artifact("p/cats:best") == populated["cats0"]
    finally:
        api.store.close()


@pytest.mark.parametrize(
    "path",
    ["", "p/cats:", "a/b/c/d", "a/b/c/d:v0", "/cats", "p//cats", "p/", "p/ca ts", "p/cats!"],
)
def test_bad_paths(store: Store, path: str) -> None:
    with pytest.raises(InvalidNameError):
        Api(store=store).artifact(path)


def test_bad_project_name(store: Store) -> None:
    with pytest.raises(InvalidNameError):
        Api(store=store).artifact("we#ird/cats")


@pytest.mark.parametrize("path", ["p/cats:v9", "p/cats:nope", "p/mice", "nowhere/cats", "p/cats:" + "0" * 32])
def test_missing_artifact_message(store: Store, populated: dict[str, Artifact], path: str) -> None:
    with pytest.raises(ArtifactNotFoundError) as info:
        Api(store=store).artifact(path)
    msg = str(info.value)
    coll, _, selector = path.partition(":")
    assert f"'{coll}:{selector or 'latest'}'" in msg
    assert "artiflow ls" in msg  # tells the user how to look
    assert isinstance(info.value, LookupError)


def test_artifact_type_check(store: Store, populated: dict[str, Artifact]) -> None:
    api = Api(store=store)
    assert api.artifact("p/cats:v0", type="dataset") == populated["cats0"]
    with pytest.raises(TypeMismatchError, match="'model'.*'dataset'"):
        api.artifact("p/cats:v0", type="model")


def test_artifact_exists(store: Store, populated: dict[str, Artifact]) -> None:
    api = Api(store=store)
    assert api.artifact_exists("p/cats")
    assert api.artifact_exists("p/cats:best", type="dataset")
    assert not api.artifact_exists("p/cats:best", type="model")
    assert not api.artifact_exists("p/cats:v5")
    assert not api.artifact_exists("p/mice")
    with pytest.raises(InvalidNameError):  # a malformed path is a bug to report, not "absent"
        api.artifact_exists("a/b/c/d")


# -- listing -------------------------------------------------------------------------------------


def test_artifacts_lists_versions_oldest_first(store: Store, populated: dict[str, Artifact]) -> None:
    api = Api(store=store)
    versions = api.artifacts("dataset", "p/cats")
    assert [v.version for v in versions] == ["v0", "v1"]
    assert versions == [populated["cats0"], populated["cats1"]]
    assert [sorted(v.aliases) for v in versions] == [["best"], ["latest"]]
    assert [v.version for v in api.artifacts("dataset", "p/cats:v0")] == ["v0", "v1"]  # selector ignored
    assert [v.qualified_name for v in api.artifacts("model", "entity/q/cats")] == ["q/cats:v0"]


def test_artifacts_wrong_type_or_missing(store: Store, populated: dict[str, Artifact]) -> None:
    api = Api(store=store)
    with pytest.raises(ArtifactNotFoundError, match="'model'.*p/cats"):
        api.artifacts("model", "p/cats")
    with pytest.raises(ArtifactNotFoundError):
        api.artifacts("dataset", "p/mice")


def test_artifacts_hides_deleted_versions_unless_asked(store: Store, populated: dict[str, Artifact]) -> None:
    populated["cats0"].delete(delete_aliases=True)
    api = Api(store=store)
    assert [v.version for v in api.artifacts("dataset", "p/cats")] == ["v1"]
    assert [v.version for v in api.artifacts("dataset", "p/cats", include_deleted=True)] == ["v0", "v1"]


def test_artifact_collections(store: Store, populated: dict[str, Artifact]) -> None:
    api = Api(store=store)
    colls = api.artifact_collections("p")
    assert [(c.project, c.name, c.type) for c in colls] == [("p", "cats", "dataset"), ("p", "dogs", "model")]
    assert [c.name for c in api.artifact_collections("p", "model")] == ["dogs"]
    assert [(c.project, c.name) for c in api.artifact_collections("q")] == [("q", "cats")]
    assert api.artifact_collections("nowhere") == []
    cats = api.artifact_collection("dataset", "p/cats")
    assert [v.version for v in cats.versions()] == ["v0", "v1"]
    assert cats.aliases == ["best", "latest"]
    with pytest.raises(ArtifactNotFoundError):
        api.artifact_collection("model", "p/cats")


def test_artifact_types(store: Store, populated: dict[str, Artifact]) -> None:
    api = Api(store=store)
    types = api.artifact_types("p")
    assert [t.name for t in types] == ["dataset", "model"]
    assert [c.name for c in types[1].collections()] == ["dogs"]
    assert [t.name for t in api.artifact_types("q")] == ["model"]
    assert api.artifact_types("empty") == []


def test_projects(store: Store, populated: dict[str, Artifact]) -> None:
    artiflow.init(project="runs-only", store=store).finish()
    assert Api(store=store).projects() == ["p", "q", "runs-only"]


# -- runs ----------------------------------------------------------------------------------------


def test_runs_and_run(store: Store) -> None:
    a = artiflow.init(project="p", name="first", job_type="train", store=store)
    b = artiflow.init(project="p", name="second", store=store)
    other = artiflow.init(project="q", store=store)
    a.finish()
    api = Api(store=store)
    runs = api.runs("p")
    assert runs == [a, b]
    assert [(r.name, r.state) for r in runs] == [("first", "finished"), ("second", "running")]
    assert api.runs("q") == [other]
    assert api.runs("none") == []
    assert api.run(a.path) == a
    assert api.run(a.id) == a
    assert api.run(f"entity/p/{a.id}").job_type == "train"


def test_run_lookup_errors(store: Store) -> None:
    run = artiflow.init(project="p", store=store)
    api = Api(store=store)
    with pytest.raises(ArtifactNotFoundError, match="nope"):
        api.run("p/nope")
    with pytest.raises(ArtifactNotFoundError, match="'p'"):
        api.run(f"q/{run.id}")


def test_run_from_api_lists_lineage(store: Store, populated: dict[str, Artifact]) -> None:
    cats0 = populated["cats0"]
    with artiflow.init(project="p", store=store) as user:
        user.use_artifact("cats:best")
    api = Api(store=store)
    logger = cats0.logged_by()
    assert logger is not None
    assert api.run(logger.path).logged_artifacts() == [cats0]
    assert api.run(user.path).used_artifacts() == [cats0]
    assert api.artifact("p/cats:best").used_by() == [user]


def test_deleted_versions_are_not_found(store: Store, populated: dict[str, Artifact]) -> None:
    cats0 = populated["cats0"]
    cats0.delete(delete_aliases=True)
    api = Api(store=store)
    for path in ("p/cats:v0", "p/cats:best", f"p/cats:{cats0.digest}"):
        with pytest.raises(ArtifactNotFoundError, match="p/cats"):
            api.artifact(path)
        assert not api.artifact_exists(path)
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(ArtifactNotFoundError):
            run.use_artifact("cats:v0")
    assert api.artifact("p/cats:v1").version == "v1"

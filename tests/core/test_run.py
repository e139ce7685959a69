"""Runs: init, lifecycle, log_artifact / use_artifact, model and code helpers, threads."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import artiflow
from artiflow import (
    Api,
    Artifact,
    ArtifactNotFoundError,
    InvalidNameError,
    Store,
    TypeCollisionError,
    TypeMismatchError,
)

MakeTree = Callable[..., Path]


def dataset(make_tree: MakeTree, files: dict[str, str | bytes], name: str = "cats") -> Artifact:
    art = Artifact(name, "dataset")
    art.add_dir(make_tree(files))
    return art


# -- init and lifecycle ----------------------------------------------------------------------------


def test_init_records_what_the_user_passed(store: Store) -> None:
    run = artiflow.init(
        project="proj", name="my-run", job_type="train", group="sweep-1", config={"lr": 0.1, "layers": [1, 2]},
        store=store,
    )
    assert (run.project, run.name, run.job_type, run.group) == ("proj", "my-run", "train", "sweep-1")
    assert run.config == {"lr": 0.1, "layers": [1, 2]}
    assert run.state == "running"
    assert run.path == f"proj/{run.id}"
    again = Api(store=store).run(run.path)
    assert again == run
    assert (again.name, again.job_type, again.group, again.config) == ("my-run", "train", "sweep-1", run.config)
    run.finish()


def test_init_defaults(store: Store) -> None:
    run = artiflow.init(store=store)
    assert run.project == "uncategorized"
    assert run.name == run.id and len(run.id) == 8
    assert run.group is None and run.job_type is None and run.config == {}
    other = artiflow.init(store=store)
    assert other.id != run.id


def test_init_project_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTIFLOW_PROJECT", "from-env")
    with artiflow.init() as run:
        assert run.project == "from-env"
    run.store.close()


def test_init_rejects_bad_names(store: Store) -> None:
    with pytest.raises(InvalidNameError):
        artiflow.init(project="a/b", store=store)
    with pytest.raises(InvalidNameError):
        artiflow.init(project="p", id="no spaces", store=store)


def test_config_copies_the_callers_dict_and_persists_its_own_writes(store: Store) -> None:
    cfg = {"lr": 0.1}
    run = artiflow.init(project="p", config=cfg, store=store)
    cfg["lr"] = 9.0
    assert run.config == {"lr": 0.1}
    run.config["lr"] = 7.0
    run.config.update({"epochs": 3})
    run.config.batch = 32
    assert artiflow.Api(store=store).run(run.path).config == {"lr": 7.0, "epochs": 3, "batch": 32}
    run.finish()


def test_context_manager_finishes(store: Store) -> None:
    with artiflow.init(project="p", store=store) as run:
        assert run.state == "running"
    assert run.state == "finished"
    assert Api(store=store).run(run.path).state == "finished"


def test_context_manager_marks_failure_and_reraises(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with artiflow.init(project="p", store=store) as run:
            raise RuntimeError("boom")
    assert run.state == "failed"
    assert Api(store=store).run(run.path).state == "failed"


def test_finish_with_exit_code(store: Store) -> None:
    ok = artiflow.init(project="p", store=store)
    ok.finish(exit_code=0)
    bad = artiflow.init(project="p", store=store)
    bad.finish(exit_code=3)
    assert (ok.state, bad.state) == ("finished", "failed")


def test_resuming_a_run_by_id_keeps_its_identity(store: Store) -> None:
    with artiflow.init(project="p", id="task-1", name="first", store=store) as run:
        pass
    with pytest.raises(ValueError):
        with artiflow.init(project="p", id="task-1", store=store) as again:
            assert again.state == "running"
            raise ValueError
    assert again == run
    assert again.name == "first"
    assert [r.id for r in Api(store=store).runs("p")] == ["task-1"]
    assert Api(store=store).run("p/task-1").state == "failed"


# -- log_artifact --------------------------------------------------------------------------------


def test_log_artifact_object(store: Store, make_tree: MakeTree) -> None:
    art = dataset(make_tree, {"a.txt": "hello\n", "sub/b.txt": "world\n"})
    with artiflow.init(project="p", store=store) as run:
        out = run.log_artifact(art, aliases=["raw"], tags=["nightly"])
    assert out is art
    assert not art.is_draft()
    assert (art.name, art.version, art.type, art.project) == ("cats:v0", "v0", "dataset", "p")
    assert art.qualified_name == "p/cats:v0"
    assert sorted(art.aliases) == ["latest", "raw"]
    assert art.tags == ["nightly"]
    assert art.file_count == 2 and art.size == 12
    got = Api(store=store).artifact("p/cats:raw")
    assert got == art and got.tags == ["nightly"]
    root = Path(got.download())
    assert (root / "sub" / "b.txt").read_text() == "world\n"
    assert art.logged_by() == run
    assert run.logged_artifacts() == [art]


def test_log_artifact_merges_draft_aliases_and_tags(store: Store, make_tree: MakeTree) -> None:
    art = dataset(make_tree, {"a.txt": "x"})
    art.aliases = ["draft-alias"]
    art.tags = ["t1"]
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art, aliases=["call-alias"], tags=["t2", "t1"])
    assert sorted(art.aliases) == ["call-alias", "draft-alias", "latest"]
    assert sorted(art.tags) == ["t1", "t2"]


def test_log_artifact_rejects_bad_aliases_and_tags(store: Store, make_tree: MakeTree) -> None:
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(InvalidNameError):
            run.log_artifact(dataset(make_tree, {"a": "1"}), aliases=["v3"])
        with pytest.raises(InvalidNameError):
            run.log_artifact(dataset(make_tree, {"a": "1"}), aliases=["a/b"])
        with pytest.raises(InvalidNameError):
            run.log_artifact(dataset(make_tree, {"a": "1"}), tags=["bad:tag"])
    assert not Api(store=store).artifact_exists("p/cats")


def test_log_artifact_file_path_default_name(store: Store, make_tree: MakeTree) -> None:
    f = make_tree({"model weights.bin": b"\x00\x01"}) / "model weights.bin"
    with artiflow.init(project="p", store=store) as run:
        art = run.log_artifact(f)
    assert art.name == f"run-{run.id}-model_weights.bin:v0"
    assert art.type == "unspecified"
    assert [e.path for e in art.files()] == ["model weights.bin"]
    assert Path(art.file()).read_bytes() == b"\x00\x01"


def test_log_artifact_dir_path_default_name(store: Store, make_tree: MakeTree) -> None:
    root = make_tree({"x.txt": "x", "deep/y.txt": "y"}, root=None)
    with artiflow.init(project="p", store=store) as run:
        art = run.log_artifact(str(root) + os.sep)
    assert art.collection_name == f"run-{run.id}-{root.name}"
    assert art.type == "unspecified"
    assert sorted(e.path for e in art.files()) == ["deep/y.txt", "x.txt"]


def test_log_artifact_path_with_name_and_type(store: Store, make_tree: MakeTree) -> None:
    root = make_tree({"x.txt": "x"})
    with artiflow.init(project="p", store=store) as run:
        art = run.log_artifact(root, name="thing", type="dataset", aliases=["best"])
    assert (art.name, art.type) == ("thing:v0", "dataset")
    assert Api(store=store).artifact("p/thing:best") == art


def test_log_artifact_missing_path(store: Store, tmp_path: Path) -> None:
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(FileNotFoundError):
            run.log_artifact(tmp_path / "nope")


def test_log_artifact_type_argument_must_match_object(store: Store, make_tree: MakeTree) -> None:
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(TypeMismatchError, match="model"):
            run.log_artifact(dataset(make_tree, {"a": "1"}), type="model")
        run.log_artifact(dataset(make_tree, {"a": "1"}), type="dataset")


def test_log_artifact_type_collision(store: Store, make_tree: MakeTree) -> None:
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(dataset(make_tree, {"a": "1"}))
        model = Artifact("cats", "model")
        model.add_dir(make_tree({"w": "2"}))
        with pytest.raises(TypeCollisionError, match="'dataset'.*'model'"):
            run.log_artifact(model)
    assert [a.version for a in Api(store=store).artifacts("dataset", "p/cats")] == ["v0"]


def test_new_versions_move_latest(store: Store, make_tree: MakeTree) -> None:
    with artiflow.init(project="p", store=store) as run:
        v0 = run.log_artifact(dataset(make_tree, {"a": "1"}), aliases=["best"])
        v1 = run.log_artifact(dataset(make_tree, {"a": "2"}))
    assert v1.version == "v1"
    assert v0.wait().aliases == ["best"]
    assert v1.aliases == ["latest"]
    assert Api(store=store).artifact("p/cats").version == "v1"


def test_dedup_hit_returns_existing_version_and_records_lineage(store: Store, make_tree: MakeTree) -> None:
    with artiflow.init(project="p", store=store) as first:
        v0 = first.log_artifact(dataset(make_tree, {"a": "same"}))
        v1 = first.log_artifact(dataset(make_tree, {"a": "other"}), aliases=["prod"])
    assert v1.version == "v1"
    with artiflow.init(project="p", store=store) as second:
        again = second.log_artifact(dataset(make_tree, {"a": "same"}), aliases=["prod"], tags=["rerun"])
    assert again.version == "v0"
    assert again == v0
    assert sorted(again.aliases) == ["latest", "prod"]
    assert "rerun" in again.tags
    versions = Api(store=store).artifacts("dataset", "p/cats")
    assert [v.version for v in versions] == ["v0", "v1"]
    assert versions[1].aliases == []
    assert Api(store=store).artifact("p/cats:latest").version == "v0"
    assert Api(store=store).artifact("p/cats:prod").version == "v0"
    # the re-logging run shows the version among its outputs, but did not create it
    assert second.logged_artifacts() == [v0]
    assert again.logged_by() == first
    assert store.lineage().loggers(v0.id) == [first.id, second.id]


def test_dedup_hit_in_same_run_is_listed_once(store: Store, make_tree: MakeTree) -> None:
    with artiflow.init(project="p", store=store) as run:
        a = run.log_artifact(dataset(make_tree, {"a": "1"}))
        b = run.log_artifact(dataset(make_tree, {"a": "1"}))
    assert a == b
    assert run.logged_artifacts() == [a]


def test_relogging_a_logged_artifact_is_a_dedup_hit(store: Store, make_tree: MakeTree) -> None:
    with artiflow.init(project="p", store=store) as run:
        art = run.log_artifact(dataset(make_tree, {"a": "1"}))
        run.log_artifact(dataset(make_tree, {"a": "2"}))
        again = run.log_artifact(art, aliases=["back"])
    assert again.version == "v0"
    assert sorted(again.aliases) == ["back", "latest"]


@pytest.mark.local_only
def test_logging_an_artifact_of_another_store_is_refused(
    store: Store, make_tree: MakeTree, tmp_path: Path
) -> None:
    other = Store.open(home=tmp_path / "other-home")
    try:
        with artiflow.init(project="p", store=other) as run:
            art = run.log_artifact(dataset(make_tree, {"a": "1"}))
        with artiflow.init(project="p", store=store) as run:
            with pytest.raises(artiflow.ArtiflowError, match="another store"):
                run.log_artifact(art)
            copy = run.log_artifact(art.new_draft())
        assert copy.digest == art.digest
        assert Path(copy.file()).read_text() == "1"
    finally:
        other.close()


def test_log_artifact_file_uri_is_a_reference(store: Store, make_tree: MakeTree) -> None:
    f = make_tree({"data.csv": "a,b\n"}) / "data.csv"
    with artiflow.init(project="p", store=store) as run:
        art = run.log_artifact(f.as_uri())
    assert art.collection_name == f"run-{run.id}-data.csv"
    assert [e.ref for e in art.manifest] == [f.as_uri()]
    assert Path(art.file()).read_text() == "a,b\n"


def test_artifacts_from_another_store_object_on_the_same_home(
    store: Store, make_tree: MakeTree, tmp_path: Path
) -> None:
    """``run.use_artifact(Api().artifact(...))``: Api() and init() each open their own Store object."""
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(dataset(make_tree, {"a": "1"}))
    api = Api(store=Store.open(home=tmp_path / "home"))
    try:
        fetched = api.artifact("p/cats:latest")
        with artiflow.init(project="p", store=store) as user:
            assert user.use_artifact(fetched) is fetched
            again = user.log_artifact(fetched, aliases=["blessed"])
        assert again.version == "v0"
        assert user.used_artifacts() == [fetched]
        assert Api(store=store).artifact("p/cats:blessed") == fetched
    finally:
        api.store.close()


@pytest.mark.local_only
def test_using_an_artifact_of_another_store_is_refused(
    store: Store, make_tree: MakeTree, tmp_path: Path
) -> None:
    other = Store.open(home=tmp_path / "other-home")
    try:
        with artiflow.init(project="p", store=other) as run:
            foreign = run.log_artifact(dataset(make_tree, {"a": "1"}))
        with artiflow.init(project="p", store=store) as run:
            with pytest.raises(artiflow.ArtiflowError, match="another store"):
                run.use_artifact(foreign)
        assert run.used_artifacts() == []
    finally:
        other.close()


# -- use_artifact --------------------------------------------------------------------------------


@pytest.fixture
def two_versions(store: Store, make_tree: MakeTree) -> tuple[Artifact, Artifact]:
    with artiflow.init(project="p", store=store) as run:
        v0 = run.log_artifact(dataset(make_tree, {"a": "zero"}), aliases=["best"])
        v1 = run.log_artifact(dataset(make_tree, {"a": "one"}))
    return v0, v1


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("cats", "v1"),
        ("cats:latest", "v1"),
        ("cats:v0", "v0"),
        ("cats:best", "v0"),
        ("p/cats:v1", "v1"),
        ("someone/p/cats:best", "v0"),
    ],
)
def test_use_artifact_by_name(
    store: Store, two_versions: tuple[Artifact, Artifact], ref: str, expected: str
) -> None:
    with artiflow.init(project="p", store=store) as run:
        art = run.use_artifact(ref)
    assert art.version == expected
    assert run.used_artifacts() == [art]
    assert art.used_by() == [run]


def test_use_artifact_by_digest(store: Store, two_versions: tuple[Artifact, Artifact]) -> None:
    v0, _ = two_versions
    with artiflow.init(project="p", store=store) as run:
        art = run.use_artifact(f"cats:{v0.digest}")
    assert art == v0


def test_use_artifact_from_another_project(store: Store, two_versions: tuple[Artifact, Artifact]) -> None:
    with artiflow.init(project="elsewhere", store=store) as run:
        art = run.use_artifact("p/cats:v0", type="dataset")
        with pytest.raises(ArtifactNotFoundError, match="elsewhere/cats"):
            run.use_artifact("cats:v0")
    assert art.project == "p"
    assert run.used_artifacts() == [art]


def test_use_artifact_object(store: Store, two_versions: tuple[Artifact, Artifact]) -> None:
    v0, _ = two_versions
    with artiflow.init(project="p", store=store) as run:
        assert run.use_artifact(v0, use_as="training data") is v0
    assert v0.used_by() == [run]


def test_use_artifact_type_mismatch(store: Store, two_versions: tuple[Artifact, Artifact]) -> None:
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(TypeMismatchError, match="'model'.*'dataset'"):
            run.use_artifact("cats:v0", type="model")
        assert run.use_artifact("cats:v0", type="dataset").version == "v0"


def test_use_artifact_missing(store: Store, two_versions: tuple[Artifact, Artifact]) -> None:
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(ArtifactNotFoundError, match="p/cats:v7"):
            run.use_artifact("cats:v7")
        with pytest.raises(ArtifactNotFoundError):
            run.use_artifact("dogs")
        with pytest.raises(InvalidNameError):
            run.use_artifact("a/b/c/d")
    assert run.used_artifacts() == []


def test_use_artifact_adds_aliases(store: Store, two_versions: tuple[Artifact, Artifact]) -> None:
    with artiflow.init(project="p", store=store) as run:
        art = run.use_artifact("cats:v0", aliases=["checked"])
    assert sorted(art.aliases) == ["best", "checked"]
    assert Api(store=store).artifact("p/cats:checked").version == "v0"


def test_using_a_draft_logs_it_first(store: Store, make_tree: MakeTree) -> None:
    draft = dataset(make_tree, {"a": "1"})
    with artiflow.init(project="p", store=store) as run:
        art = run.use_artifact(draft, aliases=["fresh"])
    assert art is draft and not art.is_draft()
    assert art.version == "v0"
    assert sorted(art.aliases) == ["fresh", "latest"]
    assert run.logged_artifacts() == [art]
    assert run.used_artifacts() == [art]
    assert art.logged_by() == run and art.used_by() == [run]


def test_lineage_chain_across_runs(store: Store, make_tree: MakeTree) -> None:
    with artiflow.init(project="p", job_type="ingest", store=store) as ingest:
        raw = ingest.log_artifact(dataset(make_tree, {"a": "1"}, name="raw"))
    with artiflow.init(project="p", job_type="train", store=store) as train:
        train.use_artifact("raw:latest")
        model = train.log_artifact(make_tree({"m.bin": b"w"}) / "m.bin", name="model", type="model")
    with artiflow.init(project="p", job_type="eval", store=store) as ev:
        ev.use_artifact("model:latest")
    assert raw.used_by() == [train]
    assert model.logged_by() == train
    assert model.used_by() == [ev]
    assert train.used_artifacts() == [raw] and train.logged_artifacts() == [model]
    assert ev.logged_artifacts() == []


# -- model and code helpers ----------------------------------------------------------------------


def test_log_model_single_file_and_use_model(store: Store, make_tree: MakeTree) -> None:
    weights = make_tree({"model.pt": b"weights"}) / "model.pt"
    with artiflow.init(project="p", store=store) as trainer:
        model = trainer.log_model(weights, aliases=["prod"])
    assert model.type == "model"
    assert model.collection_name == f"run-{trainer.id}-model.pt"
    assert sorted(model.aliases) == ["latest", "prod"]
    with artiflow.init(project="p", store=store) as user:
        path = user.use_model(f"{model.collection_name}:prod")
    assert os.path.isfile(path)
    assert os.path.basename(path) == "model.pt"
    assert Path(path).read_bytes() == b"weights"
    assert user.used_artifacts() == [model]


def test_log_model_dir_and_use_model_returns_dir(store: Store, make_tree: MakeTree) -> None:
    root = make_tree({"config.json": "{}", "weights.bin": b"w"})
    with artiflow.init(project="p", store=store) as run:
        model = run.log_model(root, name="net")
        path = run.use_model("p/net:v0")
    assert model.name == "net:v0"
    assert os.path.isdir(path)
    assert sorted(os.listdir(path)) == ["config.json", "weights.bin"]


def test_use_model_refuses_other_types(store: Store, two_versions: tuple[Artifact, Artifact]) -> None:
    with artiflow.init(project="p", store=store) as run:
        with pytest.raises(TypeMismatchError, match="model"):
            run.use_model("cats:latest")


@pytest.fixture
def source_tree() -> Path:
    """A small source tree in the working directory (the test's own tmp cwd)."""
    files = {
        "main.py": "print('hi')\n",
        "pkg/__init__.py": "",
        "pkg/util.py": "X = 1\n",
        "pkg/data.csv": "a,b\n",
        "notes.txt": "n\n",
        ".venv/lib/site.py": "junk\n",
        "pkg/__pycache__/util.cpython-311.py": "junk\n",
        "artifacts/cats:v0/old.py": "junk\n",
    }
    for rel, text in files.items():
        p = Path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return Path.cwd()


def test_log_code_defaults(store: Store, source_tree: Path) -> None:
    with artiflow.init(project="proj", name="exp", store=store) as run:
        code = run.log_code()
    assert code is not None
    assert code.type == "code"
    assert code.collection_name == "source-proj-exp"
    assert sorted(e.path for e in code.files()) == ["main.py", "pkg/__init__.py", "pkg/util.py"]
    assert run.logged_artifacts() == [code]


def test_log_code_include_and_exclude(store: Store, source_tree: Path) -> None:
    with artiflow.init(project="p", store=store) as run:
        code = run.log_code(
            source_tree,
            name="my-code",
            include_fn=lambda path, root: path.endswith((".py", ".csv")),
            exclude_fn=lambda path, root: os.path.relpath(path, root).startswith(("pkg", ".venv", "artifacts")),
        )
    assert code is not None
    assert code.name == "my-code:v0"
    assert sorted(e.path for e in code.files()) == ["main.py"]


def test_log_code_accepts_one_argument_callables(store: Store, source_tree: Path) -> None:
    """The W&B docs show ``include_fn=lambda path: ...``: one-argument filters must work too."""
    with artiflow.init(project="p", store=store) as run:
        code = run.log_code(
            include_fn=lambda path: path.endswith(".txt"),
            exclude_fn=lambda path, root: os.path.relpath(path, root).startswith(".venv"),
        )
    assert code is not None
    assert [e.path for e in code.files()] == ["notes.txt"]


def test_log_code_with_nothing_to_log(store: Store, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with artiflow.init(project="p", store=store) as run:
        assert run.log_code(empty) is None
    assert run.logged_artifacts() == []


def test_log_code_dedups_unchanged_code(store: Store, source_tree: Path) -> None:
    with artiflow.init(project="p", name="exp", store=store) as run:
        first = run.log_code(name="source-shared")
    with artiflow.init(project="p", name="exp2", store=store) as run2:
        second = run2.log_code(name="source-shared")
        (source_tree / "main.py").write_text("print('changed')\n")
        third = run2.log_code(name="source-shared")
    assert first is not None and second is not None and third is not None
    assert (first.version, second.version, third.version) == ("v0", "v0", "v1")


def test_source_names_are_reserved_for_log_code(store: Store, source_tree: Path) -> None:
    with pytest.raises(InvalidNameError, match="source-"):
        Artifact("source-mine", "code")
    Artifact("source-mine", "dataset")  # the reservation is for the code type only
    with artiflow.init(project="p", store=store) as run:
        code = run.log_code(name="source-mine")
        with pytest.raises(InvalidNameError):
            run.log_code(name="bad name")
    assert code is not None and code.name == "source-mine:v0"


# -- threads -------------------------------------------------------------------------------------


def test_runs_in_threads_log_to_the_same_collection(store: Store, make_tree: MakeTree) -> None:
    n = 8
    trees = [make_tree({"part.txt": f"part {i}\n", f"only-{i}.txt": str(i)}) for i in range(n)]
    barrier = threading.Barrier(n)
    results: dict[int, tuple[str, str]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            with artiflow.init(project="p", job_type=f"worker-{i}", store=store) as run:
                barrier.wait()
                art = Artifact("shared", "dataset")
                art.add_dir(trees[i])
                run.log_artifact(art)
                results[i] = (run.id, art.id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    versions = Api(store=store).artifacts("dataset", "p/shared")
    assert [v.version for v in versions] == [f"v{i}" for i in range(n)]
    assert len({v.digest for v in versions}) == n
    assert Api(store=store).artifact("p/shared:latest").version == f"v{n - 1}"
    by_id = {v.id: v for v in versions}
    for run_id, version_id in results.values():
        assert by_id[version_id].logged_by().id == run_id  # type: ignore[union-attr]
        assert [a.id for a in Api(store=store).run(f"p/{run_id}").logged_artifacts()] == [version_id]


def test_a_store_per_thread(tmp_path: Path, make_tree: MakeTree) -> None:
    """Separate Store objects on one home (as separate processes would have) don't collide either."""
    n = 4
    trees = [make_tree({"x": f"{i}"}) for i in range(n)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        s = Store.open(home=tmp_path / "home")
        try:
            with artiflow.init(project="p", store=s) as run:
                for j in range(3):
                    art = Artifact("shared", "dataset")
                    art.add_dir(trees[i])
                    art.add_file(make_tree({"y": f"{i}-{j}"}) / "y")
                    run.log_artifact(art)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    check = Store.open(home=tmp_path / "home")
    try:
        versions = Api(store=check).artifacts("dataset", "p/shared")
        assert [v.version for v in versions] == [f"v{i}" for i in range(n * 3)]
    finally:
        check.close()

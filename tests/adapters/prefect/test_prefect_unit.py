"""The adapter without a Prefect server: refs, keys, declarations, and task functions called directly."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import artiflow
from artiflow import Artifact
from artiflow.adapters.prefect import ArtifactRef, Output, artifact_task, get_run
from artiflow.adapters.prefect.stores import StoreHandle
from artiflow.adapters.prefect.ui import card_key

Log = Callable[..., Artifact]  # the ``log`` fixture


def test_a_ref_pickles_and_resolves_to_exactly_its_version(store: artiflow.Store, log: Log) -> None:
    v0 = log(store, "cats", {"data.txt": "one\n"}, project="unit")
    log(store, "cats", {"data.txt": "two\n"}, project="unit")  # latest moves on; the ref does not
    ref = pickle.loads(pickle.dumps(ArtifactRef.of(v0)))
    assert ref.qualified_name == "unit/cats:v0" and str(ref) == "unit/cats:v0"
    assert ref.resolve(store).digest == v0.digest
    assert ArtifactRef.model_validate_json(ref.model_dump_json()) == ref


@pytest.mark.local_only
def test_a_ref_from_another_store_is_refused(store: artiflow.Store, tmp_path: Path, log: Log) -> None:
    other = artiflow.Store.open(home=tmp_path / "other")
    ref = ArtifactRef.of(log(other, "cats", {"data.txt": "elsewhere\n"}, project="unit"))
    log(store, "cats", {"data.txt": "here\n"}, project="unit")
    with pytest.raises(artiflow.DigestMismatchError, match="another store"):
        ref.resolve(store)
    other.close()


def test_card_keys_are_valid_prefect_keys_and_never_shared() -> None:
    names = [("demo", "clean-data"), ("demo", "clean_data"), ("demo", "Clean-Data"), ("de-mo", "x"),
             ("de", "mo-x"), ("de-mo", "x-y"), ("de-mo-x", "y"), ("p", "a" * 128), ("p", "a" * 127 + "b")]
    keys = [card_key(p, n) for p, n in names]
    assert all(re.fullmatch(r"[a-z0-9-]+", k) and len(k) <= 100 for k in keys)
    assert len(set(keys)) == len(keys)
    assert keys[0] == "artiflow-demo--clean-data" and keys[3] == "artiflow-de-mo--x"


def test_calling_the_task_function_directly_logs_under_a_run_of_its_own(store: artiflow.Store, log: Log) -> None:
    log(store, "words", {"data.txt": "a b c\n"}, project="unit")

    @artifact_task(project="unit", store=store)
    def count(words: Artifact) -> Artifact:  # annotated Artifact: a path string is resolved
        out = Artifact("counts", type="dataset")
        out.add({"n": len(Path(words.file()).read_text().split())}, "counts")
        return out

    ref = count.fn("words:latest")  # no Prefect engine: e.g. a unit test of the task body
    assert isinstance(ref, ArtifactRef) and ref.qualified_name == "unit/counts:v0"
    run = artiflow.Api(store=store).artifact(ref.qualified_name).logged_by()
    assert run is not None and run.job_type == "count" and run.group is None and run.state == "finished"
    assert [a.qualified_name for a in run.used_artifacts()] == ["unit/words:v0"]


def test_an_undeclared_string_stays_a_string(store: artiflow.Store) -> None:
    @artifact_task(project="unit", store=store)
    def echo(label: str) -> str:
        return label

    assert echo.fn("words:latest") == "words:latest"


def test_bad_declarations_fail_at_decoration_time() -> None:
    with pytest.raises(ValueError, match="not parameters"):

        @artifact_task(inputs=["missing"])
        def a(raw: str) -> None: ...

    with pytest.raises(ValueError, match="unique"):

        @artifact_task(outputs=[Output("x"), "x"])
        def b() -> None: ...

    with pytest.raises(TypeError, match="generator"):

        @artifact_task
        def c() -> object:
            yield 1


def test_get_run_outside_an_artifact_task_says_how_to_fix_it() -> None:
    with pytest.raises(RuntimeError, match="@artifact_task"):
        get_run()


def test_a_store_handle_ships_settings_not_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = StoreHandle(settings=artiflow.Settings(home=tmp_path / "explicit"))
    copy = pickle.loads(pickle.dumps(explicit))
    assert copy.get().settings.database == explicit.get().settings.database
    from_env = pickle.loads(pickle.dumps(StoreHandle()))
    monkeypatch.setenv("ARTIFLOW_HOME", str(tmp_path / "later"))  # read when a task runs, not before
    assert from_env.get().settings.home == tmp_path / "later"


def test_without_prefect_the_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['prefect'] = None\n"
        "try:\n    import artiflow.adapters.prefect\n"
        "except ImportError as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("MissingDependencyError") and 'artiflow[prefect]' in out


def test_parts_commit_once_even_if_the_finishing_task_is_retried(store: artiflow.Store) -> None:
    from artiflow.adapters.prefect.parts import Part, PartRef
    from artiflow.adapters.prefect.runs import Identity, Scope

    refs = []
    for i in range(2):
        scope = Scope(Identity.of_task_run(None, "make", {}), "p", store, ui=False)
        scope.part, scope.part_prefix = Part(i, "map-1"), f"part-{i}/"
        part = Artifact("parts", type="dataset", metadata={"i": i})
        part.add({"i": i}, "value")
        refs.append(scope.run().upsert_part(part, aliases=["nightly"]))
    ref = pickle.loads(pickle.dumps(refs[1]))  # what travels between task runs
    assert isinstance(ref, PartRef) and ref.index == 1 and ref.aliases == ("nightly",)
    with pytest.raises(artiflow.ArtifactNotFoundError, match="not committed"):
        ref.resolve(store)

    finisher = Scope(Identity.of_task_run(None, "make-finish", {}), "p", store, ui=False).run()
    first = finisher.finish_parts(refs)
    again = finisher.finish_parts(refs)  # a retry after the commit: the same version, no error
    assert first.qualified_name == again.qualified_name == "p/parts:v0"
    assert sorted(first.aliases) == ["latest", "nightly"] and first.metadata == {"i": 1}
    assert [first.get(f"part-{i}/value") for i in range(2)] == [{"i": 0}, {"i": 1}]
    assert ref.resolve(store).qualified_name == "p/parts:v0"

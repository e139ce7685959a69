"""Collaborative versions: many writers, one version (upsert_artifact / finish_artifact)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import artiflow
from artiflow import Api, Artifact


def part(name: str, files: dict[str, str]) -> Artifact:
    art = Artifact(name, "dataset")
    for path, text in files.items():
        with art.new_file(path, mode="w") as f:
            f.write(text)
    return art


def test_parts_from_several_runs_become_one_version(store: artiflow.Store) -> None:
    writers = [artiflow.init(project="p", group="job-1", store=store) for _ in range(3)]
    for i, run in enumerate(writers):
        run.upsert_artifact(part("shards", {f"part-{i}.txt": f"{i}\n"}))
    with pytest.raises(artiflow.ArtifactNotFoundError):
        Api(store=store).artifact("p/shards:latest")  # nothing visible before finish

    final = writers[0].finish_artifact(Artifact("shards", "dataset"), aliases=["merged"])

    assert final.version == "v0"
    assert sorted(final.manifest.contents) == ["part-0.txt", "part-1.txt", "part-2.txt"]
    assert set(final.aliases) == {"latest", "merged"}
    got = Api(store=store).artifact("p/shards:latest")
    assert got.digest == final.digest == got.manifest.digest()
    root = Path(got.download("out"))
    assert (root / "part-2.txt").read_text() == "2\n"
    assert final.logged_by() == writers[0]
    for run in writers:  # every writer is recorded as having logged it
        assert [a.qualified_name for a in run.logged_artifacts()] == ["p/shards:v0"]


def test_finisher_files_are_included_and_same_content_same_path_is_fine(store: artiflow.Store) -> None:
    a = artiflow.init(project="p", store=store)
    b = artiflow.init(project="p", store=store)
    a.upsert_artifact(part("d", {"shared.txt": "same\n", "a.txt": "a\n"}), distributed_id="x")
    b.upsert_artifact(part("d", {"shared.txt": "same\n"}), distributed_id="x")
    final = b.finish_artifact(part("d", {"b.txt": "b\n"}), distributed_id="x")
    assert sorted(final.manifest.contents) == ["a.txt", "b.txt", "shared.txt"]


def test_conflicting_parts_name_the_path_and_commit_nothing(store: artiflow.Store) -> None:
    a = artiflow.init(project="p", group="g", store=store)
    b = artiflow.init(project="p", group="g", store=store)
    a.upsert_artifact(part("d", {"x.csv": "one\n"}))
    b.upsert_artifact(part("d", {"x.csv": "two\n"}))
    with pytest.raises(artiflow.EntryConflictError, match="'x.csv'"):
        a.finish_artifact(Artifact("d", "dataset"))
    assert not Api(store=store).artifact_exists("p/d")


def test_after_finish_an_upsert_starts_a_new_version(store: artiflow.Store) -> None:
    run = artiflow.init(project="p", group="g", store=store)
    run.upsert_artifact(part("d", {"a.txt": "1\n"}))
    first = run.finish_artifact(Artifact("d", "dataset"))
    late = artiflow.init(project="p", group="g", store=store)
    late.upsert_artifact(part("d", {"late.txt": "late\n"}))
    # the committed version did not silently gain the late file
    assert sorted(Api(store=store).artifact("p/d:v0").manifest.contents) == ["a.txt"]
    second = late.finish_artifact(Artifact("d", "dataset"))
    assert (first.version, second.version) == ("v0", "v1")
    assert sorted(second.manifest.contents) == ["late.txt"]


def test_missing_distributed_id_is_a_clear_error(store: artiflow.Store) -> None:
    run = artiflow.init(project="p", store=store)
    with pytest.raises(artiflow.DistributedIdError, match="group or distributed_id"):
        run.upsert_artifact(part("d", {"a.txt": "1\n"}))
    with pytest.raises(artiflow.DistributedIdError):
        run.finish_artifact(Artifact("d", "dataset"))
    with pytest.raises(artiflow.ArtifactNotFoundError, match="upsert_artifact"):
        run.finish_artifact(Artifact("d", "dataset"), distributed_id="nothing-here")


def test_type_collision_applies_to_parts(store: artiflow.Store) -> None:
    run = artiflow.init(project="p", group="g", store=store)
    run.upsert_artifact(part("d", {"a.txt": "1\n"}))
    wrong = Artifact("d", "model")
    with wrong.new_file("m.txt", mode="w") as f:
        f.write("m")
    with pytest.raises(artiflow.TypeCollisionError, match="'dataset'"):
        run.upsert_artifact(wrong)


WRITER = textwrap.dedent(
    """
    import sys, artiflow
    i = int(sys.argv[1])
    with artiflow.init(project="p", group="fleet") as run:
        art = artiflow.Artifact("fleet", "dataset")
        for j in range(5):
            with art.new_file(f"w{i}/f{j}.txt", mode="w") as f:
                f.write(f"{i}-{j}\\n")
        run.upsert_artifact(art)
    """
)


@pytest.mark.slow
def test_eight_processes_upsert_then_one_finish(tmp_path: Path) -> None:
    env = {**os.environ, "ARTIFLOW_HOME": str(tmp_path / "home")}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(i)], env=env, stderr=subprocess.PIPE, text=True)
        for i in range(8)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    store = artiflow.Store.open(home=tmp_path / "home")
    with artiflow.init(project="p", group="fleet", store=store) as run:
        final = run.finish_artifact(Artifact("fleet", "dataset"))
    assert final.version == "v0" and final.file_count == 40
    assert {p.split("/")[0] for p in final.manifest.contents} == {f"w{i}" for i in range(8)}
    assert len(Api(store=store).artifacts("dataset", "p/fleet")) == 1
    store.close()


def test_parts_can_be_prefixed_and_selected_by_the_engine_that_finishes(store: artiflow.Store) -> None:
    from artiflow import collab

    a = artiflow.init(project="p", store=store)
    b = artiflow.init(project="p", store=store)

    def upsert(run: artiflow.Run, text: str, prefix: str) -> str:
        return collab.upsert(store, part("m", {"data.txt": text}), project="p", run_id=run.id,
                             distributed_id="map-1", progress=None, prefix=prefix)

    stale = upsert(a, "first attempt\n", "part-0/")  # an attempt that failed after its upsert
    retried = upsert(a, "second attempt\n", "part-0/")
    other = upsert(b, "b\n", "part-1/")
    with pytest.raises(artiflow.ArtifactNotFoundError, match="never upserted"):
        collab.finish(store, project="p", name="m", distributed_id="map-1", run_id=b.id, description=None,
                      metadata={}, aliases=[], tags=[], parts=[retried, other, "0" * 32])
    record, manifest, created = collab.finish(
        store, project="p", name="m", distributed_id="map-1", run_id=b.id, description=None, metadata={},
        aliases=[], tags=[], parts=[retried, other],
    )
    assert created and sorted(manifest.contents) == ["part-0/data.txt", "part-1/data.txt"]
    final = Api(store=store).artifact("p/m:v0")
    assert Path(final.get_entry("part-0/data.txt").download()).read_text() == "second attempt\n"
    assert stale != retried
    with pytest.raises(artiflow.errors.InvalidNameError, match="may not contain"):
        upsert(a, "x\n", "../")


def test_upsert_aliases_are_kept_until_the_version_is_finished(store: artiflow.Store) -> None:
    a = artiflow.init(project="p", store=store)
    b = artiflow.init(project="p", store=store)
    draft = part("d", {"a.txt": "a\n"})
    draft.aliases.append("from-draft")
    a.upsert_artifact(draft, aliases=["best"], distributed_id="x")
    b.upsert_artifact(part("d", {"b.txt": "b\n"}), aliases=["reviewed"], distributed_id="x")
    final = b.finish_artifact(Artifact("d", "dataset"), aliases=["final"], distributed_id="x")
    assert set(final.aliases) == {"latest", "best", "from-draft", "reviewed", "final"}
    assert Api(store=store).artifact("p/d:reviewed").digest == final.digest

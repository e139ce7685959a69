"""The result serializer unpickles only bytes whose digest the database vouches for, on every backend.

Whoever can rewrite an object in the bucket (or a file under ``objects/``) must not be able to
run code in the process that reads a task result back: the pickle is checked against the
manifest, and the manifest against the version's row, before anything is unpickled.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from prefect import flow, task

import artiflow
from artiflow import DigestMismatchError
from artiflow.blobs import LocalBlobStore, blob_key

pytestmark = pytest.mark.usefixtures("prefect_server")


class _Planted:
    """Unpickling this creates a file: a stand-in for arbitrary code."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


def _rewrite(store: artiflow.Store, digest: str, data: bytes) -> None:
    blobs = store.blobs
    if isinstance(blobs, LocalBlobStore):
        os.chmod(blobs.path(digest), 0o644)
        Path(blobs.path(digest)).write_bytes(data)
    else:
        blobs.fs.pipe_file(f"{blobs.base}/{blob_key(digest)}", data)  # type: ignore[attr-defined]


def _read_result(state: Any) -> Any:
    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    folder = PREFECT_LOCAL_STORAGE_PATH.value()
    return ResultStore(result_storage=LocalFileSystem(basepath=str(folder))).read(state.data.metadata.storage_key)


@pytest.mark.parametrize("target", ["pickle blob", "manifest"])
def test_a_rewritten_object_never_runs_code_on_the_reader(backend: Any, tmp_path: Path, target: str) -> None:
    from artiflow.adapters.prefect import ArtifactSerializer

    @task(result_serializer=ArtifactSerializer(project="ser", name="answer"), persist_result=True)
    def answer() -> int:
        return 42  # no typed serializer for an int: pickled

    @flow
    def results() -> Any:
        return answer(return_state=True)

    state = results()
    assert _read_result(state).result == 42  # untouched: it reads back

    store = backend.open()
    version = artiflow.Api(store=store).artifact("ser/answer:v0")
    [entry] = list(version.manifest)
    planted = tmp_path / "code-ran"
    evil = pickle.dumps(_Planted(planted))
    if target == "pickle blob":
        _rewrite(store, entry.digest, evil)
    else:  # a manifest pointing at an evil blob stored at its own, valid address
        evil_digest = store.blobs.put_bytes(evil)
        rec = version.record
        assert rec is not None
        raw = json.loads(store.blobs.read_bytes(rec.manifest_digest))
        raw["contents"][entry.path].update(digest=evil_digest, size=len(evil))
        _rewrite(store, rec.manifest_digest, json.dumps(raw).encode())
    store.close()

    with pytest.raises(DigestMismatchError, match="ser/answer:v0"):
        _read_result(state)
    assert not planted.exists()

"""The W&B manifest v1: shape, round trips, tolerance of wandb-core extras, rejection of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import artiflow
from artiflow import InvalidNameError, Manifest, ManifestEntry, StoreError
from artiflow.blobs import blob_key

HELLO = "sZRqySSS0jR8YjW00mERhA=="
EMPTY = "1B2M2Y8AsgTpgAmY7PhCfg=="


def _manifest() -> Manifest:
    return Manifest.from_entries(
        [
            ManifestEntry(path="a.txt", digest=HELLO, size=6),
            ManifestEntry(path="sub/empty.bin", digest=EMPTY, size=0, birth_artifact_id="abc"),
            ManifestEntry(
                path="ref.csv", digest="https://example.com/x.csv", ref="https://example.com/x.csv",
                extra={"etag": "xyz"},
            ),
        ]
    )


def test_to_dict_has_the_wandb_shape() -> None:
    assert _manifest().to_dict() == {
        "contents": {
            "a.txt": {"digest": HELLO, "size": 6},
            "ref.csv": {
                "digest": "https://example.com/x.csv",
                "ref": "https://example.com/x.csv",
                "extra": {"etag": "xyz"},
            },
            "sub/empty.bin": {"digest": EMPTY, "size": 0, "birthArtifactID": "abc"},
        },
        "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2"},
        "version": 1,
    }


def test_to_json_is_canonical_and_round_trips() -> None:
    m = _manifest()
    raw = m.to_json()
    assert raw == json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    back = Manifest.from_json(raw)
    assert back == m
    assert back.digest() == m.digest()
    assert back.contents["sub/empty.bin"].birth_artifact_id == "abc"
    assert back.contents["ref.csv"].is_reference and not back.contents["a.txt"].is_reference


def test_zero_size_is_written_and_missing_size_is_not() -> None:
    contents = _manifest().to_dict()["contents"]
    assert contents["sub/empty.bin"]["size"] == 0
    assert "size" not in contents["ref.csv"]


def test_container_protocol() -> None:
    m = _manifest()
    assert len(m) == 3
    assert "a.txt" in m and "b.txt" not in m
    assert [e.path for e in m] == ["a.txt", "sub/empty.bin", "ref.csv"]
    assert m.size == 6
    assert m.contents["a.txt"].digest == HELLO


def test_from_dict_tolerates_wandb_core_fields() -> None:
    data = {
        "version": 1,
        "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2", "storageRegion": "coreweave-us"},
        "contents": {
            "a.txt": {"digest": HELLO, "size": 6, "local_path": "/staging/tmp123", "skip_cache": False},
        },
    }
    m = Manifest.from_dict(data)
    assert m.contents["a.txt"] == ManifestEntry(path="a.txt", digest=HELLO, size=6)
    assert m.storage_policy_config["storageRegion"] == "coreweave-us"
    assert m.digest() == "df2baf4982f9ccdd99de4a5a8b016e45"


def test_from_dict_puts_the_key_back_as_path() -> None:
    m = Manifest.from_dict({"version": 1, "contents": {"dir/x.bin": {"digest": EMPTY, "size": 0}}})
    assert m.contents["dir/x.bin"].path == "dir/x.bin"


@pytest.mark.parametrize("version", [None, 2, "1"])
def test_only_manifest_version_1_is_accepted(version: object) -> None:
    with pytest.raises(StoreError, match="manifest version"):
        Manifest.from_dict({"version": version, "contents": {}})


def test_corrupt_json_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="Corrupt manifest"):
        Manifest.from_json(b'{"version": 1, "contents": ')


@pytest.mark.parametrize("bad", ["../evil.txt", "/etc/passwd", "a/../../b", "C:\\x", ".."])
def test_from_dict_rejects_paths_that_escape(bad: str) -> None:
    with pytest.raises(InvalidNameError):
        Manifest.from_dict({"version": 1, "contents": {bad: {"digest": HELLO, "size": 6}}})


def test_entries_are_immutable() -> None:
    e = ManifestEntry(path="a.txt", digest=HELLO, size=6)
    with pytest.raises(Exception):  # pydantic's frozen-instance error
        e.digest = EMPTY  # type: ignore[misc]


@pytest.mark.local_only
def test_the_stored_manifest_blob_is_the_wandb_json(store, make_tree) -> None:
    data = make_tree({"a.txt": "hello\n", "sub/empty.bin": b""})
    with artiflow.init(project="p", store=store) as run:
        art = artiflow.Artifact("d", "dataset")
        art.add_dir(data)
        run.log_artifact(art)
    rec = store.metadata.get_version(art.id)
    blob = Path(store.settings.storage) / blob_key(rec.manifest_digest)
    stored = json.loads(blob.read_bytes())
    assert stored == {
        "contents": {
            "a.txt": {"digest": HELLO, "size": 6},
            "sub/empty.bin": {"digest": EMPTY, "size": 0},
        },
        "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2"},
        "version": 1,
    }
    # A fresh store (no in-memory manifest cache) reads the same manifest back from the blob.
    other = artiflow.Store.open(home=Path(store.settings.home))
    try:
        again = artiflow.Api(store=other).artifact("p/d:v0")
        assert again.manifest.to_dict() == stored
        assert again.digest == Manifest.from_dict(stored).digest()
    finally:
        other.close()

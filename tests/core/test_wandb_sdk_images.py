"""``Image`` is stored as the W&B SDK stores it: W&B reads artiflow's images, artiflow reads W&B's.

The ``wandb`` package (dev group) runs offline. A W&B artifact is built over a local directory with
``add_dir`` and marked committed, so its own ``get`` reads the entries from disk (W&B's reader needs
a logged artifact; nothing here talks to a server).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

import artiflow
from artiflow import Api, Artifact, Image

RGB = (np.arange(4 * 5 * 3) % 256).astype(np.uint8).reshape(4, 5, 3)
GRAY = np.full((3, 2, 1), 200, dtype=np.uint8)


def wandb_reader(wandb: Any, name: str, files: Path) -> Any:
    """A W&B artifact holding the files under ``files``, readable with its own ``get`` (no server)."""
    from wandb.sdk.artifacts.artifact_state import ArtifactState  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        art = wandb.Artifact(name, "dataset")
        art.add_dir(str(files))
    art._state = ArtifactState.COMMITTED  # noqa: SLF001 - what logging would set; offline there is no server
    shutil.copytree(files, art._default_root())  # noqa: SLF001 - where W&B's entry.download() looks first
    return art


def wandb_files(wandb_art: Any, root: Path) -> dict[str, bytes]:
    """A W&B draft's entries, written out under ``root``: path -> bytes."""
    out = {}
    for path, entry in wandb_art.manifest.entries.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(entry.local_path, target)
        out[path] = target.read_bytes()
    return out


def test_an_image_written_by_artiflow_loads_in_the_wandb_sdk(wandb_sdk, store: artiflow.Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    PILImage.fromarray(RGB).save(tmp_path / "cat.png")
    art = Artifact("pics", "dataset")
    art.add(Image(RGB, caption="a gradient"), "rgb")
    art.add(Image(GRAY), "gray")
    art.add(Image(str(tmp_path / "cat.png")), "file")
    art.add(artiflow.Table(columns=["id", "picture"], data=[[1, Image(RGB)], [2, Image(GRAY)]]), "samples")
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    root = Path(Api(store=store).artifact("p/pics:latest").download(tmp_path / "out"))

    theirs = wandb_reader(wandb_sdk, "pics", root)

    rgb = theirs.get("rgb")
    assert isinstance(rgb, wandb_sdk.Image) and rgb._caption == "a gradient"
    assert np.array_equal(np.asarray(rgb.image), RGB)
    assert np.array_equal(np.asarray(theirs.get("gray").image), GRAY[:, :, 0])
    assert np.array_equal(np.asarray(theirs.get("file").image), RGB)
    # W&B's get() downloads a whole artifact from its server before reading a table: read it directly
    table = wandb_sdk.Table.from_json(json.loads((root / "samples.table.json").read_text()), theirs)
    assert isinstance(table, wandb_sdk.Table) and table.get_column("id") == [1, 2]
    first, second = table.get_column("picture")
    assert isinstance(first, wandb_sdk.Image) and np.array_equal(np.asarray(first.image), RGB)
    assert np.asarray(second.image).shape == (3, 2)


def test_an_image_written_by_the_wandb_sdk_loads_in_artiflow(wandb_sdk, store: artiflow.Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    PILImage.fromarray(RGB).save(tmp_path / "cat.png")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = wandb_sdk.Artifact("pics", "dataset")
        w.add(wandb_sdk.Image(RGB, caption="a gradient"), "rgb")
        w.add(wandb_sdk.Image(PILImage.fromarray(GRAY[:, :, 0])), "gray")
        w.add(wandb_sdk.Image(str(tmp_path / "cat.png")), "file")
        w.add(wandb_sdk.Table(columns=["id", "picture"], data=[[1, wandb_sdk.Image(RGB)]]), "samples")
    wandb_files(w, tmp_path / "written")
    art = Artifact("pics", "dataset")
    art.add_dir(str(tmp_path / "written"))
    with artiflow.init(project="p", store=store) as run:
        run.log_artifact(art)
    mine = Api(store=store).artifact("p/pics:latest")

    rgb = mine.get("rgb")
    assert isinstance(rgb, Image) and rgb.caption == "a gradient" and (rgb.width, rgb.height) == (5, 4)
    assert np.array_equal(np.asarray(rgb.image), RGB)
    assert np.array_equal(np.asarray(mine.get("gray").image), GRAY[:, :, 0])
    assert mine.get("file") == Image(str(tmp_path / "cat.png"))
    table = mine.get("samples")
    assert table.get_column("id") == [1]
    assert np.array_equal(np.asarray(table.get_column("picture")[0].image), RGB)


def test_adding_an_image_writes_exactly_the_entries_wandb_writes(wandb_sdk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Same JSON bytes, same PNG, same entry paths: for an array, a PIL image and an image file."""
    PILImage.fromarray(RGB).save(tmp_path / "cat.png")
    inputs: dict[str, Any] = {
        "rgb": lambda cls: cls(RGB, caption="a gradient"),
        "gray": lambda cls: cls(GRAY),
        "rgba": lambda cls: cls(np.dstack([RGB, np.full((4, 5), 128, np.uint8)])),
        "pil": lambda cls: cls(PILImage.fromarray(RGB)),
        "file": lambda cls: cls(str(tmp_path / "cat.png")),
        "jpeg": lambda cls: cls(RGB, file_type="jpg"),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = wandb_sdk.Artifact("pics", "dataset")
        for name, make in inputs.items():
            w.add(make(wandb_sdk.Image), name)
        w.add(wandb_sdk.Table(columns=["picture"], data=[[wandb_sdk.Image(RGB)]]), "samples")
    theirs = wandb_files(w, tmp_path / "theirs")

    art = Artifact("pics", "dataset")
    for name, make in inputs.items():
        art.add(make(Image), name)
    art.add(artiflow.Table(columns=["picture"], data=[[Image(RGB)]]), "samples")
    mine = {p: Path(art._contents.local_copy(art.entry(p), "pics")).read_bytes() for p in art.draft_paths()}  # noqa: SLF001

    table = json.loads(mine.pop("samples.table.json"))
    their_table = json.loads(theirs.pop("samples.table.json"))
    assert mine == theirs
    assert table["data"] == their_table["data"] and table["columns"] == their_table["columns"]
    assert json.loads(mine["rgb.image-file.json"]) == {
        "_type": "image-file", "caption": "a gradient", "format": "png", "height": 4, "width": 5,
        "path": json.loads(mine["rgb.image-file.json"])["path"], "sha256": Image(RGB).sha256,
    }
    assert json.loads(mine["rgb.image-file.json"])["path"].startswith("media/images/")


def test_arrays_become_images_as_wandb_converts_them(tmp_path: Path) -> None:
    assert Image(np.zeros((2, 3))).image.mode == "L"
    assert Image(np.zeros((2, 3, 1))).image.mode == "L"
    assert Image(np.zeros((2, 3, 3))).image.mode == "RGB"
    assert Image(np.zeros((2, 3, 4))).image.mode == "RGBA"
    assert Image(np.zeros((2, 3, 4)), file_type="jpg").image.mode == "RGB"
    assert np.asarray(Image(np.full((2, 2), 0.5)).image).tolist() == [[127, 127], [127, 127]]
    assert np.asarray(Image(np.array([[-1.0, 1.0]])).image).tolist() == [[0, 255]]
    assert np.asarray(Image(np.array([[7, 300]])).image).tolist() == [[7, 255]]
    with pytest.raises(ValueError, match="HxWx4"):
        Image(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="file_type"):
        Image(np.zeros((2, 3)), file_type="gif")
    with pytest.raises(TypeError, match="numpy array, a PIL image or a path"):
        Image(42)
    with pytest.raises(ValueError, match="add_reference"):
        Image("s3://bucket/cat.png")
    with pytest.raises(TypeError, match="boxes and masks are not supported"):
        Image(np.zeros((2, 3)), boxes={"x": {}})


def test_unsupported_objects_still_name_what_add_stores() -> None:
    art = Artifact("pics", "dataset")
    with pytest.raises(TypeError, match="supported: Table, PartitionedTable, Image,"):
        art.add(object(), "thing")
    with pytest.raises(TypeError, match="Images"):
        artiflow.Table(columns=["x"], data=[[object()]])
    with pytest.raises(ValueError, match="artifact.add"):
        artiflow.Table(columns=["x"], data=[[Image(np.zeros((2, 2)))]]).to_json()


def test_without_pillow_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(artiflow.MissingDependencyError, match=r"artiflow\[media\]"):
        Image(np.zeros((2, 2)))

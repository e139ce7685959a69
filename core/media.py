"""W&B's ``Image`` for artifacts, in W&B's own format.

``artifact.add(Image(...), "name")`` writes what the W&B SDK writes: the picture as a file under
``media/images/`` (a PNG named by the first 20 hex digits of its MD5, or, for an image read from a
file, that file as it is under ``media/images/<sha256[:20]>/``) and ``name.image-file.json``
pointing at it (``_type``, ``path``, ``sha256``, ``format``, ``width``, ``height``, ``caption``).
``artifact.get("name")`` returns an ``Image``; W&B reads the same two entries back. Building an
image needs Pillow (the ``media`` extra); numpy only for arrays.

>>> import numpy as np
>>> img = Image(np.zeros((2, 3, 3), dtype=np.uint8), caption="black")
>>> img.width, img.height, img.format, img.image.mode
(3, 2, 'png', 'RGB')
>>> art = artiflow.Artifact("pics", type="dataset")
>>> _ = art.add(img, "black")
>>> sorted(art.draft_paths())
['black.image-file.json', 'media/images/....png']
>>> with artiflow.init(project="demo") as run:
...     _ = run.log_artifact(art)
>>> back = artiflow.Api().artifact("demo/pics:latest").get("black")
>>> back == img, back.caption, np.asarray(back.image).shape
(True, 'black', (2, 3, 3))
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import MissingDependencyError

MEDIA_DIR = "media/images"
FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "bmp": "BMP"}  # W&B's file_type choices
_REMOTE = re.compile(r"^(gs|s3|https?)://")

Fetch = Callable[[str], Path]  # a local copy of another entry of the same artifact


def pil() -> Any:
    """The ``PIL.Image`` module, or an error naming the extra that installs it."""
    try:
        from PIL import Image as PILImage
    except ImportError as exc:
        raise MissingDependencyError(
            "artiflow.Image needs Pillow; install the media extra (pip install 'artiflow[media]')."
        ) from exc
    return PILImage


@dataclass
class MediaFiles:
    """Files an object writes beside its own entry (W&B media): entry path -> local file."""

    scratch: Path
    files: dict[str, Path] = field(default_factory=dict)

    def write(self, entry_path: str, data: bytes) -> str:
        local = self.scratch.joinpath(*entry_path.split("/"))
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
        self.files[entry_path] = local
        return entry_path


class Image:
    """An image (W&B's ``wandb.Image``): from a numpy array, a PIL image, or a path to an image file.

    An array is height × width (grayscale), × 1, × 3 (RGB) or × 4 (RGBA); uint8 values are used as
    they are, floats in [0, 1] are scaled to [0, 255] (floats with negative values are first
    rescaled from their minimum to their maximum). ``mode`` forces a PIL mode, ``file_type`` picks
    ``png`` (the default), ``jpg`` or ``bmp`` for arrays and PIL images; a file is kept as it is.
    """

    _log_type = "image-file"
    _data: bytes  # the stored file
    _name: str  # its file name in the artifact
    _tmp: bool  # True: generated here (named by its MD5), False: read from a file (kept under its sha256)
    format: str

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        grouping: int | None = None,
        classes: Any = None,
        boxes: Any = None,
        masks: Any = None,
        file_type: str | None = None,
    ) -> None:
        if classes is not None or boxes is not None or masks is not None:
            raise TypeError(
                "artiflow.Image stores the picture and its caption only; classes, boxes and masks are not supported."
            )
        self.caption = caption
        self.grouping = grouping
        self._image: Any = None
        if isinstance(data_or_path, Image):
            self._data, self._name, self._tmp = data_or_path._data, data_or_path._name, data_or_path._tmp
            self.format, self._image = data_or_path.format, data_or_path._image
            self.caption = caption if caption is not None else data_or_path.caption
            self.grouping = grouping if grouping is not None else data_or_path.grouping
        elif isinstance(data_or_path, (str, os.PathLike)):
            self._from_path(os.fspath(data_or_path))
        else:
            self._from_data(data_or_path, mode, file_type)
        self.width, self.height = self.image.size
        self.sha256 = hashlib.sha256(self._data).hexdigest()

    def _from_path(self, path: str) -> None:
        if _REMOTE.match(path):
            raise ValueError(
                f"artiflow.Image reads a local image file, not {path!r}; track a remote file with add_reference()."
            )
        with open(path, "rb") as f:
            self._data = f.read()
        self._image = pil().open(io.BytesIO(self._data))
        self._image.load()
        self._name, self._tmp = os.path.basename(path), False
        self.format = os.path.splitext(path)[1][1:]

    def _from_data(self, data: Any, mode: str | None, file_type: str | None) -> None:
        PILImage = pil()
        self.format = file_type or "png"
        if self.format not in FORMATS:
            raise ValueError(f"file_type must be one of {list(FORMATS)}; got {self.format!r}.")
        if isinstance(data, PILImage.Image):
            image = data
        elif hasattr(data, "ndim") or hasattr(data, "numpy"):
            array = data.numpy() if hasattr(data, "numpy") else data
            if array.ndim > 2:
                array = array.squeeze()
            mode = mode or _guess_mode(array, self.format)
            image = PILImage.fromarray(_uint8(array)).convert(mode)
        else:
            raise TypeError(
                f"artiflow.Image takes a numpy array, a PIL image or a path to an image file; got a {type(data).__name__}."
            )
        buf = io.BytesIO()
        image.save(buf, format=FORMATS[self.format], transparency=None)
        self._data, self._image = buf.getvalue(), image
        # W&B names a generated file by its content: the first 20 hex digits of its MD5
        self._name, self._tmp = f"{hashlib.md5(self._data).hexdigest()[:20]}.{self.format}", True  # noqa: S324

    @property
    def image(self) -> Any:
        """The picture as a PIL image (``numpy.asarray(img.image)`` for its pixels)."""
        if self._image is None:
            self._image = pil().open(io.BytesIO(self._data))
            self._image.load()
        return self._image

    @property
    def size(self) -> int:
        """The stored file's size in bytes."""
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Image) and other.sha256 == self.sha256  # as W&B compares media

    def __hash__(self) -> int:
        return hash(self.sha256)

    def __repr__(self) -> str:
        return f"<Image {self.width}x{self.height} {self.format}>"

    # -- W&B's JSON ----------------------------------------------------------------------------

    def entry_path(self) -> str:
        """Where W&B puts the file in an artifact."""
        if self._tmp:
            return posixpath.join(MEDIA_DIR, self._name)
        return posixpath.join(MEDIA_DIR, self.sha256[:20], self._name)

    def to_json(self, files: MediaFiles) -> dict[str, Any]:
        """W&B's ``image-file`` JSON; the picture itself goes into ``files``."""
        obj: dict[str, Any] = {
            "_type": self._log_type, "path": files.write(self.entry_path(), self._data), "sha256": self.sha256,
            "format": self.format, "width": self.width, "height": self.height,
        }
        if self.caption is not None:
            obj["caption"] = self.caption
        if self.grouping:
            obj["grouping"] = self.grouping
        return obj

    @classmethod
    def from_json(cls, obj: dict[str, Any], fetch: Fetch) -> Image:
        """The image an ``image-file`` JSON names, its file read through ``fetch``."""
        if obj.get("_type") != cls._log_type:
            raise ValueError(f"Not a W&B image: _type is {obj.get('_type')!r}.")
        path = str(obj["path"])
        local = fetch(path)
        img = cls(local, caption=obj.get("caption"), grouping=obj.get("grouping"))
        img._name, img.format = posixpath.basename(path), str(obj.get("format") or img.format)
        return img


def _guess_mode(array: Any, file_type: str) -> str:
    """W&B's rule: 2-D or one channel is L, three RGB, four RGBA (RGB for JPEG)."""
    channels = array.shape[-1]
    if array.ndim == 2 or channels == 1:
        return "L"
    if channels == 3:
        return "RGB"
    if channels == 4:
        return "RGB" if file_type in ("jpg", "jpeg") else "RGBA"
    raise ValueError(f"An image array is HxW, HxWx1, HxWx3 or HxWx4; got shape {list(array.shape)}.")


def _uint8(array: Any) -> Any:
    import numpy as np

    if array.dtype == np.uint8:
        return array
    if array.dtype.kind == "f" and array.size:
        low, high = float(np.min(array)), float(np.max(array))
        if low < 0:
            array = (array - low) / ((high - low) or 1.0)
            high = 1.0
        if high <= 1.0:
            array = array * 255
    return np.clip(array, 0, 255).astype(np.uint8)

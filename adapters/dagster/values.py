"""Asset values to artifact contents and back.

=========================  ==========================================  =========================
asset value                stored as                                   loaded as
=========================  ==========================================  =========================
``artiflow.Artifact``      itself (its name, type, files)              the logged ``Artifact``
``pathlib.Path`` file      that file                                   a ``Path`` to a download
``pathlib.Path`` dir       every file under it                         a ``Path`` to a download
``str``, ``int``, ``float``  ``value.json``                            the object
anything else              ``value.<ext>`` through artiflow's          the object
                           serializers (JSON, numpy, Parquet or
                           pandas JSON, ``artiflow/serializer``;
                           pickle only when configured)
=========================  ==========================================  =========================

Which of these a version holds is recorded in its metadata (``artiflow/value``). A version logged
outside Dagster loads as the object it holds under ``value`` (``artifact.add(obj, "value")``) if
it has one, else as the ``Artifact``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from artiflow import Artifact, EntryNotFoundError, names

VALUE_KEY = "artiflow/value"
ENTRY = names.VALUE_ENTRY


def to_artifact(
    obj: Any,
    *,
    name: str,
    type_: str,
    description: str | None,
    metadata: dict[str, Any],
    serializer: str | None,
    allow_pickle: bool = False,
) -> Artifact:
    """A draft holding ``obj`` (an ``Artifact`` draft is returned as it is, with ``metadata`` added)."""
    if isinstance(obj, Artifact):
        if obj.is_draft():
            obj.metadata = {**metadata, VALUE_KEY: "artifact", **obj.metadata}
        return obj
    art = Artifact(name, type_, description=description)
    if isinstance(obj, Path):
        if obj.is_dir():
            art.add_dir(obj)
            kind = "dir"
        elif obj.is_file():
            art.add_file(obj)
            kind = "file"
        else:
            raise FileNotFoundError(f"The asset returned {obj}, which is neither a file nor a directory.")
    elif serializer is None and _json_scalar(obj):  # artiflow's JSON serializer takes dicts and lists
        with art.new_file(f"{ENTRY}.json", mode="w", encoding="utf-8") as f:
            f.write(json.dumps(obj, allow_nan=False))
        kind = "object"
    else:
        try:
            art.add(obj, ENTRY, serializer=serializer)
        except TypeError as exc:
            if serializer is not None or not allow_pickle:
                raise TypeError(
                    f"artiflow cannot store a {type(obj).__name__} without pickle; return JSON-able data, a "
                    "numpy array, a pandas DataFrame or a Path, name a serializer of your own in the asset "
                    "metadata {'artiflow/serializer': 'mypkg.formats:CSV'}, or opt in to pickle with "
                    "{'artiflow/serializer': 'pickle'} or ArtiflowIOManager(allow_pickle=True)."
                ) from exc
            art.add(obj, ENTRY, serializer="pickle")
        kind = "object"
    art.metadata = {**metadata, VALUE_KEY: kind}
    return art


def _json_scalar(obj: Any) -> bool:
    return isinstance(obj, (str, int, bool)) or (isinstance(obj, float) and math.isfinite(obj))


def from_artifact(art: Artifact, *, allow_pickle: bool, root: str | os.PathLike[str] | None) -> Any:
    """The value an artifact version holds, as :func:`to_artifact` stored it."""
    kind = art.metadata.get(VALUE_KEY)
    if kind == "file":
        return Path(art.file(_root(art, root)))
    if kind == "dir":
        return Path(art.download(_root(art, root)))
    if kind == "object":
        value = art.get(ENTRY, allow_pickle=allow_pickle)
        if value is None:
            raise EntryNotFoundError(names.missing_value(art.qualified_name, ENTRY, (e.path for e in art.files())))
        return value
    if kind is None:  # logged outside Dagster: an object added as "value" is the value
        value = art.get(ENTRY, allow_pickle=allow_pickle)
        if value is not None:
            return value
    return art


def _root(art: Artifact, root: str | os.PathLike[str] | None) -> str | None:
    return None if root is None else os.path.join(root, art.name)

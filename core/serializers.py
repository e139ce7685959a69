"""Typed objects in artifacts: ``artifact.add(obj, name)`` and ``artifact.get(name)``.

A small registry of serializers, tried in order. W&B's ``Table``, ``PartitionedTable`` and ``Image``
(in W&B's JSON format, :mod:`artiflow.data_types`), JSON (dicts and lists), numpy arrays and pandas
DataFrames are built in; numpy, pandas and pyarrow are imported only when such an object shows up.
A DataFrame is stored as Parquet (``.parquet``) when pyarrow is installed (the ``parquet`` extra),
else as pandas table JSON (``.pandas.json``); both load back either way. Pickle is never chosen by
default and never loaded unless the caller passes ``allow_pickle=True``.

Every entry records the serializer that wrote it (``extra["artiflow_serializer"]``), so ``get``
loads it with that one. A serializer of your own is a :class:`Serializer` named by its import path
(``"package.module:attribute"``): every registry resolves such a name by importing it, so the same
string works in ``Artifact.add(..., serializer=...)``, the Prefect ``Output(serializer=...)``, the
Dagster ``artiflow/serializer`` metadata, and in any other process that reads the entry back.

An object may write several entries: a serializer with ``dump_media``/``load_media`` writes its
own file plus files beside it (W&B media such as an Image's PNG under ``media/images/``), and reads
them back through a function that fetches another entry of the same artifact.

>>> reg = default_registry()
>>> reg.for_object({"a": 1}).name
'json'
>>> reg.get("pandas").suffix
'.pandas.json'
"""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Callable
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data_types import PartitionedTable, Table
from .errors import ArtiflowError, MissingDependencyError
from .media import Fetch, Image, MediaFiles

EXTRA_KEY = "artiflow_serializer"


@dataclass(frozen=True)
class Serializer:
    """How one kind of object is written to, and read back from, a file.

    ``name`` is what entries record; for a serializer of your own, make it the import path it is
    reachable at, so any process can load what it wrote:

    >>> CSV = Serializer(                                   # in mypkg/formats.py
    ...     "mypkg.formats:CSV", ".csv", handles=lambda obj: False,
    ...     dump=lambda frame, path: frame.to_csv(path, index=False),
    ...     load=lambda path: __import__("pandas").read_csv(path),
    ... )
    >>> CSV.filename("value")
    'value.csv'
    """

    name: str
    suffix: str
    handles: Callable[[Any], bool]
    dump: Callable[[Any, Path], None]
    load: Callable[[Path], Any]
    trusted: bool = True  # False: loading can run arbitrary code (pickle)
    dump_media: Callable[[Any, Path, MediaFiles], None] | None = None  # also writes entries beside its own
    load_media: Callable[[Path, Fetch], Any] | None = None  # reads them back with another entry's local copy

    def filename(self, name: str) -> str:
        return name if name.endswith(self.suffix) else name + self.suffix

    def write(self, obj: Any, path: Path, files: MediaFiles) -> None:
        """Write ``obj`` to ``path``, and any entries beside it into ``files``."""
        if self.dump_media is not None:
            self.dump_media(obj, path, files)
        else:
            self.dump(obj, path)

    def read(self, path: Path, fetch: Fetch) -> Any:
        """Load the object at ``path``; ``fetch`` gives a local copy of another entry it names."""
        return self.load_media(path, fetch) if self.load_media is not None else self.load(path)


class SerializerRegistry:
    def __init__(self, serializers: list[Serializer] | None = None) -> None:
        self._by_name: dict[str, Serializer] = {}
        for s in serializers or []:
            self.register(s)

    def register(self, serializer: Serializer) -> None:
        self._by_name[serializer.name] = serializer

    def get(self, name: str) -> Serializer:
        """The serializer registered as ``name``, or the one at import path ``"module:attribute"``."""
        found = self._by_name.get(name)
        if found is not None:
            return found
        if ":" in name:
            return _imported(name)
        raise ArtiflowError(
            f"No serializer named {name!r}; registered: {', '.join(self._by_name)}. "
            "Name your own by its import path, e.g. 'mypkg.formats:CSV'."
        )

    def resolve(self, serializer: str | Serializer | None, obj: Any) -> Serializer:
        """What ``add(obj, name, serializer=...)`` writes with: the one given, else the first that handles ``obj``."""
        if isinstance(serializer, Serializer):
            self.register(serializer)  # so this artifact reads back what it wrote
            return serializer
        return self.get(serializer) if serializer else self.for_object(obj)

    def for_object(self, obj: Any) -> Serializer:
        for s in self._by_name.values():
            if s.trusted and s.handles(obj):
                return s
        raise TypeError(
            f"artiflow cannot store a {type(obj).__name__} with add(); supported: Table, PartitionedTable, Image, "
            "JSON-able dicts and lists, numpy arrays, pandas DataFrames. Pass serializer='pickle' to opt in to pickle, "
            "or a Serializer of your own (see artiflow.serializers)."
        )

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_name.values())


def _imported(path: str) -> Serializer:
    module, _, attr = path.partition(":")
    try:
        found = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ArtiflowError(
            f"Serializer {path!r} cannot be imported ({exc}); install the package that defines it."
        ) from exc
    if not isinstance(found, Serializer):
        raise ArtiflowError(f"{path!r} is a {type(found).__name__}, not an artiflow.serializers.Serializer.")
    if found.name != path:
        raise ArtiflowError(f"Serializer {path!r} is named {found.name!r}; name it by its import path {path!r}.")
    return found


def _is_json(obj: Any) -> bool:
    if not isinstance(obj, (dict, list)):
        return False
    try:
        json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _json_dump(obj: Any, path: Path) -> None:
    path.write_text(json.dumps(obj, sort_keys=True, allow_nan=False, indent=1), encoding="utf-8")


def _json_load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _is_numpy(obj: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(obj, np.ndarray) and obj.dtype != object


def _numpy_dump(obj: Any, path: Path) -> None:
    import numpy as np

    with open(path, "wb") as f:
        np.save(f, obj, allow_pickle=False)


def _numpy_load(path: Path) -> Any:
    import numpy as np

    return np.load(path, allow_pickle=False)


def _is_pandas(obj: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame)


_VIA_STR = "fm"  # float and timedelta kinds: to_json rounds floats to 15 digits and reads no durations
_DTYPES_KEY = "artiflow_dtypes"


def _pandas_dump(obj: Any, path: Path) -> None:
    # Table-oriented JSON keeps the index, column names, categories and time zones, and needs no
    # pyarrow. It loses float digits, narrow dtypes and sub-millisecond times, so floats and
    # timedeltas are written as exact strings and every dtype is recorded to be restored on load.
    import pandas as pd

    frame = obj.copy(deep=False)
    for i, dtype in enumerate(obj.dtypes):
        if dtype.kind in _VIA_STR:
            frame.isetitem(i, obj.iloc[:, i].astype(str))
    index = obj.index
    levels = list(index.levels) if isinstance(index, pd.MultiIndex) else [index]
    exact = [lv.astype(str) if lv.dtype.kind in _VIA_STR else lv for lv in levels]
    frame.index = index.set_levels(exact) if isinstance(index, pd.MultiIndex) else exact[0]
    table = json.loads(frame.to_json(orient="table", date_unit="ns"))
    table[_DTYPES_KEY] = _dtypes(obj)
    path.write_text(json.dumps(table, indent=1), encoding="utf-8")


def _pandas_load(path: Path) -> Any:
    import io

    import pandas as pd

    text = path.read_text(encoding="utf-8")
    frame = pd.read_json(io.StringIO(text), orient="table")
    return _restore_dtypes(frame, json.loads(text).get(_DTYPES_KEY, {}))


def _dtypes(obj: Any) -> dict[str, list[str]]:
    import pandas as pd

    levels = list(obj.index.levels) if isinstance(obj.index, pd.MultiIndex) else [obj.index]
    return {"columns": [str(t) for t in obj.dtypes], "index": [str(lv.dtype) for lv in levels]}


def _restore_dtypes(frame: Any, dtypes: dict[str, list[str]]) -> Any:
    import pandas as pd

    for i, dtype in enumerate(dtypes.get("columns", [])):
        if str(frame.dtypes.iloc[i]) != dtype:
            frame.isetitem(i, frame.iloc[:, i].astype(dtype))
    index, want = frame.index, dtypes.get("index", [])
    if isinstance(index, pd.MultiIndex):
        frame.index = index.set_levels(
            [lv if str(lv.dtype) == dt else lv.astype(dt) for lv, dt in zip(index.levels, want, strict=True)]
        )
    elif want and str(index.dtype) != want[0]:
        frame.index = index.astype(want[0])
    return frame


def _has_pyarrow() -> bool:
    return importlib.util.find_spec("pyarrow") is not None  # None too if sys.modules["pyarrow"] is None


def _is_pandas_parquet(obj: Any) -> bool:
    return _is_pandas(obj) and _has_pyarrow()


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise MissingDependencyError(
            "Reading or writing Parquet needs pyarrow; install the parquet extra (pip install 'artiflow[parquet]')."
        ) from exc
    return pyarrow


def _parquet_dump(obj: Any, path: Path) -> None:
    # pandas metadata in the file restores the index, dtypes, categories and time zones exactly.
    # Parquet has no second resolution: the dtypes are recorded too, and restored as in pandas JSON.
    pa = _pyarrow()
    table = pa.Table.from_pandas(obj, preserve_index=True)
    meta = {**(table.schema.metadata or {}), _DTYPES_KEY.encode(): json.dumps(_dtypes(obj)).encode()}
    pa.parquet.write_table(table.replace_schema_metadata(meta), path, compression="zstd")


def _parquet_load(path: Path) -> Any:
    pa = _pyarrow()
    table = pa.parquet.read_table(path)
    dtypes = json.loads((table.schema.metadata or {}).get(_DTYPES_KEY.encode(), b"{}"))
    return _restore_dtypes(table.to_pandas(), dtypes)


def _pickle_dump(obj: Any, path: Path) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def _pickle_load(path: Path) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)  # noqa: S301 - only reached with allow_pickle=True


def _wb_dump(obj: Any, path: Path) -> None:
    path.write_text(json.dumps(obj.to_json(), allow_nan=False), encoding="utf-8")


def _media_dump(obj: Any, path: Path, files: MediaFiles) -> None:
    # json.dump(..., sort_keys=True) as W&B writes it, so the same image gives the same entry
    path.write_text(json.dumps(obj.to_json(files), sort_keys=True, allow_nan=False), encoding="utf-8")


def _needs_artifact(obj: Any, path: Path) -> None:
    raise ArtiflowError(f"A {type(obj).__name__} writes several entries; add it with Artifact.add(obj, name).")


def _needs_entries(path: Path) -> Any:
    raise ArtiflowError(f"{path.name} names other entries of its artifact; read it with Artifact.get(name).")


def default_registry() -> SerializerRegistry:
    """The built-in serializers, in the order ``add`` tries them: a fresh registry on every call.

    >>> [s.name for s in default_registry()][:4]
    ['table', 'partitioned-table', 'image', 'json']
    """
    return SerializerRegistry(
        [
            Serializer("table", ".table.json", lambda o: isinstance(o, Table), _wb_dump,
                       lambda p: Table.from_json(_json_load(p)), dump_media=_media_dump,
                       load_media=lambda p, fetch: Table.from_json(_json_load(p), fetch)),
            Serializer("partitioned-table", ".partitioned-table.json", lambda o: isinstance(o, PartitionedTable),
                       _wb_dump, lambda p: PartitionedTable.from_json(_json_load(p))),
            Serializer("image", ".image-file.json", lambda o: isinstance(o, Image), _needs_artifact, _needs_entries,
                       dump_media=_media_dump, load_media=lambda p, fetch: Image.from_json(_json_load(p), fetch)),
            Serializer("json", ".json", _is_json, _json_dump, _json_load),
            Serializer("numpy", ".npy", _is_numpy, _numpy_dump, _numpy_load),
            Serializer("parquet", ".parquet", _is_pandas_parquet, _parquet_dump, _parquet_load),
            Serializer("pandas", ".pandas.json", _is_pandas, _pandas_dump, _pandas_load),
            Serializer("pickle", ".pkl", lambda _o: True, _pickle_dump, _pickle_load, trusted=False),
        ]
    )

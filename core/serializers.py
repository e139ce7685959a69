"""Typed objects in artifacts: ``artifact.add(obj, name)`` and ``artifact.get(name)``.

A small registry of serializers, tried in order. W&B's ``Table`` and ``PartitionedTable`` (in
W&B's JSON format, :mod:`artiflow.data_types`), JSON (dicts and lists), numpy arrays and pandas
DataFrames are built in; numpy and pandas are imported only when such an object shows up. Pickle
is never chosen by default and never loaded unless the caller passes ``allow_pickle=True``.

>>> reg = default_registry()
>>> reg.for_object({"a": 1}).name
'json'
"""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data_types import PartitionedTable, Table
from .errors import ArtiflowError

EXTRA_KEY = "artiflow_serializer"


@dataclass(frozen=True)
class Serializer:
    """How one kind of object is written to, and read back from, a file."""

    name: str
    suffix: str
    handles: Callable[[Any], bool]
    dump: Callable[[Any, Path], None]
    load: Callable[[Path], Any]
    trusted: bool = True  # False: loading can run arbitrary code (pickle)

    def filename(self, name: str) -> str:
        return name if name.endswith(self.suffix) else name + self.suffix


class SerializerRegistry:
    def __init__(self, serializers: list[Serializer] | None = None) -> None:
        self._by_name: dict[str, Serializer] = {}
        for s in serializers or []:
            self.register(s)

    def register(self, serializer: Serializer) -> None:
        self._by_name[serializer.name] = serializer

    def get(self, name: str) -> Serializer:
        try:
            return self._by_name[name]
        except KeyError:
            raise ArtiflowError(
                f"No serializer named {name!r}; registered: {', '.join(self._by_name)}."
            ) from None

    def for_object(self, obj: Any) -> Serializer:
        for s in self._by_name.values():
            if s.trusted and s.handles(obj):
                return s
        raise TypeError(
            f"artiflow cannot store a {type(obj).__name__} with add(); supported: Table, PartitionedTable, "
            "JSON-able dicts and lists, numpy arrays, pandas DataFrames. Pass serializer='pickle' to opt in to pickle."
        )

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_name.values())


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
    table[_DTYPES_KEY] = {"columns": [str(t) for t in obj.dtypes], "index": [str(lv.dtype) for lv in levels]}
    path.write_text(json.dumps(table, indent=1), encoding="utf-8")


def _pandas_load(path: Path) -> Any:
    import io

    import pandas as pd

    text = path.read_text(encoding="utf-8")
    frame = pd.read_json(io.StringIO(text), orient="table")
    dtypes = json.loads(text).get(_DTYPES_KEY, {})
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


def _pickle_dump(obj: Any, path: Path) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def _pickle_load(path: Path) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)  # noqa: S301 - only reached with allow_pickle=True


def _wb_dump(obj: Any, path: Path) -> None:
    path.write_text(json.dumps(obj.to_json(), allow_nan=False), encoding="utf-8")


def default_registry() -> SerializerRegistry:
    return SerializerRegistry(
        [
            Serializer("table", ".table.json", lambda o: isinstance(o, Table), _wb_dump,
                       lambda p: Table.from_json(_json_load(p))),
            Serializer("partitioned-table", ".partitioned-table.json", lambda o: isinstance(o, PartitionedTable),
                       _wb_dump, lambda p: PartitionedTable.from_json(_json_load(p))),
            Serializer("json", ".json", _is_json, _json_dump, _json_load),
            Serializer("numpy", ".npy", _is_numpy, _numpy_dump, _numpy_load),
            Serializer("pandas", ".pandas.json", _is_pandas, _pandas_dump, _pandas_load),
            Serializer("pickle", ".pkl", lambda _o: True, _pickle_dump, _pickle_load, trusted=False),
        ]
    )

"""W&B's data types for artifacts, in W&B's own JSON format: ``Table``, ``PartitionedTable``, ``Image``.

``artifact.add(table, "name")`` writes ``name.table.json`` (``{"_type": "table", "columns": …,
"data": …}``) as W&B does, and ``artifact.get("name")`` returns a ``Table``. A cell may hold an
:class:`~artiflow.media.Image`: it is written as W&B writes it, a PNG under ``media/images/`` and an
``image-file`` pointer in the cell. A ``PartitionedTable`` (``name.partitioned-table.json``) points at
a folder of tables in the same artifact.

>>> t = Table(columns=["a", "b"], data=[[1, 2]])
>>> t.add_data(3, 4)
>>> t.get_column("a")
[1, 3]
>>> Table.from_json(t.to_json()) == t
True
"""

from __future__ import annotations

import datetime
import math
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from .media import Fetch, Image, MediaFiles

__all__ = ["Image", "PartitionedTable", "Table"]


def _plain(value: Any) -> Any:
    """A JSON value for one cell: numpy scalars unwrapped, non-finite floats as W&B writes them."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str, Image)):
        return value
    raise TypeError(
        f"A Table cell holds numbers, strings, bools, None, lists, dicts and Images; got a {type(value).__name__}."
    )


def _cell_json(value: Any, files: MediaFiles | None) -> Any:
    if isinstance(value, Image):
        if files is None:
            raise ValueError("A Table holding Images is written by artifact.add(table, name), which stores the images too.")
        return value.to_json(files)
    if isinstance(value, list):
        return [_cell_json(v, files) for v in value]
    if isinstance(value, dict):
        return {k: _cell_json(v, files) for k, v in value.items()}
    return value


def _cell(value: Any, fetch: Fetch | None) -> Any:
    if fetch is not None and isinstance(value, dict) and value.get("_type") == Image._log_type:
        return Image.from_json(value, fetch)
    return value


class Table:
    """Rows of named columns (W&B's ``wandb.Table``).

    Build it from ``columns`` and ``data`` (rows), ``rows`` (an alias), or a pandas ``dataframe``.
    """

    _log_type = "table"

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        data: Sequence[Sequence[Any]] | None = None,
        rows: Sequence[Sequence[Any]] | None = None,
        dataframe: Any = None,
        dtype: Any = None,
        optional: bool | Sequence[bool] = True,
        allow_mixed_types: bool = False,
        log_mode: str | None = "IMMUTABLE",
    ) -> None:
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = dataframe.itertuples(index=False, name=None)
        data = data if data is not None else rows
        rows_ = [list(r) for r in (data or [])]
        if columns is None:
            width = len(rows_[0]) if rows_ else 0
            columns = [f"Column_{i + 1}" for i in range(width)]
        self.columns: list[str] = [str(c) for c in columns]
        self.data: list[list[Any]] = []
        self.log_mode = log_mode or "IMMUTABLE"
        for row in rows_:
            self.add_data(*row)

    def __repr__(self) -> str:
        return f"<Table {len(self.columns)} columns, {len(self.data)} rows>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Table) and (self.columns, self.data) == (other.columns, other.data)

    @property
    def ncols(self) -> int:
        return len(self.columns)

    @property
    def nrows(self) -> int:
        return len(self.data)

    def add_data(self, *data: Any) -> None:
        """Append one row (one value per column)."""
        if len(data) != len(self.columns):
            raise ValueError(f"This table expects {len(self.columns)} columns: {self.columns}; got {len(data)} values.")
        self.data.append([_plain(v) for v in data])

    def add_row(self, *row: Any) -> None:
        self.add_data(*row)

    def add_column(self, name: str, data: Sequence[Any], optional: bool = False) -> None:
        """Append a column; ``data`` has one value per existing row."""
        if name in self.columns:
            raise ValueError(f"Column {name!r} already exists; pick another name.")
        values = list(data)
        if self.data and len(values) != len(self.data):
            raise ValueError(f"Column {name!r} has {len(values)} values; the table has {len(self.data)} rows.")
        if not self.data:
            self.data = [[] for _ in values]
        self.columns.append(str(name))
        for row, value in zip(self.data, values, strict=True):
            row.append(_plain(value))

    def get_column(self, name: str, convert_to: str | None = None) -> Any:
        """A column's values (``convert_to="numpy"`` for an array)."""
        if name not in self.columns:
            raise KeyError(f"Column {name!r} is not in this table; columns: {self.columns}.")
        i = self.columns.index(name)
        values = [row[i] for row in self.data]
        if convert_to == "numpy":
            import numpy as np

            return np.array(values)
        return values

    def get_index(self) -> list[int]:
        return list(range(len(self.data)))

    def iterrows(self) -> Iterator[tuple[int, list[Any]]]:
        yield from enumerate(self.data)

    def get_dataframe(self) -> Any:
        """The table as a pandas DataFrame (needs pandas)."""
        if "pandas" not in sys.modules:
            try:
                import pandas  # noqa: F401
            except ImportError as exc:
                raise ImportError("Table.get_dataframe() needs pandas: pip install pandas.") from exc
        import pandas as pd

        return pd.DataFrame(self.data, columns=self.columns)

    # -- W&B's JSON ----------------------------------------------------------------------------

    def to_json(self, files: MediaFiles | None = None) -> dict[str, Any]:
        """W&B's table JSON; the files of Images in cells go into ``files``."""
        return {
            "_type": self._log_type,
            "columns": list(self.columns),
            "data": [[_cell_json(v, files) for v in r] for r in self.data],
            "ncols": len(self.columns),
            "nrows": len(self.data),
            "log_mode": self.log_mode,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any], fetch: Fetch | None = None) -> Table:
        """The table of W&B's JSON ``obj``; with ``fetch`` (another entry's local copy) image cells become Images."""
        if obj.get("_type") not in ("table", "table-file", "incremental-table"):
            raise ValueError(f"Not a W&B table: _type is {obj.get('_type')!r}.")
        table = cls(columns=obj.get("columns") or [], log_mode=obj.get("log_mode"))
        table.data = [[_cell(v, fetch) for v in r] for r in obj.get("data") or []]
        return table


class PartitionedTable:
    """A table stored as the tables under one folder of the artifact (W&B's ``PartitionedTable``)."""

    _log_type = "partitioned-table"

    def __init__(self, parts_path: str) -> None:
        self.parts_path = parts_path.strip("/")

    def __repr__(self) -> str:
        return f"<PartitionedTable {self.parts_path}/>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionedTable) and other.parts_path == self.parts_path

    def to_json(self) -> dict[str, Any]:
        return {"_type": self._log_type, "parts_path": self.parts_path}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> PartitionedTable:
        if obj.get("_type") != cls._log_type:
            raise ValueError(f"Not a W&B partitioned table: _type is {obj.get('_type')!r}.")
        return cls(str(obj["parts_path"]))

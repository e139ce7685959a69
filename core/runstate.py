"""A run's live state, persisted as it changes: ``config``, ``summary`` and ``log()`` history.

``run.config`` and ``run.summary`` are mappings whose writes reach the metadata database at once
(W&B's ``wandb.config.update(...)`` idiom), and ``History`` implements ``run.log``'s step rules.

>>> import artiflow
>>> with artiflow.init(project="demo", config={"lr": 0.1}) as run:   # doctest: +SKIP
...     run.config.update({"epochs": 3})
...     run.log({"loss": 0.5})
...     run.summary["best"] = 0.4
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from .store import Store

log = logging.getLogger(__name__)
_SCALARS = (bool, int, float, str, type(None))


def scalar_row(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check a ``log()`` row: string keys, scalar values (numbers, strings, bools, None); numpy scalars allowed."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise ValueError(f"run.log() keys must be strings; got {key!r}.")
        if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
            value = value.item()  # a numpy scalar
        if not isinstance(value, _SCALARS):
            raise ValueError(
                f"run.log() stores scalars (numbers, strings, bools) only; {key!r} is a {type(value).__name__}. "
                "Log media and tables inside an artifact instead (artifact.add(obj, name))."
            )
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)  # JSON has no NaN/inf: keep the value readable
        out[key] = value
    return out


class _Persisted(MutableMapping[str, Any]):
    """A dict that writes itself to one JSON column of the run's row on every change."""

    _field = ""
    _store: Store
    _run_id: str
    _data: dict[str, Any]

    def __init__(self, store: Store, run_id: str, initial: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_store", store)
        object.__setattr__(self, "_run_id", run_id)
        object.__setattr__(self, "_data", dict(initial))

    def _save(self) -> None:
        self._store.metadata.update_run(self._run_id, **{self._field: dict(self._data)})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value
        self._save()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._save()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __eq__(self, other: object) -> bool:
        return dict(self._data) == (dict(other) if isinstance(other, Mapping) else other)

    def update(self, other: Any = (), /, **kwargs: Any) -> None:  # type: ignore[override]
        """Set many keys in one write."""
        self._data.update(dict(other, **kwargs))
        self._save()

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)


class Config(_Persisted):
    """``run.config``: also readable and writable as attributes (``run.config.lr = 0.1``)."""

    _field = "config"

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def setdefaults(self, values: Mapping[str, Any]) -> None:
        """Set the keys not set yet (W&B's ``config.setdefaults``)."""
        missing = {k: v for k, v in values.items() if k not in self._data}
        if missing:
            self.update(missing)


class Summary(_Persisted):
    """``run.summary``: the last value logged for each key, unless set by hand."""

    _field = "summary"


class History:
    """``run.log``'s steps: each call commits a step unless ``commit=False`` or an explicit ``step`` says otherwise."""

    def __init__(self, store: Store, run_id: str, summary: Summary, start: int = 0) -> None:
        self._store = store
        self._run_id = run_id
        self._summary = summary
        self.start = self.step = start
        self._pending: dict[str, Any] = {}

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        row = scalar_row(data)
        if step is not None:
            if step < self.step:
                log.warning("Step %d < current step %d: this log() call is ignored (steps only increase).",
                            step, self.step)
                return
            if step > self.step:
                self.flush()
                self.step = step
        self._pending.update(row)
        if commit or (commit is None and step is None):
            self.flush()

    def flush(self) -> None:
        """Commit the pending step (if it has data) and move to the next one."""
        if not self._pending:
            return
        row, self._pending = self._pending, {}
        self._store.metadata.log_history(self._run_id, self.step, row)
        self._summary.update(row)
        self.step += 1

    def rows(self) -> list[dict[str, Any]]:
        return self._store.metadata.history(self._run_id)

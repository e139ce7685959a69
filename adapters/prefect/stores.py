"""``StoreHandle``: which store a task or flow writes to, in a form that survives pickling.

Prefect pickles tasks and flows to send them to worker processes (``ProcessPoolTaskRunner``,
Dask, Ray). An open :class:`~artiflow.Store` holds database connections and locks, so the handle
ships only the :class:`~artiflow.Settings` and opens the store again, lazily, in the process
that runs the task. With neither a store nor settings, ``ARTIFLOW_*`` variables are read when a
task runs (not when it is defined), so every worker process finds the same store.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from artiflow import Settings, Store


class StoreHandle:
    """Opens (once per process and per settings) the store a task or flow should use.

    >>> StoreHandle(settings=Settings(home="/tmp/store")).explicit
    True
    """

    def __init__(self, store: Store | None = None, settings: Settings | None = None) -> None:
        if store is not None and settings is not None:
            raise ValueError("Pass either store= or settings=, not both.")
        self._settings = store.settings if store is not None else settings
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._stores: dict[str, Store] = {}
        if store is not None:
            self._stores[_key(store.settings)] = store

    @property
    def explicit(self) -> bool:
        """True when the store was chosen in code; False when it comes from ``ARTIFLOW_*``."""
        return self._settings is not None

    def get(self) -> Store:
        """The open store: the explicit one, or the one ``ARTIFLOW_*`` describes right now."""
        # Reading the settings from the environment costs milliseconds; the variables themselves
        # are a cheap key (they change between tests, and may differ between worker processes).
        key = _key(self._settings) if self._settings is not None else _env_key()
        with self._lock:
            if self._pid != os.getpid():  # a forked child must not share the parent's connections
                self._stores, self._pid = {}, os.getpid()
            store = self._stores.get(key)
            if store is None:
                store = self._stores[key] = Store.open(self._settings or Settings())
            return store

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self._settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(settings=state["settings"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"StoreHandle({'explicit' if self.explicit else 'ARTIFLOW_* environment'})"


def _key(settings: Settings) -> str:
    return settings.model_dump_json()


def _env_key() -> str:
    # Settings() also resolves relative paths against the working directory.
    return repr((os.getcwd(), sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("ARTIFLOW_"))))

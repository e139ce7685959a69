"""The runs this process has open: their heartbeat, and how they end when the process does.

W&B finishes a run the script forgot to finish when the interpreter exits, and marks it failed if
an uncaught exception ended the script. A run whose process dies without running either (SIGKILL,
power loss) is seen as ``crashed`` by readers (see :mod:`artiflow.metadata.runinfo`): its host and
pid are recorded at start, and a daemon thread refreshes its heartbeat while it is open.

>>> OPEN_RUNS.open_count() >= 0
True
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from .store import Store

log = logging.getLogger(__name__)

Finisher = Callable[[int], None]


@dataclass(slots=True)
class _Open:
    store: Store
    run_id: str
    finish: Finisher
    pid: int


class OpenRuns:
    """A registry of open runs; one per process (:data:`OPEN_RUNS`). Nothing starts until a run opens."""

    def __init__(self) -> None:
        self._runs: dict[int, _Open] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._hooked = False
        self._failure: BaseException | None = None

    def open_count(self) -> int:
        with self._lock:
            return len(self._runs)

    def register(self, key: int, store: Store, run_id: str, finish: Finisher) -> None:
        """Track an open run: heartbeat it, and call ``finish(exit_code)`` at exit if still open."""
        with self._lock:
            self._runs[key] = _Open(store, run_id, finish, os.getpid())
            self._install()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._beat, name="artiflow-heartbeat", daemon=True)
                self._thread.start()

    def unregister(self, key: int) -> None:
        with self._lock:
            self._runs.pop(key, None)

    # -- internals -----------------------------------------------------------------------------

    def _install(self) -> None:
        if self._hooked:
            return
        self._hooked = True
        atexit.register(self._at_exit)
        previous = sys.excepthook

        def hook(t: type[BaseException], v: BaseException, tb: TracebackType | None) -> None:
            self._failure = v
            previous(t, v, tb)

        sys.excepthook = hook

    def _interval(self) -> float:
        with self._lock:
            intervals = [o.store.settings.heartbeat_interval for o in self._runs.values()]
        return max(0.05, min(intervals, default=30.0))

    def _beat(self) -> None:
        while True:
            self._wake.wait(self._interval())
            with self._lock:
                mine = [o for o in self._runs.values() if o.pid == os.getpid()]
            if not mine:
                with self._lock:
                    if not self._runs:
                        self._thread = None
                        return
                continue
            by_store: dict[int, tuple[Store, list[str]]] = {}
            for o in mine:
                by_store.setdefault(id(o.store), (o.store, []))[1].append(o.run_id)
            for store, ids in by_store.values():
                try:
                    store.metadata.heartbeat(ids)
                except Exception as exc:  # a closed or vanished store: stop beating for its runs
                    log.debug("heartbeat failed for %s: %s", store, exc)
                    with self._lock:
                        for k, o in list(self._runs.items()):
                            if o.store is store:
                                del self._runs[k]

    def _at_exit(self) -> None:
        """Finish what is still open: failed if an uncaught exception ended the program."""
        code = 1 if self._failure is not None else 0
        with self._lock:
            mine = [o for o in self._runs.values() if o.pid == os.getpid()]
        failed: list[tuple[str, Exception]] = []
        for o in mine:
            try:
                o.finish(code)
            except Exception as exc:  # the store may be gone by now; the run then reads as crashed
                failed.append((o.run_id, exc))
        if failed:
            log.warning("Could not finish %d open run(s) at exit (%s: %s); they will read as crashed.",
                        len(failed), failed[0][0], failed[0][1])


OPEN_RUNS = OpenRuns()

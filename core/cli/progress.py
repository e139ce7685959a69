"""A rich progress bar for transfers that take more than about a second.

Pass a :class:`TransferProgress` as ``progress=`` to ``Run.log_artifact`` or ``Artifact.download``:
the core calls it with bytes (within large files too) and, through its ``files`` method, with
the number of files done (see :mod:`artiflow.progress`).
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from ..units import human_size

DELAY = 1.0
"""Seconds a transfer runs before its bar appears: quicker ones print nothing."""

_UPDATE_EVERY = 0.05
"""Seconds between two updates of the bar's numbers (its last update is never skipped)."""


class _Files(ProgressColumn):
    def render(self, task: Task) -> Text:
        done, total = task.fields.get("files", 0), task.fields.get("files_total")
        return Text(f"{done:,}/{total:,} files" if total is not None else f"{done:,} files")


class _Bytes(ProgressColumn):
    """Done and total in the IEC units of the command's summary line (``human_size``)."""

    def render(self, task: Task) -> Text:
        total = human_size(int(task.total)) if task.total is not None else "?"
        return Text(f"{human_size(int(task.completed))}/{total}")


class _Speed(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{human_size(int(speed))}/s" if speed else "")


class TransferProgress:
    """A ``progress`` callback that draws a transient bar on ``console`` once ``delay`` seconds pass.

    Nothing is drawn when the console is not a terminal or ``enabled`` is false (``--quiet``), so
    piped or captured output never holds control sequences. Use it as a context manager.

    >>> with TransferProgress(console, "Downloading") as bar:    # doctest: +SKIP
    ...     artifact.download(progress=bar)
    """

    def __init__(self, console: Console, description: str, *, delay: float = DELAY, enabled: bool = True) -> None:
        self._console = console
        self._description = description
        self._delay = delay
        self._enabled = enabled and console.is_terminal
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._bytes: tuple[int, int] | None = None
        self._files: tuple[int, int] | None = None
        self._appeared = False
        self._updated = 0.0

    @property
    def shown(self) -> bool:
        """Whether the bar appeared (it is transient: gone again once the transfer ends)."""
        return self._appeared

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        with self._lock:
            self._bytes = (done, total)
            self._refresh()

    def files(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        with self._lock:
            self._files = (done, total)  # drawn with the bytes call that follows

    def _refresh(self) -> None:
        now = time.monotonic()
        done, total = self._bytes or (0, 0)
        if self._bar is None:
            if now - self._start < self._delay:
                return
            self._open()
        elif now - self._updated < _UPDATE_EVERY and done < total:
            return  # the bar redraws ten times a second: more updates than that only cost time
        self._updated = now
        assert self._bar is not None and self._task is not None
        files = self._files or (0, None)
        self._bar.update(self._task, completed=done, total=total or None, files=files[0], files_total=files[1])

    def _open(self) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=None),  # takes what the other columns leave: one line on any width
            TextColumn("{task.percentage:>3.0f}%"),
            _Files(table_column=Column(no_wrap=True)),
            _Bytes(table_column=Column(no_wrap=True)),
            _Speed(table_column=Column(no_wrap=True)),
            TimeRemainingColumn(table_column=Column(no_wrap=True)),
            console=self._console,
            transient=True,
            expand=True,
        )
        done, total = self._bytes or (0, 0)
        files = self._files or (0, None)
        self._task = self._bar.add_task(
            self._description, total=total or None, completed=done, files=files[0], files_total=files[1]
        )
        self._bar.start()
        self._appeared = True

    def _on_timer(self) -> None:
        # A transfer whose callbacks are far apart (one big file on a slow link) still gets its bar.
        with self._lock:
            if self._bar is None and self._bytes is not None:
                self._refresh()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
            self._enabled = False  # late calls from a worker thread must not reopen it

    def __enter__(self) -> TransferProgress:
        self._start = time.monotonic()
        if self._enabled:
            self._timer = threading.Timer(self._delay + 0.05, self._on_timer)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

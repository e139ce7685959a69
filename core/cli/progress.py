"""A ``progress(done_bytes, total_bytes)`` callback that draws a rich bar for long transfers."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

THRESHOLD = 32 << 20
"""Below this many bytes a transfer takes a moment: no bar."""


class TransferProgress:
    """Pass as ``progress=`` to ``Run.log_artifact`` or ``Artifact.download``; use as a context manager.

    The bar appears only on a terminal and only once a transfer of more than ``threshold``
    bytes starts, so piped or captured output never contains control sequences.

    >>> with TransferProgress(console, "Downloading") as bar:    # doctest: +SKIP
    ...     artifact.download(progress=bar)
    """

    def __init__(self, console: Console, description: str, *, threshold: int = THRESHOLD) -> None:
        self._console = console
        self._description = description
        self._threshold = threshold
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        # The store serialises calls (one lock), but they may come from its worker threads.
        if self._bar is None:
            if not self._console.is_terminal or total <= self._threshold:
                return
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._description, total=total)
        assert self._task is not None
        self._bar.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> TransferProgress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

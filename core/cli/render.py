"""Small formatting helpers shared by the commands: sizes, times, tables."""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.table import Table

from ..runs import Run


def human_size(n: int) -> str:
    """``1536`` → ``'1.5 KiB'``; bytes stay exact.

    >>> human_size(6), human_size(1536), human_size(3 << 30)
    ('6 B', '1.5 KiB', '3.0 GiB')
    """
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return f"{size:.1f} {unit}"


def count(n: int, noun: str) -> str:
    """``count(1, "file")`` → ``'1 file'``, ``count(2, "file")`` → ``'2 files'``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def when(dt: datetime) -> str:
    """A timestamp in the local time zone, to the second."""
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def table(*columns: str, title: str | None = None, right: tuple[str, ...] = ()) -> Table:
    """A borderless table; ``right`` names the numeric columns."""
    t = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False)
    for c in columns:
        t.add_column(c, justify="right" if c in right else "left", overflow="fold")
    return t


def describe_run(run: Run) -> str:
    """``project/run_id (job_type, state, started …)``."""
    bits = [b for b in (run.job_type, run.state) if b]
    return f"{run.path} ({', '.join(bits)}, started {when(run.created_at)})"

"""Small formatting helpers shared by the commands: sizes, times, listings.

A :class:`Listing` is a table on a terminal and tab-separated lines (a header, then one line per
row, no padding, no colour) when the output is piped, so ``cut -f``, ``awk -F'\\t'`` and
``sort`` see whole cells.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from artiflow import Run


def parse_size(text: str) -> int:
    """``'10GiB'``, ``'10 GB'`` (read as GiB), ``'512M'``, ``'0'`` → bytes.

    >>> parse_size("1.5KiB"), parse_size("2 MB"), parse_size("0")
    (1536, 2097152, 0)
    """
    t = text.strip().upper().replace(" ", "").removesuffix("B").removesuffix("I")
    scale = 1
    for i, unit in enumerate("KMGT", start=1):
        if t.endswith(unit):
            t, scale = t[:-1], 1024**i
            break
    try:
        value = float(t)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a size; write it like 500MiB or 10GiB.") from None
    if value < 0:
        raise typer.BadParameter(f"{text!r} is negative; a size is 0 or more.")
    return int(value * scale)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "file")`` → ``'1 file'``, ``count(2, "file")`` → ``'2 files'``, ``count(2, "entry", "entries")``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def when(dt: datetime) -> str:
    """A timestamp in the local time zone, to the second."""
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def iso(dt: datetime | None) -> str | None:
    """A timestamp for JSON: ISO 8601 in UTC (``2026-01-31T12:00:00.123456+00:00``)."""
    return None if dt is None else dt.astimezone(timezone.utc).isoformat()


def table(*columns: str, title: str | None = None, right: tuple[str, ...] = ()) -> Table:
    """A borderless rich table; ``right`` names the numeric columns."""
    t = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False)
    for c in columns:
        t.add_column(c, justify="right" if c in right else "left", overflow="fold")
    return t


class Listing:
    """Rows of plain text cells: a padded table on a terminal, tab-separated when piped.

    >>> rows = Listing("name", "size", right=("size",))
    >>> rows.add_row("cats", "8 B")
    >>> rows.print(Console(file=io.StringIO()))             # doctest: +SKIP
    name\\tsize
    cats\\t8 B
    """

    def __init__(self, *columns: str, title: str | None = None, right: tuple[str, ...] = ()) -> None:
        self.columns = columns
        self.title = title
        self.right = right
        self.rows: list[tuple[str, ...]] = []

    def add_row(self, *cells: str) -> None:
        self.rows.append(tuple(cells))

    def print(self, console: Console, *, piped_title: bool = False) -> None:
        """``piped_title`` keeps the title as a line of its own when piped (for multi-part output)."""
        if console.is_terminal:
            t = table(*self.columns, title=escape(self.title) if self.title else None, right=self.right)
            for cells in self.rows:
                t.add_row(*(escape(c) for c in cells))
            console.print(t)
            return
        lines = [self.title] if piped_title and self.title else []
        lines += ["\t".join(_cell(c) for c in row) for row in (self.columns, *self.rows)]
        console.file.write("\n".join(lines) + "\n")


def _cell(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ")


def emit_json(data: Any) -> None:
    """Write ``data`` to stdout as indented JSON: the ``--json`` output of every command."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def describe_run(run: Run) -> str:
    """``project/run_id (job_type, state, started …)``."""
    bits = [b for b in (run.job_type, run.state) if b]
    return f"{run.path} ({', '.join(bits)}, started {when(run.created_at)})"

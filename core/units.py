"""Sizes for people: one formatter for the CLI, the web UI and log lines, in IEC units.

>>> human_size(6), human_size(1536), human_size(3 << 30), human_size(None)
('6 B', '1.5 KiB', '3.0 GiB', '-')
"""

from __future__ import annotations


def human_size(n: int | None) -> str:
    """``n`` bytes in binary units, one decimal from KiB up; ``-`` when the size is unknown."""
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return f"{size:.1f} {unit}"

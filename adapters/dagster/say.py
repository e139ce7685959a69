"""The lines the IO manager writes to Dagster's run log (``context.log``), one per use and log.

>>> logged_line("ml/model:v3", created=True, size=1_258_291)
'artiflow: logged ml/model:v3 (new, 1.2 MiB)'
>>> logged_line("ml/model:v0", created=False, size=1)
'artiflow: reused ml/model:v0 (identical content)'
"""

from __future__ import annotations


def human_size(n: int) -> str:
    """``n`` bytes in binary units, one decimal from KiB up."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def logged_line(name: str, *, created: bool, size: int) -> str:
    """What a new (or deduplicated) version says in the run log."""
    if not created:
        return f"artiflow: reused {name} (identical content)"
    return f"artiflow: logged {name} (new, {human_size(size)})"

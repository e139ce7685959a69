"""One line per artifact use and log in the Prefect run's own logger, where users look.

>>> logged_line("sales/model:v3", created=True, size=1_258_291)
'artiflow: logged sales/model:v3 (new, 1.2 MiB)'
>>> logged_line("sales/model:v0", created=False, size=10)
'artiflow: reused sales/model:v0 (identical content)'
>>> human_size(512)
'512 B'
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def human_size(n: int) -> str:
    """``n`` bytes in binary units, one decimal from KiB up."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def logged_line(name: str, *, created: bool, size: int, parts: int = 0) -> str:
    """What a new (or deduplicated) version says in the run log."""
    if not created:
        return f"artiflow: reused {name} (identical content)"
    extra = f", {parts} parts" if parts else ""
    return f"artiflow: logged {name} (new, {human_size(size)}{extra})"


def say(message: str, level: int = logging.INFO) -> None:
    """Write ``message`` to the current Prefect task or flow run's logger (else this module's)."""
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = log
    try:
        from prefect.context import FlowRunContext, TaskRunContext
        from prefect.logging import get_run_logger

        if TaskRunContext.get() is not None or FlowRunContext.get() is not None:
            logger = get_run_logger()
    except Exception:  # noqa: BLE001 - logging must never fail the task
        logger = log
    logger.log(level, message)

"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Captured output is not a terminal; make sure the environment does not pretend otherwise."""
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)

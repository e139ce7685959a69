"""Fixtures for the core tests that read artiflow's output with the W&B SDK itself."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def wandb_sdk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The ``wandb`` package, offline and silent, with every directory it writes under ``tmp_path``
    (skips the test when the SDK cannot be imported)."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    for var in ("WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "wandb" / var.lower()))  # its staging copies stay here
    with warnings.catch_warnings():  # the SDK's own import-time deprecations are not ours to fix
        warnings.simplefilter("ignore")
        try:
            import wandb  # noqa: PLC0415 - optional: only these tests need the W&B SDK
        except ImportError as exc:
            pytest.skip(f"the W&B SDK cannot be imported ({exc}); `uv sync` installs it with the dev group")
    return wandb

"""Fixtures of the UI tests: one seeded store per module (seeding takes a second), an ASGI client."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import artiflow

pytest.importorskip("starlette", reason="the UI tests need the 'ui' extra: uv sync (dev group) installs it")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed  # noqa: E402


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[artiflow.Store, dict[str, str]]]:
    root = tmp_path_factory.mktemp("ui-store")
    store = artiflow.Store.open(home=root / "home")
    refs = seed.prefect_like(store, root / "work") | seed.dagster_like(store, root / "work")
    refs["bulk"] = seed.big_version(store, root / "work")
    yield store, refs
    store.close()


@pytest.fixture(scope="module")
def ui_store(seeded: tuple[artiflow.Store, dict[str, str]]) -> artiflow.Store:
    return seeded[0]

"""Shared fixtures: every test gets its own store home and working directory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import artiflow


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches ~/.artiflow or the repo: ARTIFLOW_HOME and the cwd live under tmp_path."""
    for key in list(os.environ):
        if key.startswith("ARTIFLOW_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ARTIFLOW_HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[artiflow.Store]:
    s = artiflow.Store.open(home=tmp_path / "home")
    yield s
    s.close()


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[..., Path]:
    """``make_tree({"a.txt": "hello\\n", "sub/b.bin": b"..."})`` writes files and returns the root."""
    counter = iter(range(10_000))

    def make(files: dict[str, str | bytes], root: Path | None = None) -> Path:
        base = root or tmp_path / f"tree{next(counter)}"
        for rel, content in files.items():
            p = base / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content)
        base.mkdir(parents=True, exist_ok=True)
        return base

    return make

"""Every script in examples/ runs to completion on a fresh embedded store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    env = {**os.environ, "ARTIFLOW_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "an example should show the user what happened"


def test_quickstart_tells_the_story(tmp_path: Path) -> None:
    script = next(p for p in EXAMPLES if p.name == "quickstart.py")
    env = {**os.environ, "ARTIFLOW_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=True
    ).stdout
    assert "logged   quickstart/pets:v0" in out
    assert "re-log   quickstart/pets:v0" in out
    assert "changed  quickstart/pets:v1" in out
    assert "refused: Artifact 'pets' already exists with type 'dataset'" in out
    assert (tmp_path / "home" / "artiflow.db").exists()

"""Every script in examples/ runs to completion on a fresh embedded store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))


# Lines an example's output must contain, beyond showing something.
STORY = {
    "dagster_pipeline.py": [
        "pets.raw:v0, pets.clean:v0, pets.model:v0",
        "new data   dagster run",
        "pets.model:v1   logged by step 'pets__model'",
        "pets__clean  used ['pets.raw:v1'] logged ['pets.clean:v1']",
        "versions of pets.raw: ['v0', 'v1']",
    ],
    "prefect_pipeline.py": [
        "run 2 (same data) produced prefect-demo/sales-model:v0: no new versions",
        "<- logged by task 'ingest-finish'",  # the mapped ingest runs' parts, committed as one version
        "ingest (finished), ingest (finished), ingest-finish (finished), clean (finished), train (finished)",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    # PREFECT_HOME too: the Prefect example starts Prefect's temporary server, whose database lives
    # there; on a busy machine (parallel test workers) it takes longer than the default 20 s to start.
    env = {**os.environ, "ARTIFLOW_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "an example should show the user what happened"
    for line in STORY.get(script.name, []):
        assert line in proc.stdout


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

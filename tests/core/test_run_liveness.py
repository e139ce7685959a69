"""Runs end with their process: finished at exit, failed after an uncaught exception, else crashed.

Each scenario runs a real Python process against the test's store, as a user's script would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import artiflow
from artiflow.metadata import schema



def _script(body: str, backend: Any, tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    path = tmp_path / "script.py"
    path.write_text("import artiflow as wandb\n" + textwrap.dedent(body))
    return subprocess.Popen(
        [sys.executable, str(path)], env={**os.environ, **backend.env, **env}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _end(proc: subprocess.Popen[str]) -> int:
    """Wait for the process and close its pipes."""
    proc.communicate(timeout=60)
    return proc.returncode


def _run_id(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def test_a_run_left_open_is_finished_when_the_script_ends(backend: Any, tmp_path: Path) -> None:
    proc = _script("run = wandb.init(project='p')\nprint(run.id, flush=True)\n", backend, tmp_path)
    run_id = _run_id(proc)
    assert _end(proc) == 0
    store = backend.open()
    run = artiflow.Api(store=store).run(f"p/{run_id}")
    assert run.state == "finished" and run.record.exit_code == 0
    store.close()


def test_an_uncaught_exception_marks_the_run_failed(backend: Any, tmp_path: Path) -> None:
    proc = _script("run = wandb.init(project='p')\nprint(run.id, flush=True)\nraise SystemError('boom')\n",
                   backend, tmp_path)
    run_id = _run_id(proc)
    assert _end(proc) == 1
    store = backend.open()
    assert artiflow.Api(store=store).run(f"p/{run_id}").state == "failed"
    store.close()


def test_a_killed_run_reads_as_crashed_at_once_on_its_host(backend: Any, tmp_path: Path) -> None:
    proc = _script(
        "import time\nrun = wandb.init(project='p')\nprint(run.id, flush=True)\ntime.sleep(600)\n", backend, tmp_path
    )
    run_id = _run_id(proc)
    store = backend.open()
    api = artiflow.Api(store=store)
    assert api.run(f"p/{run_id}").state == "running"  # alive
    proc.send_signal(signal.SIGKILL)
    _end(proc)
    assert api.run(f"p/{run_id}").state == "crashed"
    assert [r.state for r in api.runs("p")] == ["crashed"]
    store.close()


def test_elsewhere_a_run_is_crashed_once_its_heartbeat_stops(
    backend: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = _script(
        "import time\nrun = wandb.init(project='p')\nprint(run.id, flush=True)\ntime.sleep(600)\n", backend, tmp_path,
        ARTIFLOW_HEARTBEAT_INTERVAL="0.2",
    )
    run_id = _run_id(proc)
    monkeypatch.setenv("ARTIFLOW_HEARTBEAT_TIMEOUT", "2")
    store = backend.open()
    # Read it as another machine would: the run's recorded host is not this one.
    with store.metadata.engine.begin() as conn:
        conn.execute(sa.update(schema.runs).where(schema.runs.c.id == run_id).values(host="another-host"))
    first = store.metadata.get_run(run_id).heartbeat_at
    time.sleep(3)  # longer than the timeout: only the heartbeat keeps it running
    beat = store.metadata.get_run(run_id)
    assert beat.state == "running" and first is not None and beat.heartbeat_at is not None
    assert beat.heartbeat_at > first
    proc.send_signal(signal.SIGKILL)
    _end(proc)
    time.sleep(2.5)
    assert store.metadata.get_run(run_id).state == "crashed"
    store.close()

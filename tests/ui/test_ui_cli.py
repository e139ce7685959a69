"""``artiflow ui``: the command serves the store on loopback, and refuses other addresses without a token."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

import artiflow
from artiflow.cli import app

# one worker runs this module: its fixtures (a seeded store) are set up once
pytestmark = pytest.mark.xdist_group("ui-cli")


def test_ui_serves_the_store_and_prints_its_address(ui_store: artiflow.Store) -> None:
    home = Path(ui_store.settings.home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFLOW_")}
    with subprocess.Popen(
        [sys.executable, "-m", "artiflow.cli", "ui", "--home", str(home), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            assert found and "read-only" in line, line
            with urllib.request.urlopen(f"{found[0]}p/flows") as r:  # noqa: S310 - loopback
                html = r.read().decode()
                assert r.status == 200 and 'href="/p/flows/a/model"' in html
        finally:
            proc.terminate()
            proc.communicate(timeout=10)


def test_ui_refuses_a_public_address_without_a_token(ui_store: artiflow.Store) -> None:
    result = CliRunner().invoke(app, ["ui", "--home", str(ui_store.settings.home), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "pass --token" in result.stderr and "0.0.0.0" in result.stderr


def test_ui_on_an_empty_home_says_there_is_no_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ui", "--home", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "No artiflow store" in result.stderr

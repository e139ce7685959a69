"""``import artiflow`` loads only what a first call needs; the heavy stacks load on first use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("sqlalchemy", "alembic", "networkx", "pydantic_settings", "rich", "typer")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    return {m for m in HEAVY if m in loaded}


def test_bare_import_loads_no_heavy_dependency() -> None:
    assert _loaded_after("import artiflow") == set()


def test_names_load_their_stack_on_first_use() -> None:
    assert _loaded_after("import artiflow; artiflow.ArtiflowError; artiflow.names") == set()
    assert {"sqlalchemy", "pydantic_settings"} <= _loaded_after("import artiflow; artiflow.Store")
    assert "networkx" in _loaded_after("import artiflow; artiflow.lineage.upstream")


def test_cli_help_does_not_load_the_database_stack() -> None:
    code = (
        "sys.argv = ['artiflow', '--help']\n"
        "from artiflow.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )
    loaded = _loaded_after(code)
    assert "typer" in loaded  # the command line itself
    assert not loaded & {"sqlalchemy", "alembic", "networkx", "pydantic_settings"}


def test_opening_a_current_store_does_not_load_alembic(tmp_path: Path) -> None:
    open_it = f"import artiflow; artiflow.Store.open(home={str(tmp_path / 'h')!r}).close()"
    assert "alembic" in _loaded_after(open_it)  # creating it stamps the schema with Alembic
    assert "alembic" not in _loaded_after(open_it)  # at the newest revision: nothing to migrate

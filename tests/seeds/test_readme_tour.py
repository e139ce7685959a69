"""The README's "A tour", "Command line" and "Lineage" examples run as written, one after the other, in an
empty directory prepared with the setup line the tour gives, and do what their comments say."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import artiflow
from artiflow.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _section(title: str) -> str:
    return README.read_text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _blocks(section: str, lang: str) -> list[str]:
    return [b.split("```", 1)[0] for b in section.split(f"```{lang}\n")[1:]]


def _tour() -> dict[str, Any]:
    tour = _section("A tour")
    setup = re.search(r"\(`(mkdir [^`]+)`\)", tour)
    assert setup is not None, "the tour names the files it logs"
    subprocess.run(["bash", "-c", setup.group(1)], check=True)
    ns: dict[str, Any] = {}
    exec(compile(_blocks(tour, "python")[0], "README.md", "exec"), ns)
    return ns


def _cli(line: str) -> str:
    out = ""
    for part in line.split(" && "):
        words = shlex.split(part, comments=True)
        if words[0] != "artiflow":
            subprocess.run(["bash", "-c", part], check=True)
            continue
        result = CliRunner().invoke(app, words[1:])
        assert result.exit_code == 0, (line, result.output, result.exception)
        out = result.stdout
    return out


def test_the_readme_tour_and_lineage_examples_run() -> None:
    tour = _tour()
    assert tour["data"].name == "pets:v0"
    assert Path(tour["root"]) == Path("artifacts/pets:v0").absolute()
    v0 = tour["v0"]
    assert v0.logged_by().job_type == "ingest" and [r.job_type for r in v0.used_by()] == ["train"]
    assert set(artiflow.Api().artifact("pets/pets:v0").aliases) == {"latest", "raw", "best"}
    assert "README.txt" not in {e.path for e in tour["draft"].files()}
    assert artiflow.Api().artifact("pets/pet-model:candidate").type == "model"

    (lineage,) = _blocks(_section("Lineage"), "python")
    ns: dict[str, Any] = {}
    exec(compile(lineage, "README.md", "exec"), ns)
    train = v0.used_by()[0].path
    assert ns["up"].artifacts == ["pets/pets:v0"] and ns["up"].runs == [train]
    assert ns["up"].depth["pets/pets:v0"] == 2
    assert ns["path"](ns["g"], "pets/pets:v0", "pets/pet-model:v0") == ["pets/pets:v0", train, "pets/pet-model:v0"]


def test_every_readme_command_line_example_runs() -> None:
    _tour()
    skip = ("artiflow ui", "artiflow --install-completion")  # a server; an edit of the shell's rc file
    for line in _blocks(_section("Command line"), "bash")[0].splitlines():
        if line.startswith(skip):
            continue
        if "<run_id>" in line:
            run_id = json.loads(_cli("artiflow runs pets --json"))[0]["id"]
            line = line.replace("<run_id>", run_id)
        _cli(line)
    assert artiflow.Api().artifact("pets/pets:v1").tags == []
    versions = json.loads(_cli("artiflow ls pets --json"))
    assert [(a["name"], a["latest"]["version"]) for a in versions] == [("pet-model", "v0"), ("pets", "v2")]

"""The README's Prefect examples run with their own imports, given only the bodies they leave as ``...``."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import artiflow
from artiflow import Artifact
from artiflow.adapters.prefect import artifact_flow, artifact_task

pytestmark = pytest.mark.usefixtures("prefect_server")

README = Path(__file__).resolve().parents[3] / "README.md"


def _snippets() -> list[str]:
    section = README.read_text().split("\n## Prefect\n", 1)[1].split("\n## ", 1)[0]
    return [textwrap.dedent(block.split("```", 1)[0]) for block in section.split("```python\n")[1:]]


def _run(code: str, ns: dict[str, Any]) -> dict[str, Any]:
    exec(compile(code, "README.md", "exec"), ns)
    return ns


def test_the_readme_pipeline_logs_raw_and_clean_once() -> None:
    Path("export.csv").write_text("a,b\n1,2\n")

    def tidy(root: str) -> Path:  # the README's own cleaning step
        out = Path("clean.csv")
        out.write_text((Path(root) / "export.csv").read_text().upper())
        return out

    ns = _run(_snippets()[0], {"tidy": tidy})
    ns["pipeline"]()
    ns["pipeline"]()  # identical content: no new versions
    clean = artiflow.Api().artifact("sales/clean:latest")
    assert clean.version == "v0" and set(clean.aliases) == {"latest", "staging"}
    assert clean.used_by() == [] and clean.logged_by().job_type == "clean"
    assert [e.path for e in artiflow.Api().artifact("sales/raw:v0").files()] == ["export.csv"]


def test_the_readme_map_and_cache_snippets_run() -> None:
    first = _run(_snippets()[0], {"tidy": str})  # its imports: ArtifactRef, Output, ...
    trained: list[list[str]] = []

    @artifact_task
    def train(data: Artifact) -> Artifact:
        trained.append(sorted(e.path for e in data.files()))
        model = Artifact("model", "model")
        model.add({"parts": len(trained[-1])}, "weights")
        return model

    mapped = _snippets()[1].replace(
        "def featurize(region: str) -> pd.DataFrame: ...",
        "def featurize(region: str) -> pd.DataFrame:\n    return pd.DataFrame({'region': [region]})",
    )
    ns = _run(mapped, {**first, "pd": pd, "train": train})
    assert str(ns["build"](["north", "south"])) == "sales/shards:v0"
    assert trained == [["part-00000/value.parquet", "part-00001/value.parquet"]]

    calls: list[str] = []
    cached = _snippets()[2].replace(
        "def summarize(features: Artifact) -> Artifact: ...",
        "def summarize(features: Artifact) -> Artifact:\n    calls.append(features.version)\n"
        "    out = Artifact('summary', 'report')\n    out.add({'n': len(features.files())}, 'n')\n    return out",
    ).replace("def report(model: ArtifactRef) -> str: ...", "def report(model: ArtifactRef) -> str:\n    return str(model)")
    # The README calls summarize("features:latest") bare; a task runs inside a flow, below.
    script = re.sub(r'^summarize\("features:latest"\).*$', "", cached, flags=re.M)
    assert script != cached
    ns = _run(script, {**first, "calls": calls})
    assert "report" in ns
    features = Artifact("features", "dataset")
    features.add({"a": 1}, "f")
    with artiflow.init(project="sales") as run:
        run.log_artifact(features)

    @artifact_flow(project="sales")
    def flow() -> Any:
        return ns["summarize"]("features:latest")

    assert str(flow()) == str(flow()) == "sales/summary:v0"
    assert calls == ["v0"]  # the second run was a cache hit

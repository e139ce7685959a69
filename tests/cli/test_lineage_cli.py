"""``artiflow lineage``: the tree a user reads, and exports that pipe into other tools."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner, Result

import artiflow
from artiflow import Api, Artifact, Store
from artiflow.cli import app
from artiflow.cli import lineage as cli_lineage

MakeTree = Callable[..., Path]
EXAMPLES = Path(__file__).parents[2] / "examples"


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "\x1b[" not in result.output
    return result.stdout


def fails(result: Result, *fragments: str) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    err = result.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err, err
    for f in fragments:
        assert f in err, (f, err)
    return err


def lines(out: str) -> list[str]:
    """The tree's lines without the guide characters: ``'logged by p/fit (train, finished)'``."""
    return [line.lstrip(" │├└─") for line in out.splitlines()]


class Story:
    """Runs with fixed ids in project ``p``, through the public API."""

    def __init__(self, store: Store, make_tree: MakeTree) -> None:
        self.store = store
        self.make_tree = make_tree

    def run(self, run_id: str, *, job_type: str, uses: tuple[str, ...] = (),
            logs: tuple[tuple[str, str, str], ...] = (), name: str | None = None, group: str | None = None) -> None:
        with artiflow.init(project="p", id=run_id, name=name, job_type=job_type, group=group, store=self.store) as r:
            for ref in uses:
                r.use_artifact(ref)
            for name, type_, content in logs:
                art = Artifact(name, type_)
                art.add_dir(self.make_tree({"f": content}))
                r.log_artifact(art)

    def diamond(self) -> None:
        """raw -> split -> train, test; fit uses train, test and raw, and logs the model."""
        self.run("ingest", job_type="ingest", logs=(("raw", "dataset", "r"),))
        self.run("split", job_type="split", uses=("raw:v0",),
                 logs=(("train", "dataset", "t"), ("test", "dataset", "s")))
        self.run("fit", job_type="train", uses=("train:v0", "test:v0", "raw:v0"), logs=(("model", "model", "m"),))

    def flows(self, identical: int = 5) -> None:
        """Prefect-like: ``identical`` runs of flow ``etl`` (each a run, its own group) whose task runs
        ``ingest`` and ``train`` re-log the same ``raw:v0`` and ``model:v0``; one more flow run with new
        data logs ``raw:v1`` and ``model:v1``."""
        for i in range(identical + 1):
            changed = "2" if i == identical else ""
            with artiflow.init(project="p", id=f"flow{i}", name=f"etl-run-{i}", job_type="flow:etl",
                               group=f"flow{i}", store=self.store):
                self.run(f"ingest{i}", name=f"ingest-{i}", job_type="ingest", group=f"flow{i}",
                         logs=(("raw", "dataset", "r" + changed),))
                self.run(f"train{i}", name=f"train-{i}", job_type="train", group=f"flow{i}",
                         uses=("raw:latest",), logs=(("model", "model", "m" + changed),))


@pytest.fixture
def story(store: Store, make_tree: MakeTree) -> Story:
    return Story(store, make_tree)


def test_upstream_tree_shows_each_node_once(story: Story) -> None:
    story.diamond()
    out = ok(cli("lineage", "p/model:v0"))
    assert lines(out) == [
        "p/model:v0 (model)",
        "logged by p/fit (train, finished)",
        "used p/raw:v0 (dataset)",
        "logged by p/ingest (ingest, finished)",
        "used p/test:v0 (dataset)",
        "logged by p/split (split, finished)",
        "used p/raw:v0 (dataset) (see above)",
        "used p/train:v0 (dataset)",
        "logged by p/split (split, finished) (see above)",
        "3 versions and 3 runs upstream of p/model:v0.",
    ]
    assert out.splitlines()[1].startswith("└── ") and out.splitlines()[2].startswith("    ├── ")


def test_downstream_with_a_depth_limit(story: Story) -> None:
    story.diamond()
    out = ok(cli("lineage", "p/raw:v0", "--downstream", "--depth", "1"))
    assert lines(out) == [
        "p/raw:v0 (dataset)",
        "used by p/fit (train, finished)",
        "used by p/split (split, finished)",
        "0 versions and 2 runs downstream of p/raw:v0 within 1 hop.",
    ]
    assert "p/model:v0" not in ok(cli("lineage", "p/raw:v0", "--downstream", "-d", "1"))
    assert "p/model:v0" in ok(cli("lineage", "p/raw:v0", "--downstream", "-d", "2"))
    assert lines(ok(cli("lineage", "p/raw:v0", "-d", "0"))) == [
        "p/raw:v0 (dataset)", "Nothing upstream of p/raw:v0 within 0 hops.",
    ]


def test_refs_resolve_to_the_exact_version(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    story.diamond()
    story.run("ingest2", job_type="ingest", logs=(("raw", "dataset", "r2"),))
    assert lines(ok(cli("lineage", "p/raw")))[0] == "p/raw:v1 (dataset)"  # latest, now v1
    assert lines(ok(cli("lineage", "p/raw:latest")))[1] == "logged by p/ingest2 (ingest, finished)"
    monkeypatch.setenv("ARTIFLOW_PROJECT", "p")
    assert lines(ok(cli("lineage", "model")))[0] == "p/model:v0 (model)"
    assert lines(ok(cli("lineage", "raw:v0", "--downstream", "-d", "1")))[1:3] == [
        "used by p/fit (train, finished)", "used by p/split (split, finished)",
    ]


def test_a_run_path(story: Story) -> None:
    story.diamond()
    up = lines(ok(cli("lineage", "p/fit")))
    assert up[0] == "p/fit (train, finished)"
    assert up[1:4] == ["used p/raw:v0 (dataset)", "logged by p/ingest (ingest, finished)", "used p/test:v0 (dataset)"]
    assert lines(ok(cli("lineage", "p/fit", "--downstream"))) == [
        "p/fit (train, finished)", "logged p/model:v0 (model)", "1 version and 0 runs downstream of p/fit.",
    ]


def test_a_run_that_relogs_its_input(story: Story) -> None:
    """clean uses raw:v0 and logs the same content: a cycle, shown once, and a re-log, said so."""
    story.run("ingest", job_type="ingest", logs=(("raw", "dataset", "a"),))
    story.run("clean", job_type="clean", uses=("raw:v0",), logs=(("raw", "dataset", "a"),))
    assert lines(ok(cli("lineage", "p/raw:v0"))) == [
        "p/raw:v0 (dataset)",
        "re-logged by p/clean (clean, finished)",
        "used p/raw:v0 (dataset) (see above)",
        "logged by p/ingest (ingest, finished)",
        "0 versions and 2 runs upstream of p/raw:v0.",
    ]
    assert lines(ok(cli("lineage", "p/clean", "--downstream")))[1] == "re-logged p/raw:v0 (dataset)"


def test_deleted_versions_are_marked_and_still_answer(story: Story, store: Store) -> None:
    story.diamond()
    Api(store=store).artifact("p/raw:v0").delete(delete_aliases=True)
    out = lines(ok(cli("lineage", "p/model:v0")))
    assert "used p/raw:v0 (dataset) [deleted]" in out
    assert "used p/raw:v0 (dataset) [deleted] (see above)" in out
    down = lines(ok(cli("lineage", "p/raw:v0", "--downstream", "-d", "1")))
    assert down[0] == "p/raw:v0 (dataset) [deleted]"
    assert down[1:3] == ["used by p/fit (train, finished)", "used by p/split (split, finished)"]


def test_wide_levels_are_capped(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    story.run("ingest", job_type="ingest", logs=(("raw", "dataset", "r"),))
    for i in range(23):
        story.run(f"user{i:02d}", job_type="eval", uses=("raw:v0",))
    out = lines(ok(cli("lineage", "p/raw:v0", "--downstream", "--raw")))
    assert [line for line in out if line.startswith("used by")] == [
        f"used by p/user{i:02d} (eval, finished)" for i in range(20)
    ]
    assert out[-2:] == ["… 3 more", "0 versions and 23 runs downstream of p/raw:v0."]
    # the 23 runs did the same (used raw:v0, logged nothing): folded, they are one line
    assert lines(ok(cli("lineage", "p/raw:v0", "--downstream")))[1:] == [
        "used by p/user00 ×23 (eval, finished)",
        "0 versions and 23 runs downstream of p/raw:v0 (22 identical re-runs folded).",
    ]
    # past the fold limit, the recorded graph, and a note saying so
    monkeypatch.setattr(cli_lineage, "FOLD_LIMIT", 10)
    result = cli("lineage", "p/raw:v0", "--downstream")
    assert lines(ok(result))[-2:] == ["… 3 more", "0 versions and 23 runs downstream of p/raw:v0."]
    assert "24 nodes reached, too many to fold" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "dot", "mermaid", "graphml"])
def test_exports_go_to_stdout_plain(story: Story, fmt: str) -> None:
    story.diamond()
    result = cli("lineage", "p/model:v0", "--format", fmt, "--depth", "2")
    out = ok(result)
    assert result.stderr == ""
    labels = ["p/model:v0", "p/fit", "p/raw:v0", "p/test:v0", "p/train:v0"]
    if fmt == "json":
        g = nx.node_link_graph(json.loads(out), edges="links")
        assert sorted(d["label"] for _, d in g.nodes(data=True)) == sorted(labels)
        assert g.number_of_edges() == 4
    elif fmt == "graphml":
        g = nx.read_graphml(io.BytesIO(out.encode("utf-8")))
        assert sorted(d["label"] for _, d in g.nodes(data=True)) == sorted(labels)
        assert g.number_of_edges() == 4
    else:
        assert out.startswith("digraph lineage {" if fmt == "dot" else "flowchart LR\n")
        assert all(label in out for label in labels)
        assert out.count(" -> " if fmt == "dot" else " --> ") == 4
        assert "p/ingest" not in out and "[bold]" not in out


def test_identical_reruns_fold_into_one_counted_branch(story: Story) -> None:
    """5 flow runs re-logging the same output: one branch per task, its count, the task runs' names."""
    story.flows()
    assert lines(ok(cli("lineage", "p/model:v0"))) == [
        "p/model:v0 (model)",
        "logged by train-0 ×5 (train, finished)",
        "used p/raw:v0 (dataset)",
        "logged by ingest-0 ×5 (ingest, finished)",
        "1 version and 10 runs upstream of p/model:v0 (8 identical re-runs folded).",
    ]
    assert lines(ok(cli("lineage", "p/raw:v0", "--downstream", "-d", "1"))) == [
        "p/raw:v0 (dataset)",
        "used by train-0 ×5 (train, finished)",
        "0 versions and 5 runs downstream of p/raw:v0 within 1 hop (4 identical re-runs folded).",
    ]
    # --raw: every run as recorded, the creator first
    raw = lines(ok(cli("lineage", "p/model:v0", "--raw")))
    assert [line for line in raw if "by p/train" in line] == [
        "logged by p/train0 (train, finished)", *[f"re-logged by p/train{i} (train, finished)" for i in range(1, 5)],
    ]


def test_runs_are_named_and_shown_in_their_group(story: Story) -> None:
    story.flows()
    assert lines(ok(cli("lineage", "p/model:v1"))) == [
        "p/model:v1 (model)",
        "logged by train-5 (train, finished) in etl · etl-run-5",
        "used p/raw:v1 (dataset)",
        "logged by ingest-5 (ingest, finished) in etl · etl-run-5",
        "1 version and 2 runs upstream of p/model:v1.",
    ]
    # a flow run in focus: its task runs, in the order they ran, and what follows from them
    assert lines(ok(cli("lineage", "p/flow5", "--downstream"))) == [
        "etl-run-5 (flow:etl, finished)",
        "ran ingest-5 (ingest, finished)",
        "logged p/raw:v1 (dataset)",
        "used by train-5 (train, finished)",
        "logged p/model:v1 (model)",
        "ran train-5 (train, finished) (see above)",
        "2 versions and 2 runs downstream of p/flow5.",
    ]
    assert lines(ok(cli("lineage", "p/flow5", "--downstream", "-d", "1")))[1:] == [
        "ran ingest-5 (ingest, finished)", "ran train-5 (train, finished)",
        "0 versions and 2 runs downstream of p/flow5 within 1 hop.",
    ]
    assert lines(ok(cli("lineage", "p/flow5", "--raw"))) == ["p/flow5 (flow:etl, finished)", "Nothing upstream of p/flow5."]


def dot_statements(out: str) -> list[str]:
    """The DOT text's statements, checked for shape: one digraph, balanced subgraphs, quoted ids."""
    assert out.startswith("digraph lineage {\n") and out.rstrip().endswith("}")
    quoted = r'"(?:[^"\\]|\\.)*"'
    attrs = rf"\[(?:\w+={quoted}|\w+=\w+)(?:, (?:\w+={quoted}|\w+=\w+))*\]"
    depth, statements = 0, []
    for line in out.splitlines()[1:-1]:
        text = line.strip()
        if re.fullmatch(rf"subgraph {quoted} {{", text):
            depth += 1
        elif text == "}":
            depth -= 1
            assert depth >= 0
        else:
            assert re.fullmatch(
                rf"(?:{quoted}(?: -> {quoted})? {attrs}|\w+={quoted}|\w+=\w+|node {attrs});", text
            ), text
        statements.append(text)
    assert depth == 0
    if shutil.which("dot"):  # graphviz itself, where installed
        subprocess.run(["dot", "-Tsvg"], input=out, text=True, capture_output=True, check=True)
    return statements


def test_dot_folds_reruns_into_counted_edges_and_boxes_groups(story: Story) -> None:
    story.flows()
    out = ok(cli("lineage", "p/model:v0", "--format", "dot"))
    dot_statements(out)
    edges = re.findall(r'^  "(\S+)" -> "(\S+)" \[label="([^"]*)"\];$', out, re.M)
    assert sorted(label for _, _, label in edges) == ["logged ×5", "logged ×5", "used ×5"]
    assert '"run:train0" [label="train-0\\ntrain · ×5 runs", shape=ellipse];' in out
    assert "subgraph" not in out  # the folded runs belong to five flow runs: no one box
    grouped = ok(cli("lineage", "p/model:v1", "--format", "dot"))
    statements = dot_statements(grouped)
    start = statements.index('subgraph "cluster_0" {')
    box = statements[start : statements.index("}", start)]
    assert 'label="etl · etl-run-5";' in box
    assert sum(1 for s in box if s.startswith('"run:') or s.startswith('"artifact:')) == 4
    raw = ok(cli("lineage", "p/model:v0", "--format", "dot", "--raw"))
    assert raw.count(" -> ") == 15  # 5 runs logged model:v0, 5 used raw:v0, 5 logged it


def test_mermaid_folds_reruns_and_draws_a_subgraph_per_group(story: Story) -> None:
    story.flows()
    out = ok(cli("lineage", "p/model:v0", "--format", "mermaid"))
    assert out.startswith("flowchart LR\n")
    assert sorted(re.findall(r"^  n\d+ -- (.+) --> n\d+$", out, re.M)) == ["logged ×5", "logged ×5", "used ×5"]
    assert '(["train-0<br/>train · ×5 runs"])' in out
    grouped = ok(cli("lineage", "p/model:v1", "--format", "mermaid")).splitlines()
    start = grouped.index('  subgraph g0["etl · etl-run-5"]')
    end = grouped.index("  end", start)
    inside = grouped[start + 1 : end]
    assert len(inside) == 4 and all(re.fullmatch(r"    n\d+.+", line) for line in inside)
    assert any('"train-5<br/>train"' in line for line in inside)


def test_the_readable_cut_needs_no_web_dependency() -> None:
    """``artiflow lineage`` shares the web UI's cut without the ``ui`` extra (Starlette, Jinja2)."""
    probe = "import sys, artiflow.ui.view, artiflow.cli.lineage; print(sorted(m for m in ('starlette', 'jinja2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_errors(story: Story) -> None:
    story.diamond()
    fails(cli("lineage", "p/nope:v0"), "No artifact named 'nope' in project 'p'")
    fails(cli("lineage", "p/raw:v9"), "has no version 'v9'")
    fails(cli("lineage", "p/ghost"), "'ghost'")
    assert cli("lineage", "p/raw:v0", "--depth", "-1").exit_code == 2
    assert cli("lineage", "p/raw:v0", "--format", "png").exit_code == 2


def test_no_store(tmp_path: Path) -> None:
    fails(cli("--home", tmp_path / "nowhere", "lineage", "p/raw:v0"), "No artiflow store")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.slow
def test_quickstart_lineage_tree(tmp_path: Path) -> None:
    home = tmp_path / "qs"
    env = {**os.environ, "ARTIFLOW_HOME": str(home)}
    subprocess.run([sys.executable, str(EXAMPLES / "quickstart.py")], cwd=tmp_path, env=env,
                   capture_output=True, text=True, timeout=300, check=True)
    store = Store.open(home=home)
    try:
        api = Api(store=store)
        ingest = api.artifact("quickstart/pets:v1").logged_by()
        train = api.artifact("quickstart/pet-model:v0").logged_by()
        assert ingest is not None and train is not None
    finally:
        store.close()
    out = lines(ok(cli("--home", home, "lineage", "quickstart/pet-model:v0")))
    assert out == [
        "quickstart/pet-model:v0 (model)",
        f"logged by {train.path} (train, finished)",
        "used quickstart/pets:v1 (dataset)",
        f"logged by {ingest.path} (ingest, finished)",
        "1 version and 2 runs upstream of quickstart/pet-model:v0.",
    ]
    # The console script, through a real pipe: DOT with no markup or colour.
    dot = subprocess.run(
        [sys.executable, "-m", "artiflow.cli", "--home", str(home), "lineage", "quickstart/pets:v1",
         "--downstream", "--format", "dot"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    assert dot.startswith("digraph lineage {") and "\x1b[" not in dot
    assert '[label="quickstart/pet-model:v0\\nmodel", shape=box]' in dot
    assert f'"run:{train.id}" [label="{train.name if train.name != train.id else train.path}\\ntrain", shape=ellipse]' in dot

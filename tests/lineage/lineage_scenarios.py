"""Hand-built lineage stories, replayable as plain events or through a real store.

A scenario is a list of runs (each a list of ``use``/``log`` steps, in order) plus the versions
deleted afterwards. :func:`events` turns it into the records the database would hold;
:func:`play` performs it with ``artiflow.init``/``use_artifact``/``log_artifact``. Logging content a
collection already holds is a dedup hit (the existing version is re-logged, ``created=False``),
in both replays. Everything lives in project ``p``; run ids are the scenario's names, so run
addresses (``p/<run>``) and version references (``p/<name>:vN``) are the same in both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import artiflow
from artiflow import Api, Artifact, Store
from artiflow.lineage import LineageEvent

MakeTree = Callable[..., Path]
PROJECT = "p"


@dataclass(frozen=True)
class Use:
    ref: str  # "name:vN"


@dataclass(frozen=True)
class Log:
    name: str
    type: str
    content: str


@dataclass(frozen=True)
class RunSpec:
    id: str
    job_type: str
    steps: list[Use | Log]


@dataclass(frozen=True)
class Scenario:
    runs: list[RunSpec]
    deleted: list[str] = field(default_factory=list)  # "name:vN"


def run(id_: str, *steps: Use | Log, job_type: str | None = None) -> RunSpec:
    return RunSpec(id_, job_type or id_, list(steps))


def events(scenario: Scenario) -> list[LineageEvent]:
    """The edge records the scenario leaves in the database (version ids are ``<name>.vN``)."""
    versions: dict[tuple[str, str], int] = {}  # (name, content) -> version index
    types: dict[str, str] = {}
    out: list[LineageEvent] = []
    for spec in scenario.runs:
        for step in spec.steps:
            if isinstance(step, Use):
                name, _, v = step.ref.partition(":")
                index, created, kind = int(v[1:]), False, "used"
            else:
                name = step.name
                types.setdefault(name, step.type)
                key = (name, step.content)
                created = key not in versions
                if created:
                    versions[key] = sum(1 for n, _ in versions if n == name)
                index, kind = versions[key], "logged"
            out.append(LineageEvent(len(out) + 1, kind, created, spec.id, PROJECT, f"{name}.v{index}",
                                    PROJECT, name, types[name], index))
    gone = {ref.replace(":", ".") for ref in scenario.deleted}
    return [dataclasses.replace(e, state="DELETED") if e.version_id in gone else e for e in out]


def play(scenario: Scenario, store: Store, make_tree: MakeTree) -> None:
    """Perform the scenario through the public API, with real files."""
    for spec in scenario.runs:
        with artiflow.init(project=PROJECT, id=spec.id, job_type=spec.job_type, store=store) as r:
            for step in spec.steps:
                if isinstance(step, Use):
                    r.use_artifact(step.ref)
                else:
                    art = Artifact(step.name, step.type)
                    art.add_dir(make_tree({"f": step.content}))
                    r.log_artifact(art)
    for ref in scenario.deleted:
        Api(store=store).artifact(f"{PROJECT}/{ref}").delete(delete_aliases=True)


# raw -> split -> train, test; fit uses train, test *and* raw: raw is reachable from the model by
# two paths (2 hops via fit, 4 via split), and fit from raw by two (1 hop, 3 via split).
DIAMOND = Scenario([
    run("ingest", Log("raw", "dataset", "r")),
    run("split", Use("raw:v0"), Log("train", "dataset", "t"), Log("test", "dataset", "s")),
    run("fit", Use("train:v0"), Use("test:v0"), Use("raw:v0"), Log("model", "model", "m"), job_type="train"),
])

# clean uses raw:v0 and logs the same content again: raw:v0 -> clean -> raw:v0 is a cycle.
CYCLE = Scenario([
    run("ingest", Log("raw", "dataset", "a")),
    run("clean", Use("raw:v0"), Log("raw", "dataset", "a"), Log("feat", "dataset", "f")),
])

# trainB produces content identical to trainA's model: a dedup hit re-logs model:v0.
DEDUP = Scenario([
    run("ingest", Log("raw", "dataset", "a")),
    run("trainA", Use("raw:v0"), Log("model", "model", "m"), job_type="train"),
    run("trainB", Use("raw:v0"), Log("model", "model", "m"), job_type="train"),
])

# raw:v0 is used by train, then deleted (raw:v1 stays).
DELETED = Scenario(
    [
        run("ingest1", Log("raw", "dataset", "a"), job_type="ingest"),
        run("ingest2", Log("raw", "dataset", "b"), job_type="ingest"),
        run("train", Use("raw:v0"), Log("model", "model", "m")),
    ],
    deleted=["raw:v0"],
)


def chain(length: int, unrelated: int) -> Scenario:
    """s0 logs d0; s<i> uses d<i-1> and logs d<i>; plus ``unrelated`` runs each logging one x<j>."""
    runs = [run("s0", Log("d0", "dataset", "0"))]
    runs += [run(f"s{i}", Use(f"d{i - 1}:v0"), Log(f"d{i}", "dataset", str(i))) for i in range(1, length)]
    runs += [run(f"u{j}", Log(f"x{j}", "dataset", str(j))) for j in range(unrelated)]
    return Scenario(runs)

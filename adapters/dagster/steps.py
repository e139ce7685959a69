"""One artiflow Run per Dagster step, grouped by the Dagster run.

The Run id is derived from the Dagster run id and the step key (:func:`naming.step_run_id`), so
every process and every retry of a step reaches the same Run. Its config records what Dagster
knows about the step: the asset keys it materializes, the partition (or partition range) of the
run, the attempt number, and how the run relates to others (parent and root run for re-execution).

Dagster exposes the consuming step to IO managers only through ``context.step_context``; it is
read here and nowhere else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

import artiflow
from artiflow import Artifact, Run, Store

from .naming import step_run_id

log = logging.getLogger(__name__)

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class StepInfo:
    """What the adapter needs to know about the step calling it."""

    run: dg.DagsterRun
    step_key: str
    asset_keys: tuple[str, ...]
    attempt: int
    job_type: str

    @property
    def dagster_run_id(self) -> str:
        return self.run.run_id

    @property
    def run_id(self) -> str:
        return step_run_id(self.run.run_id, self.step_key)

    def config(self) -> dict[str, Any]:
        tags = self.run.tags
        config: dict[str, Any] = {
            "dagster_run_id": self.run.run_id,
            "job_name": self.run.job_name,
            "step_key": self.step_key,
            "asset_keys": list(self.asset_keys),
            "partition_key": tags.get(PARTITION_TAG),
            "attempt": self.attempt,
        }
        if RANGE_START_TAG in tags:
            config["partition_range"] = [tags[RANGE_START_TAG], tags.get(RANGE_END_TAG)]
        if self.run.parent_run_id:
            config["parent_run_id"] = self.run.parent_run_id
            config["root_run_id"] = self.run.root_run_id
        return config


def step_info(context: dg.InputContext | dg.OutputContext) -> StepInfo | None:
    """The step behind an IO manager call, or None outside a step (``load_asset_value``, tests)."""
    try:
        sc = context.step_context
    except dg.DagsterInvariantViolationError:
        return None
    try:
        attempt = int(sc.previous_attempt_count)
    except Exception:  # noqa: BLE001 - Dagster raises its internal CheckError here
        # A step context without execution state: Dagster reading results back
        # (``result.output_for_node``), not a step at work.
        return None
    keys: tuple[str, ...] = ()
    checks = False
    try:
        keys = tuple(sorted(k.to_user_string() for k in sc.get_output_asset_keys()))
        assets_def = sc.assets_def
        checks = not keys and assets_def is not None and bool(assets_def.check_keys)
    except Exception:  # noqa: BLE001 - an op outside any asset graph, or internals that moved
        log.debug("could not read the asset keys of step %s", sc.step.key, exc_info=True)
    job_type = "asset_check" if checks else job_type_of(keys) if keys else "op"
    return StepInfo(
        run=sc.dagster_run, step_key=sc.step.key, asset_keys=keys, attempt=attempt,
        job_type=job_type,
    )


def job_type_of(asset_keys: tuple[str, ...]) -> str:
    """A step's ``job_type``: the asset key it materializes (``ml/clean``), comma-joined for several.

    >>> job_type_of(("m1", "m2"))
    'm1,m2'
    """
    joined = ",".join(asset_keys)
    return joined if len(joined) <= 128 else joined[:127] + "…"


@dataclass
class StepRuns:
    """The Runs this process opened, finished together at teardown."""

    store: Store
    project: str
    open: dict[str, tuple[Run, int]] = field(default_factory=dict)  # run id -> (run, attempt)
    # What steps did in this process, so that lookups need no query: the version each step logged
    # per artifact name (the last attempt wins), and the asset keys each step loaded.
    logged: dict[tuple[str, str], Artifact] = field(default_factory=dict)  # (run id, artifact name)
    loaded: dict[str, set[str]] = field(default_factory=dict)  # run id -> asset keys
    # run id -> {partitioned upstream key: the partitions the step depends on}, from Dagster's mapping
    dep_partitions: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def run_for(self, step: StepInfo) -> Run:
        """The step's Run, started (or resumed, on a retry) on first use in this process."""
        hit = self.open.get(step.run_id)
        if hit is not None and hit[1] == step.attempt:
            return hit[0]
        run = artiflow.Run.start(
            project=self.project, name=step.step_key, job_type=step.job_type, group=step.dagster_run_id,
            config=step.config(), id=step.run_id, store=self.store,
        )
        self.open[step.run_id] = (run, step.attempt)
        return run

    def attach(self, dagster_run: dg.DagsterRun, step_key: str, asset_keys: tuple[str, ...]) -> Run:
        """The Run of a step this process did not see through an IO call (it only had ``deps``)."""
        run_id = step_run_id(dagster_run.run_id, step_key)
        hit = self.open.get(run_id)
        if hit is not None:
            return hit[0]
        job_type = job_type_of(asset_keys) if asset_keys else "asset"
        info = StepInfo(run=dagster_run, step_key=step_key, asset_keys=asset_keys, attempt=0, job_type=job_type)
        try:
            run = artiflow.Api(store=self.store).run(run_id)
        except artiflow.ArtifactNotFoundError:
            run = artiflow.Run.start(
                project=self.project, name=step_key, job_type=info.job_type, group=dagster_run.run_id,
                config=info.config(), id=run_id, store=self.store,
            )
            self.open[run_id] = (run, 0)
        return run

    def finish(self, failed_runs: set[str]) -> None:
        for run_id, (run, _attempt) in self.open.items():
            run.finish(exit_code=1 if run_id in failed_runs else 0)
        self.open.clear()
        self.logged.clear()
        self.loaded.clear()
        self.dep_partitions.clear()

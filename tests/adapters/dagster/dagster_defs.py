"""Module-level Dagster definitions, for tests that need a reconstructable job.

Multiprocess step workers and re-execution rebuild the job by importing this module, so the
definitions cannot live inside a test function. The store comes from ARTIFLOW_HOME, which the
workers inherit from the test process.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.

import os
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_helpers import PROJECT

from artiflow.adapters.dagster import ArtiflowIOManager, ArtiflowResource

ROWS_VAR = "DG_TEST_ROWS"


@dg.asset(key_prefix=["ml"])
def raw() -> dict[str, Any]:
    return {"rows": [int(x) for x in os.environ.get(ROWS_VAR, "1,2,3").split(",")]}


@dg.asset(key_prefix=["ml"], ins={"raw": dg.AssetIn(key=["ml", "raw"])})
def clean(raw: dict[str, Any]) -> dict[str, Any]:
    return {"rows": [r * 2 for r in raw["rows"]]}


@dg.asset(deps=[raw])
def report() -> None:
    """Depends on raw without loading it, and returns nothing: the IO manager never sees it."""


@dg.multi_asset(
    outs={"m1": dg.AssetOut(), "m2": dg.AssetOut()}, retry_policy=dg.RetryPolicy(max_retries=1)
)
def flaky(context: dg.AssetExecutionContext) -> Iterator[dg.Output[Any]]:
    """Hands m1 to the IO manager, then fails on the first attempt."""
    yield dg.Output({"m": 1}, "m1")
    if context.retry_number == 0:
        raise RuntimeError("first attempt fails after m1 was stored")
    yield dg.Output({"m": 2}, "m2")


# Step processes fork from a server that has imported this module: much faster than spawning.
# The server starts on first use and keeps that moment's environment (ARTIFLOW_HOME), so only one
# test per pytest process may run this job; a second one would fail, pointing at the first store.
FORKSERVER = dg.multiprocess_executor.configured({"max_concurrent": 4, "start_method": {"forkserver": {}}})

# Spawned step processes read the environment of the moment (a fresh store per test), at a cost.
SPAWN = dg.multiprocess_executor.configured({"max_concurrent": 4, "start_method": {"spawn": {}}})

defs = dg.Definitions(
    assets=[raw, clean, report, flaky],
    resources={"io_manager": ArtiflowIOManager(artiflow=ArtiflowResource(project=PROJECT))},
    jobs=[
        dg.define_asset_job("pipeline_mp", selection=[raw, clean, report, flaky], executor_def=FORKSERVER),
        dg.define_asset_job("pipeline", selection=[raw, clean], executor_def=dg.in_process_executor),
        dg.define_asset_job("pipeline_spawn", selection=[raw, clean, report, flaky], executor_def=SPAWN),
    ],
)


def multiprocess_job() -> dg.JobDefinition:
    return defs.resolve_job_def("pipeline_mp")


def spawn_job() -> dg.JobDefinition:
    return defs.resolve_job_def("pipeline_spawn")


def in_process_job() -> dg.JobDefinition:
    return defs.resolve_job_def("pipeline")

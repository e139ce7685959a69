"""Fixtures for the Dagster adapter: a temporary Dagster instance next to the temporary store.

The root conftest points ARTIFLOW_HOME at a fresh directory per test (and the ``backend`` fixture
points the ARTIFLOW_* variables at PostgreSQL + S3 for that variant), so ``ArtiflowResource()``
without arguments, here and in multiprocess step workers that inherit the environment, writes to
the store the test reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from dagster_helpers import PROJECT

import artiflow
from artiflow.adapters.dagster import ArtiflowIOManager, ArtiflowResource

# Warnings Dagster raises from its own code, each ignored by its exact text, only for these tests.
DAGSTER_WARNINGS = [
    # Dagster 1.13 calls its own deprecated InitResourceContext.dagster_run whenever it sets up a
    # ConfigurableResource nested in another one (resource.py: _call_resource_fn_with_default).
    r"ignore:InitResourceContext\.dagster_run is deprecated:DeprecationWarning",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            for spec in DAGSTER_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture
def instance() -> dg.DagsterInstance:
    """An in-memory Dagster instance: enough for ``dg.materialize`` (in-process), and fast."""
    return dg.DagsterInstance.ephemeral()


@pytest.fixture
def persistent_instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """A Dagster instance on disk, which ``execute_job`` needs (re-execution, step subprocesses)."""
    home = tmp_path / "dagster"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as inst:
        yield inst


@pytest.fixture
def io_manager() -> ArtiflowIOManager:
    return ArtiflowIOManager(artiflow=ArtiflowResource(project=PROJECT))


@pytest.fixture
def api(local_store: artiflow.Store) -> artiflow.Api:
    """The embedded store the IO manager writes to (ARTIFLOW_HOME); ``backend_api`` is every backend."""
    return artiflow.Api(store=local_store)


@pytest.fixture
def backend_api(store: artiflow.Store) -> artiflow.Api:
    return artiflow.Api(store=store)


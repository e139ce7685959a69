"""One Prefect test server for the whole session (helpers to read it back: prefect_helpers.py).

Starting Prefect's server takes 12-25 s (database migrations), so every integration test shares one
``prefect_test_harness``. Heartbeats are off (each sync flow would otherwise wait ~1 s for its
heartbeat thread), PREFECT_HOME lives in a temporary directory and telemetry is off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("prefect")

import prefect.settings  # noqa: E402


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    updates: dict[Any, Any] = {
        prefect.settings.PREFECT_HOME: str(home),
        prefect.settings.PREFECT_SERVER_ANALYTICS_ENABLED: False,
    }
    heartbeat = getattr(prefect.settings, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", None)  # absent before 3.5
    if heartbeat is not None:
        updates[heartbeat] = None
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DO_NOT_TRACK", "1")  # read by the server subprocess
        with prefect.settings.temporary_settings(updates=updates), prefect_test_harness(server_startup_timeout=180):
            yield

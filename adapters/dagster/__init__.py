"""Dagster adapter: asset materializations become artifact versions, loads become uses.

Install with ``pip install "artiflow[dagster]"``.

>>> import dagster as dg
>>> from artiflow.adapters.dagster import ArtiflowIOManager, ArtiflowResource
>>> @dg.asset
... def raw() -> dict[str, list[int]]:
...     return {"rows": [1, 2, 3]}
>>> @dg.asset
... def clean(raw: dict[str, list[int]]) -> dict[str, list[int]]:
...     return {"rows": [r for r in raw["rows"] if r > 1]}
>>> store = ArtiflowResource(project="ml", home=dg.EnvVar("ARTIFLOW_HOME"))
>>> resources = {"artiflow": store, "io_manager": ArtiflowIOManager(artiflow=store)}
>>> defs = dg.Definitions(assets=[raw, clean], resources=resources)
>>> dg.materialize([raw, clean], resources=resources).success
True
>>> clean_v0 = artiflow.Api().artifact("ml/clean:latest")
>>> clean_v0.version, [a.name for a in clean_v0.logged_by().used_artifacts()]
('v0', ['raw:v0'])

Every Dagster step is one artiflow Run (grouped by the Dagster run id), so lineage says which step
logged and which step used each version; asset keys map to artifact names reversibly
(``ml/raw`` → ``ml.raw``, partition ``2024-01-01`` → ``ml.raw..2024-01-01``); identical content
never creates a new version; each materialization carries ``artiflow/ref``, ``artiflow/digest``,
``artiflow/size`` and ``artiflow/file_count`` metadata. :func:`artifact_source_asset` turns an
artifact into an observable source asset whose data version is the artifact's digest.
"""

from __future__ import annotations

from artiflow import MissingDependencyError

try:
    import dagster  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError(
        'artiflow.adapters.dagster needs Dagster; install it with pip install "artiflow[dagster]".'
    ) from exc

from .io_manager import ArtiflowIOManager
from .naming import artifact_name, parse_artifact_name, step_run_id
from .observe import artifact_source_asset
from .resource import ArtiflowResource

__all__ = [
    "ArtiflowIOManager",
    "ArtiflowResource",
    "artifact_name",
    "artifact_source_asset",
    "parse_artifact_name",
    "step_run_id",
]

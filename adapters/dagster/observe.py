"""Observable source assets that follow an artiflow artifact.

Data that arrives from outside Dagster (a labelling team logs ``labels`` with ``artiflow put``)
becomes an observable source asset whose Dagster ``DataVersion`` is the artifact's digest, so
Dagster marks downstream assets stale exactly when a new version appears under the alias:

>>> labels = artifact_source_asset("labels", alias="approved")            # doctest: +SKIP
>>> @dg.asset
... def train(labels): ...                                                 # doctest: +SKIP

Downstream assets load it through :class:`ArtiflowIOManager` (the alias comes with the source
asset's metadata). Each observation also reports the exact version as ``artiflow/ref``, which is how
a ``deps=[labels]`` dependency is recorded in lineage.

It is built on ``dg.multi_observable_source_asset`` (an ``AssetsDefinition``; the older
``observable_source_asset`` makes a deprecated ``SourceAsset``). Dagster still marks that decorator
beta; its ``BetaWarning`` is silenced for this one call, since the helper's own API does not change
with it.
"""

# No `from __future__ import annotations` here: Dagster compares the observe function's `context`
# annotation with its context classes at definition time, so it must not be a string.

import re
import warnings
from collections.abc import Sequence
from typing import Any

import dagster as dg

from artiflow import names

from .naming import artifact_name
from .resource import ArtiflowResource


def artifact_source_asset(
    key: str | Sequence[str] | dg.AssetKey,
    *,
    artifact: str | None = None,
    alias: str = "latest",
    project: str | None = None,
    resource_key: str = "artiflow",
    io_manager_key: str = "io_manager",
    description: str | None = None,
    group_name: str | None = None,
) -> dg.AssetsDefinition:
    """An observable source asset whose data version is the digest of ``artifact:alias``.

    ``artifact`` defaults to the name the IO manager derives from ``key``. The store comes from the
    :class:`ArtiflowResource` under ``resource_key``.
    """
    asset_key = dg.AssetKey.from_coercible(key) if not isinstance(key, dg.AssetKey) else key
    name = names.artifact_name(artifact or artifact_name(asset_key.path))
    metadata: dict[str, Any] = {"artiflow/name": name, "artiflow/alias": alias}
    if project is not None:
        metadata["artiflow/project"] = names.project_name(project)

    def observe(context: dg.AssetExecutionContext) -> dg.ObserveResult:
        resource: ArtiflowResource = getattr(context.resources, resource_key)
        art = resource.api().artifact(f"{project or resource.project_name}/{name}:{alias}")
        return dg.ObserveResult(
            asset_key=asset_key,
            data_version=dg.DataVersion(art.digest),
            metadata={
                "artiflow/ref": dg.MetadataValue.text(art.qualified_name),
                "artiflow/digest": dg.MetadataValue.text(art.digest),
                "artiflow/size": dg.MetadataValue.int(art.size),
                "artiflow/aliases": dg.MetadataValue.json(list(art.aliases)),
            },
        )

    spec = dg.AssetSpec(
        asset_key, metadata=metadata, description=description, group_name=group_name
    ).with_io_manager_key(io_manager_key)
    observe.__name__ = re.sub(r"\W", "_", "__".join(asset_key.path))  # Dagster's op name rule
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*observable_source_asset.*")
        decorator = dg.multi_observable_source_asset(
            specs=[spec], name=observe.__name__, required_resource_keys={resource_key}
        )
    assets_def: dg.AssetsDefinition = decorator(observe)
    return assets_def

"""Lineage for ``deps=[...]``: upstream assets a step depends on without loading them.

Such dependencies never reach ``load_input``, and an asset that returns nothing never reaches
``handle_output`` either. What does see every one of them is Dagster's event log: each asset
materialization carries a ``dagster/input_event_pointer/<key>`` tag per upstream asset, naming the
upstream materialization (or observation) Dagster considered. Its ``artiflow/ref`` metadata,
written by the IO manager (or by :func:`artifact_source_asset`), names the exact version.

So at teardown the IO manager reads the run's materializations made *in this process* (in-process
executor: all of them; multiprocess: this step's) and records a use for each upstream the step's
Run has not already used through ``load_input``.

Partitioned upstreams: the step uses every partition Dagster's partition mapping gives it (all of
them for an unpartitioned step by default, or what ``AssetDep(partition_mapping=...)`` selects),
each as the latest version of that partition's artifact; partitions without a version are
named in a warning. The mapping is read in ``handle_output``; a step that never reaches it
(an asset returning ``None``) records every materialized partition when it is unpartitioned.

Limits: an upstream that was never materialized in this Dagster instance falls back to the
``latest`` version of its artifact, if one exists, else a warning says its lineage is missing. Runs whose steps run in
separate containers (k8s, docker executors) may see colliding process ids; the "already used"
check keeps that from duplicating edges.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import dagster as dg

from artiflow import ArtifactNotFoundError, Run

from .naming import artifact_name, step_run_id
from .resolve import Resolver
from .steps import PARTITION_TAG, StepRuns

log = logging.getLogger(__name__)

POINTER_TAG = "dagster/input_event_pointer/"
INPUT_VERSION_TAG = "dagster/input_data_version/"


def _text(value: Any) -> Any:
    return value.value if isinstance(value, dg.MetadataValue) else value


def ref_of_event(instance: dg.DagsterInstance, key: dg.AssetKey, storage_id: int, partition: str | None) -> str | None:
    """The artifact ref an upstream materialization or observation recorded, if artiflow wrote it."""
    flt = dg.AssetRecordsFilter(asset_key=key, storage_ids=[storage_id])
    event: dg.AssetMaterialization | dg.AssetObservation | None = None
    records = instance.fetch_materializations(flt, limit=1).records
    if records:
        event = records[0].asset_materialization
    else:
        observed = instance.fetch_observations(flt, limit=1).records
        event = observed[0].asset_observation if observed else None
    if event is None:
        return None
    if event.partition is not None and event.partition != partition:
        return None
    ref = _text(event.metadata.get("artiflow/ref"))
    if ref is None and event.partition is not None:  # one handle_output wrote a partition range
        refs = _text(event.metadata.get("artiflow/refs")) or {}
        ref = (refs.get(event.partition) or {}).get("ref")
    return str(ref) if ref else None


def _upstreams(tags: dict[str, str]) -> dict[str, str | None]:
    """``{upstream key: pointer storage id or None}`` from a materialization's provenance tags."""
    out: dict[str, str | None] = {}
    for tag, value in tags.items():
        if tag.startswith(INPUT_VERSION_TAG):
            out.setdefault(tag[len(INPUT_VERSION_TAG):], None)
        elif tag.startswith(POINTER_TAG):
            out[tag[len(POINTER_TAG):]] = None if value == "NULL" else value
    return out


def _used_collections(run: Run) -> set[tuple[str, str]]:
    return {(a.project, a.collection_name) for a in run.used_artifacts()}


def record_deps(
    instance: dg.DagsterInstance, dagster_run: dg.DagsterRun, runs: StepRuns, resolver: Resolver
) -> set[str]:
    """Record this process's steps' dependency uses; return the Run ids of steps that failed."""
    records = instance.get_records_for_run(
        dagster_run.run_id,
        of_type={dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.STEP_FAILURE},
    ).records
    pid = os.getpid()
    failed: set[str] = set()
    upstream: dict[str, dict[str, str | None]] = defaultdict(dict)
    produced: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        entry = rec.event_log_entry
        event = entry.dagster_event
        if event is None or event.pid != pid or entry.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            failed.add(step_run_id(dagster_run.run_id, entry.step_key))
            continue
        mat = rec.asset_materialization
        if mat is not None:
            produced[entry.step_key].add(mat.asset_key.to_user_string())
            upstream[entry.step_key].update(_upstreams(dict(mat.tags or {})))
    partition = dagster_run.tags.get(PARTITION_TAG)
    for step_key, ups in upstream.items():
        loaded = runs.loaded.get(step_run_id(dagster_run.run_id, step_key), set())
        todo = {k: p for k, p in ups.items() if k not in produced[step_key] and k not in loaded}
        if todo:
            keys = tuple(sorted(produced[step_key]))
            _record_step(instance, dagster_run, step_key, keys, todo, partition, runs, resolver)
    return failed


def _record_step(
    instance: dg.DagsterInstance,
    dagster_run: dg.DagsterRun,
    step_key: str,
    asset_keys: tuple[str, ...],
    upstream: dict[str, str | None],
    partition: str | None,
    runs: StepRuns,
    resolver: Resolver,
) -> None:
    refs: list[tuple[str, str]] = []
    mapped = runs.dep_partitions.get(step_run_id(dagster_run.run_id, step_key), {})
    for key_string, pointer in sorted(upstream.items()):
        key = dg.AssetKey.from_user_string(key_string)
        parts = mapped.get(key_string)
        if parts is None and pointer and partition is None and _partitioned(instance, key, int(pointer)):
            parts = sorted(instance.get_materialized_partitions(key))  # the default mapping: all of them
        if parts is not None:
            found = {p: _latest(resolver, runs.project, key, p, fallback=False) for p in parts}
            refs.extend((key_string, r) for r in found.values() if r is not None)
            missing = [p for p, r in found.items() if r is None]
            if missing:
                log.warning(
                    "Step %s depends on partitions %s of %s, which have no artifact version; their lineage is "
                    "not recorded.", step_key, ", ".join(missing), key_string,
                )
            continue
        ref = ref_of_event(instance, key, int(pointer), partition) if pointer else None
        if ref is None and pointer is None:
            ref = _latest(resolver, runs.project, key, partition)
        if ref is not None:
            refs.append((key_string, ref))
        else:
            log.warning("Step %s depends on %s, which has no artifact version; its lineage is not recorded.",
                        step_key, key_string)
    if not refs:
        return
    run = runs.attach(dagster_run, step_key, asset_keys)
    used = _used_collections(run)
    for key_string, ref in refs:
        if _collection(ref, run.project) in used:  # loaded through load_input, or recorded before
            continue
        try:
            run.use_artifact(ref, use_as=f"dep:{key_string}"[:128])
        except ArtifactNotFoundError:
            log.warning("Step %s depends on %s, whose artifact %s no longer exists.", step_key, key_string, ref)


def _collection(ref: str, default_project: str) -> tuple[str, str]:
    path = ref.split(":", 1)[0]
    project, _, name = path.rpartition("/")
    return (project or default_project, name)


def _partitioned(instance: dg.DagsterInstance, key: dg.AssetKey, storage_id: int) -> bool:
    flt = dg.AssetRecordsFilter(asset_key=key, storage_ids=[storage_id])
    records = instance.fetch_materializations(flt, limit=1).records
    return bool(records) and records[0].asset_materialization is not None and (
        records[0].asset_materialization.partition is not None
    )


def dep_partitions(context: dg.OutputContext, key: dg.AssetKey) -> dict[str, list[str]]:
    """The partitions of each partitioned upstream the step of ``key`` depends on.

    Dagster's own answer (its partition mapping: all partitions by default, or an
    ``AssetDep(partition_mapping=...)``), read from the step context while the step runs.
    """
    try:
        sc = context.step_context
        layer = sc.job_def.asset_layer
        out: dict[str, list[str]] = {}
        for up in layer.get(key).parent_keys:
            if not layer.has(up) or layer.get(up).partitions_def is None:
                continue
            name = layer.get_node_input_name(sc.node_handle, up)
            if name is not None:
                subset = sc.asset_partitions_subset_for_input(name, require_valid_partitions=False)
                out[up.to_user_string()] = sorted(subset.get_partition_keys())
        return out
    except Exception:  # noqa: BLE001 - internals that moved: fall back to the same-partition rule
        log.debug("could not read the upstream partitions of %s", key.to_user_string(), exc_info=True)
        return {}


def _latest(
    resolver: Resolver, project: str, key: dg.AssetKey, partition: str | None, *, fallback: bool = True
) -> str | None:
    names: Iterable[str] = (
        [artifact_name(key.path, partition), *([artifact_name(key.path)] if fallback else [])]
        if partition else [artifact_name(key.path)]
    )
    for name in names:
        try:
            return resolver.find(project, name, "latest").qualified_name
        except ArtifactNotFoundError:
            continue
    return None

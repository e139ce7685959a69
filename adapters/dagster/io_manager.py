"""``ArtiflowIOManager``: every materialization becomes an artifact version, every load a use.

>>> import dagster as dg
>>> from artiflow.adapters.dagster import ArtiflowIOManager, ArtiflowResource
>>> defs = dg.Definitions(                                                # doctest: +SKIP
...     assets=[raw, clean],
...     resources={"io_manager": ArtiflowIOManager(artiflow=ArtiflowResource(project="ml"))},
... )

- **Writes** (``handle_output``): the value becomes a version of the artifact named after the full
  asset key (see :mod:`.naming`), logged by the step's own Run (see :mod:`.steps`). Identical
  content creates no new version, so retries and re-materializations are idempotent. The version's
  ref, digest, size and file count go back to Dagster as output metadata (``artiflow/*``), and the
  digest becomes the materialization's ``DataVersion``: re-materializing identical content leaves
  downstream assets fresh in Dagster's staleness view.
- **Reads** (``load_input``): the version is resolved as :mod:`.resolve` describes and recorded as
  used by the consuming step's Run.
- **Partitions**: one artifact per partition key (``<asset>..<partition>``). A single-run backfill
  of a partition range is handled: a ``dict`` keyed by the range's partition keys is split into one
  version per partition; any other value is logged as the version of every partition in the range
  (storage keeps one copy), with ``dagster/partition_range`` in its metadata. Loading several
  partitions returns ``{partition_key: value}``.
- **Dependencies** (``deps=[...]``) are recorded at teardown from Dagster's provenance (:mod:`.deps`).
- **Teardown** finishes the Runs this process opened: ``failed`` when Dagster recorded the step's
  failure, else ``finished``.

Not covered: values loaded with ``load_asset_value`` (outside any step) load fine but record no
use; dynamic op outputs need ``artiflow/name`` and share one collection.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

import artiflow
from artiflow import Artifact, ArtifactNotFoundError, ArtiflowError, Run, names

from .deps import dep_partitions, record_deps
from .naming import artifact_name
from .options import InputOptions, OutputOptions
from .resolve import Resolver, producer_run_id
from .resource import ArtiflowResource
from .say import logged_line
from .steps import RANGE_END_TAG, RANGE_START_TAG, StepInfo, StepRuns, step_info
from .values import from_artifact, to_artifact

log = logging.getLogger(__name__)


class ArtiflowIOManager(dg.ConfigurableIOManager):
    """Store Dagster asset values as versioned artiflow artifacts, with step-level lineage."""

    artiflow: ArtiflowResource = Field(
        default_factory=ArtiflowResource, description="The store and project (default: ARTIFLOW_* settings)."
    )
    default_type: str = Field(default="dataset", description="Artifact type unless 'artiflow/type' says otherwise.")
    allow_pickle: bool = Field(
        default=False,
        description="Pickle values no other serializer handles, and unpickle them on load. Only for trusted stores.",
    )
    download_dir: str | None = Field(
        default=None, description="Where file and directory values are downloaded (default: ARTIFLOW_ARTIFACT_DIR)."
    )

    _runs: StepRuns | None = PrivateAttr(default=None)

    # -- lifecycle -----------------------------------------------------------------------------

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._runs = None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        runs = self._step_runs()
        failed: set[str] = set()
        if context.run is not None and context.instance is not None:
            try:
                failed = record_deps(context.instance, context.run, runs, Resolver(runs.store))
            except Exception:  # noqa: BLE001 - lineage of deps must never fail the user's run
                log.warning("Could not record the dependencies of run %s.", context.run.run_id, exc_info=True)
        runs.finish(failed)
        self._runs = None

    def _step_runs(self) -> StepRuns:
        if self._runs is None:
            self._runs = StepRuns(store=self.artiflow.store, project=self.artiflow.project_name)
        return self._runs

    # -- writing -------------------------------------------------------------------------------

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        step = step_info(context)
        if step is not None and context.has_asset_key:
            parts = dep_partitions(context, context.asset_key)
            if parts:
                self._step_runs().dep_partitions.setdefault(step.run_id, {}).update(parts)
        if obj is None:
            context.log.debug("Output %s is None: no artifact version logged.", context.name)
            return
        opts = OutputOptions.from_metadata(context.definition_metadata)
        key = context.asset_key if context.has_asset_key else None
        if key is None and opts.name is None:
            raise ArtiflowError(
                f"Output {context.name!r} is not an asset; name its artifact with "
                "dg.Out(metadata={'artiflow/name': ...})."
            )
        runs = self._step_runs()
        run = runs.run_for(step) if step is not None else artiflow.Run.start(
            project=runs.project, job_type="dagster", store=runs.store
        )
        partitions = [str(k) for k in context.asset_partition_keys] if context.has_asset_partitions else []
        values, covers_range = _split(obj, partitions)
        logged: dict[str | None, Artifact] = {}
        for partition, value in values.items():
            art = self._log(run, step, context, opts, key, partition, value, covers_range)
            logged[partition] = runs.logged[(run.id, _name(key, partition, opts))] = art
            context.log.info(logged_line(art.qualified_name, created=art.created is not False, size=art.size))
        if step is None:
            run.finish()
        if key is not None and logged:
            _set_data_version(context, key, logged)
        context.add_output_metadata({**_output_metadata(logged, run), **table_metadata(obj)})

    def _log(
        self,
        run: Run,
        step: StepInfo | None,
        context: dg.OutputContext,
        opts: OutputOptions,
        key: dg.AssetKey | None,
        partition: str | None,
        value: Any,
        covers_range: bool,
    ) -> Artifact:
        metadata: dict[str, Any] = {}
        if step is not None:
            metadata.update({"dagster/run_id": step.dagster_run_id, "dagster/step_key": step.step_key})
        description = opts.description
        if key is not None:
            metadata["dagster/asset_key"] = key.to_user_string()
            spec = _asset_spec(context)
            if spec is not None:
                description = description or spec.description
                if spec.code_version is not None:
                    metadata["dagster/code_version"] = spec.code_version
        if partition is not None:
            metadata["dagster/partition_key"] = partition
        if covers_range and step is not None:
            tags = step.run.tags
            metadata["dagster/partition_range"] = [tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)]
        art = to_artifact(
            value, name=_name(key, partition, opts),
            type_=opts.type or self.default_type, description=description, metadata=metadata,
            serializer=opts.serializer, allow_pickle=self.allow_pickle,
        )
        return run.log_artifact(art, aliases=list(opts.aliases), tags=list(opts.tags))

    # -- reading -------------------------------------------------------------------------------

    def load_input(self, context: dg.InputContext) -> Any:
        upstream = context.upstream_output
        up_meta = dict(upstream.definition_metadata or {}) if upstream is not None else {}
        up_opts = OutputOptions.from_metadata(up_meta)
        in_opts = InputOptions.from_metadata(context.definition_metadata)
        selector = in_opts.selector or InputOptions.from_metadata(up_meta).selector or "latest"
        key = context.asset_key if context.has_asset_key else None
        if key is None and upstream is not None and upstream.has_asset_key:  # e.g. result.output_for_node
            key = upstream.asset_key
        if key is None and up_opts.name is None:
            raise ArtiflowError(
                f"Input {context.name!r} does not come from an asset; name the artifact of the output it "
                "comes from with dg.Out(metadata={'artiflow/name': ...})."
            )
        runs = self._step_runs()
        project = up_opts.project or runs.project
        producer = producer_run_id(upstream.run_id, upstream.step_key) if upstream is not None else None
        step = step_info(context)
        if step is not None and upstream is not None and (upstream.run_id, upstream.step_key) == (
            step.dagster_run_id, step.step_key
        ):
            step = None  # a step reading its own output back: Dagster returning results, not a use
        run = runs.run_for(step) if step is not None else None
        resolver = Resolver(runs.store)
        partitions: list[str | None] = (
            [str(k) for k in context.asset_partition_keys] if context.has_asset_partitions else [None]
        )
        allow_pickle = self.allow_pickle or up_opts.serializer == "pickle"
        values: dict[str | None, Any] = {}
        for partition in partitions:
            name = _name(key, partition, up_opts)
            art = None
            if producer is not None:
                art = runs.logged.get((producer, name)) if project == runs.project else None
                art = art or resolver.logged_by_step(
                    producer, project=project, name=name, partition=partition,
                    asset_key=key.to_user_string() if key else None,
                )
            if art is not None and in_opts.selector is not None:
                _check_pin(context, art, resolver.find(project, name, in_opts.selector), in_opts.selector)
            if art is None:
                try:
                    art = resolver.find(project, name, selector)
                except ArtifactNotFoundError as exc:
                    if partition is not None and in_opts.allow_missing_partitions:
                        continue
                    what = key.to_user_string() if key else context.name
                    raise ArtifactNotFoundError(
                        f"{what} has no artifact version {project}/{name}:{selector} in {runs.store}; "
                        "materialize it first, or fix 'artiflow/version' / 'artiflow/alias'."
                    ) from exc
            if run is not None:
                run.use_artifact(art, use_as=context.name)
                context.log.info(f"artiflow: used {art.qualified_name}")
                if key is not None:
                    runs.loaded.setdefault(run.id, set()).add(key.to_user_string())
            values[partition] = from_artifact(art, allow_pickle=allow_pickle, root=self.download_dir)
        if len(partitions) == 1:
            return values.get(partitions[0])
        return values


def _check_pin(context: dg.InputContext, produced: Artifact, pinned: Artifact, selector: str) -> None:
    """A pin on an input that this run (or its parent) materialized upstream must agree with it."""
    if pinned.digest == produced.digest:
        return
    raise ArtiflowError(
        f"Input {context.name!r} pins {pinned.qualified_name} ('artiflow/version'/'artiflow/alias' "
        f"{selector!r}), but this run materialized {produced.qualified_name} upstream; drop the pin, or "
        "materialize this asset without its upstream so that the pin applies."
    )


def data_version_of(logged: Mapping[str | None, Artifact]) -> dg.DataVersion:
    """The digest of the version logged (of every partition's, combined, for a partition range)."""
    digests = sorted({a.digest for a in logged.values()})
    if len(digests) == 1:
        return dg.DataVersion(digests[0])
    return dg.DataVersion(hashlib.sha256("\n".join(f"{p}={a.digest}" for p, a in sorted(
        logged.items(), key=lambda kv: str(kv[0]))).encode()).hexdigest())


def _set_data_version(context: dg.OutputContext, key: dg.AssetKey, logged: Mapping[str | None, Artifact]) -> None:
    """Make Dagster's data version of this materialization the artifact digest.

    Dagster computes a materialization's data version after ``handle_output`` from what the step
    context holds for the asset (an ``Output(data_version=...)`` the asset returned still wins);
    without this it would be a new random value every run, and every downstream asset stale.
    """
    try:
        step_context = context.step_context
    except dg.DagsterInvariantViolationError:  # a context built by hand (dg.build_output_context)
        return
    if not step_context.has_data_version(key):
        step_context.set_data_version(key, data_version_of(logged))


def _asset_spec(context: dg.OutputContext) -> dg.AssetSpec | None:
    try:
        return context.asset_spec
    except dg.DagsterInvariantViolationError:  # a context built by hand (dg.build_output_context)
        return None


def _name(key: dg.AssetKey | None, partition: str | None, opts: OutputOptions) -> str:
    return artifact_name(key.path if key else [], partition, base=opts.name)


def _split(obj: Any, partitions: list[str]) -> tuple[dict[str | None, Any], bool]:
    """Per-partition values of one output, and whether one value stands for a whole range."""
    if not partitions:
        return {None: obj}, False
    if len(partitions) == 1:
        return {partitions[0]: obj}, False
    if isinstance(obj, Mapping) and {str(k) for k in obj} == set(partitions):
        by_key = {str(k): v for k, v in obj.items()}
        return {p: by_key[p] for p in sorted(partitions)}, False
    return {p: obj for p in sorted(partitions)}, True


def _output_metadata(logged: dict[str | None, Artifact], run: Run) -> dict[str, Any]:
    md: dict[str, Any] = {"artiflow/run": dg.MetadataValue.text(run.path), "artiflow/store": _location(run)}
    if len(logged) == 1:
        art = next(iter(logged.values()))
        md.update({
            "artiflow/ref": dg.MetadataValue.text(art.qualified_name),
            "artiflow/version": dg.MetadataValue.int(names.version_index(art.version) or 0),
            "artiflow/aliases": dg.MetadataValue.text(", ".join(art.aliases)),
            "artiflow/digest": dg.MetadataValue.text(art.digest),
            "artiflow/size": dg.MetadataValue.int(art.size),
            "artiflow/file_count": dg.MetadataValue.int(art.file_count),
        })
    else:  # a partition range: Dagster copies this onto every partition's materialization
        md["artiflow/refs"] = dg.MetadataValue.json({
            str(p): {"ref": a.qualified_name, "digest": a.digest, "size": a.size, "file_count": a.file_count}
            for p, a in logged.items()
        })
    return md


def _location(run: Run) -> dg.MetadataValue:
    """Where the store keeps its objects: a path Dagster's UI can copy, or a URL for object storage."""
    storage = run.store.settings.storage
    if "://" in storage and not storage.startswith("file://"):
        return dg.MetadataValue.url(storage)
    return dg.MetadataValue.path(storage.removeprefix("file://"))


def table_metadata(obj: Any) -> dict[str, Any]:
    """Dagster's own row count and column schema for a pandas DataFrame (shown in its asset view).

    >>> table_metadata([1, 2])
    {}
    """
    if not (type(obj).__module__.startswith("pandas") and hasattr(obj, "dtypes") and hasattr(obj, "columns")):
        return {}
    columns = [dg.TableColumn(name=str(name), type=str(dtype)) for name, dtype in obj.dtypes.items()]
    return {
        "dagster/row_count": dg.MetadataValue.int(len(obj)),
        "dagster/column_schema": dg.MetadataValue.table_schema(dg.TableSchema(columns=columns)),
    }

"""``artiflow ls`` and ``artiflow show``: what the store holds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import artiflow
import typer
from rich.markup import escape

from .. import names
from ..errors import ArtifactNotFoundError
from ..units import human_size
from .context import JsonOption, RefArg, cli_state, report_errors, resolve
from .records import collection_record, latest_of, run_record, version_record
from .render import Listing, describe_run, emit_json, when

if TYPE_CHECKING:
    from artiflow import Artifact, ManifestEntry


@report_errors
def ls(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Argument(help="Project to list. [default: ARTIFLOW_PROJECT or 'uncategorized']", show_default=False),
    ] = None,
    type_: Annotated[
        str | None, typer.Option("--type", "-t", help="Only artifacts of this type.", show_default=False)
    ] = None,
    versions: Annotated[
        bool, typer.Option("--versions", "-V", help="One row per version instead of one per artifact.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List the artifacts of a project: type, number of versions, latest version and its aliases, size.

    With --versions, every version of every artifact, each with its own aliases.
    """
    state = cli_state(ctx)
    with state.store() as store:
        api = artiflow.Api(store=store)
        project_ = names.project_name(project or api.default_project)
        collections = api.artifact_collections(project_, type_)
        if not collections and project is not None and project_ not in api.projects():
            known = api.projects()
            raise ArtifactNotFoundError(
                f"Project {project_!r} does not exist; known projects: {', '.join(known) or 'none'}."
            )
        listed = [(c, c.versions()) for c in collections]
        if as_json:
            if versions:
                emit_json([version_record(v) for _, vs in listed for v in vs])
            else:
                emit_json([collection_record(c, vs, latest_of(vs)) for c, vs in listed])
            return
        if not collections:
            of_type = f" of type {type_!r}" if type_ else ""
            state.out.print(f"No artifacts{escape(of_type)} in project {escape(project_)!r}.")
            return
        if versions:
            rows = Listing("name", "version", "type", "aliases", "size", "files", "created",
                           right=("size", "files"), title=f"Versions in {project_}")
            for coll, vs in listed:
                for v in vs:
                    rows.add_row(coll.name, v.version, coll.type, ", ".join(sorted(v.aliases)), human_size(v.size),
                                 str(v.file_count), when(v.created_at))
        else:
            rows = Listing("name", "type", "versions", "latest", "aliases", "size", right=("versions", "size"),
                           title=f"Artifacts in {project_}")
            for coll, vs in listed:
                latest = latest_of(vs)
                rows.add_row(
                    coll.name, coll.type, str(len(vs)), latest.version if latest else "-",
                    ", ".join(sorted(latest.aliases)) if latest else "",  # its own aliases, not the collection's
                    human_size(latest.size) if latest else "-",
                )
        rows.print(state.out)


@report_errors
def show(
    ctx: typer.Context,
    ref: RefArg,
    max_files: Annotated[int, typer.Option("--max-files", min=1, help="List at most this many files.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Show an artifact: its versions, the files of one version, and the runs that logged and used it."""
    state = cli_state(ctx)
    out = state.out
    with state.store() as store:
        api = artiflow.Api(store=store)
        art = resolve(api, ref)
        versions = api.artifacts(art.type, f"{art.project}/{art.collection_name}")
        producer = art.logged_by()
        consumers = art.used_by()
        entries = sorted(art.manifest, key=lambda e: e.path)
        if as_json:
            emit_json({
                **version_record(art),
                "logged_by": run_record(producer) if producer else None,
                "used_by": [run_record(r) for r in consumers],
                "versions": [version_record(v) for v in versions],
                "files": [
                    {"path": e.path, "size": e.size, "digest": e.digest, "ref": e.ref} for e in entries
                ],
            })
            return
        out.print(f"[bold]{escape(art.qualified_name)}[/] ({escape(art.type)})")
        if art.description:
            out.print(f"  description: {escape(art.description)}")
        if art.tags:
            out.print(f"  tags:        {escape(', '.join(art.tags))}")
        if art.metadata:
            out.print(f"  metadata:    {escape(json.dumps(art.metadata, sort_keys=True, default=str))}")
        _versions(versions, art).print(out, piped_title=True)
        _files(art, entries, max_files).print(out, piped_title=True)
        out.print(f"Logged by: {escape(describe_run(producer)) if producer else 'unknown'}")
        out.print("Used by:   none" if not consumers else "Used by:")
        for run in consumers:
            out.print(f"  {escape(describe_run(run))}")


def _versions(versions: list[Artifact], current: Artifact) -> Listing:
    rows = Listing("", "version", "aliases", "digest", "size", "files", "created", right=("size", "files"),
                   title="Versions")
    for v in versions:
        rows.add_row(
            "*" if v == current else "", v.version, ", ".join(v.aliases), v.digest, human_size(v.size),
            str(v.file_count), when(v.created_at),
        )
    return rows


def _files(art: Artifact, entries: list[ManifestEntry], limit: int) -> Listing:
    rows = Listing("path", "size", "digest", right=("size",), title=f"Files of {art.version} ({len(entries)})")
    for e in entries[:limit]:
        digest = e.digest if e.ref is None else f"{e.digest} -> {e.ref}"
        rows.add_row(e.path, human_size(e.size) if e.size is not None else "-", digest)
    if len(entries) > limit:
        rows.add_row(f"… {len(entries) - limit} more", "", "")
    return rows

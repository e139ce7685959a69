"""``artiflow ls`` and ``artiflow show``: what the store holds."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .. import names
from ..api import Api
from ..artifact import Artifact
from ..errors import ArtifactNotFoundError
from .context import cli_state, report_errors, resolve
from .render import describe_run, human_size, table, when


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
) -> None:
    """List the artifacts of a project: type, number of versions, latest version, aliases, size."""
    state = cli_state(ctx)
    with state.store() as store:
        api = Api(store=store)
        project_ = names.project_name(project or api.default_project)
        collections = api.artifact_collections(project_, type_)
        if not collections:
            known = api.projects()
            if project is not None and project_ not in known:
                raise ArtifactNotFoundError(
                    f"Project {project_!r} does not exist; known projects: {', '.join(known) or 'none'}."
                )
            of_type = f" of type {type_!r}" if type_ else ""
            state.out.print(f"No artifacts{escape(of_type)} in project {escape(project_)!r}.")
            return
        t = table("name", "type", "versions", "latest", "aliases", "size", right=("versions", "size"),
                  title=f"Artifacts in {project_}")
        for coll in collections:
            versions = coll.versions()
            latest = next((v for v in versions if "latest" in v.aliases), versions[-1] if versions else None)
            aliases = sorted({a for v in versions for a in v.aliases})
            t.add_row(
                escape(coll.name), escape(coll.type), str(len(versions)),
                latest.version if latest else "-", escape(", ".join(aliases)),
                human_size(latest.size) if latest else "-",
            )
        state.out.print(t)


@report_errors
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="[project/]name[:vN|:alias|:digest]", show_default=False)],
    max_files: Annotated[int, typer.Option("--max-files", min=1, help="List at most this many files.")] = 20,
) -> None:
    """Show an artifact: its versions, the files of one version, and the runs that logged and used it."""
    state = cli_state(ctx)
    out = state.out
    with state.store() as store:
        api = Api(store=store)
        art = resolve(api, ref)
        out.print(f"[bold]{escape(art.qualified_name)}[/] ({escape(art.type)})")
        if art.description:
            out.print(f"  description: {escape(art.description)}")
        if art.tags:
            out.print(f"  tags:        {escape(', '.join(art.tags))}")
        if art.metadata:
            out.print(f"  metadata:    {escape(json.dumps(art.metadata, sort_keys=True, default=str))}")

        versions = api.artifacts(art.type, f"{art.project}/{art.collection_name}")
        out.print(_versions_table(versions, art))
        out.print(_files_table(art, max_files))

        producer = art.logged_by()
        out.print(f"Logged by: {escape(describe_run(producer)) if producer else 'unknown'}")
        consumers = art.used_by()
        out.print("Used by:   none" if not consumers else "Used by:")
        for run in consumers:
            out.print(f"  {escape(describe_run(run))}")


def _versions_table(versions: list[Artifact], current: Artifact) -> Table:
    t = table("", "version", "aliases", "digest", "size", "files", "created", right=("size", "files"),
              title="Versions")
    for v in versions:
        aliases = ", ".join(v.aliases)
        t.add_row(
            "*" if v == current else "", v.version, escape(aliases), v.digest, human_size(v.size),
            str(v.file_count), when(v.created_at),
        )
    return t


def _files_table(art: Artifact, limit: int) -> Table:
    entries = sorted(art.manifest, key=lambda e: e.path)
    t = table("path", "size", "digest", right=("size",), title=f"Files of {art.version} ({len(entries)})")
    for e in entries[:limit]:
        digest = e.digest if e.ref is None else f"{e.digest} -> {e.ref}"
        t.add_row(escape(e.path), human_size(e.size) if e.size is not None else "-", escape(digest))
    if len(entries) > limit:
        t.add_row(f"… {len(entries) - limit} more", "", "")
    return t

"""``artiflow put`` and ``artiflow get``: files into the store and back out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlparse

import artiflow
import typer
from rich.markup import escape

from .. import names
from ..units import human_size
from .context import JsonOption, RefArg, cli_state, report_errors, resolve
from .progress import TransferProgress
from .records import version_record
from .render import count, emit_json

Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar or messages: print only the version (put) or the directory (get).")
]


@report_errors
def put(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="File, directory or file:// URI to log.", show_default=False)],
    name: Annotated[
        str | None,
        typer.Option(
            "--name", "-n", help="Artifact name. [default: the file or directory name]", show_default=False
        ),
    ] = None,
    type_: Annotated[str, typer.Option("--type", "-t", help="Artifact type.")] = "dataset",
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", "-a", help="Alias for this version; repeat for several.", show_default=False),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project", "-p", help="Project. [default: ARTIFLOW_PROJECT or 'uncategorized']", show_default=False
        ),
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="Description of the version.", show_default=False)
    ] = None,
    digest_algorithm: Annotated[
        str,
        typer.Option(
            "--digest-algorithm", help="MD5, or XXH128 (much faster for large files; needs artiflow[xxhash])."
        ),
    ] = "MD5",
    quiet: Quiet = False,
    as_json: JsonOption = False,
) -> None:
    """Log a file, directory or file:// URI as a new artifact version.

    Files are hashed and copied into the store. Content identical to an existing version of the
    artifact creates no new version: that version is reused and gets the aliases. A transfer
    that takes more than a second shows a progress bar on a terminal. With --quiet, only the
    version's name is printed.
    """
    state = cli_state(ctx)
    with state.store(create=True) as store:
        project_ = names.project_name(project or store.settings.project)
        artifact = artiflow.Artifact(
            name or default_name(path), type_, description=description, digest_algorithm=digest_algorithm
        )
        # Refuse a type collision before a run is opened and any file is copied.
        store.check_type(project_, artifact.collection_name, type_)
        from ..artifact import (
            add_path,  # the artifact stack loads with the command, not the CLI
        )

        add_path(artifact, path)
        bar = TransferProgress(state.err, "Storing", delay=state.progress_delay, enabled=not (quiet or as_json))
        with bar, artiflow.init(project=project_, job_type="cli-put", store=store) as run:
            logged = run.log_artifact(artifact, aliases=alias, progress=bar)
        producer = logged.logged_by()
        created = producer is not None and producer.id == run.id
        if as_json:
            emit_json({**version_record(logged), "created": created})
            return
        if quiet:
            typer.echo(logged.qualified_name)
            return
        out = state.out
        verb = "Created new version" if created else "Reused existing version"
        out.print(f"{verb} [bold]{escape(logged.qualified_name)}[/] ({escape(logged.type)})")
        out.print(f"  digest:  {logged.digest}")
        out.print(f"  files:   {logged.file_count:,} ({human_size(logged.size)})")
        out.print(f"  aliases: {escape(', '.join(sorted(logged.aliases)))}")
        if not created:
            out.print("  The content is identical to this version, so no new version was created.")


def default_name(path: str) -> str:
    """The artifact name ``put`` uses when none is given: the last path component, sanitised.

    >>> default_name("data/cats/"), default_name("file:///tmp/my%20model.pt")
    ('cats', 'my_model.pt')
    """
    local = unquote(urlparse(path).path) if "://" in path else os.path.abspath(path)
    base = os.path.basename(local.rstrip("/"))
    return names.sanitize(base)


@report_errors
def get(
    ctx: typer.Context,
    ref: RefArg,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root", "-r", help="Directory to download into. [default: ./artifacts/NAME:vN]", show_default=False
        ),
    ] = None,
    quiet: Quiet = False,
    as_json: JsonOption = False,
) -> None:
    """Download an artifact version and print the directory it is in.

    Files already present with the right content are not copied again. A transfer that takes
    more than a second shows a progress bar on a terminal. With --quiet, only the directory is
    printed.
    """
    state = cli_state(ctx)
    with state.store() as store:
        artifact = resolve(artiflow.Api(store=store), ref)
        with TransferProgress(
            state.err, "Downloading", delay=state.progress_delay, enabled=not (quiet or as_json)
        ) as bar:
            where = artifact.download(root, progress=bar)
        if as_json:
            emit_json({**version_record(artifact), "directory": where})
            return
        if not quiet:
            state.err.print(
                f"Downloaded {escape(artifact.qualified_name)} "
                f"({count(artifact.file_count, 'file')}, {human_size(artifact.size)})"
            )
        typer.echo(where)

"""``artiflow verify``: re-hash a directory, or the store's own copies, against a version's manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..api import Api
from ..errors import DigestMismatchError
from .context import cli_state, report_errors, resolve
from .render import count


@report_errors
def verify(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="[project/]name[:vN|:alias|:digest]", show_default=False)],
    directory: Annotated[
        Path | None,
        typer.Argument(help="Directory to check. [default: the store's own copies]", show_default=False),
    ] = None,
) -> None:
    """Check files against an artifact version's manifest; exit code 1 on any difference.

    With DIR, every file under DIR is re-hashed: DIR must hold exactly the version's files.
    Without DIR, the store's own copies of the version's files are re-hashed, and missing or
    corrupt ones are listed. References to data outside the store are skipped.
    """
    state = cli_state(ctx)
    with state.store() as store:
        art = resolve(Api(store=store), ref)
        if directory is not None:
            if not directory.is_dir():
                raise FileNotFoundError(f"Cannot verify {art.qualified_name}: {directory} is not a directory.")
            art.verify(directory)
            state.out.print(
                f"OK: {escape(str(directory))} matches {escape(art.qualified_name)} "
                f"({count(art.file_count, 'file')})."
            )
            return
        entries = art.manifest.contents
        stored = sum(1 for e in entries.values() if e.ref is None)
        bad = store.check_blobs(entries)
        for path in bad:
            status = "corrupt" if store.blobs.has(entries[path].digest) else "missing"
            state.out.print(f"{status}  {escape(path)}")
        if bad:
            raise DigestMismatchError(
                f"{len(bad)} of {count(stored, 'stored file')} of {art.qualified_name} "
                f"are missing or corrupt in {store.blobs.url}."
            )
        skipped = len(entries) - stored
        note = f"; {count(skipped, 'reference')} skipped" if skipped else ""
        state.out.print(
            f"OK: {count(stored, 'stored file')} of {escape(art.qualified_name)} "
            f"match their digests{escape(note)}."
        )

"""``artiflow gc``: list (``--dry-run``) or remove blobs that no live version references."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ..gc import (
    DEFAULT_GRACE_SECONDS,
    MIN_GRACE_SECONDS,
    collect_garbage,
    expire_versions,
)
from ..units import human_size
from .context import JsonOption, cli_state, report_errors
from .render import emit_json


@report_errors
def gc(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be removed.")] = False,
    grace: Annotated[
        float,
        typer.Option("--grace", help="Keep unreferenced blobs younger than this many seconds (commits in flight)."),
    ] = DEFAULT_GRACE_SECONDS,
    force: Annotated[
        bool, typer.Option("--force", help="Allow a --grace below 10 minutes (only when no log is running).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Soft-delete versions whose ttl has passed, then find blobs that no committed version (or open collaborative version) references, and remove them.

    Such blobs come from commits that never happened (a crash between upload and commit) and from
    deleted versions. Nothing a live version needs is ever touched, nor anything a log in flight has
    leased; if a live version's manifest cannot be read, nothing at all is removed. Incomplete multipart uploads older than --grace are
    aborted (S3).
    """
    if grace < MIN_GRACE_SECONDS and not dry_run and not force:
        raise typer.BadParameter(
            f"--grace {grace:g} is below {MIN_GRACE_SECONDS:g} seconds, so gc could delete blobs a log is "
            "about to commit; pass --force if no log is running.",
            param_hint="--grace",
        )
    state = cli_state(ctx)
    with state.store() as store:
        expired = expire_versions(store, dry_run=dry_run)
        report = collect_garbage(store, dry_run=dry_run, grace_seconds=grace)
    if as_json:
        emit_json({"dry_run": dry_run, "live": report.live, "orphans": report.orphans,
                   "orphan_bytes": report.orphan_bytes, "temp": report.temp, "young": report.young,
                   "leased": report.leased, "uploads": report.uploads, "expired": expired})
        return
    verb = "would remove" if dry_run else "removed"
    for ref in expired:
        state.out.print(f"expired {escape(ref)} (its ttl has passed; {'would be ' if dry_run else ''}soft-deleted)")
    for key in report.orphans:
        state.out.print(f"orphan  {key}")
    for key in report.temp:
        state.out.print(f"temp    {key}")
    for key in report.uploads:
        state.out.print(f"upload  {key}")
    state.out.print(
        f"{report.live} live blobs; {verb} {len(report.orphans)} orphaned blobs "
        f"({human_size(report.orphan_bytes)}) and {len(report.temp)} stale temp files"
        + (f"; {'would abort' if dry_run else 'aborted'} {len(report.uploads)} incomplete uploads" if report.uploads else "")
        + (f"; {len(report.young)} recent unreferenced blobs kept (younger than --grace)" if report.young else "")
        + (f"; {len(report.leased)} kept for logs in flight (leased)" if report.leased else "")
        + "."
    )

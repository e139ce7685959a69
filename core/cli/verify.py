"""``artiflow verify``: re-hash a directory, or the store's own copies, against a version's manifest."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import artiflow
import typer
from rich.markup import escape

from .. import names
from ..digests import file_digest
from ..errors import DigestMismatchError
from .context import JsonOption, RefArg, cli_state, report_errors, resolve
from .render import count, emit_json

if TYPE_CHECKING:
    from artiflow import Artifact


def check_directory(art: Artifact, root: Path) -> dict[str, list[str]]:
    """Every difference between ``root`` and the version: ``{"missing", "changed", "extra"}`` paths, sorted.

    Each file of the version is re-hashed; references (data outside the store) are skipped.
    """
    manifest = art.manifest.contents
    extra: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in filenames:
            rel = os.path.relpath(os.path.join(dirpath, fn), root).replace(os.sep, "/")
            if rel not in manifest:
                extra.append(rel)
    missing: list[str] = []
    changed: list[str] = []
    for path, entry in sorted(manifest.items()):
        if entry.ref is not None:
            continue
        local = names.contained(str(root), path)
        if not os.path.isfile(local):
            missing.append(path)
        elif file_digest(local, entry.algorithm) != entry.digest:
            changed.append(path)
    return {"missing": missing, "changed": changed, "extra": sorted(extra)}


@report_errors
def verify(
    ctx: typer.Context,
    ref: RefArg,
    directory: Annotated[
        Path | None,
        typer.Argument(help="Directory to check. [default: the store's own copies]", show_default=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check files against an artifact version's manifest; exit code 1 on any difference.

    With DIR, every file under DIR is re-hashed: DIR must hold exactly the version's files, and
    every missing, changed and extra file is listed. Without DIR, the store's own copies of the
    version's files are re-hashed, and missing or corrupt ones are listed. References to data
    outside the store are skipped.
    """
    state = cli_state(ctx)
    with state.store() as store:
        art = resolve(artiflow.Api(store=store), ref)
        if directory is not None:
            if not directory.is_dir():
                raise FileNotFoundError(f"Cannot verify {art.qualified_name}: {directory} is not a directory.")
            found = check_directory(art, directory)
            problems = sum(len(v) for v in found.values())
            if as_json:
                emit_json({"ref": art.qualified_name, "directory": str(directory.absolute()), "ok": not problems,
                           **found})
            else:
                for status in ("missing", "changed", "extra"):
                    for path in found[status]:
                        state.out.print(f"{status:<8} {escape(path)}")
            if problems:
                parts = ", ".join(f"{len(found[s])} {s}" for s in ("missing", "changed", "extra") if found[s])
                raise DigestMismatchError(
                    f"{directory} does not match {art.qualified_name}: {parts}; "
                    f"`artiflow get {art.qualified_name} --root {directory}` restores missing and changed files."
                )
            if not as_json:
                state.out.print(
                    f"OK: {escape(str(directory))} matches {escape(art.qualified_name)} "
                    f"({count(art.file_count, 'file')})."
                )
            return
        entries = art.manifest.contents
        stored = sum(1 for e in entries.values() if e.ref is None)
        bad = store.check_blobs(entries)
        status_of: dict[str, str] = {
            path: "corrupt" if store.blobs.has(entries[path].blob) else "missing" for path in bad
        }
        if as_json:
            report: dict[str, Any] = {"ref": art.qualified_name, "storage": store.blobs.url, "ok": not bad,
                                      "checked": stored, "skipped": len(entries) - stored,
                                      "missing": [p for p in bad if status_of[p] == "missing"],
                                      "corrupt": [p for p in bad if status_of[p] == "corrupt"]}
            emit_json(report)
        else:
            for path in bad:
                state.out.print(f"{status_of[path]}  {escape(path)}")
        if bad:
            raise DigestMismatchError(
                f"{len(bad)} of {count(stored, 'stored file')} of {art.qualified_name} "
                f"are missing or corrupt in {store.blobs.url}."
            )
        if as_json:
            return
        skipped = len(entries) - stored
        note = f"; {count(skipped, 'reference')} skipped" if skipped else ""
        state.out.print(
            f"OK: {count(stored, 'stored file')} of {escape(art.qualified_name)} "
            f"match their digests{escape(note)}."
        )

"""``artiflow cache info`` and ``artiflow cache cleanup``: the machine-local download cache.

What artiflow keeps on this machine, apart from the store itself:

- downloaded versions: ``artiflow get`` (and ``Artifact.download()``) without a root write a
  version to ``$ARTIFLOW_ARTIFACT_DIR/NAME:vN`` (default ``./artifacts``) and reuse the files
  already there; each can be downloaded again from the store at any time;
- the digest cache (``$ARTIFLOW_CACHE_DIR/digests.db``), which lets ``put`` and ``get`` skip
  files whose content is known, and tells which downloaded files are untouched;
- scratch directories of drafts (``artiflow-draft-*`` in the system temp directory), left behind
  only by processes that were killed.

``cleanup`` removes downloaded versions, least recently used first, until they fit in a target
size. A download with a file edited or added since is kept (it is no longer a copy of the store).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import artiflow
import typer
from rich.markup import escape

from ..digestcache import DigestCache, stat_key
from ..digests import ALGORITHMS
from ..units import human_size
from .context import JsonOption, cli_state, report_errors
from .render import Listing, count, emit_json, iso, parse_size

if TYPE_CHECKING:
    from artiflow import Settings

cache_app = typer.Typer(help="Inspect and clean the machine-local download cache.", no_args_is_help=True,
                        rich_markup_mode=None)

_VERSION_DIR = re.compile(r"[A-Za-z0-9_\-.]+:v\d+")
_SCRATCH = ("artiflow-draft-", "artiflow-copy-")
TEMP_GRACE = 3600.0
"""Scratch directories younger than this (seconds) may belong to a running process: kept."""


@dataclass
class Download:
    path: Path
    files: int
    bytes: int
    last_used: float
    stat_keys: list[tuple[int, int, int, int, int]]

    def to_json(self) -> dict[str, Any]:
        from datetime import datetime, timezone

        return {"path": str(self.path), "name": self.path.name, "files": self.files, "bytes": self.bytes,
                "last_used": iso(datetime.fromtimestamp(self.last_used, tz=timezone.utc))}


def _settings(ctx: typer.Context) -> Settings:
    home = cli_state(ctx).home
    return artiflow.Settings() if home is None else artiflow.Settings(home=home)


def _downloads(settings: Settings) -> list[Download]:
    base = settings.artifact_dir.expanduser().absolute()
    if not base.is_dir():
        return []
    found = []
    for entry in sorted(os.scandir(base), key=lambda e: e.name):
        if not (entry.is_dir(follow_symlinks=False) and _VERSION_DIR.fullmatch(entry.name)):
            continue
        files = size = 0
        last = entry.stat().st_mtime
        keys = []
        for dirpath, _dirs, filenames in os.walk(entry.path):
            for fn in filenames:
                st = os.lstat(os.path.join(dirpath, fn))
                files += 1
                size += st.st_size
                last = max(last, st.st_atime, st.st_mtime)
                keys.append(stat_key(st))
        found.append(Download(Path(entry.path), files, size, last, keys))
    return found


def _digest_cache(settings: Settings) -> dict[str, Any]:
    path = settings.cache / "digests.db"
    size = sum(p.stat().st_size for p in settings.cache.glob("digests.db*")) if settings.cache.is_dir() else 0
    entries = 0
    if path.exists():
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'digests%'")]
                entries = sum(int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables)
        except sqlite3.Error:
            entries = 0  # unreadable: it is rebuilt on the next put or get
    return {"path": str(path), "bytes": size, "entries": entries}


def _scratch() -> list[tuple[Path, int, float]]:
    out = []
    for entry in os.scandir(tempfile.gettempdir()):
        if entry.name.startswith(_SCRATCH) and entry.is_dir(follow_symlinks=False):
            size = sum(
                os.lstat(os.path.join(d, f)).st_size for d, _, fs in os.walk(entry.path) for f in fs
            )
            out.append((Path(entry.path), size, entry.stat().st_mtime))
    return out


@cache_app.command("info")
@report_errors
def cache_info(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Where the cache is, and how much it holds: downloaded versions, file digests, scratch space."""
    settings = _settings(ctx)
    out = cli_state(ctx).out
    downloads = _downloads(settings)
    digests = _digest_cache(settings)
    scratch = _scratch()
    if as_json:
        emit_json({
            "cache_dir": str(settings.cache),
            "downloads": {
                "dir": str(settings.artifact_dir.expanduser().absolute()),
                "files": sum(d.files for d in downloads),
                "bytes": sum(d.bytes for d in downloads),
                "versions": [d.to_json() for d in downloads],
            },
            "digest_cache": digests,
            "temp": {"dirs": len(scratch), "bytes": sum(s for _, s, _ in scratch)},
        })
        return
    base = settings.artifact_dir.expanduser().absolute()
    total = sum(d.bytes for d in downloads)
    out.print(f"Downloads:    {escape(str(base))}: {count(len(downloads), 'version')}, {human_size(total)}")
    out.print(f"Digest cache: {escape(digests['path'])}: {count(digests['entries'], 'entry', 'entries')}, "
              f"{human_size(digests['bytes'])}")
    out.print(f"Scratch:      {count(len(scratch), 'directory', 'directories')}, "
              f"{human_size(sum(s for _, s, _ in scratch))}" + (" (artiflow cache cleanup --remove-temp)" if scratch else ""))
    if downloads:
        rows = Listing("version", "files", "size", "last used", right=("files", "size"), title="Downloaded versions")
        for d in sorted(downloads, key=lambda d: -d.last_used):
            rows.add_row(d.path.name, str(d.files), human_size(d.bytes),
                         time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d.last_used)))
        rows.print(out, piped_title=True)


@cache_app.command("cleanup")
@report_errors
def cache_cleanup(
    ctx: typer.Context,
    target_size: Annotated[
        str, typer.Argument(help="Keep at most this much of downloaded versions, e.g. 10GiB; 0 removes them all.")
    ] = "0",
    remove_temp: Annotated[
        bool, typer.Option("--remove-temp", help="Also remove scratch directories older than an hour.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be removed.")] = False,
) -> None:
    """Remove downloaded versions, least recently used first, until they fit in TARGET_SIZE.

    Downloads with files changed or added since they were downloaded are kept and listed.
    """
    target = parse_size(target_size)
    settings = _settings(ctx)
    out = cli_state(ctx).out
    downloads = sorted(_downloads(settings), key=lambda d: d.last_used)
    total = sum(d.bytes for d in downloads)
    known: set[tuple[int, int, int, int, int]] = set()
    if downloads and settings.cache.is_dir():
        cache = DigestCache(settings.cache)
        try:
            wanted = [k for d in downloads for k in d.stat_keys]
            known = {k for alg in ALGORITHMS for k in cache.get_many(wanted, alg)}
        finally:
            cache.close()
    verb = "would remove" if dry_run else "removed"
    freed = removed = kept = 0
    for d in downloads:
        if total <= target:
            break
        if not all(k in known for k in d.stat_keys):
            out.print(f"kept     {escape(str(d.path))} (changed since it was downloaded)")
            kept += 1
            continue
        out.print(f"{'remove' if dry_run else 'removed':<8} {escape(str(d.path))} ({human_size(d.bytes)})")
        if not dry_run:
            shutil.rmtree(d.path)
        total -= d.bytes
        freed += d.bytes
        removed += 1
    temp_note = ""
    if remove_temp:
        old = [(p, s) for p, s, m in _scratch() if time.time() - m > TEMP_GRACE]
        for p, _ in old:
            if not dry_run:
                shutil.rmtree(p, ignore_errors=True)
        temp_note = f"; {verb} {count(len(old), 'scratch directory', 'scratch directories')} "
        temp_note += f"({human_size(sum(s for _, s in old))})"
    out.print(
        f"{verb.capitalize()} {count(removed, 'downloaded version')} ({human_size(freed)}); "
        f"{human_size(total)} of downloads left"
        + (f", {kept} changed kept" if kept else "") + temp_note + "."
    )

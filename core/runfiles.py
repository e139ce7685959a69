"""Files a run keeps: ``run.save()`` (W&B's glob rules) and ``run.log_code()``'s source walk.

``run.save(glob)`` expands the glob when called (later files are not picked up), links each match
into ``run.dir`` under its name relative to ``base_path``, and logs the run's saved files as the
``run-<id>-files`` artifact (type ``run_files``): now, and again when the run finishes
(``policy="live"``, the default, or ``"end"``), so later edits are kept.

>>> save_name("/data/run123/a.txt", None, "/data/run123/*.txt")
'run123/a.txt'
>>> save_name("these/are/myfiles/a.txt", "these", "these/are/myfiles/*")
'are/myfiles/a.txt'
"""

from __future__ import annotations

import glob as globlib
import inspect
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import cast

from . import names
from .artifact import Artifact

log = logging.getLogger(__name__)

Filter = Callable[[str, str], bool] | Callable[[str], bool]
POLICIES = ("live", "now", "end")


def default_include(path: str, root: str) -> bool:
    return path.endswith(".py")


def default_exclude(path: str, root: str) -> bool:
    parts = os.path.relpath(path, root).split(os.sep)
    return any(p in {".git", ".venv", "venv", "__pycache__", "node_modules", "artifacts"} for p in parts)


def with_root(fn: Filter) -> Callable[[str, str], bool]:
    """W&B accepts filters taking ``(path)`` as well as ``(path, root)``; call both the same way."""
    try:
        takes_root = len(inspect.signature(fn).parameters) >= 2
    except (TypeError, ValueError):  # some builtins have no signature: assume the full form
        takes_root = True
    if takes_root:
        return cast(Callable[[str, str], bool], fn)
    one = cast(Callable[[str], bool], fn)
    return lambda path, root: one(path)


def code_artifact(root: str, name: str, include_fn: Filter, exclude_fn: Filter) -> Artifact | None:
    """A ``code`` artifact of the files under ``root`` that pass the filters; None if there are none."""
    root_ = os.path.abspath(root)
    include, exclude = with_root(include_fn), with_root(exclude_fn)
    artifact = Artifact.reserved(name, "code")  # 'source-' names are reserved for this
    count = 0
    for dirpath, dirnames, filenames in os.walk(root_):
        dirnames[:] = sorted(d for d in dirnames if not exclude(os.path.join(dirpath, d), root_))
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            if include(full, root_) and not exclude(full, root_):
                artifact.add_file(full, name=os.path.relpath(full, root_).replace(os.sep, "/"))
                count += 1
    if count == 0:
        log.warning("log_code found no files to log under %s.", root_)
        return None
    return artifact


def _glob_base(glob_str: str) -> str:
    """The directory part of a glob before its first wildcard."""
    parts = Path(glob_str).parts
    fixed = []
    for p in parts[:-1]:
        if any(c in p for c in "*?["):
            break
        fixed.append(p)
    return os.path.join(*fixed) if fixed else ""


def save_name(path: str, base_path: str | None, glob_str: str) -> str:
    """The name a saved file gets in the run: relative to ``base_path``.

    Without ``base_path`` a relative glob keeps its path from the working directory, and an
    absolute one keeps one directory level (W&B's rule).
    """
    if base_path is None:
        base_path = os.path.dirname(_glob_base(glob_str)) if os.path.isabs(glob_str) else "."
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base_path))
    if rel.startswith(".."):
        raise ValueError(f"{path} is not under base_path {base_path}; give a base_path that contains it.")
    return rel.replace(os.sep, "/")


def expand(glob_str: str, base_path: str | None, policy: str) -> dict[str, str]:
    """``{name in the run: file}`` for every file the glob matches now."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}; got {policy!r}.")
    if base_path is not None and not os.path.abspath(glob_str).startswith(os.path.abspath(base_path)):
        raise ValueError(f"The glob {glob_str} is not under base_path {base_path}.")
    matches = [m for m in sorted(globlib.glob(glob_str, recursive=True)) if os.path.isfile(m)]
    return {names.entry_path(save_name(m, base_path, glob_str)): os.path.abspath(m) for m in matches}


def link_into(run_dir: str, files: dict[str, str]) -> list[str]:
    """Link (or copy) each file into the run directory; return the paths made there."""
    made = []
    for name, src in files.items():
        dest = os.path.join(run_dir, *name.split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.lexists(dest):
            os.remove(dest)
        try:
            os.symlink(src, dest)
        except OSError:
            shutil.copy2(src, dest)
        made.append(dest)
    return made


def files_artifact(run_id: str, files: dict[str, str]) -> Artifact:
    """The ``run-<id>-files`` artifact of the files saved so far."""
    artifact = Artifact(names.sanitize(f"run-{run_id}-files"), "run_files")
    for name, src in sorted(files.items()):
        if os.path.isfile(src):
            artifact.add_file(src, name=name)
        else:
            log.warning("Saved file %s is gone; it is left out of the run's files.", src)
    return artifact

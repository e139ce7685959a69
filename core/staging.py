"""Files added to a draft but not yet stored: hashed and copied once, when the draft is logged."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .digestcache import StatKey, stat_key
from .errors import FileChangedError


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A local file that will become a manifest entry at ``path``.

    The stat recorded at add time (device, inode, size, mtime and ctime) guards against edits
    before the draft is logged: artiflow hashes the file while copying it into the store, and
    refuses a file that changed since.
    """

    path: str
    local_path: str
    stat: StatKey
    extra: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, path: str, local_path: str, extra: dict[str, str] | None = None) -> StagedFile:
        local = os.path.abspath(local_path)
        st = os.stat(local)
        return cls(path, local, stat_key(st), tuple(sorted((extra or {}).items())))

    @classmethod
    def at(cls, path: str, absolute_path: str) -> StagedFile:
        """:meth:`of` for a path known to be absolute and normalised (a directory walk's)."""
        return cls(path, absolute_path, stat_key(os.stat(absolute_path)))

    @property
    def size(self) -> int:
        return self.stat[2]

    def check_unchanged(self) -> StatKey:
        try:
            now = stat_key(os.stat(self.local_path))
        except FileNotFoundError as exc:
            raise FileChangedError(
                f"{self.local_path} was added as {self.path!r} but no longer exists; add it again."
            ) from exc
        if now != self.stat:  # ctime too: an edit that restores size and mtime (cp -p, rsync -t) still shows
            raise FileChangedError(
                f"{self.local_path} changed after it was added as {self.path!r}; add it again "
                "(or add a copy) so the version records what you meant."
            )
        return now

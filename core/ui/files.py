"""A version's files as a browsable tree, and the difference between two versions.

A manifest is parsed once and kept in a small cache by digest (manifests are immutable); its paths
stay sorted in one list, so listing a directory of a 100,000-file version bisects that list and
builds only the page shown.

>>> from artiflow import Manifest, ManifestEntry
>>> m = Manifest.from_entries([ManifestEntry(path="a/b.txt", digest="x", size=3),
...                            ManifestEntry(path="c.txt", digest="y", size=4)])
>>> [(n.name, n.is_dir, n.size) for n in FileTree.of(m).children("")]
[('a', True, 3), ('c.txt', False, 4)]
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import Any

from ..digests import b64_md5
from ..errors import ArtifactNotFoundError, DigestMismatchError, StoreError
from ..manifest import Manifest, ManifestEntry
from ..metadata import VersionRecord
from ..store import Store


@dataclass(frozen=True, slots=True)
class Node:
    """A file, or a directory with the total size and number of files below it."""

    name: str
    path: str
    is_dir: bool
    size: int
    files: int = 1
    digest: str | None = None
    ref: str | None = None


class FileTree:
    """The entries of one manifest sorted by path, listed one directory at a time.

    Nothing is built per directory up front: the entries of a directory are one contiguous run of
    the sorted paths, a sub-directory's size is a difference of two prefix sums, so listing the root
    of a 100,000-file version costs a few bisections per sub-directory, not a pass over every file.
    """

    def __init__(self, paths: list[str], entries: list[Mapping[str, Any]]) -> None:
        """``paths`` sorted, ``entries[i]`` (``digest``, ``size``, ``ref``) the entry at ``paths[i]``."""
        self._paths = paths
        self._entries = entries
        sizes: list[int] = list(map(dict.get, entries, repeat("size", len(entries))))  # type: ignore[arg-type]
        if None in sizes:  # a reference may have no size
            sizes = [n or 0 for n in sizes]
        self._sums: list[int] = list(accumulate(sizes, initial=0))
        self._listed: dict[str, tuple[list[Node], list[int]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, manifest: Manifest) -> FileTree:
        return cls.from_contents({e.path: {"digest": e.digest, "size": e.size, "ref": e.ref} for e in manifest})

    @classmethod
    def from_contents(cls, contents: Mapping[str, Mapping[str, Any]]) -> FileTree:
        paths = list(contents)
        if paths == sorted(paths):  # as written by artiflow and W&B: no sort, no lookups
            return cls(paths, list(contents.values()))
        paths.sort()
        return cls(paths, [contents[p] for p in paths])

    @classmethod
    def from_json(cls, raw: bytes) -> FileTree:
        """From a stored manifest's bytes, without building an entry object per file (a 100,000-file
        manifest takes a fraction of the time :meth:`Manifest.from_json` needs)."""
        try:
            contents = json.loads(raw)["contents"]
            if not isinstance(contents, dict):
                raise TypeError("contents is not an object")
            return cls.from_contents(contents)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(f"Corrupt manifest ({exc}); restore the blob or delete the version.") from exc

    def __len__(self) -> int:
        return len(self._paths)

    def _span(self, key: str) -> tuple[int, int]:
        """The run of sorted paths below directory ``key`` (``""``: every path)."""
        if not key:
            return 0, len(self._paths)
        lo = bisect_left(self._paths, key + "/")
        return lo, bisect_left(self._paths, key + "0", lo)  # "0" sorts right after "/"

    def exists(self, path: str) -> bool:
        """Whether ``path`` is a directory of this version (the root always is)."""
        lo, hi = self._span(path.strip("/"))
        return not path.strip("/") or lo < hi

    def _listing(self, key: str) -> tuple[list[Node], list[int]]:
        """Directory ``key``'s sub-directories (by name) and the indexes of its files (by path)."""
        with self._lock:
            hit = self._listed.get(key)
        if hit is not None:
            return hit
        paths, sums = self._paths, self._sums
        lo, hi = self._span(key)
        n = len(key) + 1 if key else 0
        dirs: list[Node] = []
        files: list[int] = []
        i = lo
        while i < hi:
            cut = paths[i].find("/", n)
            if cut < 0:
                files.append(i)
                i += 1
                continue
            sub = paths[i][:cut]
            j = bisect_left(paths, sub + "0", i, hi)
            dirs.append(Node(sub[n:], sub, True, sums[j] - sums[i], j - i))
            i = j
        dirs.sort(key=lambda d: d.name)
        with self._lock:
            self._listed[key] = (dirs, files)
        return dirs, files

    def page(self, path: str, offset: int = 0, limit: int | None = None) -> tuple[list[Node], int]:
        """Entries ``offset`` to ``offset + limit`` of directory ``path`` (sub-directories, then files),
        and how many it has in all; only the entries returned become :class:`Node` objects."""
        dirs, files = self._listing(path.strip("/"))
        total = len(dirs) + len(files)
        end = total if limit is None else min(total, offset + limit)
        shown = dirs[offset:end]
        for i in files[max(0, offset - len(dirs)) : max(0, end - len(dirs))]:
            p, e = self._paths[i], self._entries[i]
            shown.append(Node(p.rsplit("/", 1)[-1], p, False, e.get("size") or 0, 1, e.get("digest"), e.get("ref")))
        return shown, total

    def children(self, path: str) -> list[Node]:
        """The directory ``path`` (``""`` is the root): sub-directories, then files, each by name."""
        return self.page(path)[0]


class TreeCache:
    """The last few :class:`FileTree` objects, by manifest digest: at most ``size`` trees holding at
    most ``entries`` files between them (the newest is kept whatever its size)."""

    def __init__(self, size: int = 8, entries: int = 1_000_000) -> None:
        self._trees: OrderedDict[str, FileTree] = OrderedDict()
        self._size = size
        self._entries = entries
        self._lock = threading.Lock()

    def get(self, store: Store, version: VersionRecord) -> FileTree:
        """The tree of a version's manifest, read from the store and checked against its address."""
        key = version.manifest_digest
        with self._lock:
            tree = self._trees.get(key)
            if tree is not None:
                self._trees.move_to_end(key)
                return tree
        try:
            raw = store.blobs.read_bytes(key)
        except FileNotFoundError as exc:
            raise ArtifactNotFoundError(
                f"The manifest of {version.ref} is missing from {store.blobs.url}; the store is damaged."
            ) from exc
        if b64_md5(raw) != key:
            raise DigestMismatchError(
                f"The manifest of {version.ref} does not match its digest {key}; the store is damaged "
                "(restore the blob from a backup)."
            )
        tree = FileTree.from_json(raw)
        with self._lock:
            self._trees[key] = tree
            while len(self._trees) > self._size or (
                len(self._trees) > 1 and sum(len(t) for t in self._trees.values()) > self._entries
            ):
                self._trees.popitem(last=False)
        return tree


@dataclass(frozen=True, slots=True)
class Diff:
    """What changed from ``old`` to ``new``: paths added, removed and changed, and metadata keys."""

    added: list[ManifestEntry]
    removed: list[ManifestEntry]
    changed: list[tuple[ManifestEntry, ManifestEntry]]
    unchanged: int
    metadata: list[tuple[str, Any, Any]]  # (key, old value or None, new value or None)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.metadata)


_MISSING = object()


def diff(old: Manifest, new: Manifest, old_meta: dict[str, Any], new_meta: dict[str, Any]) -> Diff:
    """Compare two versions' files (by digest) and metadata (by top-level key).

    >>> from artiflow import ManifestEntry as E
    >>> a = Manifest.from_entries([E(path="x", digest="1"), E(path="y", digest="2")])
    >>> b = Manifest.from_entries([E(path="y", digest="3"), E(path="z", digest="4")])
    >>> d = diff(a, b, {"n": 1}, {"n": 2})
    >>> [e.path for e in d.added], [e.path for e in d.removed], [n.path for _, n in d.changed], d.metadata
    (['z'], ['x'], ['y'], [('n', 1, 2)])
    """
    o, n = old.contents, new.contents
    added = [n[p] for p in sorted(n.keys() - o.keys())]
    removed = [o[p] for p in sorted(o.keys() - n.keys())]
    both = sorted(o.keys() & n.keys())
    changed = [(o[p], n[p]) for p in both if o[p].digest != n[p].digest]
    meta = []
    for key in sorted(old_meta.keys() | new_meta.keys()):
        a, b = old_meta.get(key, _MISSING), new_meta.get(key, _MISSING)
        if a != b:
            meta.append((key, None if a is _MISSING else a, None if b is _MISSING else b))
    return Diff(added, removed, changed, len(both) - len(changed), meta)

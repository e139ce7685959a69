"""A version's files as a browsable tree, and the difference between two versions.

The tree is built once per manifest (one pass over its entries) and kept in a small cache, so
paging through a directory of a 100,000-file version slices a list instead of re-reading.

>>> from artiflow import Manifest, ManifestEntry
>>> m = Manifest.from_entries([ManifestEntry(path="a/b.txt", digest="x", size=3),
...                            ManifestEntry(path="c.txt", digest="y", size=4)])
>>> [(n.name, n.is_dir, n.size) for n in FileTree.of(m).children("")]
[('a', True, 3), ('c.txt', False, 4)]
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..manifest import Manifest, ManifestEntry


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


@dataclass
class _Dir:
    size: int = 0
    files: int = 0
    dirs: dict[str, _Dir] = field(default_factory=dict)
    entries: list[ManifestEntry] = field(default_factory=list)


class FileTree:
    """The directories of one manifest; :meth:`children` lists one directory, folders first."""

    def __init__(self, manifest: Manifest) -> None:
        self.root = _Dir()
        for entry in manifest:
            size = entry.size or 0
            node = self.root
            node.size += size
            node.files += 1
            *dirs, _ = entry.path.split("/")
            for part in dirs:
                node = node.dirs.setdefault(part, _Dir())
                node.size += size
                node.files += 1
            node.entries.append(entry)
        self._listed: dict[str, list[Node]] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, manifest: Manifest) -> FileTree:
        return cls(manifest)

    def _find(self, path: str) -> _Dir | None:
        node: _Dir | None = self.root
        for part in [p for p in path.strip("/").split("/") if p]:
            node = node.dirs.get(part) if node is not None else None
        return node

    def exists(self, path: str) -> bool:
        return self._find(path) is not None

    def children(self, path: str) -> list[Node]:
        """The directory ``path`` (``""`` is the root): sub-directories, then files, each by name."""
        key = path.strip("/")
        with self._lock:
            hit = self._listed.get(key)
        if hit is not None:
            return hit
        node = self._find(key)
        if node is None:
            return []
        prefix = f"{key}/" if key else ""
        listed = [Node(n, prefix + n, True, d.size, d.files) for n, d in sorted(node.dirs.items())]
        listed += [
            Node(e.path.rsplit("/", 1)[-1], e.path, False, e.size or 0, 1, e.digest, e.ref)
            for e in sorted(node.entries, key=lambda e: e.path)
        ]
        with self._lock:
            self._listed[key] = listed
        return listed


class TreeCache:
    """The last few :class:`FileTree` objects, by manifest digest."""

    def __init__(self, size: int = 8) -> None:
        self._trees: OrderedDict[str, FileTree] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, digest: str, manifest: Manifest) -> FileTree:
        with self._lock:
            tree = self._trees.get(digest)
            if tree is not None:
                self._trees.move_to_end(digest)
                return tree
        tree = FileTree(manifest)
        with self._lock:
            self._trees[digest] = tree
            while len(self._trees) > self._size:
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

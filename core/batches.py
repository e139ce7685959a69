"""Splitting work into batches: one helper for every bounded ``IN (...)`` query and worker pool.

>>> list(batched([1, 2, 3, 4, 5], 2))
[[1, 2], [3, 4], [5]]
>>> striped([1, 2, 3, 4, 5], 2)
[[1, 3, 5], [2, 4]]
>>> by_size([1, 2, 3, 4, 5], [10, 10, 10**9, 10, 10], 2, big=1 << 20)
[[3], [1, 2], [4, 5]]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

SQL_BATCH = 500
"""Values bound per ``IN (...)`` query: well under SQLite's limit on bound parameters."""


def batched(items: Sequence[T], n: int = SQL_BATCH) -> Iterator[list[T]]:
    """Consecutive slices of at most ``n`` items."""
    for i in range(0, len(items), n):
        yield list(items[i : i + n])


def striped(items: Sequence[T], n: int) -> list[list[T]]:
    """``n`` interleaved batches, so big and small items share out evenly across workers."""
    n = max(1, min(n, len(items)))
    return [list(items[k::n]) for k in range(n)]


def by_size(items: Sequence[T], sizes: Sequence[int], n: int, big: int) -> list[list[T]]:
    """Each item of at least ``big`` bytes alone (first: it starts early), the rest in about ``n``
    runs of consecutive items.

    For downloads: consecutive files share a directory, and workers that create files in different
    directories do not queue on one directory's lock.
    """
    small = [it for it, size in zip(items, sizes) if size < big]
    return [[it] for it, size in zip(items, sizes) if size >= big] + list(batched(small, -(-len(small) // n) or 1))

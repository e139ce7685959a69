"""How to make new blobs durable: the raw cost of each way, without artiflow around it.

Writes blobs the way the local blob store does (a temporary file, then a rename to
``md5/<hex[:2]>/<hex[2:]>``) with 8 threads (``--threads``), three ways, interleaved round by round:

- ``none``      no sync (a scratch store)
- ``fdatasync`` each file synced by the thread that wrote it, before its rename; then each
  directory that got names synced once (what artiflow does)
- ``syncfs``    no per-file sync: one ``syncfs`` before the renames (so bytes still precede
  names) and one after (Linux only, through libc)

    uv run python benchmarks/bench_fsync.py [--files 10000] [--size 10240] [--big 1073741824] [--repeat 3]

Prints the best and median seconds of each, and each way's best over ``none``'s best.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import shutil
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
WAYS = ("none", "fdatasync", "syncfs")


def _syncfs(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed")
    finally:
        os.close(fd)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store(root: str, blobs: list[bytes], way: str, threads: int = 8) -> float:
    """Seconds to store ``blobs`` under ``root`` durably in ``way`` (directories made untimed)."""
    os.makedirs(f"{root}/tmp")
    for i in range(256):
        os.makedirs(f"{root}/md5/{i:02x}")
    os.sync()

    def write(data: bytes) -> tuple[str, str]:
        tmp = f"{root}/tmp/{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            view = memoryview(data)
            for off in range(0, len(view), 1 << 20):
                os.write(fd, view[off : off + (1 << 20)])
            if way == "fdatasync":
                os.fdatasync(fd)
        finally:
            os.close(fd)
        return tmp, hashlib.md5(data, usedforsecurity=False).hexdigest()

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        written = list(pool.map(write, blobs, chunksize=max(1, len(blobs) // (threads * 4))))
    if way == "syncfs":
        _syncfs(root)
    dirs = set()
    for tmp, hexdigest in written:
        d = f"{root}/md5/{hexdigest[:2]}"
        os.replace(tmp, f"{d}/{hexdigest[2:]}")
        dirs.add(d)
    if way == "fdatasync":
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(_fsync_dir, sorted(dirs)))
    elif way == "syncfs":
        _syncfs(root)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=10 << 10)
    parser.add_argument("--big", type=int, default=1 << 30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8, help="writer threads (artiflow: ARTIFLOW_TRANSFER_WORKERS)")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("ARTIFLOW_BENCH_DIR", HERE / ".work")))
    args = parser.parse_args(argv)
    work = args.workdir.resolve() / f"fsync-{os.getpid()}"
    workloads = {
        f"{args.files} x {args.size} B": [os.urandom(args.size) for _ in range(args.files)],
        f"1 x {args.big} B": [os.urandom(args.big)],
    }
    try:
        for name, blobs in workloads.items():
            samples: dict[str, list[float]] = {w: [] for w in WAYS}
            for r in range(args.repeat):
                for way in WAYS[r % 3 :] + WAYS[: r % 3]:  # each way goes first once in three rounds
                    root = str(work / f"{way}-{uuid.uuid4().hex[:8]}")
                    samples[way].append(store(root, blobs, way, args.threads))
                    if len(blobs) == 1:  # reuse the page cache, as bench_core does for its large file
                        shutil.rmtree(root)
            base = min(samples["none"])
            for way, s in samples.items():
                print(f"{name:<22} {way:<10} best {min(s):7.3f}s  median {statistics.median(s):7.3f}s  "
                      f"{min(s) / base:5.2f}x none")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

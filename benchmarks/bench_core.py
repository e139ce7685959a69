"""Core performance benchmark: logging and downloading artifacts, as ratios to baselines.

Every figure is ``artiflow time / baseline time``, both measured in the same run on the same
(warm) data, so the numbers mean something on a shared, noisy machine. Nothing here asserts a
speed: targets are reported, not enforced.

    uv run python benchmarks/bench_core.py [--quick] [--out results.json]

Scenarios (see benchmarks/README.md for what each ratio means):

- ``first_log_dir``   log a directory of many small files into an empty store  / md5 of the files
- ``first_log_file``  log one large file into an empty store                   / md5 of the file
  (both also against the same log into a scratch store, ``durable=False``: the cost of durable commits)
- ``first_log_file_xxh128``  the same with ``digest_algorithm="XXH128"``     / ``cp``; cp + fdatasync, xxh128, md5,
  and the same log into a scratch store
- ``relog_dir``       log the unchanged directory again (dedupes)             / md5 of the files
- ``download_dir``    ``Artifact.download`` of the directory, verified       / md5, ``cp -r``
- ``download_file``   ``Artifact.download`` of the large file, verified      / md5, ``cp -r``
- ``download_dir_unverified``  the same with ``verify=False``                 / ``cp -r``, md5
- ``download_file_unverified`` the same with ``verify=False``                 / ``cp -r``, md5
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import artiflow
from artiflow.digests import XXH128, hasher

HERE = Path(__file__).resolve().parent
CHUNK = 1 << 20
PROJECT = "bench"


@dataclass(frozen=True)
class Sizes:
    files: int
    file_size: int
    big_file: int
    repeat: int


FULL = Sizes(files=10_000, file_size=10 << 10, big_file=1 << 30, repeat=3)
QUICK = Sizes(files=1_000, file_size=10 << 10, big_file=64 << 20, repeat=3)

# scenario -> (baseline the target is stated against, maximum ratio)
TARGETS: dict[str, tuple[str, float]] = {
    "first_log_dir": ("md5", 6.0),
    "first_log_file": ("md5", 1.25),
    "first_log_file_xxh128": ("cp", 1.3),  # XXH128 hashes faster than cp copies: the write is the floor
    "relog_dir": ("md5", 1.0),
    "download_dir": ("md5", 1.1),  # every byte is hashed as it is copied: md5 of the same bytes is the floor
    "download_file": ("md5", 1.1),
    "download_dir_unverified": ("cp -r", 1.2),
    "download_file_unverified": ("cp -r", 1.2),
}


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds of each sample (threads and children too)

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def cpu_best(self) -> float:
        return min(self.cpu)

    def to_dict(self) -> dict[str, Any]:
        return {"best_s": self.best, "median_s": self.median, "samples_s": self.samples,
                "cpu_best_s": self.cpu_best, "cpu_samples_s": self.cpu}


@dataclass(frozen=True)
class Side:
    """One side of a comparison: ``run`` is timed, ``setup`` runs untimed just before it."""

    run: Callable[[], object]
    setup: Callable[[], None] | None = None


SUBJECT = "artiflow"
NOT_DURABLE = "not durable"  # the same log into a store opened with durable=False


def cpu_seconds() -> float:
    """CPU time of this process (every thread) and of its finished children (``cp``)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(side: Side) -> tuple[float, float]:
    """Seconds one call takes, wall and CPU, after flushing earlier writes so that they don't land in it.

    CPU time is the steadier figure on a shared machine: waiting for a core another job holds
    counts in wall time only."""
    if side.setup is not None:
        side.setup()
    os.sync()
    gc.collect()
    gc.freeze()  # what survives is not garbage: later collections (and this one, next time) skip it
    start, cpu = time.perf_counter(), cpu_seconds()
    side.run()
    return time.perf_counter() - start, cpu_seconds() - cpu


def measure(sides: dict[str, Side], repeat: int) -> tuple[Timing, dict[str, Timing]]:
    """Time every side ``repeat`` times, interleaved (in the given order) so drift hits all alike.

    The side named :data:`SUBJECT` is artiflow; the others are baselines.
    """
    timings = {k: Timing() for k in sides}
    for _ in range(repeat):
        for k, side in sides.items():
            wall, cpu = timed(side)
            timings[k].samples.append(wall)
            timings[k].cpu.append(cpu)
    subject = timings.pop(SUBJECT)
    return subject, timings


class PeakRss:
    """Peak RSS (``getrusage``) over a block, reset first through /proc where Linux allows it."""

    def __enter__(self) -> PeakRss:
        try:
            Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak RSS ("VmHWM")
            self.scoped = True
        except OSError:
            self.scoped = False  # then the figure is the process peak so far
        return self

    def __exit__(self, *exc: object) -> None:
        self.mib = peak_rss_mib()


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


@dataclass
class Result:
    name: str
    description: str
    subject: Timing
    baselines: dict[str, Timing]
    peak_rss_mib: float = 0.0
    rss_scoped: bool = False

    def ratio(self, baseline: str, stat: str = "best") -> float:
        return float(getattr(self.subject, stat) / getattr(self.baselines[baseline], stat))

    def to_dict(self) -> dict[str, Any]:
        target_base, target = TARGETS[self.name]
        ratio = self.ratio(target_base)
        return {
            "description": self.description,
            "subject": self.subject.to_dict(),
            "baselines": {k: t.to_dict() for k, t in self.baselines.items()},
            "ratios": {k: self.ratio(k) for k in self.baselines},
            "median_ratios": {k: self.ratio(k, "median") for k in self.baselines},
            "cpu_ratios": {k: self.ratio(k, "cpu_best") for k in self.baselines},
            "target": {"baseline": target_base, "max_ratio": target},
            "ratio": ratio,
            "meets_target": ratio <= target,
            "peak_rss_mib": round(self.peak_rss_mib, 1),
            "peak_rss_scope": "scenario" if self.rss_scoped else "process",
        }


# -- data and baselines -----------------------------------------------------------------------


def make_tree(root: Path, sizes: Sizes) -> None:
    """``files`` random files of ``file_size`` bytes, 100 to a directory."""
    for i in range(sizes.files):
        d = root / f"d{i // 100:03d}"
        if i % 100 == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05d}.bin").write_bytes(os.urandom(sizes.file_size))


def make_file(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for off in range(0, size, 64 << 20):
            f.write(os.urandom(min(64 << 20, size - off)))


def walk_files(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            yield os.path.join(dirpath, fn)


def md5_path(path: str) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def md5_tree(root: Path) -> int:
    """The baseline for hashing: one md5 per file, as artiflow computes."""
    return sum(len(md5_path(p)) for p in walk_files(root))


def md5_any(path: Path) -> object:
    return md5_tree(path) if path.is_dir() else md5_path(str(path))


def xxh128_path(path: str) -> str:
    """The baseline for XXH128 hashing alone: the file read in 1 MiB chunks into one buffer, as artiflow reads."""
    h = hasher(XXH128)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def warm(root: Path) -> None:
    """Read everything once so baseline and subject both start from a warm page cache."""
    paths = walk_files(root) if root.is_dir() else iter([str(root)])
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while f.read(CHUNK):
                pass


def cp_r(src: Path, dst: Path) -> None:
    subprocess.run(["cp", "-r", str(src), str(dst)], check=True)


def cp_synced(src: Path, dst: Path) -> None:
    """``cp``, then ``fdatasync`` of the copy: what a durable store's write of the same bytes costs."""
    cp_r(src, dst)
    fd = os.open(dst, os.O_RDONLY)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


def rm(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# -- scenarios --------------------------------------------------------------------------------


class Bench:
    def __init__(self, work: Path, sizes: Sizes, only: set[str] | None) -> None:
        self.work = work
        self.sizes = sizes
        self.only = only
        self.tree = work / "data" / "tree"
        self.big = work / "data" / "big" / "big.bin"
        self.results: list[Result] = []
        self.homes: dict[str, Path] = {}  # artifact name -> the store its first log left behind

    def wanted(self, name: str) -> bool:
        return self.only is None or name in self.only

    def scratch(self, kind: str) -> Path:
        return self.work / f"{kind}-{uuid.uuid4().hex[:8]}"

    def prepare(self) -> None:
        make_tree(self.tree, self.sizes)
        make_file(self.big, self.sizes.big_file)

    def run(self) -> list[Result]:
        self.prepare()
        self.first_log("first_log_dir", "dir", self.tree, f"{self.sizes.files:,} files x "
                       f"{self.sizes.file_size >> 10} KiB")
        self.first_log("first_log_file", "big", self.big, f"one {_human(self.sizes.big_file)} file")
        if self.wanted("first_log_file_xxh128"):
            self.first_log_xxh128("first_log_file_xxh128")
        if self.wanted("relog_dir"):
            self.relog()
        for name, art, src in (("download_dir", "dir", self.tree), ("download_file", "big", self.big)):
            for suffix, verify in (("", True), ("_unverified", False)):
                if self.wanted(name + suffix):
                    self.download(name + suffix, art, src, verify=verify)
        return self.results

    @staticmethod
    def _log(store: artiflow.Store, art_name: str, src: Path, alg: str = "MD5") -> artiflow.Artifact:
        """What is timed for a log: build the artifact, log it in a run (the store is already open)."""
        with artiflow.init(project=PROJECT, store=store) as run:
            art = artiflow.Artifact(art_name, "dataset", digest_algorithm=alg)
            if src.is_dir():
                art.add_dir(src)
            else:
                art.add_file(src)
            return run.log_artifact(art)

    def first_log(self, name: str, art_name: str, src: Path, what: str) -> None:
        needed_later = {"relog_dir", "download_dir"} if art_name == "dir" else {"download_file"}
        if not self.wanted(name) and not any(self.wanted(n) for n in needed_later):
            return
        warm(src)
        out = Outputs(self, recycle=src.is_file())

        def log() -> None:
            art = self._log(out.store, art_name, src)
            assert art.version == "v0", art.version

        repeat = self.sizes.repeat if self.wanted(name) else 1
        sides = {"md5": Side(lambda: md5_any(src))}
        if self.wanted(name):
            sides[NOT_DURABLE] = Side(log, lambda: out.open_store(out.new("store"), durable=False))
        sides[SUBJECT] = Side(log, lambda: out.open_store(out.new("store")))  # an empty store each time
        with PeakRss() as rss:
            sub, base = measure(sides, repeat)
        out.close()
        self.homes[art_name] = out.last
        if self.wanted(name):
            self.results.append(Result(name, f"first log of {what}", sub, base, rss.mib, rss.scoped))

    def first_log_xxh128(self, name: str) -> None:
        """The 1 GiB first log with XXH128 digests, against ``cp`` of the same file to a new path.

        XXH128 hashes several times faster than a copy, so what remains is the write itself: ``cp +
        fdatasync`` is the floor of a durable store (the default), ``cp`` that of a scratch store
        (the ``not durable`` side).
        """
        src = self.big
        warm(src)
        out = Outputs(self, recycle=True)

        def log() -> None:
            art = self._log(out.store, "big", src, XXH128)
            assert art.version == "v0" and art.digest_algorithm == "MANIFEST_XXH128", art.version

        def new_dest() -> None:
            out.new("dest")

        sides = {
            "xxh128": Side(lambda: xxh128_path(str(src))),
            "cp": Side(lambda: cp_r(src, out.last), new_dest),
            "cp + fdatasync": Side(lambda: cp_synced(src, out.last), new_dest),
            "md5": Side(lambda: md5_path(str(src))),
            NOT_DURABLE: Side(log, lambda: out.open_store(out.new("store"), durable=False)),
            SUBJECT: Side(log, lambda: out.open_store(out.new("store"))),  # an empty store each time
        }
        with PeakRss() as rss:
            sub, base = measure(sides, self.sizes.repeat)
        out.close()
        what = f"one {_human(self.sizes.big_file)} file, XXH128"
        self.results.append(Result(name, f"first log of {what}", sub, base, rss.mib, rss.scoped))

    def relog(self) -> None:
        home = self.homes["dir"]
        warm(self.tree)
        out = Outputs(self, recycle=False)

        def log() -> None:
            art = self._log(out.store, "dir", self.tree)
            assert art.version == "v0", f"an unchanged re-log must dedupe, got {art.version}"

        sides = {
            "md5": Side(lambda: md5_tree(self.tree)),
            SUBJECT: Side(log, lambda: out.open_store(home)),  # a new Store, as in a new process; same disk cache
        }
        with PeakRss() as rss:
            sub, base = measure(sides, self.sizes.repeat)
        out.close()
        self.results.append(Result("relog_dir", "unchanged re-log of the directory", sub, base, rss.mib, rss.scoped))

    def download(self, name: str, art_name: str, src: Path, *, verify: bool) -> None:
        home = self.homes[art_name]
        warm(src)
        warm(home / "objects")  # the blobs are artiflow's source, as ``src`` is cp's
        out = Outputs(self, recycle=src.is_file())

        def download() -> None:
            art = artiflow.Api(store=out.store).artifact(f"{PROJECT}/{art_name}:latest")
            art.download(out.last, verify=verify)

        def new_dest() -> None:
            out.new("dest")

        def before_download() -> None:
            new_dest()
            out.open_store(home)  # a cold Store: no manifest cached in memory

        sides = {
            "md5": Side(lambda: md5_any(src)),
            "cp -r": Side(lambda: cp_r(src, out.last), new_dest),
            SUBJECT: Side(download, before_download),
        }
        with PeakRss() as rss:
            sub, base = measure(sides, self.sizes.repeat)
        out.close()
        what = ("directory" if src.is_dir() else "large file") + ("" if verify else ", verify=False")
        self.results.append(Result(name, f"download of the {what} into a fresh dir", sub, base, rss.mib, rss.scoped))


class Outputs:
    """Where one scenario's samples write (a new path each time), and when old outputs go.

    - Many small files (``recycle=False``): nothing is deleted while the scenario runs. On ext4
      without a journal, creating a file soon after many were deleted scans past every recently
      freed inode, so whichever side ran after a clean-up would pay for it.
    - One large file (``recycle=True``): the previous sample's output is deleted just before
      the next sample writes, so its page cache is reused, as on a machine whose memory is full
      of cache. Writing into never-used memory instead costs seconds per GiB on VMs that hand
      free memory back to the host, which would swamp the comparison.

    Everything is deleted with the scratch directory at the end of the run.
    """

    def __init__(self, bench: Bench, *, recycle: bool) -> None:
        self._bench = bench
        self._recycle = recycle
        self._paths: list[Path] = []
        self._stores: list[artiflow.Store] = []

    def new(self, kind: str) -> Path:
        if self._recycle:
            self.close()
            for old in self._paths:
                rm(old)
            self._paths.clear()
        self._paths.append(self._bench.scratch(kind))
        return self._paths[-1]

    @property
    def last(self) -> Path:
        return self._paths[-1]

    def open_store(self, home: Path, *, durable: bool = True) -> None:
        self._stores.append(artiflow.Store.open(home=home, durable=durable))

    @property
    def store(self) -> artiflow.Store:
        return self._stores[-1]

    def close(self) -> None:
        for store in self._stores:
            store.close()
        self._stores.clear()


# -- reporting --------------------------------------------------------------------------------


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}"
        size /= 1024
    return f"{size:.0f} GiB"


def table(results: list[Result]) -> str:
    head = (f"{'scenario':<24} {'artiflow':>9} {'baseline':>16} {'ratio':>7} {'target':>7}  {'':4} {'cpu':>6} "
            f"{'other':>24} {'rss MiB':>8}")
    lines = [head, "-" * len(head)]
    for r in results:
        base, target = TARGETS[r.name]
        ratio = r.ratio(base)
        others = " ".join(f"{k} {r.ratio(k):.2f}x" for k in r.baselines if k != base)
        lines.append(
            f"{r.name:<24} {r.subject.best:>8.3f}s {base + f' {r.baselines[base].best:.3f}s':>16} "
            f"{ratio:>6.2f}x {target:>6.2f}x  {'ok' if ratio <= target else 'MISS':4} {r.ratio(base, 'cpu_best'):>5.2f}x "
            f"{others:>24} "
            f"{r.peak_rss_mib:>8.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (1,000 files, 64 MiB): seconds, for tests")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "bench_core.json", help="JSON results file")
    parser.add_argument("--repeat", type=int, help="measurements per side (default 3); the best one counts")
    parser.add_argument(
        "--workdir", type=Path, default=Path(os.environ.get("ARTIFLOW_BENCH_DIR", HERE / ".work")),
        help="scratch directory on the disk to measure (deleted afterwards)",
    )
    parser.add_argument("--only", action="append", choices=sorted(TARGETS), help="run only these scenarios")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")

    sizes = QUICK if args.quick else FULL
    if args.repeat is not None:
        sizes = Sizes(sizes.files, sizes.file_size, sizes.big_file, args.repeat)
    work = args.workdir.resolve() / f"bench-{os.getpid()}"
    bench = Bench(work, sizes, set(args.only) if args.only else None)
    started = datetime.now(timezone.utc)
    try:
        results = bench.run()
    finally:
        if not args.keep:
            rm(work)
    report = {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "seconds": round((datetime.now(timezone.utc) - started).total_seconds(), 1),
            "quick": args.quick,
            "files": sizes.files,
            "file_size": sizes.file_size,
            "big_file": sizes.big_file,
            "repeat": sizes.repeat,
            "statistic": "best of repeat, for subject and baselines alike",
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "workdir": str(args.workdir.resolve()),
            "process_peak_rss_mib": round(peak_rss_mib(), 1),
        },
        "scenarios": {r.name: r.to_dict() for r in results},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    print(f"\nratios are artiflow / baseline (best of {sizes.repeat}; cpu: CPU seconds, threads and children included); "
          f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

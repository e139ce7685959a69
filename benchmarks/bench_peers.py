"""artiflow side by side with W&B, DVC and MLflow: the same logs, on the same data, in one run.

    uv run python benchmarks/bench_peers.py [--quick] [--files N] [--big-mib M] [--repeat 3]

Each peer runs in a virtual environment of its own that this script creates under
``benchmarks/.work/peers/venvs`` (with ``uv`` when it is on the PATH, else ``venv`` + ``pip``); a
peer that cannot be installed is skipped with a message. Workloads, every tool as a whole process
(``python peer_tasks.py TOOL …``, the tool's import and start-up included) and, reported by that
process, the log alone:

- ``first_log_dir``: 10,000 files × 10 KiB into a fresh store (a new artiflow home, W&B
  directory, DVC cache and state, MLflow file store per sample);
- ``first_log_file``: one 1 GiB file, the same way;
- ``relog_dir``: the unchanged directory again, into the store of the last first log.

W&B SDK: ``wandb.init(mode="offline")``, ``Artifact.add_dir`` / ``add_file``, ``log_artifact``,
``finish``. DVC: ``dvc add`` (``Repo.add``) in a repository (``--no-scm``) holding the data. MLflow:
``log_artifacts`` / ``log_artifact`` into a ``file:`` tracking store. artiflow: ``Artifact.add_dir``
/ ``add_file`` and ``log_artifact`` into a local store.

Baselines in the same run: ``md5`` (hashlib over every file, in this process), ``read`` (the same
bytes read, not hashed) and ``cp -r`` to a fresh directory (a subprocess). Samples are interleaved
(baselines, artiflow, W&B, DVC, MLflow; again), ``--repeat`` times; the **median** counts. No network
is used: W&B is offline, every tool's telemetry and update checks are off, and each tool's home
directory points into the scratch space.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TASKS = HERE / "peer_tasks.py"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Peer:
    name: str
    packages: tuple[str, ...]
    module: str


PEERS = (
    Peer("wandb", ("wandb",), "wandb"),
    Peer("dvc", ("dvc",), "dvc"),
    # mlflow-skinny: the same ``mlflow`` package (tracking client, file store) without the server's
    # dependencies (pandas, scikit-learn, Flask…), which the log does not use
    Peer("mlflow", ("mlflow-skinny",), "mlflow"),
)
TOOLS = ("artiflow", *(p.name for p in PEERS))

# No network, no telemetry: set for every tool's process.
QUIET_ENV = {
    "WANDB_MODE": "offline",
    "WANDB_SILENT": "true",
    "WANDB_DISABLE_GIT": "true",
    "WANDB_DISABLE_CODE": "true",
    "WANDB_CONSOLE": "off",
    "WANDB_X_DISABLE_STATS": "true",
    "WANDB__DISABLE_STATS": "true",
    "WANDB_DISABLE_SERVICE": "false",
    "DVC_NO_ANALYTICS": "1",
    "DVC_NO_UPDATER": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_ALLOW_FILE_STORE": "true",  # MLflow 3 keeps the file store behind this switch
    "MLFLOW_ENABLE_ASYNC_LOGGING": "false",
    "DO_NOT_TRACK": "1",
    "PYTHONDONTWRITEBYTECODE": "0",
}


# -- environments -------------------------------------------------------------------------------


def venv_python(venvs: Path, peer: Peer) -> Path:
    return venvs / peer.name / "bin" / "python"


def ensure_venv(venvs: Path, peer: Peer, log: Callable[[str], None]) -> Path | None:
    """The peer's interpreter, creating its venv on first use; ``None`` (and a message) when it
    cannot be installed."""
    python = venv_python(venvs, peer)
    ok = venvs / peer.name / ".installed"
    if ok.exists() and python.exists():
        return python
    shutil.rmtree(venvs / peer.name, ignore_errors=True)
    uv = shutil.which("uv")
    try:
        if uv:
            cmds = [
                [uv, "venv", "--quiet", "--python", sys.executable, str(venvs / peer.name)],
                [uv, "pip", "install", "--quiet", "--python", str(python), *peer.packages],
            ]
        else:
            cmds = [
                [sys.executable, "-m", "venv", str(venvs / peer.name)],
                [str(python), "-m", "pip", "install", "--quiet", *peer.packages],
            ]
        log(f"installing {' '.join(peer.packages)} into {venvs / peer.name} …")
        for cmd in cmds:
            subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=1800)
        subprocess.run([str(python), "-c", f"import {peer.module}"], check=True, capture_output=True, timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        log(f"skipping {peer.name}: it could not be installed ({str(detail).strip().splitlines()[-1:]})")
        return None
    ok.write_text(" ".join(peer.packages))
    return python


def tool_env(tool: str, home: Path) -> dict[str, str]:
    """The environment a tool's process runs in: quiet, offline, and with a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTIFLOW_", "WANDB_", "MLFLOW_", "DVC_"))}
    env.update(QUIET_ENV)
    home.mkdir(parents=True, exist_ok=True)
    env["HOME"] = str(home)  # every tool's own files (~/.config/wandb, ~/.cache/…) land here
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    if tool == "wandb":
        env.update(WANDB_DIR=str(home), WANDB_CACHE_DIR=str(home / "cache"), WANDB_CONFIG_DIR=str(home / "config"),
                   WANDB_DATA_DIR=str(home / "data"), WANDB_ARTIFACT_DIR=str(home / "artifacts"))
    return env


# -- data and baselines ------------------------------------------------------------------------


def make_tree(root: Path, files: int, size: int) -> None:
    done = root.parent / f".{root.name}-complete"
    if done.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    for i in range(files):
        d = root / f"d{i // 100:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05d}.bin").write_bytes(os.urandom(size))
    done.write_text("")


def make_file(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size == size:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, 64 * CHUNK)
            f.write(os.urandom(n))
            left -= n


def files_of(root: Path) -> Iterator[str]:
    if root.is_file():
        yield str(root)
        return
    for dirpath, _, names in os.walk(root):
        for n in names:
            if not n.startswith("."):
                yield os.path.join(dirpath, n)


def md5_all(root: Path) -> None:
    for p in files_of(root):
        h = hashlib.md5(usedforsecurity=False)
        with open(p, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)


def read_all(root: Path) -> None:
    for p in files_of(root):
        with open(p, "rb") as f:
            while f.read(CHUNK):
                pass


# -- one sample --------------------------------------------------------------------------------


@dataclass
class Figure:
    whole: list[float] = field(default_factory=list)
    inproc: list[float] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"whole_s": self.whole, "inproc_s": self.inproc}
        if self.whole:
            out["median_whole_s"] = statistics.median(self.whole)
        if self.inproc:
            out["median_inproc_s"] = statistics.median(self.inproc)
        if self.error:
            out["error"] = self.error
        return out


class Bench:
    def __init__(self, work: Path, files: int, file_size: int, big: int, repeat: int, log: Callable[[str], None]):
        self.work, self.repeat, self.log = work, repeat, log
        self.files, self.file_size, self.big = files, file_size, big
        self.data = work / f"data-{files}x{file_size}-{big}"
        self.tree = self.data / "tree"
        self.bigfile = self.data / "big" / "file.bin"
        self.runs = work / "runs" / datetime.now().strftime("%Y%m%d-%H%M%S")
        self.pythons: dict[str, Path] = {"artiflow": Path(sys.executable)}
        self.versions: dict[str, str] = {}
        self.results: dict[str, dict[str, Figure]] = {}
        self.last_store: dict[str, Path] = {}
        self.counter = 0

    # -- setup

    def prepare(self, peers: list[Peer]) -> None:
        venvs = self.work / "venvs"
        venvs.mkdir(parents=True, exist_ok=True)
        for peer in peers:
            python = ensure_venv(venvs, peer, self.log)
            if python is not None:
                self.pythons[peer.name] = python
        self.log(f"data: {self.files:,} × {self.file_size:,} B and one {self.big:,} B file in {self.data}")
        make_tree(self.tree, self.files, self.file_size)
        make_file(self.bigfile, self.big)
        if "dvc" in self.pythons:  # the data lives in a DVC repository (no Git), as dvc add needs
            if not (self.data / ".dvc").exists():
                subprocess.run([str(self.pythons["dvc"]), "-m", "dvc", "init", "--no-scm", "-q"], cwd=self.data,
                               check=True, env=self.env("dvc", self.work / "dvc-init"))
        self.runs.mkdir(parents=True, exist_ok=True)

    def env(self, tool: str, home: Path) -> dict[str, str]:
        return tool_env(tool, home)

    def fresh_store(self, tool: str) -> Path:
        self.counter += 1
        return self.runs / f"{tool}-{self.counter:03d}"

    def dvc_point_at(self, store: Path) -> None:
        """Give the data's DVC repository a new cache and site cache (its hash state): a fresh store."""
        (self.data / ".dvc" / "config").write_text(
            "[core]\n    no_scm = True\n    analytics = false\n    check_update = false\n"
            f"    site_cache_dir = {store / 'site'}\n[cache]\n    dir = {store / 'cache'}\n"
        )
        shutil.rmtree(self.data / ".dvc" / "tmp", ignore_errors=True)
        for p in self.data.glob("**/*.dvc"):
            if p.is_file():
                p.unlink()

    # -- sampling

    def tool_sample(self, tool: str, source: Path, store: Path, *, fresh: bool) -> tuple[float, float]:
        if tool == "dvc" and fresh:
            self.dvc_point_at(store)
        store.mkdir(parents=True, exist_ok=True)
        home = store / "home"
        cmd = [str(self.pythons[tool]), str(TASKS), tool, str(store), str(source)]
        os.sync()
        start = time.perf_counter()
        done = subprocess.run(cmd, env=self.env(tool, home), capture_output=True, text=True, cwd=store)
        whole = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        self.versions[tool] = report["version"]
        return whole, float(report["seconds"])

    def baseline(self, name: str, source: Path) -> float:
        os.sync()
        if name == "cp -r":
            self.counter += 1
            dst = self.runs / f"cp-{self.counter:03d}"
            start = time.perf_counter()
            subprocess.run(["cp", "-r", str(source), str(dst)], check=True)
            return time.perf_counter() - start
        start = time.perf_counter()
        (md5_all if name == "md5" else read_all)(source)
        return time.perf_counter() - start

    def scenario(self, name: str, source: Path, *, relog: bool = False, big: bool = False) -> None:
        figures = self.results.setdefault(name, {})
        read_all(source)  # a warm page cache for every side
        previous: dict[str, Path] = {}
        for _ in range(self.repeat):
            for base in ("md5", "read") if relog else ("md5", "read", "cp -r"):
                if big and base == "cp -r" and "cp -r" in previous:
                    shutil.rmtree(previous.pop("cp -r"), ignore_errors=True)
                fig = figures.setdefault(base, Figure())
                fig.whole.append(self.baseline(base, source))
                if base == "cp -r":
                    previous["cp -r"] = self.runs / f"cp-{self.counter:03d}"
            for tool in self.pythons:
                fig = figures.setdefault(tool, Figure())
                if fig.error or (relog and tool not in self.last_store):
                    continue
                if big and tool in previous:  # see README: reuse page cache rather than fresh memory
                    shutil.rmtree(previous.pop(tool), ignore_errors=True)
                store = self.last_store[tool] if relog else self.fresh_store(tool)
                try:
                    whole, inproc = self.tool_sample(tool, source, store, fresh=not relog)
                except Exception as exc:  # one tool failing must not cost the others' figures
                    fig.error = str(exc)
                    self.log(f"{tool} failed in {name}: {exc}")
                    continue
                fig.whole.append(whole)
                fig.inproc.append(inproc)
                if not big and not relog:
                    self.last_store[tool] = store
                if big:
                    previous[tool] = store
        for path in previous.values():
            shutil.rmtree(path, ignore_errors=True)

    def run(self, only: set[str] | None) -> None:
        if only is None or "first_log_dir" in only or "relog_dir" in only:
            self.log("first_log_dir …")
            self.scenario("first_log_dir", self.tree)
        if only is None or "relog_dir" in only:
            self.log("relog_dir …")
            self.scenario("relog_dir", self.tree, relog=True)
        if only is None or "first_log_file" in only:
            self.log("first_log_file …")
            self.scenario("first_log_file", self.bigfile, big=True)


# -- reporting --------------------------------------------------------------------------------


def report(bench: Bench, started: str) -> dict[str, Any]:
    ratios: dict[str, dict[str, float]] = {}
    for scenario, figures in bench.results.items():
        md5 = statistics.median(figures["md5"].whole)
        ratios[scenario] = {
            tool: statistics.median(f.whole) / md5 for tool, f in figures.items() if f.whole
        }
        art = figures.get("artiflow")
        if art and art.whole:
            ratios[scenario].update({
                f"{tool}/artiflow": statistics.median(f.whole) / statistics.median(art.whole)
                for tool, f in figures.items() if f.whole and tool in TOOLS and tool != "artiflow"
            })
    return {
        "benchmark": "peers",
        "started": started,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
        "sizes": {"files": bench.files, "file_size": bench.file_size, "big_file": bench.big},
        "repeat": bench.repeat,
        "versions": bench.versions,
        "figures": {s: {t: f.to_dict() for t, f in figs.items()} for s, figs in bench.results.items()},
        "ratios_to_md5": {s: {k: v for k, v in r.items() if "/" not in k} for s, r in ratios.items()},
        "peer_over_artiflow": {s: {k: v for k, v in r.items() if "/" in k} for s, r in ratios.items()},
        "not_run": [p.name for p in PEERS if p.name not in bench.pythons],
    }


def table(rep: dict[str, Any]) -> str:
    tools = [t for t in TOOLS if any(t in figs for figs in rep["figures"].values())]
    head = f"{'workload':<16}" + "".join(f"{t:>22}" for t in tools) + "   baselines"
    lines = [head, "-" * len(head)]
    for scenario, figs in rep["figures"].items():
        cells = []
        for t in tools:
            f = figs.get(t, {})
            if "median_whole_s" in f:
                cells.append(f"{f['median_whole_s']:.2f} s ({f.get('median_inproc_s', 0):.2f})")
            else:
                cells.append(f.get("error", "—")[:20])
        base = ", ".join(f"{b} {figs[b]['median_whole_s']:.2f} s" for b in ("md5", "read", "cp -r") if b in figs)
        lines.append(f"{scenario:<16}" + "".join(f"{c:>22}" for c in cells) + f"   {base}")
    lines.append("(whole process, and in parentheses the log alone, as the process measured it; medians)")
    for s, r in rep["peer_over_artiflow"].items():
        lines.append(f"{s}: " + ", ".join(f"{k} {v:.2f}×" for k, v in r.items()))
    lines.append(f"versions: {rep['versions']}; not run: {rep['not_run'] or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000 files and 64 MiB: a minute or two")
    ap.add_argument("--files", type=int, help="small files (default 10,000; 1,000 with --quick)")
    ap.add_argument("--file-kib", type=int, default=10)
    ap.add_argument("--big-mib", type=int, help="the large file (default 1024; 64 with --quick)")
    ap.add_argument("--repeat", type=int, default=3, help="samples per tool and workload; the median counts")
    ap.add_argument("--peers", default=",".join(p.name for p in PEERS), help="comma-separated subset")
    ap.add_argument("--only", action="append", choices=("first_log_dir", "relog_dir", "first_log_file"))
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("ARTIFLOW_BENCH_DIR", HERE / ".work")) / "peers")
    ap.add_argument("--setup-only", action="store_true", help="create the venvs and the data, measure nothing")
    ap.add_argument("--keep", action="store_true", help="keep this run's stores")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_peers.json")
    args = ap.parse_args(argv)
    files = args.files or (1_000 if args.quick else 10_000)
    big = (args.big_mib or (64 if args.quick else 1024)) << 20
    wanted = [p for p in PEERS if p.name in args.peers.split(",")]

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    bench = Bench(args.workdir, files, args.file_kib << 10, big, args.repeat, log)
    started = datetime.now(timezone.utc).isoformat()
    bench.prepare(wanted)
    if args.setup_only:
        return 0
    try:
        bench.run(set(args.only) if args.only else None)
    finally:
        if not args.keep:
            shutil.rmtree(bench.runs, ignore_errors=True)
    rep = report(bench, started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rep, indent=2))
    print(table(rep))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

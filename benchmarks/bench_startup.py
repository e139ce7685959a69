"""Start-up: ``import artiflow`` and ``artiflow --help`` against W&B's import and DVC's ``--help``.

    uv run python benchmarks/bench_startup.py [--repeat 15] [--out FILE]

Every figure is a whole process, as a shell or a worker pool starts it, timed from the parent:

- ``python -c "import artiflow"`` against ``python -c "import wandb"`` (target: ≤ 0.5×);
- ``artiflow --help`` against ``dvc --help`` (target: ≤ 2×);
- ``python -c "pass"`` in each interpreter, for what the interpreter alone costs.

W&B and DVC run from the virtual environments ``bench_peers.py`` creates (under
``benchmarks/.work/peers/venvs``; created here on first use, skipped with a message if they cannot
be installed). Samples are interleaved, ``--repeat`` rounds; the **median** counts. Each process
gets a home directory of its own in the scratch space, with every tool's telemetry off.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_peers as peers  # noqa: E402

TARGETS = {"import": ("import wandb", 0.5), "--help": ("dvc --help", 2.0)}


def commands(pythons: dict[str, Path]) -> dict[str, list[str]]:
    own = Path(sys.executable)
    script = shutil.which("artiflow", path=str(own.parent)) or str(own.parent / "artiflow")
    cmds = {
        "python (artiflow's)": [str(own), "-c", "pass"],
        "import artiflow": [str(own), "-c", "import artiflow"],
        "artiflow --help": [script, "--help"],
    }
    if "wandb" in pythons:
        cmds["python (wandb's)"] = [str(pythons["wandb"]), "-c", "pass"]
        cmds["import wandb"] = [str(pythons["wandb"]), "-c", "import wandb"]
    if "dvc" in pythons:
        cmds["dvc --help"] = [str(pythons["dvc"].parent / "dvc"), "--help"]
    return cmds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15, help="rounds; the median counts")
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("ARTIFLOW_BENCH_DIR", HERE / ".work")) / "peers")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_startup.json")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    venvs = args.workdir / "venvs"
    venvs.mkdir(parents=True, exist_ok=True)
    pythons: dict[str, Path] = {}
    for peer in peers.PEERS:
        if peer.name in ("wandb", "dvc") and (python := peers.ensure_venv(venvs, peer, log)) is not None:
            pythons[peer.name] = python
    cmds = commands(pythons)
    home = args.workdir / "startup-home"
    env = peers.tool_env("startup", home)
    for cmd in cmds.values():  # once untimed: compiled bytecode and the page cache, as on a used machine
        subprocess.run(cmd, env=env, capture_output=True, check=True)
    samples: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(args.repeat):
        for name, cmd in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=True)
            samples[name].append(time.perf_counter() - start)
    median = {k: statistics.median(v) for k, v in samples.items()}
    ratios: dict[str, Any] = {}
    for what, (base, target) in TARGETS.items():
        ours = "import artiflow" if what == "import" else "artiflow --help"
        if base in median:
            ratio = median[ours] / median[base]
            ratios[f"{ours} / {base}"] = {"ratio": ratio, "target": target, "meets_target": ratio <= target}
    report = {
        "benchmark": "startup",
        "started": datetime.now(timezone.utc).isoformat(),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
        "repeat": args.repeat,
        "median_s": median,
        "samples_s": samples,
        "ratios": ratios,
        "not_run": [p for p in ("wandb", "dvc") if p not in pythons],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    for name, s in median.items():
        print(f"{name:<22} {s * 1000:8.1f} ms")
    for name, r in ratios.items():
        print(f"{name:<34} {r['ratio']:.2f}×  (target ≤ {r['target']}×: {'ok' if r['meets_target'] else 'MISS'})")
    print(f"load average: {report['machine']['load_average']}; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

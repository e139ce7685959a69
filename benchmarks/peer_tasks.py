"""One log by one tool, in this process: what ``bench_peers.py`` runs in each tool's own venv.

    python peer_tasks.py TOOL STORE SOURCE

``TOOL`` is ``artiflow``, ``wandb``, ``dvc`` or ``mlflow``; ``STORE`` the tool's store (an artiflow
home, a W&B directory, a DVC cache, an MLflow file store), ``SOURCE`` a directory or one file to
log as an artifact. It prints one JSON line: the seconds the log itself took in this process
(after the tool was imported and its run started; see each function) and the tool's version.
Only the standard library and the one tool are imported: the script runs in the tool's venv.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def log_artiflow(store: Path, source: Path) -> tuple[float, str]:
    import artiflow

    s = artiflow.Store.open(home=store)
    with artiflow.init(project="bench", store=s) as run:
        start = time.perf_counter()
        art = artiflow.Artifact("data", "dataset")
        if source.is_dir():
            art.add_dir(source)
        else:
            art.add_file(source)
        run.log_artifact(art)
        seconds = time.perf_counter() - start
    s.close()
    return seconds, getattr(artiflow, "__version__", "")


def log_wandb(store: Path, source: Path) -> tuple[float, str]:
    import wandb

    run = wandb.init(project="bench", mode="offline", dir=str(store))  # quiet by environment, see bench_peers
    start = time.perf_counter()
    art = wandb.Artifact("data", "dataset")
    if source.is_dir():
        art.add_dir(str(source))
    else:
        art.add_file(str(source))
    run.log_artifact(art)
    run.finish()  # offline: the artifact is written to the run's directory
    return time.perf_counter() - start, wandb.__version__


def log_dvc(store: Path, source: Path) -> tuple[float, str]:
    """``dvc add SOURCE`` in the repository that holds it; ``store`` is its cache (set in the
    repository's config by the caller)."""
    import dvc
    from dvc.repo import Repo

    root = next(p for p in source.parents if (p / ".dvc").is_dir())
    repo = Repo(str(root))
    start = time.perf_counter()
    repo.add(str(source))
    seconds = time.perf_counter() - start
    repo.close()
    return seconds, dvc.__version__


def log_mlflow(store: Path, source: Path) -> tuple[float, str]:
    import mlflow

    mlflow.set_tracking_uri(store.as_uri())
    mlflow.set_experiment("bench")  # a new file store has no default experiment
    with mlflow.start_run():
        start = time.perf_counter()
        if source.is_dir():
            mlflow.log_artifacts(str(source), artifact_path="data")
        else:
            mlflow.log_artifact(str(source), artifact_path="data")
        seconds = time.perf_counter() - start
    return seconds, mlflow.__version__


TOOLS = {"artiflow": log_artiflow, "wandb": log_wandb, "dvc": log_dvc, "mlflow": log_mlflow}


def main(argv: list[str]) -> int:
    tool, store, source = argv
    seconds, version = TOOLS[tool](Path(store), Path(source))
    print(json.dumps({"seconds": seconds, "version": version}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

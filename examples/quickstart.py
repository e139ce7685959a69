"""artiflow in five minutes, on the embedded default store (a local directory + SQLite).

Run it with ``uv run python examples/quickstart.py``. It keeps its store in ``.artiflow-quickstart/``
next to this script unless ARTIFLOW_HOME says otherwise, and starts from scratch each time.

The story: a run logs a dataset (v0); logging the same files again creates no new version; a change
creates v1; a training run uses v1 and logs a model; lineage then answers who logged and who used what.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import artiflow


def main() -> None:
    home = Path(os.environ.get("ARTIFLOW_HOME", Path(__file__).parent / ".artiflow-quickstart"))
    shutil.rmtree(home, ignore_errors=True)
    store = artiflow.Store.open(home=home)
    work = Path(tempfile.mkdtemp(prefix="artiflow-quickstart-"))
    data = work / "data"
    data.mkdir()
    (data / "train.csv").write_text("x,y\n1,2\n3,4\n")
    (data / "labels.json").write_text('{"cat": 0, "dog": 1}\n')

    print(f"store: {store}\n")

    # 1. Log a directory as a dataset: v0.
    with artiflow.init(project="quickstart", job_type="ingest", store=store) as run:
        dataset = artiflow.Artifact("pets", type="dataset", description="toy pets data")
        dataset.add_dir(data)
        run.log_artifact(dataset, aliases=["raw"])
    print(f"logged   {dataset.qualified_name}  digest={dataset.digest}  files={dataset.file_count}")
    print(f"         aliases={dataset.aliases}")

    # 2. The same content again: no new version, it stays v0.
    with artiflow.init(project="quickstart", job_type="ingest", store=store) as run:
        again = artiflow.Artifact("pets", type="dataset")
        again.add_dir(data)
        run.log_artifact(again)
    print(f"re-log   {again.qualified_name}  (unchanged content, no new version)")

    # 3. Change a file: v1, and `latest` moves to it.
    (data / "train.csv").write_text("x,y\n1,2\n3,4\n5,6\n")
    with artiflow.init(project="quickstart", job_type="ingest", store=store) as ingest:
        changed = artiflow.Artifact("pets", type="dataset")
        changed.add_dir(data)
        ingest.log_artifact(changed)
    print(f"changed  {changed.qualified_name}  aliases={changed.aliases}")

    # 4. Train: use the exact latest version, log a model.
    with artiflow.init(project="quickstart", job_type="train", store=store) as train:
        pets = train.use_artifact("pets:latest", type="dataset")
        root = pets.download(work / "download")
        rows = (Path(root) / "train.csv").read_text().count("\n") - 1
        model = artiflow.Artifact("pet-model", type="model", metadata={"rows_seen": rows})
        model.add({"weights": [0.1, 0.2], "bias": 0.3}, "weights")
        train.log_artifact(model)
    print(f"trained  {model.qualified_name} on {pets.qualified_name} ({rows} rows)")

    # 5. Lineage, from a fresh Api as another process would see it.
    api = artiflow.Api(store=store)
    v1 = api.artifact("quickstart/pets:v1")
    producer = v1.logged_by()
    print("\nlineage")
    print(f"  pets:v1 logged_by -> {producer.path if producer else None} (job_type={producer and producer.job_type})")
    print(f"  pets:v1 used_by   -> {[r.path for r in v1.used_by()]}")
    used = [a.qualified_name for a in train.used_artifacts()]
    logged = [a.qualified_name for a in train.logged_artifacts()]
    print(f"  train run used {used}, logged {logged}")
    print(f"  versions of pets: {[a.version for a in api.artifacts('dataset', 'quickstart/pets')]}")
    print(f"  model weights: {api.artifact('quickstart/pet-model:latest').get('weights')}")

    # 6. A name is bound to one type per project.
    try:
        with artiflow.init(project="quickstart", store=store) as run:
            clash = artiflow.Artifact("pets", type="model")
            clash.add_dir(data)
            run.log_artifact(clash)
    except artiflow.TypeCollisionError as exc:
        print(f"\nrefused: {exc}")

    shutil.rmtree(work, ignore_errors=True)
    store.close()


if __name__ == "__main__":
    main()

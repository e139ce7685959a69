"""Seed 003 (W&B's ``Run`` reference, Japanese): each code sample run after ``import artiflow as wandb``.

Setup around a sample only creates what it expects (files, a logged model, a ``run``). The media
samples (``Histogram``, ``Image``, ``Video``, matplotlib, ``plot.pr_curve``, ``Object3D``) are not
run: ``docs/wandb-compat.md`` says why.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import artiflow as wandb


def test_init_creates_a_run() -> None:
    run = wandb.init()

    assert run.state == "running" and wandb.run is run


def test_there_is_at_most_one_current_run() -> None:
    assert wandb.run is None

    wandb.init()

    assert wandb.run is not None


def test_finish_or_a_with_block_ends_the_run() -> None:
    wandb.init()
    wandb.finish()

    assert wandb.run is None

    with wandb.init() as run:
        pass  # データをここでログに記録

    assert wandb.run is None
    assert run.state == "finished"


def _history(run: wandb.Run) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k != "_step"} for row in run.history()]


def test_log_sections() -> None:
    run = wandb.init()  # setup: the sample logs to "run"
    run.log(
        {
            "train/accuracy": 0.9,
            "train/loss": 30,
            "validate/accuracy": 0.8,
            "validate/loss": 20,
        }
    )
    run.finish()
    assert _history(run) == [{"train/accuracy": 0.9, "train/loss": 30, "validate/accuracy": 0.8, "validate/loss": 20}]


def test_log_an_epoch_metric() -> None:
    run = wandb.init()
    # 例: X軸として使用する "epoch" メトリクスをログする方法。
    run.log({"epoch": 40, "train-loss": 0.5})
    assert run.summary == {"epoch": 40, "train-loss": 0.5}


def test_the_three_equivalent_ways_to_log_two_steps() -> None:
    runs = []
    # 通常の使用法:
    run = wandb.init(reinit="create_new")
    run.log({"train-loss": 0.5, "accuracy": 0.8})
    run.log({"train-loss": 0.4, "accuracy": 0.9})
    runs.append(run)

    # 自動インクリメントなしの暗黙のステップ:
    run = wandb.init(reinit="create_new")
    run.log({"train-loss": 0.5}, commit=False)
    run.log({"accuracy": 0.8})
    run.log({"train-loss": 0.4}, commit=False)
    run.log({"accuracy": 0.9})
    runs.append(run)

    # 明示的なステップ:
    run = wandb.init(reinit="create_new")
    current_step = 0  # setup: the sample's starting step
    run.log({"train-loss": 0.5}, step=current_step)
    run.log({"accuracy": 0.8}, step=current_step)
    current_step += 1
    run.log({"train-loss": 0.4}, step=current_step)
    run.log({"accuracy": 0.9}, step=current_step)
    runs.append(run)

    for r in runs:
        r.finish()
    expected = [{"_step": 0, "train-loss": 0.5, "accuracy": 0.8}, {"_step": 1, "train-loss": 0.4, "accuracy": 0.9}]
    assert [wandb.Api().run(r.path).history() for r in runs] == [expected] * 3


def test_log_basic_usage() -> None:
    run = wandb.init()
    run.log({"accuracy": 0.9, "epoch": 5})

    assert wandb.Api().run(run.path).summary == {"accuracy": 0.9, "epoch": 5}


def test_log_incrementally() -> None:
    run = wandb.init()
    run.log({"loss": 0.2}, commit=False)
    # 別の場所でこのステップを報告する準備ができたとき:
    run.log({"accuracy": 0.8})

    assert run.history() == [{"_step": 0, "loss": 0.2, "accuracy": 0.8}]


def test_log_refuses_what_it_cannot_store() -> None:
    run = wandb.init()
    with pytest.raises(ValueError, match="scalars"):
        run.log({"examples": [object()]})


def test_log_code_basic_usage(files: Callable[..., None]) -> None:
    files("train.py", "lib/util.py", "notes.txt", ".venv/site.py")
    run = wandb.init()  # setup

    run.log_code()

    (code,) = run.logged_artifacts()
    assert code.type == "code" and sorted(code.manifest.contents) == ["lib/util.py", "train.py"]


def test_log_code_advanced_usage(files: Callable[..., None]) -> None:
    files("proj/a.py", "proj/nb.ipynb", "proj/cache/skip.py", "proj/work/here.py")
    os.chdir("proj/work")  # setup: "../" is the project from a working directory inside it
    run = wandb.init()

    run.log_code(
        "../",
        include_fn=lambda path: path.endswith(".py") or path.endswith(".ipynb"),
        exclude_fn=lambda path, root: os.path.relpath(path, root).startswith(
            "cache/"
        ),
    )

    (code,) = run.logged_artifacts()
    assert sorted(code.manifest.contents) == ["a.py", "nb.ipynb", "work/here.py"]


def test_log_model(files: Callable[..., None], tmp_path: Path) -> None:
    # setup: the sample's "/local/directory", made under the test's directory (edit: the path)
    local_directory = tmp_path / "local" / "directory"
    files(str(local_directory / "weights.bin"))
    run = wandb.init()

    run.log_model(
        path=str(local_directory),
        name="my_model_artifact",
        aliases=["production"],
    )

    model = wandb.Api().artifact("my_model_artifact:production")
    assert model.type == "model" and list(model.manifest.contents) == ["weights.bin"]


def test_log_model_invalid_usage_raises_value_error(files: Callable[..., None], tmp_path: Path) -> None:
    local_directory = tmp_path / "local" / "directory"
    files(str(local_directory / "weights.bin"))
    run = wandb.init()
    with pytest.raises(ValueError):
        run.log_model(
            path=str(local_directory),
            name="my_entity/my_project/my_model_artifact",
            aliases=["production"],
        )


def test_link_model(files: Callable[..., None], tmp_path: Path) -> None:
    # setup: the sample's "/local/directory", made under the test's directory (edit: the path)
    local_directory = tmp_path / "local" / "directory"
    files(str(local_directory / "weights.bin"))
    run = wandb.init()

    run.link_model(
        path=str(local_directory),
        registered_model_name="my_reg_model",
        name="my_model_artifact",
        aliases=["production"],
    )

    linked = wandb.Api().artifact("model-registry/my_reg_model:production")
    assert linked.source_name == "my_model_artifact:v0" and linked.type == "model"
    assert set(linked.aliases) == {"latest", "production"}


def test_link_model_invalid_usage(files: Callable[..., None], tmp_path: Path) -> None:
    local_directory = tmp_path / "local" / "directory"
    files(str(local_directory / "weights.bin"))
    run = wandb.init()
    with pytest.raises(AssertionError):
        run.link_model(
            path=str(local_directory),
            registered_model_name="my_entity/my_project/my_reg_model",
            name="my_model_artifact",
            aliases=["production"],
        )
    with pytest.raises(ValueError):
        run.link_model(
            path=str(local_directory),
            registered_model_name="my_reg_model",
            name="my_entity/my_project/my_model_artifact",
            aliases=["production"],
        )


def test_use_model(files: Callable[..., None]) -> None:
    files("model/weights.bin")
    with wandb.init(project="my_project") as producer:  # setup: a model to use
        producer.log_model("model", name="my_model_artifact")
    digest = wandb.Api().artifact("my_project/my_model_artifact:v0").digest
    run = wandb.init(project="my_project")

    run.use_model(
        name="my_model_artifact:latest",
    )

    run.use_model(
        name="my_project/my_model_artifact:v0",
    )

    path = run.use_model(
        name=f"my_entity/my_project/my_model_artifact:{digest}",  # edit: the sample's "<digest>" placeholder
    )

    assert Path(path).read_text() == "contents of model/weights.bin\n"
    assert [a.name for a in run.used_artifacts()] == ["my_model_artifact:v0"]


def test_save(files: Callable[..., None]) -> None:
    files("these/are/myfiles/a.txt", "these/are/myfiles/b.txt", "files/x/saveme.txt", "files/y/saveme.txt")
    wandb.init()  # setup

    wandb.save("these/are/myfiles/*")
    # => run内の"these/are/myfiles/"フォルダにファイルを保存します。

    wandb.save("these/are/myfiles/*", base_path="these")
    # => run内の"are/myfiles/"フォルダにファイルを保存します。

    wandb.save("/User/username/Documents/run123/*.txt")
    # => run内の"run123/"フォルダにファイルを保存します。以下の注意を参照してください。

    wandb.save("/User/username/Documents/run123/*.txt", base_path="/User")
    # => run内の"username/Documents/run123/"フォルダにファイルを保存します。

    wandb.save("files/*/saveme.txt")
    # => 各 "saveme.txt" ファイルを "files/" の適切なサブディレクトリに保存します。

    run = wandb.run
    assert run is not None
    Path("files/x/saveme.txt").write_text("edited after save\n")  # policy "live": the end state is kept
    wandb.finish()
    saved = wandb.Api().artifact(f"run-{run.id}-files:latest")
    assert sorted(saved.manifest.contents) == [
        "are/myfiles/a.txt", "are/myfiles/b.txt", "files/x/saveme.txt", "files/y/saveme.txt",
        "these/are/myfiles/a.txt", "these/are/myfiles/b.txt",
    ]
    assert Path(saved.download(), "files/x/saveme.txt").read_text() == "edited after save\n"


def test_save_names_absolute_globs_as_the_reference_says() -> None:
    """The two absolute samples above match nothing on this machine; their naming rule, checked on real files."""
    from artiflow.runfiles import save_name

    assert save_name("/User/username/Documents/run123/a.txt", None, "/User/username/Documents/run123/*.txt") == "run123/a.txt"
    assert save_name("/User/username/Documents/run123/a.txt", "/User", "/User/username/Documents/run123/*.txt") == (
        "username/Documents/run123/a.txt"
    )


def test_run_attributes(tmp_path: Path) -> None:
    run = wandb.init(
        project="p", entity="team", name="first", group="g", job_type="train", tags=["a", "b"], notes="why",
        config={"lr": 0.1}, dir=str(tmp_path / "d"),
    )
    run.config.update({"epochs": 3})
    run.summary["best"] = 0.9
    run.log({"loss": 1.0})
    again = wandb.Api().run("team/p/" + run.id)
    assert (again.entity, again.project, again.name, again.group, again.job_type) == ("team", "p", "first", "g", "train")
    assert (again.tags, again.notes) == (("a", "b"), "why")
    assert again.config == {"lr": 0.1, "epochs": 3}
    assert again.summary == {"best": 0.9, "loss": 1.0}
    assert run.url.startswith("file://") and run.dir == str(tmp_path / "d")
    assert abs(run.start_time - again.created_at.timestamp()) < 1 and run.step == 1


def test_init_keywords() -> None:
    first = wandb.init(project="p", id="fixed", config={"a": 1})
    assert wandb.init(reinit="return_previous") is first
    first.finish()
    resumed = wandb.init(project="p", id="fixed", resume="must", config={"b": 2})
    assert resumed.resumed and resumed.config == {"a": 1, "b": 2}
    with pytest.raises(wandb.ArtiflowError, match="already exists"):
        wandb.init(project="p", id="fixed", resume="never", reinit="create_new")
    second = wandb.init(reinit="finish_previous")
    assert wandb.run is second and wandb.Api().run("p/fixed").state == "finished"
    off = wandb.init(mode="disabled", reinit="create_new")
    off.log({"x": 1})
    assert off.log_artifact("anything") == "anything" and wandb.run is second

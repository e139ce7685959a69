"""The README's "W&B drop-in" example runs as written and does what its comments say."""

from __future__ import annotations

from pathlib import Path

import artiflow

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_drop_in_example_runs() -> None:
    section = README.read_text().split("## W&B drop-in", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    (run,) = artiflow.Api().runs("pets")
    assert run.state == "finished" and run.entity == "team" and run.tags == ("baseline",)
    assert run.config == {"lr": 0.01, "epochs": 2} and run.summary == {"epoch": 1, "loss": 0.5}
    labels = artiflow.Api().artifact("pets/labels:latest")
    assert labels.get("labels").data == [[1, "cat"], [2, "dog"]]
    blank = labels.get("blank")
    assert isinstance(blank, artiflow.Image) and blank.caption == "blank" and blank.image.size == (8, 8)
    paths = sorted(e.path for e in labels.files())
    assert paths[:2] == ["blank.image-file.json", "labels.table.json"] and paths[2].startswith("media/images/")


def test_the_readme_registry_example_runs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    section = README.read_text().split("## W&B drop-in", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n")[2].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    scratch = artiflow.Api().artifact("pets/scratch:latest")
    assert scratch.ttl is not None and scratch.ttl.days == 7
    assert artiflow.Api().artifact("model-registry/pet-detector:latest").source_name == "detector:v0"
    production = artiflow.Api().artifact("model-registry/pet-detector:production")
    assert set(production.aliases) == {"latest", "staging", "production"}
    assert artiflow.Api().artifact("pets/detector:v0").aliases == ["latest"]

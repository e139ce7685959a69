"""The README's "Formats and serializers" example runs as written and does what its comments say."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import artiflow

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_serializer_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.read_text().split("## Formats and serializers", 1)[1].split("\n## ", 1)[0]
    module, script = (block.split("```", 1)[0] for block in section.split("```python\n")[1:3])
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "formats.py").write_text(module)
    monkeypatch.syspath_prepend(str(tmp_path))
    exec(compile(script, "README.md", "exec"), {})
    orders = artiflow.Api().artifact("sales/orders:latest")
    assert sorted(e.path for e in orders.files()) == ["fast.parquet", "orders.csv"]
    expected = pd.DataFrame({"region": ["north", "south"], "units": [3, 5]})
    pd.testing.assert_frame_equal(orders.get("orders"), expected)
    pd.testing.assert_frame_equal(orders.get("fast"), expected)

"""The UI benchmark at a tiny size, without the browser: the script works and reports every page.
No speed is asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the UI benchmark needs the 'ui' extra")

pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import bench_ui  # noqa: E402


def test_bench_ui_reports_every_page(tmp_path: Path) -> None:
    out = tmp_path / "ui.json"
    assert bench_ui.main(["--versions", "30", "--files", "300", "--repeat", "1", "--no-browser",
                          "--root", str(tmp_path / "root"), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert len(report["pages"]) == 7
    assert all(row["best_ms"] > 0 and row["ratio"] > 0 for row in report["pages"])
    assert "cold_ms" in next(r for r in report["pages"] if "first view" in r["page"])

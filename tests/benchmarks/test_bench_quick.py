"""``benchmarks/bench_core.py --quick`` runs end to end and reports every scenario.

This checks the benchmark works, not how fast artiflow is: ratios must exist and be positive,
whatever the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_core.py"
SCENARIOS = {
    "first_log_dir", "first_log_file", "first_log_file_xxh128", "relog_dir",
    "download_dir", "download_file",
    "download_dir_unverified", "download_file_unverified",
}


@pytest.mark.slow
def test_quick_run_reports_a_positive_ratio_for_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    work = tmp_path / "work"
    proc = subprocess.run(
        # one sample per side: every file the run writes must be deleted again, which is slow on
        # some virtual disks (ext4 mounted with ``discard``)
        [sys.executable, str(BENCH), "--quick", "--repeat", "1", "--out", str(out), "--workdir", str(work)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr

    report = json.loads(out.read_text())
    assert set(report["scenarios"]) == SCENARIOS
    assert report["meta"]["quick"] is True
    for name, s in report["scenarios"].items():
        assert s["ratio"] > 0, name
        assert s["ratios"] and all(r > 0 for r in s["ratios"].values()), name
        assert s["ratios"][s["target"]["baseline"]] == s["ratio"], name
        assert s["meets_target"] == (s["ratio"] <= s["target"]["max_ratio"]), name
        assert len(s["subject"]["samples_s"]) == report["meta"]["repeat"], name
        assert s["peak_rss_mib"] > 0, name
        assert name in proc.stdout  # the table has a row for it
    assert set(report["scenarios"]["download_dir"]["ratios"]) == {"cp -r", "md5"}
    for name in ("first_log_dir", "first_log_file"):  # the cost of durable commits, measured in the same run
        assert set(report["scenarios"][name]["ratios"]) == {"md5", "not durable"}, name
    assert set(report["scenarios"]["first_log_file_xxh128"]["ratios"]) == {
        "cp", "cp + fdatasync", "xxh128", "md5", "not durable"
    }
    assert list(work.iterdir()) == []  # the scratch data is cleaned up

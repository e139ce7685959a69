"""Progress callbacks: bytes within large files, files through ``files()``, on every backend."""

from __future__ import annotations

import os
from pathlib import Path

import artiflow


class Recorder:
    """A progress callback that also wants file counts (the ``files`` method)."""

    def __init__(self) -> None:
        self.bytes: list[tuple[int, int]] = []
        self.files_seen: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.bytes.append((done, total))

    def files(self, done: int, total: int) -> None:
        self.files_seen.append((done, total))


def test_log_and_download_report_bytes_within_a_large_file_and_files(
    store: artiflow.Store, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "big.bin").write_bytes(os.urandom(1 << 20) * 40)  # 40 MiB: many chunks
    for i in range(3):
        (src / f"small{i}.txt").write_text(f"{i}\n")
    total = (40 << 20) + 6
    art = artiflow.Artifact("data", "dataset")
    art.add_dir(src)
    put = Recorder()
    with artiflow.init(store=store) as run:
        run.log_artifact(art, progress=put)
    dones = [d for d, _ in put.bytes]
    assert dones == sorted(dones) and put.bytes[-1] == (total, total)
    assert any((1 << 20) <= d < (40 << 20) for d in dones)  # mid-file, chunk by chunk
    assert put.files_seen[-1] == (4, 4) and len(put.files_seen) == len(put.bytes)

    got = Recorder()
    art.download(tmp_path / "out", progress=got)
    assert got.bytes[-1] == (total, total) and got.files_seen[-1] == (4, 4)
    assert [d for d, _ in got.bytes] == sorted(d for d, _ in got.bytes)
    assert len(got.bytes) > 4  # the big file is reported as it is copied, not only at its end


def test_a_plain_two_argument_callback_still_works(store: artiflow.Store, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    seen: list[tuple[int, int]] = []
    with artiflow.init(store=store) as run:
        run.log_artifact(str(tmp_path / "a.txt"), name="a", type="t", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(6, 6)]

"""What a user sees on a terminal versus a pipe, through a real pseudo-terminal and the real executable.

A terminal gets padded tables, colour and (for transfers longer than a second) a progress bar on
stderr; a pipe gets tab-separated lines and no control sequences at all.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ESC = "\x1b["
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Output:
    code: int
    stdout: str
    stderr: str

    def plain(self, stream: str) -> str:
        """The text of a stream with control sequences removed and redraws split into lines."""
        return ANSI.sub("", getattr(self, stream)).replace("\r", "\n")


def run(*args: str | Path, home: Path, stdout_tty: bool = True, stderr_tty: bool = True) -> Output:
    """Run ``python -m artiflow.cli`` with stdout and/or stderr on a pseudo-terminal (120 columns)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    ptys: dict[str, tuple[int, int]] = {}
    for name, wanted in (("stdout", stdout_tty), ("stderr", stderr_tty)):
        if wanted:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
            ptys[name] = (master, slave)
    proc = subprocess.Popen(
        [sys.executable, "-m", "artiflow.cli", "--home", str(home), *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=ptys["stdout"][1] if "stdout" in ptys else subprocess.PIPE,
        stderr=ptys["stderr"][1] if "stderr" in ptys else subprocess.PIPE,
        env=env,
    )
    captured: dict[str, bytes] = {}

    def drain(name: str, fd: int) -> None:
        chunks = []
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its end of the terminal
                break
            if not data:
                break
            chunks.append(data)
        captured[name] = b"".join(chunks)

    readers = []
    for name, (master, slave) in ptys.items():
        os.close(slave)
        readers.append(threading.Thread(target=drain, args=(name, master)))
    for name in ("stdout", "stderr"):
        pipe = getattr(proc, name)
        if pipe is not None:
            readers.append(threading.Thread(target=drain, args=(name, pipe.fileno())))
    for t in readers:
        t.start()
    code = proc.wait(timeout=300)
    for t in readers:
        t.join(timeout=60)
    for master, _ in ptys.values():
        os.close(master)
    for name in ("stdout", "stderr"):
        pipe = getattr(proc, name)
        if pipe is not None:
            pipe.close()
    text = {k: v.decode("utf-8", "replace").replace("\r\n", "\n") for k, v in captured.items()}
    return Output(code, text.get("stdout", ""), text.get("stderr", ""))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def small_files(tmp_path: Path) -> Path:
    """5,000 files of 20 bytes in 50 directories."""
    root = tmp_path / "many"
    for d in range(50):
        (root / f"d{d:02}").mkdir(parents=True)
        for i in range(100):
            (root / f"d{d:02}" / f"f{i:03}.txt").write_text(f"file {d:02}/{i:03} ....\n")
    return root


def test_listing_on_a_terminal_is_a_padded_table_and_piped_is_tab_separated(home: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("hello\n")
    assert run("put", data, "-n", "cats", "-a", "raw", home=home).code == 0

    tty = run("ls", home=home)
    assert tty.code == 0
    assert ESC in tty.stdout  # bold title, styled header
    plain = tty.plain("stdout")
    assert "Artifacts in uncategorized" in plain
    assert re.search(r"cats +dataset +1 +v0 +latest, raw +6 B", plain), plain
    assert "\t" not in plain

    piped = run("ls", home=home, stdout_tty=False)
    assert piped.code == 0 and ESC not in piped.stdout
    assert piped.stdout == "name\ttype\tversions\tlatest\taliases\tsize\ncats\tdataset\t1\tv0\tlatest, raw\t6 B\n"

    as_json = run("ls", "--json", home=home)  # JSON stays plain on a terminal too
    assert ESC not in as_json.stdout and as_json.stdout.lstrip().startswith("[")


@pytest.mark.slow
def test_progress_for_5000_small_files_on_a_terminal(home: Path, small_files: Path, tmp_path: Path) -> None:
    # --progress-delay 0: the bar appears from the first file, whatever this machine's speed.
    put = run("--progress-delay", "0", "put", small_files, "-n", "many", home=home, stdout_tty=False)
    assert put.code == 0, put.stderr
    frames = put.plain("stderr")
    assert "Storing" in frames
    counts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+)/5,000 files", frames)]
    assert counts and counts[-1] == 5000 and counts == sorted(counts)
    assert len(set(counts)) > 2  # redrawn as files go by, not once at the end
    assert re.search(r"[\d.]+ KiB/83\.0 KiB", frames)  # bytes in IEC units, as in the summary below
    assert re.search(r"\d+:\d\d:\d\d", frames)  # an ETA
    assert "files:   5,000 (83.0 KiB)" in put.stdout
    assert ESC not in put.stdout  # the bar never reaches the piped stdout

    get = run("--progress-delay", "0", "get", "many", "--root", tmp_path / "out", home=home, stdout_tty=False)
    assert get.code == 0, get.stderr
    assert "Downloading" in get.plain("stderr") and "5,000/5,000 files" in get.plain("stderr")
    assert "Downloaded uncategorized/many:v0 (5,000 files, 83.0 KiB)" in get.plain("stderr")
    assert get.stdout == f"{tmp_path / 'out'}\n"


def test_large_file_progress_moves_within_the_file(home: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.write(os.urandom(1 << 20) * 48)  # 48 MiB
    put = run("--progress-delay", "0", "put", big, home=home, stdout_tty=False)
    assert put.code == 0, put.stderr
    done = re.findall(r"([\d.]+) MiB/48\.0 MiB", put.plain("stderr"))
    assert any(0 < float(d) < 48 for d in done), done  # seen part-way through the one file
    assert "0/1 files" in put.plain("stderr") and " MB" not in put.plain("stderr")
    assert "files:   1 (48.0 MiB)" in put.stdout


def test_no_bar_when_quiet_piped_or_quick(home: Path, tmp_path: Path) -> None:
    few = tmp_path / "few"
    few.mkdir()
    for i in range(200):
        (few / f"f{i:03}.txt").write_text(f"file {i:03}\n")
    quiet = run("--progress-delay", "0", "put", few, "-n", "many", "--quiet", home=home)
    assert quiet.code == 0 and quiet.stderr == ""
    assert quiet.plain("stdout").strip() == "uncategorized/many:v0"

    piped = run("--progress-delay", "0", "get", "many", "--root", tmp_path / "o1", home=home,
                stdout_tty=False, stderr_tty=False)
    assert piped.code == 0
    assert piped.stderr == "Downloaded uncategorized/many:v0 (200 files, 1.8 KiB)\n"  # no bar, no escapes

    one = tmp_path / "one.txt"
    one.write_text("quick\n")
    quick = run("put", one, home=home)  # the default delay: a transfer this short shows nothing
    assert quick.code == 0 and "Storing" not in quick.stderr

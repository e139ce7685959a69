"""Every failure a user can cause prints one clear line and exits 1; ``--debug`` shows the traceback."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from artiflow.cli import app


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line(result: Result, *fragments: str) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    err = result.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err, err
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in err, (f, err)
    return err


@pytest.fixture
def logged(make_tree: Callable[..., Path], tmp_path: Path) -> Path:
    """A store holding cats:v0 (one file a.txt); returns the store home."""
    src = make_tree({"a.txt": "hello\n"})
    assert cli("put", src, "--name", "cats").exit_code == 0
    return tmp_path / "home"


def test_an_unreachable_database_is_one_line_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTIFLOW_DATABASE_URL", "postgresql+psycopg://alice:s3cret-pw@127.0.0.1:1/artiflow")
    err = one_line(cli("ls"), "Cannot use the metadata database", "127.0.0.1", "ARTIFLOW_DATABASE_URL")
    assert "s3cret-pw" not in err


def test_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTIFLOW_SQLITE_BUSY_TIMEOUT", "soon")
    one_line(cli("ls"), "ARTIFLOW_SQLITE_BUSY_TIMEOUT", "'soon'")
    monkeypatch.delenv("ARTIFLOW_SQLITE_BUSY_TIMEOUT")
    monkeypatch.setenv("ARTIFLOW_STORAGE_OPTIONS", "{not json")
    one_line(cli("ls"), "ARTIFLOW_STORAGE_OPTIONS")


def test_a_corrupt_database_file_is_one_line_and_debug_shows_the_traceback(logged: Path) -> None:
    db = logged / "artiflow.db"
    for extra in logged.glob("artiflow.db-*"):
        extra.unlink()
    db.write_bytes(b"this is not a database" * 100)
    one_line(cli("ls"), str(db), "not a database")
    debug = cli("--debug", "ls")
    assert debug.exit_code != 0 and not isinstance(debug.exception, SystemExit)
    assert "not a database" in str(debug.exception)


def test_a_missing_blob_names_the_version_and_the_entry(logged: Path, tmp_path: Path) -> None:
    blob = logged / "objects" / "md5" / "b1" / "946ac92492d2347c6235b4d2611184"  # md5 of "hello\n"
    blob.unlink()
    one_line(cli("get", "cats:v0", "--root", tmp_path / "out"), "cats:v0", "'a.txt'", "missing")


@pytest.mark.skipif(os.name == "nt", reason="POSIX file names are bytes")
def test_a_file_name_that_is_not_utf8_is_refused_before_uploading(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text("fine\n")
    with open(os.path.join(os.fsencode(src), b"caf\xe9.txt"), "wb") as f:
        f.write(b"latin-1 name\n")
    one_line(cli("put", src, "--name", "cats"), "caf\\xe9.txt", "UTF-8")
    objects = tmp_path / "home" / "objects"
    assert not objects.exists() or not any(p.is_file() for p in objects.rglob("*"))

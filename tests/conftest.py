"""Shared fixtures: every test gets its own store home and working directory.

The ``store`` and ``backend`` fixtures run a test on every backend: the embedded default (SQLite
+ local disk) and PostgreSQL + S3. The latter needs two servers, named by environment variables
read once here (the per-test isolation below clears every ``ARTIFLOW_*`` variable):

- ``ARTIFLOW_TEST_POSTGRES_URL``: a role that may CREATE DATABASE, e.g.
  ``postgresql+psycopg://artiflow:artiflow@127.0.0.1:5432/postgres``
- ``ARTIFLOW_TEST_S3_ENDPOINT``: an S3-compatible server, e.g. ``http://127.0.0.1:5555``
  (``moto_server -H 127.0.0.1 -p 5555``)

``.ci/run`` starts both; run by hand without them, those test variants are skipped.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import artiflow

POSTGRES_URL = os.environ.get("ARTIFLOW_TEST_POSTGRES_URL")
S3_ENDPOINT = os.environ.get("ARTIFLOW_TEST_S3_ENDPOINT")
S3_BUCKET = "artiflow-tests"
SKIP_REMOTE = (
    "PostgreSQL + S3 backend not configured: set ARTIFLOW_TEST_POSTGRES_URL (a role allowed to CREATE "
    "DATABASE) and ARTIFLOW_TEST_S3_ENDPOINT (an S3-compatible server such as moto_server); .ci/run starts both."
)


@dataclass
class Backend:
    """Where a test's store lives; ``env`` configures a subprocess to open the same store."""

    name: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        return self.name != "local"

    def open(self) -> artiflow.Store:
        settings = artiflow.Settings(**_settings_from_env(self.env))
        return artiflow.Store.open(settings)


def _settings_from_env(env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in env.items():
        field_name = key.removeprefix("ARTIFLOW_").lower()
        out[field_name] = json.loads(value) if field_name == "storage_options" else value
    return out


@pytest.fixture(scope="session")
def _postgres_db() -> Iterator[str]:
    """One database for the session, emptied before each test (much faster than one per test)."""
    import sqlalchemy as sa

    assert POSTGRES_URL is not None
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"artiflow_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    artiflow.metadata.MetadataStore(url).close()  # creates the schema once
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty(url: str) -> None:
    import sqlalchemy as sa

    from artiflow.metadata import schema

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in schema.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def _s3_bucket() -> str:
    import s3fs

    assert S3_ENDPOINT is not None
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": S3_ENDPOINT})
    if not fs.exists(S3_BUCKET):
        try:
            fs.mkdir(S3_BUCKET)
        except FileExistsError:  # another pytest-xdist worker made it first
            pass
    return S3_BUCKET


@pytest.fixture(scope="session")
def _empty_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A metadata database at the current schema, made once: a copy opens many times faster than
    a new database, which Alembic creates and stamps (most tests open a fresh store)."""
    home = tmp_path_factory.mktemp("empty-store")
    artiflow.Store.open(home=home).close()
    return home / "artiflow.db"


def _home_with_empty_database(template: Path, home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    if not (home / template.name).exists():  # a test may ask for store and local_store both
        shutil.copyfile(template, home / template.name)
    return home


@pytest.fixture(params=["local", "postgres+s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    home = str(tmp_path / "home")
    if request.param == "local":
        _home_with_empty_database(request.getfixturevalue("_empty_sqlite"), tmp_path / "home")
        yield Backend("local", {"ARTIFLOW_HOME": home})
        return
    if not (POSTGRES_URL and S3_ENDPOINT):
        pytest.skip(SKIP_REMOTE)
    for key, default in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                         ("AWS_DEFAULT_REGION", "us-east-1")):
        if not os.environ.get(key):
            monkeypatch.setenv(key, default)
    url = request.getfixturevalue("_postgres_db")
    bucket = request.getfixturevalue("_s3_bucket")
    _empty(url)
    env = {
        "ARTIFLOW_HOME": home,
        "ARTIFLOW_DATABASE_URL": url,
        "ARTIFLOW_STORAGE_URL": f"s3://{bucket}/{uuid.uuid4().hex}",
        "ARTIFLOW_STORAGE_OPTIONS": json.dumps({"client_kwargs": {"endpoint_url": S3_ENDPOINT}}),
    }
    for key, value in env.items():  # so Api(), Store.open() and subprocesses all see this backend
        monkeypatch.setenv(key, value)
    yield Backend("postgres+s3", env)
    # A store left open keeps connections to the session's database; collected here, the
    # ResourceWarning names the test that leaked it rather than whichever test runs next.
    gc.collect()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches ~/.artiflow or the repo: ARTIFLOW_HOME and the cwd live under tmp_path."""
    for key in list(os.environ):
        if key.startswith("ARTIFLOW_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ARTIFLOW_HOME", str(tmp_path / "home"))
    # botocore must never go looking for cloud instance credentials: only loopback servers here.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(autouse=True)
def _no_current_run_left() -> Iterator[None]:
    """A sample that leaves ``artiflow.run`` open (as W&B scripts do) has it finished after the test."""
    yield
    if artiflow.run is not None:
        artiflow.finish()


def _finish_current_run_of(store: artiflow.Store) -> None:
    """Finish a test's ``artiflow.run`` on ``store`` while the store is still open (and its database exists)."""
    current = artiflow.run
    if current is not None and getattr(current, "store", None) is store:
        artiflow.finish()


@pytest.fixture
def store(backend: Backend) -> Iterator[artiflow.Store]:
    """A fresh store on each backend (see the module docstring)."""
    s = backend.open()
    yield s
    _finish_current_run_of(s)
    s.close()


@pytest.fixture
def local_store(tmp_path: Path, _empty_sqlite: Path) -> Iterator[artiflow.Store]:
    """A fresh embedded store, for tests about the local disk or SQLite themselves."""
    s = artiflow.Store.open(home=_home_with_empty_database(_empty_sqlite, tmp_path / "home"))
    yield s
    _finish_current_run_of(s)
    s.close()


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[..., Path]:
    """``make_tree({"a.txt": "hello\\n", "sub/b.bin": b"..."})`` writes files and returns the root."""
    counter = iter(range(10_000))

    def make(files: dict[str, str | bytes], root: Path | None = None) -> Path:
        base = root or tmp_path / f"tree{next(counter)}"
        for rel, content in files.items():
            p = base / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content)
        base.mkdir(parents=True, exist_ok=True)
        return base

    return make


@pytest.fixture
def log(make_tree: Callable[..., Path]) -> Callable[..., artiflow.Artifact]:
    """Log one artifact in a run of its own and return it: the step most tests begin with.

    - ``log(store, art)`` logs a draft in project ``p``;
    - ``log(store, "cats", {"f.txt": "1"})`` first builds a ``dataset`` draft from those files
      (``make_tree``), ``log(store, "cats", some_dir)`` from a directory;
    - ``type=``, ``project=`` and ``run=`` (keyword arguments of ``artiflow.init``, e.g.
      ``{"job_type": "ingest"}``) pick the rest; other keyword arguments go to ``log_artifact``
      (``aliases=["best"]``, ``tags=[…]``).
    """

    def log_one(
        store: artiflow.Store,
        artifact: artiflow.Artifact | str,
        files: Mapping[str, str | bytes] | Path | None = None,
        /,
        *,
        type: str = "dataset",  # noqa: A002 - the Artifact argument's own name
        project: str = "p",
        run: Mapping[str, Any] | None = None,
        **log_kw: Any,
    ) -> artiflow.Artifact:
        art = artiflow.Artifact(artifact, type) if isinstance(artifact, str) else artifact
        if files is not None:
            art.add_dir(files if isinstance(files, Path) else make_tree(dict(files)))
        with artiflow.init(project=project, store=store, **(run or {})) as r:
            return r.log_artifact(art, **log_kw)

    return log_one


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "local_only: the test inspects the embedded store's own files (SQLite, local blobs)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``local_only`` run on the embedded backend only (not collected for the others)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        remote = callspec is not None and callspec.params.get("backend") == "postgres+s3"
        (drop if remote and item.get_closest_marker("local_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

"""One settings model, read from ``ARTIFLOW_*`` environment variables; explicit arguments win.

- ``ARTIFLOW_HOME``: store root on the local disk (default ``~/.artiflow``)
- ``ARTIFLOW_PROJECT``: project used when none is given (default ``uncategorized``)
- ``ARTIFLOW_DATABASE_URL``: SQLAlchemy URL of the metadata database
  (default ``sqlite:///$ARTIFLOW_HOME/artiflow.db``; ``postgresql+psycopg://…`` for teams)
- ``ARTIFLOW_STORAGE_URL``: fsspec URL where blobs and manifests live (default ``$ARTIFLOW_HOME/objects``;
  ``s3://bucket/prefix``, ``gs://…``)
- ``ARTIFLOW_STORAGE_OPTIONS``: JSON options for that fsspec filesystem (default ``{}``)
- ``ARTIFLOW_TRANSFER_WORKERS``: concurrent blob transfers (default 8)
- ``ARTIFLOW_DURABLE``: a committed version survives a power loss (default on): blobs on a local disk
  are synced before the commit that publishes them, and SQLite commits with ``synchronous=FULL``;
  ``0`` for scratch stores (tests, caches) trades that for speed
- ``ARTIFLOW_CACHE_DIR``: machine-local caches, file digests (default ``$ARTIFLOW_HOME/cache``)
- ``ARTIFLOW_ARTIFACT_DIR``: where ``download()`` puts files by default (default ``./artifacts``)
- ``ARTIFLOW_SQLITE_BUSY_TIMEOUT``: seconds a SQLite writer waits for the lock (default 60)
- ``ARTIFLOW_OPENLINEAGE_TRANSPORT``: emit each run as OpenLineage events: ``none`` (default), ``console``
  (logged at INFO), ``file`` (JSON lines) or ``http`` (needs ``artiflow[openlineage]``)
- ``ARTIFLOW_OPENLINEAGE_URL`` / ``ARTIFLOW_OPENLINEAGE_ENDPOINT``: the HTTP consumer, e.g. Marquez at
  ``http://localhost:5000`` (endpoint default ``api/v1/lineage``); ``ARTIFLOW_OPENLINEAGE_API_KEY`` sends a
  bearer token; ``ARTIFLOW_OPENLINEAGE_TIMEOUT`` seconds per request (default 5)
- ``ARTIFLOW_OPENLINEAGE_FILE``: where the file transport appends (default ``$ARTIFLOW_HOME/openlineage.jsonl``)
- ``ARTIFLOW_HEARTBEAT_INTERVAL``: seconds between an open run's heartbeats (default 30)
- ``ARTIFLOW_HEARTBEAT_TIMEOUT``: seconds without a heartbeat after which another host reads a running
  run as ``crashed`` (default 300; on the run's own host a vanished process reads as crashed at once)
- ``ARTIFLOW_UI_URL``: where ``artiflow ui`` is served, so that ``run.url`` links to the run's page
- ``ARTIFLOW_OPENLINEAGE_NAMESPACE``: dataset namespace (default ``artiflow://`` + the database's location)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the store lives and the defaults artiflow uses.

    >>> Settings(home="/tmp/store").database
    'sqlite:////tmp/store/artiflow.db'
    """

    model_config = SettingsConfigDict(env_prefix="ARTIFLOW_", frozen=True, extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".artiflow")
    project: str = "uncategorized"
    database_url: str | None = None
    storage_url: str | None = None
    cache_dir: Path | None = None
    artifact_dir: Path = Path("artifacts")
    sqlite_busy_timeout: float = 60.0
    storage_options: dict[str, Any] = Field(default_factory=dict)
    transfer_workers: int = 8
    durable: bool = True
    openlineage_transport: Literal["none", "console", "file", "http"] = "none"
    openlineage_url: str | None = None
    openlineage_endpoint: str = "api/v1/lineage"
    openlineage_api_key: SecretStr | None = None
    openlineage_timeout: float = 5.0
    openlineage_file: Path | None = None
    openlineage_namespace: str | None = None
    heartbeat_interval: float = 30.0
    heartbeat_timeout: float = 300.0
    ui_url: str | None = None

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.home.expanduser().absolute()}/artiflow.db"

    @property
    def storage(self) -> str:
        return self.storage_url or str(self.home.expanduser().absolute() / "objects")

    @property
    def cache(self) -> Path:
        return (self.cache_dir or self.home / "cache").expanduser().absolute()

"""One settings model, read from ``ARTIFLOW_*`` environment variables; explicit arguments win.

=========================  ===========================================  ==============================
variable                   meaning                                      default
=========================  ===========================================  ==============================
``ARTIFLOW_HOME``          store root on the local disk                 ``~/.artiflow``
``ARTIFLOW_PROJECT``       project used when none is given              ``uncategorized``
``ARTIFLOW_DATABASE_URL``  SQLAlchemy URL of the metadata database      ``sqlite:///$ARTIFLOW_HOME/artiflow.db``
``ARTIFLOW_STORAGE_URL``   fsspec URL where blobs and manifests live    ``$ARTIFLOW_HOME/objects``
``ARTIFLOW_CACHE_DIR``     machine-local caches (file digests)          ``$ARTIFLOW_HOME/cache``
``ARTIFLOW_ARTIFACT_DIR``  where ``download()`` puts files by default   ``./artifacts``
=========================  ===========================================  ==============================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    transfer_workers: int = 8

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.home.expanduser().absolute()}/artiflow.db"

    @property
    def storage(self) -> str:
        return self.storage_url or str(self.home.expanduser().absolute() / "objects")

    @property
    def cache(self) -> Path:
        return (self.cache_dir or self.home / "cache").expanduser().absolute()

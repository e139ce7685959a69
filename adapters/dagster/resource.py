"""``ArtiflowResource``: which artiflow store and project a Dagster code location uses.

>>> import dagster as dg
>>> from artiflow.adapters.dagster import ArtiflowIOManager
>>> store = ArtiflowResource(project="ml", home=dg.EnvVar("ARTIFLOW_HOME"))
>>> defs = dg.Definitions(resources={"artiflow": store, "io_manager": ArtiflowIOManager(artiflow=store)})

Unset fields fall back to artiflow's own settings (``ARTIFLOW_*`` environment variables). The
store opens on first use in each process and closes when Dagster tears the resource down.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

import artiflow
from artiflow import Api, Settings, Store


class ArtiflowResource(dg.ConfigurableResource):  # type: ignore[type-arg]  # Dagster documents it unparameterized
    """An artiflow store (and default project) as a Dagster resource."""

    project: str | None = Field(default=None, description="Project for runs and artifacts (ARTIFLOW_PROJECT).")
    home: str | None = Field(default=None, description="Store root on the local disk (ARTIFLOW_HOME).")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the metadata database.")
    storage_url: str | None = Field(default=None, description="fsspec URL where blobs and manifests live.")

    _store: Store | None = PrivateAttr(default=None)

    @property
    def store(self) -> Store:
        """This process's store, opened on first use."""
        if self._store is None:
            self._store = Store.open(
                Settings(), home=self.home, database_url=self.database_url, storage_url=self.storage_url
            )
        return self._store

    @property
    def project_name(self) -> str:
        return self.project or self.store.settings.project

    def api(self) -> Api:
        """An ``artiflow.Api`` on this store, for queries from asset bodies or sensors."""
        return Api(store=self.store)

    def init(self, **kwargs: Any) -> artiflow.Run:
        """A run on this store and project (keyword arguments as for ``artiflow.Run.start``)."""
        kwargs.setdefault("project", self.project_name)
        return artiflow.Run.start(store=self.store, **kwargs)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

"""The metadata store: collections, versions, aliases, runs and lineage edges in SQL."""

from .records import CollectionRecord, EdgeRecord, NewVersion, RunRecord, VersionEdit, VersionRecord
from .store import MetadataStore

__all__ = ["CollectionRecord", "EdgeRecord", "MetadataStore", "NewVersion", "RunRecord", "VersionEdit", "VersionRecord"]

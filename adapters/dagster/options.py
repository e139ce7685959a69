"""Per-asset settings, read from Dagster metadata under flat ``artiflow/*`` keys.

On an asset (``@dg.asset(metadata={...})``, ``dg.AssetOut(metadata=...)``, ``dg.Out(metadata=...)``):

==========================  ==================================================================
key                         meaning
==========================  ==================================================================
``artiflow/name``           artifact name instead of the one derived from the asset key
``artiflow/type``           artifact type (default: the IO manager's ``default_type``)
``artiflow/description``    version description (default: the asset's description)
``artiflow/aliases``        aliases to put on every new version (``latest`` is always added)
``artiflow/tags``           tags to put on every new version
``artiflow/serializer``     ``json``, ``numpy``, ``parquet``, ``pandas`` (JSON), ``pickle`` (pickle
                            only here or with the IO manager's ``allow_pickle``), or the import
                            path of a serializer of your own (``mypkg.formats:CSV``)
==========================  ==================================================================

On an input (``dg.AssetIn(metadata={...})``, ``dg.In(metadata=...)``): ``artiflow/version``
(``vN`` or a digest) or ``artiflow/alias`` picks the version to load when the upstream did not run
in this Dagster run (or its parent), and ``artiflow/allow_missing_partitions`` skips partitions
that have no version. The same two keys, and ``artiflow/project``, on an upstream definition (as
:func:`artifact_source_asset` sets them) are the defaults for every input that loads it.

Dagster's definition metadata is shared by every materialization in a process, so it is copied
here and never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from artiflow import names

PREFIX = "artiflow/"


def _raw(value: Any) -> Any:
    """Metadata may arrive as ``MetadataValue`` objects or as the raw values the user wrote."""
    return value.value if isinstance(value, dg.MetadataValue) else value


def _strings(value: Any, key: str) -> tuple[str, ...]:
    value = _raw(value)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError(f"Metadata {key!r} must be a string or a list of strings, not {value!r}.")


def _string(value: Any, key: str) -> str | None:
    value = _raw(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"Metadata {key!r} must be a string, not {value!r}.")


@dataclass(frozen=True)
class OutputOptions:
    name: str | None = None
    type: str | None = None
    description: str | None = None
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    serializer: str | None = None
    project: str | None = None

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> OutputOptions:
        md = dict(metadata or {})
        name = _string(md.get(PREFIX + "name"), "artiflow/name")
        return cls(
            name=names.artifact_name(name) if name is not None else None,
            type=_string(md.get(PREFIX + "type"), "artiflow/type"),
            description=_string(md.get(PREFIX + "description"), "artiflow/description"),
            aliases=tuple(names.aliases(_strings(md.get(PREFIX + "aliases"), "artiflow/aliases"))),
            tags=tuple(names.tags(_strings(md.get(PREFIX + "tags"), "artiflow/tags"))),
            serializer=_string(md.get(PREFIX + "serializer"), "artiflow/serializer"),
            project=_string(md.get(PREFIX + "project"), "artiflow/project"),
        )


@dataclass(frozen=True)
class InputOptions:
    selector: str | None = None
    allow_missing_partitions: bool = False

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> InputOptions:
        md = dict(metadata or {})
        version = _string(md.get(PREFIX + "version"), "artiflow/version")
        alias = _string(md.get(PREFIX + "alias"), "artiflow/alias")
        if version is not None and alias is not None:
            raise ValueError("Give 'artiflow/version' or 'artiflow/alias' on an input, not both.")
        return cls(
            selector=version or alias,
            allow_missing_partitions=bool(_raw(md.get(PREFIX + "allow_missing_partitions", False))),
        )

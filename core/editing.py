"""Editing a logged version: what an object changed since it was loaded, as a delta to apply.

``Artifact.save()`` sends only this delta (aliases and tags added or removed, the description if it
changed, metadata keys set or removed), so a stale object never overwrites other processes' edits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import names, userdata
from .errors import ArtiflowError
from .metadata import VersionEdit, VersionRecord

if TYPE_CHECKING:
    from .identity import VersionView


def pending_edit(rec: VersionRecord, view: VersionView) -> VersionEdit:
    """The delta from ``rec`` (the version as last read) to ``view``'s edited attributes, checked."""
    aliases = names.aliases(view.aliases)
    tags = names.tags(view.tags)
    meta = userdata.metadata(view.metadata)
    added = tuple(a for a in aliases if a not in rec.aliases)
    if "latest" in added:
        raise ArtiflowError(
            f"Alias 'latest' moves only when a version is logged, not by saving {view.name}; "
            "re-log its content with run.log_artifact() to make it latest."
        )
    old_meta = {k: userdata.canonical(v) for k, v in rec.metadata.items()}
    return VersionEdit(
        add_aliases=added,
        remove_aliases=tuple(a for a in rec.aliases if a not in aliases and a != "latest"),
        add_tags=tuple(t for t in tags if t not in rec.tags),
        remove_tags=tuple(t for t in rec.tags if t not in tags),
        set_description=view.description != rec.description,
        description=view.description,
        metadata={k: v for k, v in meta.items() if old_meta.get(k) != userdata.canonical(v)},
        drop_metadata=tuple(k for k in rec.metadata if k not in meta),
    )

"""The registry: link collections ("portfolios") that point at versions of other collections.

A portfolio holds no files or versions of its own. ``Artifact.link("model-registry/cat-model")``
adds a *link* to a logged version: it gets its own index in the portfolio (``v0``, ``v1``, …, in
the order versions were linked), ``latest`` moves to the newest link, and aliases given to
``link`` apply only inside that portfolio. ``Api().artifact("model-registry/cat-model:production")``
resolves through the link to the source version: same id, files and lineage, while ``name``,
``project`` and ``aliases`` are the link's and ``source_*`` name the source.

>>> model = run.log_artifact("model.pt", name="cat-model", type="model")   # doctest: +SKIP
>>> model.link("model-registry/cats", aliases=["production"])              # doctest: +SKIP
>>> artiflow.Api().artifact("model-registry/cats:production").source_name  # doctest: +SKIP
'cat-model:v0'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from . import names
from .errors import InvalidNameError
from .metadata import VersionRecord
from .metadata.links import (
    LinkRecord,
    add_link,
    edit_link_aliases,
    find_link,
    is_portfolio as _is_portfolio,
    links_of,
    portfolio_links,
    remove_link,
)

if TYPE_CHECKING:
    from .store import Store

MODEL_REGISTRY = "model-registry"


def target(path: str, *, default_project: str) -> tuple[str, str]:
    """``portfolio``, ``project/portfolio`` or ``entity/project/portfolio`` → ``(project, portfolio)``."""
    if ":" in path:
        raise InvalidNameError(
            f"Link target {path!r} names a version; give the collection only, e.g. 'model-registry/cats'."
        )
    ref = names.ArtifactPath.parse(path, default_project=default_project)
    return ref.project, ref.name


def link(store: Store, source: VersionRecord, target_path: str, aliases: list[str] | None) -> VersionRecord:
    """Link the logged version ``source`` into the portfolio ``target_path``; return the link's view."""
    project, name = target(target_path, default_project=source.project)
    made = add_link(
        store.metadata, project=project, name=name, type_=source.type, version_id=source.id,
        aliases=[a for a in names.aliases(aliases) if a != "latest"],
    )
    return view(source, made)


def find(store: Store, project: str, name: str, selector: str) -> tuple[VersionRecord, VersionRecord] | None:
    """``(link view, source)`` for ``project/name:selector`` if ``project/name`` is a portfolio, else None."""
    found = find_link(store.metadata, project, name, selector)
    if found is None:
        return None
    source = store.metadata.get_version(found.version_id)
    return view(source, found), source


def unlink(store: Store, link_view: VersionRecord) -> None:
    """Remove the link ``link_view`` (the source version stays)."""
    remove_link(store.metadata, link_view.project, link_view.name, link_view.id)


def edit_aliases(
    store: Store, source: VersionRecord, link_view: VersionRecord, *, add: Sequence[str], remove: Sequence[str]
) -> VersionRecord:
    """Add and remove aliases of the link ``link_view`` in its portfolio; return its view of ``source``."""
    lk = edit_link_aliases(store.metadata, link_view.project, link_view.name, link_view.id, add=add, remove=remove)
    return view(source, lk)


def is_portfolio(store: Store, project: str, name: str) -> bool:
    """Whether ``project/name`` is a registry collection (of links) rather than one of logged versions."""
    return _is_portfolio(store.metadata, project, name)


def members(store: Store, project: str, name: str) -> list[VersionRecord]:
    """The views of every link in the portfolio ``project/name``, by index (empty if it is not one)."""
    links_ = portfolio_links(store.metadata, project, name)
    sources = {r.id: r for r in store.metadata.versions_by_ids([lk.version_id for lk in links_])}
    return [view(sources[lk.version_id], lk) for lk in links_ if lk.version_id in sources]


def links(store: Store, source: VersionRecord) -> list[VersionRecord]:
    """The views of every link to ``source``, oldest first."""
    return [view(source, lk) for lk in links_of(store.metadata, source.id)]


def view(source: VersionRecord, lk: LinkRecord) -> VersionRecord:
    """The source version as seen through the link: the link's names, index and aliases."""
    return replace(source, project=lk.project, name=lk.name, version_index=lk.version_index, aliases=lk.aliases)

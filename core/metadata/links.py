"""SQL for registry links: a portfolio collection's numbered links to versions of other collections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import ArtifactNotFoundError, InvalidNameError, TypeCollisionError
from ..names import is_digest, version_index
from . import schema as s
from .store import MetadataStore, type_collision_message

PORTFOLIO = "portfolio"


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """One link: ``project/name:v<version_index>`` in a portfolio points at the version ``version_id``."""

    project: str
    name: str
    version_index: int
    version_id: str
    aliases: tuple[str, ...]
    created_at: datetime


def add_link(
    md: MetadataStore, *, project: str, name: str, type_: str, version_id: str, aliases: Sequence[str]
) -> LinkRecord:
    """Link ``version_id`` into the portfolio ``project/name`` (made if missing); ``latest`` moves to it.

    Linking a version already linked there keeps its link (and index) and moves ``aliases`` onto it.
    """
    now = md.now()
    c, lk = s.collections, s.links

    def tx(conn: Connection) -> LinkRecord:
        row = conn.execute(
            sa.select(c).where(c.c.project == project, c.c.name == name).with_for_update()
        ).mappings().first()
        if row is None:
            conn.execute(sa.insert(c).values(project=project, name=name, type=type_, kind=PORTFOLIO, created_at=now))
            row = conn.execute(sa.select(c).where(c.c.project == project, c.c.name == name)).mappings().one()
        if row["kind"] != PORTFOLIO:
            raise InvalidNameError(
                f"'{project}/{name}' holds logged versions, not links; link into another collection name."
            )
        if row["type"] != type_:
            raise TypeCollisionError(type_collision_message(name, row["type"], type_))
        cid = row["id"]
        index = conn.execute(
            sa.select(lk.c.version_index).where(lk.c.collection_id == cid, lk.c.version_id == version_id)
        ).scalar()
        if index is None:
            top = conn.execute(sa.select(sa.func.max(lk.c.version_index)).where(lk.c.collection_id == cid)).scalar()
            index = 0 if top is None else int(top) + 1
            conn.execute(sa.insert(lk).values(collection_id=cid, version_index=index, version_id=version_id,
                                              created_at=now))
        for alias in dict.fromkeys(["latest", *aliases]):
            a = s.aliases
            conn.execute(sa.delete(a).where(a.c.collection_id == cid, a.c.alias == alias))
            conn.execute(sa.insert(a).values(collection_id=cid, alias=alias, version_id=version_id))
        return _link(conn, project, name, cid, version_id)

    return md.write(tx)


def find_link(md: MetadataStore, project: str, name: str, selector: str) -> LinkRecord | None:
    """The link ``selector`` (``vN``, an alias, or a digest) names in portfolio ``project/name``; None if
    ``project/name`` is not a portfolio. A portfolio without that link raises ArtifactNotFoundError."""
    lk, v = s.links, s.versions
    with md.engine.connect() as conn:
        cid = conn.execute(
            _portfolio_id(project, name)
        ).scalar()
        if cid is None:
            return None
        live = sa.select(lk.c.version_id).join(v, v.c.id == lk.c.version_id).where(
            lk.c.collection_id == cid, v.c.state == "COMMITTED"
        )
        vid = None
        if is_digest(selector):
            vid = conn.execute(live.where(v.c.digest == selector.lower())).scalar()
        index = version_index(selector)
        if vid is None and index is not None:
            vid = conn.execute(live.where(lk.c.version_index == index)).scalar()
        elif vid is None:
            a = s.aliases
            vid = conn.execute(
                live.join(a, sa.and_(a.c.version_id == lk.c.version_id, a.c.collection_id == cid))
                .where(a.c.alias == selector)
            ).scalar()
        if vid is None:
            raise ArtifactNotFoundError(
                f"Registry collection '{project}/{name}' has no link '{selector}'; "
                f"list its links with Api().artifacts(type, '{project}/{name}')."
            )
        return _link(conn, project, name, cid, vid)


def links_of(md: MetadataStore, version_id: str) -> list[LinkRecord]:
    """Every link to ``version_id``, oldest first."""
    c, lk = s.collections, s.links
    with md.engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.c.project, c.c.name, c.c.id).join(lk, lk.c.collection_id == c.c.id)
            .where(lk.c.version_id == version_id).order_by(lk.c.id)
        ).all()
        return [_link(conn, r.project, r.name, r.id, version_id) for r in rows]


def remove_link(md: MetadataStore, project: str, name: str, version_id: str) -> None:
    """Remove the link (and its aliases); ``latest`` moves back to the newest remaining link."""
    lk, a = s.links, s.aliases

    def tx(conn: Connection) -> None:
        cid = conn.execute(
            _portfolio_id(project, name).with_for_update()
        ).scalar()
        if cid is None:
            raise ArtifactNotFoundError(f"No registry collection '{project}/{name}'.")
        conn.execute(sa.delete(lk).where(lk.c.collection_id == cid, lk.c.version_id == version_id))
        had_latest = conn.execute(
            sa.delete(a).where(a.c.collection_id == cid, a.c.version_id == version_id, a.c.alias == "latest")
        ).rowcount
        conn.execute(sa.delete(a).where(a.c.collection_id == cid, a.c.version_id == version_id))
        newest = conn.execute(
            sa.select(lk.c.version_id).where(lk.c.collection_id == cid).order_by(lk.c.version_index.desc()).limit(1)
        ).scalar()
        if had_latest and newest is not None:
            conn.execute(sa.insert(a).values(collection_id=cid, alias="latest", version_id=newest))

    md.write(tx)


def edit_link_aliases(
    md: MetadataStore, project: str, name: str, version_id: str, *, add: Sequence[str], remove: Sequence[str]
) -> LinkRecord:
    """Add and remove aliases of one link, as a delta (aliases others set meanwhile stay).

    An added alias another link of the portfolio holds moves to this one; ``latest`` is never
    touched here (it moves only when a version is linked).
    """
    if "latest" in add or "latest" in remove:
        raise InvalidNameError(
            f"Alias 'latest' of '{project}/{name}' moves only when a version is linked; link it again instead."
        )
    lk, a = s.links, s.aliases

    def tx(conn: Connection) -> LinkRecord:
        cid = conn.execute(
            _portfolio_id(project, name).with_for_update()
        ).scalar()
        linked = cid is not None and conn.execute(
            sa.select(lk.c.id).where(lk.c.collection_id == cid, lk.c.version_id == version_id)
        ).first() is not None
        if not linked:
            raise ArtifactNotFoundError(
                f"Registry collection '{project}/{name}' no longer links this version; link it again with "
                "link(target_path, aliases=...)."
            )
        if remove:
            conn.execute(sa.delete(a).where(a.c.collection_id == cid, a.c.version_id == version_id,
                                            a.c.alias.in_(list(remove))))
        for alias in dict.fromkeys(add):
            conn.execute(sa.delete(a).where(a.c.collection_id == cid, a.c.alias == alias))
            conn.execute(sa.insert(a).values(collection_id=cid, alias=alias, version_id=version_id))
        return _link(conn, project, name, cid, version_id)

    return md.write(tx)


def is_portfolio(md: MetadataStore, project: str, name: str) -> bool:
    """Whether ``project/name`` is a registry collection (of links)."""
    c = s.collections
    with md.engine.connect() as conn:
        kind = conn.execute(sa.select(c.c.kind).where(c.c.project == project, c.c.name == name)).scalar()
    return kind == PORTFOLIO


def portfolio_links(md: MetadataStore, project: str, name: str) -> list[LinkRecord]:
    """Every link of the portfolio ``project/name`` to a live version, by index (empty if it is not one)."""
    lk, v = s.links, s.versions
    with md.engine.connect() as conn:
        cid = conn.execute(
            _portfolio_id(project, name)
        ).scalar()
        if cid is None:
            return []
        vids = conn.execute(
            sa.select(lk.c.version_id).join(v, v.c.id == lk.c.version_id)
            .where(lk.c.collection_id == cid, v.c.state == "COMMITTED").order_by(lk.c.version_index)
        ).scalars().all()
        return [_link(conn, project, name, cid, vid) for vid in vids]


def _portfolio_id(project: str, name: str) -> sa.Select[tuple[Any]]:
    """The query for the id of portfolio ``project/name`` (no row if there is no such portfolio)."""
    c = s.collections
    return sa.select(c.c.id).where(c.c.project == project, c.c.name == name, c.c.kind == PORTFOLIO)


def _link(conn: Connection, project: str, name: str, cid: Any, version_id: str) -> LinkRecord:
    lk, a = s.links, s.aliases
    row = conn.execute(
        sa.select(lk.c.version_index, lk.c.created_at).where(lk.c.collection_id == cid, lk.c.version_id == version_id)
    ).one()
    aliases = conn.execute(
        sa.select(a.c.alias).where(a.c.collection_id == cid, a.c.version_id == version_id).order_by(a.c.alias)
    ).scalars().all()
    return LinkRecord(project, name, int(row.version_index), version_id, tuple(aliases), row.created_at)

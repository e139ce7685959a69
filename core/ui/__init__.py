"""``artiflow.ui``: a local web UI to browse projects, versions, runs and lineage (extra ``artiflow[ui]``).

Server-rendered pages (Starlette + Jinja2 + htmx) and a lineage view drawn in the browser by
cytoscape.js with a dagre layout in a Web Worker; every browser file is vendored in the package, so
nothing is fetched from the internet. Start it with ``artiflow ui``, or mount it in your own app:

>>> import artiflow, artiflow.ui                                   # doctest: +SKIP
>>> app = artiflow.ui.create_app(artiflow.Store.open())           # doctest: +SKIP
>>> fastapi_app.mount("/artifacts", app)                          # doctest: +SKIP

Read-only unless ``allow_edits=True`` (aliases, tags and description, with CSRF protection);
``token`` makes every request carry it (``Authorization: Bearer …`` or ``?token=`` once, then a cookie).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import MissingDependencyError

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ..store import Store

__all__ = ["create_app"]


def create_app(store: Store, *, allow_edits: bool = False, token: str | None = None) -> Starlette:
    """The UI as an ASGI (Starlette) application over ``store``; the caller keeps the store open."""
    try:
        from .app import build_app
    except ImportError as exc:  # starlette or jinja2 missing
        raise MissingDependencyError(
            f"The web UI needs the 'ui' extra ({exc.name} is not installed); "
            "install it with: pip install 'artiflow[ui]'."
        ) from exc
    return build_app(store, allow_edits=allow_edits, token=token)

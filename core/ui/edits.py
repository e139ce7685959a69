"""Edits from the UI (``allow_edits=True``): a version's aliases, tags and description.

An edit goes through the Artifact API's ``save()``, so only what the form changed is applied, as a
delta inside the collection lock (an alias another user moved meanwhile is kept). Every form carries
the app's CSRF token, and a request whose ``Origin`` is another site is refused.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qsl, quote, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..api import Api
from ..errors import ArtifactNotFoundError, ArtiflowError
from .pages import Pages


def split(text: str) -> list[str]:
    """A list typed into one box, separated by commas or new lines.

    >>> split("best, staging\\nqa")
    ['best', 'staging', 'qa']
    """
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host")


def edit_route(pages: Pages, version_path: str) -> Route:
    async def edit(request: Request) -> Response:
        # the form is urlencoded: parsed here rather than pulling in python-multipart for it
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
        csrf = str(form.get("csrf", ""))
        if not hmac.compare_digest(csrf.encode(), str(request.scope.get("artiflow.csrf", "")).encode()) or not (
            _same_origin(request)
        ):
            return PlainTextResponse("This edit did not come from this UI's own form (CSRF check failed); "
                                     "reload the page and submit it again.", status_code=403)
        p = request.path_params
        try:
            rec = pages.store.metadata.find_version(p["project"], p["name"], p["selector"])
            art = Api(store=pages.store).artifact(f"{rec.project}/{rec.name}:{rec.version}")
            art.aliases = [a for a in split(str(form.get("aliases", ""))) if a != "latest"]
            art.tags = split(str(form.get("tags", "")))
            description = str(form.get("description", "")).strip()
            art.description = description or None
            art.save()
        except ArtifactNotFoundError as exc:
            return pages.not_found(request, str(exc))
        except ArtiflowError as exc:
            return PlainTextResponse(f"Not saved: {exc}", status_code=400)
        base = request.scope.get("root_path", "")
        return RedirectResponse(f"{base}/p/{quote(rec.project)}/a/{quote(rec.name)}/{rec.version}", status_code=303)

    return Route(f"{version_path}/edit", edit, methods=["POST"])

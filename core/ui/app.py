"""The Starlette application: routes, static files, the access token and the security headers.

>>> from starlette.testclient import TestClient                  # doctest: +SKIP
>>> TestClient(build_app(store)).get("/").status_code             # doctest: +SKIP
200
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store import Store
from .pages import Pages

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; worker-src 'self'; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_COOKIE = "artiflow_token"


class Guard:
    """ASGI middleware: the access token (when set), a CSRF token for edits, and security headers."""

    def __init__(self, app: ASGIApp, *, token: str | None, csrf: str) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["artiflow.csrf"] = self.csrf
        if self.token is not None:
            denied = self._check(scope)
            if denied is not None:
                await denied(scope, receive, send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _check(self, scope: Scope) -> Response | None:
        assert self.token is not None
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        given = ""
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given and "cookie" in headers:
            morsel = SimpleCookie(headers["cookie"]).get(_COOKIE)
            given = morsel.value if morsel else ""
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        from_query = query.pop("token", "")
        if hmac.compare_digest(given.encode(), self.token.encode()):
            return None
        if from_query and hmac.compare_digest(from_query.encode(), self.token.encode()):
            # a link carrying the token: set the cookie and drop the token from the address bar
            location = scope.get("root_path", "") + scope["path"] + (f"?{urlencode(query)}" if query else "")
            response = Response(status_code=303, headers={"location": location})
            response.set_cookie(_COOKIE, self.token, httponly=True, samesite="strict", path="/")
            return response
        return PlainTextResponse(
            "This artiflow UI needs its access token: open the link `artiflow ui` printed, "
            "or send 'Authorization: Bearer <token>'.",
            status_code=401,
        )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(f"{request.scope.get('root_path', '')}/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code)


def build_app(store: Store, *, allow_edits: bool = False, token: str | None = None) -> Starlette:
    """See :func:`artiflow.ui.create_app`."""
    pages = Pages(store, allow_edits=allow_edits)
    version = "/p/{project}/a/{name}/{selector}"
    routes: list[Any] = [
        Route("/", pages.home),
        Route("/search", pages.search),
        Route("/ref/{ref:path}", pages.ref),
        Route("/api/lineage", pages.lineage_api),
        Route("/p/{project}", pages.project),
        Route("/p/{project}/runs", pages.runs),
        Route("/p/{project}/r/{run_id}", pages.run),
        Route("/p/{project}/r/{run_id}/lineage", pages.lineage_page),
        Route("/p/{project}/a/{name}", pages.collection),
        Route(version, pages.version),
        Route(f"{version}/files", pages.files),
        Route(f"{version}/diff", pages.diff),
        Route(f"{version}/lineage", pages.lineage_page),
        Mount("/static", StaticFiles(packages=[("artiflow.ui", "static")]), name="static"),
    ]
    if allow_edits:
        from .edits import edit_route

        routes.append(edit_route(pages, version))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.add_middleware(Guard, token=token, csrf=secrets.token_urlsafe(24))
    return app

"""``artiflow ui``: serve the web UI (extra ``artiflow[ui]``) over a store, on loopback by default."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import MissingDependencyError, StoreError
from .context import cli_state, report_errors


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1`` and ``localhost`` are; anything reachable from another machine is not.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@report_errors
def ui(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0: any free one).")] = 8765,
    token: Annotated[
        str | None,
        typer.Option("--token", help="Secret every request must carry; required off loopback.", show_default=False),
    ] = None,
    allow_edits: Annotated[
        bool, typer.Option("--allow-edits", help="Allow editing aliases, tags and descriptions.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Store root (overrides the global --home).", show_default=False),
    ] = None,
) -> None:
    """Browse projects, artifact versions, runs and lineage in a web browser (read-only by default)."""
    if not is_loopback(host) and not token:
        raise StoreError(
            f"Listening on {host} would let anyone who can reach this machine read the store; "
            "pass --token SECRET (then open the URL printed with it), or keep the default --host 127.0.0.1."
        )
    try:
        import uvicorn

        from ..ui import create_app
    except ImportError as exc:
        raise MissingDependencyError(
            f"`artiflow ui` needs the 'ui' extra ({exc.name} is not installed); "
            "install it with: pip install 'artiflow[ui]'."
        ) from exc
    state = cli_state(ctx)
    if home is not None:
        state.home = home
    import asyncio  # with the server, not with every command's start-up

    with state.store() as store:
        app = create_app(store, allow_edits=allow_edits, token=token)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        shown = f"[{host}]" if ":" in host else host

        async def serve() -> None:
            task = asyncio.create_task(server.serve())
            while not server.started and not task.done():
                await asyncio.sleep(0.05)
            if server.started:  # the port is known only once bound (--port 0)
                bound = server.servers[0].sockets[0].getsockname()[1]
                url = f"http://{shown}:{bound}/" + (f"?token={token}" if token else "")
                mode = "edits allowed" if allow_edits else "read-only"
                state.out.print(f"artiflow UI ({mode}) on {escape(url)} — Ctrl+C to stop", soft_wrap=True)
            await task

        try:
            asyncio.run(serve())
        except KeyboardInterrupt:
            pass

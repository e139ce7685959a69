"""The ``artiflow`` command: put, get, ls, show and verify artifacts, like ``wandb artifact``; and lineage.

>>> from typer.testing import CliRunner                       # doctest: +SKIP
>>> CliRunner().invoke(app, ["put", "data/", "--name", "cats"]).stdout    # doctest: +SKIP
'Created new version uncategorized/cats:v0 (dataset) ...'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from .browse import ls, show
from .gc import gc
from .context import CliState, make_console
from .lineage import lineage
from .transfer import get, put
from .ui import ui
from .verify import verify

app = typer.Typer(
    name="artiflow",
    help="Versioned, content-addressed artifacts with lineage, in a local or shared store.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # help text shows [project/]name literally
    pretty_exceptions_show_locals=False,  # locals may hold database URLs with passwords
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"artiflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Store root. [default: ARTIFLOW_HOME or ~/.artiflow]", show_default=False),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Log, fetch, inspect and verify artifacts in an artiflow store."""
    ctx.obj = CliState(home=home, out=make_console(), err=make_console(stderr=True))


app.command("put")(put)
app.command("get")(get)
app.command("ls")(ls)
app.command("show")(show)
app.command("verify")(verify)
app.command("lineage")(lineage)
app.command("gc")(gc)
app.command("ui")(ui)


def main() -> None:
    """Entry point of the ``artiflow`` console script."""
    app(prog_name="artiflow")

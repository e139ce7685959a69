"""The ``artiflow`` command: put, get, ls, show, diff, verify, alias, tag and delete artifacts, like
``wandb artifact``; projects, runs and lineage; gc and the download cache.

>>> from typer.testing import CliRunner
>>> result = CliRunner().invoke(app, ["put", "data/", "--name", "cats"])
>>> print(result.stdout, end="")
Created new version uncategorized/cats:v0 (dataset)
  digest:  ...
  files:   2 (14 B)
  aliases: latest
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from artiflow import __version__

from .browse import ls, show
from .cache import cache_app
from .context import CliState, make_console
from .diff import diff
from .edit import alias_app, delete, tag_app
from .gc import gc
from .lineage import lineage
from .progress import DELAY
from .projects import projects, run_show, runs
from .transfer import get, put
from .ui import ui
from .verify import verify

app = typer.Typer(
    name="artiflow",
    help="Versioned, content-addressed artifacts with lineage, in a local or shared store.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
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
    progress_delay: Annotated[
        float, typer.Option("--progress-delay", min=0, hidden=True, help="Seconds before a progress bar appears.")
    ] = DELAY,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error instead of one line.")
    ] = False,
) -> None:
    """Log, fetch, inspect and verify artifacts in an artiflow store."""
    ctx.obj = CliState(
        home=home, out=make_console(), err=make_console(stderr=True), progress_delay=progress_delay, debug=debug
    )


run_app = typer.Typer(help="Look at one run.", no_args_is_help=True, rich_markup_mode=None)
run_app.command("show")(run_show)

app.command("put")(put)
app.command("get")(get)
app.command("ls")(ls)
app.command("show")(show)
app.command("diff")(diff)
app.command("verify")(verify)
app.add_typer(alias_app, name="alias")
app.add_typer(tag_app, name="tag")
app.command("delete")(delete)
app.command("projects")(projects)
app.command("runs")(runs)
app.add_typer(run_app, name="run")
app.command("lineage")(lineage)
app.command("gc")(gc)
app.add_typer(cache_app, name="cache")
app.command("ui")(ui)


def main() -> None:
    """Entry point of the ``artiflow`` console script."""
    app(prog_name="artiflow")

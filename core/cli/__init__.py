"""The ``artiflow`` command line (typer + rich); see :mod:`artiflow.cli.app`."""

from .app import app, main

__all__ = ["app", "main"]

"""What every command shares: the consoles, the store, resolving a ref, and reporting errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

import artiflow

from ..errors import ArtifactNotFoundError, ArtiflowError, StoreError
from ..names import ArtifactPath, is_version

if TYPE_CHECKING:
    from artiflow import Api, Artifact, Store

P = ParamSpec("P")
R = TypeVar("R")

def complete_ref(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of a ref: artifact names of the default project, then ``name:`` aliases and versions.

    Completion must never fail or create a store: any problem completes nothing.
    """
    try:
        home = ctx.find_root().params.get("home")
        settings = artiflow.Settings() if home is None else artiflow.Settings(home=home)
        if settings.database_url is None and not (settings.home.expanduser() / "artiflow.db").exists():
            return []
        store = artiflow.Store.open(settings)
        try:
            meta = store.metadata
            coll, sep, _ = incomplete.partition(":")
            project, _, name = coll.rpartition("/")
            project = project or settings.project
            prefix = f"{project}/" if "/" in coll else ""
            if not sep:
                return [prefix + c.name for c in meta.list_collections(project) if c.name.startswith(name)]
            versions = meta.list_versions(project, name)
            labels = [v.version for v in versions] + sorted({a for v in versions for a in v.aliases})
            return [f"{coll}:{label}" for label in labels if f"{coll}:{label}".startswith(incomplete)]
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - a broken store must not break the user's shell
        return []


RefArg = Annotated[
    str,
    typer.Argument(help="[project/]name[:vN|:alias|:digest]", show_default=False, autocompletion=complete_ref),
]
"""The REF argument of every command that takes one version."""

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (keys documented in the README) instead of text.")
]
"""The ``--json`` flag every listing takes."""

_PIPE_WIDTH = 1000
"""Width when output is not a terminal: pipes and files get whole lines, never wrapped or cut cells."""


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr), created per invocation so it writes to the current streams."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = _PIPE_WIDTH
    return console


@dataclass
class CliState:
    """Options of the ``artiflow`` group, handed to every command through ``ctx.obj``."""

    home: Path | None
    out: Console
    err: Console
    progress_delay: float = 1.0

    @contextmanager
    def store(self, *, create: bool = False) -> Iterator[Store]:
        """Open the store; commands that only read refuse to create an empty one by accident."""
        if not create:
            settings = artiflow.Settings() if self.home is None else artiflow.Settings(home=self.home)
            db = settings.home.expanduser().absolute() / "artiflow.db"
            if settings.database_url is None and not db.exists():
                raise StoreError(
                    f"No artiflow store at {db.parent}; log an artifact with `artiflow put` first, "
                    "or point --home (or ARTIFLOW_HOME) at an existing store."
                )
        store = artiflow.Store.open(home=self.home)
        try:
            yield store
        finally:
            store.close()


def cli_state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # a command invoked without the group (e.g. in a test)
        obj = CliState(home=None, out=make_console(), err=make_console(stderr=True))
        ctx.find_root().obj = obj
    return obj


def report_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn artiflow and OS errors into one red line on stderr and exit code 1, with no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (ArtiflowError, OSError) as exc:
            message = str(exc).replace("\n", " ").strip() or type(exc).__name__
            make_console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def resolve(api: Api, ref: str) -> Artifact:
    """The version ``ref`` names, or an error that says which part of it does not exist."""
    try:
        return api.artifact(ref)
    except ArtifactNotFoundError:
        path = ArtifactPath.parse(ref, default_project=api.default_project)
        raise ArtifactNotFoundError(_what_is_missing(api.store, path)) from None


def _what_is_missing(store: Store, path: ArtifactPath) -> str:
    meta = store.metadata
    if meta.get_collection(path.project, path.name) is None:
        names = [c.name for c in meta.list_collections(path.project)]
        if names:
            return (
                f"No artifact named {path.name!r} in project {path.project!r}; "
                f"it has {_some(names)} (see `artiflow ls {path.project}`)."
            )
        projects = meta.list_projects()
        known = f"known projects: {_some(projects)}" if projects else "the store is empty"
        return f"No artifact named {path.name!r}: project {path.project!r} has no artifacts ({known})."
    versions = meta.list_versions(path.project, path.name)
    aliases = sorted({a for v in versions for a in v.aliases})
    what = "version" if is_version(path.selector) else "alias or digest"
    has = f"versions {_some([v.version for v in versions])}" if versions else "no live versions"
    if aliases:
        has += f" and aliases {_some(aliases)}"
    return f"Artifact '{path.project}/{path.name}' has no {what} {path.selector!r}; it has {has}."


def _some(items: list[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")

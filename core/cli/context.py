"""What every command shares: the consoles, the store, resolving a ref, and reporting errors."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import artiflow
import typer
from rich.console import Console
from rich.markup import escape

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
    debug: bool = False

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
    """Turn every failure a user can cause into one red line on stderr and exit code 1, no traceback.

    artiflow and OS errors, an unreachable or unreadable database (its URL shown without the
    password), and invalid ``ARTIFLOW_*`` settings. ``artiflow --debug`` re-raises instead, so the
    traceback shows.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if _kind(exc) is None:
                raise
            ctx = next((a for a in (*args, *kwargs.values()) if hasattr(a, "find_root")), None)
            obj = ctx.find_root().obj if ctx is not None else None
            if isinstance(obj, CliState) and obj.debug:
                raise
            message = _redact(error_line(exc, obj.home if isinstance(obj, CliState) else None))
            make_console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def _kind(exc: BaseException) -> str | None:
    """Which failure a user can cause ``exc`` is, or None. By the modules already loaded: an
    SQLAlchemy or settings error can only come from a command that loaded them, and ``--help``
    must not load them (they are most of artiflow's start-up)."""
    if isinstance(exc, ArtiflowError | OSError):
        return "artiflow"
    checks = (("sqlalchemy", "exc", "SQLAlchemyError"), ("pydantic_settings", None, "SettingsError"),
              ("pydantic", None, "ValidationError"))
    for module, sub, name in checks:
        found = sys.modules.get(module)
        if found is not None and isinstance(exc, getattr(getattr(found, sub) if sub else found, name)):
            return name
    return None


def error_line(exc: BaseException, home: Path | None = None) -> str:
    """The one-line message for ``exc`` (the fact, then the fix)."""
    kind = _kind(exc)
    if kind == "ValidationError":
        problems = "; ".join(
            f"ARTIFLOW_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()  # type: ignore[attr-defined]
        )
        return f"Invalid setting {problems}; fix or unset it."
    if kind == "SettingsError":
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"ARTIFLOW_{field.group(1).upper()}" if field else "an ARTIFLOW_* variable"
        return f"Invalid setting {name}: it could not be parsed (JSON is expected for dicts); fix or unset it."
    if kind == "SQLAlchemyError":
        import sqlalchemy as sa
        from pydantic import ValidationError

        orig = getattr(exc, "orig", None)
        reason = (str(orig) if orig is not None else str(exc)).strip().splitlines()[0].rstrip(".")
        try:
            url = artiflow.Settings() if home is None else artiflow.Settings(home=home)
            where = sa.engine.make_url(url.database).render_as_string(hide_password=True)
        except (ValidationError, sa.exc.ArgumentError):
            where = "the metadata database"
        if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError) and "not a database" not in reason:
            fix = "check that the server is running and ARTIFLOW_DATABASE_URL is right"
        else:
            fix = "the file or schema is damaged; restore it from a backup or point ARTIFLOW_HOME elsewhere"
        return f"Cannot use the metadata database {where}: {reason}; {fix}."
    return " ".join(str(exc).split()) or type(exc).__name__


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")


def _redact(text: str) -> str:
    """Never print a password that a database or storage URL carried."""
    return _URL_PASSWORD.sub(r"\1***@", text)


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

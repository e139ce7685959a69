"""``artiflow alias``, ``artiflow tag`` and ``artiflow delete``: change what a version is called, or remove it.

Edits go through the public Artifact API (``aliases``, ``tags``, ``save()``), so the core applies
them as it applies any edit.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import artiflow
import typer
from rich.markup import escape

from ..errors import ArtifactNotFoundError, ArtiflowError
from ..units import human_size
from .context import RefArg, cli_state, report_errors, resolve
from .render import count

if TYPE_CHECKING:
    from artiflow import Api, Artifact

Name = Annotated[str, typer.Argument(help="The alias or tag.", show_default=False)]

alias_app = typer.Typer(help="Add or remove an alias of a version (an alias names one version at a time).",
                        no_args_is_help=True, rich_markup_mode=None)
tag_app = typer.Typer(help="Add or remove a tag of a version (any number of versions may share a tag).",
                      no_args_is_help=True, rich_markup_mode=None)


def _holder(api: Api, art: Artifact, alias: str) -> Artifact | None:
    try:
        return api.artifact(f"{art.project}/{art.collection_name}:{alias}")
    except ArtifactNotFoundError:
        return None


@alias_app.command("add")
@report_errors
def alias_add(ctx: typer.Context, ref: RefArg, name: Name) -> None:
    """Point alias NAME at the version REF names; an alias held by another version moves here."""
    state = cli_state(ctx)
    with state.store() as store:
        api = artiflow.Api(store=store)
        art = resolve(api, ref)
        if name in art.aliases:
            state.out.print(f"{escape(art.qualified_name)} already has alias {escape(name)!r}.")
            return
        previous = _holder(api, art, name)
        art.aliases = [*art.aliases, name]
        art.save()
        moved = f" (moved from {previous.version})" if previous is not None else ""
        state.out.print(f"Added alias {escape(name)!r} to {escape(art.qualified_name)}{moved}.")


@alias_app.command("rm")
@report_errors
def alias_rm(ctx: typer.Context, ref: RefArg, name: Name) -> None:
    """Remove alias NAME from the version REF names."""
    state = cli_state(ctx)
    with state.store() as store:
        art = resolve(artiflow.Api(store=store), ref)
        if name == "latest":
            raise ArtiflowError(
                "Alias 'latest' marks the most recently logged content and cannot be removed; "
                f"move it with `artiflow alias add {art.project}/{art.collection_name}:vN latest`."
            )
        if name not in art.aliases:
            has = ", ".join(sorted(art.aliases)) or "none"
            raise ArtifactNotFoundError(f"{art.qualified_name} has no alias {name!r}; its aliases: {has}.")
        art.aliases = [a for a in art.aliases if a != name]
        art.save()
        state.out.print(f"Removed alias {escape(name)!r} from {escape(art.qualified_name)}.")


@tag_app.command("add")
@report_errors
def tag_add(ctx: typer.Context, ref: RefArg, name: Name) -> None:
    """Tag the version REF names with NAME."""
    state = cli_state(ctx)
    with state.store() as store:
        art = resolve(artiflow.Api(store=store), ref)
        if name in art.tags:
            state.out.print(f"{escape(art.qualified_name)} already has tag {escape(name)!r}.")
            return
        art.tags = [*art.tags, name]
        art.save()
        state.out.print(f"Added tag {escape(name)!r} to {escape(art.qualified_name)}.")


@tag_app.command("rm")
@report_errors
def tag_rm(ctx: typer.Context, ref: RefArg, name: Name) -> None:
    """Remove tag NAME from the version REF names."""
    state = cli_state(ctx)
    with state.store() as store:
        art = resolve(artiflow.Api(store=store), ref)
        if name not in art.tags:
            has = ", ".join(sorted(art.tags)) or "none"
            raise ArtifactNotFoundError(f"{art.qualified_name} has no tag {name!r}; its tags: {has}.")
        art.tags = [t for t in art.tags if t != name]
        art.save()
        state.out.print(f"Removed tag {escape(name)!r} from {escape(art.qualified_name)}.")


def _confirm(question: str) -> bool:
    """Ask on stderr; only y or yes (any case) agrees, and no answer at all (end of input) declines."""
    typer.echo(question, nl=False, err=True)
    answer = sys.stdin.readline()
    if not sys.stdin.isatty():  # nobody typed Enter on a terminal, so end the question's line here
        typer.echo(err=True)
    return answer.strip().lower() in ("y", "yes")


@report_errors
def delete(
    ctx: typer.Context,
    ref: RefArg,
    delete_aliases: Annotated[
        bool, typer.Option("--delete-aliases", help="Also remove the version's aliases (refused otherwise).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an artifact version, after asking (or with --yes).

    The version disappears from listings and refs; lineage still shows it, marked deleted.
    A version holding aliases other than 'latest' is refused unless --delete-aliases.
    Its files stay in the store until `artiflow gc` removes blobs no live version needs.
    """
    state = cli_state(ctx)
    with state.store() as store:
        art = resolve(artiflow.Api(store=store), ref)
        held = sorted(a for a in art.aliases if a != "latest")
        if held and not delete_aliases:
            raise ArtiflowError(
                f"{art.qualified_name} still has aliases {', '.join(held)}; "
                "pass --delete-aliases to remove them with it."
            )
        if not yes:
            what = f"{art.qualified_name} ({count(art.file_count, 'file')}, {human_size(art.size)})"
            if art.aliases:
                what += f" with aliases {', '.join(sorted(art.aliases))}"
            if not _confirm(f"Delete {what}? [y/N]: "):
                raise ArtiflowError(f"Nothing deleted; to delete {art.qualified_name}, answer y or pass --yes.")
        art.delete(delete_aliases=delete_aliases)
        state.out.print(
            f"Deleted {escape(art.qualified_name)}; `artiflow gc` frees the space of files no other version uses."
        )

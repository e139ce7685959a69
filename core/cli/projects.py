"""``artiflow projects``, ``artiflow runs`` and ``artiflow run show``: the projects and runs of a store."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import artiflow
import typer
from rich.markup import escape

from .. import names
from ..errors import ArtifactNotFoundError
from ..units import human_size
from .context import JsonOption, cli_state, report_errors
from .records import run_record, run_summary, version_record
from .render import Listing, count, emit_json, when

if TYPE_CHECKING:
    from artiflow import Api, Run


@report_errors
def projects(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the projects of the store, with their artifacts, versions and runs."""
    state = cli_state(ctx)
    with state.store() as store:
        api = artiflow.Api(store=store)
        found: list[dict[str, Any]] = []
        for name in api.projects():
            colls = api.artifact_collections(name)
            versions = [v for c in colls for v in c.versions()]
            found.append({
                "name": name,
                "artifacts": len(colls),
                "versions": len(versions),
                "size": sum(v.size for v in versions),
                "runs": len(api.runs(name)),
            })
    if as_json:
        emit_json(found)
        return
    if not found:
        state.out.print("No projects yet; log an artifact with `artiflow put`.")
        return
    rows = Listing("project", "artifacts", "versions", "size", "runs", right=("artifacts", "versions", "size", "runs"),
                   title="Projects")
    for p in found:
        rows.add_row(p["name"], str(p["artifacts"]), str(p["versions"]), human_size(p["size"]), str(p["runs"]))
    rows.print(state.out)


@report_errors
def runs(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Argument(help="Project to list. [default: ARTIFLOW_PROJECT or 'uncategorized']", show_default=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the runs of a project, oldest first: id, job type, group, state, start."""
    state = cli_state(ctx)
    with state.store() as store:
        api = artiflow.Api(store=store)
        project_ = names.project_name(project or api.default_project)
        found = api.runs(project_)
        if not found and project is not None and project_ not in api.projects():
            known = api.projects()
            raise ArtifactNotFoundError(
                f"Project {project_!r} does not exist; known projects: {', '.join(known) or 'none'}."
            )
        if as_json:
            emit_json([run_record(r) for r in found])
            return
        if not found:
            state.out.print(f"No runs in project {escape(project_)!r}.")
            return
        rows = Listing("run", "name", "job_type", "group", "state", "started", title=f"Runs in {project_}")
        for r in found:
            rows.add_row(r.id, r.name, r.job_type or "", r.group or "", r.state, when(r.created_at))
        rows.print(state.out)


@report_errors
def run_show(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="project/run_id (or just run_id)", show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """Show a run: its state, config, summary (if any), and the versions it used and logged."""
    state = cli_state(ctx)
    out = state.out
    with state.store() as store:
        run = _find_run(artiflow.Api(store=store), path)
        used, logged = run.used_artifacts(), run.logged_artifacts()
        summary = run_summary(run)
        if as_json:
            emit_json({
                **run_record(run),
                "config": dict(run.config),
                "summary": summary,
                "used": [version_record(v) for v in used],
                "logged": [version_record(v) for v in logged],
            })
            return
        out.print(f"[bold]{escape(run.path)}[/] ({escape(run.state)})")
        for label, value in (("name", run.name), ("job type", run.job_type), ("group", run.group),
                             ("started", when(run.created_at))):
            if value:
                out.print(f"  {label + ':':<10}{escape(value)}")
        _mapping(state.out, "Config", dict(run.config))
        if summary is not None:
            _mapping(state.out, "Summary", summary)
        for title, versions in (("Used", used), ("Logged", logged)):
            if not versions:
                out.print(f"{title}: none")
                continue
            rows = Listing("version", "type", "aliases", "size", "files", right=("size", "files"),
                           title=f"{title} ({count(len(versions), 'version')})")
            for v in versions:
                rows.add_row(v.qualified_name, v.type, ", ".join(sorted(v.aliases)), human_size(v.size),
                             str(v.file_count))
            rows.print(out, piped_title=True)


def _find_run(api: Api, path: str) -> Run:
    try:
        return api.run(path)
    except ArtifactNotFoundError:
        project = path.rsplit("/", 1)[0] if "/" in path else api.default_project
        raise ArtifactNotFoundError(
            f"No run {path!r}; list the runs of a project with `artiflow runs {project}`."
        ) from None


def _mapping(out: Any, title: str, values: dict[str, Any]) -> None:
    if not values:
        out.print(f"{title}: none")
        return
    out.print(f"{title}:")
    for key in sorted(values):
        out.print(f"  {escape(str(key))}: {escape(json.dumps(values[key], default=str))}")

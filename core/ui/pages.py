"""The HTML pages: projects → collections → versions → runs, search, diff and the lineage page.

Each handler reads with :mod:`.queries` (keyset pages) and renders one template; a request sent by
htmx (``HX-Request``) gets only the fragment it swaps in. URLs are permalinks: a version page's
canonical address names ``vN``, and ``/ref/<W&B ref>`` redirects any ref to it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..errors import ArtifactNotFoundError, ArtiflowError
from ..metadata import RunRecord, VersionRecord
from ..names import ArtifactPath
from ..store import Store
from ..units import human_size
from . import queries
from .files import TreeCache, diff
from .view import ViewRequest, lineage_view

PAGE = 50
FILES_PAGE = 200




def _when(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S") if dt else "-"


def flatten(data: dict[str, Any], prefix: str = "", depth: int = 3) -> list[tuple[str, str]]:
    """Nested metadata as ``(dotted.key, JSON value)`` rows, for a table.

    >>> flatten({"a": {"b": 1}, "c": [1, 2]})
    [('a.b', '1'), ('c', '[1, 2]')]
    """
    rows: list[tuple[str, str]] = []
    for key in sorted(data):
        value = data[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and depth > 1:
            rows += flatten(value, f"{name}.", depth - 1)
        else:
            rows.append((name, value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)))
    return rows


class Pages:
    """The page handlers, sharing one store, one template environment and one file-tree cache."""

    def __init__(self, store: Store, *, allow_edits: bool) -> None:
        self.store = store
        self.allow_edits = allow_edits
        self.trees = TreeCache()
        self.env = Environment(
            loader=PackageLoader("artiflow.ui", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters |= {"size": human_size, "when": _when, "q": lambda s: quote(str(s), safe=""),
                             "json": lambda v: json.dumps(v, indent=2, sort_keys=True, default=str)}

    # -- rendering -----------------------------------------------------------------------------

    def render(self, request: Request, name: str, *, status: int = 200, **ctx: Any) -> HTMLResponse:
        base = request.scope.get("root_path", "")
        html = self.env.get_template(name).render(
            base=base, request=request, allow_edits=self.allow_edits,
            csrf=request.scope.get("artiflow.csrf", ""), htmx=request.headers.get("hx-request") == "true",
            qs=lambda **kw: urlencode({k: v for k, v in kw.items() if v not in (None, "")}), **ctx,
        )
        return HTMLResponse(html, status_code=status)

    def not_found(self, request: Request, message: str) -> HTMLResponse:
        return self.render(request, "error.html", status=404, message=message)

    # -- projects and collections --------------------------------------------------------------

    def home(self, request: Request) -> Response:
        return self.render(request, "home.html", projects=queries.projects(self.store.metadata))

    def project(self, request: Request) -> Response:
        project = request.path_params["project"]
        q = request.query_params.get("q", "").strip()
        page = queries.collections(self.store.metadata, project, q=q, after=request.query_params.get("after"),
                                   limit=PAGE)
        if not page.items and not q and not request.query_params.get("after"):
            known = {p.name for p in queries.projects(self.store.metadata)}
            if project not in known:
                return self.not_found(request, f"Project {project!r} does not exist.")
        name = "collections_rows.html" if _fragment(request) else "project.html"
        return self.render(request, name, project=project, page=page, q=q)

    def collection(self, request: Request) -> Response:
        project, name = request.path_params["project"], request.path_params["name"]
        coll = self.store.metadata.get_collection(project, name)
        if coll is None:
            return self.not_found(request, f"No artifact named {name!r} in project {project!r}.")
        before = request.query_params.get("before")
        page = queries.versions(self.store.metadata, project, name,
                                before=int(before) if before and before.isdigit() else None, limit=PAGE)
        template = "versions_rows.html" if _fragment(request) else "collection.html"
        return self.render(request, template, project=project, coll=coll, page=page)

    # -- one version ---------------------------------------------------------------------------

    def _version(self, project: str, name: str, selector: str) -> VersionRecord:
        try:
            return self.store.metadata.find_version(project, name, selector)
        except ArtifactNotFoundError:
            if re.fullmatch(r"v\d+", selector):  # a deleted version keeps its page
                for rec in self.store.metadata.list_versions(project, name, include_deleted=True):
                    if rec.version == selector:
                        return rec
            raise

    def version(self, request: Request) -> Response:
        p = request.path_params
        try:
            rec = self._version(p["project"], p["name"], p["selector"])
        except ArtifactNotFoundError as exc:
            return self.not_found(request, str(exc))
        md = self.store.metadata
        loggers = queries.version_runs(md, rec.id, "logged", limit=PAGE)
        users = queries.version_runs(md, rec.id, "used", limit=PAGE)
        producer = next((r for r in loggers.items if r.id == rec.run_id), loggers.items[0] if loggers.items else None)
        relogged = [r for r in loggers.items if producer is None or r.id != producer.id]
        return self.render(
            request, "version.html", v=rec, selector=p["selector"], producer=producer, relogged=relogged,
            loggers=loggers, users=users, metadata=flatten(rec.metadata), files=self._files(request, rec),
            previous=f"v{rec.version_index - 1}" if rec.version_index > 0 else None,
        )

    def _files(self, request: Request, rec: VersionRecord) -> dict[str, Any]:
        path = request.query_params.get("path", "").strip("/")
        start = request.query_params.get("page", "0")
        offset = int(start) * FILES_PAGE if start.isdigit() else 0
        try:
            tree = self.trees.get(self.store, rec)
        except ArtiflowError as exc:
            return {"error": str(exc), "path": path, "entries": [], "total": 0}
        listed, total = tree.page(path, offset, FILES_PAGE)
        crumbs = []
        acc = ""
        for part in [x for x in path.split("/") if x]:
            acc = f"{acc}/{part}" if acc else part
            crumbs.append((part, acc))
        nxt = offset // FILES_PAGE + 1 if offset + FILES_PAGE < total else None
        prev = offset // FILES_PAGE - 1 if offset > 0 else None
        return {"path": path, "crumbs": crumbs, "entries": listed, "total": total,
                "offset": offset, "next": nxt, "prev": prev, "exists": tree.exists(path), "error": None}

    def files(self, request: Request) -> Response:
        p = request.path_params
        try:
            rec = self._version(p["project"], p["name"], p["selector"])
        except ArtifactNotFoundError as exc:
            return self.not_found(request, str(exc))
        if not _fragment(request):
            url = f"{request.scope.get('root_path', '')}/p/{quote(rec.project)}/a/{quote(rec.name)}/{rec.version}"
            query = request.url.query
            return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)
        return self.render(request, "files.html", v=rec, selector=p["selector"], files=self._files(request, rec))

    def diff(self, request: Request) -> Response:
        p = request.path_params
        against = request.query_params.get("against", "")
        try:
            new = self._version(p["project"], p["name"], p["selector"])
            if not against:
                against = f"v{new.version_index - 1}" if new.version_index > 0 else new.version
            old = self._version(p["project"], p["name"], against)
            d = diff(self.store.manifest(old), self.store.manifest(new), old.metadata, new.metadata)
        except ArtiflowError as exc:
            return self.not_found(request, str(exc))
        choices = queries.versions(self.store.metadata, new.project, new.name, limit=PAGE).items
        return self.render(request, "diff.html", old=old, new=new, d=d, choices=choices, selector=p["selector"])

    # -- runs ----------------------------------------------------------------------------------

    def runs(self, request: Request) -> Response:
        project = request.path_params["project"]
        q = request.query_params.get("q", "").strip()
        page = queries.runs(self.store.metadata, project, q=q, before=request.query_params.get("before"), limit=PAGE)
        template = "runs_rows.html" if _fragment(request) else "runs.html"
        return self.render(request, template, project=project, page=page, q=q)

    def run(self, request: Request) -> Response:
        project, run_id = request.path_params["project"], request.path_params["run_id"]
        try:
            run = self.store.metadata.get_run(run_id)
        except ArtifactNotFoundError:
            return self.not_found(request, f"No run {run_id!r} in project {project!r}.")
        if run.project != project:
            return self.not_found(request, f"Run {run_id!r} belongs to project {run.project!r}, not {project!r}.")
        md = self.store.metadata
        group_runs: list[RunRecord] = []
        if run.group:
            group_runs = queries.runs(md, project, q=run.group, limit=PAGE).items
            group_runs = [r for r in group_runs if r.group == run.group and r.id != run.id]
        return self.render(
            request, "run.html", run=run, used=queries.run_versions(md, run.id, "used"),
            logged=queries.run_versions(md, run.id, "logged"), config=flatten(run.config), group_runs=group_runs,
            group_head=run.group if run.group and run.group != run.id else None,
        )

    # -- search and refs -----------------------------------------------------------------------

    def search(self, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        if not q:
            return self.render(request, "search.html", q=q, collections=[], runs=[])
        if ":" in q:  # a W&B ref typed into the box: go straight to it
            target = self._resolve_ref(request, q)
            if target is not None:
                return RedirectResponse(target, status_code=303)
        colls, runs = queries.search(self.store.metadata, q, limit=PAGE)
        return self.render(request, "search.html", q=q, collections=colls, runs=runs)

    def _resolve_ref(self, request: Request, ref: str) -> str | None:
        base = request.scope.get("root_path", "")
        default = self.store.settings.project
        if ":" not in ref and ref.count("/") == 1:
            project, run_id = ref.split("/")
            try:
                run = self.store.metadata.get_run(run_id)
                return f"{base}/p/{quote(run.project)}/r/{quote(run.id, safe='')}"
            except ArtifactNotFoundError:
                pass
        try:
            path = ArtifactPath.parse(ref, default_project=default)
            rec = self._version(path.project, path.name, path.selector)
        except ArtiflowError:
            return None
        return f"{base}/p/{quote(rec.project)}/a/{quote(rec.name)}/{rec.version}"

    def ref(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        rest = request.url.query
        suffix = ""
        for tail in ("/lineage", "/diff", "/files"):
            if ref.endswith(tail):
                ref, suffix = ref[: -len(tail)], tail
        target = self._resolve_ref(request, ref)
        if target is None:
            return self.not_found(request, f"No artifact version or run matches {ref!r}.")
        return RedirectResponse(target + suffix + (f"?{rest}" if rest else ""), status_code=303)

    # -- lineage -------------------------------------------------------------------------------

    def lineage_page(self, request: Request) -> Response:
        p = request.path_params
        if "run_id" in p:
            try:
                run = self.store.metadata.get_run(p["run_id"])
            except ArtifactNotFoundError:
                return self.not_found(request, f"No run {p['run_id']!r}.")
            focus, title = f"run:{run.id}", f"{run.name} ({run.job_type or 'run'})"
            back = f"/p/{quote(run.project)}/r/{quote(run.id, safe='')}"
        else:
            try:
                rec = self._version(p["project"], p["name"], p["selector"])
            except ArtifactNotFoundError as exc:
                return self.not_found(request, str(exc))
            focus, title = f"artifact:{rec.id}", f"{rec.name}:{rec.version} ({rec.type})"
            back = f"/p/{quote(rec.project)}/a/{quote(rec.name)}/{rec.version}"
        return self.render(request, "lineage.html", focus=focus, title=title, back=back,
                           up=_int(request.query_params.get("up"), 2), down=_int(request.query_params.get("down"), 2))

    def lineage_api(self, request: Request) -> Response:
        qp = request.query_params
        focus = qp.get("focus", "")
        req = ViewRequest(
            focus=focus, up=_int(qp.get("up"), 2), down=_int(qp.get("down"), 2),
            expand=tuple(x for x in qp.getlist("expand") if x), open=tuple(x for x in qp.getlist("open") if x),
            limit=_int(qp.get("limit"), 2000), force=qp.get("force") == "1",
        )
        try:
            data = lineage_view(self.store, req, base=request.scope.get("root_path", ""))
        except (LookupError, ArtiflowError) as exc:
            raise HTTPException(404, str(exc)) from None
        return JSONResponse(data)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _fragment(request: Request) -> bool:
    """An htmx request swaps in a fragment; a reload or a history restore needs the whole page."""
    h = request.headers
    return h.get("hx-request") == "true" and h.get("hx-history-restore-request") != "true"

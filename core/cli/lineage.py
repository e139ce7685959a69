"""``artiflow lineage``: what a version or run descends from, or what descends from it.

The text form is a tree, one hop per level; the other formats are the exports of
:mod:`artiflow.lineage.export`, written plain to stdout so they pipe into ``dot`` or a file.
Text, DOT and Mermaid draw the web UI's readable cut (:mod:`artiflow.lineage.readable`): identical
re-runs folded into one node with a count, runs by name and job type, groups named or boxed, 5+
similar siblings clustered; ``--raw`` prints every run and edge as recorded.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import artiflow
import typer
from rich.markup import escape
from rich.tree import Tree

from ..errors import ArtifactNotFoundError
from ..names import ArtifactPath, is_version
from .context import cli_state, report_errors, resolve
from .render import count

if TYPE_CHECKING:
    from artiflow.lineage import LineageResult
    from artiflow.lineage.readable import Readable

    from ..api import Api
    from ..store import Store

WIDTH = 20
"""Children shown under one node before the rest are summed up as ``… N more``."""
FOLD_LIMIT = 10_000
"""Reached nodes past which the output is the recorded graph (folding means reading every run)."""


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    dot = "dot"
    mermaid = "mermaid"
    graphml = "graphml"
    html = "html"


def _export(format_: Format) -> Callable[[LineageResult | Readable], str]:
    from artiflow.lineage import (  # networkx: with the command
        to_dot,
        to_graphml,
        to_json,
        to_mermaid,
    )

    exports: dict[Format, Callable[[Any], str]] = {
        Format.json: to_json, Format.dot: to_dot, Format.mermaid: to_mermaid, Format.graphml: to_graphml,
    }
    return exports[format_]


@report_errors
def lineage(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(
            help="Artifact [project/]name[:alias|:vN], or a run path project/run_id "
            "(a run wins over an artifact of the same name; add :latest to mean the artifact).",
            show_default=False,
        ),
    ],
    up: Annotated[
        bool,
        typer.Option(
            "--upstream/--downstream",
            help="Upstream: what it descends from (inputs, producing runs). Downstream: what it affects.",
        ),
    ] = True,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth", "-d", min=0, help="At most N hops (version to run is one hop). [default: no limit]",
            show_default=False,
        ),
    ] = None,
    format_: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    raw: Annotated[
        bool,
        typer.Option("--raw", help="Text, DOT, Mermaid: every run and edge as recorded, nothing folded or grouped."),
    ] = False,
) -> None:
    """Show the lineage of an artifact version or a run, as a tree or as JSON, DOT, Mermaid, GraphML or HTML.

    An alias is resolved to the exact version it names now. Deleted versions stay in lineage
    and are marked; a node reached again is shown once and then marked "(see above)". Identical
    re-runs (the same job re-logging the same versions from the same inputs) are one node with a
    count ("logged by train-0 ×5"), runs are named by their name and job type and their group,
    and 5 or more similar siblings are one cluster; a run heading a group (a Prefect flow run)
    lists its members ("ran ingest-4") and follows each. --raw shows every run as recorded. JSON
    and GraphML are always the whole recorded graph.
    """
    state = cli_state(ctx)
    with state.store() as store:
        address = _address(store, ref)
        from artiflow.lineage import downstream, upstream

        query = upstream if up else downstream
        result = query(store.lineage(), address, depth)
        if as_json:
            format_ = Format.json
        if format_ is Format.html:  # the web UI's lineage view, in one file that opens offline
            from ..ui.export import lineage_html

            hops = 50 if depth is None else depth
            typer.echo(lineage_html(store, address, up=hops if up else 0, down=0 if up else hops))
            return
        view = None
        reached = len(result) + 1
        if not raw and format_ not in (Format.json, Format.graphml) and reached > FOLD_LIMIT:
            raw = True
            state.err.print(f"Note: {reached:,} nodes reached, too many to fold (over {FOLD_LIMIT:,}); showing "
                            "every run as recorded (pass --depth to narrow it).")
        if not raw and format_ not in (Format.json, Format.graphml):
            view = _readable(store, result, lambda node: query(store.lineage(), node, depth and depth - 1),
                             members=depth != 0)
        if format_ is not Format.text:
            typer.echo(_export(format_)(view or result))
            return
        state.out.print(_tree(store, result, up=up) if view is None else _readable_tree(store, view, up=up))
        where = "upstream of" if up else "downstream of"
        within = f" within {count(depth, 'hop')}" if depth is not None else ""
        versions, runs = len(result.artifacts), len(result.runs)
        if view is not None:  # with the task runs of a flow run in focus
            kinds = [d["kind"] for n, d in view.nodes.items() if n != view.root]
            versions, runs = kinds.count("artifact"), kinds.count("run")
        found = f"{count(versions, 'version')} and {count(runs, 'run')}" if versions or runs else "Nothing"
        folded = f" ({view.merged} identical re-run{'s' if view.merged > 1 else ''} folded)" if view and view.merged else ""
        state.out.print(f"{found} {where} {escape(result.root)}{within}{folded}.")


def _address(store: Store, ref: str) -> str:
    """The lineage address of ``ref``: a run path, or the exact version an artifact reference names."""
    api: Api = artiflow.Api(store=store)
    if ":" not in ref and ref.count("/") == 1:
        try:
            return api.run(ref).path
        except ArtifactNotFoundError:
            pass  # not a run: 'project/name', the artifact's latest version
    try:
        return resolve(api, ref).qualified_name
    except ArtifactNotFoundError:
        # A deleted version is gone from the Api but not from lineage: look it up there.
        path = ArtifactPath.parse(ref, default_project=api.default_project)
        if is_version(path.selector):
            try:
                store.lineage().node(str(path))
                return str(path)
            except LookupError:
                pass
        raise


def _readable(store: Store, result: LineageResult, walk: Callable[[str], LineageResult], *,
              members: bool = True) -> Readable:
    """The web UI's readable cut of the walked graph; a run heading a group (a Prefect flow run)
    brings its members (the task runs) and what ``walk`` reaches from each of them."""
    from artiflow.lineage import label

    from ..ui.queries import group_members
    from ..ui.view import shape  # no web dependency: the view's store side

    g = result.graph
    nodes = {n: dict(d) for n, d in g.nodes(data=True)}
    edges = {(u, v): str(d["kind"]) for u, v, d in g.edges(data=True)}
    root = next(n for n in g if label(g, n) == result.root)
    links: list[str] = []
    if members and nodes[root]["kind"] == "run":
        for member in group_members(store.metadata, str(nodes[root]["id"])):
            links.append(f"run:{member}")
            reached = walk(links[-1]).graph
            nodes.update((n, dict(d)) for n, d in reached.nodes(data=True) if n not in nodes)
            edges.update(((u, v), str(d["kind"])) for u, v, d in reached.edges(data=True))
    return shape(store, nodes, edges, root, links=links)


def _readable_tree(store: Store, view: Readable, *, up: bool) -> Tree:
    """Pre-order over the readable cut, as :func:`_tree` does over the raw graph."""
    into: dict[str, list[str]] = {view.root: list(view.links)}
    for u, v in view.edges:
        into.setdefault(v if up else u, []).append(u if up else v)
    head = str(view.nodes[view.root]["id"]) if view.nodes[view.root]["kind"] == "run" else None
    ran = {n: i for i, n in enumerate(view.links)}  # task runs in the order they started

    def describe(node: str) -> str:
        label, sub = view.label(node, qualified=True)
        if node in view.clusters:
            return escape(f"{label} ({sub})")
        d = view.nodes[node]
        if d["kind"] == "artifact":
            text = f"{escape(label)} ({escape(str(d.get('type')))})"
            return text + (" [red]\\[deleted][/]" if d.get("state") == "DELETED" else "")
        n = len(view.members.get(node, [node]))
        run = view.runs.get(str(d["id"]))
        bits = [b for b in (run.job_type if run else None, getattr(run, "state", None)) if b]
        text = label + (f" ×{n}" if n > 1 else "") + (f" ({', '.join(bits)})" if bits else "")
        group = view.group_of.get(node)
        shown = group in view.group_labels and group != head  # the flow run in focus: said once, at the top
        return escape(text + (f" in {view.group_labels[group]}" if shown and group else ""))

    def relation(parent: str, child: str) -> str:
        u, v = (child, parent) if up else (parent, child)
        if (u, v) not in view.edges:
            return "ran"  # a task run of the flow run in focus
        kind = view.edges[u, v].kind
        run, art = (u, v) if kind == "logged" else (v, u)
        words = {("logged", True): "logged by", ("used", True): "used", ("logged", False): "logged",
                 ("used", False): "used by"}[kind, up]
        if kind == "logged" and run not in view.clusters and art not in view.clusters:
            producer = store.lineage().logged_by(str(view.nodes[art]["id"]))
            if producer not in {view.nodes[m]["id"] for m in view.members.get(run, [run])}:
                words = "re-" + words
        return words

    def children(node: str) -> list[str]:
        near = dict.fromkeys(into.get(node, ()))
        return sorted(near, key=lambda n: (view.dist.get(n, 0), ran.get(n, len(ran)), view.label(n, qualified=True)[0]))

    return _walk(view.root, describe, relation, children)


def _tree(store: Store, result: LineageResult, *, up: bool) -> Tree:
    """Pre-order over the result graph: the first visit of a node shows its subtree, later ones refer to it."""
    from artiflow.lineage import label

    g = result.graph
    runs: dict[str, str] = {}

    def describe(node: str) -> str:
        data = g.nodes[node]
        text = escape(label(g, node))
        if data.get("kind") == "artifact":
            text += f" ({escape(str(data.get('type')))})"
            if data.get("state") == "DELETED":
                text += " [red]\\[deleted][/]"
        elif data.get("kind") == "run":
            if node not in runs:
                runs[node] = _run_details(store, str(data["id"]))
            text += runs[node]
        return text

    def relation(parent: str, child: str) -> str:
        run, art = (child, parent) if g.nodes[parent].get("kind") == "artifact" else (parent, child)
        producer = store.lineage().logged_by(str(g.nodes[art]["id"]))  # loads the creator if a walk did not
        relogged = producer not in (None, g.nodes[run].get("id"))
        if up:
            if run == child:
                return "re-logged by" if relogged else "logged by"
            return "used"
        if run == child:
            return "used by"
        return "re-logged" if relogged else "logged"

    def children(node: str) -> list[str]:
        near = g.predecessors(node) if up else g.successors(node)
        return sorted(near, key=lambda n: (result.depth[label(g, n)], label(g, n)))

    return _walk(next(n for n in g if label(g, n) == result.root), describe, relation, children)


def _walk(
    root: str, describe: Callable[[str], str], relation: Callable[[str, str], str],
    children: Callable[[str], list[str]],
) -> Tree:
    """Pre-order from ``root``: the first visit of a node shows its subtree (at most WIDTH children,
    then "… N more"), later visits say "(see above)"."""
    tree = Tree(f"[bold]{describe(root)}[/]")
    shown = {root}
    # (parent node, its branch, child to show) or (None, branch, "… N more")
    stack: list[tuple[str | None, Tree, str]] = []

    def push(node: str, branch: Tree) -> None:
        kids = children(node)
        items: list[tuple[str | None, Tree, str]] = [(node, branch, k) for k in kids[:WIDTH]]
        if len(kids) > WIDTH:
            items.append((None, branch, f"[dim]… {len(kids) - WIDTH} more[/]"))
        stack.extend(reversed(items))

    push(root, tree)
    while stack:
        parent, branch, item = stack.pop()
        if parent is None:
            branch.add(item)
            continue
        text = f"[dim]{relation(parent, item)}[/] {describe(item)}"
        if item in shown:
            branch.add(f"{text} [dim](see above)[/]")
            continue
        shown.add(item)
        push(item, branch.add(text))
    return tree


def _run_details(store: Store, run_id: str) -> str:
    try:
        run = store.metadata.get_run(run_id)
    except ArtifactNotFoundError:
        return ""
    bits = [b for b in (run.job_type, run.state) if b]
    return f" ({escape(', '.join(bits))})" if bits else ""


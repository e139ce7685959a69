"""``artiflow lineage REF --format html``: the lineage view as one self-contained HTML file.

The file holds the server's cut of the graph (:func:`.view.lineage_view`), cytoscape.js, dagre and
the view's own script inline, so it opens offline from disk; layout runs on the page (a ``file://``
page may not start workers). Nodes cannot be expanded there: the graph is what the file holds.

>>> html = lineage_html(store, "demo/model:v0", up=2, down=2)      # doctest: +SKIP
>>> Path("lineage.html").write_text(html)                          # doctest: +SKIP
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources

from ..store import Store
from .view import ViewRequest, lineage_view

_VENDOR = ("vendor/cytoscape-3.35.0.min.js", "vendor/dagre-3.1.3.min.js", "layout-worker.js")


def _static(name: str) -> str:
    return (resources.files("artiflow.ui") / "static" / name).read_text(encoding="utf-8")


def _inline(code: str) -> str:
    """Script text that cannot end its ``<script>`` element early."""
    return code.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def lineage_html(store: Store, focus: str, *, up: int = 2, down: int = 2, limit: int = 5000) -> str:
    """A standalone page drawing the lineage around ``focus`` (a version ref, run path or node key)."""
    data = lineage_view(store, ViewRequest(focus, up, down, limit=limit))
    for node in data["nodes"]:  # no server behind a file: links and expansion have nowhere to go
        node.pop("href", None)
        node["hidden_up"] = node["hidden_down"] = 0
        for member in node.get("members", ()):
            member.pop("href", None)
    if data["too_large"]:
        data["too_large"]["limit"] = limit
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    title = escape(f"Lineage of {data['focus_label']}")
    scripts = "\n".join(f"<script>{_inline(_static(name))}</script>" for name in _VENDOR)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta id="__________cytoscape_stylesheet" name="cytoscape-container-style" content="inline">
<title>{title}</title>
<style>{_static("app.css")}</style>
{scripts}
<script>window.artiflowLineageData = {payload}; window.artiflowOffline = true;</script>
<script type="module">{_inline(_static("lineage.js"))}</script>
</head>
<body>
<header class="top"><span class="brand">artiflow</span><nav class="crumbs">{title}</nav></header>
<main>
<h1>{title} <small>{data["up"]} hops up, {data["down"]} down; exported, read-only</small></h1>
<div id="lineage" class="lineage" data-api="" data-focus="{escape(data["focus"])}" data-up="{data["up"]}"
     data-down="{data["down"]}" data-worker="" data-dagre="">
  <form class="controls" id="lineage-controls" hidden><input name="up"><input name="down"></form>
  <p class="controls"><button type="button" id="lineage-fit">Fit</button>
  <span id="lineage-status" class="muted" role="status">loading…</span></p>
  <div id="lineage-guard" class="guard" hidden></div>
  <div class="panes">
    <div id="lineage-canvas" class="canvas" aria-hidden="true"></div>
    <aside class="side">
      <div id="lineage-detail" class="detail"></div>
      <h2>Visible nodes <small id="lineage-count"></small></h2>
      <ol id="lineage-nodes" class="nodes"></ol>
    </aside>
  </div>
</div>
</main>
</body>
</html>
"""

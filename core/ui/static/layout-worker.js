// Lays out a lineage graph with dagre: in a Web Worker (the UI), or on the page (the offline export).
// In: {id, dagre: url, nodes: [{id, width, height, parent}], edges: [{source, target}], groups: [id]}
// Out: {id, positions: {id: {x, y}}, ms}
"use strict";

function artiflowLayout(dagre, msg) {
  const compound = msg.groups.length > 0;
  const g = new dagre.graphlib.Graph({ compound, multigraph: false });
  const big = msg.nodes.length > 1500;
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 70, edgesep: 8, marginx: 10, marginy: 10,
               ranker: big ? "longest-path" : "network-simplex" });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of msg.groups) g.setNode(id, { paddingTop: 22, paddingLeft: 10, paddingRight: 10, paddingBottom: 10 });
  for (const n of msg.nodes) {
    g.setNode(n.id, { width: n.width, height: n.height });
    if (compound && n.parent) g.setParent(n.id, n.parent);
  }
  for (const e of msg.edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const positions = {};
  for (const n of msg.nodes) { const p = g.node(n.id); positions[n.id] = { x: p.x, y: p.y }; }
  return positions;
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  let loaded = false;
  self.onmessage = (event) => {
    const msg = event.data;
    try {
      if (!loaded) { importScripts(msg.dagre); loaded = true; }
      const t0 = performance.now();
      const positions = artiflowLayout(self.dagre, msg);
      self.postMessage({ id: msg.id, positions, ms: performance.now() - t0 });
    } catch (err) {
      self.postMessage({ id: msg.id, error: String((err && err.stack) || err) });
    }
  };
} else {
  window.artiflowLayout = artiflowLayout;
}

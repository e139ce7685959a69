// Lays out a lineage graph with dagre: in a Web Worker (the UI), or on the page (the offline export).
// In: {id, dagre: url, nodes: [{id, width, height, parent}], edges: [{source, target}], groups: [id]}
// Out: {id, positions: {id: {x, y}}, ms}
"use strict";

const DAGRE_MAX = 300; // dagre's crossing reduction takes seconds past a few hundred nodes

function artiflowLayout(dagre, msg) {
  if (msg.nodes.length > DAGRE_MAX) return layered(msg);
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

// A plain layered layout for big graphs, linear in the edges per sweep: ranks by longest path from
// the sources, then a few barycentre sweeps to order each rank, then a grid (left to right).
function layered(msg) {
  const ids = msg.nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const succ = ids.map(() => []);
  const pred = ids.map(() => []);
  for (const e of msg.edges) {
    const a = index.get(e.source), b = index.get(e.target);
    if (a === undefined || b === undefined || a === b) continue;
    succ[a].push(b); pred[b].push(a);
  }
  const indeg = pred.map((p) => p.length);
  const rank = new Array(ids.length).fill(0);
  const queue = [];
  indeg.forEach((d, i) => { if (d === 0) queue.push(i); });
  const seen = new Array(ids.length).fill(false);
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head]; seen[u] = true;
    for (const v of succ[u]) {
      rank[v] = Math.max(rank[v], rank[u] + 1);
      if (--indeg[v] === 0) queue.push(v);
    }
  }
  ids.forEach((_, i) => { if (!seen[i]) rank[i] = Math.max(0, ...pred[i].filter((p) => seen[p]).map((p) => rank[p] + 1)); });
  const ranks = [];
  ids.forEach((_, i) => { (ranks[rank[i]] ||= []).push(i); });
  const pos = new Array(ids.length).fill(0);
  const place = () => ranks.forEach((r) => r && r.forEach((n, k) => { pos[n] = k; }));
  place();
  const bary = (n, nbrs) => nbrs.length ? nbrs.reduce((s, m) => s + pos[m], 0) / nbrs.length : pos[n];
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? ranks : [...ranks].reverse();
    for (const r of order) {
      if (!r) continue;
      const key = new Map(r.map((n) => [n, bary(n, down ? pred[n] : succ[n])]));
      r.sort((a, b) => key.get(a) - key.get(b));
      r.forEach((n, k) => { pos[n] = k; });
    }
  }
  const positions = {};
  const w = Math.max(...msg.nodes.map((n) => n.width), 1) + 70;
  const h = Math.max(...msg.nodes.map((n) => n.height), 1) + 14;
  ranks.forEach((r, x) => r && r.forEach((n, k) => { positions[ids[n]] = { x: x * w, y: (k - (r.length - 1) / 2) * h }; }));
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

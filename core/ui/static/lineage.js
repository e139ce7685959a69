// The lineage view: fetch the server's cut of the graph, lay it out with dagre in a Web Worker,
// draw it with cytoscape.js, and list the visible nodes beside the canvas.
// Tests and scripts read window.artiflowLineage = {ready, cy, data, state, expand(id), open(id)}.

const NODE_W = 178;
const NODE_H = 42;
const DAGRE_MAX = 300; // as in layout-worker.js

function short(text, n) {
  text = String(text ?? "");
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

const STYLE = [
  { selector: "node", style: {
      "shape": "round-rectangle", "width": NODE_W, "height": NODE_H, "background-color": "#fff",
      "border-width": 1.5, "border-color": "#2b6cb0", "label": "data(card)", "text-wrap": "wrap",
      "text-valign": "center", "text-halign": "center", "font-size": 12, "color": "#1d2330",
      "text-max-width": NODE_W - 12, "font-family": "DejaVu Sans, sans-serif" } },
  { selector: "node[kind = 'run']", style: { "border-color": "#2f855a", "shape": "round-rectangle", "background-color": "#f3fbf6" } },
  { selector: "node[kind = 'artifact']", style: { "background-color": "#f2f7fd" } },
  { selector: "node[kind = 'cluster']", style: { "border-style": "double", "border-width": 4, "border-color": "#805ad5", "background-color": "#f7f3fe" } },
  { selector: "node[?deleted]", style: { "border-style": "dashed", "color": "#9b2c2c" } },
  { selector: "node[?more]", style: { "underlay-color": "#a0aec0", "underlay-padding": 3, "underlay-opacity": 0.35, "underlay-shape": "round-rectangle" } },
  { selector: "node[?focus]", style: { "border-width": 3, "border-color": "#dd6b20" } },
  { selector: ":parent", style: {
      "shape": "round-rectangle", "background-color": "#f6f7f9", "background-opacity": 0.7, "border-color": "#cbd5e0",
      "border-width": 1, "border-style": "dashed", "label": "data(card)", "text-valign": "top", "text-halign": "center",
      "font-size": 10, "color": "#4a5568", "padding": 10 } },
  { selector: "edge", style: {
      "width": "mapData(count, 1, 20, 1.2, 5)", "line-color": "#a0aec0", "target-arrow-color": "#a0aec0",
      "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8,
      "label": "data(badge)", "font-size": 10, "color": "#4a5568", "text-background-color": "#fff",
      "text-background-opacity": 1, "text-background-padding": 1 } },
  { selector: "edge.path", style: { "line-color": "#dd6b20", "target-arrow-color": "#dd6b20", "width": 2.5 } },
  { selector: "node.path", style: { "border-color": "#dd6b20", "border-width": 3 } },
];

class LineageView {
  constructor(root) {
    this.root = root;
    this.api = root.dataset.api;
    const url = new URL(location.href);
    this.state = {
      focus: root.dataset.focus,
      up: Number(url.searchParams.get("up") ?? root.dataset.up),
      down: Number(url.searchParams.get("down") ?? root.dataset.down),
      expand: url.searchParams.getAll("expand"),
      open: url.searchParams.getAll("open"),
      force: url.searchParams.get("force") === "1",
    };
    this.public = { ready: false, loads: 0, cy: null, data: null, state: this.state, timings: [],
                    expand: (id) => this.expand(id), open: (id) => this.openCluster(id),
                    depth: (up, down) => this.setDepth(up, down) };
    window.artiflowLineage = this.public;
    this.status = root.querySelector("#lineage-status");
    this.list = root.querySelector("#lineage-nodes");
    this.detail = root.querySelector("#lineage-detail");
    this.guard = root.querySelector("#lineage-guard");
    this.cy = window.cytoscape({ container: root.querySelector("#lineage-canvas"), style: STYLE,
                                 minZoom: 0.05, maxZoom: 3, boxSelectionEnabled: false });
    this.public.cy = this.cy;
    this.worker = this.makeWorker();
    this.jobs = new Map();
    this.jobId = 0;
    const form = root.querySelector("#lineage-controls");
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.setDepth(Number(form.up.value), Number(form.down.value));
    });
    root.querySelector("#lineage-fit").addEventListener("click", () => this.cy.fit(undefined, 30));
    this.cy.on("tap", "node", (ev) => this.tap(ev.target));
  }

  makeWorker() {
    if (!this.root.dataset.worker) return null; // an exported file: lay out on the page
    try {
      const worker = new Worker(this.root.dataset.worker);
      worker.onmessage = (ev) => {
        const job = this.jobs.get(ev.data.id);
        this.jobs.delete(ev.data.id);
        if (!job) return;
        if (ev.data.error) job.reject(new Error(ev.data.error));
        else job.resolve(ev.data);
      };
      return worker;
    } catch (err) {
      return null; // no workers (a file:// page): lay out on the main thread
    }
  }

  layout(msg) {
    if (!this.worker) {
      const t0 = performance.now();
      return Promise.resolve({ positions: window.artiflowLayout(window.dagre, msg), ms: performance.now() - t0 });
    }
    const id = ++this.jobId;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id, dagre: new URL(this.root.dataset.dagre, location.href).href });
    });
  }

  query() {
    const p = new URLSearchParams({ focus: this.state.focus, up: this.state.up, down: this.state.down });
    for (const x of this.state.expand) p.append("expand", x);
    for (const x of this.state.open) p.append("open", x);
    if (this.state.force) p.set("force", "1");
    return p;
  }

  remember() {
    if (window.artiflowOffline) return;
    const p = new URLSearchParams({ up: this.state.up, down: this.state.down });
    for (const x of this.state.expand) p.append("expand", x);
    for (const x of this.state.open) p.append("open", x);
    if (this.state.force) p.set("force", "1");
    history.replaceState(null, "", `${location.pathname}?${p}`);
  }

  async load() {
    const t0 = performance.now();
    this.public.ready = false;
    this.status.textContent = "loading…";
    const data = window.artiflowLineageData ?? await (await fetch(`${this.api}?${this.query()}`, { headers: { accept: "application/json" } })).json();
    window.artiflowLineageData = undefined;
    if (data.error) { this.status.textContent = data.error; this.public.error = data.error; this.public.ready = true; return; }
    const fetched = performance.now();
    this.data = data;
    this.public.data = data;
    this.state.expand = data.expand;
    this.state.open = data.open;
    if (data.too_large) {
      this.showGuard(data);
    } else {
      this.guard.hidden = true;
      await this.draw(data);
    }
    this.renderList(data);
    this.remember();
    const c = data.counts;
    this.status.textContent = data.too_large ? "too large to draw"
      : `${c.nodes} nodes, ${c.edges} edges` + (c.clusters ? `, ${c.clusters} clusters` : "") + (c.merged ? `, ${c.merged} repeated runs merged` : "");
    this.public.timings.push({ fetch: fetched - t0, total: performance.now() - t0 });
    this.public.loads += 1;
    this.public.readyAt ??= performance.now(); // ms since navigation started: the time to the first view
    this.public.ready = true;
    this.root.dispatchEvent(new CustomEvent("lineage:ready", { detail: data }));
  }

  async draw(data) {
    const elements = [];
    // past DAGRE_MAX nodes (layout-worker.js) the plain layered layout knows no boxes: draw none
    const boxes = data.nodes.length <= DAGRE_MAX ? data.groups : [];
    for (const g of boxes) elements.push({ group: "nodes", data: { id: g.id, card: short(g.label, 40), kind: "group" } });
    for (const n of data.nodes) {
      const more = (n.hidden_up || 0) + (n.hidden_down || 0);
      elements.push({ group: "nodes", data: {
        id: n.id, kind: n.kind, parent: (boxes.length && n.parent) || undefined, focus: n.focus, deleted: n.state === "DELETED",
        more: more > 0, card: short(n.label, 28) + "\n" + short(n.sub, 30) } });
    }
    for (const e of data.edges) {
      elements.push({ group: "edges", data: { id: `${e.source}->${e.target}`, source: e.source, target: e.target,
                                              count: e.count, badge: e.count > 1 ? `×${e.count}` : "" } });
    }
    const msg = { nodes: data.nodes.map((n) => ({ id: n.id, width: NODE_W, height: NODE_H, parent: boxes.length ? n.parent : null })),
                  edges: data.edges, groups: boxes.map((g) => g.id) };
    const { positions, ms } = await this.layout(msg);
    this.public.layoutMs = ms;
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(elements);
      this.cy.nodes().forEach((n) => { const p = positions[n.id()]; if (p) n.position(p); });
    });
    this.cy.layout({ name: "preset", fit: true, padding: 30 }).run();
    if (this.cy.zoom() > 1.3) { this.cy.zoom(1.3); this.cy.center(); }
    const focus = this.cy.getElementById(data.focus);
    if (focus.nonempty()) this.highlight(focus);
  }

  showGuard(data) {
    const t = data.too_large;
    this.cy.elements().remove();
    this.guard.replaceChildren(
      el("strong", { text: "Too large to draw: " }),
      t.before_clustering
        ? `${t.nodes} nodes and ${t.edges} edges lie within reach, too many to fold into a drawing; `
        : `${t.nodes} nodes and ${t.edges} edges would be drawn (the limit is ${t.limit}); `,
      `${data.counts.versions} versions and ${data.counts.runs} runs lie within ${data.up} hops up and ${data.down} down. `,
      el("button", { type: "button", id: "guard-narrow", text: `Show ${t.fits} hop${t.fits === 1 ? "" : "s"}`,
                     onclick: () => this.setDepth(Math.min(this.state.up, t.fits), Math.min(this.state.down, t.fits)) }),
      " ",
      el("button", { type: "button", id: "guard-force", text: "Draw anyway", onclick: () => { this.state.force = true; this.load(); } }),
    );
    this.guard.hidden = false;
  }

  renderList(data) {
    this.root.querySelector("#lineage-count").textContent = data.too_large ? "" : String(data.nodes.length);
    const items = data.nodes.map((n) => {
      const more = (n.hidden_up || 0) + (n.hidden_down || 0);
      const li = el("li", { class: `${n.kind}${n.focus ? " focus" : ""}`, "data-id": n.id, "data-kind": n.kind },
        el("span", { class: "kind" }),
        n.href ? el("a", { href: n.href, text: n.label }) : el("span", { text: n.label }),
        " ", el("span", { class: "muted", text: n.sub }));
      if (window.artiflowOffline) {
        // an exported file: nothing to expand
      } else if (n.kind === "cluster") {
        li.append(el("button", { type: "button", class: "open", text: "open", onclick: () => this.openCluster(n.id) }));
      } else if (more > 0 && !n.focus) {
        li.append(el("button", { type: "button", class: "expand", title: `${n.hidden_up} upstream, ${n.hidden_down} downstream not shown`,
                                 text: `expand +${more}`, onclick: () => this.expand(n.id) }));
      }
      li.addEventListener("mouseenter", () => { const c = this.cy.getElementById(n.id); if (c.nonempty()) this.highlight(c); });
      if (n.members && n.members.length) {
        const details = el("details", {}, el("summary", { text: `${n.count} ${n.kind === "cluster" ? "members" : "runs"}` }));
        const ul = el("ul");
        for (const m of n.members) ul.append(el("li", {}, el("a", { href: m.href, text: m.label }), " ", el("span", { class: "muted", text: m.sub })));
        details.append(ul);
        li.append(details);
      }
      return li;
    });
    this.list.replaceChildren(...items);
  }

  highlight(node) {
    this.cy.elements().removeClass("path");
    const byId = new Map(this.data.nodes.map((n) => [n.id, n]));
    let cur = byId.get(node.id());
    const seen = new Set();
    while (cur && !seen.has(cur.id)) {
      seen.add(cur.id);
      this.cy.getElementById(cur.id).addClass("path");
      if (!cur.via) break;
      const a = this.cy.getElementById(`${cur.id}->${cur.via}`);
      const b = this.cy.getElementById(`${cur.via}->${cur.id}`);
      a.addClass("path"); b.addClass("path");
      cur = byId.get(cur.via);
    }
  }

  tap(node) {
    const n = this.data.nodes.find((x) => x.id === node.id());
    if (!n) return;
    this.highlight(node);
    const more = (n.hidden_up || 0) + (n.hidden_down || 0);
    this.detail.replaceChildren(...[
      n.href ? el("a", { href: n.href, text: n.label }) : el("strong", { text: n.label }),
      el("div", { class: "muted", text: n.sub }),
      more ? el("div", { class: "muted", text: `${n.hidden_up} upstream and ${n.hidden_down} downstream neighbours not shown` }) : null,
    ].filter(Boolean));
    if (window.artiflowOffline) return; // an exported file has no server to ask for more
    if (n.kind === "cluster") this.openCluster(n.id);
    else if (more > 0 && !n.focus) this.expand(n.id);
  }

  expand(id) {
    if (!this.state.expand.includes(id)) this.state.expand.push(id);
    return this.load();
  }

  openCluster(id) {
    if (!this.state.open.includes(id)) this.state.open.push(id);
    return this.load();
  }

  setDepth(up, down) {
    this.state.up = up;
    this.state.down = down;
    this.state.force = false;
    const form = this.root.querySelector("#lineage-controls");
    form.up.value = up;
    form.down.value = down;
    return this.load();
  }
}

function start() {
  const root = document.getElementById("lineage");
  if (!root || !window.cytoscape) return;
  const view = new LineageView(root);
  view.load().catch((err) => {
    view.status.textContent = `failed: ${err.message}`;
    view.public.error = String(err);
    view.public.ready = true;
    console.error(err);
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

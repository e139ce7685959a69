"""The web UI's speed: page HTML times on big collections and versions, and lineage time-to-ready.

    uv run python benchmarks/bench_ui.py                 # 10,000 versions, 100,000 files, 1,000,000-node lineage
    uv run python benchmarks/bench_ui.py --quick         # small sizes: seconds (checks that the script works)
    uv run python benchmarks/bench_ui.py --lineage-nodes 100000 --out results.json

Pages are requested through the ASGI app in-process (Starlette's TestClient, as a browser's request
minus the socket); each figure is the best of ``--repeat`` requests, next to the same page on a small
baseline (a 10-version collection, a 10-file version) measured in the same run, so the ratio says how
much the size costs. The first view of the 100,000-file version is also timed *cold* (the first
request to a freshly opened store and app, best of ``--repeat``), next to the 10-file version's cold
view and to what no cold view can skip: reading its manifest, checking it against its digest, and
``json.loads`` of it alone. The lineage figure is the time from navigation start to the drawn focus view in
headless Chromium (``window.artiflowLineage.readyAt``), on a generated store (``lineage_gen.py``)
against the same view on a 5,000-node store. Stores are generated once under ``--root`` and reused.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lineage_gen as gen  # noqa: E402

import artiflow  # noqa: E402
from artiflow.manifest import Manifest, ManifestEntry  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def seed(home: Path, versions: int, files: int) -> None:
    """A project ``bench-ui``: collection ``many`` of ``versions`` versions, ``few`` of 10, and
    versions ``wide:v0`` (``files`` files in 100 directories) and ``narrow:v0`` (10 files)."""
    done = home / "seeded.json"
    if done.exists():
        return
    shutil.rmtree(home, ignore_errors=True)
    store = artiflow.Store.open(home=home)
    digest = store.blobs.put_bytes(b"x")  # every entry is this one stored blob: the UI reads manifests only
    with artiflow.init(project="bench-ui", name="seed", job_type="seed", store=store) as run:
        for name, n in (("many", versions), ("few", 10)):
            for i in range(n):
                m = Manifest.from_entries([ManifestEntry(path=f"v{i}.txt", digest=digest, size=i)])
                store.commit(project="bench-ui", name=name, type_="dataset", manifest=m, run_id=run.id,
                             description=None, metadata={"i": i}, aliases=["latest"], tags=[])
        for name, n in (("wide", files), ("narrow", 10)):
            m = Manifest.from_entries(
                ManifestEntry(path=f"d{i % 100:02d}/f{i:07d}.bin", digest=digest, size=i) for i in range(n)
            )
            store.commit(project="bench-ui", name=name, type_="dataset", manifest=m, run_id=run.id,
                         description=None, metadata={}, aliases=["latest"], tags=[])
    store.close()
    done.write_text(json.dumps({"versions": versions, "files": files}))


def best(client: Any, url: str, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return {"best_ms": round(min(times), 2), "median_ms": round(statistics.median(times), 2),
            "first_ms": round(times[0], 2)}


def pages(home: Path, repeat: int, versions: int) -> list[dict[str, Any]]:
    from starlette.testclient import TestClient

    from artiflow.ui import create_app

    store = artiflow.Store.open(home=home)
    client = TestClient(create_app(store))
    mid = versions // 2
    cases = [
        ("collection, first page", "/p/bench-ui/a/many", "/p/bench-ui/a/few"),
        ("collection, a page in the middle", f"/p/bench-ui/a/many?before={mid}", "/p/bench-ui/a/few?before=5"),
        ("version page (metadata, runs)", f"/p/bench-ui/a/many/v{mid}", "/p/bench-ui/a/few/v5"),
        ("version, 100k files: first view (reads the manifest)", "/p/bench-ui/a/wide/v0", "/p/bench-ui/a/narrow/v0"),
        ("version, 100k files: a directory, page 3", "/p/bench-ui/a/wide/v0?path=d42&page=2",
         "/p/bench-ui/a/narrow/v0?path=d05"),
        ("project page", "/p/bench-ui", "/p/bench-ui?q=few"),
        ("runs page", "/p/bench-ui/runs", "/p/bench-ui/runs?q=seed"),
    ]
    out = []
    for label, url, base in cases:
        row: dict[str, Any] = {}
        if "first view" in label:  # cold: a new app and store, so nothing is cached
            for key, page in (("cold", url), ("cold_baseline", base)):
                wall, cpu = zip(*(cold_request(home, page) for _ in range(repeat)), strict=True)
                row |= {f"{key}_ms": min(wall), f"{key}_cpu_ms": min(cpu)}
            row |= manifest_costs(store, repeat)
        a, b = best(client, url, repeat), best(client, base, repeat)
        row = {"page": label, "url": url, **a, "baseline_url": base, "baseline_best_ms": b["best_ms"],
               "ratio": round(a["best_ms"] / b["best_ms"], 2)} | row
        out.append(row)
    store.close()
    return out


def cold_request(home: Path, url: str) -> tuple[float, float]:
    """One request to a freshly opened store and app (the OS file cache stays warm): wall and CPU
    milliseconds (the CPU time of the process, steadier than the wall time on a loaded machine)."""
    from starlette.testclient import TestClient

    from artiflow.ui import create_app

    cold = artiflow.Store.open(home=home)
    try:
        client = TestClient(create_app(cold))
        t, c = time.perf_counter(), time.process_time()
        assert client.get(url).status_code == 200
        return round((time.perf_counter() - t) * 1000, 1), round((time.process_time() - c) * 1000, 1)
    finally:
        cold.close()


def manifest_costs(store: artiflow.Store, repeat: int) -> dict[str, float]:
    """The floor under a cold view of ``wide:v0``: reading its manifest, checking it against its
    digest, and ``json.loads`` alone, each the best of ``repeat``."""
    from artiflow.digests import b64_md5

    digest = store.metadata.find_version("bench-ui", "wide", "v0").manifest_digest
    out: dict[str, list[float]] = {"manifest_read_ms": [], "manifest_md5_ms": [], "manifest_json_ms": [],
                                   "manifest_json_cpu_ms": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        raw = store.blobs.read_bytes(digest)
        t1 = time.perf_counter()
        b64_md5(raw)
        t2, c2 = time.perf_counter(), time.process_time()
        json.loads(raw)
        t3, c3 = time.perf_counter(), time.process_time()
        for key, ms in zip(out, (t1 - t0, t2 - t1, t3 - t2, c3 - c2), strict=True):
            out[key].append(ms * 1000)
    return {k: round(min(v), 1) for k, v in out.items()} | {"manifest_bytes": len(raw)}


def lineage_ready(home: Path, focus: str, repeat: int, query: str = "") -> dict[str, float]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from artiflow.ui import create_app

    store = artiflow.Store.open(home=home)
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/ref/{focus}/lineage{query}"
    samples, nodes = [], 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
            for i in range(repeat + 1):  # the first one warms the browser's cache of the JS files
                page = browser.new_page()
                page.goto(url)
                page.wait_for_function("() => window.artiflowLineage && window.artiflowLineage.ready", timeout=120_000)
                ready = page.evaluate("() => window.artiflowLineage.readyAt")
                nodes = page.evaluate("() => window.artiflowLineage.data.nodes.length")
                if i:
                    samples.append(ready)
                page.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()
    return {"best_ms": round(min(samples), 1), "median_ms": round(statistics.median(samples), 1), "nodes": nodes}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000 versions, 10,000 files, a 20,000-node lineage")
    ap.add_argument("--versions", type=int, default=10_000)
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--lineage-nodes", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--root", type=Path, default=gen.DEFAULT_HOME, help="where generated stores are kept")
    ap.add_argument("--no-browser", action="store_true", help="skip the lineage time-to-ready")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "bench_ui.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.versions, args.files, args.lineage_nodes, args.repeat = 1000, 10_000, 20_000, 3
    home = args.root / f"ui-v{args.versions}-f{args.files}"
    t = time.perf_counter()
    seed(home, args.versions, args.files)
    report: dict[str, Any] = {"versions": args.versions, "files": args.files, "seed_s": round(time.perf_counter() - t, 1)}
    report["pages"] = pages(home, args.repeat, args.versions)
    print(f"{'page':56} {'best ms':>8} {'base ms':>8} {'ratio':>6}")
    for row in report["pages"]:
        extra = ""
        if "cold_ms" in row:
            extra = (f"\n{'':4}cold {row['cold_ms']} ms (CPU {row['cold_cpu_ms']}), 10-file cold "
                     f"{row['cold_baseline_ms']} ms (CPU {row['cold_baseline_cpu_ms']}); its "
                     f"{row['manifest_bytes'] / 1e6:.1f} MB manifest: read {row['manifest_read_ms']}, "
                     f"md5 {row['manifest_md5_ms']}, json.loads {row['manifest_json_ms']} ms "
                     f"(CPU {row['manifest_json_cpu_ms']})")
        print(f"{row['page']:56} {row['best_ms']:8.1f} {row['baseline_best_ms']:8.1f} {row['ratio']:6.2f}{extra}")
    if not args.no_browser:
        big = gen.Params(nodes=args.lineage_nodes)
        small = gen.Params(nodes=5000)
        t = time.perf_counter()
        big_home, _, _ = gen.ensure(big, args.root)
        small_home, _, _ = gen.ensure(small, args.root)
        report["lineage_gen_s"] = round(time.perf_counter() - t, 1)
        report["lineage"] = []
        for query in ("", "?up=10&down=2"):
            rows: dict[str, Any] = {"view": f"chain-1's last version{query or ' (default: 2 up, 2 down)'}"}
            for label, params, home_ in (("big", big, big_home), ("baseline", small, small_home)):
                focus = f"{gen.PROJECT}/chain-1:v{params.chain_length - 1}"
                rows[label] = {"nodes_in_store": params.nodes, "focus": focus,
                               **lineage_ready(home_, focus, args.repeat, query)}
            rows["ratio"] = round(rows["big"]["best_ms"] / rows["baseline"]["best_ms"], 2)
            report["lineage"].append(rows)
            print(f"lineage {rows['view']}: ready in {rows['big']['best_ms']} ms on {big.nodes:,} nodes "
                  f"({rows['big']['nodes']} drawn), {rows['baseline']['best_ms']} ms on 5,000: ratio {rows['ratio']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

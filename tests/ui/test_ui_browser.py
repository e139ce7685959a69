"""End to end in headless Chromium (Debian's ``chromium``, driven by Python ``playwright``).

The UI runs in uvicorn on 127.0.0.1 (port 0) in a thread, over seeded stores: the Prefect-like and
Dagster-like lineages of ``seed.py``, and a generated ~5,000-node one (``benchmarks/lineage_gen.py``).
Every test checks that the page logged no console error and asked no host but 127.0.0.1.

Set ``ARTIFLOW_UI_SCREENSHOTS=docs`` to refresh the README's screenshots in ``docs/``.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import artiflow
from artiflow.ui import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium); .ci/run installs it",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev group)")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed (the 'ui' extra)")

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import lineage_gen as gen  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]  # nothing but loopback resolves
DOCS = Path(__file__).resolve().parents[2] / "docs"
SHOTS = os.environ.get("ARTIFLOW_UI_SCREENSHOTS")  # read at import: each test's environment is scrubbed
READY = "() => window.artiflowLineage && window.artiflowLineage.ready"


class Server:
    """uvicorn serving an app on 127.0.0.1, in a thread."""

    def __init__(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the UI server did not start"
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


# one worker runs this module: its fixtures (a seeded store, a browser) are set up once
pytestmark = pytest.mark.xdist_group("ui-browser")


@pytest.fixture(scope="module")
def server(ui_store: artiflow.Store) -> Iterator[Server]:
    s = Server(create_app(ui_store))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, gen.Params]]:
    params = gen.Params(nodes=5000)
    home, _, _ = gen.ensure(params, tmp_path_factory.mktemp("lineage-5k"))
    store = artiflow.Store.open(home=home)
    s = Server(create_app(store))
    yield s, params
    s.stop()
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watched:
    """A page whose console errors and requests to hosts other than 127.0.0.1 are recorded."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 850})
        self.errors: list[str] = []
        self.foreign: list[str] = []

        def request(r: Any) -> None:
            url = urlsplit(r.url)
            if url.scheme not in ("file", "data", "blob") and url.hostname != "127.0.0.1":
                self.foreign.append(r.url)

        self.context.on("request", request)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def lineage(self, url: str) -> dict[str, Any]:
        self.page.goto(url)
        self.page.wait_for_function(READY, timeout=30_000)
        return self.data()

    def data(self) -> dict[str, Any]:
        return dict(self.page.evaluate("() => window.artiflowLineage.data"))

    def wait_load(self, n: int) -> dict[str, Any]:
        self.page.wait_for_function(f"() => window.artiflowLineage.ready && window.artiflowLineage.loads >= {n}",
                                    timeout=60_000)
        return self.data()

    def drawn(self) -> dict[str, int]:
        return dict(self.page.evaluate(
            "() => { const cy = window.artiflowLineage.cy; return {nodes: cy.nodes(':childless').length, "
            "edges: cy.edges().length, boxes: cy.nodes(':parent').length}; }"))

    def close(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.foreign == [], f"requests off loopback: {self.foreign}"
        self.context.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.close()


def shoot(w: Watched, name: str, **kw: Any) -> None:
    if SHOTS:
        out = DOCS if SHOTS == "docs" else Path(SHOTS)
        out.mkdir(parents=True, exist_ok=True)
        w.page.screenshot(path=str(out / name), **kw)


def test_prefect_like_lineage_merges_reruns_into_counted_edges(server: Server, watched: Watched) -> None:
    data = watched.lineage(f"{server.url}/ref/flows/model:v0/lineage?up=5&down=2")
    assert data["too_large"] is None
    labels = [n["label"] for n in data["nodes"]]
    assert labels[0] == "model:v0"
    # 4 identical flow runs: one ingest, one clean and one train node each, edges counted ×4
    runs = {n["sub"] for n in data["nodes"] if n["kind"] == "run"}
    assert runs == {"ingest · ×4 runs", "clean · ×4 runs", "train · ×4 runs"}
    assert {e["count"] for e in data["edges"]} == {4}
    assert watched.drawn() == {"nodes": 6, "edges": 5, "boxes": 0}
    items = watched.page.locator("#lineage-nodes > li")
    assert items.count() == 6 and items.first.get_attribute("class") == "artifact focus"
    status = watched.page.locator("#lineage-status").inner_text()
    assert status == "6 nodes, 5 edges, 9 repeated runs merged"


def test_dagster_like_lineage_clusters_partitions_and_opens_them(server: Server, watched: Watched) -> None:
    data = watched.lineage(f"{server.url}/ref/assets/report:v1/lineage?up=4")
    clusters = [n for n in data["nodes"] if n["kind"] == "cluster"]
    assert [(c["label"], c["count"], len(c["members"])) for c in clusters] == [("7 × daily", 7, 7)]
    assert watched.drawn()["boxes"] == 1  # the steps of one Dagster run share a box
    shoot(watched, "lineage.png")
    watched.page.locator(f'#lineage-nodes li[data-id="{clusters[0]["id"]}"] button.open').click()
    data = watched.wait_load(2)
    assert not [n for n in data["nodes"] if n["kind"] == "cluster"]
    assert {n["label"] for n in data["nodes"] if n["label"].startswith("daily:")} == {
        f"daily:v{i}" for i in range(7, 14)
    }
    assert watched.drawn()["nodes"] == len(data["nodes"]) == 11
    assert "open=cluster" in watched.page.url  # the view is a permalink


def test_expanding_a_node_adds_its_neighbours(server: Server, watched: Watched) -> None:
    data = watched.lineage(f"{server.url}/ref/assets/report:v1/lineage?up=4&down=0")
    before = len(data["nodes"])
    edge = next(n for n in data["nodes"] if n["hidden_up"] > 0 and n["kind"] != "cluster")
    watched.page.locator(f'#lineage-nodes li[data-id="{edge["id"]}"] button.expand').click()
    data = watched.wait_load(2)
    assert len(data["nodes"]) > before and edge["id"] in data["expand"]
    grown = next(n for n in data["nodes"] if n["id"] == edge["id"])
    assert grown["hidden_up"] == 0
    assert [n["label"] for n in data["nodes"] if n["dist"] == 5] == ["events"]  # the run that logged it
    # tapping a node on the canvas expands it too
    data = watched.lineage(f"{server.url}/ref/flows/raw:v0/lineage?up=0&down=1")
    # the four identical clean runs are one node, though what they logged is not drawn yet
    assert sorted((n["label"], n["count"]) for n in data["nodes"]) == [("clean-0", 4), ("raw:v0", 1)]
    target = next(n for n in data["nodes"] if n["label"] == "clean-0")
    assert (target["hidden_up"], target["hidden_down"]) == (0, 1)
    watched.page.evaluate(f"() => {{ window.artiflowLineage.cy.getElementById({target['id']!r}).emit('tap'); }}")
    data = watched.wait_load(2)
    assert target["id"] in data["expand"] and "clean:v0" in [n["label"] for n in data["nodes"]]


def test_depth_controls_and_path_to_the_focus(server: Server, watched: Watched) -> None:
    data = watched.lineage(f"{server.url}/ref/flows/model:v0/lineage?up=1&down=0")
    assert len(data["nodes"]) == 2
    watched.page.fill("#lineage-controls input[name=up]", "3")
    watched.page.click("#lineage-controls button[type=submit]")
    data = watched.wait_load(2)
    assert len(data["nodes"]) == 4 and "up=3" in watched.page.url
    far = max(data["nodes"], key=lambda n: n["dist"])
    watched.page.locator(f'#lineage-nodes li[data-id="{far["id"]}"]').hover()
    on_path = watched.page.evaluate("() => window.artiflowLineage.cy.elements('.path').length")
    assert on_path == 2 * far["dist"] + 1  # the nodes and edges from it to the focus


def test_a_generated_lineage_past_the_limit_shows_the_guard(generated: tuple[Server, gen.Params],
                                                            watched: Watched) -> None:
    s, params = generated
    data = watched.lineage(f"{s.url}/ref/bench/chain-1:v0/lineage?up=0&down=50")
    guard = watched.page.locator("#lineage-guard")
    assert data["too_large"] is not None and data["too_large"]["nodes"] > 2000 and guard.is_visible()
    assert f"{data['too_large']['nodes']} nodes" in guard.inner_text()
    assert watched.drawn()["nodes"] == 0
    watched.page.click("#guard-narrow")
    data = watched.wait_load(2)
    assert data["too_large"] is None and not guard.is_visible()
    assert watched.drawn()["nodes"] == len(data["nodes"]) > 100 and data["counts"]["clusters"] > 0


@pytest.mark.slow
def test_draw_anyway_lays_out_thousands_of_nodes(generated: tuple[Server, gen.Params], watched: Watched) -> None:
    s, params = generated
    watched.lineage(f"{s.url}/ref/bench/chain-1:v0/lineage?up=0&down=50")
    watched.page.click("#guard-force")
    data = watched.wait_load(2)
    assert data["too_large"] is None and len(data["nodes"]) > 2000
    assert watched.drawn()["nodes"] == len(data["nodes"])
    assert "force=1" in watched.page.url


def test_focus_view_of_a_long_chain(generated: tuple[Server, gen.Params], watched: Watched) -> None:
    s, params = generated
    end = params.chain_length - 1
    data = watched.lineage(f"{s.url}/ref/bench/chain-1:v{end}/lineage?up=20&down=0")
    assert data["nodes"][0]["label"] == f"chain-1:v{end}" and 100 < len(data["nodes"]) < 2000
    assert data["counts"]["clusters"] > 0
    assert watched.page.locator("#lineage-nodes > li").count() == len(data["nodes"])


def test_pages_work_in_the_browser_with_htmx(server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{server.url}/p/flows")
    page.fill("#collections ~ * input, form.filter input[name=q]", "mod")
    page.wait_for_function("() => document.querySelectorAll('#collection-rows tr.collection').length === 1")
    assert "q=mod" in page.url
    page.goto(f"{server.url}/p/flows/a/bulk/v0")
    page.click("#file-table tr.dir >> text=d3/")
    page.wait_for_function("() => document.querySelector('#file-path').innerText.includes('d3')")
    assert "path=d3" in page.url and page.locator("#file-table tr.dir").count() == 7
    page.goto(f"{server.url}/p/flows/a/model/v0")
    assert page.locator("#digest").inner_text() == page.locator("#digest").inner_text().strip()
    shoot(watched, "version-page.png", full_page=True)
    page.click("text=Lineage")
    page.wait_for_function(READY)
    assert page.evaluate("() => window.artiflowLineage.data.nodes.length") >= 3


def test_lineage_html_export_opens_offline(ui_store: artiflow.Store, tmp_path: Path, watched: Watched) -> None:
    from typer.testing import CliRunner

    from artiflow.cli import app

    home = Path(ui_store.settings.home)
    result = CliRunner().invoke(app, ["--home", str(home), "lineage", "assets/report:v1", "--format", "html",
                                      "--depth", "4"])
    assert result.exit_code == 0, result.output
    page_file = tmp_path / "lineage.html"
    page_file.write_text(result.stdout)
    assert "http://" not in result.stdout.split("<script", 1)[0] and 'src="' not in result.stdout
    data = watched.lineage(page_file.as_uri())
    assert [n["label"] for n in data["nodes"]][:3] == ["report:v1", "report", "7 × daily"]  # nearest first
    assert watched.drawn() == {"nodes": 5, "edges": 4, "boxes": 1}
    assert watched.page.locator("#lineage-nodes > li").count() == 5

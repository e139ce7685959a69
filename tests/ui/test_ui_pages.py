"""The UI's pages against the ASGI app (httpx through Starlette's TestClient), on a seeded store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import artiflow
from artiflow.ui import create_app


# one worker runs this module: its fixtures (a seeded store) are set up once
pytestmark = pytest.mark.xdist_group("ui-pages")


@pytest.fixture(scope="module")
def client(ui_store: artiflow.Store) -> TestClient:
    return TestClient(create_app(ui_store))


def rows(html: str, table_id: str) -> list[str]:
    """The text of each body row of the table with this id."""
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    found = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in found]


def test_projects_page_lists_every_project_with_counts(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    found = rows(r.text, "projects")
    assert any(row.startswith("flows ") for row in found) and any(row.startswith("assets ") for row in found)
    assert "flows 4 21" in found  # raw, clean, model, bulk; 5 flow runs of 4 runs each + the bulk run


def test_collections_show_type_count_latest_and_aliases(client: TestClient) -> None:
    found = rows(client.get("/p/flows").text, "collections")
    model = next(r for r in found if r.startswith("model "))
    assert model.split()[:4] == ["model", "model", "2", "v1"]
    assert "candidate" in model and "latest" in model and "production" in model


def test_search_filters_collections_and_finds_runs(client: TestClient) -> None:
    assert [r.split()[0] for r in rows(client.get("/p/flows?q=mod").text, "collections")] == ["model"]
    fragment = client.get("/p/flows?q=raw", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and "raw" in fragment and "model" not in fragment
    found = client.get("/search?q=train-1").text
    assert [r.split()[1] for r in rows(found, "found-runs")] == ["train-1"]


def test_version_page_shows_files_metadata_aliases_digest_and_runs(client: TestClient, ui_store: artiflow.Store) -> None:
    v = ui_store.metadata.find_version("flows", "model", "v0")
    html = client.get("/p/flows/a/model/v0").text
    assert v.digest in html
    assert "production" in html.split('id="aliases"')[1].split("</dd>")[0]
    assert rows(html, "metadata") == ["accuracy 0.9", "params.layers 2"]
    assert [r.split()[0] for r in rows(html, "file-table")] == ["README.md", "model.json"]
    producer = html.split('id="producer"')[1].split("</dd>")[0]
    assert "train-0" in producer and "re-logged by 3 more runs" in producer
    assert "none" in html.split('id="consumers"')[1].split("</dd>")[0]
    clean = client.get("/p/flows/a/clean/v0").text.split('id="consumers"')[1].split("</dd>")[0]
    assert "4 runs" in clean and "train-3" in clean


def test_an_alias_in_the_url_shows_that_version_with_a_permalink(client: TestClient) -> None:
    html = client.get("/p/flows/a/model/production").text
    assert "model:v0" in html and 'class="permalink" href="/p/flows/a/model/v0"' in html
    r = client.get("/ref/flows/model:latest", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/p/flows/a/model/v1")
    r = client.get("/ref/my-entity/flows/model:candidate/lineage", follow_redirects=False)
    assert r.headers["location"] == "/p/flows/a/model/v1/lineage"
    r = client.get("/search?q=flows/raw:v1", follow_redirects=False)
    assert r.headers["location"] == "/p/flows/a/raw/v1"
    assert client.get("/ref/flows/model:nope").status_code == 404
    assert client.get("/p/flows/a/nope/v0").status_code == 404


def test_file_tree_browses_directories_and_pages(client: TestClient, ui_store: artiflow.Store) -> None:
    html = client.get("/p/flows/a/bulk/v0").text
    top = rows(html, "file-table")
    assert [r.split()[0] for r in top] == [f"d{i}/" for i in range(10)]
    assert top[0].endswith("200 files")
    inner = client.get("/p/flows/a/bulk/v0/files?path=d3/s2", headers={"HX-Request": "true"}).text
    names = [r.split()[0] for r in rows(inner, "file-table")]
    assert len(names) == len([i for i in range(2000) if i % 10 == 3 and i % 7 == 2]) and names[0] == "f000023.txt"
    # 2000 files in one listing page through 200 at a time
    flat = ui_store.metadata.find_version("flows", "bulk", "v0")
    assert flat.file_count == 2000
    second = client.get("/p/flows/a/bulk/v0?path=d0/s0&page=0").text
    assert "f000000.txt" in second
    assert client.get("/p/flows/a/bulk/v0/files?path=d1", follow_redirects=False).status_code == 303


def test_diff_lists_changed_files_and_metadata(client: TestClient) -> None:
    html = client.get("/p/flows/a/model/v1/diff").text
    assert "0 added, 0 removed, 1 changed, 1 unchanged files; 1 metadata key changed." in html
    assert rows(html, "diff-files") == ["~ model.json 16 B 16 B"]
    assert rows(html, "diff-metadata") == ["accuracy 0.9 0.9500000000000001"]
    same = client.get("/p/flows/a/model/v0/diff?against=v0").text
    assert "hold the same files and metadata" in same


def test_collection_versions_page_with_a_cursor(client: TestClient) -> None:
    html = client.get("/p/assets/a/daily").text
    listed = [r.split()[0] for r in rows(html, "versions")]
    assert listed == [f"v{i}" for i in range(13, -1, -1)]
    older = client.get("/p/assets/a/daily?before=3", headers={"HX-Request": "true"}).text
    assert "<html" not in older
    assert re.findall(r'<tr class="version"><td><a href="([^"]+)"', older) == [
        "/p/assets/a/daily/v2", "/p/assets/a/daily/v1", "/p/assets/a/daily/v0",
    ]


def test_run_page_shows_job_type_group_config_and_versions(client: TestClient, ui_store: artiflow.Store) -> None:
    run = next(r for r in ui_store.metadata.list_runs("flows") if r.name == "train-4")
    html = client.get(f"/p/flows/r/{run.id}").text
    assert "<small>train</small>" in html
    assert rows(html, "config") == ["epochs 3", "lr 0.01"]
    assert [r.split()[0] for r in rows(html, "used")] == ["clean:v1"]
    assert [r.split()[0] for r in rows(html, "logged")] == ["model:v1"]
    group = html.split('id="group"')[1].split("</dd>")[0]
    assert run.group in group and "ingest-4" in group and "group run" in group
    listing = rows(client.get("/p/flows/runs?q=train").text, "runs")
    assert [r.split()[0] for r in listing] == [f"train-{i}" for i in range(4, -1, -1)]


def test_runs_page_paginates_with_a_cursor(client: TestClient) -> None:
    seen: list[str] = []
    url = "/p/flows/runs"
    html = client.get(url).text
    seen += [r.split()[0] for r in rows(html, "runs") if not r.startswith("More")]
    assert len(seen) == 21  # fits on one page
    page = client.get("/p/assets/runs").text
    assert len(rows(page, "runs")) == 6


def test_pages_are_read_only_and_send_a_strict_content_security_policy(client: TestClient) -> None:
    r = client.get("/p/flows/a/model/v0")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "<form" not in r.text.split('id="facts"')[1].split("<h2>")[0]
    assert client.post("/p/flows/a/model/v0/edit", data={"aliases": "x"}).status_code in (404, 405)


def test_a_token_guards_every_request(ui_store: artiflow.Store) -> None:
    c = TestClient(create_app(ui_store, token="s3cret"))
    assert c.get("/").status_code == 401
    assert c.get("/static/lineage.js").status_code == 401
    assert c.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    r = c.get("/p/flows?token=s3cret&q=mod", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/p/flows?q=mod"
    assert c.get("/p/flows?q=mod").status_code == 200  # the cookie it set
    assert TestClient(create_app(ui_store, token="s3cret")).get("/?token=wrong").status_code == 401


def test_vendored_files_are_served(client: TestClient) -> None:
    for name in ("cytoscape-3.35.0.min.js", "dagre-3.1.3.min.js", "htmx-2.0.11.min.js", "VENDOR.json"):
        r = client.get(f"/static/vendor/{name}")
        assert r.status_code == 200 and len(r.content) > 500


def test_mounted_under_a_prefix_links_stay_inside_it(ui_store: artiflow.Store) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    outer = Starlette(routes=[Mount("/artifacts", app=create_app(ui_store))])
    html = TestClient(outer).get("/artifacts/p/flows").text
    assert 'href="/artifacts/p/flows/a/model"' in html and 'src="/artifacts/static/vendor/htmx-2.0.11.min.js"' in html


def test_a_damaged_manifest_is_reported_not_listed(local_store: artiflow.Store, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("hello\n")
    with artiflow.init(project="p", store=local_store) as run:
        art = artiflow.Artifact("cats", type="dataset")
        art.add_dir(str(tmp_path / "d"))
        run.log_artifact(art)
    rec = local_store.metadata.find_version("p", "cats", "v0")
    blob = Path(local_store.blobs.path(rec.manifest_digest))  # type: ignore[attr-defined]
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes().replace(b"a.txt", b"b.txt"))
    html = TestClient(create_app(local_store)).get("/p/p/a/cats/v0").text
    assert "does not match its digest" in html and "b.txt" not in html


def test_edits_need_allow_edits_and_the_csrf_token(local_store: artiflow.Store, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hi\n")
    with artiflow.init(project="p", store=local_store) as run:
        art = artiflow.Artifact("cats", type="dataset")
        art.add_file(str(tmp_path / "a.txt"))
        run.log_artifact(art, aliases=["old"])
    c = TestClient(create_app(local_store, allow_edits=True))
    html = c.get("/p/p/a/cats/v0").text
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None
    form = {"aliases": "best, staging", "tags": "checked", "description": "the good one"}
    assert c.post("/p/p/a/cats/v0/edit", data=form).status_code == 403  # no token
    assert c.post("/p/p/a/cats/v0/edit", data=form | {"csrf": token[1]},
                  headers={"Origin": "http://evil.example"}).status_code == 403
    r = c.post("/p/p/a/cats/v0/edit", data=form | {"csrf": token[1]}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/p/p/a/cats/v0")
    rec = local_store.metadata.find_version("p", "cats", "v0")
    assert sorted(rec.aliases) == ["best", "latest", "staging"] and rec.tags == ("checked",)
    assert rec.description == "the good one"
    bad = c.post("/p/p/a/cats/v0/edit", data={"aliases": "v7", "csrf": token[1]})
    assert bad.status_code == 400 and "Not saved" in bad.text
    assert sorted(local_store.metadata.find_version("p", "cats", "v0").aliases) == ["best", "latest", "staging"]


def test_lineage_of_a_flow_run_shows_its_task_runs_in_one_box(client: TestClient, ui_store: artiflow.Store) -> None:
    flow = next(r for r in ui_store.metadata.list_runs("flows") if r.name == "etl-run-4")
    data = client.get("/api/lineage", params={"focus": f"flows/{flow.id}", "up": 3, "down": 3}).json()
    assert sorted(n["label"] for n in data["nodes"]) == [
        "clean-4", "clean:v1", "etl-run-4", "ingest-4", "model:v1", "raw:v1", "train-4",
    ]
    assert [g["label"] for g in data["groups"]] == ["etl · etl-run-4"]
    assert {n["parent"] for n in data["nodes"]} == {f"group:{flow.id}"}
    assert client.get("/api/lineage", params={"focus": "flows/nope:v0"}).status_code == 404


def test_a_hub_past_the_walk_limit_answers_with_counts(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from artiflow.ui import view

    monkeypatch.setattr(view, "WALK_LIMIT", 10)  # the 14 versions of daily, their runs and their inputs
    data = client.get("/api/lineage", params={"focus": "assets/events:v0", "down": 3}).json()
    assert data["too_large"] == {"nodes": 11, "edges": 16, "limit": 2000, "fits": 2, "before_clustering": True}
    assert data["nodes"] == [] and data["counts"]["versions"] == 8
    forced = client.get("/api/lineage", params={"focus": "assets/events:v0", "down": 3, "force": "1"}).json()
    assert forced["too_large"] is None and forced["counts"]["clusters"] == 1

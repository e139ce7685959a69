"""OpenLineage: runs become START then COMPLETE/FAIL RunEvents that validate against the spec.

The spec's JSON schemas are vendored in ``data/openlineage`` (see its README); artiflow's own facet
schemas ship with the package (``artiflow/schemas``). Every event a test sees is validated.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest
from referencing import Registry, Resource

import artiflow
from artiflow import Artifact, MissingDependencyError, Settings, Store
from artiflow import openlineage as ol

MakeTree = Callable[..., Path]
Event = dict[str, Any]

SPEC_DIR = Path(__file__).parent / "data" / "openlineage"
FACETS_DIR = Path(artiflow.__file__).parent / "schemas"
ARTIFACT_FACET = "https://artiflow.dev/spec/facets/1-0-0/ArtiflowArtifactDatasetFacet.json"
RUN_FACET = "https://artiflow.dev/spec/facets/1-0-0/ArtiflowRunRunFacet.json"
JOB_TYPE_FACET = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json"
OL_CLIENT = "https://github.com/OpenLineage/OpenLineage/"


# -- validation against the OpenLineage JSON schema ------------------------------------------------


@cache
def _registry() -> Registry[Any]:
    schemas = [json.loads(p.read_text()) for p in [*SPEC_DIR.glob("*.json"), *FACETS_DIR.glob("*.json")]]
    return Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)


def _validate(instance: dict[str, Any], ref: str) -> None:
    validator = jsonschema.Draft202012Validator(
        {"$ref": ref}, registry=_registry(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(instance)


def _facets(event: Event) -> Iterator[dict[str, Any]]:
    yield from (event["run"].get("facets") or {}).values()
    yield from (event["job"].get("facets") or {}).values()
    for ds in [*event.get("inputs", []), *event.get("outputs", [])]:
        for key in ("facets", "inputFacets", "outputFacets"):
            yield from (ds.get(key) or {}).values()


def assert_valid(event: Event) -> set[str]:
    """Validate the event against the schema its ``schemaURL`` names, and every facet whose schema we have.

    Returns the facet schemas that were checked (the rest were checked as core facets only).
    """
    assert event["schemaURL"] == "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    _validate(event, event["schemaURL"])
    checked = set()
    for facet in _facets(event):
        base = facet["_schemaURL"].partition("#")[0]
        # ours carry artiflow as producer; the client adds a few of its own (a ``tags`` run facet)
        assert facet["_producer"] == event["producer"] or facet["_producer"].startswith(OL_CLIENT)
        if base in (ARTIFACT_FACET, RUN_FACET, JOB_TYPE_FACET):
            _validate(facet, facet["_schemaURL"])
            checked.add(base)
    return checked


def test_the_validator_rejects_events_that_break_the_spec(tmp_path: Path) -> None:
    good: Event = {
        "eventType": "START", "eventTime": "2026-01-01T00:00:00+00:00", "producer": "https://artiflow.dev/x",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "demo", "name": "train"},
    }
    assert_valid(good)
    for broken in (
        {**good, "run": {"runId": "run-abc"}},
        {**good, "eventType": "DONE"},
        {**good, "eventTime": "yesterday"},
        {k: v for k, v in good.items() if k != "job"},
        {**good, "inputs": [{"namespace": "x", "name": "y", "facets": {"version": {"datasetVersion": "v1"}}}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            _validate(broken, good["schemaURL"])


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """``open_store(openlineage_transport=..., ...)``: a store on ``tmp_path/home`` with those settings."""
    opened: list[Store] = []

    def open_(**settings: Any) -> Store:
        store = Store.open(Settings(home=tmp_path / "home", **settings))
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


def read_events(path: Path, job: str | None = None) -> list[Event]:
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return [e for e in events if job is None or e["job"]["name"] == job]


def dataset(make_tree: MakeTree, files: dict[str, str], name: str = "cats") -> Artifact:
    art = Artifact(name, "dataset")
    art.add_dir(make_tree(files))
    return art


def prepare(store: Store, make_tree: MakeTree) -> tuple[Artifact, Artifact]:
    """Two versions of ``demo/cats`` (v0, v1), logged by a ``prep`` run."""
    with artiflow.init(project="demo", job_type="prep", store=store) as run:
        v0 = run.log_artifact(dataset(make_tree, {"a.txt": "one\n"}))
        v1 = run.log_artifact(dataset(make_tree, {"a.txt": "two\n", "b.txt": "three\n"}))
    assert (v0.version, v1.version) == ("v0", "v1")
    return v0, v1


def train(store: Store, make_tree: MakeTree) -> tuple[artiflow.Run, Artifact]:
    """A ``train`` run that uses ``cats:v1`` and logs ``cat-model`` with the alias ``best``."""
    with artiflow.init(project="demo", job_type="train", store=store) as run:
        run.use_artifact("cats:v1")
        model = Artifact("cat-model", "model")
        model.add_dir(make_tree({"weights.bin": "0101\n"}))
        run.log_artifact(model, aliases=["best"])
    return run, model


# -- what a run's events say ------------------------------------------------------------------------


def test_a_run_is_emitted_as_start_then_complete_with_used_and_logged_versions(
    open_store: Callable[..., Store], make_tree: MakeTree, tmp_path: Path
) -> None:
    events_file = tmp_path / "lineage" / "events.jsonl"
    store = open_store(openlineage_transport="file", openlineage_file=events_file)
    _v0, cats = prepare(store, make_tree)
    run, model = train(store, make_tree)

    start, complete = read_events(events_file, job="train")
    assert assert_valid(start) == {RUN_FACET, JOB_TYPE_FACET}  # nothing used or logged yet at init
    assert assert_valid(complete) == {RUN_FACET, JOB_TYPE_FACET, ARTIFACT_FACET}
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert start["inputs"] == [] and start["outputs"] == []

    namespace = ol.dataset_namespace(store.settings)
    assert namespace == f"artiflow://localhost{(tmp_path / 'home' / 'artiflow.db').as_posix()}"
    run_id = start["run"]["runId"]
    assert complete["run"]["runId"] == run_id == ol.run_uuid(namespace, "demo", run.id)
    assert uuid.UUID(run_id).version == 5
    assert complete["run"]["facets"]["artiflow_run"]["path"] == run.path
    assert complete["run"]["facets"]["artiflow_run"]["state"] == "finished"
    assert start["job"]["namespace"] == "demo" and start["job"]["name"] == "train"
    assert start["job"]["facets"]["jobType"]["jobType"] == "train"
    assert start["eventTime"] == run.created_at.isoformat()
    assert complete["eventTime"] >= start["eventTime"]

    [used] = complete["inputs"]
    assert (used["namespace"], used["name"]) == (namespace, "demo/cats")
    assert used["facets"]["version"]["datasetVersion"] == "v1"
    facet = used["facets"]["artiflow_artifact"]
    assert (facet["reference"], facet["type"], facet["digest"]) == ("demo/cats:v1", "dataset", cats.digest)
    assert (facet["size"], facet["fileCount"], facet["aliases"]) == (cats.size, 2, ["latest"])
    assert facet["_schemaURL"] == f"{ARTIFACT_FACET}#/$defs/ArtiflowArtifactDatasetFacet"

    [out] = complete["outputs"]
    assert (out["namespace"], out["name"]) == (namespace, "demo/cat-model")
    assert out["facets"]["version"]["datasetVersion"] == "v0"
    facet = out["facets"]["artiflow_artifact"]
    assert (facet["type"], facet["digest"], facet["fileCount"]) == ("model", model.digest, 1)
    assert sorted(facet["aliases"]) == ["best", "latest"]

    # the producing run's events name the same datasets, so consumers join the two jobs through them
    [prep_complete] = [e for e in read_events(events_file, job="prep") if e["eventType"] == "COMPLETE"]
    assert [(d["name"], d["facets"]["version"]["datasetVersion"]) for d in prep_complete["outputs"]] == [
        ("demo/cats", "v0"), ("demo/cats", "v1")
    ]
    assert all(assert_valid(e) for e in read_events(events_file))


def test_a_run_whose_block_raised_is_emitted_as_fail_with_the_error(
    open_store: Callable[..., Store], make_tree: MakeTree, tmp_path: Path
) -> None:
    events_file = tmp_path / "events.jsonl"
    store = open_store(openlineage_transport="file", openlineage_file=events_file)
    prepare(store, make_tree)
    with pytest.raises(RuntimeError, match="diverged"):
        with artiflow.init(project="demo", job_type="train", store=store) as run:
            run.use_artifact("cats:v0")
            raise RuntimeError("loss diverged")
    assert run.state == "failed"

    start, fail = read_events(events_file, job="train")
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert_valid(start)
    assert_valid(fail)
    assert [(d["name"], d["facets"]["version"]["datasetVersion"]) for d in fail["inputs"]] == [("demo/cats", "v0")]
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "RuntimeError: loss diverged"
    assert error["programmingLanguage"] == "PYTHON"
    assert "raise RuntimeError" in error["stackTrace"]
    assert fail["run"]["facets"]["artiflow_run"]["state"] == "failed"


def test_finish_with_a_nonzero_exit_code_is_a_fail(open_store: Callable[..., Store], tmp_path: Path) -> None:
    events_file = tmp_path / "events.jsonl"
    store = open_store(openlineage_transport="file", openlineage_file=events_file)
    run = artiflow.init(project="demo", name="nightly", store=store)
    run.finish(exit_code=3)
    start, fail = read_events(events_file)
    assert start["job"]["name"] == "nightly"  # no job_type: the run's name is the job
    assert fail["eventType"] == "FAIL"
    assert fail["run"]["facets"]["errorMessage"]["message"].endswith("finished with exit code 3")
    assert_valid(fail)


def test_settings_come_from_the_environment_and_the_file_defaults_to_the_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_tree: MakeTree
) -> None:
    monkeypatch.setenv("ARTIFLOW_OPENLINEAGE_TRANSPORT", "file")
    monkeypatch.setenv("ARTIFLOW_OPENLINEAGE_NAMESPACE", "artiflow://team-store")
    with artiflow.init(project="demo", job_type="etl") as run:
        run.log_artifact(dataset(make_tree, {"x.csv": "1,2\n"}, name="table"))
    run.store.close()
    events = read_events(tmp_path / "home" / "openlineage.jsonl")
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert events[1]["outputs"][0]["namespace"] == "artiflow://team-store"
    assert events[1]["run"]["runId"] == ol.run_uuid("artiflow://team-store", "demo", run.id)
    for event in events:
        assert_valid(event)


# -- transports -------------------------------------------------------------------------------------


def test_console_transport_logs_each_event(
    open_store: Callable[..., Store], make_tree: MakeTree, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(openlineage_transport="console")
    prepare(store, make_tree)
    with caplog.at_level(logging.INFO, logger="openlineage.client.transport.console"):
        train(store, make_tree)
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "openlineage.client.transport.console"]
    assert [(e["eventType"], e["job"]["name"]) for e in events] == [("START", "train"), ("COMPLETE", "train")]
    assert [d["name"] for d in events[1]["inputs"]] == ["demo/cats"]
    for event in events:
        assert_valid(event)


class _Collector(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = cast(_LineageServer, self.server)
        server.received.append((self.path, dict(self.headers.items()), json.loads(body)))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


class _LineageServer(ThreadingHTTPServer):
    """A stand-in for Marquez: records every POST."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Collector)
        self.received: list[tuple[str, dict[str, str], Event]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def lineage_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_LineageServer]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # requests would send loopback traffic to a proxy otherwise
    server = _LineageServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()
    server.server_close()


def test_http_transport_posts_events_to_a_lineage_server(
    open_store: Callable[..., Store], make_tree: MakeTree, lineage_server: _LineageServer
) -> None:
    store = open_store(
        openlineage_transport="http", openlineage_url=lineage_server.url, openlineage_api_key="s3cret"
    )
    prepare(store, make_tree)
    lineage_server.received.clear()
    run, model = train(store, make_tree)

    assert [path for path, _headers, _body in lineage_server.received] == ["/api/v1/lineage"] * 2
    headers = lineage_server.received[0][1]
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == "Bearer s3cret"
    start, complete = (body for _path, _headers, body in lineage_server.received)
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert start["run"]["runId"] == complete["run"]["runId"]
    assert complete["outputs"][0]["facets"]["artiflow_artifact"]["digest"] == model.digest
    assert complete["inputs"][0]["facets"]["version"]["datasetVersion"] == "v1"
    for event in (start, complete):
        assert_valid(event)


def test_http_endpoint_is_configurable(open_store: Callable[..., Store], lineage_server: _LineageServer) -> None:
    store = open_store(openlineage_transport="http", openlineage_url=lineage_server.url,
                       openlineage_endpoint="lineage/events")
    with artiflow.init(project="demo", store=store):
        pass
    assert [path for path, _h, _b in lineage_server.received] == ["/lineage/events"] * 2
    assert "Authorization" not in lineage_server.received[0][1]


# -- failure never reaches the run -----------------------------------------------------------------


def test_a_failing_emitter_logs_a_warning_and_the_run_still_finishes(
    open_store: Callable[..., Store], make_tree: MakeTree, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(openlineage_transport="file", openlineage_file=tmp_path)  # a directory: unwritable
    with caplog.at_level(logging.WARNING, logger="artiflow.openlineage"):
        with artiflow.init(project="demo", store=store) as run:
            logged = run.log_artifact(dataset(make_tree, {"a.txt": "a\n"}))
    assert run.state == "finished"
    assert [a.qualified_name for a in run.logged_artifacts()] == [logged.qualified_name]
    warnings = [r.getMessage() for r in caplog.records if r.name == "artiflow.openlineage"]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"OpenLineage START event for run {run.path} was not emitted")
    assert warnings[1].startswith(f"OpenLineage COMPLETE event for run {run.path} was not emitted")


def test_http_without_a_url_is_a_warning_not_an_error(
    open_store: Callable[..., Store], caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(openlineage_transport="http")
    with caplog.at_level(logging.WARNING, logger="artiflow.openlineage"):
        with artiflow.init(project="demo", store=store) as run:
            pass
    assert run.state == "finished"
    assert any("ARTIFLOW_OPENLINEAGE_URL" in r.getMessage() for r in caplog.records)


@pytest.fixture
def without_openlineage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import openlineage`` fail as if ``artiflow[openlineage]`` were not installed."""
    for name in [n for n in sys.modules if n == "openlineage" or n.startswith("openlineage.")] or ["openlineage"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "artiflow._openlineage_client", raising=False)
    monkeypatch.delattr(artiflow, "_openlineage_client", raising=False)


@pytest.mark.usefixtures("without_openlineage")
def test_missing_client_names_the_extra(
    open_store: Callable[..., Store], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(openlineage_transport="file", openlineage_file=tmp_path / "events.jsonl")
    with caplog.at_level(logging.WARNING, logger="artiflow.openlineage"):
        with artiflow.init(project="demo", store=store) as run:
            pass
    assert run.state == "finished"  # enabled but not installed: warned, not failed
    assert "artiflow[openlineage]" in caplog.records[0].getMessage()
    with pytest.raises(MissingDependencyError, match=r"artiflow\[openlineage\]"):
        ol.emit_run(run)
    assert not (tmp_path / "events.jsonl").exists()


# -- off by default, and on demand ----------------------------------------------------------------


def test_off_by_default_nothing_is_emitted_and_openlineage_is_not_imported(tmp_path: Path) -> None:
    code = (
        "import os, sys, artiflow\n"
        "with artiflow.init(project='demo', job_type='train') as run:\n"
        "    p = os.path.join(os.getcwd(), 'data.txt')\n"
        "    open(p, 'w').write('x')\n"
        "    run.log_artifact(p, name='data', type='dataset')\n"
        "with artiflow.init(project='demo') as run2:\n"
        "    run2.use_artifact('data:latest')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'openlineage' or 'openlineage_client' in m)\n"
        "print(run.store.settings.openlineage_transport, loaded)\n"
    )
    work = tmp_path / "proc"
    work.mkdir()
    env = {"ARTIFLOW_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=work, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "none []"
    assert done.stderr == ""
    assert sorted(p.name for p in (tmp_path / "home").iterdir() if "lineage" in p.name.lower()) == []


def test_emit_run_sends_a_finished_run_later_with_the_same_run_id(
    open_store: Callable[..., Store], make_tree: MakeTree, tmp_path: Path
) -> None:
    store = open_store()
    prepare(store, make_tree)
    run, _model = train(store, make_tree)
    with pytest.raises(artiflow.ArtiflowError, match="OpenLineage is off"):
        ol.emit_run(run)

    events_file = tmp_path / "backfill.jsonl"
    on = store.settings.model_copy(update={"openlineage_transport": "file", "openlineage_file": events_file})
    ol.emit_run(run, settings=on)
    ol.emit_run(run, settings=on)
    events = read_events(events_file)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 2
    assert len({e["run"]["runId"] for e in events}) == 1
    assert events == [*events[:2], *events[:2]]  # stable: the same run sends the same events
    for event in events:
        assert event["run"]["facets"].pop("tags")["_producer"].startswith(OL_CLIENT)  # added by the client
    assert ol.run_events(run) == events[:2]
    for event in events[:2]:
        assert_valid(event)


def test_the_dataset_namespace_never_carries_credentials() -> None:
    settings = Settings(database_url="postgresql+psycopg://artiflow:hunter2@db.example:5432/meta")
    assert ol.dataset_namespace(settings) == "artiflow://db.example:5432/meta"
    assert ol.dataset_namespace(settings.model_copy(update={"openlineage_namespace": "prod"})) == "prod"

"""The lineage graph: unit tests on hand-built events, then through real stores."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import artiflow
from artiflow import Api, Artifact, Store, TypeCollisionError
from artiflow.lineage import LineageEvent, LineageGraph
from artiflow.lineage.graph import artifact_node, collection_node, run_node

MakeTree = Callable[..., Path]
Log = Callable[..., Artifact]  # the ``log`` fixture


def ev(
    id_: int,
    kind: str,
    run: str,
    version: str,
    *,
    created: bool = False,
    project: str = "p",
    name: str = "cats",
    type_: str = "dataset",
    index: int = 0,
    run_project: str | None = None,
) -> LineageEvent:
    return LineageEvent(id_, kind, created, run, run_project or project, version, project, name, type_, index)


# -- LineageGraph on hand-built events -----------------------------------------------------------


def test_empty_graph_answers_nothing() -> None:
    g = LineageGraph()
    assert g.cursor == 0
    assert g.logged_by("v") is None
    assert g.loggers("v") == [] and g.used_by("v") == []
    assert g.logged_artifacts("r") == [] and g.used_artifacts("r") == []
    assert g.collection_type("p", "cats") is None


def test_logged_and_used() -> None:
    g = LineageGraph()
    g.apply(ev(1, "logged", "r1", "a0", created=True))
    g.apply(ev(2, "used", "r2", "a0"))
    g.apply(ev(3, "used", "r3", "a0"))
    g.apply(ev(4, "logged", "r2", "b0", created=True, name="model", type_="model"))
    assert g.logged_by("a0") == "r1"
    assert g.used_by("a0") == ["r2", "r3"]
    assert g.logged_artifacts("r1") == ["a0"]
    assert g.used_artifacts("r2") == ["a0"]
    assert g.logged_artifacts("r2") == ["b0"]
    assert g.used_by("b0") == []
    assert g.collection_type("p", "cats") == "dataset"
    assert g.collection_type("p", "model") == "model"
    assert g.cursor == 4


def test_graph_shape() -> None:
    g = LineageGraph()
    g.apply(ev(1, "logged", "r1", "a1", created=True, index=1, run_project="runs"))
    g.apply(ev(2, "used", "r2", "a1", index=1))
    a, c = artifact_node("a1"), collection_node("p", "cats")
    kinds = {(u, v): k for u, v, k in g.graph.edges(data="kind")}
    assert kinds == {
        (run_node("r1"), a): "logged",
        (a, c): "version_of",
        (a, run_node("r2")): "used",
    }
    assert g.graph.nodes[a]["ref"] == "p/cats:v1"
    assert g.graph.nodes[a]["kind"] == "artifact"
    assert g.graph.nodes[c]["type"] == "dataset"
    assert g.graph.nodes[run_node("r1")]["project"] == "runs"


def test_dedup_relog_does_not_steal_the_producer() -> None:
    g = LineageGraph()
    g.apply(ev(1, "logged", "creator", "a0", created=True))
    g.apply(ev(2, "logged", "again", "a0", created=False))
    g.apply(ev(3, "logged", "third", "a0", created=False))
    assert g.logged_by("a0") == "creator"
    assert g.loggers("a0") == ["creator", "again", "third"]
    assert g.logged_artifacts("again") == ["a0"]


def test_producer_falls_back_to_first_logger_when_creation_was_not_seen() -> None:
    g = LineageGraph()
    g.apply(ev(5, "logged", "relogger", "a0", created=False))
    assert g.logged_by("a0") == "relogger"
    g.apply(ev(6, "logged", "creator", "a0", created=True))
    assert g.logged_by("a0") == "creator"


def test_repeated_edges_collapse() -> None:
    g = LineageGraph()
    g.apply(ev(1, "logged", "r1", "a0", created=True))
    g.apply(ev(2, "used", "r2", "a0"))
    g.apply(ev(3, "used", "r2", "a0"))
    g.apply(ev(4, "logged", "r1", "a0"))
    assert g.used_by("a0") == ["r2"]
    assert g.loggers("a0") == ["r1"]
    assert g.graph.number_of_edges() == 3  # logged, used, version_of


def test_already_applied_events_are_skipped() -> None:
    g = LineageGraph()
    g.apply(ev(1, "logged", "r1", "a0", created=True))
    g.apply(ev(2, "used", "r2", "a0"))
    g.apply(ev(2, "used", "r9", "a0"))  # same id again: replay, ignored
    g.apply(ev(1, "used", "r8", "a0"))
    assert g.used_by("a0") == ["r2"]
    assert g.cursor == 2


def test_unknown_kind_is_rejected_without_changing_the_graph() -> None:
    g = LineageGraph()
    g.apply(ev(1, "logged", "r1", "a0", created=True))
    before = (set(g.graph.nodes), set(g.graph.edges))
    with pytest.raises(ValueError, match="linked"):
        g.apply(ev(2, "linked", "r2", "b0", name="dogs"))
    assert g.cursor == 1
    assert (set(g.graph.nodes), set(g.graph.edges)) == before
    assert g.collection_type("p", "dogs") is None


def test_same_name_in_two_projects_are_two_collections() -> None:
    g = LineageGraph()
    g.apply(ev(1, "logged", "r1", "a0", created=True, project="p", type_="dataset"))
    g.apply(ev(2, "logged", "r2", "b0", created=True, project="q", type_="model"))
    assert g.collection_type("p", "cats") == "dataset"
    assert g.collection_type("q", "cats") == "model"


def test_cross_project_use() -> None:
    g = LineageGraph()
    g.apply(ev(1, "logged", "r1", "a0", created=True, project="data"))
    g.apply(ev(2, "used", "r2", "a0", project="data", run_project="train"))
    assert g.used_artifacts("r2") == ["a0"]
    assert g.graph.nodes[run_node("r2")]["project"] == "train"


def test_queries_while_events_arrive() -> None:
    """Readers in other threads never see the graph mid-update (no 'changed size' errors)."""
    g = LineageGraph()
    n = 3000
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not stop.is_set():
                g.used_by("a0")
                g.loggers("a0")
                g.logged_artifacts("r0")
                g.used_artifacts("r1")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for i in range(1, n + 1):
            kind = "logged" if i % 3 == 0 else "used"
            g.apply(ev(i, kind, f"r{i % 2}" if kind == "logged" else f"u{i}", "a0", created=i == 3))
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert len(g.used_by("a0")) == n - n // 3
    assert g.logged_by("a0") == "r1"
    assert g.loggers("a0") == ["r1", "r0"]


# -- through real stores -------------------------------------------------------------------------


def test_store_graph_follows_the_database(store: Store, tmp_path: Path, log: Log) -> None:
    first = log(store, "cats", {"f": "1"})
    other = Store.open(home=tmp_path / "home")
    try:
        g = other.lineage()
        assert g.logged_by(first.id) == store.lineage().logged_by(first.id)
        cursor = g.cursor
        # written through the first store, after the second built its graph
        with artiflow.init(project="p", store=store) as user:
            user.use_artifact("cats:latest")
        second = log(store, "cats", {"f": "2"})
        assert other.lineage().cursor > cursor
        assert other.lineage().used_by(first.id) == [user.id]
        assert other.lineage().logged_by(second.id) is not None
        seen = Api(store=other).artifact("p/cats:v0")
        assert [r.id for r in seen.used_by()] == [user.id]
        assert Api(store=other).run(user.path).used_artifacts() == [seen]
    finally:
        other.close()


def test_lineage_survives_reopening(tmp_path: Path, log: Log) -> None:
    s1 = Store.open(home=tmp_path / "h")
    art = log(s1, "cats", {"f": "1"})
    creator = art.logged_by()
    s1.close()
    s2 = Store.open(home=tmp_path / "h")
    try:
        again = Api(store=s2).artifact("p/cats:v0")
        assert again.logged_by() == creator
        assert creator is not None
        assert Api(store=s2).run(creator.path).logged_artifacts() == [again]
    finally:
        s2.close()


def test_type_collision_names_both_types(store: Store, log: Log) -> None:
    log(store, "cats", {"f": "1"})
    with pytest.raises(TypeCollisionError) as info:
        log(store, "cats", {"f": "2"}, type="model")
    msg = str(info.value)
    assert "'cats'" in msg and "'dataset'" in msg and "'model'" in msg
    assert isinstance(info.value, ValueError)
    assert [a.version for a in Api(store=store).artifacts("dataset", "p/cats")] == ["v0"]


def test_type_collision_seen_through_another_store(store: Store, tmp_path: Path, log: Log) -> None:
    other = Store.open(home=tmp_path / "home")
    try:
        other.lineage()  # built before the collection exists
        log(store, "cats", {"f": "1"})
        with pytest.raises(TypeCollisionError, match="'dataset'.*'model'"):
            log(other, "cats", {"f": "2"}, type="model")
    finally:
        other.close()


def test_same_name_other_project_other_type_is_fine(store: Store, log: Log) -> None:
    a = log(store, "cats", {"f": "1"})
    b = log(store, "cats", {"f": "1"}, type="model", project="q")
    assert (a.qualified_name, a.type) == ("p/cats:v0", "dataset")
    assert (b.qualified_name, b.type) == ("q/cats:v0", "model")
    assert store.lineage().collection_type("q", "cats") == "model"
    c = log(store, "cats", {"f": "2"}, type="model", project="q")
    assert c.qualified_name == "q/cats:v1"


def test_racing_types_one_wins(tmp_path: Path, make_tree: MakeTree) -> None:
    """Two stores create the same collection with different types at once: exactly one succeeds."""
    trees = {t: make_tree({"f": t}) for t in ("dataset", "model")}
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def work(type_: str) -> None:
        s = Store.open(home=tmp_path / "home")
        try:
            s.lineage()
            barrier.wait()
            art = Artifact("cats", type_)
            art.add_dir(trees[type_])
            with artiflow.init(project="p", store=s) as run:
                run.log_artifact(art)
            outcome[type_] = "ok"
        except TypeCollisionError:
            outcome[type_] = "collision"
        finally:
            s.close()

    threads = [threading.Thread(target=work, args=(t,)) for t in trees]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcome.values()) == ["collision", "ok"]
    winner = next(t for t, o in outcome.items() if o == "ok")
    check = Store.open(home=tmp_path / "home")
    try:
        assert [c.type for c in Api(store=check).artifact_collections("p")] == [winner]
        assert len(Api(store=check).artifacts(winner, "p/cats")) == 1
    finally:
        check.close()

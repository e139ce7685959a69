"""The registry: link collections (portfolios) that point at versions of other collections."""

from __future__ import annotations

from pathlib import Path

import pytest

import artiflow
from artiflow import Api, Artifact


def model(tmp_path: Path, text: str) -> Artifact:
    f = tmp_path / f"model-{text}.pt"
    f.write_text(text)
    art = Artifact("cat-model", "model")
    art.add_file(str(f), name="model.pt")
    return art


def test_link_resolves_through_the_registry_with_its_own_index_and_aliases(store: artiflow.Store, tmp_path: Path) -> None:
    with artiflow.init(project="p", store=store) as run:
        v0 = run.log_artifact(model(tmp_path, "a"))
        v1 = run.log_artifact(model(tmp_path, "b"))
        run.link_artifact(v1, "model-registry/cats", aliases=["staging"])
        linked = v0.link("model-registry/cats", aliases=["production"])
    assert (linked.name, linked.project, linked.is_link) == ("cats:v1", "model-registry", True)
    assert linked.source_name == "cat-model:v0" and linked.id == v0.id

    api = Api(store=store)
    latest = api.artifact("model-registry/cats:latest")
    assert latest.id == v0.id and set(latest.aliases) == {"latest", "production"}
    assert api.artifact("model-registry/cats:staging").id == v1.id
    assert api.artifact("model-registry/cats:v0").source_qualified_name == "p/cat-model:v1"
    assert Path(latest.download(tmp_path / "dl"), "model.pt").read_text() == "a"
    # the source's own aliases are untouched by the portfolio's
    assert set(api.artifact("p/cat-model:v0").aliases) == set()
    assert set(api.artifact("p/cat-model:v1").aliases) == {"latest"}
    # lineage: the link is the source version, and the source lists its links
    assert latest.logged_by() == run
    assert [a.qualified_name for a in api.artifact("p/cat-model:v0").linked_artifacts] == ["model-registry/cats:v1"]
    assert latest.source_artifact.qualified_name == "p/cat-model:v0"


def test_using_a_registry_path_records_use_of_the_source(store: artiflow.Store, tmp_path: Path) -> None:
    (tmp_path / "m.pt").write_text("weights")
    with artiflow.init(project="p", store=store) as run:
        run.link_model(str(tmp_path / "m.pt"), "cats", name="cat-model", aliases=["production"])
    with artiflow.init(project="q", store=store) as consumer:
        used = consumer.use_artifact("model-registry/cats:production")
        assert Path(consumer.use_model("model-registry/cats:production")).read_text() == "weights"
    assert used.source_name == "cat-model:v0" and used.type == "model"
    assert [a.qualified_name for a in consumer.used_artifacts()] == ["p/cat-model:v0"]


def test_unlink_removes_the_link_and_latest_moves_back(store: artiflow.Store, tmp_path: Path) -> None:
    with artiflow.init(project="p", store=store) as run:
        v0 = run.log_artifact(model(tmp_path, "a"))
        v1 = run.log_artifact(model(tmp_path, "b"))
        v0.link("reg/cats")
        v1.link("reg/cats")
    api = Api(store=store)
    with pytest.raises(ValueError, match="not a linked artifact"):
        v1.unlink()
    api.artifact("reg/cats:latest").unlink()
    assert api.artifact("reg/cats:latest").id == v0.id
    with pytest.raises(artiflow.ArtifactNotFoundError):
        api.artifact("reg/cats:v1")
    assert api.artifact("p/cat-model:v1").id == v1.id  # the source stays


def test_registry_names_are_checked(store: artiflow.Store, tmp_path: Path) -> None:
    with artiflow.init(project="p", store=store) as run:
        v0 = run.log_artifact(model(tmp_path, "a"))
        with pytest.raises(AssertionError, match="only the name"):
            run.link_model(str(tmp_path), "entity/project/cats")
        with pytest.raises(artiflow.InvalidNameError, match="holds logged versions"):
            v0.link("p/cat-model")
        v0.link("reg/cats")
    with artiflow.init(project="reg", store=store) as other:
        with pytest.raises(artiflow.TypeCollisionError, match="registry collection"):
            other.log_artifact(str(tmp_path / "model-a.pt"), name="cats", type="model")


def test_collection_is_the_one_the_version_was_fetched_from(store: artiflow.Store, tmp_path: Path) -> None:
    with artiflow.init(project="p", store=store) as run:
        v0 = run.log_artifact(model(tmp_path, "a"))
        v1 = run.log_artifact(model(tmp_path, "b"))
        v1.link("reg/cats", aliases=["production"])
        v0.link("reg/cats")
    api = Api(store=store)
    source = api.artifact("p/cat-model:v0").collection
    assert (source.project, source.name, source.type, source.is_sequence()) == ("p", "cat-model", "model", True)
    assert source == api.artifact_collection("model", "p/cat-model")
    assert [a.name for a in source.versions()] == ["cat-model:v0", "cat-model:v1"]
    portfolio = api.artifact("reg/cats:production").collection
    assert (portfolio.project, portfolio.name, portfolio.is_sequence()) == ("reg", "cats", False)
    assert [(a.name, a.source_name) for a in portfolio.versions()] == [
        ("cats:v0", "cat-model:v1"), ("cats:v1", "cat-model:v0")
    ]
    assert portfolio.aliases == ["latest", "production"]
    with pytest.raises(artiflow.ArtifactNotLoggedError):
        model(tmp_path, "c").collection


def test_saving_a_linked_version_edits_the_links_aliases(store: artiflow.Store, tmp_path: Path) -> None:
    """W&B: aliases edited on a version fetched through a link change the link, the rest the source."""
    with artiflow.init(project="p", store=store) as run:
        v0 = run.log_artifact(model(tmp_path, "a"), aliases=["mine"])
        v1 = run.log_artifact(model(tmp_path, "b"))
        v0.link("reg/cats", aliases=["staging"])
        v1.link("reg/cats", aliases=["production"])
    api = Api(store=store)
    linked = api.artifact("reg/cats:v0")
    stale = api.artifact("reg/cats:v0")
    linked.aliases.append("prod")
    linked.aliases.remove("staging")
    linked.description = "the first cat model"
    linked.save()
    assert (linked.name, set(linked.aliases)) == ("cats:v0", {"prod"})
    assert api.artifact("reg/cats:prod").id == v0.id
    with pytest.raises(artiflow.ArtifactNotFoundError):
        api.artifact("reg/cats:staging")
    source = api.artifact("p/cat-model:v0")
    assert set(source.aliases) == {"mine"} and source.description == "the first cat model"
    # a delta: another object's save adds its own alias and keeps "prod"; an alias moves between links
    stale.aliases.append("production")
    stale.save()
    assert set(api.artifact("reg/cats:v0").aliases) == {"prod", "production"}
    assert set(api.artifact("reg/cats:v1").aliases) == {"latest"}
    with pytest.raises(artiflow.ArtiflowError, match="latest"):
        linked.aliases.append("latest")
        linked.save()
    linked.aliases.remove("latest")
    api.artifact("reg/cats:v0").unlink()
    linked.aliases.append("again")
    with pytest.raises(artiflow.ArtifactNotFoundError, match="no longer links"):
        linked.save()

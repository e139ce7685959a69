"""Reading back what the Dagster adapter recorded, for its tests."""

from __future__ import annotations

import artiflow

PROJECT = "dg"


def runs_of(api: artiflow.Api, dagster_run_id: str) -> dict[str, artiflow.Run]:
    """The artiflow Runs of one Dagster run, by step key."""
    return {r.name: r for r in api.runs(PROJECT) if r.group == dagster_run_id}


def names(artifacts: list[artiflow.Artifact]) -> list[str]:
    """``collection:vN`` of each artifact, sorted."""
    return sorted(a.name for a in artifacts)


def versions(api: artiflow.Api, name: str, type_: str = "dataset") -> list[str]:
    return [a.version for a in api.artifacts(type_, f"{PROJECT}/{name}")]

"""Lineage: which run logged a version, which runs used it, and everything that follows from that.

Pure graph logic over networkx; it knows nothing of files or databases. A store hands it a
``LineageSource`` so that a query loads only the neighbourhood it needs. Queries are plain
functions (:func:`upstream`, :func:`downstream`, :func:`provenance`, :func:`impact`, :func:`path`,
:func:`collisions`); results export to JSON, DOT, Mermaid and GraphML. :func:`readable` cuts a walked
graph to what is worth drawing (re-runs folded, siblings clustered, runs boxed by group).
"""

from .export import to_dot, to_graphml, to_json, to_mermaid
from .graph import (
    EdgeLike,
    LineageEvent,
    LineageGraph,
    LineageSource,
    artifact_node,
    collection_node,
    run_node,
)
from .queries import LineageResult, collisions, downstream, impact, label, path, provenance, upstream
from .readable import Readable, readable

__all__ = [
    "EdgeLike",
    "LineageEvent",
    "LineageGraph",
    "LineageResult",
    "LineageSource",
    "Readable",
    "artifact_node",
    "collection_node",
    "collisions",
    "downstream",
    "impact",
    "label",
    "path",
    "provenance",
    "readable",
    "run_node",
    "to_dot",
    "to_graphml",
    "to_json",
    "to_mermaid",
    "upstream",
]

"""Lineage: which run logged an artifact version, which runs used it, and what follows from that.

Pure graph logic over networkx; it knows nothing of files or databases.
"""

from .graph import LineageEvent, LineageGraph, artifact_node, collection_node, run_node

__all__ = ["LineageEvent", "LineageGraph", "artifact_node", "collection_node", "run_node"]

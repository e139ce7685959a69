"""Prefect asset events for artiflow versions, so Prefect's asset graph shows artiflow's lineage.

After an artifact task run, each version it used becomes a ``prefect.asset.referenced`` event and
each version it logged a ``prefect.asset.materialization.succeeded`` event whose related
resources are the used versions' assets (role ``asset``), as Prefect's own ``@materialize``
emits them. The asset key is the collection (Prefect assets have no versions):
``artiflow://<project>/<name>``; the version, digest and whether it is new are labels of the
resource and the payload. Best effort: a failure here never fails a task.

>>> asset_key("sales", "orders-clean")
'artiflow://sales/orders-clean'
>>> asset_key("my team", "a&b")
'artiflow://my_team/a_b'
"""

from __future__ import annotations

import logging
import re
from typing import Any

from artiflow import Artifact

from .runs import Scope

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"""[\s#?&%"'<>\[\]{}|\\^`]""")  # what Prefect's asset keys may not contain


def asset_key(project: str, name: str) -> str:
    """The Prefect asset key of an artiflow collection."""
    return "artiflow://" + _UNSAFE.sub("_", f"{project}/{name}")


def _resource(artifact: Artifact) -> dict[str, str]:
    return {
        "prefect.resource.id": asset_key(artifact.project, artifact.collection_name),
        "prefect.resource.name": artifact.qualified_name,
        "artiflow.version": artifact.version,
        "artiflow.digest": artifact.digest,
        "artiflow.type": artifact.type,
    }


def emit(scope: Scope) -> None:
    """Emit the asset events of one task or flow run's uses and logs."""
    try:
        if not (scope.used or scope.logged):
            return
        from prefect.events import emit_event

        upstream = [{**_resource(a), "prefect.resource.role": "asset"} for a in scope.used]
        for art in scope.used:
            emit_event("prefect.asset.referenced", resource=_resource(art))
        for logged in scope.logged:
            art = logged.artifact
            payload: dict[str, Any] = {
                "artiflow/ref": art.qualified_name, "artiflow/digest": art.digest, "artiflow/new": logged.created,
            }
            emit_event(
                "prefect.asset.materialization.succeeded", resource=_resource(art), related=upstream, payload=payload
            )
    except Exception:  # noqa: BLE001 - never fail the task for Prefect's event stream
        log.warning("Could not emit Prefect asset events for artiflow versions; the task is unaffected.", exc_info=True)

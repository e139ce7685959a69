"""Versions in the Prefect UI, as Prefect artifacts. Best effort: a failure here never fails a task.

- Each **new version** becomes a keyed markdown artifact, the *version card* (``name:vN``,
  aliases, digest, size, files, producing run, input versions). A card is a snapshot: its
  aliases are marked "as logged", since Prefect cannot be told when they move later. The key is one per collection
  (:func:`card_key`), so Prefect's history of that key lists the versions.
- Each **use** becomes a keyless link artifact on the consuming task run.

Logging identical content again creates no version and so no card.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from typing import TYPE_CHECKING, Any

from artiflow import Artifact

from . import assets
from .runs import Scope
from .say import human_size

if TYPE_CHECKING:
    from prefect.client.schemas.actions import ArtifactCreate

log = logging.getLogger(__name__)

_PLAIN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MAX_FILES = 20
MAX_KEY = 100
_FAILED = "Could not show artiflow versions in the Prefect UI; the task is unaffected."


def card_key(project: str, name: str) -> str:
    """The Prefect artifact key of a collection: ``^[a-z0-9-]+$``, one per ``project/name``.

    Lowercase names made of dash-separated words keep a readable key (``--`` separates the
    project from the name: neither part contains one); any other name gets a short hash, so
    that, say, ``clean_data`` and ``clean-data`` never share a key.

    >>> card_key("demo", "clean-data")
    'artiflow-demo--clean-data'
    >>> card_key("demo", "Clean_Data")
    'artiflow-demo-clean-data-541f9941'
    """
    plain = f"artiflow-{project}--{name}"
    if _PLAIN.fullmatch(project) and _PLAIN.fullmatch(name) and len(plain) <= MAX_KEY:
        return plain
    slug = re.sub(r"[^a-z0-9]+", "-", f"artiflow-{project}-{name}".lower()).strip("-")
    digest = hashlib.md5(f"{project}/{name}".encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{slug[: MAX_KEY - 9].rstrip('-')}-{digest}"



def version_card(artifact: Artifact, scope: Scope, parts: int = 0) -> str:
    """The markdown of a version card (not indented: Prefect renders it as is)."""
    ident = scope.identity
    producer = f"`{scope.project}/{ident.run_id}`" if ident.run_id else "(no run id)"
    if ident.kind == "task":
        producer += f" — task run `{ident.name}` ({ident.job_type})"
    elif ident.name:
        producer += f" — flow run `{ident.name}`"
    inputs = ", ".join(f"`{a.qualified_name}` (`{a.digest[:12]}`)" for a in scope.used) or "none"
    aliases = ", ".join(f"`{a}`" for a in artifact.aliases) or "none"
    lines = [
        f"### {artifact.name}",
        "",
        "| | |",
        "|---|---|",
        f"| artifact | `{artifact.qualified_name}` |",
        f"| type | {artifact.type} |",
        f"| aliases (as logged) | {aliases}; they may move later: `artiflow show {artifact.qualified_name}` has the current ones |",
        f"| digest | `{artifact.digest}` |",
        f"| size | {human_size(artifact.size)} in {artifact.file_count} file(s) |",
        f"| logged by | {producer} |",
        f"| inputs | {inputs} |",
    ]
    if parts:
        lines.append(f"| parts | {parts}, one per mapped run, merged by this task run |")
    if artifact.description:
        lines += ["", artifact.description]
    entries = list(artifact.manifest)
    lines += ["", f"**Files** ({len(entries)})", ""]
    lines += [f"- `{e.path}` — {human_size(e.size or 0)}" for e in entries[:MAX_FILES]]
    if len(entries) > MAX_FILES:
        lines.append(f"- … and {len(entries) - MAX_FILES} more")
    return "\n".join(lines) + "\n"


def _metadata(artifact: Artifact, scope: Scope) -> dict[str, str]:
    return {
        "artiflow.project": artifact.project, "artiflow.name": artifact.collection_name,
        "artiflow.version": artifact.version, "artiflow.digest": artifact.digest,
        "artiflow.type": artifact.type, "artiflow.run": f"{scope.project}/{scope.identity.run_id}",
    }


def requests(scope: Scope, ui_url: str | None, *, cards: bool = True) -> list[ArtifactCreate]:
    """What to create in Prefect for what this scope logged, and used since the last call."""
    from prefect.client.schemas.actions import ArtifactCreate

    ident = scope.identity
    ids: dict[str, Any] = {"task_run_id": ident.task_run_id, "flow_run_id": ident.flow_run_id}
    out: list[ArtifactCreate] = []
    for logged in scope.logged if cards else ():
        a = logged.artifact
        if not logged.created:
            continue
        out.append(ArtifactCreate(
            key=card_key(a.project, a.collection_name), type="markdown", data=version_card(a, scope, logged.parts),
            description=f"artiflow version `{a.qualified_name}`", metadata_=_metadata(a, scope), **ids,
        ))
    uses, scope.announced_uses = scope.used[scope.announced_uses :], len(scope.used)
    for a in uses:
        key = card_key(a.project, a.collection_name)
        link = f"{ui_url.rstrip('/')}/artifacts/key/{key}" if ui_url else f"artiflow://{a.qualified_name}"
        out.append(ArtifactCreate(
            type="markdown", data=f"[uses {a.qualified_name} (digest {a.digest[:12]})]({link})",
            description=f"artiflow: this run used `{a.qualified_name}`", metadata_=_metadata(a, scope), **ids,
        ))
    return out


def _ui_url() -> str | None:
    from prefect.settings import get_current_settings

    url = get_current_settings().ui_url
    return str(url) if url else None


def _post(client: Any, todo: list[ArtifactCreate]) -> None:
    for request in todo:
        try:
            client.create_artifact(request)
        except Exception:
            log.warning(_FAILED, exc_info=True)


def publish_uses(scope: Scope) -> threading.Thread | None:
    """Start linking the inputs used so far, in a thread, while the task body runs.

    Pass the thread to :func:`publish`, which waits for it: the task run ends only once all of its
    Prefect artifacts exist.
    """
    if not scope.ui or not scope.used:
        return None
    try:
        from prefect.client.orchestration import get_client

        client = get_client(sync_client=True)  # the task run's client; httpx clients are thread-safe
        todo = requests(scope, _ui_url(), cards=False)
        thread = threading.Thread(target=_post, args=(client, todo), name="artiflow-prefect-ui", daemon=True)
        thread.start()
    except Exception:
        log.warning(_FAILED, exc_info=True)
        return None
    return thread


def publish(scope: Scope, early: threading.Thread | None = None) -> None:
    """Create the scope's Prefect artifacts (and asset events) through the sync client; log and swallow failures."""
    if scope.ui:
        assets.emit(scope)
    try:
        if scope.ui and (scope.logged or scope.used[scope.announced_uses :]):
            from prefect.client.orchestration import get_client

            _post(get_client(sync_client=True), requests(scope, _ui_url()))
    except Exception:
        log.warning(_FAILED, exc_info=True)
    finally:
        if early is not None:
            early.join()


async def apublish(scope: Scope) -> None:
    """:func:`publish` for async tasks and flows."""
    if not scope.ui or not (scope.logged or scope.used):
        return
    assets.emit(scope)
    try:
        from prefect.client.orchestration import get_client

        todo = requests(scope, _ui_url())
        async with get_client() as client:
            for request in todo:
                try:
                    await client.create_artifact(request)
                except Exception:
                    log.warning(_FAILED, exc_info=True)
    except Exception:
        log.warning(_FAILED, exc_info=True)

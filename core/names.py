"""Every naming rule in one place, as W&B enforces them.

Names, types, projects, aliases, tags, run ids, entry paths, the artifact path grammar
(``[[entity/]project/]name[:alias|:vN|:digest]``) and the one sanitiser that turns arbitrary text into
a valid name.

>>> ArtifactPath.parse("proj/cats:v3", default_project="p")
ArtifactPath(project='proj', name='cats', selector='v3')
>>> ArtifactPath.parse("cats", default_project="p")
ArtifactPath(project='p', name='cats', selector='latest')
>>> version_index("v12"), version_index("latest")
(12, None)
>>> sanitize("run-3f/data set.csv")
'run-3f_data_set.csv'
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from .errors import InvalidNameError

NAME_MAXLEN = 128
_NAME_RE = re.compile(r"^[a-zA-Z0-9_\-.]+$")
_TAG_RE = re.compile(r"^[-\w]+( +[-\w]+)*$")
_VERSION_RE = re.compile(r"v[0-9]+")
_RUN_ID_RE = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-.]")
_PROJECT_FORBIDDEN = set("/\\#?%:\n\r")
_DIGEST_RE = re.compile(r"[0-9a-fA-F]{32}")


def _no_control(what: str, value: str) -> None:
    """Refuse control characters (C0, DEL, C1): they corrupt terminals, logs and file names."""
    bad = next((c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0), None)
    if bad is not None:
        raise InvalidNameError(f"{what} {value!r} contains the control character {bad!r}; remove it.")


def is_digest(selector: str) -> bool:
    """True for a 32-hex-digit content digest: a pin that always means that content, never an alias."""
    return bool(_DIGEST_RE.fullmatch(selector))


def is_version(selector: str) -> bool:
    """True for ``v0``, ``v12``…: the implicit, reserved version selectors (ASCII digits only)."""
    return bool(_VERSION_RE.fullmatch(selector))


def version_index(selector: str) -> int | None:
    """The ``N`` of a ``vN`` selector, or None for an alias or digest."""
    return int(selector[1:]) if _VERSION_RE.fullmatch(selector) else None


def sanitize(text: str, *, replacement: str = "_", maxlen: int = NAME_MAXLEN) -> str:
    """Turn any text into a valid artifact name: unsafe characters become ``replacement``."""
    return _UNSAFE.sub(replacement, text)[:maxlen].strip(".") or "artifact"


def run_id(value: str) -> str:
    if not isinstance(value, str) or not _RUN_ID_RE.fullmatch(value):
        raise InvalidNameError(f"Run id {value!r} may only contain letters, digits, '_', '-' and '.'.")
    return value


def artifact_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidNameError("Artifact name must be a non-empty string.")
    if len(name) > NAME_MAXLEN:
        raise InvalidNameError(f"Artifact name is longer than {NAME_MAXLEN} characters: {name!r}.")
    if not _NAME_RE.fullmatch(name) or name in {".", ".."}:
        raise InvalidNameError(
            "Artifact name may only contain alphanumeric characters, dashes, underscores, "
            f"and dots. Invalid name: {name!r}."
        )
    return name


def project_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidNameError("Project name must be a non-empty string.")
    _no_control("Project name", name)
    if len(name) > NAME_MAXLEN:
        raise InvalidNameError(f"Project name is longer than {NAME_MAXLEN} characters: {name!r}.")
    bad = sorted(set(name) & _PROJECT_FORBIDDEN)
    if bad or name in {".", ".."}:
        raise InvalidNameError(f"Project name {name!r} may not contain any of {''.join(bad)!r}.")
    return name


def artifact_type(type_: str, *, internal: bool = False) -> str:
    if not isinstance(type_, str) or not type_:
        raise InvalidNameError("Artifact type must be a non-empty string.")
    _no_control("Artifact type", type_)
    if len(type_) > NAME_MAXLEN or "/" in type_ or ":" in type_:
        raise InvalidNameError(
            f"Artifact type {type_!r} may not contain '/' or ':' and is at most {NAME_MAXLEN} characters."
        )
    if not internal and (type_ == "job" or type_.startswith("wandb-")):
        raise InvalidNameError(
            f"Artifact type {type_!r} is reserved for internal use. Please use a different type."
        )
    return type_


def reserved_combination(name: str, type_: str) -> None:
    """Reject the name/type pairs W&B reserves for its own artifacts."""
    if type_ == "code" and name.startswith("source-"):
        raise InvalidNameError(
            "Artifact names starting with 'source-' are reserved for type 'code' (run.log_code)."
        )
    if type_ == "run_table" and name.startswith("run-"):
        raise InvalidNameError("Artifact names starting with 'run-' are reserved for type 'run_table'.")


def alias(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidNameError("An alias must be a non-empty string.")
    _no_control("Alias", value)
    if "/" in value or ":" in value or len(value) > NAME_MAXLEN:
        raise InvalidNameError(f"Alias {value!r} may not contain '/' or ':'.")
    if is_version(value):
        raise InvalidNameError(
            f"Alias {value!r} is reserved: version aliases like 'v3' are assigned by artiflow."
        )
    if is_digest(value):
        raise InvalidNameError(
            f"Alias {value!r} looks like a content digest, which always pins that content; pick another name."
        )
    return value


def aliases(values: Iterable[str] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        alias(v)
        if v not in out:
            out.append(v)
    return out


def tags(values: Iterable[str] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for t in values:
        if not isinstance(t, str) or not _TAG_RE.fullmatch(t):
            raise InvalidNameError(
                f"Invalid tag {t!r}: tags may contain letters, digits, '_', '-' and single spaces."
            )
        if t not in out:
            out.append(t)
    return out


def entry_path(path: str | os.PathLike[str]) -> str:
    """Normalise a logical entry path to POSIX form; refuse anything that could escape a root."""
    raw = os.fspath(path)
    if not raw.isascii():
        _utf8_path(raw)
    if raw and raw[0] != "/" and raw[-1] != "/" and "\\" not in raw and ":" not in raw and "\x00" not in raw:
        parts = raw.split("/")  # fast path: an already canonical relative POSIX path
        if "" not in parts and "." not in parts and ".." not in parts:
            if len(raw) > MAX_COMPONENT_BYTES // 4:
                _component_lengths(raw, parts)
            return raw
    if not raw or "\x00" in raw:
        raise InvalidNameError(f"Invalid artifact entry path {raw!r}.")
    if PureWindowsPath(raw).anchor or PurePosixPath(raw).is_absolute():
        raise InvalidNameError(f"Artifact entry path {raw!r} must be relative.")
    posix = raw.replace("\\", "/") if os.sep == "\\" else raw
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or any(p == ".." for p in PureWindowsPath(raw).parts):
        raise InvalidNameError(f"Artifact entry path {raw!r} may not contain '..'.")
    if not parts:
        raise InvalidNameError(f"Invalid artifact entry path {raw!r}.")
    _component_lengths(raw, parts)
    return posixpath.join(*parts)


VALUE_ENTRY = "value"
"""The one entry-naming rule of both adapters: a Python object a Prefect task or Dagster asset
returns is stored as ``value.<suffix>`` (``value.parquet``, ``value.json``…), so
``artifact.get(VALUE_ENTRY)`` reads it wherever it was logged (a mapped part's is
``part-00000/value``)."""


def missing_value(artifact: str, entry: str, present: Iterable[str]) -> str:
    """The error text for an adapter that finds no object ``entry`` in a version.

    >>> missing_value("p/data:v1", "value", ["a.txt", "b.csv"])
    "Artifact p/data:v1 holds no object 'value' (its entries: a.txt, b.csv); load it as an Artifact, or log the object with add(obj, 'value')."
    """
    shown = sorted(present)
    listed = ", ".join(shown[:20]) + (f", … ({len(shown)} in all)" if len(shown) > 20 else "") if shown else "none"
    return (
        f"Artifact {artifact} holds no object {entry!r} (its entries: {listed}); "
        f"load it as an Artifact, or log the object with add(obj, {entry!r})."
    )


def missing_version(artifact: str, selector: str, versions: Sequence[str], aliases: Iterable[str], fix: str) -> str:
    """The error text for a selector that names no version, listing what exists (as the CLI does).

    >>> missing_version("p/data", "staging", ["v0", "v1"], ["latest", "prod"], "fix the alias.")
    "Artifact 'p/data' has no alias or digest 'staging'; it has versions v0, v1 and aliases latest, prod; fix the alias."
    >>> missing_version("p/data", "v0", [], [], "materialize it first.")
    "Artifact 'p/data' has no version 'v0'; it has no versions; materialize it first."
    """
    def some(items: Sequence[str], limit: int = 10) -> str:
        more = f" and {len(items) - limit} more" if len(items) > limit else ""
        return ", ".join(items[:limit]) + more

    what = "version" if is_version(selector) else "alias or digest"
    has = f"versions {some(list(versions))}" if versions else "no versions"
    listed = sorted(set(aliases))
    if listed:
        has += f" and aliases {some(listed)}"
    return f"Artifact {artifact!r} has no {what} {selector!r}; it has {has}; {fix}"


MAX_COMPONENT_BYTES = 255  # the longest file name ext4, APFS, NTFS and S3 tools all accept


def _utf8_path(raw: str) -> None:
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(raw) if os.name != "nt" else raw.encode("utf-8", "replace")
        raise InvalidNameError(
            f"File name {shown!r} is not valid UTF-8, so it cannot be stored portably; rename the file."
        ) from None


def _component_lengths(raw: str, parts: list[str]) -> None:
    for part in parts:
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise InvalidNameError(
                f"Artifact entry path {raw!r} has a component longer than {MAX_COMPONENT_BYTES} bytes, "
                "which file systems cannot create; shorten it."
            )



def contained(root: str, relpath: str) -> str:
    """Return the absolute destination of ``relpath`` under ``root``; refuse one that escapes it.

    Symlinked directories inside ``root`` that point outside it are caught as well.
    """
    rel = entry_path(relpath)
    root_real = os.path.realpath(root)
    dest = os.path.join(root_real, *rel.split("/"))
    parent_real = os.path.realpath(os.path.dirname(dest))
    if parent_real != root_real and not parent_real.startswith(root_real + os.sep):
        raise InvalidNameError(f"Entry {relpath!r} would be written outside the download root {root!r}.")
    return dest


@dataclass(frozen=True, slots=True)
class ArtifactPath:
    """A parsed artifact path: project, collection name and selector (alias, ``vN`` or digest)."""

    project: str
    name: str
    selector: str

    @classmethod
    def parse(cls, path: str, *, default_project: str) -> ArtifactPath:
        """Split on the first ``:`` (the selector may contain ``/``), then the rest on ``/``.

        artiflow has no entities: a leading ``entity/`` is accepted and ignored.
        """
        if not isinstance(path, str) or not path:
            raise InvalidNameError("An artifact path must be a non-empty string like 'project/name:alias'.")
        coll, sep, selector = path.partition(":")
        if sep and not selector:
            raise InvalidNameError(f"Invalid artifact path {path!r}: nothing after ':'.")
        parts = coll.split("/")
        if len(parts) > 3 or any(not p for p in parts):
            raise InvalidNameError(
                f"Invalid artifact path {path!r}; expected 'name', 'project/name' or "
                "'entity/project/name', optionally followed by ':alias'."
            )
        name = artifact_name(parts[-1])
        project = project_name(parts[-2]) if len(parts) >= 2 else default_project
        return cls(project, name, selector or "latest")

    def __str__(self) -> str:
        return f"{self.project}/{self.name}:{self.selector}"

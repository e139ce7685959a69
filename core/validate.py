"""Naming rules, as W&B enforces them (names, types, aliases, tags, entry paths)."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from pathlib import PurePosixPath, PureWindowsPath

from .errors import InvalidNameError

NAME_MAXLEN = 128
MAX_METADATA_KEYS = 100
_NAME_RE = re.compile(r"^[a-zA-Z0-9_\-.]+$")
_TAG_RE = re.compile(r"^[-\w]+( +[-\w]+)*$")
_VERSION_RE = re.compile(r"^v\d+$")
_PROJECT_FORBIDDEN = set("/\\#?%:\n\r")


def is_version_alias(alias: str) -> bool:
    """True for ``v0``, ``v12``…: the implicit, reserved version aliases."""
    return bool(_VERSION_RE.fullmatch(alias))


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
    if len(name) > NAME_MAXLEN:
        raise InvalidNameError(f"Project name is longer than {NAME_MAXLEN} characters: {name!r}.")
    bad = sorted(set(name) & _PROJECT_FORBIDDEN)
    if bad or name in {".", ".."}:
        raise InvalidNameError(f"Project name {name!r} may not contain any of {''.join(bad)!r}.")
    return name


def artifact_type(type_: str, *, internal: bool = False) -> str:
    if not isinstance(type_, str) or not type_:
        raise InvalidNameError("Artifact type must be a non-empty string.")
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
    if "/" in value or ":" in value or len(value) > NAME_MAXLEN:
        raise InvalidNameError(f"Alias {value!r} may not contain '/' or ':'.")
    if is_version_alias(value):
        raise InvalidNameError(
            f"Alias {value!r} is reserved: version aliases like 'v3' are assigned by artiflow."
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
    if raw and raw[0] != "/" and raw[-1] != "/" and "\\" not in raw and ":" not in raw and "\x00" not in raw:
        parts = raw.split("/")  # fast path: an already canonical relative POSIX path
        if "" not in parts and "." not in parts and ".." not in parts:
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
    return posixpath.join(*parts)


def metadata(value: dict[str, object] | None) -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("Artifact metadata must be a dict.")
    if len(value) > MAX_METADATA_KEYS:
        raise InvalidNameError(
            f"Artifact metadata has {len(value)} top-level keys; at most {MAX_METADATA_KEYS} are allowed."
        )
    return value


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

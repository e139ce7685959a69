"""User-supplied values stored with a version: metadata, checked when it is set.

Metadata must be plain JSON, so that SQLite and PostgreSQL store and return exactly the same thing:
string keys, finite numbers, no NUL characters and no lone surrogates (PostgreSQL's ``jsonb`` refuses
both, SQLite would keep them). A check failure names the offending key.

>>> metadata({"acc": 0.9, "classes": ["cat", "dog"]})
{'acc': 0.9, 'classes': ['cat', 'dog']}
>>> metadata({"acc": float("nan")})
Traceback (most recent call last):
...
ValueError: Artifact metadata at 'acc' is nan, which JSON cannot hold; store None or a string instead.
"""

from __future__ import annotations

import json
import math

from .errors import InvalidNameError

MAX_METADATA_KEYS = 100


def metadata(value: dict[str, object] | None) -> dict[str, object]:
    """Check ``value`` is JSON metadata (see the module docstring); return it."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("Artifact metadata must be a dict.")
    if len(value) > MAX_METADATA_KEYS:
        raise InvalidNameError(
            f"Artifact metadata has {len(value)} top-level keys; at most {MAX_METADATA_KEYS} are allowed."
        )
    _check(value, "")
    return value


def canonical(value: object) -> str:
    """A comparable text form of a metadata value (``1`` and ``True`` differ, key order does not)."""
    return json.dumps(value, sort_keys=True, default=repr)


def _where(path: str) -> str:
    return repr(path) if path else "the top level"


def _text(text: str, path: str, what: str) -> None:
    if "\x00" in text:
        raise ValueError(f"Artifact metadata {what} at {_where(path)} contains a NUL character; remove it.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"Artifact metadata {what} at {_where(path)} contains a lone surrogate, which is not valid "
            "Unicode; decode the text properly first."
        ) from None


def _check(value: object, path: str) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(
                f"Artifact metadata at {_where(path)} is {value}, which JSON cannot hold; "
                "store None or a string instead."
            )
        return
    if isinstance(value, str):
        _text(value, path, "text")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"Artifact metadata key {key!r} at {_where(path)} is of type {type(key).__name__}; "
                    "JSON keys must be strings (and {1: ..} would silently merge with {'1': ..})."
                )
            _text(key, path, "key")
            _check(item, f"{path}.{key}" if path else key)
        return
    raise TypeError(
        f"Artifact metadata at {_where(path)} is of type {type(value).__name__}, which is not JSON; "
        "convert it to a number, string, list or dict."
    )

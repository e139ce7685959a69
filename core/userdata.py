"""User-supplied values stored with a version: metadata, checked when it is set."""

from __future__ import annotations

from .errors import InvalidNameError

MAX_METADATA_KEYS = 100

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

"""Artifact names and Run ids for Dagster assets and steps.

An asset key becomes an artifact name that W&B-style name rules accept (``[A-Za-z0-9_.-]``, at
most 128 characters), reversibly, so distinct keys never share a collection:

========================  ===============================  ====================================
asset key, partition      artifact name                    rule
========================  ===============================  ====================================
``raw``                   ``raw``                          letters, digits, ``_`` are kept
``ml/raw``                ``ml.raw``                       components are joined with ``.``
``ml__raw``               ``ml__raw``                      (so it cannot meet ``ml/raw``)
``ml/a-b.c``              ``ml.a-2Db-2Ec``                 any other byte of a component: ``-XX``
``ml/raw``, ``2024-01-01``  ``ml.raw..2024-01-01``         a partition follows ``..``
``ml/raw``, ``red|d1``    ``ml.raw..red.7Cd1``             partition bytes other than
                                                           ``[A-Za-z0-9_-]``: ``.XX``
========================  ===============================  ====================================

A component never contains ``.`` once escaped, so ``..`` can only be the partition separator, and
:func:`parse_artifact_name` inverts :func:`artifact_name`. A name that would exceed 128 characters
is cut and suffixed with a hash of the full name; the exact key and partition are always in the
version's metadata (``dagster/asset_key``, ``dagster/partition_key``).

>>> artifact_name(["ml", "raw"], "2024-01-01")
'ml.raw..2024-01-01'
>>> parse_artifact_name("ml.raw..red.7Cd1")
(['ml', 'raw'], 'red|d1')
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from artiflow import InvalidNameError, names

MAX_NAME = 128
PARTITION_SEPARATOR = ".."
_KEY_SAFE = re.compile(r"[A-Za-z0-9_]")
_PARTITION_SAFE = re.compile(r"[A-Za-z0-9_\-]")
_HEX = "0123456789ABCDEF"


def _escape(text: str, safe: re.Pattern[str], mark: str) -> str:
    out: list[str] = []
    for ch in text:
        if safe.fullmatch(ch):
            out.append(ch)
        else:
            out.extend(f"{mark}{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def _unescape(text: str, mark: str) -> str:
    raw = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == mark:
            code = text[i + 1 : i + 3]
            if len(code) != 2 or any(c not in _HEX for c in code):
                raise InvalidNameError(f"Bad escape {text[i:i + 3]!r} in artifact name part {text!r}.")
            raw.append(int(code, 16))
            i += 3
        else:
            raw.extend(ch.encode("ascii"))
            i += 1
    return raw.decode("utf-8")


def escape_component(component: str) -> str:
    """One asset key component: ``-XX`` for every byte outside ``[A-Za-z0-9_]``; empty is ``-``."""
    return _escape(component, _KEY_SAFE, "-") if component else "-"


def escape_partition(partition_key: str) -> str:
    """A partition key: ``.XX`` for every byte outside ``[A-Za-z0-9_-]`` (dates stay readable)."""
    return _escape(partition_key, _PARTITION_SAFE, ".")


def artifact_name(key: Sequence[str], partition_key: str | None = None, *, base: str | None = None) -> str:
    """The artifact name of an asset key path (and partition); ``base`` replaces the key part."""
    name = base if base is not None else ".".join(escape_component(c) for c in key)
    if partition_key is not None:
        name = f"{name}{PARTITION_SEPARATOR}{escape_partition(str(partition_key))}"
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        name = f"{name[: MAX_NAME - 17]}-{digest}"
    return name


def parse_artifact_name(name: str) -> tuple[list[str], str | None]:
    """Invert :func:`artifact_name`: ``(key path, partition key or None)``."""
    key_part, sep, partition = name.partition(PARTITION_SEPARATOR)
    components = [("" if c == "-" else _unescape(c, "-")) for c in key_part.split(".")]
    return components, (_unescape(partition, ".") if sep else None)


def step_run_id(dagster_run_id: str, step_key: str) -> str:
    """The artiflow Run id of one step of one Dagster run: stable across retries and processes.

    >>> step_run_id("0f3b2c1a-aaaa-bbbb-cccc-123456789abc", "ml__raw")
    'dg-0f3b2c1a-ml__raw-30c83d9a6b88'
    """
    digest = hashlib.sha256(f"{dagster_run_id}\0{step_key}".encode()).hexdigest()[:12]
    readable = names.sanitize(step_key, maxlen=80)
    return f"dg-{dagster_run_id[:8]}-{readable}-{digest}"

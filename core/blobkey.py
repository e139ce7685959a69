"""Where a blob lives (its content address) and the helpers every blob store shares.

>>> blob_key("sZRqySSS0jR8YjW00mERhA==")
'md5/b1/946ac92492d2347c6235b4d2611184'
>>> blob_key("xxh128:a7qGx+Bp9W1aELQ18cjknA==")
'xxh128/6b/ba86c7e069f56d5a10b435f1c8e49c'

Blob stores name a blob by its :func:`~artiflow.digests.blob_id` (the MD5 digest, or
``xxh128:<digest>``), so blobs of the two algorithms live under separate prefixes and are checked
with the algorithm that made their address.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from .digests import ALGORITHMS, b64_to_hex, key_prefix, split_blob_id
from .errors import DigestMismatchError

QUARANTINE = "quarantine"  # damaged blobs are moved here: out of every content address, kept for a look


KEY_PREFIXES = tuple(key_prefix(a) for a in ALGORITHMS)  # the top-level directories that hold blobs


def blob_key(blob: str) -> str:
    """Where the blob :func:`~artiflow.digests.blob_id` names lives: ``<md5|xxh128>/<hex[:2]>/<hex[2:]>``."""
    alg, digest = split_blob_id(blob)
    hexd = b64_to_hex(digest)
    return f"{key_prefix(alg)}/{hexd[:2]}/{hexd[2:]}"


def quarantine_key(blob: str) -> str:
    """A fresh key under ``quarantine/`` for a damaged copy of ``blob``."""
    alg, digest = split_blob_id(blob)
    return f"{QUARANTINE}/{key_prefix(alg)}-{b64_to_hex(digest)}-{uuid.uuid4().hex[:8]}"


def mismatch(url: str, blob: str, got: str) -> DigestMismatchError:
    """The error for a blob whose bytes no longer hash to its address."""
    return DigestMismatchError(f"Blob {blob_key(blob)} in {url} hashes to {got}, not {split_blob_id(blob)[1]}.")


def unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def fsspec_callback(on_chunk: Callable[[int], None] | None) -> dict[str, Any]:
    """fsspec's ``callback=`` argument that forwards each transferred chunk to ``on_chunk``."""
    if on_chunk is None:
        return {}
    forward: Callable[[int], None] = on_chunk  # the nested class does not see the narrowing
    from fsspec.callbacks import Callback

    class _Chunks(Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.seen = 0  # set here: Callback answers any unknown attribute with a no-op method

        def call(self, *args: Any, **kwargs: Any) -> None:
            if isinstance(self.value, int) and self.value > self.seen:
                forward(self.value - self.seen)
                self.seen = self.value

    return {"callback": _Chunks()}


__all__ = ["KEY_PREFIXES", "QUARANTINE", "blob_key", "fsspec_callback", "mismatch", "quarantine_key", "unlink_quietly"]

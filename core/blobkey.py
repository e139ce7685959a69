"""Where a blob lives (its content address) and the helpers every blob store shares.

>>> blob_key("sZRqySSS0jR8YjW00mERhA==")
'md5/b1/946ac92492d2347c6235b4d2611184'
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from .digests import b64_to_hex
from .errors import DigestMismatchError

QUARANTINE = "quarantine"  # damaged blobs are moved here: out of every content address, kept for a look


def blob_key(b64_digest: str) -> str:
    hexd = b64_to_hex(b64_digest)
    return f"md5/{hexd[:2]}/{hexd[2:]}"


def quarantine_key(b64_digest: str) -> str:
    """A fresh key under ``quarantine/`` for a damaged copy of ``b64_digest``'s blob."""
    return f"{QUARANTINE}/{b64_to_hex(b64_digest)}-{uuid.uuid4().hex[:8]}"


def mismatch(url: str, digest: str, got: str) -> DigestMismatchError:
    """The error for a blob whose bytes no longer hash to its address."""
    return DigestMismatchError(f"Blob {blob_key(digest)} in {url} hashes to {got}, not {digest}.")


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


__all__ = ["QUARANTINE", "blob_key", "fsspec_callback", "mismatch", "quarantine_key", "unlink_quietly"]

"""Digests byte-compatible with W&B: base64 MD5 per file, hex MD5 over the sorted manifest.

>>> b64_md5(b"hello\\n")
'sZRqySSS0jR8YjW00mERhA=='
>>> manifest_digest({"a.txt": "sZRqySSS0jR8YjW00mERhA=="})
'df2baf4982f9ccdd99de4a5a8b016e45'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Mapping
from typing import IO

CHUNK = 1 << 20  # 1 MiB: large enough that hashlib releases the GIL and syscalls stay few
MANIFEST_HEADER = b"wandb-artifact-manifest-v1\n"


def _md5() -> "hashlib._Hash":
    return hashlib.md5(usedforsecurity=False)


def b64_md5(data: bytes) -> str:
    h = _md5()
    h.update(data)
    return base64.b64encode(h.digest()).decode()


def b64_to_hex(b64: str) -> str:
    return binascii.a2b_base64(b64).hex()  # base64.b64decode, minus its per-call overhead


def hex_to_b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def md5_file(path: str | os.PathLike[str]) -> str:
    """Base64 MD5 of a file's content, read in 1 MiB chunks."""
    h = _md5()
    with open(path, "rb", buffering=0) as f:
        _feed(f, h, None)
    return base64.b64encode(h.digest()).decode()


def copy_and_hash(
    src: IO[bytes], dst: IO[bytes] | None = None, *, on_chunk: Callable[[int], None] | None = None
) -> tuple[str, int]:
    """Hash ``src`` (copying it to ``dst`` on the way, if given): each byte is read once.

    ``on_chunk(n)`` is called after each chunk of ``n`` bytes (progress within a large file).
    """
    h = _md5()
    size = _feed(src, h, dst, on_chunk)
    return base64.b64encode(h.digest()).decode(), size


def _feed(
    src: IO[bytes], h: "hashlib._Hash", dst: IO[bytes] | None, on_chunk: Callable[[int], None] | None = None
) -> int:
    size = 0
    readinto = getattr(src, "readinto", None)
    if readinto is None:
        while chunk := src.read(CHUNK):
            h.update(chunk)
            if dst is not None:
                dst.write(chunk)
            size += len(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))
        return size
    buf = bytearray(CHUNK)  # one buffer for the whole file: no 1 MiB allocation per chunk
    view = memoryview(buf)
    while n := readinto(buf):
        part = view[:n]
        h.update(part)
        if dst is not None:
            written = dst.write(part) or n  # a raw file may write less than asked: finish the chunk
            while written < n:
                written += dst.write(part[written:])
        size += n
        if on_chunk is not None:
            on_chunk(n)
    return size


def manifest_digest(entries: Mapping[str, str]) -> str:
    """Artifact digest from ``{path: entry digest}``: W&B's manifest-v1 digest."""
    h = _md5()
    h.update(MANIFEST_HEADER)
    for path in sorted(entries):
        h.update(f"{path}:{entries[path]}\n".encode())
    return h.hexdigest()

"""Digests byte-compatible with W&B: base64 MD5 (or XXH128) per file, hex over the sorted manifest.

Files are hashed with the artifact's digest algorithm: ``MD5`` (the default) or ``XXH128`` (W&B's
opt-in, ``Artifact(..., digest_algorithm="XXH128")``, many times faster than MD5; needs the
``xxhash`` extra). Either way an entry digest is the base64 of the raw 16 bytes, an XXH128 entry
says so in its ``extra`` (``{"alg": "XXH128"}``; an untagged entry is MD5), and the artifact digest
hashes the same lines with the same algorithm.

>>> b64_md5(b"hello\\n")
'sZRqySSS0jR8YjW00mERhA=='
>>> manifest_digest({"a.txt": "sZRqySSS0jR8YjW00mERhA=="})
'df2baf4982f9ccdd99de4a5a8b016e45'
>>> b64_digest(b"hello\\n", XXH128)
'a7qGx+Bp9W1aELQ18cjknA=='
>>> blob_id("a7qGx+Bp9W1aELQ18cjknA==", XXH128)
'xxh128:a7qGx+Bp9W1aELQ18cjknA=='
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Mapping
from enum import Enum
from typing import IO, Any, Final, Literal, Protocol

from .errors import InvalidNameError, MissingDependencyError

CHUNK = 1 << 20  # 1 MiB: large enough that hashlib releases the GIL and syscalls stay few
MANIFEST_HEADER = b"wandb-artifact-manifest-v1\n"

Algorithm = Literal["MD5", "XXH128"]
MD5: Final = "MD5"
XXH128: Final = "XXH128"
ALGORITHMS: Final[tuple[Algorithm, ...]] = (MD5, XXH128)
ALG_KEY: Final = "alg"  # W&B's key in an entry's ``extra``: only non-MD5 entries carry it
_PREFIX: Final[dict[str, str]] = {MD5: "md5", XXH128: "xxh128"}  # also the blob key's first segment


class DigestAlgorithm(str, Enum):
    """What ``Artifact.digest_algorithm`` answers, as W&B's ``ArtifactDigestAlgorithm`` (a ``str``).

    >>> DigestAlgorithm.of(XXH128) == "MANIFEST_XXH128", DigestAlgorithm.MANIFEST_XXH128.short
    (True, 'XXH128')
    """

    MANIFEST_MD5 = "MANIFEST_MD5"
    MANIFEST_XXH128 = "MANIFEST_XXH128"

    @classmethod
    def of(cls, alg: Algorithm) -> DigestAlgorithm:
        return cls.MANIFEST_XXH128 if alg == XXH128 else cls.MANIFEST_MD5

    @property
    def short(self) -> Algorithm:
        """The name ``Artifact(..., digest_algorithm=)`` and an entry's ``extra["alg"]`` use."""
        return XXH128 if self is DigestAlgorithm.MANIFEST_XXH128 else MD5


class Hasher(Protocol):
    def update(self, data: Any, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


def algorithm(name: str) -> Algorithm:
    """``name`` checked: ``"MD5"`` or ``"XXH128"``, W&B's names, exactly (a :class:`DigestAlgorithm` too).

    The SDK reads any other name as MD5; refusing it instead means a typo never silently picks
    the other algorithm (and so other digests).

    >>> algorithm("XXH128"), algorithm(DigestAlgorithm.MANIFEST_MD5)
    ('XXH128', 'MD5')
    """
    if isinstance(name, DigestAlgorithm):
        return name.short
    if name == MD5:
        return MD5
    if name == XXH128:
        return XXH128
    raise InvalidNameError(f"Unknown digest algorithm {name!r}; use 'MD5' (the default) or 'XXH128'.")


def entry_algorithm(extra: Mapping[str, Any]) -> Algorithm:
    """The algorithm an entry's digest was made with, read from its ``extra`` as W&B reads it."""
    return XXH128 if extra.get(ALG_KEY) == XXH128 else MD5


def hasher(alg: Algorithm = MD5) -> Hasher:
    """A fresh hash object for ``alg`` (XXH128 imports ``xxhash`` on first use)."""
    if alg == MD5:
        return hashlib.md5(usedforsecurity=False)
    try:
        import xxhash
    except ImportError as exc:
        raise MissingDependencyError(
            "XXH128 digests need the xxhash package; install the xxhash extra (pip install 'artiflow[xxhash]')."
        ) from exc
    h: Hasher = xxhash.xxh128()
    return h


def blob_id(digest: str, alg: Algorithm = MD5) -> str:
    """The name blob stores know a blob by: the MD5 digest itself, ``xxh128:<digest>`` for XXH128.

    Base64 has no ``:``, so the two kinds never meet: a store may hold both, each under its own key.
    """
    return digest if alg == MD5 else f"{_PREFIX[alg]}:{digest}"


def split_blob_id(blob: str) -> tuple[Algorithm, str]:
    """``(algorithm, digest)`` of a :func:`blob_id`."""
    head, sep, digest = blob.partition(":")
    if not sep:
        return MD5, blob
    if head == _PREFIX[XXH128]:
        return XXH128, digest
    raise InvalidNameError(f"Unknown blob name {blob!r}: expected an MD5 digest or 'xxh128:<digest>'.")


def key_prefix(alg: Algorithm) -> str:
    """The first segment of ``alg``'s blob keys: ``md5`` or ``xxh128`` (W&B's cache uses the same)."""
    return _PREFIX[alg]


def _md5() -> "hashlib._Hash":
    return hashlib.md5(usedforsecurity=False)


def b64_md5(data: bytes) -> str:
    h = _md5()
    h.update(data)
    return base64.b64encode(h.digest()).decode()


def b64_digest(data: bytes, alg: Algorithm = MD5) -> str:
    """Base64 digest of ``data`` with ``alg``."""
    h = hasher(alg)
    h.update(data)
    return base64.b64encode(h.digest()).decode()


def b64_to_hex(b64: str) -> str:
    return binascii.a2b_base64(b64).hex()  # base64.b64decode, minus its per-call overhead


def hex_to_b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def md5_file(path: str | os.PathLike[str]) -> str:
    """Base64 MD5 of a file's content, read in 1 MiB chunks."""
    return file_digest(path, MD5)


def file_digest(path: str | os.PathLike[str], alg: Algorithm = MD5) -> str:
    """Base64 digest of a file's content with ``alg``, read in 1 MiB chunks."""
    h = hasher(alg)
    with open(path, "rb", buffering=0) as f:
        _feed(f, h, None)
    return base64.b64encode(h.digest()).decode()


def copy_and_hash(
    src: IO[bytes], dst: IO[bytes] | None = None, *, alg: Algorithm = MD5,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[str, int]:
    """Hash ``src`` with ``alg`` (copying it to ``dst`` on the way, if given): each byte is read once.

    ``on_chunk(n)`` is called after each chunk of ``n`` bytes (progress within a large file).
    """
    h = hasher(alg)
    size = _feed(src, h, dst, on_chunk)
    return base64.b64encode(h.digest()).decode(), size


def _feed(
    src: IO[bytes], h: Hasher, dst: IO[bytes] | None, on_chunk: Callable[[int], None] | None = None
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


def manifest_digest(entries: Mapping[str, str], alg: Algorithm = MD5) -> str:
    """Artifact digest from ``{path: entry digest}``: W&B's manifest-v1 digest, hashed with ``alg``."""
    h = hasher(alg)
    h.update(MANIFEST_HEADER)
    h.update("".join([f"{path}:{entries[path]}\n" for path in sorted(entries)]).encode())  # one update, not one per line
    return h.hexdigest()

"""Content-addressed blob storage: ``md5/<hex[:2]>/<hex[2:]>`` under any fsspec URL (``xxh128/…`` for XXH128).

Blobs are written under a temporary key and then moved into place, so a crash never leaves a
blob that looks valid. Keys are content addresses, so writing the same blob twice is harmless.
Reads check the bytes against the address; a blob that fails is moved to ``quarantine/``, so
the next log of the genuine content stores it again. Two implementations: :class:`LocalBlobStore`
(``localblobs``) and :class:`FsspecBlobStore` (``objectstore``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import IO, Any, Protocol

from .blobkey import QUARANTINE, blob_key
from .digests import Algorithm
from .errors import MissingDependencyError
from .localblobs import LocalBlobStore
from .objectstore import FsspecBlobStore

_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure"}


class BlobStore(Protocol):
    """Blobs by content address. ``digest`` arguments are blob ids (:func:`~artiflow.digests.blob_id`:
    an MD5 digest, or ``xxh128:<digest>``), so reads check bytes with the algorithm of the address;
    :meth:`put_file` alone takes a plain digest and its algorithm, and returns the digest."""

    url: str

    def has(self, digest: str) -> bool: ...
    def put_file(
        self, src: str, expected: str | None = None, *, alg: Algorithm = ...,
        on_chunk: Callable[[int], None] | None = None,
    ) -> tuple[str, int]: ...
    def put_bytes(self, data: bytes) -> str: ...
    def read_bytes(self, digest: str) -> bytes: ...
    def open(self, digest: str) -> IO[bytes]: ...
    def copy_to(
        self, digest: str, dest: str, *, hardlink: bool = False, verify: bool = True,
        on_chunk: Callable[[int], None] | None = None, size: int | None = None,
    ) -> os.stat_result | None:
        """Write the blob to ``dest`` (checked unless ``verify=False``); ``dest``'s stat, where known."""
    def freshen(self, digest: str, size: int | None = None) -> bool: ...
    def sync(self) -> None: ...
    def quarantine(self, digest: str) -> str | None: ...
    def now(self) -> float: ...
    def delete_if_stale(self, key: str, cutoff: float) -> bool: ...
    def abort_stale_uploads(self, cutoff: float, *, dry_run: bool = True) -> list[str]: ...
    def keys(self) -> Iterator[str]: ...
    def delete(self, digest: str) -> None: ...
    def key_info(self, key: str) -> tuple[int, float]: ...
    def delete_key(self, key: str) -> None: ...
    def temp_keys(self) -> Iterator[str]: ...


def open_blob_store(url: str, options: dict[str, Any] | None = None, *, durable: bool = True) -> BlobStore:
    """A blob store for ``url``: a local directory, ``file://`` URL or any fsspec URL.

    ``options`` go to the fsspec filesystem (e.g. ``{"client_kwargs": {"endpoint_url": …}}`` for
    an S3-compatible server). ``durable=False`` skips the syncs that make a local disk's blobs
    survive a power loss (object stores keep what they acknowledge, either way).
    """
    protocol = url.split("://", 1)[0] if "://" in url else "file"
    if protocol in ("file", "local"):
        return LocalBlobStore(url.split("://", 1)[-1] if "://" in url else url, durable=durable)
    try:
        import fsspec

        fs, path = fsspec.core.url_to_fs(url, **(options or {}))
    except ImportError as exc:
        extra = _EXTRAS.get(protocol, protocol)
        raise MissingDependencyError(
            f"Storage URL {url!r} needs an fsspec backend for {protocol!r}; "
            f'install it with pip install "artiflow[{extra}]".'
        ) from exc
    return FsspecBlobStore(url, fs, path)


__all__ = ["QUARANTINE", "BlobStore", "FsspecBlobStore", "LocalBlobStore", "blob_key", "open_blob_store"]

"""Blobs on any fsspec filesystem (S3, GCS, Azure, memory…).

A new blob is hashed, then uploaded under ``tmp/<uuid>`` while the bytes sent are hashed again,
and moved to its content address only if both hashes agree: a file edited during its upload
fails the log and never leaves a key whose bytes do not hash to its name. Reads hash what they
download and refuse bytes that do not match.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import IO, Any

from .blobkey import KEY_PREFIXES, blob_key, fsspec_callback, mismatch, quarantine_key, unlink_quietly
from .digests import MD5, Algorithm, b64_md5, blob_id, copy_and_hash, file_digest, split_blob_id
from .errors import DigestMismatchError

# Object stores publish a PUT (or a completed multipart upload) atomically: small in-memory
# blobs (manifests) can go straight to their content address.
_ATOMIC_PUT = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"}
_S3_COPY_MAX = 5 << 30  # CopyObject's limit; a larger reused blob is uploaded again instead


class FsspecBlobStore:
    """Blobs under an fsspec URL (see the module docstring); every method but :meth:`put_file` names a
    blob by its :func:`~artiflow.digests.blob_id`."""

    def __init__(self, url: str, fs: Any, path: str) -> None:
        self.url = url
        self.fs = fs
        self.base = path.rstrip("/")
        protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
        self._atomic = bool(set(protocols) & _ATOMIC_PUT)
        self._s3 = bool(set(protocols) & {"s3", "s3a"})
        self._made: set[str] = set()

    def _parent_made(self, key: str) -> str:
        """``key``, once its directory exists: filesystems with directories (local, SFTP…) need it."""
        parent = key.rsplit("/", 1)[0]
        if parent not in self._made:
            self.fs.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return key

    def _key(self, digest: str) -> str:
        return f"{self.base}/{blob_key(digest)}"

    def has(self, digest: str) -> bool:
        """Whether the blob is stored, asked of the store itself (a cached listing may be stale:
        what a log finds after leasing a blob must be true now)."""
        key = self._key(digest)
        self.fs.invalidate_cache(key)
        return bool(self.fs.exists(key))

    def freshen(self, digest: str, size: int | None = None) -> bool:
        """Mark a blob a log reuses as just written (gc's grace counts from its modification time).

        On S3 the object is copied onto itself (a new LastModified, no bytes sent); where that
        is impossible, False: the caller uploads it again. False too if it is missing, or of
        another ``size`` (then it is quarantined).
        """
        key = self._key(digest)
        self.fs.invalidate_cache(key)  # not a listing cached earlier: the store's answer now
        try:
            info = self.fs.info(key)
        except FileNotFoundError:
            return False
        stored = int(info.get("size") or 0)
        if size is not None and stored != size:
            self.quarantine(digest)
            return False
        try:
            return self._touch(key, stored)
        except FileNotFoundError:
            return False

    def sync(self) -> None:
        """Nothing to do: an object store acknowledges a write once it is stored (its own durability)."""

    def _touch(self, key: str, size: int) -> bool:
        if self._s3:
            if size > _S3_COPY_MAX:
                return False
            bucket, path, _ = self.fs.split_path(key)
            self.fs.call_s3(
                "copy_object", Bucket=bucket, Key=path, CopySource={"Bucket": bucket, "Key": path},
                MetadataDirective="REPLACE", Metadata={"artiflow-freshened": f"{time.time():.3f}"},
            )
            self.fs.invalidate_cache(key)
            return True
        try:
            self.fs.touch(key, truncate=False)  # memory, local and SFTP keep the bytes
        except (NotImplementedError, ValueError, OSError):
            return False
        return True

    def quarantine(self, digest: str) -> str | None:
        """Move a damaged blob out of its address; return where it went (None: already gone)."""
        key = quarantine_key(digest)
        try:
            self.fs.mv(self._key(digest), self._parent_made(f"{self.base}/{key}"))
        except FileNotFoundError:
            return None
        return key

    def put_file(
        self, src: str, expected: str | None = None, *, alg: Algorithm = MD5,
        on_chunk: Callable[[int], None] | None = None,
    ) -> tuple[str, int]:
        """Store ``src`` hashed with ``alg``; return its digest (not the blob id) and size."""
        # Progress: the hashing read and the upload each count for half of the file's bytes.
        half = (lambda n: on_chunk(n // 2)) if on_chunk is not None else None
        with open(src, "rb", buffering=0) as fin:
            digest, size = copy_and_hash(fin, alg=alg, on_chunk=half)
        if expected is not None and digest != expected:
            raise DigestMismatchError(f"{src} hashed to {digest}, expected {expected}.")
        blob = blob_id(digest, alg)
        if self.freshen(blob, size):  # blob-level dedup: another version (or machine) stored it already
            return digest, size
        tmp = self._parent_made(f"{self.base}/tmp/{uuid.uuid4().hex}")
        try:
            with open(src, "rb", buffering=0) as fin, self.fs.open(tmp, "wb") as fout:
                sent, _ = copy_and_hash(fin, fout, alg=alg, on_chunk=half)
            if sent != digest:
                raise DigestMismatchError(f"{src} changed while it was being stored; log again.")
            self.fs.mv(tmp, self._parent_made(self._key(blob)))
        except BaseException:
            self._rm_quietly(tmp)
            raise
        return digest, size

    def _rm_quietly(self, key: str) -> None:
        try:
            self.fs.rm(key)
        except (FileNotFoundError, OSError):
            pass

    def put_bytes(self, data: bytes) -> str:
        digest = b64_md5(data)
        if self.freshen(digest, len(data)):
            return digest
        if self._atomic:
            self.fs.pipe_file(self._key(digest), data)
        else:
            tmp = self._parent_made(f"{self.base}/tmp/{uuid.uuid4().hex}")
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, self._parent_made(self._key(digest)))
        return digest

    def read_bytes(self, digest: str) -> bytes:
        return bytes(self.fs.cat_file(self._key(digest)))

    def open(self, digest: str) -> IO[bytes]:
        handle: IO[bytes] = self.fs.open(self._key(digest), "rb")
        return handle

    def copy_to(
        self,
        digest: str,
        dest: str,
        *,
        hardlink: bool = False,
        verify: bool = True,
        on_chunk: Callable[[int], None] | None = None,
        size: int | None = None,
    ) -> None:
        """Download a blob to ``dest`` through a temporary file, renamed only once its hash matches."""
        tmp = f"{dest}.artiflow-{uuid.uuid4().hex[:8]}.tmp"
        try:
            self.fs.get_file(self._key(digest), tmp, **fsspec_callback(on_chunk))
            alg = split_blob_id(digest)[0]
            if verify and blob_id(got := file_digest(tmp, alg), alg) != digest:
                raise mismatch(self.url, digest, got)
            os.replace(tmp, dest)
        except BaseException:
            unlink_quietly(tmp)
            raise

    def keys(self) -> Iterator[str]:
        for top in KEY_PREFIXES:
            for p in self.fs.find(f"{self.base}/{top}"):
                yield p[len(self.base) + 1 :]

    def delete(self, digest: str) -> None:
        self.fs.rm(self._key(digest))

    def key_info(self, key: str) -> tuple[int, float]:
        info = self.fs.info(f"{self.base}/{key}")
        modified = info.get("LastModified") or info.get("mtime") or info.get("created") or 0
        stamp = modified.timestamp() if hasattr(modified, "timestamp") else float(modified)
        return int(info.get("size") or 0), stamp

    def delete_key(self, key: str) -> None:
        self.fs.rm(f"{self.base}/{key}")

    def now(self) -> float:
        """The object store's own clock (a probe object's modification time): gc compares ages
        against it, so a skewed clock on the machine running gc cannot make new blobs look old."""
        probe = self._parent_made(f"{self.base}/tmp/clock-{uuid.uuid4().hex}")
        self.fs.pipe_file(probe, b"")
        try:
            return self.key_info(probe[len(self.base) + 1 :])[1]
        finally:
            self._rm_quietly(probe)

    def delete_if_stale(self, key: str, cutoff: float) -> bool:
        """Delete ``key`` unless written or freshened after ``cutoff`` (looked up again just now)."""
        self.fs.invalidate_cache(f"{self.base}/{key}")
        try:
            _, modified = self.key_info(key)
        except FileNotFoundError:
            return False
        if modified > cutoff:
            return False
        self._rm_quietly(f"{self.base}/{key}")
        return True

    def temp_keys(self) -> Iterator[str]:
        try:
            found = self.fs.find(f"{self.base}/tmp")
        except FileNotFoundError:
            return
        for p in found:
            yield p[len(self.base) + 1 :]

    def abort_stale_uploads(self, cutoff: float, *, dry_run: bool = True) -> list[str]:
        """Abort multipart uploads under this store begun before ``cutoff`` (S3; elsewhere none)."""
        if not self._s3:
            return []  # GCS and Azure expire uncommitted uploads and blocks by themselves
        bucket, prefix, _ = self.fs.split_path(f"{self.base}/")
        found: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        while True:
            page = self.fs.call_s3("list_multipart_uploads", **kwargs)
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() > cutoff:
                    continue
                found.append(upload["Key"][len(prefix) :])
                if not dry_run:
                    self.fs.call_s3(
                        "abort_multipart_upload", Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
            if not page.get("IsTruncated"):
                return found
            kwargs.update(KeyMarker=page["NextKeyMarker"], UploadIdMarker=page["NextUploadIdMarker"])


__all__ = ["FsspecBlobStore"]

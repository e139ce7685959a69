"""``s3://`` and ``gs://`` references: objects in a bucket, read through fsspec (s3fs, gcsfs).

With ``checksum=True`` an object is recorded by its ETag (quotes stripped; for an S3 multipart upload
this is not an MD5) and, where the bucket keeps versions, its version (``versionID``: the S3
``VersionId``, or the GCS generation). A key with no object behind it, or one ending in ``/``, is a
prefix: every object under it becomes an entry named relative to it. ``checksum=False`` records the
URI itself, without looking at the bucket.

On download the logged version is fetched and its ETag must equal the digest. Without a version, the
current object must have the logged ETag; on S3 a mismatch makes us look through the object's
versions for one that does (as W&B does).
"""

from __future__ import annotations

import logging
import posixpath
import shutil
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .. import names
from ..digests import CHUNK
from ..errors import DigestMismatchError, MissingDependencyError, TooManyObjectsError
from ..manifest import ManifestEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one object store names ETags and versions in fsspec's info dicts."""

    scheme: str
    extra: str  # the artiflow extra that installs the fsspec backend
    etag_key: str
    version_key: str
    pin_sep: str  # how fsspec addresses one version: key + pin_sep + version
    open_kw: str  # the version argument of fs.open (s3fs drops a "null" version given in the path)

    def etag(self, info: dict[str, Any]) -> str | None:
        raw = info.get(self.etag_key)
        return str(raw) if raw else None

    def version(self, info: dict[str, Any]) -> str | None:
        raw = info.get(self.version_key)
        return str(raw) if raw not in (None, "", "null") else None

    def pin(self, path: str, version: str | None) -> str:
        return f"{path}{self.pin_sep}{version}" if version else path


DIALECTS = {
    "s3": Dialect("s3", "s3", "ETag", "VersionId", "?versionId=", "version_id"),
    "gs": Dialect("gs", "gcs", "etag", "generation", "#", "generation"),
}


def split(uri: str) -> tuple[str, str, str | None]:
    """``(bucket, key, version)`` of ``s3://b/k?versionId=v`` or ``gs://b/k#generation``."""
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    version = (query.get("versionId") or query.get("generation") or [parts.fragment])[0]
    return parts.netloc, parts.path.lstrip("/"), version or None


def filesystem(dialect: Dialect, options: dict[str, Any]) -> Any:
    """A version-aware fsspec filesystem for the dialect's scheme, without a listings cache.

    The cache would answer a later download from a listing made when the reference was added.
    """
    try:
        import fsspec

        return fsspec.filesystem(
            dialect.scheme, **{**options, "version_aware": True, "use_listings_cache": False}
        )
    except ImportError as exc:
        raise MissingDependencyError(
            f"{dialect.scheme}:// references need an fsspec backend; "
            f'install it with pip install "artiflow[{dialect.extra}]".'
        ) from exc


def unchecked_entry(uri: str, name: str | None) -> ManifestEntry:
    """``checksum=False``: the URI is the digest; named by ``name`` or the whole key, as in W&B."""
    scheme = urlsplit(uri).scheme
    bucket, key, version = split(uri)
    target = f"{scheme}://{bucket}/{key}"
    return ManifestEntry(
        path=names.entry_path(name or key or bucket), digest=target, ref=target,
        extra={"versionID": version} if version else {},
    )


def entries(uri: str, name: str | None, *, limit: int, fs: Any, dialect: Dialect) -> list[ManifestEntry]:
    bucket, key, version = split(uri)
    path = f"{bucket}/{key}"
    if key and not key.endswith("/"):
        try:
            info = fs.info(dialect.pin(path, version))
        except FileNotFoundError:
            if version:
                raise FileNotFoundError(f"Reference {uri} points at nothing: no version {version} of {path}.")
            info = {}
        if info.get("type") == "file" and info.get("ContentType") != "application/x-directory":
            entry_name = name or posixpath.basename(key)
            return [_entry(dialect, info, entry_name, f"{dialect.scheme}://{path}")]
    base = path.rstrip("/")
    found: list[tuple[str, dict[str, Any]]] = []
    for full, info in sorted(_listing(fs, base).items()):
        rel = full.lstrip("/").removeprefix(base + "/")
        # Keys ending in "/" are the zero-size "directory" markers consoles create.
        if info.get("type") == "file" and rel != full.lstrip("/") and not rel.endswith("/"):
            found.append((rel, info))
    if not found:
        raise FileNotFoundError(f"Reference {uri} points at nothing: no object {path} and none under {base}/.")
    if len(found) > limit:
        raise TooManyObjectsError(
            f"Exceeded {limit} objects tracked under {uri}; pass a larger max_objects to add_reference."
        )
    return [
        _entry(dialect, info, posixpath.join(name, rel) if name else rel, f"{dialect.scheme}://{base}/{rel}")
        for rel, info in found
    ]


def _listing(fs: Any, base: str) -> dict[str, dict[str, Any]]:
    try:
        return dict(fs.find(base, detail=True))
    except PermissionError:
        # A version-aware S3 listing needs s3:ListBucketVersions; a plain one does not, but
        # then records no version ids.
        log.warning("Not allowed to list object versions under %s; listing without versions.", base)
        plain = type(fs)(**{**fs.storage_options, "version_aware": False})
        return dict(plain.find(base, detail=True))


def _entry(dialect: Dialect, info: dict[str, Any], name: str, ref: str) -> ManifestEntry:
    etag = dialect.etag(info)
    version = dialect.version(info)
    extra: dict[str, Any] = {"etag": etag} if etag else {}
    if version:
        extra["versionID"] = version
    return ManifestEntry(
        path=names.entry_path(name), digest=etag.strip('"') if etag else ref, size=int(info.get("size") or 0),
        ref=ref, extra=extra,
    )


def fetch(entry: ManifestEntry, tmp: str, *, fs: Any, dialect: Dialect) -> None:
    """Write the referenced object to ``tmp``, checked against the logged ETag (see the module docstring)."""
    assert entry.ref is not None
    bucket, key, _ = split(entry.ref)
    path = f"{bucket}/{key}"
    logged = entry.extra.get("versionID")
    version = str(logged) if logged else None
    try:
        info = fs.info(dialect.pin(path, version))
    except FileNotFoundError as exc:
        where = f"version {version} of {entry.ref}" if version else entry.ref
        raise FileNotFoundError(f"Reference {entry.path!r} is missing: {where} does not exist.") from exc
    etag = (dialect.etag(info) or "").strip('"')
    if entry.digest != entry.ref and etag != entry.digest:  # digest == ref: checksum=False, nothing to check
        if version:
            raise DigestMismatchError(
                f"Digest mismatch for object {entry.ref} with version {version}: "
                f"expected {entry.digest} but found {etag}."
            )
        version = _version_with_etag(fs, path, entry.digest)
        if version is None:
            raise DigestMismatchError(
                f"Reference {entry.ref} changed since it was logged (ETag {etag}, expected {entry.digest}) "
                "and no version of it has the logged ETag."
            )
    # Read exactly the version that was checked, where the bucket has versions.
    version = version or dialect.version(info)
    pinned = {dialect.open_kw: version} if version else {}
    with fs.open(dialect.pin(path, version), "rb", **pinned) as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)


def _version_with_etag(fs: Any, path: str, digest: str) -> str | None:
    """An older version of ``path`` whose ETag is ``digest``: only where fsspec lists versions (s3fs)."""
    if not hasattr(fs, "object_version_info"):
        return None
    key = path.split("/", 1)[1]
    for v in fs.object_version_info(path):
        if v.get("Key") == key and str(v.get("ETag", "")).strip('"') == digest:
            return str(v["VersionId"])
    return None

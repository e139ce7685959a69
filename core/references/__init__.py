"""References: entries that point at data outside the store instead of copying it.

``Artifact.add_reference(uri, name=None, checksum=True, max_objects=None)`` records, per scheme
(as W&B does, reference/wandb-artifacts.md §5):

=============  ====================================  ==========================  =================
scheme         digest (``checksum=True``)            extra                       ``checksum=False``
=============  ====================================  ==========================  =================
``file://``    base64 MD5 of the content             –                           MD5 of the URI
``s3://``      ETag, quotes stripped                 ``etag``, ``versionID``     the URI
``gs://``      ETag                                  ``etag``, ``versionID``     the URI
``http(s)://`` ETag, quotes stripped, else the URL   ``etag``                    the URI
other          base64 MD5 of the URI (tracked only)  –                           the same
=============  ====================================  ==========================  =================

A URI of any other scheme (``ftp://``, ``hdfs://``…) is tracked, not fetched: its entry records
the URI and a hash of it, and ``download()`` skips it. ``wandb-artifact://<version id>/<path>``
(another artifact's entry, e.g. ``add_reference(other.get_entry("x.csv"))``) is resolved by the
artifact facade and the store, which have the store to look the entry up in.

``versionID`` is recorded only for versioned buckets (S3 ``VersionId``, GCS generation). A directory
(``file://``) or a prefix (``s3://``, ``gs://``: a key with no object, or ending in ``/``) expands to
one entry per file under it, named relative to it (under ``name/`` when ``name`` is given), up to
``max_objects`` (default 10,000,000; :class:`TooManyObjectsError` beyond).

``download()`` fetches each reference and checks it against the recorded digest (see each module);
a missing target raises :class:`FileNotFoundError`, or with ``allow_missing_references=True`` logs a
warning and skips the entry. A reference added with ``checksum=False`` cannot be checked: download
takes whatever the URI holds now.

Buckets are reached through fsspec (``pip install "artiflow[s3]"`` or ``"artiflow[gcs]"``) with
these options, first match wins: the ``storage_options`` passed to ``add_reference``; the settings'
``storage_options`` when the store itself lives on the same scheme (``ARTIFLOW_STORAGE_URL=s3://…``);
otherwise none, and the backend reads its usual environment (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``…; ``GOOGLE_APPLICATION_CREDENTIALS``…). A download uses the
settings of the store it reads from.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from typing import Any

from .. import names
from ..digests import b64_md5
from ..errors import ArtiflowError, InvalidNameError, StoreError, UnsupportedSchemeError
from ..manifest import ManifestEntry
from ..settings import Settings
from . import cloud, file, http

log = logging.getLogger(__name__)

DEFAULT_MAX_OBJECTS = 10_000_000
SCHEMES = ("file", "s3", "gs", "http", "https")
ARTIFACT_SCHEME = "wandb-artifact"


def tracked_entry(uri: str, name: str | None) -> ManifestEntry:
    """An entry for a URI artiflow cannot read: the URI and its hash, nothing to fetch."""
    log.warning("Reference %s has a scheme artiflow cannot read; it is tracked by its URI and cannot be checksummed.", uri)
    default = uri.split("://", 1)[1].rstrip("/").rsplit("/", 1)[-1] or "reference"
    return ManifestEntry(path=names.entry_path(name or default), digest=b64_md5(uri.encode()), ref=uri)


def reference_entries(
    uri: str,
    name: str | None = None,
    *,
    checksum: bool = True,
    max_objects: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
) -> list[ManifestEntry]:
    """The manifest entries ``add_reference(uri, ...)`` adds (see the module docstring).

    >>> [e.digest for e in reference_entries("https://example.com/x.csv", checksum=False)]
    ['https://example.com/x.csv']
    """
    if "://" not in uri:
        raise InvalidNameError("References must be URIs. To reference a local file, use file://")
    scheme = uri.split("://", 1)[0].lower()
    limit = DEFAULT_MAX_OBJECTS if max_objects is None else max_objects
    if scheme == "file":
        return file.entries(uri, name, checksum=checksum, limit=limit)
    if scheme in ("http", "https"):
        return http.entries(uri, name, checksum=checksum)
    if scheme == ARTIFACT_SCHEME:
        raise UnsupportedSchemeError(
            f"Cannot resolve {uri} without a store; add the entry itself: add_reference(other.get_entry(path))."
        )
    dialect = cloud.DIALECTS.get(scheme)
    if dialect is None:
        return [tracked_entry(uri, name)]
    if not checksum:
        return [cloud.unchecked_entry(uri, name)]
    options = dict(storage_options) if storage_options is not None else filesystem_options(scheme, settings)
    try:
        return cloud.entries(uri, name, limit=limit, fs=cloud.filesystem(dialect, options), dialect=dialect)
    except (ArtiflowError, OSError):
        raise
    except Exception as exc:  # the backend's own errors (credentials, endpoint) get one clear message
        raise StoreError(
            f"Cannot read reference {uri}: {type(exc).__name__}: {exc}. Check the credentials and endpoint "
            "(environment, or storage_options=...)."
        ) from exc


def fetch_reference(entry: ManifestEntry, dest: str, *, allow_missing: bool, settings: Settings) -> bool:
    """Download a reference to ``dest``, checked against its digest; ``False`` if missing and allowed."""
    assert entry.ref is not None
    scheme = entry.ref.split("://", 1)[0].lower()
    tmp = f"{dest}.artiflow-{uuid.uuid4().hex[:8]}.tmp"
    try:
        if scheme == "file":
            file.fetch(entry, tmp)
        elif scheme in ("http", "https"):
            http.fetch(entry, tmp)
        elif scheme in cloud.DIALECTS:
            dialect = cloud.DIALECTS[scheme]
            fs = cloud.filesystem(dialect, filesystem_options(scheme, settings))
            cloud.fetch(entry, tmp, fs=fs, dialect=dialect)
        else:
            log.info("Reference %s is tracked by its URI only; nothing to download for %s.", entry.ref, entry.path)
            return False
        os.replace(tmp, dest)
    except FileNotFoundError as exc:
        _unlink_quietly(tmp)
        if allow_missing:
            log.warning("Reference %s is missing; skipped %s.", entry.ref, entry.path)
            return False
        raise FileNotFoundError(
            f"{str(exc).rstrip('.')}. Restore it, or download with allow_missing_references=True to skip it."
        ) from exc
    except (ArtiflowError, OSError):
        _unlink_quietly(tmp)
        raise
    except Exception as exc:
        _unlink_quietly(tmp)
        raise StoreError(f"Cannot download reference {entry.ref}: {type(exc).__name__}: {exc}.") from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return True


def filesystem_options(scheme: str, settings: Settings | None = None) -> dict[str, Any]:
    """fsspec options for a reference on ``scheme``: the store's own when it lives there too."""
    settings = settings if settings is not None else Settings()
    storage = settings.storage
    store_scheme = storage.split("://", 1)[0].lower() if "://" in storage else "file"
    return dict(settings.storage_options) if store_scheme == scheme else {}


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


__all__ = ["DEFAULT_MAX_OBJECTS", "fetch_reference", "filesystem_options", "reference_entries"]

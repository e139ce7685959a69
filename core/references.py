"""``add_reference``: entries that point at data outside the store instead of copying it.

Only ``file://`` is tracked so far; other schemes raise :class:`UnsupportedSchemeError`.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from . import validate
from .digests import b64_md5, md5_file
from .errors import InvalidNameError, TooManyObjectsError, UnsupportedSchemeError
from .manifest import ManifestEntry

DEFAULT_MAX_OBJECTS = 10_000_000


def reference_entries(
    uri: str, name: str | None, *, checksum: bool, max_objects: int | None
) -> list[ManifestEntry]:
    if "://" not in uri:
        raise InvalidNameError("References must be URIs. To reference a local file, use file://")
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise UnsupportedSchemeError(
            f"References with scheme {parsed.scheme!r} are not supported yet; only file:// is. "
            "Copy the data locally and use add_file/add_dir instead."
        )
    path = unquote(parsed.path)
    limit = DEFAULT_MAX_OBJECTS if max_objects is None else max_objects

    def digest(p: str) -> str:
        # As in W&B: without checksum, the digest depends only on where the file is.
        return md5_file(p) if checksum else b64_md5(Path(p).resolve().as_uri().encode())

    if os.path.isfile(path):
        entry_name = validate.entry_path(name or os.path.basename(path))
        return [ManifestEntry(path=entry_name, digest=digest(path), size=os.path.getsize(path), ref=uri)]
    if not os.path.isdir(path):
        raise FileNotFoundError(f"Reference {uri} points at nothing: {path} does not exist.")
    entries: list[ManifestEntry] = []
    for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
        dirnames.sort()
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            entry_name = validate.entry_path(posixpath.join(name, rel) if name else rel)
            if len(entries) >= limit:
                raise TooManyObjectsError(
                    f"Exceeded {limit} objects tracked under {uri}; pass a larger max_objects to add_reference."
                )
            entries.append(
                ManifestEntry(
                    path=entry_name, digest=digest(full), size=os.path.getsize(full),
                    ref="file://" + quote(os.path.abspath(full)),
                )
            )
    return entries

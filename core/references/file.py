"""``file://`` references: a local file, or every file under a directory (symlinks followed).

The digest is the file's base64 MD5; with ``checksum=False`` it is the MD5 of the resolved
``file://`` URI, so it depends only on where the file is (as in W&B).
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from .. import names
from ..digests import b64_md5, copy_and_hash, md5_file
from ..errors import DigestMismatchError, TooManyObjectsError
from ..manifest import ManifestEntry


def local_path(uri: str) -> str:
    return unquote(urlparse(uri).path)


def uri_digest(uri: str) -> str:
    """The digest of a ``checksum=False`` reference: MD5 of its resolved ``file://`` URI."""
    return b64_md5(Path(local_path(uri)).resolve().as_uri().encode())


def entries(uri: str, name: str | None, *, checksum: bool, limit: int) -> list[ManifestEntry]:
    path = local_path(uri)

    def digest(p: str) -> str:
        return md5_file(p) if checksum else b64_md5(Path(p).resolve().as_uri().encode())

    if os.path.isfile(path):
        entry_name = names.entry_path(name or os.path.basename(path))
        return [ManifestEntry(path=entry_name, digest=digest(path), size=os.path.getsize(path), ref=uri)]
    if not os.path.isdir(path):
        raise FileNotFoundError(f"Reference {uri} points at nothing: {path} does not exist.")
    found: list[ManifestEntry] = []
    for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
        dirnames.sort()
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            entry_name = names.entry_path(posixpath.join(name, rel) if name else rel)
            if len(found) >= limit:
                raise TooManyObjectsError(
                    f"Exceeded {limit} objects tracked under {uri}; pass a larger max_objects to add_reference."
                )
            found.append(
                ManifestEntry(
                    path=entry_name, digest=digest(full), size=os.path.getsize(full),
                    ref="file://" + quote(os.path.abspath(full)),
                )
            )
    return found


def fetch(entry: ManifestEntry, tmp: str) -> None:
    """Copy the target to ``tmp``; its MD5 must still be the logged one (unless ``checksum=False``)."""
    assert entry.ref is not None
    path = local_path(entry.ref)
    try:
        fin = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"Reference {entry.path!r} is missing: {path} does not exist.") from None
    with fin, open(tmp, "wb") as fout:
        digest, _ = copy_and_hash(fin, fout)
    if digest != entry.digest and entry.digest != uri_digest(entry.ref):
        raise DigestMismatchError(
            f"Reference {entry.ref} changed since it was logged (digest {digest}, expected {entry.digest})."
        )

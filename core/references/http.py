"""``http://`` and ``https://`` references, with the standard library's ``urllib``.

With ``checksum=True`` one GET reads the headers (the body is not downloaded): the digest is the
``ETag`` with quotes stripped, or the URL itself when the server sends none; the size is the
``Content-Length``. A download GETs the URL again and refuses a body whose ETag is not the logged
one. A URL without an ETag (or a ``checksum=False`` reference) cannot be checked: whatever the server
returns is taken.
"""

from __future__ import annotations

import posixpath
import shutil
from http.client import HTTPResponse
from typing import Any
from urllib.error import HTTPError
from urllib.parse import unquote, urlsplit
from urllib.request import Request, urlopen

from .. import names
from ..digests import CHUNK
from ..errors import DigestMismatchError, InvalidNameError
from ..manifest import ManifestEntry

TIMEOUT = 60.0  # seconds without a byte from the server before a request fails


def entries(uri: str, name: str | None, *, checksum: bool) -> list[ManifestEntry]:
    entry_name = name or posixpath.basename(unquote(urlsplit(uri).path))
    if not entry_name:
        raise InvalidNameError(f"Reference {uri} has no file name; pass name= to add_reference.")
    path = names.entry_path(entry_name)
    if not checksum:
        return [ManifestEntry(path=path, digest=uri, ref=uri)]
    with _get(uri) as resp:
        etag = resp.headers.get("ETag")
        length = resp.headers.get("Content-Length")
    extra: dict[str, Any] = {"etag": etag} if etag else {}
    size = int(length) if length is not None and length.isdigit() else None
    return [ManifestEntry(path=path, digest=_digest(etag, uri), size=size, ref=uri, extra=extra)]


def fetch(entry: ManifestEntry, tmp: str) -> None:
    assert entry.ref is not None
    with _get(entry.ref) as resp:
        etag = resp.headers.get("ETag")
        found = _digest(etag, entry.ref)
        if entry.digest != entry.ref and found != entry.digest:  # digest == URL: nothing to check
            raise DigestMismatchError(
                f"Reference {entry.ref} changed since it was logged (ETag {etag}, expected {entry.digest})."
            )
        with open(tmp, "wb") as fout:
            shutil.copyfileobj(resp, fout, CHUNK)


def _digest(etag: str | None, uri: str) -> str:
    return etag.strip('"') if etag else uri


def _get(uri: str) -> HTTPResponse:
    try:
        resp: HTTPResponse = urlopen(Request(uri, headers={"User-Agent": "artiflow"}), timeout=TIMEOUT)
    except HTTPError as exc:
        if exc.code in (404, 410):
            exc.close()
            raise FileNotFoundError(f"Reference {uri} points at nothing: HTTP {exc.code} {exc.reason}.") from None
        raise
    return resp

"""Digests must be byte-compatible with W&B: base64 MD5 per file, hex MD5 over the sorted manifest."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from pathlib import Path

import pytest

import artiflow
from artiflow.digests import (
    CHUNK,
    b64_md5,
    b64_to_hex,
    copy_and_hash,
    hex_to_b64,
    manifest_digest,
    md5_file,
)

HELLO_B64 = "sZRqySSS0jR8YjW00mERhA=="
HELLO_HEX = "b1946ac92492d2347c6235b4d2611184"
EMPTY_B64 = "1B2M2Y8AsgTpgAmY7PhCfg=="
WORLD_B64 = "WReFt5RgHiErJg4lklY2/Q=="


def test_b64_md5_matches_the_wandb_examples() -> None:
    assert b64_md5(b"hello\n") == HELLO_B64
    assert b64_md5(b"world\n") == WORLD_B64
    assert b64_md5(b"") == EMPTY_B64


def test_hex_and_b64_convert_both_ways() -> None:
    assert b64_to_hex(HELLO_B64) == HELLO_HEX
    assert hex_to_b64(HELLO_HEX) == HELLO_B64
    assert b64_to_hex(EMPTY_B64) == hashlib.md5(b"").hexdigest()


def test_md5_file_hashes_real_files(make_tree) -> None:
    root = make_tree({"a.txt": "hello\n", "empty.bin": b""})
    assert md5_file(root / "a.txt") == HELLO_B64
    assert md5_file(str(root / "empty.bin")) == EMPTY_B64


def test_md5_file_spans_chunk_boundaries(tmp_path: Path) -> None:
    data = os.urandom(2 * CHUNK + 17)  # three reads, the last one short
    p = tmp_path / "big.bin"
    p.write_bytes(data)
    expected = base64.b64encode(hashlib.md5(data).digest()).decode()
    assert md5_file(p) == expected


def test_md5_file_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        md5_file(tmp_path / "nope")


def test_copy_and_hash_copies_every_byte_once(tmp_path: Path) -> None:
    data = os.urandom(CHUNK + 5)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    dst = tmp_path / "dst.bin"
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        digest, size = copy_and_hash(fin, fout)
    assert size == len(data)
    assert dst.read_bytes() == data
    assert digest == md5_file(src)


def test_copy_and_hash_without_destination() -> None:
    assert copy_and_hash(io.BytesIO(b"hello\n")) == (HELLO_B64, 6)
    assert copy_and_hash(io.BytesIO(b"")) == (EMPTY_B64, 0)


def test_manifest_digest_single_file_example() -> None:
    assert manifest_digest({"a.txt": HELLO_B64}) == "df2baf4982f9ccdd99de4a5a8b016e45"
    raw = b"wandb-artifact-manifest-v1\na.txt:" + HELLO_B64.encode() + b"\n"
    assert manifest_digest({"a.txt": HELLO_B64}) == hashlib.md5(raw).hexdigest()


def test_manifest_digest_worked_example_from_the_reference() -> None:
    entries = {
        "sub/empty.bin": EMPTY_B64,
        "ext/x.csv": "https://example.com/x.csv",
        "b.txt": WORLD_B64,
        "a.txt": HELLO_B64,
    }
    assert manifest_digest(entries) == "74ee1c90ad2b8ee37dde04abe881c669"


def test_manifest_digest_ignores_insertion_order_but_not_paths() -> None:
    forward = {"a": HELLO_B64, "b": EMPTY_B64}
    backward = {"b": EMPTY_B64, "a": HELLO_B64}
    assert manifest_digest(forward) == manifest_digest(backward)
    assert manifest_digest({"a": HELLO_B64, "c": EMPTY_B64}) != manifest_digest(forward)
    assert manifest_digest({"a": EMPTY_B64, "b": HELLO_B64}) != manifest_digest(forward)


def test_manifest_digest_sorts_by_code_point_like_wandb() -> None:
    # Python's str sort (== UTF-8 byte order): "B" < "_" < "a" < "é".
    entries = {"é.txt": "1", "a.txt": "2", "_.txt": "3", "B.txt": "4"}
    lines = "".join(f"{p}:{entries[p]}\n" for p in ["B.txt", "_.txt", "a.txt", "é.txt"])
    expected = hashlib.md5(b"wandb-artifact-manifest-v1\n" + lines.encode()).hexdigest()
    assert manifest_digest(entries) == expected


def test_empty_manifest_digest_is_the_header_hash() -> None:
    assert manifest_digest({}) == hashlib.md5(b"wandb-artifact-manifest-v1\n").hexdigest()


def test_logged_entries_carry_wandb_file_digests(store, make_tree) -> None:
    data = make_tree({"a.txt": "hello\n", "b.txt": "world\n", "sub/empty.bin": b""})
    with artiflow.init(project="p", store=store) as run:
        art = artiflow.Artifact("d", "dataset")
        art.add_dir(data)
        run.log_artifact(art)
    got = {e.path: (e.digest, e.size) for e in art.files()}
    assert got == {"a.txt": (HELLO_B64, 6), "b.txt": (WORLD_B64, 6), "sub/empty.bin": (EMPTY_B64, 0)}
    assert art.digest == manifest_digest({"a.txt": HELLO_B64, "b.txt": WORLD_B64, "sub/empty.bin": EMPTY_B64})

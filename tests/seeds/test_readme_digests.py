"""The README's "Digests: MD5 or XXH128" example runs as written and does what its comments say."""

from __future__ import annotations

from pathlib import Path

import artiflow

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_xxh128_example_runs() -> None:
    section = README.read_text().split("## Digests: MD5 or XXH128", 1)[1].split("\n## ", 1)[0]
    script = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(script, "README.md", "exec"), {})
    logged = artiflow.Api().artifact("digests/weights:latest")
    assert logged.version == "v0" and logged.digest_algorithm == "MANIFEST_XXH128"
    assert [e.extra for e in logged.files()] == [{"alg": "XXH128"}]
    store = artiflow.Store.open()
    try:
        assert store.blobs.has(logged.manifest.contents["weights.bin"].blob)
    finally:
        store.close()

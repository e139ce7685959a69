"""Every link inside the README points at a heading or a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, ``-1`` on repeats."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#+ (.+)$", prose, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        out.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return out


def test_every_readme_anchor_names_a_heading() -> None:
    text = (ROOT / "README.md").read_text()
    anchors = _anchors(text)
    missing = [a for a in re.findall(r"\]\(#([^)]+)\)", text) if a not in anchors]
    assert missing == []


def test_every_readme_file_link_exists() -> None:
    text = (ROOT / "README.md").read_text()
    targets = [t for t in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text) if not t.startswith("http")]
    assert targets and [t for t in targets if not (ROOT / t).exists()] == []

"""``artiflow diff``: what changed between two versions, file by file, and in their metadata."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import artiflow
import typer
from rich.markup import escape

from ..units import human_size
from .context import JsonOption, cli_state, complete_ref, report_errors, resolve
from .render import Listing, count, emit_json

if TYPE_CHECKING:
    from artiflow import Artifact, ManifestEntry

_MISSING = object()


@dataclass
class Diff:
    """Files added, removed and changed from version A to version B, and metadata keys likewise."""

    a: Artifact
    b: Artifact
    added: list[ManifestEntry] = field(default_factory=list)
    removed: list[ManifestEntry] = field(default_factory=list)
    changed: list[tuple[ManifestEntry, ManifestEntry]] = field(default_factory=list)
    unchanged: int = 0
    metadata: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> (a or _MISSING, b or _MISSING)

    @classmethod
    def of(cls, a: Artifact, b: Artifact) -> Diff:
        d = cls(a, b)
        old, new = a.manifest.contents, b.manifest.contents
        for path in sorted(old.keys() | new.keys()):
            ea, eb = old.get(path), new.get(path)
            if ea is None and eb is not None:
                d.added.append(eb)
            elif eb is None and ea is not None:
                d.removed.append(ea)
            elif ea is not None and eb is not None:
                if (ea.digest, ea.ref) != (eb.digest, eb.ref):
                    d.changed.append((ea, eb))
                else:
                    d.unchanged += 1
        ma, mb = a.metadata, b.metadata
        for key in sorted(ma.keys() | mb.keys()):
            va, vb = ma.get(key, _MISSING), mb.get(key, _MISSING)
            if va != vb:
                d.metadata[key] = (va, vb)
        return d

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.metadata)

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a.qualified_name,
            "b": self.b.qualified_name,
            "added": [{"path": e.path, "size": e.size, "digest": e.digest} for e in self.added],
            "removed": [{"path": e.path, "size": e.size, "digest": e.digest} for e in self.removed],
            "changed": [
                {"path": ea.path, "size_a": ea.size, "size_b": eb.size, "digest_a": ea.digest, "digest_b": eb.digest}
                for ea, eb in self.changed
            ],
            "unchanged": self.unchanged,
            "metadata": {
                "added": {k: vb for k, (va, vb) in self.metadata.items() if va is _MISSING},
                "removed": {k: va for k, (va, vb) in self.metadata.items() if vb is _MISSING},
                "changed": {
                    k: {"a": va, "b": vb}
                    for k, (va, vb) in self.metadata.items()
                    if va is not _MISSING and vb is not _MISSING
                },
            },
        }



@report_errors
def diff(
    ctx: typer.Context,
    ref_a: Annotated[
        str, typer.Argument(help="The old version: [project/]name[:vN|:alias|:digest]", show_default=False,
                            autocompletion=complete_ref)
    ],
    ref_b: Annotated[
        str, typer.Argument(help="The new version; a bare :vN or :alias means the same artifact as REF_A.",
                            show_default=False, autocompletion=complete_ref)
    ],
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit with 1 if the versions differ (as git diff --exit-code).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare two versions: files added (+), removed (-) and changed (~) with their sizes, and metadata.

    REF_B may be just ':v1' or ':alias' for another version of the same artifact.
    """
    state = cli_state(ctx)
    with state.store() as store:
        api = artiflow.Api(store=store)
        a = resolve(api, ref_a)
        b = resolve(api, f"{a.project}/{a.collection_name}{ref_b}" if ref_b.startswith(":") else ref_b)
        d = Diff.of(a, b)
    if as_json:
        emit_json(d.to_json())
    else:
        _print(state.out, d)
    if exit_code and d:
        raise typer.Exit(1)


def _print(out: Any, d: Diff) -> None:
    out.print(f"--- {escape(d.a.qualified_name)}\n+++ {escape(d.b.qualified_name)}")
    rows = Listing("change", "path", "size", right=("size",))
    for e in d.added:
        rows.add_row("+", e.path, human_size(e.size))
    for e in d.removed:
        rows.add_row("-", e.path, human_size(e.size))
    for ea, eb in d.changed:
        rows.add_row("~", ea.path, f"{human_size(ea.size)} -> {human_size(eb.size)}")
    if rows.rows:
        rows.print(out)
    for key, (va, vb) in d.metadata.items():
        if va is _MISSING:
            out.print(f"metadata + {escape(key)}: {escape(_j(vb))}")
        elif vb is _MISSING:
            out.print(f"metadata - {escape(key)}: {escape(_j(va))}")
        else:
            out.print(f"metadata ~ {escape(key)}: {escape(_j(va))} -> {escape(_j(vb))}")
    if not d:
        out.print(f"No differences ({count(d.unchanged, 'file')} identical).")
        return
    grown = sum(e.size or 0 for e in d.added) - sum(e.size or 0 for e in d.removed) + sum(
        (eb.size or 0) - (ea.size or 0) for ea, eb in d.changed
    )
    sign = "+" if grown >= 0 else "-"
    out.print(
        f"{count(len(d.added), 'file')} added, {len(d.removed):,} removed, {len(d.changed):,} changed, "
        f"{d.unchanged:,} unchanged; size {sign}{human_size(abs(grown))}."
    )


def _j(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)

"""The package's imports point one way, down the tower drawn in ``artiflow/__init__.py``.

Every module of the package has a rank; a module may import (at run time: ``TYPE_CHECKING`` blocks
are type hints only) a module of lower rank, or a sibling inside its own subpackage. A new module
must be given a rank here. The engine adapters may use only the public ``artiflow`` namespace and the
one internal module documented for them (:mod:`artiflow.collab`).
"""

from __future__ import annotations

import ast
from pathlib import Path


import artiflow

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"artiflow": ROOT / "core", "artiflow.lineage": ROOT / "lineage", "artiflow.adapters": ROOT / "adapters"}

# Lowest first. A prefix ending in "." ranks a whole subpackage.
RANKS: dict[str, int] = {
    "artiflow._version": 0,
    "artiflow.errors": 0,
    "artiflow.settings": 1,
    "artiflow.batches": 1,
    "artiflow.digests": 1,
    "artiflow.names": 1,
    "artiflow.userdata": 1,
    "artiflow.progress": 1,
    "artiflow.units": 1,
    "artiflow.media": 1,
    "artiflow.lineage.": 1,
    "artiflow.digestcache": 2,
    "artiflow.data_types": 2,
    "artiflow.staging": 3,
    "artiflow.manifest": 3,
    "artiflow.serializers": 3,
    "artiflow.blobkey": 3,
    "artiflow.localcopy": 3,
    "artiflow.writeback": 3,
    "artiflow.localblobs": 4,
    "artiflow.objectstore": 4,
    "artiflow.blobs": 5,
    "artiflow.references.": 4,
    "artiflow.metadata.": 4,
    "artiflow.editing": 5,
    "artiflow._openlineage_client": 5,
    "artiflow.openlineage": 6,
    "artiflow.leases": 6,
    "artiflow.store": 7,
    "artiflow.collab": 8,
    "artiflow.gc": 8,
    "artiflow.drafting": 9,
    "artiflow.download": 9,
    "artiflow.entry": 9,
    "artiflow.registry": 9,
    "artiflow.liveness": 8,
    "artiflow.runstate": 8,
    "artiflow.identity": 10,
    "artiflow.linked": 11,
    "artiflow.attributes": 12,
    "artiflow.reading": 13,
    "artiflow.artifact": 14,
    "artiflow.runfiles": 15,
    "artiflow.runextras": 16,
    "artiflow.runs": 17,
    "artiflow.api": 18,
    "artiflow.session": 18,
    "artiflow": 19,
    "artiflow.adapters.": 20,
    "artiflow.ui.": 21,
    "artiflow.cli.": 22,
}

# The one sanctioned upward reach: an artifact answers logged_by()/used_by() with Run objects.
LAZY_UPWARD = {("artiflow.identity", "artiflow.runs")}

ADAPTER_INTERNALS = {"artiflow.collab"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if "migrations" in parts:
                continue  # Alembic scripts: loaded by Alembic, import only alembic and sqlalchemy
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def rank(module: str) -> int | None:
    if module in RANKS:
        return RANKS[module]
    best = None
    for prefix, r in RANKS.items():
        if prefix.endswith(".") and (module + ".").startswith(prefix):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, r)
    return best[1] if best else None


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def runtime_imports(module: str, path: Path) -> list[tuple[str, int, list[str]]]:
    """``(imported module, line, names imported from it)`` for every run-time import in a module."""
    tree = ast.parse(path.read_text(), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = _package_of(module, path)
    out = []
    for node in ast.walk(tree):
        if _in_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, []) for a in node.names if a.name.split(".")[0] == "artiflow"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "artiflow":
                continue
            imported = [a.name for a in node.names]
            # "from artiflow import names" imports a module: count it as such.
            for name in imported:
                if f"{target}.{name}" in MODULES:
                    out.append((f"{target}.{name}", node.lineno, []))
            rest = [n for n in imported if f"{target}.{n}" not in MODULES]
            if rest:
                out.append((target, node.lineno, rest))
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith("import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("artiflow")
        ):
            out.append((str(node.args[0].value), node.lineno, []))
    return out


def _subpackage(module: str) -> str | None:
    """The ranked subpackage (``artiflow.metadata.``…) a module belongs to, if any."""
    prefixes = [p for p in RANKS if p.endswith(".") and (module + ".").startswith(p)]
    return max(prefixes, key=len) if prefixes else None


def _siblings(a: str, b: str) -> bool:
    return _subpackage(a) is not None and _subpackage(a) == _subpackage(b)


def upward_imports() -> list[str]:
    problems = []
    for module, path in sorted(MODULES.items()):
        mine = rank(module)
        for target, line, _names in runtime_imports(module, path):
            theirs = rank(target)
            where = f"{path.relative_to(ROOT)}:{line}"
            if mine is None or theirs is None:
                problems.append(f"{where}: {module if mine is None else target} has no rank in tests/test_layers.py")
            elif (module, target) in LAZY_UPWARD or target == module:
                continue
            elif theirs > mine or (theirs == mine and not _siblings(module, target)):
                problems.append(f"{where}: {module} (rank {mine}) imports {target} (rank {theirs})")
    return problems


def test_every_module_has_a_rank() -> None:
    assert [m for m in MODULES if rank(m) is None] == []


def test_imports_only_point_down() -> None:
    assert upward_imports() == []


def test_the_checker_catches_an_upward_import(tmp_path: Path) -> None:
    """A scratch edit: the store importing the run module, even inside a function, is reported."""
    scratch = tmp_path / "store.py"
    scratch.write_text(MODULES["artiflow.store"].read_text() + "\n\ndef f():\n    from .runs import Run\n")
    assert any(
        target == "artiflow.runs" and (rank(target) or 0) > (rank("artiflow.store") or 0)
        for target, _line, _names in runtime_imports("artiflow.store", scratch)
    )


def test_adapters_use_only_the_public_namespace() -> None:
    public = set(artiflow.__all__)
    problems = []
    for module, path in sorted(MODULES.items()):
        if not module.startswith("artiflow.adapters"):
            continue
        for target, line, imported in runtime_imports(module, path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if target.startswith("artiflow.adapters") or target in ADAPTER_INTERNALS:
                continue
            if target.count(".") == 1 and target.partition(".")[2] in public:  # a public submodule
                continue
            if target == "artiflow":
                problems += [f"{where}: artiflow.{n} is not public" for n in imported if n not in public]
            else:
                problems.append(f"{where}: imports {target}, which is not public")
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):  # artiflow.X attribute use after "import artiflow"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "artiflow"
                and node.attr not in public
                and f"artiflow.{node.attr}" not in ADAPTER_INTERNALS
            ):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: artiflow.{node.attr} is not public")
    assert problems == []


def test_no_module_is_too_long() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 550}
    assert long == {}

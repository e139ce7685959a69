"""Every docstring example in the package runs, as ``pytest --doctest-modules`` would run it.

The package's directories are mapped (``core/`` is ``artiflow``), so the examples are found by
importing ``artiflow``'s modules rather than by file path. Each docstring runs in the test's fresh
working directory and store home (the root conftest), with a few names already defined:

- ``artiflow``, and ``store``: an embedded store in that home (the one ``artiflow.init()`` opens);
- ``tmp``: an empty directory;
- a working directory holding ``data/cats/`` (two small files) and ``cats.csv``.

An example that needs what a docstring cannot set up (a bucket, a Prefect server) stays
``# doctest: +SKIP``; ``test_most_examples_run`` keeps that the exception.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import artiflow

PACKAGES = ["artiflow", "artiflow.lineage", "artiflow.adapters"]
NOT_IMPORTABLE_ALONE = ("artiflow.metadata.migrations.",)  # Alembic runs these itself
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[ModuleType]:
    names: set[str] = set(PACKAGES)
    for package in PACKAGES:
        mod = importlib.import_module(package)
        for info in pkgutil.walk_packages(mod.__path__, f"{package}."):
            if not info.name.startswith(NOT_IMPORTABLE_ALONE):
                names.add(info.name)
    return [importlib.import_module(n) for n in sorted(names)]


def _examples() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    found: dict[str, doctest.DocTest] = {}
    for module in _modules():
        for test in finder.find(module, module.__name__):
            if test.examples and test.name not in found:
                found[test.name] = test
    return sorted(found.values(), key=lambda t: t.name)


EXAMPLES = _examples()


def _runnable(test: doctest.DocTest) -> bool:
    return any(not ex.options.get(doctest.SKIP) for ex in test.examples)


@pytest.fixture
def namespace(tmp_path: Path) -> Iterator[dict[str, Any]]:
    cats = Path("data/cats")
    cats.mkdir(parents=True)
    (cats / "tabby.txt").write_text("tabby\n")
    (cats / "siamese.txt").write_text("siamese\n")
    Path("cats.csv").write_text("name,coat\ntom,tabby\n")
    (tmp_path / "tmp").mkdir()
    store = artiflow.Store.open()
    yield {"artiflow": artiflow, "store": store, "tmp": tmp_path / "tmp"}
    store.close()


# Dagster calls its own deprecated API when it sets up nested resources (as tests/adapters/dagster does).
@pytest.mark.filterwarnings(r"ignore:InitResourceContext\.dagster_run is deprecated:DeprecationWarning")
@pytest.mark.parametrize("example", [t for t in EXAMPLES if _runnable(t)], ids=lambda t: t.name)
def test_docstring_example(example: doctest.DocTest, namespace: dict[str, Any]) -> None:
    test = doctest.DocTest(
        example.examples, {**example.globs, **namespace}, example.name, example.filename, example.lineno,
        example.docstring,
    )
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    result = runner.run(test, out=report.write, clear_globs=True)
    if result.failed:
        pytest.fail(f"{example.name} ({example.filename}:{example.lineno}):\n{report.getvalue()}", pytrace=False)


def test_most_examples_run() -> None:
    examples = [ex for t in EXAMPLES for ex in t.examples]
    skipped = [ex for ex in examples if ex.options.get(doctest.SKIP)]
    assert len(examples) > 80  # the walk found every module
    assert len(skipped) < len(examples) / 3

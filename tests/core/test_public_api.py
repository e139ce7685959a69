"""The public namespace is curated, and importing it does no I/O."""

from __future__ import annotations

import subprocess
import sys

import artiflow


def test_all_names_exist_and_are_public() -> None:
    assert sorted(artiflow.__all__) == sorted(set(artiflow.__all__))
    for name in artiflow.__all__:
        assert hasattr(artiflow, name), name
    public = {n for n in dir(artiflow) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(artiflow, n)).__name__ == "module"}
    assert public - modules - {"annotations"} == set(artiflow.__all__) - {"__version__"} - modules


def test_errors_also_derive_from_the_builtin_they_mean() -> None:
    assert issubclass(artiflow.ArtifactNotFoundError, LookupError)
    assert issubclass(artiflow.EntryNotFoundError, KeyError)
    assert issubclass(artiflow.TypeCollisionError, ValueError)
    assert issubclass(artiflow.ArtifactFinalizedError, AttributeError)
    assert issubclass(artiflow.MissingDependencyError, ImportError)
    for name in artiflow.__all__:
        obj = getattr(artiflow, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, artiflow.ArtiflowError)


def test_import_opens_nothing_and_skips_engines(tmp_path) -> None:
    code = (
        "import sys, artiflow, os\n"
        "assert 'prefect' not in sys.modules and 'dagster' not in sys.modules\n"
        "assert not os.path.exists(os.environ['ARTIFLOW_HOME'])\n"
    )
    env = {"ARTIFLOW_HOME": str(tmp_path / "never"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)

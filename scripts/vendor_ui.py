"""Re-create (or check) the vendored browser files of ``artiflow.ui`` from the npm registry.

    uv run python scripts/vendor_ui.py          # download with `npm pack`, copy, verify
    uv run python scripts/vendor_ui.py --check  # only verify the committed files' sha256

Versions, file names and hashes live in ``core/ui/static/vendor/VENDOR.json``: to upgrade a
package, edit its version there, run this script, and update the hashes it prints.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "core" / "ui" / "static" / "vendor"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(packages: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for pkg in packages:
            spec = f"{pkg['name']}@{pkg['version']}"
            out = subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.split()[-1]
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(Path(tmp) / out.removesuffix(".tgz"), filter="data")
            root = Path(tmp) / out.removesuffix(".tgz") / "package"
            for src, dest in dict(pkg["files"]).items():  # type: ignore[call-overload]
                shutil.copyfile(root / src, VENDOR / dest)


def check(packages: list[dict[str, object]]) -> bool:
    ok = True
    for pkg in packages:
        for name, want in dict(pkg["sha256"]).items():  # type: ignore[call-overload]
            got = sha256(VENDOR / name)
            if got != want:
                print(f"{name}: sha256 {got}, VENDOR.json says {want}")
                ok = False
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the committed files")
    args = parser.parse_args()
    packages = json.loads((VENDOR / "VENDOR.json").read_text())["packages"]
    if not args.check:
        fetch(packages)
    ok = check(packages)
    print("vendored files match VENDOR.json" if ok else "vendored files differ from VENDOR.json")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

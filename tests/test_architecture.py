"""The import directions in pyproject.toml [tool.importlinter] hold for the whole tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"lint-imports failed:\n{output}"
    assert "0 broken" in output, output


MIRRORED = ("analytics", "jobs", "schema", "server")
# Tests that check a whole package or run the real app in a browser, rather than one module.
CROSS_CUTTING = {
    # analytics.metrics' public API and its import hygiene, across the package.
    "tests/analytics/metrics/test_package.py": "analytics/metrics/__init__.py",
}
# Browser tests drive one page module each through Chromium: browser/test_<page>.py.
BROWSER_DIRS = {"tests/server/web/browser": "server/web"}


def _source_of(test_file: Path) -> Path:
    relative = test_file.relative_to(ROOT).as_posix()
    if relative in CROSS_CUTTING:
        return ROOT / CROSS_CUTTING[relative]
    folder = test_file.parent.relative_to(ROOT).as_posix()
    source_folder = BROWSER_DIRS.get(folder, folder.removeprefix("tests/"))
    name = test_file.stem.removeprefix("test_")
    module = ROOT / source_folder / f"{name}.py"
    return module if module.exists() else ROOT / source_folder / name / "__init__.py"


def test_tests_mirror_the_source() -> None:
    test_files = [path for top in MIRRORED
                  for path in sorted((ROOT / "tests" / top).rglob("test_*.py"))]
    assert test_files
    strays = [f"{path.relative_to(ROOT)} (no {_source_of(path).relative_to(ROOT)})"
              for path in test_files if not _source_of(path).exists()]
    assert strays == [], ("each tests/<package>/.../test_<module>.py tests <package>/.../"
                          "<module>.py (or a package of that name); rename or split:\n"
                          + "\n".join(strays))


def test_every_test_folder_is_a_package() -> None:
    folders = {path.parent for path in (ROOT / "tests").rglob("*.py")}
    missing = [str(folder.relative_to(ROOT)) for folder in sorted(folders)
               if folder.name != "__snapshots__" and not (folder / "__init__.py").exists()]
    assert missing == []

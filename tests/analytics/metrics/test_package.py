from __future__ import annotations

import ast
from pathlib import Path

import analytics.metrics as package

PACKAGE_DIR = Path(package.__file__).parent


def test_public_api_resolves() -> None:
    assert all(hasattr(package, name) for name in package.__all__)


def test_modules_stay_small_and_pure() -> None:
    for path in PACKAGE_DIR.glob("*.py"):
        source = path.read_text()
        assert len(source.splitlines()) < 300, path.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                    alias.name for alias in node.names
                ]
                for name in names:
                    assert name.split(".")[0] not in {"server", "schema", "jobs"}, path.name

"""The shape's layer rules (DEVELOPERS.md), checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "core": {"PySide6", "flask", "flask_wtf", "flask_limiter", "waitress", "desktop", "intake",
             "printdesk"},
    "storage": {"PySide6", "flask", "flask_wtf", "waitress", "desktop", "intake", "core",
                "printdesk"},
    "desktop": {"sqlalchemy", "alembic", "storage", "flask", "flask_wtf", "waitress", "intake"},
    "intake": {"sqlalchemy", "alembic", "storage", "PySide6", "desktop"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_never_imports_what_it_must_not(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offences = {
        str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN[package]) for f in files
    }
    assert {k: v for k, v in offences.items() if v} == {}


def test_the_checker_sees_an_offence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from sqlalchemy import select\n    import PySide6.QtCore\n")
    assert imported_roots(bad) >= {"sqlalchemy", "PySide6"}
